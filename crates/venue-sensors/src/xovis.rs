//! Xovis PC sensors (firmware 5.x): live counters and history over the local REST API.
//!
//! # The API as we use it
//!
//! We found no public Xovis reference for the v5 REST paths, so the paths below are **our
//! reading of the API; the simulator (`venue-sim`) implements the same**. The shapes of logics,
//! records and counts come from a real device's push (`xovis_v5_push_logics_data.json` in the
//! shared fixtures): the REST answers reuse them.
//!
//! - Base: `{url}/api/v5`, HTTP **Basic** auth (username from the config, password secret
//!   `sensor-<name>`). A missing or wrong password answers `401` (with
//!   `WWW-Authenticate: Basic realm="xovis"`).
//! - A *logic* is a counting rule. Line logics (`info` contains `LINE`, e.g.
//!   `XLT_4X_LINE_IN_OUT_COUNT`) count crossings: `fw` (forward) = **in**, `bw` (backward) = **out**.
//!   Zone logics (`info` contains `ZONE`, e.g. `XLT_4X_ZONE_COUNT`) have a `balance` count = people
//!   inside now (occupancy).
//! - Which line logic is the door: `logic_id` from the config, else the first line logic in the
//!   list (the first logic with `fw`/`bw` counts).
//!
//! ## `GET /api/v5/logics` — live totals
//!
//! Counts are **cumulative** since the device's last reset (daily, on command or on reboot);
//! `time` is when the device took them, in epoch milliseconds (UTC).
//!
//! ```json
//! {
//!   "time": 1645793100000,
//!   "logics": [
//!     { "id": 1, "name": "Zone 0", "info": "XLT_4X_ZONE_COUNT",
//!       "counts": [ { "id": 1, "name": "balance", "value": 7 } ] },
//!     { "id": 2, "name": "Line 0", "info": "XLT_4X_LINE_IN_OUT_COUNT",
//!       "counts": [ { "id": 2, "name": "fw", "value": 120 },
//!                   { "id": 3, "name": "bw", "value": 113 } ] }
//!   ]
//! }
//! ```
//!
//! ## `GET /api/v5/logics/{id}/records?from=<ms>&to=<ms>` — history
//!
//! `from`/`to` are epoch milliseconds (UTC), the interval is `[from, to)`: every record whose own
//! `from` is at or after `from` and before `to`. Records are per period (one minute on the
//! device), **not** cumulative: the counts of that period only. The answer is the logic with its
//! records, the same object as one element of the push's `logics` array:
//!
//! ```json
//! { "id": 2, "name": "Line 0", "info": "XLT_4X_LINE_IN_OUT_COUNT",
//!   "records": [
//!     { "from": 1645792860000, "to": 1645792920000,
//!       "counts": [ { "id": 2, "name": "fw", "value": 1 }, { "id": 3, "name": "bw", "value": 0 } ] },
//!     { "from": 1645792920000, "to": 1645792980000,
//!       "counts": [ { "id": 2, "name": "fw", "value": 3 }, { "id": 3, "name": "bw", "value": 1 } ] }
//!   ] }
//! ```
//!
//! Errors: an unknown logic id answers `404` with `{"message": "logic 9 not found"}`; a missing,
//! non-numeric or reversed `from`/`to` answers `400` with `{"message": "..."}`.

use crate::http::{json, AuthPolicy, DeviceHttp};
use crate::{CounterDevice, CounterSample, HistoryBucket, SensorError};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::sync::Mutex;

pub const LOGICS_PATH: &str = "api/v5/logics";

pub struct Xovis {
    http: DeviceHttp,
    logic_id: Option<u32>,
    /// The door logic found on the device when the config names none (asked once).
    found_logic: Mutex<Option<u32>>,
}

impl Xovis {
    pub fn new(http: DeviceHttp, logic_id: Option<u32>) -> Self {
        Xovis {
            http,
            logic_id,
            found_logic: Mutex::new(None),
        }
    }

    pub fn auth_policy() -> AuthPolicy {
        AuthPolicy::Basic
    }

    async fn logics(&self) -> Result<Value, SensorError> {
        let body = self.http.get(LOGICS_PATH, describe_error).await?;
        json::parse(self.http.device(), &body.0)
    }

    async fn door_logic(&self) -> Result<u32, SensorError> {
        if let Some(id) = self.logic_id {
            return Ok(id);
        }
        if let Some(id) = *self.found_logic.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(id);
        }
        let device = self.http.device();
        let value = self.logics().await?;
        let logics = json::array(device, &value, "logics")?;
        let (_, logic) = line_logic(device, logics, None)?;
        let id = logic_id_of(device, logic)?;
        *self.found_logic.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
        Ok(id)
    }
}

/// `{"message": "..."}` error bodies.
pub fn describe_error(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("message")?.as_str().map(str::to_string)
}

fn logic_id_of(device: &str, logic: &Value) -> Result<u32, SensorError> {
    let id = json::u64(device, logic, "id")?;
    u32::try_from(id).map_err(|_| json::malformed(device, format!("logic id {id} out of range")))
}

/// True when `counts` (a list of `{id,name,value}`) has a count called `name`.
fn has_count(counts: Option<&Value>, name: &str) -> bool {
    counts.and_then(Value::as_array).is_some_and(|c| {
        c.iter()
            .any(|c| c.get("name").and_then(Value::as_str) == Some(name))
    })
}

/// Whether a logic counts a line: its `info` says so, or its counts (live) or first record's
/// counts (records) carry `fw`/`bw`.
fn is_line_logic(logic: &Value) -> bool {
    let info_says = logic
        .get("info")
        .and_then(Value::as_str)
        .is_some_and(|i| i.contains("LINE"));
    let counts = logic.get("counts").or_else(|| {
        logic
            .get("records")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| r.get("counts"))
    });
    info_says || has_count(counts, "fw") || has_count(counts, "bw")
}

/// The door logic: the one with `logic_id`, else the first line logic. Returns its index too.
fn line_logic<'a>(
    device: &str,
    logics: &'a [Value],
    logic_id: Option<u32>,
) -> Result<(usize, &'a Value), SensorError> {
    match logic_id {
        Some(id) => logics
            .iter()
            .enumerate()
            .find(|(_, l)| l.get("id").and_then(Value::as_u64) == Some(u64::from(id)))
            .ok_or_else(|| {
                SensorError::Setup(format!(
                    "sensor {device:?}: logic_id {id} is not among the device's logics"
                ))
            }),
        None => logics
            .iter()
            .enumerate()
            .find(|(_, l)| is_line_logic(l))
            .ok_or_else(|| json::malformed(device, "no line count logic on the device".into())),
    }
}

/// The value of the count called `name` in a `counts` list.
fn count(device: &str, counts: &Value, name: &str, at: &str) -> Result<Option<i64>, SensorError> {
    let list = counts
        .as_array()
        .ok_or_else(|| json::malformed(device, format!("{at}.counts is not a list")))?;
    match list
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
    {
        None => Ok(None),
        Some(c) => c
            .get("value")
            .and_then(Value::as_i64)
            .map(Some)
            .ok_or_else(|| {
                json::malformed(device, format!("{at} count {name:?} has no integer value"))
            }),
    }
}

/// A crossing count: present and not negative.
fn crossing(device: &str, counts: &Value, name: &str, at: &str) -> Result<u64, SensorError> {
    let value = count(device, counts, name, at)?
        .ok_or_else(|| json::malformed(device, format!("{at} has no {name:?} count")))?;
    u64::try_from(value)
        .map_err(|_| json::malformed(device, format!("{at} count {name:?} is negative")))
}

/// The zone balance of the first zone logic in a live answer.
fn live_balance(device: &str, logics: &[Value]) -> Result<Option<i64>, SensorError> {
    for (i, logic) in logics.iter().enumerate() {
        if has_count(logic.get("counts"), "balance") {
            let counts = json::get(device, logic, "counts")?;
            return count(device, counts, "balance", &format!("logics[{i}]"));
        }
    }
    Ok(None)
}

/// Parses `GET /api/v5/logics`: the door logic's `fw`/`bw` totals, the zone balance.
pub fn parse_live(
    device: &str,
    body: &[u8],
    logic_id: Option<u32>,
) -> Result<CounterSample, SensorError> {
    let value = json::parse(device, body)?;
    let at = crate::time::epoch_ms(json::i64(device, &value, "time")?)
        .map_err(|why| json::malformed(device, format!("field \"time\": {why}")))?;
    let logics = json::array(device, &value, "logics")?;
    let (i, logic) = line_logic(device, logics, logic_id)?;
    let at_logic = format!("logics[{i}]");
    let counts = json::get(device, logic, "counts")?;
    Ok(CounterSample {
        at,
        total_in: crossing(device, counts, "fw", &at_logic)?,
        total_out: crossing(device, counts, "bw", &at_logic)?,
        occupancy: live_balance(device, logics)?,
    })
}

/// A logic's `records` as buckets (`fw` in, `bw` out), in the device's order.
pub fn parse_records(device: &str, logic: &Value) -> Result<Vec<HistoryBucket>, SensorError> {
    let records = json::array(device, logic, "records")?;
    records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let at = format!("records[{i}]");
            let time = |field: &str| {
                let ms = json::i64(device, record, field).map_err(|_| {
                    json::malformed(device, format!("{at}.{field} is not epoch milliseconds"))
                })?;
                crate::time::epoch_ms(ms)
                    .map_err(|why| json::malformed(device, format!("{at}.{field}: {why}")))
            };
            let counts = json::get(device, record, "counts")?;
            let n = |name: &str| {
                crossing(device, counts, name, &at).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            };
            HistoryBucket::read(device, &at, time("from")?, time("to")?, n("fw")?, n("bw")?)
        })
        .collect()
}

/// The latest `balance` among a zone logic's records (people inside at the end of the push).
pub(crate) fn latest_balance(device: &str, logics: &[Value]) -> Result<Option<i64>, SensorError> {
    for logic in logics {
        let Some(records) = logic.get("records").and_then(Value::as_array) else {
            continue;
        };
        let latest = records
            .iter()
            .filter(|r| has_count(r.get("counts"), "balance"))
            .max_by_key(|r| r.get("to").and_then(Value::as_i64).unwrap_or(i64::MIN));
        if let Some(record) = latest {
            let counts = json::get(device, record, "counts")?;
            return count(device, counts, "balance", "zone record");
        }
    }
    Ok(None)
}

/// The door logic among pushed `logics` (same rule as the live answer).
pub(crate) fn door_logic_of<'a>(
    device: &str,
    logics: &'a [Value],
    logic_id: Option<u32>,
) -> Result<&'a Value, SensorError> {
    line_logic(device, logics, logic_id).map(|(_, l)| l)
}

impl CounterDevice for Xovis {
    fn name(&self) -> &str {
        self.http.device()
    }

    fn live(&self) -> BoxFuture<'_, Result<CounterSample, SensorError>> {
        Box::pin(async move {
            let body = self.http.get(LOGICS_PATH, describe_error).await?;
            parse_live(self.http.device(), &body.0, self.logic_id)
        })
    }

    fn history(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<HistoryBucket>, SensorError>> {
        Box::pin(async move {
            if to <= from {
                return Ok(Vec::new());
            }
            let id = self.door_logic().await?;
            let path = format!(
                "{LOGICS_PATH}/{id}/records?from={}&to={}",
                from.timestamp_millis(),
                to.timestamp_millis()
            );
            let body = self.http.get(&path, describe_error).await?;
            let logic = json::parse(self.http.device(), &body.0)?;
            let buckets = parse_records(self.http.device(), &logic)?;
            // Only whole periods inside [from, to): a gap fill must not overlap live deltas.
            Ok(buckets
                .into_iter()
                .filter(|b| b.start >= from && b.end <= to)
                .collect())
        })
    }
}
