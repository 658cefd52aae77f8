//! The one async runtime of the process, created on first use and shared by every call that
//! waits on the network: a fetch, a PMS pass, a charge sent from the screens, a door poll, and
//! the long-running tasks of `venue run` and the app's background work.
//!
//! Each call runs its future with `block_on` on its own thread (the futures borrow the store and
//! need not be `Send`); the runtime's one worker drives the sockets and timers for all of them.
//! With a driver of its own, a call from the screens never waits for the background thread to
//! poll the reactor, and no call pays for building and tearing down a runtime (nor drops the
//! HTTP connections it had open).

use crate::{ApiError, ApiResult, ErrorCode};
use std::sync::OnceLock;
use tokio::runtime::Runtime;

static SHARED: OnceLock<Runtime> = OnceLock::new();

/// The process's runtime, built on the first call.
pub(crate) fn shared() -> ApiResult<&'static Runtime> {
    if let Some(runtime) = SHARED.get() {
        return Ok(runtime);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        // Futures run on their callers' threads; the worker only drives I/O and timers and
        // runs the connection tasks the HTTP client spawns.
        .worker_threads(1)
        .thread_name("venue-io")
        .enable_all()
        .build()
        .map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    // Two first calls racing each build one; the loser's is dropped unused.
    Ok(SHARED.get_or_init(|| built))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_gets_the_same_runtime() {
        let first = shared().expect("runtime") as *const Runtime;
        let from_another_thread =
            std::thread::spawn(|| shared().map(|r| r as *const Runtime as usize))
                .join()
                .expect("thread")
                .expect("runtime");
        assert_eq!(first as usize, from_another_thread);
    }

    #[test]
    fn a_call_blocking_its_thread_does_not_stall_another_calls_timers() {
        use std::time::Duration;
        let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
        let (woke_tx, woke_rx) = std::sync::mpsc::channel::<()>();
        // The first call blocks its thread, as a store write waiting for a lock does, until the
        // second call's timer has fired: a runtime driven only from inside a `block_on` would
        // never fire it.
        let blocked = std::thread::spawn(move || {
            shared().expect("runtime").block_on(async move {
                entered_tx.send(()).expect("entered");
                woke_rx.recv_timeout(Duration::from_secs(60)).is_ok()
            })
        });
        entered_rx.recv().expect("the first call runs");
        shared()
            .expect("runtime")
            .block_on(async { tokio::time::sleep(Duration::from_millis(10)).await });
        woke_tx.send(()).expect("the first call waits");
        assert!(
            blocked.join().expect("joined"),
            "the timer fired while the other call blocked its thread"
        );
    }
}
