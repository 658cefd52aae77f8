//! Circuit breaker per connector: CLOSED → OPEN after a run of failures → HALF_OPEN probe after a
//! cool-down → CLOSED on success (or back to OPEN on failure). Pure state, so it is persisted by
//! the caller and tested without a clock.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Consecutive failed calls that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before one probe is let through.
    pub cool_down_seconds: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cool_down_seconds: 60,
        }
    }
}

impl BreakerConfig {
    /// Every numeric key and its accepted range: 1 to 1,000 failures, a cool-down of 1 s to a
    /// day. A threshold of 0 would open the breaker on no failure at all.
    pub fn numbers(&self) -> Vec<crate::settings::NumericKey> {
        use crate::settings::NumericKey;
        vec![
            NumericKey::u32("failure_threshold", self.failure_threshold, 1..=1_000),
            NumericKey::u32("cool_down_seconds", self.cool_down_seconds, 1..=86_400),
        ]
    }
}

/// What is persisted and shown by `venue status --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerSnapshot {
    pub state: BreakerState,
    pub consecutive_failures: u32,
    pub opened_at: Option<DateTime<Utc>>,
    pub last_transition_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The vendor asked (HTTP 429 Retry-After) not to be called again before this time, for
    /// longer than a run waits: scheduled runs hold off until then. Cleared by a success.
    #[serde(default)]
    pub vendor_wait_until: Option<DateTime<Utc>>,
}

impl Default for BreakerSnapshot {
    fn default() -> Self {
        BreakerSnapshot {
            state: BreakerState::Closed,
            consecutive_failures: 0,
            opened_at: None,
            last_transition_at: None,
            last_error: None,
            vendor_wait_until: None,
        }
    }
}

/// A change of state, returned so the caller logs it once and persists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: BreakerState,
    pub to: BreakerState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    snapshot: BreakerSnapshot,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self::restore(config, BreakerSnapshot::default())
    }

    pub fn restore(config: BreakerConfig, snapshot: BreakerSnapshot) -> Self {
        CircuitBreaker { config, snapshot }
    }

    pub fn snapshot(&self) -> &BreakerSnapshot {
        &self.snapshot
    }

    pub fn state(&self) -> BreakerState {
        self.snapshot.state
    }

    fn move_to(&mut self, to: BreakerState, now: DateTime<Utc>) -> Option<Transition> {
        let from = self.snapshot.state;
        if from == to {
            return None;
        }
        self.snapshot.state = to;
        self.snapshot.last_transition_at = Some(now);
        if to == BreakerState::Open {
            self.snapshot.opened_at = Some(now);
        }
        Some(Transition { from, to })
    }

    /// Whether a call may go out now. An open breaker past its cool-down lets one probe through.
    /// `Err` carries when the next probe is allowed.
    pub fn check(&mut self, now: DateTime<Utc>) -> Result<Option<Transition>, DateTime<Utc>> {
        match self.snapshot.state {
            BreakerState::Closed | BreakerState::HalfOpen => Ok(None),
            BreakerState::Open => {
                let opened = self.snapshot.opened_at.unwrap_or(now);
                let retry_at = opened + Duration::seconds(i64::from(self.config.cool_down_seconds));
                if now >= retry_at {
                    Ok(self.move_to(BreakerState::HalfOpen, now))
                } else {
                    Err(retry_at)
                }
            }
        }
    }

    pub fn on_success(&mut self, now: DateTime<Utc>) -> Option<Transition> {
        self.snapshot.consecutive_failures = 0;
        self.snapshot.vendor_wait_until = None;
        self.move_to(BreakerState::Closed, now)
    }

    /// Records that the vendor asked not to be called again before `until`.
    pub fn vendor_asked_to_wait(&mut self, until: DateTime<Utc>) {
        self.snapshot.vendor_wait_until = Some(until);
    }

    pub fn on_failure(&mut self, now: DateTime<Utc>, error: &str) -> Option<Transition> {
        self.snapshot.consecutive_failures = self.snapshot.consecutive_failures.saturating_add(1);
        self.snapshot.last_error = Some(error.to_string());
        let open = match self.snapshot.state {
            BreakerState::HalfOpen => true,
            BreakerState::Closed => {
                self.snapshot.consecutive_failures >= self.config.failure_threshold.max(1)
            }
            BreakerState::Open => false,
        };
        if open {
            self.move_to(BreakerState::Open, now)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn opens_after_the_threshold_probes_after_cool_down_and_closes_on_success() {
        let mut breaker = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 3,
            cool_down_seconds: 30,
        });
        assert_eq!(breaker.on_failure(t(0), "503"), None);
        assert_eq!(breaker.on_failure(t(1), "503"), None);
        let opened = breaker.on_failure(t(2), "503").expect("opens");
        assert_eq!(
            (opened.from, opened.to),
            (BreakerState::Closed, BreakerState::Open)
        );
        assert_eq!(breaker.check(t(10)), Err(t(32)), "still cooling down");
        let probe = breaker
            .check(t(32))
            .expect("probe allowed")
            .expect("transition");
        assert_eq!(probe.to, BreakerState::HalfOpen);
        let closed = breaker.on_success(t(33)).expect("closes");
        assert_eq!(closed.to, BreakerState::Closed);
        assert_eq!(breaker.snapshot().consecutive_failures, 0);
    }

    #[test]
    fn a_failed_probe_reopens_and_restarts_the_cool_down() {
        let mut breaker = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 1,
            cool_down_seconds: 10,
        });
        breaker.on_failure(t(0), "timeout");
        breaker.check(t(10)).expect("probe");
        let reopened = breaker.on_failure(t(11), "timeout").expect("reopens");
        assert_eq!(
            (reopened.from, reopened.to),
            (BreakerState::HalfOpen, BreakerState::Open)
        );
        assert_eq!(breaker.check(t(15)), Err(t(21)));
        assert_eq!(breaker.snapshot().last_error.as_deref(), Some("timeout"));
    }

    #[test]
    fn a_restored_snapshot_keeps_its_state() {
        let mut breaker = CircuitBreaker::new(BreakerConfig::default());
        for i in 0..5 {
            breaker.on_failure(t(i), "down");
        }
        let json = serde_json::to_string(breaker.snapshot()).expect("serialise");
        assert!(json.contains("\"OPEN\""), "{json}");
        let restored = CircuitBreaker::restore(
            BreakerConfig::default(),
            serde_json::from_str(&json).expect("parse"),
        );
        assert_eq!(restored.state(), BreakerState::Open);
    }
}
