use std::path::PathBuf;
use thiserror::Error;
use venue_domain::DomainError;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{path} is not a SQLite database ({reason}); it was left untouched")]
    NotADatabase { path: PathBuf, reason: String },
    /// Another process holds the store (e.g. one with `PRAGMA locking_mode=EXCLUSIVE`).
    #[error("{path} is locked by another process{}; it was left untouched — close that process (or wait for it) and try again", holders_text(holders))]
    Locked { path: PathBuf, holders: Vec<String> },
    /// The file, a companion file or its folder cannot be read or written by this user.
    #[error("{path} cannot be used for lack of permission: {reason}; it was left untouched — check the file's and its folder's owner and permissions")]
    Permission { path: PathBuf, reason: String },
    /// A SQLite file whose content is broken (a failed integrity check, a truncated file).
    #[error("{path} is damaged ({reason}); writes to it are refused so nothing more is lost — restore it from a backup (`venue backup FILE` makes one), or later from the hub")]
    Damaged { path: PathBuf, reason: String },
    /// No store file where a store was expected (only `venue init` creates one).
    #[error("{path} does not exist")]
    Missing { path: PathBuf },
    /// A zero-byte store file: never silently made into a new, empty store.
    #[error("{path} is empty (0 bytes)")]
    Empty { path: PathBuf },
    #[error("{path} is a SQLite database but not a Venue Console store; it was left untouched")]
    ForeignDatabase { path: PathBuf },
    #[error("{path} was written by a newer Venue Console (schema version {found}; this build knows up to {supported}); upgrade the app — the database was left untouched")]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("migration {version} ({name}) differs from the one applied to this database; refusing to continue")]
    MigrationChanged { version: u32, name: String },
    #[error("migration {version} ({name}) failed and was rolled back: {source}")]
    MigrationFailed {
        version: u32,
        name: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no {entity} with id {id}")]
    NotFound { entity: &'static str, id: String },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// Whether the operation may succeed if tried again shortly: the write lock held by another
    /// connection past the busy timeout, an I/O error, a full disk. Long-running tasks retry
    /// these with backoff instead of giving up.
    pub fn is_transient(&self) -> bool {
        use rusqlite::ErrorCode as Code;
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                Code::DatabaseBusy | Code::DatabaseLocked | Code::SystemIoFailure | Code::DiskFull
            ),
            // Not a file that is missing or that this user may not touch: trying again
            // changes nothing there.
            StoreError::Io { source, .. } => !matches!(
                source.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::PermissionDenied
                    | std::io::ErrorKind::ReadOnlyFilesystem
                    | std::io::ErrorKind::InvalidInput
            ),
            _ => false,
        }
    }
}

fn holders_text(holders: &[String]) -> String {
    if holders.is_empty() {
        String::new()
    } else {
        format!(" ({})", holders.join(", "))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
