//! Square: every documented example in shared/fixtures/square parses, and normalises to the
//! amounts read off the fixture by hand. Orders are built in the tests (the fixtures' search
//! response holds order entries only).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;
use venue_domain::TransactionStatus;
use venue_pos::square::client::active_location_ids;
use venue_pos::square::{
    next_cursor, order_to_transaction, payment_to_transaction, verify_webhook_signature,
    webhook_signature, ErrorCategory, ErrorCode, ErrorResponse, ListLocationsResponse,
    ListPaymentsResponse, LocationStatus, LocationType, Order, OrderState, Paginated, Payment,
    PaymentStatus, SearchOrdersRequest, SearchOrdersResponse, SortField, SortOrder, SquareContext,
    SquareError, WebhookEvent,
};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/square"
);

const KNOWN: &[&str] = &[
    "error_not_found.json",
    "list_locations_response.json",
    "list_payments_response.json",
    "search_orders_request.json",
    "search_orders_response.json",
    "webhook_payment_updated.json",
];

fn raw(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture file is readable")
}

fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_slice(&raw(name)).unwrap_or_else(|e| panic!("{name} parses: {e}"))
}

fn ctx() -> SquareContext {
    SquareContext {
        venue_id: Uuid::from_u128(0x5eed),
        source: "square-main".into(),
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test timestamp")
        .with_timezone(&Utc)
}

fn order(value: Value) -> Order {
    serde_json::from_value(value).expect("test order parses")
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

    let _: ErrorResponse = fixture("error_not_found.json");
    let _: ListLocationsResponse = fixture("list_locations_response.json");
    let _: ListPaymentsResponse = fixture("list_payments_response.json");
    let _: SearchOrdersRequest = fixture("search_orders_request.json");
    let _: SearchOrdersResponse = fixture("search_orders_response.json");
    let _: WebhookEvent = fixture("webhook_payment_updated.json");
}

// ---------------------------------------------------------------------------------------------
// Locations

#[test]
fn list_locations_response() {
    let resp: ListLocationsResponse = fixture("list_locations_response.json");
    assert_eq!(resp.locations.len(), 2);
    let grant = &resp.locations[0];
    assert_eq!(grant.id.as_deref(), Some("18YC4JDH91E1H"));
    assert_eq!(grant.name.as_deref(), Some("Grant Park"));
    assert_eq!(grant.currency.as_deref(), Some("USD"));
    assert_eq!(grant.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(grant.status, Some(LocationStatus::Active));
    assert_eq!(grant.location_type, None);
    assert_eq!(grant.capabilities, vec!["CREDIT_CARD_PROCESSING"]);
    assert_eq!(
        grant.address.as_ref().and_then(|a| a.locality.as_deref()),
        Some("San Francisco")
    );
    let midtown = &resp.locations[1];
    assert_eq!(midtown.id.as_deref(), Some("3Z4V4WHQK64X9"));
    assert_eq!(midtown.location_type, Some(LocationType::Physical));
    assert_eq!(midtown.timezone.as_deref(), Some("America/New_York"));
    assert_eq!(next_cursor(&resp), None);
    assert!(resp.errors.is_empty());
    // Sales by location show these names, and a fetch without configured ids reads both.
    let names: Vec<_> = resp
        .locations
        .iter()
        .filter_map(|l| l.name.as_deref())
        .collect();
    assert_eq!(names, ["Grant Park", "Midtown"]);
    assert_eq!(
        active_location_ids(&resp.locations),
        ["18YC4JDH91E1H", "3Z4V4WHQK64X9"]
    );
    let mut closed = resp.locations.clone();
    closed[0].status = Some(LocationStatus::Inactive);
    assert_eq!(active_location_ids(&closed), ["3Z4V4WHQK64X9"]);
}

// ---------------------------------------------------------------------------------------------
// Payments

#[test]
fn list_payments_response_normalises() {
    let resp: ListPaymentsResponse = fixture("list_payments_response.json");
    assert_eq!(resp.next_cursor(), None, "no cursor: last page");
    assert_eq!(resp.payments.len(), 1);
    let p = &resp.payments[0];
    assert_eq!(p.status, Some(PaymentStatus::Completed));
    assert_eq!(p.order_id.as_deref(), Some("d7eKah653Z579f3gVtjlxpSlmUcZY"));
    assert_eq!(p.approved_money.as_ref().and_then(|m| m.amount), Some(555));
    assert_eq!(p.processing_fee.len(), 1);
    assert_eq!(
        p.processing_fee[0]
            .amount_money
            .as_ref()
            .and_then(|m| m.amount),
        Some(34)
    );

    let tx = payment_to_transaction(p, &ctx()).expect("payment normalises");
    assert_eq!(tx.external_id, "bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY");
    assert_eq!(tx.venue_id, ctx().venue_id);
    assert_eq!(tx.source, "square-main");
    assert_eq!(tx.location_id.as_deref(), Some("L88917AVBK2S5"));
    assert_eq!(tx.status, TransactionStatus::Completed);
    assert_eq!(tx.currency.code(), "USD");
    assert_eq!(tx.total_minor, 555);
    assert_eq!(tx.tip_minor, 0);
    assert_eq!(tx.tax_minor, 0);
    assert_eq!(tx.discount_minor, 0);
    assert_eq!(tx.refunded_minor, 0);
    assert_eq!(tx.net_minor(), 555);
    assert_eq!(tx.closed_at, utc("2021-10-13T19:34:33.524Z"));
    assert_eq!(tx.opened_at, Some(utc("2021-10-13T19:34:33.524Z")));
}

#[test]
fn payment_with_tip_refund_and_new_status() {
    let p: Payment = serde_json::from_value(json!({
        "id": "PAY-2",
        "created_at": "2024-05-01T18:19:00Z",
        "amount_money": {"amount": 2000, "currency": "EUR"},
        "tip_money": {"amount": 300, "currency": "EUR"},
        "total_money": {"amount": 2300, "currency": "EUR"},
        "refunded_money": {"amount": 500, "currency": "EUR"},
        "status": "SOMETHING_NEW",
        "refund_ids": null,
        "brand_new_field": {"x": 1}
    }))
    .expect("tolerant payment");
    assert_eq!(p.status, Some(PaymentStatus::Other("SOMETHING_NEW".into())));
    let back = serde_json::to_value(&p).expect("serialises");
    assert_eq!(
        back["status"], "SOMETHING_NEW",
        "unknown values survive a round trip"
    );
    let tx = payment_to_transaction(&p, &ctx()).expect("normalises");
    assert_eq!(tx.currency.code(), "EUR");
    assert_eq!(
        (
            tx.total_minor,
            tx.tip_minor,
            tx.refunded_minor,
            tx.net_minor()
        ),
        (2300, 300, 500, 1800)
    );
    assert_eq!(tx.status, TransactionStatus::Open);

    for (status, want) in [
        ("APPROVED", TransactionStatus::Open),
        ("PENDING", TransactionStatus::Open),
        ("CANCELED", TransactionStatus::Canceled),
        ("FAILED", TransactionStatus::Canceled),
    ] {
        let mut p = p.clone();
        p.status = Some(PaymentStatus::from(status));
        assert_eq!(
            payment_to_transaction(&p, &ctx()).expect(status).status,
            want
        );
    }

    let mut no_total = p.clone();
    no_total.total_money = None;
    let err = payment_to_transaction(&no_total, &ctx()).expect_err("total_money required");
    assert!(err.to_string().contains("total_money"), "{err}");

    let mut bad_tip = p.clone();
    bad_tip.tip_money = Some(venue_pos::square::Money::new(300, "USD"));
    let err = payment_to_transaction(&bad_tip, &ctx()).expect_err("mixed currencies");
    assert!(
        matches!(err, SquareError::CurrencyMismatch { ref field, .. } if field == "tip_money.currency"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Webhook

const WEBHOOK_URL: &str = "https://example.com/webhooks/square";
const WEBHOOK_KEY: &str = "asdf1234";
/// Computed outside Rust: `{ printf %s "$URL"; cat webhook_payment_updated.json; } |
/// openssl dgst -sha256 -hmac asdf1234 -binary | base64`.
const OPENSSL_SIGNATURE: &str = "2hFM8K2Vtiwn59BDk8aZ/y6kYoMki1koJbx61nuUAmY=";

#[test]
fn webhook_event_parses_and_its_payment_normalises() {
    let event: WebhookEvent = fixture("webhook_payment_updated.json");
    assert_eq!(event.event_type.as_deref(), Some("payment.updated"));
    assert_eq!(
        event.event_id.as_deref(),
        Some("6a8f5f28-54a1-4eb0-a98a-3111513fd4fc")
    );
    assert_eq!(event.merchant_id.as_deref(), Some("6SSW7HV8K2ST5"));
    let data = event.data.as_ref().expect("data");
    assert_eq!(data.object_type.as_deref(), Some("payment"));
    let payment = event.payment().expect("payment object");
    let tx = payment_to_transaction(payment, &ctx()).expect("normalises");
    assert_eq!(tx.external_id, "hYy9pRFVxpDsO1FB05SunFWUe9JZY");
    assert_eq!(tx.location_id.as_deref(), Some("S8GWD5R9QB376"));
    assert_eq!(tx.status, TransactionStatus::Completed);
    assert_eq!(
        (tx.total_minor, tx.tip_minor, tx.refunded_minor),
        (100, 0, 0)
    );
    assert_eq!(tx.closed_at, utc("2020-11-22T21:16:51.086Z"));
}

#[test]
fn webhook_signature_matches_independent_computations() {
    let body = raw("webhook_payment_updated.json");
    // A vector computed by openssl.
    assert!(verify_webhook_signature(
        WEBHOOK_KEY,
        WEBHOOK_URL,
        &body,
        OPENSSL_SIGNATURE
    ));
    assert_eq!(
        webhook_signature(WEBHOOK_KEY, WEBHOOK_URL, &body),
        OPENSSL_SIGNATURE
    );
    // And one computed here with the hmac and sha2 APIs directly.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(b"another-key").expect("hmac takes any key length");
    mac.update(b"https://venue.test/hook");
    mac.update(&body);
    let direct = STANDARD.encode(mac.finalize().into_bytes());
    assert!(verify_webhook_signature(
        "another-key",
        "https://venue.test/hook",
        &body,
        &direct
    ));
    assert!(verify_webhook_signature(
        "another-key",
        "https://venue.test/hook",
        &body,
        &format!("  {direct}\r\n")
    ));
}

#[test]
fn tampered_webhooks_fail_verification() {
    let body = raw("webhook_payment_updated.json");
    let mut tampered = body.clone();
    let at = tampered
        .windows(3)
        .position(|w| w == b"100")
        .expect("the amount is in the body");
    tampered[at] = b'9';
    assert!(!verify_webhook_signature(
        WEBHOOK_KEY,
        WEBHOOK_URL,
        &tampered,
        OPENSSL_SIGNATURE
    ));
    let mut trailing = body.clone();
    trailing.push(b'\n');
    assert!(!verify_webhook_signature(
        WEBHOOK_KEY,
        WEBHOOK_URL,
        &trailing,
        OPENSSL_SIGNATURE
    ));
    assert!(!verify_webhook_signature(
        WEBHOOK_KEY,
        "https://example.com/webhooks/square/",
        &body,
        OPENSSL_SIGNATURE
    ));
    assert!(!verify_webhook_signature(
        "asdf1235",
        WEBHOOK_URL,
        &body,
        OPENSSL_SIGNATURE
    ));
    assert!(!verify_webhook_signature(
        "",
        WEBHOOK_URL,
        &body,
        OPENSSL_SIGNATURE
    ));
    for header in ["", "not base64!", "AAAA", &OPENSSL_SIGNATURE[..20]] {
        assert!(
            !verify_webhook_signature(WEBHOOK_KEY, WEBHOOK_URL, &body, header),
            "{header:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn error_body_parses_with_its_message() {
    let body: ErrorResponse = fixture("error_not_found.json");
    assert_eq!(body.errors.len(), 1);
    let e = &body.errors[0];
    assert_eq!(e.code, Some(ErrorCode::NotFound));
    assert_eq!(e.category, Some(ErrorCategory::InvalidRequestError));
    assert_eq!(e.field, None);
    assert_eq!(
        e.detail.as_deref(),
        Some("Could not find payment with id: 7nDzoTTqoVk6LMeYzfXg2fpcUDaZY")
    );
    assert!(!body.is_rate_limited());
    let err = SquareError::from(body);
    let text = err.to_string();
    assert!(text.contains("NOT_FOUND"), "{text}");
    assert!(text.contains("Could not find payment with id: 7nDzoTTqoVk6LMeYzfXg2fpcUDaZY"));
}

#[test]
fn unknown_error_values_survive_and_rate_limits_are_recognised() {
    let body: ErrorResponse = serde_json::from_value(json!({"errors": [
        {"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED", "detail": "slow down"},
        {"category": "BRAND_NEW_CATEGORY", "code": "BRAND_NEW_CODE", "field": "limit"}
    ]}))
    .expect("parses");
    assert!(body.is_rate_limited());
    assert_eq!(
        body.errors[1].category,
        Some(ErrorCategory::Other("BRAND_NEW_CATEGORY".into()))
    );
    assert_eq!(
        body.errors[1].code,
        Some(ErrorCode::Other("BRAND_NEW_CODE".into()))
    );
    assert_eq!(
        body.message(),
        "RATE_LIMITED (RATE_LIMIT_ERROR): slow down; BRAND_NEW_CODE (BRAND_NEW_CATEGORY) on limit"
    );
}

// ---------------------------------------------------------------------------------------------
// SearchOrders request and response

#[test]
fn the_fixture_search_request_is_valid_and_the_builder_reproduces_it() {
    let fixture_req: SearchOrdersRequest = fixture("search_orders_request.json");
    fixture_req
        .validate()
        .expect("the documented example is valid");
    let sort = fixture_req
        .query
        .as_ref()
        .and_then(|q| q.sort.as_ref())
        .expect("sort");
    assert_eq!(sort.sort_field, SortField::ClosedAt);
    assert_eq!(sort.sort_order, Some(SortOrder::Desc));

    let built = SearchOrdersRequest::builder(["057P5VYJ4A5X1", "18YC4JDH91E1H"])
        .states([OrderState::Completed])
        .closed_between(
            Utc.with_ymd_and_hms(2018, 3, 3, 20, 0, 0)
                .single()
                .expect("t"),
            Utc.with_ymd_and_hms(2019, 3, 4, 21, 54, 45)
                .single()
                .expect("t"),
        )
        .sort_order(SortOrder::Desc)
        .limit(3)
        .return_entries(true)
        .build()
        .expect("valid");
    assert_eq!(built, fixture_req);
    let fixture_json: Value = fixture("search_orders_request.json");
    assert_eq!(
        serde_json::to_value(&built).expect("serialises"),
        fixture_json
    );
}

#[test]
fn search_request_rules_are_enforced() {
    let t0 = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("t");
    let t1 = Utc
        .with_ymd_and_hms(2024, 1, 2, 0, 0, 0)
        .single()
        .expect("t");
    let ids: Vec<String> = (0..11).map(|i| format!("LOC{i}")).collect();
    let err = SearchOrdersRequest::builder(ids.clone())
        .build()
        .expect_err("11 locations");
    assert!(err.to_string().contains("location_ids"), "{err}");
    SearchOrdersRequest::builder(ids[..10].to_vec())
        .build()
        .expect("10 locations are fine");
    assert!(SearchOrdersRequest::builder(Vec::<String>::new())
        .build()
        .is_err());
    let err = SearchOrdersRequest::builder(["L"])
        .limit(1001)
        .build()
        .expect_err("limit");
    assert!(err.to_string().contains("limit"), "{err}");
    SearchOrdersRequest::builder(["L"])
        .limit(1000)
        .build()
        .expect("1000 is the maximum");
    let err = SearchOrdersRequest::builder(["L"])
        .closed_between(t1, t0)
        .build()
        .expect_err("reversed range");
    assert!(err.to_string().contains("start_at"), "{err}");

    // The builder pairs the filter with the sort; a hand-edited body that does not is refused.
    let updated = SearchOrdersRequest::builder(["L"])
        .updated_between(t0, t1)
        .build()
        .expect("valid");
    let query = updated.query.as_ref().expect("query");
    assert_eq!(
        query.sort.as_ref().map(|s| &s.sort_field),
        Some(&SortField::UpdatedAt)
    );
    assert_eq!(
        query.sort.as_ref().and_then(|s| s.sort_order.clone()),
        Some(SortOrder::Asc)
    );

    let mut fixture_json: Value = fixture("search_orders_request.json");
    fixture_json["query"]["sort"]["sort_field"] = json!("CREATED_AT");
    let mismatched: SearchOrdersRequest =
        serde_json::from_value(fixture_json.clone()).expect("parses");
    let err = mismatched
        .validate()
        .expect_err("sort must match the filter");
    assert!(err.to_string().contains("CLOSED_AT"), "{err}");
    fixture_json["query"]
        .as_object_mut()
        .expect("object")
        .remove("sort");
    let unsorted: SearchOrdersRequest = serde_json::from_value(fixture_json).expect("parses");
    assert!(unsorted.validate().is_err());
}

#[test]
fn search_orders_response_and_pagination() {
    let resp: SearchOrdersResponse = fixture("search_orders_response.json");
    assert!(resp.orders.is_empty());
    assert_eq!(resp.order_entries.len(), 3);
    assert_eq!(
        resp.order_entries[0].order_id.as_deref(),
        Some("CAISEM82RcpmcFBM0TfOyiHV3es")
    );
    assert_eq!(resp.order_entries[0].version, Some(1));
    assert_eq!(resp.order_entries[1].version, None);
    assert_eq!(
        resp.order_entries[2].location_id.as_deref(),
        Some("057P5VYJ4A5X1")
    );
    assert_eq!(next_cursor(&resp), Some("123"));

    let req: SearchOrdersRequest = fixture("search_orders_request.json");
    let next = req.next_page(resp.next_cursor()).expect("a next page");
    assert_eq!(next.cursor.as_deref(), Some("123"));
    assert_eq!(next.query, req.query);

    for last in [json!({"orders": []}), json!({"orders": [], "cursor": ""})] {
        let resp: SearchOrdersResponse = serde_json::from_value(last).expect("parses");
        assert_eq!(resp.next_cursor(), None);
        assert_eq!(req.next_page(resp.next_cursor()), None);
    }
    let empty_cursor: ListPaymentsResponse =
        serde_json::from_value(json!({"payments": null, "cursor": ""})).expect("parses");
    assert!(empty_cursor.payments.is_empty());
    assert_eq!(next_cursor(&empty_cursor), None);
}

// ---------------------------------------------------------------------------------------------
// Orders

fn usd(amount: i64) -> Value {
    json!({"amount": amount, "currency": "USD"})
}

fn completed_order() -> Value {
    json!({
        "id": "ORDER-1",
        "location_id": "18YC4JDH91E1H",
        "state": "COMPLETED",
        "version": 4,
        "created_at": "2024-05-01T18:00:00.000Z",
        "updated_at": "2024-05-01T18:20:00.000Z",
        "closed_at": "2024-05-01T18:19:30.250Z",
        "line_items": [{"uid": "li-1", "name": "Flat white", "quantity": "2"}],
        "total_money": usd(2379),
        "total_tax_money": usd(179),
        "total_discount_money": usd(200),
        "total_tip_money": usd(400),
        "total_service_charge_money": usd(0),
        "net_amounts": {"total_money": usd(2379)},
        "refunds": [
            {"id": "R1", "status": "APPROVED", "amount_money": usd(500)},
            {"id": "R2", "status": "REJECTED", "amount_money": usd(9999)},
            {"id": "R3", "status": "PENDING", "amount_money": usd(100)},
            {"id": "R4", "status": "FAILED", "amount_money": usd(7777)}
        ]
    })
}

#[test]
fn a_completed_order_normalises() {
    let tx = order_to_transaction(&order(completed_order()), &ctx()).expect("normalises");
    assert_eq!(tx.external_id, "ORDER-1");
    assert_eq!(tx.location_id.as_deref(), Some("18YC4JDH91E1H"));
    assert_eq!(tx.status, TransactionStatus::Completed);
    assert_eq!(tx.currency.code(), "USD");
    assert_eq!(
        (
            tx.total_minor,
            tx.tax_minor,
            tx.tip_minor,
            tx.discount_minor,
            tx.refunded_minor
        ),
        (2379, 179, 400, 200, 600)
    );
    assert_eq!(tx.opened_at, Some(utc("2024-05-01T18:00:00Z")));
    assert_eq!(tx.closed_at, utc("2024-05-01T18:19:30.250Z"));
}

#[test]
fn a_return_order_counts_its_returned_money_as_refunded() {
    let tx = order_to_transaction(
        &order(json!({
            "id": "RETURN-1",
            "location_id": "18YC4JDH91E1H",
            "state": "COMPLETED",
            "created_at": "2024-05-02T10:00:00Z",
            "closed_at": "2024-05-02T10:00:05Z",
            "returns": [{"uid": "ret-1", "source_order_id": "ORDER-1"}],
            "return_amounts": {"total_money": usd(1079), "tax_money": usd(79)},
            "net_amounts": {"total_money": usd(-1079)},
            // Refunds describe the same money as return_amounts: not counted twice.
            "refunds": [{"id": "R9", "status": "APPROVED", "amount_money": usd(1079)}]
        })),
        &ctx(),
    )
    .expect("normalises without total_money");
    assert_eq!((tx.total_minor, tx.refunded_minor), (0, 1079));
    assert_eq!(tx.net_minor(), -1079);
}

#[test]
fn open_draft_canceled_and_unknown_states() {
    for (state, want) in [
        ("OPEN", TransactionStatus::Open),
        ("DRAFT", TransactionStatus::Open),
        ("CANCELED", TransactionStatus::Canceled),
        ("PENDING_SOMETHING", TransactionStatus::Open),
    ] {
        let mut v = completed_order();
        v["state"] = json!(state);
        remove(&mut v, &["closed_at"]);
        let o = order(v);
        assert_eq!(o.state.as_ref().map(OrderState::as_str), Some(state));
        let tx = order_to_transaction(&o, &ctx()).expect(state);
        assert_eq!(tx.status, want, "{state}");
        assert_eq!(
            tx.closed_at,
            utc("2024-05-01T18:20:00Z"),
            "falls back to updated_at"
        );
    }
    let o = order(
        json!({"id": "X", "state": "PENDING_SOMETHING", "total_money": usd(1),
                         "created_at": "2024-05-01T18:00:00Z"}),
    );
    assert_eq!(o.state, Some(OrderState::Other("PENDING_SOMETHING".into())));
    assert_eq!(
        serde_json::to_value(&o).expect("serialises")["state"],
        "PENDING_SOMETHING"
    );
    let tx = order_to_transaction(&o, &ctx()).expect("normalises");
    assert_eq!(
        tx.closed_at,
        utc("2024-05-01T18:00:00Z"),
        "falls back to created_at"
    );
}

fn remove(v: &mut Value, keys: &[&str]) {
    let object = v.as_object_mut().expect("an object");
    for key in keys {
        object.remove(*key);
    }
}

fn field_of(err: &SquareError) -> String {
    match err {
        SquareError::MissingField { field, .. }
        | SquareError::UnknownCurrency { field, .. }
        | SquareError::CurrencyMismatch { field, .. }
        | SquareError::InvalidTimestamp { field, .. }
        | SquareError::Overflow { field, .. } => field.clone(),
        other => panic!("not a field error: {other}"),
    }
}

#[test]
fn bad_orders_name_the_field() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("id", Box::new(|v| remove(v, &["id"]))),
        ("state", Box::new(|v| remove(v, &["state"]))),
        ("total_money", Box::new(|v| remove(v, &["total_money"]))),
        (
            "total_money.amount",
            Box::new(|v| v["total_money"] = json!({"currency": "USD"})),
        ),
        (
            "total_money.currency",
            Box::new(|v| v["total_money"] = json!({"amount": 5, "currency": "XYZ"})),
        ),
        (
            "total_tax_money.currency",
            Box::new(|v| v["total_tax_money"] = json!({"amount": 5, "currency": "EUR"})),
        ),
        (
            "refunds[0].amount_money.currency",
            Box::new(|v| v["refunds"][0]["amount_money"] = json!({"amount": 5, "currency": "GBP"})),
        ),
        (
            "closed_at",
            Box::new(|v| v["closed_at"] = json!("yesterday")),
        ),
        (
            "closed_at",
            Box::new(|v| remove(v, &["closed_at", "updated_at", "created_at"])),
        ),
    ];
    for (want, edit) in cases {
        let mut v = completed_order();
        edit(&mut v);
        let err = order_to_transaction(&order(v), &ctx()).expect_err(want);
        assert_eq!(field_of(&err), want, "{err}");
        assert!(err.to_string().contains(want), "{err}");
    }
}

#[test]
fn tolerant_of_nulls_and_unknown_fields() {
    let o = order(json!({
        "id": "ORDER-N",
        "state": "OPEN",
        "created_at": "2024-05-01T18:00:00Z",
        "total_money": usd(0),
        "refunds": null,
        "returns": null,
        "tenders": null,
        "total_tip_money": null,
        "something_square_added_later": [1, 2, 3]
    }));
    let tx = order_to_transaction(&o, &ctx()).expect("normalises");
    assert_eq!((tx.total_minor, tx.tip_minor, tx.refunded_minor), (0, 0, 0));
    assert_eq!(tx.status, TransactionStatus::Open);
}
