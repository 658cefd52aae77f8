//! Hybrid logical clock: wall-clock milliseconds plus a counter, so changes written on different
//! machines order causally even when their clocks disagree a little.
//!
//! The timestamp packs into one u64 (48 bits of ms, 16 bits of counter) so stores can keep it in a
//! single integer column that sorts correctly; ties between nodes are broken by `Stamp::node`.

use crate::{DomainError, NodeId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

const COUNTER_BITS: u32 = 16;
const COUNTER_MAX: u64 = (1 << COUNTER_BITS) - 1;
/// Largest wall time a timestamp may carry (about the year 10889); keeps the packed value < 2^63.
const WALL_MAX_MS: u64 = (1 << 47) - 1;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Hlc(u64);

impl Hlc {
    pub const ZERO: Hlc = Hlc(0);

    pub fn new(wall_ms: u64, counter: u16) -> Self {
        Hlc((wall_ms.min(WALL_MAX_MS) << COUNTER_BITS) | u64::from(counter))
    }

    pub fn wall_ms(self) -> u64 {
        self.0 >> COUNTER_BITS
    }

    pub fn counter(self) -> u16 {
        (self.0 & COUNTER_MAX) as u16
    }

    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// For storage in signed 64-bit integer columns (SQLite, PostgreSQL BIGINT); never negative.
    pub fn as_i64(self) -> i64 {
        self.0 as i64
    }

    pub fn from_i64(value: i64) -> Result<Self, DomainError> {
        u64::try_from(value)
            .map(Hlc)
            .map_err(|_| DomainError::Invalid {
                field: "hlc",
                reason: format!("negative value {value}"),
            })
    }

    fn successor(self) -> Self {
        if u64::from(self.counter()) < COUNTER_MAX {
            Hlc(self.0 + 1)
        } else {
            // Counter exhausted within one millisecond: borrow the next millisecond.
            Hlc::new(self.wall_ms() + 1, 0)
        }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match DateTime::<Utc>::from_timestamp_millis(self.wall_ms() as i64) {
            Some(t) => write!(
                f,
                "{}/{}",
                t.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                self.counter()
            ),
            None => write!(f, "{}ms/{}", self.wall_ms(), self.counter()),
        }
    }
}

/// A clock reading together with the node that took it: a total order for last-writer-wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    pub hlc: Hlc,
    pub node: NodeId,
}

/// The local clock. Not thread-safe on purpose: the store owns one behind its writer.
#[derive(Debug, Clone)]
pub struct HlcClock {
    last: Hlc,
    max_drift_ms: u64,
}

impl HlcClock {
    /// Default bound on how far ahead of our wall clock a remote timestamp may be.
    pub const DEFAULT_MAX_DRIFT_MS: u64 = 5 * 60 * 1000;

    /// Resumes from the highest timestamp this node ever issued or observed, so a restart with a
    /// clock set backwards still never issues an older timestamp.
    pub fn resume(last: Hlc) -> Self {
        HlcClock {
            last,
            max_drift_ms: Self::DEFAULT_MAX_DRIFT_MS,
        }
    }

    pub fn with_max_drift_ms(mut self, ms: u64) -> Self {
        self.max_drift_ms = ms;
        self
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    /// Moves the clock up to `seen` (a stamp another writer of the same store issued), so the
    /// next tick is greater than it. Never moves backwards.
    pub fn catch_up(&mut self, seen: Hlc) {
        self.last = self.last.max(seen);
    }

    /// A timestamp for a local event, strictly greater than every earlier one.
    pub fn tick(&mut self, physical_ms: u64) -> Hlc {
        let candidate = Hlc::new(physical_ms, 0);
        self.last = if candidate > self.last {
            candidate
        } else {
            self.last.successor()
        };
        self.last
    }

    /// Takes in a remote timestamp. Refuses one too far in the future, which would otherwise drag
    /// every later local timestamp along with a peer's broken clock.
    pub fn observe(&mut self, remote: Hlc, physical_ms: u64) -> Result<Hlc, DomainError> {
        let ahead = remote.wall_ms().saturating_sub(physical_ms);
        if ahead > self.max_drift_ms {
            return Err(DomainError::ClockDrift {
                ahead_ms: ahead,
                limit_ms: self.max_drift_ms,
            });
        }
        let physical = Hlc::new(physical_ms, 0);
        let highest = self.last.max(remote);
        self.last = if physical > highest {
            physical
        } else {
            highest.successor()
        };
        Ok(self.last)
    }

    pub fn now_ms() -> u64 {
        Utc::now().timestamp_millis().max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn catching_up_with_another_writer_orders_the_next_tick_after_its_stamp() {
        let mut behind = HlcClock::resume(Hlc::new(1_000, 0));
        let other = Hlc::new(5_000, 7);
        behind.catch_up(other);
        assert!(behind.tick(2_000) > other);
        behind.catch_up(Hlc::new(10, 0));
        assert!(behind.last() > other, "catching up never moves back");
    }

    #[test]
    fn packs_and_orders_by_wall_then_counter() {
        let a = Hlc::new(1_000, 5);
        assert_eq!((a.wall_ms(), a.counter()), (1_000, 5));
        assert!(Hlc::new(1_000, 6) > a);
        assert!(Hlc::new(1_001, 0) > Hlc::new(1_000, u16::MAX));
        assert_eq!(Hlc::from_i64(a.as_i64()), Ok(a));
        assert!(Hlc::from_i64(-1).is_err());
    }

    #[test]
    fn tick_is_monotonic_when_the_wall_clock_goes_backwards() {
        let mut clock = HlcClock::resume(Hlc::ZERO);
        let first = clock.tick(10_000);
        let second = clock.tick(9_000); // clock stepped back
        assert!(second > first);
        assert_eq!(second.wall_ms(), 10_000);
        assert_eq!(clock.tick(11_000), Hlc::new(11_000, 0));
    }

    #[test]
    fn counter_overflow_borrows_the_next_millisecond() {
        let mut clock = HlcClock::resume(Hlc::new(5, u16::MAX));
        assert_eq!(clock.tick(5), Hlc::new(6, 0));
    }

    #[test]
    fn observe_moves_past_remote_and_refuses_wild_drift() {
        let mut clock = HlcClock::resume(Hlc::ZERO).with_max_drift_ms(1_000);
        let seen = clock
            .observe(Hlc::new(10_500, 3), 10_000)
            .expect("within drift");
        assert_eq!(seen, Hlc::new(10_500, 4));
        assert!(clock.tick(10_000) > seen);
        let err = clock.observe(Hlc::new(20_000, 0), 10_000).unwrap_err();
        assert!(matches!(err, DomainError::ClockDrift { .. }));
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(Hlc::new(0, 7).to_string(), "1970-01-01T00:00:00.000Z/7");
    }

    proptest! {
        #[test]
        fn every_issued_timestamp_exceeds_all_earlier_ones(
            events in prop::collection::vec((0u64..1_000_000, any::<bool>(), 0u64..1_000_000), 1..200)
        ) {
            let mut clock = HlcClock::resume(Hlc::ZERO).with_max_drift_ms(u64::MAX);
            let mut previous = Hlc::ZERO;
            for (physical, is_remote, remote_ms) in events {
                let next = if is_remote {
                    let remote = Hlc::new(remote_ms, 0);
                    let got = clock.observe(remote, physical).expect("drift unbounded");
                    prop_assert!(got > remote);
                    got
                } else {
                    clock.tick(physical)
                };
                prop_assert!(next > previous);
                previous = next;
            }
        }
    }
}
