//! The `venue` binary as a user runs it: exit codes, one-line errors, real files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use serde_json::Value;
use std::process::Output;
use support::{stderr, venue};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        stderr(&out),
        stdout(&out)
    );
    out
}

fn json(out: Output) -> Value {
    let out = ok(out);
    serde_json::from_slice(&out.stdout).expect("valid JSON on stdout")
}

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    ok(venue(dir.path(), &["init", "--demo"]));
    dir
}

#[test]
fn demo_init_then_status_shows_the_venue_and_its_data() {
    let dir = demo();
    let status = json(venue(dir.path(), &["status", "--json"]));
    assert_eq!(status["venue"]["name"], "Harbour Hotel & Bar");
    assert_eq!(status["venue"]["timezone"], "Europe/London");
    assert_eq!(status["store"]["journal_mode"], "wal");
    assert_eq!(
        status["store"]["schema_version"],
        status["store"]["latest_schema_version"]
    );
    assert!(status["counts"]["transactions"].as_u64().unwrap_or(0) > 1_000);
    assert!(status["counts"]["reservations"].as_u64().unwrap_or(0) > 10);
    assert!(status["change_log"]["pending_sync"].as_u64().unwrap_or(0) > 1_000);
    assert!(
        dir.path().join("venue.toml").exists(),
        "init writes a commented venue.toml"
    );
    let text = stdout(&ok(venue(dir.path(), &["status"])));
    assert!(text.contains("Harbour Hotel & Bar"), "{text}");
}

#[test]
fn init_refuses_twice_and_bad_fields_with_exit_2() {
    let dir = demo();
    let again = venue(dir.path(), &["init", "--demo"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already holds the venue"),
        "{}",
        stderr(&again)
    );

    let fresh = tempfile::tempdir().expect("tempdir");
    let target = fresh.path().join("new-venue");
    let bad = venue(
        &target,
        &[
            "init",
            "--name",
            "Cafe",
            "--timezone",
            "Mars/Base",
            "--currency",
            "EUR",
            "--capacity",
            "30",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let message = stderr(&bad);
    assert!(
        message.contains("Mars/Base") && message.lines().count() == 1,
        "{message}"
    );
    assert!(!target.exists(), "bad input leaves nothing behind");

    let missing = venue(&target, &["init", "--name", "Cafe"]);
    assert_eq!(missing.status.code(), Some(2), "clap usage error");

    let custom = json(venue(
        &target,
        &[
            "init",
            "--name",
            "Café Nord",
            "--timezone",
            "Europe/Oslo",
            "--currency",
            "nok",
            "--capacity",
            "30",
            "--json",
        ],
    ));
    assert_eq!(custom["venue"]["currency"], "NOK");
}

#[test]
fn commands_need_a_venue_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = venue(dir.path(), &["export", "transactions", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("venue init"), "{}", stderr(&out));
}

#[test]
fn exports_match_the_store_in_both_formats_and_filter_by_time() {
    let dir = demo();
    let status = json(venue(dir.path(), &["status", "--json"]));
    let total = status["counts"]["transactions"].as_u64().expect("count");

    let all = json(venue(
        dir.path(),
        &["export", "transactions", "--format", "json"],
    ));
    let rows = all.as_array().expect("array");
    assert_eq!(rows.len() as u64, total);
    assert!(rows
        .iter()
        .all(|r| r["total_minor"].is_i64() && r["currency"] == "GBP"));

    let csv_out = ok(venue(
        dir.path(),
        &["export", "transactions", "--format", "csv"],
    ));
    let mut reader = csv::Reader::from_reader(csv_out.stdout.as_slice());
    let headers = reader.headers().expect("header").clone();
    assert!(headers.iter().any(|h| h == "total") && headers.iter().any(|h| h == "total_minor"));
    assert_eq!(reader.records().count() as u64, total);

    // A one-day window holds only that day's sales (venue-local).
    let first_day = rows[0]["closed_at"].as_str().expect("closed_at")[..10].to_string();
    let day: Vec<Value> = json(venue(
        dir.path(),
        &[
            "export",
            "transactions",
            "--format",
            "json",
            "--since",
            "2000-01-01",
            "--until",
            &first_day,
        ],
    ))
    .as_array()
    .cloned()
    .unwrap_or_default();
    assert!(day.len() < rows.len());

    let file = dir.path().join("guests.csv");
    ok(venue(
        dir.path(),
        &[
            "export",
            "customers",
            "--format",
            "csv",
            "-o",
            file.to_str().expect("path"),
        ],
    ));
    let guests = csv::Reader::from_path(&file)
        .expect("export file")
        .records()
        .count() as u64;
    let status = json(venue(dir.path(), &["status", "--json"]));
    assert!(guests > 40, "the demo hotel's guests");
    assert_eq!(Some(guests), status["counts"]["customers"].as_u64());

    let audit = json(venue(dir.path(), &["export", "audit", "--format", "json"]));
    assert_eq!(audit[0]["action"], "venue.create");
    let changes = json(venue(
        dir.path(),
        &["export", "changes", "--format", "json"],
    ));
    // The changes still to send: each row once, as its latest state (a row written twice
    // has two log entries and one change).
    let listed = changes.as_array().expect("a list");
    let total = status["change_log"]["total"].as_u64().expect("total") as usize;
    assert!(
        !listed.is_empty() && listed.len() <= total,
        "{} of {total}",
        listed.len()
    );
    let rows: std::collections::HashSet<&str> = listed
        .iter()
        .filter_map(|c| c["entity_id"].as_str())
        .collect();
    assert_eq!(rows.len(), listed.len(), "no row twice");

    for (args, needle) in [
        (vec!["export", "guests", "--format", "json"], "customers"),
        (
            vec![
                "export",
                "transactions",
                "--format",
                "json",
                "--since",
                "last tuesday",
            ],
            "last tuesday",
        ),
        (
            vec![
                "export",
                "transactions",
                "--format",
                "json",
                "--since",
                "2026-02-02",
                "--until",
                "2026-02-01",
            ],
            "--until",
        ),
    ] {
        let out = venue(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    let xml = venue(dir.path(), &["export", "transactions", "--format", "xml"]);
    assert_eq!(xml.status.code(), Some(2));
}

#[test]
fn the_daily_report_adds_up() {
    let dir = demo();
    // Yesterday at the venue: a whole day of sales and foot traffic.
    let yesterday_utc = (chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        - chrono::Duration::days(1))
    .to_string();
    let report = json(venue(
        dir.path(),
        &["report", "daily", "--date", &yesterday_utc, "--json"],
    ));
    let by_hour: u64 = report["sales_by_hour"]
        .as_array()
        .expect("hours")
        .iter()
        .map(|h| h["transactions"].as_u64().unwrap_or(0))
        .sum();
    let day_total = report["sales"][0]["transactions"].as_u64().unwrap_or(0);
    assert!(day_total > 0);
    assert_eq!(by_hour, day_total, "hourly breakdown sums to the day");
    assert!(report["traffic"]["entries"].as_u64().unwrap_or(0) > 0);
    // Per location, by the names the demo's POS simulator gives them (not their ids).
    let locations = report["sales_by_location"].as_array().expect("locations");
    let by_location: u64 = locations
        .iter()
        .map(|l| l["transactions"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(by_location, day_total, "{locations:?}");
    for l in locations {
        assert!(l["location_id"].is_string(), "{l}");
        assert_ne!(l["location"], l["location_id"], "a name, not the id: {l}");
    }
    let text = stdout(&ok(venue(
        dir.path(),
        &["report", "daily", "--date", &yesterday_utc],
    )));
    assert!(
        text.contains("transactions") && text.contains("GBP"),
        "{text}"
    );
    for l in locations {
        let name = l["location"].as_str().unwrap_or_default();
        assert!(text.contains(name), "{name} in:\n{text}");
    }

    let bad = venue(dir.path(), &["report", "daily", "--date", "31/12/2026"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("YYYY-MM-DD"));
}

#[test]
fn search_finds_a_guest_by_partial_name() {
    let dir = demo();
    let guests = json(venue(
        dir.path(),
        &["export", "customers", "--format", "json"],
    ));
    let last = guests[0]["last_name"].as_str().expect("name").to_string();
    // The demo's guests are random: a last name may be shorter than three letters ("Li").
    let start: String = last.chars().take(3).collect();
    let hits = json(venue(dir.path(), &["search", &start, "--json"]));
    assert!(hits.as_array().is_some_and(|h| h
        .iter()
        .any(|hit| hit["name"].as_str().is_some_and(|n| n.contains(&last)))));
}

#[test]
fn a_file_that_is_not_a_database_fails_with_exit_4_and_is_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("venue.sqlite3");
    std::fs::write(&db, "not a database").expect("write");
    let out = venue(dir.path(), &["status"]);
    // The store cannot be used.
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("not a SQLite database"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&db).expect("read"),
        "not a database"
    );
}

#[test]
fn a_typo_in_venue_toml_is_named() {
    let dir = demo();
    std::fs::write(dir.path().join("venue.toml"), "[log]\nlevle = \"debug\"\n").expect("write");
    let out = venue(dir.path(), &["status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("levle"), "{}", stderr(&out));
}

#[test]
#[cfg_attr(
    feature = "sim",
    ignore = "the build without the simulators: cargo test -p venue-cli"
)]
fn venue_sim_in_the_shipped_build_says_how_to_get_the_simulators() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [&["sim"][..], &["sim", "--port", "0", "--seed", "7"]] {
        let out = venue(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--features sim"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "nothing created"
    );
}

#[test]
#[cfg_attr(
    feature = "sim",
    ignore = "the build without the simulators: cargo test -p venue-cli"
)]
fn the_shipped_build_inits_the_demo_from_its_built_in_data() {
    let dir = demo();
    let status = json(venue(dir.path(), &["status", "--json"]));
    assert!(status["counts"]["transactions"].as_u64().unwrap_or(0) > 1_000);
    assert!(status["counts"]["reservations"].as_u64().unwrap_or(0) > 10);
    let config = std::fs::read_to_string(dir.path().join("venue.toml")).expect("config");
    let configured = |table: &str| config.lines().any(|line| line.trim() == table);
    assert!(
        !configured("[[connector]]") && !configured("[pms]") && !configured("[[sensor]]"),
        "no simulator to point at: {config}"
    );
}

#[test]
fn venue_settings_change_from_the_cli_and_sharing_survives_a_rename() {
    let dir = demo();
    let shared = json(venue(
        dir.path(),
        &["venue", "--share-guest-contacts", "on", "--json"],
    ));
    assert_eq!(shared["share_guest_contacts"], true);
    let renamed = ok(venue(dir.path(), &["venue", "--name", "Harbour House"]));
    let text = stdout(&renamed);
    assert!(text.contains("Harbour House"), "{text}");
    assert!(text.contains("shared with the hub"), "{text}");
    let bad = venue(dir.path(), &["venue", "--timezone", "Mars/Base"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("Mars/Base"), "{}", stderr(&bad));
    let status = json(venue(dir.path(), &["status", "--json"]));
    assert_eq!(
        status["venue"]["name"], "Harbour House",
        "the bad timezone changed nothing"
    );
    assert_eq!(status["venue"]["share_guest_contacts"], true);
}
