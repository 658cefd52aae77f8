//! Day-level reads behind the daily report and the Today screen. Callers pass the UTC bounds of
//! the venue-local day, so DST days (23 or 25 hours) are handled where the timezone is known.

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StayCounts {
    pub arrivals: u64,
    pub departures: u64,
    /// Reservations occupying a room over the night that follows the day.
    pub in_house: u64,
    /// Rooms whose housekeeping state is Dirty now (the PMS keeps no history of it).
    pub rooms_dirty: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TrafficTotals {
    pub entries: u64,
    pub exits: u64,
    pub peak_occupancy: Option<i64>,
    pub peak_at: Option<DateTime<Utc>>,
}

impl Store {
    pub fn stay_counts(
        &self,
        venue_id: Uuid,
        day_start: DateTime<Utc>,
        day_end: DateTime<Utc>,
    ) -> Result<StayCounts> {
        let (arrivals, departures, in_house, rooms_dirty): (i64, i64, i64, i64) = self.conn.query_row(
            "SELECT
                 (SELECT count(*) FROM reservations WHERE venue_id = ?1 AND state <> 'Canceled'
                     AND start_utc >= ?2 AND start_utc < ?3),
                 (SELECT count(*) FROM reservations WHERE venue_id = ?1 AND state <> 'Canceled'
                     AND end_utc >= ?2 AND end_utc < ?3),
                 (SELECT count(*) FROM reservations WHERE venue_id = ?1 AND state IN ('Confirmed', 'Started')
                     AND start_utc < ?3 AND end_utc >= ?3),
                 (SELECT count(*) FROM resources WHERE venue_id = ?1 AND state = 'Dirty')",
            rusqlite::params![venue_id.to_string(), day_start, day_end],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(StayCounts {
            arrivals: arrivals.max(0) as u64,
            departures: departures.max(0) as u64,
            in_house: in_house.max(0) as u64,
            rooms_dirty: rooms_dirty.max(0) as u64,
        })
    }

    /// Completed sales of a period as (closed_at, total, refund), for hourly breakdowns.
    pub fn sales_between(
        &self,
        venue_id: Uuid,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, i64, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT closed_at, total_minor, refunded_minor FROM transactions
             WHERE venue_id = ?1 AND closed_at >= ?2 AND closed_at < ?3 AND status <> 'canceled'
             ORDER BY closed_at",
        )?;
        let rows = stmt.query_map(rusqlite::params![venue_id.to_string(), start, end], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Entries, exits and the venue's peak occupancy (summed over zones) with its time, from
    /// the minute rollups, or the 15-minute ones once raw readings are past retention.
    pub fn traffic_between(
        &self,
        venue_id: Uuid,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<TrafficTotals> {
        use crate::{BucketBound, Resolution};
        let mut buckets = self.traffic_series(
            venue_id,
            Resolution::Minute,
            BucketBound::At(start),
            BucketBound::At(end),
        )?;
        if buckets.is_empty() {
            buckets = self.traffic_series(
                venue_id,
                Resolution::QuarterHour,
                BucketBound::At(start),
                BucketBound::At(end),
            )?;
        }
        let entries: i64 = buckets.iter().map(|b| b.entries).sum();
        let exits: i64 = buckets.iter().map(|b| b.exits).sum();
        // The earliest bucket holding the highest occupancy; it ends at the peak's reading.
        let peak = buckets
            .iter()
            .filter_map(|b| b.occupancy_last.map(|o| (o, &b.bucket)))
            .fold(None::<(i64, &String)>, |best, (o, at)| match best {
                Some((b, _)) if b >= o => best,
                _ => Some((o, at)),
            });
        let peak_at = peak
            .map(|(_, at)| {
                chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S")
                    .map(|t| t.and_utc())
                    .map_err(|e| crate::StoreError::Corrupt(format!("rollup bucket {at}: {e}")))
            })
            .transpose()?;
        Ok(TrafficTotals {
            entries: entries.max(0) as u64,
            exits: exits.max(0) as u64,
            peak_occupancy: peak.map(|p| p.0),
            peak_at,
        })
    }
}
