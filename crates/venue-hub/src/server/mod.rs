//! The hub's HTTP server: routes, the layers every request passes through, and serving on a
//! listener, plain on loopback or HTTPS with rustls.

pub mod admission;
pub mod auth;
pub mod credentials;
pub mod error;
pub mod listen;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod state;

use crate::store::HubStore;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use state::{now_ms, SharedState};
use std::time::{Duration, Instant};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use state::{AppState, HubSettings};

/// Every response says the hub's clock, so a console can show its own skew.
pub const HUB_TIME_HEADER: &str = "x-hub-time-ms";
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The hub's routes over `state`, with every layer.
pub fn router<S: HubStore>(state: SharedState<S>) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let timeout = state.settings.request_timeout;
    let body_limit = state.settings.max_body_bytes;
    let (routes, _) = openapi::routes::<S>();
    routes
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::<S>,
        ))
        .layer(CompressionLayer::new())
        .layer(RequestDecompressionLayer::new())
        // axum's extractors stop at 2 MB of their own; a console's full page of sales is more.
        // The limit is the hub's setting, for every body.
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        // The extractors' own limit (2 MB) would refuse a full page of changes long before
        // `max_body_bytes`: the one above is the limit.
        .layer(DefaultBodyLimit::disable())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::map_response(error::bare_to_error_body))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get(REQUEST_ID_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Counts and times each request by its route, and stamps the hub's clock on the response.
async fn observe<S: HubStore>(
    State(state): State<SharedState<S>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let started = Instant::now();
    let mut response = next.run(request).await;
    let took: Duration = started.elapsed();
    state
        .metrics
        .observe(&route, response.status().as_u16(), took);
    if let Ok(value) = HeaderValue::from_str(&now_ms().to_string()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HUB_TIME_HEADER), value);
    }
    response
}

/// A hub on `127.0.0.1:0` over `store`, served in the background: for tests and benchmarks.
/// Returns the base URL; the server stops when the returned sender is dropped or sent to.
pub async fn spawn_on_loopback<S: HubStore>(
    store: S,
    settings: HubSettings,
) -> Result<(String, tokio::sync::oneshot::Sender<()>), listen::ListenError> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let listen = listen::Listen {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        tls: None,
        insecure_http: false,
    };
    let app = router(AppState::new(store, settings));
    let server = tokio::spawn(listen::serve(
        app,
        listen,
        move |addr| {
            let _ = bound_tx.send(addr);
        },
        async move {
            let _ = stopped.await;
        },
    ));
    match bound_rx.await {
        Ok(addr) => Ok((format!("http://{addr}"), stop)),
        Err(_) => match server.await {
            Ok(Err(e)) => Err(e),
            _ => Err(listen::ListenError::Serve(std::io::Error::other(
                "the hub stopped before it was listening",
            ))),
        },
    }
}
