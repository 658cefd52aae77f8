//! The live mirror `venue run` keeps: websocket events fetched as they come (in small batches),
//! a gap-fill pull after every (re)connect, polling while the socket is down, and the charge
//! outbox retried. Each socket connection is one snapshot whose high-water mark is the last
//! event received, so the next gap-fill starts where the socket may have lost something.

use super::charges::Outbox;
use super::mirror::Mirror;
use super::{credentials, pull_once, restore_breaker, save_snapshot, save_state};
use crate::console::StoreHandle;
use crate::supervisor::{retry_delays, retry_store, stopped, Task, TaskHealth};
use crate::{ApiError, ApiResult, Console};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use venue_domain::{new_id, ChargeState, Snapshot, SnapshotStatus, Venue};
use venue_http::http::RunContext;
use venue_pms::client::MewsClient;
use venue_pms::config::PmsConfig;
use venue_pms::socket::{run_socket, SocketSettings, SocketSignal};
use venue_pms::MewsEvent;

/// The socket as `venue status` and the app show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SocketStatus {
    /// "connected", "down" or "not_started".
    pub state: String,
    pub since: Option<DateTime<Utc>>,
    pub reconnects: u64,
    pub bad_frames: u64,
    pub events: u64,
    pub last_event_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// From a change in the PMS to it being stored here, over recent events.
    pub lag_p50_ms: Option<f64>,
    pub lag_p99_ms: Option<f64>,
}

impl Default for SocketStatus {
    fn default() -> Self {
        SocketStatus {
            state: "not_started".into(),
            since: None,
            reconnects: 0,
            bad_frames: 0,
            events: 0,
            last_event_at: None,
            last_error: None,
            lag_p50_ms: None,
            lag_p99_ms: None,
        }
    }
}

/// What a live run did, for tests and the benchmark.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveReport {
    pub socket: SocketStatus,
    pub pulls: u64,
    pub event_batches: u64,
    pub lag_samples: usize,
    pub lag_p50_ms: Option<f64>,
    pub lag_p99_ms: Option<f64>,
    /// The most events waiting in the channel at once (a growing backlog shows here).
    pub max_backlog: usize,
}

const CHARGE_RETRY: Duration = Duration::from_secs(30);
const SESSION_SAVE: Duration = Duration::from_secs(2);

fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(|d| (d.as_secs_f64() * 1_000_000.0).round() / 1_000.0)
}

struct Live<'s> {
    mirror: Mirror<'s>,
    outbox: Outbox<'s>,
    config: PmsConfig,
    breaker: venue_http::breaker::CircuitBreaker,
    client: MewsClient,
    socket: SocketStatus,
    session: Option<Snapshot>,
    session_saved: std::time::Instant,
    /// Socket connections so far; every one after the first is a reconnect.
    session_count: u64,
    report: LiveReport,
    health: TaskHealth,
    stop: watch::Receiver<bool>,
    /// Delays of the next pulls while the store refuses them.
    pull_retries: Option<backon::ExponentialBackoff>,
    /// A pull wanted within this long (what events named could not be fetched or stored).
    pull_within: Option<Duration>,
}

impl<'s> Live<'s> {
    fn store(&self) -> &'s StoreHandle {
        self.mirror.store
    }

    fn venue(&self) -> &Venue {
        &self.mirror.venue
    }

    fn persist_state(&mut self) -> ApiResult<()> {
        self.socket.lag_p50_ms = ms(self.mirror.lag.percentile(0.50));
        self.socket.lag_p99_ms = ms(self.mirror.lag.percentile(0.99));
        save_state(
            self.store(),
            self.venue(),
            &self.config,
            &self.breaker,
            &self.client.metrics().snapshot(),
            &self.socket,
        )
    }

    /// Runs a write of the mirror's own bookkeeping (its socket run, its state), retrying with
    /// backoff while the store is busy.
    async fn retrying(
        &mut self,
        what: &str,
        mut op: impl FnMut(&mut Self) -> ApiResult<()>,
    ) -> ApiResult<()> {
        let (health, stop) = (self.health.clone(), self.stop.clone());
        retry_store(&health, Task::Pms, &stop, what, || op(self)).await
    }

    /// A pull, and whether the task works: a store that refused for a passing reason is
    /// logged and counted, and the pull tried again after `retry` (pulls re-read from the last
    /// complete one, so a later pull loses nothing); other errors end the task.
    async fn pull_or_later(&mut self, max_wait: Duration) -> ApiResult<Option<Duration>> {
        match self.pull().await {
            Ok(()) => {
                self.pull_retries = None;
                self.health.recovered(Task::Pms);
                Ok(None)
            }
            Err(e) if e.is_transient() => {
                let failing = self.health.failed(Task::Pms, &e.message);
                let wait = self.next_retry().min(max_wait);
                tracing::warn!(
                    task = "pms",
                    failures = failing.failures,
                    failing_since = %failing.since,
                    retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error = %e,
                    "PMS pull failed on the store; retrying"
                );
                Ok(Some(wait))
            }
            Err(e) => Err(e),
        }
    }

    /// How often the mirror polls while the socket is down.
    fn poll_every(&self) -> Duration {
        Duration::from_secs(u64::from(self.config.poll_interval_minutes.max(1)) * 60)
    }

    /// The wait before the next attempt after a failure: growing, up to the poll interval.
    fn next_retry(&mut self) -> Duration {
        let most = self.poll_every();
        self.pull_retries
            .get_or_insert_with(|| retry_delays(most))
            .next()
            .unwrap_or(most)
    }

    async fn pull(&mut self) -> ApiResult<()> {
        let (snapshot, _) =
            pull_once(&mut self.mirror, &mut self.breaker, &self.config, false).await?;
        self.report.pulls += 1;
        if snapshot.status != SnapshotStatus::Failed {
            self.flush_charges().await;
        }
        self.persist_state()
    }

    async fn flush_charges(&mut self) {
        let run = RunContext::new(&self.config.retry);
        match self.outbox.flush(&run, None).await {
            Ok(o) if o.sent + o.failed > 0 => {
                tracing::info!(
                    sent = o.sent,
                    failed = o.failed,
                    pending = o.pending,
                    "charges sent"
                )
            }
            Ok(_) => {}
            // The charges stay pending either way; the next round (CHARGE_RETRY) tries again.
            Err(e) if e.is_transient() => {
                self.health.failed(Task::Pms, &e.to_string());
                tracing::warn!(error = %e, "charge outbox: the store is busy; charges stay pending");
            }
            Err(e) => {
                tracing::error!(error = %e, "charge outbox: the store failed; charges stay pending")
            }
        }
    }

    fn open_session(&mut self, at: DateTime<Utc>) -> ApiResult<()> {
        let session = Snapshot {
            id: new_id(),
            venue_id: self.venue().id,
            connector: self.config.name.clone(),
            correlation_id: new_id().to_string(),
            started_at: at,
            finished_at: None,
            status: SnapshotStatus::Running,
            error: None,
            records_seen: 0,
            records_written: 0,
            high_water_mark: Some(at),
            cursor: Some("socket".into()),
        };
        // Leased while the socket is up, so pulls (ours and other processes') leave it running.
        self.mirror.leases.hold(self.store(), session.id)?;
        save_snapshot(self.store(), &session)?;
        self.session = Some(session);
        self.session_saved = std::time::Instant::now();
        Ok(())
    }

    fn close_session(&mut self, reason: Option<&str>) -> ApiResult<()> {
        if let Some(session) = &self.session {
            let mut closed = session.clone();
            closed.finished_at = Some(Utc::now());
            closed.status = SnapshotStatus::Ok;
            closed.error = reason.map(|r| format!("socket closed: {r}"));
            // Forgotten only once saved, so a retry after a busy store still closes it.
            save_snapshot(self.store(), &closed)?;
            self.mirror.leases.end(closed.id);
            self.session = None;
        }
        Ok(())
    }

    async fn on_events(
        &mut self,
        events: Vec<MewsEvent>,
        received: DateTime<Utc>,
    ) -> ApiResult<()> {
        let mut reservations = BTreeSet::new();
        let mut resources = BTreeSet::new();
        for event in events {
            match event {
                MewsEvent::Reservation { id, .. } => {
                    reservations.insert(id);
                }
                MewsEvent::Resource { id, .. } => {
                    resources.insert(id);
                }
                _ => {}
            }
        }
        self.report.event_batches += 1;
        self.socket.last_event_at = Some(received);
        let run = RunContext::new(&self.config.retry);
        let snapshot = self.session.as_ref().map(|s| s.id);
        match self
            .mirror
            .apply_events(&run, snapshot, &reservations, &resources)
            .await
        {
            Ok(counts) => {
                if let Some(session) = self.session.as_mut() {
                    session.records_seen += counts.seen;
                    session.records_written += counts.written;
                    session.high_water_mark = Some(received);
                }
            }
            Err(e) => {
                // The records stay unfetched: a pull soon reads them (pulls re-read from the
                // last complete one), sooner than the next poll, later while it keeps failing.
                if let venue_http::fetch::FetchError::Sink(why) = &e {
                    self.health.failed(Task::Pms, &why.to_string());
                }
                let wait = self.next_retry();
                tracing::warn!(error = %e, retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "fetching what events named failed; pulling soon");
                self.pull_within = Some(wait);
                self.socket.last_error = Some(e.to_string());
                if let Some(session) = self.session.as_mut() {
                    session.error = Some(e.to_string());
                }
            }
        }
        if self.session_saved.elapsed() >= SESSION_SAVE {
            if let Some(session) = self.session.clone() {
                self.retrying("saving the PMS socket's run", |live| {
                    save_snapshot(live.store(), &session)
                })
                .await?;
            }
            self.session_saved = std::time::Instant::now();
            self.retrying("saving the PMS state", Self::persist_state)
                .await?;
        }
        Ok(())
    }
}

impl Console {
    /// Keeps the PMS mirror live until `stop` turns true. For `venue run`, the app, tests and
    /// the benchmark.
    pub fn pms_live(&mut self, stop: watch::Receiver<bool>) -> ApiResult<LiveReport> {
        let venue = self.venue()?;
        let config = self.pms_config()?;
        let secrets = self.secrets.as_deref();
        let store = self.side.fork();
        let health = TaskHealth::default();
        crate::supervisor::runtime::shared()?
            .block_on(pms_live(&store, secrets, &venue, &config, &health, stop))
    }
}

pub(crate) async fn pms_live(
    store: &StoreHandle,
    secrets: Option<&dyn venue_http::secrets::SecretStore>,
    venue: &Venue,
    config: &PmsConfig,
    health: &TaskHealth,
    stop: watch::Receiver<bool>,
) -> ApiResult<LiveReport> {
    let creds = credentials(secrets, config)?;
    let client =
        MewsClient::new(config, creds.clone()).map_err(|e| ApiError::bad_input(e.to_string()))?;
    let breaker = retry_store(health, Task::Pms, &stop, "reading the PMS breaker", || {
        restore_breaker(store, venue, config)
    })
    .await?;
    let settings = SocketSettings::from_config(config, &creds);
    let (tx, mut rx) = mpsc::channel::<SocketSignal>(4096);
    // The socket stops when asked to, or when the mirror has ended (on an error): a socket
    // kept open with nobody storing its events would only look alive.
    let (engine_ended, mut ended) = watch::channel(false);
    let socket_stop = stop.clone();
    let socket = run_socket(settings, tx, async move {
        tokio::select! {
            () = stopped(&socket_stop) => {}
            _ = ended.wait_for(|e| *e) => {}
        }
    });
    let leases = super::RunLeases::new();
    let mut live = Live {
        mirror: Mirror::new(store, &leases, venue.clone(), client.clone(), &config.name),
        outbox: Outbox {
            store,
            venue: venue.clone(),
            client: client.clone(),
            source: config.name.clone(),
            service_id: config.charge_service_id.clone(),
        },
        config: config.clone(),
        breaker,
        client,
        socket: SocketStatus {
            state: "down".into(),
            since: Some(Utc::now()),
            ..Default::default()
        },
        session: None,
        session_saved: std::time::Instant::now(),
        session_count: 0,
        report: LiveReport::default(),
        health: health.clone(),
        stop: stop.clone(),
        pull_retries: None,
        pull_within: None,
    };
    let engine = async {
        let poll_every = live.poll_every();
        let later = |wait: Option<Duration>, otherwise: Duration| {
            tokio::time::Instant::now() + wait.unwrap_or(otherwise)
        };
        let mut next_poll = later(live.pull_or_later(poll_every).await?, poll_every);
        let mut next_charges = tokio::time::Instant::now() + CHARGE_RETRY;
        let mut connected = false;
        loop {
            tokio::select! {
                () = stopped(&stop) => break,
                signal = rx.recv() => {
                    let Some(signal) = signal else { break };
                    live.report.max_backlog = live.report.max_backlog.max(rx.len() + 1);
                    match signal {
                        SocketSignal::Connected { at, .. } => {
                            connected = true;
                            if live.session_count > 0 {
                                live.socket.reconnects += 1;
                            }
                            live.session_count += 1;
                            live.socket.state = "connected".into();
                            live.socket.since = Some(at);
                            live.retrying("opening the PMS socket's run", |l| l.open_session(at))
                                .await?;
                            // Whatever changed while we were away.
                            next_poll = later(live.pull_or_later(poll_every).await?, poll_every * 6);
                        }
                        SocketSignal::Events(mut events) => {
                            let received = Utc::now();
                            // Coalesce what queued up meanwhile into one fetch.
                            let mut deferred = Vec::new();
                            while let Ok(more) = rx.try_recv() {
                                match more {
                                    SocketSignal::Events(e) => events.extend(e),
                                    other => { deferred.push(other); break; }
                                }
                            }
                            live.socket.events += events.len() as u64;
                            live.on_events(events, received).await?;
                            if let Some(wait) = live.pull_within.take() {
                                next_poll = next_poll.min(tokio::time::Instant::now() + wait);
                            }
                            for other in deferred {
                                if handle_other(&mut live, other, &mut connected).await? {
                                    next_poll = next_poll.min(tokio::time::Instant::now() + poll_every);
                                }
                            }
                        }
                        other => {
                            if handle_other(&mut live, other, &mut connected).await? {
                                next_poll = next_poll.min(tokio::time::Instant::now() + poll_every);
                            }
                        }
                    }
                }
                // Polling goes on while connected too, less often: guests have no event of
                // their own in Mews, so a guest without a stay changes only through pulls.
                _ = tokio::time::sleep_until(next_poll) => {
                    let wait = live.pull_or_later(poll_every).await?;
                    next_poll = later(wait, if connected { poll_every * 6 } else { poll_every });
                }
                _ = tokio::time::sleep_until(next_charges) => {
                    let venue_id = live.venue().id;
                    let pending = live.store().with(|s| s.charges(venue_id, Some(ChargeState::Pending), None));
                    match pending {
                        Ok(pending) if !pending.is_empty() => live.flush_charges().await,
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "reading pending charges failed; trying again later"),
                    }
                    next_charges = tokio::time::Instant::now() + CHARGE_RETRY;
                }
            }
        }
        live.retrying("closing the PMS socket's run", |l| {
            l.close_session(Some("stopped"))
        })
        .await?;
        live.socket.state = "down".into();
        live.retrying("saving the PMS state", Live::persist_state)
            .await?;
        Ok::<(), ApiError>(())
    };
    let engine = async {
        let result = tokio::select! {
            result = engine => result,
            never = leases.keep_alive(store) => match never {},
        };
        let _ = engine_ended.send(true);
        result
    };
    let (result, ()) = tokio::join!(engine, socket);
    result?;
    live.report.socket = live.socket.clone();
    live.report.lag_samples = live.mirror.lag.len();
    live.report.lag_p50_ms = ms(live.mirror.lag.percentile(0.50));
    live.report.lag_p99_ms = ms(live.mirror.lag.percentile(0.99));
    Ok(live.report)
}

/// Handles a signal other than events; true when the socket went down (polling takes over).
async fn handle_other(
    live: &mut Live<'_>,
    signal: SocketSignal,
    connected: &mut bool,
) -> ApiResult<bool> {
    match signal {
        SocketSignal::BadFrame(reason) => {
            live.socket.bad_frames += 1;
            live.socket.last_error = Some(format!("bad frame: {reason}"));
            tracing::warn!(%reason, "PMS socket frame skipped");
        }
        SocketSignal::Disconnected { at, reason } => {
            *connected = false;
            live.socket.state = "down".into();
            live.socket.since = Some(at);
            live.socket.last_error = Some(reason.clone());
            live.retrying("closing the PMS socket's run", |l| {
                l.close_session(Some(&reason))
            })
            .await?;
            live.retrying("saving the PMS state", Live::persist_state)
                .await?;
            return Ok(true);
        }
        SocketSignal::GaveUp { reason } => {
            // Settings this run cannot connect with (a bad ws_url, tokens a Cookie header
            // cannot carry): polling keeps the mirror current until a restart with new ones.
            *connected = false;
            live.socket.state = "down".into();
            live.socket.last_error = Some(reason);
            live.retrying("saving the PMS state", Live::persist_state)
                .await?;
            return Ok(true);
        }
        SocketSignal::Connected { .. } | SocketSignal::Events(_) => {}
    }
    Ok(false)
}
