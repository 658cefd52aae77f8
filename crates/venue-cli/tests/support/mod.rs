//! Helpers shared by the venue-cli integration tests (each test file compiles this module on
//! its own, so a helper one file does not use is not dead code).
#![allow(dead_code)]

pub mod fault_proxy;
pub mod hub;
pub mod hub_process;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use venue_sim::BackgroundMewsSim;

/// `venue --data-dir DATA_DIR`, ignoring any `VENUE_DATA_DIR` of the caller, logging warnings.
pub fn venue_command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_venue"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env_remove("VENUE_DATA_DIR")
        .env("VENUE_LOG", "warn");
    cmd
}

/// `venue --data-dir DATA_DIR ARGS...`, run to its end.
pub fn venue(data_dir: &Path, args: &[&str]) -> Output {
    venue_command(data_dir)
        .args(args)
        .output()
        .expect("run venue")
}

/// `venue` with the Mews simulator's tokens in its environment.
pub fn mews_command(data_dir: &Path, sim: &BackgroundMewsSim, args: &[&str]) -> Command {
    let mut cmd = venue_command(data_dir);
    cmd.args(args)
        .env("VENUE_SECRET_MEWS_CLIENT_TOKEN", &sim.config().client_token)
        .env("VENUE_SECRET_MEWS_ACCESS_TOKEN", &sim.config().access_token);
    cmd
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `out`, once it is known to have succeeded.
pub fn ok(out: Output) -> Output {
    assert!(out.status.success(), "failed: {}", stderr(&out));
    out
}

/// The JSON on stdout of a command that succeeded (stderr on failure).
pub fn json(out: Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The JSON on stdout of a command that succeeded (stderr and stdout on failure).
pub fn ok_json(out: Output) -> Value {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// The names of the files in `dir`, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The arguments of `venue init` for a venue with these fields.
pub fn init_args<'a>(
    name: &'a str,
    timezone: &'a str,
    currency: &'a str,
    capacity: &'a str,
) -> [&'a str; 9] {
    [
        "init",
        "--name",
        name,
        "--timezone",
        timezone,
        "--currency",
        currency,
        "--capacity",
        capacity,
    ]
}

/// The arguments of `venue sim` serving every simulator on a free port.
pub const SIM_ON_FREE_PORTS: [&str; 7] = [
    "sim",
    "--port",
    "0",
    "--mews-port",
    "0",
    "--sensor-port",
    "0",
];

/// Appends `block` (a `[pms]` or `[[connector]]` table, say) to the venue.toml of `data_dir`.
pub fn append_config(data_dir: &Path, block: &str) {
    let path = data_dir.join("venue.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    std::fs::write(&path, format!("{config}\n{block}")).expect("write config");
}
