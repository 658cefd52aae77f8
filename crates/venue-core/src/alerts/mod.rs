//! Alert rules: a rules engine evaluated as data arrives. Built-in rules (occupancy, connector
//! health, rate limits, the PMS socket, sensors, failed charges, VIP arrivals), overridden or
//! extended by `[[alert_rule]]` in venue.toml and by custom rules made in the app.
//!
//! In `venue run` and the app, [`alerts_live`] runs next to the connectors, the PMS and the
//! sensors: the store's change listener wakes it after each commit (debounced), and a slow tick
//! catches conditions that only time makes true (a socket down past its grace period).

mod builtin;
mod desk;
mod engine;
mod metrics;
mod rules;

pub use builtin::{builtin_rules, HUB_SYNC_FAILING_RULE};
pub use desk::{AlertView, RESOLVED_SHOWN};
pub use engine::{dedupe_key, AlertEngine, Evaluation, ENGINE_ACTOR};
pub use metrics::{observe, Observation};
pub use rules::{
    stored_rule, ActiveHours, ActiveHoursError, AlertRule, AlertRuleConfig, Condition, Metric,
    RuleError, StoredRuleError, DEFAULT_CLEAR_AFTER_SECONDS, DEFAULT_COOL_DOWN_SECONDS,
};

use crate::config::Config;
use crate::console::StoreHandle;
use crate::supervisor::{stopped, Task, TaskHealth};
use crate::{ApiError, ApiResult, Console, ErrorCode, Role};
use chrono::Utc;
use serde::Serialize;
use std::sync::Arc;

/// The built-ins with venue.toml's overrides applied, then venue.toml's own rules.
pub fn configured_rules(config: &Config) -> Result<Vec<AlertRule>, RuleError> {
    let mut rules = builtin_rules();
    let mut seen = std::collections::HashSet::new();
    for block in &config.alert_rule {
        let id = block.id.trim();
        if !seen.insert(id) {
            return Err(RuleError::DuplicateId(id.to_string()));
        }
    }
    for block in &config.alert_rule {
        let id = block.id.trim();
        match rules.iter_mut().find(|r| r.id == id) {
            Some(builtin) => *builtin = block.to_rule(Some(builtin))?,
            None => rules.push(block.to_rule(None)?),
        }
    }
    Ok(rules)
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    Builtin,
    /// venue.toml: a built-in's override or a rule of its own.
    Config,
    /// Made in the app (stored in the database).
    Custom,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertRuleView {
    #[serde(flatten)]
    pub rule: AlertRule,
    pub source: RuleSource,
}

/// How often the live loop evaluates without new data, for conditions time alone makes true
/// (a socket down past its grace period, active hours starting, the day's VIP arrivals).
pub const TICK: std::time::Duration = std::time::Duration::from_secs(60);
/// How often the live loop evaluates while one of `venue run`'s tasks is failing.
const FAILING_TICK: std::time::Duration = std::time::Duration::from_secs(1);
/// How long the live loop lets a burst of writes land before evaluating.
pub const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(250);

/// Store topics that do not change any metric: the engine's own writes.
const QUIET_TOPICS: &[&str] = &["alert", "audit"];

/// Runs the engine until `stop`: at once, after data arrives (woken by the store's listener,
/// then `debounce` to let a burst of writes land), and every `tick` for time-based conditions.
/// An evaluation that fails is logged, counted in `health` and tried again with backoff (or at
/// the next wake); it never stops the loop.
pub(crate) async fn alerts_live(
    store: &StoreHandle,
    engine: &mut AlertEngine,
    wake: Arc<tokio::sync::Notify>,
    tick: std::time::Duration,
    debounce: std::time::Duration,
    health: &TaskHealth,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut retries = None;
    loop {
        let evaluated = store.with(|s| engine.evaluate(s, Utc::now()));
        let next = match evaluated {
            Ok(_) => {
                retries = None;
                health.recovered(Task::Alerts);
                // A failing task writes nothing that would wake the loop: look again soon,
                // so its alert opens once it has failed long enough.
                if health.failing().is_empty() {
                    tick
                } else {
                    tick.min(FAILING_TICK)
                }
            }
            Err(e) => {
                let failing = health.failed(Task::Alerts, &e.message);
                let wait = retries
                    .get_or_insert_with(|| crate::supervisor::retry_delays(tick))
                    .next()
                    .unwrap_or(tick)
                    .min(tick);
                tracing::warn!(
                    task = "alerts",
                    failures = failing.failures,
                    failing_since = %failing.since,
                    retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error = %e,
                    "alert evaluation failed; retrying"
                );
                wait
            }
        };
        let woken = tokio::select! {
            () = stopped(&stop) => return,
            _ = wake.notified() => true,
            () = health.changed() => true,
            _ = tokio::time::sleep(next) => false,
        };
        if woken {
            tokio::select! {
                () = stopped(&stop) => return,
                _ = tokio::time::sleep(debounce) => {}
            }
        }
    }
}

/// A store listener that wakes [`alerts_live`] when a write touched anything but alerts and
/// the audit log. It only signals: the listener runs inside the write and cannot read.
pub(crate) fn wake_listener(wake: &Arc<tokio::sync::Notify>) -> venue_store::ChangeListener {
    let wake = Arc::downgrade(wake);
    Arc::new(move |topics: &[&'static str]| {
        if topics.iter().all(|t| QUIET_TOPICS.contains(t)) {
            return;
        }
        if let Some(wake) = wake.upgrade() {
            wake.notify_one();
        }
    })
}

impl Console {
    /// The engine with this console's rules (built-ins, venue.toml; custom rules are read from
    /// the store at each evaluation).
    pub fn alert_engine(&self) -> ApiResult<AlertEngine> {
        let venue = self.venue()?;
        let rules = configured_rules(&self.config)?;
        Ok(AlertEngine::new(venue, rules))
    }

    /// Evaluates every rule once now (what `venue run` does as data arrives).
    pub fn evaluate_alerts(&mut self) -> ApiResult<Evaluation> {
        let mut engine = self.alert_engine()?;
        engine.evaluate(&mut self.store, Utc::now())
    }

    /// Every alert: unresolved ones (critical first, then newest), then with `all` the resolved
    /// ones, newest first.
    pub fn alerts_list(&self, all: bool) -> ApiResult<Vec<AlertView>> {
        self.authorize(Role::Staff)?;
        let venue = self.venue()?;
        Ok(self
            .store
            .all_alerts(venue.id)?
            .into_iter()
            .filter(|a| all || a.state != venue_domain::AlertState::Resolved)
            .map(AlertView::from)
            .collect())
    }

    /// Every rule the engine knows, built-in, from venue.toml and custom (managers and admins).
    pub fn alert_rules_list(&self) -> ApiResult<Vec<AlertRuleView>> {
        self.authorize(Role::Manager)?;
        let builtin = builtin_rules();
        let configured = configured_rules(&self.config)?;
        let mut out: Vec<AlertRuleView> = configured
            .into_iter()
            .map(|rule| {
                let source = if builtin.contains(&rule) {
                    RuleSource::Builtin
                } else {
                    RuleSource::Config
                };
                AlertRuleView { rule, source }
            })
            .collect();
        let venue = self.venue()?;
        for stored in self.store.alert_rules(venue.id)? {
            match stored_rule(stored.definition) {
                Ok(rule) if !out.iter().any(|v| v.rule.id == rule.id) => out.push(AlertRuleView {
                    rule,
                    source: RuleSource::Custom,
                }),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(rule = %stored.id, error = %e, "custom alert rule skipped")
                }
            }
        }
        Ok(out)
    }

    /// Creates or replaces a custom rule (managers and admins; audited as `alert_rule.save`).
    /// Built-in and venue.toml rules are changed in venue.toml, not here.
    pub fn alert_rule_save(&mut self, rule: AlertRuleConfig) -> ApiResult<AlertRuleView> {
        self.authorize(Role::Manager)?;
        let venue = self.venue()?;
        let checked = rule.to_rule(None)?;
        let configured = configured_rules(&self.config)?;
        if configured.iter().any(|r| r.id == checked.id) {
            return Err(ApiError::bad_input(format!(
                "alert rule {:?} is a built-in or venue.toml rule: change it in venue.toml",
                checked.id
            )));
        }
        let definition = serde_json::to_value(checked.to_config())?;
        let actor = self.actor();
        self.store
            .save_alert_rule(venue.id, &checked.id, &definition, &actor)?;
        Ok(AlertRuleView {
            rule: checked,
            source: RuleSource::Custom,
        })
    }

    /// Deletes a custom rule (managers and admins; audited as `alert_rule.delete`). Its
    /// unresolved alerts resolve at the engine's next evaluation (as do a disabled rule's).
    pub fn alert_rule_delete(&mut self, id: &str) -> ApiResult<()> {
        self.authorize(Role::Manager)?;
        let venue = self.venue()?;
        let actor = self.actor();
        if self.store.delete_alert_rule(venue.id, id.trim(), &actor)? {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::NotFound,
                format!("no custom alert rule {:?}", id.trim()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_wake_listener_ignores_the_engines_own_writes() {
        let wake = Arc::new(tokio::sync::Notify::new());
        let listener = wake_listener(&wake);
        let woken = Arc::new(AtomicUsize::new(0));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let count = |topics: &[&'static str]| {
            listener(topics);
            runtime.block_on(async {
                if tokio::time::timeout(std::time::Duration::from_millis(20), wake.notified())
                    .await
                    .is_ok()
                {
                    woken.fetch_add(1, Ordering::SeqCst);
                }
            });
            woken.load(Ordering::SeqCst)
        };
        assert_eq!(count(&["alert", "audit"]), 0);
        assert_eq!(count(&["sensor_state"]), 1);
        assert_eq!(count(&["alert", "pms_charge"]), 2);
        // Once the loop's Notify is gone, the listener is a no-op.
        drop(wake);
        listener(&["transaction"]);
    }
}
