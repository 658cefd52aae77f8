//! Foot traffic over time from the sensor rollups (minute, 15-minute, hour, venue-local day),
//! and retention of raw readings (the rollups stay).

use crate::{Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Rollup resolutions, as the dashboard and `venue export --resolution` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Resolution {
    Minute,
    QuarterHour,
    Hour,
    /// Venue-local days.
    Day,
}

impl Resolution {
    pub fn seconds(self) -> i64 {
        match self {
            Self::Minute => 60,
            Self::QuarterHour => 900,
            Self::Hour => 3600,
            Self::Day => 86_400,
        }
    }

    pub fn parse(text: &str) -> std::result::Result<Self, UnknownResolution> {
        match text {
            "1m" => Ok(Self::Minute),
            "15m" => Ok(Self::QuarterHour),
            "1h" => Ok(Self::Hour),
            "1d" => Ok(Self::Day),
            other => Err(UnknownResolution(other.to_string())),
        }
    }
}

/// A resolution other than the four there are rollups for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown resolution {0:?}; expected 1m, 15m, 1h or 1d")]
pub struct UnknownResolution(pub String);

/// One bucket of one device (`device` set) or of the whole venue (summed over devices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrafficBucket {
    pub device_id: Option<Uuid>,
    pub zone: Option<String>,
    /// UTC start (minute, 15-minute, hour) or the venue-local date at midnight (day), as text.
    pub bucket: String,
    pub entries: i64,
    pub exits: i64,
    /// Highest occupancy seen in the bucket (summed over devices for the venue: an upper bound).
    pub occupancy_max: Option<i64>,
    /// Occupancy at the end of the bucket (summed over devices for the venue).
    pub occupancy_last: Option<i64>,
}

fn utc_bucket(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

impl Store {
    /// The venue's traffic per bucket in [from, to): UTC instants for minute/15m/hour, and for
    /// days the local dates of `from` and `to` (as midnight UTC of those dates).
    pub fn traffic_series(
        &self,
        venue_id: Uuid,
        resolution: Resolution,
        from: BucketBound,
        to: BucketBound,
    ) -> Result<Vec<TrafficBucket>> {
        // Each zone's occupancy at the end of a bucket is kept at write time (every door of a
        // zone reports the zone's count); the venue's is the sum over zones.
        let mut stmt = self.conn.prepare_cached(
            "SELECT bucket, sum(entries), sum(exits), sum(occupancy_max), sum(occupancy_last)
             FROM sensor_zone_rollups
             WHERE venue_id = ?1 AND resolution = ?2 AND bucket >= ?3 AND bucket < ?4
             GROUP BY bucket ORDER BY bucket",
        )?;
        let rows = stmt.query_map(
            rusqlite::params![
                venue_id.to_string(),
                resolution.seconds(),
                from.text(resolution)?,
                to.text(resolution)?
            ],
            |r| {
                Ok(TrafficBucket {
                    device_id: None,
                    zone: None,
                    bucket: r.get(0)?,
                    entries: r.get(1)?,
                    exits: r.get(2)?,
                    occupancy_max: r.get(3)?,
                    occupancy_last: r.get(4)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Per device and bucket, for exports.
    pub fn traffic_by_device(
        &self,
        venue_id: Uuid,
        resolution: Resolution,
        from: BucketBound,
        to: BucketBound,
        mut each: impl FnMut(TrafficBucket) -> Result<()>,
    ) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT device_id, zone, bucket, entries, exits, occupancy_max, occupancy_last
             FROM sensor_rollups WHERE venue_id = ?1 AND resolution = ?2 AND bucket >= ?3 AND bucket < ?4
             ORDER BY bucket, device_id",
        )?;
        let mut rows = stmt.query(rusqlite::params![
            venue_id.to_string(),
            resolution.seconds(),
            from.text(resolution)?,
            to.text(resolution)?
        ])?;
        let mut count = 0;
        while let Some(r) = rows.next()? {
            each(TrafficBucket {
                device_id: Some(crate::record::get_id(r, 0)?),
                zone: r.get(1)?,
                bucket: r.get(2)?,
                entries: r.get(3)?,
                exits: r.get(4)?,
                occupancy_max: r.get(5)?,
                occupancy_last: r.get(6)?,
            })?;
            count += 1;
        }
        Ok(count)
    }

    /// Deletes raw readings that ended before `before`; the rollups keep their counts.
    /// Returns how many readings went.
    pub fn prune_sensor_readings(&self, before: DateTime<Utc>) -> Result<u64> {
        let n = self.conn.execute(
            "DELETE FROM sensor_readings WHERE period_end < ?1",
            [before],
        )?;
        // Minute rollups are as fine as the readings and go with them; 15-minute, hour and day
        // rollups stay for good.
        for table in ["sensor_rollups", "sensor_zone_rollups"] {
            self.conn.execute(
                &format!("DELETE FROM {table} WHERE resolution = 60 AND bucket < ?1"),
                [utc_bucket(before)],
            )?;
        }
        Ok(n as u64)
    }
}

/// A bound of a traffic query: an instant (minute/15m/hour) or a local date (day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketBound {
    At(DateTime<Utc>),
    Date(NaiveDate),
}

impl BucketBound {
    fn text(self, resolution: Resolution) -> Result<String> {
        match (self, resolution) {
            (Self::Date(d), Resolution::Day) => Ok(d.format("%Y-%m-%d").to_string()),
            (Self::At(t), Resolution::Day) => Ok(t.format("%Y-%m-%d").to_string()),
            (Self::At(t), _) => Ok(utc_bucket(t)),
            (Self::Date(_), _) => Err(StoreError::Invalid(
                "a date bounds only day buckets; give an instant for minutes and hours".into(),
            )),
        }
    }
}
