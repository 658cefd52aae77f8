//! Fetching from Toast: machine-client login with a cached token, and ordersBulk in windows of at
//! most a month, following the Link header.

use super::{
    format_toast_time, next_page_from_link_header, order_to_transaction, ErrorMessage,
    LoginRequest, LoginResponse, Order, RestaurantInfo, ToastContext,
};
use crate::source::{Page, PageSink};
use chrono::{DateTime, Duration, Utc};
use std::time::Instant;
use venue_http::fetch::{windows, FetchError, MAX_PAGES};
use venue_http::http::{ConnectorError, HttpClient, RunContext};
use venue_http::secrets::Secret;

pub const PAGE_SIZE: usize = 100;
/// Toast asks clients not to request new tokens more than twice an hour.
const LOGINS_PER_HOUR: usize = 2;
const HOUR: std::time::Duration = std::time::Duration::from_secs(3_600);

/// A Toast login that outlives one fetch: the cached token and when we logged in, so a process
/// that fetches every few minutes still logs in only when the token expires.
#[derive(Debug, Default)]
pub struct ToastSession {
    token: Option<(Secret, Instant)>,
    logins: std::collections::VecDeque<Instant>,
}

fn error_message(body: &str) -> Option<String> {
    serde_json::from_str::<ErrorMessage>(body)
        .ok()
        .map(|e| e.message())
}

pub struct ToastClient {
    pub http: HttpClient,
    pub base_url: String,
    pub client_id: Secret,
    pub client_secret: Secret,
    pub context: ToastContext,
    /// Orders per page (`PAGE_SIZE` unless a test needs another).
    pub page_size: usize,
    session: ToastSession,
}

impl ToastClient {
    pub fn new(
        http: HttpClient,
        base_url: String,
        client_id: Secret,
        client_secret: Secret,
        context: ToastContext,
        session: ToastSession,
    ) -> Self {
        ToastClient {
            http,
            base_url,
            client_id,
            client_secret,
            context,
            page_size: PAGE_SIZE,
            session,
        }
    }

    /// Hands the login back for the next fetch.
    pub fn into_session(self) -> ToastSession {
        self.session
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    fn restaurant(&self) -> &str {
        self.context.restaurant_guid.as_deref().unwrap_or_default()
    }

    /// A valid token: the cached one until shortly before it expires, else a new login.
    async fn token(&mut self, run: &RunContext) -> Result<Secret, ConnectorError> {
        if let Some((token, expires)) = &self.session.token {
            if Instant::now() + std::time::Duration::from_secs(60) < *expires {
                return Ok(token.clone());
            }
        }
        let logins = &mut self.session.logins;
        while logins.front().is_some_and(|at| at.elapsed() >= HOUR) {
            logins.pop_front();
        }
        if logins.len() >= LOGINS_PER_HOUR {
            return Err(ConnectorError::Unauthorized {
                connector: self.context.source.clone(),
                status: 401,
                message: format!("token refused, and Toast allows only {LOGINS_PER_HOUR} logins an hour; trying again later"),
            });
        }
        let url = self.url("/authentication/v1/authentication/login");
        let body =
            LoginRequest::machine_client(self.client_id.expose(), self.client_secret.expose());
        let (login, _) = self
            .http
            .send_json::<LoginResponse>(run, error_message, |c| c.post(&url).json(&body))
            .await?;
        let malformed = |detail: String| ConnectorError::Malformed {
            connector: self.context.source.clone(),
            url: url.clone(),
            detail,
        };
        let token = Secret::new(
            login
                .access_token()
                .map_err(|e| malformed(e.to_string()))?
                .to_string(),
        );
        let lifetime = login
            .expires_in()
            .map_err(|e| malformed(e.to_string()))?
            .to_std()
            .unwrap_or_default();
        self.session.logins.push_back(Instant::now());
        self.session.token = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    /// GETs `url` for the restaurant with a valid token: an expired one is replaced once.
    async fn get<T: serde::de::DeserializeOwned>(
        &mut self,
        run: &RunContext,
        url: &str,
    ) -> Result<(T, reqwest::header::HeaderMap), ConnectorError> {
        for attempt in 0..2 {
            let token = self.token(run).await?;
            let restaurant = self.restaurant().to_string();
            let result = self
                .http
                .send_json::<T>(run, error_message, |c| {
                    c.get(url)
                        .bearer_auth(token.expose())
                        .header("Toast-Restaurant-External-ID", &restaurant)
                })
                .await;
            match result {
                Ok(answer) => return Ok(answer),
                // An expired token: log in again once (within Toast's re-login limit). A 403
                // is a refusal (a scope the account lacks) that a new token would not change.
                Err(ConnectorError::Unauthorized { status: 401, .. }) if attempt == 0 => {
                    if let Some((_, expires)) = &mut self.session.token {
                        *expires = Instant::now();
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(ConnectorError::Unauthorized {
            connector: self.context.source.clone(),
            status: 401,
            message: "token refused after a fresh login".into(),
        })
    }

    async fn page(
        &mut self,
        run: &RunContext,
        url: &str,
    ) -> Result<(Vec<Order>, Option<String>), ConnectorError> {
        let (orders, headers) = self.get::<Vec<Order>>(run, url).await?;
        let next = headers
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(next_page_from_link_header);
        Ok((orders, next))
    }

    /// The restaurant's name (`GET /restaurants/v1/restaurants/{guid}`, scope
    /// `restaurants:read`), or None when Toast gives it none.
    pub async fn restaurant_name(
        &mut self,
        run: &RunContext,
    ) -> Result<Option<String>, ConnectorError> {
        let url = self.url(&format!(
            "/restaurants/v1/restaurants/{}",
            encode(self.restaurant())
        ));
        let (info, _) = self.get::<RestaurantInfo>(run, &url).await?;
        Ok(info.display_name())
    }

    /// Orders modified in [start, end).
    pub async fn fetch_orders(
        &mut self,
        run: &RunContext,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        sink: &mut PageSink<'_>,
    ) -> Result<(), FetchError> {
        for (from, to) in windows(start, end, Duration::days(30)) {
            let mut url = Some(format!(
                "{}?startDate={}&endDate={}&pageSize={}&page=1",
                self.url("/orders/v2/ordersBulk"),
                encode(&format_toast_time(from)),
                encode(&format_toast_time(to)),
                self.page_size,
            ));
            let mut seen_urls = std::collections::HashSet::new();
            for _ in 0..MAX_PAGES {
                let Some(current) = url.take() else { break };
                if !seen_urls.insert(current.clone()) {
                    return Err(ConnectorError::Malformed {
                        connector: self.context.source.clone(),
                        url: current,
                        detail: "the Link header pointed back to a page already read".into(),
                    }
                    .into());
                }
                let (orders, next) = self.page(run, &current).await?;
                let short = orders.len() < self.page_size;
                let mut out = Page {
                    seen: orders.len() as u64,
                    ..Page::default()
                };
                for order in &orders {
                    match order_to_transaction(order, &self.context) {
                        Ok(t) => out.transactions.push(t),
                        Err(e) => out.rejected.push(e.to_string()),
                    }
                }
                sink(out).map_err(FetchError::Sink)?;
                if !short {
                    url = next;
                }
            }
        }
        Ok(())
    }
}

/// Percent-encodes a query value (Toast times contain '+' and ':').
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::encode("2019-02-24T13:48:44.206+0000"),
            "2019-02-24T13%3A48%3A44.206%2B0000"
        );
    }
}
