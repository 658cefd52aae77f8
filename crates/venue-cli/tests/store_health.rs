//! A store that cannot be used is named by its cause with exit code 4 (locked by another process,
//! no permission, damaged, missing or empty beside a configured venue), nothing is written to
//! it, and only `venue init` creates a store (`venue sim` never does).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::{files_in, ok, stderr};

const STORE_UNAVAILABLE: i32 = 4;

fn command(data_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = support::venue_command(data_dir);
    cmd.args(args)
        .env("VENUE_STAFF_PIN", "4321")
        .stdin(Stdio::null());
    cmd
}

fn venue(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir, args).output().expect("run venue")
}

fn checksum(path: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    std::fs::read(path).expect("read").hash(&mut hasher);
    hasher.finish()
}

/// A copy of one demo venue made once per test run (`init --demo` takes a while).
fn demo() -> tempfile::TempDir {
    static TEMPLATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        ok(venue(dir.path(), &["init", "--demo"]));
        dir
    });
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["venue.sqlite3", "venue.toml"] {
        std::fs::copy(template.path().join(file), dir.path().join(file)).expect("copy");
    }
    dir
}

fn a_reservation(data_dir: &Path) -> String {
    let out = ok(venue(
        data_dir,
        &["export", "reservations", "--format", "json"],
    ));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    rows[0]["id"].as_str().expect("a reservation").to_string()
}

/// Every command that writes to the store, as a user would type it.
fn writing_commands(reservation: &str) -> Vec<Vec<String>> {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        args(&["pms", "note", "--reservation", reservation, "late arrival"]),
        args(&[
            "pms",
            "charge",
            "--reservation",
            reservation,
            "--amount",
            "4.50",
            "--currency",
            "GBP",
            "--item",
            "Tea",
        ]),
        args(&["pms", "sync"]),
        args(&["fetch"]),
        args(&["sensors", "poll", "--once"]),
        args(&["staff", "add", "--name", "Robin", "--role", "staff"]),
        args(&["staff", "deactivate", "Sam Front Desk"]),
        args(&["init", "--demo"]),
    ]
}

/// The store's page size times its page count, then `pages` pages from the middle overwritten
/// with the same garbage every run.
fn corrupt_middle(path: &Path, pages: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let len = std::fs::metadata(path).expect("meta").len();
    let mut state: u64 = 0x0BAD_5EED;
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
    file.seek(SeekFrom::Start((len / 4096 / 2) * 4096))
        .expect("seek");
    file.write_all(&garbage).expect("write");
    file.sync_all().expect("sync");
}

#[test]
fn a_store_held_by_another_process_is_named_locked_with_its_pid() {
    let dir = demo();
    let store = dir.path().join("venue.sqlite3");
    let holder = rusqlite::Connection::open(&store).expect("open");
    holder
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE;
             BEGIN IMMEDIATE; UPDATE meta SET value = value WHERE key = 'node_id'; COMMIT;",
        )
        .expect("hold the store");
    for args in [
        &["status"][..],
        &["pms", "note", "--reservation", "x", "hi"][..],
    ] {
        let out = venue(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(STORE_UNAVAILABLE),
            "{args:?}: {}",
            stderr(&out)
        );
        let text = stderr(&out);
        assert!(text.contains("locked by another process"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "names this test as the holder: {text}"
        );
        assert!(!text.contains("not a SQLite database"), "{text}");
    }
    drop(holder);
    ok(venue(dir.path(), &["status"]));
}

#[test]
fn a_truncated_store_is_named_damaged_not_a_foreign_file() {
    let dir = demo();
    let store = dir.path().join("venue.sqlite3");
    let len = std::fs::metadata(&store).expect("meta").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&store)
        .expect("open")
        .set_len(len / 2)
        .expect("truncate");
    let before = checksum(&store);
    let out = venue(dir.path(), &["status"]);
    assert_eq!(
        out.status.code(),
        Some(STORE_UNAVAILABLE),
        "{}",
        stderr(&out)
    );
    let text = stderr(&out);
    assert!(
        text.contains("damaged") && text.contains("cut short"),
        "{text}"
    );
    assert!(!text.contains("not a SQLite database"), "{text}");
    assert_eq!(checksum(&store), before);
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Undoes a permission change when the test ends, even when it fails.
struct Restore(Box<dyn FnMut()>);

impl Drop for Restore {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// chmod for a normal user; as root, whom modes do not stop, the immutable attribute.
fn make_unwritable(path: &Path) -> Result<Restore, String> {
    if running_as_root() {
        let chattr = |flag: &str, path: &Path| {
            Command::new("chattr")
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
fn a_read_only_store_or_data_dir_is_named_a_permission_problem() {
    for what in ["store file", "data dir"] {
        let dir = demo();
        let store = dir.path().join("venue.sqlite3");
        let reservation = a_reservation(dir.path());
        let before = checksum(&store);
        let target: PathBuf = if what == "store file" {
            store.clone()
        } else {
            dir.path().to_path_buf()
        };
        let _restore = match make_unwritable(&target) {
            Ok(restore) => restore,
            Err(reason) => {
                eprintln!("skipping the read-only {what} case: {reason}");
                continue;
            }
        };
        let out = venue(
            dir.path(),
            &["pms", "note", "--reservation", &reservation, "hello"],
        );
        assert_eq!(
            out.status.code(),
            Some(STORE_UNAVAILABLE),
            "{what}: {}",
            stderr(&out)
        );
        let text = stderr(&out);
        assert!(text.contains("permission"), "{what}: {text}");
        assert!(!text.contains("not a SQLite database"), "{text}");
        assert_eq!(checksum(&store), before, "{what}: untouched");
    }
}

/// A damaged store takes no write from any command (exit 4, naming the damage and the way back),
/// `status` still says what it can and that the store is damaged.
#[test]
fn a_damaged_store_takes_no_write_from_any_command() {
    let dir = demo();
    let store = dir.path().join("venue.sqlite3");
    let reservation = a_reservation(dir.path());
    // Every commit is in the file (no -wal) before it is damaged.
    assert!(!dir.path().join("venue.sqlite3-wal").exists());
    corrupt_middle(&store, 8);
    let verdict: String = rusqlite::Connection::open_with_flags(
        format!("file:{}?mode=ro&immutable=1", store.display()),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .and_then(|c| c.query_row("PRAGMA quick_check(1)", [], |r| r.get(0)))
    .unwrap_or_else(|e| e.to_string());
    assert_ne!(verdict, "ok", "SQLite itself sees the damage");
    let before = checksum(&store);

    for args in writing_commands(&reservation) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = venue(dir.path(), &args);
        assert_eq!(
            out.status.code(),
            Some(STORE_UNAVAILABLE),
            "{args:?}: {}",
            stderr(&out)
        );
        let text = stderr(&out);
        assert!(text.contains("damaged"), "{args:?}: {text}");
        assert!(
            text.contains("restore it from a backup"),
            "{args:?}: {text}"
        );
        assert_eq!(checksum(&store), before, "{args:?} wrote nothing");
    }
    let out = venue(dir.path(), &["status"]);
    assert_eq!(
        out.status.code(),
        Some(STORE_UNAVAILABLE),
        "{}",
        stderr(&out)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Harbour Hotel"), "reads what it can: {text}");
    assert!(text.contains("Damaged"), "{text}");
    assert_eq!(checksum(&store), before);
}

#[test]
fn a_backup_restores_the_venue_in_another_data_dir() {
    let dir = demo();
    let backup = dir.path().join("backup.sqlite3");
    let backup_arg = backup.to_str().expect("utf-8");
    ok(venue(dir.path(), &["backup", backup_arg]));
    let again = venue(dir.path(), &["backup", backup_arg]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    ok(venue(dir.path(), &["backup", backup_arg, "--force"]));

    let restored = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&backup, restored.path().join("venue.sqlite3")).expect("restore");
    std::fs::copy(
        dir.path().join("venue.toml"),
        restored.path().join("venue.toml"),
    )
    .expect("config");
    let counts = |d: &Path| -> serde_json::Value {
        let out = ok(venue(d, &["status", "--json"]));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["counts"].clone()
    };
    assert_eq!(counts(restored.path()), counts(dir.path()));
}

/// A configured venue whose store is gone or empty is an error naming the file, for every
/// command; nothing creates a new, empty venue in its place but `venue init`, when asked.
#[test]
fn a_missing_or_empty_store_beside_a_config_is_named_and_never_recreated() {
    let dir = demo();
    let store = dir.path().join("venue.sqlite3");
    let reservation = a_reservation(dir.path());
    let mut commands = writing_commands(&reservation);
    commands.retain(|c| c[0] != "init");
    for read in [
        &["status"][..],
        &["export", "transactions", "--format", "csv"],
        &["search", "smith"],
        &["report", "daily"],
        &["sensors", "list"],
        &["alerts", "list"],
        &["pms", "charges"],
        &["staff", "list"],
    ] {
        commands.push(read.iter().map(|s| s.to_string()).collect());
    }
    for (state, word) in [("empty", "empty (0 bytes)"), ("missing", "is missing")] {
        if state == "empty" {
            std::fs::write(&store, b"").expect("empty the store");
        } else {
            std::fs::remove_file(&store).expect("remove the store");
        }
        let listing = files_in(dir.path());
        for args in &commands {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = venue(dir.path(), &args);
            assert_eq!(
                out.status.code(),
                Some(STORE_UNAVAILABLE),
                "{state} {args:?}: {}",
                stderr(&out)
            );
            let text = stderr(&out);
            assert!(
                text.contains("venue.sqlite3") && text.contains(word),
                "{text}"
            );
            assert!(text.contains("venue.toml"), "{text}");
            assert_eq!(
                files_in(dir.path()),
                listing,
                "{state} {args:?}: nothing created"
            );
        }
        if state == "empty" {
            assert_eq!(std::fs::metadata(&store).expect("meta").len(), 0);
        }
    }
    // Asked for, init starts afresh beside the existing config.
    ok(venue(
        dir.path(),
        &[
            "init",
            "--name",
            "Afresh",
            "--timezone",
            "UTC",
            "--currency",
            "EUR",
            "--capacity",
            "5",
        ],
    ));
    ok(venue(dir.path(), &["status"]));
}

#[test]
fn a_data_dir_never_set_up_is_not_created_by_any_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("nowhere");
    for args in [
        &["status"][..],
        &["search", "x"],
        &["fetch"],
        &["staff", "list"],
    ] {
        let out = venue(&data, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("venue init"), "{}", stderr(&out));
        assert!(!data.exists(), "{args:?} created {}", data.display());
    }
}

/// Starts `venue sim` on free ports, waits for its banner, stops it.
fn run_sim(data_dir: &Path) {
    let mut child = command(data_dir, &support::SIM_ON_FREE_PORTS)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start venue sim");
    let stdout = child.stdout.take().expect("stdout");
    let banner_seen = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("Door counters:"));
    child.kill().expect("stop venue sim");
    child.wait().expect("reap venue sim");
    assert!(banner_seen, "venue sim served");
}

#[test]
#[cfg_attr(
    not(feature = "sim"),
    ignore = "runs `venue sim`: cargo test -p venue-cli --features sim"
)]
fn venue_sim_never_creates_or_touches_a_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = dir.path().join("fresh");
    run_sim(&fresh);
    assert!(!fresh.exists(), "no data dir, no store");

    let demo = demo();
    let store = demo.path().join("venue.sqlite3");
    let before = (files_in(demo.path()), checksum(&store));
    run_sim(demo.path());
    assert_eq!((files_in(demo.path()), checksum(&store)), before);
}
