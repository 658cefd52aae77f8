//! `venue` processes as a busy front office and a hostile world run them against the Mews
//! simulator (issue 16): several syncs, `venue run` and charge postings at once post each
//! charge exactly once (item 1); an amount the PMS cannot take is refused and a charge it
//! refuses makes `pms sync` exit 3 without holding the others back (item 6); hostile text is
//! refused with exit 2 and stored text is never echoed raw to the terminal (item 16).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use venue_core::domain::{ChargeState, PmsCharge};
use venue_sim::{BackgroundMewsSim, MewsSimConfig, MewsSimulator};
use venue_store::{Store, DB_FILE};

fn command(data_dir: &Path, sim: &BackgroundMewsSim, args: &[&str]) -> Command {
    let mut cmd = support::mews_command(data_dir, sim, args);
    cmd.env_remove("VENUE_STAFF_PIN").stdin(Stdio::null());
    cmd
}

fn venue(data_dir: &Path, sim: &BackgroundMewsSim, args: &[&str]) -> Output {
    command(data_dir, sim, args).output().expect("run venue")
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

fn sim() -> BackgroundMewsSim {
    MewsSimulator::start_in_background(MewsSimConfig {
        seed: 21,
        rooms: 20,
        requests_per_window: 100_000,
        ..MewsSimConfig::default()
    })
    .expect("simulator")
}

/// `[pms]` pointing at `api_url` (the simulator, or a dead port).
fn point_pms_at(dir: &Path, sim: &BackgroundMewsSim, api_url: &str) {
    let path = dir.join("venue.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    let base = config
        .split("\n[pms]\n")
        .next()
        .unwrap_or_default()
        .to_string();
    std::fs::write(
        &path,
        format!(
            "{base}\n[pms]\nkind = \"mews\"\napi_url = \"{api_url}\"\nws_url = \"{}\"\nrequests_per_window = 100000\n[pms.retry]\nbase_ms = 20\nmax_attempts = 2\n",
            sim.ws_url()
        ),
    )
    .expect("write config");
}

fn setup(sim: &BackgroundMewsSim) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = venue(
        dir.path(),
        sim,
        &support::init_args("Canal House", "Europe/Amsterdam", &sim.currency(), "80"),
    );
    assert!(out.status.success(), "{}", text(&out));
    point_pms_at(dir.path(), sim, &sim.base_url());
    let out = venue(dir.path(), sim, &["pms", "sync", "--full", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    dir
}

fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn in_house(sim: &BackgroundMewsSim) -> Vec<venue_sim::SimReservation> {
    sim.reservations()
        .into_iter()
        .filter(|r| r.state == "Started")
        .collect()
}

fn charge_args<'a>(
    stay: &'a str,
    amount: &'a str,
    item: &'a str,
    currency: &'a str,
) -> Vec<&'a str> {
    vec![
        "pms",
        "charge",
        "--reservation",
        stay,
        "--amount",
        amount,
        "--currency",
        currency,
        "--item",
        item,
        "--json",
    ]
}

fn posted(sim: &BackgroundMewsSim) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for item in sim.orders().into_iter().flat_map(|o| o.items) {
        if let Some(key) = item.external_identifier {
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}

fn wait_for(child: &mut Child, what: &str) -> Output {
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("poll").is_none() {
        assert!(Instant::now() < deadline, "{what} never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = Output {
        status: child.wait().expect("status"),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    use std::io::Read as _;
    if let Some(mut s) = child.stdout.take() {
        s.read_to_end(&mut out.stdout).expect("stdout");
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_end(&mut out.stderr).expect("stderr");
    }
    out
}

#[test]
fn syncs_run_and_postings_at_once_post_each_charge_exactly_once() {
    let sim = sim();
    let dir = setup(&sim);
    let stays = in_house(&sim);
    let currency = sim.currency();
    // Ten charges queued while the PMS cannot be reached: each tried once, so every sender
    // after must ask the PMS before posting.
    point_pms_at(dir.path(), &sim, &dead_url());
    let mut keys = Vec::new();
    for i in 0..10 {
        let (amount, item) = (format!("{}.25", 2 + i), format!("Minibar {i}"));
        let out = venue(
            dir.path(),
            &sim,
            &charge_args(&stays[i % stays.len()].number, &amount, &item, &currency),
        );
        assert_eq!(
            out.status.code(),
            Some(3),
            "recorded, not sent: {}",
            text(&out)
        );
        let charge = &json(&out)[0];
        assert_eq!(charge["state"], "pending");
        keys.push(charge["id"].as_str().expect("id").to_string());
    }
    point_pms_at(dir.path(), &sim, &sim.base_url());
    // Four syncs, the live mirror and two postings from the desk, all at once.
    let spawn = |args: &[&str]| {
        command(dir.path(), &sim, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn venue")
    };
    let mut run = command(dir.path(), &sim, &["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn venue run");
    let mut syncs: Vec<Child> = (0..4).map(|_| spawn(&["pms", "sync", "--json"])).collect();
    let mut desk: Vec<Child> = (0..2)
        .map(|i| {
            spawn(&charge_args(
                &stays[i].number,
                "4.80",
                ["Espresso", "Cake"][i],
                &currency,
            ))
        })
        .collect();
    for child in &mut syncs {
        let out = wait_for(child, "venue pms sync");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    for child in &mut desk {
        let out = wait_for(child, "venue pms charge");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let charge = &json(&out)[0];
        assert_eq!(charge["state"], "sent", "{charge}");
        keys.push(charge["id"].as_str().expect("id").to_string());
    }
    // `venue run` may still be sending one: wait until nothing is pending, then stop it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = venue(
            dir.path(),
            &sim,
            &["pms", "charges", "--state", "pending", "--json"],
        );
        if json(&out).as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "charges left pending: {}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    run.kill().expect("stop venue run");
    run.wait().expect("reaped");
    let counts = posted(&sim);
    for key in &keys {
        assert_eq!(
            counts.get(key).copied(),
            Some(1),
            "charge {key}: {counts:?}"
        );
    }
    let sent = json(&venue(
        dir.path(),
        &sim,
        &["pms", "charges", "--state", "sent", "--json"],
    ));
    assert_eq!(sent.as_array().map(Vec::len), Some(keys.len()));
}

#[test]
fn an_impossible_amount_is_refused_and_a_refused_charge_makes_sync_exit_3_without_blocking() {
    let sim = sim();
    let dir = setup(&sim);
    let stays = in_house(&sim);
    let currency = sim.currency();
    for (amount, named) in [
        ("12345678901234.56", "too large"),
        ("1000000000.00", "too large"),
        ("3.999", "decimal places"),
    ] {
        let out = venue(
            dir.path(),
            &sim,
            &charge_args(&stays[0].number, amount, "Suite", &currency),
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("amount") && err.contains(named), "{err}");
    }
    // Queued offline: one for a stay the PMS will refuse (canceled meanwhile), then two more.
    point_pms_at(dir.path(), &sim, &dead_url());
    for (i, item) in ["Minibar", "Laundry", "Breakfast"].iter().enumerate() {
        let out = venue(
            dir.path(),
            &sim,
            &charge_args(&stays[i].number, "5", item, &currency),
        );
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    }
    point_pms_at(dir.path(), &sim, &sim.base_url());
    sim.set_reservation_state(&stays[0].id, "Canceled")
        .expect("cancel");
    let out = venue(dir.path(), &sim, &["pms", "sync", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a charge failed: {}",
        text(&out)
    );
    let report = json(&out);
    assert_eq!(report["charges"]["failed"], 1, "{report}");
    assert_eq!(
        report["charges"]["sent"], 2,
        "the others went out: {report}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 charges failed"));
    // Nothing failed in the next pass.
    let out = venue(dir.path(), &sim, &["pms", "sync", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The PMS out of reach: the pass is partial too.
    point_pms_at(dir.path(), &sim, &dead_url());
    let out = venue(dir.path(), &sim, &["pms", "sync"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn hostile_text_is_refused_with_exit_2_and_stored_text_is_never_echoed_raw() {
    let sim = sim();
    let dir = setup(&sim);
    let stay = in_house(&sim)[0].number.clone();
    let currency = sim.currency();
    let huge = "n".repeat(100_000);
    // Anything a terminal would obey: controls other than line breaks and tabs, bidi overrides.
    let raw = |out: &Output| {
        [&out.stdout, &out.stderr].iter().any(|bytes| {
            String::from_utf8_lossy(bytes).chars().any(|c| {
                (c.is_control() && c != '\n' && c != '\t')
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)
            })
        })
    };
    for note in [
        "",
        "   ",
        "\u{1b}[2J\u{1b}[31mPAID",
        "bell\u{7}",
        "x\u{202e}y",
        &huge,
    ] {
        let out = venue(
            dir.path(),
            &sim,
            &["pms", "note", "--reservation", &stay, note],
        );
        assert_eq!(out.status.code(), Some(2), "{note:?}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("desk note"));
        assert!(!raw(&out), "{}", text(&out));
    }
    for item in ["Minibar\u{1b}[2J", "Mini\nbar", "\u{202e}rabiniM", &huge] {
        let out = venue(dir.path(), &sim, &charge_args(&stay, "3", item, &currency));
        assert_eq!(out.status.code(), Some(2), "{item:?}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("item"));
        assert!(!raw(&out), "{}", text(&out));
    }
    let out = command(
        dir.path(),
        &sim,
        &[
            "staff",
            "add",
            "--name",
            "Sam \u{202e}nimdA",
            "--role",
            "admin",
        ],
    )
    .env("VENUE_STAFF_PIN", "4812")
    .output()
    .expect("staff add");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!raw(&out), "{}", text(&out));
    for code in ["XXX", "XTS", "XAU"] {
        let fresh = tempfile::tempdir().expect("tempdir");
        let out = venue(
            fresh.path(),
            &sim,
            &[
                "init",
                "--name",
                "Inn",
                "--timezone",
                "Europe/Paris",
                "--currency",
                code,
                "--capacity",
                "9",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{code}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains("currency"));
    }
    let none = json(&venue(dir.path(), &sim, &["pms", "charges", "--json"]));
    assert_eq!(none.as_array().map(Vec::len), Some(0), "nothing stored");
    // Text stored by a build from before these checks is shown escaped, never obeyed.
    let mut store = Store::open(&dir.path().join(DB_FILE)).expect("store");
    let mut v = store.venue().expect("venue").expect("a venue");
    v.name = "Canal \u{1b}[2J House".into();
    store
        .save_by_user("old build", "venue.update", &v)
        .expect("name");
    let stay_row = store
        .find_reservation(v.id, &stay)
        .expect("find")
        .expect("stay");
    let legacy = PmsCharge {
        id: venue_core::domain::new_id(),
        venue_id: v.id,
        source: "mews".into(),
        reservation_id: stay_row.id,
        reservation_external_id: stay_row.external_id.clone(),
        item: "Minibar\u{1b}[8m\u{202e}".into(),
        amount_minor: 300,
        currency: v.currency,
        state: ChargeState::Pending,
        attempts: 0,
        last_error: None,
        external_order_id: None,
        requested_by: "old\u{1b}[31m build".into(),
        requested_at: chrono::Utc::now(),
        sent_at: None,
    };
    store
        .save_by_user("old build", "pms.charge.create", &legacy)
        .expect("legacy charge");
    drop(store);
    for args in [
        &["status"][..],
        &["pms", "charges"][..],
        &["pms", "sync"][..],
        &["pms", "charges", "--state", "failed"][..],
    ] {
        let out = venue(dir.path(), &sim, args);
        assert!(!raw(&out), "{args:?}: {}", text(&out));
    }
    let listed = venue(dir.path(), &sim, &["pms", "charges"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("Minibar\\u{1b}[8m"),
        "{}",
        text(&listed)
    );
    // It was never sent: it failed with the reason.
    assert_eq!(posted(&sim).get(&legacy.id.to_string()), None);
    let failed = json(&venue(
        dir.path(),
        &sim,
        &["pms", "charges", "--state", "failed", "--json"],
    ));
    assert_eq!(failed.as_array().map(Vec::len), Some(1), "{failed}");
}

fn socket_runs(dir: &Path) -> Vec<venue_core::domain::Snapshot> {
    let store = Store::open(&dir.join(DB_FILE)).expect("store");
    let v = store.venue().expect("venue").expect("a venue");
    let mut out = Vec::new();
    store
        .export::<venue_core::domain::Snapshot>(v.id, None, None, |s| {
            if s.cursor.as_deref() == Some("socket") {
                out.push(s);
            }
            Ok(())
        })
        .expect("snapshots");
    out
}

#[test]
fn the_socket_run_of_venue_run_survives_another_sync_and_is_closed_once_killed() {
    use venue_core::domain::SnapshotStatus;
    let sim = sim();
    let dir = setup(&sim);
    let mut run = command(dir.path(), &sim, &["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn venue run");
    // Connected, and past the gap-fill pull every connection starts with.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(sim.connected_sockets() > 0 && socket_runs(dir.path()).len() == 1) {
        assert!(Instant::now() < deadline, "venue run never connected");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    let out = venue(dir.path(), &sim, &["pms", "sync", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let session = &socket_runs(dir.path())[0];
    assert_eq!(
        (session.status, session.error.as_deref()),
        (SnapshotStatus::Running, None),
        "{session:?}"
    );
    // Killed (no chance to close it): the next pass closes it as interrupted.
    run.kill().expect("kill -9");
    run.wait().expect("reaped");
    let out = venue(dir.path(), &sim, &["pms", "sync", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let session = &socket_runs(dir.path())[0];
    assert_ne!(session.status, SnapshotStatus::Running, "{session:?}");
    assert!(session
        .error
        .as_deref()
        .is_some_and(|e| e.contains("interrupted")));
}
