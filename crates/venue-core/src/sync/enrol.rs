//! Joining a hub with a one-time code, and leaving it. Joining exchanges the code for a device
//! token (kept in the OS keyring, never in the store), takes the hub's venue id for everything
//! this console wrote (`Store::join_venue`) and the hub's name, time zone and currency for its
//! venue, so the venue's consoles agree. Leaving forgets the hub and the token; the data stays.

use super::client::HubClient;
use super::error::SyncError;
use super::HUB_TOKEN_SECRET;
use crate::{ApiResult, Console, Role};
use serde::Serialize;
use uuid::Uuid;
use venue_domain::wire::{EnrollRequest, HubVenue};
use venue_http::secrets::env_var_name;
use venue_store::RekeySummary;

/// What joining did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JoinReport {
    pub hub_url: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub venue_id: Uuid,
    pub venue_name: String,
    /// Where the device token went: "os_keyring", or "environment" when this console has no
    /// keyring and the token must be set in `token_env` for its syncs.
    pub token_stored_in: String,
    pub token_env: String,
    /// Only when the token could not be stored: the value to set in `token_env` (shown once).
    pub token_to_set: Option<String>,
    /// What the re-key to the hub's venue id changed (the CLI prints it; the window does not).
    #[cfg_attr(feature = "ts", ts(skip))]
    pub rekeyed: RekeySummary,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub clock_skew_ms: i64,
}

/// Where a device token went: "os_keyring", or "environment" with the value to set in
/// `token_env` (shown once).
pub(super) struct KeptToken {
    pub stored_in: String,
    pub token_env: String,
    pub token_to_set: Option<String>,
}

/// What leaving did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LeaveReport {
    pub hub_url: String,
    /// Whether the device token was removed from the keyring (false when it was not there or
    /// the keyring is not reachable; then `message` says what to do).
    pub token_removed: bool,
    pub message: Option<String>,
}

impl Console {
    /// Joins the hub at `url` with a one-time enrolment `code` (admin only). Refused while
    /// this console is joined to a hub, saying how to leave it.
    pub fn hub_join(&mut self, url: &str, code: &str) -> ApiResult<JoinReport> {
        self.authorize(Role::Admin)?;
        self.venue()?;
        if let Some(joined) = self.store.hub_state()?.url {
            return Err(SyncError::AlreadyJoined { url: joined }.into());
        }
        let code = code.trim();
        if code.is_empty() {
            return Err(SyncError::BadInput("no enrolment code given".into()).into());
        }
        let client = HubClient::new(url, None)?;
        let hub_url = client.base_url().trim_end_matches('/').to_string();
        let request = EnrollRequest {
            code: code.to_string(),
            node: self.store.node_id(),
        };
        let answer = crate::supervisor::runtime::shared()?.block_on(client.enroll(&request))?;
        let enrolled = answer.body;
        // Stamped on the hub's time from here on, the re-keyed changes included.
        self.store.align_clock_to_hub(answer.clock_skew_ms)?;
        // The code is spent: from here on, a failure says so.
        let rekeyed = self.store.join_venue(enrolled.venue_id).map_err(|e| {
            SyncError::BadInput(format!(
                "the hub enrolled this console into venue {}, but this console's data cannot take that venue's id: {e}; ask the hub's operator to revoke this device",
                enrolled.venue_id
            ))
        })?;
        self.adopt_hub_venue(&enrolled.venue);
        let kept = self.keep_hub_token(&enrolled.token);
        let (token_env, token_stored_in, token_to_set) =
            (kept.token_env, kept.stored_in, kept.token_to_set);
        self.store.set_hub(&hub_url, enrolled.venue_id)?;
        self.store.record_sync_success(Some(answer.clock_skew_ms))?;
        self.audit_hub("hub.join", &hub_url)?;
        Ok(JoinReport {
            hub_url,
            venue_id: enrolled.venue_id,
            venue_name: enrolled.venue.name,
            token_stored_in,
            token_env,
            token_to_set,
            rekeyed,
            clock_skew_ms: answer.clock_skew_ms,
        })
    }

    /// Leaves the hub (admin only): forgets its address and the device token. Every row stays,
    /// and so does what the hub acknowledged (the venue keeps the hub's id).
    pub fn hub_leave(&mut self) -> ApiResult<LeaveReport> {
        self.authorize(Role::Admin)?;
        let hub_url = self.store.hub_state()?.url.ok_or(SyncError::NotJoined)?;
        let env = env_var_name(HUB_TOKEN_SECRET);
        let (token_removed, mut message) = match self.secrets.as_deref() {
            Some(store) => match store.delete(HUB_TOKEN_SECRET) {
                Ok(()) => (true, None),
                Err(e) => (
                    false,
                    Some(format!("the device token stays where it is: {e}")),
                ),
            },
            None => (false, Some("this console has no keyring".to_string())),
        };
        if std::env::var_os(&env).is_some() {
            message = Some(format!("unset {env}: it still holds the device token"));
        }
        self.store.clear_hub()?;
        self.audit_hub("hub.leave", &hub_url)?;
        Ok(LeaveReport {
            hub_url,
            token_removed,
            message,
        })
    }

    /// Keeps a device token in the OS keyring, or, where there is none, says which variable
    /// to set it in (the token is then shown once).
    pub(super) fn keep_hub_token(&self, token: &str) -> KeptToken {
        let token_env = env_var_name(HUB_TOKEN_SECRET);
        match crate::store_secret(self.secrets.as_deref(), HUB_TOKEN_SECRET, token) {
            Ok(saved) => KeptToken {
                stored_in: saved.stored_in.to_string(),
                token_env,
                token_to_set: None,
            },
            Err(e) => {
                tracing::warn!(error = %e, "the device token could not be stored in the keyring");
                KeptToken {
                    stored_in: "environment".to_string(),
                    token_env,
                    token_to_set: Some(token.to_string()),
                }
            }
        }
    }

    /// The hub's name, time zone, currency and capacity for this console's venue, so every
    /// console of it shows the same; values this build cannot read keep the console's own.
    fn adopt_hub_venue(&mut self, hub: &HubVenue) {
        let Ok(current) = self.venue() else { return };
        let same = current.name == hub.name
            && current.timezone.name() == hub.timezone
            && current.currency.code() == hub.currency
            && hub.capacity.is_none_or(|c| c == current.capacity);
        if same {
            return;
        }
        if let Err(e) = self.update_venue(
            Some(&hub.name),
            Some(&hub.timezone),
            Some(&hub.currency),
            hub.capacity,
            None,
        ) {
            tracing::warn!(error = %e, "the hub's venue settings were not taken");
        }
    }

    pub(super) fn audit_hub(&mut self, action: &str, hub_url: &str) -> ApiResult<()> {
        let venue = self.venue()?;
        let actor = self.actor();
        self.store.audit_action(
            venue.id,
            venue_store::AuditLine {
                actor: &actor,
                action,
            },
            None,
            Some(serde_json::json!({ "hub_url": hub_url })),
        )?;
        Ok(())
    }
}
