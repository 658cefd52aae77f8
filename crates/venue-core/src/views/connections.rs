//! The health of every connection (POS connectors, the PMS, door sensors, sync) for the Today
//! and Connections screens, from the persisted breaker and metrics state and the runs' snapshots.

use super::SnapshotInfo;
use crate::integrations::pms::SocketStatus;
use crate::{ApiResult, Console, Role};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use venue_domain::{SnapshotStatus, Venue};
use venue_http::breaker::{BreakerSnapshot, BreakerState};
use venue_http::metrics::MetricsSnapshot;
use venue_store::ConnectorState;

/// How many runs the Connections screen lists.
pub const RECENT_RUNS: u32 = 50;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Health {
    pub connectors: Vec<ConnectorHealth>,
    pub pms: Option<PmsHealth>,
    pub sensors: SensorsHealth,
    pub sync: SyncHealth,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectorHealth {
    pub name: String,
    /// "square" or "toast".
    pub kind: String,
    pub interval_minutes: u32,
    /// "closed", "open" or "half_open".
    pub breaker: &'static str,
    pub consecutive_failures: u32,
    pub opened_at: Option<DateTime<Utc>>,
    /// What is wrong now: the failing runs' error while the breaker counts failures, else the
    /// newest run's error when it failed or was partial; None when all is well.
    pub last_error: Option<String>,
    pub last_snapshot: Option<SnapshotInfo>,
    pub requests: u64,
    pub failures: u64,
    pub retries: u64,
    pub rate_limit_hits: u64,
    pub latency_p95_ms: Option<u64>,
    /// rate_limit_hits / max(requests, 1), 0..1.
    pub rate_limit_pressure: f64,
    /// No run that brought data (ok or partial) finished within 2 x the interval.
    pub stale: bool,
    /// When the breaker and metrics were last saved.
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PmsHealth {
    pub name: String,
    /// "mews".
    pub kind: String,
    /// "connected", "disconnected" or "unknown" (never connected since the state was kept).
    pub socket: &'static str,
    pub socket_since: Option<DateTime<Utc>>,
    pub breaker: &'static str,
    pub last_error: Option<String>,
    pub last_snapshot: Option<SnapshotInfo>,
    pub pending_charges: u64,
    pub failed_charges: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SensorsHealth {
    pub total: u64,
    pub online: u64,
    pub offline: u64,
    pub auth_failed: u64,
    pub unknown: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncHealth {
    pub pending_changes: u64,
    pub total_changes: u64,
    pub last_hlc: Option<String>,
    /// This console has joined a hub (`venue hub join`, Settings > Hub); the UI asks
    /// `sync_status` for how it stands.
    pub hub_configured: bool,
    /// "local_only" (no hub: changes wait in the change log) or "joined".
    pub state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectionsView {
    pub connectors: Vec<ConnectorHealth>,
    pub pms: Option<PmsHealth>,
    /// The newest runs across connectors, the PMS and the demo, newest first.
    pub recent_runs: Vec<SnapshotInfo>,
}

fn breaker_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}

/// A persisted breaker, or a closed one when there is none (or it cannot be read).
fn breaker_of(state: Option<&ConnectorState>) -> BreakerSnapshot {
    state
        .and_then(|s| serde_json::from_value(s.breaker.clone()).ok())
        .unwrap_or_default()
}

/// The HTTP metrics of a connector: the JSON itself for POS connectors, its "http" part for
/// the PMS (whose metrics also hold the socket's).
fn metrics_of(state: Option<&ConnectorState>) -> MetricsSnapshot {
    state
        .and_then(|s| s.metrics.as_ref())
        .and_then(|m| {
            let http = m.get("http").unwrap_or(m);
            serde_json::from_value(http.clone()).ok()
        })
        .unwrap_or_default()
}

fn socket_of(state: Option<&ConnectorState>) -> Option<SocketStatus> {
    state
        .and_then(|s| s.metrics.as_ref())
        .and_then(|m| m.get("socket"))
        .and_then(|s| serde_json::from_value(s.clone()).ok())
}

/// The store keeps `updated_at` as rusqlite's UTC text ("2026-11-29 07:45:00.123+00:00").
fn saved_at(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What is wrong now (see `ConnectorHealth::last_error`).
fn current_error(breaker: &BreakerSnapshot, last: Option<&SnapshotInfo>) -> Option<String> {
    if breaker.consecutive_failures > 0 || breaker.state != BreakerState::Closed {
        if let Some(e) = &breaker.last_error {
            return Some(e.clone());
        }
    }
    last.filter(|s| matches!(s.status, SnapshotStatus::Failed | SnapshotStatus::Partial))
        .and_then(|s| s.error.clone())
}

impl Console {
    /// The Connections screen: each connection's health and the newest runs.
    pub fn connections(&self) -> ApiResult<ConnectionsView> {
        self.authorize(Role::Staff)?;
        let venue = self.venue()?;
        let (connectors, pms) = self.connection_health(&venue, Utc::now())?;
        Ok(ConnectionsView {
            connectors,
            pms,
            recent_runs: self.store.recent_snapshots(venue.id, RECENT_RUNS)?,
        })
    }

    pub(crate) fn health(&self, venue: &Venue, now: DateTime<Utc>) -> ApiResult<Health> {
        let (connectors, pms) = self.connection_health(venue, now)?;
        let states = self.store.sensor_states(venue.id)?;
        let mut sensors = SensorsHealth::default();
        for config in &self.config.sensor {
            sensors.total += 1;
            match states
                .iter()
                .find(|s| s.device == config.name)
                .map(|s| s.status.as_str())
            {
                Some("online") => sensors.online += 1,
                Some("offline") => sensors.offline += 1,
                Some("auth_failed") => sensors.auth_failed += 1,
                _ => sensors.unknown += 1,
            }
        }
        let log = self.store.change_log_summary()?;
        let hub_configured = self.store.hub_state()?.url.is_some();
        Ok(Health {
            connectors,
            pms,
            sensors,
            sync: SyncHealth {
                pending_changes: log.pending_sync,
                total_changes: log.total,
                last_hlc: log.last_hlc,
                hub_configured,
                state: if hub_configured {
                    "joined"
                } else {
                    "local_only"
                },
            },
        })
    }

    /// The configured POS connectors' and PMS's health, from three statements whatever their
    /// number.
    fn connection_health(
        &self,
        venue: &Venue,
        now: DateTime<Utc>,
    ) -> ApiResult<(Vec<ConnectorHealth>, Option<PmsHealth>)> {
        let states = self.store.connector_states(venue.id)?;
        let state_of = |name: &str| states.iter().find(|s| s.connector == name);
        let mut names: Vec<&str> = self
            .config
            .connector
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        if let Some(pms) = &self.config.pms {
            names.push(pms.name.as_str());
        }
        let mut runs = self.store.connector_runs(venue.id, &names)?;
        let connectors = self
            .config
            .connector
            .iter()
            .map(|c| {
                let state = state_of(&c.name);
                let breaker = breaker_of(state);
                let metrics = metrics_of(state);
                let runs = runs.remove(&c.name).unwrap_or_default();
                let fresh_within = Duration::minutes(2 * i64::from(c.interval_minutes));
                ConnectorHealth {
                    name: c.name.clone(),
                    kind: serde_json::to_value(c.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    interval_minutes: c.interval_minutes,
                    breaker: breaker_name(breaker.state),
                    consecutive_failures: breaker.consecutive_failures,
                    opened_at: breaker.opened_at,
                    last_error: current_error(&breaker, runs.last.as_ref()),
                    last_snapshot: runs.last,
                    requests: metrics.requests,
                    failures: metrics.failures,
                    retries: metrics.retries,
                    rate_limit_hits: metrics.rate_limit_hits,
                    latency_p95_ms: metrics.latency_p95_ms,
                    rate_limit_pressure: (metrics.rate_limit_hits as f64
                        / metrics.requests.max(1) as f64)
                        .clamp(0.0, 1.0),
                    stale: runs
                        .last_good_finished_at
                        .is_none_or(|at| now - at > fresh_within),
                    updated_at: state.and_then(|s| saved_at(&s.updated_at)),
                }
            })
            .collect();
        let pms = match &self.config.pms {
            Some(config) => {
                let state = state_of(&config.name);
                let breaker = breaker_of(state);
                let socket = socket_of(state);
                let runs = runs.remove(&config.name).unwrap_or_default();
                let (pending, failed) = self.store.charge_counts(venue.id, &config.name)?;
                let socket_name = match socket.as_ref().map(|s| s.state.as_str()) {
                    Some("connected") => "connected",
                    Some("down") => "disconnected",
                    _ => "unknown",
                };
                let socket_error = socket
                    .as_ref()
                    .filter(|_| socket_name != "connected")
                    .and_then(|s| s.last_error.clone());
                Some(PmsHealth {
                    name: config.name.clone(),
                    kind: serde_json::to_value(config.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_else(|| "mews".into()),
                    socket: socket_name,
                    socket_since: socket.as_ref().and_then(|s| s.since),
                    breaker: breaker_name(breaker.state),
                    last_error: current_error(&breaker, runs.last.as_ref()).or(socket_error),
                    last_snapshot: runs.last,
                    pending_charges: pending,
                    failed_charges: failed,
                })
            }
            None => None,
        };
        Ok((connectors, pms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(breaker: serde_json::Value, metrics: Option<serde_json::Value>) -> ConnectorState {
        ConnectorState {
            connector: "c".into(),
            breaker,
            metrics,
            updated_at: "2026-11-29 07:45:00.123+00:00".into(),
        }
    }

    #[test]
    fn saved_breakers_metrics_and_sockets_are_read_for_pos_and_pms_alike() {
        let pos = state(
            serde_json::json!({"state": "HALF_OPEN", "consecutive_failures": 3, "opened_at": null,
                               "last_transition_at": null, "last_error": "HTTP 503"}),
            Some(
                serde_json::json!({"requests": 10, "failures": 3, "retries": 2, "rate_limit_hits": 5,
                                    "latency_p50_ms": 40, "latency_p95_ms": 90, "latency_p99_ms": 120}),
            ),
        );
        let breaker = breaker_of(Some(&pos));
        assert_eq!(breaker_name(breaker.state), "half_open");
        assert_eq!(current_error(&breaker, None).as_deref(), Some("HTTP 503"));
        assert_eq!(metrics_of(Some(&pos)).latency_p95_ms, Some(90));
        let pms = state(
            serde_json::json!({"state": "CLOSED", "consecutive_failures": 0, "opened_at": null,
                               "last_transition_at": null, "last_error": "long ago"}),
            Some(
                serde_json::json!({"http": {"requests": 7, "failures": 0, "retries": 0, "rate_limit_hits": 0,
                                             "latency_p50_ms": null, "latency_p95_ms": null, "latency_p99_ms": null},
                                    "socket": {"state": "down", "since": "2026-11-29T07:00:00Z"}}),
            ),
        );
        let breaker = breaker_of(Some(&pms));
        assert_eq!(
            current_error(&breaker, None),
            None,
            "a recovered breaker's old error is history"
        );
        assert_eq!(metrics_of(Some(&pms)).requests, 7);
        let socket = socket_of(Some(&pms)).expect("socket");
        assert_eq!(socket.state, "down");
        assert!(saved_at(&pms.updated_at).is_some());
        assert_eq!(breaker_name(breaker_of(None).state), "closed");
    }
}
