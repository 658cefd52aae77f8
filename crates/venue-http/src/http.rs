//! The HTTP layer every connector shares: timeouts, a client-side rate limit at the vendor's
//! documented rate, retries of transient failures (backon) that never come sooner than the
//! vendor's Retry-After, a per-run retry budget, a correlation id on every log line (and sent to
//! the vendor where it accepts one), and metrics.

use crate::metrics::Metrics;
use crate::retry::{parse_retry_after, retry_delay, RetryBudget, RetryPolicy};
use backon::Retryable;
use governor::{DefaultDirectRateLimiter, RateLimiter};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use thiserror::Error;

/// The client-side rate limit (governor's GCRA): a burst and a replenishment period. Re-exported
/// so connectors need not depend on governor themselves.
pub use governor::Quota;

/// Why a call to a vendor failed. A connector is any client of a vendor's API (a POS
/// connector, the PMS); each message starts with its name, as `HttpClient::new` was given it.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ConnectorError {
    #[error("{connector}: could not reach {url}: {detail}")]
    Unreachable {
        connector: String,
        url: String,
        detail: String,
    },
    #[error("{connector}: {url} did not answer within {seconds} s")]
    Timeout {
        connector: String,
        url: String,
        seconds: u64,
    },
    #[error("{connector}: rate limited by the vendor (HTTP 429){}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        connector: String,
        retry_after: Option<Duration>,
    },
    #[error("{connector}: HTTP {status} from {url}: {message}")]
    Http {
        connector: String,
        url: String,
        status: u16,
        message: String,
    },
    #[error("{connector}: credentials refused (HTTP {status}): {message}")]
    Unauthorized {
        connector: String,
        status: u16,
        message: String,
    },
    #[error("{connector}: malformed response from {url}: {detail}")]
    Malformed {
        connector: String,
        url: String,
        detail: String,
    },
    #[error("{connector}: retry budget for this run is spent; last error: {last}")]
    BudgetSpent { connector: String, last: String },
    /// The vendor asked (HTTP 429 Retry-After) for a longer wait than a run may sleep: the call
    /// gives up and the vendor's wait is reported, so the schedule can come back after it.
    #[error("{connector}: the vendor asked to wait {} s before the next request (HTTP 429 Retry-After), longer than the {} s a run waits", asked.as_secs(), limit.as_secs())]
    VendorWait {
        connector: String,
        asked: Duration,
        limit: Duration,
    },
}

impl ConnectorError {
    /// Transient failures are retried; the rest fail the call at once.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Timeout { .. } | Self::RateLimited { .. } => true,
            Self::Http { status, .. } => *status == 408 || *status >= 500,
            Self::Unauthorized { .. }
            | Self::Malformed { .. }
            | Self::BudgetSpent { .. }
            | Self::VendorWait { .. } => false,
        }
    }

    /// Whether the failure is the vendor's (or the network's), so it counts towards the
    /// circuit breaker; a failure our own request caused must never open it.
    ///
    /// The vendor's: no answer (connection refused or reset, DNS, timeouts), 5xx and 408
    /// (it could not serve a valid request), 429 and a Retry-After we will not sleep through
    /// (it is overloaded or throttling), a body that is not what its API documents, and a
    /// spent retry budget (only transient failures spend it).
    /// Ours: every other 4xx. 400/422 mean our request was invalid (a window starting after
    /// it ends, as a clock set ahead or a bad `--since` makes); 401/403 mean the credentials we
    /// hold are wrong or lack a scope; 404/409 name something we configured. Retrying those
    /// sooner or later changes nothing and the fix is ours, so opening the breaker would only
    /// delay the first good run after the fix.
    pub fn is_vendor_fault(&self) -> bool {
        match self {
            Self::Unreachable { .. }
            | Self::Timeout { .. }
            | Self::RateLimited { .. }
            | Self::Malformed { .. }
            | Self::BudgetSpent { .. }
            | Self::VendorWait { .. } => true,
            Self::Http { status, .. } => *status == 408 || *status >= 500,
            Self::Unauthorized { .. } => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// How long the vendor asked us to wait, when that is longer than a run waits.
    pub fn vendor_wait(&self) -> Option<Duration> {
        match self {
            Self::VendorWait { asked, .. } => Some(*asked),
            _ => None,
        }
    }
}

/// Everything one fetch run shares: its correlation id and retry budget.
#[derive(Debug)]
pub struct RunContext {
    pub correlation_id: String,
    pub budget: RetryBudget,
}

impl RunContext {
    pub fn new(policy: &RetryPolicy) -> Self {
        RunContext {
            correlation_id: venue_domain::new_id().to_string(),
            budget: RetryBudget::new(policy.budget_per_run),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// The vendor's request rate for this connector. With burst B and period T, any window of
    /// length W admits at most B + W/T requests (how a sliding-window limit is honoured).
    pub quota: Quota,
    /// Header the vendor accepts a request id in, if any.
    pub request_id_header: Option<&'static str>,
    pub retry: RetryPolicy,
    /// Longest single wait between two attempts, whatever the policy plans or the vendor's
    /// Retry-After asks. A vendor asking for longer ends the call with `VendorWait` instead of
    /// a sleep that would keep the run (and its snapshot) open for hours or forever.
    pub max_retry_wait: Duration,
}

/// The usual `HttpSettings::max_retry_wait`: five minutes. Longer, a scheduled run would hold
/// the others of its round; the vendor's longer waits are honoured by the schedule instead.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);

/// A connector's HTTP client. Cheap to clone; clones share the rate limiter and metrics.
#[derive(Clone)]
pub struct HttpClient {
    name: String,
    client: reqwest::Client,
    limiter: Arc<DefaultDirectRateLimiter>,
    /// Set when the vendor says its quota is spent (X-…-RateLimit-Remaining: 0) until it resets.
    paused_until: Arc<std::sync::Mutex<Option<Instant>>>,
    settings: HttpSettings,
    metrics: Arc<Metrics>,
}

/// Extracts the vendor's error message from an error body, for messages people can act on.
pub type ErrorMessage = fn(&str) -> Option<String>;

impl HttpClient {
    pub fn new(name: &str, settings: HttpSettings) -> Result<Self, ConnectorError> {
        let setup_failed = |detail: String| ConnectorError::Unreachable {
            connector: name.to_string(),
            url: String::new(),
            detail: format!("cannot build HTTP client: {detail}"),
        };
        let client = crate::tls::client_builder()
            .map_err(|e| setup_failed(e.to_string()))?
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent(concat!("venue-console/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| setup_failed(e.to_string()))?;
        Ok(HttpClient {
            name: name.to_string(),
            client,
            limiter: Arc::new(RateLimiter::direct(settings.quota)),
            paused_until: Arc::new(std::sync::Mutex::new(None)),
            settings,
            metrics: Arc::new(Metrics::default()),
        })
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request `build` makes (rebuilt for every attempt), retrying transient failures,
    /// and parses a 2xx body as JSON. Returns the parsed body and the response headers.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        run: &RunContext,
        error_message: ErrorMessage,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(T, reqwest::header::HeaderMap), ConnectorError> {
        let attempt = || async { self.attempt::<T>(run, error_message, &build).await };
        let limit = self.settings.max_retry_wait;
        let asks_too_long = |e: &ConnectorError| e.retry_after().is_some_and(|a| a > limit);
        attempt
            .retry(self.settings.retry)
            .when(|e: &ConnectorError| e.is_transient() && !asks_too_long(e) && run.budget.take())
            // Never sooner than the vendor asked, never longer than the limit.
            .adjust(|e: &ConnectorError, planned| retry_delay(e.retry_after(), planned, limit))
            .notify(|e: &ConnectorError, wait| {
                self.metrics.retry();
                tracing::warn!(connector = %self.name, correlation_id = %run.correlation_id, error = %e, wait_ms = wait.as_millis() as u64, "retrying");
            })
            .await
            .map_err(|e| {
                if let Some(asked) = e.retry_after().filter(|a| *a > limit) {
                    ConnectorError::VendorWait {
                        connector: self.name.clone(),
                        asked,
                        limit,
                    }
                } else if e.is_transient() && run.budget.left() == 0 {
                    ConnectorError::BudgetSpent {
                        connector: self.name.clone(),
                        last: e.to_string(),
                    }
                } else {
                    e
                }
            })
    }

    /// Sends the request once, without retrying: for non-idempotent calls (posting a charge),
    /// where after an ambiguous failure the caller must first check whether the call landed.
    /// Rate limiting, the vendor's quota pause, metrics and the correlation id apply as usual.
    pub async fn send_json_once<T: DeserializeOwned>(
        &self,
        run: &RunContext,
        error_message: ErrorMessage,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(T, reqwest::header::HeaderMap), ConnectorError> {
        self.attempt::<T>(run, error_message, &build).await
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        run: &RunContext,
        error_message: ErrorMessage,
        build: &impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(T, reqwest::header::HeaderMap), ConnectorError> {
        let pause = *self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(until) = pause.filter(|u| *u > Instant::now()) {
            tracing::info!(connector = %self.name, wait_ms = (until - Instant::now()).as_millis() as u64, "vendor quota spent; waiting for it to reset");
            tokio::time::sleep_until(until.into()).await;
        }
        self.limiter.until_ready().await;
        let mut request = build(&self.client);
        if let Some(header) = self.settings.request_id_header {
            request = request.header(header, &run.correlation_id);
        }
        let started = Instant::now();
        let result = match request.build() {
            Ok(request) => self.exchange::<T>(request, error_message).await,
            Err(e) => Err(self.transport_error(&e, "")),
        };
        self.metrics.request(started.elapsed(), result.is_err());
        if let Err(e) = &result {
            if matches!(e, ConnectorError::RateLimited { .. }) {
                self.metrics.rate_limited();
            }
            tracing::debug!(connector = %self.name, correlation_id = %run.correlation_id, error = %e, "request failed");
        }
        result
    }

    async fn exchange<T: DeserializeOwned>(
        &self,
        request: reqwest::Request,
        error_message: ErrorMessage,
    ) -> Result<(T, reqwest::header::HeaderMap), ConnectorError> {
        let connector = self.name.clone();
        // The URL asked for names every error, whatever reqwest's error carries (a body cut off
        // mid-way carries none).
        let asked = request.url().to_string();
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| self.transport_error(&e, &asked))?;
        let url = response.url().to_string();
        let status = response.status();
        let headers = response.headers().clone();
        // The vendor says its quota is spent: every clone of this client holds its next request
        // until the quota resets, instead of spending one on a certain 429.
        if let Some(wait) = vendor_quota_wait(&headers, SystemTime::now()) {
            tracing::debug!(connector = %self.name, wait_ms = wait.as_millis() as u64, "vendor quota spent");
            *self
                .paused_until
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now() + wait);
        }
        let announced = response.content_length();
        let mut body = Vec::with_capacity(
            usize::try_from(announced.unwrap_or(0).min(1 << 20)).unwrap_or_default(),
        );
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    let of = announced.map(|n| format!(" of {n}")).unwrap_or_default();
                    let cut = ConnectorError::Malformed {
                        connector,
                        url,
                        detail: format!(
                            "the body was cut off after {} bytes{of} ({})",
                            body.len(),
                            error_chain(&e)
                        ),
                    };
                    return Err(match self.transport_error(&e, &asked) {
                        timeout @ ConnectorError::Timeout { .. } => timeout,
                        _ => cut,
                    });
                }
            }
        }
        if status.is_success() {
            return serde_json::from_slice::<T>(&body)
                .map(|parsed| (parsed, headers))
                .map_err(|e| ConnectorError::Malformed {
                    connector,
                    url,
                    detail: format!("{e} (in a body of {} bytes)", body.len()),
                });
        }
        let text = String::from_utf8_lossy(&body);
        let message = error_message(&text).unwrap_or_else(|| text.chars().take(200).collect());
        Err(match status.as_u16() {
            429 => ConnectorError::RateLimited {
                connector,
                retry_after: headers
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now())),
            },
            401 | 403 => ConnectorError::Unauthorized {
                connector,
                status: status.as_u16(),
                message,
            },
            code => ConnectorError::Http {
                connector,
                url,
                status: code,
                message,
            },
        })
    }

    /// A transport failure, naming the URL reqwest reports or else the one asked for.
    fn transport_error(&self, e: &reqwest::Error, asked: &str) -> ConnectorError {
        let url = e.url().map_or_else(|| asked.to_string(), |u| u.to_string());
        if e.is_timeout() {
            ConnectorError::Timeout {
                connector: self.name.clone(),
                url,
                seconds: self.settings.request_timeout.as_secs(),
            }
        } else if e.is_decode() || e.is_body() {
            ConnectorError::Malformed {
                connector: self.name.clone(),
                url,
                detail: e.to_string(),
            }
        } else {
            ConnectorError::Unreachable {
                connector: self.name.clone(),
                url,
                detail: e.to_string(),
            }
        }
    }
}

/// An error with its causes ("error decoding response body: connection closed before message
/// completed"), so the message says what really happened.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

/// Longest we wait for a vendor's quota to reset before trying anyway.
const MAX_QUOTA_WAIT: Duration = Duration::from_secs(60);

/// How long to hold off when the vendor's rate-limit headers say the quota is spent
/// (Toast: X-Toast-RateLimit-Remaining / -Reset; also the common X-RateLimit-* names).
/// The reset is an epoch second or a number of seconds from now.
pub fn vendor_quota_wait(
    headers: &reqwest::header::HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
    let value = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.get(*n))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let remaining = value(&["x-toast-ratelimit-remaining", "x-ratelimit-remaining"])?;
    if remaining > 0 {
        return None;
    }
    let reset = value(&["x-toast-ratelimit-reset", "x-ratelimit-reset"])?;
    let wait = if reset > 1_000_000_000 {
        let now_s = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Duration::from_secs(reset.saturating_sub(now_s).max(1))
    } else {
        Duration::from_secs(reset)
    };
    Some(wait.min(MAX_QUOTA_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).expect("header value"));
        }
        map
    }

    #[test]
    fn a_spent_quota_waits_until_the_reset() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let spent = headers(&[
            ("X-Toast-RateLimit-Remaining", "0"),
            ("X-Toast-RateLimit-Reset", "1800000003"),
        ]);
        assert_eq!(vendor_quota_wait(&spent, now), Some(Duration::from_secs(3)));
        let relative = headers(&[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "7")]);
        assert_eq!(
            vendor_quota_wait(&relative, now),
            Some(Duration::from_secs(7))
        );
        let far = headers(&[
            ("X-Toast-RateLimit-Remaining", "0"),
            ("X-Toast-RateLimit-Reset", "1900000000"),
        ]);
        assert_eq!(vendor_quota_wait(&far, now), Some(MAX_QUOTA_WAIT), "capped");
    }

    #[test]
    fn quota_left_or_unreadable_headers_mean_no_wait() {
        let now = SystemTime::now();
        assert_eq!(
            vendor_quota_wait(&headers(&[("X-Toast-RateLimit-Remaining", "4")]), now),
            None
        );
        assert_eq!(
            vendor_quota_wait(&headers(&[("X-Toast-RateLimit-Remaining", "zero")]), now),
            None
        );
        assert_eq!(vendor_quota_wait(&HeaderMap::new(), now), None);
    }

    fn settings(quota: Quota) -> HttpSettings {
        HttpSettings {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            quota,
            request_id_header: None,
            retry: RetryPolicy {
                base_ms: 1,
                max_delay_ms: 1,
                jitter: false,
                ..RetryPolicy::default()
            },
            max_retry_wait: MAX_RETRY_WAIT,
        }
    }

    /// A port nothing listens on: bind one, note it, and let it go.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    }

    #[tokio::test]
    async fn send_json_once_never_retries_where_send_json_does() {
        let client = HttpClient::new(
            "c",
            settings(Quota::per_second(
                std::num::NonZeroU32::new(1_000).expect("non-zero"),
            )),
        )
        .expect("client");
        let url = format!("http://127.0.0.1:{}/", closed_port());
        let run = RunContext::new(&RetryPolicy::default());
        let once = client
            .send_json_once::<serde_json::Value>(&run, |_| None, |c| c.post(&url))
            .await;
        assert!(
            matches!(once, Err(ConnectorError::Unreachable { .. })),
            "{once:?}"
        );
        let after_once = client.metrics().snapshot();
        assert_eq!((after_once.requests, after_once.retries), (1, 0));
        assert_eq!(run.budget.left(), RetryPolicy::default().budget_per_run);
        let retried = client
            .send_json::<serde_json::Value>(&run, |_| None, |c| c.post(&url))
            .await;
        assert!(retried.is_err());
        assert!(client.metrics().snapshot().retries > 0, "send_json retries");
    }

    #[test]
    fn a_burst_quota_admits_the_burst_then_paces() {
        let quota = Quota::with_period(Duration::from_millis(300))
            .expect("non-zero period")
            .allow_burst(std::num::NonZeroU32::new(100).expect("non-zero"));
        let limiter = RateLimiter::direct(quota);
        let admitted = (0..150).filter(|_| limiter.check().is_ok()).count();
        assert_eq!(
            admitted, 100,
            "the burst, then nothing until the next period"
        );
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let http = |status| ConnectorError::Http {
            connector: "c".into(),
            url: "u".into(),
            status,
            message: String::new(),
        };
        assert!(http(503).is_transient() && http(408).is_transient());
        assert!(!http(404).is_transient() && !http(400).is_transient());
        let unauthorized = ConnectorError::Unauthorized {
            connector: "c".into(),
            status: 401,
            message: String::new(),
        };
        assert!(!unauthorized.is_transient());
        let limited = ConnectorError::RateLimited {
            connector: "c".into(),
            retry_after: Some(Duration::from_secs(2)),
        };
        assert!(limited.is_transient());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
    }
}
