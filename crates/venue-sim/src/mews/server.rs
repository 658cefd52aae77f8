//! The Mews simulator's HTTP side: shared state, the request pipeline (faults, JSON, rate
//! limit, tokens), the router, and starting the listener.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::faults::{MewsEndpoint, MewsFault, MewsFaultBook};
use super::model::Hotel;
use super::rest::{self, ApiError, Handler};
use super::ws::{self, WsHub};
use super::MewsSimConfig;
use crate::faults::{Fault, RetryAfter};
use crate::server::{lock, Reply, Req};

/// Everything the handlers, sockets and the handle share; it outlives restarts.
pub(crate) struct MewsShared {
    pub cfg: MewsSimConfig,
    pub base_url: String,
    pub ws_url: String,
    pub hotel: Mutex<Hotel>,
    pub faults: Mutex<MewsFaultBook>,
    pub counters: [AtomicU64; 7],
    /// AccessToken → times of its recent accepted requests (the sliding window).
    rate: Mutex<HashMap<String, VecDeque<Instant>>>,
    last_ok: Mutex<HashMap<MewsEndpoint, Reply>>,
    pub stopping: watch::Sender<bool>,
    pub ws: WsHub,
}

impl MewsShared {
    pub(crate) fn new(cfg: MewsSimConfig, hotel: Hotel, port: u16) -> MewsShared {
        MewsShared {
            base_url: format!("http://127.0.0.1:{port}"),
            ws_url: format!("ws://127.0.0.1:{port}{}", MewsEndpoint::Websocket.path()),
            cfg,
            hotel: Mutex::new(hotel),
            faults: Mutex::new(MewsFaultBook::default()),
            counters: Default::default(),
            rate: Mutex::new(HashMap::new()),
            last_ok: Mutex::new(HashMap::new()),
            stopping: watch::channel(false).0,
            ws: WsHub::new(),
        }
    }

    pub(crate) fn count(&self, ep: MewsEndpoint) {
        self.counters[ep.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Sleeps for `d`, or less if the server is shutting down.
    pub(crate) async fn pause(&self, d: Duration) {
        let mut rx = self.stopping.subscribe();
        if *rx.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = rx.wait_for(|stopping| *stopping) => {}
        }
    }

    /// Admits a request of `token` into its sliding window, or says how many seconds until a
    /// slot frees up. Refused requests do not count, so waiting `Retry-After` always helps.
    fn admit(&self, token: &str) -> Result<(), u64> {
        let now = Instant::now();
        let window = self.cfg.window;
        let mut rate = lock(&self.rate);
        if rate.len() > 10_000 {
            // Callers inventing tokens must not grow the map without bound.
            rate.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = rate.entry(token.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= self.cfg.requests_per_window as usize {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = window.saturating_sub(now.duration_since(oldest));
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(secs.max(1));
        }
        times.push_back(now);
        Ok(())
    }
}

fn request_id() -> String {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
        .into_uuid()
        .to_string()
}

/// Mews' error body: `{"Message": ..., "RequestId": ..., "Details": null}`.
pub(crate) fn error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({ "Message": message, "RequestId": request_id(), "Details": Value::Null }),
    )
}

fn rate_limited(after: RetryAfter) -> Reply {
    let reply = error(
        429,
        "Too many requests: the limit of requests per AccessToken in the time window was exceeded.",
    );
    match after {
        RetryAfter::Seconds(s) => reply.header("Retry-After", s.to_string()),
        RetryAfter::HttpDate(d) => {
            let now = chrono::Utc::now();
            let at = i64::try_from(d.as_secs())
                .ok()
                .and_then(chrono::TimeDelta::try_seconds)
                .and_then(|ahead| now.checked_add_signed(ahead))
                .unwrap_or(now);
            reply.header("Retry-After", crate::util::http_date(at))
        }
        RetryAfter::Absent => reply,
    }
}

/// The faults that act before a request is looked at: delays and canned error answers.
pub(crate) async fn early_fault(shared: &MewsShared, fault: Option<&MewsFault>) -> Option<Reply> {
    match fault {
        Some(MewsFault::Plain(Fault::Latency(d))) => {
            shared.pause(*d).await;
            None
        }
        Some(MewsFault::Plain(Fault::Timeout)) => {
            shared.pause(shared.cfg.timeout_hold).await;
            None
        }
        Some(MewsFault::Plain(Fault::ServerError(status))) => {
            Some(error(*status, "Simulated server error."))
        }
        Some(MewsFault::Plain(Fault::RateLimited(after))) => Some(rate_limited(*after)),
        Some(MewsFault::Plain(Fault::ExpiredToken)) => Some(error(
            401,
            "The AccessToken is invalid or has expired, or the integration is disabled.",
        )),
        _ => None,
    }
}

/// Body → JSON object → rate limit → tokens → the operation.
fn handle(shared: &MewsShared, body: &Bytes, handler: Handler) -> Reply {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return error(400, "Invalid JSON: the request body is not valid JSON.");
    };
    let Some(obj) = value.as_object() else {
        return error(400, "Invalid JSON: the request body must be a JSON object.");
    };
    if let Some(token) = obj.get("AccessToken").and_then(Value::as_str) {
        if let Err(secs) = shared.admit(token) {
            return rate_limited(RetryAfter::Seconds(secs));
        }
    }
    let result = authorize(&shared.cfg, obj).and_then(|()| handler(&mut lock(&shared.hotel), obj));
    match result {
        Ok(v) => Reply::json(200, &v),
        Err(e) => error(e.status(), &e.to_string()),
    }
}

fn authorize(cfg: &MewsSimConfig, obj: &rest::Obj) -> Result<(), ApiError> {
    let token = |name: &str| obj.get(name).and_then(Value::as_str);
    match token("ClientToken") {
        None => return Err(ApiError::Unauthorized("ClientToken is required.".into())),
        Some(t) if t != cfg.client_token => {
            return Err(ApiError::Unauthorized("Invalid ClientToken.".into()))
        }
        Some(_) => {}
    }
    match token("AccessToken") {
        None => return Err(ApiError::Unauthorized("AccessToken is required.".into())),
        Some(t) if t != cfg.access_token => {
            return Err(ApiError::Unauthorized("Invalid AccessToken.".into()))
        }
        Some(_) => {}
    }
    match token("Client") {
        Some(c) if !c.trim().is_empty() => Ok(()),
        _ => Err(ApiError::BadRequest(
            "Client is required (name and version of the client application).".into(),
        )),
    }
}

/// Counts, applies the endpoint's next fault, runs the operation, then the faults that act on
/// the answer (malformed, truncated, lost).
async fn serve(shared: Arc<MewsShared>, ep: MewsEndpoint, req: Req, handler: Handler) -> Response {
    shared.count(ep);
    let fault = lock(&shared.faults).take(ep);
    tracing::debug!(endpoint = ?ep, ?fault, "venue-sim mews request");
    let mut reply = match early_fault(&shared, fault.as_ref()).await {
        Some(r) => r,
        None => {
            let replay = match fault {
                Some(MewsFault::Plain(Fault::RepeatPreviousPage)) => {
                    lock(&shared.last_ok).get(&ep).cloned()
                }
                _ => None,
            };
            match replay {
                Some(previous) => previous,
                None => {
                    let reply = handle(&shared, &req.body, handler);
                    if reply.status == StatusCode::OK {
                        lock(&shared.last_ok).insert(ep, reply.clone());
                    }
                    reply
                }
            }
        }
    };
    let mut truncate = false;
    if reply.status == StatusCode::OK {
        match fault {
            Some(MewsFault::Plain(Fault::MalformedJson)) => reply.body = malformed(&reply.body),
            Some(MewsFault::Plain(Fault::TruncatedJson)) => truncate = true,
            // The work is done (an order is recorded); only the answer is lost.
            Some(MewsFault::LostResponse) => reply = error(500, "Simulated server error."),
            _ => {}
        }
    }
    into_response(reply.header("Request-Id", request_id()), truncate)
}

/// The body with its first comma doubled (or an unterminated object when it has none).
fn malformed(body: &Bytes) -> Bytes {
    let text = String::from_utf8_lossy(body);
    match text.find(',') {
        Some(i) => Bytes::from(format!("{},{}", &text[..=i], &text[i + 1..])),
        None => Bytes::from(format!("{{\"unterminated\": {text}")),
    }
}

pub(crate) fn into_response(reply: Reply, truncate: bool) -> Response {
    let mut builder = Response::builder()
        .status(reply.status)
        .header(CONTENT_TYPE, "application/json; charset=utf-8");
    for (name, value) in &reply.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            builder = builder.header(*name, v);
        }
    }
    let body = if truncate {
        // Announce the whole body, send half, then fail the stream: the connection drops.
        builder = builder.header(CONTENT_LENGTH, reply.body.len());
        let half = reply.body.slice(..reply.body.len() / 2);
        let rest = futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err::<Bytes, std::io::Error>(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "body truncated by venue-sim fault injection",
            ))
        });
        Body::from_stream(futures_util::stream::iter([Ok(half)]).chain(rest))
    } else {
        Body::from(reply.body)
    };
    builder.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

macro_rules! route_handler {
    ($name:ident, $ep:expr, $handler:path) => {
        async fn $name(State(shared): State<Arc<MewsShared>>, req: Req) -> Response {
            serve(shared, $ep, req, $handler).await
        }
    };
}

route_handler!(
    reservations,
    MewsEndpoint::ReservationsGetAll,
    rest::reservations_get_all
);
route_handler!(
    customers,
    MewsEndpoint::CustomersGetAll,
    rest::customers_get_all
);
route_handler!(
    resources,
    MewsEndpoint::ResourcesGetAll,
    rest::resources_get_all
);
route_handler!(
    services,
    MewsEndpoint::ServicesGetAll,
    rest::services_get_all
);
route_handler!(orders_add, MewsEndpoint::OrdersAdd, rest::orders_add);
route_handler!(
    order_items,
    MewsEndpoint::OrderItemsGetAll,
    rest::order_items_get_all
);

async fn fallback(req: Request) -> Response {
    let path = req.uri().path().to_string();
    into_response(
        error(
            404,
            &format!("Not found: {path} (paths are case-sensitive)."),
        ),
        false,
    )
}

fn router(shared: Arc<MewsShared>) -> Router {
    Router::new()
        .route(MewsEndpoint::ReservationsGetAll.path(), post(reservations))
        .route(MewsEndpoint::CustomersGetAll.path(), post(customers))
        .route(MewsEndpoint::ResourcesGetAll.path(), post(resources))
        .route(MewsEndpoint::ServicesGetAll.path(), post(services))
        .route(MewsEndpoint::OrdersAdd.path(), post(orders_add))
        .route(MewsEndpoint::OrderItemsGetAll.path(), post(order_items))
        .route(MewsEndpoint::Websocket.path(), get(ws::upgrade))
        .fallback(fallback)
        .with_state(shared)
}

/// Serves on `listener` until `shared.stopping` turns true, then drains in-flight requests
/// (websockets end on the same signal).
pub(crate) fn spawn(
    rt: &tokio::runtime::Handle,
    shared: Arc<MewsShared>,
    listener: TcpListener,
) -> JoinHandle<()> {
    shared.stopping.send_replace(false);
    let mut stop = shared.stopping.subscribe();
    let app = router(shared);
    rt.spawn(async move {
        let signal = async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .await
        {
            tracing::warn!(error = %e, "venue-sim mews server stopped with an error");
        }
    })
}
