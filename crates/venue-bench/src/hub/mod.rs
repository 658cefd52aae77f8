//! `venue-bench hub`: the hub under load (issue 18's performance table). Ingest through the real
//! push endpoint on PostgreSQL and SQLite against raw inserts of the same rows, a change's lag
//! from one running console to another over the live channel, and one hub process's memory
//! and push latency with many consoles connected.

mod fixture;
mod ingest;
mod live_lag;
mod memory;
pub mod restore;
mod workload;

use std::path::PathBuf;

pub use memory::serve;

/// What `venue-bench hub` runs, and how big.
#[derive(Debug, Clone)]
pub struct Options {
    /// Changes pushed in each ingest run, over all consoles.
    pub changes: u64,
    /// Consoles pushing at once in the ingest runs.
    pub consoles: usize,
    /// Venues those consoles belong to (each console one venue's when equal to `consoles`).
    pub venues: usize,
    /// Changes a second console A writes while its lag to console B is measured.
    pub lag_rate: u32,
    pub lag_seconds: u64,
    /// Consoles connected to one hub process for its memory reading.
    pub memory_consoles: usize,
    pub memory_seconds: u64,
    /// An administrator's URL of the PostgreSQL server; a scratch role and database are made
    /// there and dropped after.
    pub database_url: String,
    /// Where scratch files go (default: a temporary directory).
    pub dir: Option<PathBuf>,
    /// Which parts to run (all when empty): ingest, ingest-sqlite, live-lag, memory.
    pub only: Vec<String>,
}

impl Options {
    fn runs(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == part)
    }
}

pub fn run(options: &Options) -> anyhow::Result<()> {
    let scratch = match &options.dir {
        Some(dir) => tempfile::tempdir_in(dir)?,
        None => tempfile::tempdir()?,
    };
    if options.runs("ingest") {
        ingest::run_postgres(options, scratch.path())?;
    }
    if options.runs("ingest-sqlite") {
        ingest::run_sqlite(options, scratch.path())?;
    }
    if options.runs("live-lag") {
        live_lag::run(options, scratch.path())?;
    }
    if options.runs("memory") {
        memory::run(options, scratch.path())?;
    }
    Ok(())
}
