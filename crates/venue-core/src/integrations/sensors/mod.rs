//! Door counters in the console: `venue sensors list`, `venue sensors poll --once`, and the
//! live polling (plus MQTT push) that `venue run` keeps, written to the store as readings whose
//! rollups feed the dashboard. Raw readings are pruned after `[retention]`; rollups stay.

mod recorder;

pub use recorder::DeviceRound;

use crate::console::StoreHandle;
use crate::supervisor::{retry_store, stopped, Task, TaskHealth};
use crate::{ApiError, ApiResult, Console};
use chrono::Utc;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use venue_domain::Venue;
use venue_http::secrets::{resolve, SecretStore};
use venue_sensors::config::SensorConfig;
use venue_sensors::poller::{PollSettings, PollStats, PolledDevice, Poller};
use venue_sensors::CounterDevice;
use venue_store::SensorState;

/// A configured sensor and its last known state.
#[derive(Debug, Clone, Serialize)]
pub struct SensorListing {
    pub name: String,
    pub kind: String,
    pub zone: String,
    pub address: Option<String>,
    pub interval_seconds: u32,
    pub state: Option<SensorState>,
}

pub(crate) fn kind_name(config: &SensorConfig) -> String {
    serde_json::to_value(config.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn device(
    config: &SensorConfig,
    secrets: Option<&dyn SecretStore>,
    venue: &Venue,
) -> ApiResult<Arc<dyn CounterDevice>> {
    let password = match &config.username {
        Some(_) => Some(
            resolve(secrets, &config.secret_name())
                .map_err(|e| ApiError::bad_input(format!("sensor {}: {e}", config.name)))?,
        ),
        None => None,
    };
    venue_sensors::build_device(config, password, venue.timezone)
        .map_err(|e| ApiError::bad_input(e.to_string()))
}

/// The HTTP sensors ready to poll. One that cannot be set up (a missing password, a bad pin)
/// is reported on its own and left out; it never stops the others.
fn polled(
    configs: &[SensorConfig],
    secrets: Option<&dyn SecretStore>,
    venue: &Venue,
    recorder: &mut recorder::Recorder<'_>,
) -> Vec<PolledDevice> {
    let mut ready = Vec::new();
    for c in configs.iter().filter(|c| c.kind.is_polled()) {
        match device(c, secrets, venue) {
            Ok(device) => {
                let interval = Duration::from_secs(u64::from(c.interval_seconds.max(1)));
                let mut settings = PollSettings::every(interval);
                settings.timeout = Duration::from_millis(c.timeout_ms.max(1));
                settings.offline_after = c.offline_after.max(1);
                ready.push(PolledDevice {
                    device,
                    settings,
                    last_sample: recorder.last_sample(&c.name),
                });
            }
            Err(e) => {
                tracing::error!(sensor = %c.name, error = %e.message, "sensor not polled");
                recorder.setup_failed(&c.name, &e.message);
            }
        }
    }
    ready
}

/// Polls every HTTP sensor until `stop` turns true and takes MQTT pushes, writing readings.
/// A write the store refuses for a passing reason (another process holding its write lock) is
/// retried with backoff, the readings kept meanwhile; if recording ends with an error, polling
/// and pushes stop with it, so devices never look alive while nothing is recorded.
pub(crate) async fn sensors_live(
    store: &StoreHandle,
    secrets: Option<&dyn SecretStore>,
    venue: &Venue,
    configs: &[SensorConfig],
    retention_days: u32,
    health: &TaskHealth,
    stop: watch::Receiver<bool>,
) -> ApiResult<PollStats> {
    if configs.is_empty() {
        return Ok(PollStats::default());
    }
    let mut recorder = retry_store(
        health,
        Task::Sensors,
        &stop,
        "registering the sensors",
        || recorder::Recorder::new(store, venue, configs),
    )
    .await?;
    let devices = polled(configs, secrets, venue, &mut recorder);
    retry_store(
        health,
        Task::Sensors,
        &stop,
        "saving the sensors' state",
        || recorder.flush(),
    )
    .await?;
    // Polling and pushes stop when asked to, or when recording has ended.
    let (recording_ended, ended) = watch::channel(false);
    let stop_or_ended = || {
        let (stop, mut ended) = (stop.clone(), ended.clone());
        async move {
            tokio::select! {
                () = stopped(&stop) => {}
                _ = ended.wait_for(|e| *e) => {}
            }
        }
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let (push_tx, mut push_rx) = mpsc::channel(256);
    let poller = Poller::run(devices, tx, stop_or_ended());
    let push_configs: Vec<SensorConfig> = configs
        .iter()
        .filter(|c| !c.kind.is_polled())
        .cloned()
        .collect();
    let push_stop = stop_or_ended();
    let pushes = async move {
        if !push_configs.is_empty() {
            venue_sensors::subscribe(push_configs, push_tx, push_stop).await;
        }
    };
    let prune = |store: &StoreHandle| {
        let before = Utc::now() - chrono::Duration::days(i64::from(retention_days));
        match store.with(|s| s.prune_sensor_readings(before)) {
            Ok(n) if n > 0 => {
                tracing::info!(readings = n, "pruned raw sensor readings past retention")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning sensor readings failed"),
        }
    };
    prune(store);
    let record = async {
        let mut next_prune = tokio::time::Instant::now() + Duration::from_secs(24 * 3600);
        let mut polls_open = true;
        let mut pushes_open = true;
        loop {
            tokio::select! {
                () = stopped(&stop) => break,
                // The poller's channel closes when it has no device to poll.
                event = rx.recv(), if polls_open => match event {
                    Some(event) => {
                        recorder.on_event(event)?;
                        // Polls are spread over the interval: gather what arrives in the next
                        // moment into the same transaction (a tenth of a second changes no
                        // count, and saves hundreds of commits a minute at a thousand doors).
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        while let Ok(more) = rx.try_recv() {
                            recorder.on_event(more)?;
                        }
                        record_pending(&mut recorder, health, &stop).await?;
                    }
                    None => polls_open = false,
                },
                // Once the push side has ended (or there was none) its channel is closed;
                // polling it again would spin.
                push = push_rx.recv(), if pushes_open => match push {
                    Some(Ok(batch)) => {
                        recorder.on_push(&batch.device, &batch.buckets, batch.occupancy)?;
                        record_pending(&mut recorder, health, &stop).await?;
                    }
                    Some(Err(reason)) => tracing::warn!(%reason, "sensor push skipped"),
                    None => pushes_open = false,
                },
                _ = tokio::time::sleep_until(next_prune) => {
                    prune(store);
                    next_prune = tokio::time::Instant::now() + Duration::from_secs(24 * 3600);
                }
            }
        }
        // Asked to stop: one last write of what is pending, then the doors are free to count.
        recorder.flush()?;
        recorder.release()
    };
    let record = async {
        let result = record.await;
        let _ = recording_ended.send(true);
        result
    };
    let (stats, (), result) = tokio::join!(poller, pushes, record);
    tracing::info!(
        polls = stats.polls,
        failures = stats.failures,
        missed = stats.missed,
        overlapping = stats.overlapping,
        "sensor polling stopped"
    );
    result.map(|()| stats)
}

/// Writes what the recorder holds, retrying while the store is busy (the readings stay pending
/// meanwhile: nothing is lost).
async fn record_pending(
    recorder: &mut recorder::Recorder<'_>,
    health: &TaskHealth,
    stop: &watch::Receiver<bool>,
) -> ApiResult<()> {
    retry_store(health, Task::Sensors, stop, "recording door counts", || {
        recorder.flush()
    })
    .await?;
    health.recovered(Task::Sensors);
    Ok(())
}

impl Console {
    /// Polls the sensors (and takes pushes) until `stop` turns true: what `venue run` does,
    /// on its own, for tests.
    pub fn sensors_live(&mut self, stop: watch::Receiver<bool>) -> ApiResult<PollStats> {
        let venue = self.venue()?;
        let configs = self.config.sensor.clone();
        let retention = self.config.retention.sensor_readings_days;
        let secrets = self.secrets.as_deref();
        let store = self.side.fork();
        let health = TaskHealth::default();
        crate::supervisor::runtime::shared()?.block_on(sensors_live(
            &store, secrets, &venue, &configs, retention, &health, stop,
        ))
    }

    /// The configured sensors and their last known state.
    pub fn sensors_list(&self) -> ApiResult<Vec<SensorListing>> {
        let venue = self.venue()?;
        let states = self.store.sensor_states(venue.id)?;
        Ok(self
            .config
            .sensor
            .iter()
            .map(|c| SensorListing {
                name: c.name.clone(),
                kind: kind_name(c),
                zone: c.zone.clone(),
                address: c.url.clone().or_else(|| c.topic.clone()),
                interval_seconds: c.interval_seconds,
                state: states.iter().find(|s| s.device == c.name).cloned(),
            })
            .collect())
    }

    /// Polls every HTTP sensor once now (push sensors are listened to by `venue run`) and
    /// writes what changed since the last poll.
    pub fn sensors_poll_once(&mut self) -> ApiResult<Vec<DeviceRound>> {
        let venue = self.venue()?;
        let configs: Vec<SensorConfig> = self.config.sensor.clone();
        if configs.is_empty() {
            return Err(ApiError::bad_input(
                "no sensors are configured: add a [[sensor]] block to venue.toml",
            ));
        }
        let secrets = self.secrets.as_deref();
        let store = self.side.fork();
        crate::supervisor::runtime::shared()?.block_on(async {
            let mut recorder = recorder::Recorder::new(&store, &venue, &configs)?;
            let devices = polled(&configs, secrets, &venue, &mut recorder);
            for event in Poller::poll_once(&devices).await {
                recorder.on_event(event)?;
            }
            recorder.flush()?;
            recorder.release()?;
            Ok(recorder
                .rounds()
                .into_iter()
                .filter(|r| {
                    configs
                        .iter()
                        .any(|c| c.name == r.device && c.kind.is_polled())
                })
                .collect())
        })
    }
}
