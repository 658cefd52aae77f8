//! `venue fetch` as cron jobs and scripts see it, through the real binary against the simulator:
//! exit 0 only when every connector finished ok, 3 (partial) when any ended partial or failed
//! with the reason on stderr, and 2 for an impossible `--since`, refused before anything is
//! sent, so it never counts against the vendor's breaker.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::stderr;
use venue_sim::{BackgroundSim, Endpoint, Fault, PosSimulator, SimConfig, Times, Vendor};

const PARTIAL: i32 = 3;
const USAGE: i32 = 2;

fn venue(data_dir: &Path, sim: &BackgroundSim) -> Command {
    let mut cmd = support::venue_command(data_dir);
    cmd.env(
        "VENUE_SECRET_SQ_ACCESS_TOKEN",
        &sim.config().square_access_token,
    )
    .env("VENUE_SECRET_TT_CLIENT_ID", &sim.config().toast_client_id)
    .env(
        "VENUE_SECRET_TT_CLIENT_SECRET",
        &sim.config().toast_client_secret,
    );
    cmd
}

fn sim() -> BackgroundSim {
    // Enough Square orders for several pages of 500.
    PosSimulator::start_in_background(SimConfig {
        days: 6,
        orders_per_day: 120,
        ..SimConfig::default()
    })
    .expect("simulator")
}

/// A venue with a Square connector "sq" and a Toast connector "tt" (at `toast_url`, the
/// simulator by default), both retrying quickly.
fn setup(sim: &BackgroundSim, toast_url: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let init = venue(dir.path(), sim)
        .args(support::init_args("Cafe", "America/New_York", "USD", "50"))
        .output()
        .expect("init");
    assert!(init.status.success(), "{}", stderr(&init));
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let retry = "[connector.retry]\nbase_ms = 20\nmax_attempts = 3\n";
    support::append_config(
        dir.path(),
        &format!(
            "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"{}\"\n{retry}\n[[connector]]\nkind = \"toast\"\nname = \"tt\"\nbase_url = \"{}\"\nrestaurant_guid = \"{restaurant}\"\ncurrency = \"USD\"\n{retry}",
            sim.base_url(),
            toast_url.map_or_else(|| sim.base_url(), str::to_string),
        ),
    );
    dir
}

fn status(dir: &Path, sim: &BackgroundSim) -> Value {
    let out = venue(dir, sim)
        .args(["status", "--json"])
        .output()
        .expect("status");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

const SINCE: &str = "2024-03-01T00:00:00Z";

#[test]
fn a_fetch_where_every_connector_finished_ok_exits_0() {
    let sim = sim();
    let dir = setup(&sim, None);
    let out = venue(dir.path(), &sim)
        .args(["fetch", "--since", SINCE])
        .output()
        .expect("fetch");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A 502 storm after the first page: the run keeps that page, ends partial, and the process
/// says so with exit 3 and the reason (before: exit 0, as if all were well).
#[test]
fn a_502_storm_mid_fetch_exits_partial_with_the_reason_and_keeps_what_came() {
    let sim = sim();
    let dir = setup(&sim, None);
    // The first page answers; every later one is a 502.
    sim.inject(
        Endpoint::SquareSearchOrders,
        Fault::Latency(Duration::ZERO),
        Times::ONCE,
    );
    sim.inject(
        Endpoint::SquareSearchOrders,
        Fault::ServerError(502),
        Times::UntilCleared,
    );
    let out = venue(dir.path(), &sim)
        .args(["fetch", "--since", SINCE])
        .output()
        .expect("fetch");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(PARTIAL), "{err}");
    assert!(
        err.contains("connector sq ended partial") && err.contains("502"),
        "the reason is printed: {err}"
    );
    assert!(!err.contains("connector tt"), "tt finished ok: {err}");
    let stored = status(dir.path(), &sim)["counts"]["transactions"]
        .as_u64()
        .unwrap_or(0);
    assert!(stored > 0, "what came before the storm is kept");
}

#[test]
fn a_connector_that_failed_outright_exits_partial_while_the_others_keep_their_sales() {
    let sim = sim();
    // Nothing listens on port 9 of loopback.
    let dir = setup(&sim, Some("http://127.0.0.1:9"));
    let out = venue(dir.path(), &sim)
        .args(["fetch", "--since", SINCE])
        .output()
        .expect("fetch");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(PARTIAL), "{err}");
    assert!(err.contains("connector tt ended failed"), "{err}");
    assert!(
        status(dir.path(), &sim)["counts"]["transactions"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );
}

/// Impossible `--since` values are refused with exit 2 before anything is sent; five runs with
/// a future one leave no breaker state at all (before: five 400s opened the breaker).
#[test]
fn an_impossible_since_exits_2_sends_nothing_and_leaves_the_breaker_closed() {
    let sim = sim();
    let dir = setup(&sim, None);
    let cases = [
        "2999-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "2026-13-01T00:00:00Z",
        "yesterday",
        "",
    ];
    for since in cases {
        let out = venue(dir.path(), &sim)
            .args(["fetch", "--since", since])
            .output()
            .expect("fetch");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(USAGE), "--since {since:?}: {err}");
        assert!(err.contains("--since"), "--since {since:?}: {err}");
    }
    for _ in 0..5 {
        let out = venue(dir.path(), &sim)
            .args(["fetch", "--connector", "sq", "--since", cases[0]])
            .output()
            .expect("fetch");
        assert_eq!(out.status.code(), Some(USAGE), "{}", stderr(&out));
    }
    assert_eq!(sim.total_requests(), 0, "nothing reached the vendor");
    let status = status(dir.path(), &sim);
    assert_eq!(status["counts"]["snapshots"], 0, "{status}");
    assert_eq!(status["connectors"], Value::Array(Vec::new()), "{status}");
    let out = venue(dir.path(), &sim)
        .args(["fetch", "--since", SINCE])
        .output()
        .expect("fetch");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
