//! Applying changes that came from a sync peer: exactly once, last writer wins by (hlc, node),
//! never captured again, and a losing change kept in `sync_conflicts` rather than dropped.

use crate::record::{with_record_type, Record, WriteContext};
use crate::summaries::SalesDeltas;
use crate::write::{now_text, Stamped, Upsert, UpsertRule};
use crate::{Result, Store, StoreError};
use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::Serialize;
use venue_domain::*;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ApplySummary {
    pub applied: u64,
    /// Already applied earlier (same change id): skipped, so redelivery is harmless.
    pub duplicates: u64,
    /// Older than the local row: recorded as conflicts.
    pub conflicts: u64,
}

enum Outcome {
    Applied,
    Lost { local_hlc: i64, local_node: String },
}

fn apply_upsert<R: Record>(
    tx: &rusqlite::Transaction,
    venue: Option<&Venue>,
    change: &ChangeRecord,
    now: &str,
) -> Result<Outcome> {
    let record: R = serde_json::from_value(change.payload.clone()).map_err(|e| {
        StoreError::Invalid(format!(
            "change {}: payload is not a valid {}: {e}",
            change.change_id, change.entity
        ))
    })?;
    if record.id() != change.entity_id || record.venue_id() != change.venue_id {
        return Err(StoreError::Invalid(format!(
            "change {}: payload id or venue does not match the change",
            change.change_id
        )));
    }
    record.validate()?;
    let ctx = WriteContext { venue };
    // A new sale adds to its day here; changes to existing ones are handled by triggers.
    let new_sale = match record.sales_line(&ctx) {
        Some(line) => {
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM transactions WHERE venue_id = ?1 AND source = ?2 AND external_id = ?3",
                    rusqlite::params![line.venue_id.to_string(), line.source, line.external_id],
                    |r| r.get(0),
                )
                .optional()?;
            exists.is_none().then_some(line)
        }
        None => None,
    };
    let stamp = Stamped {
        snapshot_id: None,
        origin: Origin::Sync,
        hlc: change.hlc.as_i64(),
        node: change.node.0,
        now,
    };
    let applied = Upsert::prepare::<R>(tx, UpsertRule::WhenNewer)?.run(&ctx, &record, &stamp)?;
    if applied.is_some() {
        if let Some(line) = new_sale {
            let mut sales = SalesDeltas::default();
            sales.add(&line);
            sales.flush(tx)?;
        }
        return Ok(Outcome::Applied);
    }
    // The row that won: the same id, or (ids minted on two nodes) the same natural key.
    let by_id: Option<(i64, String)> = tx
        .query_row(
            &format!("SELECT hlc, node_id FROM {} WHERE id = ?1", R::TABLE),
            [change.entity_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let local = match by_id {
        Some(found) => found,
        None => tx
            .query_row(
                &format!(
                    "SELECT hlc, node_id FROM {} WHERE {}",
                    R::TABLE,
                    R::CONFLICT
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("{c} = ?{}", i + 1))
                        .collect::<Vec<_>>()
                        .join(" AND ")
                ),
                rusqlite::params_from_iter(conflict_values(&change.payload, R::CONFLICT)?),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, String::new())),
    };
    Ok(Outcome::Lost {
        local_hlc: local.0,
        local_node: local.1,
    })
}

/// The natural-key values of a payload, as text, for finding the local row.
fn conflict_values(payload: &serde_json::Value, columns: &[&str]) -> Result<Vec<String>> {
    columns
        .iter()
        .map(|c| match payload.get(*c) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(other) => Ok(other.to_string()),
            None => Err(StoreError::Invalid(format!("payload has no {c}"))),
        })
        .collect()
}

impl Store {
    /// Applies a batch of changes from a peer in one transaction. A malformed change or a peer
    /// clock far in the future fails the whole batch, leaving the store as it was.
    pub fn apply_remote(&mut self, changes: &[ChangeRecord]) -> Result<ApplySummary> {
        let mut venues = Vec::new();
        for change in changes {
            if change.entity == EntityKind::Transaction
                && !venues.iter().any(|v: &Venue| v.id == change.venue_id)
            {
                if let Some(v) = self.get::<Venue>(change.venue_id)? {
                    venues.push(v);
                }
            }
        }
        let Store { conn, clock, .. } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        crate::write::catch_up_clock(&tx, clock)?;
        let now = now_text();
        let mut summary = ApplySummary::default();
        for change in changes {
            let seen: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM applied_changes WHERE change_id = ?1",
                    [change.change_id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if seen.is_some() {
                summary.duplicates += 1;
                continue;
            }
            clock.observe(change.hlc, HlcClock::now_ms())?;
            let venue = venues.iter().find(|v| v.id == change.venue_id);
            let outcome = match change.op {
                ChangeOp::Upsert => {
                    with_record_type!(change.entity, R => apply_upsert::<R>(&tx, venue, change, &now)?)
                }
                ChangeOp::Delete => {
                    return Err(StoreError::Invalid(format!(
                        "change {}: deletes are not synced yet",
                        change.change_id
                    )))
                }
            };
            match outcome {
                Outcome::Applied => summary.applied += 1,
                Outcome::Lost {
                    local_hlc,
                    local_node,
                } => {
                    summary.conflicts += 1;
                    tx.execute(
                        "INSERT INTO sync_conflicts (id, change_id, entity, entity_id, remote, remote_hlc, remote_node,
                                                     local_hlc, local_node, detected_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        rusqlite::params![
                            new_id().to_string(),
                            change.change_id.to_string(),
                            change.entity.as_str(),
                            change.entity_id.to_string(),
                            serde_json::to_string(&change.payload)?,
                            change.hlc.as_i64(),
                            change.node.to_string(),
                            local_hlc,
                            local_node,
                            now,
                        ],
                    )?;
                }
            }
            tx.execute(
                "INSERT INTO applied_changes (change_id, applied_at) VALUES (?1, ?2)",
                rusqlite::params![change.change_id.to_string(), now],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('hlc_observed', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [clock.last().as_i64().to_string()],
        )?;
        tx.commit()?;
        if summary.applied > 0 {
            let mut topics: Vec<&'static str> = changes.iter().map(|c| c.entity.as_str()).collect();
            topics.sort_unstable();
            topics.dedup();
            self.notify(&topics);
        }
        Ok(summary)
    }
}
