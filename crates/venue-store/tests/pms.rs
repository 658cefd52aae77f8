//! The PMS mirror's storage contract: local-only notes survive PMS updates, charges are
//! validated and queryable by state, stays are found by any id staff quote, and an older copy
//! of a record is recognisable by its vendor modification time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration, TimeZone, Utc};
use venue_domain::*;
use venue_store::{Store, StoreError, DB_FILE};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    venue: Venue,
    reservation: Reservation,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join(DB_FILE)).expect("open");
    let venue = Venue::new("Harbour Hotel", "Europe/London", "EUR", 120).expect("venue");
    store
        .save_by_user("test", "venue.create", &venue)
        .expect("venue");
    let customer = Customer {
        id: vendor_row_id(venue.id, EntityKind::Customer, "mews", "C-1"),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: "C-1".into(),
        first_name: Some("Ana".into()),
        last_name: Some("Silva".into()),
        email: None,
        phone: None,
        classifications: vec![],
        notes: None,
        updated_at_source: None,
    };
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&customer))
        .expect("customer");
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
        state: ReservationState::Confirmed,
        start_utc: start,
        end_utc: start + Duration::days(2),
        customer_id: Some(customer.id),
        resource_id: None,
        person_count: 2,
        notes: None,
        updated_at_source: Some(start - Duration::days(10)),
    };
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&reservation))
        .expect("reservation");
    Fixture {
        _dir: dir,
        store,
        venue,
        reservation,
    }
}

#[test]
fn a_desk_note_survives_pms_updates_of_its_reservation() {
    let Fixture {
        mut store,
        venue,
        reservation,
        ..
    } = fixture();
    let note = DeskNote {
        id: new_id(),
        venue_id: venue.id,
        reservation_id: reservation.id,
        text: "Late arrival, keep room 12".into(),
        written_by: "maria".into(),
        written_at: Utc::now(),
    };
    assert!(store
        .save_by_user("maria", "reservation.note", &note)
        .expect("note"));
    let mut updated = reservation.clone();
    updated.state = ReservationState::Started;
    updated.updated_at_source = Some(Utc::now());
    let summary = store
        .ingest(Origin::Pms, None, &[updated])
        .expect("pms update");
    assert_eq!(summary.updated, 1);
    let kept = store
        .desk_note(reservation.id)
        .expect("read")
        .expect("note kept");
    assert_eq!(kept.text, "Late arrival, keep room 12");
    assert_eq!(
        store
            .get::<Reservation>(reservation.id)
            .expect("get")
            .expect("row")
            .state,
        ReservationState::Started
    );
}

#[test]
fn stays_are_found_by_number_vendor_id_or_our_id() {
    let Fixture {
        store,
        venue,
        reservation,
        ..
    } = fixture();
    for key in ["1042", "R-1", &reservation.id.to_string(), " 1042 "] {
        let found = store.find_reservation(venue.id, key).expect("query");
        assert_eq!(found.map(|r| r.id), Some(reservation.id), "key {key:?}");
    }
    assert!(store
        .find_reservation(venue.id, "9999")
        .expect("query")
        .is_none());
    let customer = store
        .customer_of(&reservation)
        .expect("query")
        .expect("guest");
    assert_eq!(customer.external_id, "C-1");
}

#[test]
fn charges_are_validated_and_listed_by_state() {
    let Fixture {
        mut store,
        venue,
        reservation,
        ..
    } = fixture();
    let charge = |amount: i64, item: &str| PmsCharge {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        reservation_id: reservation.id,
        reservation_external_id: reservation.external_id.clone(),
        item: item.into(),
        amount_minor: amount,
        currency: venue.currency,
        state: ChargeState::Pending,
        attempts: 0,
        last_error: None,
        external_order_id: None,
        requested_by: "maria".into(),
        requested_at: Utc::now(),
        sent_at: None,
    };
    for (amount, item) in [(0, "Minibar"), (-5, "Minibar"), (1250, "  ")] {
        let err = store
            .save_by_user("maria", "pms.charge.create", &charge(amount, item))
            .expect_err("invalid charge");
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
    let mut first = charge(1250, "Minibar");
    store
        .save_by_user("maria", "pms.charge.create", &first)
        .expect("charge");
    let second = charge(450, "Laundry");
    store
        .save_by_user("maria", "pms.charge.create", &second)
        .expect("charge");
    first.state = ChargeState::Sent;
    first.external_order_id = Some("ORDER-1".into());
    first.attempts = 1;
    store
        .save_audited(Origin::Pms, "pms-sync", "pms.charge.sent", &first)
        .expect("sent");
    let pending = store
        .charges(venue.id, Some(ChargeState::Pending), None)
        .expect("pending");
    assert_eq!(
        pending.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![second.id]
    );
    let sent = store
        .charges(venue.id, Some(ChargeState::Sent), Some(reservation.id))
        .expect("sent");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].external_order_id.as_deref(), Some("ORDER-1"));
    // Creation and the state change are both audited, the latter as the sync.
    let mut actions = Vec::new();
    store
        .export::<AuditEntry>(venue.id, None, None, |a| {
            actions.push((a.actor, a.action));
            Ok(())
        })
        .expect("audit");
    assert!(actions.contains(&("maria".into(), "pms.charge.create".into())));
    assert!(actions.contains(&("pms-sync".into(), "pms.charge.sent".into())));
}

#[test]
fn vendor_modification_times_are_readable_for_newest_wins() {
    let Fixture {
        store, reservation, ..
    } = fixture();
    let versions = store
        .source_versions("reservations", &[reservation.id, new_id()])
        .expect("versions");
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions.get(&reservation.id).copied(),
        reservation.updated_at_source
    );
    assert!(store
        .source_versions("audit_log; DROP TABLE x", &[])
        .is_err());
}
