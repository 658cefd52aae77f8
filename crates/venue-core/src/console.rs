use crate::config::{Config, CONFIG_FILE, DEFAULT_CONFIG};
use crate::paths::ensure_dir;
use crate::{ApiError, ApiResult, ErrorCode};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use venue_domain::{Snapshot, Venue};
use venue_store::{ChangeLogStats, Counts, SearchHit, Store, DB_FILE};

/// An open data dir: its config and its store.
pub struct Console {
    pub(crate) store: Store,
    pub(crate) config: Config,
    data_dir: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreInfo {
    pub path: String,
    pub schema_version: u32,
    pub latest_schema_version: u32,
    pub journal_mode: String,
    pub size_bytes: u64,
    pub node_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TodaySales {
    pub date: NaiveDate,
    pub currency: String,
    pub transactions: u64,
    pub gross_minor: i64,
    pub tax_minor: i64,
    pub tip_minor: i64,
    pub discount_minor: i64,
    pub refund_minor: i64,
    pub net_minor: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub venue: Option<Venue>,
    pub store: StoreInfo,
    pub counts: Counts,
    pub change_log: ChangeLogStats,
    pub last_snapshot: Option<Snapshot>,
    pub today: Option<TodaySales>,
}

#[derive(Debug, Clone)]
pub struct InitOptions {
    pub name: String,
    pub timezone: String,
    pub currency: String,
    pub capacity: u32,
    /// Fill the store with a believable demo venue's day (no network needed).
    pub demo: bool,
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
    /// Opens a data dir, creating it and an empty store if needed.
    pub fn open(data_dir: &Path) -> ApiResult<Console> {
        ensure_dir(data_dir)?;
        let config = Config::load(data_dir)?;
        let store = Store::open(&data_dir.join(DB_FILE))?;
        Ok(Console {
            store,
            config,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// Sets up a venue in a data dir that has none, with a commented `venue.toml`.
    pub fn init(data_dir: &Path, options: &InitOptions) -> ApiResult<(Console, InitReport)> {
        // Validate before touching the disk, so bad input leaves nothing behind.
        let venue = Venue::new(
            &options.name,
            &options.timezone,
            &options.currency,
            options.capacity,
        )?;
        let mut console = Console::open(data_dir)?;
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
            crate::demo::seed(&mut console.store, &venue, Utc::now())?
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

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn actor(&self) -> &str {
        &self.config.console.actor
    }

    /// The venue, or a clear "run venue init" error.
    pub fn venue(&self) -> ApiResult<Venue> {
        self.store.venue()?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotInitialized,
                format!(
                    "no venue is set up in {}; run `venue init` (or `venue init --demo`)",
                    self.data_dir.display()
                ),
            )
        })
    }

    pub fn status(&self) -> ApiResult<StatusReport> {
        let venue = self.store.venue()?;
        let (last_snapshot, today) = match &venue {
            Some(v) => {
                let date = v.local_date(Utc::now());
                let sales = self.store.daily_sales(v.id, date)?;
                let in_currency = sales.into_iter().find(|s| s.currency == v.currency);
                let today = TodaySales {
                    date,
                    currency: v.currency.to_string(),
                    transactions: in_currency.as_ref().map_or(0, |s| s.transactions),
                    gross_minor: in_currency.as_ref().map_or(0, |s| s.gross_minor),
                    tax_minor: in_currency.as_ref().map_or(0, |s| s.tax_minor),
                    tip_minor: in_currency.as_ref().map_or(0, |s| s.tip_minor),
                    discount_minor: in_currency.as_ref().map_or(0, |s| s.discount_minor),
                    refund_minor: in_currency.as_ref().map_or(0, |s| s.refund_minor),
                    net_minor: in_currency.as_ref().map_or(0, |s| s.net_minor),
                };
                (self.store.last_snapshot(v.id)?, Some(today))
            }
            None => (None, None),
        };
        Ok(StatusReport {
            store: StoreInfo {
                path: self.store.path().display().to_string(),
                schema_version: self.store.schema_version()?,
                latest_schema_version: venue_store::latest_version(),
                journal_mode: self.store.journal_mode()?,
                size_bytes: self.store.size_bytes(),
                node_id: self.store.node_id().to_string(),
            },
            counts: self.store.counts()?,
            change_log: self.store.change_log_stats()?,
            venue,
            last_snapshot,
            today,
        })
    }

    /// Instant search over guests and reservations.
    pub fn search(&self, query: &str, limit: u32) -> ApiResult<Vec<SearchHit>> {
        let venue = self.venue()?;
        Ok(self.store.search(venue.id, query, limit.clamp(1, 200))?)
    }

    /// Changes a venue's settings, audited.
    pub fn update_venue(
        &mut self,
        name: Option<&str>,
        timezone: Option<&str>,
        currency: Option<&str>,
        capacity: Option<u32>,
    ) -> ApiResult<Venue> {
        let current = self.venue()?;
        let mut updated = Venue::new(
            name.unwrap_or(&current.name),
            timezone.unwrap_or(current.timezone.name()),
            currency.unwrap_or(current.currency.code()),
            capacity.unwrap_or(current.capacity),
        )?;
        updated.id = current.id;
        let actor = self.actor().to_string();
        self.store.save_by_user(&actor, "venue.update", &updated)?;
        Ok(updated)
    }
}
