//! A `venue fetch` killed mid-fetch loses nothing and duplicates nothing: the next run closes
//! the interrupted snapshot and fetches again from the last good high-water mark.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{json, venue_command as venue};
use venue_sim::{Endpoint, Fault, OrderState, PosSimulator, SimConfig, Times, Vendor};

#[test]
fn a_fetch_killed_part_way_resumes_without_loss_or_duplicates() {
    let sim = PosSimulator::start_in_background(SimConfig {
        days: 6,
        orders_per_day: 120,
        ..SimConfig::default()
    })
    .expect("simulator");
    let expected = sim
        .orders(Vendor::Square)
        .iter()
        .filter(|o| o.state != OrderState::Open)
        .count() as u64;
    let dir = tempfile::tempdir().expect("tempdir");
    let init = venue(dir.path())
        .args(support::init_args("Cafe", "America/New_York", "USD", "50"))
        .output()
        .expect("init");
    assert!(init.status.success());
    support::append_config(
        dir.path(),
        &format!(
            "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"{}\"\n",
            sim.base_url()
        ),
    );
    let since = "2024-03-01T00:00:00Z";
    // Slow pages so the kill lands mid-fetch.
    sim.inject(
        Endpoint::SquareSearchOrders,
        Fault::Latency(Duration::from_millis(400)),
        Times::UntilCleared,
    );
    let mut child = venue(dir.path())
        .args(["fetch", "--since", since])
        .env(
            "VENUE_SECRET_SQ_ACCESS_TOKEN",
            &sim.config().square_access_token,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fetch");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = json(
            venue(dir.path())
                .args(["status", "--json"])
                .output()
                .expect("status"),
        );
        let stored = status["counts"]["transactions"].as_u64().unwrap_or(0);
        if stored > 0 {
            assert!(
                stored < expected,
                "the kill must land mid-fetch ({stored} of {expected} already)"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the fetch never stored anything");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    sim.clear_faults();
    let rerun = venue(dir.path())
        .args(["fetch", "--json"])
        .env(
            "VENUE_SECRET_SQ_ACCESS_TOKEN",
            &sim.config().square_access_token,
        )
        .output()
        .expect("fetch again");
    let reports = json(rerun);
    assert_eq!(reports[0]["snapshot"]["status"], "ok", "{reports}");
    let status = json(
        venue(dir.path())
            .args(["status", "--json"])
            .output()
            .expect("status"),
    );
    assert_eq!(
        status["counts"]["transactions"].as_u64(),
        Some(expected),
        "nothing lost, nothing twice"
    );
    let snapshots = json(
        venue(dir.path())
            .args(["export", "snapshots", "--format", "json"])
            .output()
            .expect("snapshots"),
    );
    let interrupted: Vec<&Value> = snapshots
        .as_array()
        .expect("array")
        .iter()
        .filter(|s| {
            s["error"]
                .as_str()
                .is_some_and(|e| e.contains("interrupted"))
        })
        .collect();
    assert_eq!(
        interrupted.len(),
        1,
        "the killed run is closed honestly: {snapshots}"
    );
    assert_eq!(interrupted[0]["status"], "partial");
}
