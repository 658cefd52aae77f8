//! Claims on charges and leases on running snapshots (migration 0011): of any number of senders
//! on separate connections to one file exactly one holds a charge at a time, a lapsed claim is
//! taken over and its holder can no longer write, a run is closed as interrupted only when its
//! owner's lease is gone, and none of this bookkeeping enters the change log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration as Days, TimeZone, Utc};
use proptest::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;
use uuid::Uuid;
use venue_domain::*;
use venue_store::{ChargeClaim, Store, DB_FILE};

const LEASE: Duration = Duration::from_secs(300);

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    venue: Venue,
    reservation: Reservation,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(DB_FILE);
    let mut store = Store::open(&path).expect("open");
    let venue = Venue::new("Harbour Hotel", "Europe/London", "EUR", 120).expect("venue");
    store
        .save_by_user("test", "venue.create", &venue)
        .expect("venue");
    let start = Utc
        .with_ymd_and_hms(2026, 7, 1, 14, 0, 0)
        .single()
        .expect("time");
    let reservation = Reservation {
        id: vendor_row_id(venue.id, EntityKind::Reservation, "mews", "R-1"),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: "R-1".into(),
        number: Some("1042".into()),
        state: ReservationState::Started,
        start_utc: start,
        end_utc: start + Days::days(2),
        customer_id: None,
        resource_id: None,
        person_count: 2,
        notes: None,
        updated_at_source: Some(start),
    };
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&reservation))
        .expect("reservation");
    Fixture {
        _dir: dir,
        path,
        venue,
        reservation,
    }
}

fn queue(path: &Path, venue: &Venue, reservation: &Reservation, n: usize) -> Vec<Uuid> {
    let mut store = Store::open(path).expect("open");
    (0..n)
        .map(|i| {
            let charge = PmsCharge {
                id: new_id(),
                venue_id: venue.id,
                source: "mews".into(),
                reservation_id: reservation.id,
                reservation_external_id: reservation.external_id.clone(),
                item: format!("Minibar {i}"),
                amount_minor: 100 + i as i64,
                currency: venue.currency,
                state: ChargeState::Pending,
                attempts: 0,
                last_error: None,
                external_order_id: None,
                requested_by: "maria".into(),
                requested_at: Utc::now(),
                sent_at: None,
            };
            store
                .save_by_user("maria", "pms.charge.create", &charge)
                .expect("charge");
            charge.id
        })
        .collect()
}

/// One sender's pass, as the outbox does it: claim, re-read under the claim, "post" (counted),
/// mark sent under the claim, release. `pause` stirs the interleavings.
fn sender_pass(path: &Path, venue: Uuid, posts: &Mutex<HashMap<Uuid, u32>>, pause: u64) {
    let mut store = Store::open(path).expect("each sender has its own connection");
    let holder = format!("sender {}", new_id());
    let pending = store
        .charges(venue, Some(ChargeState::Pending), None)
        .expect("list");
    for listed in pending {
        std::thread::sleep(Duration::from_micros(pause % 300));
        let mut charge = match store
            .claim_charge(listed.id, &holder, LEASE)
            .expect("claim")
        {
            ChargeClaim::Claimed { charge, .. } => charge,
            ChargeClaim::Busy { .. } | ChargeClaim::Settled(_) | ChargeClaim::Elsewhere => continue,
        };
        assert_eq!(
            charge.state,
            ChargeState::Pending,
            "re-read under the claim"
        );
        *posts.lock().expect("posts").entry(charge.id).or_default() += 1;
        std::thread::sleep(Duration::from_micros(pause % 500));
        charge.state = ChargeState::Sent;
        charge.attempts += 1;
        assert!(store
            .save_claimed_charge(&holder, Some(("pms-sync", "pms.charge.sent")), &charge)
            .expect("save"));
        store.release_charge(charge.id, &holder).expect("release");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Many senders at once over separate connections to one file, in random interleavings:
    /// every charge is "posted" exactly once and ends sent.
    #[test]
    fn concurrent_senders_post_each_charge_exactly_once(
        senders in 2usize..7,
        charges in 1usize..15,
        pauses in prop::collection::vec(0u64..1_000, 7),
    ) {
        let f = fixture();
        let ids = queue(&f.path, &f.venue, &f.reservation, charges);
        let posts = Arc::new(Mutex::new(HashMap::new()));
        let start = Arc::new(Barrier::new(senders));
        let threads: Vec<_> = (0..senders)
            .map(|i| {
                let (path, posts, start) = (f.path.clone(), Arc::clone(&posts), Arc::clone(&start));
                let (venue, pause) = (f.venue.id, pauses[i]);
                std::thread::spawn(move || {
                    start.wait();
                    sender_pass(&path, venue, &posts, pause);
                })
            })
            .collect();
        for t in threads {
            t.join().expect("sender thread");
        }
        let posts = posts.lock().expect("posts");
        for id in &ids {
            prop_assert_eq!(posts.get(id).copied(), Some(1), "charge {} posted once", id);
        }
        let store = Store::open(&f.path).expect("open");
        let sent = store.charges(f.venue.id, Some(ChargeState::Sent), None).expect("sent");
        prop_assert_eq!(sent.len(), ids.len());
        for id in &ids {
            prop_assert_eq!(store.charge_claim(*id).expect("claim"), None, "released");
        }
    }
}

#[test]
fn a_live_claim_is_never_overtaken_and_a_lapsed_one_is_taken_over() {
    let f = fixture();
    let id = queue(&f.path, &f.venue, &f.reservation, 1)[0];
    let mut a = Store::open(&f.path).expect("a");
    let mut b = Store::open(&f.path).expect("b");
    let claimed = a.claim_charge(id, "a", LEASE).expect("claim");
    assert!(matches!(
        claimed,
        ChargeClaim::Claimed {
            taken_over: None,
            ..
        }
    ));
    assert_eq!(
        b.claim_charge(id, "b", LEASE).expect("claim"),
        ChargeClaim::Busy { holder: "a".into() }
    );
    // A holds it again (renewal) without a fight.
    assert!(matches!(
        a.claim_charge(id, "a", LEASE).expect("renew"),
        ChargeClaim::Claimed { .. }
    ));
    // A stops mid-send: its claim lapses (here at once) and B takes over.
    a.claim_charge(id, "a", Duration::ZERO)
        .expect("short lease");
    let ChargeClaim::Claimed {
        mut charge,
        taken_over,
    } = b.claim_charge(id, "b", LEASE).expect("take over")
    else {
        panic!("B should take the lapsed claim");
    };
    assert_eq!(taken_over.as_deref(), Some("a"));
    // A's late write is refused: the charge is B's now.
    charge.attempts = 7;
    assert!(!a.save_claimed_charge("a", None, &charge).expect("save"));
    a.release_charge(id, "a")
        .expect("a no-op for a claim A lost");
    assert_eq!(
        b.charge_claim(id).expect("claim").map(|(h, _)| h),
        Some("b".into())
    );
    charge.state = ChargeState::Sent;
    assert!(b
        .save_claimed_charge("b", Some(("pms-sync", "pms.charge.sent")), &charge)
        .expect("save"));
    b.release_charge(id, "b").expect("release");
    // Settled: nobody claims a charge that was sent.
    assert!(matches!(
        a.claim_charge(id, "a", LEASE).expect("claim"),
        ChargeClaim::Settled(Some(c)) if c.state == ChargeState::Sent
    ));
    assert_eq!(
        a.claim_charge(new_id(), "a", LEASE).expect("claim"),
        ChargeClaim::Settled(None)
    );
}

#[test]
fn claims_and_leases_never_enter_the_change_log() {
    let f = fixture();
    let id = queue(&f.path, &f.venue, &f.reservation, 1)[0];
    let mut store = Store::open(&f.path).expect("open");
    let run = running(&mut store, f.venue.id, "mews");
    let before = store.change_log_stats().expect("stats").total;
    store.claim_charge(id, "a", LEASE).expect("claim");
    store.claim_charge(id, "a", LEASE).expect("renew");
    store.release_charge(id, "a").expect("release");
    store.lease_run(run, "pid 1", LEASE).expect("lease");
    store.lease_run(run, "pid 1", LEASE).expect("renew");
    assert_eq!(store.change_log_stats().expect("stats").total, before);
}

fn running(store: &mut Store, venue: Uuid, connector: &str) -> Uuid {
    let snapshot = Snapshot {
        id: new_id(),
        venue_id: venue,
        connector: connector.into(),
        correlation_id: new_id().to_string(),
        started_at: Utc::now(),
        finished_at: None,
        status: SnapshotStatus::Running,
        error: None,
        records_seen: 0,
        records_written: 3,
        high_water_mark: None,
        cursor: None,
    };
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&snapshot))
        .expect("snapshot");
    snapshot.id
}

#[test]
fn only_runs_whose_owner_is_gone_are_closed_as_interrupted() {
    let f = fixture();
    let mut store = Store::open(&f.path).expect("open");
    let other = Store::open(&f.path).expect("another process");
    let v = f.venue.id;
    // (what the run is, its lease, whether it must be closed)
    let never_leased = running(&mut store, v, "mews");
    let lapsed = running(&mut store, v, "mews");
    store
        .lease_run(lapsed, "pid 1", Duration::ZERO)
        .expect("lease");
    let live_here = running(&mut store, v, "mews");
    store.lease_run(live_here, "pid 2", LEASE).expect("lease");
    let live_elsewhere = running(&mut store, v, "mews");
    other
        .lease_run(live_elsewhere, "pid 3", LEASE)
        .expect("lease");
    let other_connector = running(&mut store, v, "square");
    let closed = store
        .close_abandoned_runs(Origin::Pms, v, "mews", "interrupted")
        .expect("close");
    let mut closed_ids: Vec<Uuid> = closed.iter().map(|s| s.id).collect();
    closed_ids.sort();
    let mut expected = vec![never_leased, lapsed];
    expected.sort();
    assert_eq!(closed_ids, expected);
    for (id, status) in [
        (never_leased, SnapshotStatus::Partial),
        (lapsed, SnapshotStatus::Partial),
        (live_here, SnapshotStatus::Running),
        (live_elsewhere, SnapshotStatus::Running),
        (other_connector, SnapshotStatus::Running),
    ] {
        let s = store.get::<Snapshot>(id).expect("get").expect("row");
        assert_eq!(s.status, status, "{id}");
        if status != SnapshotStatus::Running {
            assert_eq!(s.error.as_deref(), Some("interrupted"));
            assert!(s.finished_at.is_some());
        }
    }
    // A run that ends gives up its lease, so it is never mistaken for a live one later.
    let mut done = store.get::<Snapshot>(live_here).expect("get").expect("row");
    done.status = SnapshotStatus::Ok;
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&done))
        .expect("close");
    done.status = SnapshotStatus::Running;
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&done))
        .expect("a run marked running again without a lease");
    let closed = store
        .close_abandoned_runs(Origin::Pms, v, "mews", "interrupted")
        .expect("close");
    assert_eq!(
        closed.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![live_here]
    );
}

/// A process that has exited, and one that is still running, in this pid namespace.
fn dead_and_live_pids() -> (u32, std::process::Child) {
    let mut dead = std::process::Command::new("true").spawn().expect("spawn");
    let pid = dead.id();
    dead.wait().expect("reaped");
    let live = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("spawn");
    (pid, live)
}

#[cfg(target_os = "linux")]
#[test]
fn a_holder_whose_process_is_gone_is_taken_over_at_once_and_only_then() {
    let f = fixture();
    let ids = queue(&f.path, &f.venue, &f.reservation, 3);
    let (dead, mut live) = dead_and_live_pids();
    let mut store = Store::open(&f.path).expect("open");
    let sql = rusqlite::Connection::open(&f.path).expect("sql");
    // Three claims with long leases, held by: a process that exited, one still running, and
    // one in another pid namespace (a container sharing the file: its pid means nothing here).
    for (id, holder) in ids.iter().zip(["exited", "running", "elsewhere"]) {
        store.claim_charge(*id, holder, LEASE).expect("claim");
    }
    sql.execute(
        "UPDATE pms_charge_claims SET pid = ?1 WHERE holder = 'exited'",
        [dead],
    )
    .expect("pid");
    sql.execute(
        "UPDATE pms_charge_claims SET pid = ?1 WHERE holder = 'running'",
        [live.id()],
    )
    .expect("pid");
    sql.execute(
        "UPDATE pms_charge_claims SET pid = ?1, pid_ns = 'pid:[1]' WHERE holder = 'elsewhere'",
        [dead],
    )
    .expect("pid");
    let mut other = Store::open(&f.path).expect("another sender");
    assert!(matches!(
        other.claim_charge(ids[0], "me", LEASE).expect("claim"),
        ChargeClaim::Claimed { taken_over: Some(h), .. } if h == "exited"
    ));
    for (id, holder) in [(ids[1], "running"), (ids[2], "elsewhere")] {
        assert_eq!(
            other.claim_charge(id, "me", LEASE).expect("claim"),
            ChargeClaim::Busy {
                holder: holder.into()
            }
        );
    }
    // The same for a running snapshot's lease.
    let runs: Vec<Uuid> = (0..2)
        .map(|_| running(&mut store, f.venue.id, "mews"))
        .collect();
    store.lease_run(runs[0], "exited", LEASE).expect("lease");
    store.lease_run(runs[1], "running", LEASE).expect("lease");
    sql.execute(
        "UPDATE run_leases SET pid = ?1 WHERE holder = 'exited'",
        [dead],
    )
    .expect("pid");
    sql.execute(
        "UPDATE run_leases SET pid = ?1 WHERE holder = 'running'",
        [live.id()],
    )
    .expect("pid");
    let closed = other
        .close_abandoned_runs(Origin::Pms, f.venue.id, "mews", "interrupted")
        .expect("close");
    assert_eq!(
        closed.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![runs[0]]
    );
    live.kill().expect("kill");
    live.wait().expect("reaped");
}

/// Migration 0012: of any number of recorders on separate connections, exactly one counts a
/// door at a time (two counted the same people before); it keeps it while it renews, gives it up
/// when released or when its lease lapses, and the leases never enter the change log.
#[test]
fn one_recorder_counts_a_door_until_it_lets_go_or_its_lease_lapses() {
    let f = fixture();
    let doors = vec!["front-door".to_string(), "bar-door".to_string()];
    let changes_before = Store::open(&f.path)
        .expect("open")
        .change_log_stats()
        .expect("stats")
        .total;
    // Four recorders on their own connections ask for the doors at the same moment: each door
    // ends with exactly one of them.
    let start = Arc::new(Barrier::new(4));
    let racers: Vec<_> = (0..4)
        .map(|i| {
            let (path, venue, doors, start) =
                (f.path.clone(), f.venue.id, doors.clone(), start.clone());
            std::thread::spawn(move || {
                let mut store = Store::open(&path).expect("open");
                store
                    .set_busy_timeout(Duration::from_secs(30))
                    .expect("timeout");
                start.wait();
                let busy = store
                    .lease_sensor_recording(venue, &doors, &format!("recorder {i}"), LEASE)
                    .expect("lease");
                (i, busy)
            })
        })
        .collect();
    let mut counted_by: HashMap<String, Vec<usize>> = HashMap::new();
    for racer in racers {
        let (i, busy) = racer.join().expect("recorder thread");
        for door in &doors {
            if !busy.iter().any(|(d, _)| d == door) {
                counted_by.entry(door.clone()).or_default().push(i);
            }
        }
    }
    let winner = counted_by["front-door"].clone();
    assert_eq!(winner.len(), 1, "one recorder per door: {counted_by:?}");
    assert_eq!(counted_by["bar-door"], winner, "{counted_by:?}");
    let first = format!("recorder {}", winner[0]);
    let mut stores: Vec<Store> = (0..3)
        .map(|_| Store::open(&f.path).expect("open"))
        .collect();
    // Renewing keeps them; the others still find them busy, named by their holder.
    let renewed = stores[0]
        .lease_sensor_recording(f.venue.id, &doors, &first, LEASE)
        .expect("renew");
    assert!(renewed.is_empty());
    let busy = stores[1]
        .lease_sensor_recording(f.venue.id, &doors, "another recorder", LEASE)
        .expect("lease");
    assert_eq!(busy.len(), 2);
    assert!(busy.iter().all(|(_, holder)| *holder == first));
    // Released after its last write: the next recorder counts them at once.
    stores[0]
        .release_sensor_recording(f.venue.id, &first)
        .expect("release");
    let busy = stores[1]
        .lease_sensor_recording(f.venue.id, &doors, "another recorder", Duration::ZERO)
        .expect("lease");
    assert!(busy.is_empty(), "{busy:?}");
    // A lease that lapsed (a recorder that stopped without letting go) is taken over.
    let busy = stores[2]
        .lease_sensor_recording(f.venue.id, &doors, "a third recorder", LEASE)
        .expect("take over");
    assert!(busy.is_empty(), "{busy:?}");
    assert_eq!(
        stores[0].change_log_stats().expect("stats").total,
        changes_before,
        "recording leases are local bookkeeping"
    );
}
