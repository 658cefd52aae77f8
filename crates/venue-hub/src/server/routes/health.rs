//! `/healthz` (the process answers), `/readyz` (its database answers, migrations applied) and
//! `/metrics` (Prometheus).

use crate::server::error::ApiError;
use crate::server::state::SharedState;
use crate::store::HubStore;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use venue_domain::wire::ErrorBody;

/// The process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain")),
)]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The database answers and its migrations are applied.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = String, content_type = "text/plain"),
        (status = 503, description = "The hub's database is not available", body = ErrorBody),
    ),
)]
pub async fn readyz<S: HubStore>(
    State(state): State<SharedState<S>>,
) -> Result<&'static str, ApiError> {
    state.store.ready().await?;
    Ok("ready\n")
}

/// Prometheus metrics: requests and their latency, changes ingested, consoles connected, and
/// per venue the age of the newest change.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text"),
        (status = 503, description = "The metrics could not be written", body = ErrorBody),
    ),
)]
pub async fn metrics<S: HubStore>(
    State(state): State<SharedState<S>>,
) -> Result<impl IntoResponse, ApiError> {
    // Read from the database at each scrape: any hub process on it reports every venue.
    let ages = match state.store.newest_changes().await {
        Ok(newest) => crate::server::metrics::venue_ages(&newest, chrono::Utc::now()),
        Err(e) => {
            tracing::warn!(error = %e, "per-venue change ages left out of /metrics");
            Ok(String::new())
        }
    };
    let text = ages
        .and_then(|ages| state.metrics.render(&ages))
        .map_err(|e| ApiError::unavailable(format!("metrics could not be written: {e}")))?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}
