//! HTTP plumbing shared by both vendors: state, request extraction, the fault pipeline, counters,
//! and starting/stopping the listener.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::faults::{Endpoint, Fault, FaultBook, RetryAfter};
use crate::model::Vendor;
use crate::store::Store;
use crate::{square, toast, SimError};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything the handlers and the handle share; it outlives restarts.
pub(crate) struct Shared {
    pub cfg: SimConfig,
    pub base_url: String,
    pub store: Mutex<Store>,
    pub faults: Mutex<FaultBook>,
    pub counters: [AtomicU64; Endpoint::ALL.len()],
    pub logins: AtomicU64,
    /// Toast access token → expiry.
    pub tokens: Mutex<HashMap<String, Instant>>,
    last_ok: Mutex<HashMap<Endpoint, Reply>>,
    /// (endpoint, restaurant) → (epoch second, requests in it).
    rate: Mutex<HashMap<(Endpoint, String), (u64, u32)>>,
    pub stopping: watch::Sender<bool>,
}

impl Shared {
    pub(crate) fn new(cfg: SimConfig, base_url: String) -> Shared {
        Shared {
            store: Mutex::new(Store::new(&cfg)),
            cfg,
            base_url,
            faults: Mutex::new(FaultBook::default()),
            counters: Default::default(),
            logins: AtomicU64::new(0),
            tokens: Mutex::new(HashMap::new()),
            last_ok: Mutex::new(HashMap::new()),
            rate: Mutex::new(HashMap::new()),
            stopping: watch::channel(false).0,
        }
    }

    /// Sleeps for `d`, or less if the server is shutting down.
    async fn pause(&self, d: Duration) {
        let mut rx = self.stopping.subscribe();
        if *rx.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = rx.wait_for(|stopping| *stopping) => {}
        }
    }

    /// Counts a Toast request in its one-second window: (limit, remaining, reset epoch second,
    /// exceeded).
    fn rate_tick(&self, ep: Endpoint, restaurant: &str) -> (&'static str, u32, u64, bool) {
        let (by, limit, key) = match ep {
            Endpoint::ToastOrdersBulk => ("ENDPOINT", 5_u32, restaurant.to_string()),
            _ => ("GLOBAL", 20, String::new()),
        };
        let second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut rate = lock(&self.rate);
        let slot = rate.entry((ep, key)).or_insert((second, 0));
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
        (by, limit.saturating_sub(slot.1), second + 1, slot.1 > limit)
    }
}

/// A request as the handlers see it.
pub(crate) struct Req {
    /// The URI's path, e.g. `/restaurants/v1/restaurants/{guid}` with the GUID in it.
    pub path: String,
    pub headers: HeaderMap,
    /// Decoded query pairs in order.
    pub query: Vec<(String, String)>,
    pub body: Bytes,
}

impl Req {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The last value of a query parameter.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn bearer(&self) -> Option<&str> {
        let auth = self.header("authorization")?.trim();
        let (scheme, token) = auth.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }
}

impl<S: Send + Sync> FromRequest<S> for Req {
    type Rejection = Infallible;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let query = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        // A body over 1 MiB or a broken upload reads as empty: the handler answers 400.
        let body = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        Ok(Req {
            path: parts.uri.path().to_string(),
            headers: parts.headers,
            query,
            body,
        })
    }
}

/// A response before it goes on the wire (kept whole so it can be replayed).
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Reply {
    pub(crate) fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// Square's error body: `{"errors":[{"category","code","detail","field"?}]}`.
pub(crate) fn square_error(
    status: u16,
    category: &str,
    code: &str,
    detail: &str,
    field: Option<&str>,
) -> Reply {
    let mut e = json!({ "category": category, "code": code, "detail": detail });
    if let (Some(f), Some(obj)) = (field, e.as_object_mut()) {
        obj.insert("field".into(), Value::from(f));
    }
    Reply::json(status, &json!({ "errors": [e] }))
}

/// Toast's error body (see the fixture `toast_error_message.json`).
pub(crate) fn toast_error(status: u16, code: u32, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "status": status,
            "code": code,
            "message": message,
            "messageKey": null,
            "fieldName": null,
            "link": null,
            "requestId": uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid().to_string(),
            "developerMessage": null,
            "errors": [],
            "canRetry": null,
        }),
    )
}

fn server_error(vendor: Vendor, status: u16) -> Reply {
    match vendor {
        Vendor::Square => {
            let code = match status {
                503 => "SERVICE_UNAVAILABLE",
                504 => "GATEWAY_TIMEOUT",
                501 => "NOT_IMPLEMENTED",
                _ => "INTERNAL_SERVER_ERROR",
            };
            square_error(status, "API_ERROR", code, "Simulated server error.", None)
        }
        Vendor::Toast => toast_error(status, 10500, "Simulated server error"),
    }
}

fn rate_limited(vendor: Vendor) -> Reply {
    match vendor {
        Vendor::Square => square_error(
            429,
            "RATE_LIMIT_ERROR",
            "RATE_LIMITED",
            "Rate limit exceeded.",
            None,
        ),
        Vendor::Toast => toast_error(429, 10029, "Rate limit exceeded"),
    }
}

pub(crate) fn unauthorized(vendor: Vendor, expired: bool) -> Reply {
    match vendor {
        Vendor::Square => {
            let (code, detail) = if expired {
                ("ACCESS_TOKEN_EXPIRED", "The access token has expired.")
            } else {
                ("UNAUTHORIZED", "This request could not be authorized.")
            };
            square_error(401, "AUTHENTICATION_ERROR", code, detail, None)
        }
        Vendor::Toast => toast_error(
            401,
            10010,
            if expired {
                "Authentication failed: the access token has expired"
            } else {
                "Authentication failed: missing or invalid access token"
            },
        ),
    }
}

type Handler = fn(&Shared, &Req) -> Reply;

/// Counts the request, applies the endpoint's next fault, runs the handler, and adds Toast's
/// rate-limit headers.
async fn serve(shared: Arc<Shared>, ep: Endpoint, req: Req, handler: Handler) -> Response {
    shared.counters[ep.index()].fetch_add(1, Ordering::Relaxed);
    let vendor = ep.vendor();
    let rate = (vendor == Vendor::Toast).then(|| {
        let restaurant = req.header("toast-restaurant-external-id").unwrap_or("");
        shared.rate_tick(ep, restaurant)
    });
    let fault = lock(&shared.faults).take(ep);
    tracing::debug!(endpoint = ?ep, ?fault, "venue-sim request");

    let mut early = None;
    if let Some((_, _, reset, true)) = rate {
        if shared.cfg.enforce_rate_limits {
            let wait = reset.saturating_sub(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            );
            early = Some(rate_limited(vendor).header("Retry-After", wait.max(1).to_string()));
        }
    }
    if early.is_none() {
        match &fault {
            Some(Fault::Latency(d)) => shared.pause(*d).await,
            Some(Fault::Timeout) => shared.pause(shared.cfg.timeout_hold).await,
            Some(Fault::ServerError(status)) => early = Some(server_error(vendor, *status)),
            Some(Fault::RateLimited(after)) => {
                let reply = rate_limited(vendor);
                early = Some(match after {
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
                });
            }
            Some(Fault::ExpiredToken) => {
                if vendor == Vendor::Toast {
                    if let Some(token) = req.bearer() {
                        lock(&shared.tokens).remove(token);
                    }
                }
                early = Some(unauthorized(vendor, true));
            }
            _ => {}
        }
    }

    let mut truncate = false;
    let mut reply = match early {
        Some(r) => r,
        None => {
            let replay = match fault {
                Some(Fault::RepeatPreviousPage) => lock(&shared.last_ok).get(&ep).cloned(),
                _ => None,
            };
            match replay {
                Some(previous) => previous,
                None => {
                    let reply = handler(&shared, &req);
                    if reply.status == StatusCode::OK {
                        lock(&shared.last_ok).insert(ep, reply.clone());
                    }
                    reply
                }
            }
        }
    };
    if reply.status == StatusCode::OK {
        match fault {
            Some(Fault::MalformedJson) => reply.body = malformed(&reply.body),
            Some(Fault::TruncatedJson) => truncate = true,
            _ => {}
        }
    }
    if let Some((by, remaining, reset, _)) = rate {
        reply = reply
            .header("X-Toast-RateLimit-By", by)
            .header("X-Toast-RateLimit-Remaining", remaining.to_string())
            .header("X-Toast-RateLimit-Reset", reset.to_string());
    }
    into_response(reply, truncate)
}

/// The body with its first comma doubled (or an unterminated object when it has none).
fn malformed(body: &Bytes) -> Bytes {
    let text = String::from_utf8_lossy(body);
    match text.find(',') {
        Some(i) => Bytes::from(format!("{},{}", &text[..=i], &text[i + 1..])),
        None => Bytes::from(format!("{{\"unterminated\": {text}")),
    }
}

fn into_response(reply: Reply, truncate: bool) -> Response {
    let mut builder = Response::builder()
        .status(reply.status)
        .header(CONTENT_TYPE, "application/json");
    for (name, value) in &reply.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            builder = builder.header(*name, v);
        }
    }
    let body = if truncate {
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
        async fn $name(
            axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
            req: Req,
        ) -> Response {
            serve(shared, $ep, req, $handler).await
        }
    };
}

route_handler!(
    square_locations,
    Endpoint::SquareLocations,
    square::locations
);
route_handler!(square_payments, Endpoint::SquarePayments, square::payments);
route_handler!(
    square_search_orders,
    Endpoint::SquareSearchOrders,
    square::search_orders
);
route_handler!(toast_login, Endpoint::ToastLogin, toast::login);
route_handler!(
    toast_orders_bulk,
    Endpoint::ToastOrdersBulk,
    toast::orders_bulk
);
route_handler!(
    toast_restaurant,
    Endpoint::ToastRestaurant,
    toast::restaurant
);

async fn fallback(req: Request) -> Response {
    let path = req.uri().path().to_string();
    let reply = if path.starts_with("/v2/") {
        square_error(
            404,
            "INVALID_REQUEST_ERROR",
            "NOT_FOUND",
            &format!("Resource not found: {path}"),
            None,
        )
    } else {
        toast_error(404, 10404, &format!("Resource not found: {path}"))
    };
    into_response(reply, false)
}

fn router(shared: Arc<Shared>) -> Router {
    let (_, locations) = Endpoint::SquareLocations.route();
    let (_, payments) = Endpoint::SquarePayments.route();
    let (_, search) = Endpoint::SquareSearchOrders.route();
    let (_, login) = Endpoint::ToastLogin.route();
    let (_, bulk) = Endpoint::ToastOrdersBulk.route();
    let (_, restaurant) = Endpoint::ToastRestaurant.route();
    Router::new()
        .route(locations, get(square_locations))
        .route(payments, get(square_payments))
        .route(search, post(square_search_orders))
        .route(login, post(toast_login))
        .route(bulk, get(toast_orders_bulk))
        .route(restaurant, get(toast_restaurant))
        .fallback(fallback)
        .with_state(shared)
}

pub(crate) async fn bind(port: u16) -> Result<TcpListener, SimError> {
    TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| SimError::Bind { port, source: e })
}

/// Serves on `listener` until `shared.stopping` turns true, then drains in-flight requests.
pub(crate) fn spawn(
    rt: &tokio::runtime::Handle,
    shared: Arc<Shared>,
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
            tracing::warn!(error = %e, "venue-sim server stopped with an error");
        }
    })
}
