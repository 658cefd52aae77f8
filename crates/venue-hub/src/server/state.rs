//! What every request handler shares: the store, the settings, the metrics and the rate limits.
//!
//! Nothing here is needed by another hub process: rate limits and metrics are per process by
//! design, and everything durable is in the database.

use super::metrics::HubMetrics;
use crate::store::HubStore;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Tunables of a running hub.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// How far ahead of the hub's clock a change may be stamped before it is refused.
    pub max_ahead_ms: i64,
    /// Requests a second per device token, sustained; bursts up to `token_burst`.
    pub token_rate_per_second: NonZeroU32,
    pub token_burst: NonZeroU32,
    /// Enrolment attempts a minute per client address (codes are guessable only by brute force).
    pub enroll_per_minute: NonZeroU32,
    /// The largest request body, bytes.
    pub max_body_bytes: usize,
    /// How long one request may take before it is answered with a timeout.
    pub request_timeout: Duration,
    /// How often the live channel sends a keep-alive when it has nothing to announce, so a dead
    /// connection is noticed by both ends.
    pub live_keepalive: Duration,
    /// How often an open live stream checks its token again, so a revoked console stops hearing
    /// its venue's news without waiting for its next pull (any hub process may have revoked it).
    pub live_recheck: Duration,
}

impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            max_ahead_ms: i64::try_from(venue_domain::HlcClock::DEFAULT_MAX_DRIFT_MS)
                .unwrap_or(300_000),
            token_rate_per_second: NonZeroU32::MIN.saturating_add(199),
            token_burst: NonZeroU32::MIN.saturating_add(399),
            enroll_per_minute: NonZeroU32::MIN.saturating_add(9),
            max_body_bytes: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            live_keepalive: Duration::from_secs(15),
            live_recheck: Duration::from_secs(30),
        }
    }
}

pub struct AppState<S> {
    pub store: S,
    pub settings: HubSettings,
    pub metrics: HubMetrics,
    pub per_token: DefaultKeyedRateLimiter<String>,
    pub per_address: DefaultKeyedRateLimiter<IpAddr>,
}

pub type SharedState<S> = Arc<AppState<S>>;

impl<S: HubStore> AppState<S> {
    pub fn new(store: S, settings: HubSettings) -> SharedState<S> {
        let per_token = RateLimiter::keyed(
            Quota::per_second(settings.token_rate_per_second).allow_burst(settings.token_burst),
        );
        let per_address = RateLimiter::keyed(Quota::per_minute(settings.enroll_per_minute));
        Arc::new(AppState {
            store,
            settings,
            metrics: HubMetrics::default(),
            per_token,
            per_address,
        })
    }
}

/// The hub's clock, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
