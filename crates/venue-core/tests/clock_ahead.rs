//! A run with the clock set ahead leaves high-water marks (and snapshots) in the future. Back at
//! the real time, every connector kind and the PMS must notice them, say so, and resume from the
//! last mark that is not in the future, so new sales and reservations still arrive; `status`
//! flags what is stamped ahead. The future marks are written into a real store file as such a
//! run writes them; the fetches then run at the real time against the simulators.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::path::Path;
use support::{open as pms_console, MapSecrets};
use venue_core::domain::{
    new_id, vendor_row_id, EntityKind, Origin, Reservation, Snapshot, SnapshotStatus,
};
use venue_core::Console;
use venue_sim::{
    BackgroundMewsSim, BackgroundSim, Endpoint, OrderSpec, PosSimulator, SimChange, SimClock,
    SimConfig, Vendor,
};
use venue_store::{Store, DB_FILE};

/// Offsets a clock may have been ahead by: minutes (past the tolerance), a day, a year, a
/// century.
fn offsets() -> Vec<Duration> {
    vec![
        Duration::minutes(10),
        Duration::days(1),
        Duration::days(365),
        Duration::days(36_500),
    ]
}

/// A POS whose sales run up to the real time (its data clock two minutes behind it).
fn pos_sim() -> BackgroundSim {
    let now = Utc::now();
    PosSimulator::start_in_background(SimConfig {
        start_date: (now - Duration::days(3)).date_naive(),
        days: 2,
        orders_per_day: 8,
        weekday_pattern: false,
        square_locations: 1,
        toast_restaurants: 1,
        clock: SimClock::Fixed(now - Duration::minutes(2)),
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

/// The connector kinds, as venue.toml blocks named "pos", with the endpoint their sales come
/// from and the vendor whose orders they read.
fn kinds(sim: &BackgroundSim) -> Vec<(&'static str, String, Endpoint, Vendor)> {
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let retry = "[connector.retry]\nbase_ms = 20\nmax_attempts = 2\n";
    let square = |source: &str| {
        format!(
            "[[connector]]\nkind = \"square\"\nname = \"pos\"\nbase_url = \"{}\"\nsquare_source = \"{source}\"\n{retry}",
            sim.base_url()
        )
    };
    vec![
        (
            "square orders",
            square("orders"),
            Endpoint::SquareSearchOrders,
            Vendor::Square,
        ),
        (
            "square payments",
            square("payments"),
            Endpoint::SquarePayments,
            Vendor::Square,
        ),
        (
            "toast",
            format!(
                "[[connector]]\nkind = \"toast\"\nname = \"pos\"\nbase_url = \"{}\"\nrestaurant_guid = \"{restaurant}\"\ncurrency = \"USD\"\n{retry}",
                sim.base_url()
            ),
            Endpoint::ToastOrdersBulk,
            Vendor::Toast,
        ),
    ]
}

fn init(extra_config: &str, currency: &str) -> tempfile::TempDir {
    support::init_venue(currency, "America/New_York", extra_config)
}

fn pos_console(dir: &Path, sim: &BackgroundSim) -> Console {
    let c = sim.config();
    let secrets = MapSecrets(HashMap::from([
        (
            "pos-access-token".to_string(),
            c.square_access_token.clone(),
        ),
        ("pos-client-id".to_string(), c.toast_client_id.clone()),
        (
            "pos-client-secret".to_string(),
            c.toast_client_secret.clone(),
        ),
    ]));
    Console::open(dir)
        .expect("open")
        .with_secret_store(Box::new(secrets))
}

/// Writes a finished, ok run of `connector` into the store file as a process whose clock read
/// `at` would have: started, finished and marked at `at`.
fn write_run(dir: &Path, connector: &str, origin: Origin, at: DateTime<Utc>) {
    let mut store = Store::open(&dir.join(DB_FILE)).expect("open the store file");
    let venue = store.venue().expect("read").expect("a venue");
    let run = Snapshot {
        id: new_id(),
        venue_id: venue.id,
        connector: connector.to_string(),
        correlation_id: new_id().to_string(),
        started_at: at,
        finished_at: Some(at),
        status: SnapshotStatus::Ok,
        error: None,
        records_seen: 0,
        records_written: 0,
        high_water_mark: Some(at),
        cursor: Some(format!(
            "window-start:{}",
            (at - Duration::minutes(30)).to_rfc3339()
        )),
    };
    store
        .ingest(origin, None, std::slice::from_ref(&run))
        .expect("write the run");
}

fn sale_ids(console: &Console) -> Vec<String> {
    support::exported_sales(console)
        .iter()
        .filter_map(|t| t["external_id"].as_str().map(str::to_string))
        .collect()
}

/// Whether the store holds `order` as a sale (by the order's, its check's or a payment's id,
/// whichever the connector reads).
fn arrived(console: &Console, order: &venue_sim::SimOrder) -> bool {
    let ids = sale_ids(console);
    ids.iter().any(|id| {
        *id == order.id || *id == order.check_id || order.payments.iter().any(|p| p.id == *id)
    })
}

/// The regression: a year-ahead run's mark, then a fetch at the real time against the
/// simulator. Before, Square sent a window ending before it started (a 400 counted against the
/// breaker) and Toast reported "ok, 0 seen" without a request; now the new sale arrives.
#[test]
fn after_a_run_a_year_ahead_new_sales_still_arrive_for_every_connector_kind() {
    let sim = pos_sim();
    for (kind, block, endpoint, vendor) in kinds(&sim) {
        let dir = init(&block, "USD");
        let mut console = pos_console(dir.path(), &sim);
        let first = console.fetch(None, None).expect("first fetch").remove(0);
        assert_eq!(
            first.snapshot.status,
            SnapshotStatus::Ok,
            "{kind}: {:?}",
            first.snapshot.error
        );
        drop(console);
        write_run(
            dir.path(),
            "pos",
            Origin::Connector,
            Utc::now() + Duration::days(365),
        );
        let sale = sim.add_order(OrderSpec::new(vendor)).expect("a new sale");
        let requests = sim.requests(endpoint);
        let mut console = pos_console(dir.path(), &sim);
        let report = console.fetch(None, None).expect("fetch").remove(0);
        assert_eq!(
            report.snapshot.status,
            SnapshotStatus::Ok,
            "{kind}: {:?}",
            report.snapshot.error
        );
        assert!(
            sim.requests(endpoint) > requests,
            "{kind}: the vendor was asked"
        );
        assert!(
            arrived(&console, &sale),
            "{kind}: the new sale {} arrived",
            sale.id
        );
        let note = report.snapshot.error.as_deref().unwrap_or_default();
        assert!(
            note.contains("ahead of the clock"),
            "{kind}: the run says what it set aside: {note:?}"
        );
        assert_eq!(
            report.breaker.consecutive_failures, 0,
            "{kind}: nothing counts against the vendor"
        );
        let status = console.status().expect("status");
        assert_eq!(status.future_stamps.snapshots, 1, "{kind}");
        let next = console.next_fetch_at("pos").expect("next run");
        assert!(
            next <= Utc::now() + Duration::days(1),
            "{kind}: the schedule is not held by the run stamped ahead: {next}"
        );
    }
}

/// The class: for every connector kind and every offset, a mark ahead of the clock is set
/// aside and the run resumes from the last mark not in the future minus the overlap (or, with
/// none, from the first-fetch window).
#[test]
fn a_mark_ahead_of_the_clock_is_clamped_for_every_kind_and_offset() {
    let sim = pos_sim();
    for (kind, block, _, vendor) in kinds(&sim) {
        for offset in offsets() {
            for with_good_mark in [true, false] {
                let case = format!("{kind}, {offset}, good mark {with_good_mark}");
                let dir = init(&block, "USD");
                let now = Utc::now();
                let good = now - Duration::hours(1);
                if with_good_mark {
                    write_run(dir.path(), "pos", Origin::Connector, good);
                }
                write_run(dir.path(), "pos", Origin::Connector, now + offset);
                let sale = sim.add_order(OrderSpec::new(vendor)).expect("a new sale");
                let mut console = pos_console(dir.path(), &sim);
                let report = console.fetch(None, None).expect("fetch").remove(0);
                assert_eq!(
                    report.snapshot.status,
                    SnapshotStatus::Ok,
                    "{case}: {:?}",
                    report.snapshot.error
                );
                let cursor = report.snapshot.cursor.clone().unwrap_or_default();
                let from = DateTime::parse_from_rfc3339(
                    cursor.strip_prefix("window-start:").unwrap_or_default(),
                )
                .expect("the window start")
                .with_timezone(&Utc);
                if with_good_mark {
                    assert_eq!(from, good - Duration::minutes(30), "{case}");
                } else {
                    assert!(
                        from <= now - Duration::days(29) && from > now - Duration::days(31),
                        "{case}: the first-fetch window, from {from}"
                    );
                }
                assert!(arrived(&console, &sale), "{case}: the new sale arrived");
                assert!(report
                    .snapshot
                    .error
                    .as_deref()
                    .is_some_and(|n| n.contains("ahead of the clock")));
            }
        }
    }
}

fn mews_sim() -> BackgroundMewsSim {
    support::mews_sim(5, 20)
}

/// Reservations the PMS changed that the store does not hold as the PMS has them.
fn missed(dir: &Path, sim: &BackgroundMewsSim, changed: &[SimChange]) -> Vec<String> {
    let store = Store::open(&dir.join(DB_FILE)).expect("open store");
    let venue = store.venue().expect("venue").expect("a venue");
    let now = sim.reservations();
    changed
        .iter()
        .filter_map(|c| match c {
            SimChange::Reservation(id) => Some(id),
            _ => None,
        })
        .filter(|id| {
            let theirs = now.iter().find(|r| &r.id == *id).map(|r| r.updated_utc);
            let ours = store
                .get::<Reservation>(vendor_row_id(venue.id, EntityKind::Reservation, "mews", id))
                .expect("read")
                .and_then(|r| r.updated_at_source);
            theirs != ours
        })
        .cloned()
        .collect()
}

/// `venue pms sync` after a pass a year ahead (and at every offset): the changes made in the
/// PMS since the last good pass arrive, where before the window was empty and the pass "ok".
#[test]
fn pms_sync_after_a_pass_ahead_of_the_clock_misses_no_reservation() {
    let sim = mews_sim();
    let block = format!(
        "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nrequests_per_window = 100000\n[pms.retry]\nbase_ms = 20\nmax_attempts = 3\n",
        sim.base_url(),
        sim.ws_url()
    );
    for offset in offsets() {
        let dir = init(&block, &sim.currency());
        let mut console = pms_console(dir.path(), &sim);
        let first = console.pms_sync(true).expect("full sync");
        assert_eq!(
            first.snapshot.status,
            SnapshotStatus::Ok,
            "{:?}",
            first.snapshot.error
        );
        drop(console);
        write_run(dir.path(), "mews", Origin::Pms, Utc::now() + offset);
        let changed = sim.churn(12);
        assert!(changed
            .iter()
            .any(|c| matches!(c, SimChange::Reservation(_))));
        let mut console = pms_console(dir.path(), &sim);
        let report = console.pms_sync(false).expect("sync");
        assert_eq!(
            report.snapshot.status,
            SnapshotStatus::Ok,
            "{offset}: {:?}",
            report.snapshot.error
        );
        assert_eq!(
            missed(dir.path(), &sim, &changed),
            Vec::<String>::new(),
            "{offset}: every changed reservation arrived"
        );
        assert!(
            report
                .snapshot
                .error
                .as_deref()
                .is_some_and(|n| n.contains("ahead of the clock")),
            "{offset}: {:?}",
            report.snapshot.error
        );
        assert_eq!(console.status().expect("status").future_stamps.snapshots, 1);
    }
}

/// `status` counts change-log rows whose hybrid-clock time is ahead of the clock (beyond the
/// tolerance), as a run with the clock set ahead leaves them, and only those.
#[test]
fn status_flags_change_log_stamps_from_the_future() {
    let dir = init("", "USD");
    let console = Console::open(dir.path()).expect("open");
    let before = console.status().expect("status").future_stamps;
    assert!(!before.any(), "{before:?}");
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).expect("sqlite");
    let stamp = |at: DateTime<Utc>| -> i64 { (at.timestamp_millis() << 16) | 3 };
    let now = Utc::now();
    // A day behind and 30 s ahead (within the tolerance) are fine; 2 h and a year are not.
    for at in [
        now - Duration::days(1),
        now + Duration::seconds(30),
        now + Duration::hours(2),
        now + Duration::days(365),
    ] {
        conn.execute(
            "INSERT INTO change_log (entity, entity_id, op, hlc, origin) VALUES ('snapshot', ?1, 'upsert', ?2, 'connector')",
            rusqlite::params![new_id().to_string(), stamp(at)],
        )
        .expect("insert");
    }
    let flagged = console.status().expect("status").future_stamps;
    assert_eq!(flagged.change_log_rows, 2, "{flagged:?}");
    assert!(flagged.newest_change_hlc.as_deref().is_some_and(
        |h| h.starts_with(&(now + Duration::days(365)).format("%Y-%m-%d").to_string())
    ));
    assert_eq!(flagged.snapshots, 0);
}
