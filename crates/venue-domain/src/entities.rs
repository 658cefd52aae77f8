//! The rows a venue's store holds. Ids are ours (UUIDv7); `external_id`s are kept as the vendor
//! gave them, and `(venue_id, source, external_id)` is the natural key re-fetches upsert on.

use crate::change::string_enum;
use crate::{Currency, DomainError, EntityKind};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Venue {
    pub id: Uuid,
    pub name: String,
    /// IANA name, e.g. Europe/London.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub timezone: Tz,
    pub currency: Currency,
    /// Maximum people allowed inside at once (fire code), used for occupancy alerts.
    pub capacity: u32,
    /// Whether guests' email and phone travel to the hub and the venue's other consoles. Off
    /// unless the venue turns it on: contact details stay where the PMS put them.
    #[serde(default)]
    pub share_guest_contacts: bool,
}

impl Venue {
    /// Validates user input for a venue; each error names the field that was wrong.
    pub fn new(
        name: &str,
        timezone: &str,
        currency: &str,
        capacity: u32,
    ) -> Result<Self, DomainError> {
        let name = crate::text::VENUE_NAME.clean(name)?;
        if capacity == 0 {
            return Err(DomainError::Invalid {
                field: "capacity",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Venue {
            id: crate::new_id(),
            name,
            timezone: parse_timezone(timezone)?,
            currency: Currency::parse_tender(currency)?,
            capacity,
            share_guest_contacts: false,
        })
    }

    /// The venue-local calendar day an instant falls on (business dates are local, not UTC).
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }

    /// The UTC instants where a venue-local day starts and ends: 23 or 25 hours apart on DST days.
    pub fn day_bounds(&self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = local_midnight(self.timezone, date);
        let end = date
            .succ_opt()
            .map_or(start + chrono::Duration::days(1), |next| {
                local_midnight(self.timezone, next)
            });
        (start, end)
    }
}

/// The first instant of a local day. Where a DST jump skips midnight, the day starts when the
/// clocks resume.
fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let mut at = date.and_time(chrono::NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += chrono::Duration::minutes(30);
    }
    // No timezone skips more than two hours; fall back to UTC midnight rather than panic.
    date.and_time(chrono::NaiveTime::MIN).and_utc()
}

pub fn parse_timezone(name: &str) -> Result<Tz, DomainError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| DomainError::UnknownTimezone(name.to_string()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionStatus {
    Open,
    Completed,
    Canceled,
}
string_enum!(TransactionStatus, "transaction status", { Open => "open", Completed => "completed", Canceled => "canceled" });

/// A normalised POS sale. All amounts are integer minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: Uuid,
    pub venue_id: Uuid,
    /// The connector that produced it (its configured name), part of the natural key.
    pub source: String,
    pub external_id: String,
    pub location_id: Option<String>,
    pub status: TransactionStatus,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: DateTime<Utc>,
    pub currency: Currency,
    /// What the customer paid, including tax and tip, after discounts.
    pub total_minor: i64,
    pub tax_minor: i64,
    pub tip_minor: i64,
    pub discount_minor: i64,
    pub refunded_minor: i64,
}

impl Transaction {
    pub fn net_minor(&self) -> i64 {
        self.total_minor - self.refunded_minor
    }
}

/// A POS location (a Square location, a Toast restaurant) and its name, so that sales by
/// location show names rather than vendor ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub id: Uuid,
    pub venue_id: Uuid,
    /// The connector whose sales name it (its configured name), part of the natural key.
    pub source: String,
    /// The vendor's id, as sales carry it in [`Transaction::location_id`].
    pub external_id: String,
    pub name: String,
}

impl Location {
    /// `external_id` of `source` named `name` (checked as [`crate::text::LOCATION_NAME`]). Its
    /// id comes from the natural key, so every console gives the same location the same id:
    /// the one [`crate::vendor_row_id`] gives a vendor row of the kind "location".
    pub fn new(
        venue_id: Uuid,
        source: &str,
        external_id: &str,
        name: &str,
    ) -> Result<Self, DomainError> {
        let key = |field: &'static str, value: &str| {
            if value.trim().is_empty() {
                Err(DomainError::Invalid {
                    field,
                    reason: "it is empty".into(),
                })
            } else {
                Ok(value.to_string())
            }
        };
        let source = key("source", source)?;
        let external_id = key("location id", external_id)?;
        let name = crate::text::LOCATION_NAME.clean(name)?;
        let id = crate::vendor_row_id(venue_id, crate::EntityKind::Location, &source, &external_id);
        Ok(Location {
            id,
            venue_id,
            source,
            external_id,
            name,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub source: String,
    pub external_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Vendor classifications such as "Vip", kept as given.
    pub classifications: Vec<String>,
    pub notes: Option<String>,
    pub updated_at_source: Option<DateTime<Utc>>,
}

impl Customer {
    pub fn full_name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(n), None) | (None, Some(n)) => n.clone(),
            (None, None) => String::new(),
        }
    }
}

/// A room, table or space that can be reserved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub source: String,
    pub external_id: String,
    pub name: String,
    /// Vendor category such as "Room" or "Space".
    pub kind: String,
    /// Housekeeping state as the PMS names it (Dirty, Clean, Inspected, OutOfService, ...).
    pub state: Option<String>,
    pub floor: Option<String>,
    pub updated_at_source: Option<DateTime<Utc>>,
}

/// A service of the PMS (accommodation, breakfast, parking, ...): stays belong to a bookable
/// service, charges are posted to an additional one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub source: String,
    pub external_id: String,
    pub name: String,
    /// Vendor kind such as "Bookable" or "Additional", kept as given.
    pub kind: String,
    pub active: bool,
    pub updated_at_source: Option<DateTime<Utc>>,
}

/// Reservation states as PMSs name them; unknown values are kept, not rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ReservationState {
    Inquired,
    Requested,
    Optional,
    Confirmed,
    Started,
    Processed,
    Canceled,
    Other(String),
}

impl From<String> for ReservationState {
    fn from(s: String) -> Self {
        match s.as_str() {
            // Mews has used both spellings.
            "Inquired" | "Enquired" => Self::Inquired,
            "Requested" => Self::Requested,
            "Optional" => Self::Optional,
            "Confirmed" => Self::Confirmed,
            "Started" => Self::Started,
            "Processed" => Self::Processed,
            "Canceled" | "Cancelled" => Self::Canceled,
            _ => Self::Other(s),
        }
    }
}

impl From<ReservationState> for String {
    fn from(s: ReservationState) -> String {
        s.to_string()
    }
}

impl fmt::Display for ReservationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Inquired => "Inquired",
            Self::Requested => "Requested",
            Self::Optional => "Optional",
            Self::Confirmed => "Confirmed",
            Self::Started => "Started",
            Self::Processed => "Processed",
            Self::Canceled => "Canceled",
            Self::Other(s) => s,
        })
    }
}

impl FromStr for ReservationState {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(s.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub source: String,
    pub external_id: String,
    /// The confirmation number staff and guests quote.
    pub number: Option<String>,
    pub state: ReservationState,
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
    pub customer_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
    pub person_count: u32,
    pub notes: Option<String>,
    pub updated_at_source: Option<DateTime<Utc>>,
}

/// A front-desk note on a reservation. Local-only: it lives beside the reservation, so PMS
/// updates of the reservation never touch it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeskNote {
    pub id: Uuid,
    pub venue_id: Uuid,
    /// One note per reservation.
    pub reservation_id: Uuid,
    pub text: String,
    pub written_by: String,
    pub written_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ChargeState {
    /// Recorded locally; not yet confirmed by the PMS (offline, or waiting for a retry).
    Pending,
    /// The PMS has it (its order id is kept).
    Sent,
    /// The PMS refused it for good; `last_error` says why.
    Failed,
}
string_enum!(ChargeState, "charge state", { Pending => "pending", Sent => "sent", Failed => "failed" });

/// A charge posted from the console to a stay's bill in the PMS. Recorded locally first; its id
/// is the idempotency key that travels with it, so it reaches the PMS exactly once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PmsCharge {
    pub id: Uuid,
    pub venue_id: Uuid,
    /// The PMS connection's name.
    pub source: String,
    pub reservation_id: Uuid,
    /// The reservation's id in the PMS.
    pub reservation_external_id: String,
    pub item: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub state: ChargeState,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The PMS's id for the posted order, once sent.
    pub external_order_id: Option<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorDevice {
    pub id: Uuid,
    pub venue_id: Uuid,
    /// The configured name, unique per venue.
    pub name: String,
    /// Device family such as "axis-tvpc", "axis-a3dpc", "xovis", "mqtt".
    pub kind: String,
    pub zone: Option<String>,
}

/// People counted by one device over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorReading {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub device_id: Uuid,
    pub zone: Option<String>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub entries: u32,
    pub exits: u32,
    /// Occupancy at the end of the period where the device reports one.
    pub occupancy: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SnapshotStatus {
    Running,
    Ok,
    Partial,
    Failed,
}
string_enum!(SnapshotStatus, "snapshot status", { Running => "running", Ok => "ok", Partial => "partial", Failed => "failed" });

/// One fetch run of a connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Snapshot {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub connector: String,
    pub correlation_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: SnapshotStatus,
    pub error: Option<String>,
    pub records_seen: u64,
    pub records_written: u64,
    /// Newest source-side modification time seen; the next run resumes from it (minus overlap).
    pub high_water_mark: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}
string_enum!(Severity, "severity", { Info => "info", Warning => "warning", Critical => "critical" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Open,
    Acknowledged,
    Resolved,
}
string_enum!(AlertState, "alert state", { Open => "open", Acknowledged => "acknowledged", Resolved => "resolved" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub rule: String,
    /// Identifies the condition (rule plus subject) so a persisting condition never opens twice.
    pub dedupe_key: String,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub state: AlertState,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub id: Uuid,
    pub venue_id: Uuid,
    /// "staffing", "capacity", ...
    pub kind: String,
    pub for_date: NaiveDate,
    pub title: String,
    pub body: String,
}

/// One user action: who did what to which row, with the row before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: Option<EntityKind>,
    pub entity_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Sales for one venue-local day in one currency, maintained by the store as sales are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DailySales {
    pub venue_id: Uuid,
    pub date: NaiveDate,
    pub currency: Currency,
    pub transactions: u64,
    pub gross_minor: i64,
    pub tax_minor: i64,
    pub tip_minor: i64,
    pub discount_minor: i64,
    pub refunded_minor: i64,
    pub net_minor: i64,
}

impl DailySales {
    /// A day with no sales yet.
    pub fn empty(venue_id: Uuid, date: NaiveDate, currency: Currency) -> Self {
        DailySales {
            venue_id,
            date,
            currency,
            transactions: 0,
            gross_minor: 0,
            tax_minor: 0,
            tip_minor: 0,
            discount_minor: 0,
            refunded_minor: 0,
            net_minor: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn venue_validation_names_the_bad_field() {
        assert!(Venue::new("Harbour", "Europe/London", "GBP", 120).is_ok());
        let tz = Venue::new("Harbour", "Mars/Olympus", "GBP", 120).unwrap_err();
        assert_eq!(tz, DomainError::UnknownTimezone("Mars/Olympus".into()));
        let cap = Venue::new("Harbour", "Europe/London", "GBP", 0).unwrap_err();
        assert!(cap.to_string().contains("capacity"), "{cap}");
        assert!(Venue::new("  ", "Europe/London", "GBP", 5)
            .unwrap_err()
            .to_string()
            .contains("name"));
    }

    #[test]
    fn a_location_has_one_id_per_natural_key_and_a_clean_name() {
        let venue = Uuid::from_u128(7);
        let a = Location::new(venue, "sq", "L1", "  Grant Park ").expect("valid");
        assert_eq!(a.name, "Grant Park");
        let renamed = Location::new(venue, "sq", "L1", "Grant Park West").expect("valid");
        assert_eq!(a.id, renamed.id, "a rename keeps the id");
        assert_ne!(
            a.id,
            Location::new(venue, "toast", "L1", "x").expect("ok").id
        );
        assert_ne!(
            a.id,
            Location::new(Uuid::from_u128(8), "sq", "L1", "x")
                .expect("ok")
                .id
        );
        assert_eq!(a.id.get_version_num(), 5);
        for (source, id, name) in [("", "L1", "x"), ("sq", " ", "x"), ("sq", "L1", "  ")] {
            assert!(Location::new(venue, source, id, name).is_err());
        }
        let err = Location::new(venue, "sq", "L1", "Bar\u{1b}[2J").unwrap_err();
        assert!(err.to_string().contains("location name"), "{err}");
    }

    #[test]
    fn business_date_is_venue_local() {
        let venue = Venue::new("Harbour", "America/New_York", "USD", 50).expect("venue");
        // 02:30 UTC is still the previous evening in New York.
        let at = Utc
            .with_ymd_and_hms(2026, 3, 10, 2, 30, 0)
            .single()
            .expect("instant");
        assert_eq!(
            venue.local_date(at),
            NaiveDate::from_ymd_opt(2026, 3, 9).expect("date")
        );
    }

    #[test]
    fn day_bounds_follow_dst() {
        let venue = Venue::new("Harbour", "Europe/London", "GBP", 50).expect("venue");
        let hours = |d: NaiveDate| {
            let (start, end) = venue.day_bounds(d);
            (end - start).num_hours()
        };
        assert_eq!(
            hours(NaiveDate::from_ymd_opt(2026, 3, 29).expect("date")),
            23
        );
        assert_eq!(
            hours(NaiveDate::from_ymd_opt(2026, 10, 25).expect("date")),
            25
        );
        assert_eq!(
            hours(NaiveDate::from_ymd_opt(2026, 7, 1).expect("date")),
            24
        );
        let (start, _) = venue.day_bounds(NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"));
        assert_eq!(
            start,
            Utc.with_ymd_and_hms(2026, 6, 30, 23, 0, 0)
                .single()
                .expect("instant")
        );
    }

    #[test]
    fn reservation_states_accept_both_spellings_and_keep_unknowns() {
        let parsed: ReservationState = serde_json::from_str("\"Enquired\"").expect("parse");
        assert_eq!(parsed, ReservationState::Inquired);
        let unknown: ReservationState = serde_json::from_str("\"Teleported\"").expect("parse");
        assert_eq!(
            serde_json::to_string(&unknown).expect("ser"),
            "\"Teleported\""
        );
    }
}
