//! The Connector API operations: request validation, filters, cursor pagination and
//! `orders/add`. Handlers run under the hotel lock and never panic on bad input; every problem
//! is an [`ApiError`] the server turns into Mews' error body.

use std::collections::HashMap;

use chrono::{DateTime, Months, Utc};
use serde_json::{json, Map, Value};

use super::model::{Hotel, OrderItemRec, SimOrderItem, SimPostedOrder, RESERVATION_STATES};
use super::render;
use crate::util::{currency_exponent, parse_rfc3339};

/// What a request did wrong.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// 400: invalid parameters.
    #[error("{0}")]
    BadRequest(String),
    /// 401: missing or wrong tokens.
    #[error("{0}")]
    Unauthorized(String),
}

impl ApiError {
    pub(crate) fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized(_) => 401,
        }
    }
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

pub(crate) type Obj = Map<String, Value>;

/// A handler of one operation.
pub(crate) type Handler = fn(&mut Hotel, &Obj) -> Result<Value, ApiError>;

/// Tax codes `orders/add` accepts in `UnitAmount.TaxCodes`, with their rates in basis points
/// (the hotel is Dutch: 21 % standard, 9 % low, 0 % zero).
pub(crate) const TAX_CODES: [(&str, i64); 3] =
    [("NL-2019-S", 2_100), ("NL-2019-L", 900), ("NL-2019-Z", 0)];

/// A half-open `[StartUtc, EndUtc)` time filter.
#[derive(Clone, Copy, Debug)]
struct Interval {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Interval {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

struct Limitation {
    count: usize,
    cursor: Option<String>,
}

/// Typed access to a request body.
struct Params<'a>(&'a Obj);

impl Params<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("Invalid {key}: expected a string."))),
        }
    }

    /// An array of strings; an empty array counts as absent.
    fn strings(&self, key: &str, max: usize) -> Result<Option<Vec<String>>, ApiError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let invalid = || bad(format!("Invalid {key}: expected an array of strings."));
        let arr = v.as_array().ok_or_else(invalid)?;
        if arr.len() > max {
            return Err(bad(format!(
                "Invalid {key}: at most {max} items are allowed."
            )));
        }
        let out = arr
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(invalid)?;
        Ok((!out.is_empty()).then_some(out))
    }

    /// A time interval: both ends required, `EndUtc` after `StartUtc`, at most 3 months long.
    fn interval(&self, key: &str) -> Result<Option<Interval>, ApiError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let obj = v
            .as_object()
            .ok_or_else(|| bad(format!("Invalid {key}: expected a time interval.")))?;
        let end_of = |name: &str| {
            obj.get(name)
                .and_then(Value::as_str)
                .and_then(parse_rfc3339)
                .ok_or_else(|| {
                    bad(format!(
                        "Invalid {key}.{name}: expected an ISO 8601 UTC time."
                    ))
                })
        };
        let start = end_of("StartUtc")?;
        let end = end_of("EndUtc")?;
        if end <= start {
            return Err(bad(format!(
                "Invalid {key}: EndUtc must be later than StartUtc."
            )));
        }
        let longest = start
            .checked_add_months(Months::new(3))
            .ok_or_else(|| bad(format!("Invalid {key}: out of range.")))?;
        if end > longest {
            return Err(bad(format!(
                "Invalid {key}: the time interval must not be longer than 3 months."
            )));
        }
        Ok(Some(Interval { start, end }))
    }

    fn limitation(&self) -> Result<Limitation, ApiError> {
        let obj = self
            .get("Limitation")
            .ok_or_else(|| bad("Limitation is required."))?
            .as_object()
            .ok_or_else(|| bad("Invalid Limitation: expected an object."))?;
        let count = obj
            .get("Count")
            .and_then(Value::as_u64)
            .filter(|c| (1..=1000).contains(c))
            .ok_or_else(|| bad("Invalid Limitation.Count: expected an integer from 1 to 1000."))?;
        let cursor = match obj.get("Cursor") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad("Invalid Limitation.Cursor: expected a string.")),
        };
        Ok(Limitation {
            count: usize::try_from(count).unwrap_or(1000),
            cursor,
        })
    }

    /// A boolean of the `Extent` object.
    fn extent(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        let Some(v) = self.get("Extent") else {
            return Ok(default);
        };
        let obj = v
            .as_object()
            .ok_or_else(|| bad("Invalid Extent: expected an object."))?;
        match obj.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(bad(format!("Invalid Extent.{name}: expected a boolean."))),
        }
    }

    /// Whether `EnterpriseIds` (if given) includes this hotel.
    fn for_us(&self, h: &Hotel) -> Result<bool, ApiError> {
        Ok(self
            .strings("EnterpriseIds", 1000)?
            .is_none_or(|ids| ids.contains(&h.enterprise_id)))
    }
}

fn any_of(filter: &Option<Vec<String>>, v: &str) -> bool {
    filter.as_ref().is_none_or(|f| f.iter().any(|x| x == v))
}

fn any_of_opt(filter: &Option<Vec<String>>, v: Option<&str>) -> bool {
    filter
        .as_ref()
        .is_none_or(|f| v.is_some_and(|v| f.iter().any(|x| x == v)))
}

fn within(iv: &Option<Interval>, t: DateTime<Utc>) -> bool {
    iv.as_ref().is_none_or(|i| i.contains(t))
}

fn within_opt(iv: &Option<Interval>, t: Option<DateTime<Utc>>) -> bool {
    iv.as_ref().is_none_or(|i| t.is_some_and(|t| i.contains(t)))
}

/// Which timestamp pages are ordered by.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// `(CreatedUtc, Id)`: immutable, so paging never repeats or skips, and items created
    /// meanwhile come at the end.
    Created,
    /// `(UpdatedUtc, Id)` when filtering by `UpdatedUtc`: the pages run in update order, so a
    /// client may checkpoint the last `UpdatedUtc` it read; an item that changes while the
    /// client pages moves behind the cursor and is served again with its new state (never
    /// skipped), while unchanged items are served exactly once.
    Updated,
}

struct Row {
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    id: String,
    idx: usize,
}

impl Row {
    fn key(&self, order: Order) -> (DateTime<Utc>, &str) {
        match order {
            Order::Created => (self.created, self.id.as_str()),
            Order::Updated => (self.updated, self.id.as_str()),
        }
    }
}

/// One page after the cursor. The cursor's position is where it stood when it was served (see
/// `Hotel::cursors`), else the item's current one; an id the hotel does not know is a 400.
fn page(
    cursors: &HashMap<String, (DateTime<Utc>, DateTime<Utc>)>,
    mut rows: Vec<Row>,
    current: Option<(DateTime<Utc>, DateTime<Utc>)>,
    order: Order,
    lim: &Limitation,
) -> Result<Vec<Row>, ApiError> {
    if let Some(cursor) = &lim.cursor {
        let (created, updated) = cursors
            .get(cursor)
            .copied()
            .or(current)
            .ok_or_else(|| bad("Invalid Limitation.Cursor: unknown cursor."))?;
        let t = if order == Order::Created {
            created
        } else {
            updated
        };
        rows.retain(|r| r.key(order) > (t, cursor.as_str()));
    }
    rows.sort_by(|a, b| a.key(order).cmp(&b.key(order)));
    rows.truncate(lim.count);
    Ok(rows)
}

/// The response's `Cursor` (the id of the last item, null for an empty page), remembered with
/// the item's position.
fn cursor(h: &mut Hotel, rows: &[Row]) -> Value {
    match rows.last() {
        Some(last) => {
            h.cursors
                .insert(last.id.clone(), (last.created, last.updated));
            Value::from(last.id.as_str())
        }
        None => Value::Null,
    }
}

pub(crate) fn reservations_get_all(h: &mut Hotel, body: &Obj) -> Result<Value, ApiError> {
    let p = Params(body);
    let lim = p.limitation()?;
    let ids = p.strings("ReservationIds", 1000)?;
    let services = p.strings("ServiceIds", 1000)?;
    let groups = p.strings("ReservationGroupIds", 1000)?;
    let accounts = p.strings("AccountIds", 1000)?;
    let partners = p.strings("PartnerCompanyIds", 100)?;
    let agencies = p.strings("TravelAgencyIds", 100)?;
    let numbers = p.strings("Numbers", 1000)?;
    let channel_numbers = p.strings("ChannelNumbers", 100)?;
    let rooms = p.strings("AssignedResourceIds", 1000)?;
    let blocks = p.strings("AvailabilityBlockIds", 100)?;
    let states = p.strings("States", 100)?;
    if let Some(bad_state) = states
        .iter()
        .flatten()
        .find(|s| !RESERVATION_STATES.contains(&s.as_str()))
    {
        return Err(bad(format!("Invalid States: unknown state '{bad_state}'.")));
    }
    let created = p.interval("CreatedUtc")?;
    let updated = p.interval("UpdatedUtc")?;
    let colliding = p.interval("CollidingUtc")?;
    let sched_start = p.interval("ScheduledStartUtc")?;
    let actual_start = p.interval("ActualStartUtc")?;
    let sched_end = p.interval("ScheduledEndUtc")?;
    let actual_end = p.interval("ActualEndUtc")?;
    if sched_start.is_some() && actual_start.is_some() {
        return Err(bad(
            "ScheduledStartUtc cannot be used together with ActualStartUtc.",
        ));
    }
    if sched_end.is_some() && actual_end.is_some() {
        return Err(bad(
            "ScheduledEndUtc cannot be used together with ActualEndUtc.",
        ));
    }
    let ours = p.for_us(h)?;
    let rows: Vec<Row> = h
        .reservations
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let s = &r.sim;
            ours && any_of(&ids, &s.id)
                && any_of(&services, &s.service_id)
                && any_of(&groups, &r.group_id)
                && any_of(&accounts, &s.account_id)
                && any_of_opt(&partners, None)
                && any_of_opt(&agencies, None)
                && any_of(&numbers, &s.number)
                && any_of_opt(&channel_numbers, r.channel_number.as_deref())
                && any_of_opt(&rooms, s.assigned_resource_id.as_deref())
                && any_of_opt(&blocks, None)
                && any_of(&states, &s.state)
                && within(&created, s.created_utc)
                && within(&updated, s.updated_utc)
                && colliding.is_none_or(|c| s.scheduled_start_utc < c.end && s.end_utc > c.start)
                && within(&sched_start, s.scheduled_start_utc)
                && within_opt(&actual_start, s.actual_start_utc)
                && within(&sched_end, s.scheduled_end_utc)
                && within_opt(&actual_end, s.actual_end_utc)
        })
        .map(|(idx, r)| Row {
            created: r.sim.created_utc,
            updated: r.sim.updated_utc,
            id: r.sim.id.clone(),
            idx,
        })
        .collect();
    let order = if updated.is_some() {
        Order::Updated
    } else {
        Order::Created
    };
    let current = lim
        .cursor
        .as_deref()
        .and_then(|c| h.reservation(c))
        .map(|r| (r.sim.created_utc, r.sim.updated_utc));
    let rows = page(&h.cursors, rows, current, order, &lim)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|row| render::reservation(h, &h.reservations[row.idx]))
        .collect();
    let cursor = cursor(h, &rows);
    Ok(json!({ "Reservations": items, "Cursor": cursor }))
}

pub(crate) fn customers_get_all(h: &mut Hotel, body: &Obj) -> Result<Value, ApiError> {
    let p = Params(body);
    let lim = p.limitation()?;
    let ids = p.strings("CustomerIds", 1000)?;
    let companies = p.strings("CompanyIds", 1)?;
    let emails = p.strings("Emails", 1000)?;
    let first_names = p.strings("FirstNames", 1000)?;
    let last_names = p.strings("LastNames", 1000)?;
    let loyalty = p.strings("LoyaltyCodes", 1000)?;
    let created = p.interval("CreatedUtc")?;
    let updated = p.interval("UpdatedUtc")?;
    let deleted = p.interval("DeletedUtc")?;
    let activity = p.strings("ActivityStates", 2)?;
    if let Some(s) = activity
        .iter()
        .flatten()
        .find(|s| !["Active", "Deleted"].contains(&s.as_str()))
    {
        return Err(bad(format!("Invalid ActivityStates: unknown state '{s}'.")));
    }
    let filtered = ids.is_some()
        || companies.is_some()
        || emails.is_some()
        || first_names.is_some()
        || last_names.is_some()
        || loyalty.is_some()
        || created.is_some()
        || updated.is_some()
        || deleted.is_some();
    if !filtered {
        return Err(bad(
            "CustomerIds is required if no other filter (Emails, FirstNames, LastNames, LoyaltyCodes, CompanyIds, CreatedUtc, UpdatedUtc, DeletedUtc) is provided.",
        ));
    }
    let wanted = p.extent("Customers", true)?;
    // Every simulated profile is active; none belongs to a company.
    let active_wanted = activity
        .as_ref()
        .is_none_or(|a| a.iter().any(|s| s == "Active"));
    let any = wanted && active_wanted && companies.is_none() && deleted.is_none();
    let emails: Option<Vec<String>> = emails.map(|e| e.iter().map(|x| x.to_lowercase()).collect());
    let rows: Vec<Row> = h
        .customers
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let s = &c.sim;
            any && any_of(&ids, &s.id)
                && any_of_opt(
                    &emails,
                    s.email.as_ref().map(|e| e.to_lowercase()).as_deref(),
                )
                && any_of_opt(&first_names, s.first_name.as_deref())
                && any_of(&last_names, &s.last_name)
                && any_of_opt(&loyalty, c.loyalty_code.as_deref())
                && within(&created, s.created_utc)
                && within(&updated, s.updated_utc)
        })
        .map(|(idx, c)| Row {
            created: c.sim.created_utc,
            updated: c.sim.updated_utc,
            id: c.sim.id.clone(),
            idx,
        })
        .collect();
    let order = if updated.is_some() {
        Order::Updated
    } else {
        Order::Created
    };
    let current = lim
        .cursor
        .as_deref()
        .and_then(|c| h.customer(c))
        .map(|c| (c.sim.created_utc, c.sim.updated_utc));
    let rows = page(&h.cursors, rows, current, order, &lim)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|row| render::customer(h, &h.customers[row.idx]))
        .collect();
    let cursor = cursor(h, &rows);
    Ok(json!({ "Customers": items, "Documents": Value::Null, "Cursor": cursor }))
}

pub(crate) fn resources_get_all(h: &mut Hotel, body: &Obj) -> Result<Value, ApiError> {
    let p = Params(body);
    let lim = p.limitation()?;
    let ids = p.strings("ResourceIds", 1000)?;
    let names = p.strings("Names", 1000)?;
    let created = p.interval("CreatedUtc")?;
    let updated = p.interval("UpdatedUtc")?;
    let ours = p.for_us(h)?;
    let want_resources = p.extent("Resources", true)?;
    let want_categories = p.extent("ResourceCategories", false)?;
    let want_assignments = p.extent("ResourceCategoryAssignments", false)?;
    let want_images = p.extent("ResourceCategoryImageAssignments", false)?;
    let want_features = p.extent("ResourceFeatures", false)?;
    let want_feature_assignments = p.extent("ResourceFeatureAssignments", false)?;
    let _inactive = p.extent("Inactive", false)?;
    let rows: Vec<Row> = h
        .resources
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let s = &r.sim;
            ours && any_of(&ids, &s.id)
                && any_of(&names, &s.name)
                && within(&created, s.created_utc)
                && within(&updated, s.updated_utc)
        })
        .map(|(idx, r)| Row {
            created: r.sim.created_utc,
            updated: r.sim.updated_utc,
            id: r.sim.id.clone(),
            idx,
        })
        .collect();
    let order = if updated.is_some() {
        Order::Updated
    } else {
        Order::Created
    };
    let current = lim
        .cursor
        .as_deref()
        .and_then(|c| h.resource(c))
        .map(|r| (r.sim.created_utc, r.sim.updated_utc));
    let rows = page(&h.cursors, rows, current, order, &lim)?;
    let resources: Vec<Value> = rows
        .iter()
        .map(|row| render::resource(h, &h.resources[row.idx]))
        .collect();
    let categories: Vec<Value> = h
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| render::category(h, c, i))
        .collect();
    let assignments: Vec<Value> = rows
        .iter()
        .map(|row| {
            let r = &h.resources[row.idx];
            json!({
                "Id": format!("{}-{}", r.category_id, r.sim.id),
                "IsActive": true,
                "CategoryId": r.category_id,
                "ResourceId": r.sim.id,
                "CreatedUtc": super::model::mews_time(r.sim.created_utc),
                "UpdatedUtc": super::model::mews_time(r.sim.created_utc),
            })
        })
        .collect();
    let empty = || json!([]);
    let cursor = cursor(h, &rows);
    Ok(json!({
        "Resources": if want_resources { Value::from(resources) } else { Value::Null },
        "ResourceCategories": if want_categories { Value::from(categories) } else { Value::Null },
        "ResourceCategoryAssignments": if want_assignments { Value::from(assignments) } else { Value::Null },
        "ResourceCategoryImageAssignments": if want_images { empty() } else { Value::Null },
        "ResourceFeatures": if want_features { empty() } else { Value::Null },
        "ResourceFeatureAssignments": if want_feature_assignments { empty() } else { Value::Null },
        "Cursor": cursor,
    }))
}

pub(crate) fn services_get_all(h: &mut Hotel, body: &Obj) -> Result<Value, ApiError> {
    let p = Params(body);
    let lim = p.limitation()?;
    let ids = p.strings("ServiceIds", 1000)?;
    let updated = p.interval("UpdatedUtc")?;
    let kind = p.string("ServiceType")?;
    if let Some(k) = kind
        .as_deref()
        .filter(|k| !["Bookable", "Additional"].contains(k))
    {
        return Err(bad(format!("Invalid ServiceType '{k}'.")));
    }
    let ours = p.for_us(h)?;
    let rows: Vec<Row> = h
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            ours && any_of(&ids, &s.sim.id)
                && kind.as_deref().is_none_or(|k| k == s.sim.kind)
                && within(&updated, s.updated_utc)
        })
        .map(|(idx, s)| Row {
            created: s.created_utc,
            updated: s.updated_utc,
            id: s.sim.id.clone(),
            idx,
        })
        .collect();
    let order = if updated.is_some() {
        Order::Updated
    } else {
        Order::Created
    };
    let current = lim
        .cursor
        .as_deref()
        .and_then(|c| h.service(c))
        .map(|s| (s.created_utc, s.updated_utc));
    let rows = page(&h.cursors, rows, current, order, &lim)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|row| render::service(h, &h.services[row.idx]))
        .collect();
    let cursor = cursor(h, &rows);
    Ok(json!({ "Services": items, "Cursor": cursor }))
}

pub(crate) fn order_items_get_all(h: &mut Hotel, body: &Obj) -> Result<Value, ApiError> {
    let p = Params(body);
    let lim = p.limitation()?;
    let ids = p.strings("OrderItemIds", 1000)?;
    let accounts = p.strings("AccountIds", 100)?;
    let service_orders = p.strings("ServiceOrderIds", 1000)?;
    let services = p.strings("ServiceIds", 1000)?;
    let bills = p.strings("BillIds", 1000)?;
    let created = p.interval("CreatedUtc")?;
    let updated = p.interval("UpdatedUtc")?;
    let consumed = p.interval("ConsumedUtc")?;
    let canceled = p.interval("CanceledUtc")?;
    let closed = p.interval("ClosedUtc")?;
    let filtered = ids.is_some()
        || accounts.is_some()
        || service_orders.is_some()
        || services.is_some()
        || bills.is_some()
        || created.is_some()
        || updated.is_some()
        || consumed.is_some()
        || canceled.is_some()
        || closed.is_some();
    if !filtered {
        return Err(bad(
            "At least one of the OrderItemIds, AccountIds, ServiceOrderIds, ServiceIds, BillIds, CreatedUtc, UpdatedUtc, ConsumedUtc, CanceledUtc, ClosedUtc filters must be specified.",
        ));
    }
    if let Some(c) = p.string("Currency")?.filter(|c| *c != h.currency) {
        return Err(bad(format!(
            "Invalid Currency '{c}': the simulator does not convert currencies."
        )));
    }
    let states = p.strings("AccountingStates", 1000)?;
    if let Some(s) = states
        .iter()
        .flatten()
        .find(|s| !["Open", "Closed", "Inactive", "Canceled"].contains(&s.as_str()))
    {
        return Err(bad(format!(
            "Invalid AccountingStates: unknown state '{s}'."
        )));
    }
    let types = p.strings("Types", 1000)?;
    let ours = p.for_us(h)?;
    // Simulated items are open custom items on no bill, never canceled or closed.
    let any = ours && bills.is_none() && canceled.is_none() && closed.is_none();
    let rows: Vec<Row> = h
        .order_items
        .iter()
        .enumerate()
        .filter(|(_, i)| {
            any && any_of(&ids, &i.item.id)
                && any_of(&accounts, &i.account_id)
                && service_orders.as_ref().is_none_or(|f| {
                    f.iter()
                        .any(|x| *x == i.service_order_id || *x == i.order_id)
                })
                && any_of(&services, &i.service_id)
                && any_of(&states, "Open")
                && any_of(&types, "CustomItem")
                && within(&created, i.created_utc)
                && within(&updated, i.updated_utc)
                && within(&consumed, i.consumed_utc)
        })
        .map(|(idx, i)| Row {
            created: i.created_utc,
            updated: i.updated_utc,
            id: i.item.id.clone(),
            idx,
        })
        .collect();
    let order = if updated.is_some() {
        Order::Updated
    } else {
        Order::Created
    };
    let current = lim.cursor.as_deref().and_then(|c| {
        h.order_items
            .iter()
            .find(|i| i.item.id == c)
            .map(|i| (i.created_utc, i.updated_utc))
    });
    let rows = page(&h.cursors, rows, current, order, &lim)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|row| render::order_item(h, &h.order_items[row.idx]))
        .collect();
    let cursor = cursor(h, &rows);
    Ok(json!({ "OrderItems": items, "Cursor": cursor }))
}

/// `(a * b) / d` rounded half away from zero, in i128 so no intermediate overflows.
fn mul_div_round(a: i64, b: i64, d: i64) -> i64 {
    let n = i128::from(a) * i128::from(b);
    let d = i128::from(d.max(1));
    let q = (n.abs() * 2 + d) / (2 * d);
    i64::try_from(q * n.signum()).unwrap_or(i64::MAX)
}

fn to_minor(v: &Value, currency: &str, field: &str) -> Result<i64, ApiError> {
    let invalid = || {
        bad(format!(
            "Invalid {field}: expected a decimal amount in {currency}."
        ))
    };
    let f = v.as_f64().ok_or_else(invalid)?;
    let scale = 10_f64.powi(i32::try_from(currency_exponent(currency)).unwrap_or(2));
    let scaled = f * scale;
    let rounded = scaled.round();
    if !rounded.is_finite() || (scaled - rounded).abs() > 1e-6 || rounded.abs() > 1e12 {
        return Err(invalid());
    }
    // In range and integral, checked just above.
    Ok(rounded as i64)
}

struct ItemDraft {
    name: String,
    unit_count: u32,
    gross: i64,
    net: i64,
    tax_code: Option<String>,
    accounting_category_id: Option<String>,
    external_identifier: Option<String>,
}

fn parse_item(v: &Value, i: usize, currency: &str) -> Result<ItemDraft, ApiError> {
    let field = |name: &str| format!("Items[{i}].{name}");
    let obj = v
        .as_object()
        .ok_or_else(|| bad(format!("Invalid Items[{i}]: expected an object.")))?;
    let p = Params(obj);
    let name = p
        .string("Name")
        .map_err(|_| bad(format!("Invalid {}.", field("Name"))))?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad(format!("{} is required.", field("Name"))))?;
    let unit_count = p
        .get("UnitCount")
        .and_then(Value::as_u64)
        .filter(|n| (1..=1_000_000).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            bad(format!(
                "Invalid {}: expected a positive integer.",
                field("UnitCount")
            ))
        })?;
    let amount = p
        .get("UnitAmount")
        .and_then(Value::as_object)
        .ok_or_else(|| bad(format!("{} is required.", field("UnitAmount"))))?;
    let a = Params(amount);
    let cur = a
        .string("Currency")?
        .ok_or_else(|| bad(format!("{} is required.", field("UnitAmount.Currency"))))?;
    if cur != currency {
        return Err(bad(format!(
            "Invalid {}: '{cur}' is not the enterprise currency {currency}.",
            field("UnitAmount.Currency")
        )));
    }
    let codes = a.strings("TaxCodes", 10)?.unwrap_or_default();
    if codes.len() > 1 {
        return Err(bad(format!(
            "Invalid {}: the simulator supports one tax code per item.",
            field("UnitAmount.TaxCodes")
        )));
    }
    let tax_code = codes.into_iter().next();
    let bp = match &tax_code {
        None => 0,
        Some(code) => TAX_CODES
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, bp)| *bp)
            .ok_or_else(|| {
                bad(format!(
                    "Invalid {}: unknown tax code '{code}'.",
                    field("UnitAmount.TaxCodes")
                ))
            })?,
    };
    let (gross, net) = match (a.get("GrossValue"), a.get("NetValue")) {
        (Some(g), _) => {
            let gross = to_minor(g, currency, &field("UnitAmount.GrossValue"))?;
            (gross, mul_div_round(gross, 10_000, 10_000 + bp))
        }
        (None, Some(n)) => {
            let net = to_minor(n, currency, &field("UnitAmount.NetValue"))?;
            (net + mul_div_round(net, bp, 10_000), net)
        }
        (None, None) => {
            return Err(bad(format!(
                "{} requires GrossValue or NetValue.",
                field("UnitAmount")
            )))
        }
    };
    let external_identifier = p.string("ExternalIdentifier")?;
    if external_identifier.as_ref().is_some_and(|e| e.len() > 255) {
        return Err(bad(format!(
            "Invalid {}: at most 255 characters.",
            field("ExternalIdentifier")
        )));
    }
    Ok(ItemDraft {
        name,
        unit_count,
        gross,
        net,
        tax_code,
        accounting_category_id: p.string("AccountingCategoryId")?,
        external_identifier,
    })
}

/// `orders/add`: validates everything first, then records the order and its items at once
/// (a rejected request leaves no trace). Not idempotent, like Mews: posting twice charges twice.
pub(crate) fn orders_add(h: &mut Hotel, body: &Obj) -> Result<Value, ApiError> {
    let p = Params(body);
    let service_id = p
        .string("ServiceId")?
        .ok_or_else(|| bad("ServiceId is required."))?;
    let account_id = match p.string("AccountId")? {
        Some(a) => a,
        None => p
            .string("CustomerId")?
            .ok_or_else(|| bad("AccountId is required."))?,
    };
    let service = h
        .service(&service_id)
        .ok_or_else(|| bad(format!("Invalid ServiceId '{service_id}'.")))?;
    if service.sim.kind != "Additional" {
        return Err(bad(format!(
            "Invalid ServiceId '{service_id}': orders can only be added to an additional service."
        )));
    }
    if h.customer(&account_id).is_none() {
        return Err(bad(format!("Invalid AccountId '{account_id}'.")));
    }
    let linked = p.string("LinkedReservationId")?;
    if let Some(id) = &linked {
        let r = h
            .reservation(id)
            .ok_or_else(|| bad(format!("Invalid LinkedReservationId '{id}'.")))?;
        if r.sim.state == "Canceled" {
            return Err(bad(format!(
                "Invalid LinkedReservationId '{id}': the reservation is canceled."
            )));
        }
    }
    if p.get("ProductOrders")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        return Err(bad(
            "Invalid ProductOrders: the simulated enterprise has no products; post custom Items.",
        ));
    }
    let items = match p.get("Items") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(bad("Invalid Items: expected an array.")),
    };
    if items.is_empty() {
        return Err(bad(
            "Items or ProductOrders must contain at least one item.",
        ));
    }
    if items.len() > 1000 {
        return Err(bad("Invalid Items: at most 1000 items are allowed."));
    }
    let currency = h.currency.clone();
    let drafts = items
        .iter()
        .enumerate()
        .map(|(i, v)| parse_item(v, i, &currency))
        .collect::<Result<Vec<_>, _>>()?;
    let consumption = match p.string("ConsumptionUtc")? {
        None => None,
        Some(s) => Some(
            parse_rfc3339(&s)
                .ok_or_else(|| bad("Invalid ConsumptionUtc: expected an ISO 8601 UTC time."))?,
        ),
    };
    let notes = p.string("Notes")?;

    let now = h.stamp();
    let consumed = consumption.map_or(now, super::model::trunc_ms);
    let order_id = h.new_id();
    let service_order_id = linked.clone().unwrap_or_else(|| order_id.clone());
    let profile = h.connector_profile_id.clone();
    let mut posted = Vec::with_capacity(drafts.len());
    for d in drafts {
        let item = SimOrderItem {
            id: h.new_id(),
            name: d.name,
            unit_count: d.unit_count,
            unit_amount_minor: d.gross,
            currency: currency.clone(),
            external_identifier: d.external_identifier,
            unit_net_minor: d.net,
            tax_code: d.tax_code,
        };
        h.order_items.push(OrderItemRec {
            item: item.clone(),
            order_id: order_id.clone(),
            service_order_id: service_order_id.clone(),
            account_id: account_id.clone(),
            service_id: service_id.clone(),
            notes: notes.clone(),
            accounting_category_id: d.accounting_category_id,
            created_utc: now,
            updated_utc: now,
            consumed_utc: consumed,
            creator_profile_id: profile.clone(),
        });
        posted.push(item);
    }
    h.orders.push(SimPostedOrder {
        order_id: order_id.clone(),
        linked_reservation_id: linked,
        account_id,
        service_id,
        items: posted,
        created_utc: now,
        consumption_utc: consumed,
        notes,
    });
    Ok(json!({ "OrderId": order_id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_rounding() {
        assert_eq!(mul_div_round(1210, 10_000, 12_100), 1000);
        assert_eq!(mul_div_round(1000, 10_000, 10_900), 917);
        assert_eq!(mul_div_round(-1000, 10_000, 10_900), -917);
        assert_eq!(mul_div_round(5, 1, 2), 3);
        assert_eq!(to_minor(&json!(12.34), "EUR", "x").ok(), Some(1234));
        assert_eq!(to_minor(&json!(7), "EUR", "x").ok(), Some(700));
        assert!(to_minor(&json!(1.234), "EUR", "x").is_err());
        assert!(to_minor(&json!("12"), "EUR", "x").is_err());
        assert!(to_minor(&json!(1e300), "EUR", "x").is_err());
    }

    #[test]
    fn intervals_are_checked() {
        let body = json!({
            "A": { "StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-04-01T00:00:00Z" },
            "B": { "StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-04-01T00:00:01Z" },
            "C": { "StartUtc": "2024-01-01T00:00:00Z", "EndUtc": "2024-01-01T00:00:00Z" },
            "D": { "StartUtc": "yesterday", "EndUtc": "2024-01-01T00:00:00Z" },
            "E": [1],
        });
        let obj = body.as_object().cloned().unwrap_or_default();
        let p = Params(&obj);
        assert!(p.interval("A").is_ok_and(|i| i.is_some()));
        for k in ["B", "C", "D", "E"] {
            assert!(p.interval(k).is_err(), "{k}");
        }
        assert!(p.interval("Z").is_ok_and(|i| i.is_none()));
    }
}
