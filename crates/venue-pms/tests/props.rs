//! Arbitrary input never panics the parsers, and their errors say what was wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use proptest::prelude::*;
use serde_json::{json, Value};
use venue_pms::normalize::{self, MewsContext};
use venue_pms::{
    error_message, parse_records, parse_socket_frame, parse_socket_message, MewsCustomer,
    MewsEvent, MewsOrderItem, MewsPage, MewsReservation, MewsResource, MewsService,
};

fn ctx() -> MewsContext {
    MewsContext {
        venue_id: uuid::Uuid::nil(),
        source: "mews".into(),
    }
}

/// Arbitrary JSON, a few levels deep, biased towards the keys Mews uses.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("Id".to_string()),
        Just("Type".to_string()),
        Just("State".to_string()),
        Just("Events".to_string()),
        Just("StartUtc".to_string()),
        Just("EndUtc".to_string()),
        Just("PersonCounts".to_string()),
        Just("Count".to_string()),
        Just("Data".to_string()),
        "[A-Za-z]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,24}".prop_map(Value::String),
        Just(json!("2023-04-23T14:00:00Z")),
        Just(json!("Reservation")),
        Just(json!("Resource")),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn socket_text_never_panics_and_errors_name_the_frame(text in "\\PC{0,200}") {
        if let Err(e) = parse_socket_message(&text) {
            prop_assert!(e.to_string().starts_with("mews websocket frame: "), "{}", e);
        }
        let _ = parse_socket_frame(&text);
        let _ = error_message(&text);
    }

    #[test]
    fn socket_json_never_panics_and_every_bad_event_is_named(value in json_value()) {
        let text = value.to_string();
        let wrapped = json!({"Events": [value.clone(), value]}).to_string();
        for text in [text, wrapped] {
            match parse_socket_frame(&text) {
                Ok(frame) => {
                    for reason in &frame.rejected {
                        prop_assert!(reason.starts_with("event "), "{}", reason);
                    }
                    for event in &frame.events {
                        match event {
                            MewsEvent::Unknown { kind } => prop_assert!(!kind.is_empty()),
                            MewsEvent::Reservation { id, .. }
                            | MewsEvent::Resource { id, .. }
                            | MewsEvent::DeviceCommand { id }
                            | MewsEvent::PriceUpdate { id } => prop_assert!(!id.is_empty()),
                        }
                    }
                    let strict = parse_socket_message(&text);
                    prop_assert_eq!(strict.is_ok(), frame.rejected.is_empty());
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn records_never_panic_and_unreadable_ones_say_why(value in json_value()) {
        let values = vec![value.clone(), value.clone()];
        let reservations: Vec<MewsReservation> = parse_records(values.clone());
        for r in &reservations {
            if let Some(reason) = &r.unreadable {
                prop_assert!(reason.starts_with("mews reservation unreadable: "), "{}", reason);
            }
            if let Err(e) = normalize::reservation(&ctx(), r) {
                prop_assert!(e.to_string().starts_with("mews "), "{}", e);
            }
        }
        for c in parse_records::<MewsCustomer>(values.clone()) {
            let _ = normalize::customer(&ctx(), &c);
        }
        for r in parse_records::<MewsResource>(values.clone()) {
            let _ = normalize::resource(&ctx(), &r);
        }
        for s in parse_records::<MewsService>(values.clone()) {
            let _ = normalize::service(&ctx(), &s);
        }
        let _ = parse_records::<MewsOrderItem>(values);
        if let Value::Object(map) = value {
            let _ = MewsPage::from_body(map, "Reservations");
        }
    }
}
