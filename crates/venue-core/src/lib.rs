//! The core API: everything the desktop shell and the `venue` CLI do goes through `Console`,
//! so the two never diverge and the shell stays a set of one-line commands.
//!
//! Modules are grouped by capability and import each other in one direction only (proved by
//! `tests/module_graph.rs`), lowest first:
//! - `error`, `paths`, `config` (plain data), `access` (roles), `supervisor` (long-running tasks
//!   and the one runtime): used by everything, using nothing above them;
//! - `console`: the open data dir (store handle, config, who acts) every capability works on;
//! - the capabilities: `staff` (accounts and sign-in), `integrations` (POS, PMS, door sensors,
//!   their secrets), `sync` (the hub: joining it, push-and-pull passes, where the console
//!   stands), `alerts`, `notifications`, `export`, `views` (what the screens read);
//! - `setup` (opening and creating a data dir, checking its config against every capability),
//!   `run` (the supervisor's tasks, started and stopped together), `demo`, `desktop`, `ui_types`.

mod access;
pub mod alerts;
mod config;
mod console;
mod demo;
pub mod desktop;
mod error;
mod export;
mod input;
mod integrations;
pub mod notifications;
mod paths;
mod run;
mod setup;
mod staff;
pub mod supervisor;
pub mod sync;
#[cfg(feature = "ts")]
pub mod ui_types;
pub mod views;

pub use access::{Access, Action, Role, SessionInfo};
pub use config::{
    AlertRuleConfig, Config, ConfigError, ConsoleConfig, LogConfig, LogFormat, LogLevelError,
    RuleError, CONFIG_FILE, DEFAULT_CONFIG,
};
pub use console::{Console, StatusReport, StoreInfo};
pub use error::{ApiError, ApiResult, ErrorCode};
pub use export::files::{BackupReport, PipeWatch};
pub use export::{ExportEntity, ExportFormat, TimeBound};
pub use integrations::pms::{
    ChargeOutcome, ChargeToSend, LiveReport, MirrorCounts, PmsSyncReport, SocketStatus,
};
pub use integrations::pos::{FetchNowReceiver, FetchReport};
pub use integrations::secrets::keyring::OsKeyring;
#[cfg(any(test, feature = "test-secrets"))]
#[doc(hidden)]
pub use integrations::secrets::FileSecretStore;
pub use integrations::secrets::{store_secret, SecretSaved, SecretStatus};
pub use integrations::sensors::{DeviceRound, SensorListing};
pub use paths::resolve_data_dir;
pub use setup::{InitOptions, InitReport};
pub use staff::{validate_pin, StaffAccount, LOCK_OUT_SECONDS, MAX_WRONG_PINS};
pub use venue_domain as domain;
pub use venue_sensors::poller::PollStats;
pub use venue_store::{ChangeListener, ChangeLogStats, Counts, SearchHit};
pub use views::daily_report::{DailyReport, HourSales, SalesTotals};
