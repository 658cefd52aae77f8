//! Per-connector request metrics: counts and latency percentiles over the latest requests.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

const LATENCY_WINDOW: usize = 1_024;

#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requests: u64,
    failures: u64,
    retries: u64,
    rate_limit_hits: u64,
    latencies_ms: VecDeque<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    pub requests: u64,
    pub failures: u64,
    pub retries: u64,
    pub rate_limit_hits: u64,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    pub latency_p99_ms: Option<u64>,
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut inner);
    }

    pub fn request(&self, latency: Duration, failed: bool) {
        self.with(|m| {
            m.requests += 1;
            if failed {
                m.failures += 1;
            }
            if m.latencies_ms.len() == LATENCY_WINDOW {
                m.latencies_ms.pop_front();
            }
            m.latencies_ms.push_back(latency.as_millis() as u64);
        });
    }

    pub fn retry(&self) {
        self.with(|m| m.retries += 1);
    }

    pub fn rate_limited(&self) {
        self.with(|m| m.rate_limit_hits += 1);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut sorted: Vec<u64> = inner.latencies_ms.iter().copied().collect();
        sorted.sort_unstable();
        let pick = |q: f64| -> Option<u64> {
            if sorted.is_empty() {
                return None;
            }
            // Nearest-rank percentile.
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted.get(rank - 1).copied()
        };
        MetricsSnapshot {
            requests: inner.requests,
            failures: inner.failures,
            retries: inner.retries,
            rate_limit_hits: inner.rate_limit_hits,
            latency_p50_ms: pick(0.50),
            latency_p95_ms: pick(0.95),
            latency_p99_ms: pick(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let m = Metrics::default();
        for ms in 1..=100 {
            m.request(Duration::from_millis(ms), ms % 10 == 0);
        }
        m.rate_limited();
        let s = m.snapshot();
        assert_eq!((s.requests, s.failures, s.rate_limit_hits), (100, 10, 1));
        assert_eq!(
            (s.latency_p50_ms, s.latency_p95_ms, s.latency_p99_ms),
            (Some(50), Some(95), Some(99))
        );
        assert_eq!(Metrics::default().snapshot().latency_p50_ms, None);
    }
}
