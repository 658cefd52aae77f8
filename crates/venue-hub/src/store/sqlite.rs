//! [`SqliteHub`]: the embedded backend, one file in WAL mode. A push takes SQLite's write lock
//! first (`BEGIN IMMEDIATE`), so pushes run one at a time and a venue's `seq` is assigned in
//! commit order: a reader never sees seq N+1 before N.

use super::announce::{Announcement, Announcer};
use super::batch::{self, RowKey, Stamp};
use super::paging::{PageScan, ScannedRow};
use super::{
    Announcements, Device, Grant, HubStore, HubStoreError, IncomingRow, Manager, NewVenue,
    PulledPage, Result, RowOutcome, StoredConflict, VenueRow, VenueStats,
};
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/hub/sqlite");

/// Rows per multi-row statement: well under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// The hub's store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteHub {
    pool: SqlitePool,
    /// One process serves a SQLite hub: its pushes are announced in process.
    announcer: Announcer,
}

impl SqliteHub {
    /// Open (creating if missing) the store at `path` and bring its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteHub> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Writers queue on the lock rather than failing while another push commits.
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteHub {
            pool,
            announcer: Announcer::default(),
        })
    }

    /// Copy the whole store to `path` (`VACUUM INTO`): a consistent snapshot taken while the
    /// hub keeps serving. Refuses to overwrite an existing file.
    pub async fn backup(&self, path: &Path) -> Result<()> {
        if path.exists() {
            return Err(HubStoreError::Invalid {
                what: format!(
                    "{} already exists; a backup never overwrites",
                    path.display()
                ),
            });
        }
        let target = path.to_str().ok_or_else(|| HubStoreError::Invalid {
            what: format!("{} is not a UTF-8 path", path.display()),
        })?;
        sqlx::query("VACUUM INTO ?1")
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn insert_changes(
        tx: &mut sqlx::SqliteConnection,
        venue: Uuid,
        first_seq: i64,
        stored: &[&IncomingRow],
        now_ms: i64,
    ) -> Result<HashSet<Uuid>> {
        let mut inserted = HashSet::with_capacity(stored.len());
        let mut seq = first_seq;
        for chunk in stored.chunks(ROWS_PER_STATEMENT) {
            let mut rows = Vec::with_capacity(chunk.len());
            for change in chunk {
                rows.push((seq, *change, batch::body_text(change)?));
                seq += 1;
            }
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO hub_changes (venue_id, seq, change_id, entity, entity_id, node_id, \
                 hlc, down, body, received_at) ",
            );
            query.push_values(rows, |mut row, (seq, change, body)| {
                row.push_bind(venue)
                    .push_bind(seq)
                    .push_bind(change.change_id)
                    .push_bind(change.entity.clone())
                    .push_bind(change.entity_id)
                    .push_bind(change.node)
                    .push_bind(change.hlc)
                    .push_bind(change.down)
                    .push_bind(body)
                    .push_bind(now_ms);
            });
            query.push(" ON CONFLICT (venue_id, change_id) DO NOTHING RETURNING change_id");
            for row in query.build().fetch_all(&mut *tx).await? {
                inserted.insert(row.try_get::<Uuid, _>(0)?);
            }
        }
        Ok(inserted)
    }

    async fn load_heads(
        tx: &mut sqlx::SqliteConnection,
        venue: Uuid,
        keys: &[RowKey],
    ) -> Result<HashMap<RowKey, Stamp>> {
        let mut heads = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT entity, entity_id, hlc, node_id FROM hub_row_heads WHERE venue_id = ",
            );
            query.push_bind(venue).push(" AND (entity, entity_id) IN (");
            query.push_values(chunk, |mut row, (entity, entity_id)| {
                row.push_bind(entity.clone()).push_bind(*entity_id);
            });
            query.push(")");
            for row in query.build().fetch_all(&mut *tx).await? {
                heads.insert(
                    (row.try_get("entity")?, row.try_get("entity_id")?),
                    (row.try_get("hlc")?, row.try_get("node_id")?),
                );
            }
        }
        Ok(heads)
    }

    async fn save_heads(
        tx: &mut sqlx::SqliteConnection,
        venue: Uuid,
        heads: &[&IncomingRow],
    ) -> Result<()> {
        for chunk in heads.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO hub_row_heads (venue_id, entity, entity_id, hlc, node_id, change_id) ",
            );
            query.push_values(chunk, |mut row, change| {
                row.push_bind(venue)
                    .push_bind(change.entity.clone())
                    .push_bind(change.entity_id)
                    .push_bind(change.hlc)
                    .push_bind(change.node)
                    .push_bind(change.change_id);
            });
            query.push(
                " ON CONFLICT (venue_id, entity, entity_id) DO UPDATE SET hlc = excluded.hlc, \
                 node_id = excluded.node_id, change_id = excluded.change_id",
            );
            query.build().execute(&mut *tx).await?;
        }
        Ok(())
    }

    async fn save_conflicts(
        tx: &mut sqlx::SqliteConnection,
        venue: Uuid,
        conflicts: &[(&IncomingRow, Stamp)],
        now_ms: i64,
    ) -> Result<()> {
        for chunk in conflicts.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO hub_conflicts (venue_id, change_id, entity, entity_id, hlc, node_id, \
                 head_hlc, head_node_id, recorded_at) ",
            );
            query.push_values(chunk, |mut row, (change, (head_hlc, head_node))| {
                row.push_bind(venue)
                    .push_bind(change.change_id)
                    .push_bind(change.entity.clone())
                    .push_bind(change.entity_id)
                    .push_bind(change.hlc)
                    .push_bind(change.node)
                    .push_bind(*head_hlc)
                    .push_bind(*head_node)
                    .push_bind(now_ms);
            });
            query.build().execute(&mut *tx).await?;
        }
        Ok(())
    }
}

fn to_ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| HubStoreError::Unavailable(format!("a stored time is out of range: {ms}")))
}

fn from_ms_opt(ms: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}

fn device_from_row(row: &SqliteRow) -> Result<Device> {
    Ok(Device {
        id: row.try_get("id")?,
        venue_id: row.try_get("venue_id")?,
        org_id: row.try_get("org_id")?,
        node_id: row.try_get("node_id")?,
        created_at: from_ms(row.try_get("created_at")?)?,
        revoked_at: from_ms_opt(row.try_get("revoked_at")?)?,
        last_seen_at: from_ms_opt(row.try_get("last_seen_at")?)?,
    })
}

const DEVICE_COLUMNS: &str = "id, venue_id, org_id, node_id, created_at, revoked_at, last_seen_at";

/// A unique index said no: the thing named exists already.
fn unique_violation(error: sqlx::Error, what: impl FnOnce() -> String) -> HubStoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            HubStoreError::Conflict { what: what() }
        }
        _ => error.into(),
    }
}

fn capacity_from(value: Option<i64>) -> Result<Option<u32>> {
    value
        .map(|c| {
            u32::try_from(c).map_err(|_| {
                HubStoreError::Unavailable(format!("a stored capacity is out of range: {c}"))
            })
        })
        .transpose()
}

impl HubStore for SqliteHub {
    async fn create_org(&self, name: &str) -> Result<Uuid> {
        batch::check_name("the org name", name)?;
        let id = Uuid::now_v7();
        sqlx::query("INSERT INTO hub_orgs (id, name, created_at) VALUES (?1, ?2, ?3)")
            .bind(id)
            .bind(name.trim())
            .bind(to_ms(Utc::now()))
            .execute(&self.pool)
            .await
            .map_err(|e| unique_violation(e, || format!("an org named {:?}", name.trim())))?;
        Ok(id)
    }

    async fn add_venue(&self, org: Uuid, venue: NewVenue) -> Result<Uuid> {
        batch::check_name("the venue name", &venue.name)?;
        let id = Uuid::now_v7();
        let done = sqlx::query(
            "INSERT INTO hub_venues (id, org_id, name, timezone, currency, capacity, created_at) \
             SELECT ?1, id, ?3, ?4, ?5, ?6, ?7 FROM hub_orgs WHERE id = ?2",
        )
        .bind(id)
        .bind(org)
        .bind(venue.name.trim())
        .bind(&venue.timezone)
        .bind(&venue.currency)
        .bind(venue.capacity.map(i64::from))
        .bind(to_ms(Utc::now()))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(HubStoreError::NotFound {
                what: format!("org {org}"),
            });
        }
        Ok(id)
    }

    async fn venue(&self, id: Uuid) -> Result<Option<VenueRow>> {
        let row = sqlx::query(
            "SELECT id, org_id, name, timezone, currency, capacity FROM hub_venues WHERE id = ?1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(VenueRow {
                id: row.try_get("id")?,
                org_id: row.try_get("org_id")?,
                name: row.try_get("name")?,
                timezone: row.try_get("timezone")?,
                currency: row.try_get("currency")?,
                capacity: capacity_from(row.try_get("capacity")?)?,
            })
        })
        .transpose()
    }

    async fn create_enrollment(
        &self,
        venue: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let done = sqlx::query(
            "INSERT INTO hub_enrollments (code_hash, venue_id, expires_at, created_at) \
             SELECT ?1, id, ?3, ?4 FROM hub_venues WHERE id = ?2",
        )
        .bind(code_hash)
        .bind(venue)
        .bind(to_ms(expires_at))
        .bind(to_ms(Utc::now()))
        .execute(&self.pool)
        .await
        .map_err(|e| unique_violation(e, || "an enrolment code with this hash".into()))?;
        if done.rows_affected() == 0 {
            return Err(HubStoreError::NotFound {
                what: format!("venue {venue}"),
            });
        }
        Ok(())
    }

    async fn redeem_enrollment(
        &self,
        code_hash: &str,
        node: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Device> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let code = sqlx::query(
            "SELECT e.venue_id, e.expires_at, e.used_at, v.org_id FROM hub_enrollments e \
             JOIN hub_venues v ON v.id = e.venue_id WHERE e.code_hash = ?1",
        )
        .bind(code_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(HubStoreError::CodeInvalid)?;
        if code.try_get::<Option<i64>, _>("used_at")?.is_some() {
            return Err(HubStoreError::CodeUsed);
        }
        if to_ms(now) >= code.try_get::<i64, _>("expires_at")? {
            return Err(HubStoreError::CodeExpired);
        }
        sqlx::query("UPDATE hub_enrollments SET used_at = ?2 WHERE code_hash = ?1")
            .bind(code_hash)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        let device = Device {
            id: Uuid::now_v7(),
            venue_id: code.try_get("venue_id")?,
            org_id: code.try_get("org_id")?,
            node_id: node,
            created_at: from_ms(to_ms(now))?,
            revoked_at: None,
            last_seen_at: None,
        };
        sqlx::query(
            "INSERT INTO hub_devices (id, venue_id, org_id, node_id, token_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(device.id)
        .bind(device.venue_id)
        .bind(device.org_id)
        .bind(device.node_id)
        .bind(token_hash)
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, || "a device with this token hash".into()))?;
        tx.commit().await?;
        Ok(device)
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM hub_devices WHERE token_hash = ?1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(device_from_row)
            .transpose()
    }

    async fn touch_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query("UPDATE hub_devices SET last_seen_at = ?2 WHERE id = ?1")
            .bind(id)
            .bind(to_ms(now))
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(HubStoreError::NotFound {
                what: format!("device {id}"),
            });
        }
        Ok(())
    }

    async fn list_devices(&self, org: Option<Uuid>) -> Result<Vec<Device>> {
        let sql = format!(
            "SELECT {DEVICE_COLUMNS} FROM hub_devices WHERE ?1 IS NULL OR org_id = ?1 \
             ORDER BY created_at, id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(device_from_row)
            .collect()
    }

    async fn revoke_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE hub_devices SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
        )
        .bind(id)
        .bind(to_ms(now))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(HubStoreError::NotFound {
                what: format!("device {id}"),
            });
        }
        Ok(())
    }

    async fn add_manager(
        &self,
        org: Uuid,
        email: &str,
        password_hash: &str,
        grant: Grant,
    ) -> Result<Uuid> {
        let email = batch::normalise_email(email)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let org_exists = sqlx::query("SELECT 1 FROM hub_orgs WHERE id = ?1")
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !org_exists {
            return Err(HubStoreError::NotFound {
                what: format!("org {org}"),
            });
        }
        let venues = match &grant {
            Grant::All => Vec::new(),
            Grant::Venues(venues) => venues.clone(),
        };
        for venue in &venues {
            let in_org = sqlx::query("SELECT 1 FROM hub_venues WHERE id = ?1 AND org_id = ?2")
                .bind(venue)
                .bind(org)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !in_org {
                return Err(HubStoreError::NotFound {
                    what: format!("venue {venue} in org {org}"),
                });
            }
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO hub_managers (id, org_id, email, password_hash, all_venues, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(id)
        .bind(org)
        .bind(&email)
        .bind(password_hash)
        .bind(matches!(grant, Grant::All))
        .bind(to_ms(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, || format!("a manager with email {email}")))?;
        for venue in &venues {
            sqlx::query(
                "INSERT INTO hub_manager_venues (manager_id, venue_id) VALUES (?1, ?2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(venue)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn manager_by_email(&self, email: &str) -> Result<Option<Manager>> {
        let email = batch::normalise_email(email)?;
        let Some(row) = sqlx::query(
            "SELECT id, org_id, email, password_hash, all_venues FROM hub_managers WHERE email = ?1",
        )
        .bind(&email)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let id: Uuid = row.try_get("id")?;
        let grant = if row.try_get::<bool, _>("all_venues")? {
            Grant::All
        } else {
            let venues = sqlx::query_scalar(
                "SELECT venue_id FROM hub_manager_venues WHERE manager_id = ?1 ORDER BY venue_id",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
            Grant::Venues(venues)
        };
        Ok(Some(Manager {
            id,
            org_id: row.try_get("org_id")?,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            grant,
        }))
    }

    async fn push(&self, venue: Uuid, changes: &[IncomingRow]) -> Result<Vec<RowOutcome>> {
        batch::check_batch(changes)?;
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let now_ms = to_ms(Utc::now());
        let candidates = batch::first_occurrences(changes);
        let count = i64::try_from(candidates.len()).map_err(|_| HubStoreError::Invalid {
            what: "too many changes".into(),
        })?;
        // The write lock first: this push's seqs follow every committed one.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let first_seq: i64 = sqlx::query_scalar(
            "UPDATE hub_venues SET next_seq = next_seq + ?2 WHERE id = ?1 RETURNING next_seq - ?2",
        )
        .bind(venue)
        .bind(count)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| HubStoreError::NotFound {
            what: format!("venue {venue}"),
        })?;
        let inserted = Self::insert_changes(&mut tx, venue, first_seq, &candidates, now_ms).await?;
        let stored: Vec<&IncomingRow> = candidates
            .into_iter()
            .filter(|change| inserted.contains(&change.change_id))
            .collect();
        let heads = Self::load_heads(&mut tx, venue, &batch::touched_rows(&stored)).await?;
        let classified = batch::classify(changes, &inserted, heads);
        Self::save_heads(&mut tx, venue, &classified.new_heads).await?;
        Self::save_conflicts(&mut tx, venue, &classified.conflicts, now_ms).await?;
        tx.commit().await?;
        if !inserted.is_empty() {
            self.announcer.announce(Announcement::Changed {
                venue,
                seq: first_seq + count - 1,
            });
        }
        Ok(classified.outcomes)
    }

    async fn pull(
        &self,
        venue: Uuid,
        exclude_node: Option<Uuid>,
        after_seq: i64,
        limit: u32,
        only_down: bool,
    ) -> Result<PulledPage> {
        let mut scan = PageScan::new(after_seq, limit);
        while let Some(window) = scan.next_window() {
            let rows = sqlx::query(
                "SELECT seq, CASE WHEN node_id = ?3 OR (?4 AND down = 0) THEN NULL ELSE body END \
                 AS body FROM hub_changes WHERE venue_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?5",
            )
            .bind(venue)
            .bind(scan.cursor())
            .bind(exclude_node)
            .bind(only_down)
            .bind(window)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|row| {
                Ok(ScannedRow {
                    seq: row.try_get("seq")?,
                    body: row.try_get("body")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
            scan.feed(rows, window)?;
        }
        Ok(scan.into_page())
    }

    async fn conflicts(&self, venue: Uuid, limit: u32) -> Result<Vec<StoredConflict>> {
        let rows = sqlx::query(
            "SELECT c.change_id, c.entity, c.entity_id, c.hlc, c.node_id, c.head_hlc, \
             c.head_node_id, l.body FROM hub_conflicts c JOIN hub_changes l \
             ON l.venue_id = c.venue_id AND l.change_id = c.change_id \
             WHERE c.venue_id = ?1 ORDER BY l.seq LIMIT ?2",
        )
        .bind(venue)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let body: String = row.try_get("body")?;
                Ok(StoredConflict {
                    change_id: row.try_get("change_id")?,
                    entity: row.try_get("entity")?,
                    entity_id: row.try_get("entity_id")?,
                    hlc: row.try_get("hlc")?,
                    node: row.try_get("node_id")?,
                    head_hlc: row.try_get("head_hlc")?,
                    head_node: row.try_get("head_node_id")?,
                    body: serde_json::from_str(&body).map_err(|error| {
                        HubStoreError::Unavailable(format!("a stored change is not JSON: {error}"))
                    })?,
                })
            })
            .collect()
    }

    async fn venue_stats(&self, venue: Uuid) -> Result<VenueStats> {
        let row = sqlx::query(
            // The newest by seq, so the index answers it (received times follow seq).
            "SELECT count(*) AS changes, (SELECT received_at FROM hub_changes WHERE venue_id = ?1 \
             ORDER BY seq DESC LIMIT 1) AS newest FROM hub_changes WHERE venue_id = ?1",
        )
        .bind(venue)
        .fetch_one(&self.pool)
        .await?;
        Ok(VenueStats {
            changes: row.try_get("changes")?,
            newest_received_at: from_ms_opt(row.try_get("newest")?)?,
        })
    }

    async fn newest_changes(&self) -> Result<Vec<(Uuid, DateTime<Utc>)>> {
        let rows = sqlx::query(super::NEWEST_CHANGES)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(newest) = from_ms_opt(row.try_get("newest")?)? {
                out.push((row.try_get("venue")?, newest));
            }
        }
        Ok(out)
    }

    async fn ready(&self) -> Result<()> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?;
        super::check_migrations(&MIGRATOR, &applied)
    }

    async fn announcements(&self) -> Result<Announcements> {
        Ok(self.announcer.subscribe())
    }
}
