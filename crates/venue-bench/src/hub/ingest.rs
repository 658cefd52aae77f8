//! `hub.ingest_rate` and `hub.ingest_rate_sqlite`: consoles pushing their outboxes at once
//! through the real push endpoint (enrolled, with their device tokens, over loopback HTTP with
//! the console's own client), against the same rows inserted raw into the same backend.

use super::fixture::{self, ScratchPostgres};
use super::workload::{self, ConsoleWorkload, HubRow};
use super::Options;
use crate::report::line;
use anyhow::Context as _;
use serde_json::json;
use sqlx::Connection as _;
use std::path::Path;
use std::time::Instant;
use uuid::Uuid;
use venue_core::sync::HubClient;
use venue_domain::sync::ChangeOutcome;
use venue_hub::server::spawn_on_loopback;
use venue_hub::store::{HubStore, PostgresHub, SqliteHub};

/// What the consoles' pushes came to.
#[derive(Debug, Default)]
struct Pushed {
    changes: u64,
    applied: u64,
    other: u64,
    requests: u64,
    seconds: f64,
}

pub fn run_postgres(options: &Options, dir: &Path) -> anyhow::Result<()> {
    fixture::runtime()?.block_on(async {
        let db = ScratchPostgres::create(&options.database_url).await?;
        let measured = postgres_in(options, dir, &db.url).await;
        let dropped = db.drop_now().await;
        measured?;
        dropped
    })
}

async fn postgres_in(options: &Options, dir: &Path, url: &str) -> anyhow::Result<()> {
    let hub = PostgresHub::connect(url).await?;
    let (workloads, codes) = prepare(&hub, options, &dir.join("pg-consoles")).await?;
    let rows = hub_rows(&workloads)?;
    let raw = raw_postgres(url, &rows).await?;
    drop(rows);
    let pushed = push_through(hub.clone(), workloads, codes).await?;
    hub.close().await;
    report("hub.ingest_rate", &pushed, raw, options, "PostgreSQL")
}

pub fn run_sqlite(options: &Options, dir: &Path) -> anyhow::Result<()> {
    fixture::runtime()?.block_on(async {
        let hub = SqliteHub::open(&dir.join("hub.sqlite3")).await?;
        let (workloads, codes) = prepare(&hub, options, &dir.join("sqlite-consoles")).await?;
        let rows = hub_rows(&workloads)?;
        let raw_path = dir.join("raw-hub.sqlite3");
        let raw = tokio::task::spawn_blocking(move || raw_sqlite(&raw_path, &rows)).await??;
        let pushed = push_through(hub, workloads, codes).await?;
        report("hub.ingest_rate_sqlite", &pushed, raw, options, "SQLite")
    })
}

fn report(
    name: &str,
    pushed: &Pushed,
    raw_seconds: f64,
    options: &Options,
    backend: &str,
) -> anyhow::Result<()> {
    let rate = pushed.applied as f64 / pushed.seconds.max(1e-9);
    let raw_rate = pushed.changes as f64 / raw_seconds.max(1e-9);
    let mut extra = json!({
        "backend": backend,
        "changes": pushed.changes,
        "applied": pushed.applied,
        "not_applied": pushed.other,
        "requests": pushed.requests,
        "consoles": options.consoles,
        "venues": options.venues,
        "seconds": (pushed.seconds * 1000.0).round() / 1000.0,
        "raw_seconds": (raw_seconds * 1000.0).round() / 1000.0,
    });
    if name == "hub.ingest_rate" {
        extra["goal"] = json!(">= 50000 changes/s and ratio >= 0.3");
    }
    line(name, rate, "changes/s", raw_rate, rate / raw_rate, extra)
}

/// Venues, the consoles' workloads (built in their own stores, joined to those venues) and an
/// enrolment code for each console.
async fn prepare<S: HubStore>(
    hub: &S,
    options: &Options,
    dir: &Path,
) -> anyhow::Result<(Vec<ConsoleWorkload>, Vec<String>)> {
    std::fs::create_dir_all(dir)?;
    let venues = fixture::venues(hub, options.venues).await?;
    let per_console = options.changes / options.consoles as u64;
    let mut building = Vec::new();
    let mut codes = Vec::new();
    for n in 0..options.consoles {
        let venue = venues[n % venues.len()];
        codes.push(fixture::enrolment_code(hub, venue).await?);
        let path = dir.join(format!("console-{n}.sqlite3"));
        building.push(tokio::task::spawn_blocking(move || {
            workload::build(&path, venue, per_console)
        }));
    }
    let mut workloads = Vec::new();
    for built in building {
        workloads.push(built.await??);
    }
    Ok((workloads, codes))
}

/// Every console's rows as the hub stores them, each venue's log numbered from 1.
fn hub_rows(workloads: &[ConsoleWorkload]) -> anyhow::Result<Vec<Vec<HubRow>>> {
    let mut next_seq: std::collections::HashMap<Uuid, i64> = Default::default();
    workloads
        .iter()
        .map(|w| {
            let first = next_seq.entry(w.venue).or_insert(1);
            let rows = workload::hub_rows(w, *first)?;
            *first += rows.len() as i64;
            Ok(rows)
        })
        .collect()
}

/// The consoles enrol, then push every page of their outboxes at once, each console one
/// request at a time as `venue sync` does; the time from the first push to the last answer.
async fn push_through<S: HubStore>(
    hub: S,
    workloads: Vec<ConsoleWorkload>,
    codes: Vec<String>,
) -> anyhow::Result<Pushed> {
    let (url, stop) = spawn_on_loopback(hub, fixture::settings(workloads.len())).await?;
    let mut clients = Vec::new();
    for (workload, code) in workloads.iter().zip(&codes) {
        let token = fixture::enroll(&url, code, workload.node).await?;
        clients.push(HubClient::new(&url, Some(token))?);
    }
    let changes: u64 = workloads.iter().map(ConsoleWorkload::changes).sum();
    let started = Instant::now();
    let mut consoles = Vec::new();
    for (workload, client) in workloads.into_iter().zip(clients) {
        consoles.push(tokio::spawn(async move {
            let mut pushed = Pushed::default();
            for page in &workload.pages {
                let answer = client.push(page).await?;
                pushed.requests += 1;
                for outcome in &answer.body.outcomes {
                    match &outcome.outcome {
                        ChangeOutcome::Applied => pushed.applied += 1,
                        ChangeOutcome::Rejected { reason } => {
                            anyhow::bail!("the hub refused a change: {reason}")
                        }
                        _ => pushed.other += 1,
                    }
                }
            }
            Ok::<_, anyhow::Error>(pushed)
        }));
    }
    let mut total = Pushed {
        changes,
        ..Pushed::default()
    };
    for console in consoles {
        let pushed = console.await??;
        total.applied += pushed.applied;
        total.other += pushed.other;
        total.requests += pushed.requests;
    }
    total.seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    Ok(total)
}

/// The same rows into a bare table of the same columns and keys in the same database: one
/// connection per console at once, each page one multi-row `INSERT … SELECT FROM UNNEST` in a
/// transaction of its own (as the hub commits a push).
async fn raw_postgres(url: &str, consoles: &[Vec<HubRow>]) -> anyhow::Result<f64> {
    let mut setup = sqlx::PgConnection::connect(url).await?;
    sqlx::query(
        "CREATE TABLE raw_changes (venue_id uuid NOT NULL, seq bigint NOT NULL, \
         change_id uuid NOT NULL, entity text NOT NULL, entity_id uuid NOT NULL, \
         node_id uuid NOT NULL, hlc bigint NOT NULL, down boolean NOT NULL, body text NOT NULL, \
         received_at timestamptz NOT NULL, PRIMARY KEY (venue_id, seq), \
         UNIQUE (venue_id, change_id))",
    )
    .execute(&mut setup)
    .await?;
    let mut connections = Vec::new();
    for _ in consoles {
        connections.push(sqlx::PgConnection::connect(url).await?);
    }
    // The columns laid out as arrays before the clock starts, as the hub's are by the time
    // its statement runs.
    let paged: Vec<Vec<RawPage>> = consoles
        .iter()
        .map(|rows| {
            rows.chunks(venue_domain::wire::MAX_PAGE as usize)
                .map(RawPage::from)
                .collect()
        })
        .collect();
    let started = Instant::now();
    let mut writers = Vec::new();
    for (mut conn, pages) in connections.into_iter().zip(paged) {
        writers.push(tokio::spawn(async move {
            for page in pages {
                let mut tx = conn.begin().await?;
                sqlx::query(
                    "INSERT INTO raw_changes (venue_id, seq, change_id, entity, entity_id, \
                     node_id, hlc, down, body, received_at) \
                     SELECT u.venue_id, u.seq, u.change_id, u.entity, u.entity_id, u.node_id, \
                     u.hlc, u.down, u.body, now() \
                     FROM UNNEST($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::uuid[], \
                     $6::uuid[], $7::bigint[], $8::boolean[], $9::text[]) \
                     AS u(venue_id, seq, change_id, entity, entity_id, node_id, hlc, down, body)",
                )
                .bind(page.venue)
                .bind(page.seq)
                .bind(page.change_id)
                .bind(page.entity)
                .bind(page.entity_id)
                .bind(page.node)
                .bind(page.hlc)
                .bind(page.down)
                .bind(page.body)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// One page of rows as column arrays.
struct RawPage {
    venue: Vec<Uuid>,
    seq: Vec<i64>,
    change_id: Vec<Uuid>,
    entity: Vec<String>,
    entity_id: Vec<Uuid>,
    node: Vec<Uuid>,
    hlc: Vec<i64>,
    down: Vec<bool>,
    body: Vec<String>,
}

impl From<&[HubRow]> for RawPage {
    fn from(rows: &[HubRow]) -> Self {
        RawPage {
            venue: rows.iter().map(|r| r.venue).collect(),
            seq: rows.iter().map(|r| r.seq).collect(),
            change_id: rows.iter().map(|r| r.change_id).collect(),
            entity: rows.iter().map(|r| r.entity.to_string()).collect(),
            entity_id: rows.iter().map(|r| r.entity_id).collect(),
            node: rows.iter().map(|r| r.node).collect(),
            hlc: rows.iter().map(|r| r.hlc).collect(),
            down: rows.iter().map(|r| r.down).collect(),
            body: rows.iter().map(|r| r.body.clone()).collect(),
        }
    }
}

/// The same rows into a bare table shaped as the hub's SQLite log, with the hub's connection
/// settings: one prepared insert per row, all in one transaction.
fn raw_sqlite(path: &Path, consoles: &[Vec<HubRow>]) -> anyhow::Result<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE raw_changes (venue_id BLOB NOT NULL, seq INTEGER NOT NULL,
             change_id BLOB NOT NULL, entity TEXT NOT NULL, entity_id BLOB NOT NULL,
             node_id BLOB NOT NULL, hlc INTEGER NOT NULL, down INTEGER NOT NULL,
             body TEXT NOT NULL, received_at INTEGER NOT NULL,
             PRIMARY KEY (venue_id, seq), UNIQUE (venue_id, change_id)) WITHOUT ROWID;",
    )
    .context("the raw SQLite table")?;
    let started = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut insert =
            tx.prepare("INSERT INTO raw_changes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
        let now = chrono::Utc::now().timestamp_millis();
        for row in consoles.iter().flatten() {
            insert.execute(rusqlite::params![
                row.venue.as_bytes().as_slice(),
                row.seq,
                row.change_id.as_bytes().as_slice(),
                row.entity,
                row.entity_id.as_bytes().as_slice(),
                row.node.as_bytes().as_slice(),
                row.hlc,
                row.down,
                row.body,
                now,
            ])?;
        }
    }
    tx.commit()?;
    Ok(started.elapsed().as_secs_f64())
}
