//! Every history parser refuses a period that ends before, or where, it starts (found by
//! fuzzing the AXIS 3D export: such a period was accepted and would be rolled up into the
//! wrong slots, and the gap-fill that takes whole periods could count it twice).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use venue_sensors::{axis, axis3d, xovis, SensorError};

const TZ: chrono_tz::Tz = chrono_tz::Europe::London;

/// (start, end) as local text, and whether the period is sound.
const PERIODS: &[(&str, &str, bool)] = &[
    ("2021-06-23 00:00:00", "2021-06-23 01:00:00", true),
    ("2021-06-23 00:00:00", "2020-06-23 01:00:00", false),
    ("2021-06-23 01:00:00", "2021-06-23 00:59:59", false),
    ("2021-06-23 01:00:00", "2021-06-23 01:00:00", false),
];

fn epoch_ms(local: &str) -> i64 {
    use chrono::TimeZone;
    let naive = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").expect("time");
    TZ.from_local_datetime(&naive)
        .single()
        .expect("unambiguous")
        .timestamp_millis()
}

fn check(parser: &str, start: &str, end: &str, sound: bool, result: Result<usize, SensorError>) {
    match (sound, result) {
        (true, Ok(1)) => {}
        (false, Err(SensorError::Malformed { detail, .. })) => assert!(
            detail.contains("ends") && detail.contains("before it starts"),
            "{parser}: {detail}"
        ),
        (_, other) => panic!("{parser} on {start} → {end}: {other:?}"),
    }
}

#[test]
fn every_history_parser_refuses_a_period_that_ends_before_it_starts() {
    for (start, end, sound) in PERIODS {
        let body = format!(r#"{{"data":[{{"start":"{start}","end":"{end}","in":3,"out":1}}]}}"#);
        let parsed = axis3d::parse_export("d", body.as_bytes(), TZ).map(|b| b.len());
        check("AXIS 3D export", start, end, *sound, parsed);

        let csv = format!("Interval start,Interval stop,People in,People out\n{start},{end},3,1\n");
        let parsed = axis::parse_export_csv("d", csv.as_bytes(), TZ).map(|b| b.len());
        check("AXIS export-csv", start, end, *sound, parsed);

        let logic = serde_json::json!({"records": [{
            "from": epoch_ms(start), "to": epoch_ms(end), "counts": [
                {"name": "fw", "value": 3}, {"name": "bw", "value": 1}
            ]
        }]});
        let parsed = xovis::parse_records("d", &logic).map(|b| b.len());
        check("Xovis records", start, end, *sound, parsed);
    }
}
