//! `GET /metrics` for Prometheus: requests and their latency by route and status, changes
//! ingested by outcome, and consoles seen. Per process: each hub process reports its own, and
//! Prometheus sums them.

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VenueLabels {
    pub venue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

pub struct HubMetrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub changes: Family<OutcomeLabels, Counter>,
    pub live_consoles: Gauge,
}

impl Default for HubMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("venue_hub");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 1 ms to ~16 s.
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.001, 2.0, 15,
            ))
        });
        let changes = Family::<OutcomeLabels, Counter>::default();
        let live_consoles = Gauge::default();
        registry.register("requests", "HTTP requests answered", requests.clone());
        registry.register(
            "request_seconds",
            "Time to answer a request",
            latency.clone(),
        );
        registry.register(
            "changes",
            "Changes pushed by consoles, by outcome",
            changes.clone(),
        );
        registry.register(
            "live_consoles",
            "Consoles connected to the live channel of this process",
            live_consoles.clone(),
        );
        HubMetrics {
            registry,
            requests,
            latency,
            changes,
            live_consoles,
        }
    }
}

impl HubMetrics {
    pub fn observe(&self, route: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn count_changes(&self, outcome: &'static str, n: u64) {
        if n > 0 {
            self.changes
                .get_or_create(&OutcomeLabels { outcome })
                .inc_by(n);
        }
    }

    /// The registry's text, with `extra` (lines computed at scrape time) appended.
    pub fn render(&self, extra: &str) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode_registry(&mut text, &self.registry)?;
        text.push_str(extra);
        prometheus_client::encoding::text::encode_eof(&mut text)?;
        Ok(text)
    }
}

/// `venue_hub_venue_newest_change_age_seconds{venue}`: how long ago each venue's newest change
/// arrived, as of `now` (never negative: another hub's clock may run ahead of this one's).
pub fn venue_ages(
    newest: &[(Uuid, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("venue_hub");
    let ages = Family::<VenueLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    for (venue, at) in newest {
        let age = (now - *at).num_milliseconds().max(0) as f64 / 1_000.0;
        ages.get_or_create(&VenueLabels {
            venue: venue.to_string(),
        })
        .set(age);
    }
    registry.register(
        "venue_newest_change_age_seconds",
        "Seconds since the venue's newest change reached the hub",
        ages,
    );
    let mut text = String::new();
    prometheus_client::encoding::text::encode_registry(&mut text, &registry)?;
    Ok(text)
}
