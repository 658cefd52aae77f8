//! A hub in a process of its own, to kill -9 and restart on the same database and port.
//!
//! Tests of venue-cli cannot name the `venue-hub` binary (it is another package's), and running
//! cargo from a test would wait on the build lock the test run holds. So the test binary runs
//! itself: with [`HUB_DATABASE_ENV`] set, an ignored helper test serves a hub from the
//! venue-hub library ([`serve_if_asked`]) until it is killed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use venue_hub::database::Database;
use venue_hub::server::listen::{serve, Listen};
use venue_hub::server::{router, AppState, HubSettings};
use venue_hub::store::AnyHub;

/// The database the helper serves (a SQLite file or a postgres:// URL).
pub const HUB_DATABASE_ENV: &str = "VENUE_TEST_HUB_DATABASE";
/// The address the helper listens on (127.0.0.1:0 for any free port).
pub const HUB_LISTEN_ENV: &str = "VENUE_TEST_HUB_LISTEN";

/// How long a hub may take to start on a loaded machine before the test fails.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A hub process serving `database`.
pub struct HubProcess {
    child: Option<Child>,
    /// The helper test that serves (its full name in the test binary).
    helper: String,
    pub database: String,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl HubProcess {
    /// Starts a hub on a free loopback port; `helper` names the ignored test that serves.
    pub fn start(helper: &str, database: &str, log: &Path) -> HubProcess {
        let (child, addr) = spawn(helper, database, "127.0.0.1:0", log);
        HubProcess {
            child: Some(child),
            helper: helper.to_string(),
            database: database.to_string(),
            addr,
            log: log.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no shutdown, no flush, whatever it was doing.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same database and port.
    pub fn restart(&mut self) {
        self.kill9();
        let (child, addr) = spawn(
            &self.helper,
            &self.database,
            &self.addr.to_string(),
            &self.log,
        );
        assert_eq!(addr, self.addr, "the hub came back on another address");
        self.child = Some(child);
    }

    /// The hub's log so far (JSON lines), for a failure message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn spawn(helper: &str, database: &str, listen: &str, log: &Path) -> (Child, SocketAddr) {
    let exe = std::env::current_exe().expect("the test binary");
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("hub log");
    let mut child = Command::new(exe)
        .args([
            helper,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HUB_DATABASE_ENV, database)
        .env(HUB_LISTEN_ENV, listen)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .expect("spawn the hub process");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            // libtest's "test hub_process ... " precedes it on the same line.
            let Some(start) = line.find("{\"listening\"") else {
                continue;
            };
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line[start..]) {
                if let Some(addr) = value["listening"].as_str() {
                    let _ = tx.send(addr.to_string());
                }
            }
        }
    });
    match rx.recv_timeout(START_LIMIT) {
        Ok(addr) => (child, addr.parse().expect("an address")),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the hub process did not listen within {} s: {}",
                START_LIMIT.as_secs(),
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
    }
}

/// In the helper test: serves a hub on the database and address in the environment until the
/// process is killed; does nothing when they are not set (a plain `--ignored` run).
pub fn serve_if_asked() {
    let (Ok(database), Ok(listen)) = (
        std::env::var(HUB_DATABASE_ENV),
        std::env::var(HUB_LISTEN_ENV),
    ) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let database = Database::from_arg(Some(&database)).expect("database");
        let store = AnyHub::open(&database)
            .await
            .expect("open the hub's database");
        let listen = Listen {
            addr: listen.parse().expect("listen address"),
            tls: None,
            insecure_http: false,
        };
        serve(
            router(AppState::new(store, HubSettings::default())),
            listen,
            |bound| {
                println!("{}", serde_json::json!({"listening": bound.to_string()}));
            },
            std::future::pending::<()>(),
        )
        .await
        .expect("serve");
    });
}
