//! `venue-hub`'s command line as an operator uses it: the admin commands with `--json`, serving,
//! and the clear refusals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn hub(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_venue-hub"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn json(db: &Path, args: &[&str]) -> Value {
    let out = hub(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_operator_sets_up_a_group_and_enrols_a_console() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite3");
    let org = json(&db, &["org", "create", "Harbour Group", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let venue = json(
        &db,
        &[
            "venue",
            "add",
            "--org",
            &org,
            "--name",
            "Harbour Hotel",
            "--timezone",
            "Europe/Lisbon",
            "--currency",
            "eur",
            "--capacity",
            "120",
            "--json",
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let enrol = json(
        &db,
        &["enroll", "--venue", &venue, "--expires", "2h", "--json"],
    );
    let code = enrol["code"].as_str().unwrap();
    assert_eq!(code.len(), 14, "{code}");
    assert!(enrol["expires_at"].is_string());
    assert_eq!(
        json(&db, &["devices", "list", "--json"]),
        serde_json::json!([])
    );

    // A manager's password comes from stdin, never the command line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_venue-hub"))
        .arg("--database")
        .arg(&db)
        .args([
            "manager",
            "add",
            "--org",
            &org,
            "--email",
            "ana@harbour.example",
            "--all",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery staple\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manager: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(manager["id"].is_string());

    // A backup is a database the hub opens, and is never written over.
    let copy = dir.path().join("copy.sqlite3");
    json(&db, &["backup", copy.to_str().unwrap(), "--json"]);
    let orgs_in_copy = hub(
        &copy,
        &[
            "venue",
            "add",
            "--org",
            &org,
            "--name",
            "Hill Bar",
            "--timezone",
            "Europe/Lisbon",
            "--currency",
            "EUR",
            "--json",
        ],
    );
    assert!(
        orgs_in_copy.status.success(),
        "the copy holds the org: {}",
        String::from_utf8_lossy(&orgs_in_copy.stderr)
    );
    assert!(!hub(&db, &["backup", copy.to_str().unwrap()])
        .status
        .success());
}

#[test]
fn bad_input_is_refused_naming_what_was_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite3");
    let org = json(&db, &["org", "create", "Group", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "venue",
                "add",
                "--org",
                &org,
                "--name",
                "X",
                "--timezone",
                "Mars/Olympus",
                "--currency",
                "EUR",
            ],
            "time zone",
        ),
        (
            &[
                "venue",
                "add",
                "--org",
                &org,
                "--name",
                "X",
                "--timezone",
                "Europe/Lisbon",
                "--currency",
                "EURO",
            ],
            "currency",
        ),
        (
            &["enroll", "--venue", &org, "--expires", "90d"],
            "--expires",
        ),
        (&["org", "create", "Group"], "exists"),
    ];
    for (args, says) in cases {
        let out = hub(&db, args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn serves_on_loopback_and_refuses_plain_http_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.sqlite3");
    let mut child = Command::new(env!("CARGO_BIN_EXE_venue-hub"))
        .arg("--database")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0", "--print-address"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = serde_json::from_str::<Value>(&line).unwrap()["listening"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .build()
            .unwrap()
            .get(format!("{url}/readyz"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    child.kill().unwrap();
    let _ = child.wait();

    let out = hub(&db, &["serve", "--listen", "0.0.0.0:0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--insecure-http"));
}
