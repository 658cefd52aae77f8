//! The live channel (`GET /v1/sync/live`, server-sent events) on a real loopback port: a
//! console hears its own venue's pushes and nobody else's, is counted while connected, gets
//! keep-alives while idle, and on PostgreSQL hears pushes made through another hub process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod support;

use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use support::{Backend, Hub};
use uuid::Uuid;
use venue_domain::sync::PROTOCOL_VERSION;
use venue_domain::wire::{EnrollResponse, LiveAnnouncement, PushResponse};
use venue_domain::{ChangeOp, ChangeRecord, EntityKind, Hlc, NodeId, Origin};
use venue_hub::server::HubSettings;

/// Long enough for a loaded machine; the measured latency is printed.
const DEADLINE: Duration = Duration::from_secs(10);

struct Console {
    node: NodeId,
    venue: Uuid,
    token: String,
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
        Console {
            node,
            venue,
            token: body.token,
            http,
        }
    }

    /// Pushes `n` desk notes through the hub at `base`.
    async fn push_notes(&self, base: &str, n: usize) -> PushResponse {
        let changes: Vec<_> = (0..n)
            .map(|i| {
                let id = venue_domain::new_id();
                serde_json::to_value(ChangeRecord {
                    change_id: venue_domain::new_id(),
                    venue_id: self.venue,
                    entity: EntityKind::DeskNote,
                    entity_id: id,
                    op: ChangeOp::Upsert,
                    payload: json!({"id": id, "venue_id": self.venue, "text": format!("note {i}")}),
                    hlc: Hlc::new(chrono::Utc::now().timestamp_millis() as u64, 0),
                    node: self.node,
                    origin: Origin::User,
                })
                .unwrap()
            })
            .collect();
        let res = self
            .http
            .post(format!("{base}/v1/sync/push"))
            .bearer_auth(&self.token)
            .json(&json!({"protocol": PROTOCOL_VERSION, "schema": 1, "node": self.node, "changes": changes}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    async fn live(&self, base: &str) -> Live {
        let res = self
            .http
            .get(format!("{base}/v1/sync/live"))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let content_type = res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Live {
            res,
            buffer: String::new(),
        }
    }
}

/// What the reader took from the stream: an event, or a keep-alive comment.
#[derive(Debug, PartialEq)]
enum Frame {
    Event {
        name: String,
        data: LiveAnnouncement,
    },
    KeepAlive,
}

/// A reader of the live stream, frame by frame.
struct Live {
    res: reqwest::Response,
    buffer: String,
}

impl Live {
    async fn frame(&mut self) -> Frame {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut name, mut data) = (None, None);
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data = Some(serde_json::from_str(v.trim()).unwrap());
                    }
                }
                return match (name, data) {
                    (Some(name), Some(data)) => Frame::Event { name, data },
                    (None, None) if block.starts_with(':') => Frame::KeepAlive,
                    other => panic!("not a frame of the live channel: {block:?} ({other:?})"),
                };
            }
            let chunk = tokio::time::timeout(DEADLINE, self.res.chunk())
                .await
                .expect("the live channel said nothing before the deadline")
                .unwrap()
                .expect("the live channel ended");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// The next event, skipping keep-alives.
    async fn event(&mut self) -> (String, LiveAnnouncement) {
        loop {
            if let Frame::Event { name, data } = self.frame().await {
                return (name, data);
            }
        }
    }
}

async fn live_consoles(base: &str) -> String {
    let text = support::metrics(base).await;
    text.lines()
        .find(|l| l.starts_with("venue_hub_live_consoles "))
        .unwrap_or_else(|| panic!("no live_consoles gauge in {text}"))
        .trim_start_matches("venue_hub_live_consoles ")
        .to_string()
}

fn settings() -> HubSettings {
    HubSettings {
        live_keepalive: Duration::from_millis(500),
        live_recheck: Duration::from_millis(200),
        ..HubSettings::default()
    }
}

async fn a_subscriber_hears_its_venue_only(backend: Backend) {
    let hub = Hub::start_with(backend, settings()).await;
    let (venue_a, venue_b) = (hub.venue("A").await, hub.venue("B").await);
    let listener = Console::enroll(&hub, venue_a).await;
    let writer_a = Console::enroll(&hub, venue_a).await;
    let writer_b = Console::enroll(&hub, venue_b).await;

    let mut live = listener.live(&hub.base).await;
    assert_eq!(
        live.event().await,
        ("ready".to_string(), LiveAnnouncement::default())
    );
    assert_eq!(live_consoles(&hub.base).await, "1");

    // Venue B's log reaches 3, venue A's 1: the first event after B's push and A's can only be
    // A's, so B's was not announced here.
    writer_b.push_notes(&hub.base, 3).await;
    let started = Instant::now();
    writer_a.push_notes(&hub.base, 1).await;
    let heard = live.event().await;
    println!(
        "{backend:?}: a push to venue A was announced to its subscriber after {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(
        heard,
        (
            "changes".to_string(),
            LiveAnnouncement {
                cursor: Some("1".to_string())
            }
        )
    );
    writer_b.push_notes(&hub.base, 1).await;
    writer_a.push_notes(&hub.base, 2).await;
    assert_eq!(live.event().await.1.cursor.as_deref(), Some("3"));

    // While idle the channel keeps alive, so a dead connection is noticed by both ends.
    assert_eq!(live.frame().await, Frame::KeepAlive);

    // Gone, and noticed: the gauge goes back to 0 once a keep-alive finds no one.
    drop(live);
    let deadline = Instant::now() + DEADLINE;
    while live_consoles(&hub.base).await != "0" {
        assert!(
            Instant::now() < deadline,
            "the closed subscription was never noticed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_subscriber_hears_its_venue_only() {
    a_subscriber_hears_its_venue_only(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_subscriber_hears_its_venue_only() {
    a_subscriber_hears_its_venue_only(Backend::Postgres).await;
}

/// A console revoked while its live stream is open stops hearing its venue at the next check,
/// without waiting for a pull: the stream ends, and reconnecting is refused.
async fn a_revoked_console_loses_its_open_stream(backend: Backend) {
    let hub = Hub::start_with(backend, settings()).await;
    let venue = hub.venue("A").await;
    let listener = Console::enroll(&hub, venue).await;
    let mut live = listener.live(&hub.base).await;
    assert_eq!(live.event().await.0, "ready");
    hub.revoke_all_of(venue).await;
    let started = Instant::now();
    let ended = tokio::time::timeout(DEADLINE, async {
        loop {
            match live.res.chunk().await {
                Ok(Some(_keep_alive)) => continue,
                Ok(None) | Err(_) => return,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the revoked console's stream stayed open");
    println!(
        "{backend:?}: the revoked console's stream ended after {} ms",
        started.elapsed().as_millis()
    );
    let again = listener
        .http
        .get(format!("{}/v1/sync/live", hub.base))
        .bearer_auth(&listener.token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_revoked_console_loses_its_open_stream() {
    a_revoked_console_loses_its_open_stream(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_revoked_console_loses_its_open_stream() {
    a_revoked_console_loses_its_open_stream(Backend::Postgres).await;
}

/// Two hub processes on one PostgreSQL database: a push through one is announced by the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_push_through_one_process_is_announced_by_another() {
    let hub = Hub::start_with(Backend::Postgres, settings()).await;
    let (second_base, second_store, stop_second) = hub.second_process(settings()).await;
    let venue = hub.venue("Shared").await;
    let listener = Console::enroll(&hub, venue).await;
    let writer = Console::enroll(&hub, venue).await;

    let mut live = listener.live(&second_base).await;
    assert_eq!(live.event().await.0, "ready");
    let started = Instant::now();
    writer.push_notes(&hub.base, 2).await;
    let heard = live.event().await;
    println!(
        "a push through one hub process was announced by another after {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(
        heard,
        (
            "changes".to_string(),
            LiveAnnouncement {
                cursor: Some("2".to_string())
            }
        )
    );
    drop(live);
    let _ = stop_second.send(());
    second_store.close().await;
    hub.stop().await;
}
