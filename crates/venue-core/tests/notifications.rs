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

/// A console joined to a hub that stops answering: nothing for the first minutes (a venue offline
/// for a while is normal, and the hub task's failure never opens `console.task_failing`), then,
/// past the configured time, one warning that becomes one notification for the manager, opening
/// Settings; later failures do not restart the clock, and the next success resolves it.
#[test]
fn sync_failing_past_the_configured_time_notifies_the_manager_and_resolves_on_success() {
    use venue_core::supervisor::{Task, TaskHealth};
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        demo: false,
        ..InitOptions::demo()
    };
    let (mut cli, _) = Console::init(dir.path(), &options).expect("init");
    cli.staff_create("Morgan Manager", Role::Manager, "2222")
        .expect("manager");
    drop(cli);
    let config = dir.path().join("venue.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        format!("{text}\n[[alert_rule]]\nid = \"hub.sync_failing\"\nthreshold = 600\n"),
    )
    .expect("write config");
    let mut app = Console::open(dir.path())
        .expect("open")
        .with_access(Access::desktop());
    app.sign_in("2222").expect("sign in");

    let mut store = Store::open(&dir.path().join(venue_store::DB_FILE)).expect("store");
    let venue = store.venue().expect("venue").expect("one venue");
    let health = TaskHealth::default();
    let mut engine = app
        .alert_engine()
        .expect("engine")
        .with_task_health(health.clone());
    let joined = Utc::now();
    store
        .set_hub("https://hub.example.test", venue.id)
        .expect("join");
    store.record_sync_success(Some(0)).expect("first sync");
    assert!(engine
        .evaluate(&mut store, joined)
        .expect("eval")
        .opened
        .is_empty());

    store
        .record_sync_error("the hub at https://hub.example.test cannot be reached")
        .expect("failure");
    let failing_from = Utc::now();
    health.failed(Task::Hub, "the hub cannot be reached");
    let e = engine
        .evaluate(&mut store, failing_from + Duration::seconds(300))
        .expect("eval");
    assert!(e.opened.is_empty(), "within the configured 600 s: {e:?}");
    // Still failing later: the clock runs from the first failure, not the latest.
    store
        .record_sync_error("the hub answered 503")
        .expect("failure");
    let late = failing_from + Duration::seconds(601);
    let e = engine.evaluate(&mut store, late).expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    let alert = &e.opened[0];
    assert_eq!(alert.rule, "hub.sync_failing");
    assert_eq!(alert.severity.as_str(), "warning");
    assert!(
        alert.title.starts_with("Not synced with the hub since "),
        "{}",
        alert.title
    );
    assert!(
        alert.body.contains("the hub answered 503"),
        "{}",
        alert.body
    );
    assert!(
        alert.body.contains("changes wait on this console"),
        "{}",
        alert.body
    );
    let shown = app.due_notifications(late).expect("due");
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].alert_id, alert.id);
    assert_eq!(shown[0].screen, "settings");

    store.record_sync_success(Some(0)).expect("back");
    health.recovered(Task::Hub);
    let e = engine
        .evaluate(&mut store, late + Duration::seconds(5))
        .expect("eval");
    assert_eq!(
        e.resolved.iter().map(|a| a.id).collect::<Vec<_>>(),
        [alert.id],
        "{e:?}"
    );
    assert!(
        store
            .all_alerts(venue.id)
            .expect("alerts")
            .iter()
            .all(|a| a.rule != venue_core::supervisor::TASK_FAILING_RULE),
        "the hub task's failure is the sync rule's, never console.task_failing"
    );
}
