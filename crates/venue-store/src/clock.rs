//! Times from the future. One run with the clock set ahead (a wrong RTC, `faketime`, a VM
//! restored with a bad clock) leaves snapshots, high-water marks and change-log stamps ahead of
//! the real time. Resuming from such a mark would fetch nothing, or send the vendor a window
//! that ends before it starts, until the real time catches up. These queries let the callers
//! resume from the last mark that is not in the future and report the ones that are.

use crate::record::Record;
use crate::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;
use venue_domain::*;

/// A connector's high-water marks (of its complete runs) on either side of the clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HighWaterMarks {
    /// The newest mark not after now: where the next run resumes (minus the overlap).
    pub last_good: Option<DateTime<Utc>>,
    /// The newest mark after now, if any: left by a run whose clock was ahead.
    pub ahead: Option<DateTime<Utc>>,
}

/// Rows stamped ahead of the clock, for `venue status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FutureStamps {
    /// How far ahead a time may be before it counts (clocks of two machines differ a little).
    pub tolerance_seconds: i64,
    /// Snapshots whose start, end or high-water mark is ahead.
    pub snapshots: u64,
    /// The newest of those times.
    pub newest_snapshot_time: Option<DateTime<Utc>>,
    /// Change-log rows whose hybrid-clock time is ahead.
    pub change_log_rows: u64,
    /// The newest of those stamps.
    pub newest_change_hlc: Option<String>,
}

impl FutureStamps {
    pub fn any(&self) -> bool {
        self.snapshots > 0 || self.change_log_rows > 0
    }
}

impl Store {
    /// The newest high-water marks of `connector`'s complete (ok) runs not after, and after,
    /// `now`.
    pub fn high_water_marks(
        &self,
        venue_id: Uuid,
        connector: &str,
        now: DateTime<Utc>,
    ) -> Result<HighWaterMarks> {
        let (last_good, ahead) = self.conn.query_row(
            "SELECT max(CASE WHEN high_water_mark <= ?3 THEN high_water_mark END),
                    max(CASE WHEN high_water_mark > ?3 THEN high_water_mark END)
             FROM snapshots
             WHERE venue_id = ?1 AND connector = ?2 AND status = 'ok' AND high_water_mark IS NOT NULL",
            rusqlite::params![venue_id.to_string(), connector, now],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(HighWaterMarks { last_good, ahead })
    }

    /// The newest snapshot of `connector` (any status) that started by `now`.
    pub fn last_snapshot_started_by(
        &self,
        venue_id: Uuid,
        connector: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Snapshot>> {
        let sql = format!(
            "SELECT {} FROM snapshots WHERE venue_id = ?1 AND connector = ?2 AND started_at <= ?3
             ORDER BY started_at DESC, id DESC LIMIT 1",
            Snapshot::COLUMNS.join(", ")
        );
        Ok(self
            .conn
            .query_row(
                &sql,
                rusqlite::params![venue_id.to_string(), connector, now],
                Snapshot::from_row,
            )
            .optional()?)
    }

    /// When `connector`'s newest run that started by `now` did: the scheduler's clock, blind to
    /// runs stamped in the future (which would otherwise hold the schedule until then).
    pub fn last_started_by(
        &self,
        venue_id: Uuid,
        connector: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        Ok(self.conn.query_row(
            "SELECT max(started_at) FROM snapshots WHERE venue_id = ?1 AND connector = ?2 AND started_at <= ?3",
            rusqlite::params![venue_id.to_string(), connector, now],
            |r| r.get(0),
        )?)
    }

    /// Snapshots and change-log rows stamped more than `tolerance` after `now`.
    pub fn future_stamps(&self, now: DateTime<Utc>, tolerance: Duration) -> Result<FutureStamps> {
        let limit = now + tolerance;
        let (snapshots, newest_snapshot_time): (i64, Option<String>) = self.conn.query_row(
            "SELECT count(*), max(max(started_at, coalesce(finished_at, ''), coalesce(high_water_mark, '')))
             FROM snapshots WHERE started_at > ?1 OR finished_at > ?1 OR high_water_mark > ?1",
            [limit],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let limit_ms = u64::try_from(limit.timestamp_millis()).unwrap_or_default();
        let first_ahead = Hlc::new(limit_ms.saturating_add(1), 0).as_i64();
        let (change_log_rows, newest): (i64, Option<i64>) = self.conn.query_row(
            "SELECT count(*), max(hlc) FROM change_log WHERE hlc >= ?1",
            [first_ahead],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(FutureStamps {
            tolerance_seconds: tolerance.num_seconds(),
            snapshots: snapshots.max(0) as u64,
            newest_snapshot_time: newest_snapshot_time.and_then(|t| parse_stored_time(&t)),
            change_log_rows: change_log_rows.max(0) as u64,
            newest_change_hlc: newest
                .map(Hlc::from_i64)
                .transpose()?
                .map(|h| h.to_string()),
        })
    }
}

/// A time as rusqlite stores it ("2026-11-29 07:45:00.123+00:00").
fn parse_stored_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What the store did about a clock that jumped ahead, for `venue status`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ClockRepair {
    /// When the stamps ahead were found (on opening the store).
    pub detected_at: DateTime<Utc>,
    /// The newest stamp found ahead of the clock, as text.
    pub newest_ahead: String,
    /// Changes re-stamped at the real time (they had never been accepted by a peer: peers
    /// refuse stamps that far ahead).
    pub restamped: u64,
}

/// The clock's state for `venue status`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClockReport {
    /// A jump ahead of the wall clock this process refused to follow, if any:
    /// (what the wall clock said, what the monotonic clock said), as text.
    pub refused_jump: Option<(String, String)>,
    /// The last repair of stamps left ahead by an earlier run, if any.
    pub last_repair: Option<ClockRepair>,
}

fn ms_text(ms: u64) -> String {
    Hlc::new(ms, 0).to_string()
}

impl Store {
    /// Re-stamps, at the real time, this console's changes stamped further ahead than the
    /// drift bound (left by a run whose clock was ahead): with them the clock would resume in
    /// the future and this console's edits would beat everyone's until then, and the hub would
    /// refuse them all. Each gets a new change (new id); the old one is never sent.
    pub(crate) fn restamp_future(&mut self, jump: venue_domain::ClockJump) -> Result<u64> {
        let now_ms = self.clock.wall_ms();
        let first_ahead = Hlc::new(
            now_ms.saturating_add(venue_domain::HlcClock::DEFAULT_MAX_DRIFT_MS) + 1,
            0,
        );
        self.restamp_from(first_ahead, jump.seen_ms)
    }

    /// Re-stamps at the clock's time this console's rows and deletes stamped at or after
    /// `first_ahead`, each as a new change (the old ones leave the log, never to be sent), and
    /// records the repair with `newest_ahead_ms` as the newest stamp that was ahead.
    pub(crate) fn restamp_from(&mut self, first_ahead: Hlc, newest_ahead_ms: u64) -> Result<u64> {
        let node = self.node.to_string();
        let Store { conn, clock, .. } = self;
        let now_ms = clock.wall_ms();
        let first_ahead = first_ahead.as_i64();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Resume from the newest stamp within the bound (never below one already issued).
        let mut within: i64 = tx.query_row(
            "SELECT coalesce(max(hlc), 0) FROM change_log WHERE hlc < ?1",
            [first_ahead],
            |r| r.get(0),
        )?;
        for key in ["hlc_observed", "hlc_issued"] {
            let kept: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?;
            if let Some(v) = kept.and_then(|v| v.parse::<i64>().ok()) {
                if v < first_ahead {
                    within = within.max(v);
                }
            }
        }
        clock.rewind(Hlc::from_i64(within)?.max(Hlc::new(now_ms, 0)));
        let mut restamped = 0u64;
        // Rows this console wrote ahead: re-stamped, and sent again as new changes (their old
        // changes, if still in the log, no longer match the row and are never sent).
        for (table, kind) in crate::rekey::SYNCED {
            let ids: Vec<(String, String)> = {
                let mut stmt = tx.prepare(&format!(
                    "SELECT id, origin FROM {table} WHERE hlc >= ?1 AND node_id = ?2 ORDER BY hlc"
                ))?;
                let rows = stmt.query_map(rusqlite::params![first_ahead, node], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for (id, origin) in ids {
                let new = clock.tick(now_ms).as_i64();
                tx.execute(
                    &format!("UPDATE {table} SET hlc = ?1 WHERE id = ?2"),
                    rusqlite::params![new, id],
                )?;
                if origin != Origin::Sync.as_str() {
                    let venue = if *kind == EntityKind::Venue {
                        "id"
                    } else {
                        "venue_id"
                    };
                    tx.execute(
                        &format!(
                            "INSERT INTO change_log (entity, entity_id, op, hlc, origin, venue_id)
                             SELECT ?1, id, 'upsert', hlc, origin, {venue} FROM {table} WHERE id = ?2"
                        ),
                        rusqlite::params![kind.as_str(), id],
                    )?;
                }
                restamped += 1;
            }
        }
        // Deletes stamped ahead go again with a stamp of now.
        let deletes: Vec<i64> = {
            let mut stmt = tx.prepare(
                "SELECT seq FROM change_log WHERE hlc >= ?1 AND op = 'delete' ORDER BY seq",
            )?;
            let rows = stmt.query_map([first_ahead], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for seq in deletes {
            let new = clock.tick(now_ms).as_i64();
            tx.execute(
                "INSERT INTO change_log (entity, entity_id, op, hlc, origin, tombstone, venue_id)
                 SELECT entity, entity_id, op, ?2, origin, tombstone, venue_id FROM change_log WHERE seq = ?1",
                rusqlite::params![seq, new],
            )?;
            tx.execute(
                "UPDATE sync_tombstones SET hlc = ?1 WHERE hlc >= ?2 AND node_id = ?3",
                rusqlite::params![new, first_ahead, node],
            )?;
            restamped += 1;
        }
        tx.execute("DELETE FROM change_log WHERE hlc >= ?1", [first_ahead])?;
        let repair = ClockRepair {
            detected_at: Utc::now(),
            newest_ahead: ms_text(newest_ahead_ms),
            restamped,
        };
        for (key, value) in [
            ("hlc_observed", clock.last().as_i64().to_string()),
            ("hlc_issued", clock.last().as_i64().to_string()),
            ("clock_repair", serde_json::to_string(&repair)?),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value.as_str()],
            )?;
        }
        tx.commit()?;
        tracing::warn!(
            newest_ahead = %repair.newest_ahead,
            restamped,
            "changes stamped ahead of the clock were re-stamped at the real time"
        );
        Ok(restamped)
    }

    /// Repairs the stamps before a write when the clock is ahead of the wall clock (this
    /// process started during a jump that has since ended); a no-op otherwise.
    pub(crate) fn repair_clock_if_ahead(&mut self) -> Result<()> {
        if let Some(jump) = self.clock.ahead_of_wall() {
            self.restamp_future(jump)?;
        }
        Ok(())
    }

    /// The clock as `venue status` shows it.
    pub fn clock_report(&self) -> Result<ClockReport> {
        let repair: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'clock_repair'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(ClockReport {
            refused_jump: self
                .clock
                .jump()
                .map(|j| (ms_text(j.seen_ms), ms_text(j.expected_ms))),
            last_repair: repair.and_then(|text| serde_json::from_str(&text).ok()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use venue_domain::{new_id, Origin, SnapshotStatus, Venue};

    fn run(venue: Uuid, status: SnapshotStatus, at: DateTime<Utc>) -> Snapshot {
        Snapshot {
            id: new_id(),
            venue_id: venue,
            connector: "pos".into(),
            correlation_id: "c".into(),
            started_at: at,
            finished_at: Some(at),
            status,
            error: None,
            records_seen: 0,
            records_written: 0,
            high_water_mark: Some(at),
            cursor: None,
        }
    }

    #[test]
    fn marks_split_at_the_clock_and_only_complete_runs_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("venue.sqlite3")).expect("open");
        let venue = Venue::new("Harbour", "Europe/London", "GBP", 10).expect("venue");
        store
            .save_by_user("test", "venue.create", &venue)
            .expect("venue");
        let now = Utc::now();
        let rows = [
            run(venue.id, SnapshotStatus::Ok, now - Duration::hours(2)),
            run(venue.id, SnapshotStatus::Ok, now - Duration::hours(1)),
            // Newer, but not complete: never a mark to resume from.
            run(
                venue.id,
                SnapshotStatus::Partial,
                now - Duration::minutes(10),
            ),
            run(venue.id, SnapshotStatus::Ok, now + Duration::days(365)),
            run(venue.id, SnapshotStatus::Ok, now + Duration::days(2)),
        ];
        store.ingest(Origin::Connector, None, &rows).expect("write");
        let marks = store.high_water_marks(venue.id, "pos", now).expect("marks");
        assert_eq!(marks.last_good, Some(now - Duration::hours(1)));
        assert_eq!(marks.ahead, Some(now + Duration::days(365)));
        assert_eq!(
            store.last_started_by(venue.id, "pos", now).expect("read"),
            Some(now - Duration::minutes(10))
        );
        let latest = store
            .last_snapshot_started_by(venue.id, "pos", now)
            .expect("read")
            .expect("a run");
        assert_eq!(latest.status, SnapshotStatus::Partial);
        let ahead = store
            .future_stamps(now, Duration::minutes(5))
            .expect("stamps");
        assert_eq!(ahead.snapshots, 2);
        assert_eq!(ahead.newest_snapshot_time, Some(now + Duration::days(365)));
        assert_eq!(
            ahead.change_log_rows, 0,
            "the rows were written at the real time"
        );
        let none = store
            .high_water_marks(venue.id, "other", now)
            .expect("marks");
        assert_eq!(none, HighWaterMarks::default());
    }
}
