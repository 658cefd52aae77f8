//! The Mews websocket: change notifications pushed as they happen. It only says *what* changed;
//! the caller fetches the records by REST. Mews documents no keep-alive and no replay, so:
//! we ping and treat silence as death, reconnect forever with backoff and jitter, and signal
//! every loss so the caller gap-fills by `UpdatedUtc` after the next connection.

use crate::client::MewsCredentials;
use crate::config::PmsConfig;
use crate::events::{parse_socket_frame, MewsEvent};
use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::Sender;
use tokio::time::{sleep, sleep_until, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async_tls_with_config, Connector};
use venue_http::secrets::Secret;

/// What the socket tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketSignal {
    /// Connected; `attempt` is how many tries it took since the last connection (1: first
    /// try). Gap-fill now if a `Disconnected` came before.
    Connected { at: DateTime<Utc>, attempt: u32 },
    /// A batch of events (`batch` long at most), in arrival order. Unknown types are left out.
    Events(Vec<MewsEvent>),
    /// A frame (or an event in it) that could not be read, and why; it was skipped. Its
    /// change may be missed until the next gap-fill.
    BadFrame(String),
    /// The connection was lost (events may have been missed from `at` on).
    Disconnected { at: DateTime<Utc>, reason: String },
    /// No connection can ever be made with these settings (see [`ConnectError::is_transient`]):
    /// the socket stops trying until it is started again with other settings. Nothing more
    /// follows; the owner polls instead.
    GaveUp { reason: String },
}

/// Why a connection attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("bad ws_url: {0}")]
    BadUrl(#[source] tokio_tungstenite::tungstenite::Error),
    #[error("the tokens contain characters a Cookie header cannot carry")]
    BadCookie,
    #[error("TLS setup: {0}")]
    Tls(#[source] rustls::Error),
    #[error("no answer within {seconds} s")]
    Timeout { seconds: u64 },
    /// The connection or the upgrade failed (refused, reset, an HTTP error instead of 101).
    #[error("{0}")]
    Handshake(#[source] tokio_tungstenite::tungstenite::Error),
}

impl ConnectError {
    /// Whether another attempt may connect: the network or the server may come back; a URL,
    /// tokens or TLS settings this build cannot use never will until they are changed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Handshake(_) => true,
            Self::BadUrl(_) | Self::BadCookie | Self::Tls(_) => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SocketSettings {
    pub ws_url: String,
    /// `ClientToken=…;AccessToken=…`, sent as the upgrade request's Cookie header.
    pub cookie: Secret,
    pub ping_interval: Duration,
    /// No frame and no pong for this long: the connection is dead.
    pub dead_after: Duration,
    /// How long events are collected before they are handed over.
    pub batch: Duration,
    /// Delays between connection attempts.
    pub backoff: ExponentialBuilder,
    /// Longest wait between attempts (jitter included).
    pub max_backoff: Duration,
    /// A connection that lasted this long resets the backoff.
    pub stable_after: Duration,
}

impl SocketSettings {
    pub fn from_config(config: &PmsConfig, creds: &MewsCredentials) -> Self {
        let max_backoff = Duration::from_secs(30);
        SocketSettings {
            ws_url: config.ws_url.clone(),
            // No spaces around '=': Mews refuses the connection otherwise.
            cookie: Secret::new(format!(
                "ClientToken={};AccessToken={}",
                creds.client_token.expose(),
                creds.access_token.expose()
            )),
            ping_interval: Duration::from_secs(config.ping_interval_seconds.max(1)),
            dead_after: Duration::from_secs(config.dead_after_seconds.max(2)),
            batch: Duration::from_millis(config.event_batch_ms),
            backoff: ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(250))
                .with_max_delay(max_backoff)
                .with_jitter()
                .without_max_times(),
            max_backoff,
            // A connection that got going and then dropped (a flaky network) is retried
            // quickly; one refused or closed at once keeps backing off.
            stable_after: Duration::from_secs(2),
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// TLS for wss:// with the webpki roots and the ring provider named explicitly (rustls cannot
/// pick a provider on its own when more than one is compiled in).
fn tls_connector() -> Result<Connector, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ConnectError::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

async fn connect(settings: &SocketSettings) -> Result<Socket, ConnectError> {
    let mut request = settings
        .ws_url
        .as_str()
        .into_client_request()
        .map_err(ConnectError::BadUrl)?;
    let mut cookie =
        HeaderValue::from_str(settings.cookie.expose()).map_err(|_| ConnectError::BadCookie)?;
    cookie.set_sensitive(true);
    request.headers_mut().insert("Cookie", cookie);
    let handshake = connect_async_tls_with_config(request, None, true, Some(tls_connector()?));
    match tokio::time::timeout(settings.dead_after, handshake).await {
        Err(_) => Err(ConnectError::Timeout {
            seconds: settings.dead_after.as_secs(),
        }),
        Ok(Err(e)) => Err(ConnectError::Handshake(e)),
        Ok(Ok((socket, _response))) => Ok(socket),
    }
}

/// Why a connection ended.
enum End {
    Lost(String),
    /// Our owner hung up; stop for good.
    Closed,
}

/// Reads one connection until it ends, batching events.
async fn session(
    socket: Socket,
    settings: &SocketSettings,
    tx: &Sender<SocketSignal>,
    unknown: &mut HashSet<String>,
) -> End {
    let (mut write, mut read) = socket.split();
    let mut last_heard = Instant::now();
    let mut next_ping = Instant::now() + settings.ping_interval;
    let mut batch: Vec<MewsEvent> = Vec::new();
    let mut flush_at: Option<Instant> = None;
    let end = loop {
        let dead_at = last_heard + settings.dead_after;
        tokio::select! {
            frame = read.next() => {
                last_heard = Instant::now();
                let text = match frame {
                    None => break End::Lost("the server ended the stream".into()),
                    Some(Err(e)) => break End::Lost(e.to_string()),
                    Some(Ok(Message::Close(frame))) => {
                        break End::Lost(match frame {
                            Some(f) => format!("closed by the server ({} {})", u16::from(f.code), f.reason),
                            None => "closed by the server".into(),
                        })
                    }
                    Some(Ok(Message::Text(text))) => text.as_str().to_string(),
                    Some(Ok(Message::Binary(bytes))) => match String::from_utf8(bytes.to_vec()) {
                        Ok(text) => text,
                        Err(_) => {
                            if tx.send(SocketSignal::BadFrame("a binary frame that is not UTF-8".into())).await.is_err() {
                                break End::Closed;
                            }
                            continue;
                        }
                    },
                    // Pings are answered by tungstenite; a pong is proof of life (noted above).
                    Some(Ok(_)) => continue,
                };
                match parse_socket_frame(&text) {
                    Ok(frame) => {
                        for reason in frame.rejected {
                            if tx.send(SocketSignal::BadFrame(reason)).await.is_err() {
                                return End::Closed;
                            }
                        }
                        for event in frame.events {
                            if let MewsEvent::Unknown { kind } = &event {
                                if unknown.insert(kind.clone()) {
                                    tracing::info!(kind = %kind, "mews websocket: skipping events of an unknown type");
                                }
                                continue;
                            }
                            batch.push(event);
                        }
                        if !batch.is_empty() && flush_at.is_none() {
                            flush_at = Some(Instant::now() + settings.batch);
                        }
                    }
                    Err(e) => {
                        if tx.send(SocketSignal::BadFrame(e.to_string())).await.is_err() {
                            break End::Closed;
                        }
                    }
                }
            }
            () = sleep_until(flush_at.unwrap_or(dead_at)), if flush_at.is_some() => {
                flush_at = None;
                if tx.send(SocketSignal::Events(std::mem::take(&mut batch))).await.is_err() {
                    break End::Closed;
                }
            }
            () = sleep_until(next_ping) => {
                next_ping = Instant::now() + settings.ping_interval;
                // Bounded: a peer that stopped reading would otherwise hold us here for good.
                let ping = write.send(Message::Ping(Default::default()));
                match tokio::time::timeout(settings.dead_after, ping).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => break End::Lost(format!("ping failed: {e}")),
                    Err(_) => break End::Lost("a ping could not be sent in time".into()),
                }
            }
            () = sleep_until(dead_at) => {
                break End::Lost(format!("no frame and no pong for {} s", settings.dead_after.as_secs()));
            }
        }
    };
    // Whatever was collected still goes out, before the loss is signalled.
    if !batch.is_empty() && tx.send(SocketSignal::Events(batch)).await.is_err() {
        return End::Closed;
    }
    end
}

/// Runs until `stop` resolves (or the receiver of `tx` is dropped): connects with the Cookie
/// header, hands over events in batches, pings every `ping_interval`, takes a connection that
/// is silent for `dead_after` for dead, and reconnects forever with backoff and jitter.
/// Connection attempts that fail are logged, not signalled: the socket counts as down from the
/// start until `Connected`; one that can never succeed with these settings (a bad URL or
/// tokens) is signalled as `GaveUp` and ends the attempts. Malformed frames are signalled as
/// `BadFrame` and never end it.
pub async fn run_socket(
    settings: SocketSettings,
    tx: Sender<SocketSignal>,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut backoff = settings.backoff.build();
    let mut attempt: u32 = 0;
    let mut unknown = HashSet::new();
    loop {
        attempt = attempt.saturating_add(1);
        let connected = tokio::select! {
            () = &mut stop => return,
            result = connect(&settings) => result,
        };
        match connected {
            Ok(socket) => {
                let since = Instant::now();
                tracing::info!(attempt, "mews websocket connected");
                let signal = SocketSignal::Connected {
                    at: Utc::now(),
                    attempt,
                };
                if tx.send(signal).await.is_err() {
                    return;
                }
                attempt = 0;
                let end = tokio::select! {
                    () = &mut stop => return,
                    end = session(socket, &settings, &tx, &mut unknown) => end,
                };
                let reason = match end {
                    End::Closed => return,
                    End::Lost(reason) => reason,
                };
                tracing::warn!(reason = %reason, "mews websocket lost");
                let signal = SocketSignal::Disconnected {
                    at: Utc::now(),
                    reason,
                };
                if tx.send(signal).await.is_err() {
                    return;
                }
                if since.elapsed() >= settings.stable_after {
                    backoff = settings.backoff.build();
                }
            }
            Err(error) if !error.is_transient() => {
                tracing::error!(%error, "mews websocket: cannot connect with these settings; not trying again");
                let reason = error.to_string();
                if tx.send(SocketSignal::GaveUp { reason }).await.is_ok() {
                    // Keep the channel open: the owner goes on polling until it stops us.
                    stop.await;
                }
                return;
            }
            Err(error) => {
                tracing::warn!(attempt, %error, "mews websocket: cannot connect");
            }
        }
        let wait = backoff
            .next()
            .unwrap_or(settings.max_backoff)
            .min(settings.max_backoff);
        tokio::select! {
            () = &mut stop => return,
            () = sleep(wait) => {}
        }
    }
}
