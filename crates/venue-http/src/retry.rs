//! Retry policy: which failures are worth retrying, how long to wait (exponential, linear or
//! fixed, with jitter, never sooner than the vendor's Retry-After), and a per-run budget so a
//! failing vendor is not hammered. The retry loop itself is backon's.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Exponential,
    Linear,
    Fixed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    pub strategy: Strategy,
    /// First delay (and the step for linear, the delay for fixed).
    pub base_ms: u64,
    pub max_delay_ms: u64,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    pub jitter: bool,
    /// Retries allowed across one fetch run, whatever the number of requests.
    pub budget_per_run: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            strategy: Strategy::Exponential,
            base_ms: 500,
            max_delay_ms: 30_000,
            max_attempts: 4,
            jitter: true,
            budget_per_run: 20,
        }
    }
}

impl RetryPolicy {
    /// Every numeric key and its accepted range: a first delay of 1 ms to a minute, delays up
    /// to 10 minutes, 1 to 20 attempts per request, up to 10,000 retries per run.
    pub fn numbers(&self) -> Vec<crate::settings::NumericKey> {
        use crate::settings::NumericKey;
        vec![
            NumericKey::u64("base_ms", self.base_ms, 1..=60_000),
            NumericKey::u64("max_delay_ms", self.max_delay_ms, 1..=600_000),
            NumericKey::u32("max_attempts", self.max_attempts, 1..=20),
            NumericKey::u32("budget_per_run", self.budget_per_run, 0..=10_000),
        ]
    }
}

/// The delays between attempts, as backon consumes them.
#[derive(Debug, Clone)]
pub struct Delays {
    policy: RetryPolicy,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Iterator for Delays {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        if self.attempt + 1 >= self.policy.max_attempts.max(1) {
            return None;
        }
        self.attempt += 1;
        let base = self.policy.base_ms;
        let raw = match self.policy.strategy {
            Strategy::Fixed => base,
            Strategy::Linear => base.saturating_mul(u64::from(self.attempt)),
            Strategy::Exponential => base.saturating_mul(1u64 << (self.attempt - 1).min(20)),
        }
        .min(self.policy.max_delay_ms);
        // "Equal jitter": half fixed, half random, so retries from many clients spread out
        // without ever collapsing to zero.
        let ms = if self.policy.jitter {
            raw / 2 + self.rng.u64(0..=raw / 2)
        } else {
            raw
        };
        Some(Duration::from_millis(ms))
    }
}

impl backon::BackoffBuilder for RetryPolicy {
    type Backoff = Delays;
    fn build(self) -> Delays {
        Delays {
            policy: self,
            attempt: 0,
            rng: fastrand::Rng::new(),
        }
    }
}

/// Retries left in one fetch run, shared by all its requests.
#[derive(Debug)]
pub struct RetryBudget(AtomicU32);

impl RetryBudget {
    pub fn new(retries: u32) -> Self {
        RetryBudget(AtomicU32::new(retries))
    }

    /// Takes one retry from the budget; false when it is spent.
    pub fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    pub fn left(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Parses a Retry-After header: delta seconds or an HTTP date. A date in the past means now; a
/// number too big for u64 means "longer than anything" (u64::MAX seconds), not "no header".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long to wait before the next attempt: the policy's `planned` delay (None when no attempt
/// is left), never sooner than the vendor `asked`, and never longer than `limit`. None means no
/// retry: no attempt left, or the vendor asks for longer than `limit` (the caller then gives
/// up and reports the vendor's wait rather than sleeping through it).
pub fn retry_delay(
    asked: Option<Duration>,
    planned: Option<Duration>,
    limit: Duration,
) -> Option<Duration> {
    let planned = planned?;
    match asked {
        Some(asked) if asked > limit => None,
        Some(asked) => Some(asked.max(planned).min(limit)),
        None => Some(planned.min(limit)),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_retry_after, retry_delay, RetryBudget, RetryPolicy, Strategy};
    use backon::BackoffBuilder;
    use proptest::prelude::{proptest, Strategy as _};
    use std::time::{Duration, SystemTime};

    fn policy(strategy: Strategy) -> RetryPolicy {
        RetryPolicy {
            strategy,
            base_ms: 100,
            max_delay_ms: 1_000,
            max_attempts: 6,
            jitter: false,
            budget_per_run: 10,
        }
    }

    fn delays(p: RetryPolicy) -> Vec<u64> {
        p.build().map(|d| d.as_millis() as u64).collect()
    }

    #[test]
    fn strategies_space_attempts_as_named_and_stop_at_max_attempts() {
        assert_eq!(
            delays(policy(Strategy::Exponential)),
            vec![100, 200, 400, 800, 1_000]
        );
        assert_eq!(
            delays(policy(Strategy::Linear)),
            vec![100, 200, 300, 400, 500]
        );
        assert_eq!(delays(policy(Strategy::Fixed)), vec![100; 5]);
        assert!(delays(RetryPolicy {
            max_attempts: 1,
            ..policy(Strategy::Fixed)
        })
        .is_empty());
    }

    #[test]
    fn jitter_stays_within_half_and_full_delay() {
        let p = RetryPolicy {
            jitter: true,
            ..policy(Strategy::Exponential)
        };
        for (i, d) in delays(p).into_iter().enumerate() {
            let full = (100u64 << i).min(1_000);
            assert!(d >= full / 2 && d <= full, "attempt {i}: {d} ms");
        }
    }

    #[test]
    fn the_budget_is_shared_and_runs_out() {
        let budget = RetryBudget::new(2);
        assert!(budget.take() && budget.take());
        assert!(!budget.take());
        assert_eq!(budget.left(), 0);
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn huge_and_far_retry_after_values_are_read_as_long_waits_not_as_no_header() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let max = Some(Duration::from_secs(u64::MAX));
        assert_eq!(parse_retry_after("18446744073709551615", now), max);
        assert_eq!(parse_retry_after("99999999999999999999999999", now), max);
        let far = parse_retry_after("Thu, 01 Jan 2099 00:00:00 GMT", now).expect("a date");
        assert!(far > Duration::from_secs(60 * 365 * 86_400), "{far:?}");
    }

    #[test]
    fn a_wait_longer_than_the_limit_is_not_slept_through() {
        let s = Duration::from_secs;
        let limit = s(300);
        assert_eq!(retry_delay(Some(s(2)), Some(s(1)), limit), Some(s(2)));
        assert_eq!(retry_delay(None, Some(s(1)), limit), Some(s(1)));
        assert_eq!(retry_delay(Some(s(300)), Some(s(1)), limit), Some(s(300)));
        assert_eq!(retry_delay(Some(s(301)), Some(s(1)), limit), None);
        assert_eq!(retry_delay(Some(s(86_400)), Some(s(1)), limit), None);
        assert_eq!(retry_delay(Some(s(u64::MAX)), Some(s(1)), limit), None);
        assert_eq!(retry_delay(None, Some(s(10_000)), limit), Some(limit));
        assert_eq!(
            retry_delay(Some(s(1)), None, limit),
            None,
            "no attempt left"
        );
    }

    proptest! {
        #[test]
        fn retry_after_never_panics(s in "\\PC{0,40}") {
            let _ = parse_retry_after(&s, SystemTime::now());
        }

        /// Whatever the vendor sends (seconds of any size, HTTP dates up to the year 9999,
        /// garbage) and whatever the policy plans, a wait never exceeds the limit and never
        /// comes sooner than the vendor asked.
        #[test]
        fn the_wait_never_exceeds_the_limit(
            header in proptest::prop_oneof![
                proptest::num::u64::ANY.prop_map(|n| n.to_string()),
                (0u64..=253_402_300_799).prop_map(|secs| httpdate::fmt_http_date(
                    SystemTime::UNIX_EPOCH + Duration::from_secs(secs))),
                "[0-9]{1,40}",
                "\\PC{0,20}",
            ],
            planned_ms in proptest::num::u64::ANY,
            limit_s in 0u64..100_000,
        ) {
            let limit = Duration::from_secs(limit_s);
            let asked = parse_retry_after(&header, SystemTime::now());
            if let Some(wait) = retry_delay(asked, Some(Duration::from_millis(planned_ms)), limit) {
                proptest::prop_assert!(wait <= limit, "{header:?}: {wait:?} > {limit:?}");
                proptest::prop_assert!(asked.is_none_or(|a| wait >= a));
            } else {
                proptest::prop_assert!(asked.is_some_and(|a| a > limit), "{header:?}: gave up");
            }
        }
    }
}
