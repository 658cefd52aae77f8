//! Push devices: Xovis sensors publishing their "logics" JSON to the venue's MQTT broker.
//!
//! One connection per broker (rumqttc), every configured topic subscribed at QoS 1 (again after
//! each reconnect), a persistent session with a client id derived from the topics so the broker
//! keeps QoS 1 messages while the console is away. Each message becomes a [`PushBatch`] for the
//! device whose topic filter matches first; a payload that cannot be read is an `Err` (the
//! [`SensorError`] naming what was wrong) on the channel, never fatal. Connection errors back
//! off from 1 s up to 30 s.

use crate::config::SensorConfig;
use crate::http::json;
use crate::{HistoryBucket, SensorError};
use chrono::{DateTime, Utc};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;

pub const DEFAULT_PORT: u16 = 1883;
/// Pushes carry minutes of records; rumqttc's 10 kB default is too small.
const MAX_PACKET_BYTES: usize = 1024 * 1024;
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// What one push told: per-period counts of the door line, and the zone's occupancy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushBatch {
    pub device: String,
    pub buckets: Vec<HistoryBucket>,
    pub occupancy: Option<i64>,
    /// The end of the newest record in the push (when the push was taken), else receipt time.
    pub at: DateTime<Utc>,
}

/// Reads a Xovis v5 logics push (`{"logics_data":{"logics":[…]}}`): the door line logic's
/// records (`fw` in, `bw` out) become buckets, the zone logic's latest `balance` the occupancy.
pub fn parse_xovis_push(
    device: &str,
    payload: &[u8],
    logic_id: Option<u32>,
) -> Result<PushBatch, SensorError> {
    let value = json::parse(device, payload)?;
    let data = json::get(device, &value, "logics_data")?;
    let logics = json::array(device, data, "logics")?;
    let door = crate::xovis::door_logic_of(device, logics, logic_id)?;
    let buckets = crate::xovis::parse_records(device, door)?;
    let occupancy = crate::xovis::latest_balance(device, logics)?;
    let newest = logics
        .iter()
        .filter_map(|l| l.get("records").and_then(Value::as_array))
        .flatten()
        .filter_map(|r| r.get("to").and_then(Value::as_i64))
        .max()
        .and_then(|ms| crate::time::epoch_ms(ms).ok());
    Ok(PushBatch {
        device: device.to_string(),
        buckets,
        occupancy,
        at: newest.unwrap_or_else(Utc::now),
    })
}

/// A broker address that is not `mqtt://host[:port]`; each names the text as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerUrlError {
    #[error("{text:?} is not a URL: {detail}")]
    NotAUrl { text: String, detail: String },
    #[error("{0:?}: TLS brokers are not supported (use mqtt://)")]
    Tls(String),
    #[error("{text:?}: scheme {scheme:?} is not mqtt://")]
    Scheme { text: String, scheme: String },
    #[error("{0:?} has no host")]
    NoHost(String),
    #[error("{0:?} must be mqtt://host[:port] only")]
    NotJustHostAndPort(String),
}

/// "mqtt://host:port" (or tcp://; port 1883 by default) → (host, port).
pub fn parse_broker(text: &str) -> Result<(String, u16), BrokerUrlError> {
    let url = reqwest::Url::parse(text).map_err(|e| BrokerUrlError::NotAUrl {
        text: text.to_string(),
        detail: e.to_string(),
    })?;
    match url.scheme() {
        "mqtt" | "tcp" => {}
        "mqtts" | "ssl" => return Err(BrokerUrlError::Tls(text.to_string())),
        other => {
            return Err(BrokerUrlError::Scheme {
                text: text.to_string(),
                scheme: other.to_string(),
            })
        }
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| BrokerUrlError::NoHost(text.to_string()))?;
    if !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(BrokerUrlError::NotJustHostAndPort(text.to_string()));
    }
    // Brackets of an IPv6 literal are URL syntax, not part of the address.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    Ok((host, url.port().unwrap_or(DEFAULT_PORT)))
}

/// MQTT topic filter matching ('+' one level, '#' the rest).
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Subscribes every mqtt config's topic and sends what arrives on `tx` until `stop` resolves
/// (or the receiver goes away). Configs without broker or topic are skipped with a warning
/// (`SensorConfig::validate` refuses them).
pub async fn subscribe(
    configs: Vec<SensorConfig>,
    tx: mpsc::Sender<Result<PushBatch, SensorError>>,
    stop: impl Future<Output = ()>,
) {
    let mut brokers: BTreeMap<(String, u16), Vec<SensorConfig>> = BTreeMap::new();
    for config in configs {
        match config.broker.as_deref().map(parse_broker) {
            Some(Ok(key)) if config.topic.is_some() => brokers.entry(key).or_default().push(config),
            _ => {
                tracing::warn!(sensor = %config.name, "mqtt sensor without a valid broker and topic: skipped")
            }
        }
    }
    let connections = brokers
        .into_iter()
        .map(|((host, port), configs)| run_broker(host, port, configs, tx.clone()));
    tokio::select! {
        _ = stop => {}
        _ = futures_util::future::join_all(connections) => {}
    }
}

/// One broker connection, until the receiver is dropped (or the caller stops polling it).
async fn run_broker(
    host: String,
    port: u16,
    configs: Vec<SensorConfig>,
    tx: mpsc::Sender<Result<PushBatch, SensorError>>,
) {
    let topics: Vec<String> = configs.iter().filter_map(|c| c.topic.clone()).collect();
    let mut options = MqttOptions::new(client_id(&host, port, &topics), host.clone(), port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(false)
        .set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
    let (client, mut events) = AsyncClient::new(options, 64);
    let mut backoff = BACKOFF_MIN;
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = BACKOFF_MIN;
                tracing::info!(broker = %host, port, "mqtt connected");
                // Subscribe on every (re)connect: a broker that lost the session lost them too.
                for topic in &topics {
                    if let Err(e) = client.try_subscribe(topic.clone(), QoS::AtLeastOnce) {
                        tracing::warn!(broker = %host, topic = %topic, error = %e, "mqtt subscribe not queued");
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let Some(config) = configs.iter().find(|c| {
                    c.topic
                        .as_deref()
                        .is_some_and(|f| topic_matches(f, &publish.topic))
                }) else {
                    continue;
                };
                let batch = parse_xovis_push(&config.name, &publish.payload, config.logic_id);
                if tx.send(batch).await.is_err() {
                    let _ = client.try_disconnect();
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                if tx.is_closed() {
                    return;
                }
                tracing::warn!(broker = %host, port, error = %e, retry_in_ms = backoff.as_millis() as u64, "mqtt connection failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// A client id stable across restarts for the same topics (so the persistent session finds
/// its queued messages), short enough for strict MQTT 3.1.1 brokers (23 characters).
fn client_id(host: &str, port: u16, topics: &[String]) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("{host}:{port}"));
    for topic in topics {
        hash.update([0]);
        hash.update(topic.as_bytes());
    }
    let digest = hex::encode(hash.finalize());
    format!("venue-{}", &digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brokers_and_topics() {
        assert_eq!(
            parse_broker("mqtt://127.0.0.1:1883"),
            Ok(("127.0.0.1".into(), 1883))
        );
        assert_eq!(
            parse_broker("mqtt://broker.local"),
            Ok(("broker.local".into(), 1883))
        );
        assert!(parse_broker("mqtts://x").is_err());
        assert!(parse_broker("http://x").is_err());
        assert!(topic_matches("xovis/+/logics", "xovis/door-1/logics"));
        assert!(topic_matches("xovis/#", "xovis/door-1/logics"));
        assert!(!topic_matches("xovis/door-1/logics", "xovis/door-2/logics"));
        assert!(!topic_matches("xovis/+", "xovis/door-1/logics"));
        assert!(client_id("h", 1, &["t".into()]).len() <= 23);
    }
}
