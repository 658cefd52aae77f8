//! `venue-bench rollups`: a year of foot traffic for many zones, then the dashboard's three
//! queries (today by 15 minutes, the last 7 days by hour, the last 12 months by day), each run
//! many times; p95 latency against the same "today by 15 minutes" computed from the raw minute
//! readings in the same run (what the rollups save).
//!
//! History before today is written straight into the rollup tables with SQL (a year of minute
//! readings through the write path would take a quarter of an hour and measure inserts, not
//! queries); today's minute readings go through the store's real write path and triggers.

use crate::report::line;
use anyhow::Context as _;
use chrono::{Duration, Timelike, Utc};
use serde_json::json;
use std::time::Instant;
use venue_core::domain::{new_id, Origin, SensorDevice, SensorReading, Venue};
use venue_store::{BucketBound, Resolution, Store, DB_FILE};

fn p95(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    let rank = ((0.95 * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}

fn time_ms(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<usize>,
) -> anyhow::Result<(f64, usize)> {
    let mut samples = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs {
        let started = Instant::now();
        rows = f()?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((p95(samples), rows))
}

pub fn run(zones: u32, days: u32, runs: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join(DB_FILE);
    let mut store = Store::open(&db)?;
    let venue = Venue::new("Bench Arena", "Europe/London", "GBP", 20_000)?;
    store.save_by_user("bench", "venue.create", &venue)?;
    let devices: Vec<SensorDevice> = (0..zones)
        .map(|z| SensorDevice {
            id: new_id(),
            venue_id: venue.id,
            name: format!("door-{z:03}"),
            kind: "axis-3d".into(),
            zone: Some(format!("zone-{z:03}")),
        })
        .collect();
    store.ingest(Origin::Sensor, None, &devices)?;
    let now = Utc::now();
    let today = venue.local_date(now);
    let (midnight, _) = venue.day_bounds(today);

    // History: 15-minute buckets for every zone over `days` before today, shaped by the hour of
    // day; hours and days rolled up from them exactly as the triggers would.
    let generated = Instant::now();
    {
        let conn = rusqlite::Connection::open(&db)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "CREATE TEMP TABLE bench_devices (device_id TEXT, zone TEXT)",
            [],
        )?;
        for d in &devices {
            tx.execute(
                "INSERT INTO bench_devices VALUES (?1, ?2)",
                [d.id.to_string(), d.zone.clone().unwrap_or_default()],
            )?;
        }
        let start = midnight - Duration::days(i64::from(days));
        let start_epoch = start.timestamp();
        let quarters = i64::from(days) * 96;
        tx.execute(
            "WITH RECURSIVE q(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM q WHERE n + 1 < ?2)
             INSERT INTO sensor_rollups (device_id, resolution, bucket, venue_id, zone, entries, exits, readings,
                                         occupancy_max, occupancy_last, occupancy_last_at)
             SELECT d.device_id, 900, datetime(?1 + q.n * 900, 'unixepoch'), ?3, d.zone,
                    (abs(random()) % 20) * (CASE WHEN (q.n / 4) % 24 BETWEEN 11 AND 22 THEN 3 ELSE 1 END),
                    (abs(random()) % 20) * (CASE WHEN (q.n / 4) % 24 BETWEEN 11 AND 22 THEN 3 ELSE 1 END),
                    15, abs(random()) % 200, abs(random()) % 200, datetime(?1 + q.n * 900 + 899, 'unixepoch')
             FROM q CROSS JOIN bench_devices d",
            rusqlite::params![start_epoch, quarters, venue.id.to_string()],
        )?;
        tx.execute(
            "INSERT INTO sensor_rollups (device_id, resolution, bucket, venue_id, zone, entries, exits, readings,
                                         occupancy_max, occupancy_last, occupancy_last_at)
             SELECT device_id, 3600, substr(bucket, 1, 13) || ':00:00', venue_id, zone, sum(entries), sum(exits),
                    sum(readings), max(occupancy_max), max(occupancy_last), max(occupancy_last_at)
             FROM sensor_rollups WHERE resolution = 900 GROUP BY device_id, substr(bucket, 1, 13)",
            [],
        )?;
        tx.execute(
            "INSERT INTO sensor_rollups (device_id, resolution, bucket, venue_id, zone, entries, exits, readings,
                                         occupancy_max, occupancy_last, occupancy_last_at)
             SELECT device_id, 86400, substr(bucket, 1, 10), venue_id, zone, sum(entries), sum(exits),
                    sum(readings), max(occupancy_max), max(occupancy_last), max(occupancy_last_at)
             FROM sensor_rollups WHERE resolution = 3600 GROUP BY device_id, substr(bucket, 1, 10)",
            [],
        )?;
        // The per-zone rollups dashboards read, as the triggers keep them.
        tx.execute(
            "INSERT INTO sensor_zone_rollups (venue_id, resolution, bucket, zone, entries, exits,
                                              occupancy_max, occupancy_last, occupancy_last_at)
             SELECT venue_id, resolution, bucket, coalesce(zone, ''), sum(entries), sum(exits),
                    max(occupancy_max), max(occupancy_last), max(occupancy_last_at)
             FROM sensor_rollups GROUP BY venue_id, resolution, bucket, coalesce(zone, '')",
            [],
        )?;
        tx.commit()?;
    }
    // Today: one reading per zone and minute so far, through the real write path.
    let minutes = ((now - midnight).num_minutes()).max(1);
    let mut occupancy = vec![0i64; devices.len()];
    let mut rng = 17u64;
    let mut batch = Vec::with_capacity(10_000);
    for m in 0..minutes {
        let end = midnight + Duration::minutes(m + 1);
        for (i, d) in devices.iter().enumerate() {
            rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let entries = ((rng >> 33) % 6) as u32;
            let exits = ((rng >> 45) % 6) as u32;
            occupancy[i] = (occupancy[i] + i64::from(entries) - i64::from(exits)).max(0);
            batch.push(SensorReading {
                id: new_id(),
                venue_id: venue.id,
                device_id: d.id,
                zone: d.zone.clone(),
                period_start: end - Duration::minutes(1),
                period_end: end,
                entries,
                exits,
                occupancy: Some(occupancy[i]),
            });
            if batch.len() == 10_000 {
                store.ingest(Origin::Sensor, None, &batch)?;
                batch.clear();
            }
        }
    }
    store.ingest(Origin::Sensor, None, &batch)?;
    store.checkpoint()?;
    let setup_s = generated.elapsed().as_secs_f64();

    let until = now + Duration::minutes(1);
    let (today_15m, today_rows) = time_ms(runs, || {
        Ok(store
            .traffic_series(
                venue.id,
                Resolution::QuarterHour,
                BucketBound::At(midnight),
                BucketBound::At(until),
            )?
            .len())
    })?;
    let week_from = (now - Duration::days(7)).with_minute(0).context("hour")?;
    let (week_hourly, week_rows) = time_ms(runs, || {
        Ok(store
            .traffic_series(
                venue.id,
                Resolution::Hour,
                BucketBound::At(week_from),
                BucketBound::At(until),
            )?
            .len())
    })?;
    let year_from = today - Duration::days(365);
    let (year_daily, year_rows) = time_ms(runs, || {
        Ok(store
            .traffic_series(
                venue.id,
                Resolution::Day,
                BucketBound::Date(year_from),
                BucketBound::Date(today + Duration::days(1)),
            )?
            .len())
    })?;
    // Baseline: today by 15 minutes straight from the raw readings.
    let raw = rusqlite::Connection::open(&db)?;
    let mut stmt = raw.prepare(
        "SELECT datetime((CAST(strftime('%s', period_end, '-0.001 seconds') AS INTEGER) / 900) * 900, 'unixepoch') AS b,
                sum(entries), sum(exits)
         FROM sensor_readings WHERE venue_id = ?1 AND period_end > ?2 GROUP BY b ORDER BY b",
    )?;
    let (raw_15m, _) = time_ms(runs, || {
        let rows = stmt.query_map(rusqlite::params![venue.id.to_string(), midnight], |r| {
            r.get::<_, i64>(1)
        })?;
        Ok(rows.count())
    })?;
    let extra = |rows: usize| {
        json!({"zones": zones, "days": days, "runs": runs, "buckets": rows, "goal_ms": 20, "setup_s": setup_s,
               "baseline_is": "today by 15 min from raw readings"})
    };
    line(
        "rollups.today_by_15min_p95",
        today_15m,
        "ms",
        raw_15m,
        today_15m / raw_15m,
        extra(today_rows),
    )?;
    line(
        "rollups.last_7_days_by_hour_p95",
        week_hourly,
        "ms",
        raw_15m,
        week_hourly / raw_15m,
        extra(week_rows),
    )?;
    line(
        "rollups.last_12_months_by_day_p95",
        year_daily,
        "ms",
        raw_15m,
        year_daily / raw_15m,
        extra(year_rows),
    )?;
    Ok(())
}
