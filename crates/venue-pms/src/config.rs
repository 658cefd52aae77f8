//! The `[pms]` table of venue.toml. Secrets are never here: only their names are derived from
//! `name` (`{name}-client-token`, `{name}-access-token`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::time::Duration;
use venue_http::breaker::BreakerConfig;
use venue_http::http::{HttpSettings, Quota};
use venue_http::retry::RetryPolicy;
use venue_http::settings::{
    check_table_numbers, resilience_numbers, NumericKey, SettingError, Table,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PmsKind {
    Mews,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PmsConfig {
    pub kind: PmsKind,
    /// The `source` of every row it writes and its secrets' prefix.
    #[serde(default = "default_name")]
    pub name: String,
    /// The Connector API's platform address, e.g. "https://api.mews-demo.com".
    pub api_url: String,
    /// The websocket endpoint, e.g. "wss://ws.mews-demo.com/ws/connector" (another host than
    /// `api_url` at Mews).
    pub ws_url: String,
    /// Sent as `Client` in every request body.
    #[serde(default = "default_client_name")]
    pub client_name: String,
    /// Restricts requests to one enterprise (needed with portfolio access tokens).
    #[serde(default)]
    pub enterprise_id: Option<String>,
    /// The service charges are posted to; default: the first active "Additional" service.
    #[serde(default)]
    pub charge_service_id: Option<String>,
    /// Tax codes sent with each charge (`UnitAmount.TaxCodes`; Mews allows one with a gross
    /// value). Empty: none are sent.
    #[serde(default)]
    pub charge_tax_codes: Vec<String>,
    /// Polling interval while the websocket is down.
    #[serde(default = "default_poll")]
    pub poll_interval_minutes: u32,
    /// Each gap-fill re-reads this much before the last successful pull.
    #[serde(default = "default_overlap")]
    pub overlap_minutes: u32,
    /// How far back the first or a full sync reaches: reservations changed since then, and
    /// stays that have not ended by then.
    #[serde(default = "default_first_sync")]
    pub first_sync_days: u32,
    /// How far ahead the first or a full sync reads the stays on the books (by their dates,
    /// however long ago they were booked).
    #[serde(default = "default_first_sync_ahead")]
    pub first_sync_ahead_days: u32,
    /// Events are collected this long before one REST fetch, so a burst costs one request.
    #[serde(default = "default_batch")]
    pub event_batch_ms: u64,
    #[serde(default = "default_ping")]
    pub ping_interval_seconds: u64,
    /// No frame and no pong for this long and the connection is taken for dead.
    #[serde(default = "default_dead_after")]
    pub dead_after_seconds: u64,
    /// Mews: 200 requests per access token in any (sliding) 30 s window.
    #[serde(default = "default_requests")]
    pub requests_per_window: u32,
    #[serde(default = "default_window")]
    pub window_seconds: u64,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default)]
    pub breaker: BreakerConfig,
}

fn default_name() -> String {
    "mews".into()
}
fn default_client_name() -> String {
    concat!("Venue Console ", env!("CARGO_PKG_VERSION")).into()
}
fn default_poll() -> u32 {
    5
}
fn default_overlap() -> u32 {
    10
}
fn default_first_sync() -> u32 {
    90
}
fn default_first_sync_ahead() -> u32 {
    365
}
fn default_batch() -> u64 {
    // Short: while one batch is being fetched the next one queues up anyway, so bursts still
    // become one fetch; a long window only adds latency.
    5
}
fn default_ping() -> u64 {
    15
}
fn default_dead_after() -> u64 {
    45
}
fn default_requests() -> u32 {
    200
}
fn default_window() -> u64 {
    30
}

/// Longest event batch accepted: longer would only delay updates.
const MAX_BATCH_MS: u64 = 10_000;

impl PmsConfig {
    /// A config with every default, for tests and `venue init`.
    pub fn mews(api_url: &str, ws_url: &str) -> Self {
        PmsConfig {
            kind: PmsKind::Mews,
            name: default_name(),
            api_url: api_url.into(),
            ws_url: ws_url.into(),
            client_name: default_client_name(),
            enterprise_id: None,
            charge_service_id: None,
            charge_tax_codes: Vec::new(),
            poll_interval_minutes: default_poll(),
            overlap_minutes: default_overlap(),
            first_sync_days: default_first_sync(),
            first_sync_ahead_days: default_first_sync_ahead(),
            event_batch_ms: default_batch(),
            ping_interval_seconds: default_ping(),
            dead_after_seconds: default_dead_after(),
            requests_per_window: default_requests(),
            window_seconds: default_window(),
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
        }
    }

    /// Every numeric key and its accepted range: polling every minute to every day, overlaps
    /// up to a week, a first sync of 1 day to 10 years back and ahead, batches up to 10 s, pings
    /// every 1 s to 5 minutes, a dead socket after 2 s to an hour, and the retry and breaker
    /// ranges.
    pub fn numbers(&self) -> Vec<NumericKey> {
        let mut numbers = vec![
            NumericKey::u32(
                "poll_interval_minutes",
                self.poll_interval_minutes,
                1..=1_440,
            ),
            NumericKey::u32("overlap_minutes", self.overlap_minutes, 0..=10_080),
            NumericKey::u32("first_sync_days", self.first_sync_days, 1..=3_650),
            NumericKey::u32(
                "first_sync_ahead_days",
                self.first_sync_ahead_days,
                1..=3_650,
            ),
            NumericKey::u64("event_batch_ms", self.event_batch_ms, 0..=MAX_BATCH_MS),
            NumericKey::u64("ping_interval_seconds", self.ping_interval_seconds, 1..=300),
            NumericKey::u64("dead_after_seconds", self.dead_after_seconds, 2..=3_600),
            NumericKey::u32(
                "requests_per_window",
                self.requests_per_window,
                1..=1_000_000,
            ),
            NumericKey::u64("window_seconds", self.window_seconds, 1..=86_400),
        ];
        numbers.extend(resilience_numbers(&self.retry, &self.breaker));
        numbers
    }

    /// Checks what serde cannot; the error names the field (and its message starts with "[pms]").
    pub fn validate(&self) -> Result<(), SettingError> {
        let bad = |key, why: &str| Err(SettingError::invalid(Table::Pms, key, why));
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return bad("name", "must be letters, digits, '-' or '_'");
        }
        match reqwest::Url::parse(&self.api_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
            _ => return bad("api_url", "must be an http(s) URL"),
        }
        match reqwest::Url::parse(&self.ws_url) {
            Ok(url) if matches!(url.scheme(), "ws" | "wss") && url.host().is_some() => {}
            _ => return bad("ws_url", "must be a ws(s) URL"),
        }
        if self.client_name.trim().is_empty() {
            return bad("client_name", "must not be empty");
        }
        if self.enterprise_id.as_deref().is_some_and(str::is_empty) {
            return bad("enterprise_id", "must not be empty when set");
        }
        if self.charge_service_id.as_deref().is_some_and(str::is_empty) {
            return bad("charge_service_id", "must not be empty when set");
        }
        check_table_numbers(&Table::Pms, &self.numbers())?;
        if self.dead_after_seconds <= self.ping_interval_seconds {
            return bad(
                "dead_after_seconds",
                "must be longer than ping_interval_seconds (a pong needs time to come back)",
            );
        }
        Ok(())
    }

    /// The stays the first or a full sync mirrors at `now`: every one whose dates overlap
    /// [now - `first_sync_days`, now + `first_sync_ahead_days`).
    pub fn stay_window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            now - chrono::Duration::days(i64::from(self.first_sync_days)),
            now + chrono::Duration::days(i64::from(self.first_sync_ahead_days)),
        )
    }

    pub fn client_token_secret(&self) -> String {
        format!("{}-client-token", self.name)
    }

    pub fn access_token_secret(&self) -> String {
        format!("{}-access-token", self.name)
    }

    /// Names of the secrets this PMS needs, as `venue secret set NAME` stores them.
    pub fn secret_names(&self) -> Vec<String> {
        vec![self.client_token_secret(), self.access_token_secret()]
    }

    /// The client-side rate limit for `requests_per_window` per sliding `window_seconds`.
    ///
    /// GCRA with burst B and period T admits at most B + W/T requests in any window W; with
    /// B = R/2 and T = W/(R - B) that is R. Half the budget as burst keeps a sync's first pages
    /// fast while the steady rate can never overrun the vendor's window.
    pub fn quota(&self) -> Quota {
        let r = self.requests_per_window.max(1);
        let window = Duration::from_secs(self.window_seconds.max(1));
        let burst = (r / 2).max(1);
        // r == 1 leaves no steady budget beyond the burst: one request per window.
        let steady = (r - burst).max(1);
        // Rounded up, so the steady rate errs on the slow side.
        let nanos = window.as_nanos().div_ceil(u128::from(steady));
        let period = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }

    pub fn http_settings(&self) -> HttpSettings {
        HttpSettings {
            connect_timeout: Duration::from_secs(10),
            // reservations/getAll pages of 1000 can take a while; Mews answers 408 itself when
            // a query is too heavy.
            request_timeout: Duration::from_secs(60),
            quota: self.quota(),
            // Mews takes no request id header; its responses carry their own RequestId.
            request_id_header: None,
            retry: self.retry,
            // A Retry-After longer than this fails the pass (the vendor's wait is named in its
            // error) instead of holding the mirror asleep.
            max_retry_wait: venue_http::http::MAX_RETRY_WAIT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "kind = \"mews\"\napi_url = \"https://api.mews-demo.com\"\nws_url = \"wss://ws.mews-demo.com/ws/connector\"\n";

    fn parse(text: &str) -> Result<PmsConfig, String> {
        let config: PmsConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    /// MIN with `key` set to `value` (a TOML value).
    fn with(key: &str, value: &str) -> Result<PmsConfig, String> {
        let kept: String = MIN
            .lines()
            .filter(|l| !l.starts_with(&format!("{key} ")))
            .map(|l| format!("{l}\n"))
            .collect();
        parse(&format!("{kept}{key} = {value}\n"))
    }

    #[test]
    fn a_minimal_table_gets_the_defaults() {
        let c = parse(MIN).expect("valid");
        assert_eq!(c.name, "mews");
        assert!(c.client_name.starts_with("Venue Console "));
        assert_eq!(
            (
                c.poll_interval_minutes,
                c.overlap_minutes,
                c.first_sync_days,
                c.first_sync_ahead_days
            ),
            (5, 10, 90, 365)
        );
        assert_eq!(
            (
                c.event_batch_ms,
                c.ping_interval_seconds,
                c.dead_after_seconds
            ),
            (5, 15, 45)
        );
        assert_eq!((c.requests_per_window, c.window_seconds), (200, 30));
        assert_eq!(
            c.secret_names(),
            vec!["mews-client-token", "mews-access-token"]
        );
        assert_eq!(c, PmsConfig::mews(&c.api_url, &c.ws_url));
    }

    #[test]
    fn mistakes_are_named() {
        for (key, value, named) in [
            ("api_url", "\"ftp://x\"", "api_url"),
            ("ws_url", "\"https://x\"", "ws_url"),
            ("name", "\"a b\"", "name"),
            ("poll_interval_minutes", "0", "poll_interval_minutes"),
            ("first_sync_ahead_days", "0", "first_sync_ahead_days"),
            ("first_sync_ahead_days", "3651", "first_sync_ahead_days"),
            ("dead_after_seconds", "15", "dead_after_seconds"),
            ("requests_per_window", "0", "requests_per_window"),
            ("window_seconds", "0", "window_seconds"),
            ("event_batch_ms", "60000", "event_batch_ms"),
            ("access_token", "\"secret!\"", "access_token"),
            ("kind", "\"opera\"", "opera"),
        ] {
            let err = with(key, value).expect_err(key);
            assert!(err.contains(named), "{key}: {err}");
        }
        assert!(parse("kind = \"mews\"\n").is_err_and(|e| e.contains("api_url")));
    }

    #[test]
    fn the_quota_never_overruns_the_sliding_window() {
        for (r, w) in [(200u32, 30u64), (2, 1), (7, 10), (1000, 60), (3, 30)] {
            let mut c = PmsConfig::mews("https://a", "wss://b");
            c.requests_per_window = r;
            c.window_seconds = w;
            let q = c.quota();
            let burst = u64::from(q.burst_size().get());
            // The most GCRA admits in any window of length w: the burst plus one per period.
            let steady = Duration::from_secs(w).as_nanos() / q.replenish_interval().as_nanos();
            assert!(burst + steady as u64 <= u64::from(r), "{r} per {w} s");
        }
        let c = PmsConfig::mews("https://a", "wss://b");
        assert_eq!(
            (c.quota().burst_size().get(), c.quota().replenish_interval()),
            (100, Duration::from_millis(300))
        );
    }
}
