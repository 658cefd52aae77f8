//! The words an alert rule is written in: what it measures and how it compares. Shared by
//! the console's rules engine, its config and (later) the hub, so a rule means the same
//! everywhere it is read.

use crate::Origin;
use serde::{Deserialize, Serialize};

/// What a rule measures, per subject (the venue, a connector, a sensor, a charge, a stay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// People inside (all zones) as a share of the venue's capacity: 0.8 is 80%.
    OccupancyShare,
    /// People inside (all zones).
    Occupancy,
    /// 1 while a connector's (or the PMS's) circuit breaker is open or half-open, else 0.
    BreakerOpen,
    /// 1 when a connector's latest finished snapshot failed or was partial, else 0.
    SnapshotFailed,
    /// A connector's rate-limited responses over its requests, from its latest metrics.
    RateLimitRatio,
    /// Seconds the PMS live socket has been down (0 while connected).
    PmsSocketDownSeconds,
    /// 1 while a door sensor is offline, else 0.
    SensorOffline,
    /// 1 while a door sensor's credentials are refused, else 0.
    SensorAuthFailed,
    /// 1 per charge that failed to post to the PMS.
    ChargeFailed,
    /// 1 per VIP guest's reservation starting today (venue-local).
    VipArrival,
    /// Seconds one of `venue run`'s tasks (connectors, pms, sensors, alerts) has been failing
    /// (its store writes refused, or the task dying). Read from the running process, not the
    /// store: only the engine of `venue run` or the app's background work sees it.
    TaskFailingSeconds,
    /// Seconds this console's sync with its hub has been failing: since the first failure
    /// after the last success (0 while syncs succeed; nothing when not joined to a hub).
    SyncFailingSeconds,
}

impl Metric {
    pub const ALL: &'static [Metric] = &[
        Metric::OccupancyShare,
        Metric::Occupancy,
        Metric::BreakerOpen,
        Metric::SnapshotFailed,
        Metric::RateLimitRatio,
        Metric::PmsSocketDownSeconds,
        Metric::SensorOffline,
        Metric::SensorAuthFailed,
        Metric::ChargeFailed,
        Metric::VipArrival,
        Metric::TaskFailingSeconds,
        Metric::SyncFailingSeconds,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::OccupancyShare => "occupancy_share",
            Metric::Occupancy => "occupancy",
            Metric::BreakerOpen => "breaker_open",
            Metric::SnapshotFailed => "snapshot_failed",
            Metric::RateLimitRatio => "rate_limit_ratio",
            Metric::PmsSocketDownSeconds => "pms_socket_down_seconds",
            Metric::SensorOffline => "sensor_offline",
            Metric::SensorAuthFailed => "sensor_auth_failed",
            Metric::ChargeFailed => "charge_failed",
            Metric::VipArrival => "vip_arrival",
            Metric::TaskFailingSeconds => "task_failing_seconds",
            Metric::SyncFailingSeconds => "sync_failing_seconds",
        }
    }

    pub fn parse(text: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.as_str() == text)
    }

    /// The origin the engine's writes for this metric are recorded with.
    pub fn origin(self) -> Origin {
        match self {
            Metric::OccupancyShare
            | Metric::Occupancy
            | Metric::SensorOffline
            | Metric::SensorAuthFailed => Origin::Sensor,
            Metric::BreakerOpen | Metric::SnapshotFailed | Metric::RateLimitRatio => {
                Origin::Connector
            }
            Metric::PmsSocketDownSeconds | Metric::ChargeFailed | Metric::VipArrival => Origin::Pms,
            // The console's own health: recorded as the console's (the local user's) doing.
            // (`Sync` is only for changes arriving from elsewhere.)
            Metric::TaskFailingSeconds | Metric::SyncFailingSeconds => Origin::User,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Condition {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = ">")]
    Above,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "==")]
    Equal,
}

impl Condition {
    pub const NAMES: &'static [&'static str] = &[">=", ">", "<=", "<", "=="];

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::AtLeast => ">=",
            Condition::Above => ">",
            Condition::AtMost => "<=",
            Condition::Below => "<",
            Condition::Equal => "==",
        }
    }

    pub fn parse(text: &str) -> Option<Condition> {
        Some(match text.trim() {
            ">=" => Condition::AtLeast,
            ">" => Condition::Above,
            "<=" => Condition::AtMost,
            "<" => Condition::Below,
            "==" => Condition::Equal,
            _ => return None,
        })
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Condition::AtLeast => value >= threshold,
            Condition::Above => value > threshold,
            Condition::AtMost => value <= threshold,
            Condition::Below => value < threshold,
            Condition::Equal => (value - threshold).abs() < 1e-9,
        }
    }
}
