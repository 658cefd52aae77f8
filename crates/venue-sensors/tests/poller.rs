//! The poller against fake devices (no network). Most tests run on tokio's paused clock, which
//! jumps straight to the next timer: they are fast and their timings exact.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::time::Instant;
use venue_sensors::{
    CounterDevice, CounterSample, HistoryBucket, PollEvent, PollSettings, PollStats, PolledDevice,
    Poller, SensorError,
};

const MS: Duration = Duration::from_millis(1);

fn base() -> DateTime<Utc> {
    DateTime::from_timestamp(1_748_779_200, 0).expect("a valid timestamp")
}

/// Counts concurrent calls and remembers the most seen at once.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

struct InFlightGuard<'a>(&'a InFlight);

impl InFlight {
    fn enter(&self) -> InFlightGuard<'_> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(self)
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

impl Drop for InFlightGuard<'_> {
    // Runs on cancellation too (timeout, stop), like a dropped HTTP request.
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Decides the outcome of a call from the time elapsed since the device was made.
type Script = Box<dyn Fn(Duration) -> Result<(), SensorError> + Send + Sync>;

struct FakeDevice {
    name: String,
    origin: Instant,
    /// How long `live()` takes.
    delay: Duration,
    script: Script,
    /// `None`: the device has no history endpoint.
    history: Option<Vec<HistoryBucket>>,
    calls: Mutex<Vec<Duration>>,
    history_calls: Mutex<Vec<(DateTime<Utc>, DateTime<Utc>)>>,
    in_flight: InFlight,
    shared_in_flight: Option<Arc<InFlight>>,
}

impl FakeDevice {
    fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            origin: Instant::now(),
            delay: Duration::ZERO,
            script: Box::new(|_| Ok(())),
            history: Some(Vec::new()),
            calls: Mutex::new(Vec::new()),
            history_calls: Mutex::new(Vec::new()),
            in_flight: InFlight::default(),
            shared_in_flight: None,
        }
    }

    fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    fn script(
        mut self,
        script: impl Fn(Duration) -> Result<(), SensorError> + Send + Sync + 'static,
    ) -> Self {
        self.script = Box::new(script);
        self
    }

    fn history(mut self, history: Option<Vec<HistoryBucket>>) -> Self {
        self.history = history;
        self
    }

    fn shared_in_flight(mut self, shared: Arc<InFlight>) -> Self {
        self.shared_in_flight = Some(shared);
        self
    }

    /// When each `live()` call started, relative to the device's creation.
    fn calls(&self) -> Vec<Duration> {
        self.calls.lock().expect("calls lock").clone()
    }

    fn unreachable(&self) -> SensorError {
        SensorError::Unreachable {
            device: self.name.clone(),
            url: "http://192.0.2.1/".into(),
            detail: "connection refused".into(),
        }
    }
}

impl CounterDevice for FakeDevice {
    fn name(&self) -> &str {
        &self.name
    }

    fn live(&self) -> BoxFuture<'_, Result<CounterSample, SensorError>> {
        Box::pin(async move {
            let elapsed = self.origin.elapsed();
            let call = {
                let mut calls = self.calls.lock().expect("calls lock");
                calls.push(elapsed);
                calls.len()
            };
            let _mine = self.in_flight.enter();
            let _shared = self.shared_in_flight.as_ref().map(|shared| shared.enter());
            tokio::time::sleep(self.delay).await;
            (self.script)(elapsed)?;
            Ok(CounterSample {
                at: base() + TimeDelta::from_std(self.origin.elapsed()).expect("short test"),
                total_in: call as u64,
                total_out: 0,
                occupancy: None,
            })
        })
    }

    fn history(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<HistoryBucket>, SensorError>> {
        Box::pin(async move {
            self.history_calls
                .lock()
                .expect("history lock")
                .push((from, to));
            self.history
                .clone()
                .ok_or_else(|| SensorError::Unsupported {
                    device: self.name.clone(),
                    what: "history".into(),
                })
        })
    }
}

fn settings(interval: Duration) -> PollSettings {
    PollSettings {
        timeout: Duration::from_secs(1),
        ..PollSettings::every(interval)
    }
}

fn polled(device: &Arc<FakeDevice>, settings: PollSettings) -> PolledDevice {
    PolledDevice::new(device.clone(), settings)
}

/// Runs the poller for `duration` with a consumer that keeps up; returns stats and all events.
async fn run_for(devices: Vec<PolledDevice>, duration: Duration) -> (PollStats, Vec<PollEvent>) {
    let (tx, mut rx) = mpsc::channel(256);
    let consumer = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(event) = rx.recv().await {
            events.push(event);
        }
        events
    });
    let stats = Poller::run(devices, tx, tokio::time::sleep(duration)).await;
    let events = consumer.await.expect("consumer");
    (stats, events)
}

fn of<'a>(events: &'a [PollEvent], device: &'a str) -> impl Iterator<Item = &'a PollEvent> + 'a {
    events.iter().filter(move |event| event.device() == device)
}

fn kind(event: &PollEvent) -> &'static str {
    match event {
        PollEvent::Sample { .. } => "sample",
        PollEvent::Backfill { .. } => "backfill",
        PollEvent::Offline { .. } => "offline",
        PollEvent::Online { .. } => "online",
        PollEvent::AuthFailed { .. } => "auth",
        PollEvent::Failed { .. } => "failed",
    }
}

fn gaps(calls: &[Duration]) -> Vec<Duration> {
    calls.windows(2).map(|pair| pair[1] - pair[0]).collect()
}

#[tokio::test(start_paused = true)]
async fn a_slow_device_is_never_polled_twice_at_once_and_missed_ticks_are_counted() {
    // Each poll takes 130 ms against a 50 ms interval.
    let slow = Arc::new(FakeDevice::new("slow").delay(130 * MS));
    let (stats, events) = run_for(
        vec![polled(&slow, settings(50 * MS))],
        Duration::from_secs(1),
    )
    .await;

    assert_eq!(slow.in_flight.max(), 1);
    assert_eq!(stats.overlapping, 0);
    let calls = slow.calls();
    // On the fixed grid: a poll ending 130 ms after its tick skips two ticks and takes the third.
    assert!(gaps(&calls).iter().all(|gap| *gap == 150 * MS), "{calls:?}");
    assert_eq!(calls.len(), 7, "{calls:?}");
    assert_eq!(stats.polls, 7);
    // Two skipped after each of the 6 finished polls, one more while the 7th ran into the stop.
    assert_eq!(stats.missed, 13);
    assert_eq!(
        of(&events, "slow").filter(|e| kind(e) == "sample").count(),
        6
    );
    assert!(stats.max_lateness <= MS, "{stats:?}");
}

#[tokio::test(start_paused = true)]
async fn offline_once_online_once_with_backoff_then_backfill() {
    let device = FakeDevice::new("door");
    let error = device.unreachable();
    // Unreachable from 1 s to 6 s after start.
    let device = device.script(move |at| {
        if (Duration::from_secs(1)..Duration::from_secs(6)).contains(&at) {
            Err(error.clone())
        } else {
            Ok(())
        }
    });
    let device = Arc::new(device);
    let settings = PollSettings {
        offline_after: 3,
        max_backoff: 800 * MS,
        gap_after: 300 * MS,
        ..settings(100 * MS)
    };
    let (stats, events) = run_for(vec![polled(&device, settings)], Duration::from_secs(8)).await;

    let calls = device.calls();
    let failing: Vec<usize> = (0..calls.len())
        .filter(|&i| (Duration::from_secs(1)..Duration::from_secs(6)).contains(&calls[i]))
        .collect();
    let (first_fail, last_fail) = (failing[0], failing[failing.len() - 1]);
    let recovery = last_fail + 1;
    // Interval, interval, then 2, 4, 8 intervals while offline, capped at 800 ms.
    let outage_gaps = gaps(&calls[first_fail..=recovery]);
    assert_eq!(
        outage_gaps[..5],
        [100 * MS, 100 * MS, 200 * MS, 400 * MS, 800 * MS],
        "{outage_gaps:?}"
    );
    assert!(
        outage_gaps.iter().all(|gap| *gap <= 800 * MS),
        "{outage_gaps:?}"
    );
    // Back to the interval after recovery.
    assert!(gaps(&calls[recovery..]).iter().all(|gap| *gap == 100 * MS));
    assert_eq!(stats.failures, failing.len() as u64);
    assert_eq!(stats.missed, 0);

    let kinds: Vec<&str> = events.iter().map(kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "failed").count(),
        failing.len()
    );
    assert_eq!(kinds.iter().filter(|k| **k == "offline").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "online").count(), 1);
    let offline = kinds.iter().position(|k| *k == "offline").expect("offline");
    // Sent right after the third consecutive failure.
    assert_eq!(kinds[offline - 3..offline], ["failed", "failed", "failed"]);
    assert!(
        matches!(&events[offline], PollEvent::Offline { failures: 3, error, .. } if matches!(error, SensorError::Unreachable { .. }))
    );
    let online = kinds.iter().position(|k| *k == "online").expect("online");
    let PollEvent::Online { after, .. } = &events[online] else {
        unreachable!()
    };
    assert_eq!(*after, calls[recovery] - calls[first_fail]);
    // The outage is a gap: the history of [last sample before, first sample after), first.
    assert_eq!(kinds[online..online + 3], ["online", "backfill", "sample"]);
    let PollEvent::Backfill {
        from, to, buckets, ..
    } = &events[online + 1]
    else {
        unreachable!()
    };
    let PollEvent::Sample { sample, .. } = &events[online + 2] else {
        unreachable!()
    };
    let PollEvent::Sample { sample: before, .. } = &events[online - 1 - failing.len() - 1] else {
        panic!("the sample before the outage: {kinds:?}");
    };
    assert_eq!((*from, *to), (before.at, sample.at));
    assert_eq!(buckets, &Ok(Vec::new()));
    assert_eq!(device.history_calls.lock().expect("lock").len(), 1);
}

/// A failure that will not pass by itself (a 404: the configured URL or path is wrong) shows the
/// device offline at its first failure and backs off from there; a passing one (a 503: the
/// device is busy) still waits for `offline_after` failures in a row.
#[tokio::test(start_paused = true)]
async fn a_lasting_failure_is_offline_at_once_a_passing_one_after_offline_after() {
    let answering = |name: &'static str, status: u16| {
        Arc::new(FakeDevice::new(name).script(move |_| {
            Err(SensorError::Http {
                device: name.into(),
                status,
                message: "no".into(),
            })
        }))
    };
    let (missing, busy) = (answering("missing", 404), answering("busy", 503));
    let settings = PollSettings {
        offline_after: 3,
        max_backoff: 800 * MS,
        ..settings(100 * MS)
    };
    let devices = vec![polled(&missing, settings), polled(&busy, settings)];
    let (_, events) = run_for(devices, Duration::from_secs(3)).await;

    let missing_kinds: Vec<&str> = of(&events, "missing").map(kind).collect();
    assert_eq!(
        missing_kinds[..2],
        ["failed", "offline"],
        "{missing_kinds:?}"
    );
    assert!(matches!(
        of(&events, "missing").nth(1),
        Some(PollEvent::Offline { failures: 1, .. })
    ));
    // 2, 4, 8 intervals from the first failure, capped at 800 ms.
    assert_eq!(
        gaps(&missing.calls())[..4],
        [200 * MS, 400 * MS, 800 * MS, 800 * MS]
    );
    let busy_kinds: Vec<&str> = of(&events, "busy").map(kind).collect();
    assert_eq!(
        busy_kinds[..4],
        ["failed", "failed", "failed", "offline"],
        "{busy_kinds:?}"
    );
    assert_eq!(busy_kinds.iter().filter(|k| **k == "offline").count(), 1);
}

#[tokio::test(start_paused = true)]
async fn unauthorized_stops_that_device_only() {
    let locked = Arc::new(FakeDevice::new("locked").script(|_| {
        Err(SensorError::Unauthorized {
            device: "locked".into(),
            status: 401,
        })
    }));
    let fine = Arc::new(FakeDevice::new("fine"));
    let settings = settings(100 * MS);
    let devices = vec![polled(&locked, settings), polled(&fine, settings)];
    let (stats, events) = run_for(devices, Duration::from_secs(1)).await;

    assert_eq!(locked.calls().len(), 1, "never retried");
    let locked_kinds: Vec<&str> = of(&events, "locked").map(kind).collect();
    assert_eq!(locked_kinds, ["failed", "auth"]);
    assert_eq!(fine.calls().len(), 10);
    assert_eq!(
        of(&events, "fine").filter(|e| kind(e) == "sample").count(),
        10
    );
    assert_eq!((stats.polls, stats.failures), (11, 1));
}

#[tokio::test(start_paused = true)]
async fn run_returns_when_no_device_is_left() {
    let refuse = |name: &'static str| {
        Arc::new(FakeDevice::new(name).script(move |_| {
            Err(SensorError::Unauthorized {
                device: name.into(),
                status: 403,
            })
        }))
    };
    let devices = vec![
        polled(&refuse("a"), settings(100 * MS)),
        polled(&refuse("b"), settings(100 * MS)),
    ];
    let (tx, mut rx) = mpsc::channel(8);
    let run = Poller::run(devices, tx, std::future::pending());
    let stats = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("run ends on its own");
    assert_eq!(stats.polls, 2);
    let mut count = 0;
    while rx.recv().await.is_some() {
        count += 1;
    }
    assert_eq!(
        count, 4,
        "Failed + AuthFailed each, then the channel closes"
    );
}

#[tokio::test(start_paused = true)]
async fn a_sample_restored_two_hours_ago_is_backfilled_before_the_sample() {
    let bucket = HistoryBucket {
        start: base() - TimeDelta::hours(2),
        end: base() - TimeDelta::hours(1),
        entries: 12,
        exits: 9,
    };
    let device = Arc::new(FakeDevice::new("lobby").history(Some(vec![bucket])));
    let restored = CounterSample {
        at: base() - TimeDelta::hours(2),
        total_in: 500,
        total_out: 480,
        occupancy: None,
    };
    let polled = PolledDevice {
        last_sample: Some(restored),
        ..polled(&device, settings(100 * MS))
    };
    let (_, events) = run_for(vec![polled], 250 * MS).await;

    let kinds: Vec<&str> = events.iter().map(kind).collect();
    assert_eq!(
        kinds,
        ["backfill", "sample", "sample", "sample"],
        "only the first sample is after a gap"
    );
    let PollEvent::Backfill {
        from, to, buckets, ..
    } = &events[0]
    else {
        unreachable!()
    };
    let PollEvent::Sample { sample, .. } = &events[1] else {
        unreachable!()
    };
    assert_eq!((*from, *to), (restored.at, sample.at));
    assert_eq!(buckets, &Ok(vec![bucket]));
    assert_eq!(
        *device.history_calls.lock().expect("lock"),
        [(restored.at, sample.at)]
    );
}

#[tokio::test(start_paused = true)]
async fn two_hundred_devices_paused_clock() {
    let devices: Vec<Arc<FakeDevice>> = (0..200)
        .map(|i| Arc::new(FakeDevice::new(format!("d{i}")).delay(2 * MS)))
        .collect();
    let list = devices
        .iter()
        .map(|d| polled(d, settings(50 * MS)))
        .collect();
    let (stats, _) = run_for(list, Duration::from_secs(2)).await;

    assert_eq!(stats.overlapping, 0);
    assert_eq!(stats.missed, 0);
    let mut total = 0;
    for device in &devices {
        let calls = device.calls();
        // Every tick of the grid before the stop: 40, or 39 when the first one came at 50 ms
        // (the timer rounds up to whole milliseconds).
        let expected = (2000 - calls[0].as_millis()).div_ceil(50) as usize;
        assert!(expected == 40 || expected == 39);
        assert_eq!(calls.len(), expected, "{}", device.name);
        assert!(gaps(&calls).iter().all(|gap| *gap == 50 * MS), "no drift");
        assert_eq!(device.in_flight.max(), 1);
        total += calls.len() as u64;
    }
    assert_eq!(stats.polls, total);
    assert_spread(&devices);
}

/// The same with real time on two worker threads, as in production.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_devices_real_clock() {
    let devices: Vec<Arc<FakeDevice>> = (0..200)
        .map(|i| Arc::new(FakeDevice::new(format!("d{i}")).delay(2 * MS)))
        .collect();
    let list = devices
        .iter()
        .map(|d| polled(d, settings(50 * MS)))
        .collect();
    let (stats, events) = run_for(list, Duration::from_secs(2)).await;

    assert_eq!(stats.overlapping, 0);
    for device in &devices {
        let polls = device.calls().len();
        assert!((36..=41).contains(&polls), "{}: {polls} polls", device.name);
        assert_eq!(device.in_flight.max(), 1);
    }
    assert!(events.iter().all(|e| kind(e) == "sample"));
    assert_spread(&devices);
}

/// First polls spread over the first interval: each fifth of it holds about a fifth of them.
fn assert_spread(devices: &[Arc<FakeDevice>]) {
    let mut fifths = [0usize; 5];
    for device in devices {
        let first = device.calls()[0];
        assert!(first < 60 * MS, "{}: first poll at {first:?}", device.name);
        fifths[(first.as_millis() as usize / 10).min(4)] += 1;
    }
    assert!(
        fifths.iter().all(|n| *n >= 20),
        "first polls per 10 ms: {fifths:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_consumer_makes_polling_wait() {
    let device = Arc::new(FakeDevice::new("busy"));
    // Room for one event, and nobody reads.
    let (tx, rx) = mpsc::channel(1);
    let stats = Poller::run(
        vec![polled(&device, settings(10 * MS))],
        tx,
        tokio::time::sleep(Duration::from_secs(1)),
    )
    .await;
    assert_eq!(stats.polls, 2, "the second sample waits for room");
    assert!(stats.missed >= 90, "{stats:?}");
    drop(rx);
}

#[tokio::test(start_paused = true)]
async fn poll_once_returns_one_event_per_device_in_order() {
    let shared = Arc::new(InFlight::default());
    let devices: Vec<Arc<FakeDevice>> = (0..100)
        .map(|i| {
            let name = format!("d{i:03}");
            let device = FakeDevice::new(name.clone())
                .delay(10 * MS)
                .shared_in_flight(shared.clone());
            let device = match i % 10 {
                3 => {
                    let error = device.unreachable();
                    device.script(move |_| Err(error.clone()))
                }
                7 => device.script(move |_| {
                    Err(SensorError::Unauthorized {
                        device: name.clone(),
                        status: 401,
                    })
                }),
                // Slower than the timeout.
                9 => device.delay(Duration::from_secs(5)),
                _ => device,
            };
            Arc::new(device)
        })
        .collect();
    let list: Vec<PolledDevice> = devices
        .iter()
        .map(|d| polled(d, settings(50 * MS)))
        .collect();
    let events = Poller::poll_once(&list).await;

    assert_eq!(events.len(), devices.len());
    for (i, (event, device)) in events.iter().zip(&devices).enumerate() {
        assert_eq!(event.device(), device.name);
        let expected = match i % 10 {
            3 => "failed",
            7 => "auth",
            9 => "failed",
            _ => "sample",
        };
        assert_eq!(kind(event), expected, "{event:?}");
        if i % 10 == 9 {
            assert!(matches!(
                event,
                PollEvent::Failed {
                    error: SensorError::Timeout { millis: 1000, .. },
                    ..
                }
            ));
        }
        assert_eq!(device.calls().len(), 1);
    }
    assert!(
        shared.max() <= 64,
        "at most 64 in flight, saw {}",
        shared.max()
    );
    assert!(shared.max() > 1, "concurrent");
}

#[tokio::test(start_paused = true)]
async fn poll_once_backfills_best_effort() {
    // No history endpoint, last sample long ago: the error is reported, then the sample.
    let no_history = Arc::new(FakeDevice::new("old").history(None));
    // Last sample recent (10 s < gap_after 30 s): no backfill.
    let recent = Arc::new(FakeDevice::new("recent"));
    let sample_at = |ago: TimeDelta| CounterSample {
        at: base() - ago,
        total_in: 1,
        total_out: 1,
        occupancy: None,
    };
    let settings = PollSettings {
        gap_after: Duration::from_secs(30),
        ..settings(Duration::from_secs(10))
    };
    let list = [
        PolledDevice {
            last_sample: Some(sample_at(TimeDelta::hours(5))),
            ..polled(&no_history, settings)
        },
        PolledDevice {
            last_sample: Some(sample_at(TimeDelta::seconds(10))),
            ..polled(&recent, settings)
        },
    ];
    let events = Poller::poll_once(&list).await;

    let kinds: Vec<(&str, &str)> = events.iter().map(|e| (e.device(), kind(e))).collect();
    assert_eq!(
        kinds,
        [("old", "backfill"), ("old", "sample"), ("recent", "sample")]
    );
    assert!(matches!(
        &events[0],
        PollEvent::Backfill {
            buckets: Err(SensorError::Unsupported { .. }),
            ..
        }
    ));
}
