//! The first PMS sync mirrors the stays on the books, not only what changed lately (issue 17):
//! an arrival booked months ago and never touched since is on the arrivals list of its day, the
//! long stay in house is in house, a console that synced before this reads them on its next
//! pull, and incremental pulls still read only what changed (`UpdatedUtc`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use chrono::{Duration, Utc};
use support::open;
use venue_core::domain::{
    new_id, vendor_row_id, EntityKind, Origin, Reservation, Snapshot, SnapshotStatus,
};
use venue_core::Console;
use venue_sim::{BackgroundMewsSim, MewsEndpoint, SimReservation};
use venue_store::{Store, DB_FILE};

fn sim() -> BackgroundMewsSim {
    support::mews_sim(23, 30)
}

fn console(sim: &BackgroundMewsSim) -> (tempfile::TempDir, Console) {
    let block = format!(
        "[pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nrequests_per_window = 100000\n[pms.retry]\nbase_ms = 20\nmax_attempts = 3\n",
        sim.base_url(),
        sim.ws_url()
    );
    let dir = support::init_venue(&sim.currency(), "Europe/Amsterdam", &block);
    let console = open(dir.path(), sim);
    (dir, console)
}

/// The soonest arrival booked over 100 days ago and not changed since, and the stay in house
/// that began over 95 days ago, untouched since check-in: neither changed in the last 90 days.
fn stays_on_the_books(sim: &BackgroundMewsSim) -> (SimReservation, SimReservation) {
    let now = Utc::now();
    let all = sim.reservations();
    let arrival = all
        .iter()
        .filter(|r| {
            r.state == "Confirmed"
                && r.scheduled_start_utc > now
                && r.created_utc < now - Duration::days(100)
                && r.updated_utc == r.created_utc
        })
        .min_by_key(|r| r.scheduled_start_utc)
        .cloned()
        .expect("an arrival booked months ago");
    assert!(arrival.scheduled_start_utc < now + Duration::days(29));
    let long = all
        .iter()
        .find(|r| {
            r.state == "Started"
                && r.start_utc < now - Duration::days(95)
                && r.updated_utc < now - Duration::days(90)
        })
        .cloned()
        .expect("a long stay in house");
    (arrival, long)
}

fn held(dir: &std::path::Path, external_id: &str) -> Option<Reservation> {
    let store = Store::open(&dir.join(DB_FILE)).expect("store");
    let venue = store.venue().expect("venue").expect("a venue");
    store
        .get::<Reservation>(vendor_row_id(
            venue.id,
            EntityKind::Reservation,
            "mews",
            external_id,
        ))
        .expect("read")
}

fn listed(console: &Console, kind: &str, date: &str, number: &str) -> bool {
    console
        .stays(kind, Some(date))
        .expect("stay list")
        .iter()
        .any(|s| s.number.as_deref() == Some(number))
}

#[test]
fn the_first_sync_mirrors_an_arrival_booked_long_ago_and_the_long_stay_in_house() {
    let sim = sim();
    let (dir, mut console) = console(&sim);
    let (arrival, long) = stays_on_the_books(&sim);

    let report = console.pms_sync(false).expect("first sync");
    assert_eq!(
        report.snapshot.status,
        SnapshotStatus::Ok,
        "{:?}",
        report.snapshot.error
    );
    assert!(report
        .snapshot
        .cursor
        .as_deref()
        .is_some_and(|c| c.contains(" stays:")));

    let ours = held(dir.path(), &arrival.id).expect("the early booking is mirrored");
    assert_eq!(ours.start_utc, arrival.start_utc);
    assert!(ours.customer_id.is_some(), "its guest was read too");
    let day = arrival
        .scheduled_start_utc
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .date_naive()
        .to_string();
    assert!(listed(&console, "arrivals", &day, &arrival.number));

    let ours = held(dir.path(), &long.id).expect("the long stay is mirrored");
    assert_eq!(ours.state.to_string(), "Started");
    assert!(ours.resource_id.is_some(), "with its room");
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .date_naive()
        .to_string();
    assert!(listed(&console, "in_house", &today, &long.number));
}

#[test]
fn incremental_pulls_read_what_changed_and_a_full_sync_reads_the_stays_again() {
    let sim = sim();
    let (dir, mut console) = console(&sim);
    let first = console.pms_sync(false).expect("first sync");
    assert_eq!(first.snapshot.status, SnapshotStatus::Ok);

    let changed = sim.churn(5);
    let before = sim.requests(MewsEndpoint::ReservationsGetAll);
    let next = console.pms_sync(false).expect("incremental");
    assert_eq!(next.snapshot.status, SnapshotStatus::Ok);
    assert!(next
        .snapshot
        .cursor
        .as_deref()
        .is_some_and(|c| c.starts_with("pull:") && !c.contains(" stays:")));
    // One UpdatedUtc window, one page: no read of the stays by their dates.
    assert_eq!(sim.requests(MewsEndpoint::ReservationsGetAll) - before, 1);
    for change in changed {
        if let venue_sim::SimChange::Reservation(id) = change {
            let theirs = sim
                .reservations()
                .into_iter()
                .find(|r| r.id == id)
                .expect("in the PMS");
            let ours = held(dir.path(), &id).expect("mirrored");
            assert_eq!(ours.updated_at_source, Some(theirs.updated_utc), "{id}");
        }
    }

    let before = sim.requests(MewsEndpoint::ReservationsGetAll);
    let full = console.pms_sync(true).expect("full sync");
    assert!(full
        .snapshot
        .cursor
        .as_deref()
        .is_some_and(|c| c.contains(" stays:")));
    // Two UpdatedUtc windows (90 days) and six of stays (455 days), each at least one page.
    assert!(sim.requests(MewsEndpoint::ReservationsGetAll) - before >= 8);
    assert_eq!(full.records.written, 0, "nothing changed in the PMS");
}

/// A console whose first sync read only recent changes (before this fix) reads the stays on the
/// books with its next pull, once.
#[test]
fn a_console_that_synced_before_reads_the_stays_on_its_next_pull() {
    let sim = sim();
    let (dir, mut console) = console(&sim);
    let (arrival, long) = stays_on_the_books(&sim);
    {
        let mut store = Store::open(&dir.path().join(DB_FILE)).expect("store");
        let venue = store.venue().expect("venue").expect("a venue");
        let an_hour_ago = Utc::now() - Duration::hours(1);
        let earlier = Snapshot {
            id: new_id(),
            venue_id: venue.id,
            connector: "mews".into(),
            correlation_id: new_id().to_string(),
            started_at: an_hour_ago,
            finished_at: Some(an_hour_ago),
            status: SnapshotStatus::Ok,
            error: None,
            records_seen: 0,
            records_written: 0,
            high_water_mark: Some(an_hour_ago),
            cursor: Some(format!(
                "pull:{}",
                (an_hour_ago - Duration::days(90)).to_rfc3339()
            )),
        };
        store
            .ingest(Origin::Pms, None, &[earlier])
            .expect("an earlier pull");
    }
    let report = console.pms_sync(false).expect("next pull");
    assert_eq!(report.snapshot.status, SnapshotStatus::Ok);
    assert!(held(dir.path(), &arrival.id).is_some());
    assert!(held(dir.path(), &long.id).is_some());
    let again = console.pms_sync(false).expect("the pull after");
    assert!(again
        .snapshot
        .cursor
        .as_deref()
        .is_some_and(|c| !c.contains(" stays:")));
}
