//! Authentication, required headers and parameter validation: bad requests get the vendor's 400
//! (or 401/403/404) error body, never a panic or a 5xx.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod common;

use common::*;
use serde_json::{json, Value};
use venue_sim::{Endpoint, Vendor};

async fn square_error_code(resp: reqwest::Response, status: u16) -> String {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.expect("json error body");
    body["errors"][0]["code"]
        .as_str()
        .expect("code")
        .to_string()
}

#[tokio::test]
async fn square_needs_the_bearer_token_and_the_version_header() {
    let sim = start(small(1, 5)).await;
    let url = format!("{}/v2/locations", sim.base_url());
    let c = client();
    let no_auth = c
        .get(&url)
        .header("Square-Version", SQUARE_VERSION)
        .send()
        .await
        .expect("sent");
    assert_eq!(square_error_code(no_auth, 401).await, "UNAUTHORIZED");
    let basic = c
        .get(&url)
        .basic_auth("u", Some("p"))
        .header("Square-Version", SQUARE_VERSION)
        .send()
        .await
        .expect("sent");
    assert_eq!(square_error_code(basic, 401).await, "UNAUTHORIZED");
    let token = &sim.config().square_access_token;
    let no_version = c.get(&url).bearer_auth(token).send().await.expect("sent");
    assert_eq!(
        square_error_code(no_version, 400).await,
        "MISSING_REQUIRED_PARAMETER"
    );
    let bad_version = c
        .get(&url)
        .bearer_auth(token)
        .header("Square-Version", "latest")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        square_error_code(bad_version, 400).await,
        "INVALID_SQUARE_VERSION_FORMAT"
    );
    assert_eq!(
        sim.requests(Endpoint::SquareLocations),
        4,
        "rejected requests are counted too"
    );
}

#[tokio::test]
async fn square_payment_parameters_are_validated() {
    let sim = start(small(1, 5)).await;
    for (query, code) in [
        ("limit=101", "VALUE_TOO_HIGH"),
        ("limit=0", "VALUE_TOO_LOW"),
        ("limit=ten", "EXPECTED_INTEGER"),
        ("sort_order=UP", "INVALID_SORT_ORDER"),
        ("sort_field=AMOUNT", "INVALID_ENUM_VALUE"),
        ("begin_time=yesterday", "INVALID_TIME"),
        (
            "begin_time=2024-03-05T00:00:00Z&end_time=2024-03-04T00:00:00Z",
            "INVALID_TIME_RANGE",
        ),
        ("cursor=zzzz", "INVALID_CURSOR"),
        ("total=abc", "EXPECTED_INTEGER"),
    ] {
        let resp = square_get(&sim, &format!("/v2/payments?{query}")).await;
        assert_eq!(square_error_code(resp, 400).await, code, "{query}");
    }
    // A cursor only continues the query it came from.
    let first = json_ok(square_get(&sim, "/v2/payments?limit=1").await).await;
    let cursor = first["cursor"].as_str().expect("cursor");
    let other = square_get(
        &sim,
        &format!("/v2/payments?limit=1&sort_order=ASC&cursor={cursor}"),
    )
    .await;
    assert_eq!(square_error_code(other, 400).await, "INVALID_CURSOR");
    json_ok(square_get(&sim, &format!("/v2/payments?limit=3&cursor={cursor}")).await).await;
}

#[tokio::test]
async fn square_search_rejects_a_filter_that_does_not_match_the_sort() {
    let sim = start(small(1, 5)).await;
    let loc = sim.locations(Vendor::Square)[0].id.clone();
    let closed_filter = json!({ "closed_at": { "start_at": "2024-03-04T00:00:00Z" } });
    let cases = [
        // closed_at filtered, default sort (CREATED_AT): Square answers 400.
        (
            json!({ "location_ids": [loc], "query": { "filter": { "state_filter": { "states": ["COMPLETED"] }, "date_time_filter": closed_filter } } }),
            "INVALID_VALUE",
            "query.sort.sort_field",
        ),
        (
            json!({ "location_ids": [loc], "query": { "filter": { "date_time_filter": { "updated_at": { "start_at": "2024-03-04T00:00:00Z" } } }, "sort": { "sort_field": "CREATED_AT" } } }),
            "INVALID_VALUE",
            "query.sort.sort_field",
        ),
        // CLOSED_AT needs closed states.
        (
            json!({ "location_ids": [loc], "query": { "sort": { "sort_field": "CLOSED_AT" } } }),
            "INVALID_VALUE",
            "query.filter.state_filter",
        ),
        (
            json!({ "location_ids": [loc], "query": { "filter": { "state_filter": { "states": ["OPEN", "COMPLETED"] } }, "sort": { "sort_field": "CLOSED_AT" } } }),
            "INVALID_VALUE",
            "query.filter.state_filter",
        ),
        (
            json!({ "location_ids": [loc], "query": { "filter": { "date_time_filter": { "created_at": {}, "closed_at": {} } } } }),
            "CONFLICTING_PARAMETERS",
            "query.filter.date_time_filter",
        ),
        (
            json!({ "location_ids": [loc], "query": { "filter": { "date_time_filter": { "created_at": { "start_at": "soon" } } } } }),
            "INVALID_TIME",
            "query.filter.date_time_filter.created_at.start_at",
        ),
        (
            json!({ "location_ids": [loc], "query": { "sort": { "sort_field": "PRICE" } } }),
            "INVALID_ENUM_VALUE",
            "query.sort.sort_field",
        ),
        (
            json!({ "location_ids": [loc], "query": { "sort": { "sort_field": "CREATED_AT", "sort_order": "NEWEST" } } }),
            "INVALID_SORT_ORDER",
            "query.sort.sort_order",
        ),
        (
            json!({ "location_ids": [loc], "query": { "filter": { "state_filter": { "states": ["PAID"] } } } }),
            "INVALID_ENUM_VALUE",
            "query.filter.state_filter.states",
        ),
        (
            json!({ "location_ids": [loc], "query": { "filter": { "state_filter": { "states": [] } } } }),
            "ARRAY_LENGTH_TOO_SHORT",
            "query.filter.state_filter.states",
        ),
        (
            json!({ "location_ids": [loc], "query": "all" }),
            "EXPECTED_OBJECT",
            "query",
        ),
        (
            json!({ "location_ids": [loc], "limit": 1001 }),
            "VALUE_TOO_HIGH",
            "limit",
        ),
        (
            json!({ "location_ids": [loc], "limit": 0 }),
            "VALUE_TOO_LOW",
            "limit",
        ),
        (
            json!({ "location_ids": [loc], "limit": "5" }),
            "EXPECTED_INTEGER",
            "limit",
        ),
        (
            json!({ "location_ids": [loc], "cursor": 5 }),
            "EXPECTED_STRING",
            "cursor",
        ),
        (
            json!({ "location_ids": [loc], "cursor": "abc" }),
            "INVALID_CURSOR",
            "cursor",
        ),
        (
            json!({ "location_ids": [loc], "return_entries": "yes" }),
            "EXPECTED_BOOLEAN",
            "return_entries",
        ),
        (
            json!({ "location_ids": [] }),
            "ARRAY_LENGTH_TOO_SHORT",
            "location_ids",
        ),
        (
            json!({ "location_ids": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"] }),
            "ARRAY_LENGTH_TOO_LONG",
            "location_ids",
        ),
        (
            json!({ "location_ids": "all" }),
            "EXPECTED_ARRAY",
            "location_ids",
        ),
        (
            json!({ "location_ids": [1] }),
            "EXPECTED_STRING",
            "location_ids",
        ),
        (
            json!({ "location_ids": ["NOT-OURS"] }),
            "INVALID_VALUE",
            "location_ids",
        ),
        (json!({}), "MISSING_REQUIRED_PARAMETER", "location_ids"),
        (json!([1, 2]), "EXPECTED_JSON_BODY", "body"),
    ];
    for (body, code, field) in cases {
        let resp = square_search(&sim, &body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let err: Value = resp.json().await.expect("json");
        assert_eq!(err["errors"][0]["code"], code, "{body}");
        assert_eq!(err["errors"][0]["field"], field, "{body}");
        assert_eq!(err["errors"][0]["category"], "INVALID_REQUEST_ERROR");
    }
    // Matching filter and sort are fine.
    let ok = json!({ "location_ids": [loc], "query": { "filter": { "state_filter": { "states": ["COMPLETED", "CANCELED"] }, "date_time_filter": closed_filter }, "sort": { "sort_field": "CLOSED_AT" } } });
    json_ok(square_search(&sim, &ok).await).await;
}

#[tokio::test]
async fn toast_requests_are_validated() {
    let sim = start(small(1, 5)).await;
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let range = "startDate=2024-03-04T00:00:00.000%2B0000&endDate=2024-03-05T00:00:00.000%2B0000";
    json_ok(toast_get(&sim, &token, &restaurant, range).await).await;
    for query in [
        "",
        "pageSize=10",
        "startDate=2024-03-04T00:00:00.000%2B0000",
        // An unencoded `+` arrives as a space: not a valid date.
        "startDate=2024-03-04T00:00:00.000+0000&endDate=2024-03-05T00:00:00.000+0000",
        "startDate=2024-03-05T00:00:00.000%2B0000&endDate=2024-03-04T00:00:00.000%2B0000",
        "startDate=2024-01-01T00:00:00.000%2B0000&endDate=2024-03-04T00:00:00.000%2B0000",
        "businessDate=2024-03-04",
        "businessDate=20240304&startDate=2024-03-04T00:00:00.000%2B0000",
        "businessDate=20240304&pageSize=101",
        "businessDate=20240304&pageSize=0",
        "businessDate=20240304&page=0",
        "businessDate=20240304&page=two",
    ] {
        let resp = toast_get(&sim, &token, &restaurant, query).await;
        assert_eq!(resp.status(), 400, "{query}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["status"], 400);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Offsets other than +0000 and RFC 3339 forms are accepted too.
    json_ok(
        toast_get(
            &sim,
            &token,
            &restaurant,
            "startDate=2024-03-04T00:00:00.000-0500&endDate=2024-03-05T00:00:00Z",
        )
        .await,
    )
    .await;

    let resp = toast_get(
        &sim,
        &token,
        "5f4c2b57-0000-4000-8000-000000000000",
        "businessDate=20240304",
    )
    .await;
    assert_eq!(resp.status(), 403);
    let resp = client()
        .get(format!(
            "{}/orders/v2/ordersBulk?businessDate=20240304",
            sim.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 400, "the restaurant header is required");
    let resp = client()
        .get(format!(
            "{}/orders/v2/ordersBulk?businessDate=20240304",
            sim.base_url()
        ))
        .header("Toast-Restaurant-External-ID", &restaurant)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401, "the bearer token is required");
}

#[tokio::test]
async fn toast_login_is_validated() {
    let sim = start(small(1, 5)).await;
    let cfg = sim.config();
    let url = format!("{}/authentication/v1/authentication/login", sim.base_url());
    for (body, status) in [
        (
            json!({ "clientId": cfg.toast_client_id, "clientSecret": cfg.toast_client_secret }),
            400,
        ),
        (
            json!({ "clientId": cfg.toast_client_id, "clientSecret": cfg.toast_client_secret, "userAccessType": "TOAST_USER" }),
            400,
        ),
        (
            json!({ "clientId": cfg.toast_client_id, "userAccessType": "TOAST_MACHINE_CLIENT" }),
            400,
        ),
        (
            json!({ "clientId": cfg.toast_client_id, "clientSecret": "wrong", "userAccessType": "TOAST_MACHINE_CLIENT" }),
            401,
        ),
        (json!("login"), 400),
    ] {
        let resp = client().post(&url).json(&body).send().await.expect("sent");
        assert_eq!(resp.status(), status, "{body}");
    }
    let resp = client()
        .post(&url)
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 400);
    assert_eq!(sim.toast_logins(), 0);
    assert_eq!(sim.requests(Endpoint::ToastLogin), 6);
}

#[tokio::test]
async fn garbage_never_gets_a_server_error() {
    let sim = start(small(1, 5)).await;
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let mut rng = fastrand::Rng::with_seed(9);
    let junk = [
        "%",
        "%FF%FE",
        "\u{1F600}",
        "[",
        "{}",
        "null",
        "-1",
        "99999999999999999999",
        "2024-02-30T00:00:00Z",
        "",
        "&&&",
        "==",
    ];
    for _ in 0..60 {
        let a = junk[rng.usize(..junk.len())];
        let b = junk[rng.usize(..junk.len())];
        let enc = |s: &str| {
            s.replace('%', "%25")
                .replace('&', "%26")
                .replace('=', "%3D")
        };
        for resp in [
            square_get(&sim, &format!("/v2/payments?limit={}&begin_time={}&cursor={}", enc(a), enc(b), enc(a))).await,
            square_search(&sim, &json!({ "location_ids": [a], "limit": b, "cursor": a, "query": { "filter": { "date_time_filter": { "closed_at": { "start_at": b } } } } })).await,
            client()
                .post(format!("{}/v2/orders/search", sim.base_url()))
                .bearer_auth(&sim.config().square_access_token)
                .header("Square-Version", SQUARE_VERSION)
                .body(format!("{a}{b}"))
                .send()
                .await
                .expect("sent"),
            toast_get(&sim, &token, &restaurant, &format!("startDate={}&endDate={}&page={}", enc(a), enc(b), enc(a))).await,
        ] {
            assert!(resp.status().is_client_error() || resp.status().is_success(), "{}", resp.status());
            let body = resp.text().await.expect("body");
            assert!(serde_json::from_str::<Value>(&body).is_ok(), "always a JSON body: {body}");
        }
    }
    let resp = client()
        .get(format!("{}/v2/nothing", sim.base_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 404);
    assert!(resp.json::<Value>().await.expect("json")["errors"].is_array());
}
