//! Sensor rollups: exact per bucket as readings arrive or are corrected, venue-local days
//! across DST, and kept when raw readings are pruned.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use venue_domain::*;
use venue_store::{BucketBound, Resolution, Store, DB_FILE};

fn setup() -> (tempfile::TempDir, Store, Venue, SensorDevice) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join(DB_FILE)).expect("open");
    let venue = Venue::new("Harbour Bar", "Europe/London", "GBP", 120).expect("venue");
    store
        .save_by_user("test", "venue.create", &venue)
        .expect("venue");
    let device = venue_store::identified(SensorDevice {
        id: new_id(),
        venue_id: venue.id,
        name: "front-door".into(),
        kind: "axis-3d".into(),
        zone: Some("bar".into()),
    });
    store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&device))
        .expect("device");
    (dir, store, venue, device)
}

fn reading(
    venue: &Venue,
    device: &SensorDevice,
    end: DateTime<Utc>,
    entries: u32,
    exits: u32,
    occupancy: i64,
) -> SensorReading {
    venue_store::identified(SensorReading {
        id: new_id(),
        venue_id: venue.id,
        device_id: device.id,
        zone: device.zone.clone(),
        period_start: end - Duration::seconds(30),
        period_end: end,
        entries,
        exits,
        occupancy: Some(occupancy),
    })
}

/// Every topic the store announces from now on, in order.
fn record_topics(store: &mut Store) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    let heard: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let sink = std::sync::Arc::clone(&heard);
    store.set_change_listener(std::sync::Arc::new(move |topics: &[&'static str]| {
        sink.lock()
            .expect("lock")
            .extend(topics.iter().map(|t| t.to_string()));
    }));
    heard
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("time")
}

#[test]
fn buckets_add_up_and_a_reading_on_a_boundary_belongs_to_the_bucket_it_ends() {
    let (_dir, mut store, venue, device) = setup();
    let readings = vec![
        reading(&venue, &device, at(2026, 7, 1, 12, 0, 30), 3, 1, 2),
        reading(&venue, &device, at(2026, 7, 1, 12, 1, 0), 2, 0, 4), // ends on 12:01 → 12:00 bucket
        reading(&venue, &device, at(2026, 7, 1, 12, 14, 0), 5, 2, 7),
        reading(&venue, &device, at(2026, 7, 1, 12, 20, 0), 1, 6, 2),
        reading(&venue, &device, at(2026, 7, 1, 13, 5, 0), 4, 0, 6),
    ];
    store
        .ingest(Origin::Sensor, None, &readings)
        .expect("readings");
    let from = BucketBound::At(at(2026, 7, 1, 12, 0, 0));
    let to = BucketBound::At(at(2026, 7, 1, 14, 0, 0));
    let minutes = store
        .traffic_series(venue.id, Resolution::Minute, from, to)
        .expect("minutes");
    assert_eq!(minutes[0].bucket, "2026-07-01 12:00:00");
    assert_eq!((minutes[0].entries, minutes[0].exits), (5, 1));
    assert_eq!(minutes[0].occupancy_last, Some(4));
    let quarters = store
        .traffic_series(venue.id, Resolution::QuarterHour, from, to)
        .expect("15m");
    let summary: Vec<(String, i64, i64, Option<i64>)> = quarters
        .iter()
        .map(|b| (b.bucket.clone(), b.entries, b.exits, b.occupancy_max))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("2026-07-01 12:00:00".into(), 10, 3, Some(7)),
            ("2026-07-01 12:15:00".into(), 1, 6, Some(2)),
            ("2026-07-01 13:00:00".into(), 4, 0, Some(6)),
        ]
    );
    let hours = store
        .traffic_series(venue.id, Resolution::Hour, from, to)
        .expect("hours");
    assert_eq!(hours.iter().map(|h| h.entries).sum::<i64>(), 15);
    assert_eq!(
        hours[0].occupancy_last,
        Some(2),
        "the last reading of 12:xx"
    );
}

#[test]
fn days_are_venue_local_across_the_clock_change() {
    let (_dir, mut store, venue, device) = setup();
    // 2026-10-25: London leaves summer time. 23:30 UTC on the 25th is 23:30 local (GMT);
    // 23:30 UTC on the 24th is 00:30 local on the 25th (BST).
    let readings = vec![
        reading(&venue, &device, at(2026, 10, 24, 23, 30, 0), 1, 0, 1),
        reading(&venue, &device, at(2026, 10, 25, 23, 30, 0), 2, 0, 3),
        reading(&venue, &device, at(2026, 10, 26, 0, 30, 0), 4, 0, 7),
    ];
    store
        .ingest(Origin::Sensor, None, &readings)
        .expect("readings");
    let day = |d| BucketBound::Date(NaiveDate::from_ymd_opt(2026, 10, d).expect("date"));
    let days = store
        .traffic_series(venue.id, Resolution::Day, day(24), day(27))
        .expect("days");
    let summary: Vec<(String, i64)> = days.iter().map(|d| (d.bucket.clone(), d.entries)).collect();
    assert_eq!(
        summary,
        vec![("2026-10-25".into(), 3), ("2026-10-26".into(), 4)]
    );
}

#[test]
fn a_corrected_reading_moves_its_counts_and_pruning_keeps_the_rollups() {
    let (_dir, mut store, venue, device) = setup();
    let mut first = reading(&venue, &device, at(2026, 7, 1, 9, 0, 30), 3, 1, 2);
    store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&first))
        .expect("reading");
    first.entries = 5;
    let summary = store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&first))
        .expect("corrected");
    assert_eq!(summary.updated, 1);
    let from = BucketBound::At(at(2026, 7, 1, 9, 0, 0));
    let to = BucketBound::At(at(2026, 7, 1, 10, 0, 0));
    let hour = store
        .traffic_series(venue.id, Resolution::Hour, from, to)
        .expect("hour");
    assert_eq!(
        (hour[0].entries, hour[0].exits),
        (5, 1),
        "not 8: the old count moved out"
    );
    let pruned = store
        .prune_sensor_readings(at(2026, 7, 2, 0, 0, 0))
        .expect("prune");
    assert_eq!(pruned, 1);
    assert_eq!(store.counts().expect("counts").sensor_readings, 0);
    let kept = store
        .traffic_series(venue.id, Resolution::Hour, from, to)
        .expect("hour");
    assert_eq!(kept, hour, "rollups outlive raw readings");
    let err = store
        .traffic_series(
            venue.id,
            Resolution::Hour,
            BucketBound::Date(NaiveDate::MIN),
            to,
        )
        .expect_err("a date bound is for days");
    assert!(err.to_string().contains("day"));
}

#[test]
fn two_doors_of_one_zone_count_the_zone_once_and_zones_add_up() {
    let (_dir, mut store, venue, front) = setup();
    let side = venue_store::identified(SensorDevice {
        id: new_id(),
        name: "side-door".into(),
        ..front.clone()
    });
    let terrace = venue_store::identified(SensorDevice {
        id: new_id(),
        name: "terrace".into(),
        zone: Some("terrace".into()),
        ..front.clone()
    });
    store
        .ingest(Origin::Sensor, None, &[side.clone(), terrace.clone()])
        .expect("devices");
    // Each door reports the zone's occupancy after its own flow.
    let readings = vec![
        reading(&venue, &front, at(2026, 7, 1, 18, 1, 0), 5, 0, 5),
        reading(&venue, &side, at(2026, 7, 1, 18, 2, 0), 3, 1, 7),
        reading(&venue, &terrace, at(2026, 7, 1, 18, 3, 0), 4, 0, 4),
    ];
    store
        .ingest(Origin::Sensor, None, &readings)
        .expect("readings");
    let hour = store
        .traffic_series(
            venue.id,
            Resolution::Hour,
            BucketBound::At(at(2026, 7, 1, 18, 0, 0)),
            BucketBound::At(at(2026, 7, 1, 19, 0, 0)),
        )
        .expect("hour");
    assert_eq!(hour[0].entries, 12);
    assert_eq!(
        hour[0].occupancy_last,
        Some(11),
        "bar 7 (latest of its doors) + terrace 4"
    );
}

/// An idle door is polled all day: a sensor state whose only change is its poll time is saved
/// but must not make the open screens re-read; a changed occupancy or status must. (Readings
/// always announce themselves: Today's occupancy is read from them.)
#[test]
fn a_sensor_state_that_only_moved_its_poll_time_is_saved_without_telling_the_screens() {
    use venue_store::{SensorState, SENSOR_STATE};
    let (_dir, mut store, venue, device) = setup();
    let heard = record_topics(&mut store);
    let take = || std::mem::take(&mut *heard.lock().expect("lock"));

    let quiet = reading(&venue, &device, at(2026, 7, 1, 12, 0, 30), 0, 0, 4);
    store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&quiet))
        .expect("reading");
    assert_eq!(take(), vec!["sensor_reading"]);

    let mut state = SensorState {
        device: device.name.clone(),
        last_sample: None,
        occupancy: Some(5),
        status: "online".into(),
        failures: 0,
        last_error: None,
        status_since: None,
        updated_at: at(2026, 7, 1, 12, 1, 0),
    };
    store
        .save_sensor_state(venue.id, &state)
        .expect("first state");
    assert_eq!(take(), vec![SENSOR_STATE], "a new device state is shown");
    state.updated_at = at(2026, 7, 1, 12, 1, 15);
    state.last_sample = Some(serde_json::json!({"in": 7, "out": 2}));
    store
        .save_sensor_state(venue.id, &state)
        .expect("same state");
    assert_eq!(take(), Vec::<String>::new(), "only the poll time moved");
    let saved = store.sensor_states(venue.id).expect("states");
    assert_eq!(saved[0].updated_at, state.updated_at, "but it is saved");
    state.occupancy = Some(6);
    store
        .save_sensor_state(venue.id, &state)
        .expect("new occupancy");
    assert_eq!(take(), vec![SENSOR_STATE]);
    state.status = "offline".into();
    store.save_sensor_state(venue.id, &state).expect("offline");
    assert_eq!(take(), vec![SENSOR_STATE]);
}

#[test]
fn an_unannounced_reading_is_stored_change_logged_and_rolled_up_without_telling_the_screens() {
    let (_dir, mut store, venue, device) = setup();
    let heard = record_topics(&mut store);
    let take = || std::mem::take(&mut *heard.lock().expect("lock"));
    let changes_before = store.changes_since(0, 10_000).expect("changes").len();

    let quiet = reading(&venue, &device, at(2026, 7, 1, 12, 0, 30), 0, 0, 4);
    let summary = store
        .ingest_unannounced(Origin::Sensor, None, std::slice::from_ref(&quiet))
        .expect("quiet reading");
    assert_eq!(summary.inserted, 1);
    assert_eq!(take(), Vec::<String>::new(), "the screens are not told");
    let changes = store.changes_since(0, 10_000).expect("changes");
    assert_eq!(
        changes.len(),
        changes_before + 1,
        "the change log (and so sync) has it"
    );
    let buckets = store
        .traffic_series(
            venue.id,
            Resolution::QuarterHour,
            BucketBound::At(at(2026, 7, 1, 12, 0, 0)),
            BucketBound::At(at(2026, 7, 1, 12, 15, 0)),
        )
        .expect("series");
    assert_eq!(
        buckets.iter().map(|b| b.occupancy_last).collect::<Vec<_>>(),
        vec![Some(4)],
        "its rollup is written as for any reading"
    );

    // The listener is back for the next write.
    let busy = reading(&venue, &device, at(2026, 7, 1, 12, 1, 0), 2, 0, 6);
    store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&busy))
        .expect("busy reading");
    assert_eq!(take(), vec!["sensor_reading"]);
}
