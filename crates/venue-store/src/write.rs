//! The local write path: upsert on the natural key, skip rows that did not change, and append one
//! change-log row per real change, all in one transaction.

use crate::record::{get_id, Binder, Record, WriteContext};
use crate::summaries::SalesDeltas;
use crate::{Result, Store, StoreError};
use chrono::Utc;
use rusqlite::TransactionBehavior;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use uuid::Uuid;
use venue_domain::{new_id, AuditEntry, HlcClock, NodeId, Origin, Venue};

/// What a guarded save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarded {
    Written,
    /// The row was already as given: nothing written.
    Unchanged,
    /// The guard said no: nothing written.
    Refused,
}

/// What a batch did: re-ingesting the same data reports only `unchanged`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl IngestSummary {
    pub fn written(&self) -> u64 {
        self.inserted + self.updated
    }
}

/// The bookkeeping columns every synced table ends with, in bind order.
pub(crate) const TAIL_COLUMNS: &[&str] = &[
    "snapshot_id",
    "origin",
    "hlc",
    "node_id",
    "created_at",
    "updated_at",
];

pub(crate) enum UpsertRule {
    /// Local writes: update only when a data column really differs.
    WhenChanged,
    /// Writes from a peer: update only when the peer's stamp is newer (last writer wins).
    WhenNewer,
}

/// The two statements of an upsert. Both take the same parameters in the same order (the
/// record's columns, then the bookkeeping columns), so one `bind` serves either.
///
/// Inserting with `ON CONFLICT DO NOTHING` first and updating only on a conflict is what makes
/// bulk ingestion fast: SQLite's `DO UPDATE ... WHERE` form cost 60% more per new row here.
pub(crate) struct UpsertSql {
    /// Inserts a new row; changes nothing (0 rows) when the natural key exists.
    pub insert: String,
    /// Updates the existing row when the rule allows, returning its id.
    pub update: String,
}

pub(crate) fn upsert_sql<R: Record>(rule: UpsertRule) -> UpsertSql {
    let table = R::TABLE;
    let columns: Vec<&str> = R::COLUMNS.iter().chain(TAIL_COLUMNS).copied().collect();
    let param = |column: &str| {
        columns
            .iter()
            .position(|c| *c == column)
            .map_or_else(String::new, |i| format!("?{}", i + 1))
    };
    let placeholders: Vec<String> = columns.iter().map(|c| param(c)).collect();
    let data: Vec<&str> = R::COLUMNS
        .iter()
        .copied()
        .filter(|c| *c != "id" && !R::CONFLICT.contains(c))
        .collect();
    let set: Vec<String> = data
        .iter()
        .chain(TAIL_COLUMNS.iter().filter(|c| **c != "created_at"))
        .map(|c| format!("{c} = {}", param(c)))
        .collect();
    let key: Vec<String> = R::CONFLICT
        .iter()
        .map(|c| format!("{c} = {}", param(c)))
        .collect();
    let condition = match rule {
        UpsertRule::WhenChanged => format!(
            "({}) IS NOT ({})",
            data.join(", "),
            data.iter().map(|c| param(c)).collect::<Vec<_>>().join(", ")
        ),
        UpsertRule::WhenNewer => {
            format!("({}, {}) > (hlc, node_id)", param("hlc"), param("node_id"))
        }
    };
    UpsertSql {
        insert: format!(
            "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO NOTHING",
            columns.join(", "),
            placeholders.join(", "),
            R::CONFLICT.join(", "),
        ),
        update: format!(
            "UPDATE {table} SET {} WHERE {} AND {condition} RETURNING id",
            set.join(", "),
            key.join(" AND "),
        ),
    }
}

/// Binds one record and its bookkeeping values to an upsert statement.
pub(crate) struct Stamped<'a> {
    pub snapshot_id: Option<Uuid>,
    pub origin: Origin,
    pub hlc: i64,
    pub node: Uuid,
    pub now: &'a str,
}

pub(crate) fn bind_stamped<R: Record>(
    stmt: &mut rusqlite::Statement,
    ctx: &WriteContext,
    record: &R,
    stamp: &Stamped,
) -> Result<()> {
    let mut b = Binder::new(stmt);
    record.bind(ctx, &mut b)?;
    b.opt_id(stamp.snapshot_id)?;
    b.push(stamp.origin.as_str())?;
    b.push(stamp.hlc)?;
    b.id(stamp.node)?;
    b.push(stamp.now)?;
    b.push(stamp.now)?;
    Ok(())
}

/// Both statements of an upsert, prepared once per batch.
pub(crate) struct Upsert<'t> {
    insert: rusqlite::CachedStatement<'t>,
    update: rusqlite::CachedStatement<'t>,
}

/// The upsert statements of a table under a rule, built once per process: changes pulled from a
/// peer are applied one by one, and building the text each time cost more than running it.
fn cached_upsert_sql<R: Record>(rule: UpsertRule) -> Arc<UpsertSql> {
    /// By table, and whether the rule is `WhenNewer`.
    type ByTable = HashMap<(&'static str, bool), Arc<UpsertSql>>;
    static CACHE: OnceLock<Mutex<ByTable>> = OnceLock::new();
    let key = (R::TABLE, matches!(rule, UpsertRule::WhenNewer));
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    cache
        .entry(key)
        .or_insert_with(|| Arc::new(upsert_sql::<R>(rule)))
        .clone()
}

impl<'t> Upsert<'t> {
    pub fn prepare<R: Record>(tx: &'t rusqlite::Connection, rule: UpsertRule) -> Result<Self> {
        let sql = cached_upsert_sql::<R>(rule);
        Ok(Upsert {
            insert: tx.prepare_cached(&sql.insert)?,
            update: tx.prepare_cached(&sql.update)?,
        })
    }

    /// `Some((id, inserted))` for the row written (our id when inserted, the existing one when
    /// updated), or `None` when the rule left the existing row as it was.
    pub fn run<R: Record>(
        &mut self,
        ctx: &WriteContext,
        record: &R,
        stamp: &Stamped,
    ) -> Result<Option<(Uuid, bool)>> {
        bind_stamped(&mut self.insert, ctx, record, stamp)?;
        if self.insert.raw_execute()? == 1 {
            return Ok(Some((record.id(), true)));
        }
        bind_stamped(&mut self.update, ctx, record, stamp)?;
        let mut rows = self.update.raw_query();
        Ok(match rows.next()? {
            Some(row) => Some((get_id(row, 0)?, false)),
            None => None,
        })
    }
}

/// rusqlite's own text form for UTC times, so every time column compares as text consistently.
pub(crate) fn now_text() -> String {
    Utc::now().format("%F %T%.f%:z").to_string()
}

/// Change-log rows waiting to be written, flushed in multi-row inserts: one statement per
/// `CHUNK` rows instead of one per row (each AUTOINCREMENT insert also updates sqlite_sequence).
/// The rows of one buffer share an entity kind, an origin and a venue.
pub struct ChangeBuffer {
    entity: &'static str,
    origin: Origin,
    venue_id: Uuid,
    rows: Vec<(Uuid, i64)>,
}

impl ChangeBuffer {
    const CHUNK: usize = 128;

    pub const CHUNK_ROWS: usize = Self::CHUNK;

    /// The multi-row insert for `rows` changes: parameters are entity, origin, venue id, then
    /// (id, hlc) pairs.
    pub fn sql(rows: usize) -> String {
        let values: Vec<String> = (0..rows)
            .map(|i| format!("(?1, ?{}, 'upsert', ?{}, ?2, ?3)", 4 + 2 * i, 5 + 2 * i))
            .collect();
        format!(
            "INSERT INTO change_log (entity, entity_id, op, hlc, origin, venue_id) VALUES {}",
            values.join(", ")
        )
    }

    fn push(&mut self, tx: &rusqlite::Transaction, id: Uuid, hlc: i64) -> Result<()> {
        self.rows.push((id, hlc));
        if self.rows.len() == Self::CHUNK {
            self.flush(tx)?;
        }
        Ok(())
    }

    fn flush(&mut self, tx: &rusqlite::Transaction) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut stmt = tx.prepare_cached(&Self::sql(self.rows.len()))?;
        let mut b = Binder::new(&mut stmt);
        b.push(self.entity)?;
        b.push(self.origin.as_str())?;
        b.id(self.venue_id)?;
        for (id, hlc) in &self.rows {
            b.id(*id)?;
            b.push(*hlc)?;
        }
        stmt.raw_execute()?;
        self.rows.clear();
        Ok(())
    }
}

/// Writes `records` inside `tx`, capturing one change per inserted or updated row.
/// Returns the summary and the ids of the rows that changed.
/// Another connection of this process (or another process) may have written since our last
/// write; its stamps must stay below ours. One indexed read inside the write lock.
pub(crate) fn catch_up_clock(conn: &rusqlite::Connection, clock: &mut HlcClock) -> Result<()> {
    clock.catch_up(crate::load_last_hlc(conn)?);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_records<R: Record>(
    tx: &rusqlite::Transaction,
    clock: &mut HlcClock,
    node: NodeId,
    venue: Option<&Venue>,
    origin: Origin,
    snapshot_id: Option<Uuid>,
    records: &[R],
    changed_ids: &mut Vec<Uuid>,
) -> Result<IngestSummary> {
    if origin == Origin::Sync {
        return Err(StoreError::Invalid(
            "changes from sync are applied with apply_remote, never written as local changes"
                .into(),
        ));
    }
    let ctx = WriteContext { venue };
    let now = now_text();
    let mut upsert = Upsert::prepare::<R>(tx, UpsertRule::WhenChanged)?;
    let mut capture = ChangeBuffer {
        entity: R::KIND.as_str(),
        origin,
        venue_id: records.first().map_or(Uuid::nil(), Record::venue_id),
        rows: Vec::with_capacity(ChangeBuffer::CHUNK),
    };
    let mut summary = IngestSummary::default();
    let mut sales = SalesDeltas::default();
    for record in records {
        record.validate()?;
        if record.venue_id() != capture.venue_id {
            capture.flush(tx)?;
            capture.venue_id = record.venue_id();
        }
        // A thing two consoles can record gets the id it has on every console.
        let renamed;
        let record = match record.natural_id() {
            Some(id) if id != record.id() => {
                let mut fixed = record.clone();
                fixed.set_id(id);
                renamed = fixed;
                &renamed
            }
            _ => record,
        };
        if let Some(v) = venue {
            if record.venue_id() != v.id {
                return Err(StoreError::Invalid(format!(
                    "{} {} belongs to venue {}, not {}",
                    R::KIND,
                    record.id(),
                    record.venue_id(),
                    v.id
                )));
            }
        }
        let hlc = clock.tick(clock.wall_ms());
        let stamp = Stamped {
            snapshot_id,
            origin,
            hlc: hlc.as_i64(),
            node: node.0,
            now: &now,
        };
        let Some((id, inserted)) = upsert.run(&ctx, record, &stamp)? else {
            summary.unchanged += 1;
            continue;
        };
        if inserted {
            summary.inserted += 1;
            if let Some(line) = record.sales_line(&ctx) {
                sales.add(&line);
            }
        } else {
            summary.updated += 1;
        }
        capture.push(tx, id, hlc.as_i64())?;
        changed_ids.push(id);
    }
    capture.flush(tx)?;
    sales.flush(tx)?;
    Ok(summary)
}

impl Store {
    /// Writes a batch from a connector, the PMS, a sensor or a user in one transaction: either the
    /// whole batch lands with its change-log rows and summaries, or nothing does.
    pub fn ingest<R: Record>(
        &mut self,
        origin: Origin,
        snapshot_id: Option<Uuid>,
        records: &[R],
    ) -> Result<IngestSummary> {
        let mut summary = IngestSummary::default();
        if records.is_empty() {
            return Ok(summary);
        }
        // Rows of one batch usually share a venue; split where they do not.
        let mut start = 0;
        while start < records.len() {
            let venue_id = records[start].venue_id();
            let end = records[start..]
                .iter()
                .position(|r| r.venue_id() != venue_id)
                .map_or(records.len(), |offset| start + offset);
            let part = self.ingest_one_venue(origin, snapshot_id, &records[start..end])?;
            summary.inserted += part.inserted;
            summary.updated += part.updated;
            summary.unchanged += part.unchanged;
            start = end;
        }
        Ok(summary)
    }

    /// Like [`Store::ingest`], but the change listener is not told: for rows that change nothing
    /// a screen shows (a door polled with nobody through and its count as it was). The rows, their
    /// change-log entries and rollups are written exactly as by `ingest`, so sync and reports get
    /// them; only the screens are spared a re-read. The caller decides what is quiet, because only
    /// it knows what the screens last heard.
    pub fn ingest_unannounced<R: Record>(
        &mut self,
        origin: Origin,
        snapshot_id: Option<Uuid>,
        records: &[R],
    ) -> Result<IngestSummary> {
        let listener = self.listener.take();
        let result = self.ingest(origin, snapshot_id, records);
        self.listener = listener;
        result
    }

    fn ingest_one_venue<R: Record>(
        &mut self,
        origin: Origin,
        snapshot_id: Option<Uuid>,
        records: &[R],
    ) -> Result<IngestSummary> {
        self.repair_clock_if_ahead()?;
        let venue = self.venue_if_needed::<R>(records[0].venue_id())?;
        let Store {
            conn, clock, node, ..
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        catch_up_clock(&tx, clock)?;
        let mut changed = Vec::new();
        let summary = write_records(
            &tx,
            clock,
            *node,
            venue.as_ref(),
            origin,
            snapshot_id,
            records,
            &mut changed,
        )?;
        tx.commit()?;
        if summary.written() > 0 {
            self.notify(&[R::KIND.as_str()]);
        }
        Ok(summary)
    }

    /// The row's venue, for entities whose columns depend on it (venue-local business dates).
    fn venue_if_needed<R: Record>(&mut self, venue_id: Uuid) -> Result<Option<Venue>> {
        if R::NEEDS_VENUE {
            Ok(Some(self.venue_for(venue_id)?.clone()))
        } else {
            Ok(None)
        }
    }

    /// Saves one row on behalf of a person and audits it (who, what, before, after) in the same
    /// transaction. Returns false, writing nothing, when the row is already as given.
    pub fn save_by_user<R: Record>(
        &mut self,
        actor: &str,
        action: &str,
        record: &R,
    ) -> Result<bool> {
        self.save_audited(Origin::User, actor, action, record)
    }

    /// Like `save_by_user`, for a write made on someone's behalf by another part of the console
    /// (e.g. the PMS sync marking a staff member's charge as sent): audited with its own origin.
    pub fn save_audited<R: Record>(
        &mut self,
        origin: Origin,
        actor: &str,
        action: &str,
        record: &R,
    ) -> Result<bool> {
        Ok(
            self.save_guarded(origin, Some((actor, action)), record, |_| Ok(true))?
                == Guarded::Written,
        )
    }

    /// Saves one row (audited as `(actor, action)` when given) in one write transaction, only
    /// when `guard`, run first inside that transaction, says so: a compare-and-set on local
    /// bookkeeping (e.g. "this sender still holds the charge's claim").
    pub(crate) fn save_guarded<R: Record>(
        &mut self,
        origin: Origin,
        audit: Option<(&str, &str)>,
        record: &R,
        guard: impl FnOnce(&rusqlite::Connection) -> Result<bool>,
    ) -> Result<Guarded> {
        if let Some((actor, _)) = audit {
            if actor.trim().is_empty() {
                return Err(StoreError::Invalid(
                    "an audited action needs an actor".into(),
                ));
            }
        }
        self.repair_clock_if_ahead()?;
        let before = match audit {
            Some(_) => self.get::<R>(record.id())?,
            None => None,
        };
        let venue = self.venue_if_needed::<R>(record.venue_id())?;
        let Store {
            conn,
            clock,
            node,
            venues,
            ..
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if !guard(&tx)? {
            return Ok(Guarded::Refused);
        }
        catch_up_clock(&tx, clock)?;
        let mut changed = Vec::new();
        let summary = write_records(
            &tx,
            clock,
            *node,
            venue.as_ref(),
            origin,
            None,
            std::slice::from_ref(record),
            &mut changed,
        )?;
        if summary.written() == 0 {
            tx.commit()?;
            return Ok(Guarded::Unchanged);
        }
        let mut kinds = vec![R::KIND.as_str()];
        if let Some((actor, action)) = audit {
            let entry = AuditEntry {
                id: new_id(),
                venue_id: record.venue_id(),
                at: Utc::now(),
                actor: actor.to_string(),
                action: action.to_string(),
                entity: Some(R::KIND),
                entity_id: changed.first().copied(),
                before: before.map(|b| serde_json::to_value(&b)).transpose()?,
                after: Some(serde_json::to_value(record)?),
            };
            write_records(
                &tx,
                clock,
                *node,
                None,
                origin,
                None,
                &[entry],
                &mut changed,
            )?;
            kinds.push(AuditEntry::KIND.as_str());
        }
        tx.commit()?;
        // A venue edit changes how later sales map to business dates.
        venues.remove(&record.venue_id());
        self.notify(&kinds);
        Ok(Guarded::Written)
    }
}

impl Store {
    /// Deletes one synced row on behalf of `origin` and sends the delete to peers as a
    /// tombstone (the row as it was, with the delete's stamp), so the row goes everywhere and
    /// an older write arriving later does not bring it back. Local pruning (raw readings past
    /// retention) is not this: it never travels. False when there was no such row.
    pub fn delete_synced<R: Record>(&mut self, origin: Origin, id: Uuid) -> Result<bool> {
        if origin == Origin::Sync {
            return Err(StoreError::Invalid(
                "deletes from sync are applied with apply_incoming".into(),
            ));
        }
        self.repair_clock_if_ahead()?;
        let Some(row) = self.get::<R>(id)? else {
            return Ok(false);
        };
        let node = self.node;
        let Store { conn, clock, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        catch_up_clock(&tx, clock)?;
        let hlc = clock.tick(clock.wall_ms());
        let deleted = tx.execute(
            &format!("DELETE FROM {} WHERE id = ?1", R::TABLE),
            [id.to_string()],
        )?;
        if deleted == 0 {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO change_log (entity, entity_id, op, hlc, origin, tombstone, venue_id)
             VALUES (?1, ?2, 'delete', ?3, ?4, ?5, ?6)",
            rusqlite::params![
                R::KIND.as_str(),
                id.to_string(),
                hlc.as_i64(),
                origin.as_str(),
                serde_json::to_string(&row)?,
                row.venue_id().to_string()
            ],
        )?;
        tx.execute(
            "INSERT INTO sync_tombstones (entity, entity_id, hlc, node_id) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (entity, entity_id) DO UPDATE SET hlc = excluded.hlc, node_id = excluded.node_id",
            rusqlite::params![R::KIND.as_str(), id.to_string(), hlc.as_i64(), node.to_string()],
        )?;
        tx.commit()?;
        self.notify(&[R::KIND.as_str()]);
        Ok(true)
    }
}
