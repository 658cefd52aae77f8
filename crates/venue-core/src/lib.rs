//! The core API: everything the desktop shell and the `venue` CLI do goes through `Console`,
//! so the two never diverge and the shell stays a set of one-line commands.

mod access;
pub mod alerts;
mod config;
mod console;
mod demo;
pub mod desktop;
mod error;
mod export;
mod fetch;
mod keyring_store;
mod location_names;
mod output_file;
mod paths;
mod pms;
mod report;
mod runtime;
mod secrets;
mod sensors;
mod staff;
pub mod supervisor;
#[cfg(feature = "ts")]
pub mod ui_types;
pub mod views;

pub use access::{Access, Action, Role, SessionInfo};
pub use config::{
    Config, ConfigError, ConsoleConfig, LogConfig, LogFormat, LogLevelError, CONFIG_FILE,
    DEFAULT_CONFIG,
};
pub use console::{Console, InitOptions, InitReport, StatusReport, StoreInfo};
pub use error::{ApiError, ApiResult, ErrorCode};
pub use export::{ExportEntity, ExportFormat, TimeBound};
pub use fetch::{FetchNowReceiver, FetchReport};
pub use keyring_store::OsKeyring;
pub use output_file::{BackupReport, PipeWatch};
pub use paths::resolve_data_dir;
pub use pms::{ChargeOutcome, ChargeToSend, LiveReport, MirrorCounts, PmsSyncReport, SocketStatus};
pub use report::{DailyReport, HourSales, SalesTotals};
#[cfg(any(test, feature = "test-secrets"))]
#[doc(hidden)]
pub use secrets::FileSecretStore;
pub use secrets::{store_secret, SecretSaved, SecretStatus};
pub use sensors::{DeviceRound, SensorListing};
pub use staff::{validate_pin, StaffAccount, LOCK_OUT_SECONDS, MAX_WRONG_PINS};
pub use venue_domain as domain;
pub use venue_sensors::poller::PollStats;
pub use venue_store::{ChangeListener, ChangeLogStats, Counts, SearchHit};
