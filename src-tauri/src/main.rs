//! Venue Console desktop shell: one window over `venue_core`. Every command is a one-line call
//! into the core API, so the desktop app and the `venue` CLI cannot drift apart.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::{Mutex, PoisonError};
use tracing_subscriber::EnvFilter;
use venue_core::{resolve_data_dir, ApiError, Console, StatusReport};

/// The open data dir, held behind a mutex because the store's SQLite connection is not `Sync`.
///
/// It starts empty when the store could not be opened at startup; the window still opens, and
/// each command retries the open and returns the core's `{code, message}` error if it fails
/// again. That way a fixed problem (a missing disk mounted, a lock released) needs no restart.
struct Shell {
    console: Mutex<Option<Console>>,
}

impl Shell {
    fn open() -> Result<Console, ApiError> {
        let data_dir = resolve_data_dir(None)?;
        tracing::info!(data_dir = %data_dir.display(), "opening store");
        Console::open(&data_dir)
    }

    /// Tries to open the store once at startup, logging the outcome.
    fn start() -> Self {
        let console = Self::open()
            .inspect_err(|error| {
                tracing::error!(code = ?error.code, %error, "store did not open; the window shows the error")
            })
            .ok();
        Shell {
            console: Mutex::new(console),
        }
    }

    /// Runs `f` with the console, opening it first if the startup open failed.
    fn with_console<T>(
        &self,
        f: impl FnOnce(&Console) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        // A panic in an earlier command cannot leave a Console half-updated (reads only), so a
        // poisoned lock is still safe to use.
        let mut slot = self.console.lock().unwrap_or_else(PoisonError::into_inner);
        let console = match &mut *slot {
            Some(console) => console,
            empty @ None => empty.insert(Self::open()?),
        };
        f(console)
    }
}

/// Store and venue status for the home screen.
#[tauri::command(async)]
fn status(shell: tauri::State<'_, Shell>) -> Result<StatusReport, ApiError> {
    shell.with_console(Console::status)
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let result = tauri::Builder::default()
        .manage(Shell::start())
        .invoke_handler(tauri::generate_handler![status])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        tracing::error!(%error, "the desktop shell stopped with an error");
        std::process::exit(1);
    }
}
