//! `GET /v1/sync/live`: server-sent events telling a console that its venue has new changes.
//!
//! Server-sent events rather than a websocket: the channel only ever flows from hub to console,
//! it is a plain GET behind the same token check, layers and TLS as every other route (and
//! through any HTTP proxy), keep-alives are part of the format, and the console reads it with
//! the HTTP client it already has. What is announced is only that changes exist (and up to
//! which cursor); the console pulls them, so authorisation stays in the pull.

use crate::server::auth::{device, still_allowed, token_hash};
use crate::server::error::ApiError;
use crate::server::state::SharedState;
use crate::store::{Announcement, Announcements, HubStore};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use prometheus_client::metrics::gauge::Gauge;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;
use venue_domain::wire::{ErrorBody, LiveAnnouncement, LIVE_CHANGES_EVENT, LIVE_READY_EVENT};

/// Announces new changes of the token's venue as they arrive (the console then pulls them).
#[utoipa::path(
    get,
    path = "/v1/sync/live",
    tag = "sync",
    security(("device_token" = [])),
    responses(
        (status = 200, description = "A stream of server-sent events: `ready` once subscribed, then `changes` with `{\"cursor\"}` whenever the venue's log grows; keep-alive comments while idle", content_type = "text/event-stream", body = String),
        (status = 401, description = "No device token, or one that is unknown or revoked", body = ErrorBody),
        (status = 429, description = "Too many requests with this device token", body = ErrorBody),
        (status = 503, description = "The hub's database is not available", body = ErrorBody),
    ),
)]
pub async fn live<S: HubStore>(
    State(state): State<SharedState<S>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let device = device(&state, &headers).await?;
    let token_hash = token_hash(&headers)?;
    // Subscribed before answering: nothing pushed after the console sees `ready` is missed.
    let announcements = state.store.announcements().await?;
    let mut recheck = tokio::time::interval(state.settings.live_recheck);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck.reset();
    let subscriber = Subscriber {
        venue: device.venue_id,
        announcements,
        _connected: Connected::new(&state.metrics.live_consoles),
        ready_sent: false,
        store: state.store.clone(),
        token_hash,
        recheck,
    };
    let events = futures_util::stream::unfold(subscriber, |mut subscriber| async move {
        let event = subscriber.next_event().await?;
        Some((Ok(event), subscriber))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(state.settings.live_keepalive)))
}

/// One console's subscription, counted in `live_consoles` for as long as it lasts.
struct Subscriber<S> {
    venue: Uuid,
    announcements: Announcements,
    _connected: Connected,
    ready_sent: bool,
    store: S,
    token_hash: String,
    recheck: tokio::time::Interval,
}

impl<S: HubStore> Subscriber<S> {
    /// The next event for this console; `None` once the hub stops announcing or the token is
    /// revoked (the console's reconnect is then refused, and it says so).
    async fn next_event(&mut self) -> Option<Event> {
        if !self.ready_sent {
            self.ready_sent = true;
            return Some(event(LIVE_READY_EVENT, &LiveAnnouncement::default()));
        }
        loop {
            let received = tokio::select! {
                received = self.announcements.recv() => received,
                _ = self.recheck.tick() => {
                    if still_allowed(&self.store, &self.token_hash).await == Some(false) {
                        tracing::info!(venue = %self.venue, "live stream closed: its token was revoked");
                        return None;
                    }
                    continue;
                }
            };
            let cursor = match received {
                Ok(announcement) if !announcement.concerns(self.venue) => continue,
                Ok(Announcement::Changed { seq, .. }) => Some(seq.to_string()),
                // Fell behind or told that announcements were lost: pull to be sure.
                Ok(Announcement::MaybeMissed) | Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => return None,
            };
            return Some(event(LIVE_CHANGES_EVENT, &LiveAnnouncement { cursor }));
        }
    }
}

fn event(name: &str, data: &LiveAnnouncement) -> Event {
    let data = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_string());
    Event::default().event(name).data(data)
}

/// Holds one count of the `live_consoles` gauge; dropped when the connection ends.
struct Connected(Gauge);

impl Connected {
    fn new(gauge: &Gauge) -> Connected {
        gauge.inc();
        Connected(gauge.clone())
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        self.0.dec();
    }
}
