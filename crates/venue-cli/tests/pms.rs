//! `venue pms` as a user runs it against the Mews simulator: sync, charges, exports, exit
//! codes, and a charge whose process is killed mid-request posted exactly once afterwards.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use support::{mews_command as command, ok_json};
use venue_sim::{BackgroundMewsSim, Fault, MewsEndpoint, MewsSimConfig, MewsSimulator, Times};

fn venue(data_dir: &Path, sim: &BackgroundMewsSim, args: &[&str]) -> Output {
    command(data_dir, sim, args).output().expect("run venue")
}

fn setup(sim: &BackgroundMewsSim, with_pms: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = venue(
        dir.path(),
        sim,
        &support::init_args("Canal House", "Europe/Amsterdam", "EUR", "80"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if with_pms {
        support::append_config(
            dir.path(),
            &format!(
                "[pms]\nkind = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\n[pms.retry]\nbase_ms = 20\nmax_attempts = 2\n",
                sim.base_url(),
                sim.ws_url()
            ),
        );
    }
    dir
}

fn sim(timeout_hold: Duration) -> BackgroundMewsSim {
    MewsSimulator::start_in_background(MewsSimConfig {
        seed: 3,
        rooms: 20,
        timeout_hold,
        ..MewsSimConfig::default()
    })
    .expect("simulator")
}

fn in_house(sim: &BackgroundMewsSim) -> venue_sim::SimReservation {
    sim.reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("an in-house guest")
}

#[test]
fn sync_charge_and_export_from_the_command_line() {
    let sim = sim(Duration::from_secs(1));
    let dir = setup(&sim, true);
    let report = ok_json(venue(
        dir.path(),
        &sim,
        &["pms", "sync", "--full", "--json"],
    ));
    assert_eq!(report["snapshot"]["status"], "ok");
    assert!(report["records"]["written"].as_u64() > Some(0));
    let stay = in_house(&sim);
    let charged = ok_json(venue(
        dir.path(),
        &sim,
        &[
            "pms",
            "charge",
            "--reservation",
            &stay.number,
            "--amount",
            "12.50",
            "--currency",
            "EUR",
            "--item",
            "Minibar",
            "--json",
        ],
    ));
    assert_eq!(charged[0]["state"], "sent", "{charged}");
    assert_eq!(charged[0]["amount_minor"], 1250);
    let sent = ok_json(venue(
        dir.path(),
        &sim,
        &["pms", "charges", "--state", "sent", "--json"],
    ));
    assert_eq!(sent.as_array().map(Vec::len), Some(1));
    let csv = venue(dir.path(), &sim, &["export", "charges", "--format", "csv"]);
    let text = String::from_utf8_lossy(&csv.stdout);
    assert!(text
        .lines()
        .next()
        .is_some_and(|h| h.contains("amount_minor") && h.contains("state")));
    assert!(text.contains("12.50") && text.contains("Minibar"), "{text}");
    let reservations = ok_json(venue(
        dir.path(),
        &sim,
        &["export", "reservations", "--format", "json"],
    ));
    assert_eq!(
        reservations.as_array().map(Vec::len),
        Some(sim.reservations().len())
    );
    let note = venue(
        dir.path(),
        &sim,
        &[
            "pms",
            "note",
            "--reservation",
            &stay.number,
            "Extra pillows",
        ],
    );
    assert!(note.status.success());
    let daily = venue(dir.path(), &sim, &["report", "daily"]);
    assert!(String::from_utf8_lossy(&daily.stdout).contains("rooms dirty"));
}

#[test]
fn bad_input_and_a_missing_pms_exit_2_with_one_line_naming_the_problem() {
    let sim = sim(Duration::from_secs(1));
    let bare = setup(&sim, false);
    let out = venue(bare.path(), &sim, &["pms", "sync"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[pms]"), "{err}");
    let dir = setup(&sim, true);
    ok_json(venue(dir.path(), &sim, &["pms", "sync", "--json"]));
    let stay = in_house(&sim);
    for (amount, currency, what) in [
        ("12,50", "EUR", "12,50"),
        ("5", "EURO", "EURO"),
        ("0", "EUR", "more than zero"),
    ] {
        let out = venue(
            dir.path(),
            &sim,
            &[
                "pms",
                "charge",
                "--reservation",
                &stay.number,
                "--amount",
                amount,
                "--currency",
                currency,
                "--item",
                "Minibar",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{amount} {currency}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(what) && err.lines().count() == 1, "{err}");
    }
    let out = venue(
        dir.path(),
        &sim,
        &[
            "pms",
            "charge",
            "--reservation",
            "nope",
            "--amount",
            "1",
            "--currency",
            "EUR",
            "--item",
            "x",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let nothing = ok_json(venue(dir.path(), &sim, &["pms", "charges", "--json"]));
    assert_eq!(
        nothing.as_array().map(Vec::len),
        Some(0),
        "refused input stores nothing"
    );
}

#[test]
fn a_charge_killed_mid_request_is_posted_exactly_once_by_the_next_sync() {
    let sim = sim(Duration::from_secs(2));
    let dir = setup(&sim, true);
    ok_json(venue(dir.path(), &sim, &["pms", "sync", "--json"]));
    let stay = in_house(&sim);
    // The PMS holds the post; we kill the process while it waits.
    sim.inject(MewsEndpoint::OrdersAdd, Fault::Timeout, Times::Next(1));
    let mut child = command(
        dir.path(),
        &sim,
        &[
            "pms",
            "charge",
            "--reservation",
            &stay.number,
            "--amount",
            "7.40",
            "--currency",
            "EUR",
            "--item",
            "Laundry",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.requests(MewsEndpoint::OrdersAdd) == 0 {
        assert!(Instant::now() < deadline, "the charge was never posted");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    // Whatever the PMS did with the held request, it is done after the hold.
    std::thread::sleep(Duration::from_secs(3));
    let pending = ok_json(venue(
        dir.path(),
        &sim,
        &["pms", "charges", "--state", "pending", "--json"],
    ));
    assert_eq!(
        pending.as_array().map(Vec::len),
        Some(1),
        "kept in the outbox: {pending}"
    );
    assert_eq!(
        pending[0]["attempts"], 1,
        "the attempt was recorded before the post"
    );
    let key = pending[0]["id"].as_str().expect("id").to_string();
    let report = ok_json(venue(dir.path(), &sim, &["pms", "sync", "--json"]));
    assert_eq!(report["charges"]["sent"], 1, "{report}");
    let posted = sim
        .orders()
        .iter()
        .flat_map(|o| o.items.clone())
        .filter(|i| i.external_identifier.as_deref() == Some(key.as_str()))
        .count();
    assert_eq!(posted, 1, "exactly once across the crash");
    let again = ok_json(venue(dir.path(), &sim, &["pms", "sync", "--json"]));
    assert_eq!(again["charges"]["sent"], 0);
}
