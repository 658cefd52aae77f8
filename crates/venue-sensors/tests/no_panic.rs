//! No parser panics on whatever a device (or anyone on the network) sends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use proptest::prelude::*;
use serde_json::{json, Value};
use venue_sensors::{axis, axis3d, mqtt, time, xovis};

fn all_parsers(bytes: &[u8]) {
    let tz = chrono_tz::Europe::London;
    let _ = axis::parse_live_sum("d", bytes, tz);
    let _ = axis3d::parse_occupancy("d", bytes);
    let _ = axis3d::parse_export("d", bytes, tz);
    let _ = axis3d::describe_error(bytes);
    let _ = xovis::parse_live("d", bytes, None);
    let _ = xovis::parse_live("d", bytes, Some(2));
    let _ = xovis::describe_error(bytes);
    let _ = mqtt::parse_xovis_push("d", bytes, None);
    let _ = mqtt::parse_xovis_push("d", bytes, Some(1));
    if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        let _ = xovis::parse_records("d", &value);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = time::axis_compact_local(text, tz);
        let _ = time::iso_with_offset(text);
        let _ = time::local_naive(text, chrono_tz::America::New_York);
    }
}

/// Any JSON value, a few levels deep, biased to the devices' field names.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[0-9: T+-]{0,25}".prop_map(Value::from),
        Just(json!("20241027013000")),
        Just(json!("2024-03-31 01:30:00")),
        Just(json!("2020-12-03T16:28:05+01:00")),
        prop_oneof![Just("fw"), Just("bw"), Just("balance"), Just("LINE")].prop_map(Value::from),
    ];
    let key = prop_oneof![
        Just("timestamp"),
        Just("in"),
        Just("out"),
        Just("total_in"),
        Just("total_out"),
        Just("occupancy"),
        Just("data"),
        Just("start"),
        Just("end"),
        Just("error"),
        Just("message"),
        Just("field"),
        Just("reason"),
        Just("time"),
        Just("logics"),
        Just("logics_data"),
        Just("id"),
        Just("info"),
        Just("counts"),
        Just("records"),
        Just("from"),
        Just("to"),
        Just("name"),
        Just("value"),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(&bytes);
    }

    #[test]
    fn arbitrary_json_shapes(value in json_value()) {
        all_parsers(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn arbitrary_epoch(ms in any::<i64>()) {
        let _ = time::epoch_ms(ms);
    }

    #[test]
    fn any_compact_digits(text in "[0-9]{14}") {
        let _ = time::axis_compact_local(&text, chrono_tz::Pacific::Apia);
    }
}
