//! The Sales screen: a range of venue-local days (inclusive, at most 366) in the venue's
//! currency, totalled, by hour of the day, by day (every day, zeros included) and by location;
//! and the same range's transactions as a CSV file in the data dir.

use super::{average_ticket, hours_from_slots, parse_date, HourSales};
use crate::export::{ExportEntity, ExportFormat, TimeBound};
use crate::{ApiError, ApiResult, Console, ErrorCode, Role};
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;
use venue_domain::{Currency, Venue};

/// The longest range the Sales screen and its export take, in days.
pub const MAX_SALES_DAYS: i64 = 366;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SalesView {
    /// The venue's currency; sales in any other currency are not counted here.
    pub currency: Currency,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: SalesTotalsView,
    /// 24 entries, venue-local hours, summed over the range.
    pub by_hour: Vec<HourSales>,
    /// Every day of the range, oldest first.
    pub by_day: Vec<DaySales>,
    /// Biggest net first.
    pub by_location: Vec<LocationSalesView>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SalesTotalsView {
    pub transactions: u64,
    pub gross_minor: i64,
    pub net_minor: i64,
    pub refunded_minor: i64,
    pub tip_minor: i64,
    pub tax_minor: i64,
    pub discount_minor: i64,
    pub average_ticket_minor: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DaySales {
    pub date: NaiveDate,
    pub transactions: u64,
    pub net_minor: i64,
    pub refunded_minor: i64,
    pub tip_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LocationSalesView {
    /// The POS location's name (configured, else its vendor's), its id when no name is known,
    /// or "—" for sales without a location.
    pub location: String,
    /// The vendor's id of the location, if the sales name one.
    pub location_id: Option<String>,
    /// The connector the sales came from.
    pub source: String,
    pub transactions: u64,
    pub net_minor: i64,
    pub refunded_minor: i64,
    pub tip_minor: i64,
}

/// A CSV file written into the data dir's exports folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CsvExport {
    pub path: String,
    /// Data rows (the header not counted).
    pub rows: u64,
}

/// A checked range of venue-local days.
fn day_range(from: &str, to: &str) -> ApiResult<(NaiveDate, NaiveDate)> {
    let first = parse_date("from", from)?;
    let last = parse_date("to", to)?;
    if first > last {
        return Err(ApiError::bad_input(format!(
            "from {first} is after to {last}"
        )));
    }
    let days = (last - first).num_days() + 1;
    if days > MAX_SALES_DAYS {
        return Err(ApiError::bad_input(format!(
            "from {first} to {last} is {days} days; choose at most {MAX_SALES_DAYS}"
        )));
    }
    Ok((first, last))
}

/// The UTC instants bounding the venue-local days first..=last.
fn bounds(
    venue: &Venue,
    first: NaiveDate,
    last: NaiveDate,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    (venue.day_bounds(first).0, venue.day_bounds(last).1)
}

impl Console {
    /// Sales of the venue-local days `from..=to` (YYYY-MM-DD).
    pub fn sales(&self, from: &str, to: &str) -> ApiResult<SalesView> {
        self.authorize(Role::Staff)?;
        let (first, last) = day_range(from, to)?;
        let venue = self.venue()?;
        let currency = venue.currency;
        let (start, end) = bounds(&venue, first, last);
        let days = self
            .store
            .daily_sales_range(venue.id, currency, first, last)?;
        let mut totals = SalesTotalsView::default();
        for d in &days {
            totals.transactions += d.transactions;
            totals.gross_minor += d.gross_minor;
            totals.net_minor += d.net_minor;
            totals.refunded_minor += d.refunded_minor;
            totals.tip_minor += d.tip_minor;
            totals.tax_minor += d.tax_minor;
            totals.discount_minor += d.discount_minor;
        }
        totals.average_ticket_minor = average_ticket(totals.net_minor, totals.transactions);
        let by_date: HashMap<NaiveDate, _> = days.into_iter().map(|d| (d.date, d)).collect();
        let by_day = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|date| match by_date.get(&date) {
                Some(d) => DaySales {
                    date,
                    transactions: d.transactions,
                    net_minor: d.net_minor,
                    refunded_minor: d.refunded_minor,
                    tip_minor: d.tip_minor,
                },
                None => DaySales {
                    date,
                    transactions: 0,
                    net_minor: 0,
                    refunded_minor: 0,
                    tip_minor: 0,
                },
            })
            .collect();
        let slots = self.store.sales_slots(venue.id, currency, start, end)?;
        let by_location = self.sales_by_location(&venue, start, end)?;
        Ok(SalesView {
            currency,
            from: first,
            to: last,
            totals,
            by_hour: hours_from_slots(venue.timezone, &slots),
            by_day,
            by_location,
        })
    }

    /// Counted sales in the venue's currency closed within [start, end), per location (by its
    /// name) and connector, biggest net first.
    pub(crate) fn sales_by_location(
        &self,
        venue: &Venue,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) -> ApiResult<Vec<LocationSalesView>> {
        Ok(self
            .store
            .sales_by_location(venue.id, venue.currency, start, end)?
            .into_iter()
            .map(|l| {
                let config = self.config.connector.iter().find(|c| c.name == l.source);
                let id = l.location.filter(|id| !id.trim().is_empty());
                LocationSalesView {
                    location: crate::integrations::pos::location_names::shown(
                        config,
                        id.as_deref(),
                        l.name,
                    ),
                    location_id: id,
                    source: l.source,
                    transactions: l.transactions,
                    net_minor: l.net_minor,
                    refunded_minor: l.refunded_minor,
                    tip_minor: l.tip_minor,
                }
            })
            .collect())
    }

    /// Writes the transactions closed on the venue-local days `from..=to` (every status, each
    /// row saying which) to `<data dir>/exports/sales-<from>-<to>.csv`, as `venue export
    /// transactions --format csv` writes them, replacing an earlier export of the same range.
    /// The file appears only once complete.
    pub fn export_sales_csv(&self, from: &str, to: &str) -> ApiResult<CsvExport> {
        self.authorize(Role::Staff)?;
        let (first, last) = day_range(from, to)?;
        let until = last
            .checked_add_signed(Duration::days(1))
            .ok_or_else(|| ApiError::bad_input(format!("to {last} is too far in the future")))?;
        let dir = self.data_dir().join("exports");
        let io = |what: &str, path: &std::path::Path, e: std::io::Error| {
            ApiError::new(
                ErrorCode::Io,
                format!("cannot {what} {}: {e}", path.display()),
            )
        };
        std::fs::create_dir_all(&dir).map_err(|e| io("create", &dir, e))?;
        let path = dir.join(format!("sales-{first}-{last}.csv"));
        let partial = dir.join(format!(".sales-{first}-{last}.csv.partial"));
        let file = std::fs::File::create(&partial).map_err(|e| io("create", &partial, e))?;
        let mut out = std::io::BufWriter::new(file);
        let written = self.export(
            ExportEntity::Transactions,
            ExportFormat::Csv,
            Some(TimeBound::Date(first)),
            Some(TimeBound::Date(until)),
            &mut out,
        );
        let rows = match written.and_then(|rows| {
            let file = out
                .into_inner()
                .map_err(|e| io("write", &partial, e.into_error()))?;
            file.sync_all().map_err(|e| io("write", &partial, e))?;
            Ok(rows)
        }) {
            Ok(rows) => rows,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, &path).map_err(|e| io("write", &path, e))?;
        Ok(CsvExport {
            path: path.display().to_string(),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_must_run_forwards_and_span_at_most_a_year() {
        let err = day_range("2026-12-01", "2026-11-01").expect_err("backwards");
        assert_eq!(err.message, "from 2026-12-01 is after to 2026-11-01");
        assert!(day_range("2025-11-30", "2026-11-30").is_ok(), "366 days");
        let err = day_range("2025-11-29", "2026-11-30").expect_err("367 days");
        assert!(err.message.contains("367 days"), "{err}");
        let err = day_range("yesterday", "2026-11-30").expect_err("not a date");
        assert!(err.message.contains("from \"yesterday\""), "{err}");
    }
}
