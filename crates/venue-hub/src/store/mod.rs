//! The hub's storage: one async trait ([`HubStore`]) and two backends, [`SqliteHub`] (embedded,
//! the default) and [`PostgresHub`] (several hub processes on one database). Both run their own
//! migrations on connect and keep no state in the process that another hub would need.
//!
//! The change log is append-only and per venue: a change id is unique within its venue, each
//! stored change gets a per-venue `seq` that pull cursors follow, and a row's head (its newest
//! change by `(hlc, node)`) decides whether a new change is applied or a conflict.

use chrono::{DateTime, Utc};
use std::future::Future;
use uuid::Uuid;

mod announce;
mod any;
mod batch;
mod paging;
mod postgres;
mod sqlite;

pub use announce::{Announcement, Announcements};
pub use any::AnyHub;
pub use postgres::PostgresHub;
pub use sqlite::SqliteHub;

/// The most changes one push may carry and one pull may return.
pub const MAX_BATCH: usize = 5_000;

/// What the store could not do, in terms the server can answer with.
#[derive(Debug, thiserror::Error)]
pub enum HubStoreError {
    /// The org, venue, device or manager named does not exist (or is not the caller's to see).
    #[error("not found: {what}")]
    NotFound { what: String },
    /// No enrolment code has this hash.
    #[error("the enrolment code is not valid")]
    CodeInvalid,
    /// The code existed but its time ran out.
    #[error("the enrolment code has expired")]
    CodeExpired,
    /// The code was already exchanged for a device token.
    #[error("the enrolment code was already used")]
    CodeUsed,
    /// Something unique already exists, e.g. an org name or a manager's email.
    #[error("already exists: {what}")]
    Conflict { what: String },
    /// The request itself is out of range (an empty name, a batch over [`MAX_BATCH`], a backup
    /// file that already exists).
    #[error("invalid: {what}")]
    Invalid { what: String },
    /// The database itself failed: unreachable, a migration missing, a query error.
    #[error("the hub's database is unavailable: {0}")]
    Unavailable(String),
}

pub type Result<T, E = HubStoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for HubStoreError {
    fn from(error: sqlx::Error) -> Self {
        HubStoreError::Unavailable(error.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for HubStoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        HubStoreError::Unavailable(format!("migrations: {error}"))
    }
}

/// A venue to add to an org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVenue {
    pub name: String,
    /// IANA name, e.g. `Europe/Paris`.
    pub timezone: String,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    pub capacity: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub timezone: String,
    pub currency: String,
    pub capacity: Option<u32>,
}

/// A console enrolled into one venue: its token (stored only as a hash) is bound to the venue
/// and to the console's node id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub org_id: Uuid,
    pub node_id: Uuid,
    pub created_at: DateTime<Utc>,
    /// Set once revoked: the server refuses the token from then on.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The last request the server saw with this token ([`HubStore::touch_device`]).
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// Which venues of the org a manager sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Every venue of the org, present and future.
    All,
    /// These venues only.
    Venues(Vec<Uuid>),
}

/// A manager of an org, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manager {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    /// A PHC string; the server verifies passwords against it.
    pub password_hash: String,
    pub grant: Grant,
}

/// One change as a console pushed it, with the fields the store orders and files it by.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingRow {
    pub change_id: Uuid,
    /// The entity kind, e.g. `transaction`.
    pub entity: String,
    pub entity_id: Uuid,
    /// The console that made the change.
    pub node: Uuid,
    /// The change's hybrid logical clock stamp.
    pub hlc: i64,
    /// Whether the change goes down to the venue's other consoles (the sync policy).
    pub down: bool,
    /// The whole change as JSON: what a pull hands back.
    pub body: serde_json::Value,
}

/// What became of one pushed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowOutcome {
    /// Stored, and newer by `(hlc, node)` than anything seen for its row: now the row's head.
    Applied,
    /// This venue already holds this change id (from an earlier push or earlier in the batch):
    /// nothing changed.
    Duplicate,
    /// Stored, but not newer than the row's head: kept as the loser in the conflicts table.
    Conflict,
}

/// One page of a venue's change log, in `seq` order.
#[derive(Debug, Clone, PartialEq)]
pub struct PulledPage {
    /// The bodies of the changes the caller may have.
    pub changes: Vec<serde_json::Value>,
    /// The last `seq` looked at: the next pull starts after it. Past the last change returned
    /// when rows after it were filtered out; `after_seq` itself when nothing was looked at.
    pub last_seq: i64,
    /// More changes may wait after `last_seq`.
    pub more: bool,
}

/// A change that lost to its row's head, as kept in the conflicts table.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConflict {
    pub change_id: Uuid,
    pub entity: String,
    pub entity_id: Uuid,
    pub hlc: i64,
    pub node: Uuid,
    /// The head it lost to, as it was when the change arrived.
    pub head_hlc: i64,
    pub head_node: Uuid,
    /// The losing change's body, from the log.
    pub body: serde_json::Value,
}

/// A venue's change log in numbers, for metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueStats {
    pub changes: i64,
    pub newest_received_at: Option<DateTime<Utc>>,
}

/// The hub's storage. Every method is one transaction (or one statement); nothing is cached in
/// the process, so several hubs may share one database.
pub trait HubStore: Send + Sync + Clone + 'static {
    /// A new org. `Conflict` when the name is taken.
    fn create_org(&self, name: &str) -> impl Future<Output = Result<Uuid>> + Send;

    /// A new venue in `org`. `NotFound` when the org does not exist.
    fn add_venue(&self, org: Uuid, venue: NewVenue) -> impl Future<Output = Result<Uuid>> + Send;

    fn venue(&self, id: Uuid) -> impl Future<Output = Result<Option<VenueRow>>> + Send;

    /// Store a one-time enrolment code for `venue`, by its hash. `NotFound` for an unknown venue;
    /// `Conflict` if the hash is already stored.
    fn create_enrollment(
        &self,
        venue: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Exchange a code for a device, atomically: the code works once (`CodeUsed` after), not
    /// once `now` is past its expiry (`CodeExpired`); an unknown hash is `CodeInvalid`.
    fn redeem_enrollment(
        &self,
        code_hash: &str,
        node: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Device>> + Send;

    /// The device holding this token, revoked ones included (with `revoked_at` set).
    fn device_by_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<Device>>> + Send;

    /// Record that the device was seen at `now`. `NotFound` for an unknown device.
    fn touch_device(&self, id: Uuid, now: DateTime<Utc>)
        -> impl Future<Output = Result<()>> + Send;

    /// Every device, or one org's, oldest first.
    fn list_devices(&self, org: Option<Uuid>) -> impl Future<Output = Result<Vec<Device>>> + Send;

    /// Revoke a device's token. Revoking twice keeps the first time. `NotFound` when unknown.
    fn revoke_device(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// A manager of `org`. `NotFound` when the org, or a granted venue in it, does not exist;
    /// `Conflict` when the email is taken.
    fn add_manager(
        &self,
        org: Uuid,
        email: &str,
        password_hash: &str,
        grant: Grant,
    ) -> impl Future<Output = Result<Uuid>> + Send;

    /// The manager signing in with this email, if any.
    fn manager_by_email(&self, email: &str)
        -> impl Future<Output = Result<Option<Manager>>> + Send;

    /// Store a batch of changes for `venue` (at most [`MAX_BATCH`]); one outcome per change, in
    /// input order. The whole batch is one transaction.
    fn push(
        &self,
        venue: Uuid,
        changes: &[IncomingRow],
    ) -> impl Future<Output = Result<Vec<RowOutcome>>> + Send;

    /// Up to `limit` changes of `venue` after `after_seq`, skipping those of `exclude_node` and,
    /// with `only_down`, those that do not go down to consoles.
    fn pull(
        &self,
        venue: Uuid,
        exclude_node: Option<Uuid>,
        after_seq: i64,
        limit: u32,
        only_down: bool,
    ) -> impl Future<Output = Result<PulledPage>> + Send;

    /// The venue's kept losers, oldest first, at most `limit`.
    fn conflicts(
        &self,
        venue: Uuid,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<StoredConflict>>> + Send;

    fn venue_stats(&self, venue: Uuid) -> impl Future<Output = Result<VenueStats>> + Send;

    /// Every venue that holds a change, with when its newest arrived (for `/metrics`: a venue
    /// whose consoles went quiet shows as an age that keeps growing). One index probe a venue.
    fn newest_changes(&self) -> impl Future<Output = Result<Vec<(Uuid, DateTime<Utc>)>>> + Send;

    /// The database answers and every migration this build knows is applied.
    fn ready(&self) -> impl Future<Output = Result<()>> + Send;

    /// From now on, hears every push that stored a change, for any venue, through this hub or
    /// (on PostgreSQL) any other hub process on the same database: the live channel's source.
    fn announcements(&self) -> impl Future<Output = Result<Announcements>> + Send;
}

/// Each venue's newest change by seq (the primary key answers it; received times follow seq).
const NEWEST_CHANGES: &str =
    "SELECT v.id AS venue, (SELECT c.received_at FROM hub_changes c WHERE c.venue_id = v.id \
     ORDER BY c.seq DESC LIMIT 1) AS newest FROM hub_venues v ORDER BY v.id";

/// `ready`'s second half: every migration this build carries is applied (`applied` holds the
/// versions the database records as successful).
fn check_migrations(migrator: &sqlx::migrate::Migrator, applied: &[i64]) -> Result<()> {
    let missing: Vec<i64> = migrator
        .iter()
        .map(|migration| migration.version)
        .filter(|version| !applied.contains(version))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(HubStoreError::Unavailable(format!(
            "migrations not applied: {missing:?}"
        )))
    }
}
