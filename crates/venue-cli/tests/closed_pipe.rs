//! `venue … | head -c1`: a closed standard output ends a command's output quietly, for every
//! command that prints. No panic (exit 101), no "Broken pipe" error; the command's own exit code
//! stands (0 for a command whose work succeeded).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use support::venue;

/// How the reader goes away: at once (every write fails, deterministically), or after reading
/// one byte as `head -c1` does (the writes after the first fail).
#[derive(Debug, Clone, Copy)]
enum Reader {
    ClosedAtOnce,
    ReadsOneByte,
}

struct Ran {
    code: Option<i32>,
    stderr: String,
}

fn run_into_closed_pipe(data_dir: &Path, args: &[&str], reader: Reader) -> Ran {
    let mut child = support::venue_command(data_dir)
        .args(args)
        // `staff add` runs once per reader, and PINs are unique.
        .env(
            "VENUE_STAFF_PIN",
            match reader {
                Reader::ClosedAtOnce => "9876",
                Reader::ReadsOneByte => "8765",
            },
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start venue");
    let mut stdout = child.stdout.take().expect("stdout");
    if let Reader::ReadsOneByte = reader {
        let mut byte = [0u8; 1];
        let _ = stdout.read(&mut byte);
    }
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    Ran {
        code: status.code(),
        stderr,
    }
}

fn ok(out: std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_printing_command_ends_quietly_when_its_reader_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    ok(venue(&data, &["init", "--demo"]));
    let reservation = {
        let out = venue(&data, &["export", "reservations", "--format", "json"]);
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        rows[0]["id"].as_str().expect("reservation").to_string()
    };
    let backup = dir.path().join("backup.sqlite3");
    let backup = backup.to_str().expect("utf-8");
    // (arguments, whether the command's work succeeds: then it must exit 0)
    let commands = |staff_name: &'static str| -> Vec<(Vec<&str>, bool)> {
        vec![
            (vec!["status"], true),
            (vec!["status", "--json"], true),
            (vec!["search", "a"], true),
            (vec!["search", "a", "--json"], true),
            (vec!["report", "daily"], true),
            (vec!["report", "daily", "--json"], true),
            (vec!["sensors", "list"], true),
            (vec!["sensors", "list", "--json"], true),
            (vec!["alerts", "list", "--all"], true),
            (vec!["alerts", "list", "--json"], true),
            (vec!["pms", "charges"], true),
            (vec!["pms", "charges", "--json"], true),
            (vec!["staff", "list"], true),
            (vec!["staff", "list", "--json"], true),
            (vec!["export", "transactions", "--format", "csv"], true),
            (vec!["export", "transactions", "--format", "json"], true),
            (vec!["export", "changes", "--format", "json"], true),
            (
                vec![
                    "export",
                    "customers",
                    "--format",
                    "csv",
                    "-o",
                    "/dev/stdout",
                ],
                true,
            ),
            (
                vec!["pms", "note", "--reservation", &reservation, "late"],
                true,
            ),
            (vec!["backup", backup, "--force"], true),
            (
                vec![
                    "staff", "add", "--name", staff_name, "--role", "staff", "--json",
                ],
                true,
            ),
            (vec!["--version"], true),
            (vec!["--help"], true),
            // Their vendors are not running here: they fail, but must say so, not panic.
            (vec!["fetch"], false),
            (vec!["sensors", "poll", "--once"], false),
            (
                vec![
                    "pms",
                    "charge",
                    "--reservation",
                    &reservation,
                    "--amount",
                    "1.00",
                    "--currency",
                    "GBP",
                    "--item",
                    "Tea",
                ],
                false,
            ),
        ]
    };
    for (reader, staff_name) in [
        (Reader::ClosedAtOnce, "Pipe Closer"),
        (Reader::ReadsOneByte, "Pipe Reader"),
    ] {
        for (args, succeeds) in &commands(staff_name) {
            let ran = run_into_closed_pipe(&data, args, reader);
            assert_ne!(
                ran.code,
                Some(101),
                "{args:?} {reader:?} panicked: {}",
                ran.stderr
            );
            assert!(
                !ran.stderr.contains("panicked"),
                "{args:?} {reader:?}: {}",
                ran.stderr
            );
            assert!(
                !ran.stderr.to_lowercase().contains("broken pipe"),
                "{args:?} {reader:?}: {}",
                ran.stderr
            );
            if *succeeds {
                assert_eq!(ran.code, Some(0), "{args:?} {reader:?}: {}", ran.stderr);
            }
        }
    }
    // init prints too (a fresh data dir each time).
    for (i, reader) in [Reader::ClosedAtOnce, Reader::ReadsOneByte]
        .into_iter()
        .enumerate()
    {
        let fresh = dir.path().join(format!("fresh-{i}"));
        let ran = run_into_closed_pipe(
            &fresh,
            &[
                "init",
                "--name",
                "Pipe",
                "--timezone",
                "UTC",
                "--currency",
                "EUR",
                "--capacity",
                "5",
            ],
            reader,
        );
        assert_eq!(ran.code, Some(0), "init {reader:?}: {}", ran.stderr);
    }
}

#[test]
#[cfg_attr(
    not(feature = "sim"),
    ignore = "runs `venue sim`: cargo test -p venue-cli --features sim"
)]
fn venue_sim_keeps_serving_when_its_banner_reader_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = support::venue_command(dir.path())
        .args(support::SIM_ON_FREE_PORTS)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start venue sim");
    drop(child.stdout.take());
    // It serves until stopped: still running after its banner could not be printed.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let still_running = child.try_wait().expect("try_wait").is_none();
    child.kill().expect("stop");
    let status = child.wait().expect("reap");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(still_running, "exited {status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
