//! The `POST /v2/orders/search` request body, and a builder that only produces bodies Square
//! accepts: 1 to 10 location ids, a limit of at most 1000, and a timestamp filter always paired
//! with `sort_field` on the same timestamp (Square rejects the search otherwise).

use super::models::OrderState;
use super::shared::{null_as_default, vendor_enum};
use super::SquareError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most locations one search may name.
pub const MAX_SEARCH_LOCATIONS: usize = 10;
/// Largest page size `SearchOrders` accepts.
pub const MAX_SEARCH_LIMIT: u32 = 1000;

vendor_enum!(
    /// `SearchOrdersSort.sort_field`.
    SortField {
        CreatedAt => "CREATED_AT",
        UpdatedAt => "UPDATED_AT",
        ClosedAt => "CLOSED_AT",
    }
);

vendor_enum!(
    SortOrder {
        Asc => "ASC",
        Desc => "DESC",
    }
);

/// A time range; either end may be open. RFC 3339 strings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TimeRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DateTimeFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<TimeRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<TimeRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<TimeRange>,
}

impl DateTimeFilter {
    /// The timestamp fields that carry a range, with the sort field each requires.
    fn fields(&self) -> Vec<(SortField, &TimeRange)> {
        [
            (SortField::CreatedAt, &self.created_at),
            (SortField::UpdatedAt, &self.updated_at),
            (SortField::ClosedAt, &self.closed_at),
        ]
        .into_iter()
        .filter_map(|(field, range)| range.as_ref().map(|r| (field, r)))
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StateFilter {
    #[serde(default, deserialize_with = "null_as_default")]
    pub states: Vec<OrderState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchOrdersFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_filter: Option<StateFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time_filter: Option<DateTimeFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchOrdersSort {
    pub sort_field: SortField,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchOrdersQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<SearchOrdersFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<SearchOrdersSort>,
}

/// The body of `POST /v2/orders/search`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchOrdersRequest {
    #[serde(default, deserialize_with = "null_as_default")]
    pub location_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<SearchOrdersQuery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Ask for `order_entries` (ids only) instead of whole orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_entries: Option<bool>,
}

impl SearchOrdersRequest {
    /// Starts a search over `location_ids` (1 to 10 of them; checked by `build`).
    pub fn builder<I, S>(location_ids: I) -> SearchOrdersBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SearchOrdersBuilder {
            location_ids: location_ids.into_iter().map(Into::into).collect(),
            states: Vec::new(),
            time: None,
            sort_order: SortOrder::Asc,
            limit: None,
            cursor: None,
            return_entries: None,
        }
    }

    /// The same search asking for the page after `cursor`; `None` when there is no next page
    /// (`cursor` absent or empty), so `request.next_page(response.next_cursor())` ends a loop.
    pub fn next_page(&self, cursor: Option<&str>) -> Option<SearchOrdersRequest> {
        let cursor = cursor.filter(|c| !c.trim().is_empty())?;
        let mut next = self.clone();
        next.cursor = Some(cursor.to_string());
        Some(next)
    }

    /// Checks the rules Square enforces, naming the part that breaks one.
    pub fn validate(&self) -> Result<(), SquareError> {
        let invalid = |reason: String| Err(SquareError::InvalidRequest(reason));
        let n = self.location_ids.len();
        if n == 0 || n > MAX_SEARCH_LOCATIONS {
            return invalid(format!(
                "location_ids must hold 1 to {MAX_SEARCH_LOCATIONS} ids, got {n}"
            ));
        }
        if let Some(id) = self.location_ids.iter().find(|id| id.trim().is_empty()) {
            return invalid(format!("location_ids holds an empty id {id:?}"));
        }
        if let Some(limit) = self.limit {
            if limit == 0 || limit > MAX_SEARCH_LIMIT {
                return invalid(format!(
                    "limit must be 1 to {MAX_SEARCH_LIMIT}, got {limit}"
                ));
            }
        }
        let query = self.query.as_ref();
        let filter = query
            .and_then(|q| q.filter.as_ref())
            .and_then(|f| f.date_time_filter.as_ref());
        let fields = filter.map(DateTimeFilter::fields).unwrap_or_default();
        if fields.len() > 1 {
            return invalid(
                "date_time_filter may set only one of created_at, updated_at, closed_at".into(),
            );
        }
        if let Some((field, range)) = fields.first() {
            let name = field.as_str().to_ascii_lowercase();
            validate_range(&name, range)?;
            let sort = query.and_then(|q| q.sort.as_ref());
            match sort {
                Some(sort) if sort.sort_field == *field => {}
                Some(sort) => {
                    return invalid(format!(
                        "date_time_filter.{name} requires sort.sort_field {field}, got {}",
                        sort.sort_field
                    ))
                }
                None => {
                    return invalid(format!(
                        "date_time_filter.{name} requires sort.sort_field {field}"
                    ))
                }
            }
        }
        Ok(())
    }
}

fn validate_range(name: &str, range: &TimeRange) -> Result<(), SquareError> {
    let parse = |which: &str, value: &Option<String>| -> Result<_, SquareError> {
        value
            .as_deref()
            .map(|v| {
                DateTime::parse_from_rfc3339(v).map_err(|e| {
                    SquareError::InvalidRequest(format!(
                        "date_time_filter.{name}.{which} is not RFC 3339 ({v:?}): {e}"
                    ))
                })
            })
            .transpose()
    };
    let start = parse("start_at", &range.start_at)?;
    let end = parse("end_at", &range.end_at)?;
    match (start, end) {
        (None, None) => Err(SquareError::InvalidRequest(format!(
            "date_time_filter.{name} needs start_at or end_at"
        ))),
        (Some(s), Some(e)) if s >= e => Err(SquareError::InvalidRequest(format!(
            "date_time_filter.{name}: start_at must be before end_at"
        ))),
        _ => Ok(()),
    }
}

/// A time filter on one field, either end open.
#[derive(Debug, Clone)]
struct TimeFilter {
    field: SortField,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

/// Builds a [`SearchOrdersRequest`] that Square accepts; see [`SearchOrdersRequest::builder`].
#[derive(Debug, Clone)]
pub struct SearchOrdersBuilder {
    location_ids: Vec<String>,
    states: Vec<OrderState>,
    time: Option<TimeFilter>,
    sort_order: SortOrder,
    limit: Option<u32>,
    cursor: Option<String>,
    return_entries: Option<bool>,
}

impl SearchOrdersBuilder {
    /// Only orders in these states.
    pub fn states<I: IntoIterator<Item = OrderState>>(mut self, states: I) -> Self {
        self.states = states.into_iter().collect();
        self
    }

    /// Orders whose `field` timestamp lies in `[start, end)`, either end open; also sorts on
    /// `field`, as Square requires.
    pub fn time_range(
        mut self,
        field: SortField,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> Self {
        self.time = Some(TimeFilter { field, start, end });
        self
    }

    /// Orders closed in `[start, end)`, sorted by `closed_at`.
    pub fn closed_between(self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.time_range(SortField::ClosedAt, Some(start), Some(end))
    }

    /// Orders updated in `[start, end)`, sorted by `updated_at` (for incremental pulls).
    pub fn updated_between(self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.time_range(SortField::UpdatedAt, Some(start), Some(end))
    }

    /// Sort direction for the time filter's field (default ascending).
    pub fn sort_order(mut self, order: SortOrder) -> Self {
        self.sort_order = order;
        self
    }

    /// Page size, 1 to 1000.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Continue from a previous page's cursor; `None` or `""` starts at the first page.
    pub fn cursor(mut self, cursor: Option<&str>) -> Self {
        self.cursor = cursor.filter(|c| !c.trim().is_empty()).map(str::to_string);
        self
    }

    pub fn return_entries(mut self, entries: bool) -> Self {
        self.return_entries = Some(entries);
        self
    }

    pub fn build(self) -> Result<SearchOrdersRequest, SquareError> {
        let state_filter = (!self.states.is_empty()).then_some(StateFilter {
            states: self.states,
        });
        let mut sort = None;
        let date_time_filter = self.time.map(|TimeFilter { field, start, end }| {
            let range = Some(TimeRange {
                start_at: start.map(|t| t.to_rfc3339()),
                end_at: end.map(|t| t.to_rfc3339()),
            });
            let mut filter = DateTimeFilter::default();
            match field {
                SortField::CreatedAt => filter.created_at = range,
                SortField::UpdatedAt => filter.updated_at = range,
                // `Other` cannot be expressed as a filter; validate() reports it below.
                SortField::ClosedAt | SortField::Other(_) => filter.closed_at = range,
            }
            sort = Some(SearchOrdersSort {
                sort_field: field,
                sort_order: Some(self.sort_order.clone()),
            });
            filter
        });
        let filter =
            (state_filter.is_some() || date_time_filter.is_some()).then_some(SearchOrdersFilter {
                state_filter,
                date_time_filter,
            });
        let query =
            (filter.is_some() || sort.is_some()).then_some(SearchOrdersQuery { filter, sort });
        let request = SearchOrdersRequest {
            location_ids: self.location_ids,
            cursor: self.cursor,
            query,
            limit: self.limit,
            return_entries: self.return_entries,
        };
        request.validate()?;
        Ok(request)
    }
}
