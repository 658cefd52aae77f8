//! Reads: single rows, exports, counts, the change log, summaries.

use crate::record::{get_id, get_parsed, Record};
use crate::{Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;
use venue_domain::*;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    pub transactions: u64,
    pub customers: u64,
    pub reservations: u64,
    pub resources: u64,
    pub sensor_readings: u64,
    pub snapshots: u64,
    pub alerts_open: u64,
    pub audit_entries: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChangeLogStats {
    pub total: u64,
    /// Changes no sync peer has acknowledged yet (all of them before the first sync).
    pub pending_sync: u64,
    pub last_hlc: Option<String>,
    /// Changes parked (either way) with the reason they could not be applied or were refused.
    pub parked: u64,
    /// Edits that lost to a newer one, kept in `sync_conflicts`.
    pub conflicts: u64,
}

/// A change-log row with its local sequence number (the push cursor).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredChange {
    pub seq: i64,
    #[serde(flatten)]
    pub change: ChangeRecord,
}

fn select_list<R: Record>() -> String {
    R::COLUMNS.join(", ")
}

impl Store {
    pub fn get<R: Record>(&self, id: Uuid) -> Result<Option<R>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = ?1",
            select_list::<R>(),
            R::TABLE
        );
        Ok(self
            .conn
            .query_row(&sql, [id.to_string()], R::from_row)
            .optional()?)
    }

    /// The store's venue: the first one created (a console serves one venue).
    pub fn venue(&self) -> Result<Option<Venue>> {
        let sql = format!(
            "SELECT {} FROM venues ORDER BY created_at, id LIMIT 1",
            select_list::<Venue>()
        );
        Ok(self.conn.query_row(&sql, [], Venue::from_row).optional()?)
    }

    /// Streams a venue's rows of one entity in time order, optionally within [since, until).
    pub fn export<R: Record>(
        &self,
        venue_id: Uuid,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        mut each: impl FnMut(R) -> Result<()>,
    ) -> Result<u64> {
        let time = R::TIME_COLUMN;
        let sql = format!(
            "SELECT {} FROM {} WHERE venue_id = ?1 AND (?2 IS NULL OR {time} >= ?2) AND (?3 IS NULL OR {time} < ?3)
             ORDER BY {time}, id",
            select_list::<R>(),
            R::TABLE
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params![venue_id.to_string(), since, until])?;
        let mut count = 0;
        while let Some(row) = rows.next()? {
            each(R::from_row(row)?)?;
            count += 1;
        }
        Ok(count)
    }

    pub fn counts(&self) -> Result<Counts> {
        let count = |sql: &str| -> Result<u64> {
            let n: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
            Ok(n.max(0) as u64)
        };
        Ok(Counts {
            transactions: count("SELECT count(*) FROM transactions")?,
            customers: count("SELECT count(*) FROM customers")?,
            reservations: count("SELECT count(*) FROM reservations")?,
            resources: count("SELECT count(*) FROM resources")?,
            sensor_readings: count("SELECT count(*) FROM sensor_readings")?,
            snapshots: count("SELECT count(*) FROM snapshots")?,
            alerts_open: count("SELECT count(*) FROM alerts WHERE state <> 'resolved'")?,
            audit_entries: count("SELECT count(*) FROM audit_log")?,
        })
    }

    pub fn change_log_stats(&self) -> Result<ChangeLogStats> {
        let (total, last_seq, last_hlc): (i64, Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT count(*), max(seq), (SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1) FROM change_log",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let acked: i64 = self.conn.query_row(
            "SELECT coalesce(min(acked_seq), 0) FROM sync_peers",
            [],
            |r| r.get(0),
        )?;
        let pending: i64 = self.conn.query_row(
            "SELECT count(*) FROM change_log WHERE seq > ?1",
            [acked],
            |r| r.get(0),
        )?;
        let _ = last_seq;
        let (parked, conflicts): (i64, i64) = self.conn.query_row(
            "SELECT (SELECT count(*) FROM sync_parked), (SELECT count(*) FROM sync_conflicts)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(ChangeLogStats {
            total: total.max(0) as u64,
            pending_sync: pending.max(0) as u64,
            parked: parked.max(0) as u64,
            conflicts: conflicts.max(0) as u64,
            last_hlc: last_hlc
                .map(Hlc::from_i64)
                .transpose()?
                .map(|h| h.to_string()),
        })
    }

    /// Sales for one venue-local day, one row per currency.
    pub fn daily_sales(&self, venue_id: Uuid, date: NaiveDate) -> Result<Vec<DailySales>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT currency, transactions, gross_minor, tax_minor, tip_minor, discount_minor, refunded_minor
             FROM daily_sales WHERE venue_id = ?1 AND business_date = ?2 AND transactions > 0 ORDER BY currency",
        )?;
        let rows = stmt.query_map(rusqlite::params![venue_id.to_string(), date], |row| {
            let gross: i64 = row.get(2)?;
            let refund: i64 = row.get(6)?;
            Ok(DailySales {
                venue_id,
                date,
                currency: get_parsed(row, 0)?,
                transactions: row.get::<_, i64>(1)?.max(0) as u64,
                gross_minor: gross,
                tax_minor: row.get(3)?,
                tip_minor: row.get(4)?,
                discount_minor: row.get(5)?,
                refunded_minor: refund,
                net_minor: gross - refund,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest snapshot of a venue, for "last fetch" status.
    pub fn last_snapshot(&self, venue_id: Uuid) -> Result<Option<Snapshot>> {
        let sql = format!(
            "SELECT {} FROM snapshots WHERE venue_id = ?1 ORDER BY started_at DESC, id DESC LIMIT 1",
            select_list::<Snapshot>()
        );
        Ok(self
            .conn
            .query_row(&sql, [venue_id.to_string()], Snapshot::from_row)
            .optional()?)
    }

    /// Resolves a vendor id to ours, e.g. a reservation's customer.
    pub fn id_for_external<R: Record>(
        &self,
        venue_id: Uuid,
        source: &str,
        external_id: &str,
    ) -> Result<Option<Uuid>> {
        let sql = format!(
            "SELECT id FROM {} WHERE venue_id = ?1 AND source = ?2 AND external_id = ?3",
            R::TABLE
        );
        Ok(self
            .conn
            .query_row(
                &sql,
                rusqlite::params![venue_id.to_string(), source, external_id],
                |r| get_id(r, 0),
            )
            .optional()?)
    }

    /// Size of the database file plus its WAL.
    pub fn size_bytes(&self) -> u64 {
        let wal = self.path.with_extension("sqlite3-wal");
        [self.path.as_path(), wal.as_path()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}
