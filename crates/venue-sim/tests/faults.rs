//! Every fault kind is observable as documented, per endpoint, for "next N" and "until cleared".
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use venue_sim::{Endpoint, Fault, RetryAfter, SimConfig, Times, Vendor};

#[tokio::test]
async fn latency_delays_then_answers_normally() {
    let sim = start(small(1, 10)).await;
    sim.inject(
        Endpoint::SquareLocations,
        Fault::Latency(Duration::from_millis(400)),
        Times::ONCE,
    );
    let t = Instant::now();
    json_ok(square_get(&sim, "/v2/locations").await).await;
    assert!(t.elapsed() >= Duration::from_millis(400));
    let t = Instant::now();
    json_ok(square_get(&sim, "/v2/locations").await).await;
    assert!(t.elapsed() < Duration::from_millis(400));
    assert_eq!(sim.requests(Endpoint::SquareLocations), 2);
}

#[tokio::test]
async fn server_errors_use_each_vendors_error_body() {
    let sim = start(small(1, 10)).await;
    sim.inject(
        Endpoint::SquarePayments,
        Fault::ServerError(503),
        Times::Next(2),
    );
    for _ in 0..2 {
        let resp = square_get(&sim, "/v2/payments").await;
        assert_eq!(resp.status(), 503);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["errors"][0]["code"], "SERVICE_UNAVAILABLE");
        assert_eq!(body["errors"][0]["category"], "API_ERROR");
    }
    json_ok(square_get(&sim, "/v2/payments").await).await;
    assert_eq!(sim.requests(Endpoint::SquarePayments), 3);

    sim.inject(Endpoint::ToastLogin, Fault::ServerError(500), Times::ONCE);
    let resp = client()
        .post(format!(
            "{}/authentication/v1/authentication/login",
            sim.base_url()
        ))
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 500);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], 500);
    assert_eq!(sim.toast_logins(), 0);
    toast_login(&sim).await;
    assert_eq!(sim.toast_logins(), 1);
}

#[tokio::test]
async fn rate_limits_with_seconds_http_date_or_no_retry_after() {
    let sim = start(small(1, 10)).await;
    sim.inject(
        Endpoint::SquareLocations,
        Fault::RateLimited(RetryAfter::Seconds(7)),
        Times::ONCE,
    );
    sim.inject(
        Endpoint::SquareLocations,
        Fault::RateLimited(RetryAfter::HttpDate(Duration::from_secs(90))),
        Times::ONCE,
    );
    sim.inject(
        Endpoint::SquareLocations,
        Fault::RateLimited(RetryAfter::Absent),
        Times::ONCE,
    );

    let resp = square_get(&sim, "/v2/locations").await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["errors"][0]["category"], "RATE_LIMIT_ERROR");
    assert_eq!(body["errors"][0]["code"], "RATE_LIMITED");

    let resp = square_get(&sim, "/v2/locations").await;
    assert_eq!(resp.status(), 429);
    let date = resp.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .to_string();
    let at = chrono::NaiveDateTime::parse_from_str(&date, "%a, %d %b %Y %H:%M:%S GMT")
        .unwrap_or_else(|e| panic!("{date}: {e}"))
        .and_utc();
    let ahead = at - chrono::Utc::now();
    assert!(
        ahead > chrono::TimeDelta::seconds(80) && ahead <= chrono::TimeDelta::seconds(91),
        "{date}"
    );

    let resp = square_get(&sim, "/v2/locations").await;
    assert_eq!(resp.status(), 429);
    assert!(!resp.headers().contains_key("retry-after"));

    json_ok(square_get(&sim, "/v2/locations").await).await;

    // Toast: 429 in Toast's body, with the rate-limit headers.
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    sim.inject(
        Endpoint::ToastOrdersBulk,
        Fault::RateLimited(RetryAfter::Seconds(3)),
        Times::ONCE,
    );
    let resp = toast_get(&sim, &token, &restaurant, "businessDate=20240304").await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    assert!(resp.headers().contains_key("x-toast-ratelimit-reset"));
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], 429);
}

#[tokio::test]
async fn timeout_holds_the_request_past_the_client_timeout() {
    let sim = start(SimConfig {
        timeout_hold: Duration::from_secs(30),
        ..small(1, 10)
    })
    .await;
    sim.inject(Endpoint::SquarePayments, Fault::Timeout, Times::ONCE);
    let short = common::client_builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let err = short
        .get(format!("{}/v2/payments", sim.base_url()))
        .bearer_auth(&sim.config().square_access_token)
        .header("Square-Version", SQUARE_VERSION)
        .send()
        .await
        .expect_err("the client gives up");
    assert!(err.is_timeout(), "{err}");
    json_ok(square_get(&sim, "/v2/payments").await).await;
}

#[tokio::test]
async fn shutdown_releases_a_held_request() {
    let sim = start(SimConfig {
        timeout_hold: Duration::from_secs(60),
        ..small(1, 10)
    })
    .await;
    sim.inject(Endpoint::SquareLocations, Fault::Timeout, Times::ONCE);
    let url = format!("{}/v2/locations", sim.base_url());
    let token = sim.config().square_access_token.clone();
    let held = tokio::spawn(async move {
        client()
            .get(url)
            .bearer_auth(token)
            .header("Square-Version", SQUARE_VERSION)
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    sim.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "graceful shutdown is not blocked"
    );
    let _ = held.await;
}

#[tokio::test]
async fn malformed_json_is_a_200_that_does_not_parse() {
    let sim = start(small(1, 20)).await;
    sim.inject(Endpoint::SquarePayments, Fault::MalformedJson, Times::ONCE);
    let resp = square_get(&sim, "/v2/payments").await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("a complete body");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    json_ok(square_get(&sim, "/v2/payments").await).await;

    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    sim.inject(Endpoint::ToastOrdersBulk, Fault::MalformedJson, Times::ONCE);
    let resp = toast_get(&sim, &token, &restaurant, "businessDate=20240304").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.json::<Value>().await.is_err());
}

#[tokio::test]
async fn truncated_json_breaks_off_mid_body() {
    let sim = start(small(1, 20)).await;
    let location = sim.locations(Vendor::Square)[0].id.clone();
    sim.inject(
        Endpoint::SquareSearchOrders,
        Fault::TruncatedJson,
        Times::ONCE,
    );
    let resp = square_search(&sim, &json!({ "location_ids": [location] })).await;
    assert_eq!(resp.status(), 200);
    let announced = resp.content_length().expect("a Content-Length");
    assert!(announced > 100);
    assert!(resp.bytes().await.is_err(), "the body ends early");
    let whole = json_ok(square_search(&sim, &json!({ "location_ids": [location] })).await).await;
    assert_eq!(
        serde_json::to_vec(&whole).expect("bytes").len() as u64,
        announced
    );
}

#[tokio::test]
async fn a_repeated_page_replays_the_previous_response() {
    let sim = start(small(2, 60)).await;
    let page1 = square_get(&sim, "/v2/payments?limit=10")
        .await
        .text()
        .await
        .expect("body");
    let cursor = serde_json::from_str::<Value>(&page1).expect("json")["cursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    sim.inject(
        Endpoint::SquarePayments,
        Fault::RepeatPreviousPage,
        Times::ONCE,
    );
    let again = square_get(&sim, &format!("/v2/payments?limit=10&cursor={cursor}"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(
        again, page1,
        "page 1 again, with its cursor: pagination did not advance"
    );
    let page2 = square_get(&sim, &format!("/v2/payments?limit=10&cursor={cursor}"))
        .await
        .text()
        .await
        .expect("body");
    assert_ne!(page2, page1);

    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let q = "businessDate=20240304&pageSize=5";
    let first = toast_get(&sim, &token, &restaurant, q).await;
    let first_next = next_link(&first).expect("more pages");
    let first_body = first.text().await.expect("body");
    sim.inject(
        Endpoint::ToastOrdersBulk,
        Fault::RepeatPreviousPage,
        Times::ONCE,
    );
    let repeated = toast_get(&sim, &token, &restaurant, &format!("{q}&page=2")).await;
    assert_eq!(next_link(&repeated).as_deref(), Some(first_next.as_str()));
    assert_eq!(repeated.text().await.expect("body"), first_body);
    let second = toast_get(&sim, &token, &restaurant, &format!("{q}&page=2")).await;
    assert_ne!(second.text().await.expect("body"), first_body);
}

#[tokio::test]
async fn an_expired_toast_token_forces_a_new_login() {
    let sim = start(small(1, 20)).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let token = toast_login(&sim).await;
    json_ok(toast_get(&sim, &token, &restaurant, "businessDate=20240304").await).await;
    sim.inject(Endpoint::ToastOrdersBulk, Fault::ExpiredToken, Times::ONCE);
    let resp = toast_get(&sim, &token, &restaurant, "businessDate=20240304").await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.json::<Value>().await.expect("json")["status"], 401);
    let resp = toast_get(&sim, &token, &restaurant, "businessDate=20240304").await;
    assert_eq!(resp.status(), 401, "the token stays expired");
    let fresh = toast_login(&sim).await;
    assert_ne!(fresh, token);
    json_ok(toast_get(&sim, &fresh, &restaurant, "businessDate=20240304").await).await;
    assert_eq!(sim.toast_logins(), 2);

    sim.expire_toast_tokens();
    assert_eq!(
        toast_get(&sim, &fresh, &restaurant, "businessDate=20240304")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn toast_tokens_expire_after_their_lifetime() {
    let sim = start(SimConfig {
        toast_token_ttl: Duration::from_secs(1),
        ..small(1, 5)
    })
    .await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let token = toast_login(&sim).await;
    assert_eq!(
        toast_get(&sim, &token, &restaurant, "businessDate=20240304")
            .await
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        toast_get(&sim, &token, &restaurant, "businessDate=20240304")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn an_expired_square_token_is_a_one_off_401() {
    let sim = start(small(1, 5)).await;
    sim.inject(Endpoint::SquareLocations, Fault::ExpiredToken, Times::ONCE);
    let resp = square_get(&sim, "/v2/locations").await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "ACCESS_TOKEN_EXPIRED");
    json_ok(square_get(&sim, "/v2/locations").await).await;
}

#[tokio::test]
async fn until_cleared_faults_persist_and_stay_on_their_endpoint() {
    let sim = start(small(1, 5)).await;
    sim.inject(
        Endpoint::SquareLocations,
        Fault::ServerError(502),
        Times::UntilCleared,
    );
    for _ in 0..4 {
        assert_eq!(square_get(&sim, "/v2/locations").await.status(), 502);
    }
    json_ok(square_get(&sim, "/v2/payments").await).await;
    assert_eq!(sim.pending_faults(Endpoint::SquareLocations), 1);
    sim.clear_faults();
    assert_eq!(sim.pending_faults(Endpoint::SquareLocations), 0);
    json_ok(square_get(&sim, "/v2/locations").await).await;
    assert_eq!(sim.requests(Endpoint::SquareLocations), 5);
    assert_eq!(sim.requests(Endpoint::SquarePayments), 1);

    sim.inject_everywhere(Fault::ServerError(500), Times::ONCE);
    assert_eq!(square_get(&sim, "/v2/payments").await.status(), 500);
    json_ok(square_get(&sim, "/v2/payments").await).await;
    sim.clear_faults_on(Endpoint::SquareLocations);
    json_ok(square_get(&sim, "/v2/locations").await).await;
    assert_eq!(sim.pending_faults(Endpoint::ToastLogin), 1);
    sim.reset_counters();
    assert_eq!(sim.total_requests(), 0);
}

#[tokio::test]
async fn toast_rate_limits_can_be_enforced() {
    let sim = start(SimConfig {
        enforce_rate_limits: true,
        ..small(1, 5)
    })
    .await;
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    // Twelve requests at once: at least six land in one second, over the limit of five.
    let url = format!(
        "{}/orders/v2/ordersBulk?businessDate=20240304",
        sim.base_url()
    );
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let request = client()
                .get(&url)
                .bearer_auth(&token)
                .header("Toast-Restaurant-External-ID", &restaurant);
            tokio::spawn(async move { request.send().await })
        })
        .collect();
    let mut limited = 0;
    for task in tasks {
        let resp = task.await.expect("joined").expect("sent");
        let remaining: u32 = resp.headers()["x-toast-ratelimit-remaining"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("a number");
        assert!(remaining <= 4);
        if resp.status() == 429 {
            limited += 1;
            assert_eq!(remaining, 0);
            let wait: u64 = resp.headers()["retry-after"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=2).contains(&wait));
            let body: serde_json::Value = resp.json().await.expect("json");
            assert_eq!(body["status"], 429);
        }
    }
    assert!(
        limited >= 1,
        "ordersBulk allows 5 requests per second per restaurant"
    );
    assert_eq!(sim.requests(Endpoint::ToastOrdersBulk), 12);
}
