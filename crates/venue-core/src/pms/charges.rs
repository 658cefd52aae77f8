//! The charge outbox: a charge is recorded locally first (pending) and sent to the PMS when it
//! can be reached. The attempt count is saved before each post, so after a crash or an
//! ambiguous failure (a timeout, a 5xx, a lost reply) we first ask the PMS whether the earlier
//! attempt landed — by the idempotency key carried in the order item — and never post twice.

use chrono::Utc;
use std::cell::RefCell;
use venue_connectors::http::{ConnectorError, RunContext};
use venue_domain::{ChargeState, Origin, PmsCharge, Venue};
use venue_pms::client::MewsClient;
use venue_store::Store;

/// Who charge state changes made by the sync itself are audited as.
pub(crate) const SYNC_ACTOR: &str = "pms-sync";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChargeOutcome {
    pub sent: u64,
    pub failed: u64,
    pub pending: u64,
}

/// Whether the PMS certainly did not act on the request (so a retry cannot double-post and
/// no check is needed), and whether it refused for good.
fn classify(e: &ConnectorError) -> (bool, bool) {
    match e {
        // A 4xx answer other than timeout/throttling: the PMS read the request and refused it.
        ConnectorError::Http { status, .. } if (400..500).contains(status) && *status != 408 => {
            (true, true)
        }
        ConnectorError::RateLimited { .. } | ConnectorError::Unauthorized { .. } => (true, false),
        _ => (false, false),
    }
}

pub(crate) struct Outbox<'s, 'a> {
    pub store: &'s RefCell<&'a mut Store>,
    pub venue: Venue,
    pub client: MewsClient,
    pub source: String,
    pub service_id: Option<String>,
}

impl Outbox<'_, '_> {
    fn save(&self, charge: &PmsCharge, action: Option<&str>) -> Result<(), String> {
        let mut store = self.store.borrow_mut();
        let result = match action {
            Some(action) => store
                .save_audited(Origin::Pms, SYNC_ACTOR, action, charge)
                .map(|_| ()),
            None => store
                .ingest(Origin::Pms, None, std::slice::from_ref(charge))
                .map(|_| ()),
        };
        result.map_err(|e| e.to_string())
    }

    /// Sends every pending charge of this PMS (or only `only`), oldest first. Stops at the
    /// first failure that says the PMS is out of reach; the rest wait for the next round.
    pub async fn flush(
        &self,
        run: &RunContext,
        only: Option<uuid::Uuid>,
    ) -> Result<ChargeOutcome, String> {
        let pending = self
            .store
            .borrow()
            .charges(self.venue.id, Some(ChargeState::Pending), None)
            .map_err(|e| e.to_string())?;
        let mut outcome = ChargeOutcome::default();
        let mut unreachable = false;
        for mut charge in pending.into_iter().filter(|c| c.source == self.source) {
            if only.is_some_and(|id| id != charge.id) || unreachable {
                outcome.pending += 1;
                continue;
            }
            match self.send(run, &mut charge).await? {
                ChargeState::Sent => outcome.sent += 1,
                ChargeState::Failed => outcome.failed += 1,
                ChargeState::Pending => {
                    outcome.pending += 1;
                    unreachable = true;
                }
            }
        }
        Ok(outcome)
    }

    async fn send(&self, run: &RunContext, charge: &mut PmsCharge) -> Result<ChargeState, String> {
        if charge.attempts > 0 {
            // An earlier attempt may have landed: look before posting again.
            match self
                .client
                .find_charge(run, &charge.reservation_external_id, &charge.id.to_string())
                .await
            {
                Ok(Some(order)) => {
                    tracing::info!(charge = %charge.id, "an earlier attempt had landed; not posting again");
                    return self.mark_sent(charge, order);
                }
                Ok(None) => {}
                Err(e) => {
                    charge.last_error = Some(format!("could not check an earlier attempt: {e}"));
                    self.save(charge, None)?;
                    return Ok(ChargeState::Pending);
                }
            }
        }
        let Some((service, account)) = self.targets(charge)? else {
            return Ok(charge.state);
        };
        charge.attempts += 1;
        charge.last_error = None;
        // Saved before the post: a crash after it must lead to a check, never a blind repost.
        self.save(charge, None)?;
        match self
            .client
            .add_charge(run, charge, &service, &account)
            .await
        {
            Ok(order) => self.mark_sent(charge, order),
            Err(e) => {
                let (not_acted, refused) = classify(&e);
                if refused {
                    charge.state = ChargeState::Failed;
                    charge.last_error = Some(e.to_string());
                    self.save(charge, Some("pms.charge.failed"))?;
                    tracing::warn!(charge = %charge.id, error = %e, "the PMS refused a charge");
                    return Ok(ChargeState::Failed);
                }
                if not_acted {
                    // Nothing landed: the next attempt need not check first.
                    charge.attempts -= 1;
                }
                charge.last_error = Some(format!("{e}; will retry"));
                self.save(charge, None)?;
                tracing::warn!(charge = %charge.id, error = %e, "charge not sent yet");
                Ok(ChargeState::Pending)
            }
        }
    }

    /// The PMS service and guest account the charge is posted to; a charge that cannot have
    /// them fails with the reason.
    fn targets(&self, charge: &mut PmsCharge) -> Result<Option<(String, String)>, String> {
        let store = self.store.borrow();
        let service = match &self.service_id {
            Some(id) => Some(id.clone()),
            None => store
                .additional_service(self.venue.id, &self.source)
                .map_err(|e| e.to_string())?,
        };
        let reservation = store
            .get::<venue_domain::Reservation>(charge.reservation_id)
            .map_err(|e| e.to_string())?;
        let account = match &reservation {
            Some(r) => store
                .customer_of(r)
                .map_err(|e| e.to_string())?
                .map(|c| c.external_id),
            None => None,
        };
        drop(store);
        let why = match (&service, &account) {
            (None, _) => "no PMS service to post charges to: set charge_service_id in [pms] or sync the PMS first",
            (_, None) => "the reservation has no guest account in the PMS",
            (Some(s), Some(a)) => return Ok(Some((s.clone(), a.clone()))),
        };
        charge.state = ChargeState::Failed;
        charge.last_error = Some(why.to_string());
        self.save(charge, Some("pms.charge.failed"))?;
        Ok(None)
    }

    fn mark_sent(&self, charge: &mut PmsCharge, order: String) -> Result<ChargeState, String> {
        charge.state = ChargeState::Sent;
        charge.external_order_id = Some(order);
        charge.sent_at = Some(Utc::now());
        charge.last_error = None;
        self.save(charge, Some("pms.charge.sent"))?;
        Ok(ChargeState::Sent)
    }
}
