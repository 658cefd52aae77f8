//! What the fuzz targets feed to the parsers of untrusted input: vendor API bodies (Square,
//! Toast, Mews REST and websocket), door counter bodies and pushes, and `venue.toml`.
//!
//! Each target takes raw bytes, runs them through the same parse-and-normalise path the
//! console runs on a live response, and checks what must hold for anything that gets through:
//! a normalised row belongs to the venue and connector it was read for, and survives the JSON
//! round trip the store and sync rely on; an accepted config reads back the same once written.
//! A panic anywhere is a crash. `cargo fuzz` (in `fuzz/`) drives these on nightly, and
//! `tests/replay.rs` replays the vendors' documented examples and every kept crash on stable.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a fuzz oracle: a broken invariant must panic, so the fuzzer keeps the input as a crash"
)]

use serde_json::{Map, Value};
use uuid::Uuid;

/// The venue every target reads for: rows must come out belonging to it.
const VENUE: Uuid = Uuid::from_u128(0x5eed_f022);
const SOURCE: &str = "fuzzed";

/// A fuzz target: raw bytes in; a panic is a crash.
pub type Target = fn(&[u8]);

/// Every target by name, as the fuzz binaries and the replay test call them.
pub const TARGETS: &[(&str, Target)] = &[
    ("square", square),
    ("toast", toast),
    ("mews", mews),
    ("sensors", sensors),
    ("config", config),
];

/// Looks a target up by its name.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// A normalised sale must belong to the venue and connector it was read for, carry a vendor
/// key, and survive the JSON round trip (what the store's change log and the hub carry).
fn check_transaction(tx: &venue_domain::Transaction) {
    assert_eq!(
        tx.venue_id, VENUE,
        "a sale was normalised into another venue"
    );
    assert_eq!(
        tx.source, SOURCE,
        "a sale was normalised under another connector"
    );
    assert!(!tx.external_id.is_empty(), "a sale without its vendor id");
    round_trips(tx);
}

fn round_trips<T>(row: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_value(row).expect("a normalised row serialises");
    let back: T = serde_json::from_value(json).expect("a normalised row reads back");
    assert_eq!(
        &back, row,
        "a normalised row changed over the JSON round trip"
    );
}

/// Square: SearchOrders, ListPayments and ListLocations bodies, and webhook events.
pub fn square(data: &[u8]) {
    use venue_pos::square::*;
    let ctx = SquareContext {
        venue_id: VENUE,
        source: SOURCE.into(),
    };
    if let Ok(page) = serde_json::from_slice::<SearchOrdersResponse>(data) {
        let _ = next_cursor(&page);
        for order in &page.orders {
            if let Ok(tx) = order_to_transaction(order, &ctx) {
                check_transaction(&tx);
            }
        }
    }
    if let Ok(page) = serde_json::from_slice::<ListPaymentsResponse>(data) {
        for payment in &page.payments {
            if let Ok(tx) = payment_to_transaction(payment, &ctx) {
                check_transaction(&tx);
            }
        }
    }
    let _ = serde_json::from_slice::<ListLocationsResponse>(data);
    if let Ok(error) = serde_json::from_slice::<ErrorResponse>(data) {
        let _ = error.message();
        let _ = error.is_rate_limited();
    }
    if let Ok(event) = serde_json::from_slice::<WebhookEvent>(data) {
        if let Some(payment) = event.payment() {
            if let Ok(tx) = payment_to_transaction(payment, &ctx) {
                check_transaction(&tx);
            }
        }
    }
    let _ = verify_webhook_signature("key", "https://venue.example/hook", data, "c2ln");
}

/// Toast: an ordersBulk page (a list of orders), and the time and Link header formats.
pub fn toast(data: &[u8]) {
    use venue_pos::toast::*;
    for currency in ["USD", "JPY", "KWD"] {
        let Ok(currency) = currency.parse() else {
            continue;
        };
        let ctx = ToastContext {
            venue_id: VENUE,
            source: SOURCE.into(),
            currency,
            restaurant_guid: Some("fuzzed-restaurant".into()),
        };
        if let Ok(orders) = serde_json::from_slice::<Vec<Order>>(data) {
            for order in &orders {
                if let Ok(tx) = order_to_transaction(order, &ctx) {
                    check_transaction(&tx);
                }
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(time) = parse_toast_time(text) {
            let again = parse_toast_time(&format_toast_time(time));
            assert_eq!(
                again.ok(),
                Some(time),
                "a Toast time did not read back as written"
            );
        }
        let _ = next_page_from_link_header(text);
        for currency in ["USD", "JPY", "KWD"] {
            if let Ok(currency) = currency.parse() {
                let _ = Decimal::exact(text).to_minor(currency);
            }
        }
    }
}

/// Mews: a getAll page of each kind of record, normalised, and websocket frames and messages.
pub fn mews(data: &[u8]) {
    use venue_pms::models::*;
    use venue_pms::normalize;
    let ctx = venue_pms::MewsContext {
        venue_id: VENUE,
        source: SOURCE.into(),
    };
    if let Ok(body) = serde_json::from_slice::<Map<String, Value>>(data) {
        if let Ok(page) = MewsPage::from_body(body.clone(), "Reservations") {
            for r in parse_records::<MewsReservation>(page.records) {
                if let Ok(row) = normalize::reservation(&ctx, &r) {
                    assert_eq!(
                        row.venue_id, VENUE,
                        "a stay was normalised into another venue"
                    );
                    round_trips(&row);
                }
            }
        }
        if let Ok(page) = MewsPage::from_body(body.clone(), "Customers") {
            for c in parse_records::<MewsCustomer>(page.records) {
                if let Ok(row) = normalize::customer(&ctx, &c) {
                    assert_eq!(
                        row.venue_id, VENUE,
                        "a guest was normalised into another venue"
                    );
                    round_trips(&row);
                }
            }
        }
        if let Ok(page) = MewsPage::from_body(body.clone(), "Resources") {
            for r in parse_records::<MewsResource>(page.records) {
                if let Ok(row) = normalize::resource(&ctx, &r) {
                    round_trips(&row);
                }
            }
        }
        if let Ok(page) = MewsPage::from_body(body, "Services") {
            for s in parse_records::<MewsService>(page.records) {
                if let Ok(row) = normalize::service(&ctx, &s) {
                    round_trips(&row);
                }
            }
        }
    }
    let _ = serde_json::from_slice::<AddOrderResponse>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = error_message(text);
        let _ = venue_pms::parse_socket_frame(text);
        let _ = venue_pms::parse_socket_message(text);
    }
}

/// Door counters: the first byte picks the parser (so the fuzzer can learn one format at a
/// time), the rest is the body or push payload.
pub fn sensors(data: &[u8]) {
    use venue_sensors::{axis, axis3d, mqtt, time, xovis};
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let tz = chrono_tz::Europe::London;
    // A history period that ends before (or where) it starts would be rolled up into the wrong
    // slots: found by fuzzing (regressions/sensors), now refused by every history parser.
    let periods = match selector % 8 {
        0 => {
            let _ = axis::parse_live_sum("d", body, tz);
            return;
        }
        1 => {
            let _ = axis3d::parse_occupancy("d", body);
            return;
        }
        2 => axis3d::parse_export("d", body, tz).ok(),
        3 => {
            let _ = xovis::parse_live("d", body, None);
            let _ = xovis::parse_live("d", body, Some(1));
            return;
        }
        4 => axis::parse_export_csv("d", body, tz).ok(),
        5 => mqtt::parse_xovis_push("d", body, None)
            .ok()
            .map(|push| push.buckets),
        6 => {
            let _ = axis3d::describe_error(body);
            let _ = xovis::describe_error(body);
            return;
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(body) {
                let _ = time::axis_compact_local(text, tz);
                let _ = time::iso_with_offset(text);
                let _ = time::local_naive(text, chrono_tz::America::New_York);
                let _ = mqtt::parse_broker(text);
            }
            return;
        }
    };
    for bucket in periods.into_iter().flatten() {
        assert!(
            bucket.start <= bucket.end,
            "a counted period ends before it starts: {bucket:?}"
        );
    }
}

/// `venue.toml`: a config the console accepts is valid, and reads back the same once written
/// (Settings writes it back).
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = venue_core::Config::parse(text) else {
        return;
    };
    let written = toml::to_string(&config).expect("an accepted config can be written");
    let again = venue_core::Config::parse(&written)
        .unwrap_or_else(|e| panic!("an accepted config, written, is refused: {e}\n{written}"));
    assert_eq!(
        again, config,
        "an accepted config changed once written and read"
    );
}
