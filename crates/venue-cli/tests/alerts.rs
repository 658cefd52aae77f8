//! `venue alerts list [--json] [--all]` and `venue export alerts` over a demo venue whose
//! alerts the engine raised.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::{Output, Stdio};
use venue_core::{Console, InitOptions};

fn venue(data_dir: &Path, args: &[&str]) -> Output {
    support::venue_command(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run venue")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn alerts_are_listed_and_exported() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(Console::init(dir.path(), &InitOptions::demo()).expect("init"));
    let mut console = Console::open(dir.path()).expect("open");
    console
        .alert_rule_save(venue_core::alerts::AlertRuleConfig {
            id: "anyone-inside".into(),
            metric: Some("occupancy".into()),
            condition: Some(">=".into()),
            threshold: Some(0.0),
            severity: Some("critical".into()),
            title: Some("Someone is inside".into()),
            ..Default::default()
        })
        .expect("rule");
    let opened = console.evaluate_alerts().expect("evaluate").opened;
    assert!(
        opened.iter().any(|a| a.rule == "anyone-inside"),
        "{opened:?}"
    );
    let resolved = opened
        .iter()
        .find(|a| a.rule != "anyone-inside")
        .or(opened.first())
        .expect("one");
    console
        .resolve_alert(&resolved.id.to_string())
        .expect("resolve");
    drop(console);

    let listed: Value =
        serde_json::from_str(&stdout(&venue(dir.path(), &["alerts", "list", "--json"])))
            .expect("JSON");
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), opened.len() - 1, "{listed:?}");
    assert_eq!(listed[0]["severity"], "critical");
    assert!(listed.iter().all(|a| a["state"] == "open"));
    assert!(listed.iter().any(|a| a["title"] == "Someone is inside"));

    let all: Value = serde_json::from_str(&stdout(&venue(
        dir.path(),
        &["alerts", "list", "--json", "--all"],
    )))
    .expect("JSON");
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), opened.len());
    assert_eq!(all.last().expect("resolved last")["state"], "resolved");

    let text = stdout(&venue(dir.path(), &["alerts", "list"]));
    assert!(text.contains("Someone is inside"), "{text}");

    let csv_text = stdout(&venue(dir.path(), &["export", "alerts", "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    for column in ["rule", "dedupe_key", "severity", "state", "acknowledged_by"] {
        assert!(headers.iter().any(|h| h == column), "{headers:?}");
    }
    assert_eq!(reader.records().count(), opened.len());
}
