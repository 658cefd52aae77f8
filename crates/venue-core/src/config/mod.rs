//! `venue.toml` in the data dir. Unknown keys are refused with their name, so a typo never
//! silently falls back to a default.

use crate::ApiError;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use venue_http::settings::{check_numbers, NumericKey, OutOfRange, SettingError};
use venue_pos::config::ConnectorConfig;

mod alert_rule;

pub use alert_rule::{AlertRuleConfig, RuleError};

/// Why venue.toml was refused; each names the table, key or block that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// Not TOML, an unknown key or a value of the wrong type (toml's own words, on one line).
    #[error("{0}")]
    Syntax(String),
    #[error(transparent)]
    Setting(#[from] SettingError),
    #[error(transparent)]
    OutOfRange(#[from] OutOfRange),
    #[error(transparent)]
    LogLevel(#[from] LogLevelError),
    #[error(transparent)]
    AlertRule(#[from] RuleError),
    #[error("two connectors are named {0:?}")]
    DuplicateConnector(String),
    /// Sensors share the connectors' names: rows are keyed by source.
    #[error("two connectors or sensors are named {0:?}")]
    DuplicateSensor(String),
    #[error("[pms] name {0:?} is also a connector's name")]
    PmsNameTaken(String),
}

impl From<toml::de::Error> for ConfigError {
    fn from(e: toml::de::Error) -> Self {
        ConfigError::Syntax(e.to_string().trim().replace('\n', " "))
    }
}

/// A `[log] level` the logger could not read as meant.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LogLevelError {
    #[error("[log] level = {0:?}: is empty: use a level such as \"info\"")]
    Empty(String),
    #[error("[log] level = {level:?}: is not a log filter ({detail})")]
    NotAFilter { level: String, detail: String },
    #[error("[log] level = {level:?}: {directive:?} is not a level (trace, debug, info, warn, error or off); for one crate write e.g. \"venue_store=debug\"")]
    NotALevel { level: String, directive: String },
}

pub const CONFIG_FILE: &str = "venue.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub console: ConsoleConfig,
    pub log: LogConfig,
    /// `[[connector]]` entries: the POS systems sales are fetched from.
    pub connector: Vec<ConnectorConfig>,
    /// `[pms]`: the property-management system the console mirrors and posts charges to.
    pub pms: Option<venue_pms::config::PmsConfig>,
    /// `[[sensor]]` entries: the door counters.
    pub sensor: Vec<venue_sensors::config::SensorConfig>,
    pub retention: RetentionConfig,
    /// `[[alert_rule]]` entries: overrides of built-in alert rules (by id) and rules of its own.
    pub alert_rule: Vec<AlertRuleConfig>,
}

/// How long raw data is kept; summaries (rollups) stay for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Raw sensor readings (minute rollups go with them; 15-minute, hour and day stay).
    pub sensor_readings_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            sensor_readings_days: 90,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Who CLI actions are recorded as in the audit log when no staff member is signed in.
    pub actor: String,
    /// The desktop app locks (signs the staff member out) after this many seconds without input.
    pub lock_after_seconds: u32,
}

impl ConsoleConfig {
    pub const DEFAULT_LOCK_AFTER_SECONDS: u32 = 300;
    /// The shortest and longest inactivity lock accepted.
    pub const LOCK_AFTER_RANGE: std::ops::RangeInclusive<u32> = 30..=86_400;
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            actor: std::env::var("USER").unwrap_or_else(|_| "console".into()),
            lock_after_seconds: Self::DEFAULT_LOCK_AFTER_SECONDS,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter such as "info" or "venue_store=debug,info".
    pub level: String,
    pub format: LogFormat,
}

impl LogConfig {
    /// Checks `level` as the logger reads it (tracing's `EnvFilter`), so a typo is an error here
    /// instead of a silent fall back to "info". A bare word must be a level: `EnvFilter` would
    /// take "verbose" for a crate name and log almost nothing.
    pub fn validate(&self) -> Result<(), LogLevelError> {
        let level = self.level.trim();
        if level.is_empty() {
            return Err(LogLevelError::Empty(self.level.clone()));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(level) {
            return Err(LogLevelError::NotAFilter {
                level: self.level.clone(),
                detail: e.to_string(),
            });
        }
        for directive in level.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let bare = !directive.contains('=') && !directive.contains('[');
            if bare
                && directive
                    .parse::<tracing::level_filters::LevelFilter>()
                    .is_err()
            {
                return Err(LogLevelError::NotALevel {
                    level: self.level.clone(),
                    directive: directive.to_string(),
                });
            }
        }
        Ok(())
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// The file `venue init` writes: every setting, commented, at its default.
pub const DEFAULT_CONFIG: &str = r#"# Venue Console settings. Secrets never go here: they live in the OS keyring.

[console]
# Name recorded in the audit log for actions taken from the command line.
# actor = "front-desk"
# The desktop app signs the staff member out after this many seconds without input
# (30 to 86400; they sign in again with their PIN).
lock_after_seconds = 300

[log]
# A tracing filter: "info", "debug", or per crate, e.g. "venue_store=debug,info".
level = "info"
# "text" for people, "json" for log collectors.
format = "text"

# POS connectors (one [[connector]] block each). Secrets come from the OS keyring
# (`venue secret set NAME`) or the environment (VENUE_SECRET_<NAME>), never from this file:
# Square needs <name>-access-token; Toast needs <name>-client-id and <name>-client-secret.
#
# [[connector]]
# kind = "square"                  # or "toast"
# name = "square-main"             # letters, digits, '-' and '_'
# base_url = "https://connect.squareup.com"
# interval_minutes = 180           # 5 to 10080 (a week)
# overlap_minutes = 30             # 0 to 10080; each fetch re-reads this much before the last one ended
# location_ids = []                # Square: empty means every active location
# square_source = "orders"         # Square: "orders" (tax, discounts) or "payments"
# restaurant_guid = "..."          # Toast: required
# currency = "USD"                 # Toast: required
# location_names = { "L1" = "Rooftop Bar" }  # names to show by location id (else the vendor's)
# requests_per_second = 10         # 1 to 10000; overrides the vendor's documented rate
# [connector.retry]                # strategy = "exponential" | "linear" | "fixed"
# strategy = "exponential"
# base_ms = 500                    # 1 to 60000
# max_delay_ms = 30000             # 1 to 600000
# max_attempts = 4                 # 1 to 20, the first included
# jitter = true
# budget_per_run = 20              # 0 to 10000 retries per run
# [connector.breaker]
# failure_threshold = 5            # 1 to 1000 failures in a row open it
# cool_down_seconds = 60           # 1 to 86400

# The property-management system (Mews Connector API): reservations, guests, rooms and
# services mirrored live over its websocket; charges posted to stays. Secrets:
# <name>-client-token and <name>-access-token (keyring or VENUE_SECRET_<NAME>).
#
# [pms]
# kind = "mews"
# name = "mews"
# api_url = "https://api.mews-demo.com"
# ws_url = "wss://ws.mews-demo.com/ws/connector"
# charge_service_id = "..."        # default: the first active "Additional" service
# poll_interval_minutes = 5        # 1 to 1440; polling while the socket is down
# overlap_minutes = 10             # 0 to 10080; each pull re-reads this much before the last one ended
# first_sync_days = 90             # 1 to 3650; how far back the first (and --full) sync reaches
# first_sync_ahead_days = 365      # 1 to 3650; how far ahead it reads the stays on the books
# event_batch_ms = 5               # 0 to 10000
# ping_interval_seconds = 15       # 1 to 300
# dead_after_seconds = 45          # 2 to 3600, longer than the ping interval
# requests_per_window = 200        # 1 to 1000000 requests ...
# window_seconds = 30              # ... per 1 to 86400 s
# [pms.retry] and [pms.breaker]: as for a connector

# Door counters (one [[sensor]] block each). Password secret: sensor-<name>.
#
# [[sensor]]
# kind = "axis-3d"                 # axis-people-counter | axis-3d | xovis | mqtt
# name = "front-door"
# url = "http://192.168.1.40"      # HTTP devices; https needs cert_sha256 for self-signed certificates
# zone = "bar"
# interval_seconds = 60            # 1 to 3600
# timeout_ms = 5000                # 10 to 120000
# offline_after = 3                # 1 to 1000 failed polls in a row
# username = "root"
# daily_reset_hour = 4             # 0 to 23: venue-local hour occupancy goes back to zero (closing)
# [[sensor]]
# kind = "mqtt"                    # devices that push (Xovis logics) to a broker
# name = "terrace"
# broker = "mqtt://127.0.0.1:1883"
# topic = "xovis/terrace/logics"
# zone = "terrace"

[retention]
# Raw sensor readings are kept this long (1 to 3650 days); 15-minute, hour and day rollups stay.
sensor_readings_days = 90

# Alert rules. Built-in rules are on by default (ids): occupancy.warning (occupancy_share >= 0.8),
# occupancy.critical (>= 0.95), connector.breaker_open, connector.snapshot_failed (latest run
# failed or partial), connector.rate_limited (rate_limit_ratio >= 0.2), pms.socket_down
# (pms_socket_down_seconds > 120), sensor.offline, sensor.auth_failed, pms.charge_failed and
# pms.vip_arrival (info, once per VIP stay arriving today) and console.task_failing (critical: one of
# `venue run`'s tasks, e.g. recording door counts, has been failing for more than threshold = 60
# seconds; it resolves when the task recovers) and hub.sync_failing (warning: sync with the hub has
# failed for more than threshold = 3600 seconds; changes wait safely meanwhile). A block with a built-in's id changes
# only what it sets; a block with a new id is a rule of its own (metric, condition, threshold
# required). Metrics: occupancy_share, occupancy, breaker_open, snapshot_failed,
# rate_limit_ratio, pms_socket_down_seconds, sensor_offline, sensor_auth_failed, charge_failed,
# vip_arrival, task_failing_seconds, sync_failing_seconds. Conditions: >=, >, <=, <, ==. window_seconds, cool_down_seconds
# and clear_after_seconds are 0 to 604800 (a week); threshold any finite number.
# [[alert_rule]]
# id = "occupancy.warning"
# threshold = 0.85
# active_hours = "17:00-02:00"     # venue-local, may wrap midnight; all day when left out
# [[alert_rule]]
# id = "pms.vip_arrival"
# enabled = false
# [[alert_rule]]
# id = "late-crowd"
# metric = "occupancy"             # people inside
# condition = ">="
# threshold = 150
# window_seconds = 300             # must hold this long before the alert opens
# severity = "warning"             # info, warning or critical
# cool_down_seconds = 900          # after it resolves, not again for this long
# clear_after_seconds = 60         # must be clear this long before it resolves itself
# title = "Late crowd: open the terrace bar"
"#;

impl Config {
    /// The numeric keys of `[console]` and `[retention]` and their ranges: the inactivity lock
    /// from 30 s to a day, raw sensor readings kept 1 day to 10 years.
    pub fn numbers(&self) -> Vec<NumericKey> {
        vec![
            NumericKey::u32(
                "lock_after_seconds",
                self.console.lock_after_seconds,
                ConsoleConfig::LOCK_AFTER_RANGE,
            )
            .prefixed("[console] "),
            NumericKey::u32(
                "sensor_readings_days",
                self.retention.sensor_readings_days,
                1..=3_650,
            )
            .prefixed("[retention] "),
        ]
    }

    /// Reads venue.toml's text and checks what this module and the vendor crates know: syntax,
    /// unknown keys, each connector's, sensor's and the PMS's own settings, unique names, the
    /// numeric ranges, the log level. [`Config::parse`] adds every capability's own checks.
    pub(crate) fn parse_sections(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)?;
        let mut names = std::collections::HashSet::new();
        for connector in &config.connector {
            connector.validate()?;
            if !names.insert(connector.name.as_str()) {
                return Err(ConfigError::DuplicateConnector(connector.name.clone()));
            }
        }
        for sensor in &config.sensor {
            sensor.validate()?;
            if !names.insert(sensor.name.as_str()) {
                return Err(ConfigError::DuplicateSensor(sensor.name.clone()));
            }
        }
        check_numbers(&config.numbers())?;
        config.log.validate()?;
        if let Some(pms) = &config.pms {
            pms.validate()?;
            // Rows are keyed by source: a PMS and a POS connector must not share a name.
            if names.contains(pms.name.as_str()) {
                return Err(ConfigError::PmsNameTaken(pms.name.clone()));
            }
        }
        Ok(config)
    }
}

/// An alert rule that does not check is the caller's (or venue.toml's) to fix.
impl From<RuleError> for ApiError {
    fn from(e: RuleError) -> Self {
        ApiError::bad_input(e.to_string())
    }
}

/// A venue.toml that does not check is the caller's to fix.
impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> Self {
        ApiError::bad_input(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_parses_to_the_defaults() {
        let parsed = Config::parse(DEFAULT_CONFIG).expect("default config parses");
        assert_eq!(parsed.log, LogConfig::default());
    }

    #[test]
    fn connectors_are_validated_and_names_are_unique() {
        let one =
            "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"http://127.0.0.1:1\"\n";
        assert_eq!(Config::parse(one).expect("valid").connector.len(), 1);
        let twice = format!("{one}{one}");
        assert!(Config::parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("two connectors"));
        let bad = one.replace("http://127.0.0.1:1", "nowhere");
        assert!(Config::parse(&bad)
            .unwrap_err()
            .to_string()
            .contains("base_url"));
    }

    #[test]
    fn the_inactivity_lock_defaults_to_five_minutes_and_is_bounded() {
        let parsed = Config::parse(DEFAULT_CONFIG).expect("default config parses");
        assert_eq!(parsed.console.lock_after_seconds, 300);
        assert_eq!(
            Config::parse("").expect("empty").console.lock_after_seconds,
            300
        );
        let ok = Config::parse("[console]\nlock_after_seconds = 30\n").expect("30 s");
        assert_eq!(ok.console.lock_after_seconds, 30);
        for bad in [0, 29, 86_401] {
            let err = Config::parse(&format!("[console]\nlock_after_seconds = {bad}\n"))
                .expect_err("out of range")
                .to_string();
            assert!(err.contains("lock_after_seconds"), "{err}");
        }
    }

    #[test]
    fn a_typo_is_named() {
        let err = Config::parse("[log]\nlevle = \"debug\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("levle"), "{err}");
        let err = Config::parse("[log]\nformat = \"xml\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("xml") || err.contains("format"), "{err}");
    }
}
