//! Turns the store's commit notifications into `store-changed` events for the UI, coalesced so a
//! burst of writes (a connector page, a round of sensor polls) becomes one event.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter};
use venue_core::desktop::{self, StoreChanged, StoreTopic};

/// How long topics are gathered after the first one before the UI hears of them.
const COALESCE: Duration = Duration::from_millis(200);

/// A listener for the store and the channel it feeds. The listener only sends on the channel,
/// so it never slows a write down.
pub fn channel() -> (venue_core::ChangeListener, mpsc::Receiver<&'static str>) {
    let (tx, rx) = mpsc::channel::<&'static str>();
    let tx = std::sync::Mutex::new(tx);
    let listener: venue_core::ChangeListener = Arc::new(move |topics: &[&'static str]| {
        let tx = tx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for topic in topics {
            // The receiver is gone only while the app quits.
            let _ = tx.send(topic);
        }
    });
    (listener, rx)
}

/// Forwards topics to the UI until every sender is gone. Blocks on the channel: no timer runs
/// while nothing changes.
pub fn forward(app: AppHandle, topics: mpsc::Receiver<&'static str>) {
    while let Ok(first) = topics.recv() {
        let mut batch = BTreeSet::from([first]);
        let deadline = std::time::Instant::now() + COALESCE;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match topics.recv_timeout(left) {
                Ok(topic) => {
                    batch.insert(topic);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        let event = StoreChanged {
            topics: batch.into_iter().map(StoreTopic).collect(),
        };
        tracing::debug!(topics = ?event.topics, "store-changed");
        if let Err(error) = app.emit(desktop::STORE_CHANGED, &event) {
            tracing::warn!(%error, "could not tell the window about a change");
        }
        let topics: Vec<&'static str> = event.topics.iter().map(|t| t.0).collect();
        crate::notifications::store_changed(&app, &topics);
    }
}
