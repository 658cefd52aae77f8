//! Evaluation and lifecycle: each enabled rule's metric is read, every subject whose value meets
//! the condition (for the rule's window, inside its active hours) has one unresolved alert,
//! and alerts whose condition has stayed clear for the rule's `clear_after_seconds` resolve
//! themselves. A condition that comes back within the rule's cool-down after its alert resolved
//! does not open a new one. Every open and resolve is audited under [`ENGINE_ACTOR`].

use super::metrics::{observe, Observation};
use super::rules::{AlertRule, Metric};
use crate::supervisor::{Task, TaskHealth};
use crate::ApiResult;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use venue_domain::{new_id, Alert, AlertState, Origin, Venue};
use venue_store::Store;

/// Who the engine's writes are audited as.
pub const ENGINE_ACTOR: &str = "alert-engine";

/// What one evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evaluation {
    pub opened: Vec<Alert>,
    pub resolved: Vec<Alert>,
}

/// The condition of one (rule, subject): the alert's dedupe key.
pub fn dedupe_key(rule: &str, subject: &str) -> String {
    format!("{rule}:{subject}")
}

/// The engine: the rules and what it remembers between evaluations (since when a condition has
/// held without an alert yet, since when an alert's condition has been clear).
pub struct AlertEngine {
    venue: Venue,
    /// Built-ins with venue.toml's overrides, and venue.toml's own rules.
    base: Vec<AlertRule>,
    /// Rules made in the app, read from the store at each evaluation.
    custom: Vec<AlertRule>,
    holding_since: HashMap<String, DateTime<Utc>>,
    clear_since: HashMap<String, DateTime<Utc>>,
    /// The health of this process's long-running tasks, for `task_failing_seconds`; without
    /// it (a one-off evaluation) rules on that metric are left alone, neither opened nor
    /// resolved, since only the process running the tasks knows.
    tasks: Option<TaskHealth>,
}

impl AlertEngine {
    pub fn new(venue: Venue, rules: Vec<AlertRule>) -> Self {
        AlertEngine {
            venue,
            base: rules,
            custom: Vec::new(),
            holding_since: HashMap::new(),
            clear_since: HashMap::new(),
            tasks: None,
        }
    }

    /// Watches `health` for the `task_failing_seconds` metric (`venue run`, the app).
    pub fn with_task_health(mut self, health: TaskHealth) -> Self {
        self.tasks = Some(health);
        self
    }

    /// Every rule the engine evaluates (disabled ones included).
    pub fn rules(&self) -> impl Iterator<Item = &AlertRule> {
        self.base.iter().chain(&self.custom)
    }

    /// Reads the custom rules again (skipping, with a warning, any that no longer check).
    fn reload_custom(&mut self, store: &Store) -> ApiResult<()> {
        let taken: HashSet<&str> = self.base.iter().map(|r| r.id.as_str()).collect();
        let mut custom = Vec::new();
        for stored in store.alert_rules(self.venue.id)? {
            match super::stored_rule(stored.definition) {
                Ok(rule) if !taken.contains(rule.id.as_str()) => custom.push(rule),
                Ok(rule) => {
                    tracing::warn!(rule = %rule.id, "custom alert rule shadowed by venue.toml")
                }
                Err(e) => {
                    tracing::warn!(rule = %stored.id, error = %e, "custom alert rule skipped")
                }
            }
        }
        self.custom = custom;
        Ok(())
    }

    /// Evaluates every enabled rule against the store now, opening and resolving alerts.
    pub fn evaluate(&mut self, store: &mut Store, now: DateTime<Utc>) -> ApiResult<Evaluation> {
        self.reload_custom(store)?;
        let local = now.with_timezone(&self.venue.timezone).time();
        let rules: Vec<AlertRule> = self.rules().filter(|r| r.enabled).cloned().collect();
        let mut cache: HashMap<Metric, Vec<Observation>> = HashMap::new();
        let mut report = Evaluation::default();
        self.record_outages(store, &rules, now, &mut report)?;
        for rule in &rules {
            if rule.metric == Metric::TaskFailingSeconds && self.tasks.is_none() {
                continue;
            }
            let active = rule.active_hours.is_none_or(|h| h.contains(local));
            // Outside its active hours a rule's condition counts as clear.
            let holding: Vec<Observation> = if active {
                let all = match cache.entry(rule.metric) {
                    Entry::Occupied(seen) => seen.into_mut(),
                    Entry::Vacant(slot) => slot.insert(match rule.metric {
                        Metric::TaskFailingSeconds => self.task_observations(now),
                        metric => observe(store, &self.venue, metric, now)?,
                    }),
                };
                all.iter()
                    .filter(|o| rule.condition.holds(o.value, rule.threshold))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            self.apply(store, rule, &holding, now, &mut report)?;
        }
        self.resolve_orphans(store, &rules, now, &mut report)?;
        Ok(report)
    }

    /// One observation per failing task: how long it has failed, in seconds.
    fn task_observations(&self, now: DateTime<Utc>) -> Vec<Observation> {
        let Some(health) = &self.tasks else {
            return Vec::new();
        };
        health
            .failing()
            .into_iter()
            .filter(|(task, _)| !watched_elsewhere(*task))
            .map(|(task, failing)| Observation {
                subject: task.name().to_string(),
                value: (now - failing.since).num_seconds().max(0) as f64,
                title: format!(
                    "{} since {}",
                    task.what_stops(),
                    self.local_time(failing.since)
                ),
                body: format!(
                    "{} failed attempts; the last: {}. The console keeps trying, and this alert resolves once it works again.",
                    failing.failures, failing.last_error
                ),
            })
            .collect()
    }

    fn local_time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.venue.timezone)
            .format("%H:%M")
            .to_string()
    }

    /// Records the task failures that ended before an alert could open (the store itself was
    /// refusing writes, so the engine could not write one) and lasted long enough for one: as
    /// an alert already resolved, so the failure is on the record. A failure whose alert is
    /// still unresolved is left to the rule, which resolves it.
    fn record_outages(
        &mut self,
        store: &mut Store,
        rules: &[AlertRule],
        now: DateTime<Utc>,
        report: &mut Evaluation,
    ) -> ApiResult<()> {
        let Some(health) = self.tasks.clone() else {
            return Ok(());
        };
        let watching: Vec<&AlertRule> = rules
            .iter()
            .filter(|r| r.metric == Metric::TaskFailingSeconds)
            .collect();
        for outage in health.ended() {
            if watched_elsewhere(outage.task) {
                health.settle(&outage);
                continue;
            }
            let lasted = outage.lasted().num_seconds().max(0) as f64;
            for rule in &watching {
                let key = dedupe_key(&rule.id, outage.task.name());
                if !rule.condition.holds(lasted, rule.threshold)
                    || store.open_alert(self.venue.id, &key)?.is_some()
                {
                    continue;
                }
                let alert = Alert {
                    id: new_id(),
                    venue_id: self.venue.id,
                    rule: rule.id.clone(),
                    dedupe_key: key,
                    severity: rule.severity,
                    title: rule.title.clone().unwrap_or_else(|| {
                        format!(
                            "{} from {} to {}",
                            outage.task.what_stopped(),
                            self.local_time(outage.from),
                            self.local_time(outage.to)
                        )
                    }),
                    body: format!(
                        "For {} s, {} failed attempts; the last: {}. It works again since {}.",
                        lasted,
                        outage.failures,
                        outage.last_error,
                        self.local_time(outage.to)
                    ),
                    state: AlertState::Resolved,
                    opened_at: outage.from,
                    acknowledged_at: None,
                    acknowledged_by: None,
                    resolved_at: Some(outage.to.min(now)),
                };
                let alert = venue_store::identified(alert);
                store.save_audited(rule.metric.origin(), ENGINE_ACTOR, "alert.open", &alert)?;
                tracing::warn!(rule = %rule.id, task = outage.task.name(), seconds = lasted, "alert recorded for a task failure that has ended");
                report.resolved.push(alert);
            }
            health.settle(&outage);
        }
        Ok(())
    }

    /// Resolves the alerts of rules that were disabled or deleted since they opened: no
    /// evaluation would ever clear them, and an alert nobody can make go away teaches staff to
    /// ignore the list.
    fn resolve_orphans(
        &mut self,
        store: &mut Store,
        enabled: &[AlertRule],
        now: DateTime<Utc>,
        report: &mut Evaluation,
    ) -> ApiResult<()> {
        for mut alert in store.unresolved_alerts(self.venue.id)? {
            if enabled.iter().any(|r| r.id == alert.rule) {
                continue;
            }
            let known = self.rules().find(|r| r.id == alert.rule);
            let origin = known.map_or(Origin::User, |r| r.metric.origin());
            alert.state = AlertState::Resolved;
            alert.resolved_at = Some(now);
            store.save_alert_condition(origin, ENGINE_ACTOR, "alert.resolve", &alert)?;
            tracing::info!(rule = %alert.rule, key = %alert.dedupe_key, disabled = known.is_some(), "alert resolved: its rule is disabled or gone");
            self.clear_since.remove(&alert.dedupe_key);
            report.resolved.push(alert);
        }
        Ok(())
    }

    fn apply(
        &mut self,
        store: &mut Store,
        rule: &AlertRule,
        holding: &[Observation],
        now: DateTime<Utc>,
        report: &mut Evaluation,
    ) -> ApiResult<()> {
        let venue_id = self.venue.id;
        let unresolved: HashMap<String, Alert> = store
            .unresolved_alerts_of_rule(venue_id, &rule.id)?
            .into_iter()
            .map(|a| (a.dedupe_key.clone(), a))
            .collect();
        let mut holding_keys = HashSet::new();
        for obs in holding {
            let key = dedupe_key(&rule.id, &obs.subject);
            holding_keys.insert(key.clone());
            self.clear_since.remove(&key);
            if unresolved.contains_key(&key) {
                continue;
            }
            let since = *self.holding_since.entry(key.clone()).or_insert(now);
            if now - since < Duration::seconds(i64::from(rule.window_seconds)) {
                continue;
            }
            if let Some(resolved_at) = store.last_resolved_at(venue_id, &key)? {
                if now - resolved_at < Duration::seconds(i64::from(rule.cool_down_seconds)) {
                    continue;
                }
            }
            let alert = Alert {
                id: new_id(),
                venue_id,
                rule: rule.id.clone(),
                dedupe_key: key.clone(),
                severity: rule.severity,
                title: rule.title.clone().unwrap_or_else(|| obs.title.clone()),
                body: obs.body.trim().to_string(),
                state: AlertState::Open,
                opened_at: now,
                acknowledged_at: None,
                acknowledged_by: None,
                resolved_at: None,
            };
            let alert = venue_store::identified(alert);
            if !store.open_alert_once(
                rule.metric.origin(),
                Some((ENGINE_ACTOR, "alert.open")),
                &alert,
            )? {
                // Another process of this console opened it a moment ago.
                continue;
            }
            tracing::info!(rule = %rule.id, subject = %obs.subject, severity = %rule.severity, "alert opened");
            self.holding_since.remove(&key);
            report.opened.push(alert);
        }
        let prefix = dedupe_key(&rule.id, "");
        self.holding_since
            .retain(|k, _| !k.starts_with(&prefix) || holding_keys.contains(k));
        // Forget clear timers of alerts resolved by hand or holding again.
        self.clear_since.retain(|k, _| {
            !k.starts_with(&prefix) || (unresolved.contains_key(k) && !holding_keys.contains(k))
        });
        for (key, mut alert) in unresolved {
            if holding_keys.contains(&key) {
                continue;
            }
            let since = *self.clear_since.entry(key.clone()).or_insert(now);
            if now - since < Duration::seconds(i64::from(rule.clear_after_seconds)) {
                continue;
            }
            alert.state = AlertState::Resolved;
            alert.resolved_at = Some(now);
            store.save_alert_condition(
                rule.metric.origin(),
                ENGINE_ACTOR,
                "alert.resolve",
                &alert,
            )?;
            tracing::info!(rule = %rule.id, key = %key, "alert resolved: condition cleared");
            self.clear_since.remove(&key);
            report.resolved.push(alert);
        }
        Ok(())
    }
}

/// The hub task has its own rule, `hub.sync_failing` (a venue offline for minutes is normal;
/// its changes wait safely), so it never opens `console.task_failing`.
fn watched_elsewhere(task: Task) -> bool {
    task == Task::Hub
}
