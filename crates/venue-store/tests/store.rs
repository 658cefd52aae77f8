//! The store's contract, over real database files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use std::path::{Path, PathBuf};
use uuid::Uuid;
use venue_domain::*;
use venue_store::{latest_version, Store, StoreError, DB_FILE};

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join(DB_FILE)
}

fn new_store() -> (tempfile::TempDir, Store, Venue) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&db_path(&dir)).expect("open new store");
    let venue = Venue::new("Harbour Hotel", "Europe/London", "GBP", 120).expect("venue");
    store
        .save_by_user("test", "venue.create", &venue)
        .expect("create venue");
    (dir, store, venue)
}

fn sale(venue: &Venue, n: u32, total: i64) -> Transaction {
    let closed = Utc
        .with_ymd_and_hms(2026, 7, 1, 12, 0, 0)
        .single()
        .expect("time")
        + Duration::minutes(i64::from(n));
    venue_store::identified(Transaction {
        id: new_id(),
        venue_id: venue.id,
        source: "square-main".into(),
        external_id: format!("PAY-{n:05}"),
        location_id: Some("L1".into()),
        status: TransactionStatus::Completed,
        opened_at: Some(closed - Duration::minutes(20)),
        closed_at: closed,
        currency: venue.currency,
        total_minor: total,
        tax_minor: total / 6,
        tip_minor: 100,
        discount_minor: 0,
        refunded_minor: 0,
    })
}

fn customer(
    venue: &Venue,
    ext: &str,
    first: &str,
    last: &str,
    email: &str,
    phone: &str,
) -> Customer {
    venue_store::identified(Customer {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: ext.into(),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        email: Some(email.into()),
        phone: Some(phone.into()),
        classifications: vec!["Vip".into()],
        notes: None,
        updated_at_source: None,
    })
}

fn change_log_len(store: &Store) -> u64 {
    store.change_log_stats().expect("stats").total
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

#[test]
fn a_new_store_is_fully_migrated_in_wal_mode() {
    let (_dir, store, _) = new_store();
    assert_eq!(store.schema_version().expect("version"), latest_version());
    assert_eq!(store.journal_mode().expect("mode"), "wal");
    store.integrity_check().expect("sound file");
}

#[test]
fn upgrades_from_every_earlier_version_keep_data_and_backfill() {
    for start in 1..latest_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = db_path(&dir);
        let venue = Venue::new("Old Inn", "Europe/Paris", "EUR", 40).expect("venue");
        // Builds before 0013 gave sales random ids; from 0013 on they derive them.
        let sale_id = natural::transaction(venue.id, "square-main", "PAY-00001");
        let old_sale_id = if start < 13 { new_id() } else { sale_id };
        {
            drop(Store::open_at_version(&path, start).expect("open at old version"));
            // Rows as an older build wrote them: its columns, its random ids, its change log.
            let conn = rusqlite::Connection::open(&path).expect("raw open");
            let node: String = conn
                .query_row("SELECT value FROM meta WHERE key = 'node_id'", [], |r| {
                    r.get(0)
                })
                .expect("the store's node");
            conn.execute_batch(&format!(
                "INSERT INTO venues (id, name, timezone, currency, capacity, origin, hlc, node_id, created_at, updated_at)
                 VALUES ('{v}', 'Old Inn', 'Europe/Paris', 'EUR', 40, 'user', 65536, '{node}', '2026-01-01', '2026-01-01');
                 INSERT INTO customers (id, venue_id, source, external_id, first_name, last_name, email, phone,
                                        origin, hlc, node_id, created_at, updated_at)
                 VALUES ('{c}', '{v}', 'mews', 'c-1', 'Élodie', 'Marchand', 'elodie@example.fr', '+33 1 23 45 67 89',
                         'pms', 131072, '{node}', '2026-01-01', '2026-01-01');
                 INSERT INTO transactions (id, venue_id, source, external_id, status, closed_at, business_date, currency,
                                           total_minor, tax_minor, tip_minor, discount_minor, refunded_minor,
                                           origin, hlc, node_id, created_at, updated_at)
                 VALUES ('{t}', '{v}', 'square-main', 'PAY-00001', 'completed', '2026-07-01 12:00:00+00:00', '2026-07-01',
                         'EUR', 2000, 333, 0, 0, 0, 'connector', 196608, '{node}', '2026-01-01', '2026-01-01');
                 INSERT INTO change_log (entity, entity_id, op, hlc, origin) VALUES
                     ('venue', '{v}', 'upsert', 65536, 'user'),
                     ('customer', '{c}', 'upsert', 131072, 'pms'),
                     ('transaction', '{t}', 'upsert', 196608, 'connector');",
                v = venue.id,
                c = vendor_row_id(venue.id, EntityKind::Customer, "mews", "c-1"),
                t = old_sale_id,
            ))
            .expect("old rows");
        }
        let store = Store::open(&path).expect("upgrade");
        assert_eq!(
            store.schema_version().expect("version"),
            latest_version(),
            "from {start}"
        );
        assert_eq!(store.counts().expect("counts").customers, 1);
        assert_eq!(store.counts().expect("counts").transactions, 1);
        // Search (0002) finds rows written before it existed, accents folded.
        let hits = store.search(venue.id, "elodie", 10).expect("search");
        assert_eq!(hits.len(), 1, "from version {start}");
        // The sale takes the id every console gives it (0013), and its change follows it.
        assert!(
            store.get::<Transaction>(sale_id).expect("read").is_some(),
            "from {start}"
        );
        if old_sale_id != sale_id {
            assert!(store
                .get::<Transaction>(old_sale_id)
                .expect("read")
                .is_none());
        }
        let changes = store.changes_since(0, 100).expect("log");
        assert!(changes
            .iter()
            .any(|c| c.change.entity_id == sale_id && c.change.venue_id == venue.id));
        store.integrity_check().expect("sound after upgrade");
    }
}

#[test]
fn a_database_from_a_newer_build_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    {
        let _ = Store::open(&path).expect("create");
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, 'future', 'x', 'now')",
            [latest_version() + 1],
        )
        .expect("pretend a newer build migrated it");
        conn.pragma_update(None, "journal_mode", "DELETE")
            .expect("fold the WAL back");
    }
    let before = file_bytes(&path);
    match Store::open(&path) {
        Err(StoreError::NewerSchema {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (latest_version() + 1, latest_version()));
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
    assert_eq!(file_bytes(&path), before, "file must be untouched");
    let message = Store::open(&path)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("newer Venue Console"), "{message}");
}

#[test]
fn a_non_sqlite_or_garbled_file_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    std::fs::write(&path, b"these are somebody's notes, not a database\n").expect("write");
    let before = file_bytes(&path);
    let err = Store::open(&path).map(|_| ()).expect_err("refused");
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("not a SQLite database"), "{err}");
    assert_eq!(file_bytes(&path), before);
    assert!(
        !path.with_extension("sqlite3-wal").exists(),
        "no WAL created beside it"
    );

    // A real SQLite header followed by garbage is a damaged store, not "not a database" (a
    // user told that may delete what is only damaged).
    let mut corrupt = b"SQLite format 3\0".to_vec();
    corrupt.extend(std::iter::repeat_n(0xA5u8, 8192));
    std::fs::write(&path, &corrupt).expect("write");
    let err = Store::open(&path).map(|_| ()).expect_err("refused");
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    assert!(!err.to_string().contains("not a SQLite database"), "{err}");
    assert_eq!(file_bytes(&path), corrupt);
}

#[test]
fn another_applications_database_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(
            "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');",
        )
        .expect("other app's schema");
    }
    let before = file_bytes(&path);
    let err = Store::open(&path).map(|_| ()).expect_err("refused");
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn re_ingesting_the_same_data_changes_nothing() {
    let (_dir, mut store, venue) = new_store();
    let batch: Vec<Transaction> = (0..100)
        .map(|n| sale(&venue, n, 1_000 + i64::from(n)))
        .collect();
    let first = store
        .ingest(Origin::Connector, None, &batch)
        .expect("first fetch");
    assert_eq!(
        (first.inserted, first.updated, first.unchanged),
        (100, 0, 0)
    );
    let log_after_first = change_log_len(&store);
    let day = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
    let sales_after_first = store.daily_sales(venue.id, day).expect("sales");

    // A re-fetch builds fresh records (new ids) for the same vendor rows.
    let refetch: Vec<Transaction> = (0..100)
        .map(|n| sale(&venue, n, 1_000 + i64::from(n)))
        .collect();
    let second = store
        .ingest(Origin::Connector, None, &refetch)
        .expect("re-fetch");
    assert_eq!(
        (second.inserted, second.updated, second.unchanged),
        (0, 0, 100)
    );
    assert_eq!(store.counts().expect("counts").transactions, 100);
    assert_eq!(
        change_log_len(&store),
        log_after_first,
        "no change captured for unchanged rows"
    );
    assert_eq!(
        store.daily_sales(venue.id, day).expect("sales"),
        sales_after_first
    );

    // One refund arrives: one update, one change, keeping our original id.
    let mut refunded = sale(&venue, 7, 1_007);
    refunded.refunded_minor = 500;
    let third = store
        .ingest(Origin::Connector, None, &[refunded])
        .expect("refund");
    assert_eq!((third.inserted, third.updated), (0, 1));
    let last = store
        .changes_since(0, 10_000)
        .expect("changes")
        .pop()
        .expect("a change");
    assert_eq!(
        last.change.entity_id, batch[7].id,
        "the row keeps the id it was first given"
    );
    assert_eq!(last.change.payload["refunded_minor"], 500);
    let sales = store.daily_sales(venue.id, day).expect("sales");
    assert_eq!(sales[0].refunded_minor, 500);
    assert_eq!(sales[0].net_minor, sales[0].gross_minor - 500);
}

#[test]
fn daily_sales_follow_venue_local_days_and_ignore_canceled_sales() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&db_path(&dir)).expect("open");
    let venue = Venue::new("Diner", "America/New_York", "USD", 60).expect("venue");
    store
        .save_by_user("test", "venue.create", &venue)
        .expect("venue");
    let mut late = sale(&venue, 0, 3_000);
    // 02:30 UTC on 2 July is the evening of 1 July in New York.
    late.closed_at = Utc
        .with_ymd_and_hms(2026, 7, 2, 2, 30, 0)
        .single()
        .expect("time");
    late.opened_at = None;
    let mut canceled = sale(&venue, 1, 9_999);
    canceled.status = TransactionStatus::Canceled;
    store
        .ingest(Origin::Connector, None, &[late.clone(), canceled])
        .expect("ingest");
    let july1 = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
    let sales = store.daily_sales(venue.id, july1).expect("sales");
    assert_eq!(sales.len(), 1);
    assert_eq!((sales[0].transactions, sales[0].gross_minor), (1, 3_000));

    // Canceling it later takes it back out of the day.
    late.status = TransactionStatus::Canceled;
    store
        .ingest(Origin::Connector, None, &[late])
        .expect("cancel");
    assert!(store
        .daily_sales(venue.id, july1)
        .expect("sales")
        .is_empty());
}

#[test]
fn search_finds_guests_and_reservations_by_any_handle() {
    let (_dir, mut store, venue) = new_store();
    let ana = customer(
        &venue,
        "c-1",
        "Ana",
        "Müller",
        "ana.muller@example.com",
        "+44 20 7946 0958",
    );
    let bo = customer(&venue, "c-2", "Bo", "Smith", "bo@example.org", "555-0100");
    store
        .ingest(Origin::Pms, None, &[ana.clone(), bo])
        .expect("customers");
    let room = venue_store::identified(Resource {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: "r-101".into(),
        name: "101".into(),
        kind: "Room".into(),
        state: Some("Clean".into()),
        floor: Some("1".into()),
        updated_at_source: None,
    });
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&room))
        .expect("room");
    let start = Utc
        .with_ymd_and_hms(2026, 7, 1, 14, 0, 0)
        .single()
        .expect("time");
    let stay = venue_store::identified(Reservation {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: "res-1".into(),
        number: Some("52".into()),
        state: ReservationState::Confirmed,
        start_utc: start,
        end_utc: start + Duration::days(2),
        customer_id: Some(ana.id),
        resource_id: Some(room.id),
        person_count: 2,
        notes: None,
        updated_at_source: None,
    });
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&stay))
        .expect("reservation");

    let find = |store: &Store, q: &str| store.search(venue.id, q, 10).expect("search");
    let kinds = |store: &Store, q: &str| {
        let mut k: Vec<EntityKind> = find(store, q).iter().map(|h| h.entity).collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds(&store, "mull"),
        vec![EntityKind::Customer, EntityKind::Reservation],
        "accent-free prefix"
    );
    assert_eq!(
        kinds(&store, "ana.muller@example.com"),
        vec![EntityKind::Customer, EntityKind::Reservation]
    );
    assert_eq!(
        kinds(&store, "442079460958"),
        vec![EntityKind::Customer, EntityKind::Reservation],
        "phone as digits"
    );
    assert_eq!(kinds(&store, "101"), vec![EntityKind::Reservation], "room");
    let by_number = find(&store, "52");
    assert_eq!(by_number.len(), 1);
    assert_eq!(
        (by_number[0].id, by_number[0].room.as_str()),
        (stay.id, "101")
    );
    assert_eq!(find(&store, "smith").len(), 1);
    assert!(find(&store, "nobody").is_empty());
    assert!(
        find(&store, "\"unbalanced (").is_empty(),
        "odd input is not an error"
    );

    // Renaming a guest (e.g. after marriage) updates the reservation's entry too.
    let mut renamed = ana.clone();
    renamed.last_name = Some("Kowalski".into());
    store.ingest(Origin::Pms, None, &[renamed]).expect("rename");
    assert_eq!(
        kinds(&store, "kowal"),
        vec![EntityKind::Customer, EntityKind::Reservation]
    );
    assert!(find(&store, "kowal")
        .iter()
        .all(|h| h.name == "Ana Kowalski"));
}

#[test]
fn local_writes_are_captured_and_remote_ones_are_not() {
    let (_dir, mut store, venue) = new_store();
    let before = change_log_len(&store);
    store
        .ingest(Origin::Connector, None, &[sale(&venue, 1, 500)])
        .expect("local");
    assert_eq!(change_log_len(&store), before + 1);
    let captured = store.changes_since(0, 1_000).expect("changes");
    let last = &captured.last().expect("change").change;
    assert_eq!(
        (last.entity, last.origin, last.node),
        (EntityKind::Transaction, Origin::Connector, store.node_id())
    );
    assert!(
        captured
            .windows(2)
            .all(|w| w[0].change.hlc < w[1].change.hlc),
        "stamps strictly increase"
    );

    // A change written by another console for the same venue.
    let peer = NodeId::generate();
    let remote_sale = sale(&venue, 2, 800);
    let remote = ChangeRecord {
        change_id: new_id(),
        venue_id: venue.id,
        entity: EntityKind::Transaction,
        entity_id: remote_sale.id,
        op: ChangeOp::Upsert,
        payload: serde_json::to_value(&remote_sale).expect("payload"),
        hlc: Hlc::new(HlcClock::now_ms(), 0),
        node: peer,
        origin: Origin::Connector,
    };
    let applied = store
        .apply_remote(std::slice::from_ref(&remote))
        .expect("apply");
    assert_eq!(applied.applied, 1);
    assert_eq!(
        change_log_len(&store),
        before + 1,
        "applying a remote change is not re-captured"
    );
    assert_eq!(store.counts().expect("counts").transactions, 2);
    let day = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
    let sales_of_day =
        |store: &Store| store.daily_sales(venue.id, day).expect("sales")[0].transactions;
    assert_eq!(
        sales_of_day(&store),
        2,
        "a sale from a peer counts in its day"
    );
    assert!(
        store.last_hlc() > remote.hlc,
        "the clock moved past the peer's"
    );
    // Redelivery is harmless.
    let again = store
        .apply_remote(std::slice::from_ref(&remote))
        .expect("redeliver");
    assert_eq!((again.applied, again.duplicates), (0, 1));

    // An older change to the same row loses and is kept as a conflict, not dropped.
    let mut stale_sale = remote_sale.clone();
    stale_sale.total_minor = 1;
    let stale = ChangeRecord {
        change_id: new_id(),
        payload: serde_json::to_value(&stale_sale).expect("payload"),
        hlc: Hlc::new(remote.hlc.wall_ms() - 1_000, 0),
        ..remote.clone()
    };
    let outcome = store.apply_remote(&[stale]).expect("apply stale");
    assert_eq!(outcome.conflicts, 1);
    let kept: Transaction = store.get(remote_sale.id).expect("get").expect("row");
    assert_eq!(kept.total_minor, 800, "newer write wins");
    assert_eq!(
        sales_of_day(&store),
        2,
        "neither redelivery nor a lost change counts twice"
    );
    let gross = store.daily_sales(venue.id, day).expect("sales")[0].gross_minor;
    assert_eq!(gross, 1_300);

    // A malformed change is rejected on its own, parked with its reason; nothing of it lands.
    let mut broken = remote.clone();
    broken.change_id = new_id();
    broken.payload = serde_json::json!({"id": remote_sale.id, "total_minor": "lots"});
    let outcome = store
        .apply_remote(&[broken.clone()])
        .expect("the batch is applied");
    assert_eq!(outcome.rejected, 1);
    let parked = store.parked_changes().expect("parked");
    assert_eq!(parked[0].change_id, broken.change_id.to_string());
    assert!(
        parked[0].reason.contains("not a valid transaction"),
        "{parked:?}"
    );
    let kept: Transaction = store.get(remote_sale.id).expect("get").expect("row");
    assert_eq!(kept.total_minor, 800);
}

#[test]
fn a_peer_clock_far_in_the_future_is_refused() {
    let (_dir, mut store, venue) = new_store();
    let s = sale(&venue, 3, 100);
    let change = ChangeRecord {
        change_id: new_id(),
        venue_id: venue.id,
        entity: EntityKind::Transaction,
        entity_id: s.id,
        op: ChangeOp::Upsert,
        payload: serde_json::to_value(&s).expect("payload"),
        hlc: Hlc::new(HlcClock::now_ms() + 86_400_000, 0),
        node: NodeId::generate(),
        origin: Origin::Connector,
    };
    let outcome = store.apply_remote(&[change]).expect("the batch is applied");
    assert_eq!(outcome.rejected, 1, "refused, on its own");
    let parked = store.parked_changes().expect("parked");
    assert!(parked[0].reason.contains("ahead"), "{parked:?}");
    assert_eq!(store.counts().expect("counts").transactions, 0);
    assert!(
        store.last_hlc().wall_ms() < HlcClock::now_ms() + 60_000,
        "the peer's clock did not drag ours along"
    );
}

#[test]
fn user_edits_are_audited_with_before_and_after() {
    let (_dir, mut store, venue) = new_store();
    let mut edited = venue.clone();
    edited.capacity = 150;
    assert!(store
        .save_by_user("maria", "venue.update", &edited)
        .expect("edit"));
    assert!(
        !store
            .save_by_user("maria", "venue.update", &edited)
            .expect("same again"),
        "no-op edit writes nothing"
    );
    let mut entries = Vec::new();
    store
        .export::<AuditEntry>(venue.id, None, None, |e| {
            entries.push(e);
            Ok(())
        })
        .expect("audit");
    assert_eq!(entries.len(), 2, "create and one update");
    let update = &entries[1];
    assert_eq!(
        (update.actor.as_str(), update.action.as_str()),
        ("maria", "venue.update")
    );
    assert_eq!(
        update.before.as_ref().map(|b| b["capacity"].clone()),
        Some(120.into())
    );
    assert_eq!(
        update.after.as_ref().map(|a| a["capacity"].clone()),
        Some(150.into())
    );
    assert!(
        store.save_by_user(" ", "venue.update", &venue).is_err(),
        "an audited action needs an actor"
    );
}

#[test]
fn bad_rows_are_refused_with_a_reason_and_the_batch_is_not_half_written() {
    let (_dir, mut store, venue) = new_store();
    let good = sale(&venue, 1, 100);
    let mut bad = sale(&venue, 2, 100);
    bad.external_id = "  ".into();
    let err = store
        .ingest(Origin::Connector, None, &[good, bad])
        .map(|_| ())
        .expect_err("refused");
    assert!(err.to_string().contains("external id"), "{err}");
    assert_eq!(
        store.counts().expect("counts").transactions,
        0,
        "all or nothing"
    );
    let stranger = Transaction {
        venue_id: Uuid::now_v7(),
        ..sale(&venue, 3, 100)
    };
    let err = store
        .ingest(Origin::Connector, None, &[stranger])
        .map(|_| ())
        .expect_err("refused");
    assert!(err.to_string().contains("unknown venue"), "{err}");
}

#[test]
fn connector_state_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let venue = Venue::new("Harbour", "Europe/London", "GBP", 10).expect("venue");
    {
        let mut store = Store::open(&path).expect("open");
        store
            .save_by_user("test", "venue.create", &venue)
            .expect("venue");
        let breaker = serde_json::json!({"state": "OPEN", "consecutive_failures": 5});
        store
            .save_connector_state(venue.id, "square-main", &breaker, None)
            .expect("save");
        let metrics = serde_json::json!({"requests": 12});
        store
            .save_connector_state(
                venue.id,
                "square-main",
                &serde_json::json!({"state": "HALF_OPEN"}),
                Some(&metrics),
            )
            .expect("save again");
    }
    let store = Store::open(&path).expect("reopen");
    let states = store.connector_states(venue.id).expect("states");
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].breaker["state"], "HALF_OPEN");
    assert_eq!(
        states[0].metrics.as_ref().map(|m| m["requests"].clone()),
        Some(12.into())
    );
}

#[test]
fn the_clock_and_node_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let (node, hlc) = {
        let mut store = Store::open(&path).expect("open");
        let venue = Venue::new("Harbour", "Europe/London", "GBP", 10).expect("venue");
        store
            .save_by_user("test", "venue.create", &venue)
            .expect("venue");
        (store.node_id(), store.last_hlc())
    };
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.node_id(), node);
    assert!(store.last_hlc() >= hlc);
}

#[test]
fn two_connections_of_one_process_keep_stamps_ordered_so_the_later_edit_wins() {
    let (dir, mut background, venue) = new_store();
    let mut screens = Store::open(&db_path(&dir)).expect("second connection");
    let original = sale(&venue, 1, 1_000);
    background
        .ingest(Origin::Connector, None, std::slice::from_ref(&original))
        .expect("ingest");
    // The background connection hears from a peer whose clock runs a minute ahead (within the
    // allowed drift), so its own next stamps are a minute ahead of the wall clock too.
    let peer_sale = sale(&venue, 2, 500);
    let ahead = ChangeRecord {
        change_id: new_id(),
        venue_id: venue.id,
        entity: EntityKind::Transaction,
        entity_id: peer_sale.id,
        op: ChangeOp::Upsert,
        payload: serde_json::to_value(&peer_sale).expect("payload"),
        hlc: Hlc::new(HlcClock::now_ms() + 60_000, 0),
        node: NodeId::generate(),
        origin: Origin::Connector,
    };
    background.apply_remote(&[ahead]).expect("apply");
    let mut tipped = original.clone();
    tipped.tip_minor = 250;
    background
        .ingest(Origin::Connector, None, std::slice::from_ref(&tipped))
        .expect("update");

    // A person then refunds it from the screens' connection, opened before all that.
    let background_last = background.last_hlc();
    let mut refunded = tipped.clone();
    refunded.refunded_minor = 1_000;
    let written = screens
        .save_by_user("Sam (staff)", "transaction.refund", &refunded)
        .expect("refund");
    assert!(
        written,
        "the later edit is written, not lost to an older clock"
    );
    let stored = background
        .get::<Transaction>(original.id)
        .expect("read")
        .expect("exists");
    assert_eq!(stored.refunded_minor, 1_000);
    assert!(screens.last_hlc() > background_last);
}

#[test]
fn a_listener_hears_the_kinds_of_rows_each_commit_touched() {
    use std::sync::{Arc, Mutex};
    let (_dir, mut store, venue) = new_store();
    let heard: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&heard);
    store.set_change_listener(Arc::new(move |topics: &[&'static str]| {
        let mut heard = sink.lock().expect("lock");
        heard.extend(topics.iter().map(|t| t.to_string()));
    }));
    let first = sale(&venue, 1, 900);
    store
        .ingest(Origin::Connector, None, std::slice::from_ref(&first))
        .expect("ingest");
    // The same row again changes nothing, so nobody is told.
    store
        .ingest(Origin::Connector, None, std::slice::from_ref(&first))
        .expect("ingest again");
    store
        .save_connector_state(
            venue.id,
            "square-main",
            &serde_json::json!({"state": "open"}),
            None,
        )
        .expect("state");
    let heard = heard.lock().expect("lock").clone();
    assert_eq!(heard, vec!["transaction", venue_store::CONNECTOR_STATE]);
}
