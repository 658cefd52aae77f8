//! `venue run` stopped as a service manager stops it: SIGTERM (systemctl stop, kill) and Ctrl-C
//! (SIGINT) both end it cleanly, while a fetch is under way and the PMS socket is open: exit 0,
//! and no run left "running" in the store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::json;
use venue_sim::{
    BackgroundMewsSim, BackgroundSim, Endpoint, Fault, MewsSimConfig, MewsSimulator, PosSimulator,
    SimConfig, Times,
};

fn venue(data_dir: &Path) -> Command {
    let mut cmd = support::venue_command(data_dir);
    cmd.env("VENUE_LOG", "info");
    cmd
}

/// A venue with a Square connector whose pages come slowly and a PMS, both on the simulators.
fn setup(pos: &BackgroundSim, mews: &BackgroundMewsSim) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let init = venue(dir.path())
        .args(support::init_args("Cafe", "Europe/London", "GBP", "50"))
        .output()
        .expect("init");
    assert!(init.status.success());
    support::append_config(
        dir.path(),
        &format!(
            "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"{}\"\n\
             [pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nrequests_per_window = 100000\n",
            pos.base_url(),
            mews.base_url(),
            mews.ws_url()
        ),
    );
    dir
}

fn stop_with(signal: &str) {
    let pos = PosSimulator::start_in_background(SimConfig {
        // Within the first fetch's 30 days.
        start_date: chrono::Utc::now().date_naive() - chrono::Duration::days(6),
        days: 6,
        orders_per_day: 120,
        ..SimConfig::default()
    })
    .expect("POS simulator");
    let mews = MewsSimulator::start_in_background(MewsSimConfig {
        seed: 3,
        rooms: 20,
        requests_per_window: 100_000,
        ..MewsSimConfig::default()
    })
    .expect("Mews simulator");
    let dir = setup(&pos, &mews);
    // Slow pages, so the stop lands while the fetch is under way.
    pos.inject(
        Endpoint::SquareSearchOrders,
        Fault::Latency(Duration::from_millis(400)),
        Times::UntilCleared,
    );
    let log = dir.path().join("run.log");
    let mut child = venue(dir.path())
        .arg("run")
        .env(
            "VENUE_SECRET_SQ_ACCESS_TOKEN",
            &pos.config().square_access_token,
        )
        .env(
            "VENUE_SECRET_MEWS_CLIENT_TOKEN",
            &mews.config().client_token,
        )
        .env(
            "VENUE_SECRET_MEWS_ACCESS_TOKEN",
            &mews.config().access_token,
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("venue run");
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = json(
            venue(dir.path())
                .args(["status", "--json"])
                .output()
                .expect("status"),
        );
        let stored = status["counts"]["transactions"].as_u64().unwrap_or(0);
        if stored > 0 && mews.connected_sockets() > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "venue run never got going\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("venue run did not stop on SIG{signal}\n{}", logs());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.code(),
        Some(0),
        "SIG{signal} stops venue run cleanly ({status})\n{}",
        logs()
    );
    let snapshots = json(
        venue(dir.path())
            .args(["export", "snapshots", "--format", "json"])
            .output()
            .expect("export"),
    );
    let snapshots = snapshots.as_array().expect("array");
    assert!(
        snapshots.iter().all(|s| s["status"] != "running"),
        "no run is left running: {snapshots:?}"
    );
    let fetch = snapshots
        .iter()
        .find(|s| s["connector"] == "sq")
        .expect("the fetch's run");
    assert_eq!(fetch["status"], "partial", "{fetch}");
    assert!(
        fetch["error"]
            .as_str()
            .is_some_and(|e| e.contains("the console was stopped")),
        "{fetch}"
    );
    assert!(
        snapshots
            .iter()
            .any(|s| s["connector"] == "mews" && s["cursor"] == "socket"),
        "the socket's run was recorded: {snapshots:?}"
    );
}

#[test]
fn sigterm_stops_venue_run_cleanly() {
    stop_with("TERM");
}

#[test]
fn ctrl_c_stops_venue_run_cleanly_too() {
    stop_with("INT");
}
