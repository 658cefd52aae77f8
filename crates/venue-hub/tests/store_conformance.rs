//! One conformance suite for the hub's storage: every story is generic over `HubStore` and runs
//! on both backends, a real SQLite file and a real PostgreSQL database at 127.0.0.1:5432 (its
//! own database and ordinary LOGIN role per test, dropped at the end, so row-level security is
//! really in force). When PostgreSQL is not reachable the postgres tests fail, saying how to
//! start it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use sqlx::Connection;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uuid::Uuid;
use venue_hub::database::Database;
use venue_hub::store::{
    Announcement, Announcements, AnyHub, Grant, HubStore, HubStoreError, IncomingRow, NewVenue,
    PostgresHub, RowOutcome, SqliteHub,
};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

struct SqliteFixture {
    dir: tempfile::TempDir,
    hub: SqliteHub,
}

impl SqliteFixture {
    async fn new() -> SqliteFixture {
        let dir = tempfile::tempdir().unwrap();
        let hub = SqliteHub::open(&dir.path().join("hub.sqlite"))
            .await
            .unwrap();
        SqliteFixture { dir, hub }
    }

    /// The same file opened again: what a second hub process would see.
    async fn another(&self) -> SqliteHub {
        SqliteHub::open(&self.dir.path().join("hub.sqlite"))
            .await
            .unwrap()
    }
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database and an ordinary role of its own, both dropped when the fixture goes (even when
/// the test fails).
struct PostgresFixture {
    name: String,
    url: String,
    hub: PostgresHub,
}

impl PostgresFixture {
    async fn new() -> PostgresFixture {
        let mut admin = sqlx::PgConnection::connect(PG_ADMIN_URL)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "PostgreSQL is not reachable at 127.0.0.1:5432 as user postgres ({error}). \
                 Start it (`sudo service postgresql start`, or `pg_ctlcluster 15 main start`), \
                 or install it (`sudo apt-get install postgresql`), with trust auth for \
                 127.0.0.1 in pg_hba.conf; the test command of the README does this."
                )
            });
        let name = format!("hub_test_{:016x}", fastrand::u64(..));
        for statement in [
            // An ordinary role: neither superuser nor BYPASSRLS, so the policies apply to it.
            format!("CREATE ROLE {name} LOGIN PASSWORD '{name}' NOSUPERUSER NOBYPASSRLS"),
            format!("CREATE DATABASE {name} OWNER {name}"),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut admin)
                .await
                .unwrap();
        }
        admin.close().await.unwrap();
        let url = format!("postgres://{name}:{name}@127.0.0.1:5432/{name}");
        let hub = PostgresHub::connect(&url).await.unwrap();
        assert!(
            !hub.bypasses_row_security(),
            "the test role must be subject to row-level security"
        );
        PostgresFixture { name, url, hub }
    }

    /// A second hub on the same database: what another hub process would be.
    async fn another(&self) -> PostgresHub {
        PostgresHub::connect(&self.url).await.unwrap()
    }
}

impl Drop for PostgresFixture {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async: a thread of its own with its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut admin = sqlx::PgConnection::connect(PG_ADMIN_URL).await?;
                for statement in [
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    format!("DROP ROLE IF EXISTS {name}"),
                ] {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                        .execute(&mut admin)
                        .await?;
                }
                Ok::<(), sqlx::Error>(())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop the test database {}: {error}", self.name);
        }
    }
}

/// Each story runs on both backends: `sqlite::story` and `postgres::story`.
macro_rules! on_both_backends {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let fixture = super::SqliteFixture::new().await;
                    super::$story(&fixture.hub).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let fixture = super::PostgresFixture::new().await;
                    super::$story(&fixture.hub).await;
                }
            )*
        }
    };
}

on_both_backends!(
    orgs_venues_and_managers,
    enrolment_works_once_and_not_after_expiry,
    tokens_and_revocation,
    push_outcomes,
    change_ids_are_unique_per_venue_only,
    pull_pages_exact_multiples_and_remainders,
    pull_skips_own_node_and_console_only_rows,
    pull_reads_past_long_runs_of_filtered_rows,
    venue_stats_and_readiness,
    pushes_that_store_changes_are_announced,
);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async fn org_with_venue<S: HubStore>(hub: &S, name: &str) -> (Uuid, Uuid) {
    let org = hub.create_org(name).await.unwrap();
    let venue = hub
        .add_venue(
            org,
            NewVenue {
                name: format!("{name} bar"),
                timezone: "Europe/Paris".into(),
                currency: "EUR".into(),
                capacity: Some(120),
            },
        )
        .await
        .unwrap();
    (org, venue)
}

/// A change to row `entity_id` of `venue`; its body names the venue and the change.
fn change(venue: Uuid, entity_id: u128, node: Uuid, hlc: i64, down: bool) -> IncomingRow {
    let change_id = Uuid::now_v7();
    IncomingRow {
        change_id,
        entity: "transaction".into(),
        entity_id: Uuid::from_u128(entity_id),
        node,
        hlc,
        down,
        body: json!({"change_id": change_id, "venue_id": venue, "hlc": hlc}),
    }
}

fn body_change_id(body: &serde_json::Value) -> Uuid {
    body["change_id"].as_str().unwrap().parse().unwrap()
}

/// Every page of `venue` after seq 0 as `node` sees it, with each page's size.
async fn pull_all<S: HubStore>(
    hub: &S,
    venue: Uuid,
    node: Option<Uuid>,
    limit: u32,
    only_down: bool,
) -> (Vec<serde_json::Value>, Vec<usize>) {
    let (mut bodies, mut sizes, mut after) = (Vec::new(), Vec::new(), 0);
    loop {
        let page = hub
            .pull(venue, node, after, limit, only_down)
            .await
            .unwrap();
        assert!(page.last_seq >= after, "a cursor never moves back");
        assert!(page.changes.len() <= limit as usize);
        sizes.push(page.changes.len());
        bodies.extend(page.changes);
        after = page.last_seq;
        if !page.more {
            return (bodies, sizes);
        }
        assert!(sizes.len() < 10_000, "paging does not end");
    }
}

// ---------------------------------------------------------------------------------------------
// Stories
// ---------------------------------------------------------------------------------------------

async fn orgs_venues_and_managers<S: HubStore>(hub: &S) {
    let (org, venue) = org_with_venue(hub, "Harbour Group").await;
    assert!(matches!(
        hub.create_org("Harbour Group").await,
        Err(HubStoreError::Conflict { .. })
    ));
    assert!(matches!(
        hub.create_org("  ").await,
        Err(HubStoreError::Invalid { .. })
    ));

    let row = hub.venue(venue).await.unwrap().unwrap();
    assert_eq!(
        (
            row.id,
            row.org_id,
            row.name.as_str(),
            row.timezone.as_str(),
            row.currency.as_str()
        ),
        (venue, org, "Harbour Group bar", "Europe/Paris", "EUR")
    );
    assert_eq!(row.capacity, Some(120));
    assert_eq!(hub.venue(Uuid::now_v7()).await.unwrap(), None);

    let nowhere = NewVenue {
        name: "Ghost".into(),
        timezone: "UTC".into(),
        currency: "USD".into(),
        capacity: None,
    };
    assert!(matches!(
        hub.add_venue(Uuid::now_v7(), nowhere).await,
        Err(HubStoreError::NotFound { .. })
    ));

    let (_, other_venue) = org_with_venue(hub, "Rival Group").await;
    assert!(
        matches!(
            hub.add_manager(
                org,
                "a@example.com",
                "hash",
                Grant::Venues(vec![other_venue])
            )
            .await,
            Err(HubStoreError::NotFound { .. })
        ),
        "a manager cannot be granted another org's venue"
    );
    assert!(matches!(
        hub.add_manager(Uuid::now_v7(), "b@example.com", "hash", Grant::All)
            .await,
        Err(HubStoreError::NotFound { .. })
    ));
    let scoped = hub
        .add_manager(org, "Ana@Example.com ", "phc-a", Grant::Venues(vec![venue]))
        .await
        .unwrap();
    assert!(matches!(
        hub.add_manager(org, "ana@example.com", "phc-b", Grant::All)
            .await,
        Err(HubStoreError::Conflict { .. })
    ));
    let all = hub
        .add_manager(org, "boss@example.com", "phc-c", Grant::All)
        .await
        .unwrap();

    let ana = hub
        .manager_by_email("ANA@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ana.id, ana.org_id, ana.email.as_str()),
        (scoped, org, "ana@example.com")
    );
    assert_eq!(
        (ana.password_hash.as_str(), ana.grant),
        ("phc-a", Grant::Venues(vec![venue]))
    );
    let boss = hub
        .manager_by_email("boss@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((boss.id, boss.grant), (all, Grant::All));
    assert_eq!(
        hub.manager_by_email("nobody@example.com").await.unwrap(),
        None
    );
}

async fn enrolment_works_once_and_not_after_expiry<S: HubStore>(hub: &S) {
    let (org, venue) = org_with_venue(hub, "Enrol").await;
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    hub.create_enrollment(venue, "code-1", now + Duration::hours(24))
        .await
        .unwrap();
    assert!(matches!(
        hub.create_enrollment(venue, "code-1", now).await,
        Err(HubStoreError::Conflict { .. })
    ));
    assert!(matches!(
        hub.create_enrollment(Uuid::now_v7(), "code-x", now).await,
        Err(HubStoreError::NotFound { .. })
    ));

    let node = Uuid::now_v7();
    let device = hub
        .redeem_enrollment("code-1", node, "token-1", now)
        .await
        .unwrap();
    assert_eq!(
        (device.venue_id, device.org_id, device.node_id),
        (venue, org, node)
    );
    assert_eq!((device.created_at, device.revoked_at), (now, None));
    assert!(matches!(
        hub.redeem_enrollment("code-1", Uuid::now_v7(), "token-2", now)
            .await,
        Err(HubStoreError::CodeUsed)
    ));
    assert!(matches!(
        hub.redeem_enrollment("no-such-code", node, "token-3", now)
            .await,
        Err(HubStoreError::CodeInvalid)
    ));

    hub.create_enrollment(venue, "code-2", now + Duration::minutes(5))
        .await
        .unwrap();
    assert!(matches!(
        hub.redeem_enrollment("code-2", node, "token-4", now + Duration::minutes(5))
            .await,
        Err(HubStoreError::CodeExpired)
    ));
    assert!(matches!(
        hub.redeem_enrollment("code-2", node, "token-4", now + Duration::days(3))
            .await,
        Err(HubStoreError::CodeExpired)
    ));
    // An expired code did not become used: it is still expired, and no device was made.
    assert_eq!(hub.device_by_token("token-4").await.unwrap(), None);

    // Two consoles racing for one code: exactly one wins.
    hub.create_enrollment(venue, "code-3", now + Duration::hours(1))
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        hub.redeem_enrollment("code-3", Uuid::now_v7(), "token-a", now),
        hub.redeem_enrollment("code-3", Uuid::now_v7(), "token-b", now),
    );
    assert_eq!(
        usize::from(a.is_ok()) + usize::from(b.is_ok()),
        1,
        "one of {a:?} / {b:?}"
    );
    assert!(matches!(a.err().or(b.err()), Some(HubStoreError::CodeUsed)));
}

async fn tokens_and_revocation<S: HubStore>(hub: &S) {
    let (org, venue) = org_with_venue(hub, "Tokens").await;
    let (other_org, other_venue) = org_with_venue(hub, "Other tokens").await;
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let expires = now + Duration::hours(1);
    hub.create_enrollment(venue, "c-front", expires)
        .await
        .unwrap();
    hub.create_enrollment(venue, "c-back", expires)
        .await
        .unwrap();
    hub.create_enrollment(other_venue, "c-other", expires)
        .await
        .unwrap();
    let front = hub
        .redeem_enrollment("c-front", Uuid::now_v7(), "t-front", now)
        .await
        .unwrap();
    let back = hub
        .redeem_enrollment(
            "c-back",
            Uuid::now_v7(),
            "t-back",
            now + Duration::seconds(1),
        )
        .await
        .unwrap();
    let other = hub
        .redeem_enrollment(
            "c-other",
            Uuid::now_v7(),
            "t-other",
            now + Duration::seconds(2),
        )
        .await
        .unwrap();

    assert_eq!(
        hub.device_by_token("t-front").await.unwrap().as_ref(),
        Some(&front)
    );
    assert_eq!(hub.device_by_token("t-unknown").await.unwrap(), None);

    let seen = now + Duration::minutes(3);
    hub.touch_device(front.id, seen).await.unwrap();
    assert_eq!(
        hub.device_by_token("t-front")
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        Some(seen)
    );
    assert!(matches!(
        hub.touch_device(Uuid::now_v7(), seen).await,
        Err(HubStoreError::NotFound { .. })
    ));

    let ids = |devices: Vec<venue_hub::store::Device>| -> Vec<Uuid> {
        devices.into_iter().map(|d| d.id).collect()
    };
    assert_eq!(
        ids(hub.list_devices(Some(org)).await.unwrap()),
        vec![front.id, back.id]
    );
    assert_eq!(
        ids(hub.list_devices(Some(other_org)).await.unwrap()),
        vec![other.id]
    );
    assert_eq!(
        ids(hub.list_devices(None).await.unwrap()),
        vec![front.id, back.id, other.id]
    );

    let revoked_at = now + Duration::minutes(10);
    hub.revoke_device(back.id, revoked_at).await.unwrap();
    hub.revoke_device(back.id, revoked_at + Duration::minutes(1))
        .await
        .unwrap();
    let back_now = hub.device_by_token("t-back").await.unwrap().unwrap();
    assert_eq!(
        back_now.revoked_at,
        Some(revoked_at),
        "the first revocation stands"
    );
    assert_eq!(
        hub.device_by_token("t-front")
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
    assert!(matches!(
        hub.revoke_device(Uuid::now_v7(), revoked_at).await,
        Err(HubStoreError::NotFound { .. })
    ));
}

async fn push_outcomes<S: HubStore>(hub: &S) {
    let (_, venue) = org_with_venue(hub, "Push").await;
    // Node ids in a known order: (hlc, node) ties are broken by the node.
    let low = Uuid::from_u128(1);
    let high = Uuid::from_u128(2);

    let first = change(venue, 10, low, 100, true);
    let other_row = change(venue, 11, low, 50, true);
    let outcomes = hub
        .push(venue, &[first.clone(), other_row.clone(), first.clone()])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            RowOutcome::Applied,
            RowOutcome::Applied,
            RowOutcome::Duplicate
        ],
        "a second copy within one batch is a duplicate"
    );
    assert_eq!(
        hub.push(venue, std::slice::from_ref(&first)).await.unwrap(),
        vec![RowOutcome::Duplicate],
        "and across batches"
    );

    let older = change(venue, 10, high, 99, true);
    let tie_low = change(venue, 10, low, 100, true);
    let tie_high = change(venue, 10, high, 100, true);
    let newer = change(venue, 10, low, 101, true);
    let stale_after_newer = change(venue, 10, high, 100, true);
    let outcomes = hub
        .push(
            venue,
            &[
                older.clone(),
                tie_low.clone(),
                tie_high.clone(),
                newer.clone(),
                stale_after_newer.clone(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            RowOutcome::Conflict, // older hlc than the head
            RowOutcome::Conflict, // same stamp as the head
            RowOutcome::Applied,  // same hlc, higher node
            RowOutcome::Applied,  // newer hlc
            RowOutcome::Conflict, // older than the head this batch made
        ]
    );
    // An older change from a new batch loses to the head the previous batch left.
    let late = change(venue, 11, high, 49, true);
    assert_eq!(
        hub.push(venue, std::slice::from_ref(&late)).await.unwrap(),
        vec![RowOutcome::Conflict]
    );
    // A duplicate of a loser changes nothing either.
    assert_eq!(
        hub.push(venue, std::slice::from_ref(&older)).await.unwrap(),
        vec![RowOutcome::Duplicate]
    );
    assert_eq!(hub.push(venue, &[]).await.unwrap(), vec![]);

    let losers = hub.conflicts(venue, 100).await.unwrap();
    let kept: Vec<(Uuid, i64, Uuid, i64, Uuid)> = losers
        .iter()
        .map(|c| (c.change_id, c.hlc, c.node, c.head_hlc, c.head_node))
        .collect();
    assert_eq!(
        kept,
        vec![
            (older.change_id, 99, high, 100, low),
            (tie_low.change_id, 100, low, 100, low),
            (stale_after_newer.change_id, 100, high, 101, low),
            (late.change_id, 49, high, 50, low),
        ]
    );
    assert_eq!(losers[0].body, older.body, "the loser's body is kept");
    assert_eq!(losers[0].entity_id, Uuid::from_u128(10));

    // Every new change is in the log, losers included, each once.
    let (bodies, _) = pull_all(hub, venue, None, 100, false).await;
    let ids: Vec<Uuid> = bodies.iter().map(body_change_id).collect();
    let expected: Vec<Uuid> = [
        &first,
        &other_row,
        &older,
        &tie_low,
        &tie_high,
        &newer,
        &stale_after_newer,
        &late,
    ]
    .iter()
    .map(|c| c.change_id)
    .collect();
    assert_eq!(ids, expected);

    let too_many: Vec<IncomingRow> = (0..5_001)
        .map(|i| change(venue, 20 + i, low, 1, true))
        .collect();
    assert!(matches!(
        hub.push(venue, &too_many).await,
        Err(HubStoreError::Invalid { .. })
    ));
    assert!(matches!(
        hub.push(Uuid::now_v7(), &[change(venue, 1, low, 1, true)])
            .await,
        Err(HubStoreError::NotFound { .. })
    ));
}

async fn change_ids_are_unique_per_venue_only<S: HubStore>(hub: &S) {
    let (_, a) = org_with_venue(hub, "Venue A").await;
    let (_, b) = org_with_venue(hub, "Venue B").await;
    let node = Uuid::now_v7();
    let in_a = change(a, 1, node, 10, true);
    // Another venue sending the same change id (by accident or on purpose) cannot pre-empt it.
    let mut in_b = in_a.clone();
    in_b.body = json!({"change_id": in_a.change_id, "venue_id": b, "hlc": 10});
    assert_eq!(
        hub.push(b, &[in_b.clone()]).await.unwrap(),
        vec![RowOutcome::Applied]
    );
    assert_eq!(
        hub.push(a, std::slice::from_ref(&in_a)).await.unwrap(),
        vec![RowOutcome::Applied]
    );
    assert_eq!(
        hub.push(a, std::slice::from_ref(&in_a)).await.unwrap(),
        vec![RowOutcome::Duplicate]
    );

    let (from_a, _) = pull_all(hub, a, None, 10, false).await;
    let (from_b, _) = pull_all(hub, b, None, 10, false).await;
    assert_eq!(from_a, vec![in_a.body]);
    assert_eq!(from_b, vec![in_b.body]);
}

async fn pull_pages_exact_multiples_and_remainders<S: HubStore>(hub: &S) {
    let (_, venue) = org_with_venue(hub, "Paging").await;
    let (_, elsewhere) = org_with_venue(hub, "Elsewhere").await;
    let node = Uuid::now_v7();
    let changes: Vec<IncomingRow> = (0..12).map(|i| change(venue, i, node, 1, true)).collect();
    let noise: Vec<IncomingRow> = (0..7)
        .map(|i| change(elsewhere, i, node, 1, true))
        .collect();
    hub.push(venue, &changes[..5]).await.unwrap();
    hub.push(elsewhere, &noise).await.unwrap();
    hub.push(venue, &changes[5..]).await.unwrap();
    let expected: Vec<Uuid> = changes.iter().map(|c| c.change_id).collect();

    for (limit, sizes) in [
        (4, vec![4, 4, 4]),
        (6, vec![6, 6]),
        (12, vec![12]),
        (5, vec![5, 5, 2]),
        (7, vec![7, 5]),
        (1, vec![1; 12]),
        (100, vec![12]),
    ] {
        let (bodies, pages) = pull_all(hub, venue, None, limit, false).await;
        let ids: Vec<Uuid> = bodies.iter().map(body_change_id).collect();
        assert_eq!(ids, expected, "page size {limit}");
        assert_eq!(pages, sizes, "page size {limit}");
        assert!(bodies.iter().all(|b| b["venue_id"] == json!(venue)));
    }

    // Nothing after the end; a cursor at the end stays there.
    let end = hub.pull(venue, None, 0, 100, false).await.unwrap().last_seq;
    let after_end = hub.pull(venue, None, end, 100, false).await.unwrap();
    assert_eq!(
        (after_end.changes.len(), after_end.last_seq, after_end.more),
        (0, end, false)
    );
    // An unknown venue has nothing to give.
    let unknown = hub.pull(Uuid::now_v7(), None, 0, 10, false).await.unwrap();
    assert!(unknown.changes.is_empty() && !unknown.more);
}

async fn pull_skips_own_node_and_console_only_rows<S: HubStore>(hub: &S) {
    let (_, venue) = org_with_venue(hub, "Filters").await;
    let (_, elsewhere) = org_with_venue(hub, "Filters elsewhere").await;
    let me = Uuid::now_v7();
    let them = Uuid::now_v7();
    let mut log = Vec::new();
    for i in 0..30u128 {
        // Every third change is mine, every fifth stays up (a fetch run, an audit line).
        let node = if i % 3 == 0 { me } else { them };
        log.push(change(venue, i, node, 1, i % 5 != 0));
    }
    for chunk in log.chunks(7) {
        hub.push(venue, chunk).await.unwrap();
        hub.push(elsewhere, &[change(elsewhere, 0, them, 1, true)])
            .await
            .unwrap();
    }
    let mine_excluded: Vec<Uuid> = log
        .iter()
        .filter(|c| c.node != me)
        .map(|c| c.change_id)
        .collect();
    let down_only: Vec<Uuid> = log
        .iter()
        .filter(|c| c.node != me && c.down)
        .map(|c| c.change_id)
        .collect();
    for limit in [1, 4, 5, 20, 16] {
        let (bodies, _) = pull_all(hub, venue, Some(me), limit, false).await;
        let ids: Vec<Uuid> = bodies.iter().map(body_change_id).collect();
        assert_eq!(ids, mine_excluded, "own node excluded, page size {limit}");
        let (bodies, _) = pull_all(hub, venue, Some(me), limit, true).await;
        let ids: Vec<Uuid> = bodies.iter().map(body_change_id).collect();
        assert_eq!(ids, down_only, "and rows that stay up, page size {limit}");
        assert!(bodies.iter().all(|b| b["venue_id"] == json!(venue)));
    }
    // 16 of the 30 go down to me: a page size dividing it exactly.
    assert_eq!(down_only.len(), 16);
    let (_, pages) = pull_all(hub, venue, Some(me), 8, true).await;
    assert_eq!(pages, vec![8, 8]);
    let (_, pages) = pull_all(hub, venue, Some(me), 16, true).await;
    assert_eq!(pages, vec![16]);
}

async fn pull_reads_past_long_runs_of_filtered_rows<S: HubStore>(hub: &S) {
    let (_, venue) = org_with_venue(hub, "Long runs").await;
    let me = Uuid::now_v7();
    let them = Uuid::now_v7();
    let mine: Vec<IncomingRow> = (0..700).map(|i| change(venue, i, me, 1, true)).collect();
    hub.push(venue, &mine).await.unwrap();
    let theirs = change(venue, 1_000, them, 1, true);
    hub.push(venue, std::slice::from_ref(&theirs))
        .await
        .unwrap();
    hub.push(
        venue,
        &mine
            .iter()
            .map(|c| change(venue, 2_000 + c.entity_id.as_u128(), me, 1, true))
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();

    let page = hub.pull(venue, Some(me), 0, 1, true).await.unwrap();
    assert_eq!(page.changes, vec![theirs.body.clone()]);
    assert!(page.more);
    // The rest is mine: read past, the cursor moves to the end, and it says so.
    let rest = hub
        .pull(venue, Some(me), page.last_seq, 10, true)
        .await
        .unwrap();
    assert!(rest.changes.is_empty());
    assert!(!rest.more);
    let end = hub
        .pull(venue, None, 0, 5_000, false)
        .await
        .unwrap()
        .last_seq;
    assert_eq!(rest.last_seq, end);
}

async fn venue_stats_and_readiness<S: HubStore>(hub: &S) {
    hub.ready().await.unwrap();
    let (_, venue) = org_with_venue(hub, "Stats").await;
    let empty = hub.venue_stats(venue).await.unwrap();
    assert_eq!((empty.changes, empty.newest_received_at), (0, None));
    let before = Utc::now() - Duration::seconds(1);
    let node = Uuid::now_v7();
    let batch: Vec<IncomingRow> = (0..3).map(|i| change(venue, i, node, 1, true)).collect();
    hub.push(venue, &batch).await.unwrap();
    hub.push(venue, &batch[..1]).await.unwrap();
    let stats = hub.venue_stats(venue).await.unwrap();
    assert_eq!(stats.changes, 3);
    assert!(stats.newest_received_at.unwrap() >= before);
}

/// Two hubs (two processes' worth: the file opened twice, or two pools on one database) push to
/// one venue at once while a third pulls: the puller ends with every change exactly once, so
/// no seq became visible before a smaller one.
async fn concurrent_pushers_and_a_puller<S: HubStore>(first: S, second: S) {
    let (_, venue) = org_with_venue(&first, "Concurrent").await;
    const BATCHES: usize = 25;
    const PER_BATCH: usize = 40;
    let pusher = |hub: S, node: Uuid| {
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for b in 0..BATCHES {
                let batch: Vec<IncomingRow> = (0..PER_BATCH)
                    .map(|i| change(venue, (b * PER_BATCH + i) as u128, node, b as i64, true))
                    .collect();
                ids.extend(batch.iter().map(|c| c.change_id));
                let outcomes = hub.push(venue, &batch).await.unwrap();
                assert!(outcomes.iter().all(|o| *o != RowOutcome::Duplicate));
                tokio::task::yield_now().await;
            }
            ids
        })
    };
    let a = pusher(first.clone(), Uuid::now_v7());
    let b = pusher(second.clone(), Uuid::now_v7());

    // The puller keeps pulling while the pushes run; once both are done it drains what is
    // left. A seq that became visible before a smaller one would leave a change behind its
    // cursor for good.
    let pushes_done = Arc::new(AtomicBool::new(false));
    let puller = {
        let hub = first.clone();
        let pushes_done = Arc::clone(&pushes_done);
        tokio::spawn(async move {
            let (mut seen, mut after) = (Vec::new(), 0);
            loop {
                let finished_before_this_pull = pushes_done.load(Ordering::SeqCst);
                let page = hub.pull(venue, None, after, 33, false).await.unwrap();
                seen.extend(page.changes.iter().map(body_change_id));
                after = page.last_seq;
                if !page.more {
                    if finished_before_this_pull {
                        return seen;
                    }
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let pushed: HashSet<Uuid> = a
        .await
        .unwrap()
        .into_iter()
        .chain(b.await.unwrap())
        .collect();
    pushes_done.store(true, Ordering::SeqCst);
    let seen = puller.await.unwrap();
    assert_eq!(seen.len(), pushed.len(), "each change exactly once");
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), pushed);
}

/// The next announcement, within a generous deadline.
async fn next_announcement(heard: &mut Announcements) -> Announcement {
    tokio::time::timeout(std::time::Duration::from_secs(10), heard.recv())
        .await
        .expect("nothing announced before the deadline")
        .unwrap()
}

/// A push that stored changes is announced with its venue and how far the venue's log reaches;
/// one that stored nothing (duplicates only) is not.
async fn pushes_that_store_changes_are_announced<S: HubStore>(hub: &S) {
    let (_, a) = org_with_venue(hub, "Announced A").await;
    let (_, b) = org_with_venue(hub, "Announced B").await;
    let mut heard = hub.announcements().await.unwrap();
    let node = Uuid::now_v7();
    let first = change(a, 1, node, 10, true);
    hub.push(a, &[first.clone(), change(a, 2, node, 11, true)])
        .await
        .unwrap();
    assert_eq!(
        next_announcement(&mut heard).await,
        Announcement::Changed { venue: a, seq: 2 }
    );
    hub.push(b, &[change(b, 1, node, 12, true)]).await.unwrap();
    assert_eq!(
        next_announcement(&mut heard).await,
        Announcement::Changed { venue: b, seq: 1 }
    );
    assert_eq!(
        hub.push(a, &[first]).await.unwrap(),
        vec![RowOutcome::Duplicate]
    );
    hub.push(a, &[change(a, 3, node, 13, true)]).await.unwrap();
    match next_announcement(&mut heard).await {
        Announcement::Changed { venue, seq } => {
            assert_eq!(venue, a, "the duplicate-only push was not announced");
            assert!(seq >= 3, "{seq}");
            let page = hub.pull(a, None, 0, 100, false).await.unwrap();
            assert_eq!(page.last_seq, seq, "the announced cursor is the log's end");
        }
        other => panic!("expected venue A's push, got {other:?}"),
    }
}

/// Two hub processes on one database: a push through one is heard by the other's subscribers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_push_through_one_hub_is_announced_by_another() {
    let fixture = PostgresFixture::new().await;
    let second = fixture.another().await;
    let (_, venue) = org_with_venue(&fixture.hub, "Two processes").await;
    let mut heard_by_second = second.announcements().await.unwrap();
    let mut heard_by_first = fixture.hub.announcements().await.unwrap();
    let node = Uuid::now_v7();
    fixture
        .hub
        .push(venue, &[change(venue, 1, node, 1, true)])
        .await
        .unwrap();
    let expected = Announcement::Changed { venue, seq: 1 };
    assert_eq!(next_announcement(&mut heard_by_second).await, expected);
    assert_eq!(next_announcement(&mut heard_by_first).await, expected);
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_pushers_and_a_puller() {
    let fixture = SqliteFixture::new().await;
    let second = fixture.another().await;
    concurrent_pushers_and_a_puller(fixture.hub.clone(), second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_pushers_and_a_puller() {
    let fixture = PostgresFixture::new().await;
    let second = fixture.another().await;
    concurrent_pushers_and_a_puller(fixture.hub.clone(), second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_is_a_working_copy_and_never_overwrites() {
    let fixture = SqliteFixture::new().await;
    let (_, venue) = org_with_venue(&fixture.hub, "Backup").await;
    let node = Uuid::now_v7();
    let batch: Vec<IncomingRow> = (0..5).map(|i| change(venue, i, node, 1, true)).collect();
    fixture.hub.push(venue, &batch).await.unwrap();

    let copy = fixture.dir.path().join("backup.sqlite");
    fixture.hub.backup(&copy).await.unwrap();
    let restored = SqliteHub::open(&copy).await.unwrap();
    restored.ready().await.unwrap();
    assert_eq!(
        restored.venue(venue).await.unwrap().unwrap().name,
        "Backup bar"
    );
    let (bodies, _) = pull_all(&restored, venue, None, 100, false).await;
    assert_eq!(bodies.len(), 5);

    assert!(matches!(
        fixture.hub.backup(&copy).await,
        Err(HubStoreError::Invalid { .. })
    ));
}

/// Row-level security as the second wall: a query with no venue filter at all, in a
/// transaction scoped to venue A, sees only A's rows; with nothing set it sees none and may
/// write none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_row_level_security_walls_off_each_venue() {
    let fixture = PostgresFixture::new().await;
    let hub = &fixture.hub;
    let (_, a) = org_with_venue(hub, "RLS A").await;
    let (_, b) = org_with_venue(hub, "RLS B").await;
    let node = Uuid::now_v7();
    let now = Utc::now();
    hub.push(
        a,
        &(0..3)
            .map(|i| change(a, i, node, 1, true))
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    hub.push(
        b,
        &(0..5)
            .map(|i| change(b, i, node, 1, true))
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    // A conflict and a head in each, and a device and a code in each.
    hub.push(a, &[change(a, 0, node, 0, true)]).await.unwrap();
    hub.push(b, &[change(b, 0, node, 0, true)]).await.unwrap();
    for (venue, tag) in [(a, "a"), (b, "b")] {
        hub.create_enrollment(venue, &format!("code-{tag}"), now + Duration::hours(1))
            .await
            .unwrap();
        hub.create_enrollment(venue, &format!("spare-{tag}"), now + Duration::hours(1))
            .await
            .unwrap();
        hub.redeem_enrollment(&format!("code-{tag}"), node, &format!("token-{tag}"), now)
            .await
            .unwrap();
    }

    // The same ordinary role the hub uses, on a connection of the test's own.
    let mut raw = sqlx::PgConnection::connect(&fixture.url).await.unwrap();
    let count = |table: &'static str| format!("SELECT count(*) FROM {table}");
    let tables = [
        "hub_changes",
        "hub_row_heads",
        "hub_conflicts",
        "hub_devices",
        "hub_enrollments",
    ];
    let scoped_to_a = [4_i64, 3, 1, 1, 2];

    let mut tx = raw.begin().await.unwrap();
    sqlx::query("SELECT set_config('hub.venue_ids', $1, true)")
        .bind(a.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    for (table, expected) in tables.iter().zip(scoped_to_a) {
        let seen: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count(table)))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(seen, expected, "{table} scoped to venue A");
    }
    let venues_seen: Vec<Uuid> = sqlx::query_scalar("SELECT DISTINCT venue_id FROM hub_changes")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(venues_seen, vec![a]);
    // Writing B's rows from A's scope is refused by the policy's check.
    let smuggled = sqlx::query(
        "INSERT INTO hub_changes (venue_id, seq, change_id, entity, entity_id, node_id, hlc, \
         down, body, received_at) VALUES ($1, 999, $2, 'transaction', $2, $2, 1, true, '{}', now())",
    )
    .bind(b)
    .bind(Uuid::now_v7())
    .execute(&mut *tx)
    .await;
    let refusal = smuggled.expect_err("an insert into venue B from A's scope must fail");
    assert!(
        refusal.to_string().contains("row-level security"),
        "{refusal}"
    );
    tx.rollback().await.unwrap();

    // Nothing set: nothing seen, in a transaction and outside one.
    let mut tx = raw.begin().await.unwrap();
    for table in tables {
        let seen: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count(table)))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(seen, 0, "{table} with no venue set");
    }
    tx.rollback().await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM hub_changes")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    // Both venues named: both seen (a manager's scope).
    let mut tx = raw.begin().await.unwrap();
    sqlx::query("SELECT set_config('hub.venue_ids', $1, true)")
        .bind(format!("{a},{b}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM hub_changes")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 10);
    tx.rollback().await.unwrap();
    raw.close().await.unwrap();
}

/// The role check: a superuser is reported, not refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_superuser_role_is_reported() {
    let fixture = PostgresFixture::new().await;
    assert!(fixture.hub.row_security_warning().is_none());
    let as_superuser = fixture
        .url
        .replacen(&format!("{0}:{0}@", fixture.name), "postgres@", 1);
    let hub = PostgresHub::connect(&as_superuser).await.unwrap();
    assert!(hub.bypasses_row_security());
    assert!(hub.row_security_warning().is_some());
    hub.ready().await.unwrap();
}

/// The backend picked from `--database` behaves as the one it wraps: a path opens SQLite, a
/// `postgres://` URL PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_hub_opens_either_backend_from_its_database_argument() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("any.sqlite");
    let sqlite = AnyHub::open(&Database::from_arg(path.to_str()).unwrap())
        .await
        .unwrap();
    assert!(matches!(sqlite, AnyHub::Sqlite(_)));
    assert!(sqlite.row_security_warning().is_none());
    push_outcomes(&sqlite).await;
    let reopened =
        AnyHub::open(&Database::from_arg(Some(&format!("sqlite://{}", path.display()))).unwrap())
            .await
            .unwrap();
    reopened.ready().await.unwrap();

    let fixture = PostgresFixture::new().await;
    let postgres = AnyHub::open(&Database::from_arg(Some(&fixture.url)).unwrap())
        .await
        .unwrap();
    assert!(matches!(postgres, AnyHub::Postgres(_)));
    assert!(postgres.row_security_warning().is_none());
    push_outcomes(&postgres).await;
}
