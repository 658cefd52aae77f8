//! The charge outbox: a charge is recorded locally first (pending) and sent to the PMS when it
//! can be reached. A sender claims each charge in the store before sending it (one write
//! transaction, so of any number of processes, screens and loops flushing at once exactly one
//! sends it) and re-reads it under the claim. The attempt count is saved before each post, so
//! after a crash or an ambiguous failure (a timeout, a 5xx, a lost reply) the next sender first
//! asks the PMS whether the earlier attempt landed — by the idempotency key carried in the order
//! item — and never posts twice.

use crate::console::StoreHandle;
use chrono::Utc;
use std::time::Duration;
use venue_domain::{new_id, ChargeState, PmsCharge, Venue};
use venue_http::http::{ConnectorError, RunContext};
use venue_pms::client::MewsClient;
use venue_store::{ChargeClaim, StoreError};

/// Who charge state changes made by the sync itself are audited as.
pub(crate) const SYNC_ACTOR: &str = "pms-sync";

/// How long one charge's send (the check for an earlier attempt, then the post) may take.
/// Past it the request is abandoned; the attempt was counted, so whoever sends next asks the
/// PMS first.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a sender's claim on a charge lasts: well past [`SEND_TIMEOUT`], so a live sender is
/// never overtaken; a sender that stopped mid-send (killed, crashed) lets another take over
/// after it.
pub(crate) const CLAIM_LEASE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChargeOutcome {
    pub sent: u64,
    pub failed: u64,
    /// Left pending: the PMS could not be reached, or its answer left it unclear whether the
    /// charge landed (the next attempt asks first).
    pub pending: u64,
    /// Being sent by another sender (another process, the app's screens or its background
    /// loop) during this pass: theirs to finish.
    pub busy: u64,
}

/// Whether an error means the PMS is out of reach, so every later charge would meet it too and
/// they wait for the next pass. Anything else (a refusal, an error answer about this charge, a
/// reply we cannot read) is this charge's own and never holds the others back.
fn out_of_reach(e: &ConnectorError) -> bool {
    match e {
        ConnectorError::Unreachable { .. }
        | ConnectorError::Timeout { .. }
        | ConnectorError::RateLimited { .. }
        | ConnectorError::VendorWait { .. }
        | ConnectorError::Unauthorized { .. }
        | ConnectorError::BudgetSpent { .. } => true,
        // Gateways and an overloaded or down service; a 500 may be about this one request.
        ConnectorError::Http { status, .. } => matches!(status, 408 | 502 | 503 | 504),
        ConnectorError::Malformed { .. } => false,
    }
}

/// Whether the PMS certainly did not act on the request (so the next attempt need not check
/// first), and whether it refused the charge for good.
fn classify(e: &ConnectorError) -> (bool, bool) {
    match e {
        // A 4xx answer other than timeout/throttling: the PMS read the request and refused it.
        ConnectorError::Http { status, .. } if (400..500).contains(status) && *status != 408 => {
            (true, true)
        }
        // Throttled (answered at once or asked to wait past what a run waits) or not let in:
        // the PMS did not act on the request.
        ConnectorError::RateLimited { .. }
        | ConnectorError::VendorWait { .. }
        | ConnectorError::Unauthorized { .. } => (true, false),
        _ => (false, false),
    }
}

/// Why a charge can never be posted: it fails for good, with this as its reason.
#[derive(Debug, thiserror::Error)]
enum Unpostable {
    #[error(
        "no PMS service to post charges to: set charge_service_id in [pms] or sync the PMS first"
    )]
    NoService,
    #[error("the reservation has no guest account in the PMS")]
    NoGuestAccount,
    #[error(transparent)]
    Refused(#[from] venue_pms::client::ChargeRefused),
}

/// Where one charge's send ended.
enum Step {
    Sent,
    Failed,
    /// Still pending; `out_of_reach` when the rest of this pass would fail the same way.
    Pending {
        out_of_reach: bool,
    },
    /// Our claim lapsed and another sender took the charge over: theirs now.
    Lost,
}

pub(crate) struct Outbox<'s> {
    pub store: &'s StoreHandle,
    pub venue: Venue,
    pub client: MewsClient,
    pub source: String,
    pub service_id: Option<String>,
}

impl Outbox<'_> {
    /// Saves the charge while `holder` still holds its claim; Ok(false) when it does not.
    fn save(
        &self,
        holder: &str,
        charge: &PmsCharge,
        action: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.store
            .with(|s| s.save_claimed_charge(holder, action.map(|a| (SYNC_ACTOR, a)), charge))
    }

    /// Sends every pending charge of this PMS (or only `only`), oldest first, each under a claim
    /// so no other sender posts it meanwhile. Stops at the first failure that says the PMS is
    /// out of reach; the rest wait for the next round. An error is the store's: the PMS's own
    /// failures are each charge's outcome. A transient one (`StoreError::is_transient`, a busy
    /// store) leaves the charges pending for the next pass.
    pub async fn flush(
        &self,
        run: &RunContext,
        only: Option<uuid::Uuid>,
    ) -> Result<ChargeOutcome, StoreError> {
        let pending = self
            .store
            .with(|s| s.charges(self.venue.id, Some(ChargeState::Pending), None))?;
        // Unique per pass: two passes of one process are two senders.
        let holder = format!("pid {} pass {}", std::process::id(), new_id());
        let mut outcome = ChargeOutcome::default();
        let mut unreachable = false;
        for listed in pending.into_iter().filter(|c| c.source == self.source) {
            if only.is_some_and(|id| id != listed.id) || unreachable {
                outcome.pending += 1;
                continue;
            }
            let claim = self
                .store
                .with(|s| s.claim_charge(listed.id, &holder, CLAIM_LEASE))?;
            let mut charge = match claim {
                ChargeClaim::Claimed { charge, taken_over } => {
                    if let Some(stopped) = taken_over {
                        tracing::warn!(charge = %charge.id, %stopped, "taking over a charge whose sender stopped mid-send");
                    }
                    charge
                }
                ChargeClaim::Busy { holder: other } => {
                    tracing::debug!(charge = %listed.id, %other, "another sender has this charge");
                    outcome.busy += 1;
                    continue;
                }
                // Sent or failed by another sender since the list was read.
                ChargeClaim::Settled(_) => continue,
                ChargeClaim::Elsewhere => continue,
            };
            let id = charge.id;
            let finished =
                tokio::time::timeout(SEND_TIMEOUT, self.send(run, &holder, &mut charge)).await;
            let step = match finished {
                Ok(step) => step,
                Err(_) => self.timed_out(&holder, id),
            };
            let released = self.store.with(|s| s.release_charge(id, &holder));
            match step? {
                Step::Sent => outcome.sent += 1,
                Step::Failed => outcome.failed += 1,
                Step::Pending { out_of_reach } => {
                    outcome.pending += 1;
                    unreachable = out_of_reach;
                }
                Step::Lost => outcome.busy += 1,
            }
            released?;
        }
        Ok(outcome)
    }

    /// A send that took longer than [`SEND_TIMEOUT`] was abandoned: say so on the charge as
    /// stored (its attempt, if it got that far, was counted before the post).
    fn timed_out(&self, holder: &str, id: uuid::Uuid) -> Result<Step, StoreError> {
        tracing::warn!(charge = %id, "sending a charge took too long; abandoned");
        let stored = self.store.with(|s| s.get::<PmsCharge>(id))?;
        let Some(mut charge) = stored else {
            return Ok(Step::Lost);
        };
        charge.last_error = Some(format!(
            "no answer within {} s; the PMS is asked whether it landed before any re-send",
            SEND_TIMEOUT.as_secs()
        ));
        if !self.save(holder, &charge, None)? {
            return Ok(Step::Lost);
        }
        Ok(Step::Pending { out_of_reach: true })
    }

    async fn send(
        &self,
        run: &RunContext,
        holder: &str,
        charge: &mut PmsCharge,
    ) -> Result<Step, StoreError> {
        if charge.attempts > 0 {
            // An earlier attempt may have landed: look before posting again.
            match self
                .client
                .find_charge(run, &charge.reservation_external_id, &charge.id.to_string())
                .await
            {
                Ok(Some(order)) => {
                    tracing::info!(charge = %charge.id, "an earlier attempt had landed; not posting again");
                    return self.mark_sent(holder, charge, order);
                }
                Ok(None) => {}
                Err(e) => {
                    charge.last_error = Some(format!("could not check an earlier attempt: {e}"));
                    if !self.save(holder, charge, None)? {
                        return Ok(Step::Lost);
                    }
                    return Ok(Step::Pending {
                        out_of_reach: out_of_reach(&e),
                    });
                }
            }
        }
        let (service, account) = match self.targets(charge)? {
            Ok(targets) => targets,
            Err(refused) => return self.mark_failed(holder, charge, refused.to_string()),
        };
        charge.attempts += 1;
        charge.last_error = None;
        // Saved before the post: a crash after it must lead to a check, never a blind repost.
        if !self.save(holder, charge, None)? {
            return Ok(Step::Lost);
        }
        match self
            .client
            .add_charge(run, charge, &service, &account)
            .await
        {
            Ok(order) => self.mark_sent(holder, charge, order),
            Err(e) => {
                let (not_acted, refused) = classify(&e);
                if refused {
                    tracing::warn!(charge = %charge.id, error = %e, "the PMS refused a charge");
                    return self.mark_failed(holder, charge, e.to_string());
                }
                if not_acted {
                    // Nothing landed: the next attempt need not check first.
                    charge.attempts -= 1;
                }
                charge.last_error = Some(format!("{e}; will retry"));
                if !self.save(holder, charge, None)? {
                    return Ok(Step::Lost);
                }
                tracing::warn!(charge = %charge.id, error = %e, "charge not sent yet");
                Ok(Step::Pending {
                    out_of_reach: out_of_reach(&e),
                })
            }
        }
    }

    /// The PMS service and guest account the charge is posted to, with the request checked
    /// before anything is sent; the inner `Err` when the PMS could never take the charge.
    fn targets(
        &self,
        charge: &PmsCharge,
    ) -> Result<Result<(String, String), Unpostable>, StoreError> {
        let (service, account) = self.store.with(|store| {
            let service = match &self.service_id {
                Some(id) => Some(id.clone()),
                None => store.additional_service(self.venue.id, &self.source)?,
            };
            let reservation = store.get::<venue_domain::Reservation>(charge.reservation_id)?;
            let account = match &reservation {
                Some(r) => store.customer_of(r)?.map(|c| c.external_id),
                None => None,
            };
            Ok::<_, StoreError>((service, account))
        })?;
        let (service, account) = match (service, account) {
            (None, _) => return Ok(Err(Unpostable::NoService)),
            (_, None) => return Ok(Err(Unpostable::NoGuestAccount)),
            (Some(s), Some(a)) => (s, a),
        };
        // An amount or item the PMS can never take (rows queued before the checks at entry).
        if let Err(refused) = self.client.charge_request(charge, &service, &account) {
            return Ok(Err(refused.into()));
        }
        Ok(Ok((service, account)))
    }

    /// Fails a charge for good, with the reason (which raises the `pms.charge_failed` alert).
    fn mark_failed(
        &self,
        holder: &str,
        charge: &mut PmsCharge,
        why: String,
    ) -> Result<Step, StoreError> {
        charge.state = ChargeState::Failed;
        charge.last_error = Some(why);
        if !self.save(holder, charge, Some("pms.charge.failed"))? {
            return Ok(Step::Lost);
        }
        Ok(Step::Failed)
    }

    fn mark_sent(
        &self,
        holder: &str,
        charge: &mut PmsCharge,
        order: String,
    ) -> Result<Step, StoreError> {
        charge.state = ChargeState::Sent;
        charge.external_order_id = Some(order);
        charge.sent_at = Some(Utc::now());
        charge.last_error = None;
        if !self.save(holder, charge, Some("pms.charge.sent"))? {
            return Ok(Step::Lost);
        }
        Ok(Step::Sent)
    }
}
