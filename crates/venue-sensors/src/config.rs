//! `[[sensor]]` entries of venue.toml. Secrets are never here: only their name is derived
//! (`sensor-<name>`, resolved through `venue_http::secrets::resolve`).

use serde::{Deserialize, Serialize};
use venue_http::settings::{check_table_numbers, NumericKey, SettingError, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SensorKind {
    /// AXIS People Counter (ACAP on an AXIS camera), polled over HTTP with Digest auth.
    #[serde(rename = "axis-people-counter")]
    AxisPeopleCounter,
    /// AXIS P8815-2 3D People Counter, polled over HTTP (Digest or Basic).
    #[serde(rename = "axis-3d")]
    Axis3d,
    /// Xovis PC (firmware 5.x), polled over HTTP with Basic auth.
    #[serde(rename = "xovis")]
    Xovis,
    /// A Xovis device pushing its logics data to an MQTT broker (not polled).
    #[serde(rename = "mqtt")]
    Mqtt,
}

impl SensorKind {
    /// Devices the poller reads over HTTP (the others push).
    pub fn is_polled(self) -> bool {
        !matches!(self, SensorKind::Mqtt)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorConfig {
    pub kind: SensorKind,
    /// Unique per venue: letters, digits, '-' and '_'. The password secret is `sensor-<name>`.
    pub name: String,
    /// Device base URL (http or https) for the polled kinds, e.g. "http://10.0.0.5".
    pub url: Option<String>,
    /// mqtt kind: the broker, e.g. "mqtt://127.0.0.1:1883".
    pub broker: Option<String>,
    /// mqtt kind: the topic filter, e.g. "xovis/door-1/logics".
    pub topic: Option<String>,
    #[serde(default = "default_zone")]
    pub zone: String,
    #[serde(default = "default_interval")]
    pub interval_seconds: u32,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    pub username: Option<String>,
    /// https devices with self-signed certificates: the leaf certificate's SHA-256 (hex, ':'
    /// separators optional). Only that certificate is accepted.
    pub cert_sha256: Option<String>,
    /// Consecutive failures after which the sensor counts as offline.
    #[serde(default = "default_offline_after")]
    pub offline_after: u32,
    /// AXIS People Counter on older firmware: /local/people-counter/.api instead of /local/tvpc/.api.
    #[serde(default)]
    pub legacy_api: bool,
    /// Xovis: the logic that counts the door line (default: the first line-count logic).
    pub logic_id: Option<u32>,
    /// Venue-local hour (0–23) at which occupancy resets to 0 (closing time).
    pub daily_reset_hour: Option<u32>,
}

fn default_zone() -> String {
    "main".to_string()
}

fn default_interval() -> u32 {
    60
}

fn default_timeout() -> u64 {
    5000
}

fn default_offline_after() -> u32 {
    3
}

impl SensorConfig {
    /// A config of `kind` named `name` with every default (mostly for tests and the demo).
    pub fn new(kind: SensorKind, name: &str) -> Self {
        SensorConfig {
            kind,
            name: name.to_string(),
            url: None,
            broker: None,
            topic: None,
            zone: default_zone(),
            interval_seconds: default_interval(),
            timeout_ms: default_timeout(),
            username: None,
            cert_sha256: None,
            offline_after: default_offline_after(),
            legacy_api: false,
            logic_id: None,
            daily_reset_hour: None,
        }
    }

    /// Every numeric key (but `logic_id`, an id) and its accepted range: polling every 1 s to
    /// every hour, a timeout of 10 ms to 2 minutes, offline after 1 to 1,000 failures, a reset
    /// hour of 0 to 23.
    pub fn numbers(&self) -> Vec<NumericKey> {
        vec![
            NumericKey::u32("interval_seconds", self.interval_seconds, 1..=3_600),
            NumericKey::u64("timeout_ms", self.timeout_ms, 10..=120_000),
            NumericKey::u32("offline_after", self.offline_after, 1..=1_000),
            NumericKey::optional_u32("daily_reset_hour", self.daily_reset_hour, 0..=23),
        ]
    }

    /// Checks what serde cannot; the message names the sensor and the field.
    pub fn validate(&self) -> Result<(), SettingError> {
        let table = Table::Sensor(self.name.clone());
        let bad = |key, why: &str| Err(SettingError::invalid(table.clone(), key, why));
        if !valid_name(&self.name) {
            return bad("name", "must be letters, digits, '-' or '_'");
        }
        if !valid_name(&self.zone) {
            return bad("zone", "must be letters, digits, '-' or '_'");
        }
        check_table_numbers(&table, &self.numbers())?;
        if let Some(pin) = &self.cert_sha256 {
            if let Err(why) = crate::http::parse_pin(pin) {
                return bad("cert_sha256", &why.to_string());
            }
        }
        if self.kind.is_polled() {
            match self.url.as_deref().map(reqwest::Url::parse) {
                Some(Ok(url)) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
                Some(_) => return bad("url", "must be an http(s) URL"),
                None => return bad("url", "is required for a polled device"),
            }
            if self.broker.is_some() || self.topic.is_some() {
                return bad("broker", "and topic are only for kind \"mqtt\"");
            }
            if self.cert_sha256.is_some() && !self.url.as_deref().is_some_and(is_https) {
                return bad("cert_sha256", "only applies to an https url");
            }
        } else {
            match self.broker.as_deref().map(crate::mqtt::parse_broker) {
                Some(Ok(_)) => {}
                Some(Err(why)) => return bad("broker", &why.to_string()),
                None => return bad("broker", "is required for kind \"mqtt\""),
            }
            match self.topic.as_deref() {
                Some(topic) if valid_topic_filter(topic) => {}
                Some(_) => return bad("topic", "must be a valid MQTT topic filter"),
                None => return bad("topic", "is required for kind \"mqtt\""),
            }
            if self.url.is_some() || self.cert_sha256.is_some() {
                return bad(
                    "url",
                    "does not apply to kind \"mqtt\" (use broker and topic)",
                );
            }
        }
        if self.legacy_api && self.kind != SensorKind::AxisPeopleCounter {
            return bad("legacy_api", "only applies to kind \"axis-people-counter\"");
        }
        if self.logic_id.is_some() && !matches!(self.kind, SensorKind::Xovis | SensorKind::Mqtt) {
            return bad("logic_id", "only applies to Xovis devices (xovis, mqtt)");
        }
        Ok(())
    }

    /// The name of the password secret, as `venue secret set NAME` stores it.
    pub fn secret_name(&self) -> String {
        format!("sensor-{}", self.name)
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// MQTT 3.1.1 §4.7: '#' only as the whole last level, '+' only as a whole level, no NUL.
fn valid_topic_filter(topic: &str) -> bool {
    if topic.is_empty() || topic.len() > 65535 || topic.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = topic.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| {
        (!level.contains('#') || (*level == "#" && i == levels.len() - 1))
            && (!level.contains('+') || *level == "+")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_filters() {
        assert!(valid_topic_filter("xovis/door-1/logics"));
        assert!(valid_topic_filter("xovis/+/logics"));
        assert!(valid_topic_filter("xovis/#"));
        assert!(!valid_topic_filter("xovis/#/x"));
        assert!(!valid_topic_filter("xovis/a+"));
        assert!(!valid_topic_filter(""));
    }
}
