//! The console's offline-first store: one SQLite file (WAL), forward-only migrations, idempotent
//! ingestion with a change log (outbox) written in the same transaction, search and audit.

mod alerts;
mod claims;
mod clock;
mod connector_state;
pub mod convergence;
mod desk;
pub mod diagnose;
mod error;
mod hub_clock;
mod hub_state;
mod migrate;
mod natural_sql;
mod notification_prefs;
mod notify;
mod outbox;
mod pms;
mod queries;
mod record;
mod rekey;
mod remote;
mod reports;
mod restore;
mod search;
mod sensor_state;
mod sensors;
mod staff;
mod summaries;
mod write;

pub use alerts::{FailedCharge, StoredAlertRule, VipArrival, ALERT_RULES};
pub use claims::ChargeClaim;
pub use clock::{ClockRepair, ClockReport, FutureStamps, HighWaterMarks};
pub use connector_state::ConnectorState;
pub use desk::{
    is_vip, ConnectorRuns, LocationSales, SalesSlot, StayFilter, StayRow, ZoneOccupancy,
};
pub use error::{Result, StoreError};
pub use hub_state::{Backlog, HubState, HUB_PEER};
pub use migrate::{latest_version, OpenMode, APPLICATION_ID, CONNECTION_TUNING};
pub use notification_prefs::{NotificationPrefsRow, NOTIFICATION_PREFS};
pub use notify::{ChangeListener, CONNECTOR_STATE, SENSOR_STATE};
pub use outbox::{KeptConflict, OutboxPage, ParkedChange};
pub use queries::{ChangeLogStats, Counts, StoredChange};
pub use record::{identified, Binder, Record, WriteContext};
pub use rekey::RekeySummary;
pub use remote::{ApplySummary, PullCursor};
pub use reports::{StayCounts, TrafficTotals};
pub use search::SearchHit;
pub use sensor_state::SensorState;
pub use sensors::{BucketBound, Resolution, TrafficBucket};
pub use staff::{staff_name_key, AuditLine, SignInGuard, StaffPinHash, StaffRow, STAFF};
pub use summaries::SaleLine;
pub use write::{ChangeBuffer, IngestSummary};

use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;
use venue_domain::{Hlc, HlcClock, NodeId, Venue};

/// The database file name inside a data dir.
pub const DB_FILE: &str = "venue.sqlite3";

/// One open connection to the store; not shared across threads. A process may open several (the
/// app's background sync and its screens): each write transaction first catches its clock up with
/// the newest stamp in the file, so stamps stay ordered across them.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    node: NodeId,
    clock: HlcClock,
    /// How far the wall clock is set off the machine's: a simulation's skew (zero in the
    /// console), and the correction to the hub's time measured by the last sync.
    test_skew_ms: i64,
    hub_offset_ms: i64,
    /// Venues by id with the stamp they were read at, for venue-local business dates on the
    /// write path. Re-read when the row's stamp moves, whichever connection moved it.
    venues: HashMap<Uuid, (Venue, i64)>,
    listener: Option<ChangeListener>,
    /// The integrity check's verdict once run: None when sound, else why the store is damaged
    /// (only an [`OpenMode::Salvage`] store is ever open while damaged; it then refuses writes).
    damage: std::cell::OnceCell<Option<String>>,
}

impl Store {
    /// Opens (creating if missing) the database at `path` and migrates it to the latest schema.
    /// A non-SQLite file, a foreign database, a damaged one or one from a newer build is refused
    /// untouched. The console opens with [`Store::open_with`] so that only `venue init` creates.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, OpenMode::Create)
    }

    /// Opens the database at `path` as `mode` says (see [`OpenMode`]). Every open but a peek
    /// runs SQLite's quick integrity check first, so a damaged store is never written to.
    pub fn open_with(path: &Path, mode: OpenMode) -> Result<Store> {
        Self::open_inner(path, mode, latest_version(), 0)
    }

    /// Opens (creating if missing) with a wall clock reading `skew_ms` off the machine's: for
    /// simulations of a console whose clock is wrong (the convergence check).
    #[doc(hidden)]
    pub fn open_skewed(path: &Path, skew_ms: i64) -> Result<Store> {
        Self::open_inner(path, OpenMode::Create, latest_version(), skew_ms)
    }

    /// Sets how far this store's wall clock reads off the machine's (see [`Store::open_skewed`]).
    #[doc(hidden)]
    pub fn skew_clock(&mut self, skew_ms: i64) {
        self.test_skew_ms = skew_ms;
        self.clock
            .set_skew(skew_ms.saturating_add(self.hub_offset_ms));
    }

    /// Opens and migrates only up to `version`. For upgrade tests that build older databases.
    #[doc(hidden)]
    pub fn open_at_version(path: &Path, version: u32) -> Result<Store> {
        Self::open_inner(path, OpenMode::Create, version, 0)
    }

    fn open_inner(path: &Path, mode: OpenMode, version: u32, skew_ms: i64) -> Result<Store> {
        let mut conn = migrate::open_connection(path, mode)?;
        let damage = std::cell::OnceCell::new();
        let upto = migrate::MIGRATIONS
            .iter()
            .position(|m| m.version == version)
            .map(|i| i + 1)
            .ok_or_else(|| StoreError::Invalid(format!("no migration with version {version}")))?;
        let migrations = &migrate::MIGRATIONS[..upto];
        // The check reads every page (about a second for 650 MB from the page cache), so it
        // runs where it matters: before anything is written. A salvage open for reading leaves
        // it to `damage()` (status), unless a migration is due, which writes.
        let must_check = match mode {
            OpenMode::Create | OpenMode::Existing => true,
            OpenMode::Salvage => migrate::pending(&conn, migrations).unwrap_or(true),
            OpenMode::Peek => false,
        };
        if must_check {
            let verdict = migrate::quick_check_cached(&conn, path)?;
            if let Some(reason) = &verdict {
                if mode != OpenMode::Salvage {
                    return Err(StoreError::Damaged {
                        path: path.to_path_buf(),
                        reason: reason.clone(),
                    });
                }
                refuse_writes(&conn, path, reason)?;
            }
            let _ = damage.set(verdict);
        }
        let known_sound = matches!(damage.get(), Some(None));
        let mut jumped = None;
        let mut hub_offset_ms = 0;
        let (node, clock) = if known_sound && mode != OpenMode::Peek {
            migrate::migrate(&mut conn, path, migrations)?;
            let node = load_or_create_node(&conn)?;
            // Stamps are on the hub's time from the first write, once a sync has measured it.
            hub_offset_ms = hub_clock::load_offset(&conn)?;
            let skew = skew_ms.saturating_add(hub_offset_ms);
            let wall = HlcClock::resume(Hlc::ZERO).with_skew(skew).wall_ms();
            let (clock, jump) = HlcClock::resume_bounded(load_last_hlc(&conn)?, wall);
            jumped = jump;
            (node, clock.with_skew(skew))
        } else {
            // Reading only (a peek, a salvage): take what identity can be read, write none.
            let node = load_node(&conn)
                .ok()
                .flatten()
                .unwrap_or(NodeId(Uuid::nil()));
            let last = load_last_hlc(&conn).unwrap_or_default();
            (node, HlcClock::resume(last))
        };
        if mode == OpenMode::Salvage {
            // Opened for reading: whatever the check would say, this connection never writes.
            conn.pragma_update(None, "query_only", true)
                .map_err(|e| diagnose::classify(path, e))?;
        }
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            node,
            clock,
            test_skew_ms: skew_ms,
            hub_offset_ms,
            venues: HashMap::new(),
            listener: None,
            damage,
        };
        if let Some(jump) = jumped {
            store.restamp_future(jump)?;
        }
        Ok(store)
    }

    /// Why the store is damaged, or None when SQLite's quick integrity check finds it sound
    /// (run once per file and process). A damaged store refuses every write from then on.
    pub fn damage(&self) -> Result<Option<&str>> {
        if self.damage.get().is_none() {
            let verdict = migrate::quick_check_cached(&self.conn, &self.path)?;
            if let Some(reason) = &verdict {
                refuse_writes(&self.conn, &self.path, reason)?;
            }
            let _ = self.damage.set(verdict);
        }
        Ok(self.damage.get().and_then(|d| d.as_deref()))
    }

    /// Writes a consistent, compacted copy of the store to `dest` (SQLite's `VACUUM INTO`),
    /// while other connections go on reading and writing. `dest` must not exist or be empty.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let dest_text = dest.to_str().ok_or_else(|| {
            StoreError::Invalid(format!("{} is not a UTF-8 path", dest.display()))
        })?;
        // VACUUM INTO counts as a write for query_only, though it never changes this file.
        let query_only: bool = self.conn.query_row("PRAGMA query_only", [], |r| r.get(0))?;
        if query_only {
            self.conn.pragma_update(None, "query_only", false)?;
        }
        let copied = self.conn.execute("VACUUM INTO ?1", [dest_text]);
        if query_only {
            self.conn.pragma_update(None, "query_only", true)?;
        }
        copied
            .map(|_| ())
            .map_err(|e| match diagnose::failure_kind(&e) {
                diagnose::FailureKind::Damaged => StoreError::Damaged {
                    path: self.path.clone(),
                    reason: e.to_string(),
                },
                _ => StoreError::Sqlite(e),
            })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long a statement waits for another connection's write lock before failing with
    /// "database is locked" (5 s from `open`). Tests shorten it to provoke that failure.
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<()> {
        self.conn.busy_timeout(timeout)?;
        Ok(())
    }

    /// This installation's node id, stamped on every change it writes.
    pub fn node_id(&self) -> NodeId {
        self.node
    }

    /// The highest clock value this store has issued or observed.
    pub fn last_hlc(&self) -> Hlc {
        self.clock.last()
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?)
    }

    pub fn journal_mode(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?)
    }

    /// Copies the WAL into the database file and truncates it (also done automatically as it grows).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        Ok(())
    }

    /// Runs SQLite's full integrity check; `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<()> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt(result))
        }
    }

    /// The venue as stored now. One indexed read of its stamp per call: a timezone changed in
    /// Settings (another connection) or by a sync is seen by the next batch, not after a restart.
    pub(crate) fn venue_for(&mut self, id: Uuid) -> Result<&Venue> {
        let unknown = || StoreError::Invalid(format!("unknown venue {id}"));
        let stamp: i64 = self
            .conn
            .prepare_cached("SELECT hlc FROM venues WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or_else(unknown)?;
        let fresh = self.venues.get(&id).is_some_and(|(_, seen)| *seen == stamp);
        if !fresh {
            let venue = self.get::<Venue>(id)?.ok_or_else(unknown)?;
            self.venues.insert(id, (venue, stamp));
        }
        self.venues.get(&id).map(|(v, _)| v).ok_or_else(unknown)
    }
}

/// Makes every later write on `conn` fail: nothing more is lost from a damaged store.
fn refuse_writes(conn: &Connection, path: &Path, reason: &str) -> Result<()> {
    tracing::error!(path = %path.display(), %reason, "the store is damaged; reading only");
    conn.pragma_update(None, "query_only", true)
        .map_err(|e| diagnose::classify(path, e))
}

fn load_node(conn: &Connection) -> Result<Option<NodeId>> {
    let existing: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'node_id'", [], |r| {
            r.get(0)
        })
        .optional()?;
    existing
        .map(|text| {
            Uuid::parse_str(&text)
                .map(NodeId)
                .map_err(|e| StoreError::Corrupt(format!("meta.node_id {text:?}: {e}")))
        })
        .transpose()
}

fn load_or_create_node(conn: &Connection) -> Result<NodeId> {
    match load_node(conn)? {
        Some(node) => Ok(node),
        None => {
            let node = NodeId::generate();
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('node_id', ?1)",
                [node.to_string()],
            )?;
            Ok(node)
        }
    }
}

/// The clock resumes from the newest stamp we issued (last change) or observed from a peer.
pub(crate) fn load_last_hlc(conn: &Connection) -> Result<Hlc> {
    // Runs before every write: cached statements, not parsed each time.
    let issued: Option<i64> = conn
        .prepare_cached("SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    // The log is pruned once the hub holds it; the newest stamp it held is kept in meta.
    let mut kept = Vec::with_capacity(2);
    for key in ["hlc_observed", "hlc_issued"] {
        let value: Option<String> = conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        kept.extend(value.and_then(|v| v.parse::<i64>().ok()));
    }
    let last = issued.into_iter().chain(kept).max().unwrap_or(0);
    Ok(Hlc::from_i64(last)?)
}
