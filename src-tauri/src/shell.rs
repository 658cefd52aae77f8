//! The app's two connections to the core: one for the screens (behind a mutex, used by the
//! commands) and one owned by the background thread that runs connectors, the PMS socket and
//! sensor polling. Both write to the same SQLite file; the store keeps their stamps ordered.

use std::sync::{Arc, Mutex, PoisonError};
use venue_core::{resolve_data_dir, Access, ApiError, ApiResult, Console, ErrorCode};

pub struct Shell {
    console: Arc<Mutex<Option<Console>>>,
    listener: venue_core::ChangeListener,
    /// Asks the background scheduler to run a connector now.
    pub fetch_now: tokio::sync::mpsc::UnboundedSender<String>,
}

impl Shell {
    /// Opens the screens' console, gated behind staff sign-in, on a thread of its own while the
    /// window starts (the first command waits for it). When the store cannot be opened the
    /// window still starts; each command retries and returns the core's error until it works.
    pub fn start(
        listener: venue_core::ChangeListener,
        fetch_now: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Self {
        let console = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&console);
        let opener = listener.clone();
        // Hold the lock before the thread starts, so no command can get in first and open a
        // second connection.
        let (opening, opened) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("venue-open-store".into())
            .spawn(move || {
                let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = opening.send(());
                *guard = open_console(&opener)
                    .inspect_err(|error| {
                        tracing::error!(code = ?error.code, %error, "store did not open; the window shows the error")
                    })
                    .ok();
            });
        match spawned {
            Ok(_) => {
                let _ = opened.recv();
            }
            Err(error) => tracing::warn!(%error, "store opens on the first command instead"),
        }
        Shell {
            console,
            listener,
            fetch_now,
        }
    }

    /// Runs `f` with the console on a blocking thread (the core may run its own async runtime
    /// for network calls, which must not nest inside Tauri's).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Console) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let slot = Arc::clone(&self.console);
        let listener = self.listener.clone();
        tauri::async_runtime::spawn_blocking(move || {
            // A panic in an earlier command cannot leave the console half-written (each write is
            // one transaction), so a poisoned lock is still safe to use.
            let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
            let console = match &mut *guard {
                Some(console) => console,
                empty @ None => empty.insert(open_console(&listener)?),
            };
            f(console)
        })
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the command stopped: {e}")))?
    }
}

pub fn open_console(listener: &venue_core::ChangeListener) -> ApiResult<Console> {
    let data_dir = resolve_data_dir(None)?;
    tracing::info!(data_dir = %data_dir.display(), "opening store");
    let mut console = Console::open(&data_dir)?
        .with_secret_store(Box::new(venue_core::OsKeyring))
        .with_access(Access::desktop());
    console.set_change_listener(listener.clone());
    Ok(console)
}
