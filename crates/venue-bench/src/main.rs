//! `venue-bench`: benchmarks that print one JSON object per line with the measured value, the
//! baseline measured in the same run, and their ratio (machines here are small and noisy, so
//! only ratios within one run mean anything).

mod app;
mod connectors;
mod convergence;
mod hub;
mod ingest;
mod pms;
mod report;
mod rollups;
mod sensors;
mod signin;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "venue-bench",
    about = "Venue Console benchmarks (JSON lines on stdout)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Our ingestion path (change log, summaries) against raw SQLite inserts of the same rows.
    Ingest {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Rows per store transaction on our path.
        #[arg(long, default_value_t = 10_000)]
        batch: u64,
        /// Where to put the scratch databases (default: a temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Orders fetched from the simulator, normalised and stored, against a bare fetch of the same pages.
    Connectors {
        #[arg(long, default_value_t = 100_000)]
        orders: u64,
    },
    /// The Mews simulator changes reservations at RATE per second for SECONDS while the live
    /// mirror runs: change-to-store latency p50/p99 and whether the backlog stays bounded.
    Pms {
        #[arg(long, default_value_t = 500)]
        rate: u32,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Keep the vendor's documented request limit (200 per 30 s) on both sides.
        #[arg(long)]
        documented_limit: bool,
    },
    /// A year of foot traffic for many zones; p95 of the dashboard's traffic queries.
    Rollups {
        #[arg(long, default_value_t = 50)]
        zones: u32,
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Simulated people counters polled by the console's live path: CPU, peak memory, missed
    /// and overlapping polls.
    Sensors {
        #[arg(long, default_value_t = 1_000)]
        devices: u32,
        #[arg(long, default_value_t = 5)]
        interval_seconds: u32,
        #[arg(long, default_value_t = 120)]
        seconds: u64,
    },
    /// The desktop console's release build in a real window (Xvfb, tauri-driver) on the demo
    /// venue with `venue sim` live: cold start to numbers painted, idle and busy CPU, memory
    /// after minutes of traffic, release binary and .deb sizes.
    App {
        /// The app's release binary, with the UI embedded (default ROOT/target/release/venue-console).
        #[arg(long)]
        app: Option<PathBuf>,
        /// The `venue` CLI's release binary (default ROOT/target/release/venue).
        #[arg(long)]
        venue: Option<PathBuf>,
        /// Cold starts, each a fresh app process on the same data dir.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Seconds of CPU sampling, traffic stopped and again with traffic on.
        #[arg(long, default_value_t = 60)]
        idle_seconds: u64,
        /// Seconds of demo door traffic before the memory reading.
        #[arg(long, default_value_t = 600)]
        traffic_seconds: u64,
        /// Build the .deb first (npm run build, cargo tauri build --bundles deb; minutes).
        #[arg(long)]
        bundle: bool,
        /// tauri-driver's port; the next two serve its WebKitWebDriver and the blank-page baseline.
        #[arg(long, default_value_t = 4454)]
        driver_port: u16,
        /// The simulators' control port (`venue sim --control-port`).
        #[arg(long, default_value_t = 8790)]
        control_port: u16,
        /// Drop the OS page cache before every launch (root; slows the whole machine down).
        #[arg(long)]
        drop_caches: bool,
        /// The workspace root (tauri.conf.json, target/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where the started processes log (default ROOT/target/bench-app).
        #[arg(long)]
        logs: Option<PathBuf>,
        /// KEY=VALUE for the app's environment (repeatable), e.g.
        /// WEBKIT_DISABLE_COMPOSITING_MODE=1 to compare a WebKit setting.
        #[arg(long, value_name = "KEY=VALUE")]
        app_env: Vec<String>,
    },
    /// Staff sign-in by PIN over many accounts (each PIN check is a slow Argon2id hash), against
    /// the same sign-in with one account.
    Signin {
        #[arg(long, default_value_t = 10)]
        accounts: u32,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Random cases of several consoles syncing through a model hub, each checked for identical
    /// rows everywhere and no lost edit (the sync contract's property test, at scale).
    SyncConvergence {
        #[arg(long, default_value_t = 1_000)]
        cases: u64,
        /// Consoles per case: from 2 up to this many.
        #[arg(long, default_value_t = 4)]
        sites: usize,
        /// Random steps per case (writes, exchanges with faults, clock jumps, restarts).
        #[arg(long, default_value_t = 120)]
        steps: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Through a real hub (served in this process, over HTTP on loopback) instead of the
        /// model hub.
        #[arg(long)]
        real_hub: bool,
    },
    /// A fresh console restores N changes from a real hub (`venue hub restore`) against a raw
    /// read of the same rows from the hub's database; and its apply of them against the store's
    /// own ingest of the same rows.
    Restore {
        #[arg(long, default_value_t = 1_000_000)]
        changes: u64,
    },
    /// The hub under load: consoles pushing through the real endpoint on PostgreSQL and SQLite
    /// against raw inserts of the same rows, a change's lag from one running console to another
    /// over the live channel, and one hub process's memory and push latency with many consoles.
    Hub {
        /// Changes pushed in each ingest run, over all consoles.
        #[arg(long, default_value_t = 500_000)]
        changes: u64,
        /// Consoles pushing at once.
        #[arg(long, default_value_t = 10)]
        consoles: usize,
        /// Venues those consoles belong to (default: one venue per console).
        #[arg(long)]
        venues: Option<usize>,
        /// Changes a second console A writes while its lag to console B is measured.
        #[arg(long, default_value_t = 500)]
        lag_rate: u32,
        #[arg(long, default_value_t = 60)]
        lag_seconds: u64,
        /// Simulated consoles connected to one hub process for its memory reading.
        #[arg(long, default_value_t = 200)]
        memory_consoles: usize,
        #[arg(long, default_value_t = 30)]
        memory_seconds: u64,
        /// An administrator's URL of the PostgreSQL server (a scratch role and database are
        /// made there and dropped after).
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        database_url: String,
        /// Where scratch files go (default: a temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Run only these parts (repeatable): ingest, ingest-sqlite, live-lag, memory.
        #[arg(long)]
        only: Vec<String>,
    },
    /// Serves a hub store on a loopback port for `hub` (in its own process, so its memory is
    /// its own); prints the URL, stops when its standard input closes.
    #[command(hide = true)]
    HubServe {
        #[arg(long)]
        db: PathBuf,
        /// Consoles that will enrol from this address within a minute.
        #[arg(long, default_value_t = 10)]
        consoles: usize,
    },
    /// Serves simulated people counters for `sensors` (in its own process).
    #[command(hide = true)]
    SensorSim {
        #[arg(long)]
        devices: u32,
    },
    /// Writes batches into DB until killed, printing each committed total. Used by the crash test.
    #[command(hide = true)]
    CrashWriter {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 2_000)]
        batch: u64,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Ingest { rows, batch, dir } => ingest::run(rows, batch.max(1), dir),
        Command::CrashWriter { db, batch } => ingest::crash_writer(&db, batch.max(1)),
        Command::Connectors { orders } => connectors::run(orders.max(1)),
        Command::Sensors {
            devices,
            interval_seconds,
            seconds,
        } => sensors::run(devices.max(1), interval_seconds.max(1), seconds.max(1)),
        Command::SensorSim { devices } => sensors::serve(devices.max(1)),
        Command::SyncConvergence {
            cases,
            sites,
            steps,
            seed,
            real_hub,
        } => convergence::run(cases.max(1), sites.max(2), steps.max(1), seed, real_hub),
        Command::Restore { changes } => hub::restore::run(changes.max(1)),
        Command::Hub {
            changes,
            consoles,
            venues,
            lag_rate,
            lag_seconds,
            memory_consoles,
            memory_seconds,
            database_url,
            dir,
            only,
        } => hub::run(&hub::Options {
            changes: changes.max(1),
            consoles: consoles.max(1),
            venues: venues.unwrap_or(consoles).clamp(1, consoles.max(1)),
            lag_rate: lag_rate.max(1),
            lag_seconds: lag_seconds.max(1),
            memory_consoles: memory_consoles.max(1),
            memory_seconds: memory_seconds.max(1),
            database_url,
            dir,
            only,
        }),
        Command::HubServe { db, consoles } => hub::serve(&db, consoles),
        Command::Signin { accounts, runs } => signin::run(accounts.max(1), runs.max(1)),
        Command::Rollups { zones, days, runs } => {
            rollups::run(zones.max(1), days.max(1), runs.max(1))
        }
        Command::Pms {
            rate,
            seconds,
            documented_limit,
        } => pms::run(rate.max(1), seconds.max(1), documented_limit),
        Command::App {
            app,
            venue,
            runs,
            idle_seconds,
            traffic_seconds,
            bundle,
            driver_port,
            control_port,
            drop_caches,
            root,
            logs,
            app_env,
        } => app::run(app::Options {
            app: app.unwrap_or_else(|| root.join("target/release/venue-console")),
            venue: venue.unwrap_or_else(|| root.join("target/release/venue")),
            runs: runs.max(1),
            idle_seconds: idle_seconds.max(1),
            traffic_seconds: traffic_seconds.max(1),
            bundle,
            driver_port,
            control_port,
            drop_caches,
            logs: logs.unwrap_or_else(|| root.join("target/bench-app")),
            root: root.canonicalize().unwrap_or(root),
            app_env,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("venue-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
