//! `sync.live_lag_p99`: two consoles of one venue, each a real `Console` joined to the hub and
//! running its background work (`run_scheduler`, whose `Task::Hub` syncs continuously over the
//! live channel). Another connection writes guests into console A's store at a steady rate, as
//! the CLI or a connector would; console B's store is watched for each. The lag of a guest is
//! from A's commit to B's. The baseline is the same lag of single guests written while quiet.

use super::fixture::{self, quantile};
use super::workload::guest;
use super::Options;
use crate::report::line;
use anyhow::Context as _;
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use venue_core::{Console, InitOptions};
use venue_domain::Origin;
use venue_http::secrets::{SecretError, SecretStore};
use venue_hub::server::spawn_on_loopback;
use venue_hub::store::SqliteHub;
use venue_store::Store;

const SOURCE: &str = "bench-lag";
/// Writes are committed in small batches this often (the rate is spread over them).
const TICK: Duration = Duration::from_millis(10);
/// How often console B's store is looked at.
const LOOK: Duration = Duration::from_millis(5);
/// Single guests timed while quiet, for the baseline.
const PROBES: u64 = 5;
/// A guest not on B by then counts as missing.
const GIVE_UP: Duration = Duration::from_secs(30);

/// A console's device token kept in memory (each console its own; no OS keyring here).
#[derive(Default)]
struct MemorySecrets(Mutex<HashMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        let map = self
            .0
            .lock()
            .map_err(|_| SecretError::Unavailable("poisoned".into()))?;
        Ok(map.get(name).cloned())
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        let mut map = self
            .0
            .lock()
            .map_err(|_| SecretError::Unavailable("poisoned".into()))?;
        map.insert(name.to_string(), value.to_string());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let mut map = self
            .0
            .lock()
            .map_err(|_| SecretError::Unavailable("poisoned".into()))?;
        map.remove(name);
        Ok(())
    }
}

/// A console running in a thread of its own until stopped.
struct RunningConsole {
    data: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl RunningConsole {
    fn start(data: PathBuf, url: String, code: String) -> anyhow::Result<RunningConsole> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (joined_tx, joined_rx) = std::sync::mpsc::channel();
        let dir = data.clone();
        let thread = std::thread::spawn(move || {
            let options = InitOptions {
                name: "Bench Venue".into(),
                timezone: "Europe/London".into(),
                currency: "GBP".into(),
                capacity: 200,
                demo: false,
                demo_sales: false,
                demo_stays: false,
            };
            let joined = Console::init(&dir, &options).and_then(|(console, _)| {
                let mut console = console.with_secret_store(Box::new(MemorySecrets::default()));
                console.hub_join(&url, &code)?;
                Ok(console)
            });
            let console = match joined {
                Ok(console) => {
                    let _ = joined_tx.send(Ok(()));
                    console
                }
                Err(e) => {
                    let _ = joined_tx.send(Err(e.to_string()));
                    anyhow::bail!("console: {e}");
                }
            };
            console.run_scheduler(async move {
                let _ = stopped.await;
            })?;
            Ok(())
        });
        joined_rx
            .recv()
            .context("the console thread ended")?
            .map_err(|e| anyhow::anyhow!("joining the hub: {e}"))?;
        Ok(RunningConsole {
            data,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    fn db(&self) -> PathBuf {
        self.data.join(venue_store::DB_FILE)
    }

    fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => anyhow::bail!("a console thread panicked"),
            None => Ok(()),
        }
    }
}

impl Drop for RunningConsole {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Console B's store as the app's screens read it: new guests of the benchmark since the last
/// look, each with when it was first seen.
struct Watcher {
    conn: rusqlite::Connection,
    last_row: i64,
}

impl Watcher {
    fn open(db: &Path) -> anyhow::Result<Watcher> {
        let conn =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(Watcher { conn, last_row: 0 })
    }

    fn look(&mut self, seen: &mut HashMap<String, Instant>) -> anyhow::Result<()> {
        let now = Instant::now();
        let mut query = self.conn.prepare_cached(
            "SELECT row_no, external_id FROM customers WHERE row_no > ?1 AND source = ?2",
        )?;
        let rows = query.query_map(rusqlite::params![self.last_row, SOURCE], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (row_no, id) = row?;
            self.last_row = self.last_row.max(row_no);
            seen.entry(id).or_insert(now);
        }
        Ok(())
    }
}

/// Writes guests into console A's store from a connection of its own.
struct Writer {
    store: Store,
    venue: uuid::Uuid,
    next: u64,
}

impl Writer {
    fn open(db: &Path) -> anyhow::Result<Writer> {
        let store = Store::open(db)?;
        let venue = store.venue()?.context("console A has a venue")?.id;
        Ok(Writer {
            store,
            venue,
            next: 0,
        })
    }

    /// `count` new guests in one transaction; their ids, committed now.
    fn write(&mut self, count: u64) -> anyhow::Result<(Vec<String>, Instant)> {
        let guests: Vec<_> = (self.next..self.next + count)
            .map(|n| guest(self.venue, SOURCE, format!("LAG-{n:09}"), n))
            .collect();
        self.next += count;
        self.store.ingest(Origin::Connector, None, &guests)?;
        let ids = guests.into_iter().map(|g| g.external_id).collect();
        Ok((ids, Instant::now()))
    }
}

pub fn run(options: &Options, dir: &Path) -> anyhow::Result<()> {
    if std::env::var_os("VENUE_SECRET_HUB_TOKEN").is_some() {
        anyhow::bail!("unset VENUE_SECRET_HUB_TOKEN: both consoles of this benchmark would use it");
    }
    let runtime = fixture::runtime()?;
    let (url, stop_hub, codes) = runtime.block_on(async {
        let hub = SqliteHub::open(&dir.join("lag-hub.sqlite3")).await?;
        let venues = fixture::venues(&hub, 1).await?;
        let codes = [
            fixture::enrolment_code(&hub, venues[0]).await?,
            fixture::enrolment_code(&hub, venues[0]).await?,
        ];
        let (url, stop) = spawn_on_loopback(hub, fixture::settings(2)).await?;
        Ok::<_, anyhow::Error>((url, stop, codes))
    })?;
    let [code_a, code_b] = codes;
    let a = RunningConsole::start(dir.join("lag-console-a"), url.clone(), code_a)?;
    let b = RunningConsole::start(dir.join("lag-console-b"), url, code_b)?;
    let measured = measure(options, &a, &b);
    let stopped = a.stop().and(b.stop());
    let _ = stop_hub.send(());
    let (quiet, loaded, written, missing) = measured?;
    stopped?;

    let mut quiet = quiet;
    let mut loaded = loaded;
    let baseline = quantile(&mut quiet, 0.5);
    let p50 = quantile(&mut loaded, 0.5);
    let p99 = quantile(&mut loaded, 0.99);
    let max = quantile(&mut loaded, 1.0);
    line(
        "sync.live_lag_p99",
        p99,
        "ms",
        baseline,
        p99 / baseline.max(1e-9),
        json!({
            "goal": "<= 500 ms",
            "p50_ms": (p50 * 10.0).round() / 10.0,
            "max_ms": (max * 10.0).round() / 10.0,
            "rate_per_second": options.lag_rate,
            "seconds": options.lag_seconds,
            "written": written,
            "missing": missing,
            "baseline_is": "p50 lag of single guests written while quiet",
        }),
    )?;
    if missing > 0 {
        anyhow::bail!(
            "{missing} of {written} guests did not reach console B within {} s",
            GIVE_UP.as_secs()
        );
    }
    Ok(())
}

/// Lags while quiet and under load (ms), guests written under load, and how many never came.
fn measure(
    options: &Options,
    a: &RunningConsole,
    b: &RunningConsole,
) -> anyhow::Result<(Vec<f64>, Vec<f64>, u64, u64)> {
    let mut writer = Writer::open(&a.db())?;
    let mut watcher = Watcher::open(&b.db())?;
    let mut seen = HashMap::new();

    // Quiet: one guest at a time, each waited for (the first also waits for both consoles'
    // first passes and live channels).
    let mut quiet = Vec::new();
    for _ in 0..=PROBES {
        let (ids, at) = writer.write(1)?;
        let id = ids.first().context("one guest written")?;
        while !seen.contains_key(id) {
            if at.elapsed() > GIVE_UP {
                anyhow::bail!("a guest written on console A never reached console B");
            }
            std::thread::sleep(LOOK);
            watcher.look(&mut seen)?;
        }
        quiet.push(lag_ms(seen[id], at));
        std::thread::sleep(Duration::from_millis(500));
    }
    // The first waited for start-up too.
    quiet.remove(0);

    // Loaded: the writer on a thread of its own at the rate, the watcher here.
    let per_tick = f64::from(options.lag_rate) * TICK.as_secs_f64();
    let seconds = options.lag_seconds;
    let db = a.db();
    let writing = std::thread::spawn(move || -> anyhow::Result<HashMap<String, Instant>> {
        let mut writer = Writer::open(&db)?;
        writer.next = 1_000_000;
        let mut written = HashMap::new();
        let started = Instant::now();
        let mut owed = 0.0;
        let mut tick = 0u32;
        while started.elapsed() < Duration::from_secs(seconds) {
            tick += 1;
            owed += per_tick;
            let count = owed.floor() as u64;
            owed -= count as f64;
            if count > 0 {
                let (ids, at) = writer.write(count)?;
                written.extend(ids.into_iter().map(|id| (id, at)));
            }
            // Paced against the start, so a slow commit does not lower the rate.
            let next = started + TICK * tick;
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        Ok(written)
    });
    while !writing.is_finished() {
        std::thread::sleep(LOOK);
        watcher.look(&mut seen)?;
    }
    let written = writing
        .join()
        .map_err(|_| anyhow::anyhow!("the writer thread panicked"))??;
    let deadline = Instant::now() + GIVE_UP;
    while written.keys().any(|id| !seen.contains_key(id)) && Instant::now() < deadline {
        std::thread::sleep(LOOK);
        watcher.look(&mut seen)?;
    }
    let mut loaded = Vec::new();
    let mut missing = 0;
    for (id, at) in &written {
        match seen.get(id) {
            Some(arrived) => loaded.push(lag_ms(*arrived, *at)),
            None => missing += 1,
        }
    }
    Ok((quiet, loaded, written.len() as u64, missing))
}

fn lag_ms(arrived: Instant, written: Instant) -> f64 {
    arrived.saturating_duration_since(written).as_secs_f64() * 1000.0
}
