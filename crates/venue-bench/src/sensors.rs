//! `venue-bench sensors`: N simulated people counters (AXIS, AXIS 3D, Xovis, mixed) polled every
//! few seconds for a while by the console's real live path (poller, HTTP with Digest and Basic
//! auth, deltas, readings and rollups written to a store). Reports the polling process's CPU
//! (goal ≤ 10% of one core), its peak resident memory (goal ≤ 64 MB) and missed or overlapping
//! polls (goal 0); the baseline is the simulator process serving the same requests, measured
//! in the same run. The simulator runs in a child process so its work is not counted as ours.

use crate::report::line;
use anyhow::Context as _;
use serde_json::json;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use venue_core::{Console, InitOptions};
use venue_http::secrets::{SecretError, SecretStore};
use venue_sim::{CounterKind, SensorSimConfig, SensorSimulator, SimDeviceSpec};

const PASSWORD: &str = "sim-sensor-pass";

struct OnePassword;

impl SecretStore for OnePassword {
    fn get(&self, _: &str) -> Result<Option<String>, SecretError> {
        Ok(Some(PASSWORD.to_string()))
    }
}

fn kind(i: u32) -> (CounterKind, &'static str) {
    match i % 3 {
        0 => (CounterKind::AxisPeopleCounter, "axis-people-counter"),
        1 => (CounterKind::Axis3d, "axis-3d"),
        _ => (CounterKind::Xovis, "xovis"),
    }
}

/// The hidden `sensor-sim` subcommand: serve N devices, print the port, run until stdin closes.
pub fn serve(devices: u32) -> anyhow::Result<()> {
    let sim = SensorSimulator::start_in_background(SensorSimConfig {
        devices: (0..devices)
            .map(|i| {
                SimDeviceSpec::new(
                    &format!("door-{i:04}"),
                    kind(i).0,
                    &format!("zone-{:02}", i % 50),
                    300,
                )
            })
            .collect(),
        password: PASSWORD.into(),
        speedup: 60.0,
        ..SensorSimConfig::default()
    })?;
    sim.start_traffic();
    println!("{}", sim.addr().port());
    std::io::stdout().flush()?;
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink)? > 0 {}
    sim.shutdown();
    Ok(())
}

/// User + system CPU seconds and peak RSS (kB) of a process, from /proc.
fn usage(pid: &str) -> anyhow::Result<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11).context("utime")?.parse::<f64>()?
        + fields.get(12).context("stime")?.parse::<f64>()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // USER_HZ is 100 on Linux.
    Ok((ticks / 100.0, hwm))
}

pub fn run(devices: u32, interval_seconds: u32, seconds: u64) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(["sensor-sim", "--devices", &devices.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("start the simulator process")?;
    let mut first = String::new();
    BufReader::new(child.stdout.take().context("simulator stdout")?).read_line(&mut first)?;
    let port: u16 = first.trim().parse().context("simulator port")?;
    let child_pid = child.id().to_string();

    let dir = tempfile::tempdir()?;
    let options = InitOptions {
        demo: false,
        ..InitOptions::demo()
    };
    drop(Console::init(dir.path(), &options).map_err(|e| anyhow::anyhow!(e.message))?);
    let path = dir.path().join(venue_core::CONFIG_FILE);
    let mut config = std::fs::read_to_string(&path)?;
    for i in 0..devices {
        config.push_str(&format!(
            "\n[[sensor]]\nkind = \"{}\"\nname = \"door-{i:04}\"\nurl = \"http://127.0.0.1:{port}/dev/door-{i:04}\"\nzone = \"zone-{:02}\"\ninterval_seconds = {interval_seconds}\nusername = \"root\"\n",
            kind(i).1,
            i % 50
        ));
    }
    std::fs::write(&path, config)?;
    let mut console = Console::open(dir.path())
        .map_err(|e| anyhow::anyhow!(e.message))?
        .with_secret_store(Box::new(OnePassword));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (cpu0, _) = usage("self")?;
    let (sim_cpu0, _) = usage(&child_pid)?;
    let started = Instant::now();
    let live = std::thread::spawn(move || console.sensors_live(stopped));
    std::thread::sleep(Duration::from_secs(seconds));
    stop.send(true).ok();
    let stats = live
        .join()
        .map_err(|_| anyhow::anyhow!("the poller panicked"))?
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let wall = started.elapsed().as_secs_f64();
    let (cpu1, hwm_kb) = usage("self")?;
    let (sim_cpu1, _) = usage(&child_pid)?;
    drop(child.stdin.take());
    let _ = child.wait();
    let ours = (cpu1 - cpu0) / wall * 100.0;
    let theirs = (sim_cpu1 - sim_cpu0) / wall * 100.0;
    let expected = devices as f64 * (seconds as f64 / f64::from(interval_seconds));
    let extra = json!({
        "devices": devices, "interval_seconds": interval_seconds, "seconds": seconds,
        "polls": stats.polls, "expected_polls": expected.round(), "failures": stats.failures,
        "baseline_is": "the simulator process serving the same polls",
    });
    line(
        "sensors.cpu_percent_of_one_core",
        ours,
        "%",
        theirs,
        ours / theirs.max(0.001),
        json!({"goal": 10, "detail": extra}),
    )?;
    line(
        "sensors.peak_rss",
        hwm_kb as f64 / 1024.0,
        "MB",
        64.0,
        hwm_kb as f64 / 1024.0 / 64.0,
        json!({"goal_mb": 64}),
    )?;
    line(
        "sensors.missed_polls",
        stats.missed as f64,
        "polls",
        expected,
        stats.missed as f64 / expected.max(1.0),
        json!({"goal": 0}),
    )?;
    line(
        "sensors.overlapping_polls",
        stats.overlapping as f64,
        "polls",
        expected,
        stats.overlapping as f64 / expected.max(1.0),
        json!({"goal": 0}),
    )?;
    Ok(())
}
