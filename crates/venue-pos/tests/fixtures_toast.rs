//! Toast: every documented example in shared/fixtures/toast parses, and normalises to the
//! amounts read off the fixture by hand. Variants are edited copies made in memory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use uuid::Uuid;
use venue_domain::{Currency, TransactionStatus};
use venue_pos::toast::{
    format_toast_time, order_to_transaction, parse_toast_time, ApprovalStatus, CheckPaymentStatus,
    Decimal, ErrorMessage, LoginRequest, LoginResponse, Order, PaymentStatus, PaymentType,
    RestaurantInfo, ToastContext, ToastError, MACHINE_CLIENT,
};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/toast"
);

const KNOWN: &[&str] = &[
    "toast_error_message.json",
    "toast_login_request.json",
    "toast_login_response.json",
    "toast_orders_bulk_response.json",
];

const ORDER_GUID: &str = "5274c0f8-bf61-4e37-ad04-cf4ca1326822";

fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let bytes = std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture file is readable");
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} parses: {e}"))
}

fn usd() -> Currency {
    "USD".parse().expect("USD")
}

fn ctx() -> ToastContext {
    ToastContext {
        venue_id: Uuid::from_u128(0x7057),
        source: "toast-main".into(),
        currency: usd(),
        restaurant_guid: Some("restaurant-guid-1".into()),
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    parse_toast_time(text).expect("test timestamp")
}

/// The fixture's only order, as JSON to edit.
fn order_json() -> Value {
    let orders: Vec<Value> = fixture("toast_orders_bulk_response.json");
    orders.into_iter().next().expect("one order")
}

fn order(value: Value) -> Order {
    serde_json::from_value(value).expect("order parses")
}

// ---------------------------------------------------------------------------------------------
// Every fixture

#[test]
fn every_fixture_file_is_known_and_parses() {
    let mut names: Vec<String> = std::fs::read_dir(FIXTURES)
        .expect("fixture dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, KNOWN, "a new fixture needs a test here");

    let _: ErrorMessage = fixture("toast_error_message.json");
    let _: LoginRequest = fixture("toast_login_request.json");
    let _: LoginResponse = fixture("toast_login_response.json");
    let _: Vec<Order> = fixture("toast_orders_bulk_response.json");
}

// ---------------------------------------------------------------------------------------------
// The restaurant's name

/// `RestaurantInfo` as the restaurants API documents it (there is no fixture of it): only
/// `general` names the restaurant, and every field may be missing.
#[test]
fn a_restaurant_is_named_by_its_general_name_and_location_name() {
    let info = |general: Value| -> RestaurantInfo {
        serde_json::from_value(json!({
            "guid": "e728cd53-2fa7-4e63-8f8f-93e78ea66b03",
            "general": general,
            "urls": { "website": "https://example.com" },
            "location": { "address1": "1 Main St", "latitude": 42.36, "longitude": -71.14 },
            "schedules": { "daySchedules": {}, "weekSchedule": { "monday": null } },
            "onlineOrdering": { "enabled": true, "paymentOptions": { "ccTip": true } },
        }))
        .expect("parses")
    };
    let named = |general: Value| info(general).display_name();
    assert_eq!(
        named(
            json!({ "name": "Tommy's Burgers", "locationName": "Back Bay", "closeoutHour": 4, "archived": false })
        ),
        Some("Tommy's Burgers (Back Bay)".to_string())
    );
    assert_eq!(
        named(json!({ "name": "Harbour Grill", "locationName": "" })),
        Some("Harbour Grill".to_string())
    );
    assert_eq!(
        named(json!({ "name": "Harbour Grill", "locationName": "Harbour Grill" })),
        Some("Harbour Grill".to_string())
    );
    assert_eq!(
        named(json!({ "name": " ", "locationName": "Back Bay" })),
        Some("Back Bay".to_string())
    );
    assert_eq!(named(json!({ "name": null })), None);
    assert_eq!(named(Value::Null), None);
    let bare: RestaurantInfo = serde_json::from_value(json!({})).expect("parses");
    assert_eq!(bare.display_name(), None);
}

// ---------------------------------------------------------------------------------------------
// Authentication and errors

#[test]
fn login_request_round_trips_and_hides_the_secret() {
    let req: LoginRequest = fixture("toast_login_request.json");
    assert_eq!(req.client_id, "VKuhk4NaLedOcjZpJM8grvdrsFi3MlcM");
    assert_eq!(req.user_access_type, MACHINE_CLIENT);
    let built = LoginRequest::machine_client(&req.client_id, &req.client_secret);
    assert_eq!(built, req);
    let as_json: Value = fixture("toast_login_request.json");
    assert_eq!(serde_json::to_value(&built).expect("serialises"), as_json);
    let debug = format!("{built:?}");
    assert!(!debug.contains(&req.client_secret), "{debug}");
    assert!(debug.contains("redacted"));
}

#[test]
fn login_response_gives_the_token_and_its_lifetime() {
    let resp: LoginResponse = fixture("toast_login_response.json");
    assert_eq!(resp.status.as_deref(), Some("SUCCESS"));
    let token = resp.access_token().expect("access token");
    assert!(token.starts_with("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."));
    assert!(token.ends_with("GuWy4xOctS5WZOuIe5FaA"));
    assert_eq!(
        resp.expires_in().expect("expiresIn"),
        chrono::Duration::seconds(19168)
    );
    let auth = resp.token.as_ref().expect("token");
    assert_eq!(auth.token_type.as_deref(), Some("Bearer"));
    assert_eq!(auth.refresh_token, None);
    let issued = utc("2024-01-01T00:00:00.000+0000");
    assert_eq!(
        auth.expires_at(issued),
        Some(utc("2024-01-01T05:19:28.000+0000"))
    );
    let debug = format!("{resp:?}");
    assert!(!debug.contains(token), "the token must not reach logs");

    let empty: LoginResponse =
        serde_json::from_value(json!({"token": {"accessToken": null}})).expect("parses");
    let err = empty.access_token().expect_err("no token");
    assert!(err.to_string().contains("token.accessToken"), "{err}");
    assert!(empty
        .expires_in()
        .expect_err("no lifetime")
        .to_string()
        .contains("token.expiresIn"));
}

#[test]
fn error_message_parses_with_the_message() {
    let body: ErrorMessage = fixture("toast_error_message.json");
    assert_eq!(body.status, Some(400));
    assert_eq!(body.code, Some(10025));
    assert_eq!(
        body.message.as_deref(),
        Some("Payment amount cannot be empty")
    );
    assert_eq!(
        body.request_id.as_deref(),
        Some("2ea769e2-7fcb-4148-ba75-8de77a248h21")
    );
    assert!(body.errors.is_empty());
    assert_eq!(body.can_retry, None);
    assert_eq!(body.message(), "Payment amount cannot be empty");
    let err = ToastError::from(body);
    assert!(matches!(
        err,
        ToastError::Api {
            status: Some(400),
            code: Some(10025),
            ..
        }
    ));
    let text = err.to_string();
    assert!(text.contains("Payment amount cannot be empty"), "{text}");
    assert!(text.contains("400") && text.contains("10025"), "{text}");

    let nested: ErrorMessage = serde_json::from_value(json!({
        "status": 400, "message": null, "fieldName": "checks", "errors": [
            {"message": "first problem"}, {"developerMessage": "second problem"}
        ], "canRetry": "NO"
    }))
    .expect("parses");
    assert_eq!(nested.message(), "checks: first problem; second problem");
    assert_eq!(nested.can_retry, Some(json!("NO")));
}

// ---------------------------------------------------------------------------------------------
// Orders: the fixture as documented

#[test]
fn the_fixture_order_parses_field_by_field() {
    let orders: Vec<Order> = fixture("toast_orders_bulk_response.json");
    assert_eq!(orders.len(), 1);
    let o = &orders[0];
    assert_eq!(o.guid.as_deref(), Some(ORDER_GUID));
    assert_eq!(o.business_date, Some(20200302));
    assert_eq!(o.business_date(), NaiveDate::from_ymd_opt(2020, 3, 2));
    assert_eq!(o.voided, Some(false));
    assert_eq!(o.deleted, Some(false));
    assert_eq!(o.paid_date, None);
    assert_eq!(o.closed_date, None);
    assert_eq!(o.deleted_date, None);
    assert_eq!(o.source.as_deref(), Some("API"));
    assert_eq!(o.approval_status, Some(ApprovalStatus::Future));
    assert_eq!(o.number_of_guests, Some(1));
    assert_eq!(o.checks.len(), 1);
    let check = &o.checks[0];
    assert_eq!(check.payment_status, Some(CheckPaymentStatus::Open));
    assert_eq!(check.amount.as_ref().map(Decimal::as_str), Some("111"));
    assert_eq!(check.total_amount, Some(Decimal::exact("111")));
    assert_eq!(
        check.tax_amount.as_ref().map(|d| d.to_minor(usd())),
        Some(Ok(0))
    );
    assert!(check.payments.is_empty());
    assert!(check.applied_discounts.is_empty());
    assert_eq!(check.selections.len(), 1);
    let sel = &check.selections[0];
    assert_eq!(sel.display_name.as_deref(), Some("Rejected"));
    assert_eq!(
        sel.price.as_ref().map(|d| d.to_minor(usd())),
        Some(Ok(11100))
    );
    assert_eq!(
        sel.quantity.as_ref().map(|d| d.to_minor(usd())),
        Some(Ok(100))
    );
}

#[test]
fn the_fixture_order_normalises() {
    let orders: Vec<Order> = fixture("toast_orders_bulk_response.json");
    let tx = order_to_transaction(&orders[0], &ctx()).expect("normalises");
    assert_eq!(tx.external_id, ORDER_GUID);
    assert_eq!(tx.venue_id, ctx().venue_id);
    assert_eq!(tx.source, "toast-main");
    assert_eq!(tx.location_id.as_deref(), Some("restaurant-guid-1"));
    assert_eq!(tx.currency, usd());
    // One open, unpaid check: totalAmount 111 (dollars), no tax, tips, discounts or refunds.
    assert_eq!(tx.status, TransactionStatus::Open);
    assert_eq!(
        (
            tx.total_minor,
            tx.tax_minor,
            tx.tip_minor,
            tx.discount_minor,
            tx.refunded_minor
        ),
        (11100, 0, 0, 0, 0)
    );
    // No closedDate or paidDate: closed_at falls back to modifiedDate.
    assert_eq!(tx.closed_at, utc("2020-03-02T19:17:02.612+0000"));
    assert_eq!(tx.opened_at, Some(utc("2020-03-02T19:17:02.552+0000")));
}

// ---------------------------------------------------------------------------------------------
// Orders: edited copies

/// The fixture order, paid and closed, with tips, refunds, discounts and checks that must not
/// count. Expected by hand:
/// - counted check: totalAmount 21.05 → 2105; taxAmount 1.06 → 106
/// - discounts: check 0.1 + 0.2 (30, exactly) + item 2.5 (250) + modifier 0.75 (75) = 355
/// - tips: captured 3.17 + cash 0.3 = 347 (the voided payment's 9.99 does not count)
/// - refunds: 5.25 + tip 1.00 = 625
/// - total: 2105 + 347 = 2452
fn paid_order_json() -> Value {
    let mut v = order_json();
    v["paidDate"] = json!("2020-03-02T20:00:00.000+0000");
    v["closedDate"] = json!("2020-03-02T20:01:15.123+0000");
    v["modifiedDate"] = json!("2020-03-02T20:01:15.200+0000");
    let mut check = v["checks"][0].clone();
    check["paymentStatus"] = json!("CLOSED");
    check["amount"] = json!(19.99);
    check["taxAmount"] = json!(1.06);
    check["totalAmount"] = json!(21.05);
    check["appliedDiscounts"] = json!([
        {"guid": "d1", "name": "ten cents", "discountAmount": 0.1},
        {"guid": "d2", "name": "twenty cents", "discountAmount": 0.2}
    ]);
    check["selections"][0]["appliedDiscounts"] = json!([{"discountAmount": 2.5}]);
    check["selections"][0]["modifiers"] = json!([
        {"guid": "m1", "appliedDiscounts": [{"discountAmount": 0.75}], "modifiers": null}
    ]);
    // A voided selection's discount does not count while the order is live.
    let mut voided_sel = check["selections"][0].clone();
    voided_sel["voided"] = json!(true);
    voided_sel["appliedDiscounts"] = json!([{"discountAmount": 40}]);
    voided_sel["modifiers"] = json!([]);
    check["selections"]
        .as_array_mut()
        .expect("selections")
        .push(voided_sel);
    check["payments"] = json!([
        {"guid": "p1", "type": "CREDIT", "amount": 21.05, "tipAmount": 3.17,
         "paymentStatus": "CAPTURED", "refundStatus": "PARTIAL",
         "refund": {"refundAmount": 5.25, "tipRefundAmount": 1.0,
                    "refundDate": "2020-03-03T10:00:00.000+0000", "refundBusinessDate": 20200303}},
        {"guid": "p2", "type": "CREDIT", "amount": 21.05, "tipAmount": 9.99,
         "paymentStatus": "VOIDED", "refund": null},
        {"guid": "p3", "type": "CASH", "amount": 0, "tipAmount": 0.3, "paymentStatus": null}
    ]);
    let mut deleted = check.clone();
    deleted["guid"] = json!("deleted-check");
    deleted["deleted"] = json!(true);
    deleted["totalAmount"] = json!(1234567.89);
    let mut voided = check.clone();
    voided["guid"] = json!("voided-check");
    voided["voided"] = json!(true);
    voided["totalAmount"] = json!(50);
    voided["taxAmount"] = json!(0);
    voided["appliedDiscounts"] = json!([]);
    voided["payments"] = json!([]);
    voided["selections"] = json!([]);
    v["checks"] = json!([check, deleted, voided]);
    v
}

#[test]
fn a_paid_order_normalises_exactly() {
    let o = order(paid_order_json());
    let payments = &o.checks[0].payments;
    assert_eq!(payments[0].payment_type, Some(PaymentType::Credit));
    assert_eq!(payments[0].payment_status, Some(PaymentStatus::Captured));
    assert_eq!(payments[2].payment_type, Some(PaymentType::Cash));
    assert_eq!(payments[2].payment_status, None);

    let tx = order_to_transaction(&o, &ctx()).expect("normalises");
    assert_eq!(tx.status, TransactionStatus::Completed);
    assert_eq!(tx.total_minor, 2452);
    assert_eq!(tx.tax_minor, 106);
    assert_eq!(tx.tip_minor, 347);
    assert_eq!(tx.discount_minor, 355);
    assert_eq!(tx.refunded_minor, 625);
    assert_eq!(tx.net_minor(), 1827);
    assert_eq!(tx.closed_at, utc("2020-03-02T20:01:15.123+0000"));
}

#[test]
fn a_voided_order_is_canceled_and_shows_what_was_voided() {
    let mut v = paid_order_json();
    v["voided"] = json!(true);
    v["voidDate"] = json!("2020-03-02T21:00:00.000+0000");
    let tx = order_to_transaction(&order(v), &ctx()).expect("normalises");
    assert_eq!(tx.status, TransactionStatus::Canceled);
    // The voided check (50.00) now counts; the deleted one never does. The voided selection's
    // 40.00 discount counts too.
    assert_eq!(tx.total_minor, 2452 + 5000);
    assert_eq!(tx.discount_minor, 355 + 4000);

    let mut v = order_json();
    v["deleted"] = json!(true);
    let tx = order_to_transaction(&order(v), &ctx()).expect("normalises");
    assert_eq!(tx.status, TransactionStatus::Canceled);
}

#[test]
fn status_and_closed_at_fallbacks() {
    // paidDate, no closedDate, check PAID (tip not adjusted yet): completed, closed at paidDate.
    let mut v = order_json();
    v["paidDate"] = json!("2020-03-02T19:30:00.000+0000");
    v["checks"][0]["paymentStatus"] = json!("PAID");
    let tx = order_to_transaction(&order(v.clone()), &ctx()).expect("normalises");
    assert_eq!(tx.status, TransactionStatus::Completed);
    assert_eq!(tx.closed_at, utc("2020-03-02T19:30:00.000+0000"));

    // A paidDate while a check is still OPEN (split check, partly paid): still open.
    v["checks"][0]["paymentStatus"] = json!("OPEN");
    let tx = order_to_transaction(&order(v.clone()), &ctx()).expect("normalises");
    assert_eq!(tx.status, TransactionStatus::Open);

    // Only openedDate: closed_at is openedDate.
    let o = v.as_object_mut().expect("object");
    o.remove("paidDate");
    o.remove("modifiedDate");
    let tx = order_to_transaction(&order(v.clone()), &ctx()).expect("normalises");
    assert_eq!(tx.closed_at, utc("2020-03-02T19:17:02.552+0000"));

    // None at all: an error naming the fields.
    v.as_object_mut().expect("object").remove("openedDate");
    let err = order_to_transaction(&order(v), &ctx()).expect_err("no timestamp");
    assert!(err.to_string().contains("openedDate"), "{err}");
}

#[test]
fn timestamps_with_a_colon_in_the_offset_are_accepted() {
    let mut v = order_json();
    v["modifiedDate"] = json!("2020-03-02T14:17:02.612-05:00");
    let tx = order_to_transaction(&order(v), &ctx()).expect("normalises");
    assert_eq!(tx.closed_at, utc("2020-03-02T19:17:02.612+0000"));
    assert_eq!(
        format_toast_time(tx.closed_at),
        "2020-03-02T19:17:02.612+0000"
    );
}

fn field_error(v: Value) -> (String, String) {
    let err = order_to_transaction(&order(v), &ctx()).expect_err("must fail");
    let text = err.to_string();
    match err {
        ToastError::MissingField { field, .. } | ToastError::InvalidField { field, .. } => {
            (field, text)
        }
        other => panic!("not a field error: {other}"),
    }
}

#[test]
fn bad_orders_name_the_field() {
    let mut v = order_json();
    v.as_object_mut().expect("object").remove("guid");
    assert_eq!(field_error(v).0, "guid");

    let mut v = order_json();
    v["checks"][0]["totalAmount"] = Value::Null;
    let (field, text) = field_error(v);
    assert_eq!(field, "checks[0].totalAmount");
    assert!(
        text.contains(ORDER_GUID) && text.contains("checks[0].totalAmount"),
        "{text}"
    );

    let mut v = order_json();
    v["checks"][0]["taxAmount"] = json!(1.005);
    let (field, text) = field_error(v);
    assert_eq!(field, "checks[0].taxAmount");
    assert!(text.contains("refusing to round"), "{text}");

    // A sender that added floats: 0.1 + 0.2 is not an amount of cents.
    let mut v = paid_order_json();
    v["checks"][0]["payments"][0]["tipAmount"] = json!(0.30000000000000004);
    assert_eq!(field_error(v).0, "checks[0].payments[0].tipAmount");

    let mut v = paid_order_json();
    v["checks"][0]["selections"][0]["modifiers"][0]["appliedDiscounts"][0]["discountAmount"] =
        json!("lots");
    assert_eq!(
        field_error(v).0,
        "checks[0].selections[0].modifiers[0].appliedDiscounts[0].discountAmount"
    );

    let mut v = order_json();
    v["modifiedDate"] = json!("02/03/2020 19:17");
    assert_eq!(field_error(v).0, "modifiedDate");
}

#[test]
fn unknown_values_and_nulls_are_tolerated() {
    let mut v = order_json();
    v["approvalStatus"] = json!("SOMETHING_NEW");
    v["brandNewField"] = json!({"nested": [1, 2]});
    v["checks"][0]["paymentStatus"] = json!("PARTIALLY_SETTLED");
    v["checks"][0]["appliedDiscounts"] = Value::Null;
    v["checks"][0]["selections"] = Value::Null;
    v["checks"][0]["payments"] = json!([
        {"guid": "p", "type": "CRYPTO", "amount": 1, "tipAmount": null, "paymentStatus": "BRAND_NEW"}
    ]);
    v["businessDate"] = Value::Null;
    let o = order(v);
    assert_eq!(
        o.approval_status,
        Some(ApprovalStatus::Other("SOMETHING_NEW".into()))
    );
    let check = &o.checks[0];
    assert_eq!(
        check.payment_status,
        Some(CheckPaymentStatus::Other("PARTIALLY_SETTLED".into()))
    );
    assert_eq!(
        check.payments[0].payment_type,
        Some(PaymentType::Other("CRYPTO".into()))
    );
    assert_eq!(
        check.payments[0].payment_status,
        Some(PaymentStatus::Other("BRAND_NEW".into()))
    );
    assert_eq!(o.business_date(), None);
    let tx = order_to_transaction(&o, &ctx()).expect("normalises");
    assert_eq!(tx.status, TransactionStatus::Open);
    assert_eq!((tx.total_minor, tx.tip_minor), (11100, 0));

    let orders: Vec<Order> = serde_json::from_value(json!([{"guid": "g", "checks": null}]))
        .expect("a sparse order parses");
    assert!(orders[0].checks.is_empty());
}

#[test]
fn decimal_amounts_convert_exactly() {
    let cases = [
        ("1.06", 106),
        ("19.99", 1999),
        ("1234567.89", 123456789),
        ("0.3", 30),
        ("0.1", 10),
        ("0.2", 20),
        ("10.0", 1000),
        ("1e-2", 1),
        ("2.5E1", 2500),
        ("-5.25", -525),
        ("-0.01", -1),
        ("111", 11100),
        ("0", 0),
    ];
    for (text, want) in cases {
        let d: Decimal = serde_json::from_str(text).expect("a JSON number");
        assert_eq!(d.to_minor(usd()), Ok(want), "{text}");
    }
    let jpy: Currency = "JPY".parse().expect("JPY");
    let d: Decimal = serde_json::from_str("1500").expect("number");
    assert_eq!(d.to_minor(jpy), Ok(1500));
    let d: Decimal = serde_json::from_str("1500.5").expect("number");
    assert!(d.to_minor(jpy).is_err(), "JPY has no minor unit");
    for text in ["0.30000000000000004", "1.005", "1e-3", "1e300"] {
        let d: Decimal = serde_json::from_str(text).expect("a JSON number");
        assert!(d.to_minor(usd()).is_err(), "{text} must not be rounded");
    }
    // A negative refund on a payment (as some reversals are written) is kept as negative.
    let mut v = paid_order_json();
    v["checks"][0]["payments"][0]["refund"] = json!({"refundAmount": -2.5, "tipRefundAmount": 0});
    let tx = order_to_transaction(&order(v), &ctx()).expect("normalises");
    assert_eq!(tx.refunded_minor, -250);
}
