//! `venue-bench restore --changes N`: a fresh console restores N changes of its venue from a real
//! hub (SQLite file, HTTP on loopback) with `venue hub restore`'s code, against a raw read of the
//! same rows from the hub's database in the same run (`hub.restore_seconds`); and the console's
//! apply of those changes alone against the store's own local ingest of the same rows
//! (`sync.apply_rate`).

use crate::ingest::{bench_venue, epoch, sale};
use crate::report::line;
use anyhow::Context as _;
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use uuid::Uuid;
use venue_domain::sync::IncomingChange;
use venue_domain::{ChangeOp, ChangeRecord, EntityKind, Hlc, NodeId, Origin, Transaction, Venue};
use venue_hub::server::{credentials, spawn_on_loopback, HubSettings};
use venue_hub::store::{HubStore, IncomingRow, NewVenue, SqliteHub, MAX_BATCH};
use venue_store::{PullCursor, Store, HUB_PEER};

/// The lost console's sales as the hub holds them: one change each, stamped in order.
fn changes(venue: &Venue, node: NodeId, n: u64) -> anyhow::Result<Vec<ChangeRecord>> {
    let start = epoch();
    let base_ms = u64::try_from(start.timestamp_millis()).context("epoch")?;
    (0..n)
        .map(|i| {
            let sale = sale(venue, i, start);
            Ok(ChangeRecord {
                change_id: venue_domain::new_id(),
                venue_id: venue.id,
                entity: EntityKind::Transaction,
                entity_id: sale.id,
                op: ChangeOp::Upsert,
                payload: serde_json::to_value(&sale)?,
                hlc: Hlc::new(base_ms + i, 0),
                node,
                origin: Origin::Connector,
            })
        })
        .collect()
}

/// A hub with the venue's changes pushed, served on loopback from a thread of its own. Returns
/// its URL, a one-time code, the venue, the hub's file, and what stops it.
struct ServedHub {
    url: String,
    code: String,
    venue: Venue,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for ServedHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_hub(file: &Path, n: u64) -> anyhow::Result<(ServedHub, Vec<ChangeRecord>)> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let file = file.to_path_buf();
    let thread = std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let _ = ready_tx.send(Err(anyhow::anyhow!(e)));
                return;
            }
        };
        runtime.block_on(async move {
            let setup = async {
                let hub = SqliteHub::open(&file).await?;
                let org = hub.create_org("Bench Group").await?;
                let template = bench_venue()?;
                let venue_id = hub
                    .add_venue(
                        org,
                        NewVenue {
                            name: template.name.clone(),
                            timezone: template.timezone.name().to_string(),
                            currency: template.currency.code().to_string(),
                            capacity: Some(template.capacity),
                        },
                    )
                    .await?;
                let venue = Venue {
                    id: venue_id,
                    ..template
                };
                let lost = NodeId::generate();
                let all = changes(&venue, lost, n)?;
                for page in all.chunks(MAX_BATCH) {
                    let rows = page
                        .iter()
                        .map(|c| {
                            Ok(IncomingRow {
                                change_id: c.change_id,
                                entity: c.entity.as_str().to_string(),
                                entity_id: c.entity_id,
                                node: c.node.0,
                                hlc: c.hlc.as_i64(),
                                down: true,
                                body: serde_json::to_value(c)?,
                            })
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    hub.push(venue.id, &rows).await?;
                }
                let code = credentials::new_code()?;
                let hash = credentials::hash_code(&code).context("the code cannot be hashed")?;
                hub.create_enrollment(
                    venue.id,
                    &hash,
                    chrono::Utc::now() + chrono::Duration::hours(1),
                )
                .await?;
                let (url, stop) = spawn_on_loopback(hub, HubSettings::default()).await?;
                anyhow::Ok((url, stop, code, venue, all))
            };
            match setup.await {
                Ok((url, stop, code, venue, all)) => {
                    let _ = ready_tx.send(Ok((url, code, venue, all)));
                    let _ = stop_rx.await;
                    let _ = stop.send(());
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
        });
    });
    let (url, code, venue, all) = ready_rx
        .recv()
        .context("the hub's thread ended before it served")??;
    Ok((
        ServedHub {
            url,
            code,
            venue,
            stop: Some(stop_tx),
            thread: Some(thread),
        },
        all,
    ))
}

/// The baseline: every change body of the venue read from the hub's database, in log order
/// (ids are stored as 16-byte blobs there).
fn raw_read(file: &Path, venue: Uuid) -> anyhow::Result<(f64, u64)> {
    let conn =
        rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let started = Instant::now();
    let mut stmt =
        conn.prepare("SELECT seq, body FROM hub_changes WHERE venue_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([venue.as_bytes().as_slice()])?;
    let (mut n, mut bytes) = (0u64, 0u64);
    while let Some(row) = rows.next()? {
        let body = row.get_ref(1)?.as_str()?;
        bytes += body.len() as u64;
        n += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(bytes > 0, "the hub holds no change bodies");
    Ok((seconds, n))
}

/// The console's apply alone: pages of the largest size into a store being restored.
fn apply_rate(dir: &Path, venue: &Venue, all: &[ChangeRecord]) -> anyhow::Result<f64> {
    let mut store = Store::open(&dir.join("apply.sqlite3"))?;
    store.begin_restore("http://127.0.0.1:1", venue)?;
    let pages: Vec<Vec<IncomingChange>> = all
        .chunks(MAX_BATCH)
        .map(|p| p.iter().cloned().map(IncomingChange::Known).collect())
        .collect();
    let started = Instant::now();
    for (i, page) in pages.iter().enumerate() {
        let cursor = ((i + 1) * MAX_BATCH).to_string();
        store.apply_restored(
            page,
            PullCursor {
                peer: HUB_PEER,
                cursor: &cursor,
            },
        )?;
    }
    store.checkpoint()?;
    Ok(all.len() as f64 / started.elapsed().as_secs_f64())
}

/// The store's own write path for the same rows, in the same page size.
fn local_rate(dir: &Path, venue: &Venue, all: &[ChangeRecord]) -> anyhow::Result<f64> {
    let mut store = Store::open(&dir.join("local.sqlite3"))?;
    store.save_by_user("bench", "venue.create", venue)?;
    let sales: Vec<Transaction> = all
        .iter()
        .map(|c| serde_json::from_value(c.payload.clone()))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    for page in sales.chunks(MAX_BATCH) {
        store.ingest(Origin::Connector, None, page)?;
    }
    store.checkpoint()?;
    Ok(sales.len() as f64 / started.elapsed().as_secs_f64())
}

pub fn run(n: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let hub_file = dir.path().join("hub.sqlite3");
    eprintln!("venue-bench restore: pushing {n} changes into a SQLite hub");
    let (hub, all) = serve_hub(&hub_file, n)?;
    let (raw_seconds, raw_rows) = raw_read(&hub_file, hub.venue.id)?;

    eprintln!("venue-bench restore: restoring from {}", hub.url);
    let data_dir = dir.path().join("restored");
    let started = Instant::now();
    let (_console, report) =
        venue_core::Console::hub_restore(&data_dir, &hub.url, &hub.code, None, &mut |_| {})
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let restore_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.pulled == n && report.outcomes.applied == n,
        "restored {} of {n} changes ({:?})",
        report.pulled,
        report.outcomes
    );
    line(
        "hub.restore_seconds",
        restore_seconds,
        "s",
        raw_seconds,
        restore_seconds / raw_seconds.max(1e-9),
        json!({
            "changes": n,
            "backend": "sqlite",
            "pages": report.pages,
            "raw_rows": raw_rows,
            "changes_per_second": n as f64 / restore_seconds,
            "goal_seconds_for_1m": 15,
        }),
    )?;
    drop(hub);

    let apply = apply_rate(dir.path(), &report_venue(&data_dir)?, &all)?;
    let local = local_rate(dir.path(), &report_venue(&data_dir)?, &all)?;
    line(
        "sync.apply_rate",
        apply,
        "rows/s",
        local,
        apply / local.max(1e-9),
        json!({"changes": n, "goal_rows_per_second": 100_000, "goal_ratio": 0.8}),
    )
}

/// The restored venue (its id is the hub's).
fn report_venue(data_dir: &Path) -> anyhow::Result<Venue> {
    let store = Store::open(&data_dir.join(venue_store::DB_FILE))?;
    store.venue()?.context("the restored store holds no venue")
}
