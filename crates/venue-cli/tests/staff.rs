//! `venue staff ...` as an operator runs it: the first admin from a fresh venue, PINs from the
//! environment or a pipe (never arguments), clear refusals with exit code 2, nothing in clear.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use serde_json::Value;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::{ok_json as json, stderr};

fn venue(data_dir: &Path, args: &[&str], pin: Option<&str>) -> Output {
    let mut cmd = support::venue_command(data_dir);
    cmd.args(args)
        .env_remove("VENUE_STAFF_PIN")
        .stdin(Stdio::null());
    if let Some(pin) = pin {
        cmd.env("VENUE_STAFF_PIN", pin);
    }
    cmd.output().expect("run venue")
}

fn refused(out: Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(needle), "{}", stderr(&out));
}

fn fresh_venue() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = venue(
        dir.path(),
        &support::init_args("Cafe", "Europe/Paris", "EUR", "40"),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
fn a_fresh_venue_has_no_staff_and_the_first_admin_comes_from_the_cli() {
    let dir = fresh_venue();
    let list = json(venue(dir.path(), &["staff", "list", "--json"], None));
    assert_eq!(
        list,
        Value::Array(vec![]),
        "a non-demo init creates no staff"
    );
    let text = venue(dir.path(), &["staff", "list"], None);
    assert!(String::from_utf8_lossy(&text.stdout).contains("--role admin"));

    let admin = json(venue(
        dir.path(),
        &[
            "staff",
            "add",
            "--name",
            "Amira Patel",
            "--role",
            "admin",
            "--json",
        ],
        Some("48291375"),
    ));
    assert_eq!(admin["name"], "Amira Patel");
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["active"], true);
    assert!(admin.get("pin_hash").is_none() && admin.get("pin").is_none());

    // The PIN piped on standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_venue"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "staff", "add", "--name", "Leo Bar", "--role", "staff", "--json",
        ])
        .env_remove("VENUE_STAFF_PIN")
        .env("VENUE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"5050\n")
        .expect("write");
    let leo = json(child.wait_with_output().expect("wait"));
    assert_eq!(leo["role"], "staff");

    let list = json(venue(dir.path(), &["staff", "list", "--json"], None));
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["Amira Patel", "Leo Bar"]);

    // Nothing on disk holds a PIN in clear.
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        assert!(!bytes.windows(8).any(|w| w == b"48291375"), "PIN in clear");
    }
}

#[test]
fn bad_pins_names_and_the_last_admin_are_refused_with_exit_2() {
    let dir = fresh_venue();
    let add = |name: &str, role: &str, pin: &str| {
        venue(
            dir.path(),
            &["staff", "add", "--name", name, "--role", role],
            Some(pin),
        )
    };
    refused(add("Amira", "admin", "12ab"), "4 to 8 digits");
    refused(add("Amira", "admin", "123"), "4 to 8 digits");
    let out = venue(
        dir.path(),
        &["staff", "add", "--name", "Amira", "--role", "admin"],
        None,
    );
    refused(out, "VENUE_STAFF_PIN");
    assert!(add("Amira", "admin", "24680246").status.success());
    refused(
        add("AMIRA", "staff", "13579135"),
        "already a staff account named",
    );
    refused(
        add("Kim", "staff", "24680246"),
        "already used by another account",
    );
    refused(
        venue(dir.path(), &["staff", "deactivate", "amira"], None),
        "last active admin",
    );
    refused(
        venue(dir.path(), &["staff", "deactivate", "Nobody"], None),
        "no staff account",
    );

    assert!(add("Kim", "manager", "13579135").status.success());
    let kim = json(venue(
        dir.path(),
        &["staff", "set-pin", "kim", "--json"],
        Some("97531975"),
    ));
    assert_eq!(kim["name"], "Kim");
    refused(
        venue(dir.path(), &["staff", "set-pin", "Kim"], Some("24680246")),
        "already used",
    );
    let off = json(venue(
        dir.path(),
        &["staff", "deactivate", "Kim", "--json"],
        None,
    ));
    assert_eq!(off["active"], false);
    let on = json(venue(
        dir.path(),
        &["staff", "activate", "Kim", "--json"],
        None,
    ));
    assert_eq!(on["active"], true);

    // Every change is in the audit log, without a PIN or a hash.
    let out = venue(dir.path(), &["export", "audit", "--format", "json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = String::from_utf8_lossy(&out.stdout);
    for action in [
        "staff.create",
        "staff.set_pin",
        "staff.deactivate",
        "staff.activate",
    ] {
        assert!(audit.contains(action), "{action} not audited: {audit}");
    }
    for secret in ["24680246", "13579135", "97531975", "argon2"] {
        assert!(!audit.contains(secret), "{secret} in the audit log");
    }
}

#[test]
fn staff_commands_need_a_venue() {
    let dir = tempfile::tempdir().expect("tempdir");
    refused(
        venue(
            dir.path(),
            &["staff", "add", "--name", "Amira", "--role", "admin"],
            Some("24680246"),
        ),
        "venue init",
    );
}
