use crate::report::line;
use anyhow::Context as _;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::params;
use serde_json::json;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use venue_domain::*;
use venue_store::{ChangeBuffer, Store};

pub(crate) fn bench_venue() -> anyhow::Result<Venue> {
    Ok(Venue::new("Bench Bar", "Europe/London", "GBP", 500)?)
}

/// A deterministic, realistic sale: spread over a year, a few thousand per day.
pub(crate) fn sale(venue: &Venue, n: u64, epoch: DateTime<Utc>) -> Transaction {
    let closed = epoch + Duration::seconds((n * 7) as i64);
    let total = 350 + (n * 7919 % 6_000) as i64;
    let external_id = format!("PAY-{n:010}");
    Transaction {
        id: venue_domain::natural::transaction(venue.id, "square-main", &external_id),
        venue_id: venue.id,
        source: "square-main".into(),
        external_id,
        location_id: Some(format!("L{}", n % 3)),
        status: TransactionStatus::Completed,
        opened_at: Some(closed - Duration::minutes(12)),
        closed_at: closed,
        currency: venue.currency,
        total_minor: total,
        tax_minor: total / 6,
        tip_minor: if n.is_multiple_of(3) { total / 10 } else { 0 },
        discount_minor: 0,
        refunded_minor: if n.is_multiple_of(97) { total } else { 0 },
    }
}

pub(crate) fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// A table with the same columns and natural key as the store's, nothing else: the fastest
/// reasonable way to put these rows into SQLite.
const RAW_SCHEMA: &str = "
    PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
    CREATE TABLE transactions (
        id TEXT PRIMARY KEY, venue_id TEXT NOT NULL, source TEXT NOT NULL, external_id TEXT NOT NULL,
        location_id TEXT, status TEXT NOT NULL, opened_at TEXT, closed_at TEXT NOT NULL, currency TEXT NOT NULL,
        total_minor INTEGER NOT NULL, tax_minor INTEGER NOT NULL, tip_minor INTEGER NOT NULL,
        discount_minor INTEGER NOT NULL, refunded_minor INTEGER NOT NULL, business_date TEXT NOT NULL,
        UNIQUE (venue_id, source, external_id)) STRICT;
    CREATE TABLE change_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL, entity_id TEXT NOT NULL, op TEXT NOT NULL,
        hlc INTEGER NOT NULL, origin TEXT NOT NULL, tombstone TEXT, venue_id TEXT) STRICT;";

/// Inserts every row in one transaction with one prepared statement; optionally also a change-log
/// row per insert, written as the store writes them (multi-row inserts), to price the outbox alone.
fn raw_insert(
    path: &Path,
    venue: &Venue,
    rows: &[Transaction],
    with_change_log: bool,
) -> anyhow::Result<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    // The same connection settings as the store, so the comparison is of the write paths alone.
    conn.execute_batch(venue_store::CONNECTION_TUNING)?;
    conn.execute_batch(RAW_SCHEMA)?;
    let start = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO transactions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        let chunk = ChangeBuffer::CHUNK_ROWS;
        let venue_id = venue.id.to_string();
        let mut capture = tx.prepare(&ChangeBuffer::sql(chunk))?;
        let mut pending: Vec<(String, i64)> = Vec::with_capacity(chunk);
        for (i, t) in rows.iter().enumerate() {
            let id = t.id.to_string();
            insert.execute(params![
                id,
                t.venue_id.to_string(),
                t.source,
                t.external_id,
                t.location_id,
                t.status.as_str(),
                t.opened_at,
                t.closed_at,
                t.currency.code(),
                t.total_minor,
                t.tax_minor,
                t.tip_minor,
                t.discount_minor,
                t.refunded_minor,
                venue.local_date(t.closed_at),
            ])?;
            if with_change_log {
                pending.push((id, i as i64));
                if pending.len() == chunk {
                    write_changes(&mut capture, &venue_id, &pending)?;
                    pending.clear();
                }
            }
        }
        if !pending.is_empty() {
            write_changes(
                &mut tx.prepare(&ChangeBuffer::sql(pending.len()))?,
                &venue_id,
                &pending,
            )?;
        }
    }
    tx.commit()?;
    // Timed until the rows are in the database file itself, as on our path.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    Ok(start.elapsed().as_secs_f64())
}

fn write_changes(
    stmt: &mut rusqlite::Statement,
    venue_id: &str,
    rows: &[(String, i64)],
) -> anyhow::Result<()> {
    stmt.raw_bind_parameter(1, "transaction")?;
    stmt.raw_bind_parameter(2, "connector")?;
    stmt.raw_bind_parameter(3, venue_id)?;
    for (i, (id, hlc)) in rows.iter().enumerate() {
        stmt.raw_bind_parameter(4 + 2 * i, id)?;
        stmt.raw_bind_parameter(5 + 2 * i, hlc)?;
    }
    stmt.raw_execute()?;
    Ok(())
}

fn store_ingest(
    path: &Path,
    venue: &Venue,
    rows: &[Transaction],
    batch: u64,
) -> anyhow::Result<f64> {
    let mut store = Store::open(path)?;
    store.save_by_user("bench", "venue.create", venue)?;
    let start = Instant::now();
    for chunk in rows.chunks(batch as usize) {
        store.ingest(Origin::Connector, None, chunk)?;
    }
    store.checkpoint()?;
    Ok(start.elapsed().as_secs_f64())
}

pub fn run(rows: u64, batch: u64, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let scratch =
        tempfile::tempdir_in(dir.unwrap_or_else(std::env::temp_dir)).context("scratch dir")?;
    let venue = bench_venue()?;
    let start = epoch();
    let data: Vec<Transaction> = (0..rows).map(|n| sale(&venue, n, start)).collect();
    let n = rows as f64;

    let raw = raw_insert(&scratch.path().join("raw.sqlite3"), &venue, &data, false)?;
    let raw_logged = raw_insert(
        &scratch.path().join("raw-logged.sqlite3"),
        &venue,
        &data,
        true,
    )?;
    let ours = store_ingest(&scratch.path().join("store.sqlite3"), &venue, &data, batch)?;

    let extra = json!({"rows": rows, "batch": batch});
    line(
        "ingest.raw_insert_rate",
        n / raw,
        "rows/s",
        n / raw,
        1.0,
        extra.clone(),
    )?;
    // Goal: >= 0.5 (our full write path at least half the raw insert rate).
    line(
        "ingest.store_rate_vs_raw",
        n / ours,
        "rows/s",
        n / raw,
        raw / ours,
        json!({"goal": ">= 0.5", "rows": rows, "batch": batch}),
    )?;
    // Goal: <= 1.5 (cr-sqlite publishes 2.5x for its change capture).
    line(
        "ingest.change_log_cost",
        raw_logged,
        "s",
        raw,
        raw_logged / raw,
        json!({"goal": "<= 1.5", "rows": rows}),
    )?;
    line(
        "ingest.store_vs_raw_with_change_log",
        ours,
        "s",
        raw_logged,
        ours / raw_logged,
        extra,
    )?;
    Ok(())
}

/// Writes batches until killed; after each commit prints the total committed so far.
pub fn crash_writer(db: &Path, batch: u64) -> anyhow::Result<()> {
    let mut store = Store::open(db)?;
    let venue = match store.venue()? {
        Some(v) => v,
        None => {
            let v = bench_venue()?;
            store.save_by_user("crash-test", "venue.create", &v)?;
            v
        }
    };
    let start = epoch();
    let mut next = store.counts()?.transactions;
    loop {
        let rows: Vec<Transaction> = (next..next + batch)
            .map(|n| sale(&venue, n, start))
            .collect();
        store.ingest(Origin::Connector, None, &rows)?;
        next += batch;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{next}")?;
        out.flush()?;
    }
}
