//! What can go wrong talking to the hub, each failure with a message that says what to do.

use crate::{ApiError, ErrorCode};
use venue_domain::wire::ErrorBody;
use venue_store::StoreError;

/// A failed exchange with the hub (or with the store around it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("the hub at {url} cannot be reached ({detail}); changes wait here and go up with the next sync")]
    Unreachable { url: String, detail: String },
    #[error("this console's device token was refused: revoked? run `venue hub join` again (the hub answered {status}: {message})")]
    TokenRefused { status: u16, message: String },
    #[error("the hub refused {what} ({status} {code}): {message}")]
    Hub {
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("the hub's answer to {what} is not what protocol v1 says: {detail}")]
    BadResponse { what: String, detail: String },
    #[error("this console has not joined a hub: run `venue hub join URL --code CODE`")]
    NotJoined,
    #[error("this console already syncs with the hub at {url}: run `venue hub leave` first to join another")]
    AlreadyJoined { url: String },
    #[error("{0}")]
    BadInput(String),
    #[error("no device token for the hub: {0}")]
    NoToken(String),
    #[error("{0}")]
    Local(ApiError),
}

impl SyncError {
    /// Whether trying again shortly may succeed: the hub unreachable, busy or failing.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } => true,
            SyncError::Hub { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            SyncError::Local(e) => e.is_transient(),
            _ => false,
        }
    }

    /// The error a response with a failure `status` and `body` means, for the request `what`.
    pub fn from_response(what: &str, status: u16, body: &[u8]) -> SyncError {
        let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
        let message = match &parsed {
            Some(b) => b.message.clone(),
            None => {
                // Not the hub's error shape (a proxy's page, say): a short, single-line excerpt.
                let text = String::from_utf8_lossy(body);
                let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let excerpt: String = line.chars().take(200).collect();
                if excerpt.is_empty() {
                    "no details given".to_string()
                } else {
                    excerpt
                }
            }
        };
        if status == 401 || status == 403 {
            return SyncError::TokenRefused { status, message };
        }
        SyncError::Hub {
            what: what.to_string(),
            status,
            code: parsed.map_or_else(|| format!("http_{status}"), |b| b.code),
            message,
        }
    }
}

impl From<StoreError> for SyncError {
    fn from(e: StoreError) -> Self {
        SyncError::Local(e.into())
    }
}

impl From<ApiError> for SyncError {
    fn from(e: ApiError) -> Self {
        SyncError::Local(e)
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        let code = match &e {
            SyncError::Unreachable { .. } => ErrorCode::HubUnreachable,
            SyncError::TokenRefused { .. } | SyncError::NoToken(_) => ErrorCode::HubRefused,
            SyncError::Hub { .. } | SyncError::BadResponse { .. } => ErrorCode::HubFailed,
            SyncError::NotJoined | SyncError::AlreadyJoined { .. } | SyncError::BadInput(_) => {
                ErrorCode::BadInput
            }
            SyncError::Local(api) => return api.clone(),
        };
        ApiError::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_says_to_join_again() {
        for status in [401, 403] {
            let body = br#"{"code":"token_revoked","message":"this device was revoked"}"#;
            let e = SyncError::from_response("push", status, body);
            assert_eq!(
                e,
                SyncError::TokenRefused {
                    status,
                    message: "this device was revoked".into()
                }
            );
            assert!(!e.is_transient());
            let text = e.to_string();
            assert!(text.contains("device token was refused"), "{text}");
            assert!(text.contains("venue hub join"), "{text}");
            assert_eq!(ApiError::from(e).code, ErrorCode::HubRefused);
        }
    }

    #[test]
    fn the_hubs_error_body_is_kept_and_5xx_is_transient() {
        let body = br#"{"code":"page_too_large","message":"at most 5000 changes a page"}"#;
        let e = SyncError::from_response("push", 413, body);
        assert_eq!(
            e,
            SyncError::Hub {
                what: "push".into(),
                status: 413,
                code: "page_too_large".into(),
                message: "at most 5000 changes a page".into()
            }
        );
        assert!(!e.is_transient());
        assert_eq!(ApiError::from(e).code, ErrorCode::HubFailed);
        for status in [429, 500, 502, 503, 504] {
            assert!(
                SyncError::from_response("pull", status, b"").is_transient(),
                "{status}"
            );
        }
    }

    #[test]
    fn a_body_that_is_not_the_hubs_shape_is_quoted_on_one_line() {
        let e = SyncError::from_response("pull", 502, b"<html>\n<h1>Bad gateway</h1>\n</html>");
        match &e {
            SyncError::Hub { code, message, .. } => {
                assert_eq!(code, "http_502");
                assert_eq!(message, "<html> <h1>Bad gateway</h1> </html>");
            }
            other => panic!("expected a hub error, got {other:?}"),
        }
        let long = "x".repeat(5_000);
        match SyncError::from_response("pull", 500, long.as_bytes()) {
            SyncError::Hub { message, .. } => assert_eq!(message.len(), 200),
            other => panic!("expected a hub error, got {other:?}"),
        }
    }

    #[test]
    fn unreachable_is_transient_and_coded_for_the_ui() {
        let e = SyncError::Unreachable {
            url: "http://127.0.0.1:9".into(),
            detail: "connection refused".into(),
        };
        assert!(e.is_transient());
        let api = ApiError::from(e);
        assert_eq!(api.code, ErrorCode::HubUnreachable);
        assert!(api.message.contains("changes wait here"), "{}", api.message);
        assert_eq!(
            ApiError::from(SyncError::NotJoined).code,
            ErrorCode::BadInput
        );
    }
}
