//! Store access for work done away from the console's own connection.

use crate::ApiResult;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use venue_store::{ChangeListener, OpenMode, Store};

/// A connection of its own to the console's store, opened on first use and kept (opening
/// checks the file), shared by the handle's clones and usable from any thread. Work that waits
/// on the network (a charge posted from the screens) runs on it, off the lock the screens'
/// other commands share, queued behind each other only.
#[derive(Clone)]
pub(crate) struct StoreHandle {
    path: PathBuf,
    listener: Option<ChangeListener>,
    store: Arc<Mutex<Option<Store>>>,
}

impl StoreHandle {
    pub fn new(path: PathBuf) -> Self {
        StoreHandle {
            path,
            listener: None,
            store: Arc::default(),
        }
    }

    /// Writes through this connection are announced to `listener` too (the app's events).
    pub fn set_change_listener(&mut self, listener: ChangeListener) {
        self.listener = Some(listener);
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Store) -> ApiResult<T>) -> ApiResult<T> {
        // Every write is one transaction, so a send that panicked left nothing half-written.
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let store = match &mut *slot {
            Some(store) => store,
            empty @ None => {
                let mut store = Store::open_with(&self.path, OpenMode::Existing)?;
                if let Some(listener) = &self.listener {
                    store.set_change_listener(listener.clone());
                }
                empty.insert(store)
            }
        };
        f(store)
    }
}
