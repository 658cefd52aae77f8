//! Mews Connector API payloads, parsed tolerantly: PascalCase names, unknown fields ignored,
//! `null` accepted wherever a value may be missing (lists included), enumerations kept as the
//! strings Mews sent (so a new state or kind never fails a page).
//!
//! Records of a page are read one by one ([`parse_records`]): one Mews cannot be read as ours
//! comes back with `unreadable` set (and its `Id` when it had one), so the caller skips it with
//! the reason instead of losing the page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

/// `null` (or a missing field, with `#[serde(default)]`) as the type's default.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A record of a `getAll` page.
pub trait MewsRecord: serde::de::DeserializeOwned + Send {
    /// What the record is, for messages ("reservation", "customer", ...).
    const KIND: &'static str;
    /// A stand-in for a record that could not be read: its id (may be empty) and why.
    fn unreadable(id: String, reason: String) -> Self;
}

/// Reads each value as a `T`; values that cannot be read become `T::unreadable(..)`.
pub fn parse_records<T: MewsRecord>(values: Vec<Value>) -> Vec<T> {
    values
        .into_iter()
        .map(|value| {
            let id = value
                .get("Id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            serde_path_to_error::deserialize::<_, T>(value)
                .unwrap_or_else(|e| T::unreadable(id, format!("mews {} unreadable: {e}", T::KIND)))
        })
        .collect()
}

macro_rules! record {
    ($ty:ident, $kind:literal) => {
        impl MewsRecord for $ty {
            const KIND: &'static str = $kind;
            fn unreadable(id: String, reason: String) -> Self {
                $ty {
                    id,
                    unreadable: Some(reason),
                    ..$ty::default()
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Reservations (reservations/getAll/2023-06-06)

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsPersonCount {
    #[serde(default)]
    pub age_category_id: Option<String>,
    #[serde(default)]
    pub count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsReservation {
    pub id: String,
    #[serde(default)]
    pub service_id: Option<String>,
    /// The owner: a customer or a company (see `account_type`).
    #[serde(default)]
    pub account_id: Option<String>,
    /// "Customer" or "Company".
    #[serde(default)]
    pub account_type: Option<String>,
    #[serde(default)]
    pub booker_id: Option<String>,
    /// The confirmation number.
    #[serde(default)]
    pub number: Option<String>,
    /// "Inquired", "Confirmed", "Started", "Processed", "Canceled", "Optional", "Requested", ...
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub created_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cancelled_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub rate_id: Option<String>,
    #[serde(default)]
    pub requested_resource_category_id: Option<String>,
    #[serde(default)]
    pub assigned_resource_id: Option<String>,
    #[serde(default)]
    pub channel_number: Option<String>,
    #[serde(default)]
    pub cancellation_reason: Option<String>,
    /// Deprecated by Mews but still sent: the start, or the check-in when earlier.
    #[serde(default)]
    pub start_utc: Option<DateTime<Utc>>,
    /// Deprecated by Mews but still sent: the scheduled end.
    #[serde(default)]
    pub end_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub scheduled_start_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub scheduled_end_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub actual_start_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub actual_end_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub person_counts: Vec<MewsPersonCount>,
    /// Set when the record could not be read; normalisation rejects it with this reason.
    #[serde(skip)]
    pub unreadable: Option<String>,
}
record!(MewsReservation, "reservation");

// ---------------------------------------------------------------------------------------------
// Customers (customers/getAll)

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsCustomer {
    pub id: String,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub second_last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub nationality_code: Option<String>,
    #[serde(default)]
    pub language_code: Option<String>,
    #[serde(default)]
    pub loyalty_code: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// "Vip", "Returning", ... kept as sent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub classifications: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub options: Vec<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub created_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_utc: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub unreadable: Option<String>,
}
record!(MewsCustomer, "customer");

// ---------------------------------------------------------------------------------------------
// Resources (resources/getAll)

/// `Data` of a resource: `Discriminator` "Space", "Object" or "Person"; `Value` depends on it
/// (a space has `FloorNumber` and `LocationNotes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsResourceData {
    #[serde(default)]
    pub discriminator: Option<String>,
    #[serde(default)]
    pub value: Option<Value>,
}

impl MewsResourceData {
    /// `Value.FloorNumber` (a string in the docs; a number is accepted too). Empty is none.
    pub fn floor_number(&self) -> Option<String> {
        let floor = match self.value.as_ref()?.get("FloorNumber")? {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!floor.is_empty()).then_some(floor)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsResource {
    pub id: String,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub parent_resource_id: Option<String>,
    /// The room number or name.
    #[serde(default)]
    pub name: Option<String>,
    /// "Dirty", "Clean", "Inspected", "OutOfService", "OutOfOrder", ...
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub created_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub data: Option<MewsResourceData>,
    #[serde(skip)]
    pub unreadable: Option<String>,
}
record!(MewsResource, "resource");

// ---------------------------------------------------------------------------------------------
// Services (services/getAll)

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsServiceData {
    /// "Bookable" or "Additional".
    #[serde(default)]
    pub discriminator: Option<String>,
    #[serde(default)]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsService {
    pub id: String,
    #[serde(default)]
    pub enterprise_id: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Translations of the name by language code.
    #[serde(default, deserialize_with = "null_as_default")]
    pub names: BTreeMap<String, String>,
    /// Deprecated by Mews in favour of `Names`, still sent.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub data: Option<MewsServiceData>,
    /// Deprecated type field of older responses.
    #[serde(default, rename = "Type")]
    pub legacy_type: Option<String>,
    #[serde(default)]
    pub external_identifier: Option<String>,
    #[serde(default)]
    pub ordering: Option<i64>,
    #[serde(default)]
    pub created_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_utc: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub unreadable: Option<String>,
}
record!(MewsService, "service");

impl MewsService {
    /// "Bookable", "Additional", ... (`Data.Discriminator`, else the deprecated `Type`).
    pub fn kind(&self) -> Option<&str> {
        self.data
            .as_ref()
            .and_then(|d| d.discriminator.as_deref())
            .or(self.legacy_type.as_deref())
            .filter(|k| !k.is_empty())
    }

    /// A display name: English first, then any translation, then the deprecated `Name`.
    pub fn display_name(&self) -> Option<&str> {
        ["en-US", "en-GB"]
            .iter()
            .find_map(|lang| self.names.get(*lang))
            .or_else(|| self.names.values().next())
            .map(String::as_str)
            .or(self.name.as_deref())
            .filter(|n| !n.trim().is_empty())
    }

    /// Whether the service is active; Mews always says, a missing flag is taken as active.
    pub fn active(&self) -> bool {
        self.is_active.unwrap_or(true)
    }
}

// ---------------------------------------------------------------------------------------------
// Order items (orderItems/getAll) and orders/add

/// An amount as Mews sends it: decimals in currency units (JSON numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsAmount {
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub net_value: Option<Number>,
    #[serde(default)]
    pub gross_value: Option<Number>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsOrderItem {
    pub id: String,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub account_type: Option<String>,
    #[serde(default)]
    pub service_id: Option<String>,
    /// The order (or reservation) the item belongs to.
    #[serde(default)]
    pub service_order_id: Option<String>,
    #[serde(default)]
    pub bill_id: Option<String>,
    #[serde(default)]
    pub billing_name: Option<String>,
    /// What the sender put in `ExternalIdentifier` when adding it (ours: the charge id).
    #[serde(default)]
    pub external_identifier: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub unit_count: Option<i64>,
    #[serde(default)]
    pub unit_amount: Option<MewsAmount>,
    #[serde(default)]
    pub amount: Option<MewsAmount>,
    #[serde(default)]
    pub accounting_state: Option<String>,
    #[serde(default, rename = "Type")]
    pub item_type: Option<String>,
    #[serde(default)]
    pub created_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub consumed_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub canceled_utc: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub unreadable: Option<String>,
}
record!(MewsOrderItem, "order item");

/// `UnitAmount` of an item to add: a gross or net value in currency units, with tax codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AmountParameters {
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gross_value: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_value: Option<Number>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tax_codes: Vec<String>,
}

/// A custom item of orders/add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddOrderItem {
    pub name: String,
    pub unit_count: u32,
    pub unit_amount: AmountParameters,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounting_category_id: Option<String>,
    /// Our idempotency key: found again by orderItems/getAll after an ambiguous failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_identifier: Option<String>,
}

/// orders/add, less the authentication fields (the client adds those).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddOrderRequest {
    /// Only with portfolio access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<String>,
    pub service_id: String,
    /// The customer (or company) charged.
    pub account_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<AddOrderItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumption_utc: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_reservation_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddOrderResponse {
    #[serde(default)]
    pub order_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Pagination, time intervals, errors

/// `Limitation` of a paged request: 1..=1000 items, continuing after `Cursor` (the oldest
/// item of the previous page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Limitation {
    pub count: u32,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A half-open `[StartUtc, EndUtc)` filter, at most three months long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeInterval {
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
}

/// A `getAll` answer whose list or cursor is not what the API documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageShapeError {
    #[error("`{key}` is {found}, not a list")]
    NotAList { key: String, found: &'static str },
    #[error("`Cursor` is {0}, not a string")]
    CursorNotAString(&'static str),
}

/// One page of a `getAll`: the records under the operation's key, read later one by one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MewsPage {
    pub records: Vec<Value>,
    pub cursor: Option<String>,
}

impl MewsPage {
    /// Reads a response body: `key` is "Reservations", "Customers", ... A missing or `null`
    /// list is an empty page; anything else that is not a list is an error naming the key.
    pub fn from_body(mut body: Map<String, Value>, key: &str) -> Result<Self, PageShapeError> {
        let records = match body.remove(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(PageShapeError::NotAList {
                    key: key.to_string(),
                    found: json_kind(&other),
                })
            }
        };
        let cursor = match body.remove("Cursor") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => return Err(PageShapeError::CursorNotAString(json_kind(&other))),
        };
        Ok(MewsPage { records, cursor })
    }
}

/// The body of a Mews error response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MewsErrorBody {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub details: Option<Value>,
}

/// The message people can act on from an error body ("Message (request id …)"), if it is one.
pub fn error_message(body: &str) -> Option<String> {
    let parsed: MewsErrorBody = serde_json::from_str(body).ok()?;
    let message = parsed.message.filter(|m| !m.trim().is_empty())?;
    Some(match parsed.request_id {
        Some(id) if !id.is_empty() => format!("{message} (request id {id})"),
        _ => message,
    })
}

/// "a string", "an object", ... for messages about unexpected JSON.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
