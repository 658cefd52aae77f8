//! A writer killed with SIGKILL in the middle of a batch leaves no partial batch behind, and the
//! database opens, passes SQLite's integrity check and is consistent with its change log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use venue_store::Store;

#[test]
fn sigkill_mid_batch_leaves_whole_batches_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("venue.sqlite3");
    let batch = 2_000u64;
    for round in 0..3 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_venue-bench"))
            .args(["crash-writer", "--batch", &batch.to_string(), "--db"])
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start writer");
        let stdout = child.stdout.take().expect("writer stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut committed = 0u64;
        // Let a few batches commit, then kill at a point that varies per round.
        let deadline = Instant::now() + Duration::from_secs(60);
        for _ in 0..(2 + round) {
            match lines.next() {
                Some(Ok(line)) => committed = line.trim().parse().expect("a count"),
                other => panic!("writer stopped early: {other:?}"),
            }
            assert!(Instant::now() < deadline, "writer too slow");
        }
        std::thread::sleep(Duration::from_millis(7 * (round + 1)));
        child.kill().expect("SIGKILL the writer");
        let _ = child.wait();

        let store = Store::open(&db).expect("the database opens after a crash");
        store.integrity_check().expect("integrity check passes");
        let rows = store.counts().expect("counts").transactions;
        assert_eq!(
            rows % batch,
            0,
            "round {round}: {rows} rows is not whole batches of {batch}"
        );
        assert!(
            rows >= committed,
            "round {round}: a reported commit was lost ({rows} < {committed})"
        );
        // Every sale has exactly its change-log row (plus the venue and its audit entry).
        let changes = store.change_log_stats().expect("stats").total;
        assert_eq!(
            changes,
            rows + 2,
            "round {round}: change log out of step with the data"
        );
        let venue = store.venue().expect("venue").expect("a venue");
        let mut summed = 0u64;
        store
            .export::<venue_domain::Transaction>(venue.id, None, None, |_| Ok(()))
            .expect("rows readable");
        let mut day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        while summed < rows && day.year_ce().1 < 2028 {
            summed += store
                .daily_sales(venue.id, day)
                .expect("sales")
                .iter()
                .map(|s| s.transactions)
                .sum::<u64>();
            day = day.succ_opt().expect("next day");
        }
        assert_eq!(
            summed, rows,
            "round {round}: daily summaries match the rows"
        );
    }
}

use chrono::Datelike as _;
