//! `sync-convergence`: many random cases of several consoles syncing through a model hub
//! (duplicated, reordered, dropped and replayed exchanges, clock jumps, restarts), each checked
//! for identical rows everywhere and no lost edit. The test suite runs a few hundred; this runs
//! as many as asked and reports the counts as JSON lines (the baseline is the cases run).

use crate::report::line;
use serde_json::json;
use std::time::Instant;
use venue_store::convergence::run_case;

pub fn run(cases: u64, sites: usize, steps: u64, seed: u64) -> anyhow::Result<()> {
    let start = Instant::now();
    let (mut converged, mut lost, mut differing) = (0u64, 0u64, 0u64);
    let (mut edits, mut exchanged, mut conflicts, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    for case in 0..cases {
        let case_seed = seed.wrapping_add(case);
        // Vary the number of consoles from 2 up to `sites`, as the property test does.
        let n = 2 + (case as usize % sites.saturating_sub(1).max(1));
        let report = run_case(n, steps, case_seed)?;
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
    let extra = json!({"sites_up_to": sites, "steps": steps, "first_seed": seed});
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
