//! The outbox: what this console pushes, read from the change log.
//!
//! A change's id is derived from (node, seq) and its body is the row as that change left it.
//! The body is read from the row itself, which keeps the log small on the write path; a change
//! whose row has moved on since (written again here, or replaced by a peer's newer write) is
//! superseded and never sent: its row travels once, as its latest state, under the newer
//! change's id. So whatever is sent under an id is always the same body.

use crate::queries::StoredChange;
use crate::record::{get_id, get_parsed, with_record_type, Record};
use crate::{Result, Store, StoreError};
use rusqlite::OptionalExtension;
use uuid::Uuid;
use venue_domain::*;

/// One page of the outbox. `next_after` is the last log position looked at, which may be past
/// the last change returned (superseded changes are skipped): the next page starts after it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxPage {
    pub changes: Vec<StoredChange>,
    pub next_after: i64,
}

/// A change-log row as read for a page.
struct LogRow {
    seq: i64,
    entity: EntityKind,
    entity_id: Uuid,
    op: ChangeOp,
    hlc: i64,
    origin: Origin,
    tombstone: Option<String>,
}

/// A change parked with the reason it could not be applied (`in`) or was refused (`out`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParkedChange {
    pub direction: String,
    pub change_id: String,
    pub entity: Option<String>,
    pub reason: String,
}

/// An edit that lost to a newer one, kept: which side lost, and the row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeptConflict {
    /// `local` (this console's edit, not yet pushed) or `remote` (a peer's, older than ours).
    pub loser: String,
    pub entity: String,
    pub entity_id: String,
    pub change_id: String,
}

/// Whether a page is for a peer (what stays on the console is withheld) or for this console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    Peer,
    Local,
}

impl Store {
    /// A row's current state and stamp.
    fn row_state<R: Record>(&self, id: Uuid) -> Result<Option<(R, i64, Uuid)>> {
        let sql = format!(
            "SELECT {}, hlc, node_id FROM {} WHERE id = ?1",
            R::COLUMNS.join(", "),
            R::TABLE
        );
        let n = R::COLUMNS.len();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row([id.to_string()], |row| {
                Ok((
                    R::from_row(row)?,
                    row.get::<_, i64>(n)?,
                    get_id(row, n + 1)?,
                ))
            })
            .optional()?)
    }

    /// The body of change `seq` if it is still the row's latest state written here.
    #[allow(clippy::too_many_arguments)]
    fn current_body<R: Record>(
        &self,
        seq: i64,
        entity_id: Uuid,
        op: ChangeOp,
        hlc: i64,
        tombstone: Option<String>,
        reader: Reader,
        venue: Option<&Venue>,
    ) -> Result<Option<(Uuid, serde_json::Value)>> {
        if op == ChangeOp::Delete {
            let Some(text) = tombstone else {
                return Ok(None);
            };
            let payload: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("change {seq}: tombstone: {e}")))?;
            let venue_id = payload
                .get("venue_id")
                .and_then(|v| v.as_str())
                .and_then(|v| Uuid::parse_str(v).ok())
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("change {seq}: tombstone without venue"))
                })?;
            // A row written again after its delete carries the newer state instead.
            return Ok(match self.row_state::<R>(entity_id)? {
                Some(_) => None,
                None => Some((venue_id, payload)),
            });
        }
        let Some((record, row_hlc, row_node)) = self.row_state::<R>(entity_id)? else {
            return Ok(None); // deleted since, by a synced delete
        };
        if row_hlc != hlc || row_node != self.node.0 {
            return Ok(None); // superseded
        }
        let mut payload = serde_json::to_value(&record)?;
        if reader == Reader::Peer {
            R::withhold(&mut payload, venue);
        }
        Ok(Some((record.venue_id(), payload)))
    }

    fn log_page(&self, after_seq: i64, limit: u32, reader: Reader) -> Result<OutboxPage> {
        let venue = self.venue()?;
        let mut changes = Vec::new();
        let mut next_after = after_seq;
        // Keep reading until the page has a change or the log ends: a page of superseded
        // changes alone must not look like the end.
        loop {
            let rows: Vec<LogRow> = {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT seq, entity, entity_id, op, hlc, origin, tombstone FROM change_log
                     WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )?;
                let rows = stmt.query_map(rusqlite::params![next_after, limit], |row| {
                    Ok(LogRow {
                        seq: row.get(0)?,
                        entity: get_parsed(row, 1)?,
                        entity_id: get_id(row, 2)?,
                        op: get_parsed(row, 3)?,
                        hlc: row.get(4)?,
                        origin: get_parsed(row, 5)?,
                        tombstone: row.get(6)?,
                    })
                })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let exhausted = rows.len() < limit as usize;
            for LogRow {
                seq,
                entity,
                entity_id,
                op,
                hlc,
                origin,
                tombstone,
            } in rows
            {
                next_after = seq;
                let body = with_record_type!(entity, R => self.current_body::<R>(
                    seq, entity_id, op, hlc, tombstone, reader, venue.as_ref())?);
                let Some((venue_id, payload)) = body else {
                    continue;
                };
                changes.push(StoredChange {
                    seq,
                    change: ChangeRecord {
                        change_id: Uuid::new_v5(&self.node.0, &seq.to_be_bytes()),
                        venue_id,
                        entity,
                        entity_id,
                        op,
                        payload,
                        hlc: Hlc::from_i64(hlc)?,
                        node: self.node,
                        origin,
                    },
                });
                if changes.len() >= limit as usize {
                    return Ok(OutboxPage {
                        changes,
                        next_after,
                    });
                }
            }
            if exhausted || !changes.is_empty() {
                return Ok(OutboxPage {
                    changes,
                    next_after,
                });
            }
        }
    }

    /// The next page to push to a peer after log position `after_seq`: this console's changes
    /// that are still their rows' latest state, with what stays on the console withheld
    /// (guests' email and phone unless the venue shares them).
    pub fn outbox(&self, after_seq: i64, limit: u32) -> Result<OutboxPage> {
        self.log_page(after_seq, limit.max(1), Reader::Peer)
    }

    /// Change-log rows after `after_seq`, oldest first, as this console sees them (nothing
    /// withheld): for exports and tests. Superseded changes are skipped as in [`Store::outbox`].
    pub fn changes_since(&self, after_seq: i64, limit: u32) -> Result<Vec<StoredChange>> {
        Ok(self
            .log_page(after_seq, limit.max(1), Reader::Local)?
            .changes)
    }

    /// The peer holds every change of this console up to log position `seq`: remembered, and
    /// the log is pruned up to the lowest position every peer holds, so it stops growing.
    pub fn acknowledge(&mut self, peer: &str, seq: i64) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let hlc: Option<i64> = tx.query_row(
            "SELECT max(hlc) FROM change_log WHERE seq <= ?1",
            [seq],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO sync_peers (peer, acked_seq, acked_hlc, last_synced_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (peer) DO UPDATE SET
                 acked_seq = max(acked_seq, excluded.acked_seq),
                 acked_hlc = max(acked_hlc, excluded.acked_hlc),
                 last_synced_at = excluded.last_synced_at",
            rusqlite::params![peer, seq, hlc.unwrap_or(0), crate::write::now_text()],
        )?;
        // The newest stamp leaving the log is kept, so the clock never resumes below it.
        tx.execute(
            "INSERT INTO meta (key, value)
             SELECT 'hlc_issued', CAST(max(hlc) AS TEXT) FROM change_log
             WHERE seq <= (SELECT min(acked_seq) FROM sync_peers) HAVING count(*) > 0
             ON CONFLICT (key) DO UPDATE SET value = CAST(max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
            [],
        )?;
        tx.execute(
            "DELETE FROM change_log WHERE seq <= (SELECT min(acked_seq) FROM sync_peers)",
            [],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The log position `peer` acknowledged last (0 before the first push).
    pub fn acknowledged(&self, peer: &str) -> Result<i64> {
        Ok(self
            .conn
            .query_row(
                "SELECT acked_seq FROM sync_peers WHERE peer = ?1",
                [peer],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// The peer refused one of our changes for `reason`: parked with it, so the push goes on
    /// past it. The row keeps its local state; someone can look at the reason.
    pub fn park_outgoing(&mut self, change: &ChangeRecord, reason: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_parked (change_id, direction, entity, entity_id, body, reason, parked_at)
             VALUES (?1, 'out', ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (change_id, direction) DO UPDATE SET reason = excluded.reason",
            rusqlite::params![
                change.change_id.to_string(),
                change.entity.as_str(),
                change.entity_id.to_string(),
                serde_json::to_string(change)?,
                reason,
                crate::write::now_text()
            ],
        )?;
        Ok(())
    }

    /// Parked changes, either way, with their reasons, oldest first.
    pub fn parked_changes(&self) -> Result<Vec<ParkedChange>> {
        let mut stmt = self.conn.prepare(
            "SELECT direction, change_id, entity, reason FROM sync_parked ORDER BY parked_at, change_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ParkedChange {
                direction: r.get(0)?,
                change_id: r.get(1)?,
                entity: r.get(2)?,
                reason: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Conflicts kept so far, oldest first.
    pub fn sync_conflicts(&self) -> Result<Vec<KeptConflict>> {
        let mut stmt = self.conn.prepare(
            "SELECT loser, entity, entity_id, change_id FROM sync_conflicts ORDER BY detected_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(KeptConflict {
                loser: r.get(0)?,
                entity: r.get(1)?,
                entity_id: r.get(2)?,
                change_id: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
