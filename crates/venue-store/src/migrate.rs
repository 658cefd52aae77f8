//! Opening a database file safely and bringing its schema up to date, forward only.

use crate::diagnose::{check_header, classify, permission_problem};
use crate::{Result, StoreError};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::path::Path;

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Marks the file as ours in the SQLite header ("VENU"), so a foreign database is never migrated.
pub const APPLICATION_ID: i32 = 0x5645_4E55;

/// Sized for a desktop: a 64 MB page cache so large ingests do not re-read index pages from the
/// OS (the default is 2 MB), and checkpoints every 4,000 WAL pages (16 MB) rather than 1,000, so a
/// long ingest copies hot index pages back to the database file less often.
pub const CONNECTION_TUNING: &str =
    "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4000;";

pub fn latest_version() -> u32 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// A stable fingerprint of a migration's text, to detect a migration edited after release.
fn checksum(sql: &str) -> String {
    // FNV-1a: not for security, only to notice an accidental edit.
    let hash = sql.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// How a store is opened. Only `venue init` (and tests) create one: a missing or empty file is
/// otherwise an error that names it, never a new, empty store in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Creates the file if missing; an empty file becomes a new store (`venue init`).
    Create,
    /// An existing store, migrated, for reading and writing; a damaged one is refused.
    Existing,
    /// An existing store for reading what still can be: a damaged one opens query-only (no
    /// migration, every write refused) and says so in [`crate::Store::damage`].
    Salvage,
    /// An existing store opened read-only by SQLite, without migrating or creating any file
    /// (not even `-wal`/`-shm`): for a quick look from a process that must not touch it.
    Peek,
}

/// Refuses a missing or empty file unless the store may be created.
fn check_exists(path: &Path, mode: OpenMode) -> Result<()> {
    if mode == OpenMode::Create {
        return Ok(());
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() == 0 && meta.is_file() => Err(StoreError::Empty {
            path: path.to_path_buf(),
        }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Missing {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(StoreError::Permission {
            path: path.to_path_buf(),
            reason: format!("it cannot be looked at ({e})"),
        }),
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A `file:` URI for `path` (SQLite wants `%`, `?` and `#` escaped).
fn file_uri(path: &Path, query: &str) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push('?');
    uri.push_str(query);
    uri
}

/// Opens read-only without creating anything. With no `-wal` beside it every commit is in the
/// file itself, so it is read as immutable (SQLite would otherwise create `-wal` and `-shm`);
/// with one (another process is using the store) through the existing WAL.
fn open_peek(path: &Path) -> Result<Connection> {
    let query = if crate::diagnose::companion(path, "-wal").exists() {
        "mode=ro"
    } else {
        "mode=ro&immutable=1"
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(file_uri(path, query), flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| classify(path, e))?;
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if app_id != APPLICATION_ID {
        return Err(StoreError::ForeignDatabase {
            path: path.to_path_buf(),
        });
    }
    Ok(conn)
}

pub(crate) fn open_connection(path: &Path, mode: OpenMode) -> Result<Connection> {
    check_exists(path, mode)?;
    check_header(path)?;
    if mode == OpenMode::Peek {
        return open_peek(path);
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if mode == OpenMode::Create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    // A page pulled from the hub mixes every kind, each with its own statements: with the default
    // 16 cached, applying one would prepare them again change after change.
    conn.set_prepared_statement_cache_capacity(128);
    // Wait out a passing lock (a checkpoint, another process's recovery) before calling the
    // store locked.
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| classify(path, e))?;
    // Reading the schema proves the file is a readable database before we write anything; a
    // failure here is named by its cause (locked, permission, damaged), never "not a database".
    let table_count: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if app_id != APPLICATION_ID && (app_id != 0 || table_count > 0) {
        return Err(StoreError::ForeignDatabase {
            path: path.to_path_buf(),
        });
    }
    if app_id == APPLICATION_ID {
        refuse_newer_schema(&conn, path, latest_version()).map_err(|e| match e {
            StoreError::Sqlite(e) => classify(path, e),
            other => other,
        })?;
    }
    // SQLite quietly opens a file it may not write read-only; only a salvage read may go on.
    if mode != OpenMode::Salvage && conn.is_readonly(rusqlite::MAIN_DB)? {
        return Err(StoreError::Permission {
            path: path.to_path_buf(),
            reason: permission_problem(path)
                .unwrap_or_else(|| "SQLite could open it for reading only".into()),
        });
    }
    let tune = || -> rusqlite::Result<()> {
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // WAL + NORMAL: a crash never corrupts the file; a power cut may lose the last commits only.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(CONNECTION_TUNING)?;
        crate::natural_sql::register(&conn)
    };
    tune().map_err(|e| classify(path, e))?;
    Ok(conn)
}

/// SQLite's quick integrity check, stopping at the first problem: `Ok(None)` when sound,
/// `Ok(Some(what))` when damaged. It reads every page (not every index entry) once.
fn quick_check(conn: &Connection, path: &Path) -> Result<Option<String>> {
    let result = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get::<_, String>(0));
    match result {
        Ok(text) if text == "ok" => Ok(None),
        Ok(text) => Ok(Some(format!("integrity check: {text}"))),
        Err(e) => match classify(path, e) {
            StoreError::Damaged { reason, .. } => Ok(Some(reason)),
            other => Err(other),
        },
    }
}

/// Identifies one version of a file: a sound verdict holds until the file is changed or
/// replaced (its size, times or inode differ).
#[cfg(unix)]
fn file_version(path: &Path) -> Option<(u64, u64, u64, i64, i64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    ))
}

#[cfg(not(unix))]
fn file_version(_: &Path) -> Option<(u64, u64, u64, i64, i64, i64, i64)> {
    None
}

/// [`quick_check`], run once per version of a file in this process (the desktop app opens two
/// connections to one store): only sound verdicts are kept, so a store restored in place is
/// checked again.
pub(crate) fn quick_check_cached(conn: &Connection, path: &Path) -> Result<Option<String>> {
    type Versions =
        std::sync::Mutex<std::collections::HashSet<(u64, u64, u64, i64, i64, i64, i64)>>;
    static SOUND: std::sync::OnceLock<Versions> = std::sync::OnceLock::new();
    let sound = SOUND.get_or_init(Default::default);
    let version = file_version(path);
    if let Some(v) = version {
        if sound.lock().map(|s| s.contains(&v)).unwrap_or(false) {
            return Ok(None);
        }
    }
    let verdict = quick_check(conn, path)?;
    if let (None, Some(v)) = (&verdict, version) {
        if let Ok(mut s) = sound.lock() {
            s.insert(v);
        }
    }
    Ok(verdict)
}

/// Whether any of `migrations` is not applied yet (a write is due on opening).
pub(crate) fn pending(conn: &Connection, migrations: &[Migration]) -> Result<bool> {
    let current = applied_versions(conn)?.last().map(|(v, _)| *v).unwrap_or(0);
    Ok(migrations.iter().any(|m| m.version > current))
}

fn applied_versions(conn: &Connection) -> Result<Vec<(u32, String)>> {
    let has_table: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if has_table.is_none() {
        return Ok(Vec::new());
    }
    let mut stmt =
        conn.prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn refuse_newer_schema(conn: &Connection, path: &Path, supported: u32) -> Result<()> {
    let found = applied_versions(conn)?.last().map(|(v, _)| *v).unwrap_or(0);
    if found > supported {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    Ok(())
}

/// Applies every migration in `migrations` not yet applied, each in one transaction together
/// with its bookkeeping row, so a crash leaves the database at a clean version.
pub(crate) fn migrate(conn: &mut Connection, path: &Path, migrations: &[Migration]) -> Result<u32> {
    let supported = migrations.last().map(|m| m.version).unwrap_or(0);
    refuse_newer_schema(conn, path, supported)?;
    let applied = applied_versions(conn)?;
    for (version, sum) in &applied {
        if let Some(m) = migrations.iter().find(|m| m.version == *version) {
            if checksum(m.sql) != *sum {
                return Err(StoreError::MigrationChanged {
                    version: *version,
                    name: m.name.to_string(),
                });
            }
        }
    }
    let current = applied.last().map(|(v, _)| *v).unwrap_or(0);
    for m in migrations.iter().filter(|m| m.version > current) {
        let failed = |source| StoreError::MigrationFailed {
            version: m.version,
            name: m.name.to_string(),
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL
            ) STRICT;",
        )
        .map_err(failed)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(failed)?;
        tx.execute_batch(m.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![m.version, m.name, checksum(m.sql), chrono::Utc::now()],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
    Ok(supported.max(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_run_from_one_without_gaps() {
        assert!(!MIGRATIONS.is_empty());
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
            assert!(!m.sql.trim().is_empty(), "migration {} is empty", m.name);
        }
    }

    #[test]
    fn checksum_notices_a_one_character_edit() {
        assert_ne!(
            checksum("CREATE TABLE a (x)"),
            checksum("CREATE TABLE a (y)")
        );
        assert_eq!(checksum("same"), checksum("same"));
    }
}
