//! Deterministic generation of a believable venue: outlets, menus, staff and a day of orders.
//!
//! Every order is drawn from its own seed, made of (seed, vendor, outlet, business date, index), so
//! ids and amounts do not depend on the configured range or on the number of outlets.

use chrono::{Datelike, NaiveDate, NaiveTime, TimeDelta};

use crate::config::SimConfig;
use crate::model::{
    OrderState, PaymentMethod, PaymentStatus, Profile, SimDiscount, SimLine, SimLocation, SimOrder,
    SimPayment, SimRefund, Vendor,
};
use crate::util::{
    allocate, apply_bp, base62, currency_exponent, digits, guid, hash_str, rng, upper_id,
};

/// Static facts about an outlet the generator can pick.
pub(crate) struct Outlet {
    pub name: &'static str,
    pub profile: Profile,
    pub description: &'static str,
    pub address_line_1: &'static str,
    pub phone: &'static str,
    pub created_at: &'static str,
    pub latitude: f64,
    pub longitude: f64,
}

#[allow(clippy::too_many_arguments)]
const fn outlet(
    name: &'static str,
    profile: Profile,
    description: &'static str,
    address_line_1: &'static str,
    phone: &'static str,
    created_at: &'static str,
    latitude: f64,
    longitude: f64,
) -> Outlet {
    Outlet {
        name,
        profile,
        description,
        address_line_1,
        phone,
        created_at,
        latitude,
        longitude,
    }
}

pub(crate) const SQUARE_POOL: [Outlet; 5] = [
    outlet(
        "Lobby Cafe",
        Profile::Cafe,
        "Coffee and pastries in the lobby",
        "1 Harbour Way",
        "+1 212-555-0101",
        "2019-04-02T14:03:11Z",
        40.7061,
        -74.0087,
    ),
    outlet(
        "Main Restaurant",
        Profile::Restaurant,
        "All-day dining room",
        "1 Harbour Way",
        "+1 212-555-0102",
        "2019-04-02T14:05:40Z",
        40.7062,
        -74.0086,
    ),
    outlet(
        "Rooftop Bar",
        Profile::Bar,
        "Cocktails on the roof",
        "1 Harbour Way, Floor 12",
        "+1 212-555-0103",
        "2020-05-18T09:12:57Z",
        40.7062,
        -74.0088,
    ),
    outlet(
        "Pool Bar",
        Profile::Bar,
        "Poolside drinks and snacks",
        "1 Harbour Way, Pool Deck",
        "+1 212-555-0104",
        "2021-06-01T16:45:03Z",
        40.7060,
        -74.0089,
    ),
    outlet(
        "Deli Counter",
        Profile::Cafe,
        "Sandwiches to go",
        "3 Harbour Way",
        "+1 212-555-0105",
        "2022-02-14T11:30:25Z",
        40.7064,
        -74.0084,
    ),
];

pub(crate) const TOAST_POOL: [Outlet; 3] = [
    outlet(
        "Harbour Grill",
        Profile::Restaurant,
        "Grill restaurant",
        "5 Harbour Way",
        "+1 212-555-0201",
        "2020-09-09T10:00:00Z",
        40.7066,
        -74.0080,
    ),
    outlet(
        "Tap Room",
        Profile::Bar,
        "Beer hall",
        "7 Harbour Way",
        "+1 212-555-0202",
        "2021-03-03T10:00:00Z",
        40.7068,
        -74.0079,
    ),
    outlet(
        "Harbour Bakery",
        Profile::Cafe,
        "Bakery and coffee",
        "9 Harbour Way",
        "+1 212-555-0203",
        "2022-07-07T10:00:00Z",
        40.7069,
        -74.0077,
    ),
];

pub(crate) fn pool(vendor: Vendor) -> &'static [Outlet] {
    match vendor {
        Vendor::Square => &SQUARE_POOL,
        Vendor::Toast => &TOAST_POOL,
    }
}

/// (name, sales category, price in US cents)
type MenuItem = (&'static str, &'static str, i64);

const CAFE_MENU: &[MenuItem] = &[
    ("Espresso", "Coffee", 300),
    ("Flat White", "Coffee", 450),
    ("Cappuccino", "Coffee", 450),
    ("Latte", "Coffee", 475),
    ("Cold Brew", "Coffee", 500),
    ("Croissant", "Bakery", 375),
    ("Almond Croissant", "Bakery", 450),
    ("Avocado Toast", "Food", 1200),
    ("Breakfast Sandwich", "Food", 950),
    ("Granola Bowl", "Food", 850),
    ("Sparkling Water", "Soft Drinks", 350),
];

const RESTAURANT_MENU: &[MenuItem] = &[
    ("Burrata", "Starters", 1400),
    ("Fried Calamari", "Starters", 1500),
    ("Caesar Salad", "Starters", 1300),
    ("Margherita Pizza", "Mains", 1800),
    ("Steak Frites", "Mains", 3400),
    ("Grilled Salmon", "Mains", 2900),
    ("Mushroom Risotto", "Mains", 2400),
    ("Harbour Burger", "Mains", 2100),
    ("Tiramisu", "Desserts", 1100),
    ("House Red (glass)", "Wine", 1300),
    ("House White (glass)", "Wine", 1200),
    ("Prosecco (bottle)", "Wine", 5200),
    ("Sparkling Water", "Soft Drinks", 600),
];

const BAR_MENU: &[MenuItem] = &[
    ("Draft Lager", "Beer", 800),
    ("IPA", "Beer", 900),
    ("Margarita", "Cocktails", 1500),
    ("Old Fashioned", "Cocktails", 1700),
    ("Negroni", "Cocktails", 1600),
    ("Espresso Martini", "Cocktails", 1700),
    ("Glass of Rose", "Wine", 1300),
    ("Soda", "Soft Drinks", 500),
    ("Nachos", "Bar Food", 1400),
    ("Chicken Wings", "Bar Food", 1500),
    ("Fries", "Bar Food", 800),
];

pub(crate) fn menu(profile: Profile) -> &'static [MenuItem] {
    match profile {
        Profile::Cafe => CAFE_MENU,
        Profile::Restaurant => RESTAURANT_MENU,
        Profile::Bar => BAR_MENU,
    }
}

/// (hour of the business day, weight); hours ≥ 24 are after midnight.
fn hour_weights(profile: Profile) -> &'static [(u32, u32)] {
    match profile {
        Profile::Cafe => &[
            (7, 5),
            (8, 9),
            (9, 8),
            (10, 5),
            (11, 5),
            (12, 9),
            (13, 8),
            (14, 4),
            (15, 4),
            (16, 3),
            (17, 2),
        ],
        Profile::Restaurant => &[
            (11, 3),
            (12, 9),
            (13, 8),
            (14, 3),
            (15, 1),
            (16, 1),
            (17, 3),
            (18, 7),
            (19, 10),
            (20, 9),
            (21, 5),
            (22, 2),
        ],
        Profile::Bar => &[
            (15, 1),
            (16, 3),
            (17, 5),
            (18, 5),
            (19, 6),
            (20, 8),
            (21, 10),
            (22, 10),
            (23, 8),
            (24, 5),
            (25, 2),
        ],
    }
}

/// Volume factor per weekday, Monday first (each averages about 1).
fn weekday_factor(profile: Profile, weekday: u32) -> f64 {
    let table: [f64; 7] = match profile {
        Profile::Cafe => [1.1, 1.1, 1.1, 1.1, 1.05, 0.85, 0.7],
        Profile::Restaurant => [0.75, 0.8, 0.9, 1.0, 1.3, 1.4, 0.85],
        Profile::Bar => [0.5, 0.6, 0.8, 1.0, 1.55, 1.7, 0.85],
    };
    table[(weekday as usize).min(6)]
}

fn vendor_tag(vendor: Vendor) -> u64 {
    match vendor {
        Vendor::Square => 1,
        Vendor::Toast => 2,
    }
}

/// A price in US cents converted to the configured currency's minor units (roughly).
pub(crate) fn scale_price(cents: i64, currency: &str) -> i64 {
    match currency_exponent(currency) {
        0 => (cents * 3 / 2 + 5) / 10 * 10,
        3 => cents * 3,
        _ => cents,
    }
}

/// A stable GUID for a named configuration entity (sales category, table, dining option...).
pub(crate) fn named_guid(seed: u64, label: &str) -> String {
    guid(&mut rng(&[seed, hash_str(label)]))
}

/// A stable catalog id for a menu item of an outlet.
pub(crate) fn item_id(seed: u64, loc: &SimLocation, item: &str) -> String {
    let mut r = rng(&[
        seed,
        vendor_tag(loc.vendor),
        loc.pool_index as u64,
        hash_str(item),
    ]);
    match loc.vendor {
        Vendor::Square => upper_id(&mut r, 24),
        Vendor::Toast => guid(&mut r),
    }
}

pub(crate) fn merchant_id(seed: u64) -> String {
    upper_id(&mut rng(&[seed, 0x4D45_5243]), 13)
}

/// The configured outlets of both vendors.
pub(crate) fn locations(cfg: &SimConfig) -> Vec<SimLocation> {
    let mut out = Vec::new();
    for (vendor, count) in [
        (Vendor::Square, cfg.square_locations),
        (Vendor::Toast, cfg.toast_restaurants),
    ] {
        for (i, o) in pool(vendor).iter().enumerate().take(count) {
            let mut r = rng(&[cfg.seed, vendor_tag(vendor), i as u64, 0x10C]);
            let id = match vendor {
                Vendor::Square => upper_id(&mut r, 13),
                Vendor::Toast => guid(&mut r),
            };
            out.push(SimLocation {
                vendor,
                id,
                name: o.name.to_string(),
                profile: o.profile,
                timezone: cfg.timezone,
                currency: cfg.currency.clone(),
                pool_index: i,
            });
        }
    }
    out
}

fn staff(cfg: &SimConfig, loc: &SimLocation) -> Vec<String> {
    let mut r = rng(&[
        cfg.seed,
        vendor_tag(loc.vendor),
        loc.pool_index as u64,
        0x57AF,
    ]);
    (0..6)
        .map(|_| match loc.vendor {
            Vendor::Square => format!("TM{}", base62(&mut r, 14)),
            Vendor::Toast => guid(&mut r),
        })
        .collect()
}

fn new_id(r: &mut fastrand::Rng, vendor: Vendor, square_len: usize) -> String {
    match vendor {
        Vendor::Square => base62(r, square_len),
        Vendor::Toast => guid(r),
    }
}

fn card(r: &mut fastrand::Rng) -> PaymentMethod {
    let v = r.f64();
    let brand = if v < 0.5 {
        "VISA"
    } else if v < 0.8 {
        "MASTERCARD"
    } else if v < 0.92 {
        "AMERICAN_EXPRESS"
    } else {
        "DISCOVER"
    };
    PaymentMethod::Card {
        brand: brand.to_string(),
        last4: digits(r, 4),
    }
}

const REFUND_REASONS: [&str; 4] = [
    "Returned goods",
    "Customer complaint",
    "Accidental charge",
    "Wrong order",
];

/// The orders of one outlet on one business day, in opening order, as they finally are
/// (the store hides what has not happened yet).
pub(crate) fn day_orders(cfg: &SimConfig, loc: &SimLocation, date: NaiveDate) -> Vec<SimOrder> {
    let day_seed = [
        cfg.seed,
        vendor_tag(loc.vendor),
        loc.pool_index as u64,
        u64::from(date.num_days_from_ce().unsigned_abs()),
    ];
    let mut day_rng = rng(&day_seed);
    let count = if cfg.weekday_pattern {
        let f = weekday_factor(loc.profile, date.weekday().num_days_from_monday())
            * (0.85 + 0.3 * day_rng.f64());
        (f64::from(cfg.orders_per_day) * f).round() as u32
    } else {
        cfg.orders_per_day
    };
    let staff = staff(cfg, loc);
    let mut orders: Vec<SimOrder> = (0..count)
        .map(|i| {
            let mut r = rng(&[
                day_seed[0],
                day_seed[1],
                day_seed[2],
                day_seed[3],
                u64::from(i),
                0x0D,
            ]);
            one_order(cfg, loc, &staff, date, &mut r)
        })
        .collect();
    orders.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    for (i, o) in orders.iter_mut().enumerate() {
        o.number = i as u32 + 1;
    }
    orders
}

fn one_order(
    cfg: &SimConfig,
    loc: &SimLocation,
    staff: &[String],
    date: NaiveDate,
    r: &mut fastrand::Rng,
) -> SimOrder {
    let vendor = loc.vendor;
    let profile = loc.profile;
    let weights = hour_weights(profile);
    let total_weight: u32 = weights.iter().map(|w| w.1).sum();
    let mut pick = r.u32(..total_weight.max(1));
    let mut hour = weights.first().map_or(12, |w| w.0);
    for (h, w) in weights {
        if pick < *w {
            hour = *h;
            break;
        }
        pick -= w;
    }
    let local = date.and_time(NaiveTime::MIN)
        + TimeDelta::hours(i64::from(hour))
        + TimeDelta::seconds(r.i64(0..3600))
        + TimeDelta::milliseconds(r.i64(0..1000));
    let created_at = crate::util::local_to_utc(loc.timezone, local);

    let (guests, line_count, minutes) = match profile {
        Profile::Cafe => {
            let g = if r.f64() < 0.75 { 1 } else { 2 };
            (g, r.u32(1..=3), r.i64(2..12))
        }
        Profile::Restaurant => {
            let g = [1, 2, 2, 2, 3, 4, 4, 5, 6][r.usize(..9)];
            (g, (g + r.u32(1..=g + 1)).min(9), r.i64(35..110))
        }
        Profile::Bar => (r.u32(1..=4), r.u32(1..=4), r.i64(8..120)),
    };
    let items = menu(profile);
    let lines: Vec<SimLine> = (0..line_count)
        .map(|_| {
            let (name, category, cents) = items[r.usize(..items.len())];
            let q = r.f64();
            SimLine {
                id: new_id(r, vendor, 22),
                item_id: item_id(cfg.seed, loc, name),
                name: name.to_string(),
                category: category.to_string(),
                quantity: if q < 0.8 {
                    1
                } else if q < 0.95 {
                    2
                } else {
                    3
                },
                unit_price_minor: scale_price(cents, &cfg.currency),
            }
        })
        .collect();
    let subtotal: i64 = lines.iter().map(SimLine::gross_minor).sum();

    let d = r.f64();
    let discount = if profile == Profile::Bar && (16..19).contains(&hour) && d < 0.35 {
        Some(("Happy Hour 20%", Some(20)))
    } else if d < 0.015 {
        Some(("Staff Meal 50%", Some(50)))
    } else if d < 0.045 {
        Some(("Loyalty Reward", None))
    } else {
        None
    }
    .map(|(name, percent)| SimDiscount {
        id: new_id(r, vendor, 22),
        name: name.to_string(),
        percent,
        amount_minor: match percent {
            Some(p) => apply_bp(subtotal, i64::from(p) * 100),
            None => scale_price(500, &cfg.currency).min(subtotal),
        },
    });
    let net = subtotal - discount.as_ref().map_or(0, |d| d.amount_minor);
    let tax = apply_bp(net, i64::from(cfg.tax_rate_bp));
    let due = net + tax;

    let s = r.f64();
    let state = if s < 0.007 {
        OrderState::Open
    } else if s < 0.032 {
        OrderState::Canceled
    } else {
        OrderState::Completed
    };
    let duration = TimeDelta::seconds(minutes * 60 + r.i64(0..60));
    let closed_at = match state {
        OrderState::Open => None,
        OrderState::Completed => Some(created_at + duration),
        OrderState::Canceled => Some(created_at + (duration / 3).max(TimeDelta::seconds(60))),
    };

    let mut payments = Vec::new();
    if let (OrderState::Completed, Some(closed)) = (state, closed_at) {
        let by_card = r.f64() < 0.82;
        let split = profile == Profile::Restaurant && guests >= 3 && r.f64() < 0.3;
        let shares = if split {
            allocate(due, &[1, 1])
        } else {
            vec![due]
        };
        let n = shares.len() as i32;
        for (k, amount) in shares.into_iter().enumerate() {
            let method = if by_card {
                card(r)
            } else {
                PaymentMethod::Cash
            };
            let tip_pct = match (by_card, profile) {
                (false, _) => 0,
                (true, Profile::Cafe) => {
                    if r.f64() < 0.45 {
                        10
                    } else {
                        0
                    }
                }
                (true, _) => {
                    if r.f64() < 0.88 {
                        r.i64(15..=22)
                    } else {
                        0
                    }
                }
            };
            let created = closed - TimeDelta::seconds(i64::from(n - k as i32) * 40 + r.i64(0..20));
            let id = new_id(r, vendor, 29);
            let mut refunds = Vec::new();
            if by_card && r.f64() < 0.02 {
                let refund_amount = if r.bool() {
                    amount
                } else {
                    apply_bp(amount, r.i64(20..=60) * 100).max(1)
                };
                refunds.push(SimRefund {
                    id: match vendor {
                        Vendor::Square => format!("{id}_{}", base62(r, 29)),
                        Vendor::Toast => guid(r),
                    },
                    created_at: closed + TimeDelta::seconds(r.i64(600..5400)),
                    amount_minor: refund_amount,
                    reason: REFUND_REASONS[r.usize(..REFUND_REASONS.len())].to_string(),
                });
            }
            payments.push(SimPayment {
                id,
                created_at: created,
                method,
                amount_minor: amount,
                tip_minor: apply_bp(amount, tip_pct * 100),
                status: PaymentStatus::Completed,
                refunds,
            });
        }
    } else if let (OrderState::Canceled, Some(closed)) = (state, closed_at) {
        if r.f64() < 0.6 {
            let method = card(r);
            payments.push(SimPayment {
                id: new_id(r, vendor, 29),
                created_at: closed - TimeDelta::seconds(30),
                method,
                amount_minor: due,
                tip_minor: 0,
                status: PaymentStatus::Canceled,
                refunds: Vec::new(),
            });
        }
    }

    let id = new_id(r, vendor, 27);
    let check_id = match vendor {
        Vendor::Square => String::new(),
        Vendor::Toast => guid(r),
    };
    let mut order = SimOrder {
        id,
        check_id,
        vendor,
        location_id: loc.id.clone(),
        number: 0,
        business_date: date,
        created_at,
        updated_at: created_at,
        closed_at,
        state,
        version: 1,
        guests,
        server_id: staff[r.usize(..staff.len().max(1))].clone(),
        lines,
        discount,
        tax_minor: tax,
        payments,
    };
    finish(&mut order);
    order
}

/// Sets `updated_at` and `version` from the order's events.
pub(crate) fn finish(order: &mut SimOrder) {
    let mut updated = order.closed_at.unwrap_or(order.created_at);
    let mut version = 1 + i64::from(order.closed_at.is_some());
    for p in &order.payments {
        updated = updated.max(p.updated_at());
        version += p.refunds.len() as i64;
    }
    order.updated_at = updated.max(order.created_at);
    order.version = version;
}

/// A fresh id for an order added by hand (`n` counts additions).
pub(crate) fn manual_ids(seed: u64, vendor: Vendor, n: u64) -> fastrand::Rng {
    rng(&[seed, vendor_tag(vendor), 0xADD, n])
}

pub(crate) fn manual_id(r: &mut fastrand::Rng, vendor: Vendor, square_len: usize) -> String {
    new_id(r, vendor, square_len)
}

pub(crate) fn manual_card(r: &mut fastrand::Rng) -> PaymentMethod {
    card(r)
}

pub(crate) fn staff_of(cfg: &SimConfig, loc: &SimLocation) -> Vec<String> {
    staff(cfg, loc)
}
