//! Tells whoever shows the data (the desktop app) which kinds of rows a committed write touched,
//! so a screen re-reads only what changed instead of polling the database.

use crate::Store;
use std::sync::Arc;

/// Called after a write commits, with its topics: entity kinds ("transaction", "alert", ...),
/// plus [`CONNECTOR_STATE`] and [`SENSOR_STATE`]. Runs on the writer's thread: keep it short
/// (hand the topics to a channel).
pub type ChangeListener = Arc<dyn Fn(&[&'static str]) + Send + Sync>;

/// A connector's breaker or request metrics changed.
pub const CONNECTOR_STATE: &str = "connector_state";
/// A sensor's status or occupancy changed.
pub const SENSOR_STATE: &str = "sensor_state";

impl Store {
    /// Registers the one listener of this store (replacing any earlier one).
    pub fn set_change_listener(&mut self, listener: ChangeListener) {
        self.listener = Some(listener);
    }

    /// Adds a listener after any already registered: each is called, in order, after a write
    /// commits. The alert engine listens this way next to the app's own listener.
    pub fn add_change_listener(&mut self, listener: ChangeListener) {
        self.listener = Some(match self.listener.take() {
            Some(previous) => Arc::new(move |topics: &[&'static str]| {
                previous(topics);
                listener(topics);
            }),
            None => listener,
        });
    }

    /// Replaces the listeners with `listener` (or none), returning the ones registered before,
    /// so a caller that added one for a while can put the earlier ones back.
    pub fn replace_change_listener(
        &mut self,
        listener: Option<ChangeListener>,
    ) -> Option<ChangeListener> {
        std::mem::replace(&mut self.listener, listener)
    }

    pub(crate) fn notify(&self, topics: &[&'static str]) {
        if let Some(listener) = &self.listener {
            listener(topics);
        }
    }
}
