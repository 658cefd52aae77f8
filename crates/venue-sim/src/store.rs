//! The simulator's data: generated days, orders added or changed at run time, and the data clock.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::config::{SimClock, SimConfig};
use crate::gen;
use crate::model::{
    OrderSpec, OrderState, PaymentMethod, PaymentStatus, SimDiscount, SimLine, SimLocation,
    SimOrder, SimPayment, SimRefund, Vendor,
};
use crate::util::{apply_bp, local_to_utc};
use crate::SimError;

struct Stored {
    order: SimOrder,
    /// Generated orders are shown as of `now`; orders added or changed by hand are shown as stored.
    live: bool,
}

pub(crate) struct Store {
    cfg: SimConfig,
    locations: Vec<SimLocation>,
    orders: Vec<Stored>,
    index: HashMap<String, usize>,
    next_day: NaiveDate,
    base_now: Option<DateTime<Utc>>,
    advanced: TimeDelta,
    manual_count: u64,
}

/// Business days are cut at 04:00; a day's first sales come after 06:00.
const DAY_OPENS: NaiveTime = match NaiveTime::from_hms_opt(6, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

impl Store {
    pub(crate) fn new(cfg: &SimConfig) -> Store {
        let end = cfg.start_date + TimeDelta::days(i64::from(cfg.days));
        let base_now = match cfg.clock {
            SimClock::EndOfRange => Some(local_to_utc(cfg.timezone, end.and_time(DAY_OPENS))),
            SimClock::Fixed(t) => Some(t),
            SimClock::Wall => None,
        };
        let mut store = Store {
            cfg: cfg.clone(),
            locations: gen::locations(cfg),
            orders: Vec::new(),
            index: HashMap::new(),
            next_day: cfg.start_date,
            base_now,
            advanced: TimeDelta::zero(),
            manual_count: 0,
        };
        store.ensure_generated();
        store
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        let base = self.base_now.unwrap_or_else(Utc::now);
        base.checked_add_signed(self.advanced).unwrap_or(base)
    }

    pub(crate) fn advance(&mut self, by: TimeDelta) {
        self.advanced = self.advanced.checked_add(&by).unwrap_or(self.advanced);
        self.ensure_generated();
    }

    /// Generates the configured days, and the days after them whose sales have begun by `now`.
    pub(crate) fn ensure_generated(&mut self) {
        let now = self.now();
        let end = self.cfg.start_date + TimeDelta::days(i64::from(self.cfg.days));
        let cap = end + TimeDelta::days(366);
        while self.next_day < cap
            && (self.next_day < end
                || local_to_utc(self.cfg.timezone, self.next_day.and_time(DAY_OPENS)) < now)
        {
            let day = self.next_day;
            for loc in self.locations.clone() {
                for order in gen::day_orders(&self.cfg, &loc, day) {
                    self.insert(order, true);
                }
            }
            self.next_day = day + TimeDelta::days(1);
        }
    }

    fn insert(&mut self, order: SimOrder, live: bool) {
        match self.index.get(&order.id) {
            Some(&i) => self.orders[i] = Stored { order, live },
            None => {
                self.index.insert(order.id.clone(), self.orders.len());
                self.orders.push(Stored { order, live });
            }
        }
    }

    pub(crate) fn locations(&self, vendor: Vendor) -> impl Iterator<Item = &SimLocation> {
        self.locations.iter().filter(move |l| l.vendor == vendor)
    }

    pub(crate) fn location(&self, vendor: Vendor, id: &str) -> Option<&SimLocation> {
        self.locations(vendor).find(|l| l.id == id)
    }

    pub(crate) fn rename_location(
        &mut self,
        vendor: Vendor,
        id: &str,
        name: &str,
    ) -> Option<SimLocation> {
        let location = self
            .locations
            .iter_mut()
            .find(|l| l.vendor == vendor && l.id == id)?;
        location.name = name.to_string();
        Some(location.clone())
    }

    /// Calls `f` with every order of `vendor` as it stands at `now` (hidden until opened; open
    /// until closed; refunds only once made).
    pub(crate) fn for_each_visible(&self, vendor: Vendor, mut f: impl FnMut(&SimOrder)) {
        let now = self.now();
        for s in self.orders.iter().filter(|s| s.order.vendor == vendor) {
            if let Some(v) = view(s, now) {
                f(&v);
            }
        }
    }

    pub(crate) fn visible(&self, vendor: Vendor) -> Vec<SimOrder> {
        let mut out = Vec::new();
        self.for_each_visible(vendor, |o| out.push(o.clone()));
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        out
    }

    pub(crate) fn get(&self, id: &str) -> Option<SimOrder> {
        let s = self.orders.get(*self.index.get(id)?)?;
        view(s, self.now()).map(Cow::into_owned)
    }

    pub(crate) fn add(&mut self, spec: OrderSpec) -> Result<SimOrder, SimError> {
        let loc = match &spec.location_id {
            Some(id) => self.location(spec.vendor, id),
            None => self.locations(spec.vendor).next(),
        }
        .cloned()
        .ok_or_else(|| {
            SimError::UnknownLocation(
                spec.location_id
                    .clone()
                    .unwrap_or_else(|| format!("no {:?} location is configured", spec.vendor)),
            )
        })?;
        let vendor = spec.vendor;
        let mut r = gen::manual_ids(self.cfg.seed, vendor, self.manual_count);
        self.manual_count += 1;
        let now = self.now();
        let closed = spec.closed_at.unwrap_or(now);
        let created = spec
            .created_at
            .unwrap_or(closed - TimeDelta::minutes(20))
            .min(closed);
        let business_date =
            (created.with_timezone(&loc.timezone) - TimeDelta::hours(4)).date_naive();
        let items = if spec.items.is_empty() {
            vec![(
                "House Special".to_string(),
                1,
                gen::scale_price(1000, &self.cfg.currency),
            )]
        } else {
            spec.items.clone()
        };
        let lines: Vec<SimLine> = items
            .into_iter()
            .map(|(name, quantity, unit_price_minor)| SimLine {
                id: gen::manual_id(&mut r, vendor, 22),
                item_id: gen::item_id(self.cfg.seed, &loc, &name),
                category: "Other".to_string(),
                name,
                quantity,
                unit_price_minor,
            })
            .collect();
        let subtotal: i64 = lines.iter().map(SimLine::gross_minor).sum();
        let discount = (spec.discount_minor > 0).then(|| SimDiscount {
            id: gen::manual_id(&mut r, vendor, 22),
            name: "Manual Discount".to_string(),
            percent: None,
            amount_minor: spec.discount_minor.min(subtotal),
        });
        let net = subtotal - discount.as_ref().map_or(0, |d| d.amount_minor);
        let tax = apply_bp(net, i64::from(self.cfg.tax_rate_bp));
        let payments = match spec.state {
            OrderState::Completed => {
                let method = if spec.cash {
                    PaymentMethod::Cash
                } else {
                    gen::manual_card(&mut r)
                };
                vec![SimPayment {
                    id: gen::manual_id(&mut r, vendor, 29),
                    created_at: (closed - TimeDelta::seconds(40)).max(created),
                    tip_minor: if spec.cash { 0 } else { spec.tip_minor },
                    method,
                    amount_minor: net + tax,
                    status: PaymentStatus::Completed,
                    refunds: Vec::new(),
                }]
            }
            OrderState::Open | OrderState::Canceled => Vec::new(),
        };
        let number = 1 + self
            .orders
            .iter()
            .filter(|s| s.order.location_id == loc.id && s.order.business_date == business_date)
            .count() as u32;
        let staff = gen::staff_of(&self.cfg, &loc);
        let mut order = SimOrder {
            id: gen::manual_id(&mut r, vendor, 27),
            check_id: match vendor {
                Vendor::Square => String::new(),
                Vendor::Toast => gen::manual_id(&mut r, vendor, 0),
            },
            vendor,
            location_id: loc.id.clone(),
            number,
            business_date,
            created_at: created,
            updated_at: created,
            closed_at: (spec.state != OrderState::Open).then_some(closed),
            state: spec.state,
            version: 1,
            guests: 1,
            server_id: staff.first().cloned().unwrap_or_default(),
            lines,
            discount,
            tax_minor: tax,
            payments,
        };
        gen::finish(&mut order);
        self.insert(order.clone(), false);
        Ok(order)
    }

    /// Changes a visible order; it gets a new version and an `updated_at` after its previous one
    /// (and not before `now`) unless `f` moved `updated_at` forward itself.
    pub(crate) fn update(&mut self, id: &str, f: impl FnOnce(&mut SimOrder)) -> Option<SimOrder> {
        let before = self.get(id)?;
        let now = self.now();
        let mut after = before.clone();
        f(&mut after);
        after.id = before.id.clone();
        after.vendor = before.vendor;
        if after.updated_at <= before.updated_at {
            after.updated_at = now.max(before.updated_at + TimeDelta::milliseconds(1));
        }
        after.version = after.version.max(before.version + 1);
        self.insert(after.clone(), false);
        Some(after)
    }

    /// Refunds `amount_minor` of the order's first captured payment, at `now`.
    pub(crate) fn refund(&mut self, id: &str, amount_minor: i64) -> Option<SimOrder> {
        let order = self.get(id)?;
        let payment = order.captured_payments().next()?.id.clone();
        let n = self.manual_count;
        self.manual_count += 1;
        let mut r = gen::manual_ids(self.cfg.seed, order.vendor, n);
        let refund_id = match order.vendor {
            Vendor::Square => format!("{payment}_{}", gen::manual_id(&mut r, Vendor::Square, 29)),
            Vendor::Toast => gen::manual_id(&mut r, Vendor::Toast, 0),
        };
        let at = self
            .now()
            .max(order.updated_at + TimeDelta::milliseconds(1));
        self.update(id, move |o| {
            if let Some(p) = o.payments.iter_mut().find(|p| p.id == payment) {
                p.refunds.push(SimRefund {
                    id: refund_id,
                    created_at: at,
                    amount_minor: amount_minor.clamp(0, p.amount_minor - p.refunded_minor()),
                    reason: "Refund".to_string(),
                });
            }
            o.updated_at = at;
        })
    }
}

/// An order as it stands at `now`, borrowed when nothing about it is still to come.
fn view(s: &Stored, now: DateTime<Utc>) -> Option<Cow<'_, SimOrder>> {
    let o = &s.order;
    if !s.live || o.updated_at <= now {
        return Some(Cow::Borrowed(o));
    }
    if o.created_at > now {
        return None;
    }
    let mut v = o.clone();
    match o.closed_at {
        Some(closed) if closed <= now => {
            for p in &mut v.payments {
                p.refunds.retain(|r| r.created_at <= now);
            }
        }
        _ => {
            v.closed_at = None;
            v.state = OrderState::Open;
            v.payments.clear();
        }
    }
    gen::finish(&mut v);
    Some(Cow::Owned(v))
}
