//! `venue report daily`: one venue-local day at a glance.

use crate::{ApiResult, Console};
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::Serialize;
use venue_domain::DailySales;
use venue_store::{StayCounts, TrafficTotals};

#[derive(Debug, Clone, Serialize)]
pub struct SalesTotals {
    #[serde(flatten)]
    pub day: DailySales,
    /// Net per transaction, rounded half away from zero.
    pub average_ticket_minor: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HourSales {
    /// Venue-local hour of the day, 0..=23.
    pub hour: u32,
    pub transactions: u64,
    pub net_minor: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DailyReport {
    pub venue: String,
    pub date: NaiveDate,
    pub timezone: String,
    pub day_start_utc: DateTime<Utc>,
    pub day_end_utc: DateTime<Utc>,
    pub sales: Vec<SalesTotals>,
    pub sales_by_hour: Vec<HourSales>,
    /// The venue's currency, which `sales_by_location` counts.
    pub currency: venue_domain::Currency,
    /// The day's sales in the venue's currency per location (by name) and connector, biggest
    /// net first.
    pub sales_by_location: Vec<crate::views::LocationSalesView>,
    pub stays: StayCounts,
    pub traffic: TrafficTotals,
}

pub(crate) fn average(total: i64, count: u64) -> i64 {
    if count == 0 {
        return 0;
    }
    let count = count as i64;
    (total + total.signum() * count / 2) / count
}

impl Console {
    /// The report for `date` (default: today at the venue).
    pub fn daily_report(&self, date: Option<NaiveDate>) -> ApiResult<DailyReport> {
        let venue = self.venue()?;
        let date = date.unwrap_or_else(|| venue.local_date(Utc::now()));
        let (start, end) = venue.day_bounds(date);
        let sales = self
            .store
            .daily_sales(venue.id, date)?
            .into_iter()
            .map(|day| SalesTotals {
                average_ticket_minor: average(day.net_minor, day.transactions),
                day,
            })
            .collect();
        let mut by_hour: Vec<HourSales> = (0..24)
            .map(|hour| HourSales {
                hour,
                transactions: 0,
                net_minor: 0,
            })
            .collect();
        for (closed_at, total, refund) in self.store.sales_between(venue.id, start, end)? {
            let hour = closed_at.with_timezone(&venue.timezone).hour() as usize;
            if let Some(slot) = by_hour.get_mut(hour) {
                slot.transactions += 1;
                slot.net_minor += total - refund;
            }
        }
        Ok(DailyReport {
            venue: venue.name.clone(),
            date,
            timezone: venue.timezone.name().to_string(),
            day_start_utc: start,
            day_end_utc: end,
            sales,
            sales_by_hour: by_hour,
            currency: venue.currency,
            sales_by_location: self.sales_by_location(&venue, start, end)?,
            stays: self.store.stay_counts(venue.id, start, end)?,
            traffic: self.store.traffic_between(venue.id, start, end)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::average;

    #[test]
    fn average_ticket_rounds_half_away_from_zero() {
        assert_eq!(average(1_000, 3), 333);
        assert_eq!(average(1_001, 2), 501);
        assert_eq!(average(-1_001, 2), -501);
        assert_eq!(average(500, 0), 0);
    }
}
