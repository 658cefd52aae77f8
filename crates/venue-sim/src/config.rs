//! Configuration of a simulator run.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::SimError;

/// Where the simulator's data clock (`now`) stands. Orders, payments and refunds become visible
/// once their time has come: an order opened before `now` but closed after it is served `OPEN`,
/// a refund after `now` is not there yet. [`crate::SimHandle::advance`] moves the clock on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimClock {
    /// 06:00 venue time on the day after the range: every generated sale of the range has
    /// happened, the next day's have not (default).
    EndOfRange,
    /// A fixed instant.
    Fixed(DateTime<Utc>),
    /// The wall clock: sales trickle in live (days after the range are generated as time goes on,
    /// up to a year past it).
    Wall,
}

/// What to simulate and how to serve it. Build with struct-update syntax:
///
/// ```
/// let cfg = venue_sim::SimConfig { seed: 7, days: 3, orders_per_day: 50, ..Default::default() };
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seed of all generated data: the same seed gives the same ids and amounts.
    pub seed: u64,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// First business day of generated data (venue-local).
    pub start_date: NaiveDate,
    /// Number of business days generated from `start_date` (0: none, add orders by hand).
    pub days: u32,
    /// Orders per location per day: the average with `weekday_pattern`, else exact.
    pub orders_per_day: u32,
    /// Vary volume by weekday and outlet (busy Friday/Saturday nights, quiet Monday) with ±15 %
    /// noise; off, every location has exactly `orders_per_day` orders every day.
    pub weekday_pattern: bool,
    /// ISO 4217 currency of all amounts (minor units follow its exponent: JPY 0, KWD 3, else 2).
    pub currency: String,
    /// The venue's time zone (hours, business dates).
    pub timezone: Tz,
    /// The venue's name (Square `business_name`).
    pub venue_name: String,
    /// Number of Square locations, 1..=5 (0 disables Square data).
    pub square_locations: usize,
    /// Number of Toast restaurants, 1..=3 (0 disables Toast data).
    pub toast_restaurants: usize,
    /// Sales tax in basis points (875 = 8.75 %).
    pub tax_rate_bp: u32,
    /// The data clock.
    pub clock: SimClock,
    /// The bearer token Square requests must carry.
    pub square_access_token: String,
    /// Toast client id accepted by the login endpoint.
    pub toast_client_id: String,
    /// Toast client secret accepted by the login endpoint.
    pub toast_client_secret: String,
    /// Lifetime of a Toast access token (`expiresIn`), real time.
    pub toast_token_ttl: Duration,
    /// How long the `Timeout` fault holds a request before answering (or until shutdown).
    pub timeout_hold: Duration,
    /// Enforce Toast's rate limits (ordersBulk 5 req/s per restaurant, login 20 req/s) with 429s;
    /// the X-Toast-RateLimit-* headers are sent either way.
    pub enforce_rate_limits: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            port: 0,
            start_date: NaiveDate::from_ymd_opt(2024, 3, 4).unwrap_or_default(),
            days: 14,
            orders_per_day: 120,
            weekday_pattern: true,
            currency: "USD".to_string(),
            timezone: chrono_tz::America::New_York,
            venue_name: "Harbour House".to_string(),
            square_locations: 3,
            toast_restaurants: 2,
            tax_rate_bp: 875,
            clock: SimClock::EndOfRange,
            square_access_token: "sim-square-access-token".to_string(),
            toast_client_id: "sim-toast-client-id".to_string(),
            toast_client_secret: "sim-toast-client-secret".to_string(),
            toast_token_ttl: Duration::from_secs(86_400),
            timeout_hold: Duration::from_secs(120),
            enforce_rate_limits: false,
        }
    }
}

impl SimConfig {
    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let bad = |m: &str| Err(SimError::Config(m.to_string()));
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad("currency must be an ISO 4217 code such as USD");
        }
        if self.square_locations > crate::gen::SQUARE_POOL.len() {
            return bad("square_locations must be at most 5");
        }
        if self.toast_restaurants > crate::gen::TOAST_POOL.len() {
            return bad("toast_restaurants must be at most 3");
        }
        if self.orders_per_day > 20_000 {
            return bad("orders_per_day must be at most 20000");
        }
        if self.days > 3_660 {
            return bad("days must be at most 3660");
        }
        if self.tax_rate_bp > 5_000 {
            return bad("tax_rate_bp must be at most 5000 (50 %)");
        }
        if self.square_access_token.is_empty() || self.toast_client_id.is_empty() {
            return bad("credentials must not be empty");
        }
        Ok(())
    }
}
