//! The poller: reads many counting devices on the local network at their intervals.
//!
//! One lightweight tokio task per device sleeps until its next tick on a fixed schedule
//! (`first tick + k × interval`, so the phase never drifts), polls, reports, and sleeps again.
//! Because a device's polls run inside its own task one after the other, two polls of one device
//! can never be in flight; ticks that pass while a poll (or a slow event consumer) holds the task
//! are skipped and counted as missed. First ticks are spread over one interval with a seeded RNG
//! so a thousand devices do not fire in the same millisecond.
//!
//! The poller reports raw samples and device history only; turning cumulative counters into
//! readings is the integrator's job.

mod schedule;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::stream::{self, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};

use crate::device::{CounterDevice, CounterSample, HistoryBucket, SensorError};

use self::schedule::Schedule;

/// At most this many polls in flight during [`Poller::poll_once`] (a venue's LAN and the devices'
/// small web servers do not like a thousand simultaneous requests).
pub const POLL_ONCE_CONCURRENCY: usize = 64;

/// Fixed seed of the start-up jitter: reproducible spreads make scheduling problems reproducible.
const JITTER_SEED: u64 = 0x5EED_C0DE_7E11_1EA5;

/// How often and how patiently one device is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSettings {
    /// Time between two ticks (clamped to at least 1 ms so a zero cannot spin the task).
    pub interval: Duration,
    /// Per-request timeout around `live()` (and around `history()` when backfilling).
    pub timeout: Duration,
    /// Consecutive failures after which the device is reported offline (0 counts as 1).
    pub offline_after: u32,
    /// Upper bound of the backoff while offline (rounded up to whole intervals; default 5 min).
    pub max_backoff: Duration,
    /// A sample further than this from the previous one means an outage: ask the history.
    pub gap_after: Duration,
}

impl PollSettings {
    /// Defaults for a device polled every `interval`: timeout = min(interval, 10 s), offline
    /// after 3 failures, backoff up to 5 min, a gap is more than 3 intervals.
    pub fn every(interval: Duration) -> Self {
        Self {
            interval,
            timeout: interval.min(Duration::from_secs(10)),
            offline_after: 3,
            max_backoff: Duration::from_secs(5 * 60),
            gap_after: interval.saturating_mul(3),
        }
    }

    fn normalized(self) -> Self {
        Self {
            interval: self.interval.max(Duration::from_millis(1)),
            offline_after: self.offline_after.max(1),
            ..self
        }
    }
}

impl Default for PollSettings {
    fn default() -> Self {
        Self::every(Duration::from_secs(60))
    }
}

/// A device with its settings and the last sample known (restored from the store, so that a
/// console restart backfills the time it was down).
#[derive(Clone)]
pub struct PolledDevice {
    pub device: Arc<dyn CounterDevice>,
    pub settings: PollSettings,
    pub last_sample: Option<CounterSample>,
}

impl PolledDevice {
    pub fn new(device: Arc<dyn CounterDevice>, settings: PollSettings) -> Self {
        Self {
            device,
            settings,
            last_sample: None,
        }
    }
}

impl fmt::Debug for PolledDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolledDevice")
            .field("device", &self.device.name())
            .field("settings", &self.settings)
            .field("last_sample", &self.last_sample)
            .finish()
    }
}

/// What the poller reports, in the order it happened for each device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollEvent {
    Sample {
        device: String,
        sample: CounterSample,
        latency: Duration,
    },
    /// A gap was found (first sample after an outage of the device or of the console): the
    /// device's history over [from, to) — or the error asking for it (backfill is best effort;
    /// the caller then counts the whole gap as one delta). Always sent before the `Sample` that
    /// revealed the gap; `to` is that sample's time.
    Backfill {
        device: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        buckets: Result<Vec<HistoryBucket>, SensorError>,
    },
    /// Availability changed: sent once on the change, never per failure.
    Offline {
        device: String,
        error: SensorError,
        failures: u32,
    },
    /// First success after `Offline`; `after` counts from the first failure of the streak.
    Online { device: String, after: Duration },
    /// Credentials refused: this device's polling stops until restarted/reconfigured (retrying
    /// could lock the device's account); the caller raises an alert.
    AuthFailed { device: String, error: SensorError },
    /// Every failed poll (for metrics), including the ones that did not change availability and
    /// the refused one that precedes `AuthFailed`.
    Failed { device: String, error: SensorError },
}

impl PollEvent {
    /// The device the event is about.
    pub fn device(&self) -> &str {
        match self {
            Self::Sample { device, .. }
            | Self::Backfill { device, .. }
            | Self::Offline { device, .. }
            | Self::Online { device, .. }
            | Self::AuthFailed { device, .. }
            | Self::Failed { device, .. } => device,
        }
    }
}

/// Counters of a [`Poller::run`], summed over all devices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Calls of `live()`.
    pub polls: u64,
    pub failures: u64,
    /// Ticks skipped because the previous poll of that device was still running (or its events
    /// were waiting for the consumer), plus ticks served later than the tolerance
    /// (a tenth of the interval, at least 5 ms). Backoff skips are intentional and not counted.
    pub missed: u64,
    /// Two polls of one device in flight. Impossible by construction; counted to prove it.
    pub overlapping: u64,
    /// Worst delay between a tick's scheduled time and the moment its task woke up.
    pub max_lateness: Duration,
}

impl PollStats {
    fn add(&mut self, other: &PollStats) {
        self.polls += other.polls;
        self.failures += other.failures;
        self.missed += other.missed;
        self.overlapping += other.overlapping;
        self.max_lateness = self.max_lateness.max(other.max_lateness);
    }
}

/// Polls counting devices. See the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Poller;

impl Poller {
    /// Polls every device at its interval until `stop` resolves; events go to `tx` (bounded: if
    /// the consumer is slow, polling waits and the ticks that pass are counted as missed).
    /// Returns the stats. Also returns, without waiting for `stop`, once no device is left to
    /// poll (all refused their credentials) or the receiver was dropped. Devices whose name
    /// repeats an earlier one are ignored, so one device is never polled by two tasks.
    pub async fn run(
        devices: Vec<PolledDevice>,
        tx: mpsc::Sender<PollEvent>,
        stop: impl Future<Output = ()> + Send,
    ) -> PollStats {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut rng = fastrand::Rng::with_seed(JITTER_SEED);
        let start = Instant::now();
        let mut tasks = JoinSet::new();
        let mut names = HashSet::with_capacity(devices.len());
        for polled in devices {
            if !names.insert(polled.device.name().to_owned()) {
                tracing::warn!(
                    device = polled.device.name(),
                    "device listed twice; polling it once"
                );
                continue;
            }
            let settings = polled.settings.normalized();
            let first = start + jitter(&mut rng, settings.interval);
            let task = DeviceTask::new(polled, settings, first);
            tasks.spawn(task.run(tx.clone(), stop_rx.clone()));
        }
        // Only the tasks hold senders now: when they all end, the receiver sees the end too.
        drop(tx);

        let mut stats = PollStats::default();
        let mut stop = std::pin::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                joined = tasks.join_next() => match joined {
                    Some(result) => collect(&mut stats, result),
                    None => return stats,
                },
            }
        }
        // Receivers may all be gone already (tasks ended); nothing to tell them then.
        let _ = stop_tx.send(true);
        while let Some(result) = tasks.join_next().await {
            collect(&mut stats, result);
        }
        stats
    }

    /// One round: every device polled once (concurrently, at most [`POLL_ONCE_CONCURRENCY`] at a
    /// time), events returned in device order. Per device: `Sample` (preceded by `Backfill` when
    /// `last_sample` reveals a gap), `Failed`, or `AuthFailed` when credentials are refused.
    /// There is no availability state in one round, so no `Offline`/`Online`.
    pub async fn poll_once(devices: &[PolledDevice]) -> Vec<PollEvent> {
        let per_device: Vec<OnceEvents> = stream::iter(devices)
            .map(poll_one)
            .buffered(POLL_ONCE_CONCURRENCY)
            .collect()
            .await;
        let mut events = Vec::with_capacity(devices.len());
        for (backfill, outcome) in per_device {
            events.extend(backfill);
            events.push(outcome);
        }
        events
    }
}

/// A device's events in one round of `poll_once`: the optional backfill, then the outcome.
type OnceEvents = (Option<PollEvent>, PollEvent);

async fn poll_one(polled: &PolledDevice) -> OnceEvents {
    let settings = polled.settings.normalized();
    let device = polled.device.as_ref();
    let started = Instant::now();
    match live(device, settings.timeout).await {
        Ok(sample) => {
            let latency = started.elapsed();
            let backfill = match polled.last_sample {
                Some(prev) => backfill(device, &settings, &prev, &sample).await,
                None => None,
            };
            let outcome = PollEvent::Sample {
                device: device.name().to_owned(),
                sample,
                latency,
            };
            (backfill, outcome)
        }
        Err(error) if error.is_auth() => {
            let device = device.name().to_owned();
            (None, PollEvent::AuthFailed { device, error })
        }
        Err(error) => {
            let device = device.name().to_owned();
            (None, PollEvent::Failed { device, error })
        }
    }
}

fn collect(stats: &mut PollStats, joined: Result<PollStats, tokio::task::JoinError>) {
    match joined {
        Ok(task_stats) => stats.add(&task_stats),
        // A panicking device implementation loses its own stats, not everyone's.
        Err(error) => tracing::error!(%error, "a device's polling task failed"),
    }
}

/// A uniform offset in [0, interval) for a device's first tick.
fn jitter(rng: &mut fastrand::Rng, interval: Duration) -> Duration {
    let nanos = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rng.u64(0..nanos.max(1)))
}

/// `live()` under the per-request timeout; dropping the future on timeout cancels the request.
async fn live(device: &dyn CounterDevice, timeout: Duration) -> Result<CounterSample, SensorError> {
    match tokio::time::timeout(timeout, device.live()).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(device, timeout)),
    }
}

fn timed_out(device: &dyn CounterDevice, timeout: Duration) -> SensorError {
    SensorError::Timeout {
        device: device.name().to_owned(),
        millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
    }
}

/// The `Backfill` event when `sample` lies more than `gap_after` after `prev`, else `None`.
async fn backfill(
    device: &dyn CounterDevice,
    settings: &PollSettings,
    prev: &CounterSample,
    sample: &CounterSample,
) -> Option<PollEvent> {
    let limit = TimeDelta::from_std(settings.gap_after).unwrap_or(TimeDelta::MAX);
    // A sample at or before the previous one (device clock set back) is no gap to fill.
    if sample.at - prev.at <= limit {
        return None;
    }
    let (from, to) = (prev.at, sample.at);
    let buckets = match tokio::time::timeout(settings.timeout, device.history(from, to)).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(device, settings.timeout)),
    };
    Some(PollEvent::Backfill {
        device: device.name().to_owned(),
        from,
        to,
        buckets,
    })
}

/// The state of one device's polling task.
struct DeviceTask {
    device: Arc<dyn CounterDevice>,
    settings: PollSettings,
    schedule: Schedule,
    last: Option<CounterSample>,
    /// Consecutive failures.
    failures: u32,
    /// When the current failure streak began (for `Online::after`).
    failing_since: Option<Instant>,
    offline: bool,
    /// The failure of the streak at which the device went offline (the backoff grows from it).
    offline_at: u32,
    in_flight: bool,
    stats: PollStats,
}

impl DeviceTask {
    fn new(polled: PolledDevice, settings: PollSettings, first_tick: Instant) -> Self {
        Self {
            schedule: Schedule::new(first_tick, &settings),
            device: polled.device,
            settings,
            last: polled.last_sample,
            failures: 0,
            failing_since: None,
            offline: false,
            offline_at: 0,
            in_flight: false,
            stats: PollStats::default(),
        }
    }

    /// Polls until stopped, auth refusal or a dropped receiver; returns this device's stats.
    async fn run(
        mut self,
        tx: mpsc::Sender<PollEvent>,
        mut stop: watch::Receiver<bool>,
    ) -> PollStats {
        let stopped = tokio::select! {
            // Stop wins over a due tick: no new request once the console is shutting down.
            biased;
            _ = stop.wait_for(|stopped| *stopped) => true,
            _ = self.poll_loop(&tx) => false,
        };
        if stopped {
            // Ticks that passed while the interrupted poll (or a full channel) held the task.
            let backoff = self.backoff_steps();
            self.stats.missed += self.schedule.advance(backoff, Instant::now());
        }
        self.stats
    }

    async fn poll_loop(&mut self, tx: &mpsc::Sender<PollEvent>) -> ControlFlow<()> {
        loop {
            let tick = self.schedule.next_tick();
            sleep_until(tick).await;
            let lateness = Instant::now().saturating_duration_since(tick);
            self.stats.max_lateness = self.stats.max_lateness.max(lateness);
            if lateness > self.schedule.tolerance() {
                self.stats.missed += 1;
            }
            self.poll(tx).await?;
            let backoff = self.backoff_steps();
            self.stats.missed += self.schedule.advance(backoff, Instant::now());
        }
    }

    async fn poll(&mut self, tx: &mpsc::Sender<PollEvent>) -> ControlFlow<()> {
        if self.in_flight {
            self.stats.overlapping += 1;
        }
        self.in_flight = true;
        self.stats.polls += 1;
        let started = Instant::now();
        let result = live(self.device.as_ref(), self.settings.timeout).await;
        self.in_flight = false;
        match result {
            Ok(sample) => self.succeeded(sample, started.elapsed(), tx).await,
            Err(error) => self.failed(error, started, tx).await,
        }
    }

    async fn succeeded(
        &mut self,
        sample: CounterSample,
        latency: Duration,
        tx: &mpsc::Sender<PollEvent>,
    ) -> ControlFlow<()> {
        let failing_since = self.failing_since.take();
        self.failures = 0;
        if std::mem::take(&mut self.offline) {
            let after = failing_since.map_or(Duration::ZERO, |since| since.elapsed());
            let device = self.name();
            send(tx, PollEvent::Online { device, after }).await?;
        }
        if let Some(prev) = self.last {
            if let Some(event) =
                backfill(self.device.as_ref(), &self.settings, &prev, &sample).await
            {
                send(tx, event).await?;
            }
        }
        self.last = Some(sample);
        let device = self.name();
        send(
            tx,
            PollEvent::Sample {
                device,
                sample,
                latency,
            },
        )
        .await
    }

    async fn failed(
        &mut self,
        error: SensorError,
        started: Instant,
        tx: &mpsc::Sender<PollEvent>,
    ) -> ControlFlow<()> {
        self.stats.failures += 1;
        self.failures = self.failures.saturating_add(1);
        self.failing_since.get_or_insert(started);
        let device = self.name();
        let event = PollEvent::Failed {
            device,
            error: error.clone(),
        };
        send(tx, event).await?;
        if error.is_auth() {
            let device = self.name();
            send(tx, PollEvent::AuthFailed { device, error }).await?;
            return ControlFlow::Break(());
        }
        // A failure that will not pass by itself (see `SensorError::is_transient`) is shown at
        // once rather than after `offline_after` polls that could only fail the same way.
        if !self.offline && (self.failures >= self.settings.offline_after || !error.is_transient())
        {
            self.offline = true;
            self.offline_at = self.failures;
            let (device, failures) = (self.name(), self.failures);
            let event = PollEvent::Offline {
                device,
                error,
                failures,
            };
            send(tx, event).await?;
        }
        ControlFlow::Continue(())
    }

    /// How many intervals to wait before the next attempt: 1 normally, then 2, 4, 8, … while
    /// offline, capped at `max_backoff`.
    fn backoff_steps(&self) -> u32 {
        if !self.offline {
            return 1;
        }
        let doublings = self.failures.saturating_sub(self.offline_at) + 1;
        schedule::backoff_steps(doublings, &self.settings)
    }

    fn name(&self) -> String {
        self.device.name().to_owned()
    }
}

/// Sends one event, waiting while the channel is full; `Break` once nobody listens any more.
async fn send(tx: &mpsc::Sender<PollEvent>, event: PollEvent) -> ControlFlow<()> {
    match tx.send(event).await {
        Ok(()) => ControlFlow::Continue(()),
        Err(_) => ControlFlow::Break(()),
    }
}
