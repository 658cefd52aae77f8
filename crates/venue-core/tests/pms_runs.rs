//! The PMS socket's own run record stays "running" while the socket is up: neither the live
//! mirror's own gap-fill pull nor another connection's `pms sync` closes it as interrupted
//! (issue 16, item 13), while a run whose process really stopped still is.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::path::Path;
use std::time::{Duration, Instant};
use support::open;
use venue_core::domain::{new_id, Origin, Snapshot, SnapshotStatus};
use venue_core::LiveReport;
use venue_sim::BackgroundMewsSim;
use venue_store::{Store, DB_FILE};

fn setup() -> (BackgroundMewsSim, tempfile::TempDir) {
    let sim = support::mews_sim(13, 10);
    let dir = support::init_venue(&sim.currency(), "Europe/Prague", &format!(
            "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nping_interval_seconds = 1\ndead_after_seconds = 3\nrequests_per_window = 100000\n",
            sim.base_url(),
            sim.ws_url()
        ));
    (sim, dir)
}

fn runs(db: &Path) -> Vec<Snapshot> {
    let store = Store::open(db).expect("store");
    let venue = store.venue().expect("venue").expect("a venue");
    let mut out = Vec::new();
    store
        .export::<Snapshot>(venue.id, None, None, |s| {
            if s.connector == "mews" {
                out.push(s);
            }
            Ok(())
        })
        .expect("snapshots");
    out
}

fn socket_runs(db: &Path) -> Vec<Snapshot> {
    runs(db)
        .into_iter()
        .filter(|s| s.cursor.as_deref() == Some("socket"))
        .collect()
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_socket_run_stays_running_through_its_own_gap_fill_and_another_process_sync() {
    let (sim, dir) = setup();
    let db = dir.path().join(DB_FILE);
    let console = open(dir.path(), &sim);
    let (stop, rx) = tokio::sync::watch::channel(false);
    let live = std::thread::spawn(move || {
        let mut console = console;
        console.pms_live(rx).expect("live mirror")
    });
    // Connected, and the gap-fill pull that every connection starts with has finished.
    wait_until(
        "the socket and its gap-fill",
        Duration::from_secs(20),
        || {
            let all = runs(&db);
            let Some(session) = all.iter().find(|s| s.cursor.as_deref() == Some("socket")) else {
                return false;
            };
            all.iter().any(|s| {
                s.cursor.as_deref().is_some_and(|c| c.starts_with("pull:"))
                    && s.started_at >= session.started_at
                    && s.status != SnapshotStatus::Running
            })
        },
    );
    let sessions = socket_runs(&db);
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        (sessions[0].status, sessions[0].error.as_deref()),
        (SnapshotStatus::Running, None),
        "closed by its own gap-fill: {:?}",
        sessions[0]
    );
    // Another process's sync (another connection to the file) leaves it alone too.
    let report = open(dir.path(), &sim).pms_sync(false).expect("sync");
    assert_eq!(report.snapshot.status, SnapshotStatus::Ok);
    let sessions = socket_runs(&db);
    assert_eq!(
        sessions[0].status,
        SnapshotStatus::Running,
        "closed by another process's sync: {:?}",
        sessions[0]
    );
    stop.send(true).expect("stop");
    let report: LiveReport = live.join().expect("live thread");
    assert!(report.pulls >= 1);
    let sessions = socket_runs(&db);
    assert_eq!(sessions[0].status, SnapshotStatus::Ok, "{:?}", sessions[0]);
    assert_eq!(sessions[0].error.as_deref(), Some("socket closed: stopped"));
}

#[test]
fn a_run_whose_process_stopped_is_still_closed_as_interrupted() {
    let (sim, dir) = setup();
    let db = dir.path().join(DB_FILE);
    // What a process killed mid-pull leaves behind: a running snapshot nobody renews.
    let mut store = Store::open(&db).expect("store");
    let venue = store.venue().expect("venue").expect("a venue");
    let dead = Snapshot {
        id: new_id(),
        venue_id: venue.id,
        connector: "mews".into(),
        correlation_id: new_id().to_string(),
        started_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        finished_at: None,
        status: SnapshotStatus::Running,
        error: None,
        records_seen: 4,
        records_written: 0,
        high_water_mark: None,
        cursor: Some("socket".into()),
    };
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&dead))
        .expect("stale run");
    drop(store);
    open(dir.path(), &sim).pms_sync(false).expect("sync");
    let closed = runs(&db)
        .into_iter()
        .find(|s| s.id == dead.id)
        .expect("the dead run");
    assert_eq!(closed.status, SnapshotStatus::Failed);
    assert!(closed
        .error
        .as_deref()
        .is_some_and(|e| e.contains("interrupted")));
}
