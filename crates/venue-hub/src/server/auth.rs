//! Who is calling: a console's device token, bound to one venue and one console.

use super::credentials::{hash_secret, looks_like_token};
use super::error::ApiError;
use super::state::SharedState;
use crate::store::{Device, HubStore};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;

/// The device behind a request's bearer token, refused when missing, unknown, revoked or over
/// its rate limit. Every answer to a bad token is the same, so a guesser learns nothing.
pub async fn device<S: HubStore>(
    state: &SharedState<S>,
    headers: &HeaderMap,
) -> Result<Device, ApiError> {
    let hash = token_hash(headers)?;
    if state.per_token.check_key(&hash).is_err() {
        return Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests with this device token; slow down",
        ));
    }
    match state.store.device_by_token(&hash).await? {
        Some(device) if device.revoked_at.is_none() => Ok(device),
        _ => Err(refused()),
    }
}

/// The hash of the request's bearer token, the form the store knows it by.
pub fn token_hash(headers: &HeaderMap) -> Result<String, ApiError> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::unauthorized("a device token is required: `Authorization: Bearer <token>`")
        })?;
    if !looks_like_token(token) {
        return Err(refused());
    }
    Ok(hash_secret(token))
}

/// Whether the device behind `hash` may still sync: `None` when the database cannot say now.
pub async fn still_allowed<S: HubStore>(store: &S, hash: &str) -> Option<bool> {
    match store.device_by_token(hash).await {
        Ok(device) => Some(device.is_some_and(|d| d.revoked_at.is_none())),
        Err(e) => {
            tracing::warn!(error = %e, "a live subscriber's token could not be checked");
            None
        }
    }
}

fn refused() -> ApiError {
    ApiError::unauthorized(
        "this device token was refused (unknown or revoked): enrol the console again with a new code",
    )
}
