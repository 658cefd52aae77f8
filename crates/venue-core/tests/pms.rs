//! The PMS mirror over real HTTP and websocket against the Mews simulator: a full sync, the
//! live socket surviving drops while reservations change, duplicate and out-of-order events,
//! bad frames and bodies, and charges posted exactly once across lost replies and outages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::time::{Duration, Instant};
use support::open;
use venue_core::domain::{
    vendor_row_id, ChargeState, Customer, EntityKind, Reservation, Resource, SnapshotStatus,
};
use venue_core::{Console, LiveReport};
use venue_sim::{BackgroundMewsSim, Fault, MewsEndpoint, Times};
use venue_store::{Store, DB_FILE};

/// Tests drive far more traffic than a hotel; the documented limit is tested in venue-sim.
fn sim() -> BackgroundMewsSim {
    support::mews_sim(11, 30)
}

fn pms_block(sim: &BackgroundMewsSim) -> String {
    format!(
        "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nping_interval_seconds = 1\ndead_after_seconds = 3\nrequests_per_window = 100000\n[pms.retry]\nbase_ms = 20\nmax_attempts = 3\n",
        sim.base_url(),
        sim.ws_url()
    )
}

/// A venue whose venue.toml points its PMS at the simulator.
fn console(sim: &BackgroundMewsSim) -> (tempfile::TempDir, Console) {
    let dir = support::init_venue(&sim.currency(), "Europe/Prague", &pms_block(sim));
    let console = open(dir.path(), sim);
    (dir, console)
}

/// The first difference between the store and the simulator's hotel, if any.
fn difference(db: &std::path::Path, sim: &BackgroundMewsSim) -> Option<String> {
    let store = Store::open(db).expect("open store");
    let venue = store.venue().expect("venue").expect("a venue");
    let row = |kind, ext: &str| vendor_row_id(venue.id, kind, "mews", ext);
    for r in sim.reservations() {
        let Some(ours) = store
            .get::<Reservation>(row(EntityKind::Reservation, &r.id))
            .expect("read")
        else {
            return Some(format!("reservation {} missing", r.id));
        };
        let expected = (
            r.state.clone(),
            r.start_utc,
            r.end_utc,
            r.person_count,
            Some(row(EntityKind::Customer, &r.account_id)),
            r.assigned_resource_id
                .as_deref()
                .map(|x| row(EntityKind::Resource, x)),
        );
        let got = (
            ours.state.to_string(),
            ours.start_utc,
            ours.end_utc,
            ours.person_count,
            ours.customer_id,
            ours.resource_id,
        );
        if expected != got {
            return Some(format!(
                "reservation {}: PMS {expected:?}, ours {got:?}",
                r.id
            ));
        }
    }
    let held = store
        .reservations_of_source(venue.id, "mews")
        .expect("read");
    if held.len() != sim.reservations().len() {
        return Some(format!(
            "{} reservations here, {} in the PMS",
            held.len(),
            sim.reservations().len()
        ));
    }
    for room in sim.resources() {
        let ours = store
            .get::<Resource>(row(EntityKind::Resource, &room.id))
            .expect("read");
        if ours.as_ref().and_then(|o| o.state.clone()) != Some(room.state.clone()) {
            return Some(format!(
                "room {}: PMS {}, ours {:?}",
                room.name,
                room.state,
                ours.map(|o| o.state)
            ));
        }
    }
    for guest in sim.customers() {
        let ours = store
            .get::<Customer>(row(EntityKind::Customer, &guest.id))
            .expect("read");
        let Some(ours) = ours else {
            // Guests are read when a stay names them or they change.
            continue;
        };
        if (
            ours.email.clone(),
            ours.phone.clone(),
            ours.classifications.clone(),
        ) != (
            guest.email.clone(),
            guest.phone.clone(),
            guest.classifications.clone(),
        ) {
            return Some(format!(
                "guest {}: PMS {:?}, ours {:?}",
                guest.id,
                (guest.email, guest.phone, guest.classifications),
                (ours.email, ours.phone, ours.classifications)
            ));
        }
    }
    None
}

fn wait_for_equal(
    db: &std::path::Path,
    sim: &BackgroundMewsSim,
    within: Duration,
) -> Option<String> {
    let deadline = Instant::now() + within;
    loop {
        let diff = difference(db, sim);
        if diff.is_none() || Instant::now() > deadline {
            return diff;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs the live mirror on its own thread until the returned sender says stop.
fn live(
    console: Console,
) -> (
    tokio::sync::watch::Sender<bool>,
    std::thread::JoinHandle<(Console, LiveReport)>,
) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let handle = std::thread::spawn(move || {
        let mut console = console;
        let report = console.pms_live(rx).expect("live mirror runs");
        (console, report)
    });
    (tx, handle)
}

fn wait_connected(sim: &BackgroundMewsSim) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.connected_sockets() == 0 {
        assert!(
            Instant::now() < deadline,
            "the console never connected its socket"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_full_sync_mirrors_the_hotel_and_a_second_pass_writes_nothing() {
    let sim = sim();
    let (dir, mut console) = console(&sim);
    let report = console.pms_sync(true).expect("sync");
    assert_eq!(
        report.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        report.snapshot.error
    );
    assert!(report.records.written > 0);
    assert_eq!(difference(&dir.path().join(DB_FILE), &sim), None);
    let again = console.pms_sync(false).expect("incremental sync");
    assert_eq!(again.snapshot.status, SnapshotStatus::Ok);
    assert_eq!(again.records.written, 0, "nothing changed in the PMS");
    let status = console.status().expect("status");
    let pms = status
        .connectors
        .iter()
        .find(|c| c.connector == "mews")
        .expect("pms state");
    assert!(pms
        .metrics
        .as_ref()
        .is_some_and(|m| m["http"]["requests"].as_u64() > Some(0)));
    let daily = console.daily_report(None).expect("daily");
    let dirty = sim
        .resources()
        .iter()
        .filter(|r| r.state == "Dirty")
        .count() as u64;
    assert_eq!(daily.stays.rooms_dirty, dirty);
}

#[test]
fn the_live_mirror_ends_equal_to_the_pms_with_the_socket_dropped_every_few_seconds() {
    let sim = sim();
    let (dir, console) = console(&sim);
    let db = dir.path().join(DB_FILE);
    let (stop, handle) = live(console);
    wait_connected(&sim);
    sim.drop_sockets_every(Some(Duration::from_secs(3)));
    let started = Instant::now();
    let mut changes = 0;
    while started.elapsed() < Duration::from_secs(60) {
        changes += sim.churn(4).len();
        std::thread::sleep(Duration::from_millis(100));
    }
    // Guests have no event of their own in Mews: a guest edited without a stay arrives with
    // the next pull, which every reconnect starts with. So the drops go on while we wait.
    let diff = wait_for_equal(&db, &sim, Duration::from_secs(30));
    sim.drop_sockets_every(None);
    stop.send(true).expect("stop");
    let (_, report) = handle.join().expect("live thread");
    assert_eq!(diff, None, "after {changes} changes");
    assert!(report.socket.reconnects >= 10, "{:?}", report.socket);
    assert!(
        report.pulls >= 10,
        "a gap-fill after every reconnect: {report:?}"
    );
}

#[test]
fn duplicate_out_of_order_and_malformed_events_are_harmless() {
    let sim = sim();
    let (dir, console) = console(&sim);
    let db = dir.path().join(DB_FILE);
    let (stop, handle) = live(console);
    wait_connected(&sim);
    assert_eq!(wait_for_equal(&db, &sim, Duration::from_secs(10)), None);
    let changed = sim.churn(20);
    assert!(!changed.is_empty());
    // The same events again, reversed, with noise the PMS may send.
    let events: Vec<serde_json::Value> = sim
        .reservations()
        .iter()
        .rev()
        .take(15)
        .map(|r| serde_json::json!({"Type": "Reservation", "Id": r.id, "State": "Confirmed", "StartUtc": r.start_utc, "EndUtc": r.end_utc}))
        .collect();
    sim.push_events(serde_json::json!({ "Events": events }));
    sim.push_events(serde_json::json!({ "Events": events }));
    sim.push_events(serde_json::json!({"Events": [{"Type": "Reservation", "Id": "00000000-0000-0000-0000-00000000dead"}, {"Type": "SomethingNew", "Id": "x"}]}));
    sim.send_raw_frame("this is not json");
    sim.send_raw_frame("{\"Events\": 5}");
    sim.send_raw_frame("{\"Events\": [");
    let more = sim.churn(10);
    assert!(!more.is_empty());
    let diff = wait_for_equal(&db, &sim, Duration::from_secs(15));
    stop.send(true).expect("stop");
    let (_, report) = handle.join().expect("live thread");
    assert_eq!(diff, None);
    assert!(report.socket.bad_frames >= 2, "{:?}", report.socket);
}

#[test]
fn a_charge_is_posted_exactly_once_when_the_reply_is_lost_and_the_console_restarts() {
    let sim = sim();
    let (dir, mut console) = console(&sim);
    console.pms_sync(true).expect("sync");
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("an in-house guest");
    sim.inject_orders_add_lost_response(Times::Next(1));
    let charge = console
        .pms_charge(&stay.number, "12.50", &sim.currency(), "Minibar")
        .expect("charge recorded");
    assert_eq!(
        charge.state,
        ChargeState::Pending,
        "the reply was lost: {charge:?}"
    );
    assert_eq!(charge.attempts, 1);
    assert!(charge.last_error.is_some());
    let key = charge.id.to_string();
    let posted = |sim: &BackgroundMewsSim| {
        sim.orders()
            .iter()
            .flat_map(|o| o.items.clone())
            .filter(|i| i.external_identifier.as_deref() == Some(key.as_str()))
            .count()
    };
    assert_eq!(posted(&sim), 1, "the PMS recorded it despite the error");
    // The process restarts; the next sync checks before posting again.
    drop(console);
    let mut console = open(dir.path(), &sim);
    let report = console.pms_sync(false).expect("sync");
    assert_eq!(report.charges.sent, 1);
    assert_eq!(posted(&sim), 1, "never posted twice");
    let charges = console
        .pms_charges(Some(ChargeState::Sent))
        .expect("charges");
    assert_eq!(charges.len(), 1);
    assert!(charges[0].external_order_id.is_some());
    let order = sim
        .orders()
        .into_iter()
        .find(|o| {
            o.items
                .iter()
                .any(|i| i.external_identifier.as_deref() == Some(key.as_str()))
        })
        .expect("order");
    assert_eq!(
        order.linked_reservation_id.as_deref(),
        Some(stay.id.as_str())
    );
    assert_eq!(order.items[0].unit_amount_minor, 1250);
}

#[test]
fn offline_charges_wait_and_go_out_once_when_the_pms_is_back() {
    let sim = sim();
    let (_dir, mut console) = console(&sim);
    console.pms_sync(true).expect("sync");
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("an in-house guest");
    sim.shutdown();
    let first = console
        .pms_charge(&stay.number, "4.20", &sim.currency(), "Sparkling water")
        .expect("recorded offline");
    let second = console
        .pms_charge(&stay.id, "18", &sim.currency(), "Room service")
        .expect("recorded offline");
    for c in [&first, &second] {
        assert_eq!(c.state, ChargeState::Pending);
    }
    let offline = console.pms_sync(false).expect("sync runs");
    assert_eq!(offline.snapshot.status, SnapshotStatus::Failed);
    assert_eq!(offline.charges.pending, 2);
    sim.restart().expect("PMS back");
    let back = console.pms_sync(false).expect("sync");
    assert_eq!(back.charges.sent, 2, "{back:?}");
    let keys = [first.id.to_string(), second.id.to_string()];
    let posted: Vec<String> = sim
        .orders()
        .iter()
        .flat_map(|o| o.items.clone())
        .filter_map(|i| i.external_identifier)
        .filter(|k| keys.contains(k))
        .collect();
    assert_eq!(posted.len(), 2, "each exactly once: {posted:?}");
    // Nothing is left to send; another sync posts nothing more.
    let after = console.pms_sync(false).expect("sync");
    assert_eq!(after.charges.sent + after.charges.pending, 0);
}

#[test]
fn a_refused_charge_fails_with_the_pms_message_and_bad_input_is_refused_up_front() {
    let sim = sim();
    let (_dir, mut console) = console(&sim);
    console.pms_sync(true).expect("sync");
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("an in-house guest");
    for (amount, currency, item) in [
        ("-3", "EUR", "Minibar"),
        ("abc", "EUR", "Minibar"),
        ("3", "EURO", "Minibar"),
        ("3", "EUR", " "),
    ] {
        let err = console
            .pms_charge(&stay.number, amount, currency, item)
            .expect_err("bad input");
        assert!(err.code.is_usage(), "{err:?}");
    }
    let err = console
        .pms_charge("no-such-stay", "3", "EUR", "Minibar")
        .expect_err("unknown stay");
    assert!(err.message.contains("no-such-stay"));
    // Canceled in the PMS after our last sync: the PMS refuses the charge.
    sim.set_reservation_state(&stay.id, "Canceled")
        .expect("cancel");
    let refused = console
        .pms_charge(&stay.number, "3", &sim.currency(), "Minibar")
        .expect("recorded");
    assert_eq!(refused.state, ChargeState::Failed, "{refused:?}");
    assert!(
        refused
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("400")),
        "{refused:?}"
    );
}

#[test]
fn malformed_bodies_fail_the_pass_clearly_and_keep_what_was_stored() {
    let sim = sim();
    let (dir, mut console) = console(&sim);
    console.pms_sync(true).expect("sync");
    let db = dir.path().join(DB_FILE);
    let before = Store::open(&db).expect("store").counts().expect("counts");
    sim.churn(5);
    sim.inject(
        MewsEndpoint::ReservationsGetAll,
        Fault::MalformedJson,
        Times::UntilCleared,
    );
    let report = console.pms_sync(false).expect("sync runs");
    assert_eq!(report.snapshot.status, SnapshotStatus::Failed);
    let error = report.snapshot.error.clone().unwrap_or_default();
    assert!(error.contains("malformed"), "{error}");
    let after = Store::open(&db).expect("store").counts().expect("counts");
    assert!(after.reservations >= before.reservations && after.customers >= before.customers);
    sim.clear_faults();
    let report = console.pms_sync(false).expect("sync");
    assert_eq!(report.snapshot.status, SnapshotStatus::Ok);
    assert_eq!(difference(&db, &sim), None, "the next pass catches up");
}

#[test]
fn a_front_desk_note_survives_pms_updates() {
    let sim = sim();
    let (_dir, mut console) = console(&sim);
    console.pms_sync(true).expect("sync");
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Confirmed")
        .expect("a future stay");
    console
        .set_desk_note(&stay.number, "Anniversary: champagne on arrival")
        .expect("note");
    sim.set_reservation_state(&stay.id, "Started")
        .expect("check-in");
    let report = console.pms_sync(false).expect("sync");
    assert!(report.records.written >= 1);
    let note = console
        .desk_note(&stay.number)
        .expect("read")
        .expect("kept");
    assert_eq!(note.text, "Anniversary: champagne on arrival");
}
