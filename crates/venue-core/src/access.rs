//! Who is acting through a `Console`, and what they may do.
//!
//! The CLI runs as the operator of the machine (`Access::Local`): whoever can run it can already
//! read the data dir, so it is not gated; its actions are audited under `[console] actor`. The
//! desktop app opens its console with `Access::desktop()`: nothing but sign-in works until a staff
//! member signs in with their PIN, and each action is gated by their role and audited under
//! their name.

use crate::{ApiError, ApiResult, ErrorCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A staff member's role; each includes the rights of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Front desk: reads every screen, posts charges, writes desk notes, acknowledges alerts.
    Staff,
    /// Also sees settings, resolves alerts, lists staff.
    Manager,
    /// Also changes connectors, credentials, staff and the venue.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

/// An action the shell carries out itself (the updater lives in the desktop app), which the core
/// still authorises: the shell asks [`crate::Console::authorize_action`] first, so who may do
/// what is decided in one place for the app, the CLI and a hub route alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Ask the update server whether a newer version is offered.
    CheckForUpdate,
    /// Download, verify and install an update, then restart the app.
    InstallUpdate,
}

impl Action {
    /// The least role that may take the action.
    pub fn min_role(self) -> Role {
        match self {
            // Every signed-in member may see that an update is waiting ...
            Action::CheckForUpdate => Role::Staff,
            // ... but restarting the console under the front desk is a manager's call.
            Action::InstallUpdate => Role::Manager,
        }
    }
}

/// A signed-in staff member of the desktop app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionInfo {
    pub staff_id: Uuid,
    pub name: String,
    pub role: Role,
    pub signed_in_at: DateTime<Utc>,
    /// Seconds without input after which the UI locks the session.
    pub lock_after_seconds: u32,
}

impl SessionInfo {
    /// The name an audited action is recorded under, e.g. "Amira Patel (manager)".
    pub fn actor(&self) -> String {
        format!("{} ({})", self.name, self.role.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The CLI: the machine's operator, not gated.
    Local,
    /// The desktop app: gated by the signed-in staff member's role.
    Desktop { session: Option<SessionInfo> },
}

impl Access {
    pub fn desktop() -> Self {
        Access::Desktop { session: None }
    }

    /// Passes when whoever is acting holds at least `min`.
    pub fn authorize(&self, min: Role) -> ApiResult<()> {
        match self {
            Access::Local => Ok(()),
            Access::Desktop { session: None } => Err(ApiError::new(
                ErrorCode::NotSignedIn,
                "sign in with your PIN first",
            )),
            Access::Desktop {
                session: Some(session),
            } if session.role >= min => Ok(()),
            Access::Desktop {
                session: Some(session),
            } => Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "{} is signed in as {}; this needs a {} or above",
                    session.name,
                    session.role.as_str(),
                    min.as_str()
                ),
            )),
        }
    }

    pub fn session(&self) -> Option<&SessionInfo> {
        match self {
            Access::Desktop { session } => session.as_ref(),
            Access::Local => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(role: Role) -> SessionInfo {
        SessionInfo {
            staff_id: Uuid::nil(),
            name: "Sam".into(),
            role,
            signed_in_at: Utc::now(),
            lock_after_seconds: 300,
        }
    }

    #[test]
    fn roles_include_the_rights_below_them() {
        let manager = Access::Desktop {
            session: Some(session(Role::Manager)),
        };
        assert!(manager.authorize(Role::Staff).is_ok());
        assert!(manager.authorize(Role::Manager).is_ok());
        let err = manager
            .authorize(Role::Admin)
            .expect_err("manager is not admin");
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert!(err.message.contains("admin"), "{}", err.message);
    }

    #[test]
    fn the_desktop_needs_a_session_and_the_cli_does_not() {
        let err = Access::desktop()
            .authorize(Role::Staff)
            .expect_err("no session");
        assert_eq!(err.code, ErrorCode::NotSignedIn);
        assert!(Access::Local.authorize(Role::Admin).is_ok());
    }
}
