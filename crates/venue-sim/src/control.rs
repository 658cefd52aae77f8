//! A test harness's remote control for a running `venue sim`: people walk through a door, door
//! traffic stops or starts, the POS vendor fails or recovers. Served on its own loopback port,
//! never on the vendors' ports, so the simulated APIs stay exactly the vendors'.

use crate::{BackgroundSensorSim, BackgroundSim, Fault, Times};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The simulators a control server drives.
pub struct ControlTargets {
    pub pos: Arc<BackgroundSim>,
    pub doors: Arc<BackgroundSensorSim>,
}

#[derive(Deserialize)]
struct Walk {
    #[serde(default)]
    entries: u32,
    #[serde(default)]
    exits: u32,
}

#[derive(Deserialize)]
struct PosFault {
    /// A 5xx status every POS request answers with until cleared.
    status: u16,
}

#[derive(Serialize)]
struct Door {
    device: String,
    occupancy: Option<i64>,
}

type Targets = State<Arc<ControlTargets>>;
type Reply = Result<StatusCode, (StatusCode, String)>;

async fn walk(State(t): Targets, Path(device): Path<String>, Query(q): Query<Walk>) -> Reply {
    if !t.doors.device_names().contains(&device) {
        return Err((
            StatusCode::NOT_FOUND,
            format!("no door counter named {device:?}"),
        ));
    }
    t.doors.walk(&device, q.entries, q.exits);
    Ok(StatusCode::NO_CONTENT)
}

async fn doors(State(t): Targets) -> Json<Vec<Door>> {
    Json(
        t.doors
            .device_names()
            .into_iter()
            .map(|device| Door {
                occupancy: t.doors.occupancy(&device),
                device,
            })
            .collect(),
    )
}

async fn traffic_stop(State(t): Targets) -> StatusCode {
    t.doors.stop_traffic();
    StatusCode::NO_CONTENT
}

async fn traffic_start(State(t): Targets) -> StatusCode {
    t.doors.start_traffic();
    StatusCode::NO_CONTENT
}

async fn pos_fail(State(t): Targets, Query(q): Query<PosFault>) -> Reply {
    if !(500..=599).contains(&q.status) {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("status {} is not a 5xx", q.status),
        ));
    }
    t.pos
        .inject_everywhere(Fault::ServerError(q.status), Times::UntilCleared);
    Ok(StatusCode::NO_CONTENT)
}

async fn pos_recover(State(t): Targets) -> StatusCode {
    t.pos.clear_faults();
    StatusCode::NO_CONTENT
}

pub fn router(targets: ControlTargets) -> Router {
    Router::new()
        .route("/doors", get(doors))
        .route("/doors/{device}/walk", post(walk))
        .route("/doors/traffic/stop", post(traffic_stop))
        .route("/doors/traffic/start", post(traffic_start))
        .route("/pos/fail", post(pos_fail))
        .route("/pos/recover", post(pos_recover))
        .with_state(Arc::new(targets))
}

/// Serves the control routes on `listener` until the task is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    targets: ControlTargets,
) -> std::io::Result<()> {
    axum::serve(listener, router(targets)).await
}
