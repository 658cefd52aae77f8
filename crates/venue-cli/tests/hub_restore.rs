//! `venue hub restore` end to end: a real hub (SQLite, in-process on 127.0.0.1:0) and the real
//! `venue` binary. A console writes sales, guests, stays, desk notes, charges and door readings
//! and syncs; its data dir is deleted; a restore into a new dir gives back the same rows (table
//! contents, daily sums and rollups), its audit lines and fetch runs included. A second console
//! still syncs with the restored one both ways; a restore cut short by a failing hub carries on
//! and never applies a change twice; a code of another venue restores nothing of this one; and a
//! data dir that is not empty is refused, the code left unspent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use rusqlite::types::Value as Sql;
use std::future::Future;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use support::{init_args, ok, ok_json, stderr, venue, venue_command};
use uuid::Uuid;
use venue_core::domain::{
    ChargeState, Customer, Origin, PmsCharge, SensorDevice, SensorReading, Transaction,
    TransactionStatus, Venue,
};
use venue_hub::server::{credentials, spawn_on_loopback, HubSettings};
use venue_hub::store::{
    Announcements, Device, Grant, HubStore, HubStoreError, IncomingRow, Manager, NewVenue,
    PulledPage, Result as HubResult, RowOutcome, SqliteHub, StoredConflict, VenueRow, VenueStats,
};
use venue_store::{Record, Store};

/// The hub's store, made to fail every pull once `pulls_left` runs out (a hub that dies half
/// way through a restore); unlimited until a test sets it.
#[derive(Clone)]
struct FailingHub {
    inner: SqliteHub,
    pulls_left: Arc<AtomicI64>,
}

impl HubStore for FailingHub {
    fn create_org(&self, name: &str) -> impl Future<Output = HubResult<Uuid>> + Send {
        self.inner.create_org(name)
    }
    fn add_venue(
        &self,
        org: Uuid,
        venue: NewVenue,
    ) -> impl Future<Output = HubResult<Uuid>> + Send {
        self.inner.add_venue(org, venue)
    }
    fn venue(&self, id: Uuid) -> impl Future<Output = HubResult<Option<VenueRow>>> + Send {
        self.inner.venue(id)
    }
    fn create_enrollment(
        &self,
        venue: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = HubResult<()>> + Send {
        self.inner.create_enrollment(venue, code_hash, expires_at)
    }
    fn redeem_enrollment(
        &self,
        code_hash: &str,
        node: Uuid,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = HubResult<Device>> + Send {
        self.inner
            .redeem_enrollment(code_hash, node, token_hash, now)
    }
    fn device_by_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = HubResult<Option<Device>>> + Send {
        self.inner.device_by_token(token_hash)
    }
    fn touch_device(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> impl Future<Output = HubResult<()>> + Send {
        self.inner.touch_device(id, now)
    }
    fn list_devices(
        &self,
        org: Option<Uuid>,
    ) -> impl Future<Output = HubResult<Vec<Device>>> + Send {
        self.inner.list_devices(org)
    }
    fn revoke_device(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> impl Future<Output = HubResult<()>> + Send {
        self.inner.revoke_device(id, now)
    }
    fn add_manager(
        &self,
        org: Uuid,
        email: &str,
        password_hash: &str,
        grant: Grant,
    ) -> impl Future<Output = HubResult<Uuid>> + Send {
        self.inner.add_manager(org, email, password_hash, grant)
    }
    fn manager_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = HubResult<Option<Manager>>> + Send {
        self.inner.manager_by_email(email)
    }
    fn push(
        &self,
        venue: Uuid,
        changes: &[IncomingRow],
    ) -> impl Future<Output = HubResult<Vec<RowOutcome>>> + Send {
        self.inner.push(venue, changes)
    }
    async fn pull(
        &self,
        venue: Uuid,
        exclude_node: Option<Uuid>,
        after_seq: i64,
        limit: u32,
        only_down: bool,
    ) -> HubResult<PulledPage> {
        if self.pulls_left.fetch_sub(1, Ordering::SeqCst) <= 0 {
            return Err(HubStoreError::Unavailable(
                "the test's hub fails from here on".into(),
            ));
        }
        self.inner
            .pull(venue, exclude_node, after_seq, limit, only_down)
            .await
    }
    fn conflicts(
        &self,
        venue: Uuid,
        limit: u32,
    ) -> impl Future<Output = HubResult<Vec<StoredConflict>>> + Send {
        self.inner.conflicts(venue, limit)
    }
    fn venue_stats(&self, venue: Uuid) -> impl Future<Output = HubResult<VenueStats>> + Send {
        self.inner.venue_stats(venue)
    }
    fn newest_changes(
        &self,
    ) -> impl Future<Output = HubResult<Vec<(Uuid, chrono::DateTime<chrono::Utc>)>>> + Send {
        self.inner.newest_changes()
    }
    fn ready(&self) -> impl Future<Output = HubResult<()>> + Send {
        self.inner.ready()
    }
    fn announcements(&self) -> impl Future<Output = HubResult<Announcements>> + Send {
        self.inner.announcements()
    }
}

/// `venue ARGS` in `data` with `token`, and no keyring to reach.
fn command(data: &Path, token: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = venue_command(data);
    cmd.args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("VENUE_SECRET_HUB_TOKEN");
    if let Some(token) = token {
        cmd.env("VENUE_SECRET_HUB_TOKEN", token);
    }
    cmd
}

fn run(data: &Path, token: Option<&str>, args: &[&str]) -> Output {
    command(data, token, args).output().expect("run venue")
}

/// Joins the hub; the token comes back for the environment (no keyring here).
fn join(data: &Path, url: &str, code: &str) -> String {
    let joined = ok_json(run(
        data,
        None,
        &["hub", "join", url, "--code", code, "--json"],
    ));
    joined["token_to_set"].as_str().expect("token").to_string()
}

fn restore(data: &Path, token: Option<&str>, url: &str, code: &str) -> Output {
    run(
        data,
        token,
        &["hub", "restore", url, "--code", code, "--json"],
    )
}

fn open(data: &Path) -> Store {
    Store::open(&data.join(venue_store::DB_FILE)).expect("store")
}

fn the_venue(data: &Path) -> Venue {
    open(data).venue().expect("venue").expect("a venue")
}

/// Sales on three days, door readings and a pending and a sent charge, written as the
/// connectors, the door counters and the desk write them.
fn write_more(data: &Path, sales: u64) {
    let mut store = open(data);
    let venue = store.venue().expect("venue").expect("a venue");
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("time");
    let sales: Vec<Transaction> = (0..sales)
        .map(|n| {
            let external_id = format!("RESTORE-{n:06}");
            let total = 500 + (n * 7919 % 4_000) as i64;
            let closed = start + Duration::seconds((n * 23) as i64);
            Transaction {
                id: venue_core::domain::natural::transaction(venue.id, "till", &external_id),
                venue_id: venue.id,
                source: "till".into(),
                external_id,
                location_id: Some(format!("L{}", n % 2)),
                status: TransactionStatus::Completed,
                opened_at: Some(closed - Duration::minutes(9)),
                closed_at: closed,
                currency: venue.currency,
                total_minor: total,
                tax_minor: total / 6,
                tip_minor: total / 10,
                discount_minor: 0,
                refunded_minor: if n % 41 == 0 { total } else { 0 },
            }
        })
        .collect();
    store
        .ingest(Origin::Connector, None, &sales)
        .expect("sales");
    let device = venue_store::identified(SensorDevice {
        id: Uuid::nil(),
        venue_id: venue.id,
        name: "restore-door".into(),
        kind: "axis-a3dpc".into(),
        zone: Some("lobby".into()),
    });
    store
        .ingest(Origin::Sensor, None, std::slice::from_ref(&device))
        .expect("device");
    let readings: Vec<SensorReading> = (0..96)
        .map(|i| {
            let period_start = start + Duration::minutes(15 * i);
            venue_store::identified(SensorReading {
                id: Uuid::nil(),
                venue_id: venue.id,
                device_id: device.id,
                zone: Some("lobby".into()),
                period_start,
                period_end: period_start + Duration::minutes(15),
                entries: (i % 7) as u32,
                exits: (i % 5) as u32,
                occupancy: Some(i % 11),
            })
        })
        .collect();
    store
        .ingest(Origin::Sensor, None, &readings)
        .expect("readings");
    let reservation = store
        .export::<venue_core::domain::Reservation>(venue.id, None, None, |_| Ok(()))
        .expect("reservations");
    assert!(reservation > 0, "the demo has stays");
    for (i, state) in [ChargeState::Pending, ChargeState::Sent]
        .into_iter()
        .enumerate()
    {
        let charge = PmsCharge {
            id: venue_core::domain::new_id(),
            venue_id: venue.id,
            source: "mews".into(),
            reservation_id: any_reservation(&store, venue.id),
            reservation_external_id: format!("R-{i}"),
            item: format!("Minibar {i}"),
            amount_minor: 1_250 + i as i64,
            currency: venue.currency,
            state,
            attempts: i as u32,
            last_error: None,
            external_order_id: (state == ChargeState::Sent).then(|| "order-1".to_string()),
            requested_by: "Sam Front Desk (staff)".into(),
            requested_at: start,
            sent_at: (state == ChargeState::Sent).then_some(start),
        };
        store
            .save_by_user("Sam Front Desk (staff)", "pms.charge", &charge)
            .expect("charge");
    }
}

fn any_reservation(store: &Store, venue: Uuid) -> Uuid {
    let mut found = None;
    store
        .export::<venue_core::domain::Reservation>(venue, None, None, |r| {
            found.get_or_insert(r.id);
            Ok(())
        })
        .expect("reservations");
    found.expect("a reservation")
}

fn write_guest(data: &Path, external_id: &str) {
    let mut store = open(data);
    let venue = store.venue().expect("venue").expect("a venue");
    let guest = venue_store::identified(Customer {
        id: venue_core::domain::new_id(),
        venue_id: venue.id,
        source: "desk".into(),
        external_id: external_id.into(),
        first_name: Some("Walk".into()),
        last_name: Some("In".into()),
        email: None,
        phone: None,
        classifications: vec![],
        notes: None,
        updated_at_source: None,
    });
    store
        .save_by_user("test", "customer.create", &guest)
        .expect("guest");
}

/// Every row of `table` (sorted), the given columns only.
fn rows(data: &Path, table: &str, columns: &str, filter: &str) -> Vec<Vec<Sql>> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join(venue_store::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("read the store");
    let sql = format!("SELECT {columns} FROM {table} {filter} ORDER BY 1, 2, 3, 4");
    let mut stmt = conn.prepare(&sql).expect(&sql);
    let n = stmt.column_count();
    let out = stmt
        .query_map([], |row| (0..n).map(|i| row.get::<_, Sql>(i)).collect())
        .expect("query")
        .collect::<Result<Vec<Vec<Sql>>, _>>()
        .expect("rows");
    out
}

/// A synced table's rows as the sync sees them: every data column, the stamp and the writer.
fn synced<R: Record>(data: &Path, filter: &str) -> Vec<Vec<Sql>> {
    let columns = format!("{}, hlc, node_id", R::COLUMNS.join(", "));
    rows(data, R::TABLE, &columns, filter)
}

/// Everything that goes down to consoles, and what is derived from it.
fn shared_state(data: &Path) -> Vec<(String, Vec<Vec<Sql>>)> {
    use venue_core::domain::*;
    vec![
        ("venues".into(), synced::<Venue>(data, "")),
        ("transactions".into(), synced::<Transaction>(data, "")),
        ("customers".into(), synced::<Customer>(data, "")),
        ("locations".into(), synced::<Location>(data, "")),
        ("resources".into(), synced::<Resource>(data, "")),
        ("services".into(), synced::<Service>(data, "")),
        ("reservations".into(), synced::<Reservation>(data, "")),
        ("desk_notes".into(), synced::<DeskNote>(data, "")),
        ("pms_charges".into(), synced::<PmsCharge>(data, "")),
        ("sensor_devices".into(), synced::<SensorDevice>(data, "")),
        ("sensor_readings".into(), synced::<SensorReading>(data, "")),
        ("alerts".into(), synced::<Alert>(data, "")),
        ("recommendations".into(), synced::<Recommendation>(data, "")),
        ("daily_sales".into(), rows(data, "daily_sales", "*", "")),
        (
            "sensor_rollups".into(),
            rows(data, "sensor_rollups", "*", ""),
        ),
        (
            "sensor_zone_rollups".into(),
            rows(data, "sensor_zone_rollups", "*", ""),
        ),
    ]
}

/// The kinds that only go up, as `node` wrote them.
fn up_only_of(data: &Path, node: &str) -> Vec<(String, Vec<Vec<Sql>>)> {
    use venue_core::domain::*;
    let of = format!("WHERE node_id = '{node}'");
    vec![
        ("snapshots".into(), synced::<Snapshot>(data, &of)),
        (
            "audit_log".into(),
            synced::<AuditEntry>(data, &format!("{of} AND action <> 'hub.restore'")),
        ),
    ]
}

fn node_of(data: &Path) -> String {
    open(data).node_id().to_string()
}

fn count(data: &Path, table: &str) -> i64 {
    rows(data, table, "count(*), 0, 0, 0", "")[0][0]
        .clone()
        .try_into_i64()
}

trait IntoI64 {
    fn try_into_i64(self) -> i64;
}

impl IntoI64 for Sql {
    fn try_into_i64(self) -> i64 {
        match self {
            Sql::Integer(n) => n,
            other => panic!("not an integer: {other:?}"),
        }
    }
}

struct TestHub {
    url: String,
    pulls_left: Arc<AtomicI64>,
    store: SqliteHub,
    runtime: tokio::runtime::Runtime,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestHub {
    fn start(dir: &Path) -> (TestHub, Uuid, Uuid) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let pulls_left = Arc::new(AtomicI64::new(i64::MAX));
        let (url, stop, store, harbour, hill) = runtime.block_on(async {
            let store = SqliteHub::open(&dir.join("hub.sqlite3"))
                .await
                .expect("hub store");
            let org = store.create_org("Coast Group").await.expect("org");
            let mut venues = Vec::new();
            for (name, timezone, currency) in [
                ("Harbour Hotel", "Europe/London", "GBP"),
                ("Hill Bar", "Europe/Paris", "EUR"),
            ] {
                let venue = NewVenue {
                    name: name.into(),
                    timezone: timezone.into(),
                    currency: currency.into(),
                    capacity: Some(120),
                };
                venues.push(store.add_venue(org, venue).await.expect("venue"));
            }
            let failing = FailingHub {
                inner: store.clone(),
                pulls_left: pulls_left.clone(),
            };
            let (url, stop) = spawn_on_loopback(failing, HubSettings::default())
                .await
                .expect("hub");
            (url, stop, store, venues[0], venues[1])
        });
        let hub = TestHub {
            url,
            pulls_left,
            store,
            runtime,
            _stop: stop,
        };
        (hub, harbour, hill)
    }

    fn code(&self, venue: Uuid) -> String {
        self.runtime.block_on(async {
            let code = credentials::new_code().expect("code");
            let hash = credentials::hash_code(&code).expect("hash");
            self.store
                .create_enrollment(venue, &hash, Utc::now() + Duration::hours(1))
                .await
                .expect("enrolment");
            code
        })
    }
}

#[test]
fn a_console_whose_disk_died_gets_its_venue_back_from_the_hub() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (hub, harbour, hill) = TestHub::start(dir.path());
    let url = hub.url.clone();

    // The console that will die: the demo's sales, stays and fetch runs, guests' contacts
    // shared (so every column travels), more sales, door readings, charges, a desk note, staff.
    let lost = dir.path().join("lost");
    ok(venue(&lost, &["init", "--demo"]));
    ok(venue(&lost, &["venue", "--share-guest-contacts", "on"]));
    write_more(&lost, 6_000);
    let reservation = any_reservation(&open(&lost), the_venue(&lost).id).to_string();
    ok(venue(
        &lost,
        &["pms", "note", "--reservation", &reservation, "late arrival"],
    ));
    ok(command(
        &lost,
        None,
        &["staff", "add", "--name", "Robin", "--role", "admin"],
    )
    .env("VENUE_STAFF_PIN", "4321")
    .output()
    .expect("staff add"));
    let lost_token = join(&lost, &url, &hub.code(harbour));
    ok_json(run(&lost, Some(&lost_token), &["sync", "--json"]));

    // A second console of the venue joins and syncs; the lost one takes its changes too.
    let second = dir.path().join("second");
    ok(venue(
        &second,
        &init_args("Back office", "Europe/Berlin", "EUR", "50"),
    ));
    let second_token = join(&second, &url, &hub.code(harbour));
    ok_json(run(&second, Some(&second_token), &["sync", "--json"]));
    ok_json(run(&lost, Some(&lost_token), &["sync", "--json"]));
    let before = shared_state(&lost);
    let lost_node = node_of(&lost);
    let before_up_only = up_only_of(&lost, &lost_node);
    let second_audit = synced::<venue_core::domain::AuditEntry>(
        &second,
        &format!("WHERE node_id = '{}'", node_of(&second)),
    );
    assert!(!second_audit.is_empty());
    let transactions = count(&lost, "transactions");
    assert!(transactions > 6_000, "{transactions}");

    // The disk dies.
    std::fs::remove_dir_all(&lost).expect("the disk dies");

    // A data dir that is not empty is refused, and the code stays unspent.
    let code = hub.code(harbour);
    let refused = restore(&second, None, &url, &code);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("not empty"),
        "{}",
        stderr(&refused)
    );
    let stray = dir.path().join("stray");
    std::fs::create_dir_all(&stray).expect("dir");
    std::fs::write(stray.join("notes.txt"), "mine").expect("file");
    let refused = restore(&stray, None, &url, &code);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert_eq!(support::files_in(&stray), ["notes.txt"]);

    // The restore, into a new dir.
    let restored = dir.path().join("restored");
    let report = ok_json(restore(&restored, None, &url, &code));
    assert_eq!(report["venue_id"], harbour.to_string(), "{report}");
    assert_eq!(report["resumed"], false);
    assert_eq!(report["token_stored_in"], "environment");
    assert_eq!(report["outcomes"]["rejected"], 0, "{report}");
    assert_eq!(report["outcomes"]["duplicates"], 0, "{report}");
    assert!(report["pages"].as_u64().unwrap() >= 2, "{report}");
    for kind in [
        "transaction",
        "customer",
        "reservation",
        "snapshot",
        "audit",
        "desk_note",
        "pms_charge",
        "sensor_reading",
    ] {
        assert!(
            report["by_kind"][kind].as_u64().unwrap_or(0) > 0,
            "{kind} restored: {report}"
        );
    }
    assert_ne!(report["node"], lost_node.as_str(), "a new node id");
    let pending = report["pending_charges_elsewhere"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{report}");
    assert_eq!(pending[0]["node"], lost_node.as_str());
    assert_eq!(pending[0]["charges"], 1);
    let not_restored = report["not_restored"].to_string();
    for what in ["staff", "secrets", "notification"] {
        assert!(not_restored.contains(what), "{what}: {not_restored}");
    }
    let token = report["token_to_set"].as_str().expect("token").to_string();

    // The same rows, sums and rollups; the lost console's audit and fetch runs; the other
    // console's audit too (from every node).
    let after = shared_state(&restored);
    for ((table, was), (_, is)) in before.iter().zip(&after) {
        assert_same(table, was, is);
    }
    for ((table, was), (_, is)) in before_up_only
        .iter()
        .zip(&up_only_of(&restored, &lost_node))
    {
        assert!(!was.is_empty(), "{table}");
        assert_same(table, was, is);
    }
    assert_eq!(
        synced::<venue_core::domain::AuditEntry>(
            &restored,
            &format!("WHERE node_id = '{}'", node_of(&second)),
        ),
        second_audit
    );
    // Nothing restored is queued to go up again: only the restore's own audit line.
    let status = ok_json(run(&restored, Some(&token), &["sync", "status", "--json"]));
    assert_eq!(status["joined"], true, "{status}");
    assert_eq!(status["changes_waiting"], 1, "{status}");

    // Staff are console-only: none here, and the first admin is added as after `venue init`.
    let staff = ok_json(run(&restored, None, &["staff", "list", "--json"]));
    assert_eq!(staff.as_array().map(Vec::len), Some(0), "{staff}");
    ok(command(
        &restored,
        None,
        &["staff", "add", "--name", "Robin", "--role", "admin"],
    )
    .env("VENUE_STAFF_PIN", "4321")
    .output()
    .expect("staff add"));

    // The restored console and the second one sync both ways.
    write_guest(&restored, "after-restore");
    let up = ok_json(run(&restored, Some(&token), &["sync", "--json"]));
    assert_eq!(up["rejected"], 0, "{up}");
    let down = ok_json(run(&second, Some(&second_token), &["sync", "--json"]));
    assert!(down["pulled"].as_u64().unwrap() >= 1, "{down}");
    write_guest(&second, "at-the-back");
    ok_json(run(&second, Some(&second_token), &["sync", "--json"]));
    let back = ok_json(run(&restored, Some(&token), &["sync", "--json"]));
    assert!(back["pulled"].as_u64().unwrap() >= 1, "{back}");
    assert_eq!(
        synced::<Customer>(&restored, ""),
        synced::<Customer>(&second, "")
    );
    assert_eq!(
        rows(
            &restored,
            "customers",
            "external_id, 0, 0, 0",
            "WHERE external_id IN ('after-restore', 'at-the-back')"
        )
        .len(),
        2
    );

    // Cut short: the hub fails after one page; run again, the restore carries on.
    let cut = dir.path().join("cut");
    let code = hub.code(harbour);
    hub.pulls_left.store(1, Ordering::SeqCst);
    let failed = restore(&cut, None, &url, &code);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let applied_first = count(&cut, "applied_changes");
    assert_eq!(applied_first, 5_000, "one page applied");
    let marker = rows(
        &cut,
        "meta",
        "value, 0, 0, 0",
        "WHERE key = 'hub.restoring'",
    );
    assert_eq!(marker.len(), 1, "the restore is marked as under way");
    // The code is spent; the token from the first run is in the environment (no keyring).
    let cut_token = rows(&cut, "meta", "value, 0, 0, 0", "WHERE key = 'hub.url'");
    assert_eq!(cut_token.len(), 1);
    hub.pulls_left.store(i64::MAX, Ordering::SeqCst);
    let first_run = stderr(&failed);
    // Without the token the run cannot carry on, and says so.
    let no_token = restore(&cut, None, &url, &code);
    assert_eq!(no_token.status.code(), Some(1), "{}", stderr(&no_token));
    assert!(
        stderr(&no_token).contains("VENUE_SECRET_HUB_TOKEN"),
        "{}",
        stderr(&no_token)
    );
    let cut_token = token_of_failed_restore(&first_run);
    let resumed = ok_json(restore(&cut, Some(&cut_token), &url, &code));
    assert_eq!(resumed["resumed"], true, "{resumed}");
    assert_eq!(resumed["outcomes"]["duplicates"], 0, "{resumed}");
    assert_eq!(resumed["outcomes"]["rejected"], 0, "{resumed}");
    let on_hub = hub
        .runtime
        .block_on(hub.store.venue_stats(harbour))
        .expect("stats")
        .changes;
    let rest = resumed["pulled"].as_i64().unwrap();
    assert_eq!(rest + 5_000, on_hub, "the rest, once: {resumed}");
    assert_eq!(
        count(&cut, "applied_changes"),
        on_hub,
        "each change applied once"
    );
    let cut_state = shared_state(&cut);
    for ((table, was), (_, is)) in shared_state(&second).iter().zip(&cut_state) {
        assert_same(table, was, is);
    }

    // A code of another venue restores that venue: nothing of this one.
    let other = dir.path().join("other");
    let elsewhere = ok_json(restore(&other, None, &url, &hub.code(hill)));
    assert_eq!(elsewhere["venue_id"], hill.to_string(), "{elsewhere}");
    assert_eq!(elsewhere["pulled"], 0, "{elsewhere}");
    assert_eq!(count(&other, "transactions"), 0);
    assert_eq!(count(&other, "audit_log"), 1, "its own restore line only");
    assert_eq!(the_venue(&other).name, "Hill Bar");
}

/// The same rows, or the first few that differ.
fn assert_same(table: &str, was: &[Vec<Sql>], is: &[Vec<Sql>]) {
    let differing: Vec<_> = was.iter().zip(is).filter(|(a, b)| a != b).take(3).collect();
    assert!(
        was.len() == is.len() && differing.is_empty(),
        "{table}: {} rows before, {} restored; first differing: {differing:?}",
        was.len(),
        is.len()
    );
}

/// The token a first restore run printed to stderr for the environment, when it failed later.
fn token_of_failed_restore(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| {
            l.split_once("VENUE_SECRET_HUB_TOKEN=")
                .map(|(_, t)| t.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no token in: {stderr}"))
}
