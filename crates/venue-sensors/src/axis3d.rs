//! AXIS P8815-2 3D People Counter ("A3DPC").
//!
//! - Live: `GET {url}/a3dpc/api/occupancy` →
//!   `{"occupancy":15,"serial":"…","timestamp":"2020-12-03T16:28:05+01:00","total_in":100,"total_out":85}`;
//!   totals since the last reset, the device's own occupancy, an ISO time with offset.
//! - History: `GET {url}/a3dpc/api/export/json?start=YYYYMMDD&end=YYYYMMDD&resolution=minute|hour`
//!   (dates in device-local time, VAPIX) → `{"data":[{"start":"2020-06-23 00:00:00","end":"…","in":0,"out":0}]}`
//!   with local times. We ask for whole local days covering `[from, to)` (the end day one past,
//!   whether the device reads `end` inclusively or not) and keep only buckets lying entirely
//!   inside `[from, to)`, so a gap fill never overlaps counts the live deltas already have.
//! - Errors: 400 `{"error":{"message":"Validation failed","error":[{"field","reason"}]}}`,
//!   surfaced in the [`SensorError::Http`] message.
//! - Auth: Digest or Basic, whichever the 401 asks for (Digest preferred).

use crate::http::{json, AuthPolicy, DeviceHttp};
use crate::{CounterDevice, CounterSample, HistoryBucket, SensorError};
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use futures_util::future::BoxFuture;

pub const LIVE_PATH: &str = "a3dpc/api/occupancy";
pub const EXPORT_PATH: &str = "a3dpc/api/export/json";

pub struct Axis3d {
    http: DeviceHttp,
    tz: Tz,
}

impl Axis3d {
    pub fn new(http: DeviceHttp, tz: Tz) -> Self {
        Axis3d { http, tz }
    }

    pub fn auth_policy() -> AuthPolicy {
        AuthPolicy::Any
    }
}

/// Parses `/a3dpc/api/occupancy`.
pub fn parse_occupancy(device: &str, body: &[u8]) -> Result<CounterSample, SensorError> {
    let value = json::parse(device, body)?;
    let stamp = json::str(device, &value, "timestamp")?;
    let at = crate::time::iso_with_offset(stamp)
        .map_err(|why| json::malformed(device, format!("field \"timestamp\": {why}")))?;
    Ok(CounterSample {
        at,
        total_in: json::u64(device, &value, "total_in")?,
        total_out: json::u64(device, &value, "total_out")?,
        occupancy: Some(json::i64(device, &value, "occupancy")?),
    })
}

/// Parses an `/a3dpc/api/export/json` answer (local times in `tz`) into buckets, in order.
pub fn parse_export(device: &str, body: &[u8], tz: Tz) -> Result<Vec<HistoryBucket>, SensorError> {
    let value = json::parse(device, body)?;
    let rows = json::array(device, &value, "data")?;
    let mut buckets: Vec<HistoryBucket> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let time = |field: &str, not_before: Option<DateTime<Utc>>| {
            let text = json::str(device, row, field)?;
            let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                .map_err(|e| json::malformed(device, format!("data[{i}].{field} {text:?}: {e}")))?;
            local_after(naive, tz, not_before).ok_or_else(|| {
                json::malformed(
                    device,
                    format!("data[{i}].{field} {text:?} does not exist in {tz}"),
                )
            })
        };
        // In the repeated autumn hour the export lists the same local times twice: the second
        // time they are the later instants, so buckets stay in order and never coincide.
        let start = time("start", buckets.last().map(|b| b.end))?;
        let end = time("end", Some(start + TimeDelta::seconds(1)))?;
        let count = |field: &str| {
            let n = json::u64(device, row, field).map_err(|_| {
                json::malformed(device, format!("data[{i}].{field} is not a count"))
            })?;
            Ok::<u32, SensorError>(u32::try_from(n).unwrap_or(u32::MAX))
        };
        buckets.push(HistoryBucket::read(
            device,
            &format!("data[{i}]"),
            start,
            end,
            count("in")?,
            count("out")?,
        )?);
    }
    Ok(buckets)
}

/// A local time to UTC like [`crate::time::resolve_local`], but an ambiguous time takes the
/// later instant when the earlier one is before `not_before`.
fn local_after(
    naive: NaiveDateTime,
    tz: Tz,
    not_before: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Ambiguous(a, b) => {
            let (earlier, later) = (a.min(b).with_timezone(&Utc), a.max(b).with_timezone(&Utc));
            Some(match not_before {
                Some(limit) if earlier < limit => later,
                _ => earlier,
            })
        }
        _ => crate::time::resolve_local(naive, tz),
    }
}

/// The 400 body `{"error":{"message","error":[{"field","reason"}]}}` as one line.
pub fn describe_error(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    let mut text = error
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or("error")
        .to_string();
    let details: Vec<String> = error
        .get("error")
        .and_then(|e| e.as_array())
        .into_iter()
        .flatten()
        .map(|d| {
            let field = d.get("field").and_then(|f| f.as_str()).unwrap_or("?");
            let reason = d.get("reason").and_then(|r| r.as_str()).unwrap_or("?");
            format!("{field}: {reason}")
        })
        .collect();
    if !details.is_empty() {
        text.push_str(" (");
        text.push_str(&details.join("; "));
        text.push(')');
    }
    Some(text)
}

/// The export query for `[from, to)`: whole local days, minute resolution up to a day, hours
/// beyond (keeps answers small).
pub fn export_query(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> String {
    let start = from.with_timezone(&tz).date_naive();
    let end = to.with_timezone(&tz).date_naive() + TimeDelta::days(1);
    let resolution = if to - from <= TimeDelta::days(1) {
        "minute"
    } else {
        "hour"
    };
    format!(
        "{EXPORT_PATH}?start={}&end={}&resolution={resolution}",
        start.format("%Y%m%d"),
        end.format("%Y%m%d")
    )
}

impl CounterDevice for Axis3d {
    fn name(&self) -> &str {
        self.http.device()
    }

    fn live(&self) -> BoxFuture<'_, Result<CounterSample, SensorError>> {
        Box::pin(async move {
            let body = self.http.get(LIVE_PATH, describe_error).await?;
            parse_occupancy(self.http.device(), &body.0)
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
            let query = export_query(from, to, self.tz);
            let body = self.http.get(&query, describe_error).await?;
            let buckets = parse_export(self.http.device(), &body.0, self.tz)?;
            Ok(buckets
                .into_iter()
                .filter(|b| b.start >= from && b.end <= to)
                .collect())
        })
    }
}
