//! Push devices through the real Mosquitto broker on 127.0.0.1:1883 (it must be running: this
//! test fails, not skips, when it is not).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use rumqttc::{AsyncClient, MqttOptions, QoS};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use venue_sensors::{subscribe, SensorConfig, SensorKind};

const BROKER: &str = "127.0.0.1:1883";

fn fixture() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/sensors/xovis_v5_push_logics_data.json"
    );
    std::fs::read(path).expect("fixture")
}

#[tokio::test]
async fn pushes_arrive_as_batches_and_bad_payloads_as_errors() {
    if let Err(e) = tokio::net::TcpStream::connect(BROKER).await {
        panic!(
            "the MQTT broker is not reachable on {BROKER} ({e}): start mosquitto \
             (`mosquitto -d` or `systemctl start mosquitto`) and run the tests again"
        );
    }
    // Unique topics per run, so retained or queued messages of other runs never interfere.
    let run = format!(
        "venue-test/{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let mut door = SensorConfig::new(SensorKind::Mqtt, "door-1");
    door.broker = Some(format!("mqtt://{BROKER}"));
    door.topic = Some(format!("{run}/door-1/logics"));
    let mut bar = SensorConfig::new(SensorKind::Mqtt, "bar");
    bar.broker = Some(format!("mqtt://{BROKER}"));
    bar.topic = Some(format!("{run}/bar/+"));
    for c in [&door, &bar] {
        c.validate().expect("valid");
    }

    let (tx, mut rx) = mpsc::channel(16);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let subscriber = tokio::spawn(subscribe(vec![door, bar], tx, async {
        let _ = stop_rx.await;
    }));

    let mut options = MqttOptions::new(format!("pub-{}", std::process::id()), "127.0.0.1", 1883);
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (publisher, mut events) = AsyncClient::new(options, 16);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });

    // Publish until the subscription is in place (it is set up concurrently).
    let payload = fixture();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let batch = loop {
        publisher
            .publish(
                format!("{run}/door-1/logics"),
                QoS::AtLeastOnce,
                false,
                payload.clone(),
            )
            .await
            .expect("publish");
        match tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
            Ok(Some(received)) => break received.expect("the fixture parses"),
            Ok(None) => panic!("the subscriber stopped"),
            Err(_) if tokio::time::Instant::now() < deadline => continue,
            Err(_) => panic!("no push arrived within 10 s through {BROKER}"),
        }
    };
    assert_eq!(batch.device, "door-1");
    assert_eq!(batch.buckets.len(), 4);
    assert_eq!(batch.occupancy, Some(0));

    // A wildcard topic maps to its device; a bad payload is an Err naming it, not the end.
    publisher
        .publish(
            format!("{run}/bar/logics"),
            QoS::AtLeastOnce,
            false,
            b"not json".to_vec(),
        )
        .await
        .expect("publish");
    publisher
        .publish(
            format!("{run}/bar/logics"),
            QoS::AtLeastOnce,
            false,
            payload.clone(),
        )
        .await
        .expect("publish");
    let mut saw_error = false;
    let mut saw_bar = false;
    while !(saw_error && saw_bar) {
        let received = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("more pushes within 10 s")
            .expect("subscriber alive");
        match received {
            Err(error) => {
                let reason = error.to_string();
                assert!(
                    reason.contains("bar") && reason.contains("JSON"),
                    "{reason}"
                );
                saw_error = true;
            }
            // Earlier door-1 publishes may still be in flight.
            Ok(batch) if batch.device == "door-1" => {}
            Ok(batch) => {
                assert_eq!(batch.device, "bar");
                assert!(saw_error, "order kept: the bad payload came first");
                saw_bar = true;
            }
        }
    }

    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(5), subscriber)
        .await
        .expect("subscribe returns after stop")
        .expect("no panic");
}
