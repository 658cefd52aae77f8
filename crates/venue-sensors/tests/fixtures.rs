//! Every shared sensors fixture parses into what the vendor means by it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{TimeZone, Utc};
use venue_sensors::{axis, axis3d, mqtt, xovis, SensorError};

fn fixture(name: &str) -> Vec<u8> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/sensors/"
    );
    std::fs::read(format!("{dir}{name}")).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

#[test]
fn axis_tvpc_live_sum() {
    // The device is in Stockholm: 11:27:56 local on 3 May 2017 is CEST (+02:00).
    let sample = axis::parse_live_sum(
        "door",
        &fixture("axis_tvpc_live-sum.json"),
        chrono_tz::Europe::Stockholm,
    )
    .expect("parses");
    assert_eq!(
        sample.at,
        Utc.with_ymd_and_hms(2017, 5, 3, 9, 27, 56).unwrap()
    );
    assert_eq!((sample.total_in, sample.total_out), (12, 318));
    assert_eq!(sample.occupancy, None);
}

#[test]
fn axis_a3dpc_occupancy() {
    let sample =
        axis3d::parse_occupancy("a3d", &fixture("axis_a3dpc_occupancy.json")).expect("parses");
    assert_eq!(
        sample.at,
        Utc.with_ymd_and_hms(2020, 12, 3, 15, 28, 5).unwrap()
    );
    assert_eq!((sample.total_in, sample.total_out), (100, 85));
    assert_eq!(sample.occupancy, Some(15));
}

#[test]
fn axis_a3dpc_export_hourly() {
    let buckets = axis3d::parse_export(
        "a3d",
        &fixture("axis_a3dpc_export_json_start-yesterday_end-today_resolution-hour.json"),
        chrono_tz::Europe::Stockholm,
    )
    .expect("parses");
    assert_eq!(buckets.len(), 1);
    // 2020-06-23 00:00 in Stockholm (CEST) is 22:00 UTC the day before.
    assert_eq!(
        buckets[0].start,
        Utc.with_ymd_and_hms(2020, 6, 22, 22, 0, 0).unwrap()
    );
    assert_eq!(
        buckets[0].end,
        Utc.with_ymd_and_hms(2020, 6, 22, 23, 0, 0).unwrap()
    );
    assert_eq!((buckets[0].entries, buckets[0].exits), (0, 0));
}

#[test]
fn axis_a3dpc_validation_error_is_surfaced() {
    let message = axis3d::describe_error(&fixture("axis_a3dpc_error_400_validation.json"))
        .expect("an error body");
    assert_eq!(message, "Validation failed (<field>: <reason>)");
}

#[test]
fn xovis_push_logics_data() {
    let batch = mqtt::parse_xovis_push("door-1", &fixture("xovis_v5_push_logics_data.json"), None)
        .expect("parses");
    assert_eq!(batch.device, "door-1");
    assert_eq!(batch.buckets.len(), 4);
    let first = batch.buckets[0];
    assert_eq!(first.start.timestamp_millis(), 1_645_792_860_000);
    assert_eq!(first.end.timestamp_millis(), 1_645_792_920_000);
    let entries: u32 = batch.buckets.iter().map(|b| b.entries).sum();
    let exits: u32 = batch.buckets.iter().map(|b| b.exits).sum();
    assert_eq!((entries, exits), (4, 1));
    assert_eq!(batch.occupancy, Some(0));
    assert_eq!(batch.at.timestamp_millis(), 1_645_793_100_000);

    // Naming the line logic gives the same; naming the zone logic (no fw/bw) is an error.
    let named = mqtt::parse_xovis_push(
        "door-1",
        &fixture("xovis_v5_push_logics_data.json"),
        Some(2),
    )
    .expect("logic 2");
    assert_eq!(named.buckets, batch.buckets);
    let zone = mqtt::parse_xovis_push(
        "door-1",
        &fixture("xovis_v5_push_logics_data.json"),
        Some(1),
    );
    assert!(zone.unwrap_err().to_string().contains("fw"));
    let missing = mqtt::parse_xovis_push(
        "door-1",
        &fixture("xovis_v5_push_logics_data.json"),
        Some(9),
    );
    assert!(missing.unwrap_err().to_string().contains("logic_id 9"));
}

/// The bodies written in the xovis module doc (what the simulator serves) parse.
#[test]
fn xovis_documented_bodies() {
    let live = br#"{
      "time": 1645793100000,
      "logics": [
        { "id": 1, "name": "Zone 0", "info": "XLT_4X_ZONE_COUNT",
          "counts": [ { "id": 1, "name": "balance", "value": 7 } ] },
        { "id": 2, "name": "Line 0", "info": "XLT_4X_LINE_IN_OUT_COUNT",
          "counts": [ { "id": 2, "name": "fw", "value": 120 },
                      { "id": 3, "name": "bw", "value": 113 } ] }
      ]
    }"#;
    let sample = xovis::parse_live("x", live, None).expect("live");
    assert_eq!(
        (sample.total_in, sample.total_out, sample.occupancy),
        (120, 113, Some(7))
    );
    assert_eq!(sample.at.timestamp_millis(), 1_645_793_100_000);

    let records = br#"{ "id": 2, "name": "Line 0", "info": "XLT_4X_LINE_IN_OUT_COUNT",
      "records": [
        { "from": 1645792860000, "to": 1645792920000,
          "counts": [ { "id": 2, "name": "fw", "value": 1 }, { "id": 3, "name": "bw", "value": 0 } ] },
        { "from": 1645792920000, "to": 1645792980000,
          "counts": [ { "id": 2, "name": "fw", "value": 3 }, { "id": 3, "name": "bw", "value": 1 } ] }
      ] }"#;
    let logic: serde_json::Value = serde_json::from_slice(records).expect("json");
    let buckets = xovis::parse_records("x", &logic).expect("records");
    assert_eq!(buckets.len(), 2);
    assert_eq!((buckets[1].entries, buckets[1].exits), (3, 1));
    assert_eq!(
        xovis::describe_error(br#"{"message": "logic 9 not found"}"#).as_deref(),
        Some("logic 9 not found")
    );
}

#[test]
fn malformed_answers_name_the_field() {
    let err = axis::parse_live_sum(
        "door",
        br#"{"timestamp":"20170503112756","in":-1,"out":3}"#,
        chrono_tz::UTC,
    )
    .unwrap_err();
    assert!(
        matches!(&err, SensorError::Malformed { detail, .. } if detail.contains("\"in\"")),
        "{err}"
    );
    let err = axis3d::parse_occupancy(
        "a3d",
        br#"{"timestamp":"yesterday","total_in":1,"total_out":1,"occupancy":0}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("timestamp"), "{err}");
    let err = axis3d::parse_occupancy(
        "a3d",
        br#"{"timestamp":"2020-12-03T16:28:05+01:00","total_in":1,"occupancy":0}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("total_out"), "{err}");
    let err = xovis::parse_live(
        "x",
        br#"{"time":1,"logics":[{"id":2,"info":"LINE","counts":[{"name":"fw","value":1}]}]}"#,
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("\"bw\""), "{err}");
    let err = axis::parse_live_sum("door", b"<html>", chrono_tz::UTC).unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
}
