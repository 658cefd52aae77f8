//! The screens at a busy venue's volume: a month of 50,000 sales (some canceled, refunded or
//! in a foreign currency), a month of 15-minute readings from four doors in three zones, 3,000
//! stays, thousands of alerts and connector runs, all written through the store's ingest path.
//! Every number a screen shows is checked against what was written, computed independently.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;
use venue_core::domain::{
    new_id, Alert, AlertState, Customer, Origin, Reservation, ReservationState, Resource,
    SensorDevice, SensorReading, Severity, Snapshot, SnapshotStatus, Transaction,
    TransactionStatus, Venue,
};
use venue_core::{Console, InitOptions};
use venue_store::{Store, DB_FILE};

const SALES: i64 = 50_000;
const DAYS: i64 = 30;
const PERIOD_MINUTES: i64 = 15;

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct Sums {
    transactions: u64,
    gross: i64,
    net: i64,
    refunded: i64,
    tip: i64,
    tax: i64,
    discount: i64,
}

impl Sums {
    fn add(&mut self, t: &Transaction) {
        self.transactions += 1;
        self.gross += t.total_minor;
        self.net += t.total_minor - t.refunded_minor;
        self.refunded += t.refunded_minor;
        self.tip += t.tip_minor;
        self.tax += t.tax_minor;
        self.discount += t.discount_minor;
    }
}

fn sale(venue: &Venue, now: DateTime<Utc>, i: i64) -> Transaction {
    let total = 300 + (i * 7_919) % 6_000;
    venue_store::identified(Transaction {
        id: new_id(),
        venue_id: venue.id,
        source: if i % 3 == 0 { "pos-b" } else { "pos-a" }.into(),
        external_id: format!("sale-{i}"),
        location_id: ["bar", "restaurant", "terrace", ""]
            .get((i % 4) as usize)
            .filter(|l| !l.is_empty())
            .map(|l| l.to_string()),
        status: if i % 211 == 0 {
            TransactionStatus::Canceled
        } else {
            TransactionStatus::Completed
        },
        opened_at: None,
        closed_at: now - Duration::seconds(1 + i * DAYS * 86_400 / SALES),
        currency: if i % 500 == 7 { "EUR" } else { "GBP" }
            .parse()
            .expect("currency"),
        total_minor: total,
        tax_minor: total / 6,
        tip_minor: if i % 5 == 0 { total / 10 } else { 0 },
        discount_minor: if i % 13 == 0 { total / 20 } else { 0 },
        refunded_minor: if i % 97 == 0 { total } else { 0 },
    })
}

/// Each zone's occupancy at the end of period `k` (counted back from now).
fn zone_occupancy(zone: usize, k: i64) -> i64 {
    (k * 31 + zone as i64 * 17) % 120
}

#[test]
fn every_screen_is_exact_at_a_busy_venues_volume() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        demo: false,
        capacity: 400,
        ..InitOptions::demo()
    };
    drop(Console::init(dir.path(), &options).expect("init"));
    let config_path = dir.path().join("venue.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    std::fs::write(
        &config_path,
        format!("{config}\n[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"http://127.0.0.1:9\"\n"),
    )
    .expect("config");
    let mut store = Store::open(&dir.path().join(DB_FILE)).expect("store");
    let venue = store.venue().expect("read").expect("venue");
    let now = Utc::now();
    let today = venue.local_date(now);

    // Sales.
    let sales: Vec<Transaction> = (0..SALES).map(|i| sale(&venue, now, i)).collect();
    for chunk in sales.chunks(5_000) {
        store.ingest(Origin::Connector, None, chunk).expect("sales");
    }
    let counted =
        |t: &&Transaction| t.status != TransactionStatus::Canceled && t.currency == venue.currency;
    let mut by_day: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
    let mut by_location: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut by_hour = [Sums::default(); 24];
    let mut today_by_hour = [Sums::default(); 24];
    for t in sales.iter().filter(counted) {
        let date = venue.local_date(t.closed_at);
        by_day.entry(date).or_default().add(t);
        let location = t.location_id.clone().unwrap_or_else(|| "—".into());
        by_location
            .entry((location, t.source.clone()))
            .or_default()
            .add(t);
        let hour = t.closed_at.with_timezone(&venue.timezone).hour() as usize;
        by_hour[hour].add(t);
        if date == today {
            today_by_hour[hour].add(t);
        }
    }

    // Doors: two in the bar, one each in the lobby and on the terrace.
    let zones = ["bar", "lobby", "terrace"];
    let devices: Vec<(SensorDevice, usize)> = [
        ("bar-front", 0),
        ("bar-side", 0),
        ("lobby-door", 1),
        ("terrace-gate", 2),
    ]
    .into_iter()
    .map(|(name, zone)| {
        (
            venue_store::identified(SensorDevice {
                id: new_id(),
                venue_id: venue.id,
                name: name.into(),
                kind: "axis-3d".into(),
                zone: Some(zones[zone].into()),
            }),
            zone,
        )
    })
    .collect();
    let device_rows: Vec<SensorDevice> = devices.iter().map(|(d, _)| d.clone()).collect();
    store
        .ingest(Origin::Sensor, None, &device_rows)
        .expect("devices");
    let periods = DAYS * 24 * 60 / PERIOD_MINUTES;
    let mut readings = Vec::new();
    for (n, (device, zone)) in devices.iter().enumerate() {
        for k in 0..periods {
            let end = now - Duration::minutes(k * PERIOD_MINUTES);
            readings.push(venue_store::identified(SensorReading {
                id: new_id(),
                venue_id: venue.id,
                device_id: device.id,
                zone: device.zone.clone(),
                period_start: end - Duration::minutes(PERIOD_MINUTES),
                period_end: end,
                entries: ((k * 7 + n as i64 * 3) % 11) as u32,
                exits: ((k * 5 + n as i64) % 9) as u32,
                occupancy: Some(zone_occupancy(*zone, k)),
            }));
        }
    }
    for chunk in readings.chunks(5_000) {
        store.ingest(Origin::Sensor, None, chunk).expect("readings");
    }
    let mut entries_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for r in &readings {
        let day = venue.local_date(r.period_end - Duration::milliseconds(1));
        *entries_by_day.entry(day).or_default() += i64::from(r.entries);
    }

    // Stays: 800 guests (some VIPs), 80 rooms, 3,000 reservations over three months.
    let guests: Vec<Customer> = (0..800)
        .map(|i| {
            venue_store::identified(Customer {
                id: new_id(),
                venue_id: venue.id,
                source: "mews".into(),
                external_id: format!("guest-{i}"),
                first_name: Some(format!("Guest{i}")),
                last_name: Some("Volume".into()),
                email: Some(format!("guest{i}@example.com")),
                phone: None,
                classifications: match i % 50 {
                    0 => vec!["VeryImportant".into()],
                    25 => vec!["Returning".into(), "Important".into()],
                    _ => vec!["Returning".into()],
                },
                notes: None,
                updated_at_source: None,
            })
        })
        .collect();
    let rooms: Vec<Resource> = (0..80)
        .map(|i| {
            venue_store::identified(Resource {
                id: new_id(),
                venue_id: venue.id,
                source: "mews".into(),
                external_id: format!("room-{i}"),
                name: format!("{}", 100 + i),
                kind: "Room".into(),
                state: Some(if i % 7 == 0 { "Dirty" } else { "Clean" }.into()),
                floor: None,
                updated_at_source: None,
            })
        })
        .collect();
    let at_local =
        |date: NaiveDate, hour: u32| venue.day_bounds(date).0 + Duration::hours(i64::from(hour));
    let stays: Vec<Reservation> = (0..3_000i64)
        .map(|i| {
            let arrival = today + Duration::days(i % 90 - 60);
            let start = at_local(arrival, 14 + (i % 5) as u32);
            let end = at_local(arrival + Duration::days(1 + i % 6), 10);
            let state = if i % 37 == 0 {
                ReservationState::Canceled
            } else if end <= now {
                ReservationState::Processed
            } else if start <= now {
                ReservationState::Started
            } else {
                ReservationState::Confirmed
            };
            venue_store::identified(Reservation {
                id: new_id(),
                venue_id: venue.id,
                source: "mews".into(),
                external_id: format!("stay-{i}"),
                number: Some(format!("V{:05}", i)),
                state,
                start_utc: start,
                end_utc: end,
                customer_id: Some(guests[(i % 800) as usize].id),
                resource_id: Some(rooms[(i % 80) as usize].id),
                person_count: 1 + (i % 3) as u32,
                notes: None,
                updated_at_source: None,
            })
        })
        .collect();
    store.ingest(Origin::Pms, None, &guests).expect("guests");
    store.ingest(Origin::Pms, None, &rooms).expect("rooms");
    store.ingest(Origin::Pms, None, &stays).expect("stays");

    // Alerts: 2,000 resolved over the month and three open.
    let alert = |i: i64, state: AlertState, severity: Severity| {
        venue_store::identified(Alert {
            id: new_id(),
            venue_id: venue.id,
            rule: "sensor.offline".into(),
            dedupe_key: format!("door-{i}"),
            severity,
            title: format!("alert {i}"),
            body: "Door counter offline".into(),
            state,
            opened_at: now - Duration::minutes(i),
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: (state == AlertState::Resolved).then_some(now),
        })
    };
    let mut alerts: Vec<Alert> = (10..2_010)
        .map(|i| alert(i, AlertState::Resolved, Severity::Warning))
        .collect();
    alerts.push(alert(1, AlertState::Open, Severity::Info));
    alerts.push(alert(2, AlertState::Open, Severity::Critical));
    alerts.push(alert(3, AlertState::Acknowledged, Severity::Warning));
    store.ingest(Origin::Sensor, None, &alerts).expect("alerts");

    // Runs: a fetch every 15 minutes for the month; the two newest failed.
    let runs: Vec<Snapshot> = (0..DAYS * 96)
        .map(|k| {
            let started = now - Duration::minutes(15 * k + 10);
            let failed = k < 2;
            Snapshot {
                id: new_id(),
                venue_id: venue.id,
                connector: "sq".into(),
                correlation_id: format!("run-{k}"),
                started_at: started,
                finished_at: Some(started + Duration::seconds(20)),
                status: if failed {
                    SnapshotStatus::Failed
                } else {
                    SnapshotStatus::Ok
                },
                error: failed.then(|| format!("HTTP 503 on run {k}")),
                records_seen: 10,
                records_written: 10,
                high_water_mark: None,
                cursor: None,
            }
        })
        .collect();
    store.ingest(Origin::Connector, None, &runs).expect("runs");

    let console = Console::open(dir.path()).expect("open");

    // Today.
    let started = Instant::now();
    let view = console.today().expect("today");
    let took = started.elapsed();
    eprintln!("today() over this volume took {took:?} (debug build)");
    let expected_today = by_day.get(&today).copied().unwrap_or_default();
    assert_eq!(view.sales.transactions, expected_today.transactions);
    assert_eq!(view.sales.gross_minor, expected_today.gross);
    assert_eq!(view.sales.net_minor, expected_today.net);
    assert_eq!(view.sales.refunded_minor, expected_today.refunded);
    assert_eq!(view.sales.tip_minor, expected_today.tip);
    for h in &view.sales.by_hour {
        let e = today_by_hour[h.hour as usize];
        assert_eq!(
            (h.transactions, h.net_minor),
            (e.transactions, e.net),
            "hour {}",
            h.hour
        );
    }
    let expected_now: i64 = (0..zones.len()).map(|z| zone_occupancy(z, 0)).sum();
    assert_eq!(view.occupancy.now, Some(expected_now));
    assert_eq!(view.occupancy.updated_at, Some(now));
    assert_eq!(view.occupancy.zones.len(), 3);
    let curve_entries: i64 = view.curve.today.iter().map(|p| p.entries).sum();
    assert_eq!(curve_entries, entries_by_day[&today]);
    let (start, end) = venue.day_bounds(today);
    let live = |r: &&Reservation| r.state != ReservationState::Canceled;
    let arrivals: BTreeSet<_> = stays
        .iter()
        .filter(live)
        .filter(|r| r.start_utc >= start && r.start_utc < end)
        .map(|r| r.id)
        .collect();
    let in_house: BTreeSet<_> = stays
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                ReservationState::Confirmed | ReservationState::Started
            )
        })
        .filter(|r| r.start_utc < end && r.end_utc >= end)
        .map(|r| r.id)
        .collect();
    assert_eq!(view.stays.arrivals, arrivals.len() as u64);
    assert_eq!(view.stays.in_house, in_house.len() as u64);
    assert_eq!(view.stays.rooms_dirty, 12);
    let open: Vec<&str> = view.alerts.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(open, vec!["alert 2", "alert 3", "alert 1"]);
    let sq = &view.health.connectors[0];
    assert_eq!(sq.last_snapshot.as_ref().map(|s| s.id), Some(runs[0].id));
    assert_eq!(sq.last_error.as_deref(), Some("HTTP 503 on run 0"));
    assert!(!sq.stale, "an ok run finished 40 minutes ago");

    // Stay lists.
    let listed = console.stays("arrivals", None).expect("arrivals");
    assert_eq!(
        listed
            .iter()
            .map(|r| r.reservation_id)
            .collect::<BTreeSet<_>>(),
        arrivals
    );
    let vips: HashMap<uuid::Uuid, bool> = guests
        .iter()
        .map(|g| (g.id, venue_store::is_vip(&g.classifications)))
        .collect();
    for row in &listed {
        let stay = stays
            .iter()
            .find(|s| s.id == row.reservation_id)
            .expect("stay");
        assert_eq!(row.vip, vips[&stay.customer_id.expect("guest")]);
    }
    assert!(listed.iter().any(|r| r.vip));
    let in_house_rows = console.stays("in_house", None).expect("in house");
    assert_eq!(
        in_house_rows
            .iter()
            .map(|r| r.reservation_id)
            .collect::<BTreeSet<_>>(),
        in_house
    );
    let guest = console.guest(&guests[5].id.to_string()).expect("guest");
    assert_eq!(
        guest.reservations.len(),
        stays
            .iter()
            .filter(|s| s.customer_id == Some(guests[5].id))
            .count()
    );
    let detail = console.reservation("V01234").expect("by number");
    assert_eq!(detail.stay.reservation_id, stays[1234].id);

    // Sales over the month.
    let from = *by_day.keys().next().expect("a first day");
    let month = console
        .sales(&from.to_string(), &today.to_string())
        .expect("sales");
    let total = by_day.values().fold(Sums::default(), |mut acc, d| {
        acc.transactions += d.transactions;
        acc.gross += d.gross;
        acc.net += d.net;
        acc.refunded += d.refunded;
        acc.tip += d.tip;
        acc.tax += d.tax;
        acc.discount += d.discount;
        acc
    });
    let t = month.totals;
    assert_eq!(
        Sums {
            transactions: t.transactions,
            gross: t.gross_minor,
            net: t.net_minor,
            refunded: t.refunded_minor,
            tip: t.tip_minor,
            tax: t.tax_minor,
            discount: t.discount_minor,
        },
        total
    );
    assert!(total.transactions > 49_000 && total.transactions < SALES as u64);
    assert_eq!(month.by_day.len() as i64, (today - from).num_days() + 1);
    for d in &month.by_day {
        let e = by_day.get(&d.date).copied().unwrap_or_default();
        assert_eq!(
            (d.transactions, d.net_minor, d.refunded_minor, d.tip_minor),
            (e.transactions, e.net, e.refunded, e.tip),
            "day {}",
            d.date
        );
    }
    let locations: BTreeMap<(String, String), (u64, i64, i64, i64)> = month
        .by_location
        .iter()
        .map(|l| {
            (
                (l.location.clone(), l.source.clone()),
                (l.transactions, l.net_minor, l.refunded_minor, l.tip_minor),
            )
        })
        .collect();
    let expected_locations: BTreeMap<(String, String), (u64, i64, i64, i64)> = by_location
        .iter()
        .map(|(k, s)| (k.clone(), (s.transactions, s.net, s.refunded, s.tip)))
        .collect();
    assert_eq!(locations, expected_locations);
    for h in &month.by_hour {
        let e = by_hour[h.hour as usize];
        assert_eq!(
            (h.transactions, h.net_minor),
            (e.transactions, e.net),
            "hour {}",
            h.hour
        );
    }
    let export = console
        .export_sales_csv(&from.to_string(), &today.to_string())
        .expect("export");
    assert_eq!(
        export.rows, SALES as u64,
        "every sale, canceled and foreign included"
    );

    // Traffic by day over the month, and today by hour.
    let iso = |t: DateTime<Utc>| t.to_rfc3339();
    let days = console
        .traffic(
            "day",
            &iso(now - Duration::days(DAYS)),
            &iso(now + Duration::seconds(1)),
        )
        .expect("days");
    for p in &days {
        let date = venue.local_date(p.at);
        assert_eq!(
            p.entries,
            entries_by_day.get(&date).copied().unwrap_or(0),
            "day {date}"
        );
    }
    assert_eq!(
        days.iter().map(|p| p.entries).sum::<i64>(),
        entries_by_day.values().sum::<i64>()
    );
    let hours = console
        .traffic("hour", &iso(start), &iso(end))
        .expect("hours");
    assert_eq!(
        hours.iter().map(|p| p.entries).sum::<i64>(),
        entries_by_day[&today]
    );

    // Alerts and runs.
    assert_eq!(console.alerts(false).expect("alerts").len(), 3);
    let with_resolved = console.alerts(true).expect("alerts");
    assert_eq!(with_resolved.len(), 3 + 500);
    assert_eq!(with_resolved[3].title, "alert 10", "newest resolved first");
    let connections = console.connections().expect("connections");
    assert_eq!(connections.recent_runs.len(), 50);
    assert_eq!(
        connections
            .recent_runs
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        runs[..50].iter().map(|s| s.id).collect::<Vec<_>>()
    );
    let status = console.status().expect("status");
    assert_eq!(view.health.sync.total_changes, status.change_log.total);
    assert_eq!(
        view.health.sync.pending_changes,
        status.change_log.pending_sync
    );
}
