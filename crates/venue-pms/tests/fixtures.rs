//! The Mews fixtures (examples from the Connector API documentation) read with our models and
//! normalised into the store's types.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{TimeZone, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;
use venue_domain::{vendor_row_id, EntityKind, ReservationState};
use venue_pms::normalize::{self, MewsContext};
use venue_pms::{
    parse_records, parse_socket_message, AddOrderRequest, AddOrderResponse, Limitation, MewsEvent,
    MewsPage, MewsReservation, MewsResource, TimeInterval,
};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/mews/",
            $name
        ))
    };
}

fn body(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).expect("a JSON object")
}

fn ctx() -> MewsContext {
    MewsContext {
        venue_id: Uuid::from_u128(0x1234),
        source: "mews".into(),
    }
}

fn reservations() -> Vec<MewsReservation> {
    let page = MewsPage::from_body(
        body(fixture!("reservations_getAll_2023-06-06_response.json")),
        "Reservations",
    )
    .expect("page");
    assert_eq!(
        page.cursor.as_deref(),
        Some("0f515589-99b4-423d-b83a-b237009f0509")
    );
    parse_records(page.records)
}

#[test]
fn the_fixture_reservation_normalises_field_by_field() {
    let records = reservations();
    assert_eq!(records.len(), 1);
    let raw = &records[0];
    assert_eq!(raw.unreadable, None);
    let r = normalize::reservation(&ctx(), raw).expect("valid");
    let id = "0f515589-99b4-423d-b83a-b237009f0509";
    assert_eq!(
        r.id,
        vendor_row_id(ctx().venue_id, EntityKind::Reservation, "mews", id)
    );
    assert_eq!((r.external_id.as_str(), r.source.as_str()), (id, "mews"));
    assert_eq!(r.number.as_deref(), Some("52"));
    assert_eq!(r.state, ReservationState::Confirmed);
    assert_eq!(r.person_count, 4);
    let t = |d, h| {
        Utc.with_ymd_and_hms(2023, 4, d, h, 0, 0)
            .single()
            .expect("time")
    };
    assert_eq!((r.start_utc, r.end_utc), (t(23, 14), t(25, 12)));
    assert_eq!(r.updated_at_source, Some(t(22, 17)));
    assert_eq!(
        r.customer_id,
        Some(vendor_row_id(
            ctx().venue_id,
            EntityKind::Customer,
            "mews",
            "fadd5bb6-b428-45d5-94f8-fd0d89fece6d"
        ))
    );
    assert_eq!(
        r.resource_id,
        Some(vendor_row_id(
            ctx().venue_id,
            EntityKind::Resource,
            "mews",
            "20e00c32-d561-4008-8609-82d8aa525714"
        ))
    );
}

#[test]
fn the_fixture_resources_normalise_with_kind_floor_and_state() {
    let page = MewsPage::from_body(
        body(fixture!("resources_getAll_response.json")),
        "Resources",
    )
    .expect("page");
    let resources: Vec<MewsResource> = parse_records(page.records);
    let rows: Vec<_> = resources
        .iter()
        .map(|r| normalize::resource(&ctx(), r).expect("valid"))
        .collect();
    assert_eq!(rows.len(), 3);
    let room = &rows[0];
    assert_eq!(
        room.id,
        vendor_row_id(
            ctx().venue_id,
            EntityKind::Resource,
            "mews",
            "20e00c32-d561-4008-8609-82d8aa525714"
        )
    );
    assert_eq!((room.name.as_str(), room.kind.as_str()), ("101", "Space"));
    assert_eq!(
        (room.floor.as_deref(), room.state.as_deref()),
        (Some("1"), Some("Clean"))
    );
    let bed = &rows[1];
    assert_eq!((bed.kind.as_str(), bed.floor.as_deref()), ("Object", None));
    assert_eq!(bed.state.as_deref(), Some("Inspected"));
    assert_eq!(rows[2].floor.as_deref(), Some("5"));
    // The reservation's room reference points at the resource's row without a lookup.
    let stay = normalize::reservation(&ctx(), &reservations()[0]).expect("valid");
    assert_eq!(stay.resource_id, Some(room.id));
}

#[test]
fn request_fixtures_read_as_our_request_types() {
    let add: AddOrderRequest =
        serde_json::from_str(fixture!("orders_add_request.json")).expect("orders/add request");
    assert_eq!(
        add.linked_reservation_id.as_deref(),
        Some("0f515589-99b4-423d-b83a-b237009f0509")
    );
    assert_eq!(add.items.len(), 1);
    assert_eq!(
        add.items[0].external_identifier.as_deref(),
        Some("EXT-ITEM-001")
    );
    assert_eq!(add.items[0].unit_amount.currency, "USD");
    assert_eq!(add.items[0].unit_amount.tax_codes, vec!["US-DC-G"]);
    let response: AddOrderResponse =
        serde_json::from_str(fixture!("orders_add_response.json")).expect("response");
    assert_eq!(
        response.order_id.as_deref(),
        Some("cdfd5caa-2868-411b-ba95-322e70035f1a")
    );

    let paged = body(fixture!("pagination_request.json"));
    let limitation: Limitation =
        serde_json::from_value(paged["Limitation"].clone()).expect("limitation");
    assert_eq!(limitation.count, 10);
    assert_eq!(
        limitation.cursor.as_deref(),
        Some("e7f26210-10e7-462e-9da8-ae8300be8ab7")
    );
    let page =
        MewsPage::from_body(body(fixture!("pagination_response.json")), "Data").expect("page");
    assert_eq!(page.records.len(), 1);
    assert_eq!(
        page.cursor.as_deref(),
        Some("7f9325f6-ef44-4911-89a8-ae51010a5aa4")
    );

    let interval: TimeInterval =
        serde_json::from_str(fixture!("time_interval.json")).expect("interval");
    assert!(interval.start_utc < interval.end_utc);
    let reservations = body(fixture!("reservations_getAll_2023-06-06_request.json"));
    let _: TimeInterval =
        serde_json::from_value(reservations["UpdatedUtc"].clone()).expect("UpdatedUtc");
    let resources = body(fixture!("resources_getAll_request.json"));
    assert_eq!(resources["Extent"]["Resources"], Value::Bool(true));
    let common = body(fixture!("common_request_body.json"));
    for key in ["ClientToken", "AccessToken", "Client"] {
        assert!(common[key].is_string(), "{key}");
    }
}

#[test]
fn websocket_fixtures_parse_into_events() {
    let events = parse_socket_message(fixture!("websocket_message.json")).expect("message");
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[0],
        MewsEvent::DeviceCommand {
            id: "2391a3df-1c61-4131-b6f8-c85b4234adcb".into()
        }
    );
    assert_eq!(
        events[1],
        MewsEvent::Reservation {
            id: "bfee2c44-1f84-4326-a862-5289598f6e2d".into(),
            state: Some("Processed".into()),
            start_utc: Utc.with_ymd_and_hms(2016, 2, 20, 13, 0, 0).single(),
            end_utc: Utc.with_ymd_and_hms(2016, 2, 22, 11, 0, 0).single(),
        }
    );
    assert_eq!(
        events[2],
        MewsEvent::Resource {
            id: "5ee074b1-6c86-48e8-915f-c7aa4702086f".into(),
            state: Some("Dirty".into())
        }
    );
    assert_eq!(
        events[3],
        MewsEvent::PriceUpdate {
            id: "bd75f159-f22a-4685-abdb-aac0008e2af3".into()
        }
    );
    for (single, kind) in [
        (fixture!("websocket_event_reservation.json"), "Reservation"),
        (fixture!("websocket_event_resource.json"), "Resource"),
    ] {
        let wrapped = format!("{{\"Events\":[{single}]}}");
        let events = parse_socket_message(&wrapped).expect("event");
        assert_eq!(events[0].kind(), kind);
    }
}

#[test]
fn unknown_fields_and_states_are_tolerated() {
    let mut raw: Value =
        serde_json::from_str(fixture!("reservations_getAll_2023-06-06_response.json"))
            .expect("json");
    let record = &mut raw["Reservations"][0];
    record["SomethingNew"] = serde_json::json!({"Nested": [1, 2]});
    record["PersonCounts"] = Value::Null;
    record["CancellationReason"] = "SomethingElse".into();
    for (state, expected) in [
        ("Enquired", ReservationState::Inquired),
        ("Inquired", ReservationState::Inquired),
        ("Waitlisted", ReservationState::Other("Waitlisted".into())),
    ] {
        record["State"] = state.into();
        let parsed: Vec<MewsReservation> = parse_records(vec![record.clone()]);
        let r = normalize::reservation(&ctx(), &parsed[0]).expect("valid");
        assert_eq!(r.state, expected);
        assert_eq!(r.person_count, 0);
    }
}

#[test]
fn an_unreadable_record_is_skipped_with_its_id_and_reason_not_the_page() {
    let mut raw: Value =
        serde_json::from_str(fixture!("reservations_getAll_2023-06-06_response.json"))
            .expect("json");
    let good = raw["Reservations"][0].clone();
    let mut bad = good.clone();
    bad["Id"] = "broken-1".into();
    bad["StartUtc"] = "the 23rd".into();
    raw["Reservations"] = Value::Array(vec![bad, good]);
    let page = MewsPage::from_body(serde_json::from_value(raw).expect("object"), "Reservations")
        .expect("page");
    let records: Vec<MewsReservation> = parse_records(page.records);
    let results: Vec<_> = records
        .iter()
        .map(|r| normalize::reservation(&ctx(), r))
        .collect();
    let err = results[0].as_ref().unwrap_err().to_string();
    assert!(
        err.contains("broken-1") && err.contains("StartUtc"),
        "{err}"
    );
    assert!(results[1].is_ok());
}

#[test]
fn a_page_that_is_not_a_page_is_named() {
    let err = MewsPage::from_body(body(r#"{"Reservations": {"a": 1}}"#), "Reservations")
        .unwrap_err()
        .to_string();
    assert!(err.contains("Reservations"), "{err}");
    let err = MewsPage::from_body(body(r#"{"Reservations": [], "Cursor": 5}"#), "Reservations")
        .unwrap_err()
        .to_string();
    assert!(err.contains("Cursor"), "{err}");
    let empty = MewsPage::from_body(
        body(r#"{"Reservations": null, "Cursor": null}"#),
        "Reservations",
    )
    .expect("an empty page");
    assert!(empty.records.is_empty() && empty.cursor.is_none());
}
