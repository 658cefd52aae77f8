//! Reading a metric's current values from the store: one observation per subject, each with
//! the wording of the alert it would open.

use super::rules::Metric;
use crate::ApiResult;
use chrono::{DateTime, Utc};
use venue_domain::{SnapshotStatus, Venue};
use venue_store::Store;

/// One subject's value of a metric now.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// What the value is about: "venue", a connector, a device, a charge or reservation id.
    pub subject: String,
    pub value: f64,
    /// The alert's title and body when this observation opens one.
    pub title: String,
    pub body: String,
}

fn observation(subject: impl Into<String>, value: f64, title: String, body: String) -> Observation {
    Observation {
        subject: subject.into(),
        value,
        title,
        body,
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn flag(on: bool) -> f64 {
    if on {
        1.0
    } else {
        0.0
    }
}

/// The metric's value for every subject it has now.
pub fn observe(
    store: &Store,
    venue: &Venue,
    metric: Metric,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Observation>> {
    Ok(match metric {
        Metric::OccupancyShare | Metric::Occupancy => {
            let zones = store.zone_occupancy(venue.id)?;
            let known: Vec<i64> = zones.iter().filter_map(|z| z.occupancy).collect();
            if known.is_empty() {
                return Ok(Vec::new());
            }
            let inside: i64 = known.iter().sum();
            let capacity = i64::from(venue.capacity.max(1));
            let share = inside as f64 / capacity as f64;
            let value = if metric == Metric::Occupancy {
                inside as f64
            } else {
                share
            };
            vec![observation(
                "venue",
                value,
                format!("Occupancy at {} of capacity", percent(share)),
                format!("{inside} people inside against a capacity of {capacity}."),
            )]
        }
        Metric::BreakerOpen | Metric::RateLimitRatio | Metric::PmsSocketDownSeconds => store
            .connector_states(venue.id)?
            .into_iter()
            .filter_map(|state| connector_observation(metric, &state, now))
            .collect(),
        Metric::SnapshotFailed => {
            let mut out = Vec::new();
            for state in store.connector_states(venue.id)? {
                let last = store.last_snapshot_of(
                    venue.id,
                    &state.connector,
                    &[
                        SnapshotStatus::Ok,
                        SnapshotStatus::Partial,
                        SnapshotStatus::Failed,
                    ],
                )?;
                let Some(last) = last else { continue };
                let bad = matches!(
                    last.status,
                    SnapshotStatus::Failed | SnapshotStatus::Partial
                );
                out.push(observation(
                    state.connector.clone(),
                    flag(bad),
                    format!("The last {} fetch was {}", state.connector, last.status),
                    format!(
                        "Started {}; {} records seen, {} written.{}",
                        last.started_at.format("%F %H:%M UTC"),
                        last.records_seen,
                        last.records_written,
                        last.error.map(|e| format!(" {e}")).unwrap_or_default()
                    ),
                ));
            }
            out
        }
        Metric::SensorOffline | Metric::SensorAuthFailed => store
            .sensor_states(venue.id)?
            .into_iter()
            .map(|s| {
                let (status, title) = if metric == Metric::SensorOffline {
                    ("offline", format!("Door sensor {} is offline", s.device))
                } else {
                    (
                        "auth_failed",
                        format!("Door sensor {} refused our credentials", s.device),
                    )
                };
                let body = format!(
                    "{}{}",
                    s.status_since
                        .map(|t| format!("Since {}. ", t.format("%F %H:%M UTC")))
                        .unwrap_or_default(),
                    s.last_error.clone().unwrap_or_default()
                );
                observation(s.device.clone(), flag(s.status == status), title, body)
            })
            .collect(),
        Metric::ChargeFailed => store
            .failed_charges(venue.id)?
            .into_iter()
            .map(|c| {
                let minor = c.amount_minor;
                observation(
                    c.id.to_string(),
                    1.0,
                    format!(
                        "Charge failed to post: {} {}.{:02} {}",
                        // Rows from before items were checked at entry may hold anything.
                        shortened(&venue_domain::text::printable(&c.item), 80),
                        minor / 100,
                        (minor % 100).abs(),
                        c.currency
                    ),
                    format!(
                        "To reservation {} in {}. {}",
                        c.reservation_number.as_deref().unwrap_or("?"),
                        c.source,
                        shortened(
                            &venue_domain::text::printable(c.last_error.as_deref().unwrap_or("")),
                            500
                        )
                    ),
                )
            })
            .collect(),
        // Not in the store: the engine reads it from its process's task health.
        Metric::TaskFailingSeconds => Vec::new(),
        Metric::SyncFailingSeconds => sync_failing(store, venue, now)?.into_iter().collect(),
        Metric::VipArrival => {
            let (start, end) = venue.day_bounds(venue.local_date(now));
            store
                .vip_arrivals(venue.id, start, end)?
                .into_iter()
                .map(|a| {
                    let local = a.start_utc.with_timezone(&venue.timezone);
                    observation(
                        a.reservation_id.to_string(),
                        1.0,
                        format!(
                            "VIP arrival today: {}",
                            if a.guest.is_empty() {
                                "guest"
                            } else {
                                &a.guest
                            }
                        ),
                        format!(
                            "Reservation {} from {}.",
                            a.number.as_deref().unwrap_or("?"),
                            local.format("%H:%M")
                        ),
                    )
                })
                .collect()
        }
    })
}

/// How long sync with the hub has failed, once joined: 0 while it works, so the alert resolves.
fn sync_failing(
    store: &Store,
    venue: &Venue,
    now: DateTime<Utc>,
) -> ApiResult<Option<Observation>> {
    let state = store.hub_state()?;
    let Some(hub) = state.url else {
        return Ok(None);
    };
    let since = state.failing_since.as_deref().and_then(parse_stored_time);
    let Some(since) = since else {
        return Ok(Some(observation("hub", 0.0, String::new(), String::new())));
    };
    let waiting = store.backlog(venue_store::HUB_PEER)?.changes;
    let local = since.with_timezone(&venue.timezone);
    Ok(Some(observation(
        "hub",
        (now - since).num_seconds().max(0) as f64,
        format!("Not synced with the hub since {}", local.format("%H:%M")),
        format!(
            "{waiting} changes wait on this console; everything works here and they go up once {hub} answers. The last error: {}",
            state.last_error.as_deref().unwrap_or("unknown")
        ),
    )))
}

/// The store's UTC text (`2026-12-07 10:00:00.123+00:00`).
fn parse_stored_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn connector_observation(
    metric: Metric,
    state: &venue_store::ConnectorState,
    now: DateTime<Utc>,
) -> Option<Observation> {
    let name = &state.connector;
    match metric {
        Metric::BreakerOpen => {
            let s = state.breaker.get("state")?.as_str()?;
            let open = matches!(s, "OPEN" | "HALF_OPEN");
            let error = state
                .breaker
                .get("last_error")
                .and_then(|e| e.as_str())
                .unwrap_or("");
            Some(observation(
                name.clone(),
                flag(open),
                format!("{name} is failing: its circuit breaker is open"),
                format!("Calls to {name} are paused after repeated failures. {error}"),
            ))
        }
        Metric::RateLimitRatio => {
            let metrics = state.metrics.as_ref()?;
            // The PMS keeps its HTTP metrics under "http" next to its socket's.
            let http = metrics.get("http").unwrap_or(metrics);
            let requests = http.get("requests")?.as_u64()?;
            let hits = http.get("rate_limit_hits")?.as_u64()?;
            if requests == 0 {
                return None;
            }
            let ratio = hits as f64 / requests as f64;
            Some(observation(
                name.clone(),
                ratio,
                format!("{name} is rate limited on {} of requests", percent(ratio)),
                format!(
                    "{hits} of {requests} requests in its latest run were refused as too many."
                ),
            ))
        }
        Metric::PmsSocketDownSeconds => {
            let socket = state.metrics.as_ref()?.get("socket")?;
            let down = socket.get("state")?.as_str()? == "down";
            let since = socket
                .get("since")
                .and_then(|s| serde_json::from_value::<DateTime<Utc>>(s.clone()).ok());
            let seconds = match (down, since) {
                (true, Some(since)) => (now - since).num_seconds().max(0) as f64,
                _ => 0.0,
            };
            let error = socket
                .get("last_error")
                .and_then(|e| e.as_str())
                .unwrap_or("");
            Some(observation(
                name.clone(),
                seconds,
                format!("The {name} live connection is down"),
                format!(
                    "Down for {} min; changes in the PMS reach the console only on the next pull. {error}",
                    (seconds / 60.0).round()
                ),
            ))
        }
        _ => None,
    }
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}
