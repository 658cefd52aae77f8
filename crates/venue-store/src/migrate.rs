//! Opening a database file safely and bringing its schema up to date, forward only.

use crate::{Result, StoreError};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::io::Read;
use std::path::Path;

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Marks the file as ours in the SQLite header ("VENU"), so a foreign database is never migrated.
pub const APPLICATION_ID: i32 = 0x5645_4E55;
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

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

/// Refuses, before SQLite touches it, a file that is not a SQLite database.
fn check_header(path: &Path) -> Result<()> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    let mut header = Vec::with_capacity(16);
    file.by_ref()
        .take(16)
        .read_to_end(&mut header)
        .map_err(io)?;
    if header.is_empty() || header.as_slice() == SQLITE_MAGIC {
        return Ok(());
    }
    Err(StoreError::NotADatabase {
        path: path.to_path_buf(),
        reason: "its header is not \"SQLite format 3\"".into(),
    })
}

pub(crate) fn open_connection(path: &Path) -> Result<Connection> {
    check_header(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // Reading the schema proves the file is a readable database before we write anything.
    let table_count: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| StoreError::NotADatabase {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if app_id != APPLICATION_ID && (app_id != 0 || table_count > 0) {
        return Err(StoreError::ForeignDatabase {
            path: path.to_path_buf(),
        });
    }
    if app_id == APPLICATION_ID {
        refuse_newer_schema(&conn, path, latest_version())?;
    }
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // WAL + NORMAL: a crash never corrupts the file; a power cut may lose the last commits only.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(CONNECTION_TUNING)?;
    Ok(conn)
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
