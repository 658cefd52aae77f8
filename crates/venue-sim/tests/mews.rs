//! The Mews simulator over real HTTP and websockets on loopback: shapes against the vendor
//! fixtures, paging, validation, rate limits, orders, faults and socket behaviour.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Months, TimeDelta, Utc};
use futures_util::{SinkExt, StreamExt};
use reqwest::Client;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use venue_sim::{
    Fault, MewsEndpoint, MewsSimConfig, MewsSimHandle, MewsSimulator, RetryAfter, SimChange, Times,
};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn client() -> Client {
    common::client_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

async fn start(cfg: MewsSimConfig) -> MewsSimHandle {
    MewsSimulator::start(cfg).await.expect("simulator starts")
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../../shared/fixtures/mews/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

fn t(s: DateTime<Utc>) -> String {
    s.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time string"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// `body` with the sim's tokens and a client name added.
fn authed(sim: &MewsSimHandle, mut body: Value) -> Value {
    let obj = body.as_object_mut().expect("an object body");
    obj.insert(
        "ClientToken".into(),
        sim.config().client_token.clone().into(),
    );
    obj.insert(
        "AccessToken".into(),
        sim.config().access_token.clone().into(),
    );
    obj.insert("Client".into(), "venue-sim tests 1.0".into());
    body
}

async fn post_raw(sim: &MewsSimHandle, op: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}/api/connector/v1/{op}", sim.base_url()))
        .json(body)
        .send()
        .await
        .expect("sent")
}

/// POSTs an authenticated operation: (status, JSON body).
async fn call(sim: &MewsSimHandle, op: &str, body: Value) -> (u16, Value) {
    let resp = post_raw(sim, op, &authed(sim, body)).await;
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{op}: {e}: {text}"));
    (status, value)
}

async fn ok(sim: &MewsSimHandle, op: &str, body: Value) -> Value {
    let (status, v) = call(sim, op, body).await;
    assert_eq!(status, 200, "{op}: {v}");
    v
}

/// Follows cursors to the end: (every item in order, number of requests).
async fn page_all(
    sim: &MewsSimHandle,
    op: &str,
    list: &str,
    filters: Value,
    count: u64,
) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor = Value::Null;
    let mut requests = 0;
    loop {
        let mut body = filters.clone();
        body["Limitation"] = json!({ "Count": count, "Cursor": cursor });
        let page = ok(sim, op, body).await;
        requests += 1;
        let got = page[list].as_array().expect("a list").clone();
        let n = got.len() as u64;
        items.extend(got);
        cursor = page["Cursor"].clone();
        if n < count || cursor.is_null() {
            return (items, requests);
        }
        assert!(requests < 10_000, "runaway paging");
    }
}

/// Keys of `fixture` missing in `ours`, through nested objects and arrays' first elements.
fn missing_keys(fixture: &Value, ours: &Value, path: &str, out: &mut Vec<String>) {
    match (fixture, ours) {
        (Value::Object(f), Value::Object(o)) => {
            for (k, fv) in f {
                match o.get(k) {
                    Some(ov) => missing_keys(fv, ov, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}")),
                }
            }
        }
        (Value::Array(f), Value::Array(o)) => {
            if let (Some(fv), Some(ov)) = (f.first(), o.first()) {
                missing_keys(fv, ov, &format!("{path}[0]"), out);
            }
        }
        _ => {}
    }
}

fn assert_covers(fixture: &Value, ours: &Value, what: &str) {
    let mut missing = Vec::new();
    missing_keys(fixture, ours, what, &mut missing);
    assert!(missing.is_empty(), "missing in our {what}: {missing:?}");
}

fn cookie(sim: &MewsSimHandle) -> String {
    format!(
        "ClientToken={};AccessToken={}",
        sim.config().client_token,
        sim.config().access_token
    )
}

async fn try_connect(sim: &MewsSimHandle, cookie: Option<&str>) -> Result<Ws, u16> {
    let mut req = sim.ws_url().into_client_request().expect("request");
    if let Some(c) = cookie {
        req.headers_mut()
            .insert("Cookie", c.parse().expect("header value"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, resp)) => {
            assert_eq!(resp.status().as_u16(), 101);
            Ok(ws)
        }
        Err(tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("websocket connect: {e}"),
    }
}

async fn connect(sim: &MewsSimHandle) -> Ws {
    try_connect(sim, Some(&cookie(sim)))
        .await
        .expect("websocket opens")
}

/// The next text frame within `within` (pings and pongs skipped); `None` on timeout or close.
async fn next_text(ws: &mut Ws, within: Duration) -> Option<String> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) | Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Text(t)))) => return Some(t.to_string()),
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Whether the server hangs up within `within`, and without a close frame.
async fn dropped_abruptly(ws: &mut Ws, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return false,
            Ok(None) | Ok(Some(Err(_))) => return true,
            Ok(Some(Ok(Message::Close(_)))) => return false,
            Ok(Some(Ok(_))) => {}
        }
    }
}

async fn wait_until(mut f: impl FnMut() -> bool, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}

/// An UpdatedUtc window covering every item changed in the last 85 days (under 3 months):
/// everything but the stays booked long ago and untouched since.
fn updated_window() -> Value {
    let now = Utc::now();
    json!({ "StartUtc": t(now - TimeDelta::days(85)), "EndUtc": t(now + TimeDelta::days(1)) })
}

#[tokio::test]
async fn fixture_fields_appear_in_our_responses() {
    let sim = start(MewsSimConfig::default()).await;

    let res = ok(
        &sim,
        "reservations/getAll/2023-06-06",
        json!({ "Limitation": { "Count": 50 } }),
    )
    .await;
    let fx = fixture("reservations_getAll_2023-06-06_response.json");
    for key in ["Reservations", "Cursor"] {
        assert!(res.get(key).is_some(), "{key}");
    }
    // A reservation with children, so PersonCounts has both age categories like the fixture.
    let ours = res["Reservations"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|r| r["PersonCounts"].as_array().is_some_and(|p| p.len() == 2))
        })
        .expect("a reservation with children")
        .clone();
    assert_covers(&fx["Reservations"][0], &ours, "reservation");
    assert_eq!(ours["AccountType"], "Customer");
    assert!(ours["Number"].is_string());
    assert!(ours["UpdatedUtc"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));

    let body = fixture("resources_getAll_request.json");
    let mut req = json!({ "Extent": body["Extent"].clone(), "Limitation": { "Count": 100 } });
    req["Extent"]["ResourceCategories"] = json!(true);
    let res = ok(&sim, "resources/getAll", req).await;
    let fx = fixture("resources_getAll_response.json");
    let top: Vec<&String> = fx.as_object().expect("object").keys().collect();
    for key in top {
        assert!(res.get(key).is_some(), "resources response lacks {key}");
    }
    assert_covers(&fx["Resources"][0], &res["Resources"][0], "resource");
    let first = &res["Resources"][0];
    assert_eq!(first["Data"]["Discriminator"], "Space");
    assert!(["1", "2", "3", "4"]
        .contains(&first["Data"]["Value"]["FloorNumber"].as_str().unwrap_or("")));
    assert_eq!(res["Resources"].as_array().map(Vec::len), Some(40));
    assert_eq!(res["ResourceCategories"].as_array().map(Vec::len), Some(4));

    let services = ok(
        &sim,
        "services/getAll",
        json!({ "Limitation": { "Count": 10 } }),
    )
    .await;
    let names: Vec<&str> = services["Services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["Name"].as_str())
        .collect();
    for n in ["Accommodation", "Breakfast", "Minibar & Extras"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let svc = &services["Services"][0];
    for key in [
        "Id",
        "EnterpriseId",
        "IsActive",
        "Name",
        "Names",
        "CreatedUtc",
        "UpdatedUtc",
        "Options",
        "Ordering",
        "Data",
    ] {
        assert!(svc.get(key).is_some(), "service lacks {key}");
    }
    assert_eq!(svc["Data"]["Discriminator"], "Bookable");
    assert_eq!(svc["EnterpriseId"], sim.enterprise_id());

    let customers = ok(
        &sim,
        "customers/getAll",
        json!({ "UpdatedUtc": updated_window(), "Extent": { "Customers": true }, "Limitation": { "Count": 5 } }),
    )
    .await;
    let c = &customers["Customers"][0];
    for key in [
        "Id",
        "ChainId",
        "Number",
        "FirstName",
        "LastName",
        "Email",
        "Phone",
        "Classifications",
        "Notes",
        "CreatedUtc",
        "UpdatedUtc",
        "Options",
        "IsActive",
        "HasOtaEmail",
    ] {
        assert!(c.get(key).is_some(), "customer lacks {key}");
    }
    assert!(customers.get("Cursor").is_some());
}

#[tokio::test]
async fn pages_cover_everything_once_at_exact_multiples_and_one_more() {
    let sim = start(MewsSimConfig {
        rooms: 40,
        ..Default::default()
    })
    .await;
    for (count, requests) in [(10, 5), (20, 3), (40, 2), (41, 1), (1000, 1)] {
        let (items, n) = page_all(&sim, "resources/getAll", "Resources", json!({}), count).await;
        assert_eq!(n, requests, "Count {count}");
        let ids: HashSet<&str> = items.iter().filter_map(|r| r["Id"].as_str()).collect();
        assert_eq!((items.len(), ids.len()), (40, 40), "Count {count}");
    }
    // A full last page is followed by an empty one with a null cursor.
    let mut cursor = Value::Null;
    for _ in 0..4 {
        let page = ok(
            &sim,
            "resources/getAll",
            json!({ "Limitation": { "Count": 10, "Cursor": cursor } }),
        )
        .await;
        assert_eq!(page["Resources"].as_array().map(Vec::len), Some(10));
        assert_eq!(
            page["Cursor"], page["Resources"][9]["Id"],
            "the cursor is the last item's id"
        );
        cursor = page["Cursor"].clone();
    }
    let last = ok(
        &sim,
        "resources/getAll",
        json!({ "Limitation": { "Count": 10, "Cursor": cursor } }),
    )
    .await;
    assert_eq!(last["Resources"].as_array().map(Vec::len), Some(0));
    assert!(last["Cursor"].is_null());

    let sim41 = start(MewsSimConfig {
        rooms: 41,
        ..Default::default()
    })
    .await;
    let (items, n) = page_all(&sim41, "resources/getAll", "Resources", json!({}), 10).await;
    assert_eq!((items.len(), n), (41, 5));

    let (all, _) = page_all(
        &sim,
        "reservations/getAll/2023-06-06",
        "Reservations",
        json!({}),
        100,
    )
    .await;
    let ids: HashSet<&str> = all.iter().filter_map(|r| r["Id"].as_str()).collect();
    assert_eq!(ids.len(), all.len());
    assert_eq!(all.len(), sim.reservations().len());
}

#[tokio::test]
async fn paging_by_updated_is_stable_while_data_changes() {
    let sim = start(MewsSimConfig::default()).await;
    let op = "reservations/getAll/2023-06-06";
    let window = updated_window();
    let before: HashMap<String, DateTime<Utc>> = sim
        .reservations()
        .into_iter()
        .map(|r| (r.id, r.updated_utc))
        .collect();

    let mut served: Vec<(DateTime<Utc>, String, String)> = Vec::new();
    let mut cursor = Value::Null;
    let mut pages = 0;
    loop {
        let page = ok(
            &sim,
            op,
            json!({ "UpdatedUtc": window, "Limitation": { "Count": 50, "Cursor": cursor } }),
        )
        .await;
        let items = page["Reservations"].as_array().expect("list").clone();
        for r in &items {
            served.push((
                parse_time(&r["UpdatedUtc"]),
                r["Id"].as_str().expect("id").to_string(),
                r["State"].as_str().expect("state").to_string(),
            ));
        }
        pages += 1;
        if pages == 2 {
            // Change an item already served (it was the cursor), one not yet served, and more.
            let seen = served.last().map(|s| s.1.clone()).expect("served");
            let unseen = before
                .keys()
                .find(|id| !served.iter().any(|s| &s.1 == *id))
                .cloned()
                .expect("an unserved reservation");
            assert!(sim.set_reservation_state(&seen, "Canceled").is_some());
            assert!(sim.set_reservation_state(&unseen, "Canceled").is_some());
            sim.churn(15);
        }
        cursor = page["Cursor"].clone();
        if items.len() < 50 {
            break;
        }
    }
    // Pages run in (UpdatedUtc, Id) order, never backwards.
    for w in served.windows(2) {
        assert!(
            (w[0].0, &w[0].1) < (w[1].0, &w[1].1),
            "out of order: {:?} then {:?}",
            w[0],
            w[1]
        );
    }
    let mut times_served: HashMap<&str, usize> = HashMap::new();
    for s in &served {
        *times_served.entry(s.1.as_str()).or_default() += 1;
    }
    let since = parse_time(&window["StartUtc"]);
    let now = sim.reservations();
    for r in &now {
        let unchanged = before.get(&r.id) == Some(&r.updated_utc);
        let n = times_served.get(r.id.as_str()).copied().unwrap_or(0);
        if unchanged && r.updated_utc < since {
            assert_eq!(n, 0, "{} changed before the window, served", r.id);
        } else if unchanged {
            assert_eq!(n, 1, "unchanged {} served {n} times", r.id);
        } else {
            // Changed mid-paging: served at least once, and last with its current state.
            assert!(n >= 1, "changed {} never served", r.id);
            let last = served.iter().rev().find(|s| s.1 == r.id).expect("served");
            assert_eq!(
                (last.0, last.2.as_str()),
                (r.updated_utc, r.state.as_str()),
                "{}",
                r.id
            );
        }
    }

    // Without an UpdatedUtc filter pages follow creation: nothing repeats even as items change.
    let mut ids = Vec::new();
    let mut cursor = Value::Null;
    let existing: HashSet<String> = sim.reservations().into_iter().map(|r| r.id).collect();
    loop {
        let page = ok(
            &sim,
            op,
            json!({ "Limitation": { "Count": 60, "Cursor": cursor } }),
        )
        .await;
        let items = page["Reservations"].as_array().expect("list").clone();
        ids.extend(
            items
                .iter()
                .filter_map(|r| r["Id"].as_str().map(str::to_string)),
        );
        sim.churn(5);
        cursor = page["Cursor"].clone();
        if items.len() < 60 {
            break;
        }
    }
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an item repeated");
    assert!(
        existing.iter().all(|id| unique.contains(id)),
        "an item was skipped"
    );
}

#[tokio::test]
async fn bad_tokens_and_bad_requests_get_mews_errors() {
    let sim = start(MewsSimConfig::default()).await;
    let op = "services/getAll";
    let lim = json!({ "Count": 10 });

    let mut body = authed(&sim, json!({ "Limitation": lim }));
    body["ClientToken"] = json!("E0D439EE522F44368DC78E1BFB03710C-D24FB11DBE31D4621C4817E028D9E1D");
    let resp = post_raw(&sim, op, &body).await;
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("request-id").is_some());
    let err: Value = resp.json().await.expect("json");
    assert!(err["Message"].is_string() && err["RequestId"].is_string());
    assert!(err.as_object().is_some_and(|o| o.contains_key("Details")));

    let mut body = authed(&sim, json!({ "Limitation": lim }));
    body.as_object_mut().map(|o| o.remove("AccessToken"));
    assert_eq!(post_raw(&sim, op, &body).await.status(), 401);
    let mut body = authed(&sim, json!({ "Limitation": lim }));
    body["AccessToken"] = json!("nope");
    assert_eq!(post_raw(&sim, op, &body).await.status(), 401);
    let mut body = authed(&sim, json!({ "Limitation": lim }));
    body.as_object_mut().map(|o| o.remove("Client"));
    assert_eq!(post_raw(&sim, op, &body).await.status(), 400);

    let resp = client()
        .post(format!("{}/api/connector/v1/{op}", sim.base_url()))
        .header("content-type", "application/json")
        .body("{\"ClientToken\": \"x\",}")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.expect("json");
    assert!(err["Message"].as_str().is_some_and(|m| m.contains("JSON")));

    let cases = [
        (op, json!({})),
        (op, json!({ "Limitation": { "Count": 0 } })),
        (op, json!({ "Limitation": { "Count": 1001 } })),
        (op, json!({ "Limitation": { "Count": "10" } })),
        (
            op,
            json!({ "Limitation": { "Count": 10, "Cursor": "not-an-id" } }),
        ),
        (op, json!({ "ServiceType": "Spa", "Limitation": lim })),
        (
            "reservations/getAll/2023-06-06",
            json!({ "States": ["Confirmed", "Happy"], "Limitation": lim }),
        ),
        (
            "reservations/getAll/2023-06-06",
            json!({ "ReservationIds": "abc", "Limitation": lim }),
        ),
        (
            "reservations/getAll/2023-06-06",
            json!({ "ReservationIds": [1, 2], "Limitation": lim }),
        ),
        (
            "reservations/getAll/2023-06-06",
            json!({ "ScheduledStartUtc": updated_window(), "ActualStartUtc": updated_window(), "Limitation": lim }),
        ),
        ("customers/getAll", json!({ "Limitation": lim })),
        ("orderItems/getAll", json!({ "Limitation": lim })),
        ("orders/add", json!({})),
    ];
    for (op, body) in cases {
        let (status, err) = call(&sim, op, body.clone()).await;
        assert_eq!(status, 400, "{op} {body}: {err}");
        assert!(err["Message"].is_string(), "{err}");
    }

    // Paths are case-sensitive, and there is no trailing slash.
    for path in ["services/GetAll", "services/getAll/", "reservations/getAll"] {
        let resp = post_raw(&sim, path, &authed(&sim, json!({ "Limitation": lim }))).await;
        assert_eq!(resp.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn time_intervals_are_half_open_and_at_most_three_months() {
    let sim = start(MewsSimConfig::default()).await;
    let op = "reservations/getAll/2023-06-06";
    let start = Utc::now() - TimeDelta::days(80);
    let three = start.checked_add_months(Months::new(3)).expect("date");
    let window = |a: DateTime<Utc>, b: DateTime<Utc>| json!({ "StartUtc": t(a), "EndUtc": t(b) });
    let lim = json!({ "Count": 1000 });
    ok(
        &sim,
        op,
        json!({ "UpdatedUtc": window(start, three), "Limitation": lim }),
    )
    .await;
    for (a, b) in [
        (start, three + TimeDelta::seconds(1)),
        (start, start),
        (start, start - TimeDelta::hours(1)),
    ] {
        let (status, err) = call(
            &sim,
            op,
            json!({ "UpdatedUtc": window(a, b), "Limitation": lim }),
        )
        .await;
        assert_eq!(status, 400, "{err}");
    }
    let (status, _) = call(
        &sim,
        "customers/getAll",
        json!({ "CreatedUtc": window(start, three + TimeDelta::days(2)), "Limitation": lim }),
    )
    .await;
    assert_eq!(status, 400);

    // [StartUtc, EndUtc): an item updated exactly at EndUtc is out, at StartUtc in.
    let r = sim
        .reservations()
        .into_iter()
        .next()
        .expect("a reservation");
    let at = r.updated_utc;
    let ids = |v: &Value| -> Vec<String> {
        v["Reservations"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|x| x["Id"].as_str().map(str::to_string))
            .collect()
    };
    let inside = ok(&sim, op, json!({ "ReservationIds": [r.id], "UpdatedUtc": window(at, at + TimeDelta::hours(1)), "Limitation": lim })).await;
    assert_eq!(ids(&inside), vec![r.id.clone()]);
    let outside = ok(&sim, op, json!({ "ReservationIds": [r.id], "UpdatedUtc": window(at - TimeDelta::hours(1), at), "Limitation": lim })).await;
    assert!(ids(&outside).is_empty());
}

/// Stays on the books that no recent change names: arrivals booked months ago and a long stay
/// in house are missing from an `UpdatedUtc` read and found by `CollidingUtc` (the stay's
/// scheduled start to end overlaps the window) and `ScheduledStartUtc`, each selecting exactly
/// what the documentation says, half-open, and refused past three months.
#[tokio::test]
async fn stays_on_the_books_are_found_by_their_dates() {
    let sim = start(MewsSimConfig::default()).await;
    let op = "reservations/getAll/2023-06-06";
    let now = Utc::now();
    let all = sim.reservations();
    let booked_early: Vec<_> = all
        .iter()
        .filter(|r| {
            r.created_utc < now - TimeDelta::days(100)
                && r.updated_utc == r.created_utc
                && r.scheduled_start_utc > now
                && r.scheduled_start_utc < now + TimeDelta::days(29)
        })
        .collect();
    assert!(!booked_early.is_empty(), "arrivals booked months ago");
    let long: Vec<_> = all
        .iter()
        .filter(|r| {
            r.state == "Started"
                && r.start_utc < now - TimeDelta::days(95)
                && r.end_utc > now + TimeDelta::days(25)
                && r.updated_utc < now - TimeDelta::days(90)
        })
        .collect();
    assert_eq!(long.len(), 1, "one long stay in house");
    let window = |a: DateTime<Utc>, b: DateTime<Utc>| json!({ "StartUtc": t(a), "EndUtc": t(b) });
    let ids_of = |items: &[Value]| -> HashSet<String> {
        items
            .iter()
            .filter_map(|x| x["Id"].as_str().map(str::to_string))
            .collect()
    };

    let (changed, _) = page_all(
        &sim,
        op,
        "Reservations",
        json!({ "UpdatedUtc": window(now - TimeDelta::days(89), now + TimeDelta::hours(1)) }),
        1000,
    )
    .await;
    let changed = ids_of(&changed);
    assert!(booked_early.iter().all(|r| !changed.contains(&r.id)));
    assert!(!changed.contains(&long[0].id));

    let (a, b) = (now - TimeDelta::days(30), now + TimeDelta::days(59));
    let (colliding, _) = page_all(
        &sim,
        op,
        "Reservations",
        json!({ "CollidingUtc": window(a, b) }),
        100,
    )
    .await;
    let expected: HashSet<String> = all
        .iter()
        .filter(|r| r.scheduled_start_utc < b && r.end_utc > a)
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids_of(&colliding), expected);
    assert!(expected.contains(&long[0].id));
    assert!(booked_early.iter().all(|r| expected.contains(&r.id)));

    let (starting, _) = page_all(
        &sim,
        op,
        "Reservations",
        json!({ "ScheduledStartUtc": window(now, b) }),
        1000,
    )
    .await;
    let expected: HashSet<String> = all
        .iter()
        .filter(|r| r.scheduled_start_utc >= now && r.scheduled_start_utc < b)
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids_of(&starting), expected);
    assert!(booked_early.iter().all(|r| expected.contains(&r.id)));

    // Half-open: a stay ending exactly at the window's start, or starting at its end, is out.
    let r = booked_early[0];
    let lim = json!({ "Count": 10 });
    let one = |w: Value| json!({ "ReservationIds": [r.id], "CollidingUtc": w, "Limitation": lim });
    let hit = |v: &Value| v["Reservations"].as_array().map_or(0, Vec::len);
    let v = ok(
        &sim,
        op,
        one(window(r.end_utc, r.end_utc + TimeDelta::days(1))),
    )
    .await;
    assert_eq!(hit(&v), 0);
    let v = ok(
        &sim,
        op,
        one(window(
            r.scheduled_start_utc - TimeDelta::days(1),
            r.scheduled_start_utc,
        )),
    )
    .await;
    assert_eq!(hit(&v), 0);
    let v = ok(
        &sim,
        op,
        one(window(r.end_utc - TimeDelta::seconds(1), r.end_utc)),
    )
    .await;
    assert_eq!(hit(&v), 1);

    // Three months is the longest window either filter takes.
    let three = a.checked_add_months(Months::new(3)).expect("date");
    for key in ["CollidingUtc", "ScheduledStartUtc"] {
        ok(
            &sim,
            op,
            json!({ key: window(a, three), "Limitation": lim }),
        )
        .await;
        let (status, err) = call(
            &sim,
            op,
            json!({ key: window(a, three + TimeDelta::seconds(1)), "Limitation": lim }),
        )
        .await;
        assert_eq!(status, 400, "{key}: {err}");
        assert!(
            err["Message"]
                .as_str()
                .is_some_and(|m| m.contains("3 months")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn filters_select_what_they_name() {
    let sim = start(MewsSimConfig::default()).await;
    let op = "reservations/getAll/2023-06-06";
    let lim = json!({ "Count": 1000 });
    let all = sim.reservations();
    let started: Vec<_> = all.iter().filter(|r| r.state == "Started").collect();
    let v = ok(
        &sim,
        op,
        json!({ "States": ["Started"], "Limitation": lim }),
    )
    .await;
    assert_eq!(
        v["Reservations"].as_array().map(Vec::len),
        Some(started.len())
    );
    assert!(!started.is_empty());

    let r = started[0];
    let room = r
        .assigned_resource_id
        .clone()
        .expect("in-house guests have rooms");
    for filter in [
        json!({ "Numbers": [r.number] }),
        json!({ "AccountIds": [r.account_id], "States": ["Started"] }),
        json!({ "AssignedResourceIds": [room], "States": ["Started"] }),
    ] {
        let mut body = filter.clone();
        body["Limitation"] = lim.clone();
        let v = ok(&sim, op, body).await;
        let ids: Vec<&str> = v["Reservations"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|x| x["Id"].as_str())
            .collect();
        assert!(ids.contains(&r.id.as_str()), "{filter}");
        assert!(v["Reservations"]
            .as_array()
            .expect("list")
            .iter()
            .all(|x| x["State"] == "Started" || filter.get("States").is_none()));
    }
    let other = ok(
        &sim,
        op,
        json!({ "EnterpriseIds": ["3fa85f64-5717-4562-b3fc-2c963f66afa6"], "Limitation": lim }),
    )
    .await;
    assert_eq!(other["Reservations"].as_array().map(Vec::len), Some(0));

    let c = sim
        .customers()
        .into_iter()
        .find(|c| c.email.is_some())
        .expect("a customer with e-mail");
    let email = c.email.clone().unwrap_or_default().to_uppercase();
    let v = ok(
        &sim,
        "customers/getAll",
        json!({ "Emails": [email], "Limitation": lim }),
    )
    .await;
    assert_eq!(v["Customers"][0]["Id"], c.id);
    let v = ok(
        &sim,
        "customers/getAll",
        json!({ "CustomerIds": [c.id], "Limitation": lim }),
    )
    .await;
    assert_eq!(v["Customers"][0]["LastName"], c.last_name);

    let rooms = sim.resources();
    let v = ok(
        &sim,
        "resources/getAll",
        json!({ "Names": ["101", "102"], "Limitation": lim }),
    )
    .await;
    assert_eq!(v["Resources"].as_array().map(Vec::len), Some(2));
    assert!(rooms.iter().any(|r| r.name == "410"));
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sim = start(MewsSimConfig {
        requests_per_window: 5,
        window: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let body = json!({ "Limitation": { "Count": 1 } });
    for _ in 0..5 {
        ok(&sim, "services/getAll", body.clone()).await;
    }
    let resp = post_raw(&sim, "resources/getAll", &authed(&sim, body.clone())).await;
    assert_eq!(resp.status(), 429);
    let after: u64 = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=1).contains(&after), "{after}");
    let err: Value = resp.json().await.expect("json");
    assert!(err["Message"].is_string());
    // Another token has a window of its own (and is refused for being wrong, not for the rate).
    let mut other = authed(&sim, body.clone());
    other["AccessToken"] = json!("someone-else");
    assert_eq!(
        post_raw(&sim, "services/getAll", &other).await.status(),
        401
    );
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    ok(&sim, "services/getAll", body).await;
}

fn minibar(sim: &MewsSimHandle) -> String {
    sim.services()
        .into_iter()
        .find(|s| s.name == "Minibar & Extras")
        .map(|s| s.id)
        .expect("minibar service")
}

fn order_body(service: &str, account: &str, reservation: Option<&str>, ext: &str) -> Value {
    json!({
        "ServiceId": service,
        "AccountId": account,
        "LinkedReservationId": reservation,
        "Notes": "Room service",
        "Items": [
            {
                "Name": "Club sandwich",
                "UnitCount": 2,
                "UnitAmount": { "Currency": "EUR", "GrossValue": 18.5, "TaxCodes": ["NL-2019-L"] },
                "ExternalIdentifier": format!("{ext}-1"),
            },
            {
                "Name": "Red wine",
                "UnitCount": 1,
                "UnitAmount": { "Currency": "EUR", "NetValue": 10, "TaxCodes": ["NL-2019-S"] },
                "ExternalIdentifier": format!("{ext}-2"),
            }
        ]
    })
}

#[tokio::test]
async fn orders_add_is_recorded_once_and_visible_as_order_items() {
    let sim = start(MewsSimConfig::default()).await;
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("a guest in house");
    let service = minibar(&sim);
    let v = ok(
        &sim,
        "orders/add",
        order_body(&service, &stay.account_id, Some(&stay.id), "pos-1"),
    )
    .await;
    let order_id = v["OrderId"].as_str().expect("OrderId").to_string();
    assert_covers(
        &fixture("orders_add_response.json"),
        &v,
        "orders/add response",
    );

    let orders = sim.orders();
    assert_eq!(orders.len(), 1);
    let o = &orders[0];
    assert_eq!(o.order_id, order_id);
    assert_eq!(o.linked_reservation_id.as_deref(), Some(stay.id.as_str()));
    assert_eq!(o.items.len(), 2);
    assert_eq!(o.items[0].unit_amount_minor, 1850);
    assert_eq!(o.items[0].unit_net_minor, 1697);
    assert_eq!(
        (o.items[1].unit_net_minor, o.items[1].unit_amount_minor),
        (1000, 1210)
    );
    assert_eq!(o.items[0].external_identifier.as_deref(), Some("pos-1-1"));

    let items = ok(
        &sim,
        "orderItems/getAll",
        json!({ "ServiceOrderIds": [stay.id], "Limitation": { "Count": 100 } }),
    )
    .await;
    let items = items["OrderItems"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);
    let sandwich = items
        .iter()
        .find(|i| i["ExternalIdentifier"] == "pos-1-1")
        .expect("by external id");
    assert_eq!(sandwich["ServiceOrderId"], stay.id);
    assert_eq!(sandwich["AccountId"], stay.account_id);
    assert_eq!(sandwich["ServiceId"], service);
    assert_eq!(sandwich["UnitCount"], 2);
    assert_eq!(sandwich["UnitAmount"]["Currency"], "EUR");
    assert_eq!(sandwich["UnitAmount"]["GrossValue"], json!(18.5));
    assert_eq!(sandwich["UnitAmount"]["NetValue"], json!(16.97));
    assert_eq!(sandwich["Amount"]["GrossValue"], json!(37));
    assert_eq!(sandwich["Amount"]["NetValue"], json!(33.94));
    assert_eq!(sandwich["Amount"]["TaxValues"][0]["Code"], "NL-2019-L");
    for key in [
        "Id",
        "EnterpriseId",
        "AccountId",
        "ServiceId",
        "ServiceOrderId",
        "UnitCount",
        "UnitAmount",
        "Amount",
        "OriginalAmount",
        "RevenueType",
        "CreatedUtc",
        "UpdatedUtc",
        "ConsumedUtc",
        "AccountingState",
        "Type",
        "Options",
    ] {
        assert!(sandwich.get(key).is_some(), "order item lacks {key}");
    }
    let by_order = ok(
        &sim,
        "orderItems/getAll",
        json!({ "ServiceOrderIds": [order_id], "Limitation": { "Count": 1 } }),
    )
    .await;
    assert_eq!(by_order["OrderItems"].as_array().map(Vec::len), Some(1));
    let next = ok(&sim, "orderItems/getAll", json!({ "ServiceOrderIds": [order_id], "Limitation": { "Count": 1, "Cursor": by_order["Cursor"] } })).await;
    assert_eq!(next["OrderItems"].as_array().map(Vec::len), Some(1));
    assert_ne!(next["OrderItems"][0]["Id"], by_order["OrderItems"][0]["Id"]);

    // Rejected orders leave no trace.
    let canceled = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Canceled")
        .expect("a canceled stay");
    let accommodation = sim
        .services()
        .into_iter()
        .find(|s| s.kind == "Bookable")
        .map(|s| s.id)
        .expect("bookable");
    let mut usd = order_body(&service, &stay.account_id, None, "x");
    usd["Items"][0]["UnitAmount"]["Currency"] = json!("USD");
    let mut bad_tax = order_body(&service, &stay.account_id, None, "x");
    bad_tax["Items"][0]["UnitAmount"]["TaxCodes"] = json!(["US-DC-G"]);
    let mut no_name = order_body(&service, &stay.account_id, None, "x");
    no_name["Items"][1]["Name"] = json!("");
    let mut zero = order_body(&service, &stay.account_id, None, "x");
    zero["Items"][0]["UnitCount"] = json!(0);
    for body in [
        order_body(&service, &canceled.account_id, Some(&canceled.id), "x"),
        order_body(&service, "00000000-0000-0000-0000-000000000000", None, "x"),
        order_body(
            "00000000-0000-0000-0000-000000000000",
            &stay.account_id,
            None,
            "x",
        ),
        order_body(&accommodation, &stay.account_id, None, "x"),
        order_body(&service, &stay.account_id, Some("nope"), "x"),
        usd,
        bad_tax,
        no_name,
        zero,
    ] {
        let (status, err) = call(&sim, "orders/add", body.clone()).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert!(err["Message"].is_string());
    }
    assert_eq!(sim.orders().len(), 1);
}

#[tokio::test]
async fn lost_response_records_the_order_but_answers_an_error() {
    let sim = start(MewsSimConfig::default()).await;
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("in house");
    let service = minibar(&sim);
    sim.inject_orders_add_lost_response(Times::ONCE);
    let (status, err) = call(
        &sim,
        "orders/add",
        order_body(&service, &stay.account_id, Some(&stay.id), "pos-9"),
    )
    .await;
    assert_eq!(status, 500);
    assert!(err["Message"].is_string());
    assert_eq!(sim.orders().len(), 1, "recorded despite the error");
    let items = ok(
        &sim,
        "orderItems/getAll",
        json!({ "ServiceOrderIds": [stay.id], "Limitation": { "Count": 10 } }),
    )
    .await;
    let exts: Vec<&str> = items["OrderItems"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["ExternalIdentifier"].as_str())
        .collect();
    assert!(
        exts.contains(&"pos-9-1") && exts.contains(&"pos-9-2"),
        "{exts:?}"
    );

    // A dropped connection mid-answer: also recorded.
    sim.inject(MewsEndpoint::OrdersAdd, Fault::TruncatedJson, Times::ONCE);
    let resp = post_raw(
        &sim,
        "orders/add",
        &authed(&sim, order_body(&service, &stay.account_id, None, "pos-10")),
    )
    .await;
    assert!(resp.text().await.is_err(), "the body must fail");
    assert_eq!(sim.orders().len(), 2);

    ok(
        &sim,
        "orders/add",
        order_body(&service, &stay.account_id, None, "pos-11"),
    )
    .await;
    assert_eq!(sim.orders().len(), 3);
    assert_eq!(sim.requests(MewsEndpoint::OrdersAdd), 3);
}

#[tokio::test]
async fn injected_rest_faults() {
    let sim = start(MewsSimConfig::default()).await;
    let op = "services/getAll";
    let body = json!({ "Limitation": { "Count": 10 } });
    let ep = MewsEndpoint::ServicesGetAll;

    sim.inject(ep, Fault::ServerError(503), Times::ONCE);
    let (status, err) = call(&sim, op, body.clone()).await;
    assert_eq!(status, 503);
    assert!(err["Message"].is_string());

    sim.inject(ep, Fault::RateLimited(RetryAfter::Absent), Times::ONCE);
    let resp = post_raw(&sim, op, &authed(&sim, body.clone())).await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_none());
    sim.inject(ep, Fault::RateLimited(RetryAfter::Seconds(3)), Times::ONCE);
    let resp = post_raw(&sim, op, &authed(&sim, body.clone())).await;
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );

    sim.inject(ep, Fault::MalformedJson, Times::ONCE);
    let resp = post_raw(&sim, op, &authed(&sim, body.clone())).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("text");
    assert!(serde_json::from_str::<Value>(&text).is_err());

    sim.inject(ep, Fault::ExpiredToken, Times::ONCE);
    assert_eq!(call(&sim, op, body.clone()).await.0, 401);

    sim.inject(ep, Fault::Latency(Duration::from_millis(300)), Times::ONCE);
    let started = std::time::Instant::now();
    ok(&sim, op, body.clone()).await;
    assert!(started.elapsed() >= Duration::from_millis(300));

    sim.inject(ep, Fault::ServerError(500), Times::UntilCleared);
    assert_eq!(call(&sim, op, body.clone()).await.0, 500);
    assert_eq!(call(&sim, op, body.clone()).await.0, 500);
    sim.clear_faults();
    ok(&sim, op, body).await;
    assert_eq!(sim.requests(ep), 9);
    assert_eq!(sim.requests(MewsEndpoint::ReservationsGetAll), 0);
}

#[tokio::test]
async fn websocket_needs_the_token_cookies() {
    let sim = start(MewsSimConfig::default()).await;
    assert_eq!(try_connect(&sim, None).await.err(), Some(401));
    assert_eq!(
        try_connect(&sim, Some("ClientToken=x;AccessToken=y"))
            .await
            .err(),
        Some(401)
    );
    let only_client = format!("ClientToken={}", sim.config().client_token);
    assert_eq!(try_connect(&sim, Some(&only_client)).await.err(), Some(401));
    let _ws = connect(&sim).await;
    let spaced = format!(
        "ClientToken={}; AccessToken={}",
        sim.config().client_token,
        sim.config().access_token
    );
    let _ws2 = try_connect(&sim, Some(&spaced))
        .await
        .expect("space after ; is fine");
    assert!(wait_until(|| sim.connected_sockets() == 2, Duration::from_secs(2)).await);

    sim.set_socket_enabled(false);
    assert_eq!(
        try_connect(&sim, Some(&cookie(&sim))).await.err(),
        Some(503)
    );
    sim.set_socket_enabled(true);
    sim.inject(
        MewsEndpoint::Websocket,
        Fault::ServerError(502),
        Times::ONCE,
    );
    assert_eq!(
        try_connect(&sim, Some(&cookie(&sim))).await.err(),
        Some(502)
    );
    let _ws3 = connect(&sim).await;
    assert_eq!(sim.requests(MewsEndpoint::Websocket), 8);
}

#[tokio::test]
async fn churn_pushes_events_that_name_the_changed_ids() {
    let sim = start(MewsSimConfig {
        seed: 3,
        ..Default::default()
    })
    .await;
    let mut ws = connect(&sim).await;
    assert!(wait_until(|| sim.connected_sockets() == 1, Duration::from_secs(2)).await);
    let before = Utc::now() - TimeDelta::milliseconds(1);
    let changes = sim.churn(40);
    assert!(changes.len() >= 40);

    let mut events = Vec::new();
    while let Some(text) = next_text(&mut ws, Duration::from_millis(500)).await {
        let msg: Value = serde_json::from_str(&text).expect("events are JSON");
        events.extend(msg["Events"].as_array().expect("Events").iter().cloned());
    }
    let fx_res = fixture("websocket_event_reservation.json");
    let fx_room = fixture("websocket_event_resource.json");
    let mut named: HashSet<(String, String)> = HashSet::new();
    for e in &events {
        let kind = e["Type"].as_str().expect("Type");
        match kind {
            "Reservation" => assert_covers(&fx_res, e, "reservation event"),
            "Resource" => assert_covers(&fx_room, e, "resource event"),
            "PriceUpdate" | "DeviceCommand" => {}
            other => panic!("unexpected event type {other}"),
        }
        named.insert((kind.to_string(), e["Id"].as_str().expect("Id").to_string()));
    }
    let reservations: HashMap<String, _> = sim
        .reservations()
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let rooms: HashMap<String, _> = sim
        .resources()
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let customers: HashMap<String, _> = sim
        .customers()
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    for c in &changes {
        match c {
            SimChange::Reservation(id) => {
                assert!(
                    named.contains(&("Reservation".into(), id.clone())),
                    "no event for {id}"
                );
                assert!(reservations[id].updated_utc >= before);
            }
            SimChange::Resource(id) => {
                assert!(
                    named.contains(&("Resource".into(), id.clone())),
                    "no event for room {id}"
                );
                assert!(rooms[id].updated_utc >= before);
            }
            SimChange::Customer(id) => assert!(customers[id].updated_utc >= before),
        }
    }
    // The last event for a reservation matches what REST serves now.
    let some = changes.iter().find_map(|c| match c {
        SimChange::Reservation(id) => Some(id.clone()),
        _ => None,
    });
    if let Some(id) = some {
        let last = events
            .iter()
            .rev()
            .find(|e| e["Id"] == id.as_str())
            .expect("event");
        let v = ok(
            &sim,
            "reservations/getAll/2023-06-06",
            json!({ "ReservationIds": [id], "Limitation": { "Count": 1 } }),
        )
        .await;
        assert_eq!(last["State"], v["Reservations"][0]["State"]);
        assert_eq!(last["StartUtc"], v["Reservations"][0]["StartUtc"]);
        assert!(parse_time(&v["Reservations"][0]["UpdatedUtc"]) >= before);
    }

    // Front-desk changes push too.
    let room = sim.resources()[0].id.clone();
    sim.set_resource_state(&room, "OutOfOrder")
        .expect("known room");
    let msg: Value = serde_json::from_str(
        &next_text(&mut ws, Duration::from_secs(2))
            .await
            .expect("event"),
    )
    .expect("json");
    assert_eq!(
        msg["Events"][0],
        json!({ "Type": "Resource", "Id": room, "State": "OutOfOrder" })
    );
}

#[tokio::test]
async fn drop_sockets_closes_connections_without_a_close_frame() {
    let sim = start(MewsSimConfig::default()).await;
    let mut a = connect(&sim).await;
    let mut b = connect(&sim).await;
    assert!(wait_until(|| sim.connected_sockets() == 2, Duration::from_secs(2)).await);
    sim.drop_sockets();
    assert!(dropped_abruptly(&mut a, Duration::from_secs(2)).await);
    assert!(dropped_abruptly(&mut b, Duration::from_secs(2)).await);
    assert!(wait_until(|| sim.connected_sockets() == 0, Duration::from_secs(2)).await);

    let mut c = connect(&sim).await;
    sim.drop_sockets_every(Some(Duration::from_millis(150)));
    assert!(dropped_abruptly(&mut c, Duration::from_secs(2)).await);
    sim.drop_sockets_every(None);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut d = connect(&sim).await;
    assert!(!dropped_abruptly(&mut d, Duration::from_millis(400)).await);
    sim.push_events(json!([{ "Type": "Resource", "Id": "x", "State": "Clean" }]));
    assert!(next_text(&mut d, Duration::from_secs(2)).await.is_some());
}

/// The payload of the next pong within `d`.
async fn pong_within(ws: &mut Ws, d: Duration) -> Option<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + d;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Pong(p)))) => return Some(p.to_vec()),
            Ok(Some(Ok(_))) => {}
            _ => return None,
        }
    }
}

#[tokio::test]
async fn stalled_sockets_answer_no_pings() {
    let sim = start(MewsSimConfig::default()).await;
    let mut ws = connect(&sim).await;
    ws.send(Message::Ping(b"one".to_vec().into()))
        .await
        .expect("ping");
    assert_eq!(
        pong_within(&mut ws, Duration::from_secs(2))
            .await
            .as_deref(),
        Some(&b"one"[..])
    );

    sim.stall_sockets(Duration::from_millis(1_200));
    tokio::time::sleep(Duration::from_millis(50)).await;
    ws.send(Message::Ping(b"two".to_vec().into()))
        .await
        .expect("ping");
    sim.push_events(json!([{ "Type": "Resource", "Id": "r1", "State": "Dirty" }]));
    assert!(
        pong_within(&mut ws, Duration::from_millis(700))
            .await
            .is_none(),
        "stalled socket answered"
    );
    assert!(
        wait_until(|| sim.connected_sockets() == 1, Duration::from_millis(10)).await,
        "TCP stays open"
    );
    // After the stall the pong and the queued event arrive.
    let mut got_pong = false;
    let mut got_event = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !(got_pong && got_event) {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Pong(p)))) => got_pong = &p[..] == b"two",
            Ok(Some(Ok(Message::Text(t)))) => got_event = t.contains("r1"),
            Ok(Some(Ok(_))) => {}
            other => panic!("socket ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn raw_frames_and_pushed_events_reach_every_socket() {
    let sim = start(MewsSimConfig::default()).await;
    let mut a = connect(&sim).await;
    let mut b = connect(&sim).await;
    assert!(wait_until(|| sim.connected_sockets() == 2, Duration::from_secs(2)).await);
    sim.send_raw_frame("{\"Events\": [{\"Type\": ");
    let dup = json!({ "Type": "Reservation", "Id": "r", "State": "Started", "StartUtc": "2024-01-01T14:00:00Z", "EndUtc": "2024-01-03T11:00:00Z" });
    sim.push_events(json!([dup, dup]));
    sim.push_events(fixture("websocket_message.json"));
    for ws in [&mut a, &mut b] {
        assert_eq!(
            next_text(ws, Duration::from_secs(2)).await.as_deref(),
            Some("{\"Events\": [{\"Type\": ")
        );
        let msg: Value =
            serde_json::from_str(&next_text(ws, Duration::from_secs(2)).await.expect("frame"))
                .expect("json");
        assert_eq!(msg, json!({ "Events": [dup, dup] }));
        let msg: Value =
            serde_json::from_str(&next_text(ws, Duration::from_secs(2)).await.expect("frame"))
                .expect("json");
        assert_eq!(msg, fixture("websocket_message.json"));
    }
}

#[tokio::test]
async fn restart_keeps_port_and_data_and_drops_sockets() {
    let sim = start(MewsSimConfig::default()).await;
    let base = sim.base_url();
    let mut ws = connect(&sim).await;
    sim.churn(5);
    let before = ok(
        &sim,
        "reservations/getAll/2023-06-06",
        json!({ "Limitation": { "Count": 1000 } }),
    )
    .await;
    sim.restart().await.expect("restarts");
    assert_eq!(sim.base_url(), base);
    assert!(dropped_abruptly(&mut ws, Duration::from_secs(2)).await);
    let after = ok(
        &sim,
        "reservations/getAll/2023-06-06",
        json!({ "Limitation": { "Count": 1000 } }),
    )
    .await;
    assert_eq!(before, after);
    let _ws = connect(&sim).await;
    sim.shutdown().await;
    assert!(!sim.is_running());
    let refused = client()
        .post(format!("{base}/api/connector/v1/services/getAll"))
        .json(&json!({}))
        .send()
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn same_seed_same_hotel_and_believable_data() {
    let a = start(MewsSimConfig {
        seed: 9,
        ..Default::default()
    })
    .await;
    let b = start(MewsSimConfig {
        seed: 9,
        ..Default::default()
    })
    .await;
    let c = start(MewsSimConfig {
        seed: 10,
        ..Default::default()
    })
    .await;
    assert_eq!(a.enterprise_id(), b.enterprise_id());
    assert_ne!(a.enterprise_id(), c.enterprise_id());
    assert_eq!(a.customers(), b.customers());
    assert_eq!(a.currency(), "EUR");

    let now = Utc::now();
    let rooms = a.resources();
    assert_eq!(rooms.len(), 40);
    let names: HashSet<&str> = rooms.iter().map(|r| r.name.as_str()).collect();
    for n in ["101", "110", "201", "410"] {
        assert!(names.contains(n), "{names:?}");
    }
    let res = a.reservations();
    // Stays start from `history_days` ago to a month ahead, but for the one long stay in house.
    let long_stays = res
        .iter()
        .filter(|r| r.start_utc < now - TimeDelta::days(15))
        .inspect(|r| {
            assert!(
                r.state == "Started" && r.end_utc > now + TimeDelta::days(29),
                "{r:?}"
            );
            assert!(r.start_utc > now - TimeDelta::days(122), "{r:?}");
        })
        .count();
    assert_eq!(long_stays, 1);
    for r in &res {
        match r.state.as_str() {
            "Processed" => assert!(r.end_utc <= now),
            "Started" => assert!(r.start_utc <= now && r.assigned_resource_id.is_some()),
            "Canceled" => {}
            _ => assert!(r.end_utc > now, "{r:?}"),
        }
        assert!(r.start_utc <= now + TimeDelta::days(31), "{r:?}");
        assert!(r.number.chars().all(|c| c.is_ascii_digit()));
    }
    let customers = a.customers();
    assert!(customers
        .iter()
        .any(|c| c.classifications.iter().any(|k| k == "VeryImportant")));
    assert!(customers.iter().filter(|c| c.email.is_some()).count() * 10 > customers.len() * 8);
    let nations: HashSet<_> = customers
        .iter()
        .filter_map(|c| c.nationality_code.clone())
        .collect();
    assert!(nations.len() >= 8, "{nations:?}");
    let started_rooms: HashSet<_> = res
        .iter()
        .filter(|r| r.state == "Started")
        .filter_map(|r| r.assigned_resource_id.clone())
        .collect();
    let started: Vec<_> = res.iter().filter(|r| r.state == "Started").collect();
    assert_eq!(
        started_rooms.len(),
        started.len(),
        "one guest party per room"
    );
}

#[test]
fn background_simulator_serves_sync_code() {
    let sim = MewsSimulator::start_in_background(MewsSimConfig::default()).expect("starts");
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    assert!(sim.ws_url().ends_with("/ws/connector"));
    let id = sim.resources()[0].id.clone();
    assert_eq!(
        sim.set_resource_state(&id, "Dirty").map(|r| r.state),
        Some("Dirty".to_string())
    );
    assert!(!sim.churn(3).is_empty());
    sim.shutdown();
    sim.restart().expect("restarts");
    assert!(sim.is_running());
}
