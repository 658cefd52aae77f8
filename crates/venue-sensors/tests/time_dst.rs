//! Device-local times across DST changes, both ways, on both sides of the Atlantic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Europe::London;
use venue_sensors::time::{axis_compact_local, epoch_ms, iso_with_offset, local_naive};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

#[test]
fn london_autumn_ambiguous_takes_the_earlier_instant() {
    // 2024-10-27 01:30 happens twice in London (BST then GMT): the first is 00:30 UTC.
    assert_eq!(
        axis_compact_local("20241027013000", London),
        Ok(utc(2024, 10, 27, 0, 30, 0))
    );
    assert_eq!(
        local_naive("2024-10-27 01:30:00", London),
        Ok(utc(2024, 10, 27, 0, 30, 0))
    );
    // Either side of the repeated hour is unambiguous.
    assert_eq!(
        axis_compact_local("20241027005959", London),
        Ok(utc(2024, 10, 26, 23, 59, 59))
    );
    assert_eq!(
        axis_compact_local("20241027020000", London),
        Ok(utc(2024, 10, 27, 2, 0, 0))
    );
}

#[test]
fn london_spring_gap_moves_forward_to_the_first_valid_instant() {
    // 2024-03-31 01:00–02:00 does not exist in London; clocks went to 02:00 BST = 01:00 UTC.
    assert_eq!(
        axis_compact_local("20240331013000", London),
        Ok(utc(2024, 3, 31, 1, 0, 0))
    );
    assert_eq!(
        axis_compact_local("20240331010000", London),
        Ok(utc(2024, 3, 31, 1, 0, 0))
    );
    assert_eq!(
        local_naive("2024-03-31 01:59:59", London),
        Ok(utc(2024, 3, 31, 1, 0, 0))
    );
    assert_eq!(
        axis_compact_local("20240331005959", London),
        Ok(utc(2024, 3, 31, 0, 59, 59))
    );
}

#[test]
fn new_york_autumn_ambiguous_takes_the_earlier_instant() {
    // 2024-11-03 01:30 happens twice in New York (EDT -4 then EST -5): the first is 05:30 UTC.
    assert_eq!(
        axis_compact_local("20241103013000", New_York),
        Ok(utc(2024, 11, 3, 5, 30, 0))
    );
    assert_eq!(
        local_naive("2024-11-03 01:00:00", New_York),
        Ok(utc(2024, 11, 3, 5, 0, 0))
    );
}

#[test]
fn new_york_spring_gap_moves_forward_to_the_first_valid_instant() {
    // 2024-03-10 02:00–03:00 does not exist in New York; 03:00 EDT = 07:00 UTC.
    assert_eq!(
        axis_compact_local("20240310023000", New_York),
        Ok(utc(2024, 3, 10, 7, 0, 0))
    );
    assert_eq!(
        local_naive("2024-03-10 02:00:00", New_York),
        Ok(utc(2024, 3, 10, 7, 0, 0))
    );
    assert_eq!(
        axis_compact_local("20240310030000", New_York),
        Ok(utc(2024, 3, 10, 7, 0, 0))
    );
}

#[test]
fn a3dpc_export_repeated_hour_keeps_buckets_apart() {
    // The autumn export lists 01:00–02:00 twice; the second is the GMT hour.
    let body = br#"{"data":[
      {"start":"2024-10-27 00:00:00","end":"2024-10-27 01:00:00","in":1,"out":0},
      {"start":"2024-10-27 01:00:00","end":"2024-10-27 02:00:00","in":2,"out":0},
      {"start":"2024-10-27 01:00:00","end":"2024-10-27 02:00:00","in":3,"out":0},
      {"start":"2024-10-27 02:00:00","end":"2024-10-27 03:00:00","in":4,"out":0}]}"#;
    let buckets = venue_sensors::axis3d::parse_export("a3d", body, London).expect("parses");
    let starts: Vec<_> = buckets.iter().map(|b| b.start).collect();
    assert_eq!(
        starts,
        vec![
            utc(2024, 10, 26, 23, 0, 0),
            utc(2024, 10, 27, 0, 0, 0),
            utc(2024, 10, 27, 1, 0, 0),
            utc(2024, 10, 27, 2, 0, 0)
        ]
    );
    assert!(buckets.iter().all(|b| b.end > b.start));
}

#[test]
fn other_formats() {
    assert_eq!(
        iso_with_offset("2020-12-03T16:28:05+01:00"),
        Ok(utc(2020, 12, 3, 15, 28, 5))
    );
    assert_eq!(
        iso_with_offset("2020-12-03T15:28:05Z"),
        Ok(utc(2020, 12, 3, 15, 28, 5))
    );
    assert!(iso_with_offset("2020-12-03 16:28:05").is_err());
    assert_eq!(epoch_ms(1_645_792_860_000), Ok(utc(2022, 2, 25, 12, 41, 0)));
    assert!(epoch_ms(i64::MAX).is_err());
    assert!(axis_compact_local("2017050311275", London).is_err());
    assert!(axis_compact_local("+2017050311275", London).is_err());
    assert!(axis_compact_local("20171303112756", London).is_err());
}
