//! Fetching from Square: ListLocations, SearchOrders and ListPayments over the shared HTTP layer.

use super::{
    order_to_transaction, payment_to_transaction, ErrorResponse, ListLocationsResponse,
    ListPaymentsResponse, Location, LocationStatus, OrderState, SearchOrdersRequest,
    SearchOrdersResponse, SortOrder, SquareContext,
};
use crate::source::{Page, PageSink};
use chrono::{DateTime, Utc};
use venue_http::fetch::{FetchError, MAX_PAGES};
use venue_http::http::{ConnectorError, HttpClient, RunContext};
use venue_http::secrets::Secret;

/// The API version we are written against (sent as `Square-Version`).
pub const SQUARE_VERSION: &str = "2025-08-20";
/// Orders per SearchOrders page.
pub const PAGE_SIZE: u32 = 500;

fn error_message(body: &str) -> Option<String> {
    serde_json::from_str::<ErrorResponse>(body)
        .ok()
        .map(|e| e.message())
}

/// The ids of the locations sales are fetched from when none are configured: every one not
/// inactive.
pub fn active_location_ids(locations: &[Location]) -> Vec<String> {
    locations
        .iter()
        .filter(|l| !matches!(l.status, Some(LocationStatus::Inactive)))
        .filter_map(|l| l.id.clone())
        .collect()
}

pub struct SquareClient {
    pub http: HttpClient,
    pub base_url: String,
    pub token: Secret,
    pub context: SquareContext,
    /// The locations to fetch; all active ones when empty.
    pub location_ids: Vec<String>,
    /// Orders per page (`PAGE_SIZE` unless a test needs another).
    pub page_size: u32,
}

impl SquareClient {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    /// Every location of the account, active or not, with its name (`GET /v2/locations`).
    pub async fn locations(&self, run: &RunContext) -> Result<Vec<Location>, ConnectorError> {
        let url = self.url("/v2/locations");
        let (response, _) = self
            .http
            .send_json::<ListLocationsResponse>(run, error_message, |c| {
                c.get(&url)
                    .bearer_auth(self.token.expose())
                    .header("Square-Version", SQUARE_VERSION)
            })
            .await?;
        Ok(response.locations)
    }

    pub async fn active_locations(&self, run: &RunContext) -> Result<Vec<String>, ConnectorError> {
        Ok(active_location_ids(&self.locations(run).await?))
    }

    /// Payments created in [start, end), per location, oldest first (`GET /v2/payments`): for
    /// accounts that take payments without orders. Limit 100, the API's maximum.
    pub async fn fetch_payments(
        &self,
        run: &RunContext,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        sink: &mut PageSink<'_>,
    ) -> Result<(), FetchError> {
        let locations = if self.location_ids.is_empty() {
            self.active_locations(run).await?
        } else {
            self.location_ids.clone()
        };
        let url = self.url("/v2/payments");
        let (begin, end) = (start.to_rfc3339(), end.to_rfc3339());
        for location in &locations {
            let mut cursor: Option<String> = None;
            let mut cursors_seen = std::collections::HashSet::new();
            for _ in 0..MAX_PAGES {
                let mut query: Vec<(&str, &str)> = vec![
                    ("begin_time", &begin),
                    ("end_time", &end),
                    ("location_id", location),
                    ("sort_order", "ASC"),
                    ("limit", "100"),
                ];
                if let Some(c) = &cursor {
                    query.push(("cursor", c));
                }
                let (page, _) = self
                    .http
                    .send_json::<ListPaymentsResponse>(run, error_message, |c| {
                        c.get(&url)
                            .query(&query)
                            .bearer_auth(self.token.expose())
                            .header("Square-Version", SQUARE_VERSION)
                    })
                    .await?;
                let mut out = Page {
                    seen: page.payments.len() as u64,
                    ..Page::default()
                };
                for payment in &page.payments {
                    match payment_to_transaction(payment, &self.context) {
                        Ok(t) => out.transactions.push(t),
                        Err(e) => out.rejected.push(e.to_string()),
                    }
                }
                sink(out).map_err(FetchError::Sink)?;
                cursor = super::next_cursor(&page).map(str::to_string);
                match &cursor {
                    None => break,
                    Some(c) if !cursors_seen.insert(c.clone()) => {
                        return Err(ConnectorError::Malformed {
                            connector: self.context.source.clone(),
                            url: url.clone(),
                            detail: format!("cursor {c:?} came back twice"),
                        }
                        .into())
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Orders updated in [start, end), oldest first, completed or canceled (refunds and late
    /// edits change `updated_at`, so an incremental fetch sees them).
    pub async fn fetch_orders(
        &self,
        run: &RunContext,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        sink: &mut PageSink<'_>,
    ) -> Result<(), FetchError> {
        let locations = if self.location_ids.is_empty() {
            self.active_locations(run).await?
        } else {
            self.location_ids.clone()
        };
        let url = self.url("/v2/orders/search");
        for chunk in locations.chunks(super::request::MAX_SEARCH_LOCATIONS) {
            let first = SearchOrdersRequest::builder(chunk.iter().cloned())
                .states([OrderState::Completed, OrderState::Canceled])
                .updated_between(start, end)
                .sort_order(SortOrder::Asc)
                .limit(self.page_size)
                .build()
                // Our request is wrong (a window ending before it starts...): nothing was sent,
                // and it is not the vendor's failure.
                .map_err(|e| {
                    FetchError::Setup(format!("{}: not sent to {url}: {e}", self.context.source))
                })?;
            let mut request = Some(first);
            let mut cursors_seen = std::collections::HashSet::new();
            for _ in 0..MAX_PAGES {
                let Some(body) = request.take() else { break };
                let (page, _) = self
                    .http
                    .send_json::<SearchOrdersResponse>(run, error_message, |c| {
                        c.post(&url)
                            .bearer_auth(self.token.expose())
                            .header("Square-Version", SQUARE_VERSION)
                            .json(&body)
                    })
                    .await?;
                let mut out = Page {
                    seen: page.orders.len() as u64,
                    ..Page::default()
                };
                for order in &page.orders {
                    match order_to_transaction(order, &self.context) {
                        Ok(t) => out.transactions.push(t),
                        Err(e) => out.rejected.push(e.to_string()),
                    }
                }
                sink(out).map_err(FetchError::Sink)?;
                let next = super::next_cursor(&page).map(str::to_string);
                if let Some(cursor) = &next {
                    // A vendor repeating a cursor would loop forever; stop and say so.
                    if !cursors_seen.insert(cursor.clone()) {
                        return Err(ConnectorError::Malformed {
                            connector: self.context.source.clone(),
                            url: url.clone(),
                            detail: format!("cursor {cursor:?} came back twice"),
                        }
                        .into());
                    }
                }
                request = body.next_page(next.as_deref());
            }
        }
        Ok(())
    }
}
