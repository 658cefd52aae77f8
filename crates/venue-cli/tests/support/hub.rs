//! A hub's venues and the consoles that sync with it, shared by the hub tests: a console is a
//! data dir driven through the real `venue` binary, with its device token in the environment
//! (no keyring on these machines).

use super::{init_args, ok, ok_json, venue, venue_command};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;
use venue_hub::server::credentials;
use venue_hub::store::{HubStore, NewVenue};
use venue_store::Store;

/// A console: its data dir, once joined its device token, what its environment adds, and how
/// far its machine's clock is off (its `venue` runs under `faketime`, and the test's own writes
/// open its store with the same skew).
pub struct Console {
    pub data: PathBuf,
    pub token: Option<String>,
    pub env: Vec<(String, String)>,
    pub clock_off_ms: i64,
}

impl Console {
    pub fn new(root: &Path, name: &str, venue_name: &str) -> Console {
        let data = root.join(name);
        ok(venue(
            &data,
            &init_args(venue_name, "Europe/Berlin", "EUR", "50"),
        ));
        Console {
            data,
            token: None,
            env: Vec::new(),
            clock_off_ms: 0,
        }
    }

    /// `venue ARGS` with this console's token, and no keyring to reach.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = match self.clock_off_ms {
            0 => venue_command(&self.data),
            off => {
                // The wall clock is faked, the monotonic one is not (as on a machine whose RTC
                // is wrong): the store's jump detection sees a steady clock.
                let mut cmd = Command::new("faketime");
                cmd.arg("-f")
                    .arg(format!("{:+}s", off / 1000))
                    .arg(env!("CARGO_BIN_EXE_venue"))
                    .arg("--data-dir")
                    .arg(&self.data)
                    .env_remove("VENUE_DATA_DIR")
                    .env("VENUE_LOG", "warn")
                    .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
                cmd
            }
        };
        cmd.args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env_remove("VENUE_SECRET_HUB_TOKEN");
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        if let Some(token) = &self.token {
            cmd.env("VENUE_SECRET_HUB_TOKEN", token);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run venue")
    }

    /// Joins the hub at `url` with a one-time code; the token is kept for later commands.
    pub fn join(&mut self, url: &str, code: &str) -> Value {
        let joined = ok_json(self.run(&["hub", "join", url, "--code", code, "--json"]));
        // No keyring here: the token is handed over once, for the environment.
        assert_eq!(joined["token_stored_in"], "environment", "{joined}");
        assert_eq!(joined["token_env"], "VENUE_SECRET_HUB_TOKEN");
        self.token = Some(joined["token_to_set"].as_str().expect("token").to_string());
        joined
    }

    /// One `venue sync --json` pass that must succeed.
    pub fn sync(&self) -> Value {
        ok_json(self.run(&["sync", "--json"]))
    }

    /// This console's store, opened by the test as another process would.
    pub fn store(&self) -> Store {
        Store::open_skewed(&self.data.join(venue_store::DB_FILE), self.clock_off_ms).expect("store")
    }

    /// A guest written on this console (no contacts: they stay on the console that wrote them).
    pub fn write_guest(&self, external_id: &str, name: &str) {
        let mut store = self.store();
        let guest = guest(&store, external_id, name);
        store
            .save_by_user("test", "customer.create", &guest)
            .expect("guest");
    }

    /// `count` guests `PREFIX-0`… written in one import (one change each).
    pub fn write_guests(&self, store: &mut Store, prefix: &str, count: usize) {
        let guests: Vec<_> = (0..count)
            .map(|n| guest(store, &format!("{prefix}-{n}"), "Many"))
            .collect();
        for chunk in guests.chunks(10_000) {
            store
                .ingest(venue_core::domain::Origin::Pms, None, chunk)
                .expect("guests");
        }
    }

    /// The guests here, sorted by id, as `venue export` writes them.
    pub fn guests(&self) -> Vec<Value> {
        let out = ok(self.run(&["export", "customers", "--format", "json"]));
        let mut rows: Vec<Value> = serde_json::from_slice::<Value>(&out.stdout)
            .expect("JSON")
            .as_array()
            .expect("an array")
            .clone();
        rows.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_string());
        rows
    }

    pub fn venue_row(&self) -> Value {
        ok_json(self.run(&["status", "--json"]))["venue"].clone()
    }

    /// `venue run`, its log in the data dir.
    pub fn spawn_run(&self) -> Child {
        let log = std::fs::File::create(self.data.join("run.log")).expect("log");
        self.command(&["run"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("venue run")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("run.log")).unwrap_or_default()
    }

    /// A read-only look at this console's store while another process may write it.
    pub fn read_only(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_with_flags(
            self.data.join(venue_store::DB_FILE),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open");
        conn.busy_timeout(Duration::from_secs(5)).expect("timeout");
        conn
    }

    /// How many rows `sql` (a `SELECT count(*)`) counts in this console's store.
    pub fn count(&self, sql: &str) -> i64 {
        self.read_only()
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .expect("count")
    }

    /// Whether this console's store holds the guest (read as the app's screens would).
    pub fn has_guest(&self, external_id: &str) -> bool {
        self.read_only()
            .query_row(
                "SELECT count(*) FROM customers WHERE external_id = ?1",
                [external_id],
                |r| r.get::<_, i64>(0),
            )
            .expect("query")
            > 0
    }
}

/// A guest of the store's venue, its id derived from where it comes from.
pub fn guest(store: &Store, external_id: &str, name: &str) -> venue_core::domain::Customer {
    let venue = store.venue().expect("venue").expect("a venue");
    venue_store::identified(venue_core::domain::Customer {
        id: venue_core::domain::new_id(),
        venue_id: venue.id,
        source: "mews".into(),
        external_id: external_id.into(),
        first_name: Some(name.into()),
        last_name: Some("Guest".into()),
        email: None,
        phone: None,
        classifications: vec![],
        notes: None,
        updated_at_source: None,
    })
}

/// The external ids of `rows`, sorted.
pub fn external_ids(rows: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r["external_id"].as_str().expect("external id").to_string())
        .collect();
    ids.sort();
    ids
}

/// A one-time code enrolling one console into `venue`, valid for an hour.
pub async fn enrolment_code<S: HubStore>(hub: &S, venue: Uuid) -> String {
    let code = credentials::new_code().expect("code");
    let hash = credentials::hash_code(&code).expect("hash");
    hub.create_enrollment(
        venue,
        &hash,
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .await
    .expect("enrolment");
    code
}

/// A venue added to `org`.
pub async fn add_venue<S: HubStore>(hub: &S, org: Uuid, name: &str, timezone: &str) -> Uuid {
    hub.add_venue(
        org,
        NewVenue {
            name: name.into(),
            timezone: timezone.into(),
            currency: "EUR".into(),
            capacity: Some(80),
        },
    )
    .await
    .expect("venue")
}

/// Asks `child` to stop (SIGTERM), and kills it if it has not within 20 s.
pub fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.wait();
}

/// Waits until `ready` holds, failing with `what` (and `context()`) after `limit`.
pub fn wait_until(
    what: &str,
    limit: Duration,
    mut ready: impl FnMut() -> bool,
    context: impl Fn() -> String,
) {
    let started = Instant::now();
    while !ready() {
        if started.elapsed() > limit {
            panic!("{what}: not within {} s\n{}", limit.as_secs(), context());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
