//! [`AnyHub`]: the backend picked at run time from `--database`, for code that cannot be
//! generic over [`HubStore`] all the way up (the command line).

use super::{
    Announcements, Device, Grant, HubStore, HubStoreError, IncomingRow, Manager, NewVenue,
    PostgresHub, PulledPage, Result, RowOutcome, SqliteHub, StoredConflict, VenueRow, VenueStats,
};
use crate::database::Database;
use chrono::{DateTime, Utc};
use std::path::Path;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub enum AnyHub {
    Sqlite(SqliteHub),
    Postgres(PostgresHub),
}

impl AnyHub {
    /// Opens the database `--database` named (see [`Database::from_arg`]), creating a SQLite
    /// file and its folder when missing.
    pub async fn open(database: &Database) -> Result<AnyHub> {
        match database {
            Database::Postgres(url) => Ok(AnyHub::Postgres(PostgresHub::connect(url).await?)),
            Database::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        HubStoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                Ok(AnyHub::Sqlite(SqliteHub::open(path).await?))
            }
        }
    }

    /// A consistent copy of the database in `path`: SQLite only (PostgreSQL has pg_dump).
    pub async fn backup(&self, path: &Path) -> Result<()> {
        match self {
            AnyHub::Sqlite(hub) => hub.backup(path).await,
            AnyHub::Postgres(_) => Err(HubStoreError::Invalid {
                what: "`venue-hub backup` copies the embedded SQLite database; back PostgreSQL up with pg_dump".to_string(),
            }),
        }
    }

    /// What to log at start-up about row-level security, on PostgreSQL.
    pub fn row_security_warning(&self) -> Option<&'static str> {
        match self {
            AnyHub::Sqlite(_) => None,
            AnyHub::Postgres(hub) => hub.row_security_warning(),
        }
    }
}

/// Call the same method on whichever backend this is.
macro_rules! on_backend {
    ($self:ident, $hub:ident => $call:expr) => {
        match $self {
            AnyHub::Sqlite($hub) => $call.await,
            AnyHub::Postgres($hub) => $call.await,
        }
    };
}

impl HubStore for AnyHub {
    async fn create_org(&self, name: &str) -> Result<Uuid> {
        on_backend!(self, hub => hub.create_org(name))
    }

    async fn add_venue(&self, org: Uuid, venue: NewVenue) -> Result<Uuid> {
        on_backend!(self, hub => hub.add_venue(org, venue))
    }

    async fn venue(&self, id: Uuid) -> Result<Option<VenueRow>> {
        on_backend!(self, hub => hub.venue(id))
    }

    async fn create_enrollment(
        &self,
        venue: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        on_backend!(self, hub => hub.create_enrollment(venue, code_hash, expires_at))
    }

    async fn redeem_enrollment(
        &self,
        code_hash: &str,
        node: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Device> {
        on_backend!(self, hub => hub.redeem_enrollment(code_hash, node, token_hash, now))
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>> {
        on_backend!(self, hub => hub.device_by_token(token_hash))
    }

    async fn touch_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        on_backend!(self, hub => hub.touch_device(id, now))
    }

    async fn list_devices(&self, org: Option<Uuid>) -> Result<Vec<Device>> {
        on_backend!(self, hub => hub.list_devices(org))
    }

    async fn revoke_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        on_backend!(self, hub => hub.revoke_device(id, now))
    }

    async fn add_manager(
        &self,
        org: Uuid,
        email: &str,
        password_hash: &str,
        grant: Grant,
    ) -> Result<Uuid> {
        on_backend!(self, hub => hub.add_manager(org, email, password_hash, grant))
    }

    async fn manager_by_email(&self, email: &str) -> Result<Option<Manager>> {
        on_backend!(self, hub => hub.manager_by_email(email))
    }

    async fn push(&self, venue: Uuid, changes: &[IncomingRow]) -> Result<Vec<RowOutcome>> {
        on_backend!(self, hub => hub.push(venue, changes))
    }

    async fn pull(
        &self,
        venue: Uuid,
        exclude_node: Option<Uuid>,
        after_seq: i64,
        limit: u32,
        only_down: bool,
    ) -> Result<PulledPage> {
        on_backend!(self, hub => hub.pull(venue, exclude_node, after_seq, limit, only_down))
    }

    async fn conflicts(&self, venue: Uuid, limit: u32) -> Result<Vec<StoredConflict>> {
        on_backend!(self, hub => hub.conflicts(venue, limit))
    }

    async fn venue_stats(&self, venue: Uuid) -> Result<VenueStats> {
        on_backend!(self, hub => hub.venue_stats(venue))
    }

    async fn newest_changes(&self) -> Result<Vec<(Uuid, DateTime<Utc>)>> {
        on_backend!(self, hub => hub.newest_changes())
    }

    async fn ready(&self) -> Result<()> {
        on_backend!(self, hub => hub.ready())
    }

    async fn announcements(&self) -> Result<Announcements> {
        on_backend!(self, hub => hub.announcements())
    }
}
