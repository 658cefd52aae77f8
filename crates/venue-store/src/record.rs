//! How each domain entity maps onto its table. One generic write path (see `ingest`) uses this to
//! upsert, detect real changes, stamp the clock and capture the change log for every entity.

use crate::{Result, StoreError};
use chrono::NaiveDate;
use rusqlite::types::ToSql;
use rusqlite::{Row, Statement};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::str::FromStr;
use uuid::Uuid;
use venue_domain::*;

/// Binds values to consecutive parameters of a prepared statement without allocating.
pub struct Binder<'s, 'c> {
    stmt: &'s mut Statement<'c>,
    next: usize,
}

impl<'s, 'c> Binder<'s, 'c> {
    pub(crate) fn new(stmt: &'s mut Statement<'c>) -> Self {
        Binder { stmt, next: 1 }
    }

    pub fn push<T: ToSql>(&mut self, value: T) -> rusqlite::Result<()> {
        self.stmt.raw_bind_parameter(self.next, value)?;
        self.next += 1;
        Ok(())
    }

    pub fn id(&mut self, id: Uuid) -> rusqlite::Result<()> {
        let mut buf = [0u8; 36];
        let text: &str = id.hyphenated().encode_lower(&mut buf);
        self.push(text)
    }

    pub fn opt_id(&mut self, id: Option<Uuid>) -> rusqlite::Result<()> {
        match id {
            Some(id) => self.id(id),
            None => self.push(rusqlite::types::Null),
        }
    }

    pub fn json<T: Serialize>(&mut self, value: &T) -> rusqlite::Result<()> {
        let text = serde_json::to_string(value)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        self.push(text)
    }
}

fn conversion(index: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
}

pub(crate) fn get_id(row: &Row, index: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(index)?;
    Uuid::parse_str(&text).map_err(|e| conversion(index, e))
}

pub(crate) fn get_opt_id(row: &Row, index: usize) -> rusqlite::Result<Option<Uuid>> {
    let text: Option<String> = row.get(index)?;
    text.map(|t| Uuid::parse_str(&t).map_err(|e| conversion(index, e)))
        .transpose()
}

pub(crate) fn get_parsed<T>(row: &Row, index: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(index)?;
    text.parse().map_err(|e| conversion(index, e))
}

fn get_json<T: DeserializeOwned>(row: &Row, index: usize) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| conversion(index, e))
}

fn get_opt_json(row: &Row, index: usize) -> rusqlite::Result<Option<serde_json::Value>> {
    let text: Option<String> = row.get(index)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| conversion(index, e)))
        .transpose()
}

fn get_tz(row: &Row, index: usize) -> rusqlite::Result<chrono_tz::Tz> {
    let text: String = row.get(index)?;
    parse_timezone(&text).map_err(|e| conversion(index, e))
}

fn get_u32(row: &Row, index: usize) -> rusqlite::Result<u32> {
    let v: i64 = row.get(index)?;
    u32::try_from(v).map_err(|e| conversion(index, e))
}

fn get_u64(row: &Row, index: usize) -> rusqlite::Result<u64> {
    let v: i64 = row.get(index)?;
    u64::try_from(v).map_err(|e| conversion(index, e))
}

fn as_i64(v: u64) -> rusqlite::Result<i64> {
    i64::try_from(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Runs `$body` with `$R` bound to the record type of an `EntityKind`.
macro_rules! with_record_type {
    ($kind:expr, $R:ident => $body:expr) => {
        match $kind {
            EntityKind::Venue => {
                type $R = Venue;
                $body
            }
            EntityKind::Transaction => {
                type $R = Transaction;
                $body
            }
            EntityKind::Customer => {
                type $R = Customer;
                $body
            }
            EntityKind::Resource => {
                type $R = Resource;
                $body
            }
            EntityKind::Service => {
                type $R = Service;
                $body
            }
            EntityKind::Reservation => {
                type $R = Reservation;
                $body
            }
            EntityKind::DeskNote => {
                type $R = DeskNote;
                $body
            }
            EntityKind::PmsCharge => {
                type $R = PmsCharge;
                $body
            }
            EntityKind::SensorDevice => {
                type $R = SensorDevice;
                $body
            }
            EntityKind::SensorReading => {
                type $R = SensorReading;
                $body
            }
            EntityKind::Snapshot => {
                type $R = Snapshot;
                $body
            }
            EntityKind::Alert => {
                type $R = Alert;
                $body
            }
            EntityKind::Recommendation => {
                type $R = Recommendation;
                $body
            }
            EntityKind::Audit => {
                type $R = AuditEntry;
                $body
            }
            EntityKind::Location => {
                type $R = Location;
                $body
            }
        }
    };
}
pub(crate) use with_record_type;

/// `id`, `set_id` and `venue_id` for a record with `id` and `venue_id` fields.
macro_rules! row_ids {
    () => {
        fn id(&self) -> Uuid {
            self.id
        }
        fn set_id(&mut self, id: Uuid) {
            self.id = id;
        }
        fn venue_id(&self) -> Uuid {
            self.venue_id
        }
    };
}

/// `record` with the id every console gives it (its natural id, for rows that have one). Rows
/// that others refer to by id (a guest from a stay, a door from its readings) must be built
/// this way before they are referred to; the store would re-key them anyway.
pub fn identified<R: Record>(mut record: R) -> R {
    if let Some(id) = record.natural_id() {
        record.set_id(id);
    }
    record
}

/// What the write path needs to know about the row's venue (business dates are venue-local).
pub struct WriteContext<'a> {
    pub venue: Option<&'a Venue>,
}

/// An entity stored in its own table with the common bookkeeping columns.
pub trait Record: Serialize + DeserializeOwned + Clone {
    const KIND: EntityKind;
    const TABLE: &'static str;
    /// Columns written from the record, in `bind` order, `id` first.
    const COLUMNS: &'static [&'static str];
    /// The natural key re-ingestion upserts on (`["id"]` for rows only we create).
    const CONFLICT: &'static [&'static str];
    /// The time column `--since/--until` filter on and exports sort by.
    const TIME_COLUMN: &'static str;
    /// Whether a row needs its venue loaded to be written.
    const NEEDS_VENUE: bool = false;

    fn id(&self) -> Uuid;
    fn set_id(&mut self, id: Uuid);
    fn venue_id(&self) -> Uuid;
    /// The id every console gives this row, derived from what it is, for things several
    /// consoles can record on their own (see `venue_domain::natural`); None for rows that only
    /// the console creating them can create (a charge, a run, an audit entry).
    fn natural_id(&self) -> Option<Uuid> {
        None
    }
    /// Fields a sender may withhold (see [`Record::withhold`]): where `payload` lacks them, the
    /// value stored `here` is kept instead of being cleared.
    fn keep_withheld(&mut self, _here: &Self, _payload: &serde_json::Value) {}
    /// Removes from an outgoing payload what stays on this console (`venue` says what it
    /// shares).
    fn withhold(_payload: &mut serde_json::Value, _venue: Option<&Venue>) {}
    fn bind(&self, ctx: &WriteContext, b: &mut Binder) -> rusqlite::Result<()>;
    /// Reads a row selected as `COLUMNS`, in order.
    fn from_row(row: &Row) -> rusqlite::Result<Self>;
    /// Checks values the type system cannot (e.g. a period that ends before it starts).
    fn validate(&self) -> Result<()> {
        Ok(())
    }
    /// What a new row of this entity adds to the daily sales (only counted sales add anything).
    fn sales_line(&self, _ctx: &WriteContext) -> Option<crate::SaleLine<'_>> {
        None
    }
}

/// The venue-local day a sale belongs to.
fn business_date(ctx: &WriteContext, t: &Transaction) -> NaiveDate {
    match ctx.venue {
        Some(v) => v.local_date(t.closed_at),
        None => t.closed_at.date_naive(),
    }
}

impl Record for Venue {
    const KIND: EntityKind = EntityKind::Venue;
    const TABLE: &'static str = "venues";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "timezone",
        "currency",
        "capacity",
        "share_guest_contacts",
    ];
    const CONFLICT: &'static [&'static str] = &["id"];
    const TIME_COLUMN: &'static str = "created_at";

    fn id(&self) -> Uuid {
        self.id
    }
    fn set_id(&mut self, id: Uuid) {
        self.id = id;
    }
    fn venue_id(&self) -> Uuid {
        self.id
    }
    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.push(&self.name)?;
        b.push(self.timezone.name())?;
        b.push(self.currency.code())?;
        b.push(self.capacity)?;
        b.push(self.share_guest_contacts)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Venue {
            id: get_id(row, 0)?,
            name: row.get(1)?,
            timezone: get_tz(row, 2)?,
            currency: get_parsed(row, 3)?,
            capacity: get_u32(row, 4)?,
            share_guest_contacts: row.get(5)?,
        })
    }
}

impl Record for Transaction {
    const KIND: EntityKind = EntityKind::Transaction;
    const TABLE: &'static str = "transactions";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "source",
        "external_id",
        "location_id",
        "status",
        "opened_at",
        "closed_at",
        "currency",
        "total_minor",
        "tax_minor",
        "tip_minor",
        "discount_minor",
        "refunded_minor",
        "business_date",
    ];
    const CONFLICT: &'static [&'static str] = &["venue_id", "source", "external_id"];
    const TIME_COLUMN: &'static str = "closed_at";
    const NEEDS_VENUE: bool = true;

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(natural::transaction(
            self.venue_id,
            &self.source,
            &self.external_id,
        ))
    }

    fn bind(&self, ctx: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.source)?;
        b.push(&self.external_id)?;
        b.push(&self.location_id)?;
        b.push(self.status.as_str())?;
        b.push(self.opened_at)?;
        b.push(self.closed_at)?;
        b.push(self.currency.code())?;
        b.push(self.total_minor)?;
        b.push(self.tax_minor)?;
        b.push(self.tip_minor)?;
        b.push(self.discount_minor)?;
        b.push(self.refunded_minor)?;
        b.push(business_date(ctx, self))
    }
    fn sales_line(&self, ctx: &WriteContext) -> Option<crate::SaleLine<'_>> {
        (self.status != TransactionStatus::Canceled).then(|| crate::SaleLine {
            venue_id: self.venue_id,
            source: &self.source,
            external_id: &self.external_id,
            date: business_date(ctx, self),
            currency: self.currency.code(),
            amounts: [
                self.total_minor,
                self.tax_minor,
                self.tip_minor,
                self.discount_minor,
                self.refunded_minor,
            ],
        })
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Transaction {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            source: row.get(2)?,
            external_id: row.get(3)?,
            location_id: row.get(4)?,
            status: get_parsed(row, 5)?,
            opened_at: row.get(6)?,
            closed_at: row.get(7)?,
            currency: get_parsed(row, 8)?,
            total_minor: row.get(9)?,
            tax_minor: row.get(10)?,
            tip_minor: row.get(11)?,
            discount_minor: row.get(12)?,
            refunded_minor: row.get(13)?,
        })
    }
    fn validate(&self) -> Result<()> {
        require_key(&self.source, &self.external_id)?;
        if self.opened_at.is_some_and(|o| o > self.closed_at) {
            return Err(StoreError::Invalid(format!(
                "transaction {}: opened after it closed",
                self.external_id
            )));
        }
        Ok(())
    }
}

fn require_key(source: &str, external_id: &str) -> Result<()> {
    if source.trim().is_empty() || external_id.trim().is_empty() {
        return Err(StoreError::Invalid(format!(
            "source and external id must not be empty (got {source:?}, {external_id:?})"
        )));
    }
    Ok(())
}

impl Record for Customer {
    const KIND: EntityKind = EntityKind::Customer;
    const TABLE: &'static str = "customers";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "source",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "classifications",
        "notes",
        "updated_at_source",
    ];
    const CONFLICT: &'static [&'static str] = &["venue_id", "source", "external_id"];
    const TIME_COLUMN: &'static str = "updated_at";

    row_ids!();
    fn keep_withheld(&mut self, here: &Self, payload: &serde_json::Value) {
        if payload.get("email").is_none() {
            self.email.clone_from(&here.email);
        }
        if payload.get("phone").is_none() {
            self.phone.clone_from(&here.phone);
        }
    }
    fn withhold(payload: &mut serde_json::Value, venue: Option<&Venue>) {
        if !venue.is_some_and(|v| v.share_guest_contacts) {
            if let Some(fields) = payload.as_object_mut() {
                fields.remove("email");
                fields.remove("phone");
            }
        }
    }
    fn natural_id(&self) -> Option<Uuid> {
        Some(vendor_row_id(
            self.venue_id,
            Self::KIND,
            &self.source,
            &self.external_id,
        ))
    }

    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.source)?;
        b.push(&self.external_id)?;
        b.push(&self.first_name)?;
        b.push(&self.last_name)?;
        b.push(&self.email)?;
        b.push(&self.phone)?;
        b.json(&self.classifications)?;
        b.push(&self.notes)?;
        b.push(self.updated_at_source)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Customer {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            source: row.get(2)?,
            external_id: row.get(3)?,
            first_name: row.get(4)?,
            last_name: row.get(5)?,
            email: row.get(6)?,
            phone: row.get(7)?,
            classifications: get_json(row, 8)?,
            notes: row.get(9)?,
            updated_at_source: row.get(10)?,
        })
    }
    fn validate(&self) -> Result<()> {
        require_key(&self.source, &self.external_id)
    }
}

impl Record for Resource {
    const KIND: EntityKind = EntityKind::Resource;
    const TABLE: &'static str = "resources";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "source",
        "external_id",
        "name",
        "kind",
        "state",
        "floor",
        "updated_at_source",
    ];
    const CONFLICT: &'static [&'static str] = &["venue_id", "source", "external_id"];
    const TIME_COLUMN: &'static str = "updated_at";

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(vendor_row_id(
            self.venue_id,
            Self::KIND,
            &self.source,
            &self.external_id,
        ))
    }

    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.source)?;
        b.push(&self.external_id)?;
        b.push(&self.name)?;
        b.push(&self.kind)?;
        b.push(&self.state)?;
        b.push(&self.floor)?;
        b.push(self.updated_at_source)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Resource {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            source: row.get(2)?,
            external_id: row.get(3)?,
            name: row.get(4)?,
            kind: row.get(5)?,
            state: row.get(6)?,
            floor: row.get(7)?,
            updated_at_source: row.get(8)?,
        })
    }
    fn validate(&self) -> Result<()> {
        require_key(&self.source, &self.external_id)
    }
}

impl Record for Reservation {
    const KIND: EntityKind = EntityKind::Reservation;
    const TABLE: &'static str = "reservations";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "source",
        "external_id",
        "number",
        "state",
        "start_utc",
        "end_utc",
        "customer_id",
        "resource_id",
        "person_count",
        "notes",
        "updated_at_source",
    ];
    const CONFLICT: &'static [&'static str] = &["venue_id", "source", "external_id"];
    const TIME_COLUMN: &'static str = "start_utc";

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(vendor_row_id(
            self.venue_id,
            Self::KIND,
            &self.source,
            &self.external_id,
        ))
    }

    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.source)?;
        b.push(&self.external_id)?;
        b.push(&self.number)?;
        b.push(self.state.to_string())?;
        b.push(self.start_utc)?;
        b.push(self.end_utc)?;
        b.opt_id(self.customer_id)?;
        b.opt_id(self.resource_id)?;
        b.push(self.person_count)?;
        b.push(&self.notes)?;
        b.push(self.updated_at_source)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Reservation {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            source: row.get(2)?,
            external_id: row.get(3)?,
            number: row.get(4)?,
            state: ReservationState::from(row.get::<_, String>(5)?),
            start_utc: row.get(6)?,
            end_utc: row.get(7)?,
            customer_id: get_opt_id(row, 8)?,
            resource_id: get_opt_id(row, 9)?,
            person_count: get_u32(row, 10)?,
            notes: row.get(11)?,
            updated_at_source: row.get(12)?,
        })
    }
    fn validate(&self) -> Result<()> {
        require_key(&self.source, &self.external_id)?;
        if self.end_utc < self.start_utc {
            return Err(StoreError::Invalid(format!(
                "reservation {}: ends before it starts",
                self.external_id
            )));
        }
        Ok(())
    }
}

impl Record for Service {
    const KIND: EntityKind = EntityKind::Service;
    const TABLE: &'static str = "services";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "source",
        "external_id",
        "name",
        "kind",
        "active",
        "updated_at_source",
    ];
    const CONFLICT: &'static [&'static str] = &["venue_id", "source", "external_id"];
    const TIME_COLUMN: &'static str = "updated_at";

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(vendor_row_id(
            self.venue_id,
            Self::KIND,
            &self.source,
            &self.external_id,
        ))
    }

    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.source)?;
        b.push(&self.external_id)?;
        b.push(&self.name)?;
        b.push(&self.kind)?;
        b.push(self.active)?;
        b.push(self.updated_at_source)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Service {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            source: row.get(2)?,
            external_id: row.get(3)?,
            name: row.get(4)?,
            kind: row.get(5)?,
            active: row.get(6)?,
            updated_at_source: row.get(7)?,
        })
    }
    fn validate(&self) -> Result<()> {
        require_key(&self.source, &self.external_id)
    }
}

impl Record for DeskNote {
    const KIND: EntityKind = EntityKind::DeskNote;
    const TABLE: &'static str = "desk_notes";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "reservation_id",
        "text",
        "written_by",
        "written_at",
    ];
    const CONFLICT: &'static [&'static str] = &["reservation_id"];
    const TIME_COLUMN: &'static str = "written_at";

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(natural::desk_note(self.reservation_id))
    }

    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.id(self.reservation_id)?;
        b.push(&self.text)?;
        b.push(&self.written_by)?;
        b.push(self.written_at)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(DeskNote {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            reservation_id: get_id(row, 2)?,
            text: row.get(3)?,
            written_by: row.get(4)?,
            written_at: row.get(5)?,
        })
    }
}

impl Record for PmsCharge {
    const KIND: EntityKind = EntityKind::PmsCharge;
    const TABLE: &'static str = "pms_charges";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "source",
        "reservation_id",
        "reservation_external_id",
        "item",
        "amount_minor",
        "currency",
        "state",
        "attempts",
        "last_error",
        "external_order_id",
        "requested_by",
        "requested_at",
        "sent_at",
    ];
    const CONFLICT: &'static [&'static str] = &["id"];
    const TIME_COLUMN: &'static str = "requested_at";

    row_ids!();
    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.source)?;
        b.id(self.reservation_id)?;
        b.push(&self.reservation_external_id)?;
        b.push(&self.item)?;
        b.push(self.amount_minor)?;
        b.push(self.currency.code())?;
        b.push(self.state.as_str())?;
        b.push(self.attempts)?;
        b.push(&self.last_error)?;
        b.push(&self.external_order_id)?;
        b.push(&self.requested_by)?;
        b.push(self.requested_at)?;
        b.push(self.sent_at)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(PmsCharge {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            source: row.get(2)?,
            reservation_id: get_id(row, 3)?,
            reservation_external_id: row.get(4)?,
            item: row.get(5)?,
            amount_minor: row.get(6)?,
            currency: get_parsed(row, 7)?,
            state: get_parsed(row, 8)?,
            attempts: get_u32(row, 9)?,
            last_error: row.get(10)?,
            external_order_id: row.get(11)?,
            requested_by: row.get(12)?,
            requested_at: row.get(13)?,
            sent_at: row.get(14)?,
        })
    }
    fn validate(&self) -> Result<()> {
        if self.item.trim().is_empty() {
            return Err(StoreError::Invalid("a charge needs an item name".into()));
        }
        if self.amount_minor <= 0 {
            return Err(StoreError::Invalid(format!(
                "a charge must be more than zero (got {} minor units)",
                self.amount_minor
            )));
        }
        Ok(())
    }
}

impl Record for SensorDevice {
    const KIND: EntityKind = EntityKind::SensorDevice;
    const TABLE: &'static str = "sensor_devices";
    const COLUMNS: &'static [&'static str] = &["id", "venue_id", "name", "kind", "zone"];
    const CONFLICT: &'static [&'static str] = &["venue_id", "name"];
    const TIME_COLUMN: &'static str = "updated_at";

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(natural::sensor_device(self.venue_id, &self.name))
    }

    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.name)?;
        b.push(&self.kind)?;
        b.push(&self.zone)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(SensorDevice {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            name: row.get(2)?,
            kind: row.get(3)?,
            zone: row.get(4)?,
        })
    }
}

impl Record for SensorReading {
    const KIND: EntityKind = EntityKind::SensorReading;
    const TABLE: &'static str = "sensor_readings";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "device_id",
        "zone",
        "period_start",
        "period_end",
        "entries",
        "exits",
        "occupancy",
        "local_date",
    ];
    const CONFLICT: &'static [&'static str] = &["device_id", "period_start"];
    const TIME_COLUMN: &'static str = "period_start";
    const NEEDS_VENUE: bool = true;

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(natural::sensor_reading(self.device_id, self.period_start))
    }

    fn bind(&self, ctx: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.id(self.device_id)?;
        b.push(&self.zone)?;
        b.push(self.period_start)?;
        b.push(self.period_end)?;
        b.push(self.entries)?;
        b.push(self.exits)?;
        b.push(self.occupancy)?;
        // The venue-local day the reading ends in, for day rollups (SQLite has no time zones).
        let end = self.period_end - chrono::Duration::milliseconds(1);
        b.push(ctx.venue.map(|v| v.local_date(end)))
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(SensorReading {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            device_id: get_id(row, 2)?,
            zone: row.get(3)?,
            period_start: row.get(4)?,
            period_end: row.get(5)?,
            entries: get_u32(row, 6)?,
            exits: get_u32(row, 7)?,
            occupancy: row.get(8)?,
        })
    }
    fn validate(&self) -> Result<()> {
        if self.period_end < self.period_start {
            return Err(StoreError::Invalid(
                "sensor reading: period ends before it starts".into(),
            ));
        }
        Ok(())
    }
}

impl Record for Snapshot {
    const KIND: EntityKind = EntityKind::Snapshot;
    const TABLE: &'static str = "snapshots";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "connector",
        "correlation_id",
        "started_at",
        "finished_at",
        "status",
        "error",
        "records_seen",
        "records_written",
        "high_water_mark",
        "cursor",
    ];
    const CONFLICT: &'static [&'static str] = &["id"];
    const TIME_COLUMN: &'static str = "started_at";

    row_ids!();
    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.connector)?;
        b.push(&self.correlation_id)?;
        b.push(self.started_at)?;
        b.push(self.finished_at)?;
        b.push(self.status.as_str())?;
        b.push(&self.error)?;
        b.push(as_i64(self.records_seen)?)?;
        b.push(as_i64(self.records_written)?)?;
        b.push(self.high_water_mark)?;
        b.push(&self.cursor)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Snapshot {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            connector: row.get(2)?,
            correlation_id: row.get(3)?,
            started_at: row.get(4)?,
            finished_at: row.get(5)?,
            status: get_parsed(row, 6)?,
            error: row.get(7)?,
            records_seen: get_u64(row, 8)?,
            records_written: get_u64(row, 9)?,
            high_water_mark: row.get(10)?,
            cursor: row.get(11)?,
        })
    }
}

impl Record for Alert {
    const KIND: EntityKind = EntityKind::Alert;
    const TABLE: &'static str = "alerts";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "rule",
        "dedupe_key",
        "severity",
        "title",
        "body",
        "state",
        "opened_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
    ];
    const CONFLICT: &'static [&'static str] = &["id"];
    const TIME_COLUMN: &'static str = "opened_at";

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(natural::alert(
            self.venue_id,
            &self.dedupe_key,
            self.opened_at,
        ))
    }

    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.rule)?;
        b.push(&self.dedupe_key)?;
        b.push(self.severity.as_str())?;
        b.push(&self.title)?;
        b.push(&self.body)?;
        b.push(self.state.as_str())?;
        b.push(self.opened_at)?;
        b.push(self.acknowledged_at)?;
        b.push(&self.acknowledged_by)?;
        b.push(self.resolved_at)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Alert {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            rule: row.get(2)?,
            dedupe_key: row.get(3)?,
            severity: get_parsed(row, 4)?,
            title: row.get(5)?,
            body: row.get(6)?,
            state: get_parsed(row, 7)?,
            opened_at: row.get(8)?,
            acknowledged_at: row.get(9)?,
            acknowledged_by: row.get(10)?,
            resolved_at: row.get(11)?,
        })
    }
}

impl Record for Recommendation {
    const KIND: EntityKind = EntityKind::Recommendation;
    const TABLE: &'static str = "recommendations";
    const COLUMNS: &'static [&'static str] =
        &["id", "venue_id", "kind", "for_date", "title", "body"];
    const CONFLICT: &'static [&'static str] = &["id"];
    const TIME_COLUMN: &'static str = "created_at";

    row_ids!();
    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.kind)?;
        b.push(self.for_date)?;
        b.push(&self.title)?;
        b.push(&self.body)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Recommendation {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            kind: row.get(2)?,
            for_date: row.get::<_, NaiveDate>(3)?,
            title: row.get(4)?,
            body: row.get(5)?,
        })
    }
}

impl Record for AuditEntry {
    const KIND: EntityKind = EntityKind::Audit;
    const TABLE: &'static str = "audit_log";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "venue_id",
        "at",
        "actor",
        "action",
        "entity",
        "entity_id",
        "before",
        "after",
    ];
    const CONFLICT: &'static [&'static str] = &["id"];
    const TIME_COLUMN: &'static str = "at";

    row_ids!();
    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(self.at)?;
        b.push(&self.actor)?;
        b.push(&self.action)?;
        b.push(self.entity.map(EntityKind::as_str))?;
        b.opt_id(self.entity_id)?;
        match &self.before {
            Some(v) => b.json(v)?,
            None => b.push(rusqlite::types::Null)?,
        }
        match &self.after {
            Some(v) => b.json(v),
            None => b.push(rusqlite::types::Null),
        }
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        let entity: Option<String> = row.get(5)?;
        Ok(AuditEntry {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            at: row.get(2)?,
            actor: row.get(3)?,
            action: row.get(4)?,
            entity: entity
                .map(|e| e.parse().map_err(|err| conversion(5, err)))
                .transpose()?,
            entity_id: get_opt_id(row, 6)?,
            before: get_opt_json(row, 7)?,
            after: get_opt_json(row, 8)?,
        })
    }
}

impl Record for Location {
    const KIND: EntityKind = EntityKind::Location;
    const TABLE: &'static str = "locations";
    const COLUMNS: &'static [&'static str] = &["id", "venue_id", "source", "external_id", "name"];
    const CONFLICT: &'static [&'static str] = &["venue_id", "source", "external_id"];
    const TIME_COLUMN: &'static str = "updated_at";

    row_ids!();
    fn natural_id(&self) -> Option<Uuid> {
        Some(vendor_row_id(
            self.venue_id,
            Self::KIND,
            &self.source,
            &self.external_id,
        ))
    }
    fn bind(&self, _: &WriteContext, b: &mut Binder) -> rusqlite::Result<()> {
        b.id(self.id)?;
        b.id(self.venue_id)?;
        b.push(&self.source)?;
        b.push(&self.external_id)?;
        b.push(&self.name)
    }
    fn from_row(row: &Row) -> rusqlite::Result<Self> {
        Ok(Location {
            id: get_id(row, 0)?,
            venue_id: get_id(row, 1)?,
            source: row.get(2)?,
            external_id: row.get(3)?,
            name: row.get(4)?,
        })
    }
    fn validate(&self) -> Result<()> {
        require_key(&self.source, &self.external_id)?;
        if self.name.trim().is_empty() {
            return Err(StoreError::Invalid(format!(
                "location {}: a name must not be empty",
                self.external_id
            )));
        }
        Ok(())
    }
}
