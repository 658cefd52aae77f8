//! A minimal W3C WebDriver client (the calls this benchmark makes) over reqwest.

use anyhow::{anyhow, bail, Context as _};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// W3C WebDriver's key for element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver error response: `error` is the W3C error code ("no such element", …).
#[derive(Debug)]
pub struct WebDriverError {
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

impl std::error::Error for WebDriverError {}

pub struct Driver {
    base: String,
    http: reqwest::Client,
    session: Option<String>,
}

impl Driver {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Driver {
            base: base.trim_end_matches('/').to_string(),
            http: venue_http::tls::client_builder()?
                .timeout(Duration::from_secs(90))
                .build()?,
            session: None,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| {
            format!(
                "{method} {path}: cannot reach the WebDriver at {}",
                self.base
            )
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let payload: Value = serde_json::from_str(&text).with_context(|| {
            format!(
                "{method} {path}: HTTP {status}, not JSON: {}",
                text.chars().take(300).collect::<String>()
            )
        })?;
        let value = payload.get("value").cloned().unwrap_or(Value::Null);
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            return Err(anyhow!(WebDriverError {
                error: error.to_string(),
                message: value
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            })
            .context(format!("{method} {path}")));
        }
        if !status.is_success() {
            bail!("{method} {path}: HTTP {status}: {text}");
        }
        Ok(value)
    }

    fn session_path(&self, path: &str) -> anyhow::Result<String> {
        let id = self.session.as_deref().context("no WebDriver session")?;
        Ok(format!("/session/{id}{path}"))
    }

    /// Waits up to 15 s for GET /status to answer ready, failing early if `pid` exits.
    pub async fn wait_ready(
        &self,
        sup: &super::supervise::Supervisor,
        pid: u32,
        name: &str,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match self.call(reqwest::Method::GET, "/status", None).await {
                Ok(status) if status.get("ready") != Some(&Value::Bool(false)) => return Ok(()),
                Ok(_) | Err(_) => {}
            }
            if !matches!(super::procfs::read_stat(pid), Ok(Some(s)) if s.state != 'Z') {
                bail!("{name} exited; see {}", sup.log(name).display());
            }
            if Instant::now() > deadline {
                bail!(
                    "{name} was not ready at {} within 15 s; see {}",
                    self.base,
                    sup.log(name).display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// POST /session with `capabilities.alwaysMatch` = `always_match`.
    pub async fn new_session(&mut self, always_match: Value) -> anyhow::Result<()> {
        let value = self
            .call(
                reqwest::Method::POST,
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": always_match}})),
            )
            .await?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .context("POST /session: no sessionId in the answer")?;
        self.session = Some(id.to_string());
        Ok(())
    }

    pub async fn delete_session(&mut self) -> anyhow::Result<()> {
        if self.session.is_none() {
            return Ok(());
        }
        let path = self.session_path("")?;
        self.session = None;
        self.call(reqwest::Method::DELETE, &path, None)
            .await
            .map(drop)
    }

    /// The first element matching `css`, or None when there is none (yet).
    pub async fn find(&self, css: &str) -> anyhow::Result<Option<String>> {
        let path = self.session_path("/element")?;
        match self
            .call(
                reqwest::Method::POST,
                &path,
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
        {
            Ok(element) => Ok(element
                .get(ELEMENT_KEY)
                .and_then(Value::as_str)
                .map(str::to_string)),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Trimmed text of the first element matching `css`, or None when there is none (yet).
    pub async fn text(&self, css: &str) -> anyhow::Result<Option<String>> {
        let Some(id) = self.find(css).await? else {
            return Ok(None);
        };
        let path = self.session_path(&format!("/element/{id}/text"))?;
        match self.call(reqwest::Method::GET, &path, None).await {
            Ok(text) => Ok(Some(text.as_str().unwrap_or("").trim().to_string())),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn send_keys(&self, element: &str, text: &str) -> anyhow::Result<()> {
        let path = self.session_path(&format!("/element/{element}/value"))?;
        self.call(reqwest::Method::POST, &path, Some(json!({"text": text})))
            .await
            .map(drop)
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn execute(&self, script: &str) -> anyhow::Result<Value> {
        let path = self.session_path("/execute/sync")?;
        self.call(
            reqwest::Method::POST,
            &path,
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    pub async fn click(&self, element: &str) -> anyhow::Result<()> {
        let path = self.session_path(&format!("/element/{element}/click"))?;
        self.call(reqwest::Method::POST, &path, Some(json!({})))
            .await
            .map(drop)
    }
}

/// "Not there (yet)" errors, as opposed to a broken session.
fn is_absent(e: &anyhow::Error) -> bool {
    e.downcast_ref::<WebDriverError>().is_some_and(|w| {
        matches!(
            w.error.as_str(),
            "no such element" | "stale element reference" | "no such frame"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_elements_are_recognised_through_context() {
        let e = anyhow!(WebDriverError {
            error: "no such element".into(),
            message: "x".into()
        })
        .context("POST /session/1/element");
        assert!(is_absent(&e));
        let other = anyhow!(WebDriverError {
            error: "invalid session id".into(),
            message: String::new()
        });
        assert!(!is_absent(&other));
    }
}
