//! The one TLS setup of every HTTP client the console builds: rustls with the ring provider and
//! the webpki roots (Mozilla's), named explicitly on each client. reqwest 0.13 picks no provider
//! of its own with `rustls-no-provider`, and relying on a process-wide default would make a
//! client built before someone installed it fail; the PMS websocket and the pinned door
//! counters use the same provider, so the app links one TLS stack.

use std::sync::Arc;

/// Client TLS trusting the webpki roots.
pub fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// A reqwest client builder with [`client_config`]: start every client from here.
pub fn client_builder() -> Result<reqwest::ClientBuilder, rustls::Error> {
    Ok(reqwest::Client::builder().tls_backend_preconfigured(client_config()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_trusts_the_public_roots_and_speaks_http_over_tls() {
        let config = client_config().expect("config");
        assert!(
            config
                .crypto_provider()
                .cipher_suites
                .iter()
                .any(|s| matches!(s.suite(), rustls::CipherSuite::TLS13_AES_128_GCM_SHA256)),
            "the ring provider's TLS 1.3 suites"
        );
        assert!(!webpki_roots::TLS_SERVER_ROOTS.is_empty());
        client_builder()
            .expect("builder")
            .build()
            .expect("a client builds without a process-wide provider");
    }
}
