//! The device clients against tiny local servers: a real Digest challenge (the response hash
//! checked with the RFC 7616/2617 MD5 formula, computed here independently), Basic auth,
//! refused credentials, timeouts, error bodies and history queries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{TimeZone, Utc};
use md5::{Digest, Md5};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use venue_http::secrets::Secret;
use venue_sensors::{build_device, SensorConfig, SensorError, SensorKind};

const USER: &str = "root";
const PASSWORD: &str = "s3cret pass";
const REALM: &str = "AXIS_ACCC8E012345";
const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";

fn fixture(name: &str) -> Vec<u8> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/sensors/"
    );
    std::fs::read(format!("{dir}{name}")).expect("fixture")
}

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `Digest k="v", k2=v2` → map (quoted values unquoted).
fn digest_params(header: &str) -> Option<HashMap<String, String>> {
    let rest = header.strip_prefix("Digest ")?;
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let value: String = if chars.peek() == Some(&'"') {
            chars.next();
            chars.by_ref().take_while(|c| *c != '"').collect()
        } else {
            chars.by_ref().take_while(|c| *c != ',').collect()
        };
        params.insert(key.trim().to_string(), value.trim().to_string());
    }
    Some(params)
}

#[derive(Default)]
struct Device {
    challenges: AtomicUsize,
    authorized: AtomicUsize,
    /// Digest nonce counts seen, in order.
    ncs: Mutex<Vec<String>>,
    /// Query strings seen.
    queries: Mutex<Vec<String>>,
}

type Shared = Arc<Device>;

fn challenge(device: &Device) -> Response {
    device.challenges.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            format!("Digest realm=\"{REALM}\", nonce=\"{NONCE}\", algorithm=MD5, qop=\"auth\""),
        )],
        "unauthorized",
    )
        .into_response()
}

/// Checks the Digest answer the way RFC 7616 §3.4.1 (MD5, qop=auth) defines it.
fn digest_ok(device: &Device, headers: &HeaderMap, uri: &Uri) -> bool {
    let Some(params) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(digest_params)
    else {
        return false;
    };
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    let request_uri = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    if get("username") != USER || get("realm") != REALM || get("nonce") != NONCE {
        return false;
    }
    if get("uri") != request_uri || get("qop") != "auth" {
        return false;
    }
    let ha1 = md5_hex(&format!("{USER}:{REALM}:{PASSWORD}"));
    let ha2 = md5_hex(&format!("GET:{request_uri}"));
    let expected = md5_hex(&format!(
        "{ha1}:{NONCE}:{}:{}:auth:{ha2}",
        get("nc"),
        get("cnonce")
    ));
    device.ncs.lock().unwrap().push(get("nc"));
    expected == get("response")
}

async fn axis_digest(State(device): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    device
        .queries
        .lock()
        .unwrap()
        .push(uri.query().unwrap_or_default().to_string());
    if !digest_ok(&device, &headers, &uri) {
        return challenge(&device);
    }
    device.authorized.fetch_add(1, Ordering::SeqCst);
    match uri.path() {
        "/local/tvpc/.api" | "/local/people-counter/.api" => {
            fixture("axis_tvpc_live-sum.json").into_response()
        }
        "/a3dpc/api/occupancy" => fixture("axis_a3dpc_occupancy.json").into_response(),
        "/a3dpc/api/export/json" if uri.query().is_some_and(|q| q.contains("resolution=bogus")) => {
            (
                StatusCode::BAD_REQUEST,
                fixture("axis_a3dpc_error_400_validation.json"),
            )
                .into_response()
        }
        "/a3dpc/api/export/json" => (
            StatusCode::OK,
            r#"{"data":[
              {"start":"2020-06-23 00:00:00","end":"2020-06-23 01:00:00","in":1,"out":2},
              {"start":"2020-06-23 01:00:00","end":"2020-06-23 02:00:00","in":3,"out":4},
              {"start":"2020-06-23 02:00:00","end":"2020-06-23 03:00:00","in":5,"out":6}]}"#,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn config(kind: SensorKind, url: &str, username: Option<&str>) -> SensorConfig {
    let mut config = SensorConfig::new(kind, "door-1");
    config.url = Some(url.to_string());
    config.username = username.map(str::to_string);
    config.timeout_ms = 2000;
    config
}

fn password(text: &str) -> Option<Secret> {
    Some(Secret::new(text.to_string()))
}

#[tokio::test]
async fn axis_people_counter_answers_a_real_digest_challenge_and_reuses_the_nonce() {
    let device = Shared::default();
    let url = serve(
        Router::new()
            .fallback(axis_digest)
            .with_state(device.clone()),
    )
    .await;
    let tz = chrono_tz::Europe::Stockholm;
    let counter = build_device(
        &config(SensorKind::AxisPeopleCounter, &url, Some(USER)),
        password(PASSWORD),
        tz,
    )
    .expect("built");
    let sample = counter.live().await.expect("live");
    assert_eq!((sample.total_in, sample.total_out), (12, 318));
    assert_eq!(
        sample.at,
        Utc.with_ymd_and_hms(2017, 5, 3, 9, 27, 56).unwrap()
    );
    // The second poll reuses the cached challenge: no new 401, the nonce count goes up.
    counter.live().await.expect("live again");
    assert_eq!(device.challenges.load(Ordering::SeqCst), 1);
    assert_eq!(device.authorized.load(Ordering::SeqCst), 2);
    assert_eq!(*device.ncs.lock().unwrap(), vec!["00000001", "00000002"]);
}

#[tokio::test]
async fn legacy_firmware_path() {
    let device = Shared::default();
    let url = serve(
        Router::new()
            .fallback(axis_digest)
            .with_state(device.clone()),
    )
    .await;
    let mut c = config(SensorKind::AxisPeopleCounter, &url, Some(USER));
    c.legacy_api = true;
    let counter = build_device(&c, password(PASSWORD), chrono_tz::UTC).expect("built");
    assert_eq!(counter.live().await.expect("live").total_in, 12);
}

#[tokio::test]
async fn a_wrong_password_is_unauthorized() {
    let device = Shared::default();
    let url = serve(
        Router::new()
            .fallback(axis_digest)
            .with_state(device.clone()),
    )
    .await;
    let counter = build_device(
        &config(SensorKind::AxisPeopleCounter, &url, Some(USER)),
        password("wrong"),
        chrono_tz::UTC,
    )
    .expect("built");
    let err = counter.live().await.unwrap_err();
    assert_eq!(
        err,
        SensorError::Unauthorized {
            device: "door-1".into(),
            status: 401
        }
    );
    assert!(err.is_auth());
    assert!(
        !format!("{err} {err:?}").contains("wrong"),
        "no secret in errors"
    );
    // Without credentials at all, the 401 is not retried.
    let anonymous = build_device(
        &config(SensorKind::AxisPeopleCounter, &url, None),
        None,
        chrono_tz::UTC,
    )
    .expect("built");
    assert!(anonymous.live().await.unwrap_err().is_auth());
}

#[tokio::test]
async fn axis_3d_live_history_and_validation_error() {
    let device = Shared::default();
    let url = serve(
        Router::new()
            .fallback(axis_digest)
            .with_state(device.clone()),
    )
    .await;
    let tz = chrono_tz::Europe::Stockholm;
    let a3d = build_device(
        &config(SensorKind::Axis3d, &url, Some(USER)),
        password(PASSWORD),
        tz,
    )
    .expect("built");
    let sample = a3d.live().await.expect("live");
    assert_eq!(
        (sample.total_in, sample.total_out, sample.occupancy),
        (100, 85, Some(15))
    );

    // [00:30, 03:00) local on 2020-06-23 (CEST): only the two whole hours inside are kept.
    let from = Utc.with_ymd_and_hms(2020, 6, 22, 22, 30, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2020, 6, 23, 1, 0, 0).unwrap();
    let buckets = a3d.history(from, to).await.expect("history");
    assert_eq!(
        buckets
            .iter()
            .map(|b| (b.entries, b.exits))
            .collect::<Vec<_>>(),
        vec![(3, 4), (5, 6)]
    );
    let queries = device.queries.lock().unwrap().clone();
    assert!(
        queries
            .iter()
            .any(|q| q == "start=20200623&end=20200624&resolution=minute"),
        "{queries:?}"
    );

    // A 400 validation body reaches the error message.
    let http = venue_sensors::http::DeviceHttp::new(
        "door-1",
        &url,
        2000,
        None,
        Some((USER.into(), Secret::new(PASSWORD.into()))),
        venue_sensors::http::AuthPolicy::Any,
    )
    .expect("http");
    let err = http
        .get(
            "a3dpc/api/export/json?start=20200623&end=20200624&resolution=bogus",
            venue_sensors::axis3d::describe_error,
        )
        .await
        .err()
        .expect("400");
    assert_eq!(
        err,
        SensorError::Http {
            device: "door-1".into(),
            status: 400,
            message: "Validation failed (<field>: <reason>)".into()
        }
    );
}

/// A Xovis-like device with Basic auth, serving the bodies of the xovis module doc.
async fn xovis(State(device): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"))
    );
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(expected.as_str())
    {
        device.challenges.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"xovis\"")],
            "",
        )
            .into_response();
    }
    device.queries.lock().unwrap().push(format!(
        "{}?{}",
        uri.path(),
        uri.query().unwrap_or_default()
    ));
    match uri.path() {
        "/api/v5/logics" => r#"{"time": 1645793100000, "logics": [
            {"id": 1, "name": "Zone 0", "info": "XLT_4X_ZONE_COUNT", "counts": [{"id": 1, "name": "balance", "value": 7}]},
            {"id": 2, "name": "Line 0", "info": "XLT_4X_LINE_IN_OUT_COUNT",
             "counts": [{"id": 2, "name": "fw", "value": 120}, {"id": 3, "name": "bw", "value": 113}]}]}"#
            .into_response(),
        "/api/v5/logics/2/records" => r#"{"id": 2, "name": "Line 0", "info": "XLT_4X_LINE_IN_OUT_COUNT", "records": [
            {"from": 1645792860000, "to": 1645792920000, "counts": [{"id": 2, "name": "fw", "value": 1}, {"id": 3, "name": "bw", "value": 0}]},
            {"from": 1645792920000, "to": 1645792980000, "counts": [{"id": 2, "name": "fw", "value": 3}, {"id": 3, "name": "bw", "value": 1}]}]}"#
            .into_response(),
        "/api/v5/logics/9/records" => (StatusCode::NOT_FOUND, r#"{"message": "logic 9 not found"}"#).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test]
async fn xovis_basic_auth_live_and_history() {
    let device = Shared::default();
    let url = serve(Router::new().fallback(xovis).with_state(device.clone())).await;
    let x = build_device(
        &config(SensorKind::Xovis, &url, Some("admin")),
        password(PASSWORD),
        chrono_tz::UTC,
    )
    .expect("built");
    let sample = x.live().await.expect("live");
    assert_eq!(
        (sample.total_in, sample.total_out, sample.occupancy),
        (120, 113, Some(7))
    );
    // Basic is sent up front: the device never had to challenge.
    assert_eq!(device.challenges.load(Ordering::SeqCst), 0);

    let from = Utc.timestamp_millis_opt(1_645_792_860_000).unwrap();
    let to = Utc.timestamp_millis_opt(1_645_792_980_000).unwrap();
    let buckets = x.history(from, to).await.expect("history");
    assert_eq!(
        buckets
            .iter()
            .map(|b| (b.entries, b.exits))
            .collect::<Vec<_>>(),
        vec![(1, 0), (3, 1)]
    );
    let queries = device.queries.lock().unwrap().clone();
    assert!(
        queries
            .contains(&"/api/v5/logics/2/records?from=1645792860000&to=1645792980000".to_string()),
        "{queries:?}"
    );

    let mut c = config(SensorKind::Xovis, &url, Some("admin"));
    c.logic_id = Some(9);
    let x9 = build_device(&c, password(PASSWORD), chrono_tz::UTC).expect("built");
    let err = x9.history(from, to).await.unwrap_err();
    assert!(
        matches!(&err, SensorError::Http { status: 404, message, .. } if message == "logic 9 not found"),
        "{err}"
    );

    let wrong = build_device(
        &config(SensorKind::Xovis, &url, Some("admin")),
        password("nope"),
        chrono_tz::UTC,
    )
    .expect("built");
    assert!(wrong.live().await.unwrap_err().is_auth());
    // Refused at once: no second attempt counting towards a lock-out.
    assert_eq!(device.challenges.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn timeouts_malformed_and_unreachable() {
    async fn slow() -> &'static str {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        "{}"
    }
    async fn garbage() -> &'static str {
        "{\"timestamp\": \"2020-12-03T16:28:05+01:00\", \"total_in\": \"many\"}"
    }
    let slow_url = serve(Router::new().fallback(slow)).await;
    let mut c = config(SensorKind::Axis3d, &slow_url, None);
    c.timeout_ms = 200;
    let device = build_device(&c, None, chrono_tz::UTC).expect("built");
    assert_eq!(
        device.live().await.unwrap_err(),
        SensorError::Timeout {
            device: "door-1".into(),
            millis: 200
        }
    );

    let garbage_url = serve(Router::new().fallback(garbage)).await;
    let device = build_device(
        &config(SensorKind::Axis3d, &garbage_url, None),
        None,
        chrono_tz::UTC,
    )
    .expect("built");
    let err = device.live().await.unwrap_err();
    assert!(
        matches!(&err, SensorError::Malformed { detail, .. } if detail.contains("total_in")),
        "{err}"
    );

    // Nothing listens on port 1 of loopback.
    let device = build_device(
        &config(SensorKind::Axis3d, "http://127.0.0.1:1", None),
        None,
        chrono_tz::UTC,
    )
    .expect("built");
    let err = device.live().await.unwrap_err();
    assert!(matches!(err, SensorError::Unreachable { .. }), "{err}");
}
