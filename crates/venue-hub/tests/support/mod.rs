//! A hub on a loopback port for tests, on either backend: SQLite in a temp dir, or a database
//! of its own on the PostgreSQL at 127.0.0.1:5432, owned by an ordinary role (so row-level
//! security applies), dropped at the end.
#![allow(dead_code, reason = "each test file uses part of the support")]

pub mod postgres;

use uuid::Uuid;
use venue_hub::server::{credentials, spawn_on_loopback, HubSettings};
use venue_hub::store::{AnyHub, HubStore, NewVenue, PostgresHub, SqliteHub};

/// An HTTP client as a console has one (reqwest on rustls with ring, the workspace's provider).
/// The hub's `/metrics` text.
#[allow(dead_code, reason = "not every test file reads the metrics")]
pub async fn metrics(base: &str) -> String {
    http()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Hub {
    pub base: String,
    pub store: AnyHub,
    org: Uuid,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<postgres::TestDatabase>,
}

impl Hub {
    pub async fn start(backend: Backend) -> Hub {
        Self::start_with(backend, HubSettings::default()).await
    }

    pub async fn start_with(backend: Backend, settings: HubSettings) -> Hub {
        let (store, dir, pg) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let store = SqliteHub::open(&dir.path().join("hub.sqlite3"))
                    .await
                    .unwrap();
                (AnyHub::Sqlite(store), Some(dir), None)
            }
            Backend::Postgres => {
                let db = postgres::TestDatabase::create().await;
                let store = PostgresHub::connect(&db.url).await.unwrap();
                (AnyHub::Postgres(store), None, Some(db))
            }
        };
        let (base, stop) = spawn_on_loopback(store.clone(), settings).await.unwrap();
        let org = store
            .create_org(&format!("Group {}", Uuid::new_v4()))
            .await
            .unwrap();
        Hub {
            base,
            store,
            org,
            stop: Some(stop),
            _dir: dir,
            pg,
        }
    }

    pub async fn venue(&self, name: &str) -> Uuid {
        let venue = NewVenue {
            name: name.to_string(),
            timezone: "Europe/Lisbon".to_string(),
            currency: "EUR".to_string(),
            capacity: Some(120),
        };
        self.store.add_venue(self.org, venue).await.unwrap()
    }

    async fn code_until(&self, venue: Uuid, expires: chrono::DateTime<chrono::Utc>) -> String {
        let code = credentials::new_code().unwrap();
        let hash = credentials::hash_code(&code).unwrap();
        self.store
            .create_enrollment(venue, &hash, expires)
            .await
            .unwrap();
        code
    }

    /// A one-time enrolment code for `venue`, good for an hour.
    pub async fn code(&self, venue: Uuid) -> String {
        self.code_until(venue, chrono::Utc::now() + chrono::Duration::hours(1))
            .await
    }

    pub async fn expired_code(&self, venue: Uuid) -> String {
        self.code_until(venue, chrono::Utc::now() - chrono::Duration::seconds(1))
            .await
    }

    pub async fn revoke_all_of(&self, venue: Uuid) {
        for d in self.store.list_devices(None).await.unwrap() {
            if d.venue_id == venue {
                self.store
                    .revoke_device(d.id, chrono::Utc::now())
                    .await
                    .unwrap();
            }
        }
    }

    /// A second hub process on this hub's PostgreSQL database: a pool and a server of its own.
    /// Returns its base URL and what stops it.
    pub async fn second_process(
        &self,
        settings: HubSettings,
    ) -> (String, PostgresHub, tokio::sync::oneshot::Sender<()>) {
        let db = self.pg.as_ref().expect("a second process needs PostgreSQL");
        let store = PostgresHub::connect(&db.url).await.unwrap();
        let (base, stop) = spawn_on_loopback(store.clone(), settings).await.unwrap();
        (base, store, stop)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Close the pool before the database goes.
        if let AnyHub::Postgres(s) = &self.store {
            s.close().await;
        }
        if let Some(db) = self.pg.take() {
            db.drop_now().await;
        }
    }
}
