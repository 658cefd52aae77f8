//! Sending a charge the screens took without holding the console: the charge is recorded (and
//! audited) through the console, then [`ChargeToSend::send`] posts it to the PMS on a connection
//! of its own. The app's screens share one console behind a lock; a PMS that answers slowly
//! must never keep every other screen waiting for that lock.

use super::charges::Outbox;
use crate::console::StoreHandle;
use crate::ApiResult;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use venue_domain::{ChargeState, Currency, PmsCharge, Venue};
use venue_http::http::RunContext;
use venue_pms::client::MewsClient;
use venue_pms::config::PmsConfig;

/// How long sending a charge waits for another sender that claimed it first (a sync, the
/// background loop) before answering with the charge as it is.
const OTHER_SENDER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What posting a charge to the PMS needs, apart from the store.
pub(crate) struct Delivery {
    pub venue: Venue,
    pub config: PmsConfig,
    pub client: MewsClient,
}

impl Delivery {
    /// Sends `charge` now on `store` (exactly once, under a claim: see the outbox) and returns
    /// it as stored afterwards. Sending is best effort: whatever happens, the charge is safe in
    /// the outbox, and one left pending goes out with the next sync.
    pub fn send(self, store: &StoreHandle, charge: PmsCharge) -> ApiResult<PmsCharge> {
        let outbox = Outbox {
            store,
            venue: self.venue,
            client: self.client,
            source: self.config.name.clone(),
            service_id: self.config.charge_service_id.clone(),
        };
        let run = RunContext::new(&self.config.retry);
        match crate::supervisor::runtime::shared()?.block_on(outbox.flush(&run, Some(charge.id))) {
            // Another sender claimed it first: give it a moment to finish, so the answer says
            // what happened to the charge.
            Ok(outcome) if outcome.busy > 0 => {
                let deadline = std::time::Instant::now() + OTHER_SENDER_WAIT;
                while store.with(|s| s.charge_claim(charge.id))?.is_some()
                    && std::time::Instant::now() < deadline
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "charge kept pending"),
        }
        let stored = store.with(|s| s.get::<PmsCharge>(charge.id))?;
        Ok(stored.unwrap_or(charge))
    }
}

/// A charge as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChargeView {
    pub id: Uuid,
    pub item: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub state: ChargeState,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// When staff posted it.
    pub created_at: Option<DateTime<Utc>>,
}

impl From<PmsCharge> for ChargeView {
    fn from(c: PmsCharge) -> Self {
        ChargeView {
            id: c.id,
            item: c.item,
            amount_minor: c.amount_minor,
            currency: c.currency,
            state: c.state,
            attempts: c.attempts,
            last_error: c.last_error,
            created_at: Some(c.requested_at),
        }
    }
}

/// A charge recorded in the outbox, to be sent to the PMS. It holds nothing of the console:
/// send it after letting go of the console (see the module's doc).
#[must_use = "the charge is recorded; send() posts it to the PMS now (else the next sync does)"]
pub struct ChargeToSend {
    pub(crate) charge: PmsCharge,
    /// None when the PMS cannot be reached now (its credentials are missing): the charge waits
    /// in the outbox for the next sync.
    pub(crate) delivery: Option<Delivery>,
    pub(crate) connection: StoreHandle,
}

impl ChargeToSend {
    /// Posts the charge to the PMS now and returns its state after this first attempt (pending
    /// when the PMS cannot be reached: it goes out with the next sync).
    pub fn send(self) -> ApiResult<ChargeView> {
        let Some(delivery) = self.delivery else {
            return Ok(self.charge.into());
        };
        let charge = delivery.send(&self.connection, self.charge)?;
        Ok(charge.into())
    }
}
