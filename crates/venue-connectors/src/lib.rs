//! Connectors to vendor APIs. Vendor payloads are parsed tolerantly (unknown fields and enum
//! values are accepted) and normalised into `venue_domain` types; money stays in integer minor units.

pub mod breaker;
pub mod config;
pub mod http;
pub mod metrics;
pub mod retry;
pub mod secrets;
pub mod source;
pub mod square;
pub mod tls;
pub mod toast;
