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

/// A jump of the wall clock seen by this process: it read `seen_ms` where the monotonic clock
/// put the time at about `expected_ms`. Stamps were taken from `expected_ms` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockJump {
    pub seen_ms: u64,
    pub expected_ms: u64,
}

/// Milliseconds of a monotonic clock (it never jumps), from the first call in this process.
fn monotonic_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The local clock. Not thread-safe on purpose: the store owns one behind its writer.
///
/// It never stamps further ahead than `max_drift_ms` past where the wall clock should be: a
/// wall clock that jumps ahead (to 2099, even for a minute) would otherwise stamp every later
/// change in the future, beat every other console's edits and be refused by the hub. Where the
/// wall clock should be is known from the monotonic clock since the first stamp; a jump back (a
/// correction) is followed, a jump ahead is not, unless a peer's stamp confirms the new time.
#[derive(Debug, Clone)]
pub struct HlcClock {
    last: Hlc,
    max_drift_ms: u64,
    /// (monotonic ms, wall ms) at one moment: the wall time expected at any later moment.
    anchor: Option<(u64, u64)>,
    jump: Option<ClockJump>,
    /// Added to the machine's wall clock by [`HlcClock::wall_ms`]: zero, except in tests and
    /// simulations that give one console a wrong clock.
    skew_ms: i64,
}

impl HlcClock {
    /// Default bound on how far ahead of our wall clock a remote timestamp may be.
    pub const DEFAULT_MAX_DRIFT_MS: u64 = 5 * 60 * 1000;

    /// Resumes from the highest timestamp this node ever issued or observed, so a restart with a
    /// clock set backwards still never issues an older timestamp.
    pub fn resume(last: Hlc) -> Self {
        // Anchored now: a wall clock that jumps later is measured against this reading.
        HlcClock {
            last,
            max_drift_ms: Self::DEFAULT_MAX_DRIFT_MS,
            anchor: Some((monotonic_ms(), Self::now_ms())),
            jump: None,
            skew_ms: 0,
        }
    }

    /// A clock whose wall time reads `skew_ms` off the machine's from the start (tests and
    /// simulations of a console whose clock is wrong).
    pub fn with_skew(mut self, skew_ms: i64) -> Self {
        self.skew_ms = skew_ms;
        self.anchor = Some((monotonic_ms(), self.wall_ms()));
        self
    }

    pub fn set_skew(&mut self, skew_ms: i64) {
        self.skew_ms = skew_ms;
    }

    /// Reads the wall clock `skew_ms` off the machine's from now on, as a correction the caller
    /// trusts (the hub's clock measured against ours): unlike a jump of the wall clock, a move
    /// ahead this way is followed, so the clock is anchored again at the corrected time.
    pub fn align(&mut self, skew_ms: i64) {
        self.skew_ms = skew_ms;
        self.anchor = Some((monotonic_ms(), self.wall_ms()));
    }

    /// The wall clock as this clock reads it (the machine's, plus any skew).
    pub fn wall_ms(&self) -> u64 {
        let now = i64::try_from(Self::now_ms()).unwrap_or(i64::MAX);
        u64::try_from(now.saturating_add(self.skew_ms)).unwrap_or(0)
    }

    /// Like [`HlcClock::resume`], but a last stamp further ahead of `physical_ms` than the drift
    /// bound (left by a run whose clock was ahead) is not resumed from: it is returned as the
    /// jump it shows, for the store to re-stamp what carries it.
    pub fn resume_bounded(last: Hlc, physical_ms: u64) -> (Self, Option<ClockJump>) {
        let limit = physical_ms.saturating_add(Self::DEFAULT_MAX_DRIFT_MS);
        if last.wall_ms() > limit {
            let jump = ClockJump {
                seen_ms: last.wall_ms(),
                expected_ms: physical_ms,
            };
            (Self::resume(Hlc::new(physical_ms, 0)), Some(jump))
        } else {
            (Self::resume(last), None)
        }
    }

    /// Whether the last stamp is further ahead of the wall clock than the drift bound (this
    /// process started while the wall clock was ahead, and it has come back): stamps would stay
    /// in the future until the real time caught up.
    pub fn ahead_of_wall(&self) -> Option<ClockJump> {
        let wall = self.wall_ms();
        (self.last.wall_ms() > wall.saturating_add(self.max_drift_ms)).then_some(ClockJump {
            seen_ms: self.last.wall_ms(),
            expected_ms: wall,
        })
    }

    /// Sets the last stamp back to `to`. Only for the store, once it has re-stamped every row
    /// stamped after `to`: the clock is otherwise never moved back.
    pub fn rewind(&mut self, to: Hlc) {
        self.last = to;
    }

    /// The newest jump ahead of the wall clock this clock refused to follow, if any.
    pub fn jump(&self) -> Option<ClockJump> {
        self.jump
    }

    /// The wall time to stamp with at this moment: the wall clock's reading, unless it is
    /// further ahead of where the monotonic clock says it should be than the drift bound.
    fn trusted_ms(&mut self, physical_ms: u64, monotonic: u64) -> u64 {
        let Some((mono0, wall0)) = self.anchor else {
            self.anchor = Some((monotonic, physical_ms));
            return physical_ms;
        };
        let expected = wall0.saturating_add(monotonic.saturating_sub(mono0));
        if physical_ms > expected.saturating_add(self.max_drift_ms) {
            self.jump = Some(ClockJump {
                seen_ms: physical_ms,
                expected_ms: expected,
            });
            return expected;
        }
        if physical_ms.saturating_add(self.max_drift_ms) < expected {
            // Stepped back: a correction, or a clock that started ahead. Follow it.
            self.anchor = Some((monotonic, physical_ms));
        }
        physical_ms
    }

    /// A timestamp for a local event at wall time `physical_ms` and monotonic time `monotonic`
    /// (milliseconds from any fixed start): tests drive both clocks with it.
    pub fn tick_at(&mut self, physical_ms: u64, monotonic: u64) -> Hlc {
        let physical = self.trusted_ms(physical_ms, monotonic);
        let candidate = Hlc::new(physical, 0);
        self.last = if candidate > self.last {
            candidate
        } else {
            self.last.successor()
        };
        self.last
    }

    pub fn with_max_drift_ms(mut self, ms: u64) -> Self {
        self.max_drift_ms = ms;
        self
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    /// Moves the clock up to `seen` (a stamp another writer of the same store issued), so the
    /// next tick is greater than it. Never moves backwards, and never past the drift bound: a
    /// stamp that far ahead was taken by a writer whose clock jumped, and is refused.
    pub fn catch_up(&mut self, seen: Hlc) {
        let now = self.trusted_ms(self.wall_ms(), monotonic_ms());
        if seen.wall_ms() > now.saturating_add(self.max_drift_ms) {
            self.jump = Some(ClockJump {
                seen_ms: seen.wall_ms(),
                expected_ms: now,
            });
            return;
        }
        self.last = self.last.max(seen);
    }

    /// A timestamp for a local event, strictly greater than every earlier one.
    pub fn tick(&mut self, physical_ms: u64) -> Hlc {
        self.tick_at(physical_ms, monotonic_ms())
    }

    /// Takes in a remote timestamp. Refuses one too far in the future, which would otherwise drag
    /// every later local timestamp along with a peer's broken clock.
    pub fn observe(&mut self, remote: Hlc, physical_ms: u64) -> Result<Hlc, DomainError> {
        let monotonic = monotonic_ms();
        // A peer agreeing with a wall clock that jumped ahead shows the jump was a correction:
        // where the wall clock is now is where it should be.
        if let Some((mono0, wall0)) = self.anchor {
            let expected = wall0.saturating_add(monotonic.saturating_sub(mono0));
            if physical_ms > expected.saturating_add(self.max_drift_ms)
                && remote.wall_ms().saturating_add(self.max_drift_ms) >= physical_ms
            {
                self.anchor = Some((monotonic, physical_ms));
                self.jump = None;
            }
        }
        let now = self.trusted_ms(physical_ms, monotonic);
        let ahead = remote.wall_ms().saturating_sub(now);
        if ahead > self.max_drift_ms {
            return Err(DomainError::ClockDrift {
                ahead_ms: ahead,
                limit_ms: self.max_drift_ms,
            });
        }
        let physical = Hlc::new(now, 0);
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
    fn an_alignment_ahead_is_followed_where_a_jump_ahead_is_not() {
        const TEN_MINUTES: i64 = 600_000;
        let mut jumped = HlcClock::resume(Hlc::ZERO);
        jumped.set_skew(TEN_MINUTES);
        let real = HlcClock::now_ms();
        let stamp = jumped.tick(jumped.wall_ms());
        assert!(
            stamp.wall_ms() < real + 60_000,
            "a wall clock that jumps ten minutes is not followed: {stamp}"
        );
        assert!(jumped.jump().is_some());

        let mut aligned = HlcClock::resume(Hlc::ZERO);
        aligned.align(TEN_MINUTES);
        let stamp = aligned.tick(aligned.wall_ms());
        assert!(
            stamp.wall_ms() >= real + 600_000,
            "a correction ten minutes ahead is followed: {stamp}"
        );
        assert!(aligned.jump().is_none());
    }

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
    fn a_wall_clock_jumping_ahead_never_stamps_the_future() {
        let year_2026 = 1_796_000_000_000;
        let year_2099 = 4_099_000_000_000;
        let mut clock = HlcClock::resume(Hlc::ZERO);
        let before = clock.tick_at(year_2026, 0);
        // One minute at 2099, by the wall clock; the monotonic clock says a second passed.
        let during = clock.tick_at(year_2099, 1_000);
        assert!(during > before);
        assert!(during.wall_ms() <= year_2026 + 1_000, "stamped {during}");
        assert_eq!(
            clock.jump(),
            Some(ClockJump {
                seen_ms: year_2099,
                expected_ms: year_2026 + 1_000
            })
        );
        // The clock comes back: stamps follow the real time again, still increasing.
        let after = clock.tick_at(year_2026 + 61_000, 61_000);
        assert!(after > during);
        assert_eq!(after.wall_ms(), year_2026 + 61_000);
        // Small differences (NTP slewing) are taken as they are.
        assert_eq!(
            clock.tick_at(year_2026 + 62_000 + 30_000, 62_000).wall_ms(),
            year_2026 + 92_000
        );
    }

    #[test]
    fn a_stamp_left_far_ahead_is_not_resumed_from() {
        let now = 1_796_000_000_000;
        let (clock, jump) = HlcClock::resume_bounded(Hlc::new(now + 86_400_000, 0), now);
        assert_eq!(jump.map(|j| j.seen_ms), Some(now + 86_400_000));
        assert_eq!(clock.last().wall_ms(), now);
        let (clock, jump) = HlcClock::resume_bounded(Hlc::new(now + 1_000, 3), now);
        assert_eq!(jump, None);
        assert_eq!(clock.last(), Hlc::new(now + 1_000, 3));
    }

    #[test]
    fn catching_up_refuses_another_writers_stamp_from_the_future() {
        let now = HlcClock::now_ms();
        let mut clock = HlcClock::resume(Hlc::new(now, 0));
        clock.catch_up(Hlc::new(now + 10 * 365 * 86_400_000, 0));
        assert!(clock.last().wall_ms() <= now + 1_000);
        assert!(clock.jump().is_some());
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
