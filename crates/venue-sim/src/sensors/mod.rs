//! Fake people counters (door sensors): AXIS People Counter, AXIS P8815-2 3D People Counter and
//! Xovis PC v5 devices, all served by one listener on 127.0.0.1 under `/dev/<name>`, with
//! seeded foot traffic, per-minute history, MQTT pushes and fault injection. See the crate docs.

mod auth;
mod device;
mod faults;
mod http;
mod mqtt;
mod render;
mod traffic;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use tokio::task::JoinHandle;

pub use faults::SensorFault;

use crate::faults::Times;
use crate::server::lock;
use crate::SimError;
use device::Device;
use http::SensorShared;

/// The kind of people counter a simulated device is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterKind {
    /// AXIS People Counter (ACAP): `GET /local/tvpc/.api?live-sum.json` (older firmware
    /// `/local/people-counter/.api?live-sum.json`), HTTP Digest.
    AxisPeopleCounter,
    /// AXIS P8815-2 3D People Counter: `GET /a3dpc/api/occupancy`,
    /// `GET /a3dpc/api/export/json?start=&end=&resolution=`, HTTP Digest.
    Axis3d,
    /// Xovis PC (firmware 5.x): `GET /api/v5/logics`, `GET /api/v5/logics/{id}/records`,
    /// HTTP Basic; pushes over MQTT.
    Xovis,
}

impl CounterKind {
    /// The path (after the device's base URL) its live counts are read from.
    pub fn live_path(self) -> &'static str {
        match self {
            CounterKind::AxisPeopleCounter => "/local/tvpc/.api?live-sum.json",
            CounterKind::Axis3d => "/a3dpc/api/occupancy",
            CounterKind::Xovis => "/api/v5/logics",
        }
    }
}

/// One simulated device.
#[derive(Clone, Debug, PartialEq)]
pub struct SimDeviceSpec {
    /// Unique name; the device is served under `/dev/<name>` (percent-encoded).
    pub name: String,
    pub kind: CounterKind,
    /// The area it counts (informational: "Lobby", "Bar"...).
    pub zone: String,
    /// People through the door at the busiest hour of the week.
    pub peak_per_hour: u32,
}

impl SimDeviceSpec {
    /// A device spec from its parts.
    pub fn new(name: &str, kind: CounterKind, zone: &str, peak_per_hour: u32) -> SimDeviceSpec {
        SimDeviceSpec {
            name: name.to_string(),
            kind,
            zone: zone.to_string(),
            peak_per_hour,
        }
    }
}

/// What to simulate and how to serve it. Build with struct-update syntax:
///
/// ```
/// use venue_sim::{CounterKind, SensorSimConfig, SimDeviceSpec};
/// let cfg = SensorSimConfig {
///     devices: vec![SimDeviceSpec::new("door", CounterKind::Xovis, "Lobby", 120)],
///     ..Default::default()
/// };
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SensorSimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Seed of serial numbers and foot traffic.
    pub seed: u64,
    pub devices: Vec<SimDeviceSpec>,
    /// Device-local time: AXIS timestamps, history bucket bounds, midnight resets, and the
    /// venue's opening hours for the traffic.
    pub timezone: chrono_tz::Tz,
    /// The user every device accepts.
    pub username: String,
    /// Its password.
    pub password: String,
    /// How much faster than real time the traffic's day runs (1.0: real time).
    pub speedup: f64,
}

impl Default for SensorSimConfig {
    /// Three devices (one of each kind) at a venue in Amsterdam.
    fn default() -> Self {
        SensorSimConfig {
            port: 0,
            seed: 42,
            devices: vec![
                SimDeviceSpec::new("front-door", CounterKind::AxisPeopleCounter, "Lobby", 240),
                SimDeviceSpec::new("bar-entrance", CounterKind::Axis3d, "Bar", 150),
                SimDeviceSpec::new("terrace", CounterKind::Xovis, "Terrace", 90),
            ],
            timezone: chrono_tz::Europe::Amsterdam,
            username: "root".to_string(),
            password: "sim-sensor-pass".to_string(),
            speedup: 1.0,
        }
    }
}

impl SensorSimConfig {
    fn validate(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::Config(m));
        if self.username.is_empty() || self.username.contains(':') || self.password.is_empty() {
            return bad("username (without ':') and password must not be empty".into());
        }
        if !self.speedup.is_finite() || self.speedup <= 0.0 || self.speedup > 100_000.0 {
            return bad("speedup must be above 0 and at most 100000".into());
        }
        let mut seen = std::collections::HashSet::new();
        for d in &self.devices {
            if d.name.is_empty() || d.name.chars().any(char::is_control) {
                return bad(format!("bad device name {:?}", d.name));
            }
            if !seen.insert(d.name.as_str()) {
                return bad(format!("two devices are named {:?}", d.name));
            }
            if d.peak_per_hour > 1_000_000 {
                return bad(format!("{}: peak_per_hour must be at most 1000000", d.name));
            }
        }
        Ok(())
    }
}

/// Starts people-counter simulators.
pub struct SensorSimulator;

impl SensorSimulator {
    /// Serves every configured device on 127.0.0.1 (`config.port`, 0 for any free port) on the
    /// current tokio runtime. Traffic is off until [`SensorSimHandle::start_traffic`].
    pub async fn start(config: SensorSimConfig) -> Result<SensorSimHandle, SimError> {
        config.validate()?;
        let rt =
            tokio::runtime::Handle::try_current().map_err(|e| SimError::Runtime(e.to_string()))?;
        let listener = crate::server::bind(config.port).await?;
        let addr = listener.local_addr().map_err(|e| SimError::Bind {
            port: config.port,
            source: e,
        })?;
        let order: Vec<Arc<Device>> = config
            .devices
            .iter()
            .enumerate()
            .map(|(i, spec)| Arc::new(Device::new(spec.clone(), i, config.seed, config.timezone)))
            .collect();
        let devices: HashMap<String, Arc<Device>> = order
            .iter()
            .map(|d| (d.spec.name.clone(), d.clone()))
            .collect();
        let secret = format!("{:032x}", fastrand::u128(..));
        let shared = Arc::new(SensorShared {
            cfg: config,
            devices,
            order,
            port: addr.port(),
            secret,
            total_requests: Default::default(),
            stopping: tokio::sync::watch::channel(false).0,
            release: tokio::sync::watch::channel(0).0,
        });
        let task = http::spawn(&rt, shared.clone(), listener);
        Ok(SensorSimHandle {
            shared,
            addr,
            rt,
            server: Mutex::new(Some(task)),
            traffic: Mutex::new(None),
        })
    }

    /// Like [`SensorSimulator::start`], for synchronous code: runs on a runtime of its own (two
    /// worker threads) that lives as long as the returned [`BackgroundSensorSim`].
    pub fn start_in_background(config: SensorSimConfig) -> Result<BackgroundSensorSim, SimError> {
        let rt = crate::background_runtime("venue-sim-sensors")?;
        let handle = rt.block_on(SensorSimulator::start(config))?;
        Ok(BackgroundSensorSim {
            handle,
            rt: Some(rt),
        })
    }
}

/// A running (or stopped, restartable) people-counter simulator. Dropping it stops the server
/// and the traffic.
pub struct SensorSimHandle {
    shared: Arc<SensorShared>,
    addr: SocketAddr,
    rt: tokio::runtime::Handle,
    server: Mutex<Option<JoinHandle<()>>>,
    traffic: Mutex<Option<JoinHandle<()>>>,
}

impl SensorSimHandle {
    /// `http://127.0.0.1:PORT/dev/<name>` (no trailing slash): the device's paths follow, e.g.
    /// `{base}/local/tvpc/.api?live-sum.json`. `None` for an unknown device.
    pub fn base_url(&self, device: &str) -> Option<String> {
        self.shared.device(device)?;
        Some(format!(
            "http://127.0.0.1:{}{}",
            self.shared.port,
            http::device_prefix(device)
        ))
    }

    /// The bound address (one port for every device).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it runs with (credentials included).
    pub fn config(&self) -> &SensorSimConfig {
        &self.shared.cfg
    }

    /// The device names, in configured order.
    pub fn device_names(&self) -> Vec<String> {
        self.shared
            .order
            .iter()
            .map(|d| d.spec.name.clone())
            .collect()
    }

    /// The device's serial number (AXIS style, e.g. `00408CAC512B`).
    pub fn serial(&self, device: &str) -> Option<String> {
        Some(self.shared.device(device)?.serial.clone())
    }

    /// Whether the server is accepting requests.
    pub fn is_running(&self) -> bool {
        lock(&self.server).is_some()
    }

    fn with_device<T>(&self, device: &str, f: impl FnOnce(&Device) -> T) -> Option<T> {
        self.shared.device(device).map(|d| f(d))
    }

    // ------------------------------------------------------------ counts

    /// The true people in / out the device counted since the simulator started, whatever its
    /// resets (ground truth for "no counts lost or doubled").
    pub fn totals(&self, device: &str) -> Option<(u64, u64)> {
        self.with_device(device, |d| {
            let s = lock(&d.state);
            (s.total_in, s.total_out)
        })
    }

    /// People inside now by the device's count (in − out since the simulator started).
    pub fn occupancy(&self, device: &str) -> Option<i64> {
        self.with_device(device, |d| lock(&d.state).occupancy())
    }

    /// The device's cumulative counters now, as its live endpoint reports them (since local
    /// midnight or the last reset).
    pub fn counters(&self, device: &str) -> Option<(u64, u64)> {
        self.with_device(device, |d| {
            let live = lock(&d.state).live();
            (live.cum_in, live.cum_out)
        })
    }

    /// People pass the door now (recorded in the current minute of the device's clock).
    pub fn walk(&self, device: &str, entries: u32, exits: u32) {
        self.with_device(device, |d| lock(&d.state).record(entries, exits));
    }

    /// The device's cumulative counters go back to 0 (a manual reset or a reboot); totals,
    /// history and pending pushes are kept.
    pub fn reset_counter(&self, device: &str) {
        self.with_device(device, |d| lock(&d.state).reset());
    }

    /// The device's own clock is off by `by` (added to any earlier jump) from now on: its
    /// timestamps, the minutes it files counts under, and its midnight.
    pub fn jump_clock(&self, device: &str, by: TimeDelta) {
        self.with_device(device, |d| lock(&d.state).jump_clock(by));
    }

    // ------------------------------------------------------------ traffic

    /// Starts realistic foot traffic on every device (a no-op if it runs): arrivals follow the
    /// venue's day in `timezone` (open 07:00–23:00, lunch and evening peaks, weekday
    /// differences) scaled by each device's `peak_per_hour`; people stay a while and leave; the
    /// traffic's day runs `speedup` times faster than real time. It goes on while the server is
    /// shut down (the devices keep counting).
    pub fn start_traffic(&self) {
        let mut slot = lock(&self.traffic);
        if slot.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let cfg = &self.shared.cfg;
        let tick = if cfg.speedup > 60.0 {
            Duration::from_millis(100)
        } else {
            Duration::from_millis(500)
        };
        *slot = Some(self.rt.spawn(traffic::run(
            self.shared.order.clone(),
            cfg.timezone,
            cfg.speedup,
            tick,
        )));
    }

    /// Stops the background traffic.
    pub fn stop_traffic(&self) {
        if let Some(task) = lock(&self.traffic).take() {
            task.abort();
        }
    }

    // ------------------------------------------------------------ MQTT

    /// Publishes the device's counts since its last successful publish (its start, the first
    /// time) as one Xovis v5 push (`{"logics_data": {"package_info", "logics": [zone logic with
    /// `balance`, line logic with `fw`/`bw`]}}`, one record per minute, the first and last
    /// clipped to the interval) to the MQTT broker at `broker` (`host:port`) on `topic`, QoS 1,
    /// and waits for the broker's acknowledgement. Counts are marked published only then.
    pub async fn publish_mqtt(
        &self,
        broker: &str,
        topic: &str,
        device: &str,
    ) -> Result<(), SimError> {
        let d = self
            .shared
            .device(device)
            .ok_or_else(|| SimError::UnknownDevice(device.to_string()))?
            .clone();
        let batch = lock(&d.state).push_batch();
        let payload = render::xovis_push(batch.id, d.agent_id, &batch.records);
        let body = serde_json::to_vec(&payload).map_err(|e| SimError::Mqtt(e.to_string()))?;
        let client_id = format!("venue-sim-{}-{:08x}", d.serial, fastrand::u32(..));
        mqtt::publish(broker, client_id, topic, body).await?;
        lock(&d.state).commit_push(&batch);
        Ok(())
    }

    // ------------------------------------------------------------ faults

    /// Queues a fault on a device; see [`SensorFault`] and [`Times`].
    pub fn inject(&self, device: &str, fault: SensorFault, times: Times) {
        self.with_device(device, |d| lock(&d.faults).push(fault, times));
    }

    /// Removes every queued fault and lets go of requests held by `Timeout`.
    pub fn clear_faults(&self) {
        for d in &self.shared.order {
            lock(&d.faults).clear();
        }
        self.shared.release.send_modify(|n| *n = n.wrapping_add(1));
    }

    // ------------------------------------------------------------ counters

    /// Requests that reached the device (faulted, refused and answered alike).
    pub fn requests(&self, device: &str) -> u64 {
        self.with_device(device, |d| d.requests.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Requests over the whole server (unknown paths included).
    pub fn total_requests(&self) -> u64 {
        self.shared.total_requests.load(Ordering::Relaxed)
    }

    /// The most requests to the device that were being served at the same moment.
    pub fn max_in_flight(&self, device: &str) -> u32 {
        self.with_device(device, |d| d.max_in_flight.load(Ordering::SeqCst))
            .unwrap_or(0)
    }

    /// Sets every request counter (and the in-flight maxima) back to 0.
    pub fn reset_requests(&self) {
        for d in &self.shared.order {
            d.requests.store(0, Ordering::Relaxed);
            d.max_in_flight.store(0, Ordering::SeqCst);
        }
        self.shared.total_requests.store(0, Ordering::Relaxed);
    }

    // ------------------------------------------------------------ lifecycle

    /// Stops accepting requests, releases held ones, closes every connection. Idempotent;
    /// counts, faults and counters are kept and the traffic goes on.
    pub async fn shutdown(&self) {
        self.shared.stopping.send_replace(true);
        let task = lock(&self.server).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Stops (if running) and serves again on the same port with the same devices, counts,
    /// faults and request counters, as when the network to the devices comes back (they kept
    /// counting meanwhile). For a device reboot, add [`SensorSimHandle::reset_counter`].
    pub async fn restart(&self) -> Result<(), SimError> {
        self.shutdown().await;
        let mut attempt = 0;
        let listener = loop {
            match crate::server::bind(self.addr.port()).await {
                Ok(l) => break l,
                Err(e) if attempt >= 40 => return Err(e),
                Err(_) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let task = http::spawn(&self.rt, self.shared.clone(), listener);
        *lock(&self.server) = Some(task);
        Ok(())
    }
}

impl Drop for SensorSimHandle {
    fn drop(&mut self) {
        self.shared.stopping.send_replace(true);
        if let Some(task) = lock(&self.traffic).take() {
            task.abort();
        }
    }
}

/// A people-counter simulator on a runtime of its own, for synchronous code; derefs to
/// [`SensorSimHandle`].
pub struct BackgroundSensorSim {
    handle: SensorSimHandle,
    rt: Option<tokio::runtime::Runtime>,
}

impl BackgroundSensorSim {
    /// Stops serving (blocking until in-flight requests are done).
    pub fn shutdown(&self) {
        if let Some(rt) = &self.rt {
            rt.block_on(self.handle.shutdown());
        }
    }

    /// Serves again on the same port with the same state.
    pub fn restart(&self) -> Result<(), SimError> {
        match &self.rt {
            Some(rt) => rt.block_on(self.handle.restart()),
            None => Err(SimError::Runtime("the runtime is gone".to_string())),
        }
    }

    /// [`SensorSimHandle::publish_mqtt`], blocking.
    pub fn publish_mqtt(&self, broker: &str, topic: &str, device: &str) -> Result<(), SimError> {
        match &self.rt {
            Some(rt) => rt.block_on(self.handle.publish_mqtt(broker, topic, device)),
            None => Err(SimError::Runtime("the runtime is gone".to_string())),
        }
    }
}

impl std::ops::Deref for BackgroundSensorSim {
    type Target = SensorSimHandle;

    fn deref(&self) -> &SensorSimHandle {
        &self.handle
    }
}

impl Drop for BackgroundSensorSim {
    fn drop(&mut self) {
        self.handle.shared.stopping.send_replace(true);
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn handles_can_be_shared_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<super::SensorSimHandle>();
        send_sync::<super::BackgroundSensorSim>();
    }
}
