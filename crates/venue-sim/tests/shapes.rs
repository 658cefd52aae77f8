//! Every endpoint's responses have the shape of the vendor's documented examples in
//! shared/fixtures (keys and JSON types), and errors use the vendor's error format.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod common;

use common::*;
use serde_json::{json, Value};
use venue_sim::Vendor;

#[tokio::test]
async fn square_locations_have_the_fixture_shape() {
    let sim = start(venue_sim::SimConfig::default()).await;
    let fixture = fixture("square/list_locations_response.json");
    let ours = json_ok(square_get(&sim, "/v2/locations").await).await;
    assert_eq!(top_level(&ours), top_level(&fixture));
    let list = ours["locations"].as_array().expect("locations");
    assert_eq!(list.len(), 3);
    for theirs in fixture["locations"].as_array().expect("fixture locations") {
        for mine in list {
            assert_covers(theirs, mine, "location", &[]);
        }
    }
    let ids: Vec<_> = list
        .iter()
        .map(|l| l["id"].as_str().unwrap_or(""))
        .collect();
    let truth: Vec<_> = sim
        .locations(Vendor::Square)
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(ids, truth);
}

#[tokio::test]
async fn square_payments_have_the_fixture_shape() {
    let sim = start(small(2, 40)).await;
    let fixture = fixture("square/list_payments_response.json");
    // One day of one café fits in a page: the response has exactly the fixture's keys.
    let start_of_day = "2024-03-04T05:00:00Z";
    let end_of_day = "2024-03-05T05:00:00Z";
    let ours = json_ok(
        square_get(
            &sim,
            &format!("/v2/payments?begin_time={start_of_day}&end_time={end_of_day}"),
        )
        .await,
    )
    .await;
    assert_eq!(top_level(&ours), top_level(&fixture));
    let payments = ours["payments"].as_array().expect("payments");
    let card = payments
        .iter()
        .find(|p| p["source_type"] == "CARD" && p["status"] == "COMPLETED")
        .expect("a completed card payment");
    assert_covers(&fixture["payments"][0], card, "payment", &["note"]);
    for p in payments {
        assert!(p["amount_money"]["amount"].is_i64());
        assert_eq!(p["amount_money"]["currency"], "USD");
        assert!(p["total_money"]["amount"].as_i64() >= p["amount_money"]["amount"].as_i64());
    }

    // With more than a page, the only extra key is the string cursor.
    let paged = json_ok(square_get(&sim, "/v2/payments?limit=5").await).await;
    let mut expected = top_level(&fixture);
    expected.push(("cursor".to_string(), "string"));
    expected.sort();
    assert_eq!(top_level(&paged), expected);
}

#[tokio::test]
async fn square_search_orders_accepts_the_fixture_request_and_answers_in_its_shape() {
    let sim = start(small(3, 60)).await;
    let location = sim.locations(Vendor::Square)[0].id.clone();
    let mut request = fixture("square/search_orders_request.json");
    request["location_ids"] = json!([location]);
    request["query"]["filter"]["date_time_filter"]["closed_at"] =
        json!({ "start_at": "2024-03-04T00:00:00+00:00", "end_at": "2024-03-06T00:00:00+00:00" });
    let ours = json_ok(square_search(&sim, &request).await).await;
    let response_fixture = fixture("square/search_orders_response.json");
    assert_eq!(top_level(&ours), top_level(&response_fixture));
    let entries = ours["order_entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3, "limit 3 as in the fixture request");
    for e in entries {
        assert_covers(&response_fixture["order_entries"][0], e, "entry", &[]);
        assert_eq!(e["location_id"], location.as_str());
    }

    // Without return_entries the orders come whole.
    request["return_entries"] = json!(false);
    let full = json_ok(square_search(&sim, &request).await).await;
    let orders = full["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 3);
    for (o, e) in orders.iter().zip(entries) {
        assert_eq!(o["id"], e["order_id"]);
        assert_eq!(o["state"], "COMPLETED");
        assert!(o["total_money"]["amount"].is_i64());
        assert!(o["line_items"].as_array().is_some_and(|l| !l.is_empty()));
        assert!(
            o["line_items"][0]["quantity"].is_string(),
            "Square quantities are strings"
        );
    }
}

#[tokio::test]
async fn square_errors_have_the_fixture_shape() {
    let sim = start(small(1, 10)).await;
    let fixture = fixture("square/error_not_found.json");
    let shape = |v: &Value| {
        assert_eq!(top_level(v), top_level(&fixture), "{v}");
        assert_covers(&fixture, v, "error", &[]);
    };

    let resp = square_get(&sim, "/v2/payments?location_id=NOPE").await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.expect("json");
    shape(&body);
    assert_eq!(body["errors"][0]["code"], "NOT_FOUND");
    assert_eq!(body["errors"][0]["category"], "INVALID_REQUEST_ERROR");

    let resp = client()
        .get(format!("{}/v2/locations", sim.base_url()))
        .bearer_auth("wrong")
        .header("Square-Version", SQUARE_VERSION)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.expect("json");
    shape(&body);
    assert_eq!(body["errors"][0]["category"], "AUTHENTICATION_ERROR");

    let resp = square_search(&sim, &json!({ "location_ids": ["x"], "limit": 5000 })).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    shape(&body);
    assert_eq!(body["errors"][0]["code"], "VALUE_TOO_HIGH");
    assert_eq!(body["errors"][0]["field"], "limit");
}

#[tokio::test]
async fn toast_login_has_the_fixture_shape() {
    let sim = start(small(1, 10)).await;
    let mut request = fixture("toast/toast_login_request.json");
    request["clientId"] = json!(sim.config().toast_client_id);
    request["clientSecret"] = json!(sim.config().toast_client_secret);
    let resp = client()
        .post(format!(
            "{}/authentication/v1/authentication/login",
            sim.base_url()
        ))
        .json(&request)
        .send()
        .await
        .expect("sent");
    assert!(resp.headers().contains_key("x-toast-ratelimit-remaining"));
    let ours = json_ok(resp).await;
    let fixture = fixture("toast/toast_login_response.json");
    assert_eq!(top_level(&ours), top_level(&fixture));
    assert_eq!(top_level(&ours["token"]), top_level(&fixture["token"]));
    assert_covers(&fixture, &ours, "login", &[]);
    assert_eq!(ours["token"]["expiresIn"], 86_400);
    assert_eq!(ours["token"]["tokenType"], "Bearer");
    assert_eq!(sim.toast_logins(), 1);
}

#[tokio::test]
async fn toast_orders_have_the_fixture_shape() {
    let sim = start(small(2, 40)).await;
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let resp = toast_get(&sim, &token, &restaurant, "businessDate=20240304").await;
    for h in [
        "x-toast-ratelimit-remaining",
        "x-toast-ratelimit-reset",
        "x-toast-ratelimit-by",
    ] {
        assert!(resp.headers().contains_key(h), "{h} missing");
    }
    let ours = json_ok(resp).await;
    let fixture = fixture("toast/toast_orders_bulk_response.json");
    let orders = ours.as_array().expect("an array, like the fixture");
    assert!(!orders.is_empty());
    let fixture_order = &fixture[0];
    let fixture_keys: Vec<_> = top_level(fixture_order)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for o in orders {
        let keys: Vec<_> = top_level(o).into_iter().map(|(k, _)| k).collect();
        let extra: Vec<_> = keys.iter().filter(|k| !fixture_keys.contains(k)).collect();
        assert_eq!(
            extra,
            ["createdDate"],
            "only createdDate beyond the fixture's keys"
        );
        assert_covers(fixture_order, o, "order", &[]);
        assert!(o["businessDate"].is_i64());
        assert_eq!(o["businessDate"], 20240304);
        let modified = o["modifiedDate"].as_str().expect("modifiedDate");
        assert!(
            modified.ends_with("+0000") && modified.len() == 28,
            "{modified}"
        );
    }
    let mut decimals = 0;
    for o in orders {
        let check = &o["checks"][0];
        for key in ["amount", "totalAmount", "taxAmount"] {
            assert!(check[key].is_number(), "{key} is a JSON number");
            if check[key].is_f64() {
                decimals += 1;
            }
        }
    }
    assert!(
        decimals > 0,
        "amounts are decimal currency units, e.g. 12.34"
    );
}

#[tokio::test]
async fn toast_errors_have_the_fixture_shape() {
    let sim = start(small(1, 10)).await;
    let fixture = fixture("toast/toast_error_message.json");
    let restaurant = sim.locations(Vendor::Toast)[0].id.clone();
    let check = |v: &Value, status: u16| {
        assert_eq!(top_level(v).len(), top_level(&fixture).len(), "{v}");
        assert_covers(&fixture, v, "error", &[]);
        assert_eq!(v["status"], status);
    };

    let resp = toast_get(&sim, "not-a-token", &restaurant, "businessDate=20240304").await;
    assert_eq!(resp.status(), 401);
    check(&resp.json().await.expect("json"), 401);

    let token = toast_login(&sim).await;
    let resp = toast_get(&sim, &token, &restaurant, "pageSize=10").await;
    assert_eq!(resp.status(), 400);
    check(&resp.json().await.expect("json"), 400);

    let resp = client()
        .post(format!("{}/authentication/v1/authentication/login", sim.base_url()))
        .json(&json!({ "clientId": "x", "clientSecret": "y", "userAccessType": "TOAST_MACHINE_CLIENT" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401);
    check(&resp.json().await.expect("json"), 401);
    assert_eq!(
        sim.toast_logins(),
        1,
        "a refused login is not counted as a login"
    );
}

/// `GET /restaurants/v1/restaurants/{guid}` answers Toast's documented `RestaurantInfo` (no
/// fixture exists: the keys and types follow the restaurants API reference), and refuses with
/// Toast's error body.
#[tokio::test]
async fn toast_restaurants_have_the_documented_shape_and_errors() {
    let sim = start(small(1, 10)).await;
    let token = toast_login(&sim).await;
    let restaurant = sim.locations(Vendor::Toast)[0].clone();
    let get = |guid: &str, header: Option<&str>, token: &str| {
        let mut req = client()
            .get(format!(
                "{}/restaurants/v1/restaurants/{guid}",
                sim.base_url()
            ))
            .bearer_auth(token);
        if let Some(h) = header {
            req = req.header("Toast-Restaurant-External-ID", h);
        }
        req.send()
    };
    let ours = json_ok(
        get(&restaurant.id, Some(&restaurant.id), &token)
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(ours["guid"], restaurant.id.as_str());
    let general = &ours["general"];
    assert_eq!(general["name"], restaurant.name.as_str());
    for (key, is) in [
        ("locationName", Value::is_string as fn(&Value) -> bool),
        ("locationCode", Value::is_string),
        ("description", Value::is_string),
        ("timeZone", Value::is_string),
        ("closeoutHour", Value::is_i64),
        ("managementGroupGuid", Value::is_string),
        ("currencyCode", Value::is_string),
        ("firstBusinessDate", Value::is_i64),
        ("archived", Value::is_boolean),
    ] {
        assert!(is(&general[key]), "general.{key}: {}", general[key]);
    }
    for key in ["urls", "location", "delivery", "onlineOrdering"] {
        assert!(ours[key].is_object(), "{key}");
    }
    assert!(ours["location"]["latitude"].is_f64());

    let fixture = fixture("toast/toast_error_message.json");
    for (guid, header, token, status) in [
        (
            restaurant.id.as_str(),
            Some(restaurant.id.as_str()),
            "not-a-token",
            401,
        ),
        (restaurant.id.as_str(), None, token.as_str(), 400),
        (
            "0000-unknown",
            Some(restaurant.id.as_str()),
            token.as_str(),
            404,
        ),
        (
            restaurant.id.as_str(),
            Some("0000-unknown"),
            token.as_str(),
            403,
        ),
    ] {
        let resp = get(guid, header, token).await.expect("sent");
        assert_eq!(resp.status(), status, "{guid} {header:?}");
        let body: Value = resp.json().await.expect("json");
        assert_covers(&fixture, &body, "error", &[]);
        assert_eq!(body["status"], status);
    }
}

/// A location renamed in the vendor's back office is served with its new name by Square's
/// ListLocations and Toast's restaurants API.
#[tokio::test]
async fn a_renamed_location_is_served_with_its_new_name() {
    let sim = start(small(1, 10)).await;
    let square = sim.locations(Vendor::Square)[0].id.clone();
    let renamed = sim
        .rename_location(Vendor::Square, &square, "Sky Lounge")
        .expect("a Square location");
    assert_eq!(renamed.name, "Sky Lounge");
    let list = json_ok(square_get(&sim, "/v2/locations").await).await;
    let served = list["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .find(|l| l["id"] == square.as_str())
        .expect("listed");
    assert_eq!(served["name"], "Sky Lounge");

    let toast = sim.locations(Vendor::Toast)[0].id.clone();
    sim.rename_location(Vendor::Toast, &toast, "Harbour Grill & Oyster Bar")
        .expect("a Toast restaurant");
    let token = toast_login(&sim).await;
    let info = json_ok(
        client()
            .get(format!(
                "{}/restaurants/v1/restaurants/{toast}",
                sim.base_url()
            ))
            .bearer_auth(&token)
            .header("Toast-Restaurant-External-ID", &toast)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(info["general"]["name"], "Harbour Grill & Oyster Bar");
    assert!(sim
        .rename_location(Vendor::Toast, "no-such-guid", "x")
        .is_none());
}
