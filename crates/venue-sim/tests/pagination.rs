//! Walking every page returns each record exactly once, including when the total is an exact
//! multiple of the page size and one more than it; windows are filtered as the vendors document.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod common;

use std::collections::HashSet;

use chrono::{TimeDelta, TimeZone, Utc};
use common::*;
use serde_json::json;
use venue_sim::{OrderSpec, OrderState, SimConfig, SimHandle, Vendor};

fn truth_payments(sim: &SimHandle, location: &str) -> HashSet<String> {
    sim.orders(Vendor::Square)
        .into_iter()
        .filter(|o| o.location_id == location)
        .flat_map(|o| o.payments.into_iter().map(|p| p.id))
        .collect()
}

#[tokio::test]
async fn payments_walk_returns_each_payment_once_in_both_orders() {
    let sim = start(SimConfig::default()).await;
    let main = sim.locations(Vendor::Square)[0].id.clone();
    let truth = truth_payments(&sim, &main);
    assert!(
        truth.len() > 1_000,
        "a fortnight of a busy café: {}",
        truth.len()
    );
    for order in ["DESC", "ASC"] {
        let (ids, pages) = all_payments(&sim, &format!("sort_order={order}&limit=100")).await;
        assert_unique(&ids);
        assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), truth);
        assert_eq!(pages, truth.len().div_ceil(100));
    }
    // Another location needs location_id: the default is the main location only.
    let bar = sim.locations(Vendor::Square)[2].id.clone();
    let (ids, _) = all_payments(&sim, &format!("location_id={bar}")).await;
    assert_eq!(
        ids.into_iter().collect::<HashSet<_>>(),
        truth_payments(&sim, &bar)
    );
}

#[tokio::test]
async fn payments_pages_at_exact_multiples_and_one_more() {
    let sim = start(small(0, 0)).await;
    let t0 = sim.now() - TimeDelta::hours(12);
    let mut added = 0;
    for total in [100_usize, 200, 201] {
        while added < total {
            sim.add_order(
                OrderSpec::new(Vendor::Square)
                    .closed_at(t0 + TimeDelta::seconds(added as i64 * 37))
                    .item("Latte", 1, 475),
            )
            .expect("added");
            added += 1;
        }
        let (ids, pages) = all_payments(&sim, "limit=100").await;
        assert_unique(&ids);
        assert_eq!(ids.len(), total);
        assert_eq!(
            pages,
            total.div_ceil(100),
            "no empty trailing page for {total}"
        );
        let (ids, pages) = all_payments(&sim, "limit=7&sort_order=ASC").await;
        assert_eq!(ids.len(), total);
        assert_eq!(pages, total.div_ceil(7));
    }
    assert_eq!(
        json_ok(
            square_get(
                &sim,
                "/v2/payments?end_time=2000-01-01T00:00:00Z&begin_time=1999-01-01T00:00:00Z"
            )
            .await
        )
        .await,
        json!({}),
        "nothing: an empty object, as Square answers"
    );
}

#[tokio::test]
async fn payments_window_is_begin_inclusive_end_exclusive() {
    let sim = start(small(0, 0)).await;
    let t = Utc
        .with_ymd_and_hms(2024, 3, 10, 12, 0, 0)
        .single()
        .expect("time");
    let order = sim
        .add_order(OrderSpec::new(Vendor::Square).closed_at(t + TimeDelta::seconds(40)))
        .expect("added");
    let created = order.payments[0].created_at;
    let q = |a: chrono::DateTime<Utc>, b: chrono::DateTime<Utc>| {
        format!("begin_time={}&end_time={}", a.to_rfc3339(), b.to_rfc3339()).replace('+', "%2B")
    };
    let hour = TimeDelta::hours(1);
    assert_eq!(
        all_payments(&sim, &q(created, created + hour))
            .await
            .0
            .len(),
        1
    );
    assert_eq!(
        all_payments(&sim, &q(created - hour, created))
            .await
            .0
            .len(),
        0
    );
}

async fn search_all(sim: &SimHandle, body: serde_json::Value, limit: u64) -> (Vec<String>, usize) {
    let (orders, pages) = all_orders(sim, body, limit).await;
    let ids: Vec<String> = orders
        .iter()
        .map(|o| {
            o.get("id")
                .or_else(|| o.get("order_id"))
                .and_then(|v| v.as_str())
                .expect("id")
                .to_string()
        })
        .collect();
    (ids, pages)
}

#[tokio::test]
async fn search_orders_walk_returns_each_order_once() {
    let sim = start(SimConfig::default()).await;
    let locations: Vec<String> = sim
        .locations(Vendor::Square)
        .into_iter()
        .map(|l| l.id)
        .collect();
    let truth: HashSet<String> = sim
        .orders(Vendor::Square)
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert!(truth.len() > 4_000, "{}", truth.len());

    let (ids, pages) = search_all(&sim, json!({ "location_ids": locations }), 1000).await;
    assert_unique(&ids);
    assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), truth);
    assert_eq!(pages, truth.len().div_ceil(1000));

    let (entries, _) = search_all(
        &sim,
        json!({ "location_ids": locations, "return_entries": true, "query": { "sort": { "sort_field": "UPDATED_AT", "sort_order": "ASC" } } }),
        777,
    )
    .await;
    assert_unique(&entries);
    assert_eq!(entries.into_iter().collect::<HashSet<_>>(), truth);
}

#[tokio::test]
async fn search_orders_closed_at_window_matches_the_truth() {
    let sim = start(SimConfig::default()).await;
    let locations: Vec<String> = sim
        .locations(Vendor::Square)
        .into_iter()
        .map(|l| l.id)
        .collect();
    let start_at = Utc
        .with_ymd_and_hms(2024, 3, 8, 0, 0, 0)
        .single()
        .expect("t");
    let end_at = start_at + TimeDelta::days(2);
    let truth: HashSet<String> = sim
        .orders(Vendor::Square)
        .into_iter()
        .filter(|o| o.state == OrderState::Completed)
        .filter(|o| o.closed_at.is_some_and(|c| c >= start_at && c <= end_at))
        .map(|o| o.id)
        .collect();
    assert!(truth.len() > 500);
    let body = json!({
        "location_ids": locations,
        "query": {
            "filter": {
                "state_filter": { "states": ["COMPLETED"] },
                "date_time_filter": { "closed_at": { "start_at": start_at.to_rfc3339(), "end_at": end_at.to_rfc3339() } },
            },
            "sort": { "sort_field": "CLOSED_AT", "sort_order": "DESC" },
        },
    });
    let (orders, _) = all_orders(&sim, body, 100).await;
    let ids: Vec<String> = orders
        .iter()
        .map(|o| o["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_unique(&ids);
    assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), truth);
    let closed: Vec<&str> = orders
        .iter()
        .map(|o| o["closed_at"].as_str().unwrap_or(""))
        .collect();
    assert!(
        closed.windows(2).all(|w| w[0] >= w[1]),
        "sorted by closed_at, newest first"
    );
}

#[tokio::test]
async fn search_orders_pages_at_exact_multiples_and_one_more() {
    for (count, limit, pages_expected) in [
        (300_u32, 100_u64, 3_usize),
        (301, 100, 4),
        (100, 100, 1),
        (1, 1000, 1),
    ] {
        let sim = start(SimConfig {
            weekday_pattern: false,
            ..small(1, count)
        })
        .await;
        let location = sim.locations(Vendor::Square)[0].id.clone();
        assert_eq!(sim.orders(Vendor::Square).len(), count as usize);
        let (ids, pages) = search_all(&sim, json!({ "location_ids": [location] }), limit).await;
        assert_unique(&ids);
        assert_eq!(ids.len(), count as usize);
        assert_eq!(pages, pages_expected, "{count} orders by {limit}");
    }
}

#[tokio::test]
async fn search_orders_cursor_pins_the_end_while_sales_arrive() {
    let sim = start(small(1, 150)).await;
    let location = sim.locations(Vendor::Square)[0].id.clone();
    let before: HashSet<String> = sim
        .orders(Vendor::Square)
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut body = json!({ "location_ids": [location], "limit": 40 });
    let first = json_ok(square_search(&sim, &body).await).await;
    let mut ids: Vec<String> = first["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["id"].as_str().unwrap_or("").to_string())
        .collect();
    // Sales arrive mid-walk: the walk in progress is not disturbed by them.
    sim.advance(TimeDelta::hours(3));
    sim.add_order(OrderSpec::new(Vendor::Square))
        .expect("added");
    body["cursor"] = first["cursor"].clone();
    let (rest, _) = all_orders(&sim, body, 40).await;
    ids.extend(
        rest.iter()
            .map(|o| o["id"].as_str().unwrap_or("").to_string()),
    );
    assert_unique(&ids);
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), before);
    // A fresh walk sees the new sales.
    let (fresh, _) = search_all(&sim, json!({ "location_ids": [location] }), 500).await;
    assert!(fresh.len() > before.len());
}

async fn toast_truth(sim: &SimHandle, restaurant: &str) -> HashSet<String> {
    sim.orders(Vendor::Toast)
        .into_iter()
        .filter(|o| o.location_id == restaurant)
        .map(|o| o.id)
        .collect()
}

#[tokio::test]
async fn toast_walk_follows_next_links_and_returns_each_order_once() {
    let sim = start(SimConfig::default()).await;
    let token = toast_login(&sim).await;
    for restaurant in sim.locations(Vendor::Toast) {
        let truth = toast_truth(&sim, &restaurant.id).await;
        let start_at = Utc
            .with_ymd_and_hms(2024, 3, 1, 0, 0, 0)
            .single()
            .expect("t");
        let range = toast_range(start_at, start_at + TimeDelta::days(30));
        let (ids, pages) = all_toast_orders(
            &sim,
            &token,
            &restaurant.id,
            &format!("{range}&pageSize=100"),
        )
        .await;
        assert_unique(&ids);
        assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), truth);
        assert_eq!(pages, truth.len().div_ceil(100));
    }
    assert_eq!(sim.toast_logins(), 1);
}

#[tokio::test]
async fn toast_pages_at_exact_multiples_and_one_more() {
    for (count, size) in [(200_u32, 100_usize), (201, 100), (50, 25), (51, 25)] {
        let sim = start(SimConfig {
            weekday_pattern: false,
            ..small(1, count)
        })
        .await;
        let token = toast_login(&sim).await;
        let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
        let (ids, pages) = all_toast_orders(
            &sim,
            &token,
            &restaurant,
            &format!("businessDate=20240304&pageSize={size}"),
        )
        .await;
        assert_unique(&ids);
        assert_eq!(ids.len(), count as usize);
        assert_eq!(pages, (count as usize).div_ceil(size), "{count} by {size}");

        // The last full page of an exact multiple has no next link; past the end is empty.
        let last = (count as usize).div_ceil(size);
        let resp = toast_get(
            &sim,
            &token,
            &restaurant,
            &format!("businessDate=20240304&pageSize={size}&page={last}"),
        )
        .await;
        assert!(next_link(&resp).is_none());
        let resp = toast_get(
            &sim,
            &token,
            &restaurant,
            &format!("businessDate=20240304&pageSize={size}&page={}", last + 1),
        )
        .await;
        assert!(next_link(&resp).is_none());
        assert_eq!(json_ok(resp).await, json!([]));
    }
}

#[tokio::test]
async fn toast_window_is_start_inclusive_end_exclusive_on_modified_time() {
    let sim = start(small(0, 0)).await;
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let t = Utc
        .with_ymd_and_hms(2024, 3, 10, 18, 30, 0)
        .single()
        .expect("t");
    let order = sim
        .add_order(OrderSpec::new(Vendor::Toast).closed_at(t))
        .expect("added");
    assert_eq!(order.updated_at, t);
    let hour = TimeDelta::hours(1);
    let (at_start, _) =
        all_toast_orders(&sim, &token, &restaurant, &toast_range(t, t + hour)).await;
    assert_eq!(at_start, vec![order.id.clone()]);
    let (at_end, _) = all_toast_orders(&sim, &token, &restaurant, &toast_range(t - hour, t)).await;
    assert!(at_end.is_empty());

    // A later change moves the order's modified time into a later window.
    let changed = sim
        .update_order(&order.id, |o| o.guests = 4)
        .expect("updated");
    assert!(changed.updated_at > t);
    let later = toast_range(t + TimeDelta::milliseconds(1), changed.updated_at + hour);
    let (ids, _) = all_toast_orders(&sim, &token, &restaurant, &later).await;
    assert_eq!(ids, vec![order.id]);
}
