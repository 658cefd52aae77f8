//! Sales by location show the location's name (issue 17), not the vendor's id: Square's
//! ListLocations and Toast's restaurant name as read with each fetch against the POS simulator,
//! a name configured in venue.toml before either, the id when no name is known, and a renamed
//! location under its new name after the next fetch. The daily report lists them too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::{BTreeMap, HashMap};
use support::MapSecrets;
use venue_core::domain::SnapshotStatus;
use venue_core::views::SalesView;
use venue_core::Console;
use venue_sim::{BackgroundSim, Endpoint, Fault, PosSimulator, SimConfig, Times, Vendor};

fn sim() -> BackgroundSim {
    PosSimulator::start_in_background(SimConfig {
        days: 2,
        orders_per_day: 40,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn since(sim: &BackgroundSim) -> DateTime<Utc> {
    let start = sim.config().start_date;
    Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).expect("midnight")) - Duration::days(1)
}

/// Square (every location) and Toast (its one restaurant), with `extra` lines in each block.
fn connectors(sim: &BackgroundSim, square_extra: &str, toast_extra: &str) -> String {
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    format!(
        "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"{base}\"\n{square_extra}\n[connector.retry]\nbase_ms = 20\nmax_attempts = 2\n\n\
         [[connector]]\nkind = \"toast\"\nname = \"tt\"\nbase_url = \"{base}\"\nrestaurant_guid = \"{restaurant}\"\ncurrency = \"USD\"\n{toast_extra}\n[connector.retry]\nbase_ms = 20\nmax_attempts = 2\n",
        base = sim.base_url()
    )
}

fn console(sim: &BackgroundSim, config: &str) -> (tempfile::TempDir, Console) {
    let dir = support::init_venue("USD", "America/New_York", config);
    let c = sim.config();
    let secrets = MapSecrets(HashMap::from([
        ("sq-access-token".to_string(), c.square_access_token.clone()),
        ("tt-client-id".to_string(), c.toast_client_id.clone()),
        (
            "tt-client-secret".to_string(),
            c.toast_client_secret.clone(),
        ),
    ]));
    let console = Console::open(dir.path())
        .expect("open")
        .with_secret_store(Box::new(secrets));
    (dir, console)
}

fn fetch(console: &mut Console, sim: &BackgroundSim) -> Vec<venue_core::FetchReport> {
    let reports = console.fetch(None, Some(since(sim))).expect("fetch");
    for r in &reports {
        assert_ne!(r.snapshot.status, SnapshotStatus::Failed, "{r:?}");
        assert!(r.snapshot.records_written > 0 || r.snapshot.records_seen > 0);
    }
    reports
}

/// Every day the simulator has sales on.
fn sales(console: &Console, sim: &BackgroundSim) -> SalesView {
    let first = sim.config().start_date - Duration::days(1);
    let last = sim.config().start_date + Duration::days(i64::from(sim.config().days) + 1);
    console
        .sales(&first.to_string(), &last.to_string())
        .expect("sales")
}

/// Location (by its id) → what sales by location show for it.
fn shown(view: &SalesView) -> BTreeMap<String, String> {
    view.by_location
        .iter()
        .map(|l| {
            (
                l.location_id
                    .clone()
                    .expect("every simulated sale has a location"),
                l.location.clone(),
            )
        })
        .collect()
}

/// Location id → the name its vendor gives, for every location fetched: Square's all, and the
/// Toast restaurant configured.
fn vendor_names(sim: &BackgroundSim) -> BTreeMap<String, String> {
    sim.locations(Vendor::Square)
        .into_iter()
        .chain(sim.locations(Vendor::Toast).into_iter().take(1))
        .map(|l| (l.id, l.name))
        .collect()
}

#[test]
fn sales_by_location_show_the_vendors_names_and_the_report_lists_them() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, &connectors(&sim, "", ""));
    for report in fetch(&mut console, &sim) {
        assert_eq!(report.snapshot.error, None, "{}", report.connector);
    }
    let view = sales(&console, &sim);
    assert_eq!(shown(&view), vendor_names(&sim));
    assert!(view
        .by_location
        .iter()
        .all(|l| l.location != "8JVZD0U8RRUBM"));

    let day = sim.config().start_date;
    let report = console.daily_report(Some(day)).expect("report");
    let names: Vec<&str> = report
        .sales_by_location
        .iter()
        .map(|l| l.location.as_str())
        .collect();
    assert!(!names.is_empty());
    for name in names {
        assert!(vendor_names(&sim).values().any(|n| n == name), "{name}");
    }
}

#[test]
fn a_location_without_a_known_name_shows_its_id_and_a_configured_name_wins() {
    let sim = sim();
    let squares = sim.locations(Vendor::Square);
    let (configured, listed_only) = (&squares[0], &squares[1]);
    let restaurant = sim.locations(Vendor::Toast)[0].clone();
    // Square: two locations configured, one of them named; Toast will not name its restaurant.
    let square_extra = format!(
        "location_ids = [\"{}\", \"{}\"]\nlocation_names = {{ \"{}\" = \"Front Bar\" }}",
        configured.id, listed_only.id, configured.id
    );
    let (_dir, mut console) = console(&sim, &connectors(&sim, &square_extra, ""));
    sim.inject(
        Endpoint::ToastRestaurant,
        Fault::ServerError(503),
        Times::UntilCleared,
    );
    let reports = fetch(&mut console, &sim);
    let toast = reports.iter().find(|r| r.connector == "tt").expect("toast");
    assert_eq!(
        toast.snapshot.status,
        SnapshotStatus::Ok,
        "the sales are kept"
    );
    assert!(toast
        .snapshot
        .error
        .as_deref()
        .is_some_and(|e| e.contains("restaurant name not read")));

    let view = sales(&console, &sim);
    let shown = shown(&view);
    assert_eq!(
        shown.get(&restaurant.id),
        Some(&restaurant.id),
        "no name: the id"
    );
    assert_eq!(
        shown.get(&configured.id).map(String::as_str),
        Some("Front Bar")
    );
    assert_eq!(shown.get(&listed_only.id), Some(&listed_only.name));

    // Once Toast answers, the restaurant has its name.
    sim.clear_faults();
    fetch(&mut console, &sim);
    let view = sales(&console, &sim);
    assert_eq!(
        shown_for(&view, &restaurant.id),
        Some(restaurant.name.clone())
    );
}

#[test]
fn a_renamed_location_shows_its_new_name_after_the_next_fetch() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, &connectors(&sim, "", ""));
    fetch(&mut console, &sim);
    let square = sim.locations(Vendor::Square)[0].clone();
    let restaurant = sim.locations(Vendor::Toast)[0].clone();
    assert_eq!(
        shown_for(&sales(&console, &sim), &square.id),
        Some(square.name)
    );

    sim.rename_location(Vendor::Square, &square.id, "Sky Lounge")
        .expect("renamed");
    sim.rename_location(Vendor::Toast, &restaurant.id, "Harbour Grill & Oyster Bar")
        .expect("renamed");
    fetch(&mut console, &sim);
    let view = sales(&console, &sim);
    assert_eq!(shown_for(&view, &square.id).as_deref(), Some("Sky Lounge"));
    assert_eq!(
        shown_for(&view, &restaurant.id).as_deref(),
        Some("Harbour Grill & Oyster Bar")
    );
}

/// What sales by location show for location `id`.
fn shown_for(view: &SalesView, id: &str) -> Option<String> {
    shown(view).get(id).cloned()
}
