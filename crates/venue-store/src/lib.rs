//! The console's offline-first store: one SQLite file (WAL), forward-only migrations, idempotent
//! ingestion with a change log (outbox) written in the same transaction, search and audit.

mod alerts;
mod clock;
mod claims;
mod connector_state;
mod desk;
mod error;
mod migrate;
mod notification_prefs;
mod notify;
mod pms;
mod queries;
mod record;
mod remote;
mod reports;
mod search;
mod sensor_state;
mod sensors;
mod staff;
mod summaries;
mod write;

pub use alerts::{FailedCharge, StoredAlertRule, VipArrival, ALERT_RULES};
pub use clock::{FutureStamps, HighWaterMarks};
pub use claims::ChargeClaim;
pub use connector_state::ConnectorState;
pub use desk::{
    is_vip, ConnectorRuns, LocationSales, SalesSlot, StayFilter, StayRow, ZoneOccupancy,
};
pub use error::{Result, StoreError};
pub use migrate::{latest_version, APPLICATION_ID, CONNECTION_TUNING};
pub use notification_prefs::{NotificationPrefsRow, NOTIFICATION_PREFS};
pub use notify::{ChangeListener, CONNECTOR_STATE, SENSOR_STATE};
pub use queries::{ChangeLogStats, Counts, StoredChange};
pub use record::{Binder, Record, WriteContext};
pub use remote::ApplySummary;
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
    /// Venues by id, for venue-local business dates on the write path.
    venues: HashMap<Uuid, Venue>,
    listener: Option<ChangeListener>,
}

impl Store {
    /// Opens (creating if missing) the database at `path` and migrates it to the latest schema.
    /// A non-SQLite file, a foreign database or one from a newer build is refused untouched.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_at_version(path, latest_version())
    }

    /// Opens and migrates only up to `version`. For upgrade tests that build older databases.
    #[doc(hidden)]
    pub fn open_at_version(path: &Path, version: u32) -> Result<Store> {
        let mut conn = migrate::open_connection(path)?;
        let upto = migrate::MIGRATIONS
            .iter()
            .position(|m| m.version == version)
            .map(|i| i + 1)
            .ok_or_else(|| StoreError::Invalid(format!("no migration with version {version}")))?;
        migrate::migrate(&mut conn, path, &migrate::MIGRATIONS[..upto])?;
        let node = load_or_create_node(&conn)?;
        let clock = HlcClock::resume(load_last_hlc(&conn)?);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            node,
            clock,
            venues: HashMap::new(),
            listener: None,
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

    fn venue_for(&mut self, id: Uuid) -> Result<&Venue> {
        if !self.venues.contains_key(&id) {
            let venue = self
                .get::<Venue>(id)?
                .ok_or_else(|| StoreError::Invalid(format!("unknown venue {id}")))?;
            self.venues.insert(id, venue);
        }
        self.venues
            .get(&id)
            .ok_or_else(|| StoreError::Invalid(format!("unknown venue {id}")))
    }
}

fn load_or_create_node(conn: &Connection) -> Result<NodeId> {
    let existing: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'node_id'", [], |r| {
            r.get(0)
        })
        .optional()?;
    match existing {
        Some(text) => Uuid::parse_str(&text)
            .map(NodeId)
            .map_err(|e| StoreError::Corrupt(format!("meta.node_id {text:?}: {e}"))),
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
    let observed: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'hlc_observed'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let observed = observed.and_then(|v| v.parse::<i64>().ok());
    let last = issued.into_iter().chain(observed).max().unwrap_or(0);
    Ok(Hlc::from_i64(last)?)
}
