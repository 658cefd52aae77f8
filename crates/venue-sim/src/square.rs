//! Square-shaped endpoints: `GET /v2/locations`, `GET /v2/payments`, `POST /v2/orders/search`.
//!
//! Every request needs `Authorization: Bearer <square_access_token>` (else 401) and a
//! `Square-Version: YYYY-MM-DD` header (else 400). Errors use Square's
//! `{"errors":[{"category","code","detail","field"}]}` body. Empty result sets are `{}` and the
//! last page has no `cursor`, as Square does.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use crate::gen::{self, named_guid};
use crate::model::{
    OrderState, PaymentMethod, PaymentStatus, Profile, SimLocation, SimOrder, SimPayment, Vendor,
};
use crate::server::{lock, square_error, unauthorized, Reply, Req, Shared};
use crate::util::{
    allocate, apply_bp, base62, hash_str, hex_decode, hex_encode, parse_rfc3339, rng, square_time,
};

const INVALID: &str = "INVALID_REQUEST_ERROR";

fn bad(code: &str, detail: &str, field: &str) -> Reply {
    square_error(400, INVALID, code, detail, Some(field))
}

/// Authorization and Square-Version, in that order.
fn gate(s: &Shared, req: &Req) -> Result<(), Reply> {
    if req.bearer() != Some(s.cfg.square_access_token.as_str()) {
        return Err(unauthorized(Vendor::Square, false));
    }
    match req.header("square-version") {
        None => Err(bad(
            "MISSING_REQUIRED_PARAMETER",
            "The Square-Version header is required.",
            "Square-Version",
        )),
        Some(v) if chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").is_err() => Err(bad(
            "INVALID_SQUARE_VERSION_FORMAT",
            "Square-Version must be a date such as 2025-08-20.",
            "Square-Version",
        )),
        Some(_) => Ok(()),
    }
}

fn money(amount: i64, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

// ---------------------------------------------------------------- locations

pub(crate) fn locations(s: &Shared, req: &Req) -> Reply {
    if let Err(e) = gate(s, req) {
        return e;
    }
    let store = lock(&s.store);
    let merchant = gen::merchant_id(s.cfg.seed);
    let list: Vec<Value> = store
        .locations(Vendor::Square)
        .map(|l| location_json(s, l, &merchant))
        .collect();
    Reply::json(200, &json!({ "locations": list }))
}

fn location_json(s: &Shared, l: &SimLocation, merchant: &str) -> Value {
    let outlet = &gen::pool(Vendor::Square)[l.pool_index];
    let mcc = match l.profile {
        Profile::Cafe => "5814",
        Profile::Restaurant => "5812",
        Profile::Bar => "5813",
    };
    json!({
        "address": {
            "address_line_1": outlet.address_line_1,
            "administrative_district_level_1": "NY",
            "country": "US",
            "locality": "New York",
            "postal_code": "10004",
        },
        "business_name": s.cfg.venue_name,
        "capabilities": ["CREDIT_CARD_PROCESSING", "AUTOMATIC_TRANSFERS"],
        "coordinates": { "latitude": outlet.latitude, "longitude": outlet.longitude },
        "country": "US",
        "created_at": outlet.created_at,
        "currency": l.currency,
        "description": outlet.description,
        "id": l.id,
        "language_code": "en-US",
        "mcc": mcc,
        "merchant_id": merchant,
        "name": l.name,
        "phone_number": outlet.phone,
        "status": "ACTIVE",
        "timezone": l.timezone.name(),
        "type": "PHYSICAL",
    })
}

// ---------------------------------------------------------------- cursors

/// A keyset cursor: the query's fingerprint, the pinned `now`, and the last item's sort key.
struct Cursor {
    fingerprint: u64,
    now: DateTime<Utc>,
    last_ts: DateTime<Utc>,
    last_id: String,
}

impl Cursor {
    fn encode(&self, kind: &str) -> String {
        hex_encode(&format!(
            "v1|{kind}|{:x}|{}|{}|{}",
            self.fingerprint,
            self.now.timestamp_millis(),
            // Full precision: a truncated key would sort before its own row and repeat it.
            self.last_ts.timestamp_nanos_opt().unwrap_or_default(),
            self.last_id
        ))
    }

    fn decode(kind: &str, s: &str) -> Option<Cursor> {
        let text = hex_decode(s)?;
        let mut parts = text.splitn(6, '|');
        if parts.next()? != "v1" || parts.next()? != kind {
            return None;
        }
        let fingerprint = u64::from_str_radix(parts.next()?, 16).ok()?;
        let now = DateTime::from_timestamp_millis(parts.next()?.parse().ok()?)?;
        let last_ts = DateTime::from_timestamp_nanos(parts.next()?.parse().ok()?);
        let last_id = parts.next()?.to_string();
        Some(Cursor {
            fingerprint,
            now,
            last_ts,
            last_id,
        })
    }
}

fn parse_cursor(kind: &str, raw: Option<&str>, fingerprint: u64) -> Result<Option<Cursor>, Reply> {
    let Some(raw) = raw.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    match Cursor::decode(kind, raw) {
        Some(c) if c.fingerprint == fingerprint => Ok(Some(c)),
        Some(_) => Err(bad(
            "INVALID_CURSOR",
            "The cursor does not belong to this query; send the same filters as the first page.",
            "cursor",
        )),
        None => Err(bad("INVALID_CURSOR", "The cursor is not valid.", "cursor")),
    }
}

/// Sorts `(ts, id, item)` rows, skips those up to the cursor, and cuts one page. Returns the page
/// and the cursor key of its last row when more rows follow.
fn page<T>(
    mut rows: Vec<(DateTime<Utc>, String, T)>,
    descending: bool,
    after: Option<&Cursor>,
    limit: usize,
) -> (Vec<T>, Option<(DateTime<Utc>, String)>) {
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    if descending {
        rows.reverse();
    }
    if let Some(c) = after {
        let key = (c.last_ts, c.last_id.as_str());
        rows.retain(|r| {
            let k = (r.0, r.1.as_str());
            if descending {
                k < key
            } else {
                k > key
            }
        });
    }
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|r| (r.0, r.1.clone()))
    } else {
        None
    };
    (rows.into_iter().map(|r| r.2).collect(), next)
}

fn parse_limit(raw: Option<&Value>, default: i64, max: i64, field: &str) -> Result<usize, Reply> {
    let n = match raw {
        None | Some(Value::Null) => default,
        Some(v) => match v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        {
            Some(n) => n,
            None => {
                return Err(bad(
                    "EXPECTED_INTEGER",
                    &format!("{field} must be an integer."),
                    field,
                ))
            }
        },
    };
    if n < 1 {
        return Err(bad(
            "VALUE_TOO_LOW",
            &format!("{field} must be at least 1."),
            field,
        ));
    }
    if n > max {
        return Err(bad(
            "VALUE_TOO_HIGH",
            &format!("{field} must be at most {max}."),
            field,
        ));
    }
    Ok(n as usize)
}

fn parse_time(raw: Option<&str>, field: &str) -> Result<Option<DateTime<Utc>>, Reply> {
    match raw {
        None => Ok(None),
        Some(s) => parse_rfc3339(s).map(Some).ok_or_else(|| {
            bad(
                "INVALID_TIME",
                &format!("{field} must be an RFC 3339 timestamp."),
                field,
            )
        }),
    }
}

fn descending(raw: Option<&str>, field: &str) -> Result<bool, Reply> {
    match raw {
        None | Some("DESC") => Ok(true),
        Some("ASC") => Ok(false),
        Some(_) => Err(bad(
            "INVALID_SORT_ORDER",
            "sort_order must be ASC or DESC.",
            field,
        )),
    }
}

// ---------------------------------------------------------------- payments

struct PaymentRow {
    payment: SimPayment,
    order_id: String,
    location_id: String,
    server_id: String,
}

/// `GET /v2/payments`: begin_time (inclusive) / end_time (exclusive) on `created_at`, default the
/// last year up to now; updated_at_begin_time / updated_at_end_time likewise on `updated_at`;
/// sort_field CREATED_AT | UPDATED_AT (OFFLINE_CREATED_AT as CREATED_AT); sort_order (DESC);
/// location_id (default: the main, i.e. first, location only — as Square does); total, last_4,
/// card_brand; limit 1..=100 (100); cursor.
pub(crate) fn payments(s: &Shared, req: &Req) -> Reply {
    if let Err(e) = gate(s, req) {
        return e;
    }
    match payments_page(s, req) {
        Ok(r) | Err(r) => r,
    }
}

fn payments_page(s: &Shared, req: &Req) -> Result<Reply, Reply> {
    let limit = parse_limit(
        req.param("limit").map(Value::from).as_ref(),
        100,
        100,
        "limit",
    )?;
    let desc = descending(req.param("sort_order"), "sort_order")?;
    let by_updated = match req.param("sort_field") {
        None | Some("CREATED_AT") | Some("OFFLINE_CREATED_AT") => false,
        Some("UPDATED_AT") => true,
        Some(_) => {
            return Err(bad(
                "INVALID_ENUM_VALUE",
                "sort_field must be CREATED_AT, OFFLINE_CREATED_AT or UPDATED_AT.",
                "sort_field",
            ))
        }
    };
    let begin = parse_time(req.param("begin_time"), "begin_time")?;
    let end = parse_time(req.param("end_time"), "end_time")?;
    let updated_begin = parse_time(req.param("updated_at_begin_time"), "updated_at_begin_time")?;
    let updated_end = parse_time(req.param("updated_at_end_time"), "updated_at_end_time")?;
    let total: Option<i64> = match req.param("total") {
        None => None,
        Some(t) => Some(
            t.parse()
                .map_err(|_| bad("EXPECTED_INTEGER", "total must be an integer.", "total"))?,
        ),
    };
    let last_4 = req.param("last_4");
    let brand = req.param("card_brand");

    let store = lock(&s.store);
    let location = match req.param("location_id") {
        Some(id) => store.location(Vendor::Square, id).ok_or_else(|| {
            square_error(
                404,
                INVALID,
                "NOT_FOUND",
                &format!("Could not find location with id: {id}"),
                Some("location_id"),
            )
        })?,
        None => match store.locations(Vendor::Square).next() {
            Some(l) => l,
            None => return Ok(Reply::json(200, &json!({}))),
        },
    };
    let fingerprint = hash_str(&format!(
        "{}|{:?}|{:?}|{:?}|{:?}|{by_updated}|{desc}|{total:?}|{last_4:?}|{brand:?}",
        location.id,
        req.param("begin_time"),
        req.param("end_time"),
        req.param("updated_at_begin_time"),
        req.param("updated_at_end_time"),
    ));
    let cursor = parse_cursor("p", req.param("cursor"), fingerprint)?;
    let now = cursor.as_ref().map_or_else(|| store.now(), |c| c.now);
    let begin = begin.unwrap_or_else(|| {
        now.checked_sub_signed(TimeDelta::days(365))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    });
    let end = end.unwrap_or(now);
    if begin > end {
        return Err(bad(
            "INVALID_TIME_RANGE",
            "begin_time must not be after end_time.",
            "begin_time",
        ));
    }

    let mut rows = Vec::new();
    let location_id = location.id.clone();
    store.for_each_visible(Vendor::Square, |o| {
        if o.location_id != location_id {
            return;
        }
        for p in &o.payments {
            let updated = p.updated_at();
            let (card_last4, card_brand) = match &p.method {
                PaymentMethod::Card { brand, last4 } => {
                    (Some(last4.as_str()), Some(brand.as_str()))
                }
                PaymentMethod::Cash => (None, None),
            };
            let keep = p.created_at >= begin
                && p.created_at < end
                && updated_begin.is_none_or(|t| updated >= t)
                && updated_end.is_none_or(|t| updated < t)
                && total.is_none_or(|t| t == p.amount_minor + p.tip_minor)
                && last_4.is_none_or(|l| card_last4 == Some(l))
                && brand.is_none_or(|b| card_brand == Some(b));
            if keep {
                let ts = if by_updated { updated } else { p.created_at };
                rows.push((
                    ts,
                    p.id.clone(),
                    PaymentRow {
                        payment: p.clone(),
                        order_id: o.id.clone(),
                        location_id: o.location_id.clone(),
                        server_id: o.server_id.clone(),
                    },
                ));
            }
        }
    });
    drop(store);
    let (rows, next) = page(rows, desc, cursor.as_ref(), limit);
    let mut body = Map::new();
    if !rows.is_empty() {
        let list: Vec<Value> = rows.iter().map(|r| payment_json(s, r)).collect();
        body.insert("payments".into(), Value::Array(list));
    }
    if let Some((last_ts, last_id)) = next {
        let c = Cursor {
            fingerprint,
            now,
            last_ts,
            last_id,
        };
        body.insert("cursor".into(), Value::from(c.encode("p")));
    }
    Ok(Reply::json(200, &Value::Object(body)))
}

fn payment_json(s: &Shared, row: &PaymentRow) -> Value {
    let p = &row.payment;
    let cur = s.cfg.currency.as_str();
    let mut r = rng(&[s.cfg.seed, hash_str(&p.id)]);
    let total = p.amount_minor + p.tip_minor;
    let updated = p.updated_at();
    let completed = p.status == PaymentStatus::Completed;
    let mut m = Map::new();
    m.insert("amount_money".into(), money(p.amount_minor, cur));
    m.insert(
        "application_details".into(),
        json!({ "application_id": "sq0idp-VenueSimPointOfSale", "square_product": "SQUARE_POS" }),
    );
    m.insert("approved_money".into(), money(total, cur));
    match &p.method {
        PaymentMethod::Card { brand, last4 } => {
            let authorized = p.created_at + TimeDelta::milliseconds(150);
            let timeline = if completed {
                json!({ "authorized_at": square_time(authorized), "captured_at": square_time(p.created_at + TimeDelta::milliseconds(2_150)) })
            } else {
                json!({ "authorized_at": square_time(authorized), "voided_at": square_time(updated) })
            };
            let bin = match brand.as_str() {
                "VISA" => "411111",
                "MASTERCARD" => "540988",
                "AMERICAN_EXPRESS" => "371449",
                _ => "601100",
            };
            m.insert(
                "card_details".into(),
                json!({
                    "auth_result_code": base62(&mut r, 6),
                    "avs_status": "AVS_ACCEPTED",
                    "card": {
                        "bin": bin,
                        "card_brand": brand,
                        "card_type": if r.f64() < 0.7 { "CREDIT" } else { "DEBIT" },
                        "exp_month": r.u32(1..=12),
                        "exp_year": p.created_at.format("%Y").to_string().parse::<i32>().unwrap_or(2025) + r.i32(1..=5),
                        "fingerprint": format!("sq-1-{}", base62(&mut r, 64)),
                        "last_4": last4,
                        "prepaid_type": "NOT_PREPAID",
                    },
                    "card_payment_timeline": timeline,
                    "cvv_status": "CVV_ACCEPTED",
                    "entry_method": if r.f64() < 0.6 { "CONTACTLESS" } else { "EMV" },
                    "statement_description": format!("SQ *{}", s.cfg.venue_name.to_uppercase()),
                    "status": if completed { "CAPTURED" } else { "VOIDED" },
                }),
            );
        }
        PaymentMethod::Cash => {
            let step = gen::scale_price(500, cur).max(1);
            let supplied = (p.amount_minor + step - 1) / step * step;
            m.insert(
                "cash_details".into(),
                json!({
                    "buyer_supplied_money": money(supplied, cur),
                    "change_back_money": money(supplied - p.amount_minor, cur),
                }),
            );
        }
    }
    m.insert("created_at".into(), Value::from(square_time(p.created_at)));
    if matches!(p.method, PaymentMethod::Card { .. }) {
        m.insert("delay_action".into(), Value::from("CANCEL"));
        m.insert("delay_duration".into(), Value::from("PT168H"));
        m.insert(
            "delayed_until".into(),
            Value::from(square_time(p.created_at + TimeDelta::hours(168))),
        );
    }
    m.insert("employee_id".into(), Value::from(row.server_id.clone()));
    m.insert("id".into(), Value::from(p.id.clone()));
    m.insert("location_id".into(), Value::from(row.location_id.clone()));
    m.insert("order_id".into(), Value::from(row.order_id.clone()));
    if completed && matches!(p.method, PaymentMethod::Card { .. }) {
        let fee = apply_bp(total, 260) + gen::scale_price(10, cur);
        m.insert(
            "processing_fee".into(),
            json!([{
                "amount_money": money(fee, cur),
                "effective_at": square_time(p.created_at + TimeDelta::hours(2)),
                "type": "INITIAL",
            }]),
        );
    }
    m.insert(
        "receipt_number".into(),
        Value::from(p.id.chars().take(4).collect::<String>()),
    );
    m.insert(
        "receipt_url".into(),
        Value::from(format!("https://squareup.com/receipt/preview/{}", p.id)),
    );
    if !p.refunds.is_empty() {
        m.insert(
            "refund_ids".into(),
            p.refunds
                .iter()
                .map(|r| Value::from(r.id.clone()))
                .collect(),
        );
        m.insert("refunded_money".into(), money(p.refunded_minor(), cur));
    }
    if matches!(p.method, PaymentMethod::Card { .. }) {
        m.insert(
            "risk_evaluation".into(),
            json!({ "created_at": square_time(p.created_at + TimeDelta::milliseconds(150)), "risk_level": "NORMAL" }),
        );
    }
    m.insert(
        "source_type".into(),
        Value::from(match p.method {
            PaymentMethod::Card { .. } => "CARD",
            PaymentMethod::Cash => "CASH",
        }),
    );
    m.insert(
        "status".into(),
        Value::from(if completed { "COMPLETED" } else { "CANCELED" }),
    );
    m.insert("team_member_id".into(), Value::from(row.server_id.clone()));
    if p.tip_minor > 0 {
        m.insert("tip_money".into(), money(p.tip_minor, cur));
    }
    m.insert("total_money".into(), money(total, cur));
    m.insert("updated_at".into(), Value::from(square_time(updated)));
    let mut v = rng(&[hash_str(&p.id), updated.timestamp_millis().unsigned_abs()]);
    m.insert("version_token".into(), Value::from(base62(&mut v, 45)));
    Value::Object(m)
}

// ---------------------------------------------------------------- orders

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TimeField {
    Created,
    Updated,
    Closed,
}

/// A filtered timestamp field with its optional start and end.
type TimeRange = (TimeField, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

impl TimeField {
    fn parse(s: &str) -> Option<TimeField> {
        match s {
            "CREATED_AT" => Some(TimeField::Created),
            "UPDATED_AT" => Some(TimeField::Updated),
            "CLOSED_AT" => Some(TimeField::Closed),
            _ => None,
        }
    }

    fn of(self, o: &SimOrder) -> Option<DateTime<Utc>> {
        match self {
            TimeField::Created => Some(o.created_at),
            TimeField::Updated => Some(o.updated_at),
            TimeField::Closed => o.closed_at,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TimeField::Created => "CREATED_AT",
            TimeField::Updated => "UPDATED_AT",
            TimeField::Closed => "CLOSED_AT",
        }
    }
}

struct OrderQuery {
    location_ids: Vec<String>,
    states: Option<Vec<OrderState>>,
    time: Option<TimeRange>,
    sort_field: TimeField,
    desc: bool,
    limit: usize,
    return_entries: bool,
    fingerprint: u64,
    cursor: Option<String>,
}

fn field<'a>(obj: &'a Value, key: &str, path: &str) -> Result<Option<&'a Value>, Reply> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(bad(
            "EXPECTED_OBJECT",
            &format!("{path} must be an object."),
            path,
        )),
    }
}

fn parse_order_query(body: &Value) -> Result<OrderQuery, Reply> {
    if !body.is_object() {
        return Err(bad(
            "EXPECTED_JSON_BODY",
            "The request body must be a JSON object.",
            "body",
        ));
    }
    let location_ids: Vec<String> = match body.get("location_ids") {
        None | Some(Value::Null) => {
            return Err(bad(
                "MISSING_REQUIRED_PARAMETER",
                "location_ids is required.",
                "location_ids",
            ))
        }
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                bad(
                    "EXPECTED_STRING",
                    "location_ids must hold strings.",
                    "location_ids",
                )
            })?,
        Some(_) => {
            return Err(bad(
                "EXPECTED_ARRAY",
                "location_ids must be an array.",
                "location_ids",
            ))
        }
    };
    if location_ids.is_empty() {
        return Err(bad(
            "ARRAY_LENGTH_TOO_SHORT",
            "location_ids must hold at least 1 id.",
            "location_ids",
        ));
    }
    if location_ids.len() > 10 {
        return Err(bad(
            "ARRAY_LENGTH_TOO_LONG",
            "location_ids must hold at most 10 ids.",
            "location_ids",
        ));
    }
    let cursor = match body.get("cursor") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(c.clone()),
        Some(_) => return Err(bad("EXPECTED_STRING", "cursor must be a string.", "cursor")),
    };
    let limit = match body.get("limit") {
        Some(v) if !v.is_null() && !v.is_i64() && !v.is_u64() => {
            return Err(bad(
                "EXPECTED_INTEGER",
                "limit must be an integer.",
                "limit",
            ))
        }
        v => parse_limit(v, 500, 1000, "limit")?,
    };
    let return_entries = match body.get("return_entries") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(bad(
                "EXPECTED_BOOLEAN",
                "return_entries must be a boolean.",
                "return_entries",
            ))
        }
    };

    let query = field(body, "query", "query")?;
    let filter = match query {
        Some(q) => field(q, "filter", "query.filter")?,
        None => None,
    };
    let states = match filter
        .map(|f| field(f, "state_filter", "query.filter.state_filter"))
        .transpose()?
        .flatten()
    {
        None => None,
        Some(sf) => {
            let path = "query.filter.state_filter.states";
            let list = sf
                .get("states")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("MISSING_REQUIRED_PARAMETER", "states is required.", path))?;
            if list.is_empty() {
                return Err(bad(
                    "ARRAY_LENGTH_TOO_SHORT",
                    "states must not be empty.",
                    path,
                ));
            }
            let mut states = Vec::new();
            for v in list {
                match v.as_str() {
                    Some("OPEN") => states.push(OrderState::Open),
                    Some("COMPLETED") => states.push(OrderState::Completed),
                    Some("CANCELED") => states.push(OrderState::Canceled),
                    Some("DRAFT") => {}
                    _ => {
                        return Err(bad(
                            "INVALID_ENUM_VALUE",
                            "states must be OPEN, COMPLETED, CANCELED or DRAFT.",
                            path,
                        ))
                    }
                }
            }
            Some(states)
        }
    };
    let mut time = None;
    if let Some(dtf) = filter
        .map(|f| field(f, "date_time_filter", "query.filter.date_time_filter"))
        .transpose()?
        .flatten()
    {
        for (key, tf) in [
            ("created_at", TimeField::Created),
            ("updated_at", TimeField::Updated),
            ("closed_at", TimeField::Closed),
        ] {
            let path = format!("query.filter.date_time_filter.{key}");
            let Some(range) = field(dtf, key, &path)? else {
                continue;
            };
            if time.is_some() {
                return Err(bad(
                    "CONFLICTING_PARAMETERS",
                    "Only one of created_at, updated_at and closed_at can be filtered at a time.",
                    "query.filter.date_time_filter",
                ));
            }
            let bound = |k: &str| -> Result<Option<DateTime<Utc>>, Reply> {
                match range.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v.as_str().and_then(parse_rfc3339).map(Some).ok_or_else(|| {
                        bad(
                            "INVALID_TIME",
                            &format!("{path}.{k} must be an RFC 3339 timestamp."),
                            &format!("{path}.{k}"),
                        )
                    }),
                }
            };
            let (start, end) = (bound("start_at")?, bound("end_at")?);
            if let (Some(a), Some(b)) = (start, end) {
                if a > b {
                    return Err(bad(
                        "INVALID_TIME_RANGE",
                        "start_at must not be after end_at.",
                        &path,
                    ));
                }
            }
            time = Some((tf, start, end));
        }
    }
    let (sort_field, desc) = match query
        .map(|q| field(q, "sort", "query.sort"))
        .transpose()?
        .flatten()
    {
        None => (TimeField::Created, true),
        Some(sort) => {
            let sf = match sort.get("sort_field") {
                None | Some(Value::Null) => TimeField::Created,
                Some(v) => v.as_str().and_then(TimeField::parse).ok_or_else(|| {
                    bad(
                        "INVALID_ENUM_VALUE",
                        "sort_field must be CREATED_AT, UPDATED_AT or CLOSED_AT.",
                        "query.sort.sort_field",
                    )
                })?,
            };
            let order = match sort.get("sort_order") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_str().unwrap_or("?")),
            };
            (sf, descending(order, "query.sort.sort_order")?)
        }
    };
    if let Some((tf, _, _)) = time {
        if tf != sort_field {
            return Err(bad(
                "INVALID_VALUE",
                &format!(
                    "A date_time_filter on {} requires query.sort.sort_field {} (it is {}).",
                    tf.name().to_lowercase(),
                    tf.name(),
                    sort_field.name()
                ),
                "query.sort.sort_field",
            ));
        }
    }
    if sort_field == TimeField::Closed {
        let closed_only = states
            .as_ref()
            .is_some_and(|s| !s.is_empty() && s.iter().all(|st| *st != OrderState::Open));
        if !closed_only {
            return Err(bad(
                "INVALID_VALUE",
                "Sorting by CLOSED_AT requires a state_filter with closed states (COMPLETED, CANCELED).",
                "query.filter.state_filter",
            ));
        }
    }
    let mut sorted_ids = location_ids.clone();
    sorted_ids.sort();
    let canonical = format!(
        "{}|{}|{return_entries}",
        sorted_ids.join(","),
        serde_json::to_string(&body.get("query")).unwrap_or_default()
    );
    Ok(OrderQuery {
        location_ids,
        states,
        time,
        sort_field,
        desc,
        limit,
        return_entries,
        fingerprint: hash_str(&canonical),
        cursor,
    })
}

/// `POST /v2/orders/search`: location_ids (1..=10, required), query.filter.state_filter.states,
/// query.filter.date_time_filter.{created_at|updated_at|closed_at}.{start_at,end_at} (both
/// inclusive; a missing end is pinned to the first page's time), query.sort.{sort_field
/// (CREATED_AT), sort_order (DESC)} — the filtered field must be the sort field, and CLOSED_AT
/// needs closed states — limit 1..=1000 (500), cursor, return_entries.
pub(crate) fn search_orders(s: &Shared, req: &Req) -> Reply {
    if let Err(e) = gate(s, req) {
        return e;
    }
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            return bad(
                "EXPECTED_JSON_BODY",
                &format!("The request body is not valid JSON: {e}"),
                "body",
            )
        }
    };
    match search_page(s, &body) {
        Ok(r) | Err(r) => r,
    }
}

fn search_page(s: &Shared, body: &Value) -> Result<Reply, Reply> {
    let q = parse_order_query(body)?;
    let store = lock(&s.store);
    for id in &q.location_ids {
        if store.location(Vendor::Square, id).is_none() {
            return Err(bad(
                "INVALID_VALUE",
                &format!("Location `{id}` is not a location of this merchant."),
                "location_ids",
            ));
        }
    }
    let cursor = parse_cursor("o", q.cursor.as_deref(), q.fingerprint)?;
    let now = cursor.as_ref().map_or_else(|| store.now(), |c| c.now);
    let mut rows = Vec::new();
    store.for_each_visible(Vendor::Square, |o| {
        if !q.location_ids.contains(&o.location_id) {
            return;
        }
        if let Some(states) = &q.states {
            if !states.contains(&o.state) {
                return;
            }
        }
        if let Some((tf, start, end)) = q.time {
            let Some(t) = tf.of(o) else { return };
            if start.is_some_and(|a| t < a) || t > end.unwrap_or(now) {
                return;
            }
        }
        let Some(ts) = q.sort_field.of(o) else { return };
        rows.push((ts, o.id.clone(), o.clone()));
    });
    let locations: Vec<SimLocation> = store.locations(Vendor::Square).cloned().collect();
    drop(store);
    let (orders, next) = page(rows, q.desc, cursor.as_ref(), q.limit);
    let mut out = Map::new();
    if let Some((last_ts, last_id)) = next {
        let c = Cursor {
            fingerprint: q.fingerprint,
            now,
            last_ts,
            last_id,
        };
        out.insert("cursor".into(), Value::from(c.encode("o")));
    }
    if !orders.is_empty() {
        if q.return_entries {
            let entries: Vec<Value> = orders
                .iter()
                .map(|o| json!({ "location_id": o.location_id, "order_id": o.id, "version": o.version }))
                .collect();
            out.insert("order_entries".into(), Value::Array(entries));
        } else {
            let list: Vec<Value> = orders
                .iter()
                .map(|o| {
                    let loc = locations.iter().find(|l| l.id == o.location_id);
                    order_json(s, o, loc)
                })
                .collect();
            out.insert("orders".into(), Value::Array(list));
        }
    }
    Ok(Reply::json(200, &Value::Object(out)))
}

fn order_json(s: &Shared, o: &SimOrder, loc: Option<&SimLocation>) -> Value {
    let cur = s.cfg.currency.as_str();
    let m = |a: i64| money(a, cur);
    let tax_uid = format!("tax-{}", &o.id.chars().take(8).collect::<String>());
    let discount_amount = o.discount_minor();
    let grosses: Vec<i64> = o.lines.iter().map(|l| l.gross_minor()).collect();
    let line_discounts = allocate(discount_amount, &grosses);
    let taxables: Vec<i64> = grosses
        .iter()
        .zip(&line_discounts)
        .map(|(g, d)| g - d)
        .collect();
    let line_taxes = allocate(o.tax_minor, &taxables);
    let tax_percent = format!("{}", f64::from(s.cfg.tax_rate_bp) / 100.0);
    let line_items: Vec<Value> = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (d, t) = (line_discounts[i], line_taxes[i]);
            let mut li = json!({
                "uid": l.id,
                "catalog_object_id": l.item_id,
                "catalog_version": 1,
                "quantity": l.quantity.to_string(),
                "name": l.name,
                "variation_name": "Regular",
                "base_price_money": m(l.unit_price_minor),
                "variation_total_price_money": m(l.gross_minor()),
                "gross_sales_money": m(l.gross_minor()),
                "total_tax_money": m(t),
                "total_discount_money": m(d),
                "total_money": m(l.gross_minor() - d + t),
                "item_type": "ITEM",
                "applied_taxes": [{ "uid": format!("{}-t", l.id), "tax_uid": tax_uid, "applied_money": m(t) }],
            });
            if let (Some(disc), Some(obj)) = (&o.discount, li.as_object_mut()) {
                obj.insert(
                    "applied_discounts".into(),
                    json!([{ "uid": format!("{}-d", l.id), "discount_uid": disc.id, "applied_money": m(d) }]),
                );
            }
            li
        })
        .collect();
    let mut out = Map::new();
    out.insert("id".into(), Value::from(o.id.clone()));
    out.insert("location_id".into(), Value::from(o.location_id.clone()));
    out.insert("ticket_name".into(), Value::from(format!("#{}", o.number)));
    out.insert(
        "source".into(),
        json!({ "name": loc.map_or("Square Point of Sale".to_string(), |l| format!("Square Point of Sale ({})", l.name)) }),
    );
    out.insert("line_items".into(), Value::Array(line_items));
    out.insert(
        "taxes".into(),
        json!([{
            "uid": tax_uid,
            "catalog_object_id": named_guid(s.cfg.seed, "square-sales-tax"),
            "name": "Sales Tax",
            "percentage": tax_percent,
            "type": "ADDITIVE",
            "applied_money": m(o.tax_minor),
            "scope": "ORDER",
        }]),
    );
    if let Some(d) = &o.discount {
        let mut dj = json!({
            "uid": d.id,
            "name": d.name,
            "type": if d.percent.is_some() { "FIXED_PERCENTAGE" } else { "FIXED_AMOUNT" },
            "applied_money": m(d.amount_minor),
            "scope": "ORDER",
        });
        if let Some(obj) = dj.as_object_mut() {
            match d.percent {
                Some(p) => obj.insert("percentage".into(), Value::from(p.to_string())),
                None => obj.insert("amount_money".into(), m(d.amount_minor)),
            };
        }
        out.insert("discounts".into(), json!([dj]));
    }
    let tenders: Vec<Value> = o
        .captured_payments()
        .map(|p| {
            let mut t = json!({
                "id": p.id,
                "location_id": o.location_id,
                "transaction_id": o.id,
                "created_at": square_time(p.created_at),
                "amount_money": m(p.amount_minor),
                "payment_id": p.id,
            });
            if let Some(obj) = t.as_object_mut() {
                if p.tip_minor > 0 {
                    obj.insert("tip_money".into(), m(p.tip_minor));
                }
                match &p.method {
                    PaymentMethod::Card { brand, last4 } => {
                        obj.insert("type".into(), Value::from("CARD"));
                        obj.insert(
                            "card_details".into(),
                            json!({ "status": "CAPTURED", "card": { "card_brand": brand, "last_4": last4 }, "entry_method": "EMV" }),
                        );
                    }
                    PaymentMethod::Cash => {
                        obj.insert("type".into(), Value::from("CASH"));
                        obj.insert(
                            "cash_details".into(),
                            json!({ "buyer_tendered_money": m(p.amount_minor), "change_back_money": m(0) }),
                        );
                    }
                }
            }
            t
        })
        .collect();
    if !tenders.is_empty() {
        out.insert("tenders".into(), Value::Array(tenders));
    }
    let refunds: Vec<Value> = o
        .payments
        .iter()
        .flat_map(|p| {
            p.refunds.iter().map(move |r| {
                json!({
                    "id": r.id,
                    "location_id": o.location_id,
                    "transaction_id": o.id,
                    "tender_id": p.id,
                    "created_at": square_time(r.created_at),
                    "reason": r.reason,
                    "amount_money": m(r.amount_minor),
                    "status": "COMPLETED",
                })
            })
        })
        .collect();
    if !refunds.is_empty() {
        out.insert("refunds".into(), Value::Array(refunds));
    }
    let refunded = o.refunded_minor();
    let total = o.total_minor();
    out.insert("created_at".into(), Value::from(square_time(o.created_at)));
    out.insert("updated_at".into(), Value::from(square_time(o.updated_at)));
    if let Some(c) = o.closed_at {
        out.insert("closed_at".into(), Value::from(square_time(c)));
    }
    out.insert(
        "state".into(),
        Value::from(match o.state {
            OrderState::Open => "OPEN",
            OrderState::Completed => "COMPLETED",
            OrderState::Canceled => "CANCELED",
        }),
    );
    out.insert("version".into(), Value::from(o.version));
    out.insert("total_money".into(), m(total));
    out.insert("total_tax_money".into(), m(o.tax_minor));
    out.insert("total_discount_money".into(), m(discount_amount));
    out.insert("total_tip_money".into(), m(o.tip_minor()));
    out.insert("total_service_charge_money".into(), m(0));
    out.insert(
        "net_amounts".into(),
        json!({
            "total_money": m(total - refunded),
            "tax_money": m(o.tax_minor),
            "discount_money": m(discount_amount),
            "tip_money": m(o.tip_minor()),
            "service_charge_money": m(0),
        }),
    );
    out.insert(
        "net_amount_due_money".into(),
        m(if o.state == OrderState::Open {
            total
        } else {
            0
        }),
    );
    Value::Object(out)
}
