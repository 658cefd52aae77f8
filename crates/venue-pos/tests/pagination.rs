//! Pages are followed to the end exactly once, including when the record count is an exact
//! multiple of the page size and one more than it (real HTTP against the simulator).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration, TimeZone, Utc};
use std::collections::HashSet;
use std::num::NonZeroU32;
use venue_http::fetch::SinkError;
use venue_http::http::{HttpClient, HttpSettings, Quota, RunContext};
use venue_http::retry::RetryPolicy;
use venue_http::secrets::Secret;
use venue_pos::source::Page;
use venue_pos::square::client::SquareClient;
use venue_pos::square::SquareContext;
use venue_pos::toast::client::{ToastClient, ToastSession};
use venue_pos::toast::ToastContext;
use venue_sim::{OrderState, PosSimulator, SimConfig, SimHandle, Vendor};

fn http(name: &str) -> HttpClient {
    HttpClient::new(
        name,
        HttpSettings {
            connect_timeout: std::time::Duration::from_secs(5),
            request_timeout: std::time::Duration::from_secs(30),
            quota: Quota::per_second(NonZeroU32::new(1_000).expect("non-zero")),
            request_id_header: None,
            retry: RetryPolicy::default(),
            max_retry_wait: venue_http::http::MAX_RETRY_WAIT,
        },
    )
    .expect("client")
}

async fn sim() -> SimHandle {
    PosSimulator::start(SimConfig {
        days: 1,
        orders_per_day: 40,
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

/// A sink that keeps the external id of every sale it receives.
fn collector(ids: &mut Vec<String>) -> impl FnMut(Page) -> Result<(), SinkError> + '_ {
    move |page: Page| {
        ids.extend(page.transactions.into_iter().map(|t| t.external_id));
        Ok(())
    }
}

#[tokio::test]
async fn square_pages_end_exactly_at_multiples_and_one_past_them() {
    let sim = sim().await;
    let expected: HashSet<String> = sim
        .orders(Vendor::Square)
        .into_iter()
        .filter(|o| o.state != OrderState::Open)
        .map(|o| o.id)
        .collect();
    let n = expected.len() as u32;
    assert!(n > 2, "enough orders to page through");
    let (from, to) = window(&sim);
    for page_size in [n, n - 1, 1] {
        let client = SquareClient {
            http: http("sq"),
            base_url: sim.base_url(),
            token: Secret::new(sim.config().square_access_token.clone()),
            context: SquareContext {
                venue_id: venue_domain::new_id(),
                source: "sq".into(),
            },
            location_ids: Vec::new(),
            page_size,
        };
        let mut ids = Vec::new();
        let run = RunContext::new(&RetryPolicy::default());
        client
            .fetch_orders(&run, from, to, &mut collector(&mut ids))
            .await
            .expect("fetch");
        let unique: HashSet<String> = ids.iter().cloned().collect();
        assert_eq!(
            ids.len(),
            unique.len(),
            "page size {page_size}: an order came twice"
        );
        assert_eq!(unique, expected, "page size {page_size}");
    }
}

#[tokio::test]
async fn toast_pages_end_exactly_at_multiples_and_one_past_them() {
    let sim = sim().await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let expected: HashSet<String> = sim
        .orders(Vendor::Toast)
        .into_iter()
        .map(|o| o.id)
        .collect();
    let n = expected.len();
    assert!(n > 2);
    let (from, to) = window(&sim);
    for page_size in [n, n - 1, 7] {
        let mut client = ToastClient::new(
            http("tt"),
            sim.base_url(),
            Secret::new(sim.config().toast_client_id.clone()),
            Secret::new(sim.config().toast_client_secret.clone()),
            ToastContext {
                venue_id: venue_domain::new_id(),
                source: "tt".into(),
                currency: "USD".parse().expect("currency"),
                restaurant_guid: Some(restaurant.clone()),
            },
            ToastSession::default(),
        );
        client.page_size = page_size;
        let mut ids = Vec::new();
        let run = RunContext::new(&RetryPolicy::default());
        client
            .fetch_orders(&run, from, to, &mut collector(&mut ids))
            .await
            .expect("fetch");
        let unique: HashSet<String> = ids.iter().cloned().collect();
        assert_eq!(
            ids.len(),
            unique.len(),
            "page size {page_size}: an order came twice"
        );
        assert_eq!(unique, expected, "page size {page_size}");
    }
}
