//! The rules every venue starts with. Each can be switched off or retuned in venue.toml with an
//! `[[alert_rule]]` block of the same id (`enabled = false`, `threshold = 0.9`, ...).

use super::rules::{AlertRule, Condition, Metric, DEFAULT_CLEAR_AFTER_SECONDS};
use venue_domain::Severity;

fn rule(
    id: &str,
    metric: Metric,
    condition: Condition,
    threshold: f64,
    severity: Severity,
    cool_down_seconds: u32,
    clear_after_seconds: u32,
) -> AlertRule {
    AlertRule {
        id: id.into(),
        metric,
        condition,
        threshold,
        window_seconds: 0,
        severity,
        cool_down_seconds,
        clear_after_seconds,
        active_hours: None,
        enabled: true,
        title: None,
    }
}

/// The built-in rules, in the order they are evaluated and listed.
///
/// `sensor.auth_failed` shares its dedupe key (`sensor.auth_failed:<device>`) with the alert
/// the sensor poller raises itself the moment a device refuses our credentials: the engine
/// never opens a second one, and resolves the poller's when the device is back.
pub fn builtin_rules() -> Vec<AlertRule> {
    use Condition::*;
    use Metric::*;
    let clear = DEFAULT_CLEAR_AFTER_SECONDS;
    vec![
        rule(
            "occupancy.warning",
            OccupancyShare,
            AtLeast,
            0.8,
            Severity::Warning,
            900,
            clear,
        ),
        rule(
            "occupancy.critical",
            OccupancyShare,
            AtLeast,
            0.95,
            Severity::Critical,
            900,
            clear,
        ),
        rule(
            "connector.breaker_open",
            BreakerOpen,
            AtLeast,
            1.0,
            Severity::Critical,
            600,
            clear,
        ),
        rule(
            "connector.snapshot_failed",
            SnapshotFailed,
            AtLeast,
            1.0,
            Severity::Warning,
            600,
            clear,
        ),
        rule(
            "connector.rate_limited",
            RateLimitRatio,
            AtLeast,
            0.2,
            Severity::Warning,
            1800,
            clear,
        ),
        rule(
            "pms.socket_down",
            PmsSocketDownSeconds,
            Above,
            120.0,
            Severity::Critical,
            600,
            clear,
        ),
        rule(
            "sensor.offline",
            SensorOffline,
            AtLeast,
            1.0,
            Severity::Warning,
            600,
            clear,
        ),
        rule(
            "sensor.auth_failed",
            SensorAuthFailed,
            AtLeast,
            1.0,
            Severity::Critical,
            600,
            clear,
        ),
        rule(
            "pms.charge_failed",
            ChargeFailed,
            AtLeast,
            1.0,
            Severity::Warning,
            3600,
            0,
        ),
        // Once per stay: the subject is the reservation, and the day ending clears it.
        rule(
            "pms.vip_arrival",
            VipArrival,
            AtLeast,
            1.0,
            Severity::Info,
            86_400,
            0,
        ),
        // A task of `venue run` failing for over a minute (door counts not recorded, sales not
        // fetched...). It resolves as soon as the task works again; a failure that ended
        // before the alert could be written (the store itself refused) is recorded resolved.
        rule(
            crate::supervisor::TASK_FAILING_RULE,
            TaskFailingSeconds,
            Above,
            60.0,
            Severity::Critical,
            0,
            0,
        ),
        // Sync with the hub failing for an hour: a venue with bad internet is offline often,
        // and its changes wait safely, so only a long outage is worth a manager's attention.
        // The hub task is left out of `console.task_failing` for the same reason.
        rule(
            HUB_SYNC_FAILING_RULE,
            SyncFailingSeconds,
            Above,
            3600.0,
            Severity::Warning,
            0,
            0,
        ),
    ]
}

/// The built-in rule for a hub sync failing too long.
pub const HUB_SYNC_FAILING_RULE: &str = "hub.sync_failing";
