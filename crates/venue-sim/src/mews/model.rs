//! The simulated hotel: the public snapshots tests compare against, the records behind them
//! (which carry the rest of the Mews fields), and the state the server and the handle share.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;

/// A reservation (Mews "Reservation (ver 2023-06-06)") as it stands now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimReservation {
    /// `Id`
    pub id: String,
    /// `Number`, the confirmation number (a string of digits).
    pub number: String,
    /// `State`: Inquired, Requested, Optional, Confirmed, Started, Processed or Canceled.
    pub state: String,
    /// `StartUtc`: the scheduled start, or the check-in time when that was earlier.
    pub start_utc: DateTime<Utc>,
    /// `EndUtc`: the scheduled end.
    pub end_utc: DateTime<Utc>,
    /// `AccountId`: the customer who owns the reservation.
    pub account_id: String,
    /// `AssignedResourceId`: the room, if one is assigned.
    pub assigned_resource_id: Option<String>,
    /// The sum of `PersonCounts` (adults and children).
    pub person_count: u32,
    /// `ServiceId` (the Accommodation service).
    pub service_id: String,
    /// `UpdatedUtc`
    pub updated_utc: DateTime<Utc>,
    /// `CreatedUtc`
    pub created_utc: DateTime<Utc>,
    /// `ScheduledStartUtc`
    pub scheduled_start_utc: DateTime<Utc>,
    /// `ScheduledEndUtc`
    pub scheduled_end_utc: DateTime<Utc>,
    /// `ActualStartUtc` (check-in)
    pub actual_start_utc: Option<DateTime<Utc>>,
    /// `ActualEndUtc` (check-out)
    pub actual_end_utc: Option<DateTime<Utc>>,
    /// `CancelledUtc`
    pub cancelled_utc: Option<DateTime<Utc>>,
}

/// A customer (guest profile).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimCustomer {
    /// `Id` (the `AccountId` of their reservations and orders)
    pub id: String,
    /// `FirstName`
    pub first_name: Option<String>,
    /// `LastName`
    pub last_name: String,
    /// `Email`
    pub email: Option<String>,
    /// `Phone`
    pub phone: Option<String>,
    /// `Classifications`, Mews spelling: `VeryImportant` and `Important` are the VIP levels,
    /// `Returning` marks repeat guests.
    pub classifications: Vec<String>,
    /// `Notes`
    pub notes: Option<String>,
    /// `UpdatedUtc`
    pub updated_utc: DateTime<Utc>,
    /// `CreatedUtc`
    pub created_utc: DateTime<Utc>,
    /// `NationalityCode` (ISO 3166-1 alpha-2)
    pub nationality_code: Option<String>,
}

/// A resource (a room, `Data.Discriminator` "Space").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimResource {
    /// `Id`
    pub id: String,
    /// `Name`, e.g. "101"
    pub name: String,
    /// `State`: Dirty, Clean, Inspected, OutOfService or OutOfOrder.
    pub state: String,
    /// `Data.Value.FloorNumber`
    pub floor: Option<String>,
    /// `UpdatedUtc`
    pub updated_utc: DateTime<Utc>,
    /// `CreatedUtc`
    pub created_utc: DateTime<Utc>,
    /// The name of its resource category, e.g. "Standard Double".
    pub category: String,
}

/// A service of the enterprise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimService {
    /// `Id`
    pub id: String,
    /// `Name`
    pub name: String,
    /// `Data.Discriminator`: "Bookable" or "Additional".
    pub kind: String,
}

/// An accepted `orders/add`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimPostedOrder {
    /// The `OrderId` answered.
    pub order_id: String,
    /// `LinkedReservationId`
    pub linked_reservation_id: Option<String>,
    /// `AccountId`
    pub account_id: String,
    /// `ServiceId`
    pub service_id: String,
    /// The order items created from `Items`, in request order.
    pub items: Vec<SimOrderItem>,
    /// When the simulator recorded it.
    pub created_utc: DateTime<Utc>,
    /// `ConsumptionUtc` (the recording time when not given).
    pub consumption_utc: DateTime<Utc>,
    /// `Notes`
    pub notes: Option<String>,
}

/// One order item created by `orders/add` (visible through `orderItems/getAll`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimOrderItem {
    /// The order item `Id`.
    pub id: String,
    /// `Name` (served as `BillingName`).
    pub name: String,
    /// `UnitCount`
    pub unit_count: u32,
    /// `UnitAmount.GrossValue` in minor units.
    pub unit_amount_minor: i64,
    /// ISO 4217 currency.
    pub currency: String,
    /// `ExternalIdentifier`
    pub external_identifier: Option<String>,
    /// `UnitAmount.NetValue` in minor units.
    pub unit_net_minor: i64,
    /// The tax code applied, if any.
    pub tax_code: Option<String>,
}

/// An entity a change touched.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SimChange {
    /// A reservation id.
    Reservation(String),
    /// A customer id.
    Customer(String),
    /// A resource id.
    Resource(String),
}

/// Every reservation state Mews knows.
pub(crate) const RESERVATION_STATES: [&str; 7] = [
    "Inquired",
    "Requested",
    "Optional",
    "Confirmed",
    "Started",
    "Processed",
    "Canceled",
];

/// Every resource state Mews knows.
pub(crate) const RESOURCE_STATES: [&str; 5] =
    ["Dirty", "Clean", "Inspected", "OutOfService", "OutOfOrder"];

/// A reservation with the fields only the JSON needs.
#[derive(Clone, Debug)]
pub(crate) struct ReservationRec {
    pub sim: SimReservation,
    pub adults: u32,
    pub children: u32,
    pub group_id: String,
    pub rate_id: String,
    pub category_id: String,
    pub origin: &'static str,
    pub commander_origin: Option<&'static str>,
    pub channel_number: Option<String>,
    pub purpose: &'static str,
    pub credit_card_id: Option<String>,
    pub booker_id: Option<String>,
    pub business_segment_id: Option<String>,
    pub cancellation_reason: Option<&'static str>,
    pub released_utc: Option<DateTime<Utc>>,
    pub creator_profile_id: String,
    pub updater_profile_id: String,
}

#[derive(Clone, Debug)]
pub(crate) struct CustomerRec {
    pub sim: SimCustomer,
    pub number: String,
    pub title: Option<&'static str>,
    pub sex: Option<&'static str>,
    pub language_code: Option<&'static str>,
    pub birth_date: Option<String>,
    pub loyalty_code: Option<String>,
    pub options: Vec<&'static str>,
    pub has_ota_email: bool,
    pub creator_profile_id: String,
    pub updater_profile_id: String,
}

#[derive(Clone, Debug)]
pub(crate) struct ResourceRec {
    pub sim: SimResource,
    pub category_id: String,
    pub description: String,
    pub location_notes: String,
}

#[derive(Clone, Debug)]
pub(crate) struct ServiceRec {
    pub sim: SimService,
    pub created_utc: DateTime<Utc>,
    pub updated_utc: DateTime<Utc>,
    pub ordering: u32,
    pub external_identifier: String,
    pub bill_as_package: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct CategoryRec {
    pub id: String,
    pub name: &'static str,
    pub short_name: &'static str,
    pub capacity: u32,
    pub extra_capacity: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct OrderItemRec {
    pub item: SimOrderItem,
    pub order_id: String,
    /// The reservation for items linked to one, else the order itself.
    pub service_order_id: String,
    pub account_id: String,
    pub service_id: String,
    pub notes: Option<String>,
    pub accounting_category_id: Option<String>,
    pub created_utc: DateTime<Utc>,
    pub updated_utc: DateTime<Utc>,
    pub consumed_utc: DateTime<Utc>,
    pub creator_profile_id: String,
}

/// The whole hotel. One lock guards it; handlers and the handle work on it briefly.
pub(crate) struct Hotel {
    pub enterprise_id: String,
    pub chain_id: String,
    pub currency: String,
    pub tz: Tz,
    pub services: Vec<ServiceRec>,
    pub categories: Vec<CategoryRec>,
    pub resources: Vec<ResourceRec>,
    pub customers: Vec<CustomerRec>,
    pub reservations: Vec<ReservationRec>,
    pub orders: Vec<SimPostedOrder>,
    pub order_items: Vec<OrderItemRec>,
    /// (id, name) of the rates.
    pub rates: Vec<(String, &'static str)>,
    pub adult_category_id: String,
    pub child_category_id: String,
    /// Staff user profiles (CreatorProfileId / UpdaterProfileId).
    pub profiles: Vec<String>,
    /// The profile of this integration (what the Connector API writes as).
    pub connector_profile_id: String,
    pub business_segments: Vec<String>,
    /// Drives churn and new ids: seeded, so a run is reproducible up to wall-clock times.
    pub rng: fastrand::Rng,
    pub next_reservation_number: u64,
    pub next_customer_number: u64,
    /// The latest timestamp handed out; `stamp` never goes back or repeats.
    pub last_stamp: DateTime<Utc>,
    /// Cursor id → (CreatedUtc, UpdatedUtc) the item had when it was served as a page's cursor,
    /// so paging resumes from where that page ended even if the item changed since.
    pub cursors: HashMap<String, (DateTime<Utc>, DateTime<Utc>)>,
}

impl Hotel {
    /// A fresh change time: the wall clock to the millisecond, strictly after every previous one
    /// (two changes in the same millisecond still get distinct, ordered `UpdatedUtc`s).
    pub(crate) fn stamp(&mut self) -> DateTime<Utc> {
        let now = trunc_ms(Utc::now());
        let t = if now > self.last_stamp {
            now
        } else {
            self.last_stamp + TimeDelta::milliseconds(1)
        };
        self.last_stamp = t;
        t
    }

    pub(crate) fn new_id(&mut self) -> String {
        crate::util::guid(&mut self.rng)
    }

    pub(crate) fn reservation(&self, id: &str) -> Option<&ReservationRec> {
        self.reservations.iter().find(|r| r.sim.id == id)
    }

    pub(crate) fn customer(&self, id: &str) -> Option<&CustomerRec> {
        self.customers.iter().find(|c| c.sim.id == id)
    }

    pub(crate) fn resource(&self, id: &str) -> Option<&ResourceRec> {
        self.resources.iter().find(|r| r.sim.id == id)
    }

    pub(crate) fn service(&self, id: &str) -> Option<&ServiceRec> {
        self.services.iter().find(|s| s.sim.id == id)
    }

    pub(crate) fn accommodation_id(&self) -> String {
        self.services
            .iter()
            .find(|s| s.sim.kind == "Bookable")
            .map(|s| s.sim.id.clone())
            .unwrap_or_default()
    }
}

/// Drops sub-millisecond precision (the JSON carries milliseconds, so what is stored is exactly
/// what a client reads back).
pub(crate) fn trunc_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    let extra = t.timestamp_subsec_nanos() % 1_000_000;
    t - TimeDelta::nanoseconds(i64::from(extra))
}

/// Mews' timestamp form: `2023-04-23T14:00:00Z`, with `.fff` when there are milliseconds.
/// Formatted by hand: chrono's formatter is slow in debug builds and a page holds thousands.
pub(crate) fn mews_time(t: DateTime<Utc>) -> String {
    let ms = t.timestamp_subsec_millis().min(999);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if ms == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{ms:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_print_like_mews() {
        let t = Utc.with_ymd_and_hms(2023, 4, 23, 14, 0, 0).unwrap();
        assert_eq!(mews_time(t), "2023-04-23T14:00:00Z");
        let t = t + TimeDelta::microseconds(12_345);
        assert_eq!(mews_time(trunc_ms(t)), "2023-04-23T14:00:00.012Z");
        assert_eq!(trunc_ms(t).timestamp_subsec_micros(), 12_000);
    }
}
