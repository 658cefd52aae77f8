//! Opening a data dir and setting one up: its `venue.toml` read and checked by every
//! capability, its store opened (or, by `init` only, created), a demo venue seeded on request.

use crate::config::{Config, ConfigError, CONFIG_FILE, DEFAULT_CONFIG};
use crate::paths::ensure_dir;
use crate::{ApiError, ApiResult, Console, ErrorCode};
use chrono::Utc;
use serde::Serialize;
use std::path::Path;
use venue_domain::Venue;
use venue_store::{OpenMode, Store, StoreError, DB_FILE};

impl Config {
    /// Loads the data dir's config; a missing file means defaults.
    pub fn load(data_dir: &Path) -> ApiResult<Config> {
        let path = data_dir.join(CONFIG_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ApiError::new(
                    ErrorCode::Io,
                    format!("cannot read {}: {e}", path.display()),
                ))
            }
        };
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            ApiError::bad_input(format!(
                "{}: not valid UTF-8 at byte {}: save the file as UTF-8",
                path.display(),
                e.valid_up_to()
            ))
        })?;
        Self::parse(text).map_err(|e| ApiError::bad_input(format!("{}: {e}", path.display())))
    }

    /// Reads and checks venue.toml's text: its sections (see `Config::parse_sections`), then
    /// what each capability checks of its own part (the alert rules).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config = Config::parse_sections(text)?;
        crate::alerts::configured_rules(&config)?;
        Ok(config)
    }
}

#[derive(Debug, Clone)]
pub struct InitOptions {
    pub name: String,
    pub timezone: String,
    pub currency: String,
    pub capacity: u32,
    /// Fill the store with a believable demo venue's day (no network needed).
    pub demo: bool,
    /// With `demo`: also seed point-of-sale sales. Off when the demo's sales come from the POS
    /// simulator through the real connectors instead.
    pub demo_sales: bool,
    /// With `demo`: also seed stays (rooms, guests, reservations). Off when the demo's stays
    /// come from the PMS simulator through the real PMS sync instead.
    pub demo_stays: bool,
}

impl InitOptions {
    pub const DEMO_NAME: &'static str = "Harbour Hotel & Bar";

    pub fn demo() -> Self {
        InitOptions {
            name: Self::DEMO_NAME.into(),
            timezone: "Europe/London".into(),
            currency: "GBP".into(),
            capacity: 180,
            demo: true,
            demo_sales: true,
            demo_stays: true,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    pub data_dir: String,
    pub venue: Venue,
    pub demo_records: u64,
}
impl Console {
    /// Opens a data dir's existing store for reading and writing. Only [`Console::init`] creates
    /// a store: a data dir without one is "not set up yet" (nothing is created), and a missing
    /// or empty store beside a `venue.toml` is an error naming it, never a new, empty venue in
    /// its place. A damaged, locked or unreadable store is refused with its cause.
    pub fn open(data_dir: &Path) -> ApiResult<Console> {
        Self::open_as(data_dir, OpenMode::Existing)
    }

    /// Like [`Console::open`], for commands that only read: the connection refuses every write,
    /// and a damaged store still opens, so what can be read, exported or backed up still is;
    /// `status` runs the integrity check and reports the damage.
    pub fn open_for_reading(data_dir: &Path) -> ApiResult<Console> {
        Self::open_as(data_dir, OpenMode::Salvage)
    }

    /// The data dir's venue, read without migrating, locking or creating anything (not even a
    /// data dir): None when there is no store or it cannot be read. For `venue sim`.
    pub fn peek_venue(data_dir: &Path) -> Option<Venue> {
        let store = Store::open_with(&data_dir.join(DB_FILE), OpenMode::Peek).ok()?;
        store.venue().ok().flatten()
    }

    fn open_as(data_dir: &Path, mode: OpenMode) -> ApiResult<Console> {
        let config = Config::load(data_dir)?;
        let store = Store::open_with(&data_dir.join(DB_FILE), mode)
            .map_err(|e| missing_store_error(data_dir, e))?;
        Ok(Console::with_store(data_dir, config, store))
    }

    /// Sets up a venue in a data dir that has none, with a commented `venue.toml`. The only way a
    /// store is created (an empty store file is made into one here, as asked).
    pub fn init(data_dir: &Path, options: &InitOptions) -> ApiResult<(Console, InitReport)> {
        // Validate before touching the disk, so bad input leaves nothing behind.
        let venue = Venue::new(
            &options.name,
            &options.timezone,
            &options.currency,
            options.capacity,
        )?;
        ensure_dir(data_dir)?;
        let config = Config::load(data_dir)?;
        let store = Store::open_with(&data_dir.join(DB_FILE), OpenMode::Create)?;
        let mut console = Console::with_store(data_dir, config, store);
        if let Some(existing) = console.store.venue()? {
            return Err(ApiError::new(
                ErrorCode::AlreadyInitialized,
                format!(
                    "{} already holds the venue {:?}; use another --data-dir to start afresh",
                    data_dir.display(),
                    existing.name
                ),
            ));
        }
        let config_path = data_dir.join(CONFIG_FILE);
        if !config_path.exists() {
            std::fs::write(&config_path, DEFAULT_CONFIG).map_err(|e| {
                ApiError::new(
                    ErrorCode::Io,
                    format!("cannot write {}: {e}", config_path.display()),
                )
            })?;
        }
        let actor = console.actor().to_string();
        console.store.save_by_user(&actor, "venue.create", &venue)?;
        let demo_records = if options.demo {
            crate::demo::seed(
                &mut console.store,
                &venue,
                Utc::now(),
                options.demo_sales,
                options.demo_stays,
            )?
        } else {
            0
        };
        let report = InitReport {
            data_dir: data_dir.display().to_string(),
            venue,
            demo_records,
        };
        Ok((console, report))
    }
}

/// A store that is not there: "not set up yet" in a data dir without a `venue.toml` (nothing was
/// ever configured there), an error naming the missing or empty file beside one.
fn missing_store_error(data_dir: &Path, error: StoreError) -> ApiError {
    let (path, what) = match &error {
        StoreError::Missing { path } => (path, "is missing"),
        StoreError::Empty { path } => (path, "is empty (0 bytes)"),
        _ => return error.into(),
    };
    let config = data_dir.join(CONFIG_FILE);
    if matches!(error, StoreError::Missing { .. }) && !config.exists() {
        return ApiError::new(
            ErrorCode::NotInitialized,
            format!(
                "no venue is set up in {}; run `venue init` (or `venue init --demo`)",
                data_dir.display()
            ),
        );
    }
    let beside = if config.exists() {
        format!(" although {} configures a venue there", config.display())
    } else {
        String::new()
    };
    ApiError::new(
        ErrorCode::StoreMissing,
        format!(
            "the store {} {what}{beside}; it was left as it is — restore it from a backup, or run `venue init` to start a new, empty venue there",
            path.display()
        ),
    )
}
