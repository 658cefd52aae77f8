//! A store that cannot be used says why, over real files: locked by another connection, no
//! permission, truncated, damaged; a damaged store takes no write; only `Create` makes a store;
//! a peek creates nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use venue_domain::*;
use venue_store::{OpenMode, Store, StoreError, DB_FILE};

fn sale(venue: &Venue, n: u32) -> Transaction {
    let closed = Utc
        .with_ymd_and_hms(2026, 7, 1, 12, 0, 0)
        .single()
        .expect("time")
        + Duration::minutes(i64::from(n));
    Transaction {
        id: new_id(),
        venue_id: venue.id,
        source: "square-main".into(),
        external_id: format!("PAY-{n:06}"),
        location_id: Some("L1".into()),
        status: TransactionStatus::Completed,
        opened_at: Some(closed - Duration::minutes(20)),
        closed_at: closed,
        currency: venue.currency,
        total_minor: 1_000 + i64::from(n),
        tax_minor: 100,
        tip_minor: 100,
        discount_minor: 0,
        refunded_minor: 0,
    }
}

/// A closed store (no -wal, no -shm) with a venue and `sales` sales: hundreds of pages.
fn filled_store(dir: &Path, sales: u32) -> PathBuf {
    let path = dir.join(DB_FILE);
    let mut store = Store::open(&path).expect("create");
    let venue = Venue::new("Harbour Hotel", "Europe/London", "GBP", 120).expect("venue");
    store
        .save_by_user("test", "venue.create", &venue)
        .expect("venue");
    let batch: Vec<Transaction> = (0..sales).map(|n| sale(&venue, n)).collect();
    store
        .ingest(Origin::Connector, None, &batch)
        .expect("ingest");
    store.checkpoint().expect("checkpoint");
    drop(store);
    assert!(!companion(&path, "-wal").exists(), "closed cleanly");
    path
}

fn companion(path: &Path, suffix: &str) -> PathBuf {
    venue_store::diagnose::companion(path, suffix)
}

fn checksum(path: &Path) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::fs::read(path).expect("read").hash(&mut hasher);
    hasher.finish()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Overwrites `pages` pages starting at `first` with garbage from `seed` (xorshift), so the same
/// seed always writes the same bytes.
fn overwrite_pages(path: &Path, first: u64, pages: u64, seed: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut state = seed | 1;
    let garbage: Vec<u8> = (0..pages * 4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    file.seek(SeekFrom::Start(first * 4096)).expect("seek");
    file.write_all(&garbage).expect("write");
    file.sync_all().expect("sync");
}

fn page_count(path: &Path) -> u64 {
    std::fs::metadata(path).expect("size").len() / 4096
}

/// SQLite's own verdict, through a plain connection that changes nothing.
fn raw_quick_check(path: &Path) -> String {
    let conn = rusqlite::Connection::open_with_flags(
        format!("file:{}?mode=ro&immutable=1", path.display()),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .expect("open");
    conn.query_row("PRAGMA quick_check(1)", [], |r| r.get::<_, String>(0))
        .unwrap_or_else(|e| e.to_string())
}

#[test]
fn only_create_makes_a_store_and_missing_or_empty_files_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(DB_FILE);
    for mode in [OpenMode::Existing, OpenMode::Salvage, OpenMode::Peek] {
        let err = Store::open_with(&path, mode)
            .map(|_| ())
            .expect_err("missing");
        assert!(matches!(err, StoreError::Missing { .. }), "{mode:?}: {err}");
        assert!(err.to_string().contains(DB_FILE), "{err}");
        assert!(files_in(dir.path()).is_empty(), "{mode:?} created nothing");
    }
    std::fs::write(&path, b"").expect("empty file");
    for mode in [OpenMode::Existing, OpenMode::Salvage, OpenMode::Peek] {
        let err = Store::open_with(&path, mode)
            .map(|_| ())
            .expect_err("empty");
        assert!(matches!(err, StoreError::Empty { .. }), "{mode:?}: {err}");
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 0);
        assert_eq!(files_in(dir.path()), vec![DB_FILE.to_string()]);
    }
    let store = Store::open_with(&path, OpenMode::Create).expect("create as asked");
    assert_eq!(store.damage().expect("check"), None);
}

#[test]
fn a_store_locked_by_another_connection_is_named_locked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = filled_store(dir.path(), 50);
    let holder = rusqlite::Connection::open(&path).expect("holder");
    holder
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             BEGIN IMMEDIATE; UPDATE meta SET value = value WHERE key = 'node_id'; COMMIT;",
        )
        .expect("hold the store exclusively");
    for mode in [OpenMode::Existing, OpenMode::Salvage] {
        let err = Store::open_with(&path, mode)
            .map(|_| ())
            .expect_err("locked");
        assert!(matches!(err, StoreError::Locked { .. }), "{mode:?}: {err}");
        let text = err.to_string();
        assert!(text.contains("locked by another process"), "{text}");
        assert!(!text.contains("not a SQLite database"), "{text}");
    }
    drop(holder);
    Store::open_with(&path, OpenMode::Existing).expect("opens once released");
}

#[test]
fn a_truncated_store_is_named_damaged_and_left_as_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = filled_store(dir.path(), 3_000);
    let len = std::fs::metadata(&path).expect("meta").len();
    assert!(len > 100 * 4096, "a store of {len} bytes");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open")
        .set_len(len / 2)
        .expect("truncate");
    let before = checksum(&path);
    for mode in [OpenMode::Existing, OpenMode::Create, OpenMode::Salvage] {
        let err = Store::open_with(&path, mode)
            .map(|_| ())
            .expect_err("damaged");
        assert!(matches!(err, StoreError::Damaged { .. }), "{mode:?}: {err}");
        let text = err.to_string();
        assert!(text.contains("cut short"), "{text}");
        assert!(text.contains("backup"), "names the way back: {text}");
        assert!(!text.contains("not a SQLite database"), "{text}");
        assert_eq!(checksum(&path), before, "{mode:?} left the file as it was");
    }
}

/// Undoes a permission change when the test ends, even when it fails.
struct Restore(Box<dyn FnMut()>);

impl Drop for Restore {
    fn drop(&mut self) {
        (self.0)();
    }
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Makes `path` unwritable: chmod for a normal user; as root (whom modes do not stop) the
/// immutable attribute, when the file system has it. None, with the reason, when neither works.
fn make_unwritable(path: &Path) -> Result<Restore, String> {
    if running_as_root() {
        let chattr = |flag: &str, path: &Path| {
            std::process::Command::new("chattr")
                .arg(flag)
                .arg(path)
                .status()
                .is_ok_and(|s| s.success())
        };
        if !chattr("+i", path) {
            return Err(format!(
                "running as root, where chmod does not stop writes, and `chattr +i {}` failed",
                path.display()
            ));
        }
        let path = path.to_path_buf();
        return Ok(Restore(Box::new(move || {
            chattr("-i", &path);
        })));
    }
    use std::os::unix::fs::PermissionsExt;
    let before = std::fs::metadata(path).expect("meta").permissions();
    let mode = if path.is_dir() { 0o555 } else { 0o444 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    let path = path.to_path_buf();
    Ok(Restore(Box::new(move || {
        let _ = std::fs::set_permissions(&path, before.clone());
    })))
}

#[test]
fn a_store_that_cannot_be_written_is_named_a_permission_problem() {
    for what in ["file", "folder"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("mkdir");
        let path = filled_store(&data, 50);
        let before = checksum(&path);
        let target = if what == "file" {
            path.clone()
        } else {
            data.clone()
        };
        let _restore = match make_unwritable(&target) {
            Ok(restore) => restore,
            Err(reason) => {
                eprintln!("skipping the read-only {what} case: {reason}");
                continue;
            }
        };
        let err = Store::open_with(&path, OpenMode::Existing)
            .map(|_| ())
            .expect_err("cannot be written");
        assert!(
            matches!(err, StoreError::Permission { .. }),
            "read-only {what}: {err}"
        );
        let text = err.to_string();
        assert!(text.contains("permission"), "{text}");
        assert!(!text.contains("not a SQLite database"), "{text}");
        assert_eq!(checksum(&path), before, "read-only {what}: file untouched");
    }
}

#[test]
fn a_damaged_store_refuses_every_write_and_salvage_reads_what_it_can() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = filled_store(dir.path(), 3_000);
    let pages = page_count(&path);
    overwrite_pages(&path, pages / 2, 4, 0x5EED_0001);
    assert_ne!(raw_quick_check(&path), "ok", "the garbage is detectable");
    let before = checksum(&path);

    let err = Store::open_with(&path, OpenMode::Existing)
        .map(|_| ())
        .expect_err("damaged");
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("damaged") && text.contains("backup"),
        "{text}"
    );
    assert!(Store::open(&path).is_err(), "not even init writes to it");
    assert_eq!(checksum(&path), before);

    let mut store = Store::open_with(&path, OpenMode::Salvage).expect("salvage");
    assert!(store
        .damage()
        .expect("the check runs")
        .is_some_and(|d| d.contains("integrity")));
    let venue = store.venue().expect("page 1 still reads").expect("venue");
    type Write = Box<dyn Fn(&mut Store) -> bool>;
    let writes: Vec<(&str, Write)> = vec![
        (
            "ingest",
            Box::new(|s: &mut Store| {
                let v = Venue::new("X", "Europe/London", "GBP", 1).expect("venue");
                s.ingest(Origin::Connector, None, &[sale(&v, 9)]).is_ok()
            }),
        ),
        (
            "save_by_user",
            Box::new(move |s: &mut Store| {
                let mut renamed = venue.clone();
                renamed.name = "Renamed".into();
                s.save_by_user("test", "venue.update", &renamed).is_ok()
            }),
        ),
    ];
    for (name, write) in &writes {
        assert!(!write(&mut store), "{name} was refused");
    }
    drop(store);
    assert_eq!(checksum(&path), before, "no write reached the file");
}

#[test]
fn a_backup_is_a_store_that_opens_with_the_same_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = filled_store(dir.path(), 500);
    let store = Store::open_with(&path, OpenMode::Existing).expect("open");
    let dest = dir.path().join("backup.sqlite3");
    store.backup_to(&dest).expect("backup");
    let copy = Store::open_with(&dest, OpenMode::Existing).expect("the copy opens");
    assert_eq!(
        copy.counts().expect("counts"),
        store.counts().expect("counts")
    );
    assert_eq!(copy.venue().expect("venue"), store.venue().expect("venue"));
}

#[test]
fn a_peek_reads_the_venue_and_creates_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = filled_store(dir.path(), 10);
    let before = (files_in(dir.path()), checksum(&path));
    let store = Store::open_with(&path, OpenMode::Peek).expect("peek");
    assert_eq!(
        store.venue().expect("venue").map(|v| v.name),
        Some("Harbour Hotel".to_string())
    );
    drop(store);
    assert_eq!((files_in(dir.path()), checksum(&path)), before);

    // With another process's WAL beside it, a peek reads through it (and creates nothing more).
    let mut live = Store::open_with(&path, OpenMode::Existing).expect("open");
    let mut venue = live.venue().expect("venue").expect("venue");
    venue.name = "Renamed Live".into();
    live.save_by_user("test", "venue.update", &venue)
        .expect("rename");
    let files = files_in(dir.path());
    let peek = Store::open_with(&path, OpenMode::Peek).expect("peek");
    assert_eq!(
        peek.venue().expect("venue").map(|v| v.name),
        Some("Renamed Live".to_string())
    );
    assert_eq!(files_in(dir.path()), files);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Garbage anywhere in a store: opening it for writing either finds the damage (and the
    /// file stays byte for byte as it was) or the file is sound by SQLite's own check.
    #[test]
    fn garbage_anywhere_is_found_before_any_write(first in 1u64..200, pages in 1u64..6, seed in any::<u64>()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = base_store();
        let path = dir.path().join(DB_FILE);
        std::fs::copy(&base, &path).expect("copy");
        let first = first.min(page_count(&path) - 1);
        overwrite_pages(&path, first, pages, seed);
        let before = checksum(&path);
        let verdict = raw_quick_check(&path);
        match Store::open_with(&path, OpenMode::Existing) {
            Ok(_) => prop_assert_eq!(verdict, "ok"),
            Err(err) => {
                prop_assert!(
                    matches!(err, StoreError::Damaged { .. }),
                    "pages {}..{}: {}", first, first + pages, err
                );
                prop_assert_eq!(checksum(&path), before);
            }
        }
    }
}

/// One filled store, built once and copied per case.
fn base_store() -> PathBuf {
    static BASE: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = filled_store(dir.path(), 3_000);
        (dir, path)
    })
    .1
    .clone()
}
