//! The Connector API websocket (`/ws/connector`): cookie authentication, event broadcast, and
//! the socket faults (drops, stalls, raw frames, refusal).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::header::COOKIE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::faults::MewsEndpoint;
use super::server::{early_fault, error, into_response, MewsShared};
use super::MewsSimConfig;
use crate::server::lock;

/// Messages queued per socket before a slow reader is cut off.
const BACKLOG: usize = 1024;

/// The broadcast side, shared by every socket.
pub(crate) struct WsHub {
    tx: broadcast::Sender<Utf8Bytes>,
    /// Bumped to drop every open socket.
    drops: watch::Sender<u64>,
    /// Sockets send nothing and read nothing (so pings go unanswered) until then.
    stall: watch::Sender<Option<Instant>>,
    connected: Arc<AtomicUsize>,
    enabled: AtomicBool,
}

/// Counts a socket as connected for as long as it lives.
struct Connected(Arc<AtomicUsize>);

impl Drop for Connected {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What one socket listens to.
struct Session {
    rx: broadcast::Receiver<Utf8Bytes>,
    drops: watch::Receiver<u64>,
    stall: watch::Receiver<Option<Instant>>,
    stop: watch::Receiver<bool>,
    _connected: Connected,
}

impl WsHub {
    pub(crate) fn new() -> WsHub {
        WsHub {
            tx: broadcast::channel(BACKLOG).0,
            drops: watch::channel(0).0,
            stall: watch::channel(None).0,
            connected: Arc::new(AtomicUsize::new(0)),
            enabled: AtomicBool::new(true),
        }
    }

    /// Sends a text frame to every connected socket; never blocks (a socket too far behind is
    /// dropped instead).
    pub(crate) fn broadcast(&self, text: String) {
        let _ = self.tx.send(Utf8Bytes::from(text));
    }

    pub(crate) fn drop_all(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    pub(crate) fn stall_for(&self, d: Duration) {
        self.stall.send_replace(Some(Instant::now() + d));
    }

    pub(crate) fn connected(&self) -> usize {
        self.connected.load(Ordering::SeqCst)
    }

    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::SeqCst);
    }

    /// Subscribes before the handshake completes, so nothing pushed after it is missed.
    fn session(&self, stop: watch::Receiver<bool>) -> Session {
        self.connected.fetch_add(1, Ordering::SeqCst);
        Session {
            rx: self.tx.subscribe(),
            drops: self.drops.subscribe(),
            stall: self.stall.subscribe(),
            stop,
            _connected: Connected(self.connected.clone()),
        }
    }
}

/// `Cookie: ClientToken=...;AccessToken=...` (any number of Cookie headers, spaces after `;`
/// tolerated, none around `=` as the docs require).
fn cookie_auth(headers: &HeaderMap, cfg: &MewsSimConfig) -> Result<(), &'static str> {
    let mut client = None;
    let mut access = None;
    for value in headers.get_all(COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                match k {
                    "ClientToken" => client = Some(v.to_string()),
                    "AccessToken" => access = Some(v.to_string()),
                    _ => {}
                }
            }
        }
    }
    match (client, access) {
        (None, _) | (_, None) => Err("The ClientToken and AccessToken cookies are required."),
        (Some(c), Some(a)) if c == cfg.client_token && a == cfg.access_token => Ok(()),
        _ => Err("Invalid ClientToken or AccessToken."),
    }
}

/// `GET /ws/connector`: faults, then 503 when sockets are disabled, 401 without the token
/// cookies, then the upgrade.
pub(crate) async fn upgrade(
    State(shared): State<Arc<MewsShared>>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ep = MewsEndpoint::Websocket;
    shared.count(ep);
    let fault = lock(&shared.faults).take(ep);
    if let Some(reply) = early_fault(&shared, fault.as_ref()).await {
        return into_response(reply, false);
    }
    if !shared.ws.enabled.load(Ordering::SeqCst) {
        return into_response(
            error(503, "WebSocket connections are not available."),
            false,
        );
    }
    if let Err(message) = cookie_auth(&headers, &shared.cfg) {
        return into_response(error(401, message), false);
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let session = shared.ws.session(shared.stopping.subscribe());
    ws.on_upgrade(move |socket| run(socket, session))
}

/// Pumps events to one socket until it closes, is dropped, or the server stops. Returning drops
/// the socket without a close frame, as a crashed or restarted server would.
async fn run(mut socket: WebSocket, mut s: Session) {
    loop {
        let stalled_until = (*s.stall.borrow_and_update()).filter(|t| *t > Instant::now());
        if let Some(until) = stalled_until {
            // Neither read (pings go unanswered) nor write; events queue in the backlog.
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                _ = s.drops.changed() => return,
                _ = s.stop.wait_for(|stopping| *stopping) => return,
                _ = s.stall.changed() => {}
            }
            continue;
        }
        let step = tokio::select! {
            msg = socket.recv() => match msg {
                None | Some(Err(_)) => Step::Hangup,
                Some(Ok(Message::Close(_))) => Step::Close,
                // Pings are answered by the protocol layer on the next read; clients have
                // nothing else to say.
                Some(Ok(_)) => Step::Continue,
            },
            ev = s.rx.recv() => match ev {
                Ok(text) => Step::Send(text),
                // Too far behind (or the hub is gone): cut it off; the client resyncs over REST.
                Err(_) => Step::Hangup,
            },
            _ = s.drops.changed() => Step::Hangup,
            _ = s.stop.wait_for(|stopping| *stopping) => Step::Hangup,
            _ = s.stall.changed() => Step::Continue,
        };
        match step {
            Step::Continue => {}
            Step::Hangup => return,
            Step::Close => {
                // Answer the close handshake, then hang up.
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            Step::Send(text) => {
                let sent = tokio::select! {
                    r = socket.send(Message::Text(text)) => r.is_ok(),
                    _ = s.drops.changed() => false,
                    _ = s.stop.wait_for(|stopping| *stopping) => false,
                };
                if !sent {
                    return;
                }
            }
        }
    }
}

enum Step {
    Continue,
    Hangup,
    Close,
    Send(Utf8Bytes),
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookie_forms() {
        let cfg = MewsSimConfig::default();
        let mut h = HeaderMap::new();
        assert!(cookie_auth(&h, &cfg).is_err());
        h.insert(
            COOKIE,
            HeaderValue::from_static(
                "ClientToken=sim-mews-client-token;AccessToken=sim-mews-access-token",
            ),
        );
        assert!(cookie_auth(&h, &cfg).is_ok());
        h.insert(
            COOKIE,
            HeaderValue::from_static(
                "ClientToken=sim-mews-client-token; AccessToken=sim-mews-access-token",
            ),
        );
        assert!(cookie_auth(&h, &cfg).is_ok());
        h.insert(
            COOKIE,
            HeaderValue::from_static("ClientToken=sim-mews-client-token; AccessToken=wrong"),
        );
        assert!(cookie_auth(&h, &cfg).is_err());
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("ClientToken=sim-mews-client-token"),
        );
        h.append(
            COOKIE,
            HeaderValue::from_static("AccessToken=sim-mews-access-token"),
        );
        assert!(cookie_auth(&h, &cfg).is_ok());
    }
}
