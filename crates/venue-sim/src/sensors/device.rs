//! One simulated people counter: its cumulative counters (reset at device-local midnight and on
//! command), the true totals since the simulator started, its own clock, and the per-minute
//! ring its history endpoints and MQTT pushes answer from.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::faults::SensorFaultQueue;
use super::SimDeviceSpec;
use crate::util::{mix, rng};

/// How far back the per-minute history reaches (three days).
pub(crate) const HISTORY_MINUTES: i64 = 3 * 24 * 60;

/// One device and everything the server, the traffic task and the handle share about it.
pub(crate) struct Device {
    pub spec: SimDeviceSpec,
    /// AXIS style: `00408C` and six hex digits.
    pub serial: String,
    /// The Xovis push's `agent_id`.
    pub agent_id: u64,
    pub state: Mutex<DevState>,
    pub faults: Mutex<SensorFaultQueue>,
    pub requests: AtomicU64,
    pub in_flight: AtomicU32,
    pub max_in_flight: AtomicU32,
}

impl Device {
    pub(crate) fn new(spec: SimDeviceSpec, index: usize, seed: u64, tz: Tz) -> Device {
        let h = mix(&[seed, index as u64, crate::util::hash_str(&spec.name)]);
        let serial = format!("00408C{:06X}", h & 0xFF_FFFF);
        let agent_id = 1000 + (h >> 32) % 9000;
        let now = Utc::now();
        Device {
            serial,
            agent_id,
            state: Mutex::new(DevState::new(tz, now, rng(&[seed, index as u64, 0x7AFF]))),
            faults: Mutex::new(SensorFaultQueue::default()),
            requests: AtomicU64::new(0),
            in_flight: AtomicU32::new(0),
            max_in_flight: AtomicU32::new(0),
            spec,
        }
    }

    /// Counts a request being served until the guard drops.
    pub(crate) fn enter(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    /// The serial as the AXIS 3D counter writes it: `00:40:8c:18:82:27`.
    pub(crate) fn colon_serial(&self) -> String {
        let lower = self.serial.to_ascii_lowercase();
        let bytes: Vec<&str> = (0..lower.len() / 2)
            .filter_map(|i| lower.get(2 * i..2 * i + 2))
            .collect();
        bytes.join(":")
    }
}

pub(crate) struct InFlight<'a>(&'a Device);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Clone, Copy, Debug)]
struct Minute {
    /// Epoch minute on the device's clock.
    minute: i64,
    ins: u32,
    outs: u32,
}

/// The device's counters at one moment, on its own clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Live {
    pub at: DateTime<Utc>,
    pub cum_in: u64,
    pub cum_out: u64,
    pub occupancy: i64,
}

/// Counts of one period (a history bucket or a push record), on the device's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub ins: u64,
    pub outs: u64,
    /// People inside at the end of the period.
    pub balance: i64,
}

/// What a push carries, before it is known to be delivered.
pub(crate) struct PushBatch {
    pub id: u64,
    pub records: Vec<Period>,
    until_ms: i64,
    taken: Vec<(i64, u32, u32)>,
}

pub(crate) struct DevState {
    tz: Tz,
    offset: TimeDelta,
    /// The device-local date the cumulative counters count (they reset when it changes).
    day: NaiveDate,
    pub cum_in: u64,
    pub cum_out: u64,
    pub total_in: u64,
    pub total_out: u64,
    minutes: VecDeque<Minute>,
    /// Epoch minute → counts not yet pushed over MQTT.
    pending: BTreeMap<i64, (u32, u32)>,
    /// The end (device clock, epoch ms) of the last push.
    last_push_ms: i64,
    push_id: u64,
    pub rng: fastrand::Rng,
}

impl DevState {
    fn new(tz: Tz, now: DateTime<Utc>, rng: fastrand::Rng) -> DevState {
        DevState {
            tz,
            offset: TimeDelta::zero(),
            day: now.with_timezone(&tz).date_naive(),
            cum_in: 0,
            cum_out: 0,
            total_in: 0,
            total_out: 0,
            minutes: VecDeque::new(),
            pending: BTreeMap::new(),
            last_push_ms: now.timestamp_millis(),
            push_id: 0,
            rng,
        }
    }

    /// Now on the device's own clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.checked_add_signed(self.offset).unwrap_or(now)
    }

    pub(crate) fn tz(&self) -> Tz {
        self.tz
    }

    pub(crate) fn jump_clock(&mut self, by: TimeDelta) {
        self.offset = self.offset.checked_add(&by).unwrap_or(self.offset);
        let now = self.now();
        self.roll(now);
    }

    /// The daily reset: the cumulative counters go back to 0 when the device-local date changes.
    fn roll(&mut self, now: DateTime<Utc>) {
        let today = now.with_timezone(&self.tz).date_naive();
        if today != self.day {
            self.day = today;
            self.cum_in = 0;
            self.cum_out = 0;
        }
    }

    pub(crate) fn reset(&mut self) {
        let now = self.now();
        self.roll(now);
        self.cum_in = 0;
        self.cum_out = 0;
    }

    pub(crate) fn occupancy(&self) -> i64 {
        i64::try_from(self.total_in).unwrap_or(i64::MAX)
            - i64::try_from(self.total_out).unwrap_or(i64::MAX)
    }

    /// People pass the door now.
    pub(crate) fn record(&mut self, ins: u32, outs: u32) {
        let now = self.now();
        self.roll(now);
        if ins == 0 && outs == 0 {
            return;
        }
        self.cum_in += u64::from(ins);
        self.cum_out += u64::from(outs);
        self.total_in += u64::from(ins);
        self.total_out += u64::from(outs);
        let minute = now.timestamp().div_euclid(60);
        self.add_minute(minute, ins, outs);
        let p = self.pending.entry(minute).or_insert((0, 0));
        p.0 = p.0.saturating_add(ins);
        p.1 = p.1.saturating_add(outs);
        // Unpushed counts are kept as long as the history.
        let oldest = minute - HISTORY_MINUTES;
        while let Some((&m, _)) = self.pending.first_key_value() {
            if m >= oldest {
                break;
            }
            self.pending.remove(&m);
        }
    }

    fn add_minute(&mut self, minute: i64, ins: u32, outs: u32) {
        let add = |m: &mut Minute| {
            m.ins = m.ins.saturating_add(ins);
            m.outs = m.outs.saturating_add(outs);
        };
        match self.minutes.back_mut() {
            Some(last) if last.minute == minute => add(last),
            Some(last) if last.minute > minute => {
                // The clock was set back: keep the ring sorted.
                match self.minutes.binary_search_by_key(&minute, |m| m.minute) {
                    Ok(i) => {
                        if let Some(m) = self.minutes.get_mut(i) {
                            add(m);
                        }
                    }
                    Err(i) => self.minutes.insert(i, Minute { minute, ins, outs }),
                }
            }
            _ => self.minutes.push_back(Minute { minute, ins, outs }),
        }
        let newest = self.minutes.back().map_or(minute, |m| m.minute);
        while self
            .minutes
            .front()
            .is_some_and(|m| m.minute < newest - HISTORY_MINUTES)
        {
            self.minutes.pop_front();
        }
    }

    pub(crate) fn live(&mut self) -> Live {
        let at = self.now();
        self.roll(at);
        Live {
            at,
            cum_in: self.cum_in,
            cum_out: self.cum_out,
            occupancy: self.occupancy(),
        }
    }

    /// The earliest moment history is kept for.
    pub(crate) fn history_start(&self) -> DateTime<Utc> {
        let now = self.now();
        let first = now.timestamp().div_euclid(60) - HISTORY_MINUTES;
        DateTime::from_timestamp(first * 60, 0).unwrap_or(now)
    }

    /// Sums of the minutes whose start lies in each `[from, to)`, with the occupancy at each
    /// period's end; `periods` must be in time order.
    pub(crate) fn sum_periods(&self, periods: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<Period> {
        let occupancy_now = self.occupancy();
        periods
            .iter()
            .map(|&(from, to)| {
                let (a, b) = (from.timestamp(), to.timestamp());
                let start = self.minutes.partition_point(|m| m.minute * 60 < a);
                let (mut ins, mut outs) = (0_u64, 0_u64);
                for m in self.minutes.range(start..) {
                    if m.minute * 60 >= b {
                        break;
                    }
                    ins += u64::from(m.ins);
                    outs += u64::from(m.outs);
                }
                let later = self.minutes.partition_point(|m| m.minute * 60 < b);
                let net_after: i64 = self
                    .minutes
                    .range(later..)
                    .map(|m| i64::from(m.ins) - i64::from(m.outs))
                    .sum();
                Period {
                    from,
                    to,
                    ins,
                    outs,
                    balance: occupancy_now - net_after,
                }
            })
            .collect()
    }

    /// The records of a push: one per minute since the last push up to now (the first and last
    /// clipped to that interval), with the counts not pushed yet. Nothing is marked as pushed
    /// until [`DevState::commit_push`].
    pub(crate) fn push_batch(&mut self) -> PushBatch {
        let now = self.now();
        self.roll(now);
        let now_ms = now.timestamp_millis();
        let oldest_ms = (now.timestamp().div_euclid(60) - HISTORY_MINUTES) * 60_000;
        let since_ms = self.last_push_ms.clamp(oldest_ms, now_ms);
        let occupancy_now = self.occupancy();
        let mut records = Vec::new();
        let mut taken = Vec::new();
        // Counts stamped before `since` (the clock was set back) go into the first record.
        let mut early = (0_u32, 0_u32);
        for (&m, &(i, o)) in self.pending.range(..since_ms.div_euclid(60_000)) {
            early = (early.0.saturating_add(i), early.1.saturating_add(o));
            taken.push((m, i, o));
        }
        let mut minute = since_ms.div_euclid(60_000);
        while minute * 60_000 <= now_ms {
            let from_ms = (minute * 60_000).max(since_ms);
            let to_ms = ((minute + 1) * 60_000).min(now_ms);
            let (mut ins, mut outs) = self.pending.get(&minute).copied().unwrap_or((0, 0));
            if ins > 0 || outs > 0 {
                taken.push((minute, ins, outs));
            }
            if records.is_empty() {
                ins = ins.saturating_add(early.0);
                outs = outs.saturating_add(early.1);
            }
            if from_ms < to_ms || ins > 0 || outs > 0 {
                let net_after: i64 = self
                    .pending
                    .range(minute + 1..)
                    .map(|(_, &(i, o))| i64::from(i) - i64::from(o))
                    .sum();
                let (Some(from), Some(to)) = (
                    DateTime::from_timestamp_millis(from_ms),
                    DateTime::from_timestamp_millis(to_ms.max(from_ms)),
                ) else {
                    break;
                };
                records.push(Period {
                    from,
                    to,
                    ins: u64::from(ins),
                    outs: u64::from(outs),
                    balance: occupancy_now - net_after,
                });
            }
            minute += 1;
        }
        // Counts stamped after now (the clock was set back since) wait for a later push.
        PushBatch {
            id: self.push_id + 1,
            records,
            until_ms: now_ms,
            taken,
        }
    }

    /// The batch was delivered: its counts are pushed, the next push starts where it ended.
    pub(crate) fn commit_push(&mut self, batch: &PushBatch) {
        for &(m, i, o) in &batch.taken {
            if let Some(p) = self.pending.get_mut(&m) {
                p.0 = p.0.saturating_sub(i);
                p.1 = p.1.saturating_sub(o);
                if *p == (0, 0) {
                    self.pending.remove(&m);
                }
            }
        }
        self.last_push_ms = batch.until_ms;
        self.push_id = batch.id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> DevState {
        DevState::new(
            chrono_tz::Europe::Amsterdam,
            Utc::now(),
            fastrand::Rng::with_seed(1),
        )
    }

    #[test]
    fn reset_keeps_totals_and_periods_sum_the_minutes() {
        let mut s = state();
        s.record(5, 2);
        s.reset();
        s.record(1, 1);
        assert_eq!((s.cum_in, s.cum_out), (1, 1));
        assert_eq!((s.total_in, s.total_out), (6, 3));
        let now = s.now();
        let p = s.sum_periods(&[(now - TimeDelta::hours(1), now + TimeDelta::hours(1))]);
        assert_eq!((p[0].ins, p[0].outs, p[0].balance), (6, 3, 3));
    }

    #[test]
    fn pushes_carry_each_count_once() {
        let mut s = state();
        s.record(3, 1);
        let b = s.push_batch();
        let sum = |b: &PushBatch| {
            b.records
                .iter()
                .map(|r| (r.ins, r.outs))
                .fold((0, 0), |a, x| (a.0 + x.0, a.1 + x.1))
        };
        assert_eq!(sum(&b), (3, 1));
        s.commit_push(&b);
        s.record(2, 0);
        let b2 = s.push_batch();
        assert_eq!(sum(&b2), (2, 0));
        // Not committed: the next batch carries the same counts again.
        assert_eq!(sum(&s.push_batch()), (2, 0));
    }

    #[test]
    fn clock_jump_past_midnight_resets_the_day() {
        let mut s = state();
        s.record(4, 0);
        s.jump_clock(TimeDelta::days(1));
        assert_eq!(s.live().cum_in, 0);
        assert_eq!(s.total_in, 4);
    }
}
