//! The alert engine over a real SQLite store: opening once per condition, escalation, damped
//! auto-resolve, cool-downs, acknowledgements kept, every transition audited; custom rules;
//! and the live loop evaluating as sensor data arrives (not on its 60 s tick).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use support::MapSecrets;
use venue_core::alerts::{AlertEngine, AlertRuleConfig};
use venue_core::domain::{
    new_id, Alert, AlertState, ChargeState, Customer, Origin, PmsCharge, Reservation,
    ReservationState, SensorDevice, SensorReading, Severity, Snapshot, SnapshotStatus, Venue,
};
use venue_core::{Config, Console, InitOptions};
use venue_store::Store;

fn console_with(extra_config: &str) -> (tempfile::TempDir, Console) {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        demo: false,
        capacity: 100,
        ..InitOptions::demo()
    };
    drop(Console::init(dir.path(), &options).expect("init"));
    if !extra_config.is_empty() {
        let path = dir.path().join("venue.toml");
        let config = std::fs::read_to_string(&path).expect("config");
        std::fs::write(&path, format!("{config}\n{extra_config}\n")).expect("write config");
    }
    let console = Console::open(dir.path()).expect("open");
    (dir, console)
}

fn store(dir: &Path) -> (Store, Venue) {
    let store = Store::open(&dir.join(venue_store::DB_FILE)).expect("store");
    let venue = store.venue().expect("venue").expect("one venue");
    (store, venue)
}

struct Occupancy {
    device: SensorDevice,
    at: DateTime<Utc>,
}

impl Occupancy {
    fn new(store: &mut Store, venue: &Venue, t0: DateTime<Utc>) -> Self {
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
        Occupancy {
            device,
            at: t0 - Duration::minutes(5),
        }
    }

    fn set(&mut self, store: &mut Store, people: i64) {
        let start = self.at;
        self.at += Duration::seconds(10);
        let reading = venue_store::identified(SensorReading {
            id: new_id(),
            venue_id: self.device.venue_id,
            device_id: self.device.id,
            zone: Some("bar".into()),
            period_start: start,
            period_end: self.at,
            entries: 1,
            exits: 0,
            occupancy: Some(people),
        });
        store
            .ingest(Origin::Sensor, None, &[reading])
            .expect("reading");
        let zones = store.zone_occupancy(self.device.venue_id).expect("zones");
        assert_eq!(zones[0].occupancy, Some(people), "{zones:?}");
    }
}

fn unresolved(store: &Store, venue: &Venue) -> Vec<Alert> {
    store
        .all_alerts(venue.id)
        .expect("alerts")
        .into_iter()
        .filter(|a| a.state != AlertState::Resolved)
        .collect()
}

fn audit_actions(dir: &Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(dir.join(venue_store::DB_FILE)).expect("db");
    let mut stmt = conn
        .prepare(
            "SELECT actor, action, entity_id FROM audit_log WHERE entity = 'alert' ORDER BY hlc",
        )
        .expect("query");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("audit")
}

#[test]
fn occupancy_opens_once_escalates_resolves_after_damping_and_respects_the_cool_down() {
    let (dir, console) = console_with("");
    let (mut store, venue) = store(dir.path());
    let mut engine: AlertEngine = console.alert_engine().expect("engine");
    let t0 = Utc::now();
    let at = |s: i64| t0 + Duration::seconds(s);
    let mut occ = Occupancy::new(&mut store, &venue, t0);

    occ.set(&mut store, 70);
    let e = engine.evaluate(&mut store, at(0)).expect("eval");
    assert!(e.opened.is_empty() && e.resolved.is_empty(), "{e:?}");

    occ.set(&mut store, 85);
    let e = engine.evaluate(&mut store, at(10)).expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    let warning = &e.opened[0];
    assert_eq!(warning.rule, "occupancy.warning");
    assert_eq!(warning.dedupe_key, "occupancy.warning:venue");
    assert_eq!(warning.severity, Severity::Warning);
    assert!(warning.title.contains("85%"), "{}", warning.title);

    // Staying above: no duplicate.
    occ.set(&mut store, 88);
    for s in [20, 30, 40] {
        let e = engine.evaluate(&mut store, at(s)).expect("eval");
        assert!(e.opened.is_empty(), "{e:?}");
    }
    assert_eq!(unresolved(&store, &venue).len(), 1);

    // Crossing 95%: critical too.
    occ.set(&mut store, 96);
    let e = engine.evaluate(&mut store, at(50)).expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    assert_eq!(e.opened[0].severity, Severity::Critical);
    assert_eq!(e.opened[0].rule, "occupancy.critical");
    assert_eq!(unresolved(&store, &venue).len(), 2);

    // Dropping below: resolved only after the condition stayed clear for 60 s.
    occ.set(&mut store, 40);
    let e = engine.evaluate(&mut store, at(60)).expect("eval");
    assert!(e.resolved.is_empty(), "damped: {e:?}");
    let e = engine.evaluate(&mut store, at(100)).expect("eval");
    assert!(e.resolved.is_empty(), "still damped: {e:?}");
    let e = engine.evaluate(&mut store, at(125)).expect("eval");
    assert_eq!(e.resolved.len(), 2, "{e:?}");
    assert!(unresolved(&store, &venue).is_empty());

    // Re-crossing within the cool-down (900 s) does not re-open ...
    occ.set(&mut store, 90);
    let e = engine.evaluate(&mut store, at(200)).expect("eval");
    assert!(e.opened.is_empty(), "cool-down: {e:?}");
    // ... after it, it does.
    let e = engine.evaluate(&mut store, at(125 + 901)).expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    assert_eq!(e.opened[0].rule, "occupancy.warning");

    // Every transition audited under the engine's name, for the alert it changed.
    let audit = audit_actions(dir.path());
    let actions: Vec<&str> = audit.iter().map(|(_, a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "alert.open",
            "alert.open",
            "alert.resolve",
            "alert.resolve",
            "alert.open"
        ]
    );
    assert!(audit.iter().all(|(actor, _, _)| actor == "alert-engine"));
    assert_eq!(audit[0].2, warning.id.to_string());
}

#[test]
fn a_condition_that_flaps_keeps_its_one_alert() {
    let (dir, console) = console_with("");
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let t0 = Utc::now();
    let at = |s: i64| t0 + Duration::seconds(s);
    let mut occ = Occupancy::new(&mut store, &venue, t0);
    for (i, people) in [85, 70, 85, 70, 85, 79, 81].into_iter().enumerate() {
        occ.set(&mut store, people);
        let e = engine
            .evaluate(&mut store, at(i as i64 * 20))
            .expect("eval");
        assert!(e.resolved.is_empty(), "flap {i}: {e:?}");
        assert_eq!(e.opened.len(), usize::from(i == 0), "flap {i}: {e:?}");
    }
    assert_eq!(unresolved(&store, &venue).len(), 1);
}

#[test]
fn an_acknowledged_alert_keeps_who_when_it_resolves_itself() {
    let (dir, mut console) = console_with("");
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let t0 = Utc::now();
    let mut occ = Occupancy::new(&mut store, &venue, t0);
    occ.set(&mut store, 90);
    let opened = engine.evaluate(&mut store, t0).expect("eval").opened;
    let acked = console
        .acknowledge_alert(&opened[0].id.to_string())
        .expect("acknowledge");
    let who = acked.acknowledged_by.clone().expect("who");
    occ.set(&mut store, 10);
    engine
        .evaluate(&mut store, t0 + Duration::seconds(1))
        .expect("eval");
    let e = engine
        .evaluate(&mut store, t0 + Duration::seconds(62))
        .expect("eval");
    assert_eq!(e.resolved.len(), 1, "{e:?}");
    let resolved = store
        .get::<Alert>(opened[0].id)
        .expect("get")
        .expect("alert");
    assert_eq!(resolved.state, AlertState::Resolved);
    assert_eq!(resolved.acknowledged_by.as_deref(), Some(who.as_str()));
    assert!(resolved.acknowledged_at.is_some());
    let actions: Vec<(String, String)> = audit_actions(dir.path())
        .into_iter()
        .map(|(actor, action, _)| (actor, action))
        .collect();
    assert_eq!(
        actions,
        [
            ("alert-engine".to_string(), "alert.open".to_string()),
            (who, "alert.acknowledge".to_string()),
            ("alert-engine".to_string(), "alert.resolve".to_string()),
        ]
    );
}

#[test]
fn breaker_open_rate_limits_and_a_failed_run_raise_connector_alerts() {
    let (dir, console) = console_with("");
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let now = Utc::now();
    store
        .save_connector_state(
            venue.id,
            "square",
            &json!({"state": "OPEN", "consecutive_failures": 5, "opened_at": null,
                    "last_transition_at": null, "last_error": "HTTP 503"}),
            Some(&json!({"requests": 10, "failures": 5, "retries": 0, "rate_limit_hits": 3})),
        )
        .expect("state");
    store
        .save_connector_state(
            venue.id,
            "toast",
            &json!({"state": "CLOSED"}),
            Some(&json!({"requests": 100, "failures": 0, "retries": 0, "rate_limit_hits": 1})),
        )
        .expect("state");
    let e = engine.evaluate(&mut store, now).expect("eval");
    let mut keys: Vec<(&str, Severity)> = e
        .opened
        .iter()
        .map(|a| (a.dedupe_key.as_str(), a.severity))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("connector.breaker_open:square", Severity::Critical),
            ("connector.rate_limited:square", Severity::Warning),
        ]
    );
    assert!(e.opened[0].body.contains("HTTP 503") || e.opened[1].body.contains("HTTP 503"));
    // Closed again: resolved after the damping period.
    store
        .save_connector_state(venue.id, "square", &json!({"state": "CLOSED"}), None)
        .expect("state");
    engine
        .evaluate(&mut store, now + Duration::seconds(1))
        .expect("eval");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(70))
        .expect("eval");
    assert_eq!(e.resolved.len(), 1, "{e:?}");
    assert_eq!(e.resolved[0].rule, "connector.breaker_open");

    // The latest finished run failed (or was partial): one alert per connector.
    let run = |status: SnapshotStatus, started: DateTime<Utc>| Snapshot {
        id: new_id(),
        venue_id: venue.id,
        connector: "toast".into(),
        correlation_id: new_id().to_string(),
        started_at: started,
        finished_at: Some(started),
        status,
        error: Some("HTTP 500 from /orders".into()),
        records_seen: 10,
        records_written: 4,
        high_water_mark: None,
        cursor: None,
    };
    store
        .ingest(
            Origin::Connector,
            None,
            &[run(SnapshotStatus::Ok, now - Duration::minutes(30))],
        )
        .expect("run");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(71))
        .expect("eval");
    assert!(e.opened.is_empty(), "{e:?}");
    store
        .ingest(
            Origin::Connector,
            None,
            &[run(SnapshotStatus::Partial, now - Duration::minutes(15))],
        )
        .expect("run");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(72))
        .expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    assert_eq!(e.opened[0].dedupe_key, "connector.snapshot_failed:toast");
    assert!(
        e.opened[0].title.contains("partial"),
        "{}",
        e.opened[0].title
    );
    store
        .ingest(
            Origin::Connector,
            None,
            &[run(SnapshotStatus::Failed, now - Duration::minutes(5))],
        )
        .expect("run");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(73))
        .expect("eval");
    assert!(e.opened.is_empty(), "still the one alert: {e:?}");
}

fn vip_stay(store: &mut Store, venue: &Venue, start: DateTime<Utc>, vip: bool) -> Reservation {
    let customer = venue_store::identified(Customer {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: format!("c-{}", new_id()),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        email: None,
        phone: None,
        classifications: if vip {
            vec!["VeryImportant".into()]
        } else {
            vec![]
        },
        notes: None,
        updated_at_source: None,
    });
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&customer))
        .expect("customer");
    let reservation = venue_store::identified(Reservation {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: format!("r-{}", new_id()),
        number: Some("4711".into()),
        state: ReservationState::Confirmed,
        start_utc: start,
        end_utc: start + Duration::days(2),
        customer_id: Some(customer.id),
        resource_id: None,
        person_count: 2,
        notes: None,
        updated_at_source: None,
    });
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&reservation))
        .expect("reservation");
    reservation
}

#[test]
fn a_vip_arriving_today_raises_one_info_alert() {
    let (dir, mut console) = console_with("");
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let now = Utc::now();
    let (day_start, day_end) = venue.day_bounds(venue.local_date(now));
    let today = day_start + (day_end - day_start) / 2;
    let vip = vip_stay(&mut store, &venue, today, true);
    vip_stay(&mut store, &venue, today, false);
    vip_stay(&mut store, &venue, day_end + Duration::hours(1), true);
    let e = engine.evaluate(&mut store, now).expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    let alert = &e.opened[0];
    assert_eq!(alert.severity, Severity::Info);
    assert_eq!(alert.dedupe_key, format!("pms.vip_arrival:{}", vip.id));
    assert!(alert.title.contains("Ada Lovelace"), "{}", alert.title);
    assert!(engine
        .evaluate(&mut store, now + Duration::seconds(5))
        .expect("eval")
        .opened
        .is_empty());
    // Resolved by hand the same day: not raised again.
    console
        .resolve_alert(&alert.id.to_string())
        .expect("resolve");
    assert!(engine
        .evaluate(&mut store, now + Duration::seconds(10))
        .expect("eval")
        .opened
        .is_empty());
}

#[test]
fn a_charge_that_failed_to_post_raises_an_alert_until_it_is_sent() {
    let (dir, console) = console_with("");
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let now = Utc::now();
    let stay = vip_stay(&mut store, &venue, now - Duration::days(3), false);
    let mut charge = PmsCharge {
        id: new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        reservation_id: stay.id,
        reservation_external_id: stay.external_id.clone(),
        item: "Minibar".into(),
        amount_minor: 1250,
        currency: "GBP".parse().expect("currency"),
        state: ChargeState::Failed,
        attempts: 3,
        last_error: Some("the stay is checked out".into()),
        external_order_id: None,
        requested_by: "sam".into(),
        requested_at: now,
        sent_at: None,
    };
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&charge))
        .expect("charge");
    let e = engine.evaluate(&mut store, now).expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    assert_eq!(e.opened[0].rule, "pms.charge_failed");
    assert!(
        e.opened[0].title.contains("Minibar 12.50 GBP"),
        "{}",
        e.opened[0].title
    );
    assert!(e.opened[0].body.contains("checked out"));
    charge.state = ChargeState::Sent;
    store
        .ingest(Origin::Pms, None, std::slice::from_ref(&charge))
        .expect("charge");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(1))
        .expect("eval");
    assert_eq!(e.resolved.len(), 1, "{e:?}");
}

#[test]
fn the_sensor_pollers_auth_alert_is_adopted_not_duplicated() {
    let (dir, console) = console_with("");
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let now = Utc::now();
    let mut state = venue_store::SensorState {
        device: "garden".into(),
        last_sample: None,
        occupancy: None,
        status: "auth_failed".into(),
        failures: 1,
        last_error: Some("HTTP 401".into()),
        status_since: Some(now),
        updated_at: now,
    };
    store.save_sensor_state(venue.id, &state).expect("state");
    // What the poller raises itself (sensors/recorder.rs).
    let polled = venue_store::identified(Alert {
        id: new_id(),
        venue_id: venue.id,
        rule: "sensor.auth_failed".into(),
        dedupe_key: "sensor.auth_failed:garden".into(),
        severity: Severity::Critical,
        title: "Door sensor garden refused our credentials".into(),
        body: String::new(),
        state: AlertState::Open,
        opened_at: now,
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
    });
    store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&polled))
        .expect("alert");
    let e = engine.evaluate(&mut store, now).expect("eval");
    assert!(e.opened.is_empty(), "no duplicate, no offline alert: {e:?}");
    state.status = "online".into();
    store.save_sensor_state(venue.id, &state).expect("state");
    engine
        .evaluate(&mut store, now + Duration::seconds(1))
        .expect("eval");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(61))
        .expect("eval");
    assert_eq!(
        e.resolved.iter().map(|a| a.id).collect::<Vec<_>>(),
        [polled.id]
    );
    state.status = "offline".into();
    store.save_sensor_state(venue.id, &state).expect("state");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(62))
        .expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    assert_eq!(e.opened[0].dedupe_key, "sensor.offline:garden");
}

#[test]
fn venue_toml_overrides_builtins_and_adds_rules_and_bad_blocks_name_the_field() {
    let (dir, console) = console_with(
        "[[alert_rule]]\nid = \"occupancy.warning\"\nenabled = false\n\n[[alert_rule]]\nid = \"crowd\"\nmetric = \"occupancy\"\ncondition = \">=\"\nthreshold = 50\nwindow_seconds = 30\nseverity = \"info\"\ntitle = \"Crowd building\"\n",
    );
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let t0 = Utc::now();
    let mut occ = Occupancy::new(&mut store, &venue, t0);
    occ.set(&mut store, 85);
    let e = engine.evaluate(&mut store, t0).expect("eval");
    assert!(
        e.opened.is_empty(),
        "warning disabled, crowd needs 30 s: {e:?}"
    );
    let e = engine
        .evaluate(&mut store, t0 + Duration::seconds(31))
        .expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    assert_eq!(e.opened[0].title, "Crowd building");
    assert_eq!(e.opened[0].severity, Severity::Info);

    let base = venue_core::DEFAULT_CONFIG;
    let bad = Config::parse(&format!(
        "{base}\n[[alert_rule]]\nid = \"x\"\nmetric = \"occupancy\"\ncondition = \"=>\"\nthreshold = 1\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(bad.contains("alert_rule \"x\": condition"), "{bad}");
    let bad = Config::parse(&format!(
        "{base}\n[[alert_rule]]\nid = \"pms.socket_down\"\nactive_hours = \"8-17\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(bad.contains("active_hours"), "{bad}");
    let bad = Config::parse(&format!(
        "{base}\n[[alert_rule]]\nid = \"a\"\nmetric = \"occupancy\"\n[[alert_rule]]\nid = \"a\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains("two [[alert_rule]] blocks have id \"a\""),
        "{bad}"
    );
}

#[test]
fn custom_rules_from_the_app_are_listed_evaluated_audited_and_deleted() {
    let (dir, mut console) = console_with("");
    let saved = console
        .alert_rule_save(AlertRuleConfig {
            id: "busy-bar".into(),
            metric: Some("occupancy".into()),
            condition: Some(">".into()),
            threshold: Some(20.0),
            severity: Some("critical".into()),
            ..AlertRuleConfig::default()
        })
        .expect("save");
    assert_eq!(saved.rule.id, "busy-bar");
    let err = console
        .alert_rule_save(AlertRuleConfig {
            id: "occupancy.warning".into(),
            threshold: Some(0.5),
            ..AlertRuleConfig::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("metric"), "{err}");
    let err = console
        .alert_rule_save(AlertRuleConfig {
            id: "occupancy.warning".into(),
            metric: Some("occupancy".into()),
            condition: Some(">".into()),
            threshold: Some(1.0),
            ..AlertRuleConfig::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("built-in"), "{err}");
    let listed: HashMap<String, String> = console
        .alert_rules_list()
        .expect("list")
        .into_iter()
        .map(|v| (v.rule.id.clone(), format!("{:?}", v.source)))
        .collect();
    assert_eq!(listed["busy-bar"], "Custom");
    assert_eq!(listed["occupancy.critical"], "Builtin");
    assert_eq!(listed.len(), 13, "12 built-ins and the custom rule");

    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let t0 = Utc::now();
    let mut occ = Occupancy::new(&mut store, &venue, t0);
    occ.set(&mut store, 30);
    let e = engine.evaluate(&mut store, t0).expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    assert_eq!(e.opened[0].rule, "busy-bar");

    console.alert_rule_delete("busy-bar").expect("delete");
    assert!(console.alert_rule_delete("busy-bar").is_err());
    let conn = rusqlite::Connection::open(dir.path().join(venue_store::DB_FILE)).expect("db");
    let actions: Vec<String> = conn
        .prepare("SELECT action FROM audit_log WHERE action LIKE 'alert_rule.%' ORDER BY hlc")
        .expect("q")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("audit");
    assert_eq!(actions, ["alert_rule.save", "alert_rule.delete"]);
}

#[test]
fn alerts_of_a_rule_disabled_or_deleted_resolve_at_the_next_evaluation() {
    let (dir, mut console) = console_with("");
    let rule = |id: &str, enabled: bool| AlertRuleConfig {
        id: id.into(),
        metric: Some("occupancy".into()),
        condition: Some(">".into()),
        threshold: Some(20.0),
        enabled: Some(enabled),
        ..AlertRuleConfig::default()
    };
    console
        .alert_rule_save(rule("busy-bar", true))
        .expect("save");
    console
        .alert_rule_save(rule("packed-bar", true))
        .expect("save");
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let t0 = Utc::now();
    let mut occ = Occupancy::new(&mut store, &venue, t0);
    occ.set(&mut store, 30);
    let e = engine.evaluate(&mut store, t0).expect("eval");
    assert_eq!(e.opened.len(), 2, "{e:?}");

    // Disabled: the condition still holds, but nothing would ever clear the alert.
    console
        .alert_rule_save(rule("busy-bar", false))
        .expect("disable");
    let e = engine
        .evaluate(&mut store, t0 + Duration::seconds(5))
        .expect("eval");
    assert_eq!(e.resolved.len(), 1, "{e:?}");
    assert_eq!(e.resolved[0].rule, "busy-bar");
    assert!(e.opened.is_empty(), "{e:?}");
    let left: Vec<String> = unresolved(&store, &venue)
        .into_iter()
        .map(|a| a.rule)
        .collect();
    assert_eq!(left, ["packed-bar"]);

    // Deleted: gone from every list, its alert resolved by the engine and audited.
    console.alert_rule_delete("packed-bar").expect("delete");
    let e = engine
        .evaluate(&mut store, t0 + Duration::seconds(10))
        .expect("eval");
    assert_eq!(e.resolved.len(), 1, "{e:?}");
    assert!(unresolved(&store, &venue).is_empty());
    let resolves = audit_actions(dir.path())
        .into_iter()
        .filter(|(actor, action, _)| actor == "alert-engine" && action == "alert.resolve")
        .count();
    assert_eq!(resolves, 2);
    // Built-in occupancy rules stay quiet: 30 of 100 is under 80 %.
    let e = engine
        .evaluate(&mut store, t0 + Duration::seconds(15))
        .expect("eval");
    assert!(e.opened.is_empty() && e.resolved.is_empty(), "{e:?}");
}

#[test]
fn the_live_loop_evaluates_as_sensor_data_arrives() {
    use venue_sim::{CounterKind, SensorSimConfig, SensorSimulator, SimDeviceSpec};
    let sim = SensorSimulator::start_in_background(SensorSimConfig {
        devices: vec![SimDeviceSpec::new(
            "lobby",
            CounterKind::Axis3d,
            "lobby",
            200,
        )],
        timezone: chrono_tz::Europe::London,
        ..SensorSimConfig::default()
    })
    .expect("sensor simulator");
    let block = format!(
        "[[sensor]]\nkind = \"axis-3d\"\nname = \"lobby\"\nurl = \"{}\"\nzone = \"lobby\"\ninterval_seconds = 1\ntimeout_ms = 2000\nusername = \"{}\"\n",
        sim.base_url("lobby").expect("device url"),
        sim.config().username
    );
    let (dir, console) = console_with(&block);
    let console = console.with_secret_store(Box::new(MapSecrets(
        [("sensor-lobby".to_string(), sim.config().password.clone())].into(),
    )));
    // The app's own listener keeps hearing writes next to the engine's, and after the loop.
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut console = console;
    let sink = heard.clone();
    console.set_change_listener(std::sync::Arc::new(move |topics: &[&'static str]| {
        if let Ok(mut heard) = sink.lock() {
            heard.extend(topics.iter().map(|t| t.to_string()));
        }
    }));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let live = std::thread::spawn(move || {
        let console = console;
        let mut stopped = stopped;
        let result = console.run_scheduler_with(
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
            None,
        );
        (console, result)
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let walked = std::time::Instant::now();
    sim.walk("lobby", 90, 0);
    let db = dir.path().join(venue_store::DB_FILE);
    let mut found = None;
    while walked.elapsed() < std::time::Duration::from_secs(20) && found.is_none() {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let store = Store::open(&db).expect("store");
        let venue = store.venue().expect("venue").expect("one");
        found = store
            .open_alert(venue.id, "occupancy.warning:venue")
            .expect("query");
    }
    let took = walked.elapsed();
    eprintln!("occupancy alert {took:?} after the walk");
    stop.send(true).expect("stop");
    let (mut console, result) = live.join().expect("thread");
    result.expect("live loop");
    let alert = found.expect("an occupancy alert from the live loop");
    let during = heard.lock().expect("heard").clone();
    assert!(during.iter().any(|t| t == "alert"), "{during:?}");
    assert!(during.iter().any(|t| t == "sensor_reading"), "{during:?}");
    heard.lock().expect("heard").clear();
    console
        .acknowledge_alert(&alert.id.to_string())
        .expect("acknowledge");
    assert!(
        heard.lock().expect("heard").iter().any(|t| t == "alert"),
        "the app's listener is back alone after the loop"
    );
    assert!(alert.title.contains("90%"), "{}", alert.title);
    assert!(
        took < std::time::Duration::from_secs(10),
        "evaluated as data arrived, not on the 60 s tick ({took:?})"
    );
}

#[test]
fn the_pms_socket_alerts_only_past_its_grace_period() {
    let (dir, console) = console_with("");
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let now = Utc::now();
    store
        .save_connector_state(
            venue.id,
            "mews",
            &json!({"state": "CLOSED"}),
            Some(&json!({"http": {"requests": 4, "rate_limit_hits": 0},
                         "socket": {"state": "down", "since": now, "last_error": "connection reset"}})),
        )
        .expect("state");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(100))
        .expect("eval");
    assert!(e.opened.is_empty(), "within 120 s: {e:?}");
    let e = engine
        .evaluate(&mut store, now + Duration::seconds(121))
        .expect("eval");
    assert_eq!(e.opened.len(), 1, "{e:?}");
    assert_eq!(e.opened[0].dedupe_key, "pms.socket_down:mews");
    assert_eq!(e.opened[0].severity, Severity::Critical);
    assert!(e.opened[0].body.contains("connection reset"));
}

#[test]
fn a_rule_only_opens_inside_its_venue_local_active_hours() {
    let now = Utc::now();
    let london = now.with_timezone(&chrono_tz::Europe::London);
    let hhmm = |t: chrono::DateTime<chrono_tz::Tz>| t.format("%H:%M").to_string();
    // A window that ends a minute before now (wrapping midnight when it must) and one that
    // started a minute ago.
    let closed = format!(
        "{}-{}",
        hhmm(london + Duration::hours(1)),
        hhmm(london - Duration::minutes(1))
    );
    let open = format!(
        "{}-{}",
        hhmm(london - Duration::minutes(1)),
        hhmm(london + Duration::hours(1))
    );
    let block = |id: &str, hours: &str| {
        format!("[[alert_rule]]\nid = \"{id}\"\nmetric = \"occupancy\"\ncondition = \">=\"\nthreshold = 1\nactive_hours = \"{hours}\"\n")
    };
    let (dir, console) = console_with(&format!(
        "{}\n{}",
        block("after-hours", &closed),
        block("during-hours", &open)
    ));
    let (mut store, venue) = store(dir.path());
    let mut engine = console.alert_engine().expect("engine");
    let mut occ = Occupancy::new(&mut store, &venue, now);
    occ.set(&mut store, 5);
    let e = engine.evaluate(&mut store, now).expect("eval");
    let rules: Vec<&str> = e.opened.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(rules, ["during-hours"], "{closed} / {open}");
}
