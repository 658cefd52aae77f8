//! The generated venue: deterministic for a seed, believable (peaks, weekdays, tips, discounts,
//! cancellations, refunds), consistent between the two vendors' renderings and the truth, and
//! changeable at run time (new sales, changes, the clock); restart keeps everything.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Datelike, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use common::*;
use serde_json::{json, Value};
use venue_sim::{
    Endpoint, Fault, OrderSpec, OrderState, PaymentMethod, PaymentStatus, PosSimulator, Profile,
    SimClock, SimConfig, Vendor,
};

#[tokio::test]
async fn same_seed_same_data_other_seed_other_data() {
    let a = start(SimConfig::default()).await;
    let b = start(SimConfig::default()).await;
    let c = start(SimConfig {
        seed: 43,
        ..SimConfig::default()
    })
    .await;
    assert_eq!(a.orders(Vendor::Square), b.orders(Vendor::Square));
    assert_eq!(a.orders(Vendor::Toast), b.orders(Vendor::Toast));
    assert_eq!(a.locations(Vendor::Square), b.locations(Vendor::Square));
    assert_ne!(
        a.orders(Vendor::Square)[0].id,
        c.orders(Vendor::Square)[0].id
    );
    assert_ne!(
        a.locations(Vendor::Toast)[0].id,
        c.locations(Vendor::Toast)[0].id
    );

    // Byte-identical responses, and re-fetching is idempotent.
    for path in ["/v2/locations", "/v2/payments?limit=100&sort_order=ASC"] {
        let x = square_get(&a, path).await.text().await.expect("body");
        let y = square_get(&b, path).await.text().await.expect("body");
        let z = square_get(&a, path).await.text().await.expect("body");
        assert_eq!(x, y);
        assert_eq!(x, z);
    }
    let loc = a.locations(Vendor::Square)[1].id.clone();
    let body = json!({ "location_ids": [loc], "limit": 200 });
    let x = square_search(&a, &body).await.text().await.expect("body");
    let y = square_search(&b, &body).await.text().await.expect("body");
    assert_eq!(x, y);
    let restaurant = a.locations(Vendor::Toast)[0].id.clone();
    let (ta, tb) = (toast_login(&a).await, toast_login(&b).await);
    let x = toast_get(&a, &ta, &restaurant, "businessDate=20240308")
        .await
        .text()
        .await
        .expect("body");
    let y = toast_get(&b, &tb, &restaurant, "businessDate=20240308")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(x, y);
}

#[tokio::test]
async fn a_longer_range_keeps_the_orders_of_the_shorter_one() {
    let short = start(small(3, 50)).await;
    let long = start(small(10, 50)).await;
    let ids: Vec<String> = long
        .orders(Vendor::Square)
        .into_iter()
        .map(|o| o.id)
        .collect();
    for o in short.orders(Vendor::Square) {
        assert!(ids.contains(&o.id));
    }
}

fn local_hour(t: chrono::DateTime<Utc>) -> u32 {
    t.with_timezone(&chrono_tz::America::New_York).hour()
}

#[tokio::test]
async fn volumes_peaks_and_weekdays_are_believable() {
    let sim = start(SimConfig {
        days: 28,
        ..SimConfig::default()
    })
    .await;
    let locations = sim.locations(Vendor::Square);
    let orders = sim.orders(Vendor::Square);
    let per_location = orders.len() as f64 / 3.0 / 28.0;
    assert!(
        (100.0..=140.0).contains(&per_location),
        "about 120 a day per location: {per_location}"
    );

    let restaurant = locations
        .iter()
        .find(|l| l.profile == Profile::Restaurant)
        .expect("a restaurant");
    let bar = locations
        .iter()
        .find(|l| l.profile == Profile::Bar)
        .expect("a bar");
    let cafe = locations
        .iter()
        .find(|l| l.profile == Profile::Cafe)
        .expect("a cafe");
    let by_hour = |loc: &str| {
        let mut h: HashMap<u32, usize> = HashMap::new();
        for o in orders.iter().filter(|o| o.location_id == loc) {
            *h.entry(local_hour(o.created_at)).or_default() += 1;
        }
        h
    };
    let r = by_hour(&restaurant.id);
    let at = |h: &HashMap<u32, usize>, hour: u32| h.get(&hour).copied().unwrap_or(0);
    assert!(at(&r, 12) > 2 * at(&r, 15), "lunch peak: {r:?}");
    assert!(at(&r, 19) > 2 * at(&r, 16), "dinner peak: {r:?}");
    assert_eq!(at(&r, 4), 0);
    let c = by_hour(&cafe.id);
    assert!(at(&c, 8) > 2 * at(&c, 17), "morning coffee: {c:?}");
    assert_eq!(at(&c, 20), 0, "the café is closed in the evening");
    let b = by_hour(&bar.id);
    assert!(at(&b, 21) > 3 * at(&b, 15), "evening peak: {b:?}");
    assert!(at(&b, 0) > 0, "the bar runs past midnight");

    let by_weekday = |loc: &str, day: Weekday| {
        orders
            .iter()
            .filter(|o| o.location_id == loc && o.business_date.weekday() == day)
            .count()
    };
    assert!(by_weekday(&bar.id, Weekday::Sat) > 2 * by_weekday(&bar.id, Weekday::Mon));
    assert!(by_weekday(&cafe.id, Weekday::Tue) > by_weekday(&cafe.id, Weekday::Sun));
}

#[tokio::test]
async fn the_data_has_tips_discounts_cancellations_refunds_splits_and_cash() {
    let sim = start(SimConfig::default()).await;
    for vendor in [Vendor::Square, Vendor::Toast] {
        let orders = sim.orders(vendor);
        let n = orders.len() as f64;
        let share = |f: &dyn Fn(&venue_sim::SimOrder) -> bool| {
            orders.iter().filter(|o| f(o)).count() as f64 / n
        };
        let tipped = share(&|o| o.tip_minor() > 0);
        let discounted = share(&|o| o.discount.is_some());
        let canceled = share(&|o| o.state == OrderState::Canceled);
        let open = share(&|o| o.state == OrderState::Open);
        let refunded = share(&|o| o.refunded_minor() > 0);
        let split = share(&|o| o.payments.len() > 1);
        let cash = share(&|o| o.payments.iter().any(|p| p.method == PaymentMethod::Cash));
        let voided = share(&|o| {
            o.payments
                .iter()
                .any(|p| p.status == PaymentStatus::Canceled)
        });
        assert!((0.35..0.9).contains(&tipped), "{vendor:?} tipped {tipped}");
        assert!(
            (0.02..0.2).contains(&discounted),
            "{vendor:?} discounted {discounted}"
        );
        assert!(
            (0.01..0.05).contains(&canceled),
            "{vendor:?} canceled {canceled}"
        );
        assert!(open > 0.0 && open < 0.02, "{vendor:?} open {open}");
        assert!(
            (0.005..0.04).contains(&refunded),
            "{vendor:?} refunded {refunded}"
        );
        assert!(cash > 0.1 && cash < 0.3, "{vendor:?} cash {cash}");
        assert!(voided > 0.0, "{vendor:?} voided card payments");
        if vendor == Vendor::Square {
            assert!(split > 0.0, "split bills at the restaurant");
        }
        for o in &orders {
            let paid: i64 = o.captured_payments().map(|p| p.amount_minor).sum();
            match o.state {
                OrderState::Completed => assert_eq!(paid, o.amount_due_minor(), "{o:?}"),
                _ => assert_eq!(paid, 0),
            }
            assert!(o.refunded_minor() <= paid);
            assert!(o.updated_at >= o.created_at);
            assert!(o
                .closed_at
                .is_none_or(|c| c >= o.created_at && c <= o.updated_at));
        }
    }
}

#[tokio::test]
async fn square_money_adds_up_against_the_truth() {
    let sim = start(small(3, 80)).await;
    let location = sim.locations(Vendor::Square)[0].id.clone();
    let truth: HashMap<String, venue_sim::SimOrder> = sim
        .orders(Vendor::Square)
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let (orders, _) = all_orders(&sim, json!({ "location_ids": [location] }), 1000).await;
    assert_eq!(orders.len(), truth.len());
    let amount = |v: &Value| v["amount"].as_i64().expect("an integer amount");
    for o in &orders {
        let t = &truth[o["id"].as_str().expect("id")];
        assert_eq!(amount(&o["total_money"]), t.total_minor());
        assert_eq!(amount(&o["total_tax_money"]), t.tax_minor);
        assert_eq!(amount(&o["total_discount_money"]), t.discount_minor());
        assert_eq!(amount(&o["total_tip_money"]), t.tip_minor());
        let lines: i64 = o["line_items"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| amount(&l["total_money"]))
            .sum();
        assert_eq!(
            lines + t.tip_minor(),
            t.total_minor(),
            "line totals + tip = order total"
        );
        assert_eq!(o["version"], t.version);
    }
    let (ids, _) = all_payments(&sim, "limit=100").await;
    let payment_count: usize = truth.values().map(|o| o.payments.len()).sum();
    assert_eq!(ids.len(), payment_count);
}

#[tokio::test]
async fn toast_decimals_match_the_minor_units() {
    let sim = start(small(2, 60)).await;
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let truth: HashMap<String, venue_sim::SimOrder> = sim
        .orders(Vendor::Toast)
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let body = json_ok(toast_get(&sim, &token, &restaurant, "businessDate=20240305").await).await;
    let cents = |v: &Value| (v.as_f64().expect("a number") * 100.0).round() as i64;
    for o in body.as_array().expect("orders") {
        let t = &truth[o["guid"].as_str().expect("guid")];
        let check = &o["checks"][0];
        assert_eq!(cents(&check["amount"]), t.net_sales_minor());
        assert_eq!(cents(&check["taxAmount"]), t.tax_minor);
        assert_eq!(cents(&check["totalAmount"]), t.amount_due_minor());
        let tips: i64 = check["payments"]
            .as_array()
            .expect("payments")
            .iter()
            .filter(|p| p["paymentStatus"] != "VOIDED")
            .map(|p| cents(&p["tipAmount"]))
            .sum();
        assert_eq!(tips, t.tip_minor());
        assert_eq!(o["voided"], t.state == OrderState::Canceled);
        assert_eq!(check["guid"], t.check_id.as_str());
    }
}

#[tokio::test]
async fn other_currencies_use_their_minor_units() {
    let sim = start(SimConfig {
        currency: "JPY".into(),
        timezone: chrono_tz::Asia::Tokyo,
        ..small(1, 30)
    })
    .await;
    let body = json_ok(square_get(&sim, "/v2/payments").await).await;
    let p = &body["payments"][0];
    assert_eq!(p["amount_money"]["currency"], "JPY");
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let orders = json_ok(toast_get(&sim, &token, &restaurant, "businessDate=20240304").await).await;
    for o in orders.as_array().expect("orders") {
        assert!(
            o["checks"][0]["totalAmount"].is_i64(),
            "yen have no decimals"
        );
    }
    let latte = sim
        .orders(Vendor::Square)
        .into_iter()
        .flat_map(|o| o.lines)
        .find(|l| l.name == "Latte")
        .expect("a latte");
    assert_eq!(latte.unit_price_minor, 710, "¥710 for a $4.75 latte");
    assert!(PosSimulator::start(SimConfig {
        currency: "usd".into(),
        ..SimConfig::default()
    })
    .await
    .is_err());
}

#[tokio::test]
async fn advancing_the_clock_brings_new_and_closing_sales() {
    let noon = Utc
        .with_ymd_and_hms(2024, 3, 8, 17, 0, 0)
        .single()
        .expect("t"); // 12:00 in New York
    let sim = start(SimConfig {
        clock: SimClock::Fixed(noon),
        ..small(5, 120)
    })
    .await;
    assert_eq!(sim.now(), noon);
    let before = sim.orders(Vendor::Square);
    assert!(before.iter().all(|o| o.created_at <= noon));
    let open: Vec<_> = before
        .iter()
        .filter(|o| o.state == OrderState::Open && o.closed_at.is_none())
        .collect();
    assert!(!open.is_empty(), "sales in progress at noon are open");
    assert!(open.iter().all(|o| o.payments.is_empty()));

    sim.advance(TimeDelta::hours(2));
    let after = sim.orders(Vendor::Square);
    assert!(after.len() > before.len() + 10, "lunch brings new sales");
    let closed_now = open
        .iter()
        .filter_map(|o| after.iter().find(|a| a.id == o.id))
        .filter(|a| a.state != OrderState::Open)
        .count();
    assert!(closed_now > 0, "orders open at noon have closed");
    for o in open {
        let a = after.iter().find(|a| a.id == o.id).expect("still there");
        if a.state != OrderState::Open {
            assert!(a.updated_at > o.updated_at && a.version > o.version);
        }
    }
    // Days after the configured range come as the clock reaches them.
    sim.advance(TimeDelta::days(10));
    let last = sim
        .orders(Vendor::Square)
        .into_iter()
        .map(|o| o.business_date)
        .max()
        .expect("orders");
    assert!(last >= chrono::NaiveDate::from_ymd_opt(2024, 3, 17).expect("date"));
}

#[tokio::test]
async fn added_updated_and_refunded_orders_are_served() {
    let sim = start(small(1, 20)).await;
    let square_loc = sim.locations(Vendor::Square)[0].id.clone();
    let order = sim
        .add_order(
            OrderSpec::new(Vendor::Square)
                .location(&square_loc)
                .item("Flat White", 2, 450)
                .item("Croissant", 1, 375)
                .discount(100)
                .tip(200),
        )
        .expect("added");
    assert_eq!(order.subtotal_minor(), 1275);
    assert_eq!(order.total_minor(), 1175 + order.tax_minor + 200);
    let body =
        json_ok(square_search(&sim, &json!({ "location_ids": [square_loc], "limit": 1 })).await)
            .await;
    assert_eq!(body["orders"][0]["id"], order.id.as_str(), "newest first");

    let refunded = sim.refund_order(&order.id, 500).expect("refunded");
    assert_eq!(refunded.refunded_minor(), 500);
    assert_eq!(refunded.version, order.version + 1);
    let payments =
        json_ok(square_get(&sim, "/v2/payments?sort_field=UPDATED_AT&limit=1").await).await;
    assert_eq!(payments["payments"][0]["refunded_money"]["amount"], 500);
    assert_eq!(payments["payments"][0]["order_id"], order.id.as_str());

    let generated = sim
        .orders(Vendor::Toast)
        .into_iter()
        .find(|o| o.state == OrderState::Completed)
        .expect("an order");
    let changed = sim
        .update_order(&generated.id, |o| o.guests += 1)
        .expect("changed");
    assert_eq!(changed.guests, generated.guests + 1);
    assert!(changed.updated_at > generated.updated_at);
    let again = sim.refund_order(&generated.id, i64::MAX).expect("refunded");
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let body = json_ok(
        toast_get(
            &sim,
            &token,
            &restaurant,
            &toast_range(changed.updated_at, again.updated_at + TimeDelta::seconds(1)),
        )
        .await,
    )
    .await;
    let served = &body.as_array().expect("orders")[0];
    assert_eq!(served["guid"], generated.id.as_str());
    assert_eq!(served["numberOfGuests"], changed.guests);
    assert_eq!(served["checks"][0]["payments"][0]["refundStatus"], "FULL");

    assert!(sim
        .add_order(OrderSpec::new(Vendor::Toast).location("nowhere"))
        .is_err());
    assert!(sim.update_order("no-such-order", |_| {}).is_none());
}

#[tokio::test]
async fn restart_serves_the_same_state_on_the_same_port() {
    let sim = start(small(1, 30)).await;
    let base = sim.base_url();
    let before = square_get(&sim, "/v2/payments")
        .await
        .text()
        .await
        .expect("body");
    sim.inject(
        Endpoint::SquarePayments,
        Fault::ServerError(500),
        venue_sim::Times::ONCE,
    );
    sim.shutdown().await;
    assert!(!sim.is_running());
    let down = client()
        .get(format!("{base}/v2/locations"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(down.is_err(), "nothing listens while stopped");
    sim.restart().await.expect("restarted");
    assert!(sim.is_running());
    assert_eq!(sim.base_url(), base);
    assert_eq!(
        square_get(&sim, "/v2/payments").await.status(),
        500,
        "faults survive a restart"
    );
    let after = square_get(&sim, "/v2/payments")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(before, after);
    assert_eq!(
        sim.requests(Endpoint::SquarePayments),
        3,
        "counters survive a restart"
    );
    sim.restart().await.expect("restarted while running");
    json_ok(square_get(&sim, "/v2/locations").await).await;
}

#[test]
fn a_background_simulator_serves_synchronous_code() {
    let sim = PosSimulator::start_in_background(small(1, 10)).expect("started");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let body = rt.block_on(async { json_ok(square_get(&sim, "/v2/locations").await).await });
    assert_eq!(body["locations"].as_array().map(Vec::len), Some(1));
    sim.shutdown();
    sim.restart().expect("restarted");
    let body = rt.block_on(async { json_ok(square_get(&sim, "/v2/locations").await).await });
    assert!(body["locations"].is_array());
}
