//! The console's end of the hub's live channel (`GET /v1/sync/live`, server-sent events): a
//! stream of "your venue has new changes" signals, never the changes (a pull fetches them).
//! A hub that stays silent past [`SILENCE`] (it sends keep-alives far more often) is taken
//! for a dead connection.

use super::client::HubClient;
use super::error::SyncError;
use std::time::Duration;
use venue_domain::wire::{LiveAnnouncement, LIVE_CHANGES_EVENT, LIVE_READY_EVENT};

/// How long the channel may say nothing, not even a keep-alive, before it is given up.
pub(crate) const SILENCE: Duration = Duration::from_secs(45);

/// What the live channel said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiveSignal {
    /// Subscribed: nothing pushed from now on will be missed.
    Ready,
    /// The venue has new changes (up to `cursor`, when the hub says).
    Changes { cursor: Option<String> },
}

/// An open live channel.
pub(crate) struct LiveStream {
    response: reqwest::Response,
    buffer: String,
    silence: Duration,
}

impl HubClient {
    /// Opens the live channel. A refused token is [`SyncError::TokenRefused`], as for a pull.
    pub(crate) async fn live(&self) -> Result<LiveStream, SyncError> {
        let url = self.url("sync/live")?;
        let response = self
            .request(reqwest::Method::GET, &url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            // The client's whole-request timeout would cut the stream: silence is watched
            // chunk by chunk instead.
            .timeout(Duration::from_secs(365 * 24 * 3600))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            return Err(SyncError::from_response("live", status.as_u16(), &body));
        }
        Ok(LiveStream {
            response,
            buffer: String::new(),
            silence: SILENCE,
        })
    }
}

impl LiveStream {
    /// The next signal; an error once the channel is closed, broken or silent too long.
    pub(crate) async fn next(&mut self) -> Result<LiveSignal, SyncError> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(signal) = parse_block(&block)? {
                    return Ok(signal);
                }
            }
            let chunk = tokio::time::timeout(self.silence, self.response.chunk())
                .await
                .map_err(|_| lost(format!("silent for {} s", self.silence.as_secs())))?
                .map_err(|e| lost(e.to_string()))?
                .ok_or_else(|| lost("the hub closed it".to_string()))?;
            let text = std::str::from_utf8(&chunk).map_err(|e| SyncError::BadResponse {
                what: "live".into(),
                detail: e.to_string(),
            })?;
            // Line ends may be CRLF; events are separated by a blank line.
            self.buffer.push_str(&text.replace("\r\n", "\n"));
        }
    }
}

fn lost(detail: String) -> SyncError {
    SyncError::Unreachable {
        url: "the live channel".into(),
        detail,
    }
}

/// One event block: a signal, or `None` for a keep-alive comment or an event this build does
/// not know (a newer hub may add some).
fn parse_block(block: &str) -> Result<Option<LiveSignal>, SyncError> {
    let (mut name, mut data) = (None, String::new());
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = Some(value.trim());
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim());
        }
    }
    let announcement = || -> Result<LiveAnnouncement, SyncError> {
        if data.is_empty() {
            return Ok(LiveAnnouncement::default());
        }
        serde_json::from_str(&data).map_err(|e| SyncError::BadResponse {
            what: "live".into(),
            detail: e.to_string(),
        })
    };
    Ok(match name {
        Some(LIVE_READY_EVENT) => Some(LiveSignal::Ready),
        Some(LIVE_CHANGES_EVENT) => Some(LiveSignal::Changes {
            cursor: announcement()?.cursor,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_keep_alives_and_unknown_events() {
        assert_eq!(
            parse_block("event: ready\ndata: {}\n\n"),
            Ok(Some(LiveSignal::Ready))
        );
        assert_eq!(
            parse_block("event: changes\ndata: {\"cursor\":\"7\"}\n\n"),
            Ok(Some(LiveSignal::Changes {
                cursor: Some("7".into())
            }))
        );
        assert_eq!(
            parse_block("event: changes\ndata: {}\n\n"),
            Ok(Some(LiveSignal::Changes { cursor: None }))
        );
        assert_eq!(parse_block(":\n\n"), Ok(None));
        assert_eq!(parse_block("event: later\ndata: {}\n\n"), Ok(None));
        assert!(parse_block("event: changes\ndata: nope\n\n").is_err());
    }
}
