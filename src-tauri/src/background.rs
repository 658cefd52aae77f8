//! The core's live work inside the app: connectors on their schedule (and on "Fetch now"), the
//! PMS websocket with gap-fill and charge write-back, and sensor polling. It runs on its own
//! thread with its own console, so the screens stay responsive while it waits on the network.

use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How long to wait before starting again after the scheduler stopped on an error (a store that
/// could not be opened, a venue not set up yet).
const RETRY: Duration = Duration::from_secs(30);
/// The window gets the machine first: on two cores, connectors and sensor polls starting with
/// it slowed the first paint. What the screens show first is already in the store.
const STARTUP_GRACE: Duration = Duration::from_millis(1500);

pub struct Background {
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    pub fn start(
        listener: venue_core::ChangeListener,
        mut fetch_now: mpsc::UnboundedReceiver<String>,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("venue-background".into())
            .spawn(move || {
                if wait_or_stop(&stopped, STARTUP_GRACE) {
                    return;
                }
                loop {
                    match crate::shell::open_console(&listener) {
                        // The scheduler runs as the machine's operator: it acts for the venue, not
                        // for whoever is signed in at the desk.
                        Ok(console) => {
                            let console = console.with_access(venue_core::Access::Local);
                            let mut stopped = stopped.clone();
                            let until_stopped = async move {
                                let _ = stopped.wait_for(|s| *s).await;
                            };
                            match console.run_scheduler_with(until_stopped, Some(&mut fetch_now)) {
                                Ok(()) => return,
                                Err(error) => tracing::error!(code = ?error.code, %error, "background work stopped; retrying"),
                            }
                        }
                        Err(error) => {
                            tracing::warn!(code = ?error.code, %error, "background work cannot start yet; retrying")
                        }
                    }
                    if wait_or_stop(&stopped, RETRY) {
                        return;
                    }
                }
            })?;
        Ok(Background {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the background work and waits for it (the store's last writes commit first).
    pub fn stop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// True when asked to stop within `wait`.
fn wait_or_stop(stopped: &watch::Receiver<bool>, wait: Duration) -> bool {
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        if *stopped.borrow() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    *stopped.borrow()
}
