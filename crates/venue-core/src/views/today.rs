//! The Today screen: occupancy now and through the day against the same weekday last week,
//! today's sales by hour, the day's stays, open alerts and the health of every connection.

use super::{average_ticket, hours_from_slots, AlertView, Health, HourSales, VenueInfo};
use crate::{ApiResult, Console, Role};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use venue_domain::{Currency, Venue};
use venue_store::{BucketBound, Resolution, StayCounts, ZoneOccupancy};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TodayView {
    pub venue: VenueInfo,
    /// Venue-local today.
    pub date: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub occupancy: OccupancyNow,
    pub curve: CurveView,
    pub sales: TodaySales,
    pub stays: StayCounts,
    /// Open and acknowledged alerts, critical first, then newest.
    pub alerts: Vec<AlertView>,
    pub health: Health,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OccupancyNow {
    /// People inside: the sum over zones of each zone's latest occupancy; None without data.
    pub now: Option<i64>,
    pub capacity: u32,
    /// `now / capacity` (may pass 1 when the venue is over capacity).
    pub share: Option<f64>,
    /// The newest reading used.
    pub updated_at: Option<DateTime<Utc>>,
    /// The newest reading is older than 3 x the slowest sensor's interval (at least 2 minutes),
    /// or there is none.
    pub stale: bool,
    pub zones: Vec<ZoneOccupancy>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CurveView {
    pub bucket_minutes: u32,
    /// Today's 15-minute buckets from the venue-local midnight up to the one holding now.
    pub today: Vec<CurvePoint>,
    /// The same weekday a week ago, the whole day, each `at` moved onto today (by the
    /// difference of the two local midnights, so local times line up across a DST change).
    pub last_week: Vec<CurvePoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CurvePoint {
    /// The bucket's start.
    pub at: DateTime<Utc>,
    /// People inside at the end of the bucket (summed over zones); None without a reading.
    pub occupancy: Option<i64>,
    pub entries: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TodaySales {
    pub currency: Currency,
    pub transactions: u64,
    pub gross_minor: i64,
    pub net_minor: i64,
    pub refunded_minor: i64,
    pub tip_minor: i64,
    pub average_ticket_minor: i64,
    /// 24 entries, venue-local hours.
    pub by_hour: Vec<HourSales>,
}

const BUCKET_MINUTES: u32 = 15;

/// The slowest configured sensor's interval times three, and never under two minutes.
pub(crate) fn stale_after(console: &Console) -> Duration {
    let slowest = console
        .config
        .sensor
        .iter()
        .map(|s| i64::from(s.interval_seconds))
        .max()
        .unwrap_or(0);
    Duration::seconds((3 * slowest).max(120))
}

/// The start of the 15-minute UTC bucket holding `t`.
fn quarter_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp().div_euclid(900) * 900;
    DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(t)
}

impl Console {
    /// Everything the Today screen shows, for the venue-local day holding now.
    pub fn today(&self) -> ApiResult<TodayView> {
        self.authorize(Role::Staff)?;
        let venue = self.venue()?;
        let now = Utc::now();
        let date = venue.local_date(now);
        let (start, end) = venue.day_bounds(date);
        let occupancy = self.occupancy_now(&venue, now)?;
        let last_week_date = date - Duration::days(7);
        let (lw_start, lw_end) = venue.day_bounds(last_week_date);
        let curve = CurveView {
            bucket_minutes: BUCKET_MINUTES,
            today: self.curve(&venue, start, end, Some(now), Duration::zero())?,
            last_week: self.curve(&venue, lw_start, lw_end, None, start - lw_start)?,
        };
        let day = self
            .store
            .daily_sales_range(venue.id, venue.currency, date, date)?
            .into_iter()
            .next();
        let slots = self
            .store
            .sales_slots(venue.id, venue.currency, start, end)?;
        let sales = match day {
            Some(d) => TodaySales {
                currency: venue.currency,
                transactions: d.transactions,
                gross_minor: d.gross_minor,
                net_minor: d.net_minor,
                refunded_minor: d.refunded_minor,
                tip_minor: d.tip_minor,
                average_ticket_minor: average_ticket(d.net_minor, d.transactions),
                by_hour: hours_from_slots(venue.timezone, &slots),
            },
            None => TodaySales {
                currency: venue.currency,
                transactions: 0,
                gross_minor: 0,
                net_minor: 0,
                refunded_minor: 0,
                tip_minor: 0,
                average_ticket_minor: 0,
                by_hour: hours_from_slots(venue.timezone, &slots),
            },
        };
        let alerts = self
            .store
            .desk_alerts(venue.id, 0)?
            .into_iter()
            .map(AlertView::from)
            .collect();
        Ok(TodayView {
            stays: self.store.stay_counts(venue.id, start, end)?,
            health: self.health(&venue, now)?,
            venue,
            date,
            generated_at: now,
            occupancy,
            curve,
            sales,
            alerts,
        })
    }

    /// Occupancy now: each zone's newest reading, summed.
    pub(crate) fn occupancy_now(
        &self,
        venue: &Venue,
        now: DateTime<Utc>,
    ) -> ApiResult<OccupancyNow> {
        let zones = self.zones(venue)?;
        let known: Vec<i64> = zones.iter().filter_map(|z| z.occupancy).collect();
        let total = (!known.is_empty()).then(|| known.iter().sum::<i64>());
        let updated_at = zones.iter().filter_map(|z| z.updated_at).max();
        let stale = updated_at.is_none_or(|at| now - at > stale_after(self));
        Ok(OccupancyNow {
            now: total,
            capacity: venue.capacity,
            share: total.map(|n| n as f64 / f64::from(venue.capacity.max(1))),
            updated_at,
            stale,
            zones,
        })
    }

    /// Every zone the store has readings for or a sensor is configured in, with its newest
    /// occupancy (None for a configured zone without any yet), by name.
    pub(crate) fn zones(&self, venue: &Venue) -> ApiResult<Vec<ZoneOccupancy>> {
        let mut zones = self.store.zone_occupancy(venue.id)?;
        for sensor in &self.config.sensor {
            if !zones.iter().any(|z| z.zone == sensor.zone) {
                zones.push(ZoneOccupancy {
                    zone: sensor.zone.clone(),
                    occupancy: None,
                    updated_at: None,
                });
            }
        }
        zones.sort_by(|a, b| a.zone.cmp(&b.zone));
        Ok(zones)
    }

    /// The 15-minute buckets of [start, end) (up to the one holding `upto`), gaps included,
    /// each moved by `shift`.
    fn curve(
        &self,
        venue: &Venue,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        upto: Option<DateTime<Utc>>,
        shift: Duration,
    ) -> ApiResult<Vec<CurvePoint>> {
        let first = quarter_floor(start);
        let buckets = self.store.traffic_series(
            venue.id,
            Resolution::QuarterHour,
            BucketBound::At(first),
            BucketBound::At(end),
        )?;
        let by_start: HashMap<String, (i64, Option<i64>)> = buckets
            .into_iter()
            .map(|b| (b.bucket, (b.entries, b.occupancy_last)))
            .collect();
        let mut points = Vec::with_capacity(100);
        let mut at = first;
        while at < end && upto.is_none_or(|u| at <= u) {
            let key = at.format("%Y-%m-%d %H:%M:%S").to_string();
            let (entries, occupancy) = by_start.get(&key).copied().unwrap_or((0, None));
            points.push(CurvePoint {
                at: at + shift,
                occupancy,
                entries,
            });
            at += Duration::minutes(i64::from(BUCKET_MINUTES));
        }
        Ok(points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_the_quarter_hour() {
        let t = DateTime::parse_from_rfc3339("2026-11-29T07:44:59Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(
            quarter_floor(t).to_rfc3339(),
            "2026-11-29T07:30:00+00:00".to_string()
        );
    }
}
