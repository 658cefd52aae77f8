//! The demo venue's sales come from the POS simulator through the real connectors: `venue init
//! --demo` serves the simulator in-process for one fetch, and `venue sim` serves the same data
//! (same seed, same days) afterwards on the port the demo's venue.toml points at.

use crate::sim::{MEWS_SIM_PORT, SENSOR_SIM_PORT, SIM_PORT};
use anyhow::Context as _;
use std::collections::HashMap;
use std::path::Path;
use venue_core::domain::Venue;
use venue_core::{Console, FetchReport, InitReport};
use venue_sim::{MewsSimConfig, MewsSimulator, PosSimulator, SimClock, SimConfig, Vendor};

/// Makes a freshly initialised demo venue live: its sales fetched from the POS simulator, its
/// stays synced from the PMS simulator, and its door counters pointed at `venue sim`.
pub fn live(data_dir: &Path, mut report: InitReport) -> anyhow::Result<InitReport> {
    for fetched in fetch_sales(data_dir, &report.venue)? {
        report.demo_records += fetched.snapshot.records_written;
    }
    report.demo_records += sync_stays(data_dir, &report.venue)?;
    configure_sensors(data_dir)?;
    Ok(report)
}

/// The simulator of the demo venue: its currency and timezone, sales up to now.
pub fn sim_config(
    port: u16,
    seed: u64,
    days: u32,
    currency: &str,
    timezone: chrono_tz::Tz,
) -> SimConfig {
    let days = days.max(1);
    let today = chrono::Utc::now().with_timezone(&timezone).date_naive();
    SimConfig {
        port,
        seed,
        days,
        start_date: today - chrono::Duration::days(i64::from(days) - 1),
        clock: SimClock::Wall,
        currency: currency.to_string(),
        timezone,
        ..SimConfig::default()
    }
}

struct SimSecrets(HashMap<String, String>);

impl venue_http::secrets::SecretStore for SimSecrets {
    fn get(&self, name: &str) -> Result<Option<String>, venue_http::secrets::SecretError> {
        Ok(self.0.get(name).cloned())
    }
}

fn connectors(base_url: &str, toast_restaurant: &str, currency: &str) -> String {
    format!(
        "\n# The demo's POS systems: the simulator (`venue sim`); its test credentials are in the README.\n\
         [[connector]]\nkind = \"square\"\nname = \"demo-square\"\nbase_url = \"{base_url}\"\ninterval_minutes = 15\n\n\
         [[connector]]\nkind = \"toast\"\nname = \"demo-toast\"\nbase_url = \"{base_url}\"\nrestaurant_guid = \"{toast_restaurant}\"\ncurrency = \"{currency}\"\ninterval_minutes = 15\n"
    )
}

/// Configures the demo's connectors and fetches its sales once from an in-process simulator.
pub fn fetch_sales(data_dir: &Path, venue: &Venue) -> anyhow::Result<Vec<FetchReport>> {
    let config = sim_config(0, 42, 28, venue.currency.code(), venue.timezone);
    let sim =
        PosSimulator::start_in_background(config).context("the POS simulator did not start")?;
    let restaurant = sim
        .locations(Vendor::Toast)
        .first()
        .map(|l| l.id.clone())
        .context("the simulator has no Toast restaurant")?;
    let config_path = data_dir.join(venue_core::CONFIG_FILE);
    let original = std::fs::read_to_string(&config_path).context("cannot read venue.toml")?;
    let write = |base_url: &str| {
        std::fs::write(
            &config_path,
            format!(
                "{original}{}",
                connectors(base_url, &restaurant, venue.currency.code())
            ),
        )
        .context("cannot write venue.toml")
    };
    write(&sim.base_url())?;
    let c = sim.config();
    let secrets = SimSecrets(HashMap::from([
        (
            "demo-square-access-token".to_string(),
            c.square_access_token.clone(),
        ),
        (
            "demo-toast-client-id".to_string(),
            c.toast_client_id.clone(),
        ),
        (
            "demo-toast-client-secret".to_string(),
            c.toast_client_secret.clone(),
        ),
    ]));
    let fetched = Console::open(data_dir).and_then(|console| {
        console
            .with_secret_store(Box::new(secrets))
            .fetch(None, None)
    });
    // Afterwards the demo points at `venue sim`, which serves the same sales.
    write(&format!("http://127.0.0.1:{SIM_PORT}"))?;
    sim.shutdown();
    fetched.map_err(|e| anyhow::anyhow!(e.message))
}

/// The demo hotel's PMS simulator: the venue's currency, a fixed seed, the same hotel each time.
pub fn mews_sim_config(port: u16, seed: u64, currency: &str) -> MewsSimConfig {
    MewsSimConfig {
        port,
        seed,
        rooms: 40,
        currency: currency.to_string(),
        ..MewsSimConfig::default()
    }
}

fn pms_block(base_url: &str, ws_url: &str) -> String {
    format!(
        "\n# The demo's PMS: the Mews simulator (`venue sim`); its test credentials are in the README.\n\
         [pms]\nkind = \"mews\"\nname = \"mews\"\napi_url = \"{base_url}\"\nws_url = \"{ws_url}\"\n"
    )
}

/// Configures the demo's PMS and syncs its stays once from an in-process Mews simulator.
/// Returns the records written.
pub fn sync_stays(data_dir: &Path, venue: &Venue) -> anyhow::Result<u64> {
    let sim = MewsSimulator::start_in_background(mews_sim_config(0, 42, venue.currency.code()))
        .context("the PMS simulator did not start")?;
    let config_path = data_dir.join(venue_core::CONFIG_FILE);
    let original = std::fs::read_to_string(&config_path).context("cannot read venue.toml")?;
    let write = |base_url: &str, ws_url: &str| {
        std::fs::write(
            &config_path,
            format!("{original}{}", pms_block(base_url, ws_url)),
        )
        .context("cannot write venue.toml")
    };
    write(&sim.base_url(), &sim.ws_url())?;
    let c = sim.config();
    let secrets = SimSecrets(HashMap::from([
        ("mews-client-token".to_string(), c.client_token.clone()),
        ("mews-access-token".to_string(), c.access_token.clone()),
    ]));
    let synced = Console::open(data_dir)
        .and_then(|console| console.with_secret_store(Box::new(secrets)).pms_sync(true));
    // Afterwards the demo points at `venue sim`, which serves the same hotel.
    write(
        &format!("http://127.0.0.1:{MEWS_SIM_PORT}"),
        &format!("ws://127.0.0.1:{MEWS_SIM_PORT}/ws/connector"),
    )?;
    sim.shutdown();
    let report = synced.map_err(|e| anyhow::anyhow!(e.message))?;
    anyhow::ensure!(
        report.snapshot.status == venue_core::domain::SnapshotStatus::Ok,
        "the demo's PMS sync did not complete: {}",
        report.snapshot.error.unwrap_or_default()
    );
    Ok(report.records.written)
}

/// The demo's doors, as the built-in history names them: (device, zone, kind, peak per hour).
const DEMO_DOORS: [(&str, &str, venue_sim::CounterKind, &str, u32); 3] = [
    (
        "front-door",
        "lobby",
        venue_sim::CounterKind::Axis3d,
        "axis-3d",
        120,
    ),
    (
        "bar-door",
        "bar",
        venue_sim::CounterKind::AxisPeopleCounter,
        "axis-people-counter",
        240,
    ),
    (
        "terrace-gate",
        "terrace",
        venue_sim::CounterKind::Xovis,
        "xovis",
        90,
    ),
];

/// The demo's door counters: live foot traffic in the venue's timezone.
pub fn sensor_sim_config(
    port: u16,
    seed: u64,
    timezone: chrono_tz::Tz,
) -> venue_sim::SensorSimConfig {
    venue_sim::SensorSimConfig {
        port,
        seed,
        devices: DEMO_DOORS
            .iter()
            .map(|(name, zone, kind, _, peak)| {
                venue_sim::SimDeviceSpec::new(name, *kind, zone, *peak)
            })
            .collect(),
        timezone,
        ..venue_sim::SensorSimConfig::default()
    }
}

/// Points the demo's door counters at `venue sim` (polled by `venue run` and the app).
pub fn configure_sensors(data_dir: &Path) -> anyhow::Result<()> {
    let config_path = data_dir.join(venue_core::CONFIG_FILE);
    let mut config = std::fs::read_to_string(&config_path).context("cannot read venue.toml")?;
    config.push_str(
        "\n# The demo's door counters: simulated by `venue sim` (password in the README).\n",
    );
    for (name, zone, _, kind, _) in DEMO_DOORS {
        config.push_str(&format!(
            "[[sensor]]\nkind = \"{kind}\"\nname = \"{name}\"\nurl = \"http://127.0.0.1:{SENSOR_SIM_PORT}/dev/{name}\"\nzone = \"{zone}\"\ninterval_seconds = 15\nusername = \"root\"\n\n"
        ));
    }
    std::fs::write(&config_path, config).context("cannot write venue.toml")
}
