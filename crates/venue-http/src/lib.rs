//! Resilient HTTP to vendor APIs, shared by every client of a vendor the console has (the
//! point-of-sale connectors, the PMS, the door counters): a client-side rate limit at the
//! vendor's documented rate, retries of transient failures with backoff that never come sooner
//! than the vendor's Retry-After and stop at a budget per run, a circuit breaker, request
//! metrics, the one TLS setup of every client, the lookup of secrets (environment, then a
//! secret store such as the OS keyring), and the range checks of venue.toml's numbers.
//!
//! It builds no vendor's requests and reads no vendor's payloads: those, and normalising them
//! into `venue_domain` types, belong to the vendors' crates (venue-pos for Square and Toast,
//! venue-pms for Mews, venue-sensors for door counters), and its errors name no vendor, only
//! the connector that failed. It neither stores what is fetched nor schedules runs; venue-core
//! does.

pub mod breaker;
pub mod fetch;
pub mod http;
pub mod metrics;
pub mod retry;
pub mod secrets;
pub mod settings;
pub mod tls;
