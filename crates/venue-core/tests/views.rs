//! The desktop console's screens against a real store file: the demo venue (`venue init
//! --demo`) read back through each view and checked against the store and the daily report,
//! the desk's writes (charges, notes, alerts) audited under the signed-in staff member, and
//! every screen closed to a desktop console nobody has signed in to.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use chrono::{DateTime, Duration, Timelike, Utc};
use std::collections::{BTreeSet, HashMap};
use support::MapSecrets;
use venue_core::domain::{
    new_id, Alert, AlertState, AuditEntry, ChargeState, Customer, Origin, Reservation,
    ReservationState, SensorDevice, SensorReading, Severity, Transaction, TransactionStatus, Venue,
};
use venue_core::views::StayRow;
use venue_core::{Access, ApiError, Console, ErrorCode, InitOptions, Role, SessionInfo};
use venue_store::{Store, DB_FILE};

/// A fresh copy of one demo venue (seeding it takes seconds in a debug build; copying the
/// file does not).
fn demo() -> (tempfile::TempDir, Console) {
    static TEMPLATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let (console, _) = Console::init(dir.path(), &InitOptions::demo()).expect("demo venue");
        drop(console);
        Store::open(&dir.path().join(DB_FILE))
            .expect("store")
            .checkpoint()
            .expect("checkpoint");
        dir
    });
    let dir = tempfile::tempdir().expect("tempdir");
    for file in [DB_FILE, "venue.toml"] {
        std::fs::copy(template.path().join(file), dir.path().join(file)).expect("copy");
    }
    let console = Console::open(dir.path()).expect("open the demo copy");
    (dir, console)
}

/// Another connection to the console's store, to read what the views should show.
fn open_store(dir: &tempfile::TempDir) -> (Store, Venue) {
    let store = Store::open(&dir.path().join(DB_FILE)).expect("store");
    let venue = store.venue().expect("read").expect("a venue");
    (store, venue)
}

fn all<R: venue_store::Record>(store: &Store, venue: &Venue) -> Vec<R> {
    let mut out = Vec::new();
    store
        .export::<R>(venue.id, None, None, |r| {
            out.push(r);
            Ok(())
        })
        .expect("export");
    out
}

/// `console` signed in as `name`, an account created in its store if it has none by that name
/// (the core checks on every command that the signed-in account is still active).
fn signed_in(mut console: Console, name: &str, role: Role) -> Console {
    static NEXT_PIN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(40_000);
    let account = match console.staff_find(name) {
        Ok(account) => account,
        Err(_) => {
            let pin = NEXT_PIN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            console
                .staff_create(name, role, &pin.to_string())
                .expect("a staff account")
        }
    };
    console.with_access(Access::Desktop {
        session: Some(SessionInfo {
            staff_id: account.id,
            name: name.into(),
            role,
            signed_in_at: Utc::now(),
            lock_after_seconds: 300,
        }),
    })
}

fn append_config(dir: &tempfile::TempDir, block: &str) {
    let path = dir.path().join("venue.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    std::fs::write(&path, format!("{config}\n{block}")).expect("write config");
}

fn ids(rows: &[StayRow]) -> BTreeSet<uuid::Uuid> {
    rows.iter().map(|r| r.reservation_id).collect()
}

#[test]
fn today_shows_the_same_numbers_as_the_daily_report() {
    let (_dir, console) = demo();
    let today = console.today().expect("today");
    let report = console.daily_report(Some(today.date)).expect("report");
    // Before the bar opens (07:00) the demo has sold nothing yet today.
    match report
        .sales
        .iter()
        .find(|s| s.day.currency == today.sales.currency)
    {
        Some(sales) => {
            assert_eq!(today.sales.transactions, sales.day.transactions);
            assert_eq!(today.sales.gross_minor, sales.day.gross_minor);
            assert_eq!(today.sales.net_minor, sales.day.net_minor);
            assert_eq!(today.sales.refunded_minor, sales.day.refunded_minor);
            assert_eq!(today.sales.tip_minor, sales.day.tip_minor);
            assert_eq!(today.sales.average_ticket_minor, sales.average_ticket_minor);
        }
        None => assert_eq!(today.sales.transactions, 0),
    }
    let hours = |h: &[venue_core::HourSales]| -> Vec<(u32, u64, i64)> {
        h.iter()
            .map(|h| (h.hour, h.transactions, h.net_minor))
            .collect()
    };
    assert_eq!(hours(&today.sales.by_hour), hours(&report.sales_by_hour));
    assert_eq!(today.stays, report.stays);
    assert_eq!(today.venue.name, InitOptions::DEMO_NAME);
    assert_eq!(today.occupancy.capacity, 180);
    // The health card's sync numbers are the status report's.
    let status = console.status().expect("status");
    assert_eq!(today.health.sync.total_changes, status.change_log.total);
    assert_eq!(
        today.health.sync.pending_changes,
        status.change_log.pending_sync
    );
    assert_eq!(today.health.sync.last_hlc, status.change_log.last_hlc);
    assert!(!today.health.sync.hub_configured);
    assert_eq!(today.health.sync.state, "local_only");
    assert!(today.health.connectors.is_empty() && today.health.pms.is_none());
}

#[test]
fn today_json_has_the_fields_the_ui_reads() {
    let (_dir, console) = demo();
    let json = serde_json::to_value(console.today().expect("today")).expect("json");
    for key in [
        "venue",
        "date",
        "generated_at",
        "occupancy",
        "curve",
        "sales",
        "stays",
        "alerts",
        "health",
    ] {
        assert!(json.get(key).is_some(), "TodayView lacks {key}: {json}");
    }
    assert_eq!(json["curve"]["bucket_minutes"], 15);
    assert_eq!(json["sales"]["by_hour"].as_array().map(Vec::len), Some(24));
    assert!(json["generated_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(json["venue"]["currency"], "GBP");
    assert!(json["stays"]["rooms_dirty"].is_u64());
    assert!(json["health"]["sensors"]["unknown"].is_u64());
}

#[test]
fn occupancy_now_adds_up_each_zones_latest_reading_and_the_curve_covers_the_day() {
    let (dir, console) = demo();
    let (store, venue) = open_store(&dir);
    let readings: Vec<SensorReading> = all(&store, &venue);
    let mut latest: HashMap<String, (DateTime<Utc>, i64)> = HashMap::new();
    for r in &readings {
        let zone = r.zone.clone().unwrap_or_default();
        let occupancy = r.occupancy.expect("demo readings carry occupancy");
        let entry = latest.entry(zone).or_insert((r.period_end, occupancy));
        if r.period_end >= entry.0 {
            *entry = (r.period_end, occupancy);
        }
    }
    let today = console.today().expect("today");
    let expected: i64 = latest.values().map(|(_, o)| o).sum();
    assert_eq!(today.occupancy.now, Some(expected));
    assert_eq!(today.occupancy.zones.len(), 3, "lobby, bar, terrace");
    for zone in &today.occupancy.zones {
        let (at, occupancy) = latest[&zone.zone];
        assert_eq!(zone.occupancy, Some(occupancy), "zone {}", zone.zone);
        assert_eq!(zone.updated_at, Some(at), "zone {}", zone.zone);
    }
    assert_eq!(
        today.occupancy.updated_at,
        latest.values().map(|(at, _)| *at).max()
    );
    let share = today.occupancy.share.expect("a share with data");
    assert!((share - expected as f64 / 180.0).abs() < 1e-9);

    let (start, _) = venue.day_bounds(today.date);
    let curve = &today.curve;
    assert_eq!(curve.today.first().map(|p| p.at), Some(start));
    assert!(curve.today.iter().all(|p| p.at <= today.generated_at));
    assert!(curve
        .today
        .windows(2)
        .all(|w| w[1].at - w[0].at == Duration::minutes(15)));
    // Entries through the day are the day's traffic.
    let report = console.daily_report(Some(today.date)).expect("report");
    let entries: i64 = curve.today.iter().map(|p| p.entries).sum();
    assert_eq!(entries as u64, report.traffic.entries);
    // Last week's same weekday, whole, laid over today's local day.
    let (lw_start, lw_end) = venue.day_bounds(today.date - Duration::days(7));
    assert_eq!(
        curve.last_week.len() as i64,
        (lw_end - lw_start).num_minutes() / 15
    );
    assert_eq!(curve.last_week.first().map(|p| p.at), Some(start));
    let week_ago = console
        .daily_report(Some(today.date - Duration::days(7)))
        .expect("report");
    let lw_entries: i64 = curve.last_week.iter().map(|p| p.entries).sum();
    assert_eq!(lw_entries as u64, week_ago.traffic.entries);
    assert!(curve.last_week.iter().any(|p| p.occupancy.is_some()));
}

#[test]
fn occupancy_is_fresh_when_a_reading_has_just_arrived_and_stale_later() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        demo: false,
        ..InitOptions::demo()
    };
    let (console, _) = Console::init(dir.path(), &options).expect("init");
    assert_eq!(console.today().expect("today").occupancy.now, None);
    assert!(console.today().expect("today").occupancy.stale);
    let (mut store, venue) = open_store(&dir);
    let door = |name: &str, zone: &str| {
        venue_store::identified(SensorDevice {
            id: new_id(),
            venue_id: venue.id,
            name: name.into(),
            kind: "axis-3d".into(),
            zone: Some(zone.into()),
        })
    };
    let devices = [
        door("front", "bar"),
        door("side", "bar"),
        door("gate", "garden"),
    ];
    store
        .ingest(Origin::Sensor, None, &devices)
        .expect("devices");
    let now = Utc::now();
    let reading = |d: &SensorDevice, end: DateTime<Utc>, occupancy: i64| {
        venue_store::identified(SensorReading {
            id: new_id(),
            venue_id: venue.id,
            device_id: d.id,
            zone: d.zone.clone(),
            period_start: end - Duration::minutes(1),
            period_end: end,
            entries: 1,
            exits: 0,
            occupancy: Some(occupancy),
        })
    };
    store
        .ingest(
            Origin::Sensor,
            None,
            &[
                // Both doors of the bar report the bar's count: the newest one counts, once.
                reading(&devices[0], now - Duration::seconds(30), 40),
                reading(&devices[1], now - Duration::seconds(10), 42),
                reading(&devices[2], now - Duration::hours(3), 7),
            ],
        )
        .expect("readings");
    let occupancy = console.today().expect("today").occupancy;
    assert_eq!(occupancy.now, Some(49));
    assert!(!occupancy.stale, "{occupancy:?}");
    store
        .ingest(
            Origin::Sensor,
            None,
            &[reading(&devices[0], now - Duration::seconds(5), 41)],
        )
        .expect("reading");
    let occupancy = console.today().expect("today").occupancy;
    assert_eq!(occupancy.now, Some(48));
    // An hour without readings is stale.
    let dir2 = tempfile::tempdir().expect("tempdir");
    let (console2, _) = Console::init(dir2.path(), &options).expect("init");
    let (mut store2, venue2) = open_store(&dir2);
    let gate = venue_store::identified(SensorDevice {
        venue_id: venue2.id,
        ..devices[2].clone()
    });
    store2
        .ingest(Origin::Sensor, None, std::slice::from_ref(&gate))
        .expect("device");
    store2
        .ingest(
            Origin::Sensor,
            None,
            &[SensorReading {
                venue_id: venue2.id,
                ..reading(&gate, now - Duration::hours(1), 3)
            }],
        )
        .expect("reading");
    let occupancy = console2.today().expect("today").occupancy;
    assert_eq!(occupancy.now, Some(3));
    assert!(occupancy.stale);
}

#[test]
fn stay_lists_hold_exactly_the_days_arrivals_departures_and_guests_in_house() {
    let (dir, console) = demo();
    let (store, venue) = open_store(&dir);
    let stays: Vec<Reservation> = all(&store, &venue);
    let date = venue.local_date(Utc::now());
    let (start, end) = venue.day_bounds(date);
    let expect = |pick: &dyn Fn(&Reservation) -> bool| -> BTreeSet<uuid::Uuid> {
        stays.iter().filter(|r| pick(r)).map(|r| r.id).collect()
    };
    let live = |r: &Reservation| r.state != ReservationState::Canceled;
    let arrivals = console.stays("arrivals", None).expect("arrivals");
    assert!(!arrivals.is_empty(), "the demo has arrivals today");
    assert_eq!(
        ids(&arrivals),
        expect(&|r| live(r) && r.start_utc >= start && r.start_utc < end)
    );
    assert!(arrivals
        .windows(2)
        .all(|w| w[0].start_utc <= w[1].start_utc));
    let departures = console.stays("departures", None).expect("departures");
    assert_eq!(
        ids(&departures),
        expect(&|r| live(r) && r.end_utc >= start && r.end_utc < end)
    );
    let in_house = console.stays("in_house", None).expect("in house");
    assert_eq!(
        ids(&in_house),
        expect(&|r| matches!(
            r.state,
            ReservationState::Confirmed | ReservationState::Started
        ) && r.start_utc < end
            && r.end_utc >= end)
    );
    let counts = console.today().expect("today").stays;
    assert_eq!(
        (counts.arrivals, counts.departures, counts.in_house),
        (
            arrivals.len() as u64,
            departures.len() as u64,
            in_house.len() as u64
        ),
        "the Today card's numbers are the lists' lengths"
    );
    // Another day by date; rows carry the guest and the room.
    let tomorrow = (date + Duration::days(1)).format("%Y-%m-%d").to_string();
    let (t_start, t_end) = venue.day_bounds(date + Duration::days(1));
    let tomorrow_arrivals = console
        .stays("arrivals", Some(&tomorrow))
        .expect("tomorrow");
    assert_eq!(
        ids(&tomorrow_arrivals),
        expect(&|r| live(r) && r.start_utc >= t_start && r.start_utc < t_end)
    );
    let customers: HashMap<uuid::Uuid, Customer> = all::<Customer>(&store, &venue)
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    for row in arrivals.iter().chain(&departures).chain(&in_house) {
        let stay = stays
            .iter()
            .find(|r| r.id == row.reservation_id)
            .expect("stay");
        let guest = &customers[&stay.customer_id.expect("demo stays have guests")];
        assert_eq!(row.guest_name.as_deref(), Some(guest.full_name().as_str()));
        assert_eq!(row.email, guest.email);
        assert_eq!(row.vip, guest.classifications.iter().any(|c| c == "Vip"));
        assert!(row.room.is_some());
        assert_eq!(row.number, stay.number);
        assert_eq!(row.state, stay.state.to_string());
        assert!(!row.has_note);
    }
    let err = console.stays("everyone", None).expect_err("unknown list");
    assert_eq!(err.code, ErrorCode::BadInput);
    assert!(err.message.contains("\"everyone\""), "{err}");
    let err = console
        .stays("arrivals", Some("29/11/2026"))
        .expect_err("bad date");
    assert!(err.message.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn a_guest_shows_every_one_of_their_stays_newest_first() {
    let (dir, console) = demo();
    let (store, venue) = open_store(&dir);
    let stays: Vec<Reservation> = all(&store, &venue);
    let guest_id = stays[0].customer_id.expect("guest");
    let guest = console.guest(&guest_id.to_string()).expect("guest");
    let expected: BTreeSet<_> = stays
        .iter()
        .filter(|r| r.customer_id == Some(guest_id))
        .map(|r| r.id)
        .collect();
    assert_eq!(ids(&guest.reservations), expected);
    assert!(guest
        .reservations
        .windows(2)
        .all(|w| w[0].start_utc >= w[1].start_utc));
    assert!(guest.name.is_some() && guest.email.is_some());
    let err = console.guest(&new_id().to_string()).expect_err("nobody");
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = console.guest("Olivia").expect_err("not an id");
    assert_eq!(err.code, ErrorCode::BadInput);
}

#[test]
fn a_reservation_found_by_its_number_shows_its_desk_note_and_charges() {
    let (dir, console) = demo();
    // Charges go to the PMS the stays came from; here it cannot be reached (no credentials),
    // so they wait in the outbox.
    append_config(
        &dir,
        "[pms]\nkind = \"mews\"\nname = \"demo-pms\"\napi_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9/ws\"\n",
    );
    drop(console);
    let console = Console::open(dir.path()).expect("open");
    let mut console = signed_in(console, "Sam Front Desk", Role::Staff);
    let arrival = console
        .stays("arrivals", None)
        .expect("arrivals")
        .into_iter()
        .next()
        .expect("an arrival");
    let number = arrival.number.clone().expect("demo stays have numbers");
    let empty = console.reservation(&number).expect("by number");
    assert_eq!(empty.stay, arrival);
    assert!(empty.desk_note.is_none() && empty.charges.is_empty());

    let note = console
        .desk_note_write(&number, "  Late arrival, keep the room  ")
        .expect("note");
    assert_eq!(note.text, "Late arrival, keep the room");
    assert_eq!(note.written_by, "Sam Front Desk (staff)");
    let charge = console
        .post_charge(&arrival.reservation_id.to_string(), "Minibar", 1250)
        .expect("charge recorded");
    assert_eq!(charge.state, ChargeState::Pending);
    assert_eq!((charge.amount_minor, charge.currency.code()), (1250, "GBP"));
    assert_eq!(charge.item, "Minibar");

    let detail = console.reservation(&number).expect("by number");
    assert_eq!(
        detail.desk_note.as_ref().map(|n| n.text.as_str()),
        Some(note.text.as_str())
    );
    assert_eq!(detail.charges, vec![charge.clone()]);
    assert!(detail.stay.has_note);
    let by_id = console
        .reservation(&arrival.reservation_id.to_string())
        .expect("by id");
    assert_eq!(by_id.stay.reservation_id, arrival.reservation_id);
    assert!(console
        .stays("arrivals", None)
        .expect("arrivals")
        .iter()
        .any(|r| r.reservation_id == arrival.reservation_id && r.has_note));
    // Cleared notes are no notes.
    console.desk_note_write(&number, "").expect("clear");
    let cleared = console.reservation(&number).expect("by number");
    assert!(cleared.desk_note.is_none() && !cleared.stay.has_note);

    let err = console.reservation("H99999999").expect_err("no such stay");
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("H99999999"), "{err}");
    let err = console
        .post_charge(&number, "Minibar", 0)
        .expect_err("zero");
    assert_eq!(err.code, ErrorCode::BadInput);
    assert!(err.message.contains("0.00 GBP"), "{err}");
    let err = console
        .post_charge(&number, "  ", 500)
        .expect_err("no item");
    assert!(err.message.contains("item"), "{err}");
    let (store, venue) = open_store(&dir);
    let audit: Vec<AuditEntry> = all(&store, &venue);
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .filter(|a| a.actor == "Sam Front Desk (staff)")
        .map(|a| (a.action.as_str(), a.actor.as_str()))
        .collect();
    assert!(
        actions.iter().any(|(a, _)| *a == "pms.charge.create"),
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|(a, _)| *a == "reservation.note")
            .count(),
        2
    );
}

#[test]
fn sales_cover_every_day_of_the_range_and_the_parts_add_up_to_the_totals() {
    let (_dir, console) = demo();
    let today = console.today().expect("today").date;
    let from = today - Duration::days(40);
    let view = console
        .sales(&from.to_string(), &today.to_string())
        .expect("sales");
    assert_eq!(view.by_day.len(), 41, "every day, zeros included");
    assert_eq!(view.by_day.first().map(|d| d.date), Some(from));
    assert_eq!(view.by_day.last().map(|d| d.date), Some(today));
    assert!(view.by_day[..13]
        .iter()
        .all(|d| d.transactions == 0 && d.net_minor == 0));
    assert!(
        view.by_day[13..40].iter().all(|d| d.transactions > 0),
        "the demo's 27 days before today"
    );
    let t = view.totals;
    assert!(t.transactions > 1_000);
    let sum =
        |f: &dyn Fn(&venue_core::views::DaySales) -> i64| view.by_day.iter().map(f).sum::<i64>();
    assert_eq!(sum(&|d| d.transactions as i64), t.transactions as i64);
    assert_eq!(sum(&|d| d.net_minor), t.net_minor);
    assert_eq!(sum(&|d| d.refunded_minor), t.refunded_minor);
    assert_eq!(sum(&|d| d.tip_minor), t.tip_minor);
    let locations: i64 = view.by_location.iter().map(|l| l.transactions as i64).sum();
    assert_eq!(locations, t.transactions as i64);
    assert_eq!(
        view.by_location.iter().map(|l| l.net_minor).sum::<i64>(),
        t.net_minor
    );
    assert_eq!(
        view.by_location
            .iter()
            .map(|l| l.refunded_minor)
            .sum::<i64>(),
        t.refunded_minor
    );
    assert_eq!(
        view.by_location.iter().map(|l| l.tip_minor).sum::<i64>(),
        t.tip_minor
    );
    let names: BTreeSet<&str> = view
        .by_location
        .iter()
        .map(|l| l.location.as_str())
        .collect();
    assert_eq!(names, BTreeSet::from(["bar", "restaurant"]));
    assert_eq!(view.by_hour.len(), 24);
    assert_eq!(
        view.by_hour.iter().map(|h| h.transactions).sum::<u64>(),
        t.transactions
    );
    assert_eq!(
        view.by_hour.iter().map(|h| h.net_minor).sum::<i64>(),
        t.net_minor
    );
    assert_eq!(t.net_minor, t.gross_minor - t.refunded_minor);
    assert_eq!(
        t.average_ticket_minor,
        (t.net_minor as f64 / t.transactions as f64).round() as i64
    );
    // One day equals the day report.
    let yesterday = today - Duration::days(1);
    let one = console
        .sales(&yesterday.to_string(), &yesterday.to_string())
        .expect("sales");
    let report = console.daily_report(Some(yesterday)).expect("report");
    assert_eq!(one.totals.transactions, report.sales[0].day.transactions);
    assert_eq!(one.totals.tax_minor, report.sales[0].day.tax_minor);
    assert_eq!(
        one.totals.discount_minor,
        report.sales[0].day.discount_minor
    );
}

#[test]
fn a_backwards_or_overlong_sales_range_is_refused_naming_the_dates() {
    let (_dir, console) = demo();
    let err = console
        .sales("2026-12-01", "2026-11-01")
        .expect_err("backwards");
    assert_eq!(err.code, ErrorCode::BadInput);
    assert_eq!(err.message, "from 2026-12-01 is after to 2026-11-01");
    let err = console
        .sales("2024-01-01", "2026-01-01")
        .expect_err("two years");
    assert!(err.message.contains("at most 366"), "{err}");
    let err = console
        .export_sales_csv("2026-11-31", "2026-12-01")
        .expect_err("no such day");
    assert!(err.message.contains("from \"2026-11-31\""), "{err}");
}

#[test]
fn the_sales_export_is_a_csv_with_one_row_per_transaction_of_the_range() {
    let (dir, console) = demo();
    let today = console.today().expect("today").date;
    let from = today - Duration::days(6);
    let export = console
        .export_sales_csv(&from.to_string(), &today.to_string())
        .expect("export");
    let path = std::path::PathBuf::from(&export.path);
    assert_eq!(
        path,
        dir.path()
            .join("exports")
            .join(format!("sales-{from}-{today}.csv"))
    );
    let (store, venue) = open_store(&dir);
    let (start, _) = venue.day_bounds(from);
    let (_, end) = venue.day_bounds(today);
    let mut expected = 0u64;
    store
        .export::<Transaction>(venue.id, Some(start), Some(end), |_| {
            expected += 1;
            Ok(())
        })
        .expect("count");
    assert!(expected > 100);
    assert_eq!(export.rows, expected);
    let mut reader = csv::Reader::from_path(&path).expect("a CSV");
    let headers = reader.headers().expect("header").clone();
    for column in [
        "id",
        "status",
        "closed_at",
        "currency",
        "total_minor",
        "total",
    ] {
        assert!(
            headers.iter().any(|h| h == column),
            "no {column} in {headers:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len() as u64, expected);
    let closed_at = headers
        .iter()
        .position(|h| h == "closed_at")
        .expect("closed_at");
    for row in &rows {
        let at = DateTime::parse_from_rfc3339(&row[closed_at])
            .expect("time")
            .with_timezone(&Utc);
        assert!(at >= start && at < end);
    }
    // Counted sales in the file are the Sales screen's.
    let status = headers.iter().position(|h| h == "status").expect("status");
    let counted = rows.iter().filter(|r| &r[status] != "canceled").count() as u64;
    let view = console
        .sales(&from.to_string(), &today.to_string())
        .expect("sales");
    assert_eq!(counted, view.totals.transactions);
    // Exporting again replaces the file; nothing half-written is left behind.
    let again = console
        .export_sales_csv(&from.to_string(), &today.to_string())
        .expect("export");
    assert_eq!(again, export);
    let names: Vec<String> = std::fs::read_dir(dir.path().join("exports"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![format!("sales-{from}-{today}.csv")]);
}

fn open_alert(venue: &Venue, key: &str, severity: Severity, minutes_ago: i64) -> Alert {
    venue_store::identified(Alert {
        id: new_id(),
        venue_id: venue.id,
        rule: "sensor.auth".into(),
        dedupe_key: key.into(),
        severity,
        title: format!("{key} needs attention"),
        body: "The device refused the stored password.".into(),
        state: AlertState::Open,
        opened_at: Utc::now() - Duration::minutes(minutes_ago),
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
    })
}

#[test]
fn acknowledging_an_alert_records_who_and_when_and_is_audited() {
    let (dir, console) = demo();
    let (mut store, venue) = open_store(&dir);
    let alerts = [
        open_alert(&venue, "door-1", Severity::Warning, 5),
        open_alert(&venue, "door-2", Severity::Critical, 60),
        open_alert(&venue, "door-3", Severity::Warning, 1),
        open_alert(&venue, "door-4", Severity::Info, 0),
    ];
    store.ingest(Origin::Sensor, None, &alerts).expect("alerts");
    let mut sam = signed_in(console, "Sam Front Desk", Role::Staff);
    let listed = sam.alerts(false).expect("alerts");
    let keys: Vec<&str> = listed.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "door-2 needs attention",
            "door-3 needs attention",
            "door-1 needs attention",
            "door-4 needs attention"
        ],
        "critical first, then newest"
    );
    assert_eq!(sam.today().expect("today").alerts, listed);

    let acked = sam
        .acknowledge_alert(&alerts[0].id.to_string())
        .expect("ack");
    assert_eq!(acked.state, AlertState::Acknowledged);
    assert_eq!(
        acked.acknowledged_by.as_deref(),
        Some("Sam Front Desk (staff)")
    );
    let at = acked.acknowledged_at.expect("when");
    assert!(Utc::now() - at < Duration::minutes(1));
    let again = sam
        .acknowledge_alert(&alerts[0].id.to_string())
        .expect("again");
    assert_eq!(again, acked, "the first acknowledgement stands");
    let audit: Vec<AuditEntry> = all(&store, &venue);
    let entries: Vec<&AuditEntry> = audit
        .iter()
        .filter(|a| a.action == "alert.acknowledge")
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor, "Sam Front Desk (staff)");
    assert_eq!(entries[0].entity_id, Some(alerts[0].id));
    assert_eq!(
        entries[0].before.as_ref().map(|b| b["state"].clone()),
        Some("open".into())
    );
    assert_eq!(
        entries[0].after.as_ref().map(|b| b["state"].clone()),
        Some("acknowledged".into())
    );

    // Resolving needs a manager.
    let err = sam
        .resolve_alert(&alerts[0].id.to_string())
        .expect_err("staff");
    assert_eq!(err.code, ErrorCode::Forbidden);
    let mut morgan = signed_in(
        Console::open(dir.path()).expect("open"),
        "Morgan Manager",
        Role::Manager,
    );
    let resolved = morgan
        .resolve_alert(&alerts[0].id.to_string())
        .expect("resolve");
    assert_eq!(resolved.state, AlertState::Resolved);
    assert!(resolved.resolved_at.is_some());
    assert_eq!(
        resolved.acknowledged_by.as_deref(),
        Some("Sam Front Desk (staff)")
    );
    let open = morgan.alerts(false).expect("alerts");
    assert!(open.iter().all(|a| a.id != alerts[0].id));
    let everything = morgan.alerts(true).expect("alerts");
    assert_eq!(everything.len(), 4);
    assert_eq!(everything.last().map(|a| a.id), Some(alerts[0].id));
    let err = sam
        .acknowledge_alert(&alerts[0].id.to_string())
        .expect_err("resolved");
    assert!(err.message.contains("already resolved"), "{err}");
    let audit: Vec<AuditEntry> = all(&store, &venue);
    assert!(audit
        .iter()
        .any(|a| a.action == "alert.resolve" && a.actor == "Morgan Manager (manager)"));
    let err = sam
        .acknowledge_alert(&new_id().to_string())
        .expect_err("none");
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn a_desktop_console_without_a_signed_in_staff_member_shows_nothing() {
    let (dir, console) = demo();
    drop(console);
    let mut locked = Console::open(dir.path())
        .expect("open")
        .with_access(Access::desktop());
    let id = new_id().to_string();
    let results: Vec<(&str, Result<(), ApiError>)> = vec![
        ("today", locked.today().map(drop)),
        ("stays", locked.stays("arrivals", None).map(drop)),
        ("guest", locked.guest(&id).map(drop)),
        ("reservation", locked.reservation("H52000").map(drop)),
        ("sales", locked.sales("2026-11-01", "2026-11-02").map(drop)),
        (
            "export",
            locked
                .export_sales_csv("2026-11-01", "2026-11-02")
                .map(drop),
        ),
        ("sensors", locked.sensors_view().map(drop)),
        (
            "traffic",
            locked
                .traffic("hour", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z")
                .map(drop),
        ),
        ("connections", locked.connections().map(drop)),
        ("alerts", locked.alerts(true).map(drop)),
        ("settings", locked.settings().map(drop)),
        ("acknowledge", locked.acknowledge_alert(&id).map(drop)),
        ("resolve", locked.resolve_alert(&id).map(drop)),
        (
            "charge",
            locked.post_charge("H52000", "Minibar", 100).map(drop),
        ),
        ("note", locked.desk_note_write("H52000", "hello").map(drop)),
    ];
    for (what, result) in results {
        let err = result.expect_err(what);
        assert_eq!(err.code, ErrorCode::NotSignedIn, "{what}: {err}");
    }
    assert!(!dir.path().join("exports").exists(), "nothing written");
    // A staff member reads every screen but Settings.
    let staff = signed_in(Console::open(dir.path()).expect("open"), "Sam", Role::Staff);
    assert!(staff.today().is_ok() && staff.connections().is_ok() && staff.sensors_view().is_ok());
    let err = staff.settings().expect_err("staff");
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(err.message.contains("manager"), "{err}");
}

#[test]
fn settings_show_the_configuration_and_which_secrets_are_missing_never_their_values() {
    let (dir, console) = demo();
    drop(console);
    append_config(
        &dir,
        "[[connector]]\nkind = \"square\"\nname = \"views-sq\"\nbase_url = \"http://127.0.0.1:9\"\nlocation_ids = [\"L1\"]\n\n[[sensor]]\nkind = \"axis-3d\"\nname = \"views-door\"\nurl = \"http://127.0.0.1:9\"\nzone = \"bar\"\nusername = \"root\"\ninterval_seconds = 30\n",
    );
    let keyring = MapSecrets(HashMap::new());
    let manager = signed_in(
        Console::open(dir.path())
            .expect("open")
            .with_secret_store(Box::new(keyring)),
        "Morgan",
        Role::Manager,
    );
    let settings = manager.settings().expect("settings");
    assert_eq!(settings.venue.name, InitOptions::DEMO_NAME);
    assert_eq!(settings.data_dir, dir.path().display().to_string());
    assert!(settings.config_path.ends_with("venue.toml"));
    assert_eq!(settings.connectors.len(), 1);
    let sq = &settings.connectors[0];
    assert_eq!((sq.kind.as_str(), sq.interval_minutes), ("square", 180));
    assert_eq!(sq.location_ids, vec!["L1".to_string()]);
    assert!(settings.pms.is_none());
    assert_eq!(settings.sensors.len(), 1);
    assert_eq!(settings.sensors[0].kind, "axis-3d");
    let names: Vec<&str> = settings.secrets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["views-sq-access-token", "sensor-views-door"]);
    for secret in &settings.secrets {
        assert!(!secret.set && secret.source == "missing", "{secret:?}");
        assert!(secret
            .message
            .as_deref()
            .is_some_and(|m| m.contains(&secret.name)));
    }
    // The Sensors and Connections screens show what is configured, before it ever ran.
    let sensors = manager.sensors_view().expect("sensors");
    assert_eq!(sensors.devices.len(), 1);
    assert_eq!(sensors.devices[0].status, "unknown");
    assert_eq!(sensors.devices[0].interval_seconds, 30);
    assert!(sensors.zones.iter().any(|z| z.zone == "bar"));
    let connections = manager.connections().expect("connections");
    assert_eq!(connections.connectors.len(), 1);
    let health = &connections.connectors[0];
    assert_eq!((health.breaker, health.consecutive_failures), ("closed", 0));
    assert!(health.stale && health.last_snapshot.is_none(), "{health:?}");
    assert_eq!(health.rate_limit_pressure, 0.0);
    let runs: BTreeSet<&str> = connections
        .recent_runs
        .iter()
        .map(|s| s.connector.as_str())
        .collect();
    assert_eq!(
        runs,
        BTreeSet::from(["demo-pms", "demo-pos", "demo-sensors"])
    );
    assert!(connections
        .recent_runs
        .windows(2)
        .all(|w| w[0].started_at >= w[1].started_at));
    let today = manager.today().expect("today");
    assert_eq!(today.health.sensors.total, 1);
    assert_eq!(today.health.sensors.unknown, 1);
    assert_eq!(today.health.connectors, connections.connectors);
}

#[test]
fn traffic_by_hour_and_by_day_add_up_to_the_days_entries() {
    let (dir, console) = demo();
    let (_store, venue) = open_store(&dir);
    let date = venue.local_date(Utc::now()) - Duration::days(1);
    let (start, end) = venue.day_bounds(date);
    let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let hours = console
        .traffic("hour", &iso(start), &iso(end))
        .expect("hours");
    assert_eq!(hours.len() as i64, (end - start).num_hours());
    assert!(hours.iter().all(|p| p.at.minute() == 0));
    let report = console.daily_report(Some(date)).expect("report");
    assert_eq!(
        hours.iter().map(|p| p.entries).sum::<i64>() as u64,
        report.traffic.entries
    );
    assert_eq!(
        hours.iter().map(|p| p.exits).sum::<i64>() as u64,
        report.traffic.exits
    );
    let days = console
        .traffic("day", &iso(start), &iso(end))
        .expect("days");
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].at, start);
    assert_eq!(days[0].entries as u64, report.traffic.entries);
    let quarters = console.traffic("15m", &iso(start), &iso(end)).expect("15m");
    assert_eq!(quarters.len() as i64, (end - start).num_minutes() / 15);
    let week = console
        .traffic("day", &iso(start - Duration::days(6)), &iso(end))
        .expect("week");
    assert_eq!(week.len(), 7);
    let err = console
        .traffic("minute", &iso(start - Duration::days(30)), &iso(end))
        .expect_err("too many");
    assert!(err.message.contains("coarser"), "{err}");
    let err = console
        .traffic("hour", &iso(end), &iso(start))
        .expect_err("backwards");
    assert_eq!(err.code, ErrorCode::BadInput);
    let err = console
        .traffic("hour", "yesterday", &iso(end))
        .expect_err("not a time");
    assert!(err.message.contains("from \"yesterday\""), "{err}");
}

#[test]
fn sales_in_another_currency_are_left_out_of_the_venues_totals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        demo: false,
        ..InitOptions::demo()
    };
    let (console, _) = Console::init(dir.path(), &options).expect("init");
    let (mut store, venue) = open_store(&dir);
    let now = Utc::now();
    let sale = |n: u32, currency: &str, total: i64, location: Option<&str>| {
        venue_store::identified(Transaction {
            id: new_id(),
            venue_id: venue.id,
            source: "pos".into(),
            external_id: format!("s{n}"),
            location_id: location.map(str::to_string),
            status: TransactionStatus::Completed,
            opened_at: None,
            closed_at: now - Duration::seconds(i64::from(n)),
            currency: currency.parse().expect("currency"),
            total_minor: total,
            tax_minor: 0,
            tip_minor: 0,
            discount_minor: 0,
            refunded_minor: 0,
        })
    };
    store
        .ingest(
            Origin::Connector,
            None,
            &[
                sale(1, "GBP", 1_000, Some("bar")),
                sale(2, "GBP", 500, None),
                sale(3, "EUR", 9_999, Some("bar")),
            ],
        )
        .expect("sales");
    let date = venue.local_date(now).to_string();
    let view = console.sales(&date, &date).expect("sales");
    assert_eq!(
        (view.totals.transactions, view.totals.net_minor),
        (2, 1_500)
    );
    let locations: Vec<(&str, i64)> = view
        .by_location
        .iter()
        .map(|l| (l.location.as_str(), l.net_minor))
        .collect();
    assert_eq!(locations, vec![("bar", 1_000), ("—", 500)]);
    assert_eq!(console.today().expect("today").sales.net_minor, 1_500);
}

#[test]
fn a_charge_posted_at_the_desk_reaches_the_pms_and_its_vips_are_marked() {
    let sim = support::mews_sim(11, 30);
    let dir = support::init_venue(
        &sim.currency(),
        "Europe/Prague",
        &format!(
            "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nrequests_per_window = 100000\n",
            sim.base_url(),
            sim.ws_url()
        ),
    );
    let mut console = support::open(dir.path(), &sim);
    console.pms_sync(true).expect("sync");
    let mut console = signed_in(console, "Sam Front Desk", Role::Staff);
    let stay = sim
        .reservations()
        .into_iter()
        .find(|r| r.state == "Started")
        .expect("an in-house guest");
    let charge = console
        .post_charge(&stay.number, "Minibar", 1250)
        .expect("charge");
    assert_eq!(charge.state, ChargeState::Sent, "{charge:?}");
    assert_eq!((charge.attempts, charge.last_error.as_deref()), (1, None));
    assert_eq!(charge.currency.code(), sim.currency());
    let key = charge.id.to_string();
    let posted: Vec<i64> = sim
        .orders()
        .iter()
        .flat_map(|o| o.items.clone())
        .filter(|i| i.external_identifier.as_deref() == Some(key.as_str()))
        .map(|i| i.unit_amount_minor)
        .collect();
    assert_eq!(posted, vec![1250]);
    let detail = console.reservation(&stay.number).expect("reservation");
    assert_eq!(detail.charges, vec![charge]);
    let health = console
        .connections()
        .expect("connections")
        .pms
        .expect("pms");
    assert_eq!((health.pending_charges, health.failed_charges), (0, 0));
    assert_eq!(health.breaker, "closed");
    assert!(health.last_snapshot.is_some());
    // VIPs: Mews's VeryImportant and Important classifications.
    let customers = sim.customers();
    let vip_of = |account: &str| {
        customers.iter().find(|c| c.id == account).is_some_and(|c| {
            c.classifications
                .iter()
                .any(|k| k == "VeryImportant" || k == "Important")
        })
    };
    let mut seen = (0, 0);
    for r in sim.reservations().iter().take(60) {
        let row = console.reservation(&r.number).expect("reservation").stay;
        assert_eq!(row.vip, vip_of(&r.account_id), "reservation {}", r.number);
        if row.vip {
            seen.0 += 1;
        } else {
            seen.1 += 1;
        }
    }
    assert!(
        seen.0 > 0 && seen.1 > 0,
        "both kinds among the first 60: {seen:?}"
    );
}
