//! Toast-shaped endpoints: `POST /authentication/v1/authentication/login`,
//! `GET /orders/v2/ordersBulk` and `GET /restaurants/v1/restaurants/{guid}`.
//!
//! Amounts are decimal numbers of currency units (12.34; whole amounts as integers, as in the
//! fixture), timestamps `2019-02-24T13:48:44.206+0000`, business dates `yyyyMMdd` integers. Errors
//! use Toast's `{status, code, message, ...}` body. Every response carries
//! `X-Toast-RateLimit-By` / `-Remaining` / `-Reset`.

use std::time::Instant;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use serde_json::{json, Map, Number, Value};

use crate::gen::named_guid;
use crate::model::{
    OrderState, PaymentMethod, PaymentStatus, Profile, SimLocation, SimOrder, Vendor,
};
use crate::server::{lock, toast_error, unauthorized, Reply, Req, Shared};
use crate::util::{allocate, base62, currency_exponent, hash_str, parse_toast_time, toast_time};

fn bad(message: &str) -> Reply {
    toast_error(400, 10014, message)
}

// ---------------------------------------------------------------- login

/// `POST /authentication/v1/authentication/login` with `{clientId, clientSecret,
/// userAccessType: "TOAST_MACHINE_CLIENT"}`. Every success counts as a login
/// ([`crate::SimHandle::toast_logins`]) and issues a fresh token valid for `toast_token_ttl`.
pub(crate) fn login(s: &Shared, req: &Req) -> Reply {
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return bad("The request body must be a JSON object"),
    };
    let text = |k: &str| body.get(k).and_then(Value::as_str);
    let (Some(id), Some(secret)) = (text("clientId"), text("clientSecret")) else {
        return bad("clientId and clientSecret are required");
    };
    match text("userAccessType") {
        Some("TOAST_MACHINE_CLIENT") => {}
        Some(_) => return bad("userAccessType must be TOAST_MACHINE_CLIENT"),
        None => return bad("userAccessType is required"),
    }
    if id != s.cfg.toast_client_id || secret != s.cfg.toast_client_secret {
        return toast_error(401, 10010, "Authentication failed: bad client credentials");
    }
    let n = s.logins.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let mut r = fastrand::Rng::with_seed(fastrand::u64(..) ^ n);
    let token = format!(
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
        base62(&mut r, 120),
        base62(&mut r, 86)
    );
    let ttl = s.cfg.toast_token_ttl;
    {
        let mut tokens = lock(&s.tokens);
        let now = Instant::now();
        tokens.retain(|_, expiry| *expiry > now);
        tokens.insert(token.clone(), now + ttl);
    }
    Reply::json(
        200,
        &json!({
            "@class": ".SuccessfulResponse",
            "token": {
                "tokenType": "Bearer",
                "scope": null,
                "expiresIn": ttl.as_secs(),
                "accessToken": token,
                "idToken": null,
                "refreshToken": null,
            },
            "status": "SUCCESS",
        }),
    )
}

fn authorized(s: &Shared, req: &Req) -> bool {
    let Some(token) = req.bearer() else {
        return false;
    };
    let mut tokens = lock(&s.tokens);
    match tokens.get(token) {
        Some(expiry) if *expiry > Instant::now() => true,
        Some(_) => {
            tokens.remove(token);
            false
        }
        None => false,
    }
}

// ---------------------------------------------------------------- restaurants

/// The path of a restaurant's configuration, before its GUID.
pub(crate) const RESTAURANT_PATH: &str = "/restaurants/v1/restaurants/";

/// `GET /restaurants/v1/restaurants/{guid}`: the restaurant's `RestaurantInfo` (its `general`
/// names it). Needs a live bearer token (401) and `Toast-Restaurant-External-ID` (400 missing,
/// 403 when it names no restaurant of this client or another than the path); an unknown GUID
/// in the path is a 404, as Toast answers for invalid or archived restaurants.
pub(crate) fn restaurant(s: &Shared, req: &Req) -> Reply {
    if !authorized(s, req) {
        return unauthorized(Vendor::Toast, false);
    }
    let Some(header) = req
        .header("toast-restaurant-external-id")
        .map(str::trim)
        .filter(|r| !r.is_empty())
    else {
        return bad("The Toast-Restaurant-External-ID header is required");
    };
    let guid = req.path.strip_prefix(RESTAURANT_PATH).unwrap_or_default();
    if let Some(flag) = req.param("includeArchived") {
        if !matches!(flag, "true" | "false") {
            return bad("includeArchived must be true or false");
        }
    }
    let store = lock(&s.store);
    let Some(location) = store.location(Vendor::Toast, guid) else {
        return toast_error(404, 10404, &format!("Restaurant {guid} not found"));
    };
    if header != guid {
        return toast_error(
            403,
            10003,
            "The restaurant is not accessible to this client",
        );
    }
    Reply::json(200, &restaurant_json(s, location))
}

/// A `RestaurantInfo` as Toast documents it (restaurants API): a single-location restaurant,
/// so `locationName` is empty.
fn restaurant_json(s: &Shared, l: &SimLocation) -> Value {
    let outlet = &crate::gen::pool(Vendor::Toast)[l.pool_index];
    let first_day = outlet
        .created_at
        .get(..10)
        .map(|d| d.replace('-', ""))
        .and_then(|d| d.parse::<i64>().ok());
    json!({
        "guid": l.id,
        "general": {
            "name": l.name,
            "locationName": "",
            "locationCode": l.name.chars().filter(char::is_ascii_uppercase).collect::<String>(),
            "description": outlet.description,
            "timeZone": l.timezone.name(),
            "closeoutHour": 4,
            "managementGroupGuid": named_guid(s.cfg.seed, "toast-management-group"),
            "currencyCode": l.currency,
            "firstBusinessDate": first_day,
            "archived": false,
        },
        "urls": {
            "website": null,
            "facebook": null,
            "twitter": null,
            "orderOnline": null,
            "purchaseGiftCard": null,
            "checkGiftCard": null,
        },
        "location": {
            "address1": outlet.address_line_1,
            "address2": null,
            "city": "New York",
            "stateCode": "NY",
            "administrativeArea": "NY",
            "zipCode": "10004",
            "country": "US",
            "phone": outlet.phone,
            "phoneCountryCode": "1",
            "latitude": outlet.latitude,
            "longitude": outlet.longitude,
        },
        "delivery": { "enabled": false, "minimum": null, "area": null },
        "onlineOrdering": {
            "enabled": false,
            "scheduling": false,
            "specialRequests": false,
            "specialRequestsMessage": null,
            "paymentOptions": null,
        },
    })
}

// ---------------------------------------------------------------- ordersBulk

enum Window {
    Modified(DateTime<Utc>, DateTime<Utc>),
    BusinessDate(NaiveDate),
}

/// `GET /orders/v2/ordersBulk`: `startDate` (inclusive) and `endDate` (exclusive) on the modified
/// time, at most a month apart; or `businessDate=yyyyMMdd`; `pageSize` 1..=100 (100), `page` from 1.
/// Needs a live bearer token (401) and a known `Toast-Restaurant-External-ID` (400 missing,
/// 403 unknown). Pages come in modified-time order; `Link` headers (one per relation: first, self,
/// prev, next) point at the neighbouring pages, with `rel="next"` only while more orders follow.
pub(crate) fn orders_bulk(s: &Shared, req: &Req) -> Reply {
    if !authorized(s, req) {
        return unauthorized(Vendor::Toast, false);
    }
    match bulk_page(s, req) {
        Ok(r) | Err(r) => r,
    }
}

fn parse_positive(req: &Req, name: &str, default: usize, max: usize) -> Result<usize, Reply> {
    match req.param(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad(&format!("{name} must be an integer from 1 to {max}"))),
        },
    }
}

fn bulk_page(s: &Shared, req: &Req) -> Result<Reply, Reply> {
    let restaurant_id = req
        .header("toast-restaurant-external-id")
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| bad("The Toast-Restaurant-External-ID header is required"))?;
    let page_size = parse_positive(req, "pageSize", 100, 100)?;
    let page = parse_positive(req, "page", 1, 1_000_000)?;
    let window = match (
        req.param("startDate"),
        req.param("endDate"),
        req.param("businessDate"),
    ) {
        (Some(a), Some(b), None) => {
            let start = parse_toast_time(a).ok_or_else(|| {
                bad(&format!(
                    "startDate `{a}` is not an ISO-8601 date such as 2019-02-24T13:48:44.206+0000"
                ))
            })?;
            let end = parse_toast_time(b).ok_or_else(|| {
                bad(&format!(
                    "endDate `{b}` is not an ISO-8601 date such as 2019-02-24T13:48:44.206+0000"
                ))
            })?;
            if start >= end {
                return Err(bad("startDate must be before endDate"));
            }
            if end - start > TimeDelta::days(31) {
                return Err(bad(
                    "The startDate to endDate interval must not exceed one month",
                ));
            }
            Window::Modified(start, end)
        }
        (None, None, Some(d)) => Window::BusinessDate(
            NaiveDate::parse_from_str(d.trim(), "%Y%m%d")
                .map_err(|_| bad("businessDate must be yyyyMMdd"))?,
        ),
        (None, None, None) => {
            return Err(bad(
                "Either startDate and endDate, or businessDate, is required",
            ))
        }
        _ => {
            return Err(bad(
                "Use startDate together with endDate, or businessDate alone",
            ))
        }
    };

    let store = lock(&s.store);
    let location = store
        .location(Vendor::Toast, restaurant_id)
        .cloned()
        .ok_or_else(|| {
            toast_error(
                403,
                10003,
                "The restaurant is not accessible to this client",
            )
        })?;
    let mut matches: Vec<SimOrder> = Vec::new();
    store.for_each_visible(Vendor::Toast, |o| {
        let keep = o.location_id == location.id
            && match window {
                Window::Modified(a, b) => o.updated_at >= a && o.updated_at < b,
                Window::BusinessDate(d) => o.business_date == d,
            };
        if keep {
            matches.push(o.clone());
        }
    });
    drop(store);
    matches.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id)));
    let total = matches.len();
    let from = (page - 1).saturating_mul(page_size).min(total);
    let to = from.saturating_add(page_size).min(total);
    let body: Vec<Value> = matches[from..to]
        .iter()
        .map(|o| order_json(s, o, &location))
        .collect();

    let link = |p: usize, rel: &str| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &req.query {
            if k != "page" {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page", &p.to_string());
        format!(
            "<{}/orders/v2/ordersBulk?{}>; rel=\"{rel}\"",
            s.base_url,
            q.finish()
        )
    };
    let mut reply = Reply::json(200, &Value::Array(body))
        .header("Link", link(1, "first"))
        .header("Link", link(page, "self"));
    if page > 1 {
        reply = reply.header("Link", link(page - 1, "prev"));
    }
    if to < total {
        reply = reply.header("Link", link(page + 1, "next"));
    }
    Ok(reply)
}

/// A decimal amount: minor units over 10^exponent, whole amounts as JSON integers.
fn amount(minor: i64, exponent: u32) -> Value {
    let unit = 10_i64.pow(exponent);
    if minor % unit == 0 {
        Value::from(minor / unit)
    } else {
        Number::from_f64(minor as f64 / unit as f64).map_or(Value::Null, Value::Number)
    }
}

fn business_date(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

fn reference(guid: &str, entity: &str) -> Value {
    json!({ "guid": guid, "entityType": entity, "externalId": null })
}

fn local_business_date(t: DateTime<Utc>, loc: &SimLocation) -> i64 {
    business_date((t.with_timezone(&loc.timezone) - TimeDelta::hours(4)).date_naive())
}

fn order_json(s: &Shared, o: &SimOrder, loc: &SimLocation) -> Value {
    let exp = currency_exponent(&s.cfg.currency);
    let a = |m: i64| amount(m, exp);
    let t = |d: DateTime<Utc>| Value::from(toast_time(d));
    let opt_t = |d: Option<DateTime<Utc>>| d.map_or(Value::Null, t);
    let seed = s.cfg.seed;
    let voided = o.state == OrderState::Canceled;
    let void_date = if voided { o.closed_at } else { None };
    let void_bd = void_date.map_or(Value::Null, |d| Value::from(local_business_date(d, loc)));
    let paid = o.captured_payments().map(|p| p.created_at).max();
    let dining = match loc.profile {
        Profile::Cafe if matches!(hash_str(&o.id) % 3, 1 | 2) => "Take Out",
        _ => "Dine In",
    };
    let dining_option = reference(
        &named_guid(seed, &format!("dining:{}:{dining}", loc.id)),
        "DiningOption",
    );
    let server = reference(&o.server_id, "RestaurantUser");
    let device = json!({ "id": null });

    let grosses: Vec<i64> = o.lines.iter().map(|l| l.gross_minor()).collect();
    let shares = allocate(o.discount_minor(), &grosses);
    let taxables: Vec<i64> = grosses.iter().zip(&shares).map(|(g, d)| g - d).collect();
    let taxes = allocate(o.tax_minor, &taxables);
    let tax_rate = f64::from(s.cfg.tax_rate_bp) / 10_000.0;
    let selections: Vec<Value> = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({
                "guid": l.id,
                "entityType": "MenuItemSelection",
                "externalId": null,
                "deferred": false,
                "preDiscountPrice": a(l.gross_minor()),
                "voidReason": null,
                "optionGroup": null,
                "displayName": l.name,
                "appliedDiscounts": [],
                "modifiers": [],
                "seatNumber": -1,
                "voidDate": opt_t(void_date),
                "fulfillmentStatus": if o.state == OrderState::Open { "NEW" } else { "SENT" },
                "salesCategory": reference(&named_guid(seed, &format!("category:{}", l.category)), "SalesCategory"),
                "selectionType": "NONE",
                "price": a(l.gross_minor()),
                "voided": voided,
                "appliedTaxes": [{
                    "guid": named_guid(seed, &format!("applied-tax:{}", l.id)),
                    "entityType": "AppliedTaxRate",
                    "taxRate": reference(&named_guid(seed, "tax:sales"), "TaxRate"),
                    "name": "Sales Tax",
                    "rate": tax_rate,
                    "taxAmount": a(taxes[i]),
                    "type": "PERCENT",
                }],
                "itemGroup": reference(&named_guid(seed, &format!("group:{}:{}", loc.id, l.category)), "MenuGroup"),
                "item": reference(&l.item_id, "MenuItem"),
                "taxInclusion": "NOT_INCLUDED",
                "quantity": l.quantity,
                "unitOfMeasure": "NONE",
                "tax": a(taxes[i]),
                "diningOption": dining_option,
                "voidBusinessDate": void_bd,
                "createdDate": t(o.created_at),
                "preModifier": null,
                "modifiedDate": t(o.created_at),
            })
        })
        .collect();
    let discounts: Vec<Value> = o
        .discount
        .iter()
        .map(|d| {
            json!({
                "guid": d.id,
                "entityType": "AppliedDiscount",
                "externalId": null,
                "name": d.name,
                "discountAmount": a(d.amount_minor),
                "nonTaxDiscountAmount": 0,
                "discount": reference(&named_guid(seed, &format!("discount:{}", d.name)), "Discount"),
                "discountType": if d.percent.is_some() { "PERCENT" } else { "FIXED" },
                "discountPercent": d.percent,
                "appliedDate": t(o.created_at),
            })
        })
        .collect();
    let payments: Vec<Value> = o
        .payments
        .iter()
        .map(|p| {
            let (kind, card_type, last4, entry) = match &p.method {
                PaymentMethod::Card { brand, last4 } => (
                    "CREDIT",
                    Value::from(if brand == "AMERICAN_EXPRESS" { "AMEX" } else { brand.as_str() }),
                    Value::from(last4.clone()),
                    Value::from("EMV_CHIP_SIGN"),
                ),
                PaymentMethod::Cash => ("CASH", Value::Null, Value::Null, Value::Null),
            };
            let refunded = p.refunded_minor();
            let refund = p.refunds.last().map_or(Value::Null, |last| {
                json!({
                    "refundAmount": a(refunded),
                    "tipRefundAmount": 0,
                    "refundDate": t(last.created_at),
                    "refundBusinessDate": local_business_date(last.created_at, loc),
                    "refundTransaction": reference(&last.id, "RefundTransaction"),
                })
            });
            let captured = p.status == PaymentStatus::Completed;
            json!({
                "guid": p.id,
                "entityType": "OrderPayment",
                "externalId": null,
                "paidDate": t(p.created_at),
                "paidBusinessDate": local_business_date(p.created_at, loc),
                "type": kind,
                "cardType": card_type,
                "last4Digits": last4,
                "cardEntryMode": entry,
                "amount": a(p.amount_minor),
                "tipAmount": a(p.tip_minor),
                "amountTendered": a(p.amount_minor),
                "refundStatus": if refunded == 0 { "NONE" } else if refunded >= p.amount_minor { "FULL" } else { "PARTIAL" },
                "refund": refund,
                "paymentStatus": if captured { if matches!(p.method, PaymentMethod::Card { .. }) { "CAPTURED" } else { "CLOSED" } } else { "VOIDED" },
                "voidInfo": if captured { Value::Null } else { json!({
                    "voidUser": null,
                    "voidApprover": null,
                    "voidDate": t(p.updated_at()),
                    "voidBusinessDate": local_business_date(p.updated_at(), loc),
                    "voidReason": null,
                }) },
                "server": server,
                "checkGuid": o.check_id,
                "orderGuid": o.id,
                "createdDevice": device,
                "lastModifiedDevice": device,
            })
        })
        .collect();
    let check_status = match o.state {
        OrderState::Open => "OPEN",
        OrderState::Completed | OrderState::Canceled => "CLOSED",
    };
    let check = json!({
        "guid": o.check_id,
        "entityType": "Check",
        "externalId": null,
        "displayNumber": o.number.to_string(),
        "payments": payments,
        "appliedDiscounts": discounts,
        "lastModifiedDevice": device,
        "voidDate": opt_t(void_date),
        "paidDate": opt_t(paid),
        "appliedLoyaltyInfo": null,
        "voided": voided,
        "paymentStatus": check_status,
        "amount": a(o.net_sales_minor()),
        "tabName": null,
        "taxExempt": false,
        "openedDate": t(o.created_at),
        "totalAmount": a(o.amount_due_minor()),
        "selections": selections,
        "voidBusinessDate": void_bd,
        "deleted": false,
        "createdDevice": device,
        "closedDate": opt_t(o.closed_at),
        "deletedDate": null,
        "modifiedDate": t(o.updated_at),
        "taxAmount": a(o.tax_minor),
        "appliedServiceCharges": [],
        "customer": null,
    });
    let table = match loc.profile {
        Profile::Restaurant => reference(
            &named_guid(
                seed,
                &format!("table:{}:{}", loc.id, hash_str(&o.id) % 24 + 1),
            ),
            "Table",
        ),
        _ => Value::Null,
    };
    let mut out = Map::new();
    let mut put = |k: &str, v: Value| {
        out.insert(k.to_string(), v);
    };
    put("guid", Value::from(o.id.clone()));
    put("entityType", Value::from("Order"));
    put("externalId", Value::Null);
    put(
        "revenueCenter",
        reference(
            &named_guid(seed, &format!("revenue-center:{}", loc.id)),
            "RevenueCenter",
        ),
    );
    put("server", server.clone());
    put("lastModifiedDevice", device.clone());
    put("source", Value::from("In Store"));
    put("voidDate", opt_t(void_date));
    put(
        "duration",
        o.closed_at.map_or(Value::Null, |c| {
            Value::from((c - o.created_at).num_seconds())
        }),
    );
    put("businessDate", Value::from(business_date(o.business_date)));
    put("paidDate", opt_t(paid));
    put("restaurantService", Value::Null);
    put("voided", Value::from(voided));
    put("estimatedFulfillmentDate", Value::Null);
    put("table", table);
    put("requiredPrepTime", Value::Null);
    put("approvalStatus", Value::from("APPROVED"));
    put("deliveryInfo", Value::Null);
    put("serviceArea", Value::Null);
    put("curbsidePickupInfo", Value::Null);
    put("numberOfGuests", Value::from(o.guests));
    put("diningOption", dining_option);
    put("openedDate", t(o.created_at));
    put("voidBusinessDate", void_bd);
    put("checks", json!([check]));
    put("deleted", Value::from(false));
    put("createdDevice", device);
    put("closedDate", opt_t(o.closed_at));
    put("deletedDate", Value::Null);
    put("modifiedDate", t(o.updated_at));
    put("promisedDate", Value::Null);
    put("pricingFeatures", json!(["TAXESV2"]));
    put("createdDate", t(o.created_at));
    Value::Object(out)
}
