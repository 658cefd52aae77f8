//! `/healthz` (the process answers), `/readyz` (its database answers, migrations applied) and
//! `/metrics` (Prometheus).

use crate::server::error::ApiError;
use crate::server::state::SharedState;
use crate::store::HubStore;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz<S: HubStore>(
    State(state): State<SharedState<S>>,
) -> Result<&'static str, ApiError> {
    state.store.ready().await?;
    Ok("ready\n")
}

pub async fn metrics<S: HubStore>(
    State(state): State<SharedState<S>>,
) -> Result<impl IntoResponse, ApiError> {
    let text = state
        .metrics
        .render("")
        .map_err(|e| ApiError::unavailable(format!("metrics could not be written: {e}")))?;
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}
