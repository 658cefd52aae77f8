//! [`PostgresHub`]: the backend for groups with many venues, shared by several hub processes.
//!
//! Nothing lives in the process: a venue's pushes are serialised by its `hub_venues` row (the
//! `next_seq` bump takes the row lock and holds it until commit, so seq N+1 never becomes
//! visible before N), and a batch is a handful of statements over arrays (`UNNEST`), not a
//! round trip per change.
//!
//! Row-level security is the second wall: every transaction touching a per-venue table first
//! names the venues it may see (`hub.venue_ids`), or, for the few org-wide admin operations,
//! sets `hub.admin`. The hub must connect as an ordinary role: superusers and `BYPASSRLS` roles
//! skip the policies, which [`PostgresHub::row_security_warning`] reports.

use super::announce::{Announcement, Announcer, PG_CHANNEL};
use super::batch::{self, RowKey, Stamp};
use super::paging::{PageScan, ScannedRow};
use super::{
    Announcements, Device, Grant, HubStore, HubStoreError, IncomingRow, Manager, NewVenue,
    PulledPage, Result, RowOutcome, StoredConflict, VenueRow, VenueStats,
};
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{PgConnection, Postgres, Row, Transaction};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/hub/postgres");

/// The hub's store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresHub {
    pool: PgPool,
    bypasses_row_security: bool,
    /// Started on the first subscription (admin commands never listen): one `LISTEN`
    /// connection per process, relaying every hub process's pushes to this one's subscribers.
    live: Arc<OnceCell<Announcer>>,
}

impl PostgresHub {
    /// Connect to `url` (`postgres://role@host/db`) and bring the schema up to date; several
    /// hubs may do this at once (the migrator takes an advisory lock).
    pub async fn connect(url: &str) -> Result<PostgresHub> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        let role =
            sqlx::query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                .fetch_one(&pool)
                .await?;
        let bypasses_row_security =
            role.try_get::<bool, _>("rolsuper")? || role.try_get::<bool, _>("rolbypassrls")?;
        Ok(PostgresHub {
            pool,
            bypasses_row_security,
            live: Arc::default(),
        })
    }

    /// Closes the pool's connections (before a database is dropped, say).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The role the hub connects as skips row-level security (a superuser or `BYPASSRLS`).
    pub fn bypasses_row_security(&self) -> bool {
        self.bypasses_row_security
    }

    /// What the server should log at start-up when the second wall is down.
    pub fn row_security_warning(&self) -> Option<&'static str> {
        self.bypasses_row_security.then_some(
            "the hub's PostgreSQL role is a superuser or has BYPASSRLS: row-level security \
             does not apply to it, so venue isolation rests on the hub's queries alone; \
             connect as an ordinary role",
        )
    }

    /// A transaction that may see the rows of `venues` only.
    async fn scoped(&self, venues: &[Uuid]) -> Result<Transaction<'static, Postgres>> {
        let ids = venues
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT set_config('hub.venue_ids', $1, true)")
            .bind(ids)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// A transaction for an org-wide admin operation: it sees every venue's rows.
    async fn admin(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT set_config('hub.admin', 'on', true)")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    async fn insert_changes(
        tx: &mut PgConnection,
        venue: Uuid,
        first_seq: i64,
        candidates: &[&IncomingRow],
    ) -> Result<HashSet<Uuid>> {
        let n = candidates.len();
        let mut seqs = Vec::with_capacity(n);
        let mut change_ids = Vec::with_capacity(n);
        let mut entities = Vec::with_capacity(n);
        let mut entity_ids = Vec::with_capacity(n);
        let mut nodes = Vec::with_capacity(n);
        let mut hlcs = Vec::with_capacity(n);
        let mut downs = Vec::with_capacity(n);
        let mut bodies = Vec::with_capacity(n);
        for (seq, change) in (first_seq..).zip(candidates) {
            seqs.push(seq);
            change_ids.push(change.change_id);
            entities.push(change.entity.clone());
            entity_ids.push(change.entity_id);
            nodes.push(change.node);
            hlcs.push(change.hlc);
            downs.push(change.down);
            bodies.push(batch::body_text(change)?);
        }
        let inserted: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO hub_changes (venue_id, seq, change_id, entity, entity_id, node_id, hlc, \
             down, body, received_at) \
             SELECT $1, u.seq, u.change_id, u.entity, u.entity_id, u.node_id, u.hlc, u.down, \
             u.body, now() \
             FROM UNNEST($2::bigint[], $3::uuid[], $4::text[], $5::uuid[], $6::uuid[], \
             $7::bigint[], $8::boolean[], $9::text[]) \
             AS u(seq, change_id, entity, entity_id, node_id, hlc, down, body) \
             ON CONFLICT (venue_id, change_id) DO NOTHING RETURNING change_id",
        )
        .bind(venue)
        .bind(seqs)
        .bind(change_ids)
        .bind(entities)
        .bind(entity_ids)
        .bind(nodes)
        .bind(hlcs)
        .bind(downs)
        .bind(bodies)
        .fetch_all(&mut *tx)
        .await?;
        Ok(inserted.into_iter().collect())
    }

    async fn load_heads(
        tx: &mut PgConnection,
        venue: Uuid,
        keys: &[RowKey],
    ) -> Result<HashMap<RowKey, Stamp>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let (entities, entity_ids): (Vec<String>, Vec<Uuid>) = keys.iter().cloned().unzip();
        let rows = sqlx::query(
            "SELECT h.entity, h.entity_id, h.hlc, h.node_id FROM hub_row_heads h \
             JOIN UNNEST($2::text[], $3::uuid[]) AS k(entity, entity_id) \
             ON h.entity = k.entity AND h.entity_id = k.entity_id \
             WHERE h.venue_id = $1",
        )
        .bind(venue)
        .bind(entities)
        .bind(entity_ids)
        .fetch_all(&mut *tx)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    (row.try_get("entity")?, row.try_get("entity_id")?),
                    (row.try_get("hlc")?, row.try_get("node_id")?),
                ))
            })
            .collect()
    }

    async fn save_heads(tx: &mut PgConnection, venue: Uuid, heads: &[&IncomingRow]) -> Result<()> {
        if heads.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO hub_row_heads (venue_id, entity, entity_id, hlc, node_id, change_id) \
             SELECT $1, u.entity, u.entity_id, u.hlc, u.node_id, u.change_id \
             FROM UNNEST($2::text[], $3::uuid[], $4::bigint[], $5::uuid[], $6::uuid[]) \
             AS u(entity, entity_id, hlc, node_id, change_id) \
             ON CONFLICT (venue_id, entity, entity_id) DO UPDATE SET hlc = EXCLUDED.hlc, \
             node_id = EXCLUDED.node_id, change_id = EXCLUDED.change_id",
        )
        .bind(venue)
        .bind(heads.iter().map(|c| c.entity.clone()).collect::<Vec<_>>())
        .bind(heads.iter().map(|c| c.entity_id).collect::<Vec<_>>())
        .bind(heads.iter().map(|c| c.hlc).collect::<Vec<_>>())
        .bind(heads.iter().map(|c| c.node).collect::<Vec<_>>())
        .bind(heads.iter().map(|c| c.change_id).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    async fn save_conflicts(
        tx: &mut PgConnection,
        venue: Uuid,
        conflicts: &[(&IncomingRow, Stamp)],
    ) -> Result<()> {
        if conflicts.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO hub_conflicts (venue_id, change_id, entity, entity_id, hlc, node_id, \
             head_hlc, head_node_id, recorded_at) \
             SELECT $1, u.change_id, u.entity, u.entity_id, u.hlc, u.node_id, u.head_hlc, \
             u.head_node_id, now() \
             FROM UNNEST($2::uuid[], $3::text[], $4::uuid[], $5::bigint[], $6::uuid[], \
             $7::bigint[], $8::uuid[]) \
             AS u(change_id, entity, entity_id, hlc, node_id, head_hlc, head_node_id)",
        )
        .bind(venue)
        .bind(
            conflicts
                .iter()
                .map(|(c, _)| c.change_id)
                .collect::<Vec<_>>(),
        )
        .bind(
            conflicts
                .iter()
                .map(|(c, _)| c.entity.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            conflicts
                .iter()
                .map(|(c, _)| c.entity_id)
                .collect::<Vec<_>>(),
        )
        .bind(conflicts.iter().map(|(c, _)| c.hlc).collect::<Vec<_>>())
        .bind(conflicts.iter().map(|(c, _)| c.node).collect::<Vec<_>>())
        .bind(conflicts.iter().map(|(_, head)| head.0).collect::<Vec<_>>())
        .bind(conflicts.iter().map(|(_, head)| head.1).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

/// Times are kept to the millisecond on both backends, so they compare equal across them.
fn millis(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(time)
}

const DEVICE_COLUMNS: &str = "id, venue_id, org_id, node_id, created_at, revoked_at, last_seen_at";

fn device_from_row(row: &PgRow) -> Result<Device> {
    Ok(Device {
        id: row.try_get("id")?,
        venue_id: row.try_get("venue_id")?,
        org_id: row.try_get("org_id")?,
        node_id: row.try_get("node_id")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
    })
}

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

fn not_found(what: String) -> HubStoreError {
    HubStoreError::NotFound { what }
}

impl HubStore for PostgresHub {
    async fn create_org(&self, name: &str) -> Result<Uuid> {
        batch::check_name("the org name", name)?;
        let id = Uuid::now_v7();
        sqlx::query("INSERT INTO hub_orgs (id, name, created_at) VALUES ($1, $2, now())")
            .bind(id)
            .bind(name.trim())
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
             SELECT $1, id, $3, $4, $5, $6, now() FROM hub_orgs WHERE id = $2",
        )
        .bind(id)
        .bind(org)
        .bind(venue.name.trim())
        .bind(&venue.timezone)
        .bind(&venue.currency)
        .bind(venue.capacity.map(i64::from))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(format!("org {org}")));
        }
        Ok(id)
    }

    async fn venue(&self, id: Uuid) -> Result<Option<VenueRow>> {
        let row = sqlx::query(
            "SELECT id, org_id, name, timezone, currency, capacity FROM hub_venues WHERE id = $1",
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
        let mut tx = self.scoped(&[venue]).await?;
        let done = sqlx::query(
            "INSERT INTO hub_enrollments (code_hash, venue_id, expires_at, created_at) \
             SELECT $1, id, $3, now() FROM hub_venues WHERE id = $2",
        )
        .bind(code_hash)
        .bind(venue)
        .bind(millis(expires_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, || "an enrolment code with this hash".into()))?;
        if done.rows_affected() == 0 {
            return Err(not_found(format!("venue {venue}")));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn redeem_enrollment(
        &self,
        code_hash: &str,
        node: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Device> {
        let now = millis(now);
        let mut tx = self.admin().await?;
        // FOR UPDATE: a second redeemer of the same code waits here, then sees it used.
        let code = sqlx::query(
            "SELECT e.venue_id, e.expires_at, e.used_at, v.org_id FROM hub_enrollments e \
             JOIN hub_venues v ON v.id = e.venue_id WHERE e.code_hash = $1 FOR UPDATE OF e",
        )
        .bind(code_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(HubStoreError::CodeInvalid)?;
        if code
            .try_get::<Option<DateTime<Utc>>, _>("used_at")?
            .is_some()
        {
            return Err(HubStoreError::CodeUsed);
        }
        if now >= code.try_get::<DateTime<Utc>, _>("expires_at")? {
            return Err(HubStoreError::CodeExpired);
        }
        sqlx::query("UPDATE hub_enrollments SET used_at = $2 WHERE code_hash = $1")
            .bind(code_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let device = Device {
            id: Uuid::now_v7(),
            venue_id: code.try_get("venue_id")?,
            org_id: code.try_get("org_id")?,
            node_id: node,
            created_at: now,
            revoked_at: None,
            last_seen_at: None,
        };
        sqlx::query(
            "INSERT INTO hub_devices (id, venue_id, org_id, node_id, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(device.id)
        .bind(device.venue_id)
        .bind(device.org_id)
        .bind(device.node_id)
        .bind(token_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, || "a device with this token hash".into()))?;
        tx.commit().await?;
        Ok(device)
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>> {
        let mut tx = self.admin().await?;
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM hub_devices WHERE token_hash = $1");
        let device = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(device_from_row)
            .transpose()?;
        tx.commit().await?;
        Ok(device)
    }

    async fn touch_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.admin().await?;
        let done = sqlx::query("UPDATE hub_devices SET last_seen_at = $2 WHERE id = $1")
            .bind(id)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(format!("device {id}")));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_devices(&self, org: Option<Uuid>) -> Result<Vec<Device>> {
        let mut tx = self.admin().await?;
        let sql = format!(
            "SELECT {DEVICE_COLUMNS} FROM hub_devices WHERE $1::uuid IS NULL OR org_id = $1 \
             ORDER BY created_at, id"
        );
        let devices = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(device_from_row)
            .collect::<Result<Vec<_>>>()?;
        tx.commit().await?;
        Ok(devices)
    }

    async fn revoke_device(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.admin().await?;
        let done = sqlx::query(
            "UPDATE hub_devices SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(format!("device {id}")));
        }
        tx.commit().await?;
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
        let mut tx = self.pool.begin().await?;
        let org_exists = sqlx::query("SELECT 1 FROM hub_orgs WHERE id = $1")
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !org_exists {
            return Err(not_found(format!("org {org}")));
        }
        let venues = match &grant {
            Grant::All => Vec::new(),
            Grant::Venues(venues) => venues.clone(),
        };
        let in_org: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM hub_venues WHERE id = ANY($1) AND org_id = $2 FOR SHARE",
        )
        .bind(&venues)
        .bind(org)
        .fetch_all(&mut *tx)
        .await?;
        if let Some(stranger) = venues.iter().find(|venue| !in_org.contains(venue)) {
            return Err(not_found(format!("venue {stranger} in org {org}")));
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO hub_managers (id, org_id, email, password_hash, all_venues, created_at) \
             VALUES ($1, $2, $3, $4, $5, now())",
        )
        .bind(id)
        .bind(org)
        .bind(&email)
        .bind(password_hash)
        .bind(matches!(grant, Grant::All))
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, || format!("a manager with email {email}")))?;
        sqlx::query(
            "INSERT INTO hub_manager_venues (manager_id, venue_id) \
             SELECT $1, v FROM UNNEST($2::uuid[]) AS v ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&venues)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn manager_by_email(&self, email: &str) -> Result<Option<Manager>> {
        let email = batch::normalise_email(email)?;
        let Some(row) = sqlx::query(
            "SELECT id, org_id, email, password_hash, all_venues, \
             ARRAY(SELECT venue_id FROM hub_manager_venues mv WHERE mv.manager_id = m.id \
             ORDER BY venue_id) AS venues FROM hub_managers m WHERE email = $1",
        )
        .bind(&email)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let grant = if row.try_get::<bool, _>("all_venues")? {
            Grant::All
        } else {
            Grant::Venues(row.try_get("venues")?)
        };
        Ok(Some(Manager {
            id: row.try_get("id")?,
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
        let candidates = batch::first_occurrences(changes);
        let count = i64::try_from(candidates.len()).map_err(|_| HubStoreError::Invalid {
            what: "too many changes".into(),
        })?;
        let mut tx = self.scoped(&[venue]).await?;
        // The venue's row lock, held to commit: this push's seqs follow every committed one.
        let first_seq: i64 = sqlx::query_scalar(
            "UPDATE hub_venues SET next_seq = next_seq + $2 WHERE id = $1 \
             RETURNING next_seq - $2",
        )
        .bind(venue)
        .bind(count)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found(format!("venue {venue}")))?;
        let inserted = Self::insert_changes(&mut tx, venue, first_seq, &candidates).await?;
        let stored: Vec<&IncomingRow> = candidates
            .into_iter()
            .filter(|change| inserted.contains(&change.change_id))
            .collect();
        let heads = Self::load_heads(&mut tx, venue, &batch::touched_rows(&stored)).await?;
        let classified = batch::classify(changes, &inserted, heads);
        Self::save_heads(&mut tx, venue, &classified.new_heads).await?;
        Self::save_conflicts(&mut tx, venue, &classified.conflicts).await?;
        if !inserted.is_empty() {
            // Queued with the transaction: heard by every listening hub only once it commits.
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(PG_CHANNEL)
                .bind(Announcement::to_payload(venue, first_seq + count - 1))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
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
        let mut tx = self.scoped(&[venue]).await?;
        let mut scan = PageScan::new(after_seq, limit);
        while let Some(window) = scan.next_window() {
            let rows = sqlx::query(
                "SELECT seq, CASE WHEN node_id = $3 OR ($4 AND NOT down) THEN NULL ELSE body END \
                 AS body FROM hub_changes WHERE venue_id = $1 AND seq > $2 ORDER BY seq LIMIT $5",
            )
            .bind(venue)
            .bind(scan.cursor())
            .bind(exclude_node)
            .bind(only_down)
            .bind(window)
            .fetch_all(&mut *tx)
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
        tx.commit().await?;
        Ok(scan.into_page())
    }

    async fn conflicts(&self, venue: Uuid, limit: u32) -> Result<Vec<StoredConflict>> {
        let mut tx = self.scoped(&[venue]).await?;
        let rows = sqlx::query(
            "SELECT c.change_id, c.entity, c.entity_id, c.hlc, c.node_id, c.head_hlc, \
             c.head_node_id, l.body FROM hub_conflicts c JOIN hub_changes l \
             ON l.venue_id = c.venue_id AND l.change_id = c.change_id \
             WHERE c.venue_id = $1 ORDER BY l.seq LIMIT $2",
        )
        .bind(venue)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
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
        let mut tx = self.scoped(&[venue]).await?;
        let row = sqlx::query(
            // The newest by seq, so the index answers it (received times follow seq).
            "SELECT count(*) AS changes, (SELECT received_at FROM hub_changes WHERE venue_id = $1 \
             ORDER BY seq DESC LIMIT 1) AS newest FROM hub_changes WHERE venue_id = $1",
        )
        .bind(venue)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(VenueStats {
            changes: row.try_get("changes")?,
            newest_received_at: row.try_get("newest")?,
        })
    }

    async fn newest_changes(&self) -> Result<Vec<(Uuid, DateTime<Utc>)>> {
        // Across venues: the operator's view, as listing devices is.
        let mut tx = self.admin().await?;
        let rows = sqlx::query(super::NEWEST_CHANGES)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(newest) = row.try_get::<Option<DateTime<Utc>>, _>("newest")? {
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
        let announcer = self
            .live
            .get_or_try_init(|| async {
                let mut listener = PgListener::connect_with(&self.pool).await?;
                listener.listen(PG_CHANNEL).await?;
                let announcer = Announcer::default();
                tokio::spawn(relay(listener, announcer.clone(), self.pool.clone()));
                Ok::<_, HubStoreError>(announcer)
            })
            .await?;
        Ok(announcer.subscribe())
    }
}

/// Relays what the `LISTEN` connection hears to this process's subscribers, until the pool is
/// closed. A dropped connection is re-established by the listener on the next receive; what
/// was announced meanwhile is lost, so subscribers are told to pull.
async fn relay(mut listener: PgListener, announcer: Announcer, pool: PgPool) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match Announcement::from_payload(notification.payload()) {
                Some(announcement) => announcer.announce(announcement),
                None => tracing::warn!(
                    payload = notification.payload(),
                    "an announcement this hub cannot read; ignored"
                ),
            },
            Ok(None) => {
                tracing::warn!("the live channel's database connection dropped; reconnecting");
                announcer.announce(Announcement::MaybeMissed);
            }
            Err(error) => {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(%error, "the live channel cannot listen; trying again in 1 s");
                announcer.announce(Announcement::MaybeMissed);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
