//! Syncing with the hub (`venue-hub`): joining it with a one-time code, one push-and-pull pass,
//! and where the console stands. The device token is a secret (`hub_token`, in the OS keyring
//! or `VENUE_SECRET_HUB_TOKEN`); the hub's address and how syncs went are kept in the store.

mod client;
mod enrol;
mod error;
mod exchange;
mod live;
mod pass;
mod restore;
mod status;
mod task;

pub use client::{parse_hub_url, Answer, HubClient};
pub use enrol::{JoinReport, LeaveReport};
pub use error::SyncError;
pub use exchange::HubExchange;
pub(crate) use pass::sync_pass;
pub use pass::SyncReport;
pub use restore::{
    NotRestored, PendingElsewhere, RestoreEvent, RestoreProgress, RestoreReport, NOT_RESTORED,
};
pub use status::SyncStatus;
pub(crate) use task::hub_live;

use crate::{ApiResult, Console, Role};
use venue_http::secrets::{resolve, Secret, SecretError, SecretStore};
use venue_store::HUB_PEER;

/// The secret the device token is kept under.
pub const HUB_TOKEN_SECRET: &str = "hub_token";

impl Console {
    /// One push-and-pull pass with the hub this console joined. Its success or failure is
    /// remembered for [`Console::sync_status`].
    pub fn sync_now(&mut self) -> ApiResult<SyncReport> {
        self.authorize(Role::Staff)?;
        let state = self.store.hub_state()?;
        let url = state.url.ok_or(SyncError::NotJoined)?;
        let outcome = self.hub_client(&url).and_then(|client| {
            let store = self.side.clone();
            crate::supervisor::runtime::shared()?
                .block_on(async move { sync_pass(&store, &client).await })
        });
        match outcome {
            Ok(report) => {
                self.store.record_sync_success(report.clock_skew_ms)?;
                Ok(report)
            }
            Err(e) => {
                if let Err(not_recorded) = self.store.record_sync_error(&e.to_string()) {
                    tracing::warn!(error = %not_recorded, "the sync failure could not be recorded");
                }
                Err(e.into())
            }
        }
    }

    /// Where this console stands with its hub.
    pub fn sync_status(&self) -> ApiResult<SyncStatus> {
        self.authorize(Role::Staff)?;
        let state = self.store.hub_state()?;
        let backlog = self.store.backlog(HUB_PEER)?;
        Ok(SyncStatus::from_state(
            state,
            backlog,
            chrono::Utc::now().timestamp_millis(),
        ))
    }

    /// A client of the hub at `url` with this console's device token.
    pub(crate) fn hub_client(&self, url: &str) -> Result<HubClient, SyncError> {
        let token = resolve_token(self.secrets.as_deref())?;
        HubClient::new(url, Some(token))
    }
}

/// The device token: `VENUE_SECRET_HUB_TOKEN`, else the OS keyring.
fn resolve_token(secrets: Option<&dyn SecretStore>) -> Result<Secret, SyncError> {
    resolve(secrets, HUB_TOKEN_SECRET).map_err(|e| match e {
        SecretError::Missing { env, .. } => SyncError::NoToken(format!(
            "it is neither in the OS keyring nor in {env}: run `venue hub join` again"
        )),
        SecretError::Unavailable(why) => SyncError::NoToken(why),
    })
}
