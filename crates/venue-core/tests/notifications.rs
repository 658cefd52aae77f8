//! Managers' desktop notifications over a real store and the real alert engine: door counts
//! push the venue past 80% of capacity, the engine opens the capacity alert, and the manager who
//! signed in last (now locked out) is due exactly one notification with the alert's wording;
//! the critical alert at 95% comes next, the warning does not repeat within its cool-down.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration, Utc};
use venue_core::domain::{new_id, Origin, SensorDevice, SensorReading};
use venue_core::{Access, Console, InitOptions, Role};
use venue_store::Store;

#[test]
fn a_capacity_alert_becomes_one_notification_for_the_last_manager_signed_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        demo: false,
        capacity: 100,
        ..InitOptions::demo()
    };
    let (mut cli, _) = Console::init(dir.path(), &options).expect("init");
    cli.staff_create("Morgan Manager", Role::Manager, "2222")
        .expect("manager");
    drop(cli);
    let mut app = Console::open(dir.path())
        .expect("open")
        .with_access(Access::desktop());
    app.sign_in("2222").expect("sign in");
    app.sign_out()
        .expect("the console locks; Morgan stays the one to notify");

    let mut store = Store::open(&dir.path().join(venue_store::DB_FILE)).expect("store");
    let venue = store.venue().expect("venue").expect("one venue");
    let device = venue_store::identified(SensorDevice {
        id: new_id(),
        venue_id: venue.id,
        name: "front".into(),
        kind: "axis-a3dpc".into(),
        zone: Some("bar".into()),
    });
    store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&device))
        .expect("device");
    let t0 = Utc::now();
    let mut at = t0 - Duration::minutes(5);
    let mut people_inside = |store: &mut Store, people: i64| {
        let start = at;
        at += Duration::seconds(10);
        let reading = venue_store::identified(SensorReading {
            id: new_id(),
            venue_id: venue.id,
            device_id: device.id,
            zone: Some("bar".into()),
            period_start: start,
            period_end: at,
            entries: 1,
            exits: 0,
            occupancy: Some(people),
        });
        store
            .ingest(Origin::Sensor, None, &[reading])
            .expect("reading");
    };
    let mut engine = app.alert_engine().expect("engine");

    people_inside(&mut store, 85);
    let opened = engine.evaluate(&mut store, t0).expect("evaluate").opened;
    assert_eq!(opened.len(), 1, "{opened:?}");
    let shown = app.due_notifications(t0).expect("due");
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].alert_id, opened[0].id);
    assert_eq!(shown[0].title, "Occupancy at 85% of capacity");
    assert!(
        shown[0]
            .body
            .starts_with("85 people inside against a capacity of 100.\nWarning · opened "),
        "{}",
        shown[0].body
    );
    assert_eq!(shown[0].screen, "today");
    assert!(app
        .due_notifications(t0 + Duration::seconds(30))
        .expect("again")
        .is_empty());

    people_inside(&mut store, 96);
    let t1 = t0 + Duration::minutes(2);
    let opened = engine.evaluate(&mut store, t1).expect("evaluate").opened;
    assert_eq!(opened.len(), 1, "the critical rule: {opened:?}");
    let shown = app.due_notifications(t1).expect("due");
    assert_eq!(
        shown
            .iter()
            .map(|n| (n.title.as_str(), n.severity.as_str()))
            .collect::<Vec<_>>(),
        [("Occupancy at 96% of capacity", "critical")],
        "the warning is not repeated within its cool-down"
    );
}
