//! Why a store cannot be used, named precisely: a user told "not a SQLite database" may delete a
//! healthy store that was only locked or read-only, so each SQLite failure on opening is turned
//! into its real cause (permission, locked by another process, damaged) with what can be found
//! out about it (which process holds it, how much of the file is missing).

use crate::StoreError;
use rusqlite::ErrorCode;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The first 16 bytes of every SQLite database file.
pub(crate) const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The files SQLite keeps beside a database, which belong to the store as much as the file does.
pub const COMPANION_SUFFIXES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// `path` with a companion suffix appended (`venue.sqlite3-wal`).
pub fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// What kind of failure an SQLite error code stands for, for the store's callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Another connection holds a lock (SQLITE_BUSY, SQLITE_LOCKED).
    Locked,
    /// The file or its folder cannot be written or opened (SQLITE_READONLY, SQLITE_CANTOPEN,
    /// SQLITE_PERM, SQLITE_AUTH).
    Permission,
    /// The file has SQLite's header but its content is broken (SQLITE_CORRUPT, SQLITE_NOTADB).
    Damaged,
    /// Anything else (a bug, a full disk, an I/O error).
    Other,
}

/// Classifies an SQLite error by its primary result code.
pub fn failure_kind(error: &rusqlite::Error) -> FailureKind {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => FailureKind::Locked,
        Some(
            ErrorCode::ReadOnly
            | ErrorCode::CannotOpen
            | ErrorCode::PermissionDenied
            | ErrorCode::AuthorizationForStatementDenied,
        ) => FailureKind::Permission,
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => FailureKind::Damaged,
        _ => FailureKind::Other,
    }
}

/// Turns an SQLite error met while opening or checking the store at `path` into its cause.
pub(crate) fn classify(path: &Path, error: rusqlite::Error) -> StoreError {
    match failure_kind(&error) {
        FailureKind::Locked => StoreError::Locked {
            path: path.to_path_buf(),
            holders: lock_holders(path),
        },
        FailureKind::Permission => match permission_problem(path) {
            Some(reason) => StoreError::Permission {
                path: path.to_path_buf(),
                reason,
            },
            None => StoreError::Permission {
                path: path.to_path_buf(),
                reason: error.to_string(),
            },
        },
        FailureKind::Damaged => StoreError::Damaged {
            path: path.to_path_buf(),
            reason: with_truncation(path, error.to_string()),
        },
        FailureKind::Other => match truncation(path) {
            // A short read on a truncated file comes back as an I/O error.
            Some(truncated) => StoreError::Damaged {
                path: path.to_path_buf(),
                reason: format!("{error}; {truncated}"),
            },
            None => StoreError::Sqlite(error),
        },
    }
}

/// Reads the first 16 bytes; `Ok(None)` when the file does not exist.
fn read_magic(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut header = Vec::with_capacity(16);
    file.by_ref().take(16).read_to_end(&mut header)?;
    Ok(Some(header))
}

/// Refuses, before SQLite touches it, a file that is not a SQLite database. A file cut short
/// inside the header itself is a damaged store, not a foreign file.
pub(crate) fn check_header(path: &Path) -> crate::Result<()> {
    let header = match read_magic(path) {
        Ok(Some(header)) => header,
        Ok(None) => return Ok(()),
        Err(source) if source.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(StoreError::Permission {
                path: path.to_path_buf(),
                reason: format!("it cannot be read ({source})"),
            })
        }
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if header.is_empty() || header.as_slice() == SQLITE_MAGIC {
        return Ok(());
    }
    if SQLITE_MAGIC.starts_with(&header) {
        return Err(StoreError::Damaged {
            path: path.to_path_buf(),
            reason: format!(
                "the file is only {} bytes, cut short inside its header",
                header.len()
            ),
        });
    }
    Err(StoreError::NotADatabase {
        path: path.to_path_buf(),
        reason: "its header is not \"SQLite format 3\"".into(),
    })
}

/// "the file is N bytes but its header says M" when the file is shorter than its own header
/// says (a copy or a disk that stopped half way).
pub(crate) fn truncation(path: &Path) -> Option<String> {
    let mut header = [0u8; 100];
    let mut file = std::fs::File::open(path).ok()?;
    file.read_exact(&mut header).ok()?;
    let len = file.metadata().ok()?.len();
    if &header[..16] != SQLITE_MAGIC {
        return None;
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([
        header[28], header[29], header[30], header[31],
    ]));
    // SQLite trusts the page count only while these two counters agree.
    let valid = header[24..28] == header[92..96] && pages > 0;
    let expected = pages * page_size;
    // Frames in a WAL beside it may hold pages the file gets only at the next checkpoint; an
    // empty WAL (SQLite makes one on opening) holds none.
    let wal_frames = std::fs::metadata(companion(path, "-wal")).is_ok_and(|m| m.len() > 32);
    if valid && len < expected && !wal_frames {
        Some(format!(
            "the file is {len} bytes but its header says {expected}: it was cut short"
        ))
    } else {
        None
    }
}

fn with_truncation(path: &Path, reason: String) -> String {
    match truncation(path) {
        Some(truncated) => format!("{reason}; {truncated}"),
        None => reason,
    }
}

/// What stops this process writing the store, when it is the file system: the file, a
/// companion file, or the folder SQLite must create its `-wal` and `-shm` files in.
pub(crate) fn permission_problem(path: &Path) -> Option<String> {
    let denied = |e: &std::io::Error| {
        e.kind() == std::io::ErrorKind::PermissionDenied
            || e.kind() == std::io::ErrorKind::ReadOnlyFilesystem
    };
    // Opening for writing without truncating changes nothing in the file.
    let open_rw = |p: &Path| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .err()
    };
    if let Some(e) = open_rw(path).filter(denied) {
        return Some(format!("the file cannot be written ({e})"));
    }
    for suffix in ["-wal", "-shm"] {
        let file = companion(path, suffix);
        if file.exists() {
            if let Some(e) = open_rw(&file).filter(denied) {
                return Some(format!("{} cannot be written ({e})", file.display()));
            }
        }
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if let Err(e) = tempfile::Builder::new()
        .prefix(".venue-write-check")
        .tempfile_in(dir)
    {
        if denied(&e) {
            return Some(format!(
                "its folder {} does not allow new files ({e}), and SQLite keeps its -wal and -shm files there",
                dir.display()
            ));
        }
    }
    None
}

/// The other processes that have the store or its companion files open, as "pid 123 (venue)",
/// found by scanning /proc/*/fd (Linux; best effort, empty elsewhere or without permission).
pub(crate) fn lock_holders(path: &Path) -> Vec<String> {
    let Ok(canonical) = std::fs::canonicalize(path) else {
        return Vec::new();
    };
    let mut targets = vec![canonical.clone()];
    targets.extend(COMPANION_SUFFIXES.iter().map(|s| companion(&canonical, s)));
    let me = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut holders = Vec::new();
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .any(|target| targets.contains(&target));
        if holds {
            let name = std::fs::read_to_string(entry.path().join("comm"))
                .map(|c| c.trim().to_string())
                .unwrap_or_default();
            holders.push(if name.is_empty() {
                format!("pid {pid}")
            } else {
                format!("pid {pid} ({name})")
            });
        }
    }
    holders
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;

    fn sqlite_error(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), None)
    }

    /// Every primary result code a store can meet on opening maps to the cause a user can act on;
    /// extended codes (SQLITE_BUSY_RECOVERY, SQLITE_READONLY_DBMOVED, SQLITE_CANTOPEN_ISDIR...)
    /// follow their primary code.
    #[test]
    fn sqlite_codes_map_to_locked_permission_or_damaged() {
        let table = [
            (ffi::SQLITE_BUSY, FailureKind::Locked),
            (ffi::SQLITE_BUSY_RECOVERY, FailureKind::Locked),
            (ffi::SQLITE_BUSY_SNAPSHOT, FailureKind::Locked),
            (ffi::SQLITE_LOCKED, FailureKind::Locked),
            (ffi::SQLITE_LOCKED_SHAREDCACHE, FailureKind::Locked),
            (ffi::SQLITE_READONLY, FailureKind::Permission),
            (ffi::SQLITE_READONLY_DBMOVED, FailureKind::Permission),
            (ffi::SQLITE_READONLY_CANTLOCK, FailureKind::Permission),
            (ffi::SQLITE_CANTOPEN, FailureKind::Permission),
            (ffi::SQLITE_CANTOPEN_ISDIR, FailureKind::Permission),
            (ffi::SQLITE_PERM, FailureKind::Permission),
            (ffi::SQLITE_AUTH, FailureKind::Permission),
            (ffi::SQLITE_CORRUPT, FailureKind::Damaged),
            (ffi::SQLITE_CORRUPT_INDEX, FailureKind::Damaged),
            (ffi::SQLITE_NOTADB, FailureKind::Damaged),
            (ffi::SQLITE_FULL, FailureKind::Other),
            (ffi::SQLITE_IOERR, FailureKind::Other),
            (ffi::SQLITE_CONSTRAINT, FailureKind::Other),
        ];
        for (code, kind) in table {
            assert_eq!(failure_kind(&sqlite_error(code)), kind, "code {code}");
        }
        assert_eq!(
            failure_kind(&rusqlite::Error::QueryReturnedNoRows),
            FailureKind::Other
        );
    }

    #[test]
    fn classify_names_the_cause_in_the_message() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("venue.sqlite3");
        std::fs::write(&path, b"").expect("write");
        let locked = classify(&path, sqlite_error(ffi::SQLITE_BUSY)).to_string();
        assert!(locked.contains("locked by another process"), "{locked}");
        let damaged = classify(&path, sqlite_error(ffi::SQLITE_CORRUPT)).to_string();
        assert!(damaged.contains("damaged"), "{damaged}");
        assert!(!damaged.contains("not a SQLite database"), "{damaged}");
        let permission = classify(&path, sqlite_error(ffi::SQLITE_READONLY)).to_string();
        assert!(permission.contains("permission"), "{permission}");
    }

    #[test]
    fn a_header_cut_short_is_damage_and_other_bytes_are_not_a_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("venue.sqlite3");
        for len in 1..16 {
            std::fs::write(&path, &SQLITE_MAGIC[..len]).expect("write");
            let err = check_header(&path).expect_err("cut short");
            assert!(matches!(err, StoreError::Damaged { .. }), "{len}: {err}");
        }
        std::fs::write(&path, b"SQLite format 2\0").expect("write");
        let err = check_header(&path).expect_err("foreign");
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    }
}
