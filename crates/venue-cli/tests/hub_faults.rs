//! Issue 18's faults, end to end: consoles are the real `venue` binary, the hub is a process of
//! its own (killed with SIGKILL and restarted on the same database and port; SQLite, and
//! PostgreSQL for the kills), and a TCP proxy breaks the line between them. After each fault,
//! everything converges and no change is lost or applied twice: the change ids the hub holds are
//! compared with what each console wrote, the changes each console applied with what the hub
//! sent it, and the consoles' rows with each other.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

#[path = "../../venue-hub/tests/support/postgres.rs"]
mod postgres;
mod support;

use serde_json::Value;
use std::collections::HashSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::fault_proxy::{Fault, FaultProxy};
use support::hub::{enrolment_code, wait_until, Console};
use support::hub_process::{serve_if_asked, HubProcess};
use support::ok_json;
use uuid::Uuid;
use venue_hub::database::Database;
use venue_hub::store::{AnyHub, HubStore};
use venue_store::HUB_PEER;

/// The ignored test the hub process runs (see `support::hub_process`).
const HUB_HELPER: &str = "hub_process";

/// Generous, for a loaded machine: only ever the failure, never the goal.
const PATIENCE: Duration = Duration::from_secs(180);

const MINUTE_MS: i64 = 60_000;

#[test]
#[ignore = "the hub process of the other tests: serves only when they start it"]
fn hub_process() {
    serve_if_asked();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// One venue on a hub process, the database it runs on, and the test's own view of that
/// database (the changes it holds are read straight from it).
struct Harbour {
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    hub: HubProcess,
    store: AnyHub,
    venue: Uuid,
    pg: Option<postgres::TestDatabase>,
}

/// A change as the hub keeps it: its id and the console that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct HubChange {
    id: Uuid,
    node: Uuid,
    wall_ms: u64,
}

impl Harbour {
    /// A venue with `codes` enrolment codes, its hub process started.
    fn open(backend: Backend, codes: usize) -> (Harbour, Vec<String>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let pg = match backend {
            Backend::Postgres => Some(runtime.block_on(postgres::TestDatabase::create())),
            Backend::Sqlite => None,
        };
        let database = match &pg {
            Some(db) => db.url.clone(),
            None => dir.path().join("hub.sqlite3").display().to_string(),
        };
        let (store, venue, codes) = runtime.block_on(async {
            let store = AnyHub::open(&Database::from_arg(Some(&database)).expect("database"))
                .await
                .expect("hub database");
            let org = store.create_org("Coast Group").await.expect("org");
            let venue =
                support::hub::add_venue(&store, org, "Harbour Hotel", "Europe/London").await;
            let mut all = Vec::new();
            for _ in 0..codes {
                all.push(enrolment_code(&store, venue).await);
            }
            (store, venue, all)
        });
        let hub = HubProcess::start(HUB_HELPER, &database, &dir.path().join("hub.log"));
        (
            Harbour {
                dir,
                runtime,
                hub,
                store,
                venue,
                pg,
            },
            codes,
        )
    }

    fn console(&self, name: &str) -> Console {
        Console::new(self.dir.path(), name, name)
    }

    /// How many changes the hub holds for the venue.
    fn count(&self) -> i64 {
        self.runtime
            .block_on(self.store.venue_stats(self.venue))
            .expect("stats")
            .changes
    }

    /// Every change the hub holds for the venue, in its order; with `for_console`, only those
    /// that console pulls (the others', that go down).
    fn changes(&self, for_console: Option<Uuid>) -> Vec<HubChange> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .runtime
                .block_on(self.store.pull(
                    self.venue,
                    for_console,
                    after,
                    5_000,
                    for_console.is_some(),
                ))
                .expect("pull");
            for body in &page.changes {
                let id = |key: &str| Uuid::parse_str(body[key].as_str().expect(key)).expect(key);
                let hlc = venue_domain_hlc(&body["hlc"]);
                all.push(HubChange {
                    id: id("change_id"),
                    node: id("node"),
                    wall_ms: hlc,
                });
            }
            after = page.last_seq;
            if !page.more {
                return all;
            }
        }
    }

    /// The hub holds each change of `console` once, and exactly the ones in `written`.
    fn assert_holds_exactly(&self, console: &Console, written: &HashSet<Uuid>, what: &str) {
        let node = console.store().node_id().0;
        let ids: Vec<Uuid> = self
            .changes(None)
            .iter()
            .filter(|c| c.node == node)
            .map(|c| c.id)
            .collect();
        let held: HashSet<Uuid> = ids.iter().copied().collect();
        assert_eq!(ids.len(), held.len(), "{what}: a change stored twice");
        let missing = written.difference(&held).count();
        assert!(
            missing == 0,
            "{what}: {missing} of {} changes written never reached the hub",
            written.len()
        );
    }

    /// `console` applied each change the hub has for it once, and parked or lost none.
    fn assert_applied_once(&self, console: &Console, what: &str) {
        let node = console.store().node_id().0;
        let sent: HashSet<Uuid> = self.changes(Some(node)).iter().map(|c| c.id).collect();
        let conn = console.read_only();
        let mut stmt = conn
            .prepare("SELECT change_id FROM applied_changes")
            .expect("query");
        let applied: Vec<Uuid> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .expect("applied")
            .map(|id| Uuid::parse_str(&id.expect("row")).expect("uuid"))
            .collect();
        let applied_set: HashSet<Uuid> = applied.iter().copied().collect();
        assert_eq!(applied.len(), applied_set.len(), "{what}: applied twice");
        let missing = sent.difference(&applied_set).count();
        assert_eq!(
            missing,
            0,
            "{what}: {missing} of the {} changes the hub has for it were not applied",
            sent.len()
        );
        assert_eq!(
            console.count("SELECT count(*) FROM sync_parked"),
            0,
            "{what}: nothing parked"
        );
    }
}

impl Drop for Harbour {
    fn drop(&mut self) {
        self.hub.kill9();
        if let Some(db) = self.pg.take() {
            self.runtime.block_on(db.drop_now());
        }
    }
}

/// The wall-clock part of a change's stamp, as the wire carries it.
fn venue_domain_hlc(value: &Value) -> u64 {
    let hlc: venue_core::domain::Hlc = serde_json::from_value(value.clone()).expect("hlc");
    hlc.wall_ms()
}

/// The change ids `console` has waiting for the hub: what the next pushes must deliver.
fn waiting(console: &Console) -> HashSet<Uuid> {
    let store = console.store();
    let mut after = store.acknowledged(HUB_PEER).expect("acked");
    let mut ids = HashSet::new();
    loop {
        let page = store.outbox(after, 5_000).expect("outbox");
        if page.changes.is_empty() {
            return ids;
        }
        ids.extend(page.changes.iter().map(|c| c.change.change_id));
        after = page.next_after;
    }
}

/// The guests of `console` as rows to compare: id, names, stamp and writer.
fn guest_rows(console: &Console) -> Vec<String> {
    let conn = console.read_only();
    let mut stmt = conn
        .prepare(
            "SELECT json_array(id, external_id, first_name, last_name, hlc, node_id) FROM customers ORDER BY id",
        )
        .expect("query");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

fn assert_same_guests(a: &Console, b: &Console, what: &str) {
    let (left, right) = (guest_rows(a), guest_rows(b));
    assert!(
        left == right,
        "{what}: {} and {} differ ({} and {} guests)",
        a.data.display(),
        b.data.display(),
        left.len(),
        right.len()
    );
}

fn spawn_sync(console: &Console) -> Child {
    console
        .command(&["sync", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("venue sync")
}

fn kill9(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn exited(child: &mut Child) -> bool {
    child.try_wait().expect("wait").is_some()
}

/// How many guests the console-side kills need: several pages of 5,000, so that a kill lands
/// between the first and the last.
const MANY: usize = 11_000;

fn kill_nine_everywhere(backend: Backend) {
    let (mut h, codes) = Harbour::open(backend, 2);
    let mut front = h.console("front");
    let mut back = h.console("back");
    front.join(&h.hub.url(), &codes[0]);
    back.join(&h.hub.url(), &codes[1]);

    // A console killed while its pages go up.
    front.write_guests(&mut front.store(), "front", MANY);
    let written_front = waiting(&front);
    let before = h.count();
    let mut sync = spawn_sync(&front);
    wait_until(
        "the first page of the push at the hub",
        PATIENCE,
        || h.count() > before || exited(&mut sync),
        || h.hub.log(),
    );
    kill9(sync);
    let landed = h.count() - before;
    println!(
        "{backend:?}: console killed mid-push with {landed} of {} changes at the hub",
        written_front.len()
    );
    let report = front.sync();
    assert_eq!(report["rejected"], 0, "{report}");
    h.assert_holds_exactly(&front, &written_front, "push cut by kill -9");

    // A console killed while pages come down.
    let applied_before = back.count("SELECT count(*) FROM applied_changes");
    let mut sync = spawn_sync(&back);
    wait_until(
        "the first page of the pull applied",
        PATIENCE,
        || back.count("SELECT count(*) FROM applied_changes") > applied_before || exited(&mut sync),
        || h.hub.log(),
    );
    kill9(sync);
    println!(
        "{backend:?}: console killed mid-pull with {} changes applied",
        back.count("SELECT count(*) FROM applied_changes") - applied_before
    );
    let report = back.sync();
    assert_eq!(report["duplicates"], 0, "no page applied twice: {report}");
    h.assert_applied_once(&back, "pull cut by kill -9");
    assert_same_guests(&front, &back, "after the console kills");

    // The hub killed while it stores a batch, then restarted on the same database.
    back.write_guests(&mut back.store(), "back", MANY);
    let written_back = waiting(&back);
    let before = h.count();
    let mut sync = spawn_sync(&back);
    wait_until(
        "the first page of the push at the hub",
        PATIENCE,
        || h.count() > before || exited(&mut sync),
        || h.hub.log(),
    );
    h.hub.kill9();
    let killed_at = h.count() - before;
    let started = Instant::now();
    while !exited(&mut sync) {
        assert!(
            started.elapsed() < PATIENCE,
            "the console's sync did not give up on a dead hub"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "{backend:?}: hub killed mid-push with {killed_at} of {} changes stored",
        written_back.len()
    );
    h.hub.restart();
    let report = back.sync();
    assert_eq!(report["rejected"], 0, "{report}");
    front.sync();
    h.assert_holds_exactly(&back, &written_back, "push cut by the hub's kill -9");
    h.assert_holds_exactly(&front, &written_front, "after the hub's restart");
    h.assert_applied_once(&front, "front after the hub's restart");
    h.assert_applied_once(&back, "back after the hub's restart");
    assert_same_guests(&front, &back, "after the hub's restart");
    assert_eq!(guest_rows(&front).len(), 2 * MANY);
    // Quiet: another pass moves nothing.
    for console in [&front, &back] {
        let report = console.sync();
        assert_eq!(report["pushed"], 0, "{report}");
        assert_eq!(report["pulled"], 0, "{report}");
    }
}

#[test]
fn kill_nine_of_consoles_and_the_hub_loses_nothing_on_sqlite() {
    kill_nine_everywhere(Backend::Sqlite);
}

#[test]
fn kill_nine_of_consoles_and_the_hub_loses_nothing_on_postgres() {
    kill_nine_everywhere(Backend::Postgres);
}

/// Each fault hits two connections in a row; the third try of the same pass goes through.
#[test]
fn a_line_that_drops_delays_cuts_and_resets_loses_nothing() {
    let (h, codes) = Harbour::open(Backend::Sqlite, 2);
    let proxy = FaultProxy::start(h.hub.addr);
    let mut front = h.console("front");
    let mut back = h.console("back");
    front.join(&proxy.url(), &codes[0]);
    back.join(&proxy.url(), &codes[1]);
    front.sync();
    back.sync();

    let faults = [
        ("drop", Fault::Drop),
        ("delay", Fault::Delay(Duration::from_millis(150))),
        ("cut-in-headers", Fault::Truncate(40)),
        ("cut-in-body", Fault::Truncate(600)),
        ("reset", Fault::Reset),
    ];
    for (name, fault) in faults {
        front.write_guests(&mut front.store(), name, 40);
        let written = waiting(&front);
        let (accepted, faulted) = (proxy.accepted(), proxy.faulted());
        let arm = || match fault {
            Fault::Delay(_) => proxy.set(fault),
            _ => proxy.set_for(fault, 2),
        };
        arm();
        let pushed = front.sync();
        arm();
        let pulled = back.sync();
        proxy.set(Fault::Pass);
        if let Fault::Delay(_) = fault {
            assert!(
                proxy.accepted() > accepted,
                "{name}: went through the proxy"
            );
        } else {
            assert_eq!(
                proxy.faulted() - faulted,
                4,
                "{name}: two pushes and two pulls were broken"
            );
        }
        let sent = pushed["pushed"].as_u64().unwrap();
        assert_eq!(sent as usize, written.len(), "{name}: {pushed}");
        match fault {
            // The request reached the hub and was stored; only the answer was lost: the
            // retry is told they are duplicates.
            Fault::Truncate(_) | Fault::Reset => {
                assert_eq!(pushed["at_hub"]["duplicates"], sent, "{name}: {pushed}")
            }
            _ => assert_eq!(pushed["at_hub"]["applied"], sent, "{name}: {pushed}"),
        }
        assert_eq!(
            pulled["pulled"].as_u64().unwrap() as usize,
            written.len(),
            "{name}: {pulled}"
        );
        h.assert_holds_exactly(&front, &written, name);
        h.assert_applied_once(&back, name);
        assert_same_guests(&front, &back, name);
    }
}

/// A console ten minutes fast and one ten minutes slow (`faketime`, the monotonic clock left
/// alone) sync with a console on time: the fast one's changes are not refused as from the
/// future, and the slow one's later edit is not beaten by an earlier one.
#[test]
fn clocks_ten_minutes_off_either_way_lose_nothing() {
    let (h, codes) = Harbour::open(Backend::Sqlite, 3);
    let mut right = h.console("right");
    let mut fast = h.console("fast");
    fast.clock_off_ms = 10 * MINUTE_MS;
    let mut slow = h.console("slow");
    slow.clock_off_ms = -10 * MINUTE_MS;
    // Written before the fast console ever heard the hub's time: stamped ten minutes ahead.
    fast.write_guest("fast-early", "Early");
    assert!(
        fast.store().last_hlc().wall_ms() > now_ms() + 9 * MINUTE_MS as u64,
        "the fast console stamps ahead"
    );
    for (console, code) in [
        (&mut right, &codes[0]),
        (&mut fast, &codes[1]),
        (&mut slow, &codes[2]),
    ] {
        console.join(&h.hub.url(), code);
    }
    let skew = ok_json(fast.run(&["sync", "status", "--json"]))["clock_skew_ms"]
        .as_i64()
        .unwrap();
    assert!((skew - 10 * MINUTE_MS).abs() < MINUTE_MS, "measured {skew}");
    for console in [&fast, &right, &slow, &fast] {
        console.sync();
    }
    for console in [&right, &fast, &slow] {
        assert!(
            console.has_guest("fast-early"),
            "{}",
            console.data.display()
        );
    }

    // Everyone has the guest. The console on time edits it; a moment later the slow one, which
    // has not seen that edit, edits it too: the later edit wins everywhere.
    right.write_guest("shared", "First");
    right.sync();
    slow.sync();
    fast.sync();
    right.write_guest("shared", "Earlier edit");
    right.sync();
    // A second later: more than the error of measuring the hub's clock over loopback.
    std::thread::sleep(Duration::from_secs(1));
    slow.write_guest("shared", "Later edit");
    slow.sync();
    right.sync();
    fast.sync();
    for console in [&right, &fast, &slow] {
        let name: String = console
            .read_only()
            .query_row(
                "SELECT first_name FROM customers WHERE external_id = 'shared'",
                [],
                |r| r.get(0),
            )
            .expect("the guest");
        assert_eq!(name, "Later edit", "{}", console.data.display());
    }

    // The fast console goes on writing; the hub takes it all, stamped on its time.
    fast.write_guest("fast-late", "Late");
    fast.sync();
    right.sync();
    slow.sync();
    assert!(right.has_guest("fast-late"));
    let limit = now_ms() + MINUTE_MS as u64;
    let ahead: Vec<_> = h
        .changes(None)
        .into_iter()
        .filter(|c| c.wall_ms > limit)
        .collect();
    assert!(
        ahead.is_empty(),
        "stamped from the future at the hub: {ahead:?}"
    );
    for console in [&right, &fast, &slow] {
        h.assert_applied_once(console, "a skewed clock");
    }
    assert_same_guests(&right, &fast, "fast and on time");
    assert_same_guests(&right, &slow, "slow and on time");
}

/// A console whose clock jumps a year ahead, writes, and comes back; then a whole sync run while
/// it is a year ahead: nothing is parked, the other console gets every guest, and the hub holds
/// no stamp from the future.
#[test]
fn a_clock_jump_loses_nothing() {
    const YEAR_MS: i64 = 365 * 24 * 60 * MINUTE_MS;
    let (h, codes) = Harbour::open(Backend::Sqlite, 2);
    let mut jumpy = h.console("jumpy");
    let mut other = h.console("other");
    jumpy.join(&h.hub.url(), &codes[0]);
    other.join(&h.hub.url(), &codes[1]);
    jumpy.sync();

    // Written during the jump; synced once the clock is right again.
    jumpy.clock_off_ms = YEAR_MS;
    jumpy.write_guest("in-the-jump", "Ahead");
    jumpy.clock_off_ms = 0;
    jumpy.sync();
    // Written and synced while the clock is a year ahead: the hub refuses the stamps, the
    // console learns the hub's time and sends them again.
    jumpy.clock_off_ms = YEAR_MS;
    jumpy.write_guest("during-the-jump", "Ahead");
    let report = jumpy.sync();
    println!("a sync a year ahead: {report}");
    other.sync();
    for id in ["in-the-jump", "during-the-jump"] {
        assert!(other.has_guest(id), "{id} arrived");
    }
    assert_eq!(jumpy.count("SELECT count(*) FROM sync_parked"), 0);
    let limit = now_ms() + MINUTE_MS as u64;
    let ahead: Vec<_> = h
        .changes(None)
        .into_iter()
        .filter(|c| c.wall_ms > limit)
        .collect();
    assert!(
        ahead.is_empty(),
        "stamped from the future at the hub: {ahead:?}"
    );
    h.assert_applied_once(&other, "after a clock jump");
    assert_same_guests(&jumpy, &other, "after a clock jump");
}

/// A week offline: the hub is down while a console writes 100,000 changes; when it is back they
/// go up once each (the hub's count is the outbox's, and no id twice).
#[test]
fn a_backlog_of_a_hundred_thousand_changes_goes_up_exactly_once() {
    const BACKLOG: usize = 100_000;
    let (mut h, codes) = Harbour::open(Backend::Sqlite, 1);
    let mut console = h.console("offline");
    console.join(&h.hub.url(), &codes[0]);
    console.sync();
    h.hub.kill9();

    let started = Instant::now();
    console.write_guests(&mut console.store(), "offline", BACKLOG);
    let wrote = started.elapsed();
    let refused = console.run(&["sync"]);
    assert_eq!(refused.status.code(), Some(1), "the hub is down");
    let written = waiting(&console);
    assert_eq!(written.len(), BACKLOG);
    let status = ok_json(console.run(&["sync", "status", "--json"]));
    assert_eq!(status["changes_waiting"], BACKLOG as u64, "{status}");

    h.hub.restart();
    let before = h.count();
    let started = Instant::now();
    let report = console.sync();
    let pushed_in = started.elapsed();
    println!(
        "backlog: {BACKLOG} changes written in {:.1} s, pushed in {:.1} s",
        wrote.as_secs_f64(),
        pushed_in.as_secs_f64()
    );
    assert_eq!(report["pushed"], BACKLOG as u64, "{report}");
    assert_eq!(report["applied"], BACKLOG as u64, "{report}");
    assert_eq!(h.count() - before, BACKLOG as i64);
    h.assert_holds_exactly(&console, &written, "the backlog");
    let status = ok_json(console.run(&["sync", "status", "--json"]));
    assert_eq!(status["changes_waiting"], 0, "{status}");
}

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap()
}

/// One hub for the convergence cases, in this process (a venue of its own for each case).
struct SharedHub {
    runtime: tokio::runtime::Runtime,
    store: venue_hub::store::SqliteHub,
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

fn shared_hub() -> &'static SharedHub {
    static HUB: std::sync::OnceLock<SharedHub> = std::sync::OnceLock::new();
    HUB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (store, url, stop) = runtime.block_on(async {
            let store = venue_hub::store::SqliteHub::open(&dir.path().join("hub.sqlite3"))
                .await
                .expect("hub");
            let (url, stop) = venue_hub::server::spawn_on_loopback(
                store.clone(),
                venue_hub::server::HubSettings {
                    // Every case enrols its consoles from this one address.
                    enroll_per_minute: std::num::NonZeroU32::MAX,
                    ..venue_hub::server::HubSettings::default()
                },
            )
            .await
            .expect("serve");
            (store, url, stop)
        });
        SharedHub {
            runtime,
            store,
            url,
            _stop: stop,
            _dir: dir,
        }
    })
}

/// One case of the store's convergence simulation, its consoles syncing through a real hub.
fn real_hub_case(sites: usize, steps: u64, seed: u64) -> venue_store::convergence::CaseReport {
    let hub = shared_hub();
    let (venue, codes) = hub.runtime.block_on(async {
        let org = hub
            .store
            .create_org(&format!("Group {}", Uuid::new_v4()))
            .await
            .expect("org");
        let venue =
            support::hub::add_venue(&hub.store, org, "Harbour Hotel", "Europe/London").await;
        let mut codes = Vec::new();
        for _ in 0..sites.max(2) {
            codes.push(enrolment_code(&hub.store, venue).await);
        }
        (venue, codes)
    });
    venue_store::convergence::run_case_with(sites, steps, seed, venue, |nodes| {
        let exchange = venue_core::sync::HubExchange::enroll(
            &hub.url,
            &codes,
            nodes,
            venue_store::latest_version(),
        )
        .map_err(|e| venue_store::StoreError::Invalid(e.to_string()))?;
        Ok(Box::new(exchange) as Box<dyn venue_store::convergence::Exchange>)
    })
    .expect("the simulation runs")
}

proptest::proptest! {
    // A few cases here; `venue-bench sync-convergence --real-hub` runs many.
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]
    #[test]
    fn consoles_converge_through_a_real_hub(
        seed in proptest::prelude::any::<u64>(),
        sites in 2usize..=3,
        steps in 20u64..60,
    ) {
        let report = real_hub_case(sites, steps, seed);
        proptest::prop_assert!(
            report.converged(),
            "seed {seed}, {sites} sites, {steps} steps: {:#?}",
            report
        );
        proptest::prop_assert!(report.changes_exchanged > 0, "{report:#?}");
    }
}
