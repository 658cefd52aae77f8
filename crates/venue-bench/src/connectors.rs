//! `venue-bench connectors`: Square orders fetched from the simulator, normalised and stored
//! through `venue fetch`'s path, against a bare reqwest loop over the same pages (no parsing
//! beyond the cursor, no storing) in the same run.

use crate::report::line;
use anyhow::Context as _;
use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use std::time::Instant;
use venue_core::{Console, InitOptions};
use venue_http::secrets::{SecretError, SecretStore};
use venue_sim::{PosSimulator, SimConfig};

struct OneSecret(String);

impl SecretStore for OneSecret {
    fn get(&self, _: &str) -> Result<Option<String>, SecretError> {
        Ok(Some(self.0.clone()))
    }
}

/// Reads the cursor and counts orders without building them (serde skips their contents).
#[derive(serde::Deserialize)]
struct CursorOnly {
    cursor: Option<String>,
    #[serde(default)]
    orders: Vec<serde::de::IgnoredAny>,
}

pub fn run(orders: u64) -> anyhow::Result<()> {
    let locations = 5u64;
    let days = 10u64;
    let per_day = orders.div_ceil(locations * days).max(1);
    let sim = PosSimulator::start_in_background(SimConfig {
        square_locations: locations as usize,
        toast_restaurants: 1,
        days: days as u32,
        orders_per_day: per_day as u32,
        weekday_pattern: false,
        ..SimConfig::default()
    })
    .context("simulator")?;
    let start = Utc.from_utc_datetime(
        &sim.config()
            .start_date
            .and_hms_opt(0, 0, 0)
            .context("midnight")?,
    ) - Duration::days(1);
    let end = sim.now() + Duration::days(1);
    let location_ids: Vec<String> = sim
        .locations(venue_sim::Vendor::Square)
        .into_iter()
        .map(|l| l.id)
        .collect();
    let token = sim.config().square_access_token.clone();
    let page_size = venue_pos::square::client::PAGE_SIZE;

    // Bare: the same requests, the cursor read, nothing else.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bare_started = Instant::now();
    let bare_records = runtime.block_on(async {
        let client = venue_http::tls::client_builder()?.build()?;
        let url = format!("{}/v2/orders/search", sim.base_url());
        let mut records = 0u64;
        let mut cursor: Option<String> = None;
        loop {
            let mut body = json!({
                "location_ids": location_ids,
                "limit": page_size,
                "query": {
                    "filter": {
                        "state_filter": {"states": ["COMPLETED", "CANCELED"]},
                        "date_time_filter": {"updated_at": {"start_at": start.to_rfc3339(), "end_at": end.to_rfc3339()}}
                    },
                    "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}
                }
            });
            if let (Some(c), Some(o)) = (&cursor, body.as_object_mut()) {
                o.insert("cursor".into(), json!(c));
            }
            let bytes = client
                .post(&url)
                .bearer_auth(&token)
                .header("Square-Version", venue_pos::square::client::SQUARE_VERSION)
                .json(&body)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            let page: CursorOnly = serde_json::from_slice(&bytes)?;
            records += page.orders.len() as u64;
            cursor = page.cursor.filter(|c| !c.is_empty());
            if cursor.is_none() {
                return anyhow::Ok(records);
            }
        }
    })?;
    let bare = bare_started.elapsed().as_secs_f64();

    // Full: venue fetch into a real store.
    let dir = tempfile::tempdir()?;
    let options = InitOptions {
        currency: "USD".into(),
        timezone: "America/New_York".into(),
        demo: false,
        ..InitOptions::demo()
    };
    drop(Console::init(dir.path(), &options).map_err(|e| anyhow::anyhow!(e.message))?);
    let config_path = dir.path().join("venue.toml");
    let config = std::fs::read_to_string(&config_path)?;
    std::fs::write(
        &config_path,
        format!(
            "{config}\n[[connector]]\nkind = \"square\"\nname = \"bench\"\nbase_url = \"{}\"\nlocation_ids = {:?}\nrequests_per_second = 1000\n",
            sim.base_url(),
            location_ids
        ),
    )?;
    let mut console = Console::open(dir.path())
        .map_err(|e| anyhow::anyhow!(e.message))?
        .with_secret_store(Box::new(OneSecret(token)));
    let full_started = Instant::now();
    let reports = console
        .fetch(None, Some(start))
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let full = full_started.elapsed().as_secs_f64();
    let written = reports.first().map_or(0, |r| r.snapshot.records_written);
    anyhow::ensure!(
        written == bare_records,
        "the full path stored {written} of {bare_records} orders"
    );
    let n = written as f64;
    line(
        "connectors.bare_fetch_rate",
        n / bare,
        "records/s",
        n / bare,
        1.0,
        json!({"records": written}),
    )?;
    // Goal: the full path costs no more than 2x the bare fetch.
    line(
        "connectors.full_path_cost",
        full,
        "s",
        bare,
        full / bare,
        json!({"goal": "<= 2", "records": written, "full_rate": (n / full).round()}),
    )?;
    Ok(())
}
