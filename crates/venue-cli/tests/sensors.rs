//! `venue sensors` and the rolled-up export as a user runs them against the sensor simulator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use support::ok_json;
use venue_sim::{
    BackgroundSensorSim, CounterKind, SensorSimConfig, SensorSimulator, SimDeviceSpec,
};

fn venue(data_dir: &Path, sim: &BackgroundSensorSim, args: &[&str]) -> Output {
    support::venue_command(data_dir)
        .args(args)
        .env("VENUE_SECRET_SENSOR_DOOR", &sim.config().password)
        .output()
        .expect("run venue")
}

#[test]
fn poll_once_list_and_export_by_resolution() {
    let sim = SensorSimulator::start_in_background(SensorSimConfig {
        devices: vec![SimDeviceSpec::new("door", CounterKind::Axis3d, "bar", 100)],
        timezone: chrono_tz::Europe::London,
        ..SensorSimConfig::default()
    })
    .expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let init = venue(
        dir.path(),
        &sim,
        &support::init_args("Corner Bar", "Europe/London", "GBP", "90"),
    );
    assert!(init.status.success());
    let unconfigured = venue(dir.path(), &sim, &["sensors", "poll", "--once"]);
    assert_eq!(unconfigured.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unconfigured.stderr).contains("[[sensor]]"));
    let path = dir.path().join("venue.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        format!(
            "{config}\n[[sensor]]\nkind = \"axis-3d\"\nname = \"door\"\nurl = \"{}\"\nzone = \"bar\"\nusername = \"{}\"\n",
            sim.base_url("door").expect("url"),
            sim.config().username
        ),
    )
    .expect("write config");
    let first = ok_json(venue(
        dir.path(),
        &sim,
        &["sensors", "poll", "--once", "--json"],
    ));
    assert_eq!(first[0]["status"], "online", "{first}");
    sim.walk("door", 6, 1);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = ok_json(venue(
        dir.path(),
        &sim,
        &["sensors", "poll", "--once", "--json"],
    ));
    assert_eq!(
        (second[0]["entries"].as_u64(), second[0]["exits"].as_u64()),
        (Some(6), Some(1))
    );
    let list = ok_json(venue(dir.path(), &sim, &["sensors", "list", "--json"]));
    assert_eq!(list[0]["name"], "door");
    assert_eq!(list[0]["state"]["status"], "online");
    for resolution in ["15m", "1h", "1d"] {
        let rows = ok_json(venue(
            dir.path(),
            &sim,
            &[
                "export",
                "sensor-readings",
                "--format",
                "json",
                "--resolution",
                resolution,
            ],
        ));
        let entries: u64 = rows
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|r| r["entries"].as_u64())
            .sum();
        assert_eq!(entries, 6, "{resolution}: {rows}");
        assert_eq!(rows[0]["device"], "door");
        assert!(rows[0]["period_end"].is_string());
    }
    let bad = venue(
        dir.path(),
        &sim,
        &[
            "export",
            "transactions",
            "--format",
            "csv",
            "--resolution",
            "1h",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let daily = venue(dir.path(), &sim, &["report", "daily", "--json"]);
    let report: Value = serde_json::from_slice(&daily.stdout).expect("json");
    assert_eq!(report["traffic"]["entries"], 6);
}
