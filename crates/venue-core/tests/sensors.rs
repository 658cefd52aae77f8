//! Door counters over real HTTP against the sensor simulator (and MQTT through the real
//! Mosquitto broker): deltas from cumulative counters, resets never negative, outages
//! backfilled without double counting, credentials refused → polling stops and an alert opens.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::MapSecrets;
use venue_core::{Console, InitOptions};
use venue_sim::{
    BackgroundSensorSim, CounterKind, SensorFault, SensorSimConfig, SensorSimulator, SimDeviceSpec,
    Times,
};

fn sim() -> BackgroundSensorSim {
    SensorSimulator::start_in_background(SensorSimConfig {
        devices: vec![
            SimDeviceSpec::new("front", CounterKind::AxisPeopleCounter, "bar", 200),
            SimDeviceSpec::new("lobby", CounterKind::Axis3d, "lobby", 200),
            SimDeviceSpec::new("garden", CounterKind::Xovis, "garden", 200),
        ],
        timezone: chrono_tz::Europe::London,
        ..SensorSimConfig::default()
    })
    .expect("sensor simulator")
}

fn sensor_block(sim: &BackgroundSensorSim, name: &str, kind: &str, zone: &str) -> String {
    format!(
        "[[sensor]]\nkind = \"{kind}\"\nname = \"{name}\"\nurl = \"{}\"\nzone = \"{zone}\"\ninterval_seconds = 1\ntimeout_ms = 2000\nusername = \"{}\"\n",
        sim.base_url(name).expect("device url"),
        sim.config().username
    )
}

fn console(sim: &BackgroundSensorSim, extra: &str) -> (tempfile::TempDir, Console) {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        demo: false,
        ..InitOptions::demo()
    };
    drop(Console::init(dir.path(), &options).expect("init"));
    let path = dir.path().join("venue.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    let blocks = [
        sensor_block(sim, "front", "axis-people-counter", "bar"),
        sensor_block(sim, "lobby", "axis-3d", "lobby"),
        sensor_block(sim, "garden", "xovis", "garden"),
    ]
    .join("\n");
    std::fs::write(&path, format!("{config}\n{blocks}\n{extra}")).expect("write config");
    let password = sim.config().password.clone();
    let secrets = MapSecrets(
        ["front", "lobby", "garden", "terrace"]
            .iter()
            .map(|n| (format!("sensor-{n}"), password.clone()))
            .collect(),
    );
    let console = Console::open(dir.path())
        .expect("open")
        .with_secret_store(Box::new(secrets));
    (dir, console)
}

fn round(console: &mut Console) -> HashMap<String, venue_core::DeviceRound> {
    console
        .sensors_poll_once()
        .expect("poll")
        .into_iter()
        .map(|r| (r.device.clone(), r))
        .collect()
}

#[test]
fn cumulative_counters_become_deltas_and_resets_never_go_negative() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, "");
    let first = round(&mut console);
    assert_eq!(first.len(), 3);
    assert!(
        first.values().all(|r| r.entries == 0 && r.error.is_none()),
        "{first:?}"
    );
    for device in ["front", "lobby", "garden"] {
        sim.walk(device, 7, 2);
    }
    std::thread::sleep(Duration::from_millis(1100));
    let second = round(&mut console);
    for device in ["front", "lobby", "garden"] {
        assert_eq!(
            (second[device].entries, second[device].exits),
            (7, 2),
            "{device}: {:?}",
            second[device]
        );
    }
    assert_eq!(second["front"].occupancy, Some(5), "computed from the flow");
    // A manual reset, then more people: counted from zero, never negative.
    sim.reset_counter("front");
    sim.walk("front", 3, 1);
    std::thread::sleep(Duration::from_millis(1100));
    let third = round(&mut console);
    assert_eq!((third["front"].entries, third["front"].exits), (3, 1));
    assert_eq!(third["front"].occupancy, Some(7));
    let listing = console.sensors_list().expect("list");
    assert!(
        listing
            .iter()
            .all(|s| s.state.as_ref().is_some_and(|st| st.status == "online")),
        "{listing:?}"
    );
}

#[test]
fn an_outage_is_backfilled_without_counting_twice() {
    let sim = sim();
    let (_dir, mut console) = console(&sim, "");
    round(&mut console);
    let before = sim.totals("lobby").expect("totals");
    sim.shutdown();
    sim.walk("lobby", 12, 4);
    std::thread::sleep(Duration::from_millis(3500));
    let down = round(&mut console);
    assert!(down["lobby"].error.is_some(), "the device is unreachable");
    sim.restart().expect("device back");
    sim.walk("lobby", 1, 0);
    std::thread::sleep(Duration::from_millis(1100));
    let back = round(&mut console);
    let after = sim.totals("lobby").expect("totals");
    let walked = (after.0 - before.0, after.1 - before.1);
    assert_eq!(
        (
            u64::from(back["lobby"].entries),
            u64::from(back["lobby"].exits)
        ),
        walked,
        "everything walked during the outage, once: {:?}",
        back["lobby"]
    );
}

#[test]
fn refused_credentials_stop_polling_that_device_and_open_one_alert() {
    let sim = sim();
    let (dir, mut console) = console(&sim, "");
    round(&mut console);
    sim.inject("garden", SensorFault::Unauthorized, Times::UntilCleared);
    let refused = round(&mut console);
    assert_eq!(
        refused["garden"].status, "auth_failed",
        "{:?}",
        refused["garden"]
    );
    assert_eq!(refused["front"].status, "online", "others go on");
    round(&mut console);
    let store = venue_store::Store::open(&dir.path().join(venue_store::DB_FILE)).expect("store");
    let venue = store.venue().expect("venue").expect("one");
    let alert = store
        .open_alert(venue.id, "sensor.auth_failed:garden")
        .expect("query")
        .expect("an open alert");
    assert!(alert.title.contains("garden"));
    assert_eq!(
        store.counts().expect("counts").alerts_open,
        1,
        "no duplicate alert"
    );
}

#[test]
fn pushes_over_mqtt_are_recorded_by_the_live_loop() {
    let sim = sim();
    let topic = format!("venue-test/{}/logics", std::process::id());
    let extra = format!(
        "[[sensor]]\nkind = \"mqtt\"\nname = \"terrace\"\nbroker = \"mqtt://127.0.0.1:1883\"\ntopic = \"{topic}\"\nzone = \"garden\"\n"
    );
    let (dir, console) = console(&sim, &extra);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let live = std::thread::spawn(move || {
        let mut console = console;
        console.sensors_live(stopped)
    });
    // Give the subscription a moment, then push the garden counter's counts as "terrace".
    std::thread::sleep(Duration::from_millis(1500));
    sim.walk("garden", 9, 3);
    std::thread::sleep(Duration::from_millis(1100));
    sim.publish_mqtt("mqtt://127.0.0.1:1883", &topic, "garden")
        .expect("publish to the local Mosquitto (start it if this fails)");
    let db = dir.path().join(venue_store::DB_FILE);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut pushed = 0;
    while Instant::now() < deadline {
        let store = venue_store::Store::open(&db).expect("store");
        let venue = store.venue().expect("venue").expect("one");
        let id = store.sensor_device_id(venue.id, "terrace").expect("query");
        let mut total = 0;
        store
            .export::<venue_core::domain::SensorReading>(venue.id, None, None, |r| {
                if Some(r.device_id) == id {
                    total += r.entries;
                }
                Ok(())
            })
            .expect("export");
        pushed = total;
        if pushed >= 9 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.send(true).expect("stop");
    live.join().expect("thread").expect("live loop");
    assert_eq!(pushed, 9, "the push's counts, once");
}

#[test]
fn a_people_counter_gap_is_filled_from_its_csv_history_exactly_once() {
    // A timezone where it is mid-day now, so moving the device's clock back half an hour never
    // crosses its midnight (when its counters reset).
    let tz = ["Europe/London", "Asia/Tokyo", "America/Los_Angeles"]
        .iter()
        .filter_map(|n| n.parse::<chrono_tz::Tz>().ok())
        .find(|tz| {
            let hour = chrono::Timelike::hour(&chrono::Utc::now().with_timezone(tz));
            (2..=21).contains(&hour)
        })
        .expect("one of three zones is mid-day");
    let sim = SensorSimulator::start_in_background(SensorSimConfig {
        devices: vec![SimDeviceSpec::new(
            "front",
            CounterKind::AxisPeopleCounter,
            "bar",
            0,
        )],
        timezone: tz,
        ..SensorSimConfig::default()
    })
    .expect("sensor simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        timezone: tz.name().to_string(),
        demo: false,
        ..InitOptions::demo()
    };
    drop(Console::init(dir.path(), &options).expect("init"));
    let path = dir.path().join("venue.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        format!(
            "{config}\n{}",
            sensor_block(&sim, "front", "axis-people-counter", "bar")
        ),
    )
    .expect("write config");
    let secrets = MapSecrets(HashMap::from([(
        "sensor-front".to_string(),
        sim.config().password.clone(),
    )]));
    let mut console = Console::open(dir.path())
        .expect("open")
        .with_secret_store(Box::new(secrets));
    round(&mut console);
    // The console was down for two hours: its last sample is from then.
    let db = dir.path().join(venue_store::DB_FILE);
    {
        let store = venue_store::Store::open(&db).expect("store");
        let venue = store.venue().expect("venue").expect("one");
        let mut state = store.sensor_states(venue.id).expect("states").remove(0);
        let mut sample = state.last_sample.clone().expect("a sample");
        let at: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(sample["at"].clone()).expect("time");
        sample["at"] = serde_json::to_value(at - chrono::Duration::hours(2)).expect("json");
        state.last_sample = Some(sample);
        store.save_sensor_state(venue.id, &state).expect("save");
    }
    // Meanwhile, half an hour ago, people came and went.
    sim.jump_clock("front", chrono::TimeDelta::minutes(-30));
    sim.walk("front", 10, 4);
    // (The device's clock moves by what is given: back on time.)
    sim.jump_clock("front", chrono::TimeDelta::minutes(30));
    let back = round(&mut console);
    assert!(back["front"].backfilled >= 1, "{:?}", back["front"]);
    let store = venue_store::Store::open(&db).expect("store");
    let venue = store.venue().expect("venue").expect("one");
    let (mut entries, mut exits, mut early) = (0, 0, 0);
    let cutoff = chrono::Utc::now() - chrono::Duration::minutes(15);
    store
        .export::<venue_core::domain::SensorReading>(venue.id, None, None, |r| {
            entries += r.entries;
            exits += r.exits;
            if r.entries > 0 && r.period_end <= cutoff {
                early += r.entries;
            }
            Ok(())
        })
        .expect("export");
    assert_eq!(
        (entries, exits),
        (10, 4),
        "from history, not counted again by the live delta"
    );
    assert_eq!(
        early, 10,
        "filed when they happened, not when the console came back"
    );
}

/// Readings of `device` in the store.
fn readings_of(db: &std::path::Path, device: &str) -> usize {
    let store = venue_store::Store::open(db).expect("store");
    let venue = store.venue().expect("venue").expect("one");
    let id = store.sensor_device_id(venue.id, device).expect("query");
    let mut count = 0;
    store
        .export::<venue_core::domain::SensorReading>(venue.id, None, None, |r| {
            if Some(r.device_id) == id {
                count += 1;
            }
            Ok(())
        })
        .expect("export");
    count
}

#[test]
fn quiet_polls_are_stored_but_the_screens_hear_only_of_people_coming_through() {
    let sim = sim();
    let (dir, mut console) = console(&sim, "");
    let heard = std::sync::Arc::new(std::sync::Mutex::new(0usize));
    let counter = heard.clone();
    console.set_change_listener(std::sync::Arc::new(move |topics: &[&'static str]| {
        if topics.contains(&"sensor_reading") {
            *counter.lock().expect("counter") += 1;
        }
    }));
    let heard_now = || *heard.lock().expect("counter");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let live = std::thread::spawn(move || {
        let mut console = console;
        console.sensors_live(stopped)
    });
    let db = dir.path().join(venue_store::DB_FILE);
    // Baselines and first readings (each zone's first is news), then a quiet spell of several
    // polls per device (interval 1 s) with nobody walking through.
    std::thread::sleep(Duration::from_millis(3500));
    let quarter = || chrono::Utc::now().timestamp().div_euclid(900);
    let (quiet_from, stored_before, quarter_before) =
        (heard_now(), readings_of(&db, "front"), quarter());
    std::thread::sleep(Duration::from_millis(4000));
    let (quiet_until, stored_after) = (heard_now(), readings_of(&db, "front"));
    assert!(
        stored_after >= stored_before + 2,
        "quiet polls are still stored: {stored_before} → {stored_after}"
    );
    // A 15-minute boundary in the window adds one announcement per zone (a new curve point).
    let allowed = if quarter() == quarter_before { 0 } else { 3 };
    assert!(
        quiet_until - quiet_from <= allowed,
        "{} announcements while nobody came through",
        quiet_until - quiet_from
    );
    sim.walk("front", 4, 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while heard_now() == quiet_until && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.send(true).expect("stop");
    live.join().expect("thread").expect("live loop");
    assert!(heard_now() > quiet_until, "people walking in are announced");
}
