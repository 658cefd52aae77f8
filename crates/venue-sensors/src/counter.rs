//! Cumulative device counters to deltas: the core of "never negative, never doubled".
//!
//! Devices report totals since their last reset (midnight, a manual reset, a reboot). The
//! console stores what happened *between* two samples, so:
//! - the first sample is only a baseline (nothing to count yet);
//! - a counter that went **down** means the device restarted from 0: what it shows now was
//!   counted since the reset, so that is the delta (`reset = true`). Counts between the previous
//!   sample and the reset are lost (the device no longer has them; history can fill them);
//! - a sample that is not newer than the previous one (clock jumped back, a duplicate) yields
//!   nothing. **The caller keeps its previous sample in that case** (the newest by time), so
//!   the counts are taken once the device's clock passes it again — never twice.
//!   [`CounterTracker`] does exactly that.

use crate::CounterSample;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a device counted between two samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    pub entries: u32,
    pub exits: u32,
    /// The device's counters restarted between the two samples.
    pub reset: bool,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The counts between `previous` and `next`; see the module doc for the rules.
pub fn delta(previous: Option<&CounterSample>, next: &CounterSample) -> Option<Delta> {
    let previous = previous?;
    if next.at <= previous.at {
        return None;
    }
    // Both counters restart together; one going down is enough to tell.
    let reset = next.total_in < previous.total_in || next.total_out < previous.total_out;
    let (entries, exits) = if reset {
        (next.total_in, next.total_out)
    } else {
        (
            next.total_in - previous.total_in,
            next.total_out - previous.total_out,
        )
    };
    Some(Delta {
        entries: saturate(entries),
        exits: saturate(exits),
        reset,
        from: previous.at,
        to: next.at,
    })
}

/// People inside after `delta`, starting from `previous`; never below zero (people leaving who
/// entered before counting started, or miscounts, must not make occupancy negative).
pub fn occupancy(previous: i64, delta: &Delta) -> i64 {
    previous
        .max(0)
        .saturating_add(i64::from(delta.entries))
        .saturating_sub(i64::from(delta.exits))
        .max(0)
}

fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Keeps the previous sample the way [`delta`] needs it: replaced only by a newer sample.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterTracker {
    last: Option<CounterSample>,
}

impl CounterTracker {
    pub fn new(last: Option<CounterSample>) -> Self {
        CounterTracker { last }
    }

    /// The newest sample seen (the baseline of the next delta).
    pub fn last(&self) -> Option<&CounterSample> {
        self.last.as_ref()
    }

    /// Feeds one sample; returns what was counted since the previous one, if anything.
    pub fn observe(&mut self, sample: CounterSample) -> Option<Delta> {
        let result = delta(self.last.as_ref(), &sample);
        if self.last.is_none_or(|last| sample.at > last.at) {
            self.last = Some(sample);
        }
        result
    }
}
