//! Toast (restaurant POS): API models, normalisation into transactions.
//!
//! Pure parsing and normalisation, no HTTP:
//! - [`LoginRequest`] / [`LoginResponse`] (`token.accessToken`, `token.expiresIn` seconds), the
//!   error body [`ErrorMessage`], and `ordersBulk` [`Order`]s, parsed tolerantly.
//! - Amounts are [`Decimal`]s: JSON numbers in currency units (`1.06`) converted to minor units
//!   exactly, never through float rounding (see [`Decimal`]).
//! - [`parse_toast_time`] / [`format_toast_time`] for `2019-02-24T13:48:44.206+0000`.
//! - [`next_page_from_link_header`] follows `ordersBulk`'s RFC 8288 `Link: <...>; rel="next"`.
//! - [`order_to_transaction`] produces [`venue_domain::Transaction`]s; its docs say what each
//!   amount means.

pub mod client;
mod decimal;
mod link;
mod models;
mod normalize;
mod time;

pub use decimal::{AmountError, Decimal};
pub use link::next_page_from_link_header;
pub use models::*;
pub use normalize::{order_to_transaction, ToastContext};
pub use time::{format_toast_time, parse_toast_time};

/// What went wrong turning Toast data into ours; each variant names what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToastError {
    #[error("toast {record} {id}: missing required field `{field}`")]
    MissingField {
        record: &'static str,
        id: String,
        field: String,
    },
    #[error("toast {record} {id}: `{field}`: {reason}")]
    InvalidField {
        record: &'static str,
        id: String,
        field: String,
        reason: String,
    },
    #[error("invalid Toast amount {value:?}: {reason}")]
    InvalidAmount { value: String, reason: AmountError },
    #[error("invalid Toast timestamp {value:?}: {reason}")]
    InvalidTime { value: String, reason: String },
    #[error("Toast API error (status {}, code {}): {message}", fmt_opt(.status), fmt_opt(.code))]
    Api {
        status: Option<u16>,
        code: Option<i64>,
        message: String,
        request_id: Option<String>,
    },
}

fn fmt_opt<T: std::fmt::Display>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "?".to_string())
}
