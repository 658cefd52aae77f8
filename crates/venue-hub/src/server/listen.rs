//! Where the hub listens, and how: HTTPS with rustls when given a certificate and key; plain
//! HTTP only on a loopback address, unless the operator explicitly allows it.

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Listen {
    pub addr: SocketAddr,
    pub tls: Option<TlsFiles>,
    /// Plain HTTP on a non-loopback address (behind a TLS-terminating proxy, say).
    pub insecure_http: bool,
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("refusing plain HTTP on {0}: device tokens would cross the network in clear. Give --tls-cert and --tls-key, listen on a loopback address, or pass --insecure-http if a proxy in front does TLS")]
    PlainOffLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the TLS certificate or key ({cert} / {key}): {source}")]
    Tls {
        cert: String,
        key: String,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

impl Listen {
    /// The rule above, checked before anything binds.
    pub fn check(&self) -> Result<(), ListenError> {
        if self.tls.is_none() && !self.addr.ip().is_loopback() && !self.insecure_http {
            return Err(ListenError::PlainOffLoopback(self.addr));
        }
        Ok(())
    }
}

/// Binds and serves `router` until `shutdown` completes; `on_bound` hears the address bound
/// (port 0 picks a free one).
pub async fn serve(
    router: Router,
    listen: Listen,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ListenError> {
    listen.check()?;
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    match &listen.tls {
        None => {
            let listener = tokio::net::TcpListener::bind(listen.addr)
                .await
                .map_err(|source| ListenError::Bind {
                    addr: listen.addr,
                    source,
                })?;
            let bound = listener.local_addr().map_err(ListenError::Serve)?;
            on_bound(bound);
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(ListenError::Serve)
        }
        Some(files) => {
            // One crypto provider for the process (ring, as the rest of the workspace); a second
            // install attempt is harmless.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
                    .await
                    .map_err(|source| ListenError::Tls {
                        cert: files.cert.display().to_string(),
                        key: files.key.display().to_string(),
                        source,
                    })?;
            let listener =
                std::net::TcpListener::bind(listen.addr).map_err(|source| ListenError::Bind {
                    addr: listen.addr,
                    source,
                })?;
            listener.set_nonblocking(true).map_err(ListenError::Serve)?;
            let bound = listener.local_addr().map_err(ListenError::Serve)?;
            on_bound(bound);
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            axum_server::from_tcp_rustls(listener, config)
                .map_err(ListenError::Serve)?
                .handle(handle)
                .serve(service)
                .await
                .map_err(ListenError::Serve)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_unless_allowed() {
        let at = |addr: &str, insecure_http| Listen {
            addr: addr.parse().unwrap(),
            tls: None,
            insecure_http,
        };
        assert!(at("127.0.0.1:0", false).check().is_ok());
        assert!(at("[::1]:0", false).check().is_ok());
        let err = at("0.0.0.0:8443", false).check().unwrap_err().to_string();
        assert!(err.contains("--insecure-http"), "{err}");
        assert!(at("0.0.0.0:8443", true).check().is_ok());
    }
}
