//! The console's HTTP client for the hub's protocol v1 (`venue_domain::wire`): JSON bodies,
//! a bearer device token, retries with backoff for what may pass (the hub unreachable, busy or
//! failing), and the hub's clock read from every answer so the console can show its skew.

use super::error::SyncError;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use venue_domain::wire::{
    EnrollRequest, EnrollResponse, PullResponse, PullScope, PushRequest, PushResponse, API_PREFIX,
};
use venue_http::retry::RetryPolicy;
use venue_http::secrets::Secret;

/// An answer of the hub, with this console's clock minus the hub's when it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    pub body: T,
    pub clock_skew_ms: i64,
}

/// Every answer of the hub carries its clock.
pub trait HubTime {
    fn hub_time_ms(&self) -> i64;
}

impl HubTime for EnrollResponse {
    fn hub_time_ms(&self) -> i64 {
        self.hub_time_ms
    }
}

impl HubTime for PushResponse {
    fn hub_time_ms(&self) -> i64 {
        self.hub_time_ms
    }
}

impl HubTime for PullResponse {
    fn hub_time_ms(&self) -> i64 {
        self.hub_time_ms
    }
}

/// A client of one hub, for one console.
#[derive(Clone)]
pub struct HubClient {
    base: Url,
    http: reqwest::Client,
    token: Option<Secret>,
    retry: RetryPolicy,
}

/// Long enough for a page of 5,000 changes on a slow line; a hub that stops answering is
/// given up on, and the changes wait for the next pass.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The hub's address as given: http or https, with nothing after the path.
pub fn parse_hub_url(url: &str) -> Result<Url, SyncError> {
    let bad = |why: &str| SyncError::BadInput(format!("invalid hub URL {url:?}: {why}"));
    let mut parsed = Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("use https://… (or http:// to a hub on this machine)"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err(bad(
            "give the hub's address only, e.g. https://hub.example.com",
        ));
    }
    // Joined with relative paths below: the base must end in '/' to keep its own path.
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl HubClient {
    /// A client of the hub at `base_url`, sending `token` (none before enrolment).
    pub fn new(base_url: &str, token: Option<Secret>) -> Result<Self, SyncError> {
        let base = parse_hub_url(base_url)?;
        let http = venue_http::tls::client_builder()
            .map_err(|e| SyncError::BadInput(format!("cannot set up TLS: {e}")))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("venue-console/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::BadInput(format!("cannot build the HTTP client: {e}")))?;
        Ok(HubClient {
            base,
            http,
            token,
            retry: RetryPolicy {
                base_ms: 250,
                max_delay_ms: 5_000,
                max_attempts: 4,
                ..RetryPolicy::default()
            },
        })
    }

    /// Sets how often and how patiently a request that may pass is tried again.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The hub's address, ending in '/'.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    pub(super) fn url(&self, path: &str) -> Result<Url, SyncError> {
        let relative = format!("{}/{path}", API_PREFIX.trim_start_matches('/'));
        self.base
            .join(&relative)
            .map_err(|e| SyncError::BadInput(format!("invalid hub URL {}: {e}", self.base)))
    }

    /// Exchanges a one-time enrolment code for a device token. Never retried: the code is
    /// spent by the first request that reaches the hub.
    pub async fn enroll(
        &self,
        request: &EnrollRequest,
    ) -> Result<Answer<EnrollResponse>, SyncError> {
        let url = self.url("enroll")?;
        self.attempt("enrolment", Method::POST, &url, Some(request))
            .await
    }

    /// Sends one page of this console's outbox. Safe to repeat: the hub keeps each change once.
    pub async fn push(&self, request: &PushRequest) -> Result<Answer<PushResponse>, SyncError> {
        let url = self.url("sync/push")?;
        self.with_retries("push", Method::POST, &url, Some(request))
            .await
    }

    /// The page of changes after `after` (the first page without it).
    pub async fn pull(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Answer<PullResponse>, SyncError> {
        self.pull_scoped(after, limit, PullScope::Console).await
    }

    /// Like [`HubClient::pull`], of the given scope: `Restore` brings everything the venue's
    /// consoles sent up, the kinds that only go up included.
    pub async fn pull_scoped(
        &self,
        after: Option<&str>,
        limit: u32,
        scope: PullScope,
    ) -> Result<Answer<PullResponse>, SyncError> {
        let mut url = self.url("sync/pull")?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(after) = after {
                query.append_pair("after", after);
            }
            query.append_pair("limit", &limit.to_string());
            if scope != PullScope::Console {
                query.append_pair("scope", scope.as_str());
            }
        }
        self.with_retries::<(), _>("pull", Method::GET, &url, None)
            .await
    }

    async fn with_retries<B: Serialize, T: DeserializeOwned + HubTime>(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        body: Option<&B>,
    ) -> Result<Answer<T>, SyncError> {
        use backon::Retryable as _;
        let attempt = || self.attempt(what, method.clone(), url, body);
        attempt
            .retry(self.retry)
            .when(SyncError::is_transient)
            .notify(|e: &SyncError, wait: Duration| {
                tracing::warn!(request = what, error = %e, wait_ms = wait.as_millis() as u64, "retrying the hub");
            })
            .await
    }

    /// A request to `url` with this console's token, if any.
    pub(super) fn request(&self, method: Method, url: &Url) -> reqwest::RequestBuilder {
        let request = self.http.request(method, url.clone());
        match &self.token {
            Some(token) => request.bearer_auth(token.expose()),
            None => request,
        }
    }

    /// The hub could not be reached, or the exchange broke off.
    pub(super) fn unreachable(&self, e: &reqwest::Error) -> SyncError {
        SyncError::Unreachable {
            url: self.base.as_str().trim_end_matches('/').to_string(),
            detail: error_chain(e),
        }
    }

    async fn attempt<B: Serialize, T: DeserializeOwned + HubTime>(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        body: Option<&B>,
    ) -> Result<Answer<T>, SyncError> {
        let mut request = self
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let sent_at = now_ms();
        let unreachable = |e: reqwest::Error| self.unreachable(&e);
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        let received_at = now_ms();
        if !status.is_success() {
            return Err(SyncError::from_response(what, status.as_u16(), &bytes));
        }
        if status == StatusCode::NO_CONTENT {
            return Err(SyncError::BadResponse {
                what: what.to_string(),
                detail: "an empty answer".into(),
            });
        }
        let body: T = serde_json::from_slice(&bytes).map_err(|e| SyncError::BadResponse {
            what: what.to_string(),
            detail: e.to_string(),
        })?;
        // The hub read its clock between sending and receiving: the midpoint is the best guess.
        let local = sent_at + (received_at - sent_at) / 2;
        let clock_skew_ms = local - body.hub_time_ms();
        Ok(Answer {
            body,
            clock_skew_ms,
        })
    }
}

/// A reqwest error with its causes ("error sending request: connection refused"), on one line.
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls_keep_their_path_and_refuse_what_is_not_an_address() {
        let client = HubClient::new("https://hub.example.com/group-a", None).expect("client");
        assert_eq!(
            client.url("sync/push").expect("url").as_str(),
            "https://hub.example.com/group-a/v1/sync/push"
        );
        let client = HubClient::new("http://127.0.0.1:7000/", None).expect("client");
        assert_eq!(
            client.url("enroll").expect("url").as_str(),
            "http://127.0.0.1:7000/v1/enroll"
        );
        for bad in [
            "ftp://hub.example.com",
            "hub.example.com",
            "https://hub.example.com/?x=1",
            "https://user@hub.example.com",
        ] {
            let e = parse_hub_url(bad).expect_err(bad);
            assert!(matches!(e, SyncError::BadInput(_)), "{bad}: {e}");
        }
    }

    /// A hub nobody listens for is "unreachable", tried again a few times, then given up on.
    #[test]
    fn a_closed_port_is_unreachable_after_the_retries() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let client = HubClient::new(&format!("http://127.0.0.1:{port}"), None)
            .expect("client")
            .with_retry(RetryPolicy {
                base_ms: 1,
                max_delay_ms: 2,
                max_attempts: 3,
                jitter: false,
                ..RetryPolicy::default()
            });
        let runtime = crate::supervisor::runtime::shared().expect("runtime");
        let e = runtime
            .block_on(client.pull(None, 10))
            .expect_err("nothing listens");
        match &e {
            SyncError::Unreachable { url, detail } => {
                assert_eq!(url, &format!("http://127.0.0.1:{port}"));
                assert!(!detail.is_empty());
            }
            other => panic!("expected unreachable, got {other:?}"),
        }
    }
}
