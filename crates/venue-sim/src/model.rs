//! The simulator's vendor-neutral data model: locations and orders with their payments.
//!
//! Both vendors' responses are rendered from these types, so a test can compare what a client
//! ingested with the simulator's own truth ([`crate::SimHandle::orders`]). Money is in integer
//! minor units of the configured currency.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Which vendor's API an entity belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vendor {
    /// Square: locations and orders with payments.
    Square,
    /// Toast: restaurants (by `Toast-Restaurant-External-ID`) and orders with checks.
    Toast,
}

/// The kind of outlet, which drives its menu, hours and busy periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Opens 07:00, morning and lunch peaks, closes 18:00; small tickets, small tips.
    Cafe,
    /// Lunch (12–14) and dinner (18–21) peaks; bigger tables, split bills, 15–22 % tips.
    Restaurant,
    /// Afternoon to 02:00, evening peak 20–23, happy hour 16–19, busy Friday and Saturday.
    Bar,
}

/// A Square location or a Toast restaurant.
#[derive(Clone, Debug, PartialEq)]
pub struct SimLocation {
    /// The vendor that serves it.
    pub vendor: Vendor,
    /// Square location id (13 characters) or Toast restaurant GUID.
    pub id: String,
    /// Display name, e.g. "Rooftop Bar".
    pub name: String,
    /// What kind of outlet it is.
    pub profile: Profile,
    /// Local time zone (the venue's).
    pub timezone: Tz,
    /// ISO 4217 currency code.
    pub currency: String,
    pub(crate) pool_index: usize,
}

/// The state of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// Not yet paid and closed (Square `OPEN`, Toast check `OPEN`).
    Open,
    /// Paid and closed (Square `COMPLETED`, Toast check `CLOSED`).
    Completed,
    /// Cancelled / voided (Square `CANCELED`, Toast `voided: true`).
    Canceled,
}

/// How a payment was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentMethod {
    /// A card; `brand` in Square's spelling (`VISA`, `MASTERCARD`, `AMERICAN_EXPRESS`, `DISCOVER`).
    Card {
        /// Card brand.
        brand: String,
        /// Last four digits.
        last4: String,
    },
    /// Cash (never carries a tip here).
    Cash,
}

/// The state of a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Captured (Square `COMPLETED`, Toast `CAPTURED`).
    Completed,
    /// Authorisation voided with the order (Square `CANCELED`, Toast `VOIDED`).
    Canceled,
}

/// A refund of (part of) a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimRefund {
    /// Square refund id or Toast refund transaction GUID.
    pub id: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Refunded amount (tip excluded), minor units.
    pub amount_minor: i64,
    /// Free-text reason.
    pub reason: String,
}

/// A payment against an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimPayment {
    /// Square payment id or Toast payment GUID.
    pub id: String,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// Card or cash.
    pub method: PaymentMethod,
    /// Amount paid towards the order, tip excluded, minor units.
    pub amount_minor: i64,
    /// Tip on top of `amount_minor`, minor units.
    pub tip_minor: i64,
    /// Captured or voided.
    pub status: PaymentStatus,
    /// Refunds made later, oldest first.
    pub refunds: Vec<SimRefund>,
}

impl SimPayment {
    /// The sum of the refunds, minor units.
    pub fn refunded_minor(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount_minor).sum()
    }

    /// When the payment last changed (capture, void or latest refund).
    pub fn updated_at(&self) -> DateTime<Utc> {
        let settled = self.created_at
            + match self.status {
                PaymentStatus::Completed => chrono::TimeDelta::milliseconds(2_150),
                PaymentStatus::Canceled => chrono::TimeDelta::seconds(9),
            };
        self.refunds
            .iter()
            .map(|r| r.created_at)
            .fold(settled, DateTime::max)
    }
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimLine {
    /// Square line-item uid or Toast selection GUID.
    pub id: String,
    /// Catalog id (Square catalog object id / Toast menu item GUID).
    pub item_id: String,
    /// Item name, e.g. "Flat White".
    pub name: String,
    /// Sales category, e.g. "Coffee", "Food", "Cocktails".
    pub category: String,
    /// Quantity (≥ 1).
    pub quantity: u32,
    /// Unit price, minor units.
    pub unit_price_minor: i64,
}

impl SimLine {
    /// `quantity * unit_price_minor`.
    pub fn gross_minor(&self) -> i64 {
        i64::from(self.quantity) * self.unit_price_minor
    }
}

/// An order-level discount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimDiscount {
    /// Square discount uid / Toast applied-discount GUID.
    pub id: String,
    /// Name, e.g. "Happy Hour 20%".
    pub name: String,
    /// Percentage, when it is a percentage discount.
    pub percent: Option<u32>,
    /// The amount taken off the subtotal, minor units.
    pub amount_minor: i64,
}

/// An order (a Square order, or a Toast order with one check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimOrder {
    /// Square order id (29 characters) or Toast order GUID.
    pub id: String,
    /// Toast check GUID (empty for Square).
    pub check_id: String,
    /// The vendor.
    pub vendor: Vendor,
    /// Square location id or Toast restaurant GUID.
    pub location_id: String,
    /// Ticket number within its business day, from 1.
    pub number: u32,
    /// The venue-local business date (Toast `businessDate`).
    pub business_date: NaiveDate,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it last changed (Toast `modifiedDate`).
    pub updated_at: DateTime<Utc>,
    /// When it was completed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// Open, completed or cancelled.
    pub state: OrderState,
    /// Bumped on every change, from 1.
    pub version: i64,
    /// Party size.
    pub guests: u32,
    /// Square team member id or Toast server GUID.
    pub server_id: String,
    /// The lines.
    pub lines: Vec<SimLine>,
    /// At most one order-level discount.
    pub discount: Option<SimDiscount>,
    /// Tax on the discounted subtotal, minor units.
    pub tax_minor: i64,
    /// Payments (none while open; a cancelled order may keep a voided card payment).
    pub payments: Vec<SimPayment>,
}

impl SimOrder {
    /// Sum of the lines before discount.
    pub fn subtotal_minor(&self) -> i64 {
        self.lines.iter().map(SimLine::gross_minor).sum()
    }

    /// The discount amount (0 without a discount).
    pub fn discount_minor(&self) -> i64 {
        self.discount.as_ref().map_or(0, |d| d.amount_minor)
    }

    /// Subtotal minus discount.
    pub fn net_sales_minor(&self) -> i64 {
        self.subtotal_minor() - self.discount_minor()
    }

    /// Tips of the captured payments.
    pub fn tip_minor(&self) -> i64 {
        self.captured_payments().map(|p| p.tip_minor).sum()
    }

    /// What the guest owes before tip: net sales plus tax (Toast `totalAmount`).
    pub fn amount_due_minor(&self) -> i64 {
        self.net_sales_minor() + self.tax_minor
    }

    /// Net sales + tax + tips (Square `total_money`).
    pub fn total_minor(&self) -> i64 {
        self.amount_due_minor() + self.tip_minor()
    }

    /// Refunded so far over all payments.
    pub fn refunded_minor(&self) -> i64 {
        self.payments.iter().map(SimPayment::refunded_minor).sum()
    }

    /// Captured (not voided) payments.
    pub fn captured_payments(&self) -> impl Iterator<Item = &SimPayment> {
        self.payments
            .iter()
            .filter(|p| p.status == PaymentStatus::Completed)
    }
}

/// A new order for [`crate::SimHandle::add_order`], built step by step.
///
/// ```
/// use venue_sim::{OrderSpec, Vendor};
/// let spec = OrderSpec::new(Vendor::Square).item("Flat White", 2, 450).tip(100);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderSpec {
    pub(crate) vendor: Vendor,
    pub(crate) location_id: Option<String>,
    pub(crate) created_at: Option<DateTime<Utc>>,
    pub(crate) closed_at: Option<DateTime<Utc>>,
    pub(crate) state: OrderState,
    pub(crate) items: Vec<(String, u32, i64)>,
    pub(crate) tip_minor: i64,
    pub(crate) discount_minor: i64,
    pub(crate) cash: bool,
}

impl OrderSpec {
    /// A completed card order at the vendor's first location, closed at the simulator's `now`,
    /// with one "House Special" at 10.00 unless items are added.
    pub fn new(vendor: Vendor) -> Self {
        OrderSpec {
            vendor,
            location_id: None,
            created_at: None,
            closed_at: None,
            state: OrderState::Completed,
            items: Vec::new(),
            tip_minor: 0,
            discount_minor: 0,
            cash: false,
        }
    }

    /// At this location (Square location id / Toast restaurant GUID).
    pub fn location(mut self, id: impl Into<String>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// Opened at this time (default: 20 minutes before closing).
    pub fn created_at(mut self, t: DateTime<Utc>) -> Self {
        self.created_at = Some(t);
        self
    }

    /// Closed (paid or cancelled) at this time (default: the simulator's `now`).
    pub fn closed_at(mut self, t: DateTime<Utc>) -> Self {
        self.closed_at = Some(t);
        self
    }

    /// In this state (default completed). Open orders get no payment and no `closed_at`.
    pub fn state(mut self, state: OrderState) -> Self {
        self.state = state;
        self
    }

    /// Adds a line: name, quantity, unit price in minor units.
    pub fn item(mut self, name: impl Into<String>, quantity: u32, unit_price_minor: i64) -> Self {
        self.items
            .push((name.into(), quantity.max(1), unit_price_minor));
        self
    }

    /// A tip on the (card) payment, minor units.
    pub fn tip(mut self, tip_minor: i64) -> Self {
        self.tip_minor = tip_minor.max(0);
        self
    }

    /// A fixed order-level discount, minor units (capped at the subtotal).
    pub fn discount(mut self, discount_minor: i64) -> Self {
        self.discount_minor = discount_minor.max(0);
        self
    }

    /// Paid in cash instead of by card (a cash payment carries no tip).
    pub fn cash(mut self) -> Self {
        self.cash = true;
        self
    }
}
