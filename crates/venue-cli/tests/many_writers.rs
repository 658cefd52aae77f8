//! Issue 16: `venue run` and three other writers share one data dir for a minute of random work,
//! as a busy venue runs it (a back office fetching and polling the doors, a front desk posting
//! charges and writing notes, a night audit syncing the PMS while a careless tool holds the
//! store's write lock), with people walking through the door all the while. Afterwards nothing
//! is lost and nothing doubled: every sale once, every person counted once, every charge posted
//! to the PMS once and sent; `venue run` is still alive, no task died silently, and it stops
//! cleanly on SIGTERM.
//!
//! `VENUE_SOAK_SECONDS` sets how long the random work lasts (default 60).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
mod support;

use venue_sim::{
    BackgroundMewsSim, BackgroundSensorSim, BackgroundSim, CounterKind, MewsSimConfig,
    MewsSimulator, OrderState, PosSimulator, SensorSimConfig, SensorSimulator, SimConfig,
    SimDeviceSpec, Vendor,
};

struct World {
    dir: tempfile::TempDir,
    pos: BackgroundSim,
    mews: BackgroundMewsSim,
    doors: BackgroundSensorSim,
}

impl World {
    fn db(&self) -> PathBuf {
        self.dir.path().join(venue_store::DB_FILE)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = support::mews_command(self.dir.path(), &self.mews, args);
        cmd.env(
            "VENUE_SECRET_SQ_ACCESS_TOKEN",
            &self.pos.config().square_access_token,
        )
        .env("VENUE_SECRET_SENSOR_DOOR", &self.doors.config().password)
        .stdin(Stdio::null());
        cmd
    }

    fn venue(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run venue")
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

fn query(db: &Path, sql: &str) -> i64 {
    let conn = Connection::open(db).expect("open the store");
    conn.busy_timeout(Duration::from_secs(30)).expect("timeout");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

fn setup() -> World {
    let mews = MewsSimulator::start_in_background(MewsSimConfig {
        seed: 16,
        rooms: 20,
        requests_per_window: 100_000,
        ..MewsSimConfig::default()
    })
    .expect("Mews simulator");
    // The last three days' sales, inside a first fetch's reach.
    let pos = PosSimulator::start_in_background(SimConfig {
        start_date: (chrono::Utc::now() - chrono::Duration::days(3)).date_naive(),
        days: 3,
        orders_per_day: 40,
        square_locations: 1,
        toast_restaurants: 0,
        currency: mews.currency(),
        timezone: chrono_tz::Europe::Amsterdam,
        ..SimConfig::default()
    })
    .expect("POS simulator");
    let doors = SensorSimulator::start_in_background(SensorSimConfig {
        devices: vec![SimDeviceSpec::new(
            "door",
            CounterKind::Axis3d,
            "lobby",
            500,
        )],
        timezone: chrono_tz::Europe::Amsterdam,
        ..SensorSimConfig::default()
    })
    .expect("sensor simulator");
    let world = World {
        dir: tempfile::tempdir().expect("tempdir"),
        pos,
        mews,
        doors,
    };
    let currency = world.mews.currency();
    let out = world.venue(&[
        "init",
        "--name",
        "Canal House",
        "--timezone",
        "Europe/Amsterdam",
        "--currency",
        &currency,
        "--capacity",
        "500",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let path = world.dir.path().join("venue.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        format!(
            "{config}\n\
             [[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"{pos}\"\ninterval_minutes = 5\n\n\
             [[sensor]]\nkind = \"axis-3d\"\nname = \"door\"\nurl = \"{door}\"\nzone = \"lobby\"\ninterval_seconds = 1\nusername = \"{user}\"\n\n\
             [pms]\nkind = \"mews\"\napi_url = \"{api}\"\nws_url = \"{ws}\"\nrequests_per_window = 100000\n[pms.retry]\nbase_ms = 20\nmax_attempts = 2\n",
            pos = world.pos.base_url(),
            door = world.doors.base_url("door").expect("door url"),
            user = world.doors.config().username,
            api = world.mews.base_url(),
            ws = world.mews.ws_url(),
        ),
    )
    .expect("write config");
    let out = world.venue(&["pms", "sync", "--full", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    world
}

/// Holds the store's write lock for `hold`, as a careless tool or a long report would.
fn hold_write_lock(db: &Path, hold: Duration) {
    let conn = Connection::open(db).expect("open the store");
    conn.busy_timeout(Duration::from_secs(60)).expect("timeout");
    conn.execute_batch("BEGIN IMMEDIATE; UPDATE venues SET name = name;")
        .expect("take the write lock");
    std::thread::sleep(hold);
    conn.execute_batch("ROLLBACK").expect("release the lock");
}

/// What a writer did that the end state must show.
/// One writer's unit of random work, repeated until the minute is up.
type Work = Box<dyn Fn(&World, &Mutex<Ledger>) + Send>;

#[derive(Default)]
struct Ledger {
    /// Charges the front desk posted (their ids), each must reach the PMS exactly once.
    charges: Vec<String>,
    /// Commands that crashed (exit 101 or a panic message): must stay empty.
    crashes: Vec<String>,
    /// Exit codes seen per command, for the failure message.
    exits: HashMap<String, Vec<i32>>,
}

impl Ledger {
    fn record(&mut self, what: &str, out: &Output) {
        let code = out.status.code().unwrap_or(-1);
        self.exits.entry(what.to_string()).or_default().push(code);
        if code == 101 || String::from_utf8_lossy(&out.stderr).contains("panicked") {
            self.crashes.push(format!("{what}: {}", text(out)));
        }
    }
}

#[test]
fn venue_run_and_three_writers_for_a_minute_lose_and_double_nothing() {
    let soak = Duration::from_secs(
        std::env::var("VENUE_SOAK_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let world = Arc::new(setup());
    let db = world.db();
    let run_log = world.dir.path().join("run.log");
    let mut run = world
        .command(&["run"])
        .env("VENUE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&run_log).expect("log file"))
        .spawn()
        .expect("start venue run");

    // The door's first poll is its baseline: people are counted from the one after.
    let deadline = Instant::now() + Duration::from_secs(60);
    while query(&db, "SELECT count(*) FROM sensor_readings") == 0 {
        assert!(
            Instant::now() < deadline,
            "venue run recorded no door reading\n{}",
            std::fs::read_to_string(&run_log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let stays: Vec<String> = world
        .mews
        .reservations()
        .into_iter()
        .filter(|r| r.state == "Started")
        .map(|r| r.number)
        .collect();
    assert!(!stays.is_empty(), "the simulator has guests in house");
    let currency = world.mews.currency();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writer = |name: &'static str, work: Work| {
        let world = world.clone();
        let ledger = ledger.clone();
        let stop = stop.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    work(&world, &ledger);
                }
            })
            .expect("writer thread")
    };
    let back_office = writer(
        "back office",
        Box::new(|world, ledger| {
            let args: &[&str] = match fastrand::u8(0..4) {
                0 => &["fetch", "--json"],
                1 => &["sensors", "poll", "--once", "--json"],
                2 => &["report", "daily", "--json"],
                _ => &["export", "transactions", "--format", "json"],
            };
            let out = world.venue(args);
            lock(ledger).record(&args.join(" "), &out);
        }),
    );
    let front_desk = writer(
        "front desk",
        Box::new(move |world, ledger| {
            let stay = &stays[fastrand::usize(..stays.len())];
            if fastrand::bool() {
                let amount = format!("{}.{:02}", fastrand::u32(1..80), fastrand::u32(0..100));
                let out = world.venue(&[
                    "pms",
                    "charge",
                    "--reservation",
                    stay,
                    "--amount",
                    &amount,
                    "--currency",
                    &currency,
                    "--item",
                    "Minibar",
                    "--json",
                ]);
                let mut ledger = lock(ledger);
                ledger.record("pms charge", &out);
                // Exit 3 is a charge left pending (another sender has it, or the PMS was
                // busy): it is stored and must still go out exactly once.
                if matches!(out.status.code(), Some(0 | 3)) {
                    if let Some(id) = json(&out)[0]["id"].as_str() {
                        ledger.charges.push(id.to_string());
                    }
                }
            } else {
                let note = format!("Late checkout asked at {}", fastrand::u32(..10_000));
                let out = world.venue(&["pms", "note", "--reservation", stay, &note]);
                lock(ledger).record("pms note", &out);
            }
        }),
    );
    let night_audit = writer(
        "night audit",
        Box::new(|world, ledger| {
            if fastrand::u8(0..5) == 0 {
                // A write lock held past the store's busy timeout now and then: the long-running
                // tasks must wait it out, not die.
                hold_write_lock(
                    &world.db(),
                    Duration::from_millis(fastrand::u64(200..7_000)),
                );
            } else {
                let out = world.venue(&["pms", "sync", "--json"]);
                lock(ledger).record("pms sync", &out);
            }
        }),
    );

    // People come and go through the door all the while.
    let (mut walked_in, mut walked_out) = (0u64, 0u64);
    while started.elapsed() < soak {
        let (entries, exits) = (fastrand::u32(0..4), fastrand::u32(0..3));
        world.doors.walk("door", entries, exits);
        walked_in += u64::from(entries);
        walked_out += u64::from(exits);
        std::thread::sleep(Duration::from_millis(fastrand::u64(50..400)));
    }
    stop.store(true, Ordering::Relaxed);
    for writer in [back_office, front_desk, night_audit] {
        writer.join().expect("a writer thread panicked");
    }
    assert!(
        run.try_wait().expect("poll venue run").is_none(),
        "venue run ended during the work\n{}",
        std::fs::read_to_string(&run_log).unwrap_or_default()
    );

    // Settle: what is still pending goes out, and `venue run` catches up with the door.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = world.venue(&["pms", "sync", "--json"]);
        let pending = world.venue(&["pms", "charges", "--state", "pending", "--json"]);
        if out.status.code() == Some(0) && json(&pending).as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "charges stay pending: {}",
            text(&pending)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let out = world.venue(&["fetch", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let entries_sql = "SELECT coalesce(sum(entries), 0) FROM sensor_readings";
    let exits_sql = "SELECT coalesce(sum(exits), 0) FROM sensor_readings";
    let deadline = Instant::now() + Duration::from_secs(60);
    while (query(&db, entries_sql), query(&db, exits_sql)) != (walked_in as i64, walked_out as i64)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    let alive = run.try_wait().expect("poll venue run").is_none();
    // SIGTERM, as systemd stops a service: a clean stop, exit 0.
    let term = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let run_status = loop {
        if let Some(status) = run.try_wait().expect("poll venue run") {
            break status;
        }
        assert!(Instant::now() < deadline, "venue run ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    let run_log = std::fs::read_to_string(&run_log).unwrap_or_default();
    let ledger = lock(&ledger);

    // Nothing crashed, and `venue run` lived through it all and stopped cleanly.
    assert!(ledger.crashes.is_empty(), "crashes: {:#?}", ledger.crashes);
    assert!(alive, "venue run died before the end\n{run_log}");
    assert_eq!(
        run_status.code(),
        Some(0),
        "venue run on SIGTERM\n{run_log}"
    );
    assert!(!run_log.contains("panicked"), "{run_log}");
    for line in run_log.lines().filter(|l| l.contains("died")) {
        assert!(line.contains("restarting"), "a task died silently: {line}");
    }
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM snapshots WHERE status = 'running'"
        ),
        0,
        "a run was left running after the stop"
    );

    // Every person counted once.
    assert_eq!(
        (query(&db, entries_sql), query(&db, exits_sql)),
        (walked_in as i64, walked_out as i64),
        "people walked in and out against people counted\nexits: {:?}\n{run_log}",
        ledger.exits
    );

    // Every sale once.
    let expected_sales = world
        .pos
        .orders(Vendor::Square)
        .iter()
        .filter(|o| o.state != OrderState::Open)
        .count() as i64;
    assert_eq!(
        query(&db, "SELECT count(*) FROM transactions"),
        expected_sales,
        "sales stored against the POS's"
    );
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM (SELECT DISTINCT source, external_id FROM transactions)"
        ),
        expected_sales,
        "a sale stored twice"
    );

    // Every charge posted to the PMS once, and sent.
    assert!(
        !ledger.charges.is_empty(),
        "the front desk posted no charge"
    );
    let mut posted: HashMap<String, usize> = HashMap::new();
    for item in world.mews.orders().into_iter().flat_map(|o| o.items) {
        if let Some(key) = item.external_identifier {
            *posted.entry(key).or_default() += 1;
        }
    }
    for id in &ledger.charges {
        assert_eq!(posted.get(id).copied(), Some(1), "charge {id} in the PMS");
    }
    assert_eq!(
        query(&db, "SELECT count(*) FROM pms_charges WHERE state = 'sent'"),
        ledger.charges.len() as i64,
        "charges sent against charges posted"
    );
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
