//! The Settings screen (managers and admins): the venue, where its data lives, what venue.toml
//! configures (never a secret's value), and whether each secret those need is set (as
//! `secrets_status` reports it).

use super::VenueInfo;
use crate::{ApiResult, Console, Role, SecretStatus, CONFIG_FILE};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettingsView {
    pub venue: VenueInfo,
    pub data_dir: String,
    pub config_path: String,
    pub connectors: Vec<ConnectorSettings>,
    pub pms: Option<PmsSettings>,
    pub sensors: Vec<SensorSettings>,
    /// The secrets the configuration needs and where each is found (see `secrets_status`).
    pub secrets: Vec<SecretStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectorSettings {
    pub name: String,
    /// "square" or "toast".
    pub kind: String,
    pub base_url: String,
    pub interval_minutes: u32,
    pub location_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PmsSettings {
    pub name: String,
    pub kind: String,
    pub api_url: String,
    pub ws_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SensorSettings {
    pub name: String,
    pub kind: String,
    pub zone: String,
    /// The device's URL, or an MQTT device's broker.
    pub url: Option<String>,
    pub interval_seconds: u32,
}

fn kind_text(kind: impl Serialize) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Console {
    /// The Settings screen (managers and admins).
    pub fn settings(&self) -> ApiResult<SettingsView> {
        self.authorize(Role::Manager)?;
        let venue = self.venue()?;
        let config = &self.config;
        Ok(SettingsView {
            venue,
            data_dir: self.data_dir().display().to_string(),
            config_path: self.data_dir().join(CONFIG_FILE).display().to_string(),
            connectors: config
                .connector
                .iter()
                .map(|c| ConnectorSettings {
                    name: c.name.clone(),
                    kind: kind_text(c.kind),
                    base_url: c.base_url.clone(),
                    interval_minutes: c.interval_minutes,
                    location_ids: c.location_ids.clone(),
                })
                .collect(),
            pms: config.pms.as_ref().map(|p| PmsSettings {
                name: p.name.clone(),
                kind: kind_text(p.kind),
                api_url: p.api_url.clone(),
                ws_url: p.ws_url.clone(),
            }),
            sensors: config
                .sensor
                .iter()
                .map(|s| SensorSettings {
                    name: s.name.clone(),
                    kind: crate::integrations::sensors::kind_name(s),
                    zone: s.zone.clone(),
                    url: s.url.clone().or_else(|| s.broker.clone()),
                    interval_seconds: s.interval_seconds,
                })
                .collect(),
            secrets: self.secret_statuses(),
        })
    }
}
