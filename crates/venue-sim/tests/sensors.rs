//! The people-counter simulator over real HTTP: each kind's bodies have the shapes of
//! shared/fixtures/sensors, Digest and Basic auth, counts, resets, history, faults, 1,000 devices
//! on one listener, and MQTT pushes to the real broker on 127.0.0.1:1883.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{TimeDelta, Utc};
use futures_util::StreamExt;
use md5::{Digest as _, Md5};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use venue_sim::{
    CounterKind, SensorFault, SensorSimConfig, SensorSimHandle, SensorSimulator, SimDeviceSpec,
    Times,
};

const USER: &str = "root";
const PASS: &str = "sim-sensor-pass";
const BROKER: &str = "127.0.0.1:1883";

fn fixture(name: &str) -> Value {
    let full = format!(
        "{}/../../../shared/fixtures/sensors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {full}: {e}"))
}

/// Same keys at every object level and same JSON types (arrays: each element against the
/// fixture's first).
fn assert_shape(ours: &Value, want: &Value, at: &str) {
    match (ours, want) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: BTreeSet<_> = a.keys().collect();
            let kb: BTreeSet<_> = b.keys().collect();
            assert_eq!(ka, kb, "keys at {at}");
            for (k, v) in b {
                assert_shape(&a[k], v, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let Some(first) = b.first() {
                for (i, v) in a.iter().enumerate() {
                    assert_shape(v, first, &format!("{at}[{i}]"));
                }
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => {}
        _ => panic!("type differs at {at}: {ours} vs {want}"),
    }
}

fn client() -> Client {
    common::client_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

fn devices() -> Vec<SimDeviceSpec> {
    vec![
        SimDeviceSpec::new("door", CounterKind::AxisPeopleCounter, "Lobby", 200),
        SimDeviceSpec::new("bar", CounterKind::Axis3d, "Bar", 120),
        SimDeviceSpec::new("terrace", CounterKind::Xovis, "Terrace", 80),
    ]
}

async fn start(devices: Vec<SimDeviceSpec>) -> SensorSimHandle {
    SensorSimulator::start(SensorSimConfig {
        devices,
        ..Default::default()
    })
    .await
    .expect("sensor simulator starts")
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `realm`, `nonce`, `qop` of a `WWW-Authenticate: Digest ...` challenge.
fn challenge_params(header: &str) -> Vec<(String, String)> {
    let rest = header.strip_prefix("Digest ").expect("a Digest challenge");
    rest.split(", ")
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim_matches('"').to_string()))
        .collect()
}

fn digest_header(challenge: &str, uri: &str, pass: &str) -> String {
    let params = challenge_params(challenge);
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("challenge without {k}: {challenge}"))
    };
    let (realm, nonce) = (get("realm"), get("nonce"));
    assert_eq!(get("qop"), "auth");
    let cnonce = format!("{:016x}", fastrand::u64(..));
    let ha1 = md5_hex(&format!("{USER}:{realm}:{pass}"));
    let ha2 = md5_hex(&format!("GET:{uri}"));
    let response = md5_hex(&format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
    format!(
        "Digest username=\"{USER}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         algorithm=MD5, qop=auth, nc=00000001, cnonce=\"{cnonce}\", response=\"{response}\""
    )
}

/// GET with Digest: the 401 challenge first, then the answer.
async fn digest_get(c: &Client, url: &str, pass: &str) -> reqwest::Response {
    let first = c.get(url).send().await.expect("challenge request");
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    let challenge = first
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .expect("WWW-Authenticate")
        .to_string();
    let parsed = reqwest::Url::parse(url).expect("url");
    let uri = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    c.get(url)
        .header("authorization", digest_header(&challenge, &uri, pass))
        .send()
        .await
        .expect("digest request")
}

async fn digest_json(c: &Client, url: &str) -> Value {
    let r = digest_get(c, url, PASS).await;
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.json().await.expect("json")
}

async fn basic_json(c: &Client, url: &str) -> Value {
    let r = c
        .get(url)
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.json().await.expect("json")
}

fn line_counts(logic: &Value) -> (u64, u64) {
    let count = |name: &str| {
        logic["counts"]
            .as_array()
            .and_then(|c| c.iter().find(|x| x["name"] == name))
            .and_then(|x| x["value"].as_u64())
            .unwrap_or_else(|| panic!("no {name} in {logic}"))
    };
    (count("fw"), count("bw"))
}

fn record_sums(logic: &Value) -> (u64, u64) {
    logic["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(line_counts)
        .fold((0, 0), |a, x| (a.0 + x.0, a.1 + x.1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axis_people_counter_digest_live_sum_and_reset() {
    let sim = start(devices()).await;
    let c = client();
    let base = sim.base_url("door").expect("door");
    assert!(base.ends_with("/dev/door"), "{base}");
    let url = format!("{base}/local/tvpc/.api?live-sum.json");

    // The challenge, then a wrong password is refused and the right one accepted.
    let refused = digest_get(&c, &url, "wrong").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let body = digest_json(&c, &url).await;
    assert_shape(&body, &fixture("axis_tvpc_live-sum.json"), "live-sum");
    assert_eq!(
        (body["in"].as_u64(), body["out"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(body["name"], "door");
    let ts = body["timestamp"].as_str().expect("timestamp");
    let local_now = Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam);
    assert_eq!(ts.len(), 14);
    assert_eq!(&ts[..8], local_now.format("%Y%m%d").to_string());

    sim.walk("door", 5, 2);
    let body = digest_json(&c, &url).await;
    assert_eq!(
        (body["in"].as_u64(), body["out"].as_u64()),
        (Some(5), Some(2))
    );
    // Older firmware's path answers the same.
    let old = digest_json(
        &c,
        &format!("{base}/local/people-counter/.api?live-sum.json"),
    )
    .await;
    assert_eq!(old["in"], 5);

    // A reset drops the device's counters; the true totals keep counting.
    sim.reset_counter("door");
    let body = digest_json(&c, &url).await;
    assert_eq!(
        (body["in"].as_u64(), body["out"].as_u64()),
        (Some(0), Some(0))
    );
    sim.walk("door", 1, 1);
    let body = digest_json(&c, &url).await;
    assert_eq!(body["in"], 1);
    assert_eq!(sim.totals("door"), Some((6, 3)));
    assert_eq!(sim.occupancy("door"), Some(3));

    // A forged response hash (right nonce, wrong password) and no credentials are refused.
    let none = c.get(&url).send().await.expect("request");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(sim.requests("door") >= 10);
    assert_eq!(sim.base_url("nope"), None);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axis_3d_occupancy_and_export_history() {
    let sim = start(devices()).await;
    let c = client();
    let base = sim.base_url("bar").expect("bar");
    let occ_url = format!("{base}/a3dpc/api/occupancy");

    // Counts filed under three different minutes of the device's clock.
    sim.jump_clock("bar", TimeDelta::minutes(-30));
    sim.walk("bar", 4, 1);
    sim.jump_clock("bar", TimeDelta::minutes(20));
    sim.walk("bar", 3, 0);
    sim.jump_clock("bar", TimeDelta::minutes(10));
    sim.walk("bar", 2, 2);

    let body = digest_json(&c, &occ_url).await;
    assert_shape(&body, &fixture("axis_a3dpc_occupancy.json"), "occupancy");
    assert_eq!(body["occupancy"], 6);
    let ts = body["timestamp"].as_str().expect("timestamp");
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
    assert_eq!(body["serial"].as_str().map(str::len), Some(17));

    // Minute buckets: any window sums to what was walked in it.
    let now = Utc::now();
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:00Z").to_string();
    let export = |from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>, res: &str| {
        format!(
            "{base}/a3dpc/api/export/json?start={}&end={}&resolution={res}",
            fmt(from),
            fmt(to)
        )
    };
    let sums = |v: &Value| {
        v["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|b| {
                (
                    b["in"].as_u64().unwrap_or(0),
                    b["out"].as_u64().unwrap_or(0),
                )
            })
            .fold((0, 0), |a, x| (a.0 + x.0, a.1 + x.1))
    };
    let all = digest_json(
        &c,
        &export(
            now - TimeDelta::minutes(40),
            now + TimeDelta::minutes(2),
            "minute",
        ),
    )
    .await;
    assert_shape(
        &all,
        &fixture("axis_a3dpc_export_json_start-yesterday_end-today_resolution-hour.json"),
        "export",
    );
    assert_eq!(sums(&all), (9, 3));
    assert!(all["data"].as_array().is_some_and(|d| d.len() >= 40));
    let early = digest_json(
        &c,
        &export(
            now - TimeDelta::minutes(40),
            now - TimeDelta::minutes(5),
            "minute",
        ),
    )
    .await;
    assert_eq!(sums(&early), (7, 1));
    let start_bucket = &all["data"][0]["start"];
    assert!(
        start_bucket.as_str().is_some_and(|s| s.len() == 19),
        "{start_bucket}"
    );
    // Hour and day resolution hold the same counts.
    for res in ["hour", "day"] {
        let v = digest_json(
            &c,
            &format!("{base}/a3dpc/api/export/json?start=yesterday&end=now&resolution={res}"),
        )
        .await;
        assert_eq!(sums(&v), (9, 3), "{res}");
    }

    // Bad parameters: 400 in the device's validation format.
    for query in [
        "start=yesterday&end=now&resolution=week",
        "end=now&resolution=hour",
        "start=someday&end=now&resolution=hour",
    ] {
        let r = digest_get(&c, &format!("{base}/a3dpc/api/export/json?{query}"), PASS).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let v: Value = r.json().await.expect("json");
        assert_shape(
            &v,
            &fixture("axis_a3dpc_error_400_validation.json"),
            "error",
        );
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xovis_basic_auth_live_and_records() {
    let sim = start(devices()).await;
    let c = client();
    let base = sim.base_url("terrace").expect("terrace");
    let live_url = format!("{base}/api/v5/logics");

    let r = c.get(&live_url).send().await.expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic")));
    let r = c
        .get(&live_url)
        .basic_auth(USER, Some("wrong"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    sim.jump_clock("terrace", TimeDelta::minutes(-10));
    sim.walk("terrace", 6, 0);
    sim.jump_clock("terrace", TimeDelta::minutes(10));
    sim.walk("terrace", 1, 4);
    let live = basic_json(&c, &live_url).await;
    assert!(live["time"].as_i64().is_some());
    let push = fixture("xovis_v5_push_logics_data.json");
    let logics = live["logics"].as_array().expect("logics");
    assert_eq!(logics.len(), 2);
    for (ours, theirs) in logics.iter().zip(
        push["logics_data"]["logics"]
            .as_array()
            .into_iter()
            .flatten(),
    ) {
        assert_eq!(ours["info"], theirs["info"]);
        assert_shape(&ours["counts"], &theirs["records"][0]["counts"], "counts");
    }
    assert_eq!(line_counts(&logics[1]), (7, 4));
    assert_eq!(logics[0]["counts"][0]["name"], "balance");
    assert_eq!(logics[0]["counts"][0]["value"], 3);

    // History: minute records over [from, to), per period, not cumulative.
    let now_ms = Utc::now().timestamp_millis();
    let minute = |ms: i64| ms - ms.rem_euclid(60_000);
    let records =
        |from: i64, to: i64| format!("{base}/api/v5/logics/2/records?from={from}&to={to}");
    let all = basic_json(
        &c,
        &records(minute(now_ms) - 20 * 60_000, minute(now_ms) + 60_000),
    )
    .await;
    assert_shape(&all, &push["logics_data"]["logics"][1], "records");
    assert_eq!(record_sums(&all), (7, 4));
    assert_eq!(all["records"].as_array().map(Vec::len), Some(21));
    let early = basic_json(
        &c,
        &records(minute(now_ms) - 20 * 60_000, minute(now_ms) - 5 * 60_000),
    )
    .await;
    assert_eq!(record_sums(&early), (6, 0));
    let zone = basic_json(
        &c,
        &format!(
            "{base}/api/v5/logics/1/records?from={}&to={}",
            minute(now_ms) - 60_000,
            now_ms + 1
        ),
    )
    .await;
    assert_shape(&zone, &push["logics_data"]["logics"][0], "zone records");

    let r = c
        .get(format!("{base}/api/v5/logics/9/records?from=0&to=1"))
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c
        .get(format!("{base}/api/v5/logics/2/records?from=abc&to=1"))
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_restart_and_in_flight() {
    let sim = start(devices()).await;
    let base = sim.base_url("terrace").expect("terrace");
    let url = format!("{base}/api/v5/logics");
    let quick = common::client_builder()
        .timeout(Duration::from_millis(400))
        .build()
        .expect("client");
    let c = client();
    let get = |c: &Client| c.get(&url).basic_auth(USER, Some(PASS)).send();

    sim.inject("terrace", SensorFault::Unauthorized, Times::ONCE);
    assert_eq!(
        get(&c).await.expect("answer").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&c).await.expect("answer").status(), StatusCode::OK);

    sim.inject("terrace", SensorFault::ServerError(503), Times::ONCE);
    assert_eq!(
        get(&c).await.expect("answer").status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    sim.inject("terrace", SensorFault::Malformed, Times::ONCE);
    let r = get(&c).await.expect("answer");
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.expect("text");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    sim.inject("terrace", SensorFault::Offline, Times::Next(2));
    for _ in 0..2 {
        let e = get(&c).await.expect_err("no answer from an offline device");
        assert!(!e.is_status(), "{e}");
    }
    assert_eq!(get(&c).await.expect("answer").status(), StatusCode::OK);

    // A held request times the client out; one that gave up no longer counts as in flight.
    sim.inject("terrace", SensorFault::Timeout, Times::ONCE);
    let e = get(&quick).await.expect_err("held");
    assert!(e.is_timeout(), "{e}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    sim.reset_requests();
    assert_eq!(get(&c).await.expect("answer").status(), StatusCode::OK);
    assert_eq!(sim.max_in_flight("terrace"), 1);

    // Two requests at once while one is held: both counted in flight.
    sim.inject("terrace", SensorFault::Timeout, Times::UntilCleared);
    let held = tokio::spawn(c.get(&url).basic_auth(USER, Some(PASS)).send());
    let held2 = tokio::spawn(c.get(&url).basic_auth(USER, Some(PASS)).send());
    let t0 = Instant::now();
    while sim.max_in_flight("terrace") < 2 && t0.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sim.max_in_flight("terrace"), 2);
    sim.clear_faults(); // lets them go
    for h in [held, held2] {
        let r = h.await.expect("task").expect("answer after release");
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(sim.requests("terrace"), 3);

    // Restart on the same port keeps the counts; while down, connections are refused.
    sim.walk("terrace", 2, 0);
    sim.shutdown().await;
    assert!(get(&c).await.is_err());
    sim.walk("terrace", 1, 0);
    sim.restart().await.expect("restart");
    let live: Value = get(&c).await.expect("answer").json().await.expect("json");
    assert_eq!(line_counts(&live["logics"][1]), (3, 0));
    assert!(sim.total_requests() >= sim.requests("terrace"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_devices_on_one_listener() {
    let kinds = [
        CounterKind::AxisPeopleCounter,
        CounterKind::Axis3d,
        CounterKind::Xovis,
    ];
    let specs: Vec<SimDeviceSpec> = (0..1000)
        .map(|i| SimDeviceSpec::new(&format!("dev-{i:04}"), kinds[i % 3], "Hall", 100))
        .collect();
    let sim = start(specs.clone()).await;
    let c = client();
    for s in &specs {
        sim.walk(&s.name, 1, 0);
    }
    let t0 = Instant::now();
    let results: Vec<bool> = futures_util::stream::iter(specs.iter())
        .map(|s| {
            let url = format!(
                "{}{}",
                sim.base_url(&s.name).unwrap_or_default(),
                s.kind.live_path()
            );
            let c = c.clone();
            async move {
                let r = match s.kind {
                    CounterKind::Xovis => {
                        c.get(&url).basic_auth(USER, Some(PASS)).send().await.ok()
                    }
                    _ => Some(digest_get(&c, &url, PASS).await),
                };
                r.is_some_and(|r| r.status() == StatusCode::OK)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let elapsed = t0.elapsed();
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1000);
    assert!(elapsed < Duration::from_secs(5), "a round took {elapsed:?}");
    let ports: BTreeSet<_> = specs
        .iter()
        .filter_map(|s| sim.base_url(&s.name))
        .filter_map(|u| reqwest::Url::parse(&u).ok()?.port())
        .collect();
    assert_eq!(ports.len(), 1);
    assert!(specs.iter().all(|s| sim.max_in_flight(&s.name) <= 2));
    sim.shutdown().await;
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>) -> Value {
    let bytes = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a push within 5 s")
        .expect("a push");
    serde_json::from_slice::<Value>(&bytes).expect("push is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_push_reaches_a_subscriber() {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

    let sim = start(devices()).await;
    let topic = format!("venue-sim-test/{:016x}/logics", fastrand::u64(..));
    let mut opts = MqttOptions::new(
        format!("venue-sim-sub-{:08x}", fastrand::u32(..)),
        "127.0.0.1",
        1883,
    );
    opts.set_keep_alive(Duration::from_secs(10));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (sub, mut events) = AsyncClient::new(opts, 10);
    sub.subscribe(&topic, QoS::AtLeastOnce)
        .await
        .expect("subscribe queued");
    let subscribed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    })
    .await;
    match subscribed {
        Ok(Ok(())) => {}
        other => panic!(
            "cannot subscribe on the MQTT broker at {BROKER} ({other:?}): start mosquitto \
             (e.g. `mosquitto -d`) on 127.0.0.1:1883"
        ),
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let pump = tokio::spawn(async move {
        while let Ok(ev) = events.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = ev {
                let _ = tx.send(p.payload.to_vec());
            }
        }
    });
    sim.walk("terrace", 4, 1);
    sim.publish_mqtt(BROKER, &topic, "terrace")
        .await
        .expect("publish");
    let push = next(&mut rx).await;
    assert_shape(&push, &fixture("xovis_v5_push_logics_data.json"), "push");
    let logics = push["logics_data"]["logics"].as_array().expect("logics");
    assert_eq!(logics[0]["info"], "XLT_4X_ZONE_COUNT");
    assert_eq!(record_sums(&logics[1]), (4, 1));
    let last_balance = logics[0]["records"]
        .as_array()
        .and_then(|r| r.last())
        .map(|r| r["counts"][0]["value"].clone());
    assert_eq!(last_balance, Some(Value::from(3)));

    // The next push carries only what came since.
    sim.walk("terrace", 2, 0);
    sim.publish_mqtt(BROKER, &topic, "terrace")
        .await
        .expect("publish");
    let push2 = next(&mut rx).await;
    assert_eq!(record_sums(&push2["logics_data"]["logics"][1]), (2, 0));
    let id = |p: &Value| p["logics_data"]["package_info"]["id"].as_u64();
    assert_eq!(id(&push2), id(&push).map(|i| i + 1));

    assert!(matches!(
        sim.publish_mqtt("127.0.0.1:1", &topic, "terrace").await,
        Err(venue_sim::SimError::Mqtt(_))
    ));
    pump.abort();
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_traffic_follows_the_day() {
    // 20,000× real time: a venue day passes in about four seconds.
    let sim = SensorSimulator::start(SensorSimConfig {
        devices: devices(),
        speedup: 20_000.0,
        ..Default::default()
    })
    .await
    .expect("start");
    sim.start_traffic();
    tokio::time::sleep(Duration::from_secs(3)).await;
    sim.stop_traffic();
    tokio::time::sleep(Duration::from_millis(50)).await;
    for d in ["door", "bar", "terrace"] {
        let (ins, outs) = sim.totals(d).expect("totals");
        assert!(ins > 0, "{d}: nobody came");
        assert!(outs <= ins, "{d}: {outs} left of {ins}");
        assert!(sim.occupancy(d).is_some_and(|o| o >= 0));
    }
    // The door (peak 200/h) sees more than the terrace (peak 80/h).
    let door = sim.totals("door").map_or(0, |t| t.0);
    let terrace = sim.totals("terrace").map_or(0, |t| t.0);
    assert!(door > terrace, "door {door} vs terrace {terrace}");
    let before = sim.totals("door");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.totals("door"), before, "traffic stopped");
    sim.shutdown().await;
}

#[test]
fn background_sim_for_sync_code() {
    let sim = SensorSimulator::start_in_background(SensorSimConfig {
        devices: devices(),
        ..Default::default()
    })
    .expect("start");
    sim.walk("terrace", 3, 1);
    let base = sim.base_url("terrace").expect("terrace");
    let url = reqwest::Url::parse(&base).expect("url");
    let port = url.port().expect("port");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        stream,
        "GET {}/api/v5/logics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n",
        url.path()
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).expect("body");
    let v: Value = serde_json::from_str(body).expect("json");
    assert_eq!(line_counts(&v["logics"][1]), (3, 1));
    sim.shutdown();
    sim.restart().expect("restart");
    assert_eq!(sim.totals("terrace"), Some((3, 1)));
}
