//! The one error shape the UI and the CLI see: a stable code and a message naming what was wrong.

use serde::Serialize;
use std::fmt;
use venue_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The caller gave something invalid (a field, a date, an entity name, a config value).
    BadInput,
    /// The data dir has no venue yet: run `venue init`.
    NotInitialized,
    AlreadyInitialized,
    NotFound,
    /// The desktop app has no signed-in staff member.
    NotSignedIn,
    /// The signed-in staff member's role does not allow the action.
    Forbidden,
    /// A wrong PIN.
    BadPin,
    /// Too many wrong PINs: sign-in is paused for a while.
    LockedOut,
    /// The database file was refused (not a SQLite file, another app's, or from a newer build).
    StoreRefused,
    /// Another process holds the store locked (it was left untouched).
    StoreLocked,
    /// The store's file is damaged: writes are refused; restore it from a backup.
    StoreDamaged,
    /// The store's file or folder cannot be read or written by this user.
    StorePermission,
    /// A configured venue's store is missing or empty (only `venue init` creates one).
    StoreMissing,
    /// An app update could not be checked, downloaded or verified (server unreachable, bad
    /// manifest, a signature that does not match the app's public key); nothing was installed.
    UpdateFailed,
    /// The store did not answer for a passing reason (another process holds its write lock
    /// past the busy timeout, an I/O hiccup, a full disk): worth trying again shortly.
    StoreBusy,
    /// The hub could not be reached (no network, the hub down, a timeout): changes wait here.
    HubUnreachable,
    /// The hub refused this console's device token (revoked, or for another hub): join again.
    HubRefused,
    /// The hub answered with an error, or with something that is not its protocol.
    HubFailed,
    Io,
    Internal,
}

impl ErrorCode {
    /// Whether the error is the caller's to fix (CLI exit code 2) rather than a runtime failure.
    pub fn is_usage(self) -> bool {
        matches!(
            self,
            Self::BadInput
                | Self::NotInitialized
                | Self::AlreadyInitialized
                | Self::NotFound
                | Self::NotSignedIn
                | Self::Forbidden
                | Self::BadPin
                | Self::LockedOut
        )
    }

    /// Whether the store itself cannot be used (damaged, locked, no permission, missing or
    /// refused): CLI exit code 4, as nothing but the user's care for the file can fix it.
    pub fn is_store_unavailable(self) -> bool {
        matches!(
            self,
            Self::StoreRefused
                | Self::StoreLocked
                | Self::StoreBusy
                | Self::StoreDamaged
                | Self::StorePermission
                | Self::StoreMissing
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadInput, message)
    }

    /// Whether trying again shortly may succeed (see [`ErrorCode::StoreBusy`]).
    pub fn is_transient(&self) -> bool {
        self.code == ErrorCode::StoreBusy
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        use venue_store::diagnose::{failure_kind, FailureKind};
        let code = match &e {
            e if e.is_transient() => ErrorCode::StoreBusy,
            StoreError::NotADatabase { .. }
            | StoreError::ForeignDatabase { .. }
            | StoreError::NewerSchema { .. }
            | StoreError::MigrationChanged { .. } => ErrorCode::StoreRefused,
            StoreError::Locked { .. } => ErrorCode::StoreLocked,
            StoreError::Damaged { .. } | StoreError::Corrupt(_) => ErrorCode::StoreDamaged,
            StoreError::Permission { .. } => ErrorCode::StorePermission,
            StoreError::Missing { .. } | StoreError::Empty { .. } => ErrorCode::StoreMissing,
            StoreError::Invalid(_) | StoreError::Domain(_) => ErrorCode::BadInput,
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::Io { .. } => ErrorCode::Io,
            // An open store can still fail later (damaged pages met on a read, another process's
            // lock outlasting the busy timeout): named by its cause like a failure on opening.
            StoreError::Sqlite(sqlite) | StoreError::MigrationFailed { source: sqlite, .. } => {
                match failure_kind(sqlite) {
                    FailureKind::Locked => ErrorCode::StoreLocked,
                    FailureKind::Permission => ErrorCode::StorePermission,
                    FailureKind::Damaged => ErrorCode::StoreDamaged,
                    FailureKind::Other => ErrorCode::Internal,
                }
            }
            StoreError::Json(_) => ErrorCode::Internal,
        };
        let message = match code {
            ErrorCode::StoreDamaged if matches!(e, StoreError::Sqlite(_)) => format!(
                "the store is damaged ({e}); writes are refused so nothing more is lost — restore it from a backup (`venue backup FILE` makes one), or later from the hub"
            ),
            ErrorCode::StoreLocked if matches!(e, StoreError::Sqlite(_)) => format!(
                "the store is locked by another process ({e}); try again when it is done"
            ),
            // A one-shot command meets it as "locked"; long-running tasks retry it.
            ErrorCode::StoreBusy => format!(
                "the store did not answer ({e}): another process may hold its write lock, or the disk is full or failing; try again shortly"
            ),
            _ => e.to_string(),
        };
        ApiError::new(code, message)
    }
}

impl From<venue_domain::DomainError> for ApiError {
    fn from(e: venue_domain::DomainError) -> Self {
        ApiError::bad_input(e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;
    use std::path::PathBuf;

    fn sqlite(code: i32) -> StoreError {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(ffi::Error::new(code), None))
    }

    /// Each way a store cannot be used has its own code (CLI exit 4), whether it was found on
    /// opening or by a later read or write.
    #[test]
    fn store_failures_map_to_their_own_codes() {
        let path = PathBuf::from("/data/venue.sqlite3");
        let table = [
            (
                StoreError::Locked {
                    path: path.clone(),
                    holders: vec!["pid 7 (venue)".into()],
                },
                ErrorCode::StoreLocked,
            ),
            // Passing: the long-running tasks retry these (the CLI still exits 4).
            (sqlite(ffi::SQLITE_BUSY), ErrorCode::StoreBusy),
            (sqlite(ffi::SQLITE_LOCKED), ErrorCode::StoreBusy),
            (sqlite(ffi::SQLITE_FULL), ErrorCode::StoreBusy),
            (
                StoreError::Permission {
                    path: path.clone(),
                    reason: "read-only".into(),
                },
                ErrorCode::StorePermission,
            ),
            (sqlite(ffi::SQLITE_READONLY), ErrorCode::StorePermission),
            (
                StoreError::Damaged {
                    path: path.clone(),
                    reason: "cut short".into(),
                },
                ErrorCode::StoreDamaged,
            ),
            (sqlite(ffi::SQLITE_CORRUPT), ErrorCode::StoreDamaged),
            (
                StoreError::Missing { path: path.clone() },
                ErrorCode::StoreMissing,
            ),
            (
                StoreError::Empty { path: path.clone() },
                ErrorCode::StoreMissing,
            ),
            (
                StoreError::NotADatabase {
                    path: path.clone(),
                    reason: "notes".into(),
                },
                ErrorCode::StoreRefused,
            ),
            (sqlite(ffi::SQLITE_MISMATCH), ErrorCode::Internal),
        ];
        for (error, code) in table {
            let text = error.to_string();
            let api = ApiError::from(error);
            assert_eq!(api.code, code, "{text}");
            assert!(api.code.is_store_unavailable() || code == ErrorCode::Internal);
            assert!(!api.code.is_usage(), "{text}");
        }
        let damaged = ApiError::from(sqlite(ffi::SQLITE_CORRUPT));
        assert!(damaged.message.contains("backup"), "{damaged}");
        let locked = ApiError::from(StoreError::Locked {
            path,
            holders: vec!["pid 7 (venue)".into()],
        });
        assert!(locked.message.contains("pid 7 (venue)"), "{locked}");
    }
}
