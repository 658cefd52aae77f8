//! Helpers shared by the venue-core integration tests (each test file compiles this module on
//! its own, so a helper one file does not use is not dead code).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use venue_core::{Console, ExportEntity, ExportFormat, InitOptions};
use venue_http::secrets::{SecretError, SecretStore};
use venue_sim::{BackgroundMewsSim, MewsSimConfig, MewsSimulator};

/// A secret store holding exactly the given names and values.
pub struct MapSecrets(pub HashMap<String, String>);

impl SecretStore for MapSecrets {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        Ok(self.0.get(name).cloned())
    }
}

/// The Mews simulator with `seed` and `rooms`, taking far more traffic than a hotel would.
pub fn mews_sim(seed: u64, rooms: u32) -> BackgroundMewsSim {
    MewsSimulator::start_in_background(MewsSimConfig {
        seed,
        rooms,
        requests_per_window: 100_000,
        ..MewsSimConfig::default()
    })
    .expect("simulator starts")
}

/// The console of `dir` with the Mews simulator's tokens in its secret store.
pub fn open(dir: &Path, sim: &BackgroundMewsSim) -> Console {
    let c = sim.config();
    let secrets = MapSecrets(HashMap::from([
        ("mews-client-token".to_string(), c.client_token.clone()),
        ("mews-access-token".to_string(), c.access_token.clone()),
    ]));
    Console::open(dir)
        .expect("open")
        .with_secret_store(Box::new(secrets))
}

/// A venue initialised (without demo data) in `currency` and `timezone`, whose venue.toml ends
/// with `extra_config`.
pub fn init_venue(currency: &str, timezone: &str, extra_config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = InitOptions {
        currency: currency.into(),
        timezone: timezone.into(),
        demo: false,
        ..InitOptions::demo()
    };
    drop(Console::init(dir.path(), &options).expect("init"));
    let config = std::fs::read_to_string(dir.path().join("venue.toml")).expect("config");
    std::fs::write(
        dir.path().join("venue.toml"),
        format!("{config}\n{extra_config}"),
    )
    .expect("write config");
    dir
}

/// Every sale of the venue, as its JSON export has them.
pub fn exported_sales(console: &Console) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    console
        .export(
            ExportEntity::Transactions,
            ExportFormat::Json,
            None,
            None,
            &mut out,
        )
        .expect("export");
    serde_json::from_slice::<Vec<serde_json::Value>>(&out).expect("json")
}
