//! `venue run`'s tasks survive a store that refuses writes for a while: another process holds a
//! write transaction (`BEGIN IMMEDIATE` and a write) for longer than the store's busy timeout,
//! against a real store file, while the simulators keep producing work. Afterwards everything
//! produced during and after the lock is stored (nothing lost), the task still runs, and the
//! failure was logged and recorded as a `console.task_failing` alert.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use support::MapSecrets;
use venue_core::{ApiResult, Console, FetchNowReceiver};
use venue_sim::{
    BackgroundMewsSim, BackgroundSensorSim, CounterKind, OrderSpec, PosSimulator, SensorSimConfig,
    SensorSimulator, SimConfig, SimDeviceSpec, Vendor,
};

/// How long this store waits for another process's write lock: short, so that the lock below
/// outlasts it many times over.
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);
/// How long the other process holds its write transaction.
const LOCK: Duration = Duration::from_secs(5);
/// Alerts after a task has failed for more than a second (the default is a minute).
const ALERT_AFTER_ONE_SECOND: &str =
    "[[alert_rule]]\nid = \"console.task_failing\"\nthreshold = 1\n";

/// A venue whose venue.toml ends with `blocks`, opened with `secrets` and a short busy timeout.
fn venue(blocks: &str, secrets: HashMap<String, String>) -> (tempfile::TempDir, Console) {
    let dir = support::init_venue(
        "USD",
        "Europe/London",
        &format!("{blocks}\n{ALERT_AFTER_ONE_SECOND}"),
    );
    let mut console = Console::open(dir.path())
        .expect("open")
        .with_secret_store(Box::new(MapSecrets(secrets)));
    console
        .set_store_busy_timeout(BUSY_TIMEOUT)
        .expect("busy timeout");
    (dir, console)
}

/// Log lines written by the scheduler's thread.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default()
    }
}

/// `venue run`'s loop on its own thread, logging into `Logs`, until the sender says stop.
struct Running {
    stop: tokio::sync::watch::Sender<bool>,
    thread: JoinHandle<ApiResult<()>>,
    logs: Logs,
    fetch_now: tokio::sync::mpsc::UnboundedSender<String>,
}

fn run(console: Console) -> Running {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (fetch_now, requests) = tokio::sync::mpsc::unbounded_channel::<String>();
    let logs = Logs::default();
    let writer = logs.clone();
    let thread = std::thread::spawn(move || {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_env_filter("info")
            .finish();
        tracing::subscriber::with_default(subscriber, move || {
            let console = console;
            let mut stopped = stopped;
            let mut requests: FetchNowReceiver = requests;
            console.run_scheduler_with(
                async move {
                    let _ = stopped.wait_for(|s| *s).await;
                },
                Some(&mut requests),
            )
        })
    });
    Running {
        stop,
        thread,
        logs,
        fetch_now,
    }
}

impl Running {
    fn assert_alive(&self, what: &str) {
        assert!(
            !self.thread.is_finished(),
            "{what}: the loop is still running\n{}",
            self.logs.text()
        );
    }

    fn stop(self) -> String {
        self.stop.send(true).expect("stop");
        let result = self.thread.join().expect("no panic");
        let logs = self.logs.text();
        assert!(
            result.is_ok(),
            "a stop ends the loop cleanly: {result:?}\n{logs}"
        );
        logs
    }
}

/// Holds a write transaction on the store file from another connection for `hold`, as another
/// process would; returns once the lock is taken.
fn hold_write_lock(db: &Path, hold: Duration) -> JoinHandle<()> {
    let (locked, is_locked) = std::sync::mpsc::channel();
    let db = db.to_path_buf();
    let holder = std::thread::spawn(move || {
        let conn = Connection::open(&db).expect("open the store file");
        conn.busy_timeout(Duration::from_secs(30)).expect("timeout");
        conn.execute_batch("BEGIN IMMEDIATE; UPDATE venues SET name = name;")
            .expect("take the write lock");
        locked.send(()).expect("tell");
        std::thread::sleep(hold);
        conn.execute_batch("ROLLBACK").expect("release");
    });
    is_locked.recv().expect("the lock was taken");
    holder
}

fn query(db: &Path, sql: &str) -> i64 {
    let conn = Connection::open(db).expect("open");
    conn.busy_timeout(Duration::from_secs(5)).expect("timeout");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

/// Waits until `sql` answers `want`, for at most `within`; returns the last answer.
fn wait_for(db: &Path, sql: &str, want: i64, within: Duration) -> i64 {
    let deadline = Instant::now() + within;
    loop {
        let got = query(db, sql);
        if got == want || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join(venue_store::DB_FILE)
}

/// The failure of `task` was recorded as a `console.task_failing` alert (open or resolved).
fn assert_failure_alerted(db: &Path, task: &str, logs: &Running) {
    let sql = format!(
        "SELECT count(*) FROM alerts WHERE dedupe_key = 'console.task_failing:{task}' AND severity = 'critical'"
    );
    assert_eq!(
        wait_for(db, &sql, 1, Duration::from_secs(30)),
        1,
        "the {task} task's failure is on the record as one alert\n{}",
        logs.logs.text()
    );
}

fn sensor_sim() -> BackgroundSensorSim {
    SensorSimulator::start_in_background(SensorSimConfig {
        devices: vec![SimDeviceSpec::new(
            "lobby",
            CounterKind::Axis3d,
            "lobby",
            500,
        )],
        timezone: chrono_tz::Europe::London,
        ..SensorSimConfig::default()
    })
    .expect("sensor simulator")
}

const ENTRIES: &str = "SELECT coalesce(sum(entries), 0) FROM sensor_readings";

/// Issue 16, item 4: one write lock longer than the busy timeout used to end the recorder's
/// task for good while polling went on: counts froze, devices looked online, no alert.
#[test]
fn door_counts_walked_in_during_a_long_write_lock_are_all_recorded() {
    let sim = sensor_sim();
    let block = format!(
        "[[sensor]]\nkind = \"axis-3d\"\nname = \"lobby\"\nurl = \"{}\"\nzone = \"lobby\"\ninterval_seconds = 1\ntimeout_ms = 2000\nusername = \"{}\"\n",
        sim.base_url("lobby").expect("device url"),
        sim.config().username
    );
    let (dir, console) = venue(
        &block,
        HashMap::from([("sensor-lobby".into(), sim.config().password.clone())]),
    );
    let db = db(&dir);
    let running = run(console);
    // The first poll is the baseline; readings start with the second.
    let deadline = Instant::now() + Duration::from_secs(20);
    while query(&db, "SELECT count(*) FROM sensor_readings") == 0 {
        assert!(
            Instant::now() < deadline,
            "no readings\n{}",
            running.logs.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    sim.walk("lobby", 5, 0);
    assert_eq!(wait_for(&db, ENTRIES, 5, Duration::from_secs(20)), 5);

    let lock = hold_write_lock(&db, LOCK);
    sim.walk("lobby", 7, 0);
    std::thread::sleep(LOCK / 2);
    sim.walk("lobby", 4, 0);
    lock.join().expect("lock released");
    sim.walk("lobby", 3, 0);

    assert_eq!(
        wait_for(&db, ENTRIES, 19, Duration::from_secs(60)),
        19,
        "every count walked in during and after the lock is recorded, once\n{}",
        running.logs.text()
    );
    running.assert_alive("after the lock");
    assert_failure_alerted(&db, "sensors", &running);
    // The alert rules were refused too while the lock lasted (opening the sensors' alert),
    // and are evaluated again after it: their own failure is on the record.
    assert_failure_alerted(&db, "alerts", &running);
    sim.walk("lobby", 2, 0);
    assert_eq!(wait_for(&db, ENTRIES, 21, Duration::from_secs(20)), 21);
    let logs = running.stop();
    assert!(
        logs.contains("recording door counts failed; retrying"),
        "each failure is logged\n{logs}"
    );
    assert!(logs.contains("task sensors works again"), "{logs}");
}

#[test]
fn sales_that_arrive_during_a_long_write_lock_are_fetched_after_it() {
    let today = chrono::Utc::now().date_naive();
    let sim = PosSimulator::start_in_background(SimConfig {
        start_date: today - chrono::Duration::days(1),
        days: 1,
        orders_per_day: 20,
        ..SimConfig::default()
    })
    .expect("POS simulator");
    let block = format!(
        "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"{}\"\n[connector.retry]\nbase_ms = 20\nmax_attempts = 3\n",
        sim.base_url()
    );
    let (dir, console) = venue(
        &block,
        HashMap::from([(
            "sq-access-token".into(),
            sim.config().square_access_token.clone(),
        )]),
    );
    let db = db(&dir);
    let running = run(console);
    let ok_runs = "SELECT count(*) FROM snapshots WHERE connector = 'sq' AND status = 'ok'";
    assert_eq!(
        wait_for(&db, ok_runs, 1, Duration::from_secs(30)),
        1,
        "{}",
        running.logs.text()
    );
    let before = query(&db, "SELECT count(*) FROM transactions");
    assert!(before > 0);

    let lock = hold_write_lock(&db, LOCK);
    for _ in 0..3 {
        sim.add_order(OrderSpec::new(Vendor::Square).closed_at(chrono::Utc::now()))
            .expect("a new sale");
    }
    // "Fetch now" while the store is locked: the run cannot even save its snapshot.
    running.fetch_now.send("sq".into()).expect("fetch now");
    lock.join().expect("lock released");

    assert_eq!(
        wait_for(
            &db,
            "SELECT count(*) FROM transactions",
            before + 3,
            Duration::from_secs(60)
        ),
        before + 3,
        "the sales that came during the lock are fetched once it ends\n{}",
        running.logs.text()
    );
    running.assert_alive("after the lock");
    assert_failure_alerted(&db, "connectors", &running);
    let logs = running.stop();
    assert!(logs.contains("fetch now of sq failed"), "{logs}");
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM snapshots WHERE status = 'running'"
        ),
        0,
        "no run is left running"
    );
}

fn mews_sim() -> BackgroundMewsSim {
    support::mews_sim(11, 30)
}

/// Reservations and rooms as the simulator has them and as the store has them.
fn mirror_difference(db: &Path, sim: &BackgroundMewsSim) -> Option<String> {
    let store = venue_store::Store::open(db).expect("open store");
    let venue = store.venue().expect("venue").expect("a venue");
    let held = store
        .reservations_of_source(venue.id, "mews")
        .expect("read");
    let theirs = sim.reservations();
    if held.len() != theirs.len() {
        return Some(format!(
            "{} stays here, {} in the PMS",
            held.len(),
            theirs.len()
        ));
    }
    for r in theirs {
        let id = venue_domain::vendor_row_id(
            venue.id,
            venue_domain::EntityKind::Reservation,
            "mews",
            &r.id,
        );
        let ours = store
            .get::<venue_domain::Reservation>(id)
            .expect("read")
            .map(|o| (o.state.to_string(), o.start_utc, o.end_utc));
        if ours != Some((r.state.clone(), r.start_utc, r.end_utc)) {
            return Some(format!(
                "reservation {}: PMS {:?}, ours {ours:?}",
                r.id, r.state
            ));
        }
    }
    None
}

fn wait_mirrored(db: &Path, sim: &BackgroundMewsSim, within: Duration) -> Option<String> {
    let deadline = Instant::now() + within;
    loop {
        let diff = mirror_difference(db, sim);
        if diff.is_none() || Instant::now() > deadline {
            return diff;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn pms_changes_made_during_a_long_write_lock_are_mirrored_after_it() {
    let sim = mews_sim();
    let block = format!(
        "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nping_interval_seconds = 1\ndead_after_seconds = 3\nrequests_per_window = 100000\n[pms.retry]\nbase_ms = 20\nmax_attempts = 3\n",
        sim.base_url(),
        sim.ws_url()
    );
    let c = sim.config();
    let (dir, console) = venue(
        &block,
        HashMap::from([
            ("mews-client-token".into(), c.client_token.clone()),
            ("mews-access-token".into(), c.access_token.clone()),
        ]),
    );
    let db = db(&dir);
    let running = run(console);
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.connected_sockets() == 0 {
        assert!(
            Instant::now() < deadline,
            "no socket\n{}",
            running.logs.text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(wait_mirrored(&db, &sim, Duration::from_secs(30)), None);

    let lock = hold_write_lock(&db, LOCK);
    assert!(!sim.churn(6).is_empty(), "the hotel changed");
    std::thread::sleep(LOCK / 2);
    sim.churn(4);
    lock.join().expect("lock released");

    assert_eq!(
        wait_mirrored(&db, &sim, Duration::from_secs(60)),
        None,
        "what changed during the lock reaches the store after it\n{}",
        running.logs.text()
    );
    running.assert_alive("after the lock");
    assert_failure_alerted(&db, "pms", &running);
    sim.churn(3);
    assert_eq!(wait_mirrored(&db, &sim, Duration::from_secs(30)), None);
    running.stop();
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM snapshots WHERE status = 'running'"
        ),
        0,
        "the socket's run is closed at the stop"
    );
}
