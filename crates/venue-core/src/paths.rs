use crate::{ApiError, ApiResult, ErrorCode};
use std::path::{Path, PathBuf};

/// The data dir: the explicit one, else `$VENUE_DATA_DIR`, else the platform's data dir
/// (e.g. `~/.local/share/venue-console` on Linux).
pub fn resolve_data_dir(explicit: Option<&Path>) -> ApiResult<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os("VENUE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("com", "venueconsole", "venue-console")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Io,
                "no home directory to keep data in; pass --data-dir or set VENUE_DATA_DIR",
            )
        })
}

pub(crate) fn ensure_dir(dir: &Path) -> ApiResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        ApiError::new(
            ErrorCode::Io,
            format!("cannot create data dir {}: {e}", dir.display()),
        )
    })
}
