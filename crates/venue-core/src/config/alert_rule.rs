//! `[[alert_rule]]` blocks as written in venue.toml or sent by the app: plain data, checked
//! into rules by the alerts capability (`crate::alerts`), which names what is wrong in a
//! [`RuleError`].

use serde::{Deserialize, Serialize};
use thiserror::Error;
#[cfg(feature = "ts")]
use venue_domain::{
    alert_rule::{Condition, Metric},
    Severity,
};
use venue_http::settings::OutOfRange;

/// A rule as written in venue.toml (`[[alert_rule]]`) or sent by the app: every field but `id`
/// optional, so a block naming a built-in's id only overrides what it sets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct AlertRuleConfig {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Metric>"))]
    pub metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Condition>"))]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The condition must hold this long before an alert opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Severity>"))]
    pub severity: Option<String>,
    /// After an alert resolves, the same condition does not open again for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cool_down_seconds: Option<u32>,
    /// The condition must stay clear this long before the alert resolves itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_after_seconds: Option<u32>,
    /// Venue-local "HH:MM-HH:MM" (may wrap midnight); all day when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The alert's title instead of the metric's own wording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

// Thresholds are checked to be finite, so equality is an equivalence.
impl Eq for AlertRuleConfig {}

/// An alert rule that cannot work, naming the rule and, where there is one, the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    /// `why` completes "FIELD: ...": "is required", "\"x\" is not one of ...".
    #[error("alert_rule {rule:?}: {field}: {why}")]
    Field {
        rule: String,
        field: &'static str,
        why: String,
    },
    #[error("alert_rule {rule:?}: {range}")]
    OutOfRange { rule: String, range: OutOfRange },
    #[error("two [[alert_rule]] blocks have id {0:?}")]
    DuplicateId(String),
}
