//! How vendor faults read, over real HTTP against the simulator: every malformed or cut-off
//! body names the URL it came from and the bytes received, on every endpoint; a Retry-After
//! longer than a run waits ends the call at once with the vendor's wait named.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration, TimeZone, Utc};
use std::num::NonZeroU32;
use venue_http::fetch::{FetchError, SinkError};
use venue_http::http::{ConnectorError, HttpClient, HttpSettings, Quota, RunContext};
use venue_http::retry::RetryPolicy;
use venue_http::secrets::Secret;
use venue_pos::source::Page;
use venue_pos::square::client::SquareClient;
use venue_pos::square::SquareContext;
use venue_pos::toast::client::{ToastClient, ToastSession};
use venue_pos::toast::ToastContext;
use venue_sim::{Endpoint, Fault, PosSimulator, RetryAfter, SimConfig, SimHandle, Times, Vendor};

fn http(name: &str, max_retry_wait: std::time::Duration) -> HttpClient {
    HttpClient::new(
        name,
        HttpSettings {
            connect_timeout: std::time::Duration::from_secs(5),
            request_timeout: std::time::Duration::from_secs(30),
            quota: Quota::per_second(NonZeroU32::new(1_000).expect("non-zero")),
            request_id_header: None,
            retry: RetryPolicy {
                base_ms: 10,
                max_attempts: 2,
                jitter: false,
                ..RetryPolicy::default()
            },
            max_retry_wait,
        },
    )
    .expect("client")
}

/// A Toast client of the simulator's first restaurant, logging in with a new session.
fn toast(sim: &SimHandle, http: HttpClient) -> ToastClient {
    ToastClient::new(
        http,
        sim.base_url(),
        Secret::new(sim.config().toast_client_id.clone()),
        Secret::new(sim.config().toast_client_secret.clone()),
        ToastContext {
            venue_id: venue_domain::new_id(),
            source: "tt".into(),
            currency: "USD".parse().expect("currency"),
            restaurant_guid: Some(sim.locations(Vendor::Toast)[0].id.clone()),
        },
        ToastSession::default(),
    )
}

async fn sim() -> SimHandle {
    PosSimulator::start(SimConfig {
        days: 1,
        orders_per_day: 20,
        weekday_pattern: false,
        square_locations: 1,
        toast_restaurants: 1,
        ..SimConfig::default()
    })
    .await
    .expect("simulator")
}

fn window(sim: &SimHandle) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let start = Utc.from_utc_datetime(
        &sim.config()
            .start_date
            .and_hms_opt(0, 0, 0)
            .expect("midnight"),
    );
    (start - Duration::days(1), sim.now() + Duration::days(1))
}

/// Fetches through the client whose calls reach `endpoint` (others answer normally), and
/// returns the fetch's error.
async fn fetch_through(
    sim: &SimHandle,
    endpoint: Endpoint,
    max_retry_wait: std::time::Duration,
) -> FetchError {
    let (from, to) = window(sim);
    let run = RunContext::new(&RetryPolicy::default());
    let mut sink = |_: Page| -> Result<(), SinkError> { Ok(()) };
    let result = match endpoint.vendor() {
        Vendor::Square => {
            let client = SquareClient {
                http: http("sq", max_retry_wait),
                base_url: sim.base_url(),
                token: Secret::new(sim.config().square_access_token.clone()),
                context: SquareContext {
                    venue_id: venue_domain::new_id(),
                    source: "sq".into(),
                },
                // Without ids the client first lists the locations.
                location_ids: if endpoint == Endpoint::SquareLocations {
                    Vec::new()
                } else {
                    vec![sim.locations(Vendor::Square)[0].id.clone()]
                },
                page_size: 500,
            };
            if endpoint == Endpoint::SquarePayments {
                client.fetch_payments(&run, from, to, &mut sink).await
            } else {
                client.fetch_orders(&run, from, to, &mut sink).await
            }
        }
        Vendor::Toast => {
            let mut client = toast(sim, http("tt", max_retry_wait));
            if endpoint == Endpoint::ToastRestaurant {
                client
                    .restaurant_name(&run)
                    .await
                    .map(|_| ())
                    .map_err(FetchError::from)
            } else {
                client.fetch_orders(&run, from, to, &mut sink).await
            }
        }
    };
    result.expect_err("the fault fails the fetch")
}

#[tokio::test]
async fn every_malformed_or_cut_off_body_names_its_url_and_the_bytes_received() {
    let sim = sim().await;
    for endpoint in Endpoint::ALL {
        for fault in [Fault::MalformedJson, Fault::TruncatedJson] {
            sim.clear_faults();
            sim.inject(endpoint, fault.clone(), Times::UntilCleared);
            let error = fetch_through(&sim, endpoint, std::time::Duration::from_secs(5)).await;
            let text = error.to_string();
            let FetchError::Connector(ConnectorError::Malformed { url, detail, .. }) = &error
            else {
                panic!("{endpoint:?} {fault:?}: not a malformed response: {text}");
            };
            // Up to an id in the path (`/restaurants/v1/restaurants/{guid}`).
            let path = endpoint.route().1.split('{').next().unwrap_or_default();
            assert!(
                url.starts_with(&sim.base_url()) && url.contains(path),
                "{endpoint:?} {fault:?}: the URL is named: {text}"
            );
            assert!(
                text.contains(&format!("malformed response from {}", sim.base_url())),
                "{endpoint:?} {fault:?}: {text}"
            );
            assert!(
                detail.contains("bytes"),
                "{endpoint:?} {fault:?}: the bytes received are named: {text}"
            );
            if fault == Fault::TruncatedJson {
                assert!(
                    detail.contains("cut off after"),
                    "{endpoint:?}: a cut-off body says so: {text}"
                );
            }
        }
    }
    sim.shutdown().await;
}

/// Retry-After values no run should sleep through, in every form a vendor may send.
fn long_waits() -> Vec<(RetryAfter, &'static str)> {
    vec![
        (RetryAfter::Seconds(86_400), "a day in seconds"),
        (
            RetryAfter::HttpDate(std::time::Duration::from_secs(75 * 365 * 86_400)),
            "a date in the 2090s",
        ),
        (RetryAfter::Seconds(u64::MAX), "u64::MAX seconds"),
    ]
}

#[tokio::test]
async fn a_retry_after_past_the_limit_ends_the_call_with_the_vendors_wait_on_every_endpoint() {
    let sim = sim().await;
    let limit = std::time::Duration::from_secs(2);
    for endpoint in Endpoint::ALL {
        for (retry_after, what) in long_waits() {
            sim.clear_faults();
            sim.reset_counters();
            sim.inject(
                endpoint,
                Fault::RateLimited(retry_after),
                Times::UntilCleared,
            );
            let error = fetch_through(&sim, endpoint, limit).await;
            let FetchError::Connector(connector_error) = &error else {
                panic!("{endpoint:?} {what}: {error}");
            };
            let asked = connector_error
                .vendor_wait()
                .unwrap_or_else(|| panic!("{endpoint:?} {what}: the wait is named: {error}"));
            assert!(asked > limit, "{endpoint:?} {what}: {asked:?}");
            assert!(
                error.to_string().contains("asked to wait"),
                "{endpoint:?} {what}: {error}"
            );
            assert!(connector_error.is_vendor_fault());
            assert_eq!(
                sim.requests(endpoint),
                1,
                "{endpoint:?} {what}: no retry when the vendor asks for longer than the limit"
            );
        }
    }
    sim.shutdown().await;
}

/// A window that ends before it starts is our mistake: Square's request is refused before it is
/// sent, as a local (setup) error that never counts against the vendor's breaker. (It read as
/// "malformed response from" the vendor.)
#[tokio::test]
async fn a_backwards_window_is_refused_locally_not_blamed_on_the_vendor() {
    let sim = sim().await;
    let (from, to) = window(&sim);
    let client = SquareClient {
        http: http("sq", std::time::Duration::from_secs(5)),
        base_url: sim.base_url(),
        token: Secret::new(sim.config().square_access_token.clone()),
        context: SquareContext {
            venue_id: venue_domain::new_id(),
            source: "sq".into(),
        },
        location_ids: vec![sim.locations(Vendor::Square)[0].id.clone()],
        page_size: 500,
    };
    let run = RunContext::new(&RetryPolicy::default());
    let mut sink = |_: Page| -> Result<(), SinkError> { Ok(()) };
    let error = client
        .fetch_orders(&run, to, from, &mut sink)
        .await
        .expect_err("refused");
    assert!(matches!(error, FetchError::Setup(_)), "{error}");
    assert!(error.to_string().contains("not sent"), "{error}");
    assert_eq!(sim.total_requests(), 0);
    sim.shutdown().await;
}

/// A 403 (a restaurant this client may not read, a scope it lacks) is a refusal, not an expired
/// token: it is not answered with a new login, so Toast's two logins an hour are kept for
/// tokens that really expired (a 401, which is still answered with one).
#[tokio::test]
async fn a_toast_refusal_is_not_taken_for_an_expired_token() {
    let sim = sim().await;
    let client = |restaurant: &str| {
        ToastClient::new(
            http("tt", std::time::Duration::from_secs(5)),
            sim.base_url(),
            Secret::new(sim.config().toast_client_id.clone()),
            Secret::new(sim.config().toast_client_secret.clone()),
            ToastContext {
                venue_id: venue_domain::new_id(),
                source: "tt".into(),
                currency: "USD".parse().expect("currency"),
                restaurant_guid: Some(restaurant.to_string()),
            },
            ToastSession::default(),
        )
    };
    let (from, to) = window(&sim);
    let run = RunContext::new(&RetryPolicy::default());
    let mut sink = |_: Page| -> Result<(), venue_http::fetch::SinkError> { Ok(()) };
    let mut stranger = client("9f0b8b2e-0000-4000-8000-000000000000");
    let refused = stranger
        .fetch_orders(&run, from, to, &mut sink)
        .await
        .expect_err("another restaurant is refused");
    assert!(
        matches!(
            refused,
            FetchError::Connector(ConnectorError::Unauthorized { status: 403, .. })
        ),
        "{refused}"
    );
    assert_eq!(sim.toast_logins(), 1, "no new login for a refusal");

    let mut ours = client(&sim.locations(Vendor::Toast)[0].id);
    ours.fetch_orders(&run, from, to, &mut sink)
        .await
        .expect("fetched");
    assert_eq!(sim.toast_logins(), 2);
    sim.expire_toast_tokens();
    ours.fetch_orders(&run, from, to, &mut sink)
        .await
        .expect("fetched after one new login");
    assert_eq!(sim.toast_logins(), 3, "an expired token: one new login");
    sim.shutdown().await;
}

/// Toast says in every answer how much of its quota is left: when it reaches zero the client
/// holds its next request until the quota resets, so a fast fetch that would run past the
/// limit (5 pages a second here) meets no 429 and loses no attempt to one.
#[tokio::test]
async fn toast_quota_headers_pace_the_client_before_the_vendor_refuses() {
    let sim = PosSimulator::start(SimConfig {
        days: 3,
        orders_per_day: 400,
        weekday_pattern: false,
        square_locations: 1,
        toast_restaurants: 1,
        enforce_rate_limits: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let (from, to) = window(&sim);
    let http = http("tt", std::time::Duration::from_secs(5));
    let mut client = toast(&sim, http.clone());
    client.page_size = 20;
    let run = RunContext::new(&RetryPolicy::default());
    let mut orders = 0usize;
    let mut sink = |page: Page| -> Result<(), SinkError> {
        orders += page.transactions.len();
        Ok(())
    };
    client
        .fetch_orders(&run, from, to, &mut sink)
        .await
        .expect("the fetch completes");
    let metrics = http.metrics().snapshot();
    assert!(orders > 0, "the fetch read orders");
    assert!(
        metrics.requests > 10,
        "enough pages to pass Toast's 5 a second: {metrics:?}"
    );
    assert_eq!(metrics.rate_limit_hits, 0, "{metrics:?}");
    assert_eq!(metrics.retries, 0, "{metrics:?}");
}
