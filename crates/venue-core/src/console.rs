use crate::config::{Config, CONFIG_FILE, DEFAULT_CONFIG};
use crate::paths::ensure_dir;
use crate::{ApiError, ApiResult, ErrorCode};
use chrono::Utc;
use serde::Serialize;
use std::path::{Path, PathBuf};
use venue_domain::{DailySales, Snapshot, Venue};
use venue_http::secrets::SecretStore;
use venue_store::{
    ChangeLogStats, ClockReport, ConnectorState, Counts, FutureStamps, OpenMode, SearchHit, Store,
    StoreError, DB_FILE,
};

/// An open data dir: its config and its store.
pub struct Console {
    pub(crate) store: Store,
    pub(crate) config: Config,
    data_dir: PathBuf,
    /// Where connector secrets are looked up after the environment (the OS keyring in the app).
    pub(crate) secrets: Option<Box<dyn SecretStore>>,
    /// Vendor logins reused across fetches (never written anywhere).
    pub(crate) sessions: crate::fetch::Sessions,
    /// Who acts through this console: the CLI's operator or the app's signed-in staff member.
    pub(crate) access: crate::Access,
    /// The connection charges taken on the screens are sent on, off the console's lock.
    pub(crate) sender: crate::pms::SenderConnection,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoreInfo {
    pub path: String,
    pub schema_version: u32,
    pub latest_schema_version: u32,
    pub journal_mode: String,
    pub size_bytes: u64,
    pub node_id: String,
    /// Why the store is damaged, when its integrity check failed (it then refuses every write;
    /// the rest of the report is what could still be read).
    pub damage: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusReport {
    pub venue: Option<Venue>,
    pub store: StoreInfo,
    pub counts: Counts,
    pub change_log: ChangeLogStats,
    pub last_snapshot: Option<Snapshot>,
    /// Each connector's breaker state and request metrics, as last persisted.
    pub connectors: Vec<ConnectorState>,
    /// Today's sales (venue-local day) in the venue's currency; zeros before the first sale.
    pub today: Option<DailySales>,
    /// Snapshots and change-log rows stamped ahead of this machine's clock (a run with the
    /// clock set ahead leaves them; fetches resume from the last mark not in the future).
    pub future_stamps: FutureStamps,
    /// A jump of the wall clock this process refused to stamp with, and the last repair of
    /// stamps an earlier run left in the future.
    pub clock: ClockReport,
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
        Ok(Self::with_store(data_dir, config, store))
    }

    fn with_store(data_dir: &Path, config: Config, store: Store) -> Console {
        Console {
            store,
            config,
            data_dir: data_dir.to_path_buf(),
            secrets: None,
            sessions: Default::default(),
            access: crate::Access::Local,
            sender: crate::pms::SenderConnection::new(data_dir.join(DB_FILE)),
        }
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
        let mut console = Self::with_store(data_dir, config, store);
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

    /// Looks secrets up in `store` when the environment does not have them.
    pub fn with_secret_store(mut self, store: Box<dyn SecretStore>) -> Self {
        self.secrets = Some(store);
        self
    }

    /// Tells `listener` which kinds of rows each of this console's writes touched (the app turns
    /// that into UI events).
    pub fn set_change_listener(&mut self, listener: venue_store::ChangeListener) {
        self.sender.set_change_listener(listener.clone());
        self.store.set_change_listener(listener);
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// How long the store waits for another process's write lock before an operation fails
    /// as busy (5 s by default). Tests shorten it to provoke a busy store.
    pub fn set_store_busy_timeout(&mut self, timeout: std::time::Duration) -> ApiResult<()> {
        Ok(self.store.set_busy_timeout(timeout)?)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Gates the console behind staff sign-in (the desktop app).
    pub fn with_access(mut self, access: crate::Access) -> Self {
        self.access = access;
        self
    }

    pub fn access(&self) -> &crate::Access {
        &self.access
    }

    /// Passes when whoever acts through this console may take `action` (see
    /// [`crate::Action::min_role`]); the shell calls it before an action it carries out itself.
    pub fn authorize_action(&self, action: crate::Action) -> ApiResult<()> {
        self.authorize(action.min_role())
    }

    /// Passes when whoever acts through this console holds at least `min`. Each public method
    /// checks its own role, so no caller (the app, the CLI, a hub route) can skip the check.
    pub(crate) fn authorize(&self, min: crate::Role) -> ApiResult<()> {
        self.access.authorize(min)?;
        // The account may have been deactivated since sign-in (by an admin at another desk, or
        // with `venue staff deactivate`): the session ends with its next command.
        if let Some(session) = self.access.session() {
            match self.store.staff_is_active(session.staff_id)? {
                Some(true) => {}
                Some(false) => {
                    return Err(ApiError::new(
                        ErrorCode::NotSignedIn,
                        format!(
                            "{}'s account was deactivated since signing in; ask an admin",
                            session.name
                        ),
                    ))
                }
                None => {
                    return Err(ApiError::new(
                        ErrorCode::NotSignedIn,
                        format!("{}'s account no longer exists", session.name),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The name audited actions are recorded under: the signed-in staff member, else the
    /// configured operator.
    pub(crate) fn actor(&self) -> String {
        match self.access.session() {
            Some(session) => session.actor(),
            None => self.config.console.actor.clone(),
        }
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

    /// The venue, or None before `venue init`: all the sign-in screen needs, without the row
    /// counts `status` reads (those scan the biggest tables, and the window waits for this).
    pub fn venue_info(&self) -> ApiResult<Option<Venue>> {
        Ok(self.store.venue()?)
    }

    pub fn status(&self) -> ApiResult<StatusReport> {
        let damage = self.store.damage()?.map(str::to_string);
        // A damaged store reports what can still be read, the rest left at its empty value.
        let salvage = |e: venue_store::StoreError| -> ApiResult<()> {
            if damage.is_some() {
                tracing::warn!(error = %e, "part of the status could not be read");
                Ok(())
            } else {
                Err(e.into())
            }
        };
        let venue = self.store.venue().or_else(|e| salvage(e).map(|()| None))?;
        let connectors = match &venue {
            Some(v) => self
                .store
                .connector_states(v.id)
                .or_else(|e| salvage(e).map(|()| Vec::new()))?,
            None => Vec::new(),
        };
        let (last_snapshot, today) = match &venue {
            Some(v) => {
                let date = v.local_date(Utc::now());
                let sales = self
                    .store
                    .daily_sales(v.id, date)
                    .or_else(|e| salvage(e).map(|()| Vec::new()))?;
                let today = sales
                    .into_iter()
                    .find(|s| s.currency == v.currency)
                    .unwrap_or_else(|| DailySales::empty(v.id, date, v.currency));
                let last = self
                    .store
                    .last_snapshot(v.id)
                    .or_else(|e| salvage(e).map(|()| None))?;
                (last, Some(today))
            }
            None => (None, None),
        };
        Ok(StatusReport {
            store: StoreInfo {
                path: self.store.path().display().to_string(),
                schema_version: self
                    .store
                    .schema_version()
                    .or_else(|e| salvage(e).map(|()| 0))?,
                latest_schema_version: venue_store::latest_version(),
                journal_mode: self
                    .store
                    .journal_mode()
                    .or_else(|e| salvage(e).map(|()| String::new()))?,
                size_bytes: self.store.size_bytes(),
                node_id: self.store.node_id().to_string(),
                damage: damage.clone(),
            },
            counts: self
                .store
                .counts()
                .or_else(|e| salvage(e).map(|()| Counts::default()))?,
            change_log: self
                .store
                .change_log_stats()
                .or_else(|e| salvage(e).map(|()| ChangeLogStats::default()))?,
            future_stamps: self
                .store
                .future_stamps(Utc::now(), crate::fetch::clock_tolerance())
                .or_else(|e| salvage(e).map(|()| FutureStamps::default()))?,
            clock: self
                .store
                .clock_report()
                .or_else(|e| salvage(e).map(|()| ClockReport::default()))?,
            venue,
            last_snapshot,
            connectors,
            today,
        })
    }

    /// Instant search over guests and reservations.
    pub fn search(&self, query: &str, limit: u32) -> ApiResult<Vec<SearchHit>> {
        self.authorize(crate::Role::Staff)?;
        let venue = self.venue()?;
        Ok(self.store.search(venue.id, query, limit.clamp(1, 200))?)
    }

    /// Changes a venue's settings, audited; admins only.
    pub fn update_venue(
        &mut self,
        name: Option<&str>,
        timezone: Option<&str>,
        currency: Option<&str>,
        capacity: Option<u32>,
    ) -> ApiResult<Venue> {
        self.authorize(crate::Role::Admin)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Only init creates a store: a data dir never set up is "run venue init" with nothing
    /// created, and a configured venue's missing or empty store is named, never re-created.
    #[test]
    fn only_init_creates_a_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = dir.path().join("new");
        for open in [Console::open, Console::open_for_reading] {
            let err = open(&fresh).map(|_| ()).expect_err("nothing set up");
            assert_eq!(err.code, ErrorCode::NotInitialized);
            assert!(!fresh.exists(), "nothing created");
        }
        assert!(Console::peek_venue(&fresh).is_none());
        assert!(!fresh.exists());

        let options = InitOptions {
            demo: false,
            ..InitOptions::demo()
        };
        drop(Console::init(&fresh, &options).expect("init"));
        let status = Console::open(&fresh)
            .expect("open")
            .status()
            .expect("status");
        assert!(status.store.damage.is_none());
        assert_eq!(
            status.store.schema_version,
            status.store.latest_schema_version
        );
        assert_eq!(
            Console::peek_venue(&fresh).map(|v| v.name),
            Some(InitOptions::DEMO_NAME.to_string())
        );

        let db = fresh.join(DB_FILE);
        std::fs::write(&db, b"").expect("empty the store");
        for open in [Console::open, Console::open_for_reading] {
            let err = open(&fresh).map(|_| ()).expect_err("empty");
            assert_eq!(err.code, ErrorCode::StoreMissing);
            assert!(
                err.message.contains("empty") && err.message.contains(CONFIG_FILE),
                "{err}"
            );
            assert_eq!(std::fs::metadata(&db).expect("meta").len(), 0);
        }
        std::fs::remove_file(&db).expect("remove");
        let err = Console::open(&fresh).map(|_| ()).expect_err("missing");
        assert_eq!(err.code, ErrorCode::StoreMissing);
        assert!(err.message.contains("missing"), "{err}");
        assert!(!db.exists());
        drop(Console::init(&fresh, &options).expect("init starts afresh, as asked"));
        assert!(Console::open(&fresh).is_ok());
    }

    #[test]
    fn venue_settings_changes_are_validated_and_audited() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = InitOptions {
            demo: false,
            ..InitOptions::demo()
        };
        let (mut console, _) = Console::init(dir.path(), &options).expect("init");
        let err = console
            .update_venue(None, Some("Nowhere/Town"), None, None)
            .expect_err("bad timezone");
        assert_eq!(err.code, ErrorCode::BadInput);
        let updated = console
            .update_venue(None, None, None, Some(220))
            .expect("update");
        assert_eq!(updated.capacity, 220);
        assert_eq!(console.venue().expect("venue").capacity, 220);
        let status = console.status().expect("status");
        assert_eq!(status.counts.audit_entries, 2, "create and update audited");
        assert_eq!(status.today.map(|t| t.transactions), Some(0));
    }
}
