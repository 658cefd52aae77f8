//! What the UI and the CLI send, read into our types; each error names the field and shows
//! the form expected.

use crate::{ApiError, ApiResult};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A venue-local date as the UI sends it; `what` names the field in the error.
pub(crate) fn parse_date(what: &str, text: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::bad_input(format!(
            "{what} {text:?} is not a date: expected YYYY-MM-DD, e.g. 2026-11-29"
        ))
    })
}

/// An instant as the UI sends it (ISO-8601 with a zone, e.g. 2026-11-29T07:45:00Z).
pub(crate) fn parse_instant(what: &str, text: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_input(format!(
                "{what} {text:?} is not a time: expected ISO-8601 with a zone, e.g. 2026-11-29T07:45:00Z"
            ))
        })
}

/// One of our ids as the UI sends it; `what` names the kind of row.
pub(crate) fn parse_id(what: &str, text: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(text.trim())
        .map_err(|_| ApiError::bad_input(format!("{what} id {text:?} is not a valid id")))
}
