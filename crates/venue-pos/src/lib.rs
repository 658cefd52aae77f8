//! Point-of-sale vendors: the Square and Toast clients, their API models, and normalisation of
//! their orders and payments into `venue_domain` sales, with the `[[connector]]` entries of
//! venue.toml that configure them. Vendor payloads are parsed tolerantly (unknown fields and
//! enum values are accepted); money stays in integer minor units.
//!
//! Not here: the HTTP under the clients (rate limits, retries, breaker, metrics, TLS, secrets:
//! venue-http), when fetches run and where their pages are stored (venue-core), and the other
//! vendors (the PMS: venue-pms; door counters: venue-sensors).

pub mod config;
pub mod source;
pub mod square;
pub mod toast;
