//! The Sensors screen: each configured door counter with its state, each zone's occupancy, and
//! foot traffic over any period at minute, 15-minute, hour or venue-local day resolution.

use super::{parse_instant, ZoneOccupancy};
use crate::{ApiError, ApiResult, Console, Role};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use venue_store::{BucketBound, Resolution};

/// The most points one traffic request returns (a week by minute is 10,080).
pub const MAX_TRAFFIC_POINTS: i64 = 20_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SensorsView {
    /// The configured sensors, in venue.toml order.
    pub devices: Vec<DeviceView>,
    pub zones: Vec<ZoneOccupancy>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceView {
    pub name: String,
    pub kind: String,
    pub zone: String,
    /// The device's URL, or an MQTT device's topic.
    pub address: Option<String>,
    pub interval_seconds: u32,
    /// "online", "offline", "auth_failed" or "unknown" (never polled yet).
    pub status: String,
    /// The zone's occupancy after this device's last reading.
    pub occupancy: Option<i64>,
    pub failures: u32,
    pub last_error: Option<String>,
    pub status_since: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TrafficPoint {
    /// The bucket's start (a venue-local midnight for days).
    pub at: DateTime<Utc>,
    pub entries: i64,
    pub exits: i64,
    /// People inside at the end of the bucket, summed over zones; None without a reading.
    pub occupancy: Option<i64>,
}

fn resolution(text: &str) -> ApiResult<Resolution> {
    match text.trim() {
        "minute" | "1m" => Ok(Resolution::Minute),
        "15m" => Ok(Resolution::QuarterHour),
        "hour" | "1h" => Ok(Resolution::Hour),
        "day" | "1d" => Ok(Resolution::Day),
        other => Err(ApiError::bad_input(format!(
            "unknown resolution {other:?}; expected minute, 15m, hour or day"
        ))),
    }
}

fn too_many(points: i64, name: &str) -> ApiError {
    ApiError::bad_input(format!(
        "that period has {points} {name} points; at most {MAX_TRAFFIC_POINTS}: choose a coarser resolution or a shorter period"
    ))
}

impl Console {
    /// The Sensors screen.
    pub fn sensors_view(&self) -> ApiResult<SensorsView> {
        self.authorize(Role::Staff)?;
        let venue = self.venue()?;
        let devices = self
            .sensors_list()?
            .into_iter()
            .map(|s| {
                let state = s.state;
                DeviceView {
                    name: s.name,
                    kind: s.kind,
                    zone: s.zone,
                    address: s.address,
                    interval_seconds: s.interval_seconds,
                    status: state
                        .as_ref()
                        .map_or_else(|| "unknown".to_string(), |st| st.status.clone()),
                    occupancy: state.as_ref().and_then(|st| st.occupancy),
                    failures: state.as_ref().map_or(0, |st| st.failures),
                    last_error: state.as_ref().and_then(|st| st.last_error.clone()),
                    status_since: state.as_ref().and_then(|st| st.status_since),
                    updated_at: state.as_ref().map(|st| st.updated_at),
                }
            })
            .collect();
        Ok(SensorsView {
            devices,
            zones: self.zones(&venue)?,
        })
    }

    /// Foot traffic in [from, to) (ISO-8601 instants) per bucket of `resolution` (minute, 15m,
    /// hour or day), every bucket included (zeros where nothing was counted). Day buckets are
    /// the venue-local days the period touches. Minute data goes with the raw readings after
    /// `[retention]`; the coarser resolutions stay.
    pub fn traffic(&self, resolution: &str, from: &str, to: &str) -> ApiResult<Vec<TrafficPoint>> {
        self.authorize(Role::Staff)?;
        let resolution = self::resolution(resolution)?;
        let start = parse_instant("from", from)?;
        let end = parse_instant("to", to)?;
        if start >= end {
            return Err(ApiError::bad_input(format!(
                "from {} is not before to {}",
                start.to_rfc3339(),
                end.to_rfc3339()
            )));
        }
        let venue = self.venue()?;
        if resolution == Resolution::Day {
            let first = venue.local_date(start);
            let last = venue.local_date(end - Duration::nanoseconds(1));
            let days = (last - first).num_days() + 1;
            if days > MAX_TRAFFIC_POINTS {
                return Err(too_many(days, "day"));
            }
            let after_last = last.succ_opt().unwrap_or(last);
            let buckets = self.store.traffic_series(
                venue.id,
                resolution,
                BucketBound::Date(first),
                BucketBound::Date(after_last),
            )?;
            let by_day: HashMap<String, _> =
                buckets.into_iter().map(|b| (b.bucket.clone(), b)).collect();
            return Ok(first
                .iter_days()
                .take_while(|d| *d <= last)
                .map(|date: NaiveDate| {
                    let found = by_day.get(&date.format("%Y-%m-%d").to_string());
                    TrafficPoint {
                        at: venue.day_bounds(date).0,
                        entries: found.map_or(0, |b| b.entries),
                        exits: found.map_or(0, |b| b.exits),
                        occupancy: found.and_then(|b| b.occupancy_last),
                    }
                })
                .collect());
        }
        let step = resolution.seconds();
        let first = DateTime::<Utc>::from_timestamp(start.timestamp().div_euclid(step) * step, 0)
            .unwrap_or(start);
        let points = (end - first).num_seconds().div_euclid(step)
            + i64::from((end - first).num_seconds().rem_euclid(step) > 0);
        if points > MAX_TRAFFIC_POINTS {
            let name = match resolution {
                Resolution::Minute => "minute",
                Resolution::QuarterHour => "15-minute",
                _ => "hour",
            };
            return Err(too_many(points, name));
        }
        let buckets = self.store.traffic_series(
            venue.id,
            resolution,
            BucketBound::At(first),
            BucketBound::At(end),
        )?;
        let mut by_start = HashMap::with_capacity(buckets.len());
        for b in buckets {
            match NaiveDateTime::parse_from_str(&b.bucket, "%Y-%m-%d %H:%M:%S") {
                Ok(t) => {
                    by_start.insert(t.and_utc(), b);
                }
                Err(e) => {
                    tracing::warn!(bucket = %b.bucket, error = %e, "unreadable rollup bucket skipped")
                }
            }
        }
        let mut out = Vec::with_capacity(points.max(0) as usize);
        let mut at = first;
        while at < end {
            let found = by_start.get(&at);
            out.push(TrafficPoint {
                at,
                entries: found.map_or(0, |b| b.entries),
                exits: found.map_or(0, |b| b.exits),
                occupancy: found.and_then(|b| b.occupancy_last),
            });
            at += Duration::seconds(step);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions_take_the_contract_names_and_the_cli_ones() {
        assert_eq!(resolution("minute").ok(), Some(Resolution::Minute));
        assert_eq!(resolution("15m").ok(), Some(Resolution::QuarterHour));
        assert_eq!(resolution("1h").ok(), Some(Resolution::Hour));
        assert_eq!(resolution("day").ok(), Some(Resolution::Day));
        let err = resolution("week").expect_err("no weeks");
        assert!(err.message.contains("\"week\""), "{err}");
    }
}
