//! https devices with self-signed certificates: accepted only with the right pin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use venue_sensors::{build_device, SensorConfig, SensorError, SensorKind};

const BODY: &str = r#"{"occupancy":15,"serial":"00:40:8c:18:82:27","timestamp":"2020-12-03T16:28:05+01:00","total_in":100,"total_out":85}"#;

/// A one-route https server with a fresh self-signed certificate; returns its URL and the
/// certificate's SHA-256.
async fn self_signed_device() -> (String, [u8; 32]) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("certificate");
    let cert_der = certified.cert.der().clone();
    let pin: [u8; 32] = Sha256::digest(cert_der.as_ref()).into();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.key_pair.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert_der], key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // Handshake failures (the refused cases) just end this connection.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
                    BODY.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://{addr}"), pin)
}

fn config(url: &str, pin: Option<String>) -> SensorConfig {
    let mut config = SensorConfig::new(SensorKind::Axis3d, "lobby");
    config.url = Some(url.to_string());
    config.cert_sha256 = pin;
    config.timeout_ms = 3000;
    config
}

/// "AB:CD:…" — the way browsers and openssl show fingerprints.
fn colon_hex(pin: &[u8; 32]) -> String {
    pin.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[tokio::test]
async fn the_pinned_certificate_is_accepted() {
    let (url, pin) = self_signed_device().await;
    let device =
        build_device(&config(&url, Some(colon_hex(&pin))), None, chrono_tz::UTC).expect("built");
    let sample = device.live().await.expect("pinned certificate accepted");
    assert_eq!((sample.total_in, sample.total_out), (100, 85));
}

#[tokio::test]
async fn a_wrong_pin_is_refused() {
    let (url, mut pin) = self_signed_device().await;
    pin[0] ^= 0xff;
    let device =
        build_device(&config(&url, Some(hex::encode(pin))), None, chrono_tz::UTC).expect("built");
    let err = device.live().await.unwrap_err();
    match &err {
        SensorError::Unreachable { detail, .. } => {
            assert!(detail.contains("pin mismatch"), "{detail}")
        }
        other => panic!("expected a refused certificate, got {other:?}"),
    }
}

#[tokio::test]
async fn without_a_pin_a_self_signed_certificate_is_refused_clearly() {
    let (url, _) = self_signed_device().await;
    let device = build_device(&config(&url, None), None, chrono_tz::UTC).expect("built");
    let err = device.live().await.unwrap_err();
    match &err {
        SensorError::Unreachable { detail, .. } => {
            assert!(detail.contains("cert_sha256"), "{detail}");
        }
        other => panic!("expected a refused certificate, got {other:?}"),
    }
}
