//! The rule model: what is measured (metric), when it is a problem (condition and threshold,
//! sustained for a window), how loud (severity), how often (cool-down) and when (active hours).
//! Rules come from the built-ins, `[[alert_rule]]` blocks in venue.toml and the app; all three
//! are written as an [`AlertRuleConfig`] and checked into an [`AlertRule`] here.

pub use crate::config::{AlertRuleConfig, RuleError};
use chrono::{NaiveTime, Timelike};
use serde::Serialize;
use std::fmt;
use thiserror::Error;
pub use venue_domain::alert_rule::{Condition, Metric};
use venue_domain::Severity;
use venue_http::settings::NumericKey;

/// Venue-local hours a rule is active, "HH:MM-HH:MM"; the end is exclusive and may be before
/// the start (the window wraps midnight: "22:00-06:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveHours {
    /// Minutes after local midnight.
    pub start: u32,
    pub end: u32,
}

/// Text that is not a window of hours, quoted as given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ActiveHoursError {
    #[error("{0:?} is not HH:MM-HH:MM")]
    NotARange(String),
    #[error("{text:?}: {part:?} is not a time HH:MM")]
    NotATime { text: String, part: String },
    #[error("{0:?} is empty: leave active_hours out for all day")]
    Empty(String),
}

impl ActiveHours {
    pub fn parse(text: &str) -> Result<ActiveHours, ActiveHoursError> {
        let (from, to) = text
            .split_once('-')
            .ok_or_else(|| ActiveHoursError::NotARange(text.to_string()))?;
        let minute = |part: &str| -> Result<u32, ActiveHoursError> {
            let t = NaiveTime::parse_from_str(part.trim(), "%H:%M").map_err(|_| {
                ActiveHoursError::NotATime {
                    text: text.to_string(),
                    part: part.trim().to_string(),
                }
            })?;
            Ok(t.hour() * 60 + t.minute())
        };
        let hours = ActiveHours {
            start: minute(from)?,
            end: minute(to)?,
        };
        if hours.start == hours.end {
            return Err(ActiveHoursError::Empty(text.to_string()));
        }
        Ok(hours)
    }

    /// Whether a venue-local time of day (minutes after midnight) is inside.
    pub fn contains_minute(self, minute: u32) -> bool {
        if self.start < self.end {
            self.start <= minute && minute < self.end
        } else {
            minute >= self.start || minute < self.end
        }
    }

    pub fn contains(self, local: NaiveTime) -> bool {
        self.contains_minute(local.hour() * 60 + local.minute())
    }
}

impl fmt::Display for ActiveHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// A custom rule as the store keeps it (its JSON definition) that no longer checks.
#[derive(Debug, Error)]
pub enum StoredRuleError {
    #[error("unreadable definition: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error(transparent)]
    Invalid(#[from] RuleError),
}

/// A custom rule from its stored definition.
pub fn stored_rule(definition: serde_json::Value) -> Result<AlertRule, StoredRuleError> {
    let config: AlertRuleConfig = serde_json::from_value(definition)?;
    Ok(config.to_rule(None)?)
}

/// A checked rule, ready for the engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertRule {
    pub id: String,
    pub metric: Metric,
    pub condition: Condition,
    pub threshold: f64,
    pub window_seconds: u32,
    pub severity: Severity,
    pub cool_down_seconds: u32,
    pub clear_after_seconds: u32,
    /// Venue-local "HH:MM-HH:MM", or null for all day.
    #[serde(serialize_with = "serialize_hours")]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub active_hours: Option<ActiveHours>,
    pub enabled: bool,
    pub title: Option<String>,
}

fn serialize_hours<S: serde::Serializer>(
    hours: &Option<ActiveHours>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match hours {
        Some(h) => s.serialize_some(&h.to_string()),
        None => s.serialize_none(),
    }
}

/// Defaults of a new custom rule.
pub const DEFAULT_COOL_DOWN_SECONDS: u32 = 900;
/// A condition must be clear this long before its alert resolves itself (flapping damping).
pub const DEFAULT_CLEAR_AFTER_SECONDS: u32 = 60;

/// The longest window, cool-down and clear-after accepted.
pub const WEEK_SECONDS: u32 = 7 * 86_400;

impl AlertRuleConfig {
    /// The block's numeric keys and their ranges (0 to a week); `threshold` is any finite
    /// number, its sense depending on the metric.
    pub fn numbers(&self) -> Vec<NumericKey> {
        vec![
            NumericKey::optional_u32("window_seconds", self.window_seconds, 0..=WEEK_SECONDS),
            NumericKey::optional_u32(
                "cool_down_seconds",
                self.cool_down_seconds,
                0..=WEEK_SECONDS,
            ),
            NumericKey::optional_u32(
                "clear_after_seconds",
                self.clear_after_seconds,
                0..=WEEK_SECONDS,
            ),
        ]
    }

    /// Checks the block into a rule. With `base` (the built-in of the same id) every field is
    /// optional and overrides the built-in's; without, `metric`, `condition` and `threshold`
    /// are required. Errors name the rule and the field.
    pub fn to_rule(&self, base: Option<&AlertRule>) -> Result<AlertRule, RuleError> {
        let id = self.id.trim();
        let err = |field, why: String| RuleError::Field {
            rule: id.to_string(),
            field,
            why,
        };
        if let Some(why) = id_problem(id) {
            return Err(err("id", why));
        }
        let metric = match (&self.metric, base) {
            (Some(m), _) => Metric::parse(m.trim()).ok_or_else(|| {
                err(
                    "metric",
                    format!(
                        "{m:?} is not one of {}",
                        Metric::ALL
                            .iter()
                            .map(|m| m.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?,
            (None, Some(b)) => b.metric,
            (None, None) => return Err(err("metric", "is required".into())),
        };
        let condition = match (&self.condition, base) {
            (Some(c), _) => Condition::parse(c).ok_or_else(|| {
                err(
                    "condition",
                    format!("{c:?} is not one of {}", Condition::NAMES.join(", ")),
                )
            })?,
            (None, Some(b)) => b.condition,
            (None, None) => return Err(err("condition", "is required".into())),
        };
        let threshold = match (self.threshold, base) {
            (Some(t), _) if !t.is_finite() => {
                return Err(err("threshold", "must be a finite number".into()))
            }
            (Some(t), _) => t,
            (None, Some(b)) => b.threshold,
            (None, None) => return Err(err("threshold", "is required".into())),
        };
        let severity = match (&self.severity, base) {
            (Some(s), _) => s.trim().parse::<Severity>().map_err(|_| {
                err(
                    "severity",
                    format!("{s:?} is not one of info, warning, critical"),
                )
            })?,
            (None, Some(b)) => b.severity,
            (None, None) => Severity::Warning,
        };
        let active_hours = match (&self.active_hours, base) {
            (Some(h), _) if h.trim().is_empty() => None,
            (Some(h), _) => {
                Some(ActiveHours::parse(h).map_err(|e| err("active_hours", e.to_string()))?)
            }
            (None, Some(b)) => b.active_hours,
            (None, None) => None,
        };
        let window_seconds = self
            .window_seconds
            .or(base.map(|b| b.window_seconds))
            .unwrap_or(0);
        let cool_down_seconds = self
            .cool_down_seconds
            .or(base.map(|b| b.cool_down_seconds))
            .unwrap_or(DEFAULT_COOL_DOWN_SECONDS);
        let clear_after_seconds = self
            .clear_after_seconds
            .or(base.map(|b| b.clear_after_seconds))
            .unwrap_or(DEFAULT_CLEAR_AFTER_SECONDS);
        for number in [
            NumericKey::u32("window_seconds", window_seconds, 0..=WEEK_SECONDS),
            NumericKey::u32("cool_down_seconds", cool_down_seconds, 0..=WEEK_SECONDS),
            NumericKey::u32("clear_after_seconds", clear_after_seconds, 0..=WEEK_SECONDS),
        ] {
            number.check().map_err(|range| RuleError::OutOfRange {
                rule: id.to_string(),
                range,
            })?;
        }
        let title = match &self.title {
            Some(t) if t.trim().is_empty() => None,
            Some(t) if t.chars().count() > 200 => {
                return Err(err("title", "is longer than 200 characters".into()))
            }
            Some(t) => Some(t.trim().to_string()),
            None => base.and_then(|b| b.title.clone()),
        };
        Ok(AlertRule {
            id: id.to_string(),
            metric,
            condition,
            threshold,
            window_seconds,
            severity,
            cool_down_seconds,
            clear_after_seconds,
            active_hours,
            enabled: self.enabled.or(base.map(|b| b.enabled)).unwrap_or(true),
            title,
        })
    }
}

impl AlertRule {
    /// The block that gives back this rule (how custom rules are stored).
    pub fn to_config(&self) -> AlertRuleConfig {
        AlertRuleConfig {
            id: self.id.clone(),
            metric: Some(self.metric.as_str().into()),
            condition: Some(self.condition.as_str().into()),
            threshold: Some(self.threshold),
            window_seconds: Some(self.window_seconds),
            severity: Some(self.severity.as_str().into()),
            cool_down_seconds: Some(self.cool_down_seconds),
            clear_after_seconds: Some(self.clear_after_seconds),
            active_hours: self.active_hours.map(|h| h.to_string()),
            enabled: Some(self.enabled),
            title: self.title.clone(),
        }
    }
}

/// Rule ids: 1-64 of a-z, 0-9, '.', '_', '-' (a ':' would blur the alert's dedupe key). The
/// problem with `id`, if it has one.
fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("is required".into());
    }
    if id.len() > 64 {
        return Some("is longer than 64 characters".into());
    }
    id.chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
        .map(|c| format!("{c:?} is not allowed (use a-z, 0-9, '.', '_' or '-')"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn block(toml_text: &str) -> AlertRuleConfig {
        toml::from_str(toml_text).expect("block parses")
    }

    #[test]
    fn a_custom_rule_needs_metric_condition_and_threshold() {
        let e = block(r#"id = "x""#).to_rule(None).unwrap_err();
        assert!(
            matches!(&e, RuleError::Field { rule, field: "metric", .. } if rule == "x"),
            "{e:?}"
        );
        assert!(e.to_string().contains("\"x\": metric: is required"), "{e}");
        let e = block("id = \"x\"\nmetric = \"occupancy\"")
            .to_rule(None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("condition: is required"), "{e}");
        let e = block("id = \"x\"\nmetric = \"occupancy\"\ncondition = \">\"")
            .to_rule(None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("threshold: is required"), "{e}");
        let rule = block("id = \"x\"\nmetric = \"occupancy\"\ncondition = \">\"\nthreshold = 100")
            .to_rule(None)
            .expect("valid");
        assert_eq!(rule.severity, Severity::Warning);
        assert_eq!(rule.cool_down_seconds, DEFAULT_COOL_DOWN_SECONDS);
        assert!(rule.enabled);
    }

    fn custom(metric: &str, condition: &str, threshold: &str, extra: &str) -> String {
        format!("id = \"r\"\nmetric = \"{metric}\"\ncondition = \"{condition}\"\nthreshold = {threshold}\n{extra}")
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                custom("temperature", ">", "1", ""),
                "metric: \"temperature\" is not one of",
            ),
            (
                custom("occupancy", "=>", "1", ""),
                "condition: \"=>\" is not one of >=, >, <=, <, ==",
            ),
            (
                custom("occupancy", ">", "nan", ""),
                "threshold: must be a finite number",
            ),
            (
                custom("occupancy", ">", "1", "severity = \"loud\""),
                "severity: \"loud\" is not one of",
            ),
            (
                custom("occupancy", ">", "1", "active_hours = \"9-17\""),
                "active_hours:",
            ),
            (
                custom("occupancy", ">", "1", "active_hours = \"25:00-02:00\""),
                "active_hours:",
            ),
            (
                custom("occupancy", ">", "1", "active_hours = \"10:00-10:00\""),
                "active_hours:",
            ),
            (
                custom("occupancy", ">", "1", "window_seconds = 9999999"),
                "window_seconds = 9999999 is out of range: must be from 0 to 604800",
            ),
        ];
        for (text, expected) in cases {
            let e = block(&text).to_rule(None).unwrap_err().to_string();
            assert!(e.starts_with("alert_rule \"r\": "), "{e}");
            assert!(e.contains(expected), "{text}: {e}");
        }
        let e = block("id = \"Bad Id\"").to_rule(None).unwrap_err();
        assert!(matches!(e, RuleError::Field { field: "id", .. }), "{e:?}");
        assert!(e.to_string().contains(": id: 'B' is not allowed"), "{e}");
        let unknown = toml::from_str::<AlertRuleConfig>("id = \"x\"\nthreshhold = 1").unwrap_err();
        assert!(unknown.to_string().contains("threshhold"), "{unknown}");
    }

    #[test]
    fn an_override_keeps_what_it_does_not_set() {
        let base = block(
            "id = \"occupancy.warning\"\nmetric = \"occupancy_share\"\ncondition = \">=\"\nthreshold = 0.8\nseverity = \"warning\"",
        )
        .to_rule(None)
        .expect("valid");
        let rule = block("id = \"occupancy.warning\"\nthreshold = 0.7\nenabled = false")
            .to_rule(Some(&base))
            .expect("valid");
        assert_eq!(rule.threshold, 0.7);
        assert!(!rule.enabled);
        assert_eq!(rule.metric, Metric::OccupancyShare);
        assert_eq!(rule.severity, Severity::Warning);
        assert_eq!(rule.to_config().to_rule(None), Ok(rule));
    }

    #[test]
    fn active_hours_wrap_midnight() {
        let night = ActiveHours::parse("22:00-06:00").expect("valid");
        assert!(night.contains_minute(23 * 60));
        assert!(night.contains_minute(0));
        assert!(night.contains_minute(5 * 60 + 59));
        assert!(!night.contains_minute(6 * 60));
        assert!(!night.contains_minute(12 * 60));
        assert!(night.contains_minute(22 * 60));
        assert_eq!(night.to_string(), "22:00-06:00");
        let day = ActiveHours::parse("09:00-17:30").expect("valid");
        assert!(day.contains_minute(9 * 60));
        assert!(!day.contains_minute(17 * 60 + 30));
    }

    proptest! {
        #[test]
        fn active_hours_and_their_complement_cover_the_day_once(
            start in 0u32..1440, end in 0u32..1440, minute in 0u32..1440
        ) {
            prop_assume!(start != end);
            let hours = ActiveHours { start, end };
            let rest = ActiveHours { start: end, end: start };
            prop_assert!(hours.contains_minute(minute) != rest.contains_minute(minute));
            prop_assert!(hours.contains_minute(start));
            prop_assert!(!hours.contains_minute(end));
            let text = hours.to_string();
            prop_assert_eq!(ActiveHours::parse(&text), Ok(hours));
            // Wrapping: inside exactly when not in [end, start) of the same day.
            let inside = if start < end {
                (start..end).contains(&minute)
            } else {
                !(end..start).contains(&minute)
            };
            prop_assert_eq!(hours.contains_minute(minute), inside);
        }
    }
}
