//! `POST /v1/sync/push` and `GET /v1/sync/pull`: a console's changes up, its venue's changes down.

use crate::server::admission::{admit, Admitted, PushRefused, Pusher};
use crate::server::auth::device;
use crate::server::error::ApiError;
use crate::server::state::{now_ms, SharedState};
use crate::store::{HubStore, RowOutcome, MAX_BATCH};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use uuid::Uuid;
use venue_domain::sync::{ChangeOutcome, Outcome};
use venue_domain::wire::{
    ErrorBody, PullQuery, PullResponse, PullScope, PushRequest, PushResponse,
};
use venue_domain::NodeId;

/// The page a pull returns when it does not ask for a size.
const DEFAULT_PULL: u32 = 1_000;

/// Pushes a page of the console's changes: one outcome per change, in the order sent.
#[utoipa::path(
    post,
    path = "/v1/sync/push",
    tag = "sync",
    request_body = PushRequest,
    security(("device_token" = [])),
    responses(
        (status = 200, description = "Every change answered: applied, duplicate, conflict or rejected (with the reason)", body = PushResponse),
        (status = 400, description = "Not a push request, a newer protocol, or more than 5,000 changes", body = ErrorBody),
        (status = 403, description = "The push names another console than the token's", body = ErrorBody),
        (status = 413, description = "The body is larger than the hub accepts", body = ErrorBody),
        (status = 401, description = "No device token, or one that is unknown or revoked", body = ErrorBody),
        (status = 408, description = "The request took too long", body = ErrorBody),
        (status = 429, description = "Too many requests with this device token", body = ErrorBody),
        (status = 503, description = "The hub's database is not available", body = ErrorBody),
    ),
)]
pub async fn push<S: HubStore>(
    State(state): State<SharedState<S>>,
    headers: HeaderMap,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    // Who asks comes first: a caller without a good token learns nothing, not even whether
    // its body would have been read.
    let device = device(&state, &headers).await?;
    let Json(request) = body.map_err(ApiError::from_json_rejection)?;
    if request.changes.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "page_too_large",
            format!(
                "a push carries at most {MAX_BATCH} changes, and this one {}",
                request.changes.len()
            ),
        ));
    }
    let pusher = Pusher {
        venue_id: device.venue_id,
        node: NodeId(device.node_id),
    };
    let now = now_ms();
    let admitted =
        admit(request, pusher, now, state.settings.max_ahead_ms).map_err(|e| match e {
            PushRefused::Protocol(m) => ApiError::bad_request("protocol", m),
            e @ PushRefused::WrongConsole { .. } => ApiError::forbidden(e.to_string()),
        })?;
    // The rows move to the store; what the answer needs of each change stays, in order.
    let mut ready = Vec::with_capacity(admitted.len());
    let mut answers = Vec::with_capacity(admitted.len());
    for a in admitted {
        match a {
            Admitted::Ready(row) => {
                answers.push(Answer::Stored(row.change_id));
                ready.push(row);
            }
            Admitted::Refused { change_id, reason } => {
                answers.push(Answer::Refused { change_id, reason });
            }
        }
    }
    let stored = if ready.is_empty() {
        Vec::new()
    } else {
        state.store.push(device.venue_id, &ready).await?
    };
    if stored.len() != ready.len() {
        return Err(ApiError::unavailable(
            "the hub's store answered a push with the wrong number of outcomes",
        ));
    }
    let mut stored = stored.into_iter();
    let mut outcomes = Vec::with_capacity(answers.len());
    let mut acknowledged = 0u32;
    for answer in answers {
        let (change_id, outcome) = match answer {
            Answer::Stored(change_id) => {
                acknowledged += 1;
                let outcome = match stored.next() {
                    Some(RowOutcome::Applied) => ChangeOutcome::Applied,
                    Some(RowOutcome::Duplicate) => ChangeOutcome::Duplicate,
                    Some(RowOutcome::Conflict) | None => ChangeOutcome::Conflict,
                };
                (change_id, outcome)
            }
            Answer::Refused { change_id, reason } => {
                tracing::warn!(%change_id, venue = %device.venue_id, %reason, "change refused");
                (change_id, ChangeOutcome::Rejected { reason })
            }
        };
        outcomes.push(Outcome { change_id, outcome });
    }
    let counts = outcome_counts(&outcomes);
    for (name, n) in counts {
        state.metrics.count_changes(name, n);
    }
    Ok(Json(PushResponse {
        outcomes,
        acknowledged,
        hub_time_ms: now_ms(),
    }))
}

/// A pushed change as its answer needs it: stored (its outcome comes from the store, in
/// order), or refused before the store with the reason.
enum Answer {
    Stored(Uuid),
    Refused { change_id: Uuid, reason: String },
}

fn outcome_counts(outcomes: &[Outcome]) -> [(&'static str, u64); 4] {
    let mut c = [
        ("applied", 0),
        ("duplicate", 0),
        ("conflict", 0),
        ("rejected", 0),
    ];
    for o in outcomes {
        let i = match o.outcome {
            ChangeOutcome::Applied => 0,
            ChangeOutcome::Duplicate => 1,
            ChangeOutcome::Conflict => 2,
            ChangeOutcome::Rejected { .. } => 3,
        };
        c[i].1 += 1;
    }
    c
}

/// A cursor as this hub writes it: the last per-venue sequence number looked at.
fn read_cursor(after: Option<&str>) -> Result<i64, ApiError> {
    match after {
        None | Some("") => Ok(0),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "bad_cursor",
                    "`after` is a cursor this hub returned from a pull (a whole number), or absent for the first pull",
                )
            }),
    }
}

/// Pulls the venue's changes after a cursor, the console's own excepted: those that go down to
/// consoles, or with `scope=restore` everything the venue's consoles sent up.
#[utoipa::path(
    get,
    path = "/v1/sync/pull",
    tag = "sync",
    params(PullQuery),
    security(("device_token" = [])),
    responses(
        (status = 200, description = "A page of changes, where the next pull starts, and whether more wait", body = PullResponse),
        (status = 400, description = "`after` is not a cursor of this hub, `limit` is not from 1 to 5,000, or `scope` is neither `console` nor `restore`", body = ErrorBody),
        (status = 401, description = "No device token, or one that is unknown or revoked", body = ErrorBody),
        (status = 408, description = "The request took too long", body = ErrorBody),
        (status = 429, description = "Too many requests with this device token", body = ErrorBody),
        (status = 503, description = "The hub's database is not available", body = ErrorBody),
    ),
)]
pub async fn pull<S: HubStore>(
    State(state): State<SharedState<S>>,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    let device = device(&state, &headers).await?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let after = read_cursor(query.after.as_deref())?;
    let limit = query.limit.unwrap_or(DEFAULT_PULL);
    if limit == 0 || limit as usize > MAX_BATCH {
        return Err(ApiError::bad_request(
            "page_too_large",
            format!("`limit` is from 1 to {MAX_BATCH}, not {limit}"),
        ));
    }
    // A restoring console gets what the policy sends up as well (fetch runs, audit lines): its
    // own venue's only, as ever, since the token decides the venue.
    let only_down = query.scope.unwrap_or_default() != PullScope::Restore;
    let page = state
        .store
        .pull(
            device.venue_id,
            Some(device.node_id),
            after,
            limit,
            only_down,
        )
        .await?;
    Ok(Json(PullResponse {
        changes: page.changes,
        cursor: page.last_seq.to_string(),
        more: page.more,
        hub_time_ms: now_ms(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_whole_numbers_from_zero() {
        assert_eq!(read_cursor(None), Ok(0));
        assert_eq!(read_cursor(Some("42")), Ok(42));
        for bad in ["-1", "1;DROP TABLE hub_changes", "' OR 1=1 --", "1e9", "x"] {
            let err = read_cursor(Some(bad)).unwrap_err();
            assert_eq!(err.code, "bad_cursor", "{bad}");
        }
    }
}
