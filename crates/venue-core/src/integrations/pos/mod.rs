//! `venue fetch`: one snapshot per connector, now. Each run is incremental from the last
//! high-water mark minus an overlap, keeps what it got if it fails part-way (marked partial),
//! and updates the connector's breaker and metrics.

pub(crate) mod location_names;

use crate::console::StoreHandle;
use crate::supervisor::{retry_delays, retry_store, stopped, Task, TaskHealth};
use crate::{ApiError, ApiResult, Console};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::num::NonZeroU32;
use tracing::Instrument;
use venue_domain::{new_id, Origin, Snapshot, SnapshotStatus, Venue};
use venue_http::breaker::{BreakerSnapshot, CircuitBreaker};
use venue_http::fetch::{FetchError, SinkError};
use venue_http::http::{HttpClient, HttpSettings, RunContext};
use venue_http::metrics::MetricsSnapshot;
use venue_http::secrets::{resolve, Secret, SecretStore};
use venue_pos::config::{ConnectorConfig, ConnectorKind, SquareSource, MIN_INTERVAL_MINUTES};
use venue_pos::source::Page;
use venue_pos::square::client::{active_location_ids, SquareClient};
use venue_pos::square::SquareContext;
use venue_pos::toast::client::ToastClient;
use venue_pos::toast::ToastContext;
use venue_store::Store;

/// Vendor logins kept between fetches of this process, by connector name.
pub(crate) use crate::console::VendorSessions as Sessions;

/// The snapshot's cursor records where its window started, so an unfinished run is resumed.
const WINDOW_START: &str = "window-start:";

fn window_start(cursor: &str) -> Option<DateTime<Utc>> {
    let text = cursor.strip_prefix(WINDOW_START)?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// How far back a connector's first fetch reaches.
const FIRST_FETCH_DAYS: i64 = 30;

/// The longest a vendor's Retry-After holds the schedule. A vendor asking for days (or for
/// 2099) is broken rather than busy; one request a day to find out costs it nothing.
fn max_vendor_hold() -> Duration {
    Duration::hours(24)
}

/// The earliest `--since` accepted: no point-of-sale holds sales from before it, so an earlier
/// one is a typo (1926 for 2026) that would ask the vendor for a century.
fn earliest_since() -> DateTime<Utc> {
    DateTime::from_timestamp(946_684_800, 0).unwrap_or_default() // 2000-01-01T00:00:00Z
}

/// Refuses a `--since` that cannot be meant, before anything is sent or stored: after now (a
/// window that ends before it starts, which the vendor refuses) or before 2000.
pub fn check_since(since: DateTime<Utc>, now: DateTime<Utc>) -> ApiResult<()> {
    let shown = since.format("%Y-%m-%d %H:%M:%S UTC");
    if since > now {
        return Err(ApiError::bad_input(format!(
            "--since {shown} is in the future (now {}): there is nothing to fetch after it",
            now.format("%Y-%m-%d %H:%M:%S UTC")
        )));
    }
    if since < earliest_since() {
        return Err(ApiError::bad_input(format!(
            "--since {shown} is before 2000-01-01: give a time the vendor holds sales for"
        )));
    }
    Ok(())
}

/// Where an incremental run resumes.
pub(crate) struct Resume {
    /// The newest high-water mark of a complete run that is not in the future.
    pub mark: Option<DateTime<Utc>>,
    /// `mark` minus the overlap; None before the first complete run.
    pub from: Option<DateTime<Utc>>,
    /// Set when a mark ahead of the clock was passed over; kept on the run's snapshot.
    pub note: Option<String>,
}

/// Resumes from the last mark not in the future, minus the overlap. A mark ahead of the clock
/// (left by a run whose clock was set ahead) is logged, noted and passed over: resuming from it
/// would fetch nothing, or send a window ending before it starts, until the clock caught up.
pub(crate) fn resume_point(
    store: &Store,
    venue: &Venue,
    name: &str,
    overlap_minutes: u32,
    now: DateTime<Utc>,
) -> ApiResult<Resume> {
    let marks = store.high_water_marks(venue.id, name, now)?;
    let from = marks
        .last_good
        .map(|mark| mark - Duration::minutes(i64::from(overlap_minutes)));
    let note = marks.ahead.map(|ahead| {
        let resumed = from.map_or_else(
            || "the first-fetch window".to_string(),
            |f| f.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        );
        tracing::warn!(connector = %name, mark = %ahead, now = %now, resumed_from = %resumed, "a high-water mark is ahead of the clock (a run with the clock set ahead?); resuming from the last mark not in the future");
        format!(
            "note: high-water mark {} is ahead of the clock (now {}; a run with the clock set ahead?); set aside, resumed from {resumed}",
            ahead.format("%Y-%m-%d %H:%M:%S UTC"),
            now.format("%Y-%m-%d %H:%M:%S UTC"),
        )
    });
    Ok(Resume {
        mark: marks.last_good,
        from,
        note,
    })
}

/// When `config`'s next scheduled run is due: an interval after the newest run that started by
/// now (runs stamped in the future by a clock set ahead are ignored, or they would hold the
/// schedule until then), and not before the time the vendor asked us to wait for.
pub(crate) fn next_run_at(
    store: &Store,
    venue: &Venue,
    config: &ConnectorConfig,
    now: DateTime<Utc>,
) -> ApiResult<DateTime<Utc>> {
    let last = store.last_started_by(venue.id, &config.name, now)?;
    let interval = Duration::minutes(i64::from(config.interval_minutes.max(MIN_INTERVAL_MINUTES)));
    let at = last.map_or(now, |t| t + interval);
    let vendor_wait = store
        .connector_states(venue.id)?
        .into_iter()
        .find(|s| s.connector == config.name)
        .and_then(|s| serde_json::from_value::<BreakerSnapshot>(s.breaker).ok())
        .and_then(|b| b.vendor_wait_until)
        // A hold further ahead than any we record was written with a clock set ahead.
        .filter(|until| *until <= now + max_vendor_hold());
    Ok(vendor_wait.map_or(at, |until| at.max(until)))
}

/// Appends `note` to a snapshot's error (or makes it the error text of a run that went well).
fn add_note(error: &mut Option<String>, note: Option<String>) {
    if let Some(note) = note {
        *error = Some(match error.take() {
            Some(e) => format!("{e}; {note}"),
            None => note,
        });
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    pub connector: String,
    pub snapshot: Snapshot,
    /// Records skipped because they could not be read (the first reason is in the snapshot).
    pub rejected: u64,
    pub breaker: BreakerSnapshot,
    pub metrics: MetricsSnapshot,
}

impl FetchReport {
    pub fn failed(&self) -> bool {
        self.snapshot.status == SnapshotStatus::Failed
    }
}

fn http_settings(config: &ConnectorConfig) -> HttpSettings {
    // Documented limits: Toast ordersBulk 5 requests/s per location; Square publishes none, so
    // stay well under its throttling.
    let documented = match config.kind {
        ConnectorKind::Square => 10,
        ConnectorKind::Toast => 5,
    };
    let rate = config.requests_per_second.unwrap_or(documented);
    HttpSettings {
        connect_timeout: std::time::Duration::from_secs(10),
        request_timeout: std::time::Duration::from_secs(30),
        quota: venue_http::http::Quota::per_second(
            NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN),
        ),
        request_id_header: None,
        retry: config.retry,
        // Never longer than the interval: the schedule would have come back by then.
        max_retry_wait: venue_http::http::MAX_RETRY_WAIT.min(std::time::Duration::from_secs(
            u64::from(config.interval_minutes.max(MIN_INTERVAL_MINUTES)) * 60,
        )),
    }
}

fn save(store: &StoreHandle, snapshot: &Snapshot) -> ApiResult<()> {
    store.with(|s| s.ingest(Origin::Connector, None, std::slice::from_ref(snapshot)))?;
    Ok(())
}

/// Runs one snapshot of one connector against the store. The store is reached only between
/// awaits (see [`StoreHandle`]), so several connectors run concurrently on one connection.
async fn run_one(
    store: &StoreHandle,
    secrets: Option<&dyn SecretStore>,
    sessions: &Sessions,
    venue: &Venue,
    config: &ConnectorConfig,
    since: Option<DateTime<Utc>>,
    run: RunContext,
) -> ApiResult<FetchReport> {
    // Every log line of the run carries its connector and correlation id.
    let span = tracing::info_span!("fetch", connector = %config.name, correlation_id = %run.correlation_id);
    fetch_one(store, secrets, sessions, venue, config, since, run)
        .instrument(span)
        .await
}

async fn fetch_one(
    store: &StoreHandle,
    secrets: Option<&dyn SecretStore>,
    sessions: &Sessions,
    venue: &Venue,
    config: &ConnectorConfig,
    since: Option<DateTime<Utc>>,
    run: RunContext,
) -> ApiResult<FetchReport> {
    let name = config.name.as_str();
    // A run whose process died left its snapshot "running": close it honestly.
    let stale_runs = store.with(|s| s.running_snapshots(venue.id, name))?;
    for mut stale in stale_runs {
        stale.status = if stale.records_written > 0 {
            SnapshotStatus::Partial
        } else {
            SnapshotStatus::Failed
        };
        stale.error = Some("interrupted: the process stopped during this fetch".into());
        stale.finished_at = Some(Utc::now());
        save(store, &stale)?;
    }
    let saved = store
        .with(|s| s.connector_states(venue.id))?
        .into_iter()
        .find(|s| s.connector == name);
    let mut breaker = CircuitBreaker::restore(
        config.breaker,
        saved
            .and_then(|s| serde_json::from_value::<BreakerSnapshot>(s.breaker).ok())
            .unwrap_or_default(),
    );
    // Where to start: just before the last complete run ended, or, after a run that did not
    // finish, where that run started (re-reading is idempotent; skipping would lose sales).
    // Marks and runs stamped in the future by a clock set ahead are passed over (and noted).
    let until = Utc::now();
    let resume = store.with(|s| resume_point(s, venue, name, config.overlap_minutes, until))?;
    let latest = store.with(|s| s.last_snapshot_started_by(venue.id, name, until))?;
    let after_ok = resume.from;
    let unfinished = latest
        .filter(|s| s.status != SnapshotStatus::Ok)
        .and_then(|s| s.cursor)
        .and_then(|c| window_start(&c))
        .filter(|start| *start <= until);
    let from = since.unwrap_or_else(|| match (after_ok, unfinished) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(until - Duration::days(FIRST_FETCH_DAYS)),
    });
    let mut snapshot = Snapshot {
        id: new_id(),
        venue_id: venue.id,
        connector: name.to_string(),
        correlation_id: run.correlation_id.clone(),
        started_at: until,
        finished_at: None,
        status: SnapshotStatus::Running,
        error: None,
        records_seen: 0,
        records_written: 0,
        high_water_mark: resume.mark,
        cursor: Some(format!("{WINDOW_START}{}", from.to_rfc3339())),
    };
    save(store, &snapshot)?;

    let http = HttpClient::new(name, http_settings(config))
        .map_err(|e| ApiError::bad_input(e.to_string()))?;
    let metrics = http.metrics().clone();
    let mut rejected = 0u64;
    let mut first_rejection: Option<String> = None;
    // Location names as the vendor gives them (id, name), and why they could not be read.
    let mut vendor_names: Vec<(String, String)> = Vec::new();
    let mut names_note: Option<String> = None;
    let outcome: Result<(), FetchError> = match breaker.check(Utc::now()) {
        Err(retry_at) => {
            snapshot.status = SnapshotStatus::Failed;
            snapshot.error = Some(format!(
                "circuit breaker open until {}",
                retry_at.format("%Y-%m-%d %H:%M:%S UTC")
            ));
            Ok(())
        }
        Ok(transition) => {
            if let Some(t) = transition {
                tracing::info!(from = ?t.from, to = ?t.to, "breaker probing");
            }
            let secret = |suffix: &str| -> Result<Secret, ApiError> {
                resolve(secrets, &format!("{name}-{suffix}"))
                    .map_err(|e| ApiError::bad_input(e.to_string()))
            };
            let mut sink = |page: Page| -> Result<(), SinkError> {
                snapshot.records_seen += page.seen;
                rejected += page.rejected.len() as u64;
                if first_rejection.is_none() {
                    first_rejection = page.rejected.into_iter().next();
                }
                let summary = store
                    .with(|s| s.ingest(Origin::Connector, Some(snapshot.id), &page.transactions))
                    .map_err(SinkError::new)?;
                snapshot.records_written += summary.written();
                // Progress is visible (and survives a crash) page by page.
                save(store, &snapshot).map_err(SinkError::new)
            };
            match config.kind {
                ConnectorKind::Square => match secret("access-token") {
                    Err(e) => Err(FetchError::Setup(e.message)),
                    Ok(token) => {
                        let mut client = SquareClient {
                            http,
                            base_url: config.base_url.clone(),
                            token,
                            context: SquareContext {
                                venue_id: venue.id,
                                source: name.to_string(),
                            },
                            location_ids: config.location_ids.clone(),
                            page_size: venue_pos::square::client::PAGE_SIZE,
                        };
                        // ListLocations names the locations, and says which to fetch when none
                        // are configured (then the fetch cannot go on without it).
                        let listed = match client.locations(&run).await {
                            Ok(locations) => {
                                if client.location_ids.is_empty() {
                                    client.location_ids = active_location_ids(&locations);
                                }
                                vendor_names.extend(locations.into_iter().filter_map(|l| {
                                    Some((l.id?, l.name.filter(|n| !n.trim().is_empty())?))
                                }));
                                Ok(())
                            }
                            Err(e) if client.location_ids.is_empty() => Err(e.into()),
                            Err(e) => {
                                names_note = Some(format!("location names not read: {e}"));
                                Ok(())
                            }
                        };
                        match (listed, config.square_source) {
                            (Err(e), _) => Err(e),
                            (Ok(()), SquareSource::Orders) => {
                                client.fetch_orders(&run, from, until, &mut sink).await
                            }
                            (Ok(()), SquareSource::Payments) => {
                                client.fetch_payments(&run, from, until, &mut sink).await
                            }
                        }
                    }
                },
                ConnectorKind::Toast => match (secret("client-id"), secret("client-secret")) {
                    (Err(e), _) | (_, Err(e)) => Err(FetchError::Setup(e.message)),
                    (Ok(id), Ok(key)) => {
                        let currency = config
                            .currency
                            .as_deref()
                            .unwrap_or_default()
                            .parse()
                            .map_err(|e: venue_domain::DomainError| {
                                ApiError::bad_input(e.to_string())
                            })?;
                        let session = sessions.borrow_mut().remove(name).unwrap_or_default();
                        let mut client = ToastClient::new(
                            http,
                            config.base_url.clone(),
                            id,
                            key,
                            ToastContext {
                                venue_id: venue.id,
                                source: name.to_string(),
                                currency,
                                restaurant_guid: config.restaurant_guid.clone(),
                            },
                            session,
                        );
                        let result = client.fetch_orders(&run, from, until, &mut sink).await;
                        // The name after the sales: a restaurant Toast will not name (an API
                        // account without `restaurants:read`) still has its sales.
                        if result.is_ok() {
                            match client.restaurant_name(&run).await {
                                Ok(Some(name)) => vendor_names.push((
                                    config.restaurant_guid.clone().unwrap_or_default(),
                                    name,
                                )),
                                Ok(None) => {}
                                Err(e) => {
                                    names_note = Some(format!("restaurant name not read: {e}"))
                                }
                            }
                        }
                        sessions
                            .borrow_mut()
                            .insert(name.to_string(), client.into_session());
                        result
                    }
                },
            }
        }
    };

    if let Err(e) = crate::integrations::pos::location_names::save(
        store,
        venue,
        config,
        snapshot.id,
        &vendor_names,
    ) {
        names_note = Some(format!("location names not kept: {}", e.message));
    }
    if let Some(note) = &names_note {
        tracing::warn!(note = %note, "sales are kept; their locations show ids");
    }

    let now = Utc::now();
    snapshot.finished_at = Some(now);
    if snapshot.status == SnapshotStatus::Running {
        match &outcome {
            Ok(()) => {
                snapshot.high_water_mark = Some(until);
                if rejected > 0 {
                    snapshot.status = SnapshotStatus::Partial;
                    snapshot.error = Some(format!(
                        "{rejected} records could not be read; first: {}",
                        first_rejection.unwrap_or_default()
                    ));
                } else {
                    snapshot.status = SnapshotStatus::Ok;
                }
            }
            Err(e) => {
                // Keep the previous high-water mark: the next run fetches this window again
                // (idempotently) rather than risk skipping what this one missed.
                let vendor_wait = match e {
                    FetchError::Connector(c) => c.vendor_wait(),
                    _ => None,
                };
                // A vendor asking us to come back later ends the run partial: nothing failed,
                // the rest waits for the vendor's time.
                snapshot.status = if snapshot.records_written > 0 || vendor_wait.is_some() {
                    SnapshotStatus::Partial
                } else {
                    SnapshotStatus::Failed
                };
                snapshot.error = Some(e.to_string());
                if let Some(asked) = vendor_wait {
                    let hold = Duration::from_std(asked)
                        .unwrap_or(Duration::MAX)
                        .min(max_vendor_hold());
                    let resume_at = now.checked_add_signed(hold).unwrap_or(now);
                    breaker.vendor_asked_to_wait(resume_at);
                    add_note(
                        &mut snapshot.error,
                        Some(format!(
                            "scheduled runs resume after {}{}",
                            resume_at.format("%Y-%m-%d %H:%M:%S UTC"),
                            if hold < Duration::from_std(asked).unwrap_or(Duration::MAX) {
                                " (the vendor's wait, held to at most 24 h)"
                            } else {
                                ""
                            }
                        )),
                    );
                }
            }
        }
        let transition = match &outcome {
            Ok(()) => breaker.on_success(now),
            // Only the vendor's failures count: an error our request caused (a 400 for a
            // window we got wrong, refused credentials) must not open the breaker.
            Err(FetchError::Connector(e)) if e.is_vendor_fault() => {
                breaker.on_failure(now, &e.to_string())
            }
            // Local problems (a missing secret, the disk) say nothing about the vendor.
            Err(FetchError::Connector(_) | FetchError::Sink(_) | FetchError::Setup(_)) => None,
        };
        if let Some(t) = transition {
            tracing::warn!(from = ?t.from, to = ?t.to, "circuit breaker changed state");
        }
    }
    add_note(&mut snapshot.error, resume.note);
    add_note(&mut snapshot.error, names_note);
    save(store, &snapshot)?;
    let breaker_snapshot = breaker.snapshot().clone();
    let metrics_snapshot = metrics.snapshot();
    let breaker_json = serde_json::to_value(&breaker_snapshot)?;
    let metrics_json = serde_json::to_value(&metrics_snapshot)?;
    store.with(|s| s.save_connector_state(venue.id, name, &breaker_json, Some(&metrics_json)))?;
    tracing::info!(status = %snapshot.status, seen = snapshot.records_seen, written = snapshot.records_written, "fetch finished");
    Ok(FetchReport {
        connector: name.to_string(),
        snapshot,
        rejected,
        breaker: breaker_snapshot,
        metrics: metrics_snapshot,
    })
}

impl Console {
    /// Runs one snapshot of each configured connector (or only `only`), one after another; a
    /// failing connector never stops the others.
    pub fn fetch(
        &mut self,
        only: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> ApiResult<Vec<FetchReport>> {
        let venue = self.venue()?;
        let configs: Vec<ConnectorConfig> = self
            .config
            .connector
            .iter()
            .filter(|c| only.is_none_or(|name| c.name == name))
            .cloned()
            .collect();
        if configs.is_empty() {
            return Err(self.no_such_connector(only));
        }
        // Bad input is refused here, before anything is sent or stored: the vendor would
        // refuse it and the refusal would read as the vendor's failure.
        if let Some(since) = since {
            check_since(since, Utc::now())?;
        }
        // A connection of its own, like `venue run`'s connectors task.
        let store = self.side.fork();
        crate::supervisor::runtime::shared()?.block_on(run_all(
            &store,
            self.secrets.as_deref(),
            &self.sessions,
            &venue,
            &configs,
            since,
        ))
    }

    /// When the scheduler (`venue run`, the app) next runs `connector`: an interval after its
    /// last run, and not before a time the vendor asked us to wait for.
    pub fn next_fetch_at(&self, connector: &str) -> ApiResult<DateTime<Utc>> {
        let venue = self.venue()?;
        let config = self
            .config
            .connector
            .iter()
            .find(|c| c.name == connector)
            .ok_or_else(|| self.no_such_connector(Some(connector)))?;
        next_run_at(&self.store, &venue, config, Utc::now())
    }

    /// Checks a "Fetch now" request from a staff member before it goes to the running
    /// scheduler: returns the connector's name, or names the configured ones.
    pub fn check_fetch_now(&self, connector: &str) -> ApiResult<String> {
        self.authorize(crate::Role::Staff)?;
        if self.config.connector.iter().any(|c| c.name == connector) {
            return Ok(connector.to_string());
        }
        Err(self.no_such_connector(Some(connector)))
    }

    /// Why no connector matched `only`, naming the configured ones.
    fn no_such_connector(&self, only: Option<&str>) -> ApiError {
        let configured: Vec<&str> = self
            .config
            .connector
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        ApiError::bad_input(match (only, configured.is_empty()) {
            (_, true) => {
                "no connectors are configured: add a [[connector]] block to venue.toml".to_string()
            }
            (Some(name), false) => format!(
                "no connector named {name:?}; configured: {}",
                configured.join(", ")
            ),
            (None, false) => "no connectors selected".to_string(),
        })
    }
}

/// A connector whose last run ended with an error: when to try it again.
struct Held {
    delays: backon::ExponentialBackoff,
    retry_at: DateTime<Utc>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn connectors_loop(
    store: &StoreHandle,
    secrets: Option<&dyn SecretStore>,
    sessions: &Sessions,
    venue: &Venue,
    configs: &[ConnectorConfig],
    health: &TaskHealth,
    stop: &tokio::sync::watch::Receiver<bool>,
    mut fetch_now: Option<&mut FetchNowReceiver>,
) -> ApiResult<()> {
    let mut held: HashMap<String, Held> = HashMap::new();
    loop {
        let now = Utc::now();
        let mut due = Vec::new();
        let mut next_due = now + Duration::minutes(1);
        for config in configs {
            let at = match held.get(&config.name) {
                // A run that failed is tried again on its own backoff, not a whole interval on.
                Some(h) => h.retry_at,
                None => {
                    retry_store(
                        health,
                        Task::Connectors,
                        stop,
                        "reading the connectors' last runs",
                        || -> ApiResult<_> { store.with(|s| next_run_at(s, venue, config, now)) },
                    )
                    .await?
                }
            };
            if at <= now {
                due.push(config.clone());
            } else {
                next_due = next_due.min(at);
            }
        }
        if !due.is_empty() {
            let runs = ScheduledRuns {
                store,
                secrets,
                sessions,
                venue,
                health,
                stop,
            };
            if !runs.run(&due, &mut held, "scheduled fetch").await {
                return Ok(());
            }
            continue;
        }
        let wait = (next_due - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            () = stopped(stop) => return Ok(()),
            _ = tokio::time::sleep(wait) => {}
            requested = next_request(&mut fetch_now) => {
                let wanted: Vec<ConnectorConfig> =
                    configs.iter().filter(|c| c.name == requested).cloned().collect();
                if wanted.is_empty() {
                    tracing::warn!(connector = %requested, "fetch now asked for an unknown connector");
                }
                let runs = ScheduledRuns { store, secrets, sessions, venue, health, stop };
                if !runs.run(&wanted, &mut held, "fetch now").await {
                    return Ok(());
                }
            }
        }
    }
}

/// What the connectors task runs fetches with.
struct ScheduledRuns<'r, 'a> {
    store: &'r StoreHandle,
    secrets: Option<&'a dyn SecretStore>,
    sessions: &'r Sessions,
    venue: &'r Venue,
    health: &'r TaskHealth,
    stop: &'r tokio::sync::watch::Receiver<bool>,
}

impl ScheduledRuns<'_, '_> {
    /// Runs `configs` now, concurrently. A run that ends with an error (the store refused its
    /// snapshot, a setting it cannot use) is logged, counted in the task's health and tried
    /// again with backoff, up to the connector's interval. False when a stop came first: the
    /// runs are abandoned and their snapshots closed as interrupted.
    async fn run(
        &self,
        configs: &[ConnectorConfig],
        held: &mut HashMap<String, Held>,
        why: &str,
    ) -> bool {
        let runs: Vec<(&ConnectorConfig, RunContext)> = configs
            .iter()
            .map(|c| (c, RunContext::new(&c.retry)))
            .collect();
        let started: Vec<(String, String)> = runs
            .iter()
            .map(|(c, run)| (c.name.clone(), run.correlation_id.clone()))
            .collect();
        let all = futures_util::future::join_all(runs.into_iter().map(|(c, run)| {
            run_one(
                self.store,
                self.secrets,
                self.sessions,
                self.venue,
                c,
                None,
                run,
            )
        }));
        let results = tokio::select! {
            results = all => results,
            () = stopped(self.stop) => {
                self.close_interrupted(&started);
                return false;
            }
        };
        for (config, result) in configs.iter().zip(results) {
            let name = config.name.as_str();
            match result {
                Ok(report) => {
                    held.remove(name);
                    tracing::info!(connector = %report.connector, status = %report.snapshot.status, "{why} done");
                }
                Err(e) => {
                    let interval = std::time::Duration::from_secs(
                        u64::from(config.interval_minutes.max(MIN_INTERVAL_MINUTES)) * 60,
                    );
                    let h = held.entry(name.to_string()).or_insert_with(|| Held {
                        delays: retry_delays(interval),
                        retry_at: Utc::now(),
                    });
                    let wait = h.delays.next().unwrap_or(interval);
                    h.retry_at =
                        Utc::now() + Duration::from_std(wait).unwrap_or(Duration::minutes(5));
                    let failing = self.health.failed(
                        Task::Connectors,
                        &format!("connector {name}: {}", e.message),
                    );
                    tracing::error!(
                        connector = name,
                        error = %e,
                        failures = failing.failures,
                        failing_since = %failing.since,
                        "{why} of {name} failed: {e}; trying again in {:.0} s",
                        wait.as_secs_f64()
                    );
                }
            }
        }
        if held.is_empty() {
            self.health.recovered(Task::Connectors);
        }
        true
    }

    /// Closes the snapshots of runs abandoned at a stop (found by their correlation ids, so
    /// another process's run of the same connector is left alone): partial when they wrote
    /// something, failed otherwise; the next run starts again where they started.
    fn close_interrupted(&self, started: &[(String, String)]) {
        for (name, correlation_id) in started {
            let closed = (|| -> ApiResult<()> {
                let running = self
                    .store
                    .with(|s| s.running_snapshots(self.venue.id, name))?;
                for mut snapshot in running
                    .into_iter()
                    .filter(|s| &s.correlation_id == correlation_id)
                {
                    snapshot.status = if snapshot.records_written > 0 {
                        SnapshotStatus::Partial
                    } else {
                        SnapshotStatus::Failed
                    };
                    snapshot.error =
                        Some("interrupted: the console was stopped during this fetch".into());
                    snapshot.finished_at = Some(Utc::now());
                    save(self.store, &snapshot)?;
                }
                Ok(())
            })();
            if let Err(e) = closed {
                tracing::error!(connector = %name, error = %e, "could not close the run interrupted by the stop; the next run closes it");
            }
        }
    }
}

/// Names of connectors to fetch at once, from the app.
pub type FetchNowReceiver = tokio::sync::mpsc::UnboundedReceiver<String>;

/// The next requested connector; never resolves once the sender is gone (a closed channel
/// would otherwise resolve at once, forever, and spin the loop).
async fn next_request(channel: &mut Option<&mut FetchNowReceiver>) -> String {
    if let Some(receiver) = channel {
        if let Some(name) = receiver.recv().await {
            return name;
        }
    }
    *channel = None;
    std::future::pending().await
}

async fn run_all(
    store: &StoreHandle,
    secrets: Option<&dyn SecretStore>,
    sessions: &Sessions,
    venue: &Venue,
    configs: &[ConnectorConfig],
    since: Option<DateTime<Utc>>,
) -> ApiResult<Vec<FetchReport>> {
    let runs = configs.iter().map(|c| {
        let run = RunContext::new(&c.retry);
        run_one(store, secrets, sessions, venue, c, since, run)
    });
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .collect()
}
