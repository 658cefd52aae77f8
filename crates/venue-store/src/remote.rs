//! Applying changes that came from a sync peer: exactly once, last writer wins by (hlc, node),
//! never captured again. Every change gets its own outcome: applied, duplicate, conflict (the
//! loser kept in `sync_conflicts`, whichever side lost) or rejected (parked in `sync_parked`
//! with its reason, never blocking the changes after it).

use crate::record::{with_record_type, Record, WriteContext};
use crate::summaries::SalesDeltas;
use crate::write::{now_text, Stamped, Upsert, UpsertRule};
use crate::{Result, Store, StoreError};
use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::Serialize;
use uuid::Uuid;
use venue_domain::sync::{policy, ChangeOutcome, IncomingChange, Outcome};
use venue_domain::*;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ApplySummary {
    pub applied: u64,
    /// Already applied earlier (same change id): skipped, so redelivery is harmless.
    pub duplicates: u64,
    /// Older than the local row: recorded as conflicts.
    pub conflicts: u64,
    /// Not applied: parked with their reasons.
    pub rejected: u64,
}

impl ApplySummary {
    pub fn count(outcomes: &[Outcome]) -> Self {
        let mut s = ApplySummary::default();
        for o in outcomes {
            match o.outcome {
                ChangeOutcome::Applied => s.applied += 1,
                ChangeOutcome::Duplicate => s.duplicates += 1,
                ChangeOutcome::Conflict => s.conflicts += 1,
                ChangeOutcome::Rejected { .. } => s.rejected += 1,
            }
        }
        s
    }
}

/// Where a pulled page came from: saved in the same transaction as the page, so a crash never
/// re-pulls a page already applied nor skips one that was not.
#[derive(Debug, Clone, Copy)]
pub struct PullCursor<'a> {
    pub peer: &'a str,
    pub cursor: &'a str,
}

/// A change that could not be applied, with why; parked by the caller.
struct Rejection(String);

/// The state and stamp of the row a change names, as stored here.
struct LocalRow {
    hlc: i64,
    node: String,
    json: Option<serde_json::Value>,
}

/// What the store knows while applying one batch.
struct Applying<'a> {
    node: NodeId,
    /// This node's changes up to this stamp are on the hub; later ones are pending here.
    acked_hlc: i64,
    venues: &'a mut Vec<Venue>,
    now: &'a str,
    /// Restoring this console's venue from the hub: up-only kinds (fetch runs, audit lines)
    /// are taken too, since they were the venue's own before its store was lost.
    restoring: bool,
    /// New sales' daily sums, added once per page (as local ingestion does) instead of a
    /// statement per sale; `deferred` names those sales, whose sums must be written before a
    /// later change of the same page updates or deletes them (the triggers subtract them).
    sales: SalesDeltas,
    deferred: std::collections::HashSet<Uuid>,
    /// Whether any tombstone or parked incoming change may exist: when none do (a restore, most
    /// pages), the lookups a change would make for them are skipped.
    tombstones: bool,
    parked: bool,
}

/// The query of [`local_row`] for each table, built once per process (it runs once a change).
fn local_row_sql<R: Record>() -> std::sync::Arc<str> {
    type ByTable = std::collections::HashMap<&'static str, std::sync::Arc<str>>;
    static CACHE: std::sync::OnceLock<std::sync::Mutex<ByTable>> = std::sync::OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .entry(R::TABLE)
        .or_insert_with(|| {
            format!(
                "SELECT {}, hlc, node_id FROM {} WHERE id = ?1",
                R::COLUMNS.join(", "),
                R::TABLE
            )
            .into()
        })
        .clone()
}

fn local_row<R: Record>(tx: &rusqlite::Connection, id: Uuid) -> Result<Option<LocalRow>> {
    let sql = local_row_sql::<R>();
    let n = R::COLUMNS.len();
    let found = tx
        .prepare_cached(&sql)?
        .query_row([id.to_string()], |row| {
            Ok((
                R::from_row(row)?,
                row.get::<_, i64>(n)?,
                row.get::<_, String>(n + 1)?,
            ))
        })
        .optional()?;
    found
        .map(|(record, hlc, node)| {
            Ok(LocalRow {
                hlc,
                node,
                json: Some(serde_json::to_value(&record)?),
            })
        })
        .transpose()
}

fn tombstone(tx: &rusqlite::Connection, change: &ChangeRecord) -> Result<Option<(i64, String)>> {
    Ok(tx
        .prepare_cached(
            "SELECT hlc, node_id FROM sync_tombstones WHERE entity = ?1 AND entity_id = ?2",
        )?
        .query_row(
            [change.entity.as_str(), &change.entity_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

fn newer(change: &ChangeRecord, hlc: i64, node: &str) -> bool {
    (change.hlc.as_i64(), change.node.to_string().as_str()) > (hlc, node)
}

/// The outcome of one upsert or delete, before bookkeeping.
enum Done {
    Applied { replaced_pending: Option<LocalRow> },
    Lost { local_hlc: i64, local_node: String },
}

fn apply_upsert<R: Record>(
    tx: &rusqlite::Connection,
    ctx: &mut Applying,
    change: &ChangeRecord,
) -> Result<std::result::Result<Done, Rejection>> {
    // Read from the payload in place: a page of 5,000 is not cloned change by change.
    let mut record: R = match R::deserialize(&change.payload) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Err(Rejection(format!(
                "its payload is not a valid {}: {e}",
                change.entity
            ))))
        }
    };
    if record.id() != change.entity_id || record.venue_id() != change.venue_id {
        return Ok(Err(Rejection(
            "its payload's id or venue is not the change's".into(),
        )));
    }
    if let Some(expected) = record.natural_id() {
        if expected != record.id() {
            return Ok(Err(Rejection(format!(
                "{} {} should have the id {expected}, derived from what it is",
                change.entity, change.entity_id
            ))));
        }
    }
    if let Err(e) = record.validate() {
        return Ok(Err(Rejection(e.to_string())));
    }
    let mut deleted_here = None;
    let buried = if ctx.tombstones {
        tombstone(tx, change)?
    } else {
        None
    };
    if let Some((hlc, node)) = buried {
        if !newer(change, hlc, &node) {
            return Ok(Ok(Done::Lost {
                local_hlc: hlc,
                local_node: node,
            }));
        }
        tx.execute(
            "DELETE FROM sync_tombstones WHERE entity = ?1 AND entity_id = ?2",
            [change.entity.as_str(), &change.entity_id.to_string()],
        )?;
        // The row was deleted here; that delete loses to this newer write.
        deleted_here = Some(LocalRow {
            hlc,
            node,
            json: None,
        });
    }
    let local = local_row::<R>(tx, change.entity_id)?;
    if let (Some(row), Some(local_json)) = (&local, local.as_ref().and_then(|l| l.json.as_ref())) {
        if !newer(change, row.hlc, &row.node) {
            return Ok(Ok(Done::Lost {
                local_hlc: row.hlc,
                local_node: row.node.clone(),
            }));
        }
        // Fields the sender withheld (a guest's contacts) keep their value here.
        if let Ok(here) = serde_json::from_value::<R>(local_json.clone()) {
            record.keep_withheld(&here, &change.payload);
        }
    }
    let venue = if R::NEEDS_VENUE {
        match ctx.venues.iter().find(|v| v.id == change.venue_id) {
            Some(v) => Some(v.clone()),
            None => {
                return Ok(Err(Rejection(format!(
                    "its venue {} is not here (yet)",
                    change.venue_id
                ))))
            }
        }
    } else {
        None
    };
    let write_ctx = WriteContext {
        venue: venue.as_ref(),
    };
    let stamp = Stamped {
        snapshot_id: None,
        origin: Origin::Sync,
        hlc: change.hlc.as_i64(),
        node: change.node.0,
        now: ctx.now,
    };
    let written =
        match Upsert::prepare::<R>(tx, UpsertRule::WhenNewer)?.run(&write_ctx, &record, &stamp) {
            Ok(w) => w,
            Err(StoreError::Sqlite(e)) if is_constraint(&e) => {
                return Ok(Err(Rejection(format!(
                    "it breaks a rule of the store here: {e}"
                ))))
            }
            Err(e) => return Err(e),
        };
    if written.is_none() {
        // The natural key is held by a row with another id (written before ids were derived).
        return Ok(Err(Rejection(format!(
            "another {} holds its natural key here",
            change.entity
        ))));
    }
    // A new sale adds to its day (with the page); changes to existing ones go through triggers.
    if local.is_none() {
        if let Some(line) = record.sales_line(&write_ctx) {
            ctx.sales.add(&line);
            ctx.deferred.insert(change.entity_id);
        }
    }
    if let Some(Ok(v)) = (R::KIND == EntityKind::Venue)
        .then(|| serde_json::from_value::<Venue>(change.payload.clone()))
    {
        ctx.venues.retain(|known| known.id != v.id);
        ctx.venues.push(v);
    }
    let replaced_pending = local
        .or(deleted_here)
        .filter(|row| row.node == ctx.node.to_string() && row.hlc > ctx.acked_hlc);
    Ok(Ok(Done::Applied { replaced_pending }))
}

fn apply_delete<R: Record>(
    tx: &rusqlite::Connection,
    ctx: &mut Applying,
    change: &ChangeRecord,
) -> Result<std::result::Result<Done, Rejection>> {
    if let Some((hlc, node)) = tombstone(tx, change)? {
        if !newer(change, hlc, &node) {
            return Ok(Ok(Done::Lost {
                local_hlc: hlc,
                local_node: node,
            }));
        }
    }
    let local = local_row::<R>(tx, change.entity_id)?;
    if let Some(row) = &local {
        if !newer(change, row.hlc, &row.node) {
            return Ok(Ok(Done::Lost {
                local_hlc: row.hlc,
                local_node: row.node.clone(),
            }));
        }
        let deleted = tx.execute(
            &format!("DELETE FROM {} WHERE id = ?1", R::TABLE),
            [change.entity_id.to_string()],
        );
        match deleted {
            Ok(_) => {}
            Err(e) if is_constraint(&e) => {
                return Ok(Err(Rejection(format!("rows here still refer to it: {e}"))))
            }
            Err(e) => return Err(e.into()),
        }
    }
    ctx.tombstones = true;
    tx.execute(
        "INSERT INTO sync_tombstones (entity, entity_id, hlc, node_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (entity, entity_id) DO UPDATE SET hlc = excluded.hlc, node_id = excluded.node_id",
        rusqlite::params![
            change.entity.as_str(),
            change.entity_id.to_string(),
            change.hlc.as_i64(),
            change.node.to_string()
        ],
    )?;
    let replaced_pending =
        local.filter(|row| row.node == ctx.node.to_string() && row.hlc > ctx.acked_hlc);
    Ok(Ok(Done::Applied { replaced_pending }))
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ConstraintViolation)
    )
}

fn park(
    tx: &rusqlite::Connection,
    change_id: Uuid,
    entity: Option<&str>,
    entity_id: Option<Uuid>,
    body: &serde_json::Value,
    reason: &str,
    now: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_parked (change_id, direction, entity, entity_id, body, reason, parked_at)
         VALUES (?1, 'in', ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (change_id, direction) DO UPDATE SET reason = excluded.reason, parked_at = excluded.parked_at",
        rusqlite::params![
            change_id.to_string(),
            entity,
            entity_id.map(|id| id.to_string()),
            serde_json::to_string(body)?,
            reason,
            now
        ],
    )?;
    Ok(())
}

fn record_conflict(
    tx: &rusqlite::Connection,
    change: &ChangeRecord,
    loser: &str,
    local: (i64, &str, Option<&serde_json::Value>),
    now: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_conflicts (id, change_id, entity, entity_id, remote, remote_hlc, remote_node,
                                     local_hlc, local_node, detected_at, loser, local)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        rusqlite::params![
            new_id().to_string(),
            change.change_id.to_string(),
            change.entity.as_str(),
            change.entity_id.to_string(),
            serde_json::to_string(&change.payload)?,
            change.hlc.as_i64(),
            change.node.to_string(),
            local.0,
            local.1,
            now,
            loser,
            local.2.map(serde_json::to_string).transpose()?,
        ],
    )?;
    Ok(())
}

/// Applies one change inside `tx` (under its own savepoint, so a rejected change leaves nothing).
fn apply_one(
    tx: &mut rusqlite::Transaction,
    clock: &mut HlcClock,
    ctx: &mut Applying,
    change: &ChangeRecord,
) -> Result<ChangeOutcome> {
    let seen: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM applied_changes WHERE change_id = ?1")?
        .query_row([change.change_id.to_string()], |r| r.get(0))
        .optional()?;
    if seen.is_some() {
        return Ok(ChangeOutcome::Duplicate);
    }
    let now = ctx.now;
    let reject = |tx: &rusqlite::Transaction, reason: String| -> Result<ChangeOutcome> {
        park(
            tx,
            change.change_id,
            Some(change.entity.as_str()),
            Some(change.entity_id),
            &serde_json::to_value(change)?,
            &reason,
            now,
        )?;
        Ok(ChangeOutcome::Rejected { reason })
    };
    if !policy(change.entity).down && !ctx.restoring {
        let reason = format!(
            "{} rows stay with the console that wrote them: {}",
            change.entity,
            policy(change.entity).why
        );
        return reject(tx, reason);
    }
    if change.node == ctx.node {
        // Our own change coming back from the hub: the row here is already at least as new.
        mark_applied(tx, change, ctx.now, ctx.parked)?;
        return Ok(ChangeOutcome::Duplicate);
    }
    if let Err(e) = clock.observe(change.hlc, clock.wall_ms()) {
        return reject(tx, e.to_string());
    }
    if change.entity == EntityKind::Transaction && ctx.deferred.contains(&change.entity_id) {
        // Its sums go in before its triggers take them out again.
        ctx.sales.flush(tx)?;
        ctx.deferred.clear();
    }
    let sp = tx.savepoint()?;
    let done = match change.op {
        ChangeOp::Upsert => {
            with_record_type!(change.entity, R => apply_upsert::<R>(&sp, ctx, change)?)
        }
        ChangeOp::Delete => {
            with_record_type!(change.entity, R => apply_delete::<R>(&sp, ctx, change)?)
        }
    };
    let outcome = match done {
        Err(Rejection(reason)) => {
            drop(sp); // rolls the change's writes back
            return reject(tx, reason);
        }
        Ok(Done::Lost {
            local_hlc,
            local_node,
        }) => {
            record_conflict(
                &sp,
                change,
                "remote",
                (local_hlc, &local_node, None),
                ctx.now,
            )?;
            ChangeOutcome::Conflict
        }
        Ok(Done::Applied { replaced_pending }) => {
            if let Some(row) = replaced_pending {
                // This console's edit, not yet on the hub, lost to a newer one: kept.
                record_conflict(
                    &sp,
                    change,
                    "local",
                    (row.hlc, &row.node, row.json.as_ref()),
                    ctx.now,
                )?;
            }
            ChangeOutcome::Applied
        }
    };
    sp.commit()?;
    mark_applied(tx, change, ctx.now, ctx.parked)?;
    Ok(outcome)
}

fn mark_applied(
    tx: &rusqlite::Transaction,
    change: &ChangeRecord,
    now: &str,
    parked: bool,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO applied_changes (change_id, applied_at) VALUES (?1, ?2)")?
        .execute(rusqlite::params![change.change_id.to_string(), now])?;
    if parked {
        // A change applied at last is no longer parked.
        tx.prepare_cached("DELETE FROM sync_parked WHERE change_id = ?1 AND direction = 'in'")?
            .execute([change.change_id.to_string()])?;
    }
    Ok(())
}

impl Store {
    /// Applies a batch of changes from a peer in one transaction; see [`Store::apply_incoming`].
    pub fn apply_remote(&mut self, changes: &[ChangeRecord]) -> Result<ApplySummary> {
        let incoming: Vec<IncomingChange> =
            changes.iter().cloned().map(IncomingChange::Known).collect();
        let outcomes = self.apply_incoming(&incoming, None)?;
        Ok(ApplySummary::count(&outcomes))
    }

    /// Applies one page of changes from `cursor.peer` in one transaction, with the page's
    /// cursor saved in the same transaction. Each change gets its own outcome; a rejected one
    /// is parked with its reason and the rest go on. Changes parked earlier are tried again
    /// after the page (a row whose venue or parent arrived in this page can now be applied).
    /// Only a failure of the store itself (busy, full, damaged) fails the page, leaving the
    /// store and the cursor as they were.
    pub fn apply_incoming(
        &mut self,
        changes: &[IncomingChange],
        cursor: Option<PullCursor>,
    ) -> Result<Vec<Outcome>> {
        self.apply_page(changes, cursor, false)
    }

    /// Like [`Store::apply_incoming`], for a page of a restore from the hub (`scope=restore`):
    /// the kinds that only go up (fetch runs, audit lines) are applied too instead of parked.
    pub fn apply_restored(
        &mut self,
        changes: &[IncomingChange],
        cursor: PullCursor,
    ) -> Result<Vec<Outcome>> {
        self.apply_page(changes, Some(cursor), true)
    }

    fn apply_page(
        &mut self,
        changes: &[IncomingChange],
        cursor: Option<PullCursor>,
        restoring: bool,
    ) -> Result<Vec<Outcome>> {
        self.repair_clock_if_ahead()?;
        let mut venues: Vec<Venue> = Vec::new();
        let wanted: Vec<Uuid> = changes
            .iter()
            .filter_map(|c| match c {
                IncomingChange::Known(c) => Some(c.venue_id),
                IncomingChange::Unknown { .. } => None,
            })
            .chain(self.parked_venues()?)
            .collect();
        for id in wanted {
            if !venues.iter().any(|v| v.id == id) {
                if let Some(v) = self.get::<Venue>(id)? {
                    venues.push(v);
                }
            }
        }
        let node = self.node;
        let Store { conn, clock, .. } = self;
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        crate::write::catch_up_clock(&tx, clock)?;
        let acked_hlc: i64 = tx.query_row(
            "SELECT coalesce(max(acked_hlc), 0) FROM sync_peers",
            [],
            |r| r.get(0),
        )?;
        let now = now_text();
        let mut ctx = Applying {
            node,
            acked_hlc,
            venues: &mut venues,
            now: &now,
            restoring,
            sales: SalesDeltas::default(),
            deferred: Default::default(),
            tombstones: tx.query_row("SELECT EXISTS (SELECT 1 FROM sync_tombstones)", [], |r| {
                r.get(0)
            })?,
            parked: tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM sync_parked WHERE direction = 'in')",
                [],
                |r| r.get(0),
            )?,
        };
        let mut outcomes = Vec::with_capacity(changes.len());
        let mut topics: Vec<&'static str> = Vec::new();
        for incoming in changes {
            match incoming {
                IncomingChange::Known(change) => {
                    let outcome = apply_one(&mut tx, clock, &mut ctx, change)?;
                    if matches!(outcome, ChangeOutcome::Rejected { .. }) {
                        ctx.parked = true;
                    }
                    if outcome == ChangeOutcome::Applied {
                        topics.push(change.entity.as_str());
                    }
                    outcomes.push(Outcome {
                        change_id: change.change_id,
                        outcome,
                    });
                }
                IncomingChange::Unknown {
                    change_id,
                    entity,
                    body,
                    reason,
                } => {
                    // Without an id it cannot be parked under one: a fresh id keeps it on record.
                    let id = change_id.unwrap_or_else(new_id);
                    park(&tx, id, entity.as_deref(), None, body, reason, &now)?;
                    ctx.parked = true;
                    outcomes.push(Outcome {
                        change_id: id,
                        outcome: ChangeOutcome::Rejected {
                            reason: reason.clone(),
                        },
                    });
                }
            }
        }
        if !topics.is_empty() {
            retry_parked(&mut tx, clock, &mut ctx, &mut topics)?;
        }
        ctx.sales.flush(&tx)?;
        if let Some(c) = cursor {
            tx.execute(
                "INSERT INTO sync_peers (peer, pull_cursor, last_synced_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer) DO UPDATE SET pull_cursor = excluded.pull_cursor,
                                                 last_synced_at = excluded.last_synced_at",
                rusqlite::params![c.peer, c.cursor, now],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('hlc_observed', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [clock.last().as_i64().to_string()],
        )?;
        tx.commit()?;
        if !topics.is_empty() {
            topics.sort_unstable();
            topics.dedup();
            // A venue changed by a peer is re-read by the next write.
            self.notify(&topics);
        }
        Ok(outcomes)
    }

    fn parked_venues(&self) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT json_extract(body, '$.venue_id') FROM sync_parked WHERE direction = 'in'",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, Option<String>>(0))?;
        let mut out = Vec::new();
        for row in rows {
            if let Some(id) = row?.and_then(|t| Uuid::parse_str(&t).ok()) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// The pull cursor saved with the last page applied from `peer`.
    pub fn pull_cursor(&self, peer: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT pull_cursor FROM sync_peers WHERE peer = ?1",
                [peer],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }
}

/// Tries the parked incoming changes again, oldest first, until a pass applies none: a change
/// parked because its parent or venue had not arrived goes in once they have.
fn retry_parked(
    tx: &mut rusqlite::Transaction,
    clock: &mut HlcClock,
    ctx: &mut Applying,
    topics: &mut Vec<&'static str>,
) -> Result<()> {
    loop {
        let parked: Vec<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT body FROM sync_parked WHERE direction = 'in' ORDER BY parked_at, change_id",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut progress = false;
        for body in parked {
            let Ok(change) = serde_json::from_str::<ChangeRecord>(&body) else {
                continue; // still unknown to this build
            };
            if let Ok(venue) = serde_json::from_value::<Venue>(change.payload.clone()) {
                if change.entity == EntityKind::Venue
                    && !ctx.venues.iter().any(|v| v.id == venue.id)
                {
                    ctx.venues.push(venue);
                }
            }
            if let Some(v) = venue_of(tx, change.venue_id)? {
                if !ctx.venues.iter().any(|known| known.id == v.id) {
                    ctx.venues.push(v);
                }
            }
            if let ChangeOutcome::Applied | ChangeOutcome::Conflict =
                apply_one(tx, clock, ctx, &change)?
            {
                progress = true;
                topics.push(change.entity.as_str());
            }
        }
        if !progress {
            return Ok(());
        }
    }
}

fn venue_of(tx: &rusqlite::Transaction, id: Uuid) -> Result<Option<Venue>> {
    let sql = format!(
        "SELECT {} FROM venues WHERE id = ?1",
        Venue::COLUMNS.join(", ")
    );
    Ok(tx
        .query_row(&sql, [id.to_string()], Venue::from_row)
        .optional()?)
}
