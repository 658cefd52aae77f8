//! `hub.connection_memory`: one hub process (this binary again, `hub-serve`, so its RSS is its
//! own) with many simulated consoles, each enrolled with its own token, holding the live
//! channel open and pushing a few guests now and then. Memory per console is the growth of the
//! hub's RSS over its reading with no console connected, divided by the consoles; the push
//! latency under that load is set against one console's alone on the same process.

use super::fixture::{self, quantile};
use super::workload::guest;
use super::Options;
use crate::report::line;
use anyhow::Context as _;
use serde_json::json;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;
use venue_core::sync::HubClient;
use venue_domain::sync::PROTOCOL_VERSION;
use venue_domain::wire::PushRequest;
use venue_domain::{ChangeOp, ChangeRecord, EntityKind, Hlc, NodeId, Origin};
use venue_http::secrets::Secret;
use venue_hub::server::spawn_on_loopback;
use venue_hub::store::SqliteHub;

/// Guests a console pushes at a time.
const PUSH_SIZE: usize = 20;
/// How often each console pushes.
const PUSH_EVERY: Duration = Duration::from_secs(2);
/// Consoles per venue: a group's venues, each with a few desks and tills.
const CONSOLES_PER_VENUE: usize = 10;

/// `hub-serve`: serves the hub store at `db` on a loopback port, prints its URL, and stops
/// when its standard input closes (the benchmark that started it is done or gone).
pub fn serve(db: &Path, consoles: usize) -> anyhow::Result<()> {
    let runtime = fixture::runtime()?;
    let (url, stop) = runtime.block_on(async {
        let store = SqliteHub::open(db).await?;
        Ok::<_, anyhow::Error>(spawn_on_loopback(store, fixture::settings(consoles)).await?)
    })?;
    println!("{url}");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    let _ = stop.send(());
    Ok(())
}

/// The hub child, killed when dropped.
struct HubProcess {
    child: Child,
    url: String,
}

impl HubProcess {
    fn start(db: &Path, consoles: usize) -> anyhow::Result<HubProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("hub-serve")
            .arg("--db")
            .arg(db)
            .arg("--consoles")
            .arg(consoles.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the hub process")?;
        let stdout = child.stdout.take().context("the hub's stdout")?;
        let mut url = String::new();
        BufReader::new(stdout).read_line(&mut url)?;
        let url = url.trim().to_string();
        if !url.starts_with("http://") {
            anyhow::bail!("the hub process did not say where it listens");
        }
        Ok(HubProcess { child, url })
    }

    /// The process's resident set, bytes.
    fn rss(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .context("VmRSS in /proc/PID/status")?;
        Ok(kb * 1024)
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A simulated console: its node, venue, client and open live channel.
struct SimConsole {
    node: NodeId,
    venue: Uuid,
    client: HubClient,
    token: Secret,
}

impl SimConsole {
    fn page(&self, pushes: u64) -> anyhow::Result<PushRequest> {
        let now = chrono::Utc::now().timestamp_millis() as u64;
        let changes = (0..PUSH_SIZE)
            .map(|i| {
                let n = pushes * PUSH_SIZE as u64 + i as u64;
                let row = guest(
                    self.venue,
                    "desk",
                    format!("{}-{n}", self.node.0.simple()),
                    n,
                );
                serde_json::to_value(ChangeRecord {
                    change_id: venue_domain::new_id(),
                    venue_id: self.venue,
                    entity: EntityKind::Customer,
                    entity_id: row.id,
                    op: ChangeOp::Upsert,
                    payload: serde_json::to_value(&row)?,
                    hlc: Hlc::new(now, i as u16),
                    node: self.node,
                    origin: Origin::User,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PushRequest {
            protocol: PROTOCOL_VERSION,
            schema: 1,
            node: self.node,
            changes,
        })
    }

    /// Holds the live channel open until `stop`, reading what it announces.
    async fn listen(
        url: String,
        token: Secret,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<u64> {
        let http = venue_http::tls::client_builder()?
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        let mut response = http
            .get(format!("{}/v1/sync/live", url.trim_end_matches('/')))
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await?
            .error_for_status()?;
        let mut bytes = 0u64;
        loop {
            tokio::select! {
                _ = stop.changed() => return Ok(bytes),
                chunk = response.chunk() => match chunk? {
                    Some(chunk) => bytes += chunk.len() as u64,
                    None => anyhow::bail!("the hub closed a live channel"),
                },
            }
        }
    }

    /// Pushes a page every [`PUSH_EVERY`] (starting after `offset`) until `until`; each
    /// push's latency, ms.
    async fn push_now_and_then(
        &self,
        offset: Duration,
        until: Instant,
    ) -> anyhow::Result<Vec<f64>> {
        tokio::time::sleep(offset).await;
        let mut latencies = Vec::new();
        let mut pushes = 0;
        while Instant::now() < until {
            let page = self.page(pushes)?;
            let started = Instant::now();
            self.client.push(&page).await?;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            pushes += 1;
            tokio::time::sleep(PUSH_EVERY).await;
        }
        Ok(latencies)
    }
}

pub fn run(options: &Options, dir: &Path) -> anyhow::Result<()> {
    let consoles = options.memory_consoles;
    let db = dir.join("memory-hub.sqlite3");
    let runtime = fixture::runtime()?;
    // The venues and one code per console, written before the hub process opens the file.
    let codes: Vec<(Uuid, String)> = runtime.block_on(async {
        let hub = SqliteHub::open(&db).await?;
        let venues = fixture::venues(&hub, consoles.div_ceil(CONSOLES_PER_VENUE)).await?;
        let mut codes = Vec::new();
        for n in 0..consoles {
            let venue = venues[n / CONSOLES_PER_VENUE];
            codes.push((venue, fixture::enrolment_code(&hub, venue).await?));
        }
        Ok::<_, anyhow::Error>(codes)
    })?;
    let hub = HubProcess::start(&db, consoles)?;
    runtime.block_on(measure(options, &hub, codes))
}

async fn enrol_all(url: &str, codes: Vec<(Uuid, String)>) -> anyhow::Result<Vec<SimConsole>> {
    let mut consoles = Vec::new();
    for (venue, code) in codes {
        let node = NodeId::generate();
        let token = fixture::enroll(url, &code, node).await?;
        consoles.push(SimConsole {
            node,
            venue,
            client: HubClient::new(url, Some(token.clone()))?,
            token,
        });
    }
    Ok(consoles)
}

async fn measure(
    options: &Options,
    hub: &HubProcess,
    codes: Vec<(Uuid, String)>,
) -> anyhow::Result<()> {
    let n = codes.len();
    let seconds = Duration::from_secs(options.memory_seconds);
    let consoles = std::sync::Arc::new(enrol_all(&hub.url, codes).await?);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    // One console alone first: the latency baseline, and the hub warmed up.
    let alone = {
        let listening = tokio::spawn(SimConsole::listen(
            hub.url.clone(),
            consoles[0].token.clone(),
            stop_rx.clone(),
        ));
        let mut latencies = Vec::new();
        for pushes in 0..50 {
            let page = consoles[0].page(1_000_000 + pushes)?;
            let started = Instant::now();
            consoles[0].client.push(&page).await?;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let _ = stop_tx.send(true);
        listening.await??;
        latencies
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = hub.rss()?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut streams = Vec::new();
    for console in consoles.iter() {
        streams.push(tokio::spawn(SimConsole::listen(
            hub.url.clone(),
            console.token.clone(),
            stop_rx.clone(),
        )));
    }
    let until = Instant::now() + seconds;
    let mut pushers = Vec::new();
    for i in 0..n {
        let consoles = consoles.clone();
        // Spread over the interval, as consoles' passes fall at any time.
        let offset = PUSH_EVERY.mul_f64(i as f64 / n as f64);
        pushers.push(tokio::spawn(async move {
            consoles[i].push_now_and_then(offset, until).await
        }));
    }
    let mut peak = hub.rss()?;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(250)).await;
        peak = peak.max(hub.rss()?);
    }
    let mut latencies = Vec::new();
    for pusher in pushers {
        latencies.extend(pusher.await??);
    }
    let loaded = hub.rss()?;
    let _ = stop_tx.send(true);
    let mut announced = 0u64;
    for stream in streams {
        announced += stream.await??;
    }

    let per_console = loaded.saturating_sub(idle) as f64 / n as f64;
    let mut alone = alone;
    let alone_p99 = quantile(&mut alone, 0.99);
    let p50 = quantile(&mut latencies, 0.5);
    let p99 = quantile(&mut latencies, 0.99);
    line(
        "hub.connection_memory",
        per_console,
        "bytes/console",
        idle as f64,
        loaded as f64 / idle.max(1) as f64,
        json!({
            "backend": "SQLite",
            "consoles": n,
            "venues": n.div_ceil(CONSOLES_PER_VENUE),
            "rss_idle_bytes": idle,
            "rss_loaded_bytes": loaded,
            "rss_peak_bytes": peak,
            "seconds": options.memory_seconds,
            "live_bytes_read": announced,
            "baseline_is": "the hub's RSS with no console connected (after one console's warm-up)",
        }),
    )?;
    line(
        "hub.push_latency_p99_under_load",
        p99,
        "ms",
        alone_p99,
        p99 / alone_p99.max(1e-9),
        json!({
            "consoles": n,
            "pushes": latencies.len(),
            "changes_per_push": PUSH_SIZE,
            "p50_ms": (p50 * 10.0).round() / 10.0,
            "baseline_is": "p99 of 50 pushes by one console alone on the same hub process",
        }),
    )
}
