//! AXIS People Counter (the ACAP on AXIS cameras): live counts since local midnight.
//!
//! `GET {url}/local/tvpc/.api?live-sum.json` (firmware before the 2024 URL change:
//! `/local/people-counter/.api?live-sum.json`) with HTTP Digest auth answers
//! `{"serial","name","timestamp":"20170503112756","in":12,"out":318}`: counts since local
//! midnight (the device resets them then), the timestamp in device-local time (read in the
//! venue's timezone).
//!
//! History (to fill a gap after an outage): `GET {url}/local/tvpc/.api?export-csv&date=
//! YYYYMMDD,YYYYMMDD&res=15m` ("Request CSV data" in the VAPIX People counter API) answers one
//! CSV line per period of the listed device-local days: interval start, interval stop (local
//! `YYYY-MM-DD hh:mm:ss`), serial, counter name, people in, people out. Columns are found by their
//! header names, so an added column does not break us.

use crate::http::{json, AuthPolicy, DeviceHttp};
use crate::{CounterDevice, CounterSample, HistoryBucket, SensorError};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures_util::future::BoxFuture;

pub const LIVE_PATH: &str = "local/tvpc/.api?live-sum.json";
pub const LEGACY_LIVE_PATH: &str = "local/people-counter/.api?live-sum.json";

pub struct AxisPeopleCounter {
    http: DeviceHttp,
    tz: Tz,
    legacy_api: bool,
}

impl AxisPeopleCounter {
    /// Digest auth only: this device's API never accepts Basic.
    pub fn new(http: DeviceHttp, tz: Tz, legacy_api: bool) -> Self {
        AxisPeopleCounter {
            http,
            tz,
            legacy_api,
        }
    }

    fn live_path(&self) -> &'static str {
        if self.legacy_api {
            LEGACY_LIVE_PATH
        } else {
            LIVE_PATH
        }
    }

    pub fn auth_policy() -> AuthPolicy {
        AuthPolicy::Digest
    }
}

/// Parses a live-sum.json answer; the timestamp is device-local time in `tz`.
pub fn parse_live_sum(device: &str, body: &[u8], tz: Tz) -> Result<CounterSample, SensorError> {
    let value = json::parse(device, body)?;
    let stamp = json::str(device, &value, "timestamp")?;
    let at = crate::time::axis_compact_local(stamp, tz)
        .map_err(|why| json::malformed(device, format!("field \"timestamp\": {why}")))?;
    Ok(CounterSample {
        at,
        total_in: json::u64(device, &value, "in")?,
        total_out: json::u64(device, &value, "out")?,
        occupancy: None,
    })
}

impl CounterDevice for AxisPeopleCounter {
    fn name(&self) -> &str {
        self.http.device()
    }

    fn live(&self) -> BoxFuture<'_, Result<CounterSample, SensorError>> {
        Box::pin(async move {
            let body = self.http.get(self.live_path(), |_| None).await?;
            parse_live_sum(self.http.device(), &body.0, self.tz)
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
            let path = if self.legacy_api {
                "local/people-counter/.api"
            } else {
                "local/tvpc/.api"
            };
            let query = format!("{path}?{}", export_csv_query(from, to, self.tz));
            let body = self.http.get(&query, |_| None).await?;
            let buckets = parse_export_csv(self.http.device(), &body.0, self.tz)?;
            // Whole periods inside the gap only: the live counters cover the rest.
            Ok(buckets
                .into_iter()
                .filter(|b| b.start >= from && b.end <= to)
                .collect())
        })
    }
}

/// Most days one history request asks for (a longer outage is filled for its last month).
const MAX_EXPORT_DAYS: i64 = 31;

/// `export-csv&date=…&res=15m` for the device-local days [from, to) touches.
pub fn export_csv_query(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> String {
    let last = (to - chrono::Duration::milliseconds(1))
        .with_timezone(&tz)
        .date_naive();
    let first = from
        .with_timezone(&tz)
        .date_naive()
        .max(last - chrono::Duration::days(MAX_EXPORT_DAYS - 1));
    let days: Vec<String> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| d.format("%Y%m%d").to_string())
        .collect();
    format!("export-csv&date={}&res=15m", days.join(","))
}

/// Parses the CSV export: a header line, then start, stop, …, in, out per period.
pub fn parse_export_csv(
    device: &str,
    body: &[u8],
    tz: Tz,
) -> Result<Vec<HistoryBucket>, SensorError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| json::malformed(device, format!("history is not text: {e}")))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| json::malformed(device, "history has no header line".to_string()))?
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |test: &dyn Fn(&str) -> bool, what: &str| {
        header
            .iter()
            .position(|h| test(h))
            .ok_or_else(|| json::malformed(device, format!("history has no {what} column")))
    };
    let start = column(&|h| h.contains("start"), "interval start")?;
    let stop = column(
        &|h| h.contains("stop") || h.contains("end"),
        "interval stop",
    )?;
    let ins = column(&|h| h.contains(" in") || h == "in", "people in")?;
    let outs = column(&|h| h.contains(" out") || h == "out", "people out")?;
    let mut buckets = Vec::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let cell = |i: usize| {
            cells.get(i).copied().ok_or_else(|| {
                json::malformed(device, format!("history line {}: too few columns", n + 2))
            })
        };
        let time = |i: usize| {
            cell(i).and_then(|t| {
                crate::time::local_naive(t, tz).map_err(|why| {
                    json::malformed(device, format!("history line {}: {why}", n + 2))
                })
            })
        };
        let count = |i: usize| {
            cell(i).and_then(|c| {
                c.parse::<u32>().map_err(|e| {
                    json::malformed(device, format!("history line {}: count {c:?}: {e}", n + 2))
                })
            })
        };
        buckets.push(HistoryBucket::read(
            device,
            &format!("history line {}", n + 2),
            time(start)?,
            time(stop)?,
            count(ins)?,
            count(outs)?,
        )?);
    }
    Ok(buckets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_csv_export_is_read_by_its_header_names() {
        let body = b"Interval start,Interval stop,Camera serial number,Counter name,Pedestrians coming in,Pedestrians going out\n\
2017-05-12 10:00:00,2017-05-12 10:15:00,00408CAC512B,Exit south,12,3\n\
2017-05-12 10:15:00,2017-05-12 10:30:00,00408CAC512B,Exit south,0,7\n";
        let tz = chrono_tz::Europe::Stockholm;
        let buckets = parse_export_csv("door", body, tz).expect("parses");
        assert_eq!(buckets.len(), 2);
        assert_eq!((buckets[0].entries, buckets[0].exits), (12, 3));
        assert_eq!(
            buckets[0].start,
            Utc.with_ymd_and_hms(2017, 5, 12, 8, 0, 0)
                .single()
                .expect("time")
        );
        let err = parse_export_csv("door", b"a,b\n1,2\n", tz).expect_err("no columns");
        assert!(err.to_string().contains("interval start"), "{err}");
        let err = parse_export_csv(
            "door",
            b"Interval start,Interval stop,In,Out\n2017-05-12 10:00:00,x,1,2\n",
            tz,
        )
        .expect_err("bad time");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn the_export_asks_for_each_local_day_of_the_gap() {
        let tz = chrono_tz::Europe::London;
        let from = Utc
            .with_ymd_and_hms(2026, 7, 1, 22, 30, 0)
            .single()
            .expect("time");
        let to = Utc
            .with_ymd_and_hms(2026, 7, 3, 1, 0, 0)
            .single()
            .expect("time");
        assert_eq!(
            export_csv_query(from, to, tz),
            "export-csv&date=20260701,20260702,20260703&res=15m"
        );
    }
}
