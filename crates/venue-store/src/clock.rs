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
use venue_domain::{Hlc, Snapshot};

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
