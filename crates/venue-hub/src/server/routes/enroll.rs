//! `POST /v1/enroll`: a one-time code exchanged for a device token.

use crate::server::credentials::{hash_code, hash_secret, new_token};
use crate::server::error::ApiError;
use crate::server::state::{now_ms, SharedState};
use crate::store::HubStore;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use std::net::SocketAddr;
use venue_domain::wire::{EnrollRequest, EnrollResponse, ErrorBody, HubVenue};

/// Exchanges a one-time enrolment code for a device token bound to the code's venue and this
/// console (`node`).
#[utoipa::path(
    post,
    path = "/v1/enroll",
    tag = "enrolment",
    request_body = EnrollRequest,
    responses(
        (status = 200, description = "Enrolled: the device token (shown once) and the venue", body = EnrollResponse),
        (status = 400, description = "The body is not an enrolment request, or the code is not shaped like one", body = ErrorBody),
        (status = 403, description = "The code is unknown, expired or already used", body = ErrorBody),
        (status = 408, description = "The request took too long", body = ErrorBody),
        (status = 413, description = "The body is larger than the hub accepts", body = ErrorBody),
        (status = 429, description = "Too many enrolment attempts from this address", body = ErrorBody),
        (status = 503, description = "The hub's database is not available", body = ErrorBody),
    ),
)]
pub async fn enroll<S: HubStore>(
    State(state): State<SharedState<S>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> Result<Json<EnrollResponse>, ApiError> {
    // Codes are short enough to type: only brute force could find one, so attempts are counted
    // per address, good and bad alike.
    if state.per_address.check_key(&peer.ip()).is_err() {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many enrolment attempts from this address; wait a minute",
        ));
    }
    let Json(request) = body.map_err(ApiError::from_json_rejection)?;
    let code_hash = hash_code(&request.code).ok_or_else(|| {
        ApiError::bad_request(
            "bad_code",
            "an enrolment code has 12 letters and digits, like ABCD-EFGH-JKMN",
        )
    })?;
    let token = new_token().map_err(|e| ApiError::unavailable(e.to_string()))?;
    let device = state
        .store
        .redeem_enrollment(
            &code_hash,
            request.node.0,
            &hash_secret(&token),
            chrono::Utc::now(),
        )
        .await?;
    let venue = state
        .store
        .venue(device.venue_id)
        .await?
        .ok_or_else(|| ApiError::unavailable("the enrolment's venue is gone"))?;
    tracing::info!(device = %device.id, venue = %venue.id, node = %request.node, "console enrolled");
    Ok(Json(EnrollResponse {
        token,
        venue_id: venue.id,
        venue: HubVenue {
            id: venue.id,
            name: venue.name,
            timezone: venue.timezone,
            currency: venue.currency,
            capacity: venue.capacity,
        },
        hub_time_ms: now_ms(),
    }))
}
