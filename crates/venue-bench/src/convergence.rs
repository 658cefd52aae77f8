//! `sync-convergence`: many random cases of several consoles syncing through a model hub
//! (duplicated, reordered, dropped and replayed exchanges, clock jumps, restarts), each checked
//! for identical rows everywhere and no lost edit. The test suite runs a few hundred; this runs
//! as many as asked and reports the counts as JSON lines (the baseline is the cases run).

use crate::report::line;
use serde_json::json;
use std::time::Instant;
use venue_hub::server::{credentials, spawn_on_loopback, HubSettings};
use venue_hub::store::{HubStore, NewVenue, SqliteHub};
use venue_store::convergence::{run_case, run_case_with, CaseReport, Exchange};

/// A hub served in this process on loopback, a venue of its own for each case.
struct RealHub {
    runtime: tokio::runtime::Runtime,
    store: SqliteHub,
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl RealHub {
    fn start() -> anyhow::Result<RealHub> {
        let dir = tempfile::tempdir()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let (store, url, stop) = runtime.block_on(async {
            let store = SqliteHub::open(&dir.path().join("hub.sqlite3")).await?;
            let settings = HubSettings {
                // Every case enrols its consoles from this one address.
                enroll_per_minute: std::num::NonZeroU32::MAX,
                ..HubSettings::default()
            };
            let (url, stop) = spawn_on_loopback(store.clone(), settings).await?;
            anyhow::Ok((store, url, stop))
        })?;
        Ok(RealHub {
            runtime,
            store,
            url,
            _stop: stop,
            _dir: dir,
        })
    }

    fn run_case(&self, sites: usize, steps: u64, seed: u64) -> anyhow::Result<CaseReport> {
        let (venue, codes) = self.runtime.block_on(async {
            let org = self
                .store
                .create_org(&format!("Group {}", uuid::Uuid::new_v4()))
                .await?;
            let venue = self
                .store
                .add_venue(
                    org,
                    NewVenue {
                        name: "Harbour Hotel".into(),
                        timezone: "Europe/London".into(),
                        currency: "GBP".into(),
                        capacity: Some(120),
                    },
                )
                .await?;
            let mut codes = Vec::new();
            for _ in 0..sites.max(2) {
                let code = credentials::new_code()?;
                let hash = credentials::hash_code(&code)
                    .ok_or_else(|| anyhow::anyhow!("a new code could not be read back"))?;
                self.store
                    .create_enrollment(
                        venue,
                        &hash,
                        chrono::Utc::now() + chrono::Duration::hours(1),
                    )
                    .await?;
                codes.push(code);
            }
            anyhow::Ok((venue, codes))
        })?;
        Ok(run_case_with(sites, steps, seed, venue, |nodes| {
            let exchange = venue_core::sync::HubExchange::enroll(
                &self.url,
                &codes,
                nodes,
                venue_store::latest_version(),
            )
            .map_err(|e| venue_store::StoreError::Invalid(e.to_string()))?;
            Ok(Box::new(exchange) as Box<dyn Exchange>)
        })?)
    }
}

pub fn run(cases: u64, sites: usize, steps: u64, seed: u64, real_hub: bool) -> anyhow::Result<()> {
    let hub = if real_hub {
        Some(RealHub::start()?)
    } else {
        None
    };
    let start = Instant::now();
    let (mut converged, mut lost, mut differing) = (0u64, 0u64, 0u64);
    let (mut edits, mut exchanged, mut conflicts, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    for case in 0..cases {
        let case_seed = seed.wrapping_add(case);
        // Vary the number of consoles from 2 up to `sites`, as the property test does.
        let n = 2 + (case as usize % sites.saturating_sub(1).max(1));
        let report = match &hub {
            Some(hub) => hub.run_case(n, steps, case_seed)?,
            None => run_case(n, steps, case_seed)?,
        };
        if report.converged() {
            converged += 1;
        } else {
            failures.push(json!({"seed": case_seed, "sites": n, "problems": report.problems}));
        }
        lost += report.lost_edits;
        differing += report.differing_rows;
        edits += report.edits;
        exchanged += report.changes_exchanged;
        conflicts += report.conflicts;
        rejected += report.rejected;
    }
    let seconds = start.elapsed().as_secs_f64().max(1e-9);
    let total = cases as f64;
    let extra =
        json!({"sites_up_to": sites, "steps": steps, "first_seed": seed, "real_hub": real_hub});
    line(
        "sync.converged_cases",
        converged as f64,
        "cases",
        total,
        converged as f64 / total.max(1.0),
        extra.clone(),
    )?;
    line(
        "sync.lost_edits",
        lost as f64,
        "edits",
        edits as f64,
        lost as f64 / (edits as f64).max(1.0),
        extra.clone(),
    )?;
    line(
        "sync.differing_rows",
        differing as f64,
        "rows",
        total,
        differing as f64 / total.max(1.0),
        extra.clone(),
    )?;
    line(
        "sync.conflicts_kept",
        conflicts as f64,
        "conflicts",
        edits as f64,
        conflicts as f64 / (edits as f64).max(1.0),
        extra.clone(),
    )?;
    line(
        "sync.rejected_parked",
        rejected as f64,
        "changes",
        exchanged as f64,
        rejected as f64 / (exchanged as f64).max(1.0),
        extra.clone(),
    )?;
    line(
        "sync.changes_exchanged_per_second",
        exchanged as f64 / seconds,
        "changes/s",
        edits as f64 / seconds,
        exchanged as f64 / (edits as f64).max(1.0),
        extra,
    )?;
    if !failures.is_empty() {
        anyhow::bail!(
            "{} of {cases} cases did not converge: {}",
            failures.len(),
            serde_json::to_string(&failures)?
        );
    }
    Ok(())
}
