//! The sync contract, point by point, over real database files: two consoles of one venue
//! exchanging their outboxes the way they will through the hub.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::PathBuf;
use uuid::Uuid;
use venue_domain::sync::{ChangeOutcome, IncomingChange, SyncBatch};
use venue_domain::*;
use venue_store::{identified, PullCursor, Store};

struct Console {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
    pushed: i64,
}

impl Console {
    fn empty() -> Console {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("venue.sqlite3");
        let store = Store::open(&path).expect("open");
        Console {
            _dir: dir,
            path,
            store,
            pushed: 0,
        }
    }

    fn with_venue() -> (Console, Venue) {
        let mut c = Console::empty();
        let venue = Venue::new("Harbour Hotel", "Europe/London", "GBP", 120).expect("venue");
        c.store
            .save_by_user("test", "venue.create", &venue)
            .expect("venue");
        (c, venue)
    }

    /// Everything this console has not pushed yet, page by page.
    fn outbox(&mut self) -> Vec<ChangeRecord> {
        let mut all = Vec::new();
        loop {
            let page = self.store.outbox(self.pushed, 3).expect("outbox");
            if page.changes.is_empty() {
                return all;
            }
            self.pushed = page.next_after;
            all.extend(page.changes.into_iter().map(|c| c.change));
        }
    }

    /// Applies what the hub would send down: the kinds that travel down (see the policy).
    fn apply(&mut self, changes: &[ChangeRecord]) -> Vec<ChangeOutcome> {
        let down: Vec<ChangeRecord> = changes
            .iter()
            .filter(|c| venue_domain::sync::policy(c.entity).down)
            .cloned()
            .collect();
        self.apply_raw(&down)
    }

    /// Applies every change given, as a misbehaving peer might send them.
    fn apply_raw(&mut self, changes: &[ChangeRecord]) -> Vec<ChangeOutcome> {
        let incoming: Vec<IncomingChange> =
            changes.iter().cloned().map(IncomingChange::Known).collect();
        self.store
            .apply_incoming(&incoming, None)
            .expect("apply")
            .into_iter()
            .map(|o| o.outcome)
            .collect()
    }

    fn conflicts(&self) -> Vec<venue_store::KeptConflict> {
        self.store.sync_conflicts().expect("conflicts")
    }

    fn sql<T: rusqlite::types::FromSql>(&self, query: &str) -> T {
        rusqlite::Connection::open(&self.path)
            .expect("open")
            .query_row(query, [], |r| r.get(0))
            .expect(query)
    }
}

/// A second console of the same venue: it takes the venue from the first one's outbox.
fn pair() -> (Console, Console, Venue) {
    let (mut a, venue) = Console::with_venue();
    let mut b = Console::empty();
    let first = a.outbox();
    b.apply(&first);
    assert_eq!(
        b.store.venue().expect("venue").map(|v| v.id),
        Some(venue.id)
    );
    (a, b, venue)
}

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 18, 0, 0)
        .single()
        .expect("time")
        + Duration::minutes(minute)
}

fn door(venue: &Venue) -> SensorDevice {
    SensorDevice {
        id: new_id(),
        venue_id: venue.id,
        name: "front".into(),
        kind: "axis".into(),
        zone: Some("lobby".into()),
    }
}

fn reading(venue: &Venue, device: Uuid, minute: i64, entries: u32) -> SensorReading {
    SensorReading {
        id: new_id(),
        venue_id: venue.id,
        device_id: device,
        zone: Some("lobby".into()),
        period_start: at(minute),
        period_end: at(minute + 5),
        entries,
        exits: 0,
        occupancy: Some(i64::from(entries)),
    }
}

fn sale(venue: &Venue, ext: &str, refunded: i64) -> Transaction {
    Transaction {
        id: new_id(),
        venue_id: venue.id,
        source: "square".into(),
        external_id: ext.into(),
        location_id: None,
        status: TransactionStatus::Completed,
        opened_at: None,
        closed_at: at(0),
        currency: venue.currency,
        total_minor: 2_000,
        tax_minor: 0,
        tip_minor: 0,
        discount_minor: 0,
        refunded_minor: refunded,
    }
}

fn guest(venue: &Venue, last: &str) -> Customer {
    identified(Customer {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: "G1".into(),
        first_name: Some("Ada".into()),
        last_name: Some(last.into()),
        email: Some("ada@example.com".into()),
        phone: Some("+44 20 7946 0000".into()),
        classifications: Vec::new(),
        notes: None,
        updated_at_source: None,
    })
}

fn stay(venue: &Venue) -> Reservation {
    identified(Reservation {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: "R1".into(),
        number: Some("H1".into()),
        state: ReservationState::Confirmed,
        start_utc: at(0),
        end_utc: at(60 * 48),
        customer_id: None,
        resource_id: None,
        person_count: 2,
        notes: None,
        updated_at_source: None,
    })
}

fn alert(venue: &Venue, opened: i64) -> Alert {
    Alert {
        id: new_id(),
        venue_id: venue.id,
        rule: "occupancy.high".into(),
        dedupe_key: "occupancy.high:lobby".into(),
        severity: Severity::Warning,
        title: "Lobby busy".into(),
        body: "Over 90% of capacity".into(),
        state: AlertState::Open,
        opened_at: at(opened),
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
    }
}

#[test]
fn the_same_thing_recorded_on_two_consoles_is_one_row_on_both() {
    let (mut a, mut b, venue) = pair();
    for c in [&mut a, &mut b] {
        let d = door(&venue);
        c.store
            .ingest(Origin::Sensor, None, std::slice::from_ref(&d))
            .expect("door");
        let id = natural::sensor_device(venue.id, "front");
        c.store
            .ingest(Origin::Sensor, None, &[reading(&venue, id, 0, 4)])
            .expect("reading");
        c.store
            .ingest(Origin::Connector, None, &[sale(&venue, "PAY-1", 0)])
            .expect("sale");
        c.store
            .ingest(Origin::Pms, None, &[stay(&venue)])
            .expect("stay");
        let note = DeskNote {
            id: new_id(),
            venue_id: venue.id,
            reservation_id: stay(&venue).id,
            text: "late arrival".into(),
            written_by: "desk".into(),
            written_at: at(1),
        };
        c.store
            .save_by_user("desk", "reservation.note", &note)
            .expect("note");
        c.store
            .ingest(Origin::Sensor, None, &[alert(&venue, 3)])
            .expect("alert");
    }
    let from_a = a.outbox();
    let from_b = b.outbox();
    // Before ids were derived, B's readings named B's own door and broke a foreign key, and
    // its alert broke the one-alert-per-condition index: the whole batch failed every retry.
    for outcome in a.apply(&from_b).into_iter().chain(b.apply(&from_a)) {
        assert!(
            matches!(outcome, ChangeOutcome::Applied | ChangeOutcome::Conflict),
            "{outcome:?}"
        );
    }
    for c in [&a, &b] {
        for table in [
            "sensor_devices",
            "sensor_readings",
            "transactions",
            "desk_notes",
            "alerts",
        ] {
            let n: i64 = c.sql(&format!("SELECT count(*) FROM {table}"));
            assert_eq!(n, 1, "{table} holds one row for one thing");
        }
        let sold: i64 = c.sql("SELECT transactions FROM daily_sales");
        assert_eq!(sold, 1, "the sale counts once in the day's sales");
    }
    assert_eq!(
        a.sql::<String>("SELECT id FROM sensor_readings"),
        b.sql::<String>("SELECT id FROM sensor_readings")
    );
}

#[test]
fn two_consoles_opening_one_condition_show_it_once_and_acknowledge_it_together() {
    let (mut a, mut b, venue) = pair();
    a.store
        .open_alert_once(Origin::Sensor, None, &identified(alert(&venue, 1)))
        .expect("open");
    b.store
        .open_alert_once(Origin::Sensor, None, &identified(alert(&venue, 2)))
        .expect("open");
    assert!(
        !a.store
            .open_alert_once(Origin::Sensor, None, &identified(alert(&venue, 5)))
            .expect("again"),
        "one console never opens one condition twice"
    );
    let (from_a, from_b) = (a.outbox(), b.outbox());
    b.apply(&from_a);
    a.apply(&from_b);
    for c in [&a, &b] {
        let shown = c.store.desk_alerts(venue.id, 0).expect("alerts");
        assert_eq!(shown.len(), 1, "the condition is shown once");
        assert_eq!(shown[0].opened_at, at(1), "as the alert opened first");
    }
    let mut first = b.store.desk_alerts(venue.id, 0).expect("alerts").remove(0);
    first.state = AlertState::Acknowledged;
    first.acknowledged_by = Some("Sam".into());
    first.acknowledged_at = Some(at(10));
    b.store
        .save_alert_condition(Origin::User, "Sam", "alert.acknowledge", &first)
        .expect("ack");
    let acks = b.outbox();
    a.apply(&acks);
    let open: i64 = a.sql("SELECT count(*) FROM alerts WHERE state = 'open'");
    assert_eq!(
        open, 0,
        "acknowledged at one desk is acknowledged at all, both rows"
    );
}

#[test]
fn a_row_changed_twice_before_a_push_travels_once_as_its_latest_state() {
    let (mut a, mut b, venue) = pair();
    a.store
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-1", 0)])
        .expect("sale");
    a.store
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-1", 500)])
        .expect("refund");
    let before = a.store.outbox(a.pushed, 100).expect("outbox");
    let again = a.store.outbox(a.pushed, 100).expect("outbox");
    assert_eq!(before, again, "same ids, same bodies, however often read");
    let sales: Vec<&ChangeRecord> = before
        .changes
        .iter()
        .map(|c| &c.change)
        .filter(|c| c.entity == EntityKind::Transaction)
        .collect();
    assert_eq!(sales.len(), 1, "one change for the row");
    assert_eq!(sales[0].payload["refunded_minor"], 500);
    assert_eq!(sales[0].venue_id, venue.id, "the change names its venue");
    // Before: two changes with the same stamp, and the second raised a false conflict.
    let changes = a.outbox();
    assert!(b
        .apply(&changes)
        .iter()
        .all(|o| *o == ChangeOutcome::Applied));
    assert!(b.conflicts().is_empty());
}

#[test]
fn pages_of_superseded_changes_never_end_the_outbox_early_nor_send_a_row_twice() {
    // atuin's off-by-one at page boundaries, with superseded changes in the way.
    for page_size in 1..=4u32 {
        let (mut a, _venue) = Console::with_venue();
        let venue = a.store.venue().expect("venue").expect("one");
        for n in 0..9 {
            a.store
                .ingest(
                    Origin::Connector,
                    None,
                    &[sale(&venue, &format!("PAY-{n}"), 0)],
                )
                .expect("sale");
        }
        for n in 0..5 {
            a.store
                .ingest(
                    Origin::Connector,
                    None,
                    &[sale(&venue, &format!("PAY-{n}"), 100)],
                )
                .expect("refund");
        }
        let mut after = 0;
        let mut seen: Vec<ChangeRecord> = Vec::new();
        loop {
            let page = a.store.outbox(after, page_size).expect("page");
            assert!(page.next_after >= after);
            if page.changes.is_empty() {
                break;
            }
            after = page.next_after;
            seen.extend(page.changes.into_iter().map(|c| c.change));
        }
        let sales: Vec<&ChangeRecord> = seen
            .iter()
            .filter(|c| c.entity == EntityKind::Transaction)
            .collect();
        assert_eq!(sales.len(), 9, "page size {page_size}: every sale once");
        let refunded = sales
            .iter()
            .filter(|c| c.payload["refunded_minor"] == 100)
            .count();
        assert_eq!(refunded, 5, "page size {page_size}: as its latest state");
    }
}

#[test]
fn a_local_edit_that_loses_to_a_newer_remote_one_is_kept_as_a_conflict_and_not_echoed() {
    let (mut a, mut b, venue) = pair();
    a.store
        .ingest(Origin::Pms, None, &[guest(&venue, "Lovelace")])
        .expect("a");
    let a_first = a.outbox();
    b.apply(&a_first);
    // Both edit the guest; B's edit is newer and reaches A before A pushes.
    a.store
        .ingest(Origin::Pms, None, &[guest(&venue, "King")])
        .expect("a edits");
    // B's edit comes a few milliseconds later: its stamp is the newer.
    std::thread::sleep(std::time::Duration::from_millis(5));
    b.store
        .ingest(Origin::Pms, None, &[guest(&venue, "Byron")])
        .expect("b edits");
    a.store.acknowledge("hub", a.pushed).expect("ack");
    let from_b = b.outbox();
    assert!(a.apply(&from_b).contains(&ChangeOutcome::Applied));
    let kept = a.conflicts();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].loser, "local", "A's edit is kept in sync_conflicts");
    let last: String = a.sql("SELECT local FROM sync_conflicts");
    assert!(last.contains("King"), "with its state: {last}");
    // Before: the peer's state went back to the hub under A's change id.
    assert!(
        a.outbox().iter().all(|c| c.entity != EntityKind::Customer),
        "the remote state is not echoed back"
    );
}

#[test]
fn deletes_travel_as_tombstones_and_an_older_write_does_not_bring_the_row_back() {
    let (mut a, mut b, venue) = pair();
    let stay = stay(&venue);
    a.store
        .ingest(Origin::Pms, None, std::slice::from_ref(&stay))
        .expect("stay");
    let note = DeskNote {
        id: natural::desk_note(stay.id),
        venue_id: venue.id,
        reservation_id: stay.id,
        text: "extra towels".into(),
        written_by: "desk".into(),
        written_at: at(1),
    };
    a.store
        .save_by_user("desk", "reservation.note", &note)
        .expect("note");
    let first = a.outbox();
    b.apply(&first);
    // B edits the note (older), A deletes it (newer); B's edit arrives at A after the delete.
    let mut edited = note.clone();
    edited.text = "extra towels and pillows".into();
    b.store
        .save_by_user("desk", "reservation.note", &edited)
        .expect("edit");
    // The delete comes later in time: a few milliseconds apart, its stamp is the newer.
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(a
        .store
        .delete_synced::<DeskNote>(Origin::User, note.id)
        .expect("delete"));
    let deletes = a.outbox();
    assert!(deletes
        .iter()
        .any(|c| c.op == ChangeOp::Delete && c.payload["text"] == "extra towels"));
    let late = b.outbox();
    assert_eq!(
        a.apply(&late),
        [ChangeOutcome::Conflict],
        "older than the delete"
    );
    let notes: i64 = a.sql("SELECT count(*) FROM desk_notes");
    assert_eq!(notes, 0, "the note stays deleted");
    b.apply(&deletes);
    let notes: i64 = b.sql("SELECT count(*) FROM desk_notes");
    assert_eq!(notes, 0, "and is deleted on the other console");
}

#[test]
fn pruning_raw_readings_is_local_and_never_travels() {
    let (mut a, venue) = Console::with_venue();
    let d = identified(door(&venue));
    a.store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&d))
        .expect("door");
    a.store
        .ingest(Origin::Sensor, None, &[reading(&venue, d.id, 0, 3)])
        .expect("reading");
    a.outbox();
    let pruned = a.store.prune_sensor_readings(Utc::now()).expect("prune");
    assert!(pruned > 0);
    assert!(
        a.outbox().is_empty(),
        "retention is not a delete for the other consoles"
    );
}

#[test]
fn acknowledged_changes_are_pruned_and_the_clock_never_resumes_below_them() {
    let (mut a, venue) = Console::with_venue();
    for n in 0..20 {
        a.store
            .ingest(
                Origin::Connector,
                None,
                &[sale(&venue, &format!("PAY-{n}"), 0)],
            )
            .expect("sale");
    }
    let total = a.store.change_log_stats().expect("stats").total;
    let pushed = a.outbox();
    assert!(total >= 21);
    a.store.acknowledge("hub", a.pushed).expect("ack");
    assert_eq!(
        a.store.change_log_stats().expect("stats").total,
        0,
        "the log stops growing"
    );
    let newest = pushed.iter().map(|c| c.hlc).max().expect("stamps");
    drop(a.store);
    let mut reopened = Store::open(&a.path).expect("reopen");
    reopened
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-99", 0)])
        .expect("sale");
    let next = reopened.outbox(0, 10).expect("outbox");
    assert!(
        next.changes[0].change.hlc > newest,
        "stamps go on increasing after a prune"
    );
}

#[test]
fn each_change_gets_its_own_outcome_and_a_rejected_one_is_parked_without_blocking_the_rest() {
    let (mut a, mut b, venue) = pair();
    a.store
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-1", 0)])
        .expect("sale");
    a.store
        .ingest(Origin::Pms, None, &[guest(&venue, "Lovelace")])
        .expect("guest");
    let mut changes = a.outbox();
    assert_eq!(changes.len(), 2);
    // The sale arrives with an id that is not its natural id: refused, safely.
    changes[0].entity_id = new_id();
    changes[0].payload["id"] = serde_json::json!(changes[0].entity_id);
    let mut batch = SyncBatch::new(14, &changes).expect("batch");
    let mut unknown = batch.changes[1].clone();
    unknown["entity"] = serde_json::json!("loyalty_card");
    unknown["change_id"] = serde_json::json!(new_id());
    batch.changes.push(unknown);
    let incoming = batch.into_changes().expect("readable");
    let outcomes = b
        .store
        .apply_incoming(
            &incoming,
            Some(PullCursor {
                peer: "hub",
                cursor: "page-1",
            }),
        )
        .expect("apply");
    let kinds: Vec<&ChangeOutcome> = outcomes.iter().map(|o| &o.outcome).collect();
    assert!(
        matches!(kinds[0], ChangeOutcome::Rejected { reason } if reason.contains("derived")),
        "{kinds:?}"
    );
    assert_eq!(
        kinds[1],
        &ChangeOutcome::Applied,
        "the change after it went on"
    );
    assert!(
        matches!(kinds[2], ChangeOutcome::Rejected { reason } if reason.contains("loyalty_card"))
    );
    assert_eq!(b.store.parked_changes().expect("parked").len(), 2);
    assert_eq!(
        b.store.pull_cursor("hub").expect("cursor").as_deref(),
        Some("page-1")
    );
    // Redelivery of the applied one is a duplicate.
    let again = b.apply(&changes[1..]);
    assert_eq!(again, [ChangeOutcome::Duplicate]);
}

#[test]
fn a_change_whose_venue_has_not_arrived_is_parked_then_applied_when_it_does() {
    let (mut a, venue) = Console::with_venue();
    a.store
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-1", 0)])
        .expect("sale");
    let changes = a.outbox();
    let only = |kind: EntityKind| -> Vec<ChangeRecord> {
        changes
            .iter()
            .filter(|c| c.entity == kind)
            .cloned()
            .collect()
    };
    let (venue_change, sale_change) = (only(EntityKind::Venue), only(EntityKind::Transaction));
    let mut b = Console::empty();
    assert!(matches!(
        b.apply(&sale_change)[0],
        ChangeOutcome::Rejected { .. }
    ));
    assert_eq!(b.apply(&venue_change), [ChangeOutcome::Applied]);
    let sales: i64 = b.sql("SELECT count(*) FROM transactions");
    assert_eq!(sales, 1, "the parked sale went in once its venue arrived");
    assert!(
        b.store.parked_changes().expect("parked").is_empty(),
        "and left the parked list"
    );
}

#[test]
fn snapshots_and_audit_lines_stay_with_the_console_that_wrote_them() {
    let (mut a, mut b, venue) = pair();
    let run = Snapshot {
        id: new_id(),
        venue_id: venue.id,
        connector: "square".into(),
        correlation_id: "c".into(),
        started_at: Utc::now(),
        finished_at: Some(Utc::now()),
        status: SnapshotStatus::Ok,
        error: None,
        records_seen: 1,
        records_written: 1,
        high_water_mark: Some(Utc::now()),
        cursor: None,
    };
    a.store
        .ingest(Origin::Connector, None, &[run])
        .expect("run");
    let changes = a.outbox();
    assert!(
        changes.iter().any(|c| c.entity == EntityKind::Snapshot),
        "it goes up to the hub"
    );
    let outcomes = b.apply_raw(&changes);
    assert!(outcomes
        .iter()
        .any(|o| matches!(o, ChangeOutcome::Rejected { reason } if reason.contains("snapshot"))));
    let runs: i64 = b.sql("SELECT count(*) FROM snapshots");
    assert_eq!(
        runs, 0,
        "a peer's run never moves this console's high-water mark"
    );
}

#[test]
fn guests_contacts_stay_on_the_console_unless_the_venue_shares_them() {
    let (mut a, mut b, mut venue) = pair();
    b.store
        .ingest(Origin::Pms, None, &[guest(&venue, "Lovelace")])
        .expect("b knows her");
    b.outbox();
    a.store
        .ingest(Origin::Pms, None, &[guest(&venue, "King")])
        .expect("a edits");
    let from_a = a.outbox();
    let sent = from_a
        .iter()
        .find(|c| c.entity == EntityKind::Customer)
        .expect("guest");
    assert!(sent.payload.get("email").is_none() && sent.payload.get("phone").is_none());
    b.apply(&from_a);
    let (last, email): (String, String) = rusqlite::Connection::open(&b.path)
        .expect("open")
        .query_row("SELECT last_name, email FROM customers", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("guest");
    assert_eq!(
        (last.as_str(), email.as_str()),
        ("King", "ada@example.com"),
        "withheld fields keep their value"
    );
    venue.share_guest_contacts = true;
    a.store
        .save_by_user("manager", "venue.update", &venue)
        .expect("share");
    a.store
        .ingest(Origin::Pms, None, &[guest(&venue, "Byron")])
        .expect("edit");
    let shared = a.outbox();
    let sent = shared
        .iter()
        .find(|c| c.entity == EntityKind::Customer)
        .expect("guest");
    assert_eq!(sent.payload["email"], "ada@example.com");
}

#[test]
fn a_timezone_changed_on_another_connection_is_seen_by_the_next_sale() {
    let (mut settings, venue) = Console::with_venue();
    let mut background = Store::open(&settings.path).expect("second connection");
    // Warm the background connection's venue: London.
    background
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-0", 0)])
        .expect("sale");
    let mut moved = venue.clone();
    moved.timezone = parse_timezone("Pacific/Auckland").expect("tz");
    settings
        .store
        .save_by_user("manager", "venue.update", &moved)
        .expect("settings");
    // 18:00 UTC on 4 December is 07:00 on 5 December in Auckland.
    background
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-1", 0)])
        .expect("sale");
    let date: String =
        settings.sql("SELECT business_date FROM transactions WHERE external_id = 'PAY-1'");
    assert_eq!(date, "2026-12-05");
}

#[test]
fn a_clock_that_jumps_ahead_never_stamps_the_future_and_stamps_left_there_are_repaired() {
    let jump = 73 * 365 * 86_400_000i64;
    let (mut a, venue) = Console::with_venue();
    a.store.skew_clock(jump);
    a.store
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-1", 0)])
        .expect("sale");
    let limit = HlcClock::now_ms() + HlcClock::DEFAULT_MAX_DRIFT_MS;
    assert!(
        a.outbox().iter().all(|c| c.hlc.wall_ms() <= limit),
        "not stamped in 2099"
    );
    assert!(
        a.store
            .clock_report()
            .expect("clock")
            .refused_jump
            .is_some(),
        "and it says so"
    );
    drop(a.store);
    // A run that started with its clock in 2099 leaves stamps there...
    let mut ahead = Store::open_skewed(&a.path, jump).expect("open ahead");
    ahead
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-2", 0)])
        .expect("sale");
    drop(ahead);
    // ...and the next run, with the clock right, re-stamps them at the real time.
    let reopened = Store::open(&a.path).expect("reopen");
    let report = reopened.clock_report().expect("clock");
    assert_eq!(
        report.last_repair.as_ref().map(|r| r.restamped),
        Some(1),
        "{report:?}"
    );
    assert!(reopened.last_hlc().wall_ms() <= limit + 60_000);
    let future = reopened
        .future_stamps(Utc::now(), Duration::minutes(5))
        .expect("stamps");
    assert_eq!(future.change_log_rows, 0);
    let page = reopened.outbox(a.pushed, 100).expect("outbox");
    assert!(page
        .changes
        .iter()
        .any(|c| c.change.payload["external_id"] == "PAY-2"));
}

#[test]
fn a_console_that_worked_alone_takes_the_hubs_venue_id_in_one_rekey() {
    let (mut a, venue) = Console::with_venue();
    let d = identified(door(&venue));
    a.store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&d))
        .expect("door");
    a.store
        .ingest(Origin::Sensor, None, &[reading(&venue, d.id, 0, 7)])
        .expect("reading");
    a.store
        .ingest(Origin::Connector, None, &[sale(&venue, "PAY-1", 0)])
        .expect("sale");
    let g = guest(&venue, "Lovelace");
    a.store
        .ingest(Origin::Pms, None, std::slice::from_ref(&g))
        .expect("guest");
    let mut s = stay(&venue);
    s.customer_id = Some(g.id);
    a.store
        .ingest(Origin::Pms, None, std::slice::from_ref(&s))
        .expect("stay");
    let note = DeskNote {
        id: natural::desk_note(s.id),
        venue_id: venue.id,
        reservation_id: s.id,
        text: "cot".into(),
        written_by: "desk".into(),
        written_at: at(1),
    };
    a.store
        .save_by_user("desk", "reservation.note", &note)
        .expect("note");
    a.store
        .ingest(Origin::Sensor, None, &[identified(alert(&venue, 2))])
        .expect("alert");
    let hub_venue = new_id();
    let summary = a.store.join_venue(hub_venue).expect("rekey");
    assert!(summary.ids_changed >= 7, "{summary:?}");
    let moved = a.store.venue().expect("venue").expect("one");
    assert_eq!(moved.id, hub_venue);
    // Every id derived from the venue follows it, and the references with them.
    let new_guest = vendor_row_id(hub_venue, EntityKind::Customer, "mews", "G1");
    let new_stay = vendor_row_id(hub_venue, EntityKind::Reservation, "mews", "R1");
    let new_door = natural::sensor_device(hub_venue, "front");
    assert_eq!(
        a.sql::<String>("SELECT customer_id FROM reservations"),
        new_guest.to_string()
    );
    assert_eq!(
        a.sql::<String>("SELECT id FROM reservations"),
        new_stay.to_string()
    );
    assert_eq!(
        a.sql::<String>("SELECT device_id FROM sensor_readings"),
        new_door.to_string()
    );
    assert_eq!(
        a.sql::<String>("SELECT id FROM sensor_readings"),
        natural::sensor_reading(new_door, at(0)).to_string()
    );
    assert_eq!(
        a.sql::<String>("SELECT id FROM desk_notes"),
        natural::desk_note(new_stay).to_string()
    );
    assert_eq!(
        a.sql::<String>("SELECT id FROM transactions"),
        natural::transaction(hub_venue, "square", "PAY-1").to_string()
    );
    let stale: i64 = a.sql(&format!(
        "SELECT (SELECT count(*) FROM transactions WHERE venue_id = '{0}') + (SELECT count(*) FROM daily_sales WHERE venue_id = '{0}') + (SELECT count(*) FROM change_log WHERE venue_id = '{0}')",
        venue.id
    ));
    assert_eq!(stale, 0, "nothing names the old venue");
    let broken: i64 = a.sql("SELECT count(*) FROM pragma_foreign_key_check");
    assert_eq!(broken, 0, "every reference holds");
    let hits = a.store.search(hub_venue, "Lovelace", 10).expect("search");
    assert_eq!(
        hits.len(),
        2,
        "the guest and her stay are still found: {hits:?}"
    );
    // Everything written before goes up, under the hub's venue.
    let queued = a.outbox();
    assert_eq!(queued.len() as u64, summary.changes_queued);
    assert!(queued.iter().all(|c| c.venue_id == hub_venue));
    let mut b = Console::empty();
    for (change, outcome) in queued.iter().zip(b.apply_raw(&queued)) {
        let expected = if change.entity == EntityKind::Audit {
            "rejected" // audit lines stay with the console that wrote them
        } else {
            "applied"
        };
        assert_eq!(
            matches!(outcome, ChangeOutcome::Applied),
            expected == "applied",
            "{} {outcome:?}",
            change.entity
        );
    }
    // Once synced, the id is the hub's for good.
    a.store.acknowledge("hub", a.pushed).expect("ack");
    assert!(a.store.join_venue(new_id()).is_err());
}

#[test]
fn a_charge_is_posted_only_by_the_console_that_took_it() {
    let (mut a, mut b, venue) = pair();
    let s = stay(&venue);
    a.store
        .ingest(Origin::Pms, None, std::slice::from_ref(&s))
        .expect("stay");
    let charge = PmsCharge {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        reservation_id: s.id,
        reservation_external_id: s.external_id.clone(),
        item: "Minibar".into(),
        amount_minor: 1_250,
        currency: venue.currency,
        state: ChargeState::Pending,
        attempts: 0,
        last_error: None,
        external_order_id: None,
        requested_by: "desk".into(),
        requested_at: at(5),
        sent_at: None,
    };
    a.store
        .save_by_user("desk", "charge.request", &charge)
        .expect("charge");
    let changes = a.outbox();
    b.apply(&changes);
    let lease = std::time::Duration::from_secs(60);
    assert!(
        matches!(
            b.store
                .claim_charge(charge.id, "b-sender", lease)
                .expect("claim"),
            venue_store::ChargeClaim::Elsewhere
        ),
        "the other desk sees the charge but never posts it"
    );
    assert!(matches!(
        a.store
            .claim_charge(charge.id, "a-sender", lease)
            .expect("claim"),
        venue_store::ChargeClaim::Claimed { .. }
    ));
}
