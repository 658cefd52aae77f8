//! Alerts: listed for the Today and Alerts screens, acknowledged by any staff member (who and
//! when are recorded), resolved by a manager; every change audited under the actor's name.

use crate::input::parse_id;
use crate::{ApiError, ApiResult, Console, ErrorCode, Role};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use venue_domain::{Alert, AlertState, Origin, Severity};

/// How many resolved alerts `alerts(true)` adds after the unresolved ones (newest first).
pub const RESOLVED_SHOWN: u32 = 500;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertView {
    pub id: Uuid,
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub state: AlertState,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<Alert> for AlertView {
    fn from(a: Alert) -> Self {
        AlertView {
            id: a.id,
            rule: a.rule,
            severity: a.severity,
            title: a.title,
            body: a.body,
            state: a.state,
            opened_at: a.opened_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            resolved_at: a.resolved_at,
        }
    }
}

impl Console {
    /// Open and acknowledged alerts, critical first, then newest; with `include_resolved`, then
    /// the newest resolved ones (at most [`RESOLVED_SHOWN`]).
    pub fn alerts(&self, include_resolved: bool) -> ApiResult<Vec<AlertView>> {
        self.authorize(Role::Staff)?;
        let venue = self.venue()?;
        let limit = if include_resolved { RESOLVED_SHOWN } else { 0 };
        Ok(self
            .store
            .desk_alerts(venue.id, limit)?
            .into_iter()
            .map(AlertView::from)
            .collect())
    }

    /// Marks an open alert as seen, recording who and when (audited as `alert.acknowledge`).
    /// An alert already acknowledged keeps its first acknowledgement.
    pub fn acknowledge_alert(&mut self, id: &str) -> ApiResult<AlertView> {
        self.authorize(Role::Staff)?;
        let mut alert = self.alert(id)?;
        match alert.state {
            AlertState::Resolved => {
                return Err(ApiError::bad_input(format!(
                    "alert {:?} ({}) is already resolved",
                    alert.title, alert.id
                )))
            }
            AlertState::Acknowledged => return Ok(alert.into()),
            AlertState::Open => {}
        }
        let actor = self.actor();
        alert.state = AlertState::Acknowledged;
        alert.acknowledged_at = Some(Utc::now());
        alert.acknowledged_by = Some(actor.clone());
        self.store
            .save_alert_condition(Origin::User, &actor, "alert.acknowledge", &alert)?;
        Ok(alert.into())
    }

    /// Closes an alert (managers and admins; audited as `alert.resolve`). Resolving one that
    /// is already resolved changes nothing.
    pub fn resolve_alert(&mut self, id: &str) -> ApiResult<AlertView> {
        self.authorize(Role::Manager)?;
        let mut alert = self.alert(id)?;
        if alert.state == AlertState::Resolved {
            return Ok(alert.into());
        }
        let actor = self.actor();
        alert.state = AlertState::Resolved;
        alert.resolved_at = Some(Utc::now());
        self.store
            .save_alert_condition(Origin::User, &actor, "alert.resolve", &alert)?;
        Ok(alert.into())
    }

    fn alert(&self, id: &str) -> ApiResult<Alert> {
        let venue = self.venue()?;
        let alert_id = parse_id("alert", id)?;
        self.store
            .get::<Alert>(alert_id)?
            .filter(|a| a.venue_id == venue.id)
            .ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, format!("no alert with id {alert_id}"))
            })
    }
}
