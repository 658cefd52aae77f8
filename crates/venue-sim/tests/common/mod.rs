//! Helpers shared by the integration tests: a client, vendor calls, fixtures, shape comparison.
#![allow(dead_code)]

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Client, Response};
use serde_json::{json, Value};
use venue_sim::{PosSimulator, SimConfig, SimHandle};

pub const SQUARE_VERSION: &str = "2025-08-20";

pub fn client() -> Client {
    client_builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("reqwest client")
}

/// A reqwest client builder for plain HTTP to the simulators. The workspace's reqwest has rustls
/// without a default crypto provider (see venue_http::tls), so the builder names ring.
pub fn client_builder() -> reqwest::ClientBuilder {
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    Client::builder().tls_backend_preconfigured(tls)
}

pub async fn start(cfg: SimConfig) -> SimHandle {
    PosSimulator::start(cfg).await.expect("simulator starts")
}

/// A small, quick venue: `days` days, one Square location and one Toast restaurant.
pub fn small(days: u32, orders_per_day: u32) -> SimConfig {
    SimConfig {
        days,
        orders_per_day,
        square_locations: 1,
        toast_restaurants: 1,
        ..SimConfig::default()
    }
}

pub fn fixture(path: &str) -> Value {
    let full = format!(
        "{}/../../../shared/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {full}: {e}"))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The top-level keys and their JSON types.
pub fn top_level(v: &Value) -> Vec<(String, &'static str)> {
    let mut keys: Vec<_> = v
        .as_object()
        .expect("an object")
        .iter()
        .map(|(k, v)| (k.clone(), kind(v)))
        .collect();
    keys.sort();
    keys
}

/// Asserts that `ours` has every key of `fixture` (recursively, through objects and the first
/// element of arrays) with the same JSON type; `null` on either side stands for "nullable" and
/// matches anything. Keys listed in `optional` (by name) may be missing.
pub fn assert_covers(fixture: &Value, ours: &Value, path: &str, optional: &[&str]) {
    match (fixture, ours) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(f), Value::Object(o)) => {
            for (k, fv) in f {
                match o.get(k) {
                    Some(ov) => assert_covers(fv, ov, &format!("{path}.{k}"), optional),
                    None => assert!(
                        optional.contains(&k.as_str()),
                        "{path}.{k} is in the fixture but missing from the response"
                    ),
                }
            }
        }
        (Value::Array(f), Value::Array(o)) => {
            if let (Some(fv), Some(ov)) = (f.first(), o.first()) {
                assert_covers(fv, ov, &format!("{path}[0]"), optional);
            }
        }
        (f, o) => assert_eq!(kind(f), kind(o), "{path}: fixture {f} vs response {o}"),
    }
}

pub async fn square_get(sim: &SimHandle, path_and_query: &str) -> Response {
    client()
        .get(format!("{}{path_and_query}", sim.base_url()))
        .bearer_auth(&sim.config().square_access_token)
        .header("Square-Version", SQUARE_VERSION)
        .send()
        .await
        .expect("request sent")
}

pub async fn square_search(sim: &SimHandle, body: &Value) -> Response {
    client()
        .post(format!("{}/v2/orders/search", sim.base_url()))
        .bearer_auth(&sim.config().square_access_token)
        .header("Square-Version", SQUARE_VERSION)
        .json(body)
        .send()
        .await
        .expect("request sent")
}

pub async fn json_ok(resp: Response) -> Value {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status, 200, "unexpected status, body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// All payment ids of one location over every page, with the page count.
pub async fn all_payments(sim: &SimHandle, query: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut q = query.to_string();
        if let Some(c) = &cursor {
            q.push_str(&format!("&cursor={c}"));
        }
        let body = json_ok(square_get(sim, &format!("/v2/payments?{q}")).await).await;
        pages += 1;
        for p in body["payments"].as_array().into_iter().flatten() {
            ids.push(p["id"].as_str().expect("id").to_string());
        }
        match body["cursor"].as_str() {
            Some(c) if !c.is_empty() => cursor = Some(c.to_string()),
            _ => break,
        }
        assert!(pages < 10_000, "runaway pagination");
    }
    (ids, pages)
}

/// All orders of a SearchOrders query over every page (the body's cursor and limit are set
/// here), with the page count.
pub async fn all_orders(sim: &SimHandle, mut body: Value, limit: u64) -> (Vec<Value>, usize) {
    let mut orders = Vec::new();
    let mut pages = 0;
    body["limit"] = json!(limit);
    loop {
        let page = json_ok(square_search(sim, &body).await).await;
        pages += 1;
        let list = page
            .get("orders")
            .or_else(|| page.get("order_entries"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        assert!(list.len() as u64 <= limit);
        orders.extend(list);
        match page["cursor"].as_str() {
            Some(c) if !c.is_empty() => body["cursor"] = json!(c),
            _ => break,
        }
        assert!(pages < 10_000, "runaway pagination");
    }
    (orders, pages)
}

pub async fn toast_login(sim: &SimHandle) -> String {
    let cfg = sim.config();
    let resp = client()
        .post(format!(
            "{}/authentication/v1/authentication/login",
            sim.base_url()
        ))
        .json(&json!({
            "clientId": cfg.toast_client_id,
            "clientSecret": cfg.toast_client_secret,
            "userAccessType": "TOAST_MACHINE_CLIENT",
        }))
        .send()
        .await
        .expect("login sent");
    let body = json_ok(resp).await;
    body["token"]["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_string()
}

pub async fn toast_get(sim: &SimHandle, token: &str, restaurant: &str, query: &str) -> Response {
    client()
        .get(format!("{}/orders/v2/ordersBulk?{query}", sim.base_url()))
        .bearer_auth(token)
        .header("Toast-Restaurant-External-ID", restaurant)
        .send()
        .await
        .expect("request sent")
}

/// The `rel="next"` target among a response's Link headers.
pub fn next_link(resp: &Response) -> Option<String> {
    resp.headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find(|l| l.contains("rel=\"next\""))
        .and_then(|l| {
            let start = l.find('<')? + 1;
            let end = l.find('>')?;
            Some(l[start..end].to_string())
        })
}

/// Walks ordersBulk by following `rel="next"`; returns the order guids and the page count.
pub async fn all_toast_orders(
    sim: &SimHandle,
    token: &str,
    restaurant: &str,
    query: &str,
) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut url = format!("{}/orders/v2/ordersBulk?{query}", sim.base_url());
    loop {
        let resp = client()
            .get(&url)
            .bearer_auth(token)
            .header("Toast-Restaurant-External-ID", restaurant)
            .send()
            .await
            .expect("request sent");
        let next = next_link(&resp);
        let body = json_ok(resp).await;
        pages += 1;
        for o in body.as_array().expect("an array") {
            ids.push(o["guid"].as_str().expect("guid").to_string());
        }
        match next {
            Some(n) => url = n,
            None => break,
        }
        assert!(pages < 10_000, "runaway pagination");
    }
    (ids, pages)
}

pub fn assert_unique(ids: &[String]) {
    let set: HashSet<_> = ids.iter().collect();
    assert_eq!(set.len(), ids.len(), "some ids came back more than once");
}

/// Toast's query-string form of a time (URL-encoded, `+` as %2B).
pub fn toast_range(
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
) -> String {
    let f =
        |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3f%%2B0000").to_string();
    format!("startDate={}&endDate={}", f(start), f(end))
}
