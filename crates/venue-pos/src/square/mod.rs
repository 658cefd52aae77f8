//! Square (POS): API models, normalisation into transactions, webhook signatures.
//!
//! Pure parsing and normalisation, no HTTP:
//! - [`ListLocationsResponse`], [`ListPaymentsResponse`], [`SearchOrdersResponse`] and the error
//!   body [`ErrorResponse`] parse tolerantly (unknown fields ignored, unknown enum values kept as
//!   `Other`, optional fields optional); [`Paginated::next_cursor`] / [`next_cursor`] give the next
//!   page's cursor (`None` when the cursor is absent or `""`).
//! - [`SearchOrdersRequest::builder`] builds search bodies Square accepts.
//! - [`order_to_transaction`] and [`payment_to_transaction`] produce [`venue_domain::Transaction`]s;
//!   their docs say what each amount means.
//! - [`verify_webhook_signature`] checks the `x-square-hmacsha256-signature` header.

pub mod client;
mod models;
mod normalize;
mod request;
pub(crate) mod shared;
mod webhook;

pub use models::*;
pub use normalize::{order_to_transaction, payment_to_transaction, SquareContext};
pub use request::{
    DateTimeFilter, SearchOrdersBuilder, SearchOrdersFilter, SearchOrdersQuery,
    SearchOrdersRequest, SearchOrdersSort, SortField, SortOrder, StateFilter, TimeRange,
    MAX_SEARCH_LIMIT, MAX_SEARCH_LOCATIONS,
};
pub use webhook::{verify_webhook_signature, webhook_signature, SIGNATURE_HEADER};

/// What went wrong turning Square data into ours; each variant names the record and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SquareError {
    #[error("square {record} {id}: missing required field `{field}`")]
    MissingField {
        record: &'static str,
        id: String,
        field: String,
    },
    #[error("square {record} {id}: unknown currency {value:?} in `{field}`")]
    UnknownCurrency {
        record: &'static str,
        id: String,
        field: String,
        value: String,
    },
    #[error("square {record} {id}: `{field}` is {found}, but the record is in {expected}")]
    CurrencyMismatch {
        record: &'static str,
        id: String,
        field: String,
        expected: String,
        found: String,
    },
    #[error("square {record} {id}: `{field}` is not an RFC 3339 timestamp ({value:?}): {reason}")]
    InvalidTimestamp {
        record: &'static str,
        id: String,
        field: String,
        value: String,
        reason: String,
    },
    #[error("square {record} {id}: the sum of `{field}` overflows")]
    Overflow {
        record: &'static str,
        id: String,
        field: String,
    },
    #[error("invalid SearchOrders request: {0}")]
    InvalidRequest(String),
    #[error("square API error: {}", .0.message())]
    Api(ErrorResponse),
}

impl From<ErrorResponse> for SquareError {
    fn from(body: ErrorResponse) -> Self {
        SquareError::Api(body)
    }
}
