//! `venue export`: any entity as CSV or JSON, streamed, optionally within a time window.

pub mod files;

use crate::{ApiError, ApiResult, Console, ErrorCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::io::Write;
use std::str::FromStr;
use uuid::Uuid;
use venue_domain::*;
use venue_store::{Record, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportEntity {
    Transactions,
    Reservations,
    Customers,
    Resources,
    Services,
    /// Charges posted to stays in the PMS, with their state.
    Charges,
    DeskNotes,
    SensorReadings,
    Snapshots,
    Alerts,
    Audit,
    /// The change log (outbox) itself.
    Changes,
}

impl ExportEntity {
    pub const NAMES: &'static [&'static str] = &[
        "transactions",
        "reservations",
        "customers",
        "resources",
        "services",
        "charges",
        "desk-notes",
        "sensor-readings",
        "snapshots",
        "alerts",
        "audit",
        "changes",
    ];
}

impl FromStr for ExportEntity {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "transactions" => Self::Transactions,
            "reservations" => Self::Reservations,
            "customers" => Self::Customers,
            "resources" => Self::Resources,
            "services" => Self::Services,
            "charges" => Self::Charges,
            "desk-notes" => Self::DeskNotes,
            "sensor-readings" => Self::SensorReadings,
            "snapshots" => Self::Snapshots,
            "alerts" => Self::Alerts,
            "audit" => Self::Audit,
            "changes" => Self::Changes,
            other => {
                return Err(ApiError::bad_input(format!(
                    "unknown entity {other:?}; expected one of: {}",
                    Self::NAMES.join(", ")
                )))
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl FromStr for ExportFormat {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            other => Err(ApiError::bad_input(format!(
                "unknown format {other:?}; expected csv or json"
            ))),
        }
    }
}

/// A `--since`/`--until` value: a venue-local date (its midnight) or an exact RFC 3339 instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

impl FromStr for TimeBound {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Self::Date(date));
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| Self::Instant(t.with_timezone(&Utc)))
            .map_err(|_| {
                ApiError::bad_input(format!(
                    "invalid time {s:?}: expected YYYY-MM-DD or an RFC 3339 time such as 2026-07-01T18:00:00Z"
                ))
            })
    }
}

impl TimeBound {
    pub fn resolve(self, venue: &Venue) -> DateTime<Utc> {
        match self {
            Self::Date(d) => venue.day_bounds(d).0,
            Self::Instant(t) => t,
        }
    }
}

fn io_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Io, format!("cannot write the export: {e}"))
}

/// Writes records one by one as a JSON array or CSV rows with a header.
enum Sink<'w> {
    Json {
        out: &'w mut dyn Write,
        count: u64,
    },
    Csv {
        out: Box<csv::Writer<&'w mut dyn Write>>,
        header: bool,
        count: u64,
    },
}

impl<'w> Sink<'w> {
    fn new(out: &'w mut dyn Write, format: ExportFormat) -> Self {
        match format {
            ExportFormat::Json => Sink::Json { out, count: 0 },
            ExportFormat::Csv => Sink::Csv {
                out: Box::new(csv::Writer::from_writer(out)),
                header: false,
                count: 0,
            },
        }
    }

    fn push(&mut self, value: Value) -> ApiResult<()> {
        match self {
            Sink::Json { out, count } => {
                out.write_all(if *count == 0 { b"[\n" } else { b",\n" })
                    .map_err(io_error)?;
                serde_json::to_writer(&mut **out, &value).map_err(io_error)?;
                *count += 1;
            }
            Sink::Csv { out, header, count } => {
                let row = csv_row(&value);
                if !*header {
                    out.write_record(row.iter().map(|(k, _)| k))
                        .map_err(io_error)?;
                    *header = true;
                }
                out.write_record(row.iter().map(|(_, v)| v))
                    .map_err(io_error)?;
                *count += 1;
            }
        }
        Ok(())
    }

    fn finish(self) -> ApiResult<u64> {
        match self {
            Sink::Json { out, count } => {
                out.write_all(if count == 0 { b"[]\n" } else { b"\n]\n" })
                    .map_err(io_error)?;
                out.flush().map_err(io_error)?;
                Ok(count)
            }
            Sink::Csv { mut out, count, .. } => {
                out.flush().map_err(io_error)?;
                Ok(count)
            }
        }
    }
}

/// Flattens one record into CSV cells. Amounts in minor units also get a decimal column
/// (`total` beside `total_minor`) so spreadsheets show money as people read it.
fn csv_row(value: &Value) -> Vec<(String, String)> {
    let Value::Object(map) = value else {
        return vec![("value".into(), value.to_string())];
    };
    let currency = map
        .get("currency")
        .and_then(Value::as_str)
        .and_then(|c| c.parse::<Currency>().ok());
    let mut cells = Vec::with_capacity(map.len() + 6);
    for (key, v) in map {
        let text = match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => other.to_string(),
        };
        cells.push((key.clone(), text));
        if let (Some(stem), Some(currency), Some(minor)) =
            (key.strip_suffix("_minor"), currency, v.as_i64())
        {
            let money = Money::new(minor, currency).to_string();
            let amount = money.split(' ').next().unwrap_or_default().to_string();
            cells.push((stem.to_string(), amount));
        }
    }
    cells
}

impl Console {
    /// Like `export`; with a `resolution` (sensor readings only: 1m, 15m, 1h, 1d) the rollups
    /// are written instead of raw readings: device, zone, period_start, period_end, entries,
    /// exits, occupancy (at the end of the period).
    pub fn export_at(
        &self,
        entity: ExportEntity,
        format: ExportFormat,
        since: Option<TimeBound>,
        until: Option<TimeBound>,
        resolution: Option<&str>,
        out: &mut dyn Write,
    ) -> ApiResult<u64> {
        let Some(resolution) = resolution else {
            return self.export(entity, format, since, until, out);
        };
        if entity != ExportEntity::SensorReadings {
            return Err(ApiError::bad_input(
                "--resolution applies to sensor-readings only",
            ));
        }
        let resolution = venue_store::Resolution::parse(resolution)
            .map_err(|e| ApiError::bad_input(e.to_string()))?;
        let venue = self.venue()?;
        let since = since.map_or(DateTime::<Utc>::UNIX_EPOCH, |b| b.resolve(&venue));
        let until = until.map_or_else(
            || Utc::now() + chrono::Duration::days(1),
            |b| b.resolve(&venue),
        );
        if until <= since {
            return Err(ApiError::bad_input("--until must be after --since"));
        }
        let bound = |t: DateTime<Utc>| match resolution {
            venue_store::Resolution::Day => venue_store::BucketBound::Date(venue.local_date(t)),
            _ => venue_store::BucketBound::At(t),
        };
        let mut names = std::collections::HashMap::new();
        self.store
            .export::<SensorDevice>(venue.id, None, None, |d| {
                names.insert(d.id, d.name);
                Ok(())
            })?;
        let mut sink = Sink::new(out, format);
        let mut failure = None;
        self.store
            .traffic_by_device(venue.id, resolution, bound(since), bound(until), |b| {
                let (start, end) = match resolution {
                    venue_store::Resolution::Day => {
                        NaiveDate::parse_from_str(&b.bucket, "%Y-%m-%d")
                            .map(|d| venue.day_bounds(d))
                            .map_err(|e| {
                                StoreError::Invalid(format!("day bucket {}: {e}", b.bucket))
                            })?
                    }
                    _ => {
                        let start =
                            chrono::NaiveDateTime::parse_from_str(&b.bucket, "%Y-%m-%d %H:%M:%S")
                                .map_err(|e| {
                                    StoreError::Invalid(format!("bucket {}: {e}", b.bucket))
                                })?
                                .and_utc();
                        (
                            start,
                            start + chrono::Duration::seconds(resolution.seconds()),
                        )
                    }
                };
                let row = serde_json::json!({
                    "device": b.device_id.and_then(|id| names.get(&id).cloned()),
                    "zone": b.zone,
                    "period_start": start,
                    "period_end": end,
                    "entries": b.entries,
                    "exits": b.exits,
                    "occupancy": b.occupancy_last,
                });
                sink.push(row).map_err(|e| {
                    failure = Some(e.clone());
                    StoreError::Invalid(e.message)
                })
            })
            .map_err(|e| failure.clone().unwrap_or_else(|| e.into()))?;
        sink.finish()
    }

    /// Streams an entity to `out`; returns how many records were written.
    pub fn export(
        &self,
        entity: ExportEntity,
        format: ExportFormat,
        since: Option<TimeBound>,
        until: Option<TimeBound>,
        out: &mut dyn Write,
    ) -> ApiResult<u64> {
        let venue = self.venue()?;
        let since = since.map(|b| b.resolve(&venue));
        let until = until.map(|b| b.resolve(&venue));
        if let (Some(s), Some(u)) = (since, until) {
            if u <= s {
                return Err(ApiError::bad_input("--until must be after --since"));
            }
        }
        let mut sink = Sink::new(out, format);
        match entity {
            ExportEntity::Transactions => {
                self.export_records::<Transaction>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Reservations => {
                self.export_records::<Reservation>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Customers => {
                self.export_records::<Customer>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Resources => {
                self.export_records::<Resource>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Services => {
                self.export_records::<Service>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Charges => {
                self.export_records::<PmsCharge>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::DeskNotes => {
                self.export_records::<DeskNote>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::SensorReadings => {
                self.export_records::<SensorReading>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Snapshots => {
                self.export_records::<Snapshot>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Alerts => {
                self.export_records::<Alert>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Audit => {
                self.export_records::<AuditEntry>(venue.id, since, until, &mut sink)?
            }
            ExportEntity::Changes => self.export_changes(since, until, &mut sink)?,
        }
        sink.finish()
    }

    fn export_records<R: Record>(
        &self,
        venue_id: Uuid,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        sink: &mut Sink,
    ) -> ApiResult<()> {
        let mut failure = None;
        let result = self.store.export::<R>(venue_id, since, until, |record| {
            let value = serde_json::to_value(&record)?;
            sink.push(value).map_err(|e| {
                failure = Some(e.clone());
                StoreError::Invalid(e.message)
            })
        });
        match (result, failure) {
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(e.into()),
            (Ok(_), None) => Ok(()),
        }
    }

    fn export_changes(
        &self,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        sink: &mut Sink,
    ) -> ApiResult<()> {
        let mut after = 0;
        loop {
            let page = self.store.changes_since(after, 5_000)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.seq;
            for stored in page {
                let at = DateTime::<Utc>::from_timestamp_millis(stored.change.hlc.wall_ms() as i64);
                if since.is_some_and(|s| at.is_some_and(|a| a < s))
                    || until.is_some_and(|u| at.is_some_and(|a| a >= u))
                {
                    continue;
                }
                let mut value = serde_json::to_value(&stored)?;
                // Keep CSV flat and readable: the row itself stays JSON text in one cell.
                if let Some(obj) = value.as_object_mut() {
                    obj.insert(
                        "hlc_text".into(),
                        Value::String(stored.change.hlc.to_string()),
                    );
                }
                sink.push(value)?;
            }
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::new(ErrorCode::Internal, format!("JSON: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_add_decimal_money_beside_minor_units() {
        let row = csv_row(
            &serde_json::json!({"id": "x", "currency": "EUR", "total_minor": 1250, "tags": ["a"]}),
        );
        let cells: Vec<(&str, &str)> = row.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            cells,
            vec![
                ("id", "x"),
                ("currency", "EUR"),
                ("total_minor", "1250"),
                ("total", "12.50"),
                ("tags", "[\"a\"]")
            ]
        );
    }

    #[test]
    fn time_bounds_accept_dates_and_instants_and_name_bad_input() {
        assert!(matches!(
            "2026-07-01".parse::<TimeBound>(),
            Ok(TimeBound::Date(_))
        ));
        assert!(matches!(
            "2026-07-01T18:00:00+02:00".parse::<TimeBound>(),
            Ok(TimeBound::Instant(_))
        ));
        let err = "yesterday".parse::<TimeBound>().unwrap_err();
        assert!(err.message.contains("yesterday"), "{err}");
        assert!("xml"
            .parse::<ExportFormat>()
            .unwrap_err()
            .message
            .contains("csv or json"));
        assert!("guests"
            .parse::<ExportEntity>()
            .unwrap_err()
            .message
            .contains("customers"));
    }
}
