//! Device times to UTC. Devices speak three dialects: AXIS People Counter's compact local time,
//! AXIS 3D's ISO time with offset (and local times in its exports), Xovis's epoch milliseconds.
//!
//! Local times are read in the venue's timezone (devices are set to it). Around DST changes:
//! an ambiguous local time (the repeated hour in autumn) takes the **earlier** instant; a
//! nonexistent one (the skipped hour in spring) moves forward to the **first valid instant**
//! after the gap (the moment the clocks changed).

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// AXIS People Counter "20170503112756" (YYYYMMDDhhmmss, device local time) to UTC.
pub fn axis_compact_local(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    // chrono's %Y accepts signs and more digits; the device always sends exactly 14 digits.
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("timestamp {text:?} is not YYYYMMDDhhmmss"));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%S")
        .map_err(|e| format!("timestamp {text:?}: {e}"))?;
    resolve_local(naive, tz).ok_or_else(|| format!("timestamp {text:?} does not exist in {tz}"))
}

/// AXIS 3D "2020-12-03T16:28:05+01:00" (RFC 3339) to UTC.
pub fn iso_with_offset(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("timestamp {text:?} is not RFC 3339: {e}"))
}

/// AXIS 3D export "2020-06-23 00:00:00" (device local time, no offset) to UTC.
pub fn local_naive(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map_err(|e| format!("time {text:?} is not YYYY-MM-DD hh:mm:ss: {e}"))?;
    resolve_local(naive, tz).ok_or_else(|| format!("time {text:?} does not exist in {tz}"))
}

/// Xovis epoch milliseconds to UTC.
pub fn epoch_ms(ms: i64) -> Result<DateTime<Utc>, String> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| format!("epoch milliseconds {ms} out of range"))
}

/// A local wall-clock time in `tz` to UTC with the DST rules of this module.
pub fn resolve_local(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, later) => Some(earlier.min(later).with_timezone(&Utc)),
        LocalResult::None => first_valid_after(naive, tz),
    }
}

/// The first valid instant after a gap: walk the local clock forward (minutes, then seconds)
/// until it exists. Gaps are at most a day (Samoa 2011), so the walk is bounded.
fn first_valid_after(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    let exists = |t: NaiveDateTime| tz.from_local_datetime(&t).earliest();
    let minute = TimeDelta::minutes(1);
    let mut probe = naive;
    for _ in 0..(26 * 60) {
        let next = probe.checked_add_signed(minute)?;
        if exists(next).is_some() {
            // The gap ends within (probe, next]: find its first second.
            let mut t = probe;
            loop {
                t = t.checked_add_signed(TimeDelta::seconds(1))?;
                if let Some(found) = exists(t) {
                    return Some(found.with_timezone(&Utc));
                }
            }
        }
        probe = next;
    }
    None
}
