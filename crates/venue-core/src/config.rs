//! `venue.toml` in the data dir. Unknown keys are refused with their name, so a typo never
//! silently falls back to a default.

use crate::{ApiError, ApiResult, ErrorCode};
use serde::{Deserialize, Serialize};
use std::path::Path;
use venue_connectors::config::ConnectorConfig;

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
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            actor: std::env::var("USER").unwrap_or_else(|_| "console".into()),
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
# interval_minutes = 180           # at least 5
# overlap_minutes = 30             # each fetch re-reads this much before the last one ended
# location_ids = []                # Square: empty means every active location
# square_source = "orders"         # Square: "orders" (tax, discounts) or "payments"
# restaurant_guid = "..."          # Toast: required
# currency = "USD"                 # Toast: required
# requests_per_second = 10         # overrides the vendor's documented rate
# [connector.retry]                # strategy = "exponential" | "linear" | "fixed"
# strategy = "exponential"
# base_ms = 500
# max_delay_ms = 30000
# max_attempts = 4
# jitter = true
# budget_per_run = 20
# [connector.breaker]
# failure_threshold = 5
# cool_down_seconds = 60

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
# poll_interval_minutes = 5        # polling while the socket is down
# overlap_minutes = 10             # each pull re-reads this much before the last one ended
# first_sync_days = 90             # how far back the first (and --full) sync reaches

# Door counters (one [[sensor]] block each). Password secret: sensor-<name>.
#
# [[sensor]]
# kind = "axis-3d"                 # axis-people-counter | axis-3d | xovis | mqtt
# name = "front-door"
# url = "http://192.168.1.40"      # HTTP devices; https needs cert_sha256 for self-signed certificates
# zone = "bar"
# interval_seconds = 60
# username = "root"
# daily_reset_hour = 4             # venue-local hour occupancy goes back to zero (closing)
# [[sensor]]
# kind = "mqtt"                    # devices that push (Xovis logics) to a broker
# name = "terrace"
# broker = "mqtt://127.0.0.1:1883"
# topic = "xovis/terrace/logics"
# zone = "terrace"

[retention]
# Raw sensor readings are kept this long; 15-minute, hour and day rollups stay.
sensor_readings_days = 90
"#;

impl Config {
    /// Loads the data dir's config; a missing file means defaults.
    pub fn load(data_dir: &Path) -> ApiResult<Config> {
        let path = data_dir.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ApiError::new(
                    ErrorCode::Io,
                    format!("cannot read {}: {e}", path.display()),
                ))
            }
        };
        Self::parse(&text).map_err(|e| ApiError::bad_input(format!("{}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config =
            toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
        let mut names = std::collections::HashSet::new();
        for connector in &config.connector {
            connector.validate()?;
            if !names.insert(connector.name.as_str()) {
                return Err(format!("two connectors are named {:?}", connector.name));
            }
        }
        for sensor in &config.sensor {
            sensor.validate()?;
            if !names.insert(sensor.name.as_str()) {
                return Err(format!(
                    "two connectors or sensors are named {:?}",
                    sensor.name
                ));
            }
        }
        if config.retention.sensor_readings_days == 0 {
            return Err("[retention] sensor_readings_days must be at least 1".into());
        }
        if let Some(pms) = &config.pms {
            pms.validate().map_err(|e| format!("[pms]: {e}"))?;
            // Rows are keyed by source: a PMS and a POS connector must not share a name.
            if names.contains(pms.name.as_str()) {
                return Err(format!(
                    "[pms] name {:?} is also a connector's name",
                    pms.name
                ));
            }
        }
        Ok(config)
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
            .contains("two connectors"));
        let bad = one.replace("http://127.0.0.1:1", "nowhere");
        assert!(Config::parse(&bad).unwrap_err().contains("base_url"));
    }

    #[test]
    fn a_typo_is_named() {
        let err = Config::parse("[log]\nlevle = \"debug\"\n").unwrap_err();
        assert!(err.contains("levle"), "{err}");
        let err = Config::parse("[log]\nformat = \"xml\"\n").unwrap_err();
        assert!(err.contains("xml") || err.contains("format"), "{err}");
    }
}
