//! The websocket loop against a tiny local websocket server: the Cookie on the upgrade,
//! batching, bad frames, reconnecting after the server drops us, and silence taken for death.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use venue_http::secrets::Secret;
use venue_pms::{run_socket, MewsCredentials, MewsEvent, PmsConfig, SocketSettings, SocketSignal};

/// What a connection does after the handshake.
#[derive(Clone, Copy)]
enum Script {
    /// Sends events and a bad frame, then closes.
    EventsThenClose,
    /// Sends nothing and never reads (so never answers a ping).
    Silent,
}

/// Serves `scripts` to successive connections; records each upgrade's Cookie header.
async fn server(scripts: Vec<Script>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/ws/connector", listener.local_addr().expect("addr"));
    let cookies = Arc::new(Mutex::new(Vec::new()));
    let seen = cookies.clone();
    tokio::spawn(async move {
        for script in scripts.into_iter().cycle() {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                // The signature is tungstenite's, large error type included.
                #[allow(clippy::result_large_err)]
                let callback = |request: &Request, response: Response| {
                    let cookie = request
                        .headers()
                        .get("cookie")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    seen.lock().expect("lock").push(cookie);
                    Ok(response)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                    return;
                };
                use futures_util::SinkExt;
                match script {
                    Script::EventsThenClose => {
                        let frames = [
                            r#"{"Events":[{"Type":"Reservation","Id":"r1","State":"Confirmed"},{"Type":"Spa","Id":"s"}]}"#,
                            "not json",
                            r#"{"Events":[{"Type":"Resource","Id":"room-1","State":"Dirty"},{"Type":"Spa","Id":"t"}]}"#,
                        ];
                        for frame in frames {
                            let _ = ws.send(Message::text(frame)).await;
                        }
                        // Past the batch, so the batch goes out on its timer.
                        tokio::time::sleep(Duration::from_millis(600)).await;
                        let _ = ws.close(None).await;
                    }
                    Script::Silent => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        drop(ws);
                    }
                }
            });
        }
    });
    (url, cookies)
}

fn settings(url: &str) -> SocketSettings {
    let creds = MewsCredentials {
        client_token: Secret::new("client-tok".into()),
        access_token: Secret::new("access-tok".into()),
    };
    let mut s = SocketSettings::from_config(&PmsConfig::mews("http://127.0.0.1:1", url), &creds);
    s.batch = Duration::from_millis(250);
    s.backoff = s.backoff.with_min_delay(Duration::from_millis(20));
    s
}

async fn next(rx: &mut mpsc::Receiver<SocketSignal>) -> SocketSignal {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a signal in time")
        .expect("the socket is running")
}

#[tokio::test]
async fn events_are_batched_bad_frames_reported_and_a_drop_reconnects() {
    let (url, cookies) = server(vec![Script::EventsThenClose]).await;
    let (tx, mut rx) = mpsc::channel(16);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run_socket(settings(&url), tx, async move {
        let _ = stop_rx.await;
    }));

    assert!(matches!(
        next(&mut rx).await,
        SocketSignal::Connected { attempt: 1, .. }
    ));
    let SocketSignal::BadFrame(reason) = next(&mut rx).await else {
        panic!("the bad frame comes first: events wait for their batch");
    };
    assert!(reason.contains("not JSON"), "{reason}");
    // Both frames' events in one batch; the unknown "Spa" type left out.
    assert_eq!(
        next(&mut rx).await,
        SocketSignal::Events(vec![
            MewsEvent::Reservation {
                id: "r1".into(),
                state: Some("Confirmed".into()),
                start_utc: None,
                end_utc: None
            },
            MewsEvent::Resource {
                id: "room-1".into(),
                state: Some("Dirty".into())
            },
        ])
    );
    let SocketSignal::Disconnected { reason, .. } = next(&mut rx).await else {
        panic!("the server closed");
    };
    assert!(reason.contains("closed"), "{reason}");
    assert!(matches!(
        next(&mut rx).await,
        SocketSignal::Connected { attempt: 1, .. }
    ));
    assert_eq!(
        cookies.lock().expect("lock")[0],
        "ClientToken=client-tok;AccessToken=access-tok"
    );

    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops when told")
        .expect("no panic");
}

#[tokio::test]
async fn a_silent_connection_is_taken_for_dead_and_replaced() {
    let (url, _) = server(vec![Script::Silent]).await;
    let mut s = settings(&url);
    s.ping_interval = Duration::from_millis(100);
    s.dead_after = Duration::from_millis(400);
    let (tx, mut rx) = mpsc::channel(16);
    let task = tokio::spawn(run_socket(s, tx, std::future::pending()));
    assert!(matches!(
        next(&mut rx).await,
        SocketSignal::Connected { .. }
    ));
    let SocketSignal::Disconnected { reason, .. } = next(&mut rx).await else {
        panic!("declared dead");
    };
    assert!(reason.contains("no frame and no pong"), "{reason}");
    assert!(matches!(
        next(&mut rx).await,
        SocketSignal::Connected { .. }
    ));
    // Dropping the receiver ends the loop.
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("ends once nobody listens")
        .expect("no panic");
}

#[tokio::test]
async fn an_unreachable_server_is_retried_until_stopped() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (tx, mut rx) = mpsc::channel(16);
    let stop = tokio::time::sleep(Duration::from_millis(600));
    run_socket(settings(&format!("ws://127.0.0.1:{port}/ws")), tx, stop).await;
    assert!(rx.try_recv().is_err(), "failed attempts are not signalled");
}

/// Tokens a Cookie header cannot carry never connect, however often they are tried: the socket
/// says so once, makes no further attempt and keeps its channel open (the owner polls instead)
/// until it is stopped.
#[tokio::test]
async fn settings_that_can_never_connect_are_given_up_on_at_once() {
    let (url, cookies) = server(vec![Script::EventsThenClose]).await;
    let mut s = settings(&url);
    s.cookie = Secret::new("ClientToken=tok\nen;AccessToken=x".into());
    let (tx, mut rx) = mpsc::channel(16);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run_socket(s, tx, async move {
        let _ = stop_rx.await;
    }));
    let SocketSignal::GaveUp { reason } = next(&mut rx).await else {
        panic!("given up on at once");
    };
    assert!(reason.contains("Cookie"), "{reason}");
    // Nothing follows, and the server never saw an attempt.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.try_recv().is_err(), "no signal after giving up");
    assert!(!task.is_finished(), "the channel stays open until stopped");
    assert!(cookies.lock().expect("lock").is_empty());
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops when told")
        .expect("no panic");
}
