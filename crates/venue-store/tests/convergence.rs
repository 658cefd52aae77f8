//! The sync contract's proof: several stores of one venue, random local writes, exchanges that
//! are duplicated, reordered, dropped and replayed, clock jumps and restarts; once every change
//! has gone round, all stores hold identical rows and no local edit vanished without a conflict
//! row. `venue-bench sync-convergence --cases N` runs many more cases than CI does here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use proptest::prelude::*;
use venue_store::convergence::run_case;

proptest! {
    // A few hundred cases in CI (each is three SQLite files and ~60 steps).
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn stores_converge_and_no_edit_is_lost(seed in any::<u64>(), sites in 2usize..=4, steps in 20u64..80) {
        let report = run_case(sites, steps, seed).expect("the simulation runs");
        prop_assert!(report.converged(), "seed {seed}, {sites} sites, {steps} steps: {:#?}", report);
        prop_assert!(report.edits > 0 || steps < 30, "the case wrote something");
    }
}

#[test]
fn a_busy_case_exercises_conflicts_faults_and_clock_jumps() {
    // One long case, so the properties above are known to be tested against real conflicts.
    let mut conflicts = 0;
    let mut rejected = 0;
    for seed in 1..=5 {
        let report = run_case(3, 300, seed).expect("the simulation runs");
        assert!(report.converged(), "seed {seed}: {report:#?}");
        conflicts += report.conflicts;
        rejected += report.rejected;
        assert!(report.edits > 50, "seed {seed}: {report:#?}");
    }
    assert!(
        conflicts > 0,
        "concurrent edits of the same rows met at least once"
    );
    let _ = rejected;
}
