//! Store access for work done away from the console's own connection: the long-running tasks
//! (each on a connection of its own) and charges sent off the screens' lock.

use crate::ApiResult;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use venue_store::{ChangeListener, OpenMode, Store, StoreError};

/// A connection of its own to the console's store, opened on first use and kept (opening
/// checks the file), shared by the handle's clones and usable from any thread; [`fork`] gives
/// another connection with the same settings.
///
/// The store is reached only inside [`with`]'s closure, which cannot await: no task can hold
/// the store across an await and make another wait on it (or, as a `RefCell` would, panic).
/// The store's writers are safe for many connections and processes (each write catches its
/// clock up inside its transaction), so tasks on their own connections interleave like the
/// app and `venue run` do.
///
/// [`fork`]: StoreHandle::fork
/// [`with`]: StoreHandle::with
#[derive(Clone)]
pub(crate) struct StoreHandle {
    path: PathBuf,
    listener: Option<ChangeListener>,
    busy_timeout: Option<Duration>,
    store: Arc<Mutex<Option<Store>>>,
}

impl StoreHandle {
    pub fn new(path: PathBuf) -> Self {
        StoreHandle {
            path,
            listener: None,
            busy_timeout: None,
            store: Arc::default(),
        }
    }

    /// Another connection to the same store, with the same listener and busy timeout.
    pub fn fork(&self) -> StoreHandle {
        StoreHandle {
            store: Arc::default(),
            ..self.clone()
        }
    }

    /// Writes through this handle (and its later forks) are announced to `listener` (the
    /// app's events), in place of any listener set before.
    pub fn set_change_listener(&mut self, listener: ChangeListener) {
        self.listener = Some(listener);
        self.apply(|store, handle| {
            if let Some(l) = &handle.listener {
                store.set_change_listener(l.clone());
            }
        });
    }

    /// `listener` hears writes through this handle (and its later forks) too, after the
    /// listener already set.
    pub fn add_change_listener(&mut self, listener: ChangeListener) {
        self.listener = Some(match self.listener.take() {
            None => listener,
            Some(before) => Arc::new(move |topics: &[&'static str]| {
                before(topics);
                listener(topics);
            }),
        });
        self.apply(|store, handle| {
            if let Some(l) = &handle.listener {
                store.set_change_listener(l.clone());
            }
        });
    }

    /// How long this handle's connection waits for another writer before a write fails as
    /// busy (the store's default otherwise).
    pub fn set_busy_timeout(&mut self, timeout: Duration) -> ApiResult<()> {
        self.busy_timeout = Some(timeout);
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = slot.as_mut() {
            store.set_busy_timeout(timeout)?;
        }
        Ok(())
    }

    fn apply(&self, f: impl FnOnce(&mut Store, &StoreHandle)) {
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = slot.as_mut() {
            f(store, self);
        }
    }

    /// Runs `f` on this handle's connection, opening it first if needed (a store that cannot
    /// be opened is `f`'s error too). Every write is one transaction, so an `f` that panicked
    /// left nothing half-written and the connection is used again.
    pub fn with<T, E>(&self, f: impl FnOnce(&mut Store) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let store = match &mut *slot {
            Some(store) => store,
            empty @ None => {
                let mut store = Store::open_with(&self.path, OpenMode::Existing)?;
                if let Some(listener) = &self.listener {
                    store.set_change_listener(listener.clone());
                }
                if let Some(timeout) = self.busy_timeout {
                    store.set_busy_timeout(timeout)?;
                }
                empty.insert(store)
            }
        };
        f(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Console, InitOptions};
    use std::sync::Arc;

    fn venue_dir() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = InitOptions {
            demo: false,
            ..InitOptions::demo()
        };
        drop(Console::init(dir.path(), &options).expect("init"));
        let db = dir.path().join(venue_store::DB_FILE);
        (dir, db)
    }

    fn rename(handle: &StoreHandle, name: &str) -> Result<(), StoreError> {
        handle.with(|s| {
            let mut venue = s
                .venue()?
                .ok_or_else(|| StoreError::Invalid("no venue".into()))?;
            venue.name = name.into();
            s.save_by_user("test", "venue.update", &venue)?;
            Ok(())
        })
    }

    /// A task's fork writes on a connection of its own, heard by every listener the handle
    /// had (the app's events and the alert rules' wake-up), and seen by the other connections.
    #[test]
    fn a_fork_is_a_connection_of_its_own_heard_like_the_handle() {
        let (_dir, db) = venue_dir();
        let heard = Arc::new(Mutex::new(Vec::<String>::new()));
        let mut handle = StoreHandle::new(db);
        for who in ["app", "alerts"] {
            let sink = heard.clone();
            let listener: ChangeListener = Arc::new(move |topics: &[&'static str]| {
                let mut heard = sink.lock().unwrap_or_else(PoisonError::into_inner);
                heard.extend(topics.iter().map(|t| format!("{who}:{t}")));
            });
            if who == "app" {
                handle.set_change_listener(listener);
            } else {
                handle.add_change_listener(listener);
            }
        }
        let fork = handle.fork();
        assert!(
            !Arc::ptr_eq(&fork.store, &handle.store),
            "a connection of its own"
        );
        rename(&fork, "Written by a task").expect("write through the fork");
        let heard = heard.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert!(heard.contains(&"app:venue".to_string()), "{heard:?}");
        assert!(heard.contains(&"alerts:venue".to_string()), "{heard:?}");
        let seen = handle.with(|s| s.venue()).expect("read").expect("venue");
        assert_eq!(seen.name, "Written by a task");
    }

    /// A fork keeps the handle's busy timeout: with another writer holding the lock, its
    /// write is refused as busy (a passing failure the tasks retry), and nothing is lost.
    #[test]
    fn a_fork_keeps_the_busy_timeout_and_a_busy_write_changes_nothing() {
        let (_dir, db) = venue_dir();
        let mut handle = StoreHandle::new(db.clone());
        handle
            .set_busy_timeout(Duration::from_millis(50))
            .expect("timeout");
        let fork = handle.fork();
        let other = rusqlite::Connection::open(&db).expect("other writer");
        other
            .execute_batch("BEGIN IMMEDIATE")
            .expect("hold the write lock");
        let refused = rename(&fork, "Never written").expect_err("busy");
        assert!(refused.is_transient(), "{refused}");
        other.execute_batch("ROLLBACK").expect("let go");
        let venue = fork.with(|s| s.venue()).expect("read").expect("venue");
        assert_eq!(venue.name, InitOptions::DEMO_NAME);
        rename(&fork, "Written after").expect("the lock is free again");
    }
}
