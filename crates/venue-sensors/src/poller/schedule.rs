//! A device's fixed tick grid: `first + k × interval`, advanced without drift.

use std::time::Duration;

use tokio::time::Instant;

use super::PollSettings;

/// Ticks served later than this after their time count as missed (a tenth of the interval, at
/// least 5 ms: below that it is timer granularity, not a starved runtime).
const MIN_TOLERANCE: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Copy)]
pub(super) struct Schedule {
    next: Instant,
    interval: Duration,
    tolerance: Duration,
}

impl Schedule {
    /// `settings` must be normalized (interval > 0).
    pub(super) fn new(first: Instant, settings: &PollSettings) -> Self {
        Self {
            next: first,
            interval: settings.interval,
            tolerance: (settings.interval / 10).max(MIN_TOLERANCE),
        }
    }

    pub(super) fn next_tick(&self) -> Instant {
        self.next
    }

    pub(super) fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Moves to the tick `steps` intervals after the current one, or to the first grid tick at or
    /// after `now` when the poll ran past it. Returns the ticks skipped that way (the missed ones).
    pub(super) fn advance(&mut self, steps: u32, now: Instant) -> u64 {
        let mut next = self.later(self.next, self.interval.saturating_mul(steps.max(1)));
        let mut missed = 0;
        if next < now {
            // Round up: a poll ending exactly on a tick polls that tick, a later one skips it.
            let behind = (now - next).as_nanos();
            let skipped = behind.div_ceil(self.interval.as_nanos());
            missed = u64::try_from(skipped).unwrap_or(u64::MAX);
            let skipped = u32::try_from(skipped).unwrap_or(u32::MAX);
            next = self.later(next, self.interval.saturating_mul(skipped));
        }
        self.next = next;
        missed
    }

    /// `from + by`, or `from + interval` if that would leave the clock's range (only reachable
    /// with absurd settings; it keeps the task alive rather than panicking).
    fn later(&self, from: Instant, by: Duration) -> Instant {
        from.checked_add(by)
            .or_else(|| from.checked_add(self.interval))
            .unwrap_or(from)
    }
}

/// Intervals to wait after the `doublings`-th doubling: `2^doublings`, capped at `max_backoff`
/// rounded up to whole intervals (so the device stays on its grid), at least 1.
pub(super) fn backoff_steps(doublings: u32, settings: &PollSettings) -> u32 {
    let interval = settings.interval.as_nanos().max(1);
    let cap = settings.max_backoff.as_nanos().div_ceil(interval).max(1);
    let cap = u32::try_from(cap).unwrap_or(u32::MAX);
    let steps = 1u32.checked_shl(doublings).unwrap_or(u32::MAX);
    steps.min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(interval_ms: u64, max_backoff_ms: u64) -> PollSettings {
        PollSettings {
            max_backoff: Duration::from_millis(max_backoff_ms),
            ..PollSettings::every(Duration::from_millis(interval_ms))
        }
        .normalized()
    }

    #[test]
    fn advances_on_the_grid_and_counts_skipped_ticks() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let mut schedule = Schedule::new(start, &settings(100, 1_000));
        // A quick poll: the next tick, nothing missed.
        assert_eq!(schedule.advance(1, start + ms(3)), 0);
        assert_eq!(schedule.next_tick(), start + ms(100));
        // A poll ending exactly on the following tick polls it.
        assert_eq!(schedule.advance(1, start + ms(200)), 0);
        assert_eq!(schedule.next_tick(), start + ms(200));
        // A poll of 250 ms skips the ticks at 300 and 400.
        assert_eq!(schedule.advance(1, start + ms(450)), 2);
        assert_eq!(schedule.next_tick(), start + ms(500));
        // Backoff skips are not missed ticks.
        assert_eq!(schedule.advance(4, start + ms(510)), 0);
        assert_eq!(schedule.next_tick(), start + ms(900));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = settings(100, 1_000);
        let steps: Vec<u32> = (1..8).map(|d| backoff_steps(d, &s)).collect();
        assert_eq!(steps, [2, 4, 8, 10, 10, 10, 10]);
        assert_eq!(backoff_steps(200, &s), 10);
        // A cap below the interval means no backoff at all.
        assert_eq!(backoff_steps(3, &settings(100, 10)), 1);
        // A cap between grid ticks is rounded up to the grid.
        assert_eq!(backoff_steps(9, &settings(100, 250)), 3);
    }
}
