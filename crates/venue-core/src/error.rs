//! The one error shape the UI and the CLI see: a stable code and a message naming what was wrong.

use serde::Serialize;
use std::fmt;
use venue_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    /// The database file was refused (not ours, corrupt, or from a newer build).
    StoreRefused,
    /// An app update could not be checked, downloaded or verified (server unreachable, bad
    /// manifest, a signature that does not match the app's public key); nothing was installed.
    UpdateFailed,
    /// The store did not answer for a passing reason (another process holds its write lock
    /// past the busy timeout, an I/O hiccup, a full disk): worth trying again shortly.
    StoreBusy,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
        let code = match &e {
            e if e.is_transient() => ErrorCode::StoreBusy,
            StoreError::NotADatabase { .. }
            | StoreError::ForeignDatabase { .. }
            | StoreError::NewerSchema { .. }
            | StoreError::MigrationChanged { .. }
            | StoreError::Corrupt(_) => ErrorCode::StoreRefused,
            StoreError::Invalid(_) | StoreError::Domain(_) => ErrorCode::BadInput,
            StoreError::NotFound { .. } => ErrorCode::NotFound,
            StoreError::Io { .. } => ErrorCode::Io,
            StoreError::MigrationFailed { .. } | StoreError::Sqlite(_) | StoreError::Json(_) => {
                ErrorCode::Internal
            }
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<venue_domain::DomainError> for ApiError {
    fn from(e: venue_domain::DomainError) -> Self {
        ApiError::bad_input(e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
