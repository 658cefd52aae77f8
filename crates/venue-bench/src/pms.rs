//! `venue-bench pms`: the Mews simulator changes reservations at a steady rate while the live
//! mirror runs; reports the time from each change in the PMS (its UpdatedUtc) to the change
//! committed in the local store (websocket event, REST fetch, store write), whether the backlog
//! stays bounded (the most events queued at once, and how long the mirror takes to catch up
//! once the changes stop), and, as the baseline measured in the same run, the latency of a bare
//! REST fetch of one reservation.

use crate::report::line;
use anyhow::Context as _;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use venue_core::{Console, InitOptions};
use venue_http::secrets::{SecretError, SecretStore};
use venue_sim::{MewsSimConfig, MewsSimulator};

struct Secrets(HashMap<String, String>);

impl SecretStore for Secrets {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        Ok(self.0.get(name).cloned())
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// p50 and p99 of a bare reservations/getAll by id: what one REST round trip costs here.
fn bare_fetch_ms(
    base_url: &str,
    body: serde_json::Value,
    samples: usize,
) -> anyhow::Result<(f64, f64)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let url = format!("{base_url}/api/connector/v1/reservations/getAll/2023-06-06");
    let mut ms: Vec<f64> = runtime.block_on(async {
        let client = venue_http::tls::client_builder()?.build()?;
        let mut out = Vec::with_capacity(samples);
        for _ in 0..samples {
            let started = Instant::now();
            let response = client.post(&url).json(&body).send().await?;
            anyhow::ensure!(
                response.status().is_success(),
                "bare fetch: HTTP {}",
                response.status()
            );
            response.bytes().await?;
            out.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        Ok::<_, anyhow::Error>(out)
    })?;
    ms.sort_by(f64::total_cmp);
    Ok((percentile(&ms, 0.5), percentile(&ms, 0.99)))
}

pub fn run(rate: u32, seconds: u64, documented_limit: bool) -> anyhow::Result<()> {
    let defaults = MewsSimConfig::default();
    let (requests_per_window, window_label) = if documented_limit {
        (defaults.requests_per_window, "documented")
    } else {
        (1_000_000, "unthrottled")
    };
    let sim = MewsSimulator::start_in_background(MewsSimConfig {
        seed: 5,
        rooms: 300,
        requests_per_window,
        ..MewsSimConfig::default()
    })
    .context("Mews simulator")?;
    let dir = tempfile::tempdir()?;
    let options = InitOptions {
        currency: sim.currency(),
        timezone: "Europe/Prague".into(),
        demo: false,
        ..InitOptions::demo()
    };
    drop(Console::init(dir.path(), &options).map_err(|e| anyhow::anyhow!(e.message))?);
    let config_path = dir.path().join(venue_core::CONFIG_FILE);
    let config = std::fs::read_to_string(&config_path)?;
    std::fs::write(
        &config_path,
        format!(
            "{config}\n[pms]\nkind = \"mews\"\napi_url = \"{}\"\nws_url = \"{}\"\nrequests_per_window = {requests_per_window}\n",
            sim.base_url(),
            sim.ws_url()
        ),
    )?;
    let c = sim.config();
    let secrets = Secrets(HashMap::from([
        ("mews-client-token".to_string(), c.client_token.clone()),
        ("mews-access-token".to_string(), c.access_token.clone()),
    ]));
    let mut console = Console::open(dir.path())
        .map_err(|e| anyhow::anyhow!(e.message))?
        .with_secret_store(Box::new(secrets));
    console
        .pms_sync(true)
        .map_err(|e| anyhow::anyhow!(e.message))?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let live = std::thread::spawn(move || console.pms_live(stopped));
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.connected_sockets() == 0 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the mirror never connected its socket"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Changes in ticks of 10 ms, rate/100 each, on a fixed schedule (no drift).
    let per_tick = (rate / 100).max(1) as usize;
    let started = Instant::now();
    let mut ticks = 0u64;
    let mut touched = 0usize;
    while started.elapsed() < Duration::from_secs(seconds) {
        touched += sim.churn(per_tick).len();
        ticks += 1;
        let next = started + Duration::from_millis(10 * ticks);
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let churn_secs = started.elapsed().as_secs_f64();
    // Caught up when the newest change is stored: poll the mirror's view through its file.
    let db = dir.path().join(venue_store::DB_FILE);
    let newest = sim
        .reservations()
        .into_iter()
        .max_by_key(|r| r.updated_utc)
        .context("no reservations")?;
    let drain_started = Instant::now();
    let store = venue_store::Store::open(&db)?;
    let venue = store.venue()?.context("venue")?;
    let id = venue_core::domain::vendor_row_id(
        venue.id,
        venue_core::domain::EntityKind::Reservation,
        "mews",
        &newest.id,
    );
    loop {
        let held = store.get::<venue_core::domain::Reservation>(id)?;
        if held.and_then(|r| r.updated_at_source) >= Some(newest.updated_utc) {
            break;
        }
        anyhow::ensure!(
            drain_started.elapsed() < Duration::from_secs(120),
            "the mirror did not catch up within 120 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let drain_ms = drain_started.elapsed().as_secs_f64() * 1000.0;
    stop.send(true).ok();
    let report = live
        .join()
        .map_err(|_| anyhow::anyhow!("the live mirror panicked"))?
        .map_err(|e| anyhow::anyhow!(e.message))?;

    // The baseline runs against a twin of the hotel without the request limit, so it measures
    // a round trip and not the vendor's quota (which the mirror has just spent).
    let twin = MewsSimulator::start_in_background(MewsSimConfig {
        seed: 5,
        rooms: 300,
        requests_per_window: 1_000_000,
        ..MewsSimConfig::default()
    })
    .context("Mews simulator twin")?;
    let any_stay = twin
        .reservations()
        .into_iter()
        .next()
        .context("no reservations")?;
    let body = json!({
        "ClientToken": c.client_token, "AccessToken": c.access_token, "Client": "venue-bench",
        "ReservationIds": [any_stay.id], "Limitation": {"Count": 1000}
    });
    let (bare_p50, bare_p99) = bare_fetch_ms(&twin.base_url(), body, 500)?;
    let p50 = report.lag_p50_ms.unwrap_or(f64::NAN);
    let p99 = report.lag_p99_ms.unwrap_or(f64::NAN);
    let extra = json!({
        "limit": window_label,
        "changes": ticks * per_tick as u64,
        "changes_per_second": (ticks * per_tick as u64) as f64 / churn_secs,
        // A check-out touches the stay and its room, a guest's edit the guest: rows per change.
        "records_touched": touched,
        "samples": report.lag_samples,
        "event_batches": report.event_batches,
    });
    line(
        "pms.lag_p50",
        p50,
        "ms",
        bare_p50,
        p50 / bare_p50,
        extra.clone(),
    )?;
    line(
        "pms.lag_p99",
        p99,
        "ms",
        bare_p99,
        p99 / bare_p99,
        json!({"goal_ms": 50, "limit": window_label}),
    )?;
    line(
        "pms.max_backlog",
        report.max_backlog as f64,
        "signals",
        4096.0,
        report.max_backlog as f64 / 4096.0,
        json!({"meaning": "most socket signals queued at once, against the channel's capacity", "limit": window_label}),
    )?;
    line(
        "pms.drain_after_stop",
        drain_ms,
        "ms",
        bare_p99,
        drain_ms / bare_p99,
        json!({"meaning": "time for the newest change to be stored after the changes stop; small = no backlog", "limit": window_label}),
    )?;
    Ok(())
}
