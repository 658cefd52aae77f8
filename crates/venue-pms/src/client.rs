//! The Mews Connector API over the shared HTTP layer (rate limit, retries, Retry-After,
//! metrics). Every call is a POST of JSON to `{api_url}/api/connector/v1/{resource}/{operation}`
//! with the tokens and the client name in the body; `getAll`s are paged by cursor.

use crate::config::PmsConfig;
use crate::models::{
    error_message, parse_records, AddOrderItem, AddOrderRequest, AddOrderResponse,
    AmountParameters, Limitation, MewsCustomer, MewsOrderItem, MewsPage, MewsRecord,
    MewsReservation, MewsResource, MewsService, TimeInterval,
};
use crate::money::{check_charge_amount, minor_to_number, AmountError};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::Arc;
use venue_domain::text::{printable, CHARGE_ITEM};
use venue_domain::PmsCharge;
use venue_http::fetch::{windows, FetchError, SinkError, MAX_PAGES};
use venue_http::http::{ConnectorError, HttpClient, RunContext};
use venue_http::metrics::Metrics;
use venue_http::secrets::{resolve, Secret, SecretError, SecretStore};

/// Most items a page may hold, and most ids one filter may list.
pub const PAGE_SIZE: u32 = 1_000;
/// Mews caps time filters at three months. The shortest three months (31 Jan → 30 Apr) are 89
/// days, so 89-day windows are within the cap from any start.
pub const MAX_WINDOW_DAYS: i64 = 89;
const RESERVATIONS: &str = "reservations/getAll/2023-06-06";

/// Why a charge can never be posted as it is stored (rows written before the checks at entry
/// existed): the PMS would refuse it on every attempt, so it fails for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChargeRefused {
    #[error(transparent)]
    Amount(#[from] AmountError),
    #[error("the item \"{shown}\" cannot be sent: {why}")]
    Item {
        /// The item's first 40 characters, printable ("…" when cut).
        shown: String,
        why: String,
    },
}

/// The tokens of one Mews integration. `Debug` shows neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MewsCredentials {
    pub client_token: Secret,
    pub access_token: Secret,
}

impl MewsCredentials {
    /// `{name}-client-token` and `{name}-access-token`, from the environment or `store`.
    pub fn resolve(
        config: &PmsConfig,
        store: Option<&dyn SecretStore>,
    ) -> Result<Self, SecretError> {
        Ok(MewsCredentials {
            client_token: resolve(store, &config.client_token_secret())?,
            access_token: resolve(store, &config.access_token_secret())?,
        })
    }
}

/// A Mews client. Cheap to clone; clones share the rate limiter and metrics, so keep one per
/// access token (Mews counts requests per token).
#[derive(Clone)]
pub struct MewsClient {
    http: HttpClient,
    name: String,
    api_url: String,
    client_name: String,
    enterprise_id: Option<String>,
    tax_codes: Vec<String>,
    credentials: MewsCredentials,
    page_size: u32,
}

impl MewsClient {
    pub fn new(config: &PmsConfig, credentials: MewsCredentials) -> Result<Self, ConnectorError> {
        Ok(MewsClient {
            http: HttpClient::new(&config.name, config.http_settings())?,
            name: config.name.clone(),
            api_url: config.api_url.trim_end_matches('/').to_string(),
            client_name: config.client_name.clone(),
            enterprise_id: config.enterprise_id.clone(),
            tax_codes: config.charge_tax_codes.clone(),
            credentials,
            page_size: PAGE_SIZE,
        })
    }

    /// Items asked for per page (1..=1000; `PAGE_SIZE` unless a test needs short pages).
    pub fn with_page_size(mut self, count: u32) -> Self {
        self.page_size = count.clamp(1, PAGE_SIZE);
        self
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        self.http.metrics()
    }

    fn url(&self, operation: &str) -> String {
        format!("{}/api/connector/v1/{operation}", self.api_url)
    }

    /// The body: the operation's fields plus authentication and the client name.
    fn body(&self, mut fields: Map<String, Value>) -> Value {
        fields.insert(
            "ClientToken".into(),
            self.credentials.client_token.expose().into(),
        );
        fields.insert(
            "AccessToken".into(),
            self.credentials.access_token.expose().into(),
        );
        fields.insert("Client".into(), self.client_name.clone().into());
        Value::Object(fields)
    }

    /// `getAll` filters accept `EnterpriseIds` (customers take `ChainIds` instead).
    fn with_enterprise(&self, mut filter: Map<String, Value>) -> Map<String, Value> {
        if let Some(id) = &self.enterprise_id {
            filter.insert("EnterpriseIds".into(), json!([id]));
        }
        filter
    }

    async fn call<T: DeserializeOwned>(
        &self,
        run: &RunContext,
        operation: &str,
        fields: Map<String, Value>,
    ) -> Result<T, ConnectorError> {
        let url = self.url(operation);
        let body = self.body(fields);
        let (parsed, _) = self
            .http
            .send_json::<T>(run, error_message, |c| c.post(&url).json(&body))
            .await?;
        Ok(parsed)
    }

    fn malformed(&self, operation: &str, detail: String) -> ConnectorError {
        ConnectorError::Malformed {
            connector: self.name.clone(),
            url: self.url(operation),
            detail,
        }
    }

    /// Follows a `getAll` from the newest page to the oldest, handing each page's records to
    /// `on_page`. Stops at a null cursor or a short page; a cursor that comes back again is a
    /// vendor loop and an error.
    async fn pages(
        &self,
        run: &RunContext,
        operation: &str,
        key: &str,
        filter: &Map<String, Value>,
        on_page: &mut (dyn FnMut(Vec<Value>) -> Result<(), SinkError> + Send),
    ) -> Result<(), FetchError> {
        let mut cursor: Option<String> = None;
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            let mut fields = filter.clone();
            let limitation = Limitation {
                count: self.page_size,
                cursor: cursor.clone(),
            };
            fields.insert("Limitation".into(), json!(limitation));
            let body: Map<String, Value> = self.call(run, operation, fields).await?;
            let page = MewsPage::from_body(body, key)
                .map_err(|detail| self.malformed(operation, detail.to_string()))?;
            let short = page.records.len() < self.page_size as usize;
            on_page(page.records).map_err(FetchError::Sink)?;
            match page.cursor {
                Some(next) if !short => {
                    if !seen.insert(next.clone()) {
                        return Err(self
                            .malformed(operation, format!("the cursor {next} came back again"))
                            .into());
                    }
                    cursor = Some(next);
                }
                _ => return Ok(()),
            }
        }
        Err(self
            .malformed(operation, format!("more than {MAX_PAGES} pages"))
            .into())
    }

    /// Every record of a `getAll` with `filter` (no sink, so only HTTP errors).
    async fn collect<T: MewsRecord>(
        &self,
        run: &RunContext,
        operation: &str,
        key: &str,
        filter: &Map<String, Value>,
    ) -> Result<Vec<T>, ConnectorError> {
        let mut all = Vec::new();
        let result = self
            .pages(run, operation, key, filter, &mut |records| {
                all.extend(parse_records::<T>(records));
                Ok(())
            })
            .await;
        match result {
            Ok(()) => Ok(all),
            Err(FetchError::Connector(e)) => Err(e),
            // The collector never fails, and pages() makes no setup errors.
            Err(other) => Err(self.malformed(operation, other.to_string())),
        }
    }

    /// The records with the given ids, 1000 ids per request.
    async fn by_ids<T: MewsRecord>(
        &self,
        run: &RunContext,
        operation: &str,
        key: &str,
        ids_field: &str,
        ids: &[String],
        filter: Map<String, Value>,
    ) -> Result<Vec<T>, ConnectorError> {
        let mut unique: Vec<&String> = Vec::with_capacity(ids.len());
        let mut seen = HashSet::new();
        for id in ids.iter().filter(|id| !id.is_empty()) {
            if seen.insert(id) {
                unique.push(id);
            }
        }
        let mut all = Vec::new();
        for chunk in unique.chunks(PAGE_SIZE as usize) {
            let mut fields = filter.clone();
            fields.insert(ids_field.into(), json!(chunk));
            all.extend(self.collect::<T>(run, operation, key, &fields).await?);
        }
        Ok(all)
    }

    /// Records of `operation` whose `interval_key` time filter matches [from, to), window by
    /// window, each page to `sink`.
    #[allow(clippy::too_many_arguments)]
    async fn windowed<T: MewsRecord>(
        &self,
        run: &RunContext,
        operation: &str,
        key: &str,
        interval_key: &str,
        filter: Map<String, Value>,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        sink: &mut (dyn FnMut(Vec<T>) -> Result<(), SinkError> + Send),
    ) -> Result<(), FetchError> {
        for (start, end) in time_windows(from, to) {
            let mut fields = filter.clone();
            let interval = TimeInterval {
                start_utc: start,
                end_utc: end,
            };
            fields.insert(interval_key.into(), json!(interval));
            self.pages(run, operation, key, &fields, &mut |records| {
                sink(parse_records::<T>(records))
            })
            .await?;
        }
        Ok(())
    }

    /// Records of `operation` updated in [from, to), window by window, each page to `sink`.
    async fn updated<T: MewsRecord>(
        &self,
        run: &RunContext,
        operation: &str,
        key: &str,
        filter: Map<String, Value>,
        window: (DateTime<Utc>, DateTime<Utc>),
        sink: &mut (dyn FnMut(Vec<T>) -> Result<(), SinkError> + Send),
    ) -> Result<(), FetchError> {
        self.windowed(run, operation, key, "UpdatedUtc", filter, window, sink)
            .await
    }

    /// Reservations whose `UpdatedUtc` is in [from, to), in windows of at most 89 days, each
    /// paged by 1000; every page goes to `sink` as it arrives (so a failure part-way keeps what
    /// was stored).
    pub async fn reservations_updated(
        &self,
        run: &RunContext,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        sink: &mut (dyn FnMut(Vec<MewsReservation>) -> Result<(), SinkError> + Send),
    ) -> Result<(), FetchError> {
        let filter = self.with_enterprise(Map::new());
        self.updated(run, RESERVATIONS, "Reservations", filter, (from, to), sink)
            .await
    }

    /// Reservations whose stay (scheduled start to end) overlaps [from, to), whenever they were
    /// booked or last changed: Mews's `CollidingUtc` filter, in windows of at most 89 days,
    /// each paged by 1000. A stay that spans two windows comes back in both and is handed to
    /// `sink` once; every page goes to `sink` as it arrives.
    pub async fn reservations_colliding(
        &self,
        run: &RunContext,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        sink: &mut (dyn FnMut(Vec<MewsReservation>) -> Result<(), SinkError> + Send),
    ) -> Result<(), FetchError> {
        let filter = self.with_enterprise(Map::new());
        let mut handed = HashSet::new();
        let mut once = |page: Vec<MewsReservation>| {
            sink(
                page.into_iter()
                    .filter(|r| handed.insert(r.id.clone()))
                    .collect(),
            )
        };
        self.windowed(
            run,
            RESERVATIONS,
            "Reservations",
            "CollidingUtc",
            filter,
            (from, to),
            &mut once,
        )
        .await
    }

    pub async fn reservations_by_ids(
        &self,
        run: &RunContext,
        ids: &[String],
    ) -> Result<Vec<MewsReservation>, ConnectorError> {
        let filter = self.with_enterprise(Map::new());
        self.by_ids(
            run,
            RESERVATIONS,
            "Reservations",
            "ReservationIds",
            ids,
            filter,
        )
        .await
    }

    fn customer_extent() -> Map<String, Value> {
        let mut filter = Map::new();
        filter.insert(
            "Extent".into(),
            json!({"Customers": true, "Addresses": false}),
        );
        filter
    }

    pub async fn customers_by_ids(
        &self,
        run: &RunContext,
        ids: &[String],
    ) -> Result<Vec<MewsCustomer>, ConnectorError> {
        let filter = Self::customer_extent();
        self.by_ids(
            run,
            "customers/getAll",
            "Customers",
            "CustomerIds",
            ids,
            filter,
        )
        .await
    }

    /// Customers whose `UpdatedUtc` is in [from, to), like [`Self::reservations_updated`].
    pub async fn customers_updated(
        &self,
        run: &RunContext,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        sink: &mut (dyn FnMut(Vec<MewsCustomer>) -> Result<(), SinkError> + Send),
    ) -> Result<(), FetchError> {
        let filter = Self::customer_extent();
        self.updated(
            run,
            "customers/getAll",
            "Customers",
            filter,
            (from, to),
            sink,
        )
        .await
    }

    fn resource_extent(&self) -> Map<String, Value> {
        let mut filter = self.with_enterprise(Map::new());
        filter.insert(
            "Extent".into(),
            json!({"Resources": true, "Inactive": false}),
        );
        filter
    }

    /// Every active resource (rooms and other spaces, objects, persons).
    pub async fn resources_all(
        &self,
        run: &RunContext,
    ) -> Result<Vec<MewsResource>, ConnectorError> {
        let filter = self.resource_extent();
        self.collect(run, "resources/getAll", "Resources", &filter)
            .await
    }

    pub async fn resources_by_ids(
        &self,
        run: &RunContext,
        ids: &[String],
    ) -> Result<Vec<MewsResource>, ConnectorError> {
        let filter = self.resource_extent();
        self.by_ids(
            run,
            "resources/getAll",
            "Resources",
            "ResourceIds",
            ids,
            filter,
        )
        .await
    }

    pub async fn services_all(&self, run: &RunContext) -> Result<Vec<MewsService>, ConnectorError> {
        let filter = self.with_enterprise(Map::new());
        self.collect(run, "services/getAll", "Services", &filter)
            .await
    }

    /// The orders/add body for `charge` (pure, so it can be checked before anything is sent).
    pub fn charge_request(
        &self,
        charge: &PmsCharge,
        service_id: &str,
        account_id: &str,
    ) -> Result<AddOrderRequest, ChargeRefused> {
        // A charge that cannot be sent as it is (rows written before these checks existed) is
        // refused here, before anything goes out.
        check_charge_amount(charge.amount_minor, charge.currency)?;
        let gross = minor_to_number(charge.amount_minor, charge.currency)?;
        if !CHARGE_ITEM.is_clean(&charge.item) {
            let why = CHARGE_ITEM
                .clean(&charge.item)
                .err()
                .map_or_else(|| "it has spaces around it".to_string(), |e| e.to_string());
            let shown: String = charge.item.chars().take(40).collect();
            let more = if charge.item.chars().nth(40).is_some() {
                "…"
            } else {
                ""
            };
            return Err(ChargeRefused::Item {
                shown: format!("{}{more}", printable(&shown)),
                why,
            });
        }
        Ok(AddOrderRequest {
            enterprise_id: self.enterprise_id.clone(),
            service_id: service_id.to_string(),
            account_id: account_id.to_string(),
            items: vec![AddOrderItem {
                name: charge.item.clone(),
                unit_count: 1,
                unit_amount: AmountParameters {
                    currency: charge.currency.code().to_string(),
                    gross_value: Some(gross),
                    net_value: None,
                    tax_codes: self.tax_codes.clone(),
                },
                accounting_category_id: None,
                external_identifier: Some(charge.id.to_string()),
            }],
            // When it was consumed, which for a charge recorded offline is not when it is sent.
            consumption_utc: Some(charge.requested_at),
            // Who asked is whatever the console was told (a staff name, $USER, the configured
            // actor): shown on the PMS's bill screens, so nothing in it may steer a display.
            notes: Some(format!(
                "Venue Console, by {}",
                printable(&charge.requested_by)
            )),
            linked_reservation_id: Some(charge.reservation_external_id.clone()),
        })
    }

    /// Posts `charge` to the stay's bill: orders/add linked to the reservation, one item whose
    /// `ExternalIdentifier` is the charge id (our idempotency key). Sent once, never retried
    /// here: after an ambiguous failure (timeout, 5xx) the caller must ask [`Self::find_charge`]
    /// whether it landed before sending again. Returns the `OrderId`.
    pub async fn add_charge(
        &self,
        run: &RunContext,
        charge: &PmsCharge,
        service_id: &str,
        account_id: &str,
    ) -> Result<String, ConnectorError> {
        const OPERATION: &str = "orders/add";
        let request = self
            .charge_request(charge, service_id, account_id)
            // Nothing was sent; Malformed is the non-transient error that says so.
            .map_err(|e| self.malformed(OPERATION, format!("request not sent: {e}")))?;
        let fields = match serde_json::to_value(&request) {
            Ok(Value::Object(fields)) => fields,
            _ => return Err(self.malformed(OPERATION, "request not sent: unserialisable".into())),
        };
        let url = self.url(OPERATION);
        let body = self.body(fields);
        let (response, _) = self
            .http
            .send_json_once::<AddOrderResponse>(run, error_message, |c| c.post(&url).json(&body))
            .await?;
        response
            .order_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| self.malformed(OPERATION, "the answer has no OrderId".into()))
    }

    /// Whether a charge with idempotency key `key` is on the reservation already: the order
    /// items of the reservation (orderItems/getAll by `ServiceOrderIds`) searched for that
    /// `ExternalIdentifier`. Returns the item's order id (its `ServiceOrderId` when that is not
    /// the reservation itself, else the item's id).
    pub async fn find_charge(
        &self,
        run: &RunContext,
        reservation_external_id: &str,
        key: &str,
    ) -> Result<Option<String>, ConnectorError> {
        let mut filter = self.with_enterprise(Map::new());
        filter.insert("ServiceOrderIds".into(), json!([reservation_external_id]));
        let items: Vec<MewsOrderItem> = self
            .collect(run, "orderItems/getAll", "OrderItems", &filter)
            .await?;
        Ok(items
            .into_iter()
            .find(|item| {
                item.unreadable.is_none() && item.external_identifier.as_deref() == Some(key)
            })
            .map(|item| match item.service_order_id {
                Some(order) if !order.is_empty() && order != reservation_external_id => order,
                _ => item.id,
            }))
    }
}

/// [from, to) widened to whole seconds (Mews parses times as .NET does, which takes at most 7
/// fractional digits) and cut into windows Mews accepts.
pub fn time_windows(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let second = Duration::seconds(1);
    let start = from.duration_trunc(second).unwrap_or(from);
    let end = match to.duration_trunc(second) {
        Ok(t) if t < to => t + second,
        Ok(t) => t,
        Err(_) => to,
    };
    windows(start, end, Duration::days(MAX_WINDOW_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn assert_send<T: Send>(_: &T) {}

    /// The owner spawns these on a multi-threaded runtime, so they must be `Send`.
    #[test]
    fn client_and_socket_futures_are_send() {
        let config = PmsConfig::mews("http://127.0.0.1:9", "ws://127.0.0.1:9/ws/connector");
        let creds = MewsCredentials {
            client_token: Secret::new("c".into()),
            access_token: Secret::new("a".into()),
        };
        let client = MewsClient::new(&config, creds.clone()).expect("client");
        let run = RunContext::new(&config.retry);
        let now = Utc::now();
        let mut sink = |_: Vec<MewsReservation>| Ok(());
        assert_send(&client.reservations_updated(&run, now, now, &mut sink));
        assert_send(&client.customers_by_ids(&run, &[]));
        assert_send(&client.find_charge(&run, "r", "k"));
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let settings = crate::socket::SocketSettings::from_config(&config, &creds);
        assert_send(&crate::socket::run_socket(
            settings,
            tx,
            std::future::pending::<()>(),
        ));
    }

    #[test]
    fn the_body_carries_the_tokens_and_debug_does_not() {
        let config = PmsConfig::mews("http://127.0.0.1:9/", "ws://127.0.0.1:9/ws/connector");
        let creds = MewsCredentials {
            client_token: Secret::new("client-secret-value".into()),
            access_token: Secret::new("access-secret-value".into()),
        };
        assert!(!format!("{creds:?}").contains("secret-value"));
        let client = MewsClient::new(&config, creds).expect("client");
        assert_eq!(
            client.url("services/getAll"),
            "http://127.0.0.1:9/api/connector/v1/services/getAll"
        );
        let body = client.body(Map::new());
        assert_eq!(body["ClientToken"], "client-secret-value");
        assert_eq!(body["AccessToken"], "access-secret-value");
        assert!(body["Client"]
            .as_str()
            .is_some_and(|c| c.starts_with("Venue Console")));
    }

    #[test]
    fn windows_are_whole_seconds_within_three_months_and_cover_the_range() {
        let from = Utc
            .with_ymd_and_hms(2025, 1, 31, 0, 0, 0)
            .single()
            .expect("time")
            + Duration::milliseconds(250);
        let to = from + Duration::days(200);
        let w = time_windows(from, to);
        assert_eq!(w.len(), 3);
        assert!(w[0].0 <= from && w[2].1 >= to);
        assert!(w.windows(2).all(|p| p[0].1 == p[1].0), "no gaps");
        for (s, e) in &w {
            assert_eq!(s.timestamp_subsec_nanos() + e.timestamp_subsec_nanos(), 0);
            // 31 January + 3 months is 30 April: 89 days.
            assert!(*e - *s <= Duration::days(89));
        }
        assert!(time_windows(to, from).is_empty());
    }
}
