//! `Task::Hub` of `venue run`: continuous sync. A pass at start, then one whenever the hub
//! announces new changes on the live channel, whenever this console's changes wait (heard from
//! the store's listener for this process's tasks, and by a cheap look at the backlog for
//! writes of other processes and the screens), and every [`FALLBACK_PULL`] while the live
//! channel is down. Bursts are one pass ([`DEBOUNCE`]). A failing pass is retried with backoff
//! and marks the task failing; a refused token stops the task with a message saying what to do.

use super::client::HubClient;
use super::error::SyncError;
use super::live::LiveSignal;
use super::pass::sync_pass;
use crate::console::StoreHandle;
use crate::supervisor::{retry_delays, retry_store, stopped, Task, TaskHealth};
use crate::{ApiError, ApiResult};
use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use venue_store::{Backlog, HUB_PEER};

/// Signals closer than this are one pass.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(150);
/// How often to pull while the live channel is down.
pub(crate) const FALLBACK_PULL: Duration = Duration::from_secs(30);
/// How often to look for changes written by another connection (no listener hears those).
const LOCAL_POLL: Duration = Duration::from_millis(250);
/// The longest wait between attempts, of a failing pass or of reconnecting the live channel.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Runs continuous sync with the hub `client` serves until `stop`. `wake` is told by the store
/// listener of the other tasks when they write. Ends only at the stop or on a refused token.
pub(crate) async fn hub_live(
    store: &StoreHandle,
    client: &HubClient,
    wake: Arc<Notify>,
    health: &TaskHealth,
    stop: watch::Receiver<bool>,
) -> ApiResult<()> {
    let live_up = Cell::new(false);
    let heard = Notify::new();
    let outcome = tokio::select! {
        refused = watch_live(client, &heard, &live_up, &stop) => Err(refused),
        synced = sync_loop(store, client, &wake, &heard, &live_up, health, &stop) => synced,
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(SyncError::Local(e)) => Err(e),
        Err(refused) => {
            // Trying again cannot help until someone re-joins: stop, and say so where the
            // task-failing alert and `venue sync status` look.
            let message = format!("hub sync stopped: {refused}");
            tracing::error!(task = Task::Hub.name(), "{message}");
            health.failed(Task::Hub, &message);
            if let Err(e) = store.with(|s| s.record_sync_error(&refused.to_string())) {
                tracing::warn!(error = %e, "the sync failure could not be recorded");
            }
            Ok(())
        }
    }
}

/// Keeps the live channel open, reconnecting with backoff, telling `heard` at each
/// announcement (and once subscribed, for what came while it was down). Returns only the
/// error that ends everything: a refused token.
async fn watch_live(
    client: &HubClient,
    heard: &Notify,
    live_up: &Cell<bool>,
    stop: &watch::Receiver<bool>,
) -> SyncError {
    let mut delays = None;
    loop {
        let lost = match client.live().await {
            Ok(mut stream) => loop {
                match stream.next().await {
                    Ok(LiveSignal::Ready) => {
                        live_up.set(true);
                        delays = None;
                        heard.notify_one();
                    }
                    Ok(LiveSignal::Changes { .. }) => heard.notify_one(),
                    Err(e) => break e,
                }
            },
            Err(e) => e,
        };
        live_up.set(false);
        if matches!(lost, SyncError::TokenRefused { .. }) {
            return lost;
        }
        let wait = delays
            .get_or_insert_with(|| retry_delays(MAX_RETRY))
            .next()
            .unwrap_or(MAX_RETRY);
        tracing::warn!(
            task = Task::Hub.name(),
            error = %lost,
            retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "the hub's live channel is down; pulling every {} s meanwhile",
            FALLBACK_PULL.as_secs()
        );
        tokio::select! {
            () = stopped(stop) => std::future::pending::<()>().await,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Why the loop woke.
enum Woken {
    Signal,
    Timer,
}

async fn sync_loop(
    store: &StoreHandle,
    client: &HubClient,
    wake: &Notify,
    heard: &Notify,
    live_up: &Cell<bool>,
    health: &TaskHealth,
    stop: &watch::Receiver<bool>,
) -> Result<(), SyncError> {
    let mut retries = None;
    loop {
        // Taken before the pass: a write during it shows as a change of the backlog after.
        let mark = backlog(store, health, stop).await?;
        let failed = match sync_pass(store, client).await {
            Ok(report) => {
                retries = None;
                tracing::debug!(
                    task = Task::Hub.name(),
                    pushed = report.pushed,
                    pulled = report.pulled,
                    "synced with the hub"
                );
                retry_store(health, Task::Hub, stop, "recording the sync", || {
                    store.with(|s| Ok::<_, ApiError>(s.record_sync_success(report.clock_skew_ms)?))
                })
                .await?;
                health.recovered(Task::Hub);
                false
            }
            Err(e @ (SyncError::TokenRefused { .. } | SyncError::NoToken(_))) => return Err(e),
            Err(e) => {
                let failing = health.failed(Task::Hub, &e.to_string());
                tracing::warn!(
                    task = Task::Hub.name(),
                    failures = failing.failures,
                    failing_since = %failing.since,
                    error = %e,
                    "sync with the hub failed; changes wait here"
                );
                if let Err(not_recorded) = store.with(|s| s.record_sync_error(&e.to_string())) {
                    tracing::warn!(error = %not_recorded, "the sync failure could not be recorded");
                }
                true
            }
        };
        let woken = if failed {
            // Only the retry timer, or the hub announcing (it is back), while it fails.
            let wait = retries
                .get_or_insert_with(|| retry_delays(MAX_RETRY))
                .next()
                .unwrap_or(MAX_RETRY);
            tokio::select! {
                () = stopped(stop) => return Ok(()),
                () = heard.notified() => Woken::Signal,
                () = tokio::time::sleep(wait) => Woken::Timer,
            }
        } else {
            loop {
                tokio::select! {
                    () = stopped(stop) => return Ok(()),
                    () = heard.notified() => break Woken::Signal,
                    () = wake.notified() => break Woken::Signal,
                    () = local_change(store, mark) => break Woken::Signal,
                    () = tokio::time::sleep(FALLBACK_PULL) => {
                        if !live_up.get() {
                            break Woken::Timer;
                        }
                    }
                }
            }
        };
        if matches!(woken, Woken::Signal) {
            tokio::select! {
                () = stopped(stop) => return Ok(()),
                () = tokio::time::sleep(DEBOUNCE) => {}
            }
        }
    }
}

async fn backlog(
    store: &StoreHandle,
    health: &TaskHealth,
    stop: &watch::Receiver<bool>,
) -> Result<Backlog, SyncError> {
    Ok(
        retry_store(health, Task::Hub, stop, "reading the backlog", || {
            store.with(|s| Ok::<_, ApiError>(s.backlog(HUB_PEER)?))
        })
        .await?,
    )
}

/// Resolves once this console's changes wait and the backlog differs from `mark`: a write by
/// another connection. A failing look is not a change (the pass's own errors are reported).
async fn local_change(store: &StoreHandle, mark: Backlog) {
    loop {
        tokio::time::sleep(LOCAL_POLL).await;
        if let Ok(now) = store.with(|s| s.backlog(HUB_PEER)) {
            if now.changes > 0 && now != mark {
                return;
            }
        }
    }
}
