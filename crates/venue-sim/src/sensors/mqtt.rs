//! Publishing a Xovis push to a real MQTT broker (QoS 1), with rumqttc.

use std::time::Duration;

use rumqttc::{AsyncClient, ConnectReturnCode, Event, MqttOptions, Outgoing, Packet, QoS};

use crate::SimError;

/// `host:port`, `host` (port 1883), or either behind `mqtt://` / `tcp://`.
pub(crate) fn parse_broker(broker: &str) -> Result<(String, u16), SimError> {
    let rest = broker
        .strip_prefix("mqtt://")
        .or_else(|| broker.strip_prefix("tcp://"))
        .unwrap_or(broker)
        .trim_end_matches('/');
    let bad = || SimError::Mqtt(format!("bad broker address {broker:?} (want host:port)"));
    if rest.is_empty() {
        return Err(bad());
    }
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => {
            let port = port.parse::<u16>().map_err(|_| bad())?;
            Ok((host.trim_matches(['[', ']']).to_string(), port))
        }
        Some(_) => Err(bad()),
        None => Ok((rest.to_string(), 1883)),
    }
}

/// Connects, publishes `payload` at QoS 1, waits for the broker's PUBACK, disconnects.
pub(crate) async fn publish(
    broker: &str,
    client_id: String,
    topic: &str,
    payload: Vec<u8>,
) -> Result<(), SimError> {
    let (host, port) = parse_broker(broker)?;
    let mut opts = MqttOptions::new(client_id, host, port);
    opts.set_keep_alive(Duration::from_secs(10));
    opts.set_max_packet_size(1 << 20, payload.len() + (64 << 10));
    let (client, mut eventloop) = AsyncClient::new(opts, 10);
    let err = |e: &dyn std::fmt::Display| SimError::Mqtt(format!("{broker}: {e}"));
    client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
        .map_err(|e| err(&e))?;
    let acked = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack)))
                    if ack.code != ConnectReturnCode::Success =>
                {
                    return Err(SimError::Mqtt(format!(
                        "{broker}: connection refused: {:?}",
                        ack.code
                    )));
                }
                Ok(Event::Incoming(Packet::PubAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(err(&e)),
            }
        }
    })
    .await
    .map_err(|_| SimError::Mqtt(format!("{broker}: no PUBACK within 10 s")))?;
    acked?;
    // Say goodbye politely; the message is delivered either way.
    if client.disconnect().await.is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses() {
        assert_eq!(
            parse_broker("127.0.0.1:1883").ok(),
            Some(("127.0.0.1".into(), 1883))
        );
        assert_eq!(
            parse_broker("mqtt://localhost").ok(),
            Some(("localhost".into(), 1883))
        );
        assert!(parse_broker("host:port").is_err());
        assert!(parse_broker("").is_err());
    }
}
