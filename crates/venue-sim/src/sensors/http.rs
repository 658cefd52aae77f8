//! The HTTP side: one listener for every device (`/dev/<name>/...`), served connection by
//! connection with hyper so that an `Offline` device can drop its connection without an
//! answer; faults, authentication and the vendor paths.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::auth::{basic_ok, DigestCheck, Refusal};
use super::device::{Device, Period};
use super::faults::SensorFault;
use super::render;
use super::{CounterKind, SensorSimConfig};
use crate::server::lock;

/// How long the `Timeout` fault holds a request (unless released earlier).
const TIMEOUT_HOLD: Duration = Duration::from_secs(120);

/// Everything the server, the traffic task and the handle share; it outlives restarts.
pub(crate) struct SensorShared {
    pub cfg: SensorSimConfig,
    pub devices: HashMap<String, Arc<Device>>,
    /// The devices in configured order.
    pub order: Vec<Arc<Device>>,
    pub port: u16,
    /// Keys the Digest nonces.
    pub secret: String,
    pub total_requests: AtomicU64,
    pub stopping: watch::Sender<bool>,
    /// Bumped by `clear_faults`: requests held by `Timeout` are let go.
    pub release: watch::Sender<u64>,
}

impl SensorShared {
    pub(crate) fn device(&self, name: &str) -> Option<&Arc<Device>> {
        self.devices.get(name)
    }

    /// Holds a request until `TIMEOUT_HOLD` passes, the faults are cleared or the server stops.
    async fn hold(&self) {
        let mut stop = self.stopping.subscribe();
        let mut release = self.release.subscribe();
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(TIMEOUT_HOLD) => {}
            _ = stop.wait_for(|s| *s) => {}
            _ = release.changed() => {}
        }
    }
}

/// `/dev/<name>` with the name percent-encoded.
pub(crate) fn device_prefix(name: &str) -> String {
    let mut out = String::from("/dev/");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `/dev/<name>/rest` → (name, `/rest`).
fn split_device(path: &str) -> Option<(String, &str)> {
    let after = path.strip_prefix("/dev/")?;
    let (name, rest) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    Some((percent_decode(name)?, rest))
}

/// The service's error: hyper drops the connection without an answer.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by venue-sim (device offline)")
    }
}

impl std::error::Error for Dropped {}

fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn json_reply(status: u16, value: &Value) -> Response<Body> {
    respond(
        status,
        "application/json",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn realm(device: &Device) -> String {
    format!("AXIS_{}", device.serial)
}

fn digest_check<'a>(
    shared: &'a SensorShared,
    realm: &'a str,
    method: &'a str,
    target: &'a str,
) -> DigestCheck<'a> {
    DigestCheck {
        realm,
        user: &shared.cfg.username,
        pass: &shared.cfg.password,
        secret: &shared.secret,
        method,
        target,
        now_secs: now_secs(),
    }
}

/// 401 with the device's challenge.
fn unauthorized(
    shared: &SensorShared,
    device: &Device,
    req: &Request<Incoming>,
    stale: bool,
) -> Response<Body> {
    let (mut r, challenge) = match device.spec.kind {
        CounterKind::Xovis => (
            json_reply(401, &json!({ "message": "unauthorized" })),
            "Basic realm=\"xovis\"".to_string(),
        ),
        CounterKind::AxisPeopleCounter | CounterKind::Axis3d => {
            let realm = realm(device);
            let target = target(req);
            let check = digest_check(shared, &realm, req.method().as_str(), &target);
            (
                respond(
                    401,
                    "text/html; charset=utf-8",
                    "<html><body><h1>401 Unauthorized</h1></body></html>",
                ),
                check.challenge(stale),
            )
        }
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    r
}

fn target(req: &Request<Incoming>) -> String {
    req.uri().path_and_query().map_or_else(
        || req.uri().path().to_string(),
        |pq| pq.as_str().to_string(),
    )
}

fn authorized(
    shared: &SensorShared,
    device: &Device,
    req: &Request<Incoming>,
) -> Result<(), Refusal> {
    let header = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match device.spec.kind {
        CounterKind::Xovis => {
            if basic_ok(header, &shared.cfg.username, &shared.cfg.password) {
                Ok(())
            } else {
                Err(Refusal::Refused)
            }
        }
        CounterKind::AxisPeopleCounter | CounterKind::Axis3d => {
            let realm = realm(device);
            let target = target(req);
            digest_check(shared, &realm, req.method().as_str(), &target).verify(header)
        }
    }
}

/// One request: count it, apply the device's next fault, authenticate, answer.
pub(crate) async fn handle(
    shared: Arc<SensorShared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    shared.total_requests.fetch_add(1, Ordering::Relaxed);
    let Some((name, rest)) = split_device(req.uri().path()) else {
        return Ok(json_reply(
            404,
            &json!({ "message": "not found: device paths start with /dev/<name>/" }),
        ));
    };
    let Some(device) = shared.device(&name).cloned() else {
        return Ok(json_reply(
            404,
            &json!({ "message": format!("no device named {name}") }),
        ));
    };
    let _in_flight = device.enter();
    let fault = lock(&device.faults).take();
    tracing::debug!(device = %name, ?fault, "venue-sim sensor request");
    match fault {
        Some(SensorFault::Offline) => return Err(Dropped),
        Some(SensorFault::Timeout) => shared.hold().await,
        Some(SensorFault::Unauthorized) => return Ok(unauthorized(&shared, &device, &req, false)),
        Some(SensorFault::ServerError(status)) => {
            return Ok(json_reply(
                status,
                &json!({ "message": "simulated device error" }),
            ))
        }
        Some(SensorFault::Malformed) | None => {}
    }
    if req.method() != Method::GET {
        return Ok(json_reply(405, &json!({ "message": "method not allowed" })));
    }
    if let Err(refusal) = authorized(&shared, &device, &req) {
        return Ok(unauthorized(
            &shared,
            &device,
            &req,
            refusal == Refusal::Stale,
        ));
    }
    let query = req.uri().query().unwrap_or("");
    // The people counter's history is CSV, not JSON.
    if device.spec.kind == CounterKind::AxisPeopleCounter
        && (rest == "/local/tvpc/.api" || rest == "/local/people-counter/.api")
        && query.split('&').any(|p| p == "export-csv")
    {
        let (status, body) = tvpc_export_csv(&device, query);
        let kind = if status == 200 {
            "text/csv"
        } else {
            "text/plain"
        };
        return Ok(respond(status, kind, body));
    }
    let (status, body) = route(&device, rest, query);
    if fault == Some(SensorFault::Malformed) && status == 200 {
        // A comma doubled: not JSON any more.
        let text = body.to_string();
        let broken = match text.find(',') {
            Some(i) => format!("{},{}", &text[..=i], &text[i + 1..]),
            None => format!("{{\"unterminated\": {text}"),
        };
        return Ok(respond(200, "application/json", broken));
    }
    Ok(json_reply(status, &body))
}

fn params(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn not_found(rest: &str) -> (u16, Value) {
    (404, json!({ "message": format!("not found: {rest}") }))
}

/// The device's own paths (after `/dev/<name>`).
fn route(device: &Device, rest: &str, query: &str) -> (u16, Value) {
    let spec = &device.spec;
    match spec.kind {
        CounterKind::AxisPeopleCounter => {
            let live_sum = query.split('&').any(|p| p == "live-sum.json");
            if (rest == "/local/tvpc/.api" || rest == "/local/people-counter/.api") && live_sum {
                let mut state = lock(&device.state);
                let live = state.live();
                let tz = state.tz();
                (
                    200,
                    render::tvpc_live_sum(&device.serial, &spec.name, &live, tz),
                )
            } else {
                not_found(rest)
            }
        }
        CounterKind::Axis3d => match rest {
            "/a3dpc/api/occupancy" => {
                let mut state = lock(&device.state);
                let live = state.live();
                let tz = state.tz();
                (
                    200,
                    render::a3dpc_occupancy(&device.colon_serial(), &live, tz),
                )
            }
            "/a3dpc/api/export/json" => a3dpc_export(device, &params(query)),
            _ => not_found(rest),
        },
        CounterKind::Xovis => {
            if rest == "/api/v5/logics" || rest == "/api/v5/logics/" {
                let live = lock(&device.state).live();
                return (200, render::xovis_live(&live));
            }
            let records = rest
                .strip_prefix("/api/v5/logics/")
                .and_then(|r| r.strip_suffix("/records"));
            match records {
                Some(id) => xovis_records(device, id, &params(query)),
                None => not_found(rest),
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Resolution {
    Minute,
    Hour,
    Day,
}

/// A date parameter of the export: `YYYYMMDD`, `YYYYMMDDhhmm`, `YYYYMMDDhhmmss`,
/// `YYYY-MM-DD[Thh:mm[:ss]]` (device-local), RFC 3339, epoch seconds (10 digits) or
/// milliseconds (13), or `now`, `today`, `yesterday`.
fn parse_when(s: &str, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let local = |naive: NaiveDateTime| {
        tz.from_local_datetime(&naive)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(naive + TimeDelta::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    };
    let today = now.with_timezone(&tz).date_naive();
    match s {
        "now" => return Some(now),
        "today" => return local(today.and_hms_opt(0, 0, 0)?),
        "yesterday" => return local(today.pred_opt()?.and_hms_opt(0, 0, 0)?),
        _ => {}
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.len() {
            8 => local(
                NaiveDate::parse_from_str(s, "%Y%m%d")
                    .ok()?
                    .and_hms_opt(0, 0, 0)?,
            ),
            12 => local(NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M").ok()?),
            14 => local(NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok()?),
            10 => DateTime::from_timestamp(s.parse().ok()?, 0),
            13 => DateTime::from_timestamp_millis(s.parse().ok()?),
            _ => None,
        };
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return local(d.and_hms_opt(0, 0, 0)?);
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return local(t);
        }
    }
    None
}

/// The start of the bucket holding `t`.
fn align(t: DateTime<Utc>, res: Resolution, tz: Tz) -> DateTime<Utc> {
    let local = t.with_timezone(&tz);
    let aligned = match res {
        Resolution::Minute => local.with_second(0).and_then(|l| l.with_nanosecond(0)),
        Resolution::Hour => local
            .with_minute(0)
            .and_then(|l| l.with_second(0))
            .and_then(|l| l.with_nanosecond(0)),
        Resolution::Day => local
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|n| tz.from_local_datetime(&n).earliest()),
    };
    aligned.map_or(t, |l| l.with_timezone(&Utc))
}

fn next_bucket(t: DateTime<Utc>, res: Resolution, tz: Tz) -> DateTime<Utc> {
    match res {
        Resolution::Minute => t + TimeDelta::minutes(1),
        Resolution::Hour => t + TimeDelta::hours(1),
        Resolution::Day => {
            let next = t
                .with_timezone(&tz)
                .date_naive()
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .and_then(|n| tz.from_local_datetime(&n).earliest());
            next.map_or(t + TimeDelta::days(1), |l| l.with_timezone(&Utc))
        }
    }
}

const MAX_BUCKETS: usize = 20_000;

fn a3dpc_export(device: &Device, params: &[(String, String)]) -> (u16, Value) {
    let bad = |field: &str, reason: &str| (400, render::a3dpc_error(field, reason));
    let state = lock(&device.state);
    let (now, tz) = (state.now(), state.tz());
    let res = match param(params, "resolution") {
        None | Some("hour") => Resolution::Hour,
        Some("minute") => Resolution::Minute,
        Some("day") => Resolution::Day,
        Some(_) => return bad("resolution", "must be one of minute, hour, day"),
    };
    let start = match param(params, "start") {
        None | Some("") => return bad("start", "required"),
        Some(s) => match parse_when(s, now, tz) {
            Some(t) => t,
            None => return bad("start", "invalid date"),
        },
    };
    let end = match param(params, "end") {
        None | Some("") => return bad("end", "required"),
        Some(s) => match parse_when(s, now, tz) {
            Some(t) => t,
            None => return bad("end", "invalid date"),
        },
    };
    if end < start {
        return bad("end", "must not be before start");
    }
    let mut bucket = align(start, res, tz).max(align(state.history_start(), res, tz));
    let until = end.min(now + TimeDelta::seconds(1));
    let mut periods = Vec::new();
    while bucket < until && periods.len() < MAX_BUCKETS {
        let next = next_bucket(bucket, res, tz);
        if next <= bucket {
            break;
        }
        periods.push((bucket, next));
        bucket = next;
    }
    let sums: Vec<Period> = state.sum_periods(&periods);
    (200, render::a3dpc_export(&sums, tz))
}

/// `?export-csv&date=YYYYMMDD[,YYYYMMDD…]&res=1m|15m|1h|24h`: the listed device-local days in
/// periods of `res`, one CSV line a period (VAPIX People counter API, "Request CSV data").
fn tvpc_export_csv(device: &Device, query: &str) -> (u16, String) {
    let params = params(query);
    let state = lock(&device.state);
    let (now, tz) = (state.now(), state.tz());
    let step = match param(&params, "res") {
        Some("1m") => TimeDelta::minutes(1),
        None | Some("15m") => TimeDelta::minutes(15),
        Some("1h") => TimeDelta::hours(1),
        Some("24h") => TimeDelta::days(1),
        Some(other) => return (400, format!("Invalid res: {other}")),
    };
    let Some(dates) = param(&params, "date") else {
        return (400, "Missing date".to_string());
    };
    let mut periods = Vec::new();
    for day in dates.split(',') {
        let Ok(date) = chrono::NaiveDate::parse_from_str(day.trim(), "%Y%m%d") else {
            return (400, format!("Invalid date: {day}"));
        };
        let Some(midnight) = date
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(tz).earliest())
        else {
            continue;
        };
        let midnight = midnight.with_timezone(&Utc);
        let mut from = midnight.max(align(state.history_start(), Resolution::Minute, tz));
        // Periods start on the grid of `res` from local midnight.
        let offset = (from - midnight).num_seconds() % step.num_seconds().max(1);
        from -= TimeDelta::seconds(offset);
        let end = (midnight + TimeDelta::days(1)).min(now);
        while from + step <= end && periods.len() < MAX_BUCKETS {
            periods.push((from, from + step));
            from += step;
        }
    }
    let sums: Vec<Period> = state.sum_periods(&periods);
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
    let mut csv = String::from(
        "Interval start,Interval stop,Camera serial number,Counter name,Pedestrians coming in,Pedestrians going out\n",
    );
    for p in sums {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            local(p.from),
            local(p.to),
            device.serial,
            device.spec.name,
            p.ins,
            p.outs
        ));
    }
    (200, csv)
}

fn xovis_records(device: &Device, id: &str, params: &[(String, String)]) -> (u16, Value) {
    let logic = match id.parse::<u64>() {
        Ok(n) if n == render::ZONE_LOGIC || n == render::LINE_LOGIC => n,
        _ => return (404, json!({ "message": format!("logic {id} not found") })),
    };
    let bad = |m: &str| (400, json!({ "message": m }));
    let millis = |name: &str| param(params, name).and_then(|v| v.trim().parse::<i64>().ok());
    let (Some(from), Some(to)) = (millis("from"), millis("to")) else {
        return bad("from and to are required, in epoch milliseconds");
    };
    if to < from {
        return bad("to must not be before from");
    }
    let state = lock(&device.state);
    let first = state.history_start().timestamp_millis();
    let now_ms = state.now().timestamp_millis();
    // Minutes whose start is in [from, to), within the history and not in the future.
    let mut minute = from.max(first).div_euclid(60_000);
    if minute * 60_000 < from {
        minute += 1;
    }
    let mut periods = Vec::new();
    while minute * 60_000 < to && minute * 60_000 <= now_ms && periods.len() < MAX_BUCKETS {
        if let (Some(a), Some(b)) = (
            DateTime::from_timestamp(minute * 60, 0),
            DateTime::from_timestamp((minute + 1) * 60, 0),
        ) {
            periods.push((a, b));
        }
        minute += 1;
    }
    let sums = state.sum_periods(&periods);
    (200, render::xovis_logic_records(logic, &sums))
}

async fn serve_connection(shared: Arc<SensorShared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut stop = shared.stopping.subscribe();
    let svc_shared = shared.clone();
    let service = hyper::service::service_fn(move |req| handle(svc_shared.clone(), req));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = async { let _ = stop.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.as_mut()).await;
        }
    }
}

/// Serves on `listener` until `shared.stopping` turns true, then lets in-flight requests finish
/// (held ones are released) and closes every connection.
pub(crate) fn spawn(
    rt: &tokio::runtime::Handle,
    shared: Arc<SensorShared>,
    listener: TcpListener,
) -> JoinHandle<()> {
    shared.stopping.send_replace(false);
    rt.spawn(async move {
        let mut stop = shared.stopping.subscribe();
        let mut conns = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                () = async { let _ = stop.wait_for(|s| *s).await; } => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        conns.spawn(serve_connection(shared.clone(), stream));
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: back off a little.
                        tracing::debug!(error = %e, "venue-sim sensors: accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        drop(listener);
        let drain = async { while conns.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(6), drain)
            .await
            .is_err()
        {
            conns.abort_all();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_paths_round_trip() {
        let prefix = device_prefix("Bar door/2 é");
        assert_eq!(prefix, "/dev/Bar%20door%2F2%20%C3%A9");
        let path = format!("{prefix}/api/v5/logics");
        assert_eq!(
            split_device(&path),
            Some(("Bar door/2 é".to_string(), "/api/v5/logics"))
        );
        assert_eq!(split_device("/other"), None);
        assert_eq!(split_device("/dev/%zz/x"), None);
    }

    #[test]
    fn export_dates() {
        let tz = chrono_tz::Europe::Amsterdam;
        let now = Utc::now();
        let t = parse_when("20200623", now, tz).map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2020-06-22T22:00:00+00:00"));
        let t = parse_when("2020-06-23T01:30:00+01:00", now, tz).map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2020-06-23T00:30:00+00:00"));
        assert!(parse_when("yesterday", now, tz).is_some_and(|t| t < now));
        assert_eq!(parse_when("2020-13-01", now, tz), None);
        assert_eq!(parse_when("soon", now, tz), None);
    }
}
