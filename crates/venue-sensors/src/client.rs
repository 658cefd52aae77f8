//! Builds the client for one `[[sensor]]` block.

use crate::axis::AxisPeopleCounter;
use crate::axis3d::Axis3d;
use crate::config::{SensorConfig, SensorKind};
use crate::http::DeviceHttp;
use crate::xovis::Xovis;
use crate::{CounterDevice, SensorError};
use chrono_tz::Tz;
use std::sync::Arc;
use venue_http::secrets::Secret;

/// The polled device for `config`; `password` is the resolved `sensor-<name>` secret (if any),
/// `tz` the venue's timezone (devices report local times in it). Each device gets its own HTTP
/// client (connect and request timeout = `timeout_ms`). Kind mqtt → [`SensorError::Setup`]:
/// push devices are not polled (see [`crate::mqtt::subscribe`]).
pub fn build_device(
    config: &SensorConfig,
    password: Option<Secret>,
    tz: Tz,
) -> Result<Arc<dyn CounterDevice>, SensorError> {
    config
        .validate()
        .map_err(|e| SensorError::Setup(e.to_string()))?;
    let credentials = match (&config.username, password) {
        (Some(user), Some(password)) => Some((user.clone(), password)),
        (Some(_), None) => {
            return Err(SensorError::Setup(format!(
                "sensor {:?}: username is set but the secret {:?} is missing (venue secret set {})",
                config.name,
                config.secret_name(),
                config.secret_name()
            )))
        }
        // Devices with anonymous access; a password without a username cannot be sent.
        (None, _) => None,
    };
    let url = config.url.as_deref().unwrap_or_default();
    let http = |policy| {
        DeviceHttp::new(
            &config.name,
            url,
            config.timeout_ms,
            config.cert_sha256.as_deref(),
            credentials.clone(),
            policy,
        )
    };
    Ok(match config.kind {
        SensorKind::AxisPeopleCounter => Arc::new(AxisPeopleCounter::new(
            http(AxisPeopleCounter::auth_policy())?,
            tz,
            config.legacy_api,
        )),
        SensorKind::Axis3d => Arc::new(Axis3d::new(http(Axis3d::auth_policy())?, tz)),
        SensorKind::Xovis => Arc::new(Xovis::new(http(Xovis::auth_policy())?, config.logic_id)),
        SensorKind::Mqtt => {
            return Err(SensorError::Setup(format!(
                "sensor {:?}: mqtt sensors push their counts and are not polled",
                config.name
            )))
        }
    })
}
