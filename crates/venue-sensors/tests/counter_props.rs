//! Counter semantics: never negative, never doubled — across resets, clock jumps, duplicates.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use venue_sensors::counter::{delta, occupancy, CounterTracker, Delta};
use venue_sensors::CounterSample;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

fn sample(secs: i64, total_in: u64, total_out: u64) -> CounterSample {
    CounterSample {
        at: t(secs),
        total_in,
        total_out,
        occupancy: None,
    }
}

#[test]
fn first_sample_is_a_baseline() {
    assert_eq!(delta(None, &sample(0, 50, 40)), None);
}

#[test]
fn plain_increase() {
    let d = delta(Some(&sample(0, 50, 40)), &sample(60, 55, 41)).expect("delta");
    assert_eq!(
        d,
        Delta {
            entries: 5,
            exits: 1,
            reset: false,
            from: t(0),
            to: t(60)
        }
    );
}

#[test]
fn midnight_reset_counts_what_came_since() {
    let d = delta(Some(&sample(0, 500, 480)), &sample(60, 3, 1)).expect("delta");
    assert_eq!((d.entries, d.exits, d.reset), (3, 1, true));
    // Only one counter going down is a reset too (both restarted; out just caught up).
    let d = delta(Some(&sample(0, 10, 2)), &sample(60, 4, 5)).expect("delta");
    assert_eq!((d.entries, d.exits, d.reset), (4, 5, true));
}

#[test]
fn duplicates_and_clock_jumps_back_yield_nothing() {
    let prev = sample(100, 10, 10);
    assert_eq!(delta(Some(&prev), &sample(100, 10, 10)), None);
    assert_eq!(delta(Some(&prev), &sample(100, 12, 10)), None);
    assert_eq!(delta(Some(&prev), &sample(40, 12, 10)), None);

    // The tracker keeps the newest sample, so nothing is counted twice once time moves on.
    let mut tracker = CounterTracker::new(Some(prev));
    assert_eq!(tracker.observe(sample(40, 12, 10)), None);
    assert_eq!(tracker.last(), Some(&prev));
    let d = tracker.observe(sample(160, 15, 11)).expect("delta");
    assert_eq!((d.entries, d.exits, d.from), (5, 1, t(100)));
}

#[test]
fn huge_counters_saturate() {
    let d = delta(Some(&sample(0, 0, 0)), &sample(1, u64::MAX, 1 << 40)).expect("delta");
    assert_eq!((d.entries, d.exits), (u32::MAX, u32::MAX));
}

#[test]
fn occupancy_is_clamped_at_zero() {
    let d = |entries, exits| Delta {
        entries,
        exits,
        reset: false,
        from: t(0),
        to: t(1),
    };
    assert_eq!(occupancy(5, &d(3, 2)), 6);
    assert_eq!(occupancy(1, &d(0, 4)), 0);
    assert_eq!(occupancy(-3, &d(2, 0)), 2);
    assert_eq!(occupancy(i64::MAX, &d(u32::MAX, 0)), i64::MAX);
}

#[derive(Debug, Clone)]
enum Step {
    /// People cross (real counts).
    Count(u16, u16),
    /// The device's counters restart from 0.
    Reset,
    /// The poller reads the device; its clock moved by this many seconds (≤ 0: duplicate or
    /// jump back).
    Sample(i64),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            4 => (0u16..50, 0u16..50).prop_map(|(i, o)| Step::Count(i, o)),
            1 => Just(Step::Reset),
            4 => prop_oneof![3 => 1i64..120, 1 => Just(0i64), 1 => -600i64..0].prop_map(Step::Sample),
        ],
        0..80,
    )
}

/// Runs the steps: returns (sum of entries, sum of exits, real entries, real exits) where the
/// real counts are what crossed between the baseline and the last sample taken into account.
fn run(steps: &[Step]) -> (u64, u64, u64, u64, bool) {
    let (mut device_in, mut device_out) = (0u64, 0u64);
    let (mut real_in, mut real_out) = (0u64, 0u64);
    let mut clock = 0i64;
    let mut tracker = CounterTracker::default();
    let mut real_at_baseline: Option<(u64, u64)> = None;
    let mut real_at_last = (0u64, 0u64);
    let (mut sum_in, mut sum_out) = (0u64, 0u64);
    let mut occupancy_ok = true;
    let mut inside = 0i64;
    for step in steps {
        match step {
            Step::Count(i, o) => {
                device_in += u64::from(*i);
                device_out += u64::from(*o);
                real_in += u64::from(*i);
                real_out += u64::from(*o);
            }
            Step::Reset => (device_in, device_out) = (0, 0),
            Step::Sample(dt) => {
                clock += dt;
                let before = tracker.last().copied();
                let d = tracker.observe(CounterSample {
                    at: Utc.timestamp_opt(1_700_000_000, 0).unwrap() + TimeDelta::seconds(clock),
                    total_in: device_in,
                    total_out: device_out,
                    occupancy: None,
                });
                if before.is_none() {
                    real_at_baseline = Some((real_in, real_out));
                }
                if tracker.last().copied() != before {
                    real_at_last = (real_in, real_out);
                }
                if let Some(d) = d {
                    sum_in += u64::from(d.entries);
                    sum_out += u64::from(d.exits);
                    inside = occupancy(inside, &d);
                    occupancy_ok &= inside >= 0;
                }
            }
        }
    }
    let (base_in, base_out) = real_at_baseline.unwrap_or(real_at_last);
    (
        sum_in,
        sum_out,
        real_at_last.0.saturating_sub(base_in),
        real_at_last.1.saturating_sub(base_out),
        occupancy_ok,
    )
}

proptest! {
    #[test]
    fn deltas_never_exceed_what_was_counted(steps in steps()) {
        let (sum_in, sum_out, real_in, real_out, occupancy_ok) = run(&steps);
        prop_assert!(sum_in <= real_in, "entries {sum_in} > real {real_in}");
        prop_assert!(sum_out <= real_out, "exits {sum_out} > real {real_out}");
        prop_assert!(occupancy_ok);
    }

    #[test]
    fn without_resets_nothing_is_lost(steps in steps()) {
        let steps: Vec<Step> = steps.into_iter().filter(|s| !matches!(s, Step::Reset)).collect();
        let (sum_in, sum_out, real_in, real_out, _) = run(&steps);
        prop_assert_eq!((sum_in, sum_out), (real_in, real_out));
    }

    #[test]
    fn one_delta_is_never_more_than_the_newer_totals(
        a_in in any::<u64>(), a_out in any::<u64>(), b_in in any::<u64>(), b_out in any::<u64>(),
        dt in -5i64..5,
    ) {
        let prev = sample(0, a_in, a_out);
        let next = sample(dt, b_in, b_out);
        match delta(Some(&prev), &next) {
            None => prop_assert!(dt <= 0),
            Some(d) => {
                prop_assert!(dt > 0);
                prop_assert!(u64::from(d.entries) <= b_in && u64::from(d.exits) <= b_out);
                prop_assert_eq!(d.reset, b_in < a_in || b_out < a_out);
            }
        }
    }
}
