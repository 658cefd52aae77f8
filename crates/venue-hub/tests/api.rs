//! The hub's HTTP API on a real loopback port, as a console and an attacker meet it: enrolment,
//! push, pull, and everything that must be refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{Backend, Hub};
use uuid::Uuid;
use venue_domain::sync::{ChangeOutcome, PROTOCOL_VERSION};
use venue_domain::wire::{EnrollResponse, PullResponse, PushResponse};
use venue_domain::{ChangeOp, ChangeRecord, EntityKind, Hlc, NodeId, Origin};

/// A console enrolled in the hub, with its raw HTTP client.
struct Console {
    node: NodeId,
    venue: Uuid,
    token: String,
    base: String,
    http: reqwest::Client,
}

impl Console {
    async fn enroll(hub: &Hub, venue: Uuid) -> Console {
        let code = hub.code(venue).await;
        let node = NodeId::generate();
        let http = support::http();
        let res = http
            .post(format!("{}/v1/enroll", hub.base))
            .json(&json!({"code": code, "node": node}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: EnrollResponse = res.json().await.unwrap();
        assert_eq!(body.venue_id, venue);
        Console {
            node,
            venue,
            token: body.token,
            base: hub.base.clone(),
            http,
        }
    }

    fn note(&self, text: &str) -> ChangeRecord {
        self.change(EntityKind::DeskNote, text)
    }

    /// A change of `entity` (the hub files it by kind; it does not read the payload's fields).
    fn change(&self, entity: EntityKind, text: &str) -> ChangeRecord {
        let id = venue_domain::new_id();
        ChangeRecord {
            change_id: venue_domain::new_id(),
            venue_id: self.venue,
            entity,
            entity_id: id,
            op: ChangeOp::Upsert,
            payload: json!({"id": id, "venue_id": self.venue, "text": text}),
            hlc: Hlc::new(chrono::Utc::now().timestamp_millis() as u64, 0),
            node: self.node,
            origin: Origin::User,
        }
    }

    async fn push_raw(&self, token: &str, changes: Vec<Value>) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/sync/push", self.base))
            .bearer_auth(token)
            .json(&json!({"protocol": PROTOCOL_VERSION, "schema": 1, "node": self.node, "changes": changes}))
            .send()
            .await
            .unwrap()
    }

    async fn push(&self, changes: &[ChangeRecord]) -> PushResponse {
        let res = self
            .push_raw(
                &self.token,
                changes
                    .iter()
                    .map(|c| serde_json::to_value(c).unwrap())
                    .collect(),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    async fn pull_raw(&self, query: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/v1/sync/pull{query}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    /// Everything the hub has for this console, page by page.
    async fn pull_all(&self, page: u32) -> Vec<ChangeRecord> {
        self.pull_all_scoped(page, "").await
    }

    /// The same, with `extra` added to each query (e.g. `&scope=restore`).
    async fn pull_all_scoped(&self, page: u32, extra: &str) -> Vec<ChangeRecord> {
        let mut cursor = String::new();
        let mut out = Vec::new();
        loop {
            let res = self
                .pull_raw(&format!("?after={cursor}&limit={page}{extra}"))
                .await;
            assert_eq!(res.status(), StatusCode::OK);
            let body: PullResponse = res.json().await.unwrap();
            for c in body.changes {
                out.push(serde_json::from_value(c).unwrap());
            }
            cursor = body.cursor;
            if !body.more {
                return out;
            }
        }
    }
}

fn outcomes(r: &PushResponse) -> Vec<&ChangeOutcome> {
    r.outcomes.iter().map(|o| &o.outcome).collect()
}

async fn two_venues_sync_and_stay_apart(backend: Backend) {
    let hub = Hub::start(backend).await;
    let (a, b) = (
        hub.venue("Harbour Hotel").await,
        hub.venue("Hill Bar").await,
    );
    let desk = Console::enroll(&hub, a).await;
    let office = Console::enroll(&hub, a).await;
    let bar = Console::enroll(&hub, b).await;

    let notes: Vec<_> = (0..7).map(|i| desk.note(&format!("note {i}"))).collect();
    let first = desk.push(&notes).await;
    assert!(
        outcomes(&first)
            .iter()
            .all(|o| **o == ChangeOutcome::Applied),
        "{first:?}"
    );
    assert_eq!(first.acknowledged, 7);
    assert!(first.hub_time_ms > 0);
    // Redelivery (a lost answer) is harmless.
    let again = desk.push(&notes).await;
    assert!(
        outcomes(&again)
            .iter()
            .all(|o| **o == ChangeOutcome::Duplicate),
        "{again:?}"
    );

    // The other console of the venue gets them all, in pages that do and do not divide 7.
    for page in [1, 3, 7, 50] {
        let pulled = office.pull_all(page).await;
        assert_eq!(pulled, notes, "page size {page}");
    }
    // Its own changes never come back; the other venue sees none of them.
    assert!(desk.pull_all(5).await.is_empty());
    assert!(bar.pull_all(5).await.is_empty());

    // A later write by the office is newer, so it wins; the desk's later push of an older
    // stamp for the same row loses and is kept as a conflict.
    let mut newer = office.note("edited at the back office");
    newer.entity_id = notes[0].entity_id;
    newer.payload["id"] = json!(notes[0].entity_id);
    let mut older = desk.note("edited at the desk, earlier");
    older.entity_id = notes[0].entity_id;
    older.payload["id"] = json!(notes[0].entity_id);
    older.hlc = Hlc::new(notes[0].hlc.wall_ms() + 1, 0);
    newer.hlc = Hlc::new(notes[0].hlc.wall_ms() + 2, 0);
    assert_eq!(
        outcomes(&office.push(&[newer.clone()]).await),
        [&ChangeOutcome::Applied]
    );
    assert_eq!(
        outcomes(&desk.push(&[older]).await),
        [&ChangeOutcome::Conflict]
    );
    let seen_by_desk = desk.pull_all(100).await;
    assert_eq!(seen_by_desk, vec![newer]);
    hub.stop().await;
}

async fn every_attack_is_refused_and_leaks_nothing(backend: Backend) {
    let hub = Hub::start(backend).await;
    let (a, b) = (
        hub.venue("Harbour Hotel").await,
        hub.venue("Hill Bar").await,
    );
    let desk = Console::enroll(&hub, a).await;
    let bar = Console::enroll(&hub, b).await;
    let secret = bar.note("the bar's own note");
    bar.push(std::slice::from_ref(&secret)).await;

    let rejected = |r: &PushResponse, i: usize| match &r.outcomes[i].outcome {
        ChangeOutcome::Rejected { reason } => reason.clone(),
        other => panic!("change {i} was {other:?}"),
    };
    // Another venue's id as the change's venue, in its payload, as a venue row; another
    // console's node; a stamp an hour ahead. Each refused alone; the good one goes in.
    let good = desk.note("fine");
    let mut other_venue = desk.note("x");
    other_venue.venue_id = b;
    let mut other_payload = desk.note("x");
    other_payload.payload["venue_id"] = json!(b);
    let mut venue_row = desk.note("x");
    venue_row.entity = EntityKind::Venue;
    venue_row.entity_id = b;
    let mut foreign_node = desk.note("x");
    foreign_node.node = bar.node;
    let mut ahead = desk.note("x");
    ahead.hlc = Hlc::new(
        (chrono::Utc::now().timestamp_millis() + 3_600_000) as u64,
        0,
    );
    let mut reused_id = desk.note("x");
    reused_id.change_id = secret.change_id;
    let r = desk
        .push(&[
            good,
            other_venue,
            other_payload,
            venue_row,
            foreign_node,
            ahead,
            reused_id,
        ])
        .await;
    assert_eq!(r.outcomes[0].outcome, ChangeOutcome::Applied);
    for i in 1..=5 {
        assert!(!rejected(&r, i).is_empty());
    }
    // Another venue's change id is no duplicate here: ids are per venue.
    assert_eq!(r.outcomes[6].outcome, ChangeOutcome::Applied);
    assert_eq!(r.acknowledged, 2);

    // Tokens: none, garbage, another console's with this console's node, revoked.
    let none = desk
        .http
        .post(format!("{}/v1/sync/push", hub.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    // The desk's own token with its last character changed: well-formed, and nobody's.
    let mut forged = desk.token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'x' { 'y' } else { 'x' });
    for token in ["", "vhd1_", "' OR 1=1 --", &"A".repeat(10_000), &forged] {
        let res = desk.push_raw(token, vec![]).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "token {token:.20}");
    }
    let res = bar.push_raw(&desk.token, vec![]).await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a token used under another console's node"
    );
    // The pull query: SQL for a cursor, a page far too large, a zero page.
    for query in [
        "?after=1;DROP%20TABLE%20hub_changes",
        "?after=-5",
        "?limit=100000000",
        "?limit=0",
        "?after=0%27%20OR%20%271%27=%271",
    ] {
        let res = desk.pull_raw(query).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["code"].is_string() && body["message"].is_string(),
            "{body}"
        );
    }
    // A venue id in the query is ignored: the token decides.
    let res = desk.pull_raw(&format!("?after=0&venue_id={b}")).await;
    let body: PullResponse = res.json().await.unwrap();
    assert!(
        body.changes.iter().all(|c| c["venue_id"] == json!(a)),
        "{:?}",
        body.changes
    );
    // Nothing of the bar's ever reached the desk.
    let all = desk.pull_all(10).await;
    assert!(all.iter().all(|c| c.venue_id == a));

    // Enrolment codes: reused, malformed, unknown, expired.
    let code = hub.code(a).await;
    let enroll = |code: String| {
        let http = desk.http.clone();
        let base = hub.base.clone();
        async move {
            http.post(format!("{base}/v1/enroll"))
                .json(&json!({"code": code, "node": NodeId::generate()}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(enroll(code.clone()).await, StatusCode::OK);
    assert_eq!(
        enroll(code).await,
        StatusCode::FORBIDDEN,
        "a code works once"
    );
    assert_eq!(enroll("not a code".into()).await, StatusCode::BAD_REQUEST);
    assert_eq!(enroll("0000-0000-0000".into()).await, StatusCode::FORBIDDEN);
    assert_eq!(
        enroll(hub.expired_code(a).await).await,
        StatusCode::FORBIDDEN
    );

    // The push itself: a page far too large, a protocol from the future, a body that is not
    // JSON, a token sent as another scheme, ids that look like SQL, a body over the size limit.
    let too_many: Vec<Value> = (0..5_001)
        .map(|_| serde_json::to_value(desk.note("x")).unwrap())
        .collect();
    let res = desk.push_raw(&desk.token, too_many).await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "a push of 5,001 changes"
    );
    let future = desk
        .http
        .post(format!("{}/v1/sync/push", hub.base))
        .bearer_auth(&desk.token)
        .json(&json!({"protocol": PROTOCOL_VERSION + 1, "schema": 1, "node": desk.node, "changes": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(future.status(), StatusCode::BAD_REQUEST, "a newer protocol");
    let garbage = desk
        .http
        .post(format!("{}/v1/sync/push", hub.base))
        .bearer_auth(&desk.token)
        .header("content-type", "application/json")
        .body("{\"changes\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(
        garbage.status(),
        StatusCode::BAD_REQUEST,
        "a body that is not JSON"
    );
    let basic = desk
        .http
        .get(format!("{}/v1/sync/pull", hub.base))
        .header("authorization", format!("Basic {}", desk.token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        basic.status(),
        StatusCode::UNAUTHORIZED,
        "the token under another scheme"
    );
    let mut sql_ids = serde_json::to_value(desk.note("x")).unwrap();
    sql_ids["entity_id"] = json!("1'; DELETE FROM hub_changes; --");
    sql_ids["change_id"] = json!("' OR '1'='1");
    let r: PushResponse = desk
        .push_raw(&desk.token, vec![sql_ids])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        matches!(r.outcomes[0].outcome, ChangeOutcome::Rejected { .. }),
        "{r:?}"
    );
    // The hub answers 413 from the declared length without reading the body, and closes the
    // connection: a client still writing may see that close (a broken pipe) before the answer.
    // Either way the body was refused; what counts is that nothing of it was stored.
    let huge = desk
        .http
        .post(format!("{}/v1/sync/push", hub.base))
        .bearer_auth(&desk.token)
        .header("content-type", "application/json")
        .body(vec![b' '; 65 * 1024 * 1024])
        .send()
        .await;
    match huge {
        Ok(res) => assert_eq!(
            res.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "a body over the limit"
        ),
        Err(e) => assert!(e.is_request(), "a body over the limit: {e}"),
    }
    // The hub is still there for the next request.
    assert_eq!(desk.pull_raw("?limit=1").await.status(), StatusCode::OK);
    // After all that, nothing reached the bar's venue: its only writer is the bar itself.
    let bar_sees = bar.pull_all(10).await;
    assert!(bar_sees.is_empty(), "{bar_sees:?}");

    // A revoked token is refused at once.
    hub.revoke_all_of(a).await;
    let res = desk.push_raw(&desk.token, vec![]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    hub.stop().await;
}

async fn every_response_says_its_request_and_the_hub_clock(backend: Backend) {
    let hub = Hub::start(backend).await;
    let http = support::http();
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/sync/pull",
        "/nowhere",
    ] {
        let res = http
            .get(format!("{}{path}", hub.base))
            .send()
            .await
            .unwrap();
        assert!(res.headers().contains_key("x-request-id"), "{path}");
        let hub_ms: i64 = res.headers()["x-hub-time-ms"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (hub_ms - chrono::Utc::now().timestamp_millis()).abs() < 60_000,
            "{path}"
        );
    }
    assert_eq!(
        http.get(format!("{}/readyz", hub.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let metrics = support::metrics(&hub.base).await;
    assert!(metrics.contains("venue_hub_requests_total"), "{metrics}");
    hub.stop().await;
}

/// A console restoring its venue (`scope=restore`) gets everything the venue's consoles sent up,
/// fetch runs and audit lines included; an ordinary pull never does; and the token still decides
/// the venue.
async fn a_restore_pull_brings_back_everything_sent_up(backend: Backend) {
    let hub = Hub::start(backend).await;
    let (a, b) = (
        hub.venue("Harbour Hotel").await,
        hub.venue("Hill Bar").await,
    );
    let lost = Console::enroll(&hub, a).await;
    let office = Console::enroll(&hub, a).await;
    let bar = Console::enroll(&hub, b).await;
    let sent: Vec<ChangeRecord> = (0..9)
        .map(|i| match i % 3 {
            0 => lost.note(&format!("note {i}")),
            1 => lost.change(EntityKind::Audit, &format!("audit {i}")),
            _ => lost.change(EntityKind::Snapshot, &format!("run {i}")),
        })
        .collect();
    let pushed = lost.push(&sent).await;
    assert!(
        outcomes(&pushed)
            .iter()
            .all(|o| **o == ChangeOutcome::Applied),
        "{pushed:?}"
    );
    let from_office = office.note("from the office");
    office.push(std::slice::from_ref(&from_office)).await;
    bar.push(&[bar.note("the bar's")]).await;

    // An ordinary pull: the notes only.
    let notes: Vec<_> = sent
        .iter()
        .filter(|c| c.entity == EntityKind::DeskNote)
        .cloned()
        .collect();
    assert_eq!(office.pull_all(2).await, notes);
    assert_eq!(office.pull_all_scoped(4, "&scope=console").await, notes);

    // The restoring console: every change of the venue, in the order stored, in any page size.
    let restorer = Console::enroll(&hub, a).await;
    let mut everything = sent.clone();
    everything.push(from_office);
    for page in [1, 2, 5, 5_000] {
        assert_eq!(
            restorer.pull_all_scoped(page, "&scope=restore").await,
            everything,
            "page size {page}"
        );
    }
    // The office's own change never comes back to it, restore or not.
    assert_eq!(office.pull_all_scoped(3, "&scope=restore").await, sent);
    // Another venue's token restores its own venue only.
    let of_bar = bar.pull_all_scoped(3, "&scope=restore").await;
    assert!(of_bar.is_empty(), "{of_bar:?}");
    let bar_restorer = Console::enroll(&hub, b).await;
    let restored = bar_restorer.pull_all_scoped(100, "&scope=restore").await;
    assert_eq!(restored.len(), 1);
    assert!(restored.iter().all(|c| c.venue_id == b));

    // A scope this hub does not know is refused.
    let res = restorer.pull_raw("?scope=everything").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    hub.stop().await;
}

/// `/metrics` ages each venue's newest change (read from the database, so any hub process on it
/// reports every venue); a venue with no change yet is not listed.
async fn metrics_age_each_venues_newest_change(backend: Backend) {
    let hub = Hub::start(backend).await;
    let (a, b) = (
        hub.venue("Harbour Hotel").await,
        hub.venue("Hill Bar").await,
    );
    let desk = Console::enroll(&hub, a).await;
    let before = chrono::Utc::now();
    desk.push(&[desk.note("the newest")]).await;
    let metrics = support::metrics(&hub.base).await;
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with(&format!(
                "venue_hub_venue_newest_change_age_seconds{{venue=\"{a}\"}}"
            ))
        })
        .unwrap_or_else(|| panic!("no age for venue {a}: {metrics}"));
    let age: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    let since_push = (chrono::Utc::now() - before).num_milliseconds() as f64 / 1_000.0;
    // Stored to the millisecond: allow that much.
    assert!(
        (0.0..=since_push + 0.002).contains(&age),
        "{line}, pushed {since_push} s ago"
    );
    assert!(!metrics.contains(&b.to_string()), "{metrics}");
    assert!(
        metrics.contains("# TYPE venue_hub_venue_newest_change_age_seconds gauge"),
        "{metrics}"
    );
    hub.stop().await;
}

/// A console's full page (5,000 changes) of rows the size of a sale is several megabytes: more
/// than axum's own 2 MB default for a JSON body, well under the hub's limit. It is taken whole.
async fn a_full_page_of_large_changes_is_taken(backend: Backend) {
    let hub = Hub::start(backend).await;
    let venue = hub.venue("Harbour Hotel").await;
    let desk = Console::enroll(&hub, venue).await;
    let text = "a line of a long desk note, as long as a sale's JSON; ".repeat(10);
    let page: Vec<ChangeRecord> = (0..5_000).map(|_| desk.note(&text)).collect();
    let bytes = serde_json::to_vec(&page).unwrap().len();
    assert!(bytes > 2 * 1024 * 1024, "the page is {bytes} bytes");
    let answer = desk.push(&page).await;
    assert_eq!(answer.acknowledged, 5_000);
    assert!(
        answer
            .outcomes
            .iter()
            .all(|o| o.outcome == ChangeOutcome::Applied),
        "every change applied"
    );
    hub.stop().await;
}

macro_rules! on_both_backends {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $story() { super::$story(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $story() { super::$story(super::Backend::Postgres).await })*
        }
    };
}

on_both_backends!(
    two_venues_sync_and_stay_apart,
    every_attack_is_refused_and_leaks_nothing,
    every_response_says_its_request_and_the_hub_clock,
    metrics_age_each_venues_newest_change,
    a_restore_pull_brings_back_everything_sent_up,
    a_full_page_of_large_changes_is_taken,
);
