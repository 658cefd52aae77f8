//! `venue export -o FILE` never writes over the store, its SQLite files or the config, however
//! the path names them, and replaces an existing file only when it is an earlier export of the
//! same kind (or with --force); a refused or failed export leaves everything as it was.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Output;
use support::{files_in, ok, stderr};

fn venue_in(cwd: &Path, data_dir: &Path, args: &[&str]) -> Output {
    support::venue_command(data_dir)
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run venue")
}

fn venue(data_dir: &Path, args: &[&str]) -> Output {
    venue_in(data_dir, data_dir, args)
}

fn checksum(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    Some(hasher.finish())
}

/// A copy of one demo venue made once per test run (`init --demo` takes a while); its data dir
/// is `dir/data`, so links can live beside it.
fn demo() -> (tempfile::TempDir, PathBuf) {
    static TEMPLATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        ok(venue(dir.path(), &["init", "--demo"]));
        dir
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    for file in ["venue.sqlite3", "venue.toml"] {
        std::fs::copy(template.path().join(file), data.join(file)).expect("copy");
    }
    (dir, data)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

#[test]
fn an_export_over_the_store_is_refused_and_the_venue_lives_on() {
    let (_dir, data) = demo();
    let store = data.join("venue.sqlite3");
    let before = checksum(&store);
    let status_before = ok(venue(&data, &["status", "--json"])).stdout;
    for name in ["venue.sqlite3", "venue.toml"] {
        let target = data.join(name);
        let out = venue(
            &data,
            &[
                "export",
                "transactions",
                "--format",
                "csv",
                "-o",
                target.to_str().expect("utf-8"),
                "--force",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("refusing"), "{}", stderr(&out));
    }
    assert_eq!(
        checksum(&store),
        before,
        "the store is byte for byte as it was"
    );
    let status_after = ok(venue(&data, &["status", "--json"])).stdout;
    let counts = |json: &[u8]| -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(json).expect("json")["counts"].clone()
    };
    assert_eq!(counts(&status_after), counts(&status_before));
}

/// Every protected file, named every way a path can name it: refused with exit 2, and the
/// store, its WAL and the config byte for byte as they were, no file left behind.
#[cfg(unix)]
#[test]
fn no_way_of_naming_a_protected_file_lets_an_export_write_over_it() {
    let (dir, data) = demo();
    let store = data.join("venue.sqlite3");
    // Another process holds the store open, as `venue run` would: its -wal and -shm exist.
    let holder = rusqlite::Connection::open(&store).expect("hold open");
    holder
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .expect("read");
    assert!(with_suffix(&store, "-wal").exists() && with_suffix(&store, "-shm").exists());
    std::fs::create_dir(data.join("sub")).expect("mkdir");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");

    let kinds = [
        "venue.sqlite3",
        "venue.sqlite3-wal",
        "venue.sqlite3-shm",
        "venue.sqlite3-journal",
        "venue.toml",
    ];
    // The -shm is compared by inode and size, never read: closing a file this process opened
    // would drop the holder's SQLite locks on it (POSIX locks are per process), and readers
    // legitimately write their marks into it anyway.
    let guarded = |name: &str| -> Vec<(String, Option<u64>)> {
        ["venue.sqlite3", "venue.sqlite3-wal", "venue.toml", name]
            .iter()
            .map(|n| {
                let path = data.join(n);
                let seen = if n.ends_with("-shm") {
                    std::fs::metadata(&path).ok().map(|m| {
                        use std::os::unix::fs::MetadataExt;
                        m.ino() ^ (m.len() << 40)
                    })
                } else {
                    checksum(&path)
                };
                (n.to_string(), seen)
            })
            .collect()
    };
    let mut cases = 0;
    for (i, kind) in kinds.iter().enumerate() {
        let file = data.join(kind);
        let link = elsewhere.join(format!("link-{i}"));
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        let hard = elsewhere.join(format!("hard-{i}"));
        let has_hard_link = file.exists() && std::fs::hard_link(&file, &hard).is_ok();
        let mut ways: Vec<(&str, PathBuf, &Path)> = vec![
            ("relative", PathBuf::from(kind), data.as_path()),
            ("absolute", file.clone(), dir.path()),
            ("via ..", data.join("sub").join("..").join(kind), dir.path()),
            (
                "relative via ..",
                Path::new("data/sub/..").join(kind),
                dir.path(),
            ),
            ("via a symlink", link.clone(), dir.path()),
        ];
        if has_hard_link {
            ways.push(("via a hard link", hard.clone(), dir.path()));
        }
        for (way, path, cwd) in ways {
            for format in ["csv", "json"] {
                for force in [false, true] {
                    let before = guarded(kind);
                    let listing = files_in(&data);
                    let mut args = vec![
                        "export",
                        "transactions",
                        "--format",
                        format,
                        "-o",
                        path.to_str().expect("utf-8"),
                    ];
                    if force {
                        args.push("--force");
                    }
                    let out = venue_in(cwd, &data, &args);
                    assert_eq!(
                        out.status.code(),
                        Some(2),
                        "{kind} {way} {format} force={force}: {}",
                        stderr(&out)
                    );
                    assert!(
                        stderr(&out).contains("refusing"),
                        "{kind} {way}: {}",
                        stderr(&out)
                    );
                    assert_eq!(guarded(kind), before, "{kind} {way} {format}: untouched");
                    assert_eq!(
                        files_in(&data),
                        listing,
                        "{kind} {way}: nothing left behind"
                    );
                    cases += 1;
                }
            }
        }
        if has_hard_link {
            std::fs::remove_file(&hard).expect("unlink");
        }
    }
    assert!(cases >= 5 * 5 * 4, "{cases} cases");
    assert!(!data.join("venue.sqlite3-journal").exists());
    drop(holder);
    ok(venue(&data, &["status"]));
}

#[test]
fn an_existing_file_is_replaced_only_by_an_export_of_its_kind_unless_forced() {
    let (dir, data) = demo();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let export = |entity: &str, format: &str, path: &Path, force: bool| {
        let mut args = vec![
            "export",
            entity,
            "--format",
            format,
            "-o",
            path.to_str().expect("utf-8"),
        ];
        if force {
            args.push("--force");
        }
        venue(&data, &args)
    };
    let target = out_dir.join("sales.csv");
    ok(export("transactions", "csv", &target, false));
    let first = std::fs::read(&target).expect("written");
    assert!(first.starts_with(b"id,"), "a CSV with its header");
    // Its own earlier export is replaced, no --force needed.
    ok(export("transactions", "csv", &target, false));
    assert_eq!(std::fs::read(&target).expect("read"), first);

    // (what the file holds, the export asked for, replaced without --force?)
    let table: &[(&[u8], &str, &str, bool)] = &[
        (b"my notes, not an export\n", "transactions", "csv", false),
        (b"", "transactions", "csv", true),
        (b"[]\n", "transactions", "json", true),
        (b"a,b,c\n1,2,3\n", "transactions", "csv", false),
        (b"{\"settings\": true}\n", "transactions", "json", false),
    ];
    for (i, (content, entity, format, replaced)) in table.iter().enumerate() {
        let path = out_dir.join(format!("case-{i}"));
        std::fs::write(&path, content).expect("write");
        let out = export(entity, format, &path, false);
        if *replaced {
            ok(out);
            assert_ne!(std::fs::read(&path).expect("read"), *content, "case {i}");
        } else {
            assert_eq!(out.status.code(), Some(2), "case {i}: {}", stderr(&out));
            assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
            assert_eq!(std::fs::read(&path).expect("read"), *content, "case {i}");
            ok(export(entity, format, &path, true));
            assert_ne!(
                std::fs::read(&path).expect("read"),
                *content,
                "case {i} forced"
            );
        }
    }

    // Every entity's export in each format replaces only an export of that same entity and format.
    let entities = [
        "transactions",
        "reservations",
        "customers",
        "resources",
        "audit",
    ];
    for format in ["csv", "json"] {
        for (i, written) in entities.iter().enumerate() {
            let path = out_dir.join(format!("{written}.{format}"));
            ok(export(written, format, &path, false));
            for asked in &entities[i..] {
                let before = std::fs::read(&path).expect("read");
                let out = export(asked, format, &path, false);
                if asked == written {
                    ok(out);
                } else {
                    assert_eq!(
                        out.status.code(),
                        Some(2),
                        "{asked} over {written}.{format}"
                    );
                    assert_eq!(std::fs::read(&path).expect("read"), before);
                }
            }
            let other = if format == "csv" { "json" } else { "csv" };
            let out = export(written, other, &path, false);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{other} over {written}.{format}"
            );
        }
    }
    assert!(
        files_in(&out_dir).iter().all(|n| !n.starts_with('.')),
        "no temporary file left: {:?}",
        files_in(&out_dir)
    );
}

#[cfg(unix)]
#[test]
fn a_link_to_an_earlier_export_stays_a_link_and_its_target_is_replaced() {
    let (dir, data) = demo();
    let real = dir.path().join("2026.csv");
    let link = dir.path().join("latest.csv");
    let path = |p: &Path| p.to_str().expect("utf-8").to_string();
    ok(venue(
        &data,
        &["export", "customers", "--format", "csv", "-o", &path(&real)],
    ));
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    ok(venue(
        &data,
        &["export", "customers", "--format", "csv", "-o", &path(&link)],
    ));
    assert!(std::fs::symlink_metadata(&link)
        .expect("meta")
        .file_type()
        .is_symlink());
    assert!(std::fs::read(&real).expect("read").starts_with(b"id,"));
}

#[test]
fn a_failed_export_leaves_the_target_as_it_was() {
    let (dir, data) = demo();
    let target = dir.path().join("sales.json");
    std::fs::write(&target, b"[]\n").expect("write");
    // Refused after the target was checked: --until before --since.
    let out = venue(
        &data,
        &[
            "export",
            "transactions",
            "--format",
            "json",
            "--since",
            "2026-07-02",
            "--until",
            "2026-07-01",
            "-o",
            target.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read(&target).expect("read"), b"[]\n");
    assert_eq!(files_in(dir.path()), vec!["data", "sales.json"]);
}
