//! The app's two connections to the core: one for the screens (behind a mutex, used by the
//! commands) and one owned by the background thread that runs connectors, the PMS socket and
//! sensor polling. Both write to the same SQLite file; the store keeps their stamps ordered.
//! No command waits on the network while holding the screens' console: a charge is recorded
//! under the lock and sent to the PMS after it (on the core's own sender connection).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
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
    /// Each command's wait for the console and its run time are logged (debug; a warning past
    /// [`SLOW_COMMAND`]), so a screen that hangs shows which command held the others up.
    pub async fn run<T: Send + 'static, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut Console) -> ApiResult<T> + Send + 'static,
    {
        let slot = Arc::clone(&self.console);
        let listener = self.listener.clone();
        let command = command_name(std::any::type_name::<F>());
        let asked = Instant::now();
        tauri::async_runtime::spawn_blocking(move || {
            // A panic in an earlier command cannot leave the console half-written (each write is
            // one transaction), so a poisoned lock is still safe to use.
            let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
            let waited = asked.elapsed();
            let console = match &mut *guard {
                Some(console) => console,
                empty @ None => empty.insert(open_console(&listener)?),
            };
            let started = Instant::now();
            let result = f(console);
            drop(guard);
            log_timing(command, waited, started.elapsed());
            result
        })
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the command stopped: {e}")))?
    }

    /// Runs `f` on a blocking thread without the console: the part of a command that waits on
    /// the network after its store work is done (see `post_charge`).
    pub async fn unlocked<T: Send + 'static, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce() -> ApiResult<T> + Send + 'static,
    {
        let command = command_name(std::any::type_name::<F>());
        let started = Instant::now();
        let result = tauri::async_runtime::spawn_blocking(f)
            .await
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the command stopped: {e}")))?;
        log_timing(command, Duration::ZERO, started.elapsed());
        result
    }
}

/// A command that waited or ran this long is logged as a warning.
const SLOW_COMMAND: Duration = Duration::from_secs(1);

fn log_timing(command: &str, waited: Duration, ran: Duration) {
    let (waited_ms, ran_ms) = (waited.as_millis() as u64, ran.as_millis() as u64);
    if waited >= SLOW_COMMAND || ran >= SLOW_COMMAND {
        tracing::warn!(command, waited_ms, ran_ms, "slow command");
    } else {
        tracing::debug!(command, waited_ms, ran_ms, "command");
    }
}

/// The command's name from its closure's type name
/// (`venue_console::commands::today::{{closure}}::{{closure}}` → `today`).
fn command_name(closure: &'static str) -> &'static str {
    closure
        .split("::")
        .skip_while(|part| *part != "commands")
        .nth(1)
        .unwrap_or(closure)
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

#[cfg(test)]
mod tests {
    use super::command_name;

    #[test]
    fn a_command_is_named_by_its_function() {
        assert_eq!(
            command_name("venue_console::commands::today::{{closure}}::{{closure}}"),
            "today"
        );
        assert_eq!(command_name("other::closure"), "other::closure");
    }
}
