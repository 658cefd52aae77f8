//! `venue-bench`: benchmarks that print one JSON object per line with the measured value, the
//! baseline measured in the same run, and their ratio (machines here are small and noisy, so
//! only ratios within one run mean anything).

mod connectors;
mod ingest;
mod pms;
mod report;
mod rollups;
mod sensors;

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
        Command::Rollups { zones, days, runs } => {
            rollups::run(zones.max(1), days.max(1), runs.max(1))
        }
        Command::Pms {
            rate,
            seconds,
            documented_limit,
        } => pms::run(rate.max(1), seconds.max(1), documented_limit),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("venue-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
