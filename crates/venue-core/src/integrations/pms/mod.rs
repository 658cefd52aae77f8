//! The PMS (Mews) in the console: `venue pms sync` (one pass), the live mirror that `venue run`
//! keeps (websocket events, gap-fill after every reconnect, polling while the socket is down),
//! charges posted to stays exactly once, and front-desk notes that PMS updates never touch.

mod charges;
mod live;
mod mirror;
mod sending;

pub use charges::ChargeOutcome;
pub(crate) use live::pms_live;
pub use live::{LiveReport, SocketStatus};
pub use mirror::MirrorCounts;
pub use sending::ChargeToSend;
pub use sending::ChargeView;

use crate::console::StoreHandle;
use crate::{ApiError, ApiResult, Console, ErrorCode};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::cell::RefCell;
use venue_domain::text::{printable, CHARGE_ITEM, DESK_NOTE};
use venue_domain::{
    new_id, parse_decimal_minor, ChargeState, Currency, DeskNote, PmsCharge, ReservationState,
    Snapshot, SnapshotStatus, Venue,
};
use venue_http::breaker::{BreakerSnapshot, CircuitBreaker};
use venue_http::fetch::FetchError;
use venue_http::http::RunContext;
use venue_http::metrics::MetricsSnapshot;
use venue_http::secrets::{resolve, SecretStore};
use venue_pms::client::{MewsClient, MewsCredentials};
use venue_pms::config::PmsConfig;

/// What `venue pms sync` did.
#[derive(Debug, Clone, Serialize)]
pub struct PmsSyncReport {
    pub connector: String,
    pub snapshot: Snapshot,
    pub records: MirrorCounts,
    pub charges: ChargeOutcome,
    pub breaker: BreakerSnapshot,
    pub metrics: MetricsSnapshot,
}

pub(crate) fn credentials(
    secrets: Option<&dyn SecretStore>,
    config: &PmsConfig,
) -> ApiResult<MewsCredentials> {
    let get = |suffix: &str| {
        resolve(secrets, &format!("{}-{suffix}", config.name))
            .map_err(|e| ApiError::bad_input(e.to_string()))
    };
    Ok(MewsCredentials {
        client_token: get("client-token")?,
        access_token: get("access-token")?,
    })
}

pub(crate) fn save_snapshot(store: &StoreHandle, snapshot: &Snapshot) -> ApiResult<()> {
    store.with(|s| {
        s.ingest(
            venue_domain::Origin::Pms,
            None,
            std::slice::from_ref(snapshot),
        )
    })?;
    Ok(())
}

/// How long a running PMS snapshot's lease lasts, and how often its owner renews it: a run whose
/// owner stopped (killed, crashed) is closed as interrupted by the next pull after the lease.
const RUN_LEASE: std::time::Duration = std::time::Duration::from_secs(90);
const RUN_RENEW: std::time::Duration = std::time::Duration::from_secs(20);

/// This process's running PMS snapshots (its pulls and its socket connection) and their leases
/// in the store, renewed by [`RunLeases::keep_alive`] beside the work, so that neither another
/// pull of this process nor another process's `pms sync` closes them as interrupted.
pub(crate) struct RunLeases {
    holder: String,
    running: RefCell<std::collections::BTreeSet<uuid::Uuid>>,
}

impl RunLeases {
    pub fn new() -> Self {
        RunLeases {
            holder: format!("pid {}", std::process::id()),
            running: RefCell::default(),
        }
    }

    /// Leases a run that is running here from now on (call before saving it as running, so it
    /// is never seen running without a lease).
    pub fn hold(&self, store: &StoreHandle, run: uuid::Uuid) -> ApiResult<()> {
        store.with(|s| s.lease_run(run, &self.holder, RUN_LEASE))?;
        self.running.borrow_mut().insert(run);
        Ok(())
    }

    /// Stops renewing a run that ended (saving it closed ends its lease in the store).
    pub fn end(&self, run: uuid::Uuid) {
        self.running.borrow_mut().remove(&run);
    }

    /// Renews the held leases every [`RUN_RENEW`], for as long as it is polled: run it beside
    /// the work (select or join), never instead of it.
    pub async fn keep_alive(&self, store: &StoreHandle) -> std::convert::Infallible {
        loop {
            tokio::time::sleep(RUN_RENEW).await;
            let running: Vec<uuid::Uuid> = self.running.borrow().iter().copied().collect();
            for run in running {
                if let Err(e) = store.with(|s| s.lease_run(run, &self.holder, RUN_LEASE)) {
                    tracing::warn!(error = %e, %run, "could not renew a PMS run's lease");
                }
            }
        }
    }
}

/// Closes runs left "running" by a process that stopped (no live lease), so they neither block
/// nor mislead; runs whose owner is alive, here or in another process, are left alone.
pub(crate) fn close_stale_runs(store: &StoreHandle, venue: &Venue, name: &str) -> ApiResult<()> {
    let closed = store.with(|s| {
        s.close_abandoned_runs(
            venue_domain::Origin::Pms,
            venue.id,
            name,
            "interrupted: the process stopped during this run",
        )
    })?;
    for run in closed {
        tracing::warn!(snapshot = %run.id, started_at = %run.started_at, "closed a PMS run whose process had stopped");
    }
    Ok(())
}

/// Marks, in a pull's cursor, a pull that also read the stays on the books.
const STAYS_MARK: &str = " stays:";

/// What one pull reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PullPlan {
    /// Reservations and guests changed since then (`UpdatedUtc`).
    pub from: DateTime<Utc>,
    /// Every stay whose dates overlap this window, however long ago it was booked or last
    /// changed (`CollidingUtc`): on the first pull, on a full one, and on the first pull of a
    /// console that synced before stays were read this way. Changes reach later pulls by
    /// `UpdatedUtc`.
    pub stays: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// A note for the snapshot (a mark ahead of the clock that was passed over).
    pub note: Option<String>,
}

impl PullPlan {
    /// The snapshot's cursor: where the pull started, and the stays it read.
    pub fn cursor(&self) -> String {
        let mut cursor = format!("pull:{}", self.from.to_rfc3339());
        if let Some((start, end)) = self.stays {
            cursor.push_str(&format!(
                "{STAYS_MARK}{}/{}",
                start.to_rfc3339(),
                end.to_rfc3339()
            ));
        }
        cursor
    }
}

/// What a pull at `now` reads. An incremental pull starts at the last complete run's mark minus
/// the overlap, passing over (and noting) marks ahead of the clock, which would leave the window
/// empty; the first and a full one reach `first_sync_days` back and read the stays on the books.
pub(crate) fn plan_pull(
    store: &StoreHandle,
    venue: &Venue,
    config: &PmsConfig,
    full: bool,
    now: DateTime<Utc>,
) -> ApiResult<PullPlan> {
    let first = now - Duration::days(i64::from(config.first_sync_days));
    let stays = Some(config.stay_window(now));
    if full {
        return Ok(PullPlan {
            from: first,
            stays,
            note: None,
        });
    }
    let resume = store.with(|s| {
        crate::integrations::pos::resume_point(s, venue, &config.name, config.overlap_minutes, now)
    })?;
    let stays_read = store
        .with(|s| s.first_run_marked(venue.id, &config.name, STAYS_MARK))?
        .is_some();
    Ok(PullPlan {
        from: resume.from.map_or(first, |from| from.max(first)),
        stays: stays.filter(|_| resume.from.is_none() || !stays_read),
        note: resume.note,
    })
}

pub(crate) fn restore_breaker(
    store: &StoreHandle,
    venue: &Venue,
    config: &PmsConfig,
) -> ApiResult<CircuitBreaker> {
    let saved = store
        .with(|s| s.connector_states(venue.id))?
        .into_iter()
        .find(|s| s.connector == config.name);
    Ok(CircuitBreaker::restore(
        config.breaker,
        saved
            .and_then(|s| serde_json::from_value::<BreakerSnapshot>(s.breaker).ok())
            .unwrap_or_default(),
    ))
}

pub(crate) fn save_state(
    store: &StoreHandle,
    venue: &Venue,
    config: &PmsConfig,
    breaker: &CircuitBreaker,
    metrics: &MetricsSnapshot,
    socket: &SocketStatus,
) -> ApiResult<()> {
    let metrics = serde_json::json!({ "http": metrics, "socket": socket });
    let breaker = serde_json::to_value(breaker.snapshot())?;
    store.with(|s| s.save_connector_state(venue.id, &config.name, &breaker, Some(&metrics)))?;
    Ok(())
}

/// One pull of everything modified since the last one (or `config.first_sync_days` with
/// `full`), as a snapshot; the breaker and metrics are updated and kept.
pub(crate) async fn pull_once(
    mirror: &mut mirror::Mirror<'_>,
    breaker: &mut CircuitBreaker,
    config: &PmsConfig,
    full: bool,
) -> ApiResult<(Snapshot, MirrorCounts)> {
    let store = mirror.store;
    let venue = mirror.venue.clone();
    close_stale_runs(store, &venue, &config.name)?;
    let run = RunContext::new(&config.retry);
    let until = Utc::now();
    let plan = plan_pull(store, &venue, config, full, until)?;
    let mut snapshot = Snapshot {
        id: new_id(),
        venue_id: venue.id,
        connector: config.name.clone(),
        correlation_id: run.correlation_id.clone(),
        started_at: until,
        finished_at: None,
        status: SnapshotStatus::Running,
        error: None,
        records_seen: 0,
        records_written: 0,
        high_water_mark: None,
        cursor: Some(plan.cursor()),
    };
    mirror.leases.hold(store, snapshot.id)?;
    save_snapshot(store, &snapshot)?;
    let span = tracing::info_span!("pms_pull", connector = %config.name, correlation_id = %run.correlation_id);
    let _enter = span.enter();
    mirror.first_rejection = None;
    let outcome: Result<MirrorCounts, FetchError> = match breaker.check(Utc::now()) {
        Err(retry_at) => Err(FetchError::Setup(format!(
            "circuit breaker open until {}",
            retry_at.format("%Y-%m-%d %H:%M:%S UTC")
        ))),
        Ok(_) => {
            mirror
                .pull(&run, snapshot.id, (plan.from, until), plan.stays)
                .await
        }
    };
    let now = Utc::now();
    snapshot.finished_at = Some(now);
    let counts = match &outcome {
        Ok(c) => *c,
        Err(_) => MirrorCounts::default(),
    };
    snapshot.records_seen = counts.seen;
    snapshot.records_written = counts.written;
    match &outcome {
        Ok(c) if c.rejected > 0 => {
            snapshot.status = SnapshotStatus::Partial;
            snapshot.high_water_mark = Some(until);
            snapshot.error = Some(format!(
                "{} records could not be read; first: {}",
                c.rejected,
                mirror.first_rejection.clone().unwrap_or_default()
            ));
        }
        Ok(_) => {
            snapshot.status = SnapshotStatus::Ok;
            snapshot.high_water_mark = Some(until);
        }
        Err(e) => {
            // A vendor asking us to come back later (longer than a pass waits) ends the pass
            // partial, its wait named in the error.
            let vendor_wait = matches!(e, FetchError::Connector(c) if c.vendor_wait().is_some());
            snapshot.status = if vendor_wait {
                SnapshotStatus::Partial
            } else {
                SnapshotStatus::Failed
            };
            snapshot.error = Some(e.to_string());
        }
    }
    if let Some(note) = plan.note {
        snapshot.error = Some(match snapshot.error.take() {
            Some(e) => format!("{e}; {note}"),
            None => note,
        });
    }
    let transition = match &outcome {
        Ok(_) => breaker.on_success(now),
        // Only the vendor's failures count (see `ConnectorError::is_vendor_fault`).
        Err(FetchError::Connector(e)) if e.is_vendor_fault() => {
            breaker.on_failure(now, &e.to_string())
        }
        Err(_) => None,
    };
    if let Some(t) = transition {
        tracing::warn!(from = ?t.from, to = ?t.to, "PMS circuit breaker changed state");
    }
    // No renewals from here: saved closed, the run ends its lease; unsaved, the lease lapses.
    mirror.leases.end(snapshot.id);
    save_snapshot(store, &snapshot)?;
    tracing::info!(status = %snapshot.status, seen = counts.seen, written = counts.written, "PMS pull finished");
    Ok((snapshot, counts))
}

impl Console {
    /// The `[pms]` block of venue.toml, or a clear error when there is none.
    pub fn pms_config(&self) -> ApiResult<PmsConfig> {
        self.config.pms.clone().ok_or_else(|| {
            ApiError::bad_input("no PMS is configured: add a [pms] block to venue.toml")
        })
    }

    /// One pass: pull what changed since the last pull (everything within
    /// `first_sync_days` with `full`), then send pending charges.
    pub fn pms_sync(&mut self, full: bool) -> ApiResult<PmsSyncReport> {
        let venue = self.venue()?;
        let config = self.pms_config()?;
        let creds = credentials(self.secrets.as_deref(), &config)?;
        let client =
            MewsClient::new(&config, creds).map_err(|e| ApiError::bad_input(e.to_string()))?;
        let store = self.side.fork();
        let leases = RunLeases::new();
        let pass = async {
            let mut breaker = restore_breaker(&store, &venue, &config)?;
            let mut mirror =
                mirror::Mirror::new(&store, &leases, venue.clone(), client.clone(), &config.name);
            let (snapshot, records) = pull_once(&mut mirror, &mut breaker, &config, full).await?;
            let outbox = charges::Outbox {
                store: &store,
                venue: venue.clone(),
                client: client.clone(),
                source: config.name.clone(),
                service_id: config.charge_service_id.clone(),
            };
            let run = RunContext::new(&config.retry);
            let charges = if snapshot.status == SnapshotStatus::Failed {
                ChargeOutcome {
                    pending: store
                        .with(|s| s.charges(venue.id, Some(ChargeState::Pending), None))?
                        .len() as u64,
                    ..Default::default()
                }
            } else {
                // A busy store comes back as StoreBusy (retryable), damage as StoreDamaged.
                outbox.flush(&run, None).await?
            };
            let metrics = client.metrics().snapshot();
            let socket = store
                .with(|s| s.connector_states(venue.id))?
                .into_iter()
                .find(|s| s.connector == config.name)
                .and_then(|s| s.metrics)
                .and_then(|m| serde_json::from_value::<SocketStatus>(m["socket"].clone()).ok())
                .unwrap_or_default();
            save_state(&store, &venue, &config, &breaker, &metrics, &socket)?;
            Ok(PmsSyncReport {
                connector: config.name.clone(),
                snapshot,
                records,
                charges,
                breaker: breaker.snapshot().clone(),
                metrics,
            })
        };
        crate::supervisor::runtime::shared()?.block_on(async {
            tokio::select! {
                report = pass => report,
                never = leases.keep_alive(&store) => match never {},
            }
        })
    }

    /// Records a charge to a stay (by our id, the PMS's id or the confirmation number), audited,
    /// then tries to send it at once. Offline it stays pending and goes out with the next sync.
    pub fn pms_charge(
        &mut self,
        reservation: &str,
        amount: &str,
        currency: &str,
        item: &str,
    ) -> ApiResult<PmsCharge> {
        let (charge, delivery) = self.record_pms_charge(reservation, amount, currency, item)?;
        match delivery {
            Some(delivery) => delivery.send(&self.side, charge),
            None => Ok(charge),
        }
    }

    /// Records a charge in the outbox, audited, after checking everything the PMS would: what
    /// sending it needs comes back beside it (None when the PMS cannot be reached now; it then
    /// waits for the next sync).
    pub(crate) fn record_pms_charge(
        &mut self,
        reservation: &str,
        amount: &str,
        currency: &str,
        item: &str,
    ) -> ApiResult<(PmsCharge, Option<sending::Delivery>)> {
        let venue = self.venue()?;
        let config = self.pms_config()?;
        // Everything is checked before anything is stored: a charge the PMS could never take
        // is refused here, naming the field, rather than failing later.
        let currency = Currency::parse_tender(currency)?;
        let amount_minor = parse_decimal_minor(amount.trim(), currency)
            .map_err(|e| ApiError::bad_input(format!("amount {:?}: {e}", printable(amount))))?;
        venue_pms::money::check_charge_amount(amount_minor, currency)
            .map_err(|e| ApiError::bad_input(format!("amount {:?}: {e}", printable(amount))))?;
        let item = CHARGE_ITEM.clean(item)?;
        let stay = self
            .store
            .find_reservation(venue.id, reservation)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("no reservation {reservation:?} (by id or number)"),
                )
            })?;
        if stay.source != config.name {
            return Err(ApiError::bad_input(format!(
                "reservation {reservation:?} is not from the PMS {:?} (its source is {:?})",
                config.name, stay.source
            )));
        }
        if stay.state == ReservationState::Canceled {
            return Err(ApiError::bad_input(format!(
                "reservation {reservation:?} is canceled"
            )));
        }
        let charge = PmsCharge {
            id: new_id(),
            venue_id: venue.id,
            source: config.name.clone(),
            reservation_id: stay.id,
            reservation_external_id: stay.external_id.clone(),
            item,
            amount_minor,
            currency,
            state: ChargeState::Pending,
            attempts: 0,
            last_error: None,
            external_order_id: None,
            requested_by: self.actor().to_string(),
            requested_at: Utc::now(),
            sent_at: None,
        };
        let actor = self.actor().to_string();
        self.store
            .save_by_user(&actor, "pms.charge.create", &charge)?;
        let delivery = credentials(self.secrets.as_deref(), &config)
            .and_then(|c| {
                MewsClient::new(&config, c).map_err(|e| ApiError::bad_input(e.to_string()))
            })
            .inspect_err(|e| {
                tracing::warn!(error = %e.message, "charge kept pending until the PMS can be reached")
            })
            .ok()
            .map(|client| sending::Delivery {
                venue,
                config,
                client,
            });
        Ok((charge, delivery))
    }

    /// Charges posted to stays, oldest first (only those in `state` when given).
    pub fn pms_charges(&self, state: Option<ChargeState>) -> ApiResult<Vec<PmsCharge>> {
        let venue = self.venue()?;
        Ok(self.store.charges(venue.id, state, None)?)
    }

    /// Sets the front-desk note on a reservation. The text is checked like all free text
    /// (`venue_domain::text`): empty or whitespace-only text is refused (use
    /// [`Self::clear_desk_note`]), and so are control characters, escapes and bidi overrides.
    pub fn set_desk_note(&mut self, reservation: &str, text: &str) -> ApiResult<DeskNote> {
        let text = DESK_NOTE.clean(text)?;
        self.write_desk_note(reservation, text)
    }

    /// Clears the front-desk note on a reservation (kept as an empty note, so the clearing
    /// syncs like any edit); `None` when there was none.
    pub fn clear_desk_note(&mut self, reservation: &str) -> ApiResult<Option<DeskNote>> {
        let venue = self.venue()?;
        let stay = self.stay(&venue, reservation)?;
        if self.store.desk_note(stay.id)?.is_none() {
            return Ok(None);
        }
        self.write_desk_note(reservation, String::new()).map(Some)
    }

    fn stay(&self, venue: &Venue, reservation: &str) -> ApiResult<venue_domain::Reservation> {
        self.store
            .find_reservation(venue.id, reservation)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("no reservation {reservation:?} (by id or number)"),
                )
            })
    }

    fn write_desk_note(&mut self, reservation: &str, text: String) -> ApiResult<DeskNote> {
        let venue = self.venue()?;
        let stay = self.stay(&venue, reservation)?;
        let note = DeskNote {
            // One note per reservation, with the same id on every console.
            id: venue_domain::natural::desk_note(stay.id),
            venue_id: venue.id,
            reservation_id: stay.id,
            text,
            written_by: self.actor().to_string(),
            written_at: Utc::now(),
        };
        let actor = self.actor().to_string();
        self.store.save_by_user(&actor, "reservation.note", &note)?;
        Ok(note)
    }

    /// The front-desk note on a reservation, if any.
    pub fn desk_note(&self, reservation: &str) -> ApiResult<Option<DeskNote>> {
        let venue = self.venue()?;
        let stay = self
            .store
            .find_reservation(venue.id, reservation)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("no reservation {reservation:?} (by id or number)"),
                )
            })?;
        Ok(self.store.desk_note(stay.id)?)
    }
}
