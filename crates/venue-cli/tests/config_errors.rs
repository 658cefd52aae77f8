//! A venue.toml with a mistake stops every command with exit 2 and one line naming it: a number
//! out of its range (which used to pass and then panic, or be clamped in silence), a log level
//! that is not one (which used to become "info"), a file that is not UTF-8 (exit 1 before).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use support::venue;

const PMS: &str =
    "[pms]\nkind = \"mews\"\napi_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9\"\n";
const SQUARE: &str =
    "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"http://127.0.0.1:9\"\n";

#[test]
fn every_config_mistake_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let init = venue(
        dir.path(),
        &support::init_args("Cafe", "Europe/London", "GBP", "50"),
    );
    assert!(init.status.success());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            format!("{PMS}first_sync_days = 4294967295\n").into_bytes(),
            "[pms] first_sync_days = 4294967295 is out of range",
        ),
        (
            format!("{SQUARE}requests_per_second = 0\n").into_bytes(),
            "requests_per_second = 0 is out of range",
        ),
        (
            format!("{SQUARE}[connector.breaker]\nfailure_threshold = 0\n").into_bytes(),
            "breaker.failure_threshold = 0 is out of range",
        ),
        (
            b"[log]\nlevel = \"verbose\"\n".to_vec(),
            "[log] level = \"verbose\"",
        ),
        (
            b"[console]\nactor = \"caf\xe9\"\n".to_vec(),
            "not valid UTF-8 at byte 22",
        ),
    ];
    let config = dir.path().join("venue.toml");
    for (text, named) in &cases {
        std::fs::write(&config, text).expect("write config");
        for args in [
            &["status"][..],
            &["pms", "sync"],
            &["fetch"],
            &["sensors", "list"],
            &["run"],
        ] {
            let out = venue(dir.path(), args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} with {named}: {err}");
            assert!(err.contains(named), "{args:?}: {err}");
            assert!(err.contains("venue.toml"), "names the file: {err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
        }
    }
}

#[test]
fn the_pms_table_is_named_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("venue.toml"),
        format!("{PMS}name = \"two words\"\n"),
    )
    .expect("write config");
    let out = venue(dir.path(), &["status"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("[pms]").count(), 1, "{err}");
}

#[test]
fn a_bad_venue_log_is_said_not_hidden() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = support::venue_command(dir.path())
        .args(support::init_args("Cafe", "Europe/London", "GBP", "50"))
        .env("VENUE_LOG", "info,venue_store=loud")
        .output()
        .expect("run venue");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("VENUE_LOG=\"info,venue_store=loud\" is not a log filter"),
        "{err}"
    );
}
