//! Charges against the Mews simulator over real HTTP, with several senders on separate store
//! connections to one file: each charge reaches the PMS exactly once however the senders
//! interleave (issue 16, item 1), and a charge the PMS can never take fails with its reason,
//! raises the alert and never holds back the charges behind it (item 6).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use proptest::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;
use support::open;
use venue_core::domain::{new_id, ChargeState, Origin, PmsCharge};
use venue_sim::{BackgroundMewsSim, Fault, MewsEndpoint, Times};
use venue_store::{ChargeClaim, Store, DB_FILE};

fn sim() -> BackgroundMewsSim {
    support::mews_sim(16, 20)
}

/// A venue whose PMS is the simulator, synced once.
fn venue(sim: &BackgroundMewsSim) -> tempfile::TempDir {
    let dir = support::init_venue(&sim.currency(), "Europe/Amsterdam", &format!(
            "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nrequests_per_window = 100000\n[pms.retry]\nbase_ms = 10\nmax_attempts = 2\n",
            sim.base_url(),
            sim.ws_url()
        ));
    open(dir.path(), sim).pms_sync(true).expect("first sync");
    dir
}

fn in_house(sim: &BackgroundMewsSim) -> Vec<String> {
    sim.reservations()
        .into_iter()
        .filter(|r| r.state == "Started")
        .map(|r| r.number)
        .collect()
}

/// How many order items in the PMS carry each of `keys` as their ExternalIdentifier.
fn posted(sim: &BackgroundMewsSim, keys: &[String]) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = keys.iter().map(|k| (k.clone(), 0)).collect();
    for item in sim.orders().into_iter().flat_map(|o| o.items) {
        if let Some(n) = item
            .external_identifier
            .as_ref()
            .and_then(|k| counts.get_mut(k))
        {
            *n += 1;
        }
    }
    counts
}

/// Queues `n` charges while the PMS is down (each tried once: an attempt is counted, so every
/// later sender must ask the PMS before posting: the race the claims close).
fn queue_offline(dir: &Path, sim: &BackgroundMewsSim, n: usize) -> Vec<String> {
    let stays = in_house(sim);
    sim.shutdown();
    let mut console = open(dir, sim);
    let keys = (0..n)
        .map(|i| {
            let charge = console
                .pms_charge(
                    &stays[i % stays.len()],
                    &format!("{}.50", 3 + i),
                    &sim.currency(),
                    &format!("Minibar {i}"),
                )
                .expect("recorded offline");
            assert_eq!(charge.state, ChargeState::Pending);
            charge.id.to_string()
        })
        .collect();
    sim.restart().expect("PMS back");
    keys
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Any number of senders at once (whole syncs, and the screens' path posting new charges),
    /// each on its own store connection, with replies lost at random: every charge is posted
    /// exactly once and all end sent.
    #[test]
    fn concurrent_senders_post_each_charge_exactly_once(
        senders in 2usize..5,
        queued in 1usize..9,
        lost_replies in 0u32..3,
        screens in any::<bool>(),
    ) {
        let sim = sim();
        let dir = venue(&sim);
        let mut keys = queue_offline(dir.path(), &sim, queued);
        if lost_replies > 0 {
            sim.inject_orders_add_lost_response(Times::Next(lost_replies));
        }
        let start = Arc::new(Barrier::new(senders));
        let threads: Vec<_> = (0..senders)
            .map(|i| {
                let (path, start) = (dir.path().to_path_buf(), Arc::clone(&start));
                let mut console = open(&path, &sim);
                let stay = in_house(&sim)[0].clone();
                let currency = sim.currency();
                std::thread::spawn(move || {
                    start.wait();
                    let mut new = Vec::new();
                    if screens && i == 0 {
                        // The screens' path: a charge posted now flushes while others sync.
                        for j in 0..3 {
                            let c = console
                                .pms_charge(&stay, "2", &currency, &format!("Espresso {j}"))
                                .expect("screens' charge");
                            new.push(c.id.to_string());
                        }
                    } else {
                        console.pms_sync(false).expect("sync");
                    }
                    new
                })
            })
            .collect();
        for t in threads {
            keys.extend(t.join().expect("sender"));
        }
        // Whatever a lost reply left pending goes out with one more pass, still once.
        open(dir.path(), &sim).pms_sync(false).expect("settling sync");
        for (key, n) in posted(&sim, &keys) {
            prop_assert_eq!(n, 1, "charge {} posted {} times", key, n);
        }
        let console = open(dir.path(), &sim);
        let sent = console.pms_charges(Some(ChargeState::Sent)).expect("charges");
        prop_assert_eq!(sent.len(), keys.len());
    }
}

#[test]
fn a_sender_that_stopped_mid_send_is_taken_over_after_its_lease_and_the_pms_is_asked_first() {
    let sim = sim();
    let dir = venue(&sim);
    let db = dir.path().join(DB_FILE);
    let stay = in_house(&sim)[0].clone();
    let mut console = open(dir.path(), &sim);
    // A sender posted this charge, the PMS recorded it, and the sender died before it could
    // mark it sent, still holding its claim (lapsing at once here).
    sim.inject_orders_add_lost_response(Times::ONCE);
    let landed = console
        .pms_charge(&stay, "9.90", &sim.currency(), "Late checkout")
        .expect("recorded");
    assert_eq!((landed.state, landed.attempts), (ChargeState::Pending, 1));
    let mut store = Store::open(&db).expect("store");
    assert!(matches!(
        store
            .claim_charge(landed.id, "pid 1 (killed)", Duration::ZERO)
            .expect("claim"),
        ChargeClaim::Claimed { .. }
    ));
    // Another sender is alive and mid-send on this one: its claim has not lapsed.
    let keys = queue_offline(dir.path(), &sim, 1);
    let busy: uuid::Uuid = keys[0].parse().expect("id");
    store
        .claim_charge(busy, "pid 2 (alive)", Duration::from_secs(600))
        .expect("claim");
    drop(store);
    let report = console.pms_sync(false).expect("sync");
    assert_eq!(
        (report.charges.sent, report.charges.busy),
        (1, 1),
        "{:?}",
        report.charges
    );
    let all = [landed.id.to_string(), keys[0].clone()];
    let counts = posted(&sim, &all);
    assert_eq!(
        counts[&all[0]], 1,
        "taken over, found in the PMS, not posted again"
    );
    assert_eq!(counts[&all[1]], 0, "a live sender's charge is theirs");
    let charges = console.pms_charges(None).expect("charges");
    let state = |key: &str| {
        charges
            .iter()
            .find(|c| c.id.to_string() == key)
            .map(|c| c.state)
    };
    assert_eq!(state(&all[0]), Some(ChargeState::Sent));
    assert_eq!(state(&all[1]), Some(ChargeState::Pending));
}

/// A charge as a build before the checks at entry may have stored it.
fn legacy_charge(dir: &Path, sim: &BackgroundMewsSim, amount_minor: i64, item: &str) -> String {
    let mut store = Store::open(&dir.join(DB_FILE)).expect("store");
    let venue = store.venue().expect("venue").expect("a venue");
    let stay = store
        .find_reservation(venue.id, &in_house(sim)[0])
        .expect("find")
        .expect("stay");
    let charge = PmsCharge {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        reservation_id: stay.id,
        reservation_external_id: stay.external_id.clone(),
        item: item.into(),
        amount_minor,
        currency: venue.currency,
        state: ChargeState::Pending,
        attempts: 0,
        last_error: None,
        external_order_id: None,
        requested_by: "old build".into(),
        requested_at: chrono::Utc::now(),
        sent_at: None,
    };
    store
        .save_audited(Origin::User, "old build", "pms.charge.create", &charge)
        .expect("stored");
    charge.id.to_string()
}

#[test]
fn a_charge_the_pms_can_never_take_fails_with_its_reason_and_never_blocks_the_rest() {
    let sim = sim();
    let dir = venue(&sim);
    // Oldest first: the poison charges go first, as in the report.
    let oversized = legacy_charge(dir.path(), &sim, 1_234_567_890_123_456, "Suite");
    let escape = legacy_charge(dir.path(), &sim, 500, "Minibar\u{1b}[2J");
    let huge_item = legacy_charge(dir.path(), &sim, 500, &"x".repeat(100_000));
    let fine = legacy_charge(dir.path(), &sim, 1250, "Laundry");
    let mut console = open(dir.path(), &sim);
    let report = console.pms_sync(false).expect("sync");
    assert_eq!(
        (
            report.charges.sent,
            report.charges.failed,
            report.charges.pending
        ),
        (1, 3, 0),
        "{:?}",
        report.charges
    );
    let keys = [
        oversized.clone(),
        escape.clone(),
        huge_item.clone(),
        fine.clone(),
    ];
    let counts = posted(&sim, &keys);
    assert_eq!(counts[&fine], 1);
    assert_eq!(counts[&oversized] + counts[&escape] + counts[&huge_item], 0);
    let charges = console.pms_charges(None).expect("charges");
    let reason = |key: &str| {
        let c = charges
            .iter()
            .find(|c| c.id.to_string() == key)
            .expect("charge");
        assert_eq!(c.state, ChargeState::Failed, "{c:?}");
        assert_eq!(c.attempts, 0, "never sent");
        c.last_error.clone().unwrap_or_default()
    };
    assert!(
        reason(&oversized).contains("too large"),
        "{}",
        reason(&oversized)
    );
    assert!(reason(&escape).contains("escape"), "{}", reason(&escape));
    assert!(reason(&huge_item).contains("100000 characters"));
    assert!(
        reason(&huge_item).len() < 1_000,
        "the reason quotes, not copies"
    );
    // Each failure raises the existing alert.
    console.evaluate_alerts().expect("evaluate");
    let alerts = console.alerts_list(false).expect("alerts");
    let failed: Vec<_> = alerts
        .iter()
        .filter(|a| a.rule == "pms.charge_failed")
        .collect();
    assert_eq!(failed.len(), 3, "{alerts:?}");
    assert!(failed
        .iter()
        .all(|a| !a.title.contains('\u{1b}') && a.title.chars().count() < 200));
}

/// Errors that are one charge's own (a refusal, an answer we cannot read, a 500 about this
/// request) against errors that mean the PMS is out of reach: only the latter hold back the
/// charges behind it.
#[test]
fn only_an_unreachable_pms_holds_back_the_charges_behind_a_failure() {
    // (the first post's fault, None for a 400 refusal; the first charge's state; the rest sent)
    for (fault, first_state, rest_sent) in [
        (Some(Fault::MalformedJson), ChargeState::Pending, true),
        (Some(Fault::ServerError(500)), ChargeState::Pending, true),
        (None, ChargeState::Failed, true),
        (Some(Fault::ServerError(503)), ChargeState::Pending, false),
        (Some(Fault::ServerError(502)), ChargeState::Pending, false),
        (Some(Fault::ExpiredToken), ChargeState::Pending, false),
    ] {
        let sim = sim();
        let dir = venue(&sim);
        let stays: Vec<_> = sim
            .reservations()
            .into_iter()
            .filter(|r| r.state == "Started")
            .collect();
        assert!(stays.len() >= 3, "one stay per charge");
        // Charge i goes to stays[i], oldest first.
        let keys = queue_offline(dir.path(), &sim, 3);
        match &fault {
            Some(f) => sim.inject(MewsEndpoint::OrdersAdd, f.clone(), Times::ONCE),
            // The first charge's stay is canceled in the PMS: it answers 400 for that one.
            None => {
                sim.set_reservation_state(&stays[0].id, "Canceled")
                    .expect("cancel");
            }
        }
        let report = open(dir.path(), &sim).pms_sync(false).expect("sync");
        let charges = open(dir.path(), &sim).pms_charges(None).expect("charges");
        let state = |key: &str| {
            charges
                .iter()
                .find(|c| c.id.to_string() == key)
                .map(|c| c.state)
        };
        assert_eq!(state(&keys[0]), Some(first_state), "{fault:?}: {report:?}");
        let counts = posted(&sim, &keys);
        let rest = counts[&keys[1]] + counts[&keys[2]];
        if rest_sent {
            assert_eq!(
                rest, 2,
                "{fault:?}: the others went out: {:?}",
                report.charges
            );
        } else {
            assert_eq!(rest, 0, "{fault:?}: the PMS is out of reach, the rest wait");
            assert_eq!(report.charges.pending, 3, "{:?}", report.charges);
        }
    }
}
