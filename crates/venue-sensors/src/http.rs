//! HTTP shared by the polled devices: one `reqwest::Client` per device with connect and request
//! timeouts, Digest or Basic auth answered from the device's 401 challenge, certificate pinning
//! for self-signed https devices, and error mapping to [`SensorError`].
//!
//! Secrets: the password lives in a [`Secret`] and only ever goes into an `Authorization`
//! header; nothing here logs headers, and errors never contain credentials.

use crate::SensorError;
use futures_util::future::BoxFuture;
use reqwest::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use venue_http::secrets::Secret;

/// Device answers are small JSON documents; anything bigger is not a counter talking.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Which auth schemes a device may ask for in its 401 challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPolicy {
    /// Digest only (AXIS People Counter): never sends the password in clear.
    Digest,
    /// Basic only (Xovis): sent with every request.
    Basic,
    /// Whatever the 401 asks for, Digest preferred (AXIS 3D).
    Any,
}

/// A certificate pin that is not a SHA-256 in hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a SHA-256 in hex (64 digits, ':' optional)")]
pub struct BadPin;

/// A SHA-256 certificate pin from config: 64 hex digits, ':' separators optional.
pub fn parse_pin(text: &str) -> Result<[u8; 32], BadPin> {
    let digits: String = text.chars().filter(|c| *c != ':').collect();
    let mut pin = [0u8; 32];
    hex::decode_to_slice(digits.trim(), &mut pin).map_err(|_| BadPin)?;
    Ok(pin)
}

/// A client with connect + request timeout; with `pin`, https accepts only the certificate
/// whose SHA-256 is `pin` (self-signed devices), else normal webpki verification (the
/// TLS setup of every HTTP client, `venue_http::tls`).
///
/// Devices without a pin share one client per timeout: each client carries its own TLS roots
/// and connection pool, and a venue with a thousand doors must not hold a thousand of them.
pub fn build_client(
    timeout_ms: u64,
    pin: Option<[u8; 32]>,
) -> Result<reqwest::Client, SensorError> {
    static SHARED: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<u64, reqwest::Client>>,
    > = std::sync::OnceLock::new();
    if pin.is_none() {
        let shared = SHARED.get_or_init(Default::default);
        let mut clients = shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(&timeout_ms) {
            return Ok(client.clone());
        }
        let client = new_client(timeout_ms, None)?;
        clients.insert(timeout_ms, client.clone());
        return Ok(client);
    }
    new_client(timeout_ms, pin)
}

fn new_client(timeout_ms: u64, pin: Option<[u8; 32]>) -> Result<reqwest::Client, SensorError> {
    let timeout = Duration::from_millis(timeout_ms);
    let tls = match pin {
        Some(pin) => pinned_tls_config(pin)?,
        None => venue_http::tls::client_config()
            .map_err(|e| SensorError::Setup(format!("TLS setup: {e}")))?,
    };
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(timeout)
        .timeout(timeout)
        // Devices never redirect in their APIs; following one could leak credentials.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SensorError::Setup(format!("cannot build the HTTP client: {e}")))
}

/// The rustls config for a pinned device (ring, like reqwest's own rustls).
pub fn pinned_tls_config(pin: [u8; 32]) -> Result<rustls::ClientConfig, SensorError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| SensorError::Setup(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedLeaf { pin, provider }))
        .with_no_client_auth();
    Ok(config)
}

/// Accepts the server's leaf certificate only if its SHA-256 is the pin. Chain, name and
/// expiry are not checked (a self-signed device certificate has none worth checking: the pin is
/// the trust), but the handshake signature still is, so the peer must hold the private key.
#[derive(Debug)]
struct PinnedLeaf {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedLeaf {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if got == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate pin mismatch: the device's certificate has SHA-256 {}",
                hex::encode(got)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One device's HTTP side: base URL, client, credentials and the cached Digest challenge.
pub struct DeviceHttp {
    device: String,
    base: Url,
    client: reqwest::Client,
    timeout_ms: u64,
    credentials: Option<(String, Secret)>,
    policy: AuthPolicy,
    state: Mutex<AuthState>,
}

/// What the device last asked for. The Digest challenge (nonce, and its nonce count) is reused
/// for later requests until the device refuses it, saving a round trip per poll.
#[derive(Default)]
enum AuthState {
    #[default]
    Unknown,
    Basic,
    Digest(Box<digest_auth::WwwAuthenticateHeader>),
}

/// A 2xx answer's body.
pub struct Body(pub Vec<u8>);

impl DeviceHttp {
    /// `url` is the device base URL; `credentials` the username and password, if the device
    /// needs them.
    pub fn new(
        device: &str,
        url: &str,
        timeout_ms: u64,
        cert_sha256: Option<&str>,
        credentials: Option<(String, Secret)>,
        policy: AuthPolicy,
    ) -> Result<Self, SensorError> {
        let setup = |why: String| SensorError::Setup(format!("sensor {device:?}: {why}"));
        let mut base = Url::parse(url).map_err(|e| setup(format!("url {url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(setup(format!("url {url:?} must be http or https")));
        }
        // Paths are joined below the base, so it must end with '/'.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let pin = cert_sha256
            .map(parse_pin)
            .transpose()
            .map_err(|why| setup(format!("cert_sha256 {why}")))?;
        Ok(DeviceHttp {
            device: device.to_string(),
            base,
            client: build_client(timeout_ms, pin)?,
            timeout_ms,
            credentials,
            policy,
            state: Mutex::new(AuthState::Unknown),
        })
    }

    pub fn device(&self) -> &str {
        &self.device
    }

    /// The absolute URL of `path_and_query` (relative to the base, no leading '/').
    pub fn url(&self, path_and_query: &str) -> Result<Url, SensorError> {
        self.base
            .join(path_and_query.trim_start_matches('/'))
            .map_err(|e| SensorError::Setup(format!("sensor {:?}: bad path: {e}", self.device)))
    }

    /// GET, answering an auth challenge once; 2xx → the body, anything else → an error
    /// (`describe` turns a non-2xx body into the message of [`SensorError::Http`]).
    pub fn get<'a>(
        &'a self,
        path_and_query: &'a str,
        describe: fn(&[u8]) -> Option<String>,
    ) -> BoxFuture<'a, Result<Body, SensorError>> {
        Box::pin(async move {
            let url = self.url(path_and_query)?;
            let mut answered_challenge = false;
            loop {
                let mut request = self.client.get(url.clone());
                if let Some(value) = self.authorization(&url)? {
                    request = request.header(AUTHORIZATION, value);
                }
                let response = request.send().await.map_err(|e| self.transport(&url, e))?;
                let status = response.status();
                if status == StatusCode::UNAUTHORIZED
                    && !answered_challenge
                    && self.learn(&response)
                {
                    // First 401 (or a stale nonce): answer the challenge once.
                    answered_challenge = true;
                    continue;
                }
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                    // A refused nonce must not be reused next time.
                    self.forget_digest();
                    return Err(SensorError::Unauthorized {
                        device: self.device.clone(),
                        status: status.as_u16(),
                    });
                }
                let body = self.read_body(&url, response).await?;
                if status.is_success() {
                    return Ok(Body(body));
                }
                let message = describe(&body).unwrap_or_else(|| snippet(&body));
                return Err(SensorError::Http {
                    device: self.device.clone(),
                    status: status.as_u16(),
                    message,
                });
            }
        })
    }

    /// The Authorization header for the next request, from what the device asked for before.
    fn authorization(&self, url: &Url) -> Result<Option<HeaderValue>, SensorError> {
        let Some((username, password)) = &self.credentials else {
            return Ok(None);
        };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let text = match &mut *state {
            AuthState::Basic => basic_header(username, password.expose()),
            AuthState::Digest(challenge) => {
                let uri = request_uri(url);
                let context = digest_auth::AuthContext::new(
                    username.as_str(),
                    password.expose(),
                    uri.as_str(),
                );
                match challenge.respond(&context) {
                    Ok(answer) => answer.to_header_string(),
                    Err(e) => {
                        *state = AuthState::Unknown;
                        return Err(SensorError::Malformed {
                            device: self.device.clone(),
                            detail: format!("digest challenge: {e}"),
                        });
                    }
                }
            }
            // Basic-only devices get the header up front (that is how Basic works); others wait
            // for the challenge so a password is never sent unasked.
            AuthState::Unknown if self.policy == AuthPolicy::Basic => {
                basic_header(username, password.expose())
            }
            AuthState::Unknown => return Ok(None),
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            SensorError::Setup(format!(
                "sensor {:?}: username or password has characters HTTP headers cannot carry",
                self.device
            ))
        })?;
        value.set_sensitive(true);
        Ok(Some(value))
    }

    /// Reads a 401's challenge; true when there is something (new) to answer with.
    fn learn(&self, response: &reqwest::Response) -> bool {
        if self.credentials.is_none() {
            return false;
        }
        let challenges: Vec<&str> = response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let scheme = |c: &&str, name: &str| {
            c.trim_start()
                .get(..name.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(name))
        };
        let digest = challenges.iter().find(|c| scheme(c, "digest"));
        let basic = challenges.iter().any(|c| scheme(c, "basic"));
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if self.policy != AuthPolicy::Basic {
            if let Some(parsed) = digest.and_then(|c| digest_auth::parse(c).ok()) {
                *state = AuthState::Digest(Box::new(parsed));
                return true;
            }
        }
        // A Basic-only client already sent its header: a 401 is a refusal, and a second try
        // would only count towards the device's lock-out.
        if self.policy == AuthPolicy::Any && basic && !matches!(*state, AuthState::Basic) {
            *state = AuthState::Basic;
            return true;
        }
        false
    }

    fn forget_digest(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(*state, AuthState::Digest(_)) {
            *state = AuthState::Unknown;
        }
    }

    async fn read_body(
        &self,
        url: &Url,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, SensorError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(url, e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(SensorError::Malformed {
                    device: self.device.clone(),
                    detail: format!("answer larger than {MAX_BODY_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport(&self, url: &Url, error: reqwest::Error) -> SensorError {
        if error.is_timeout() {
            return SensorError::Timeout {
                device: self.device.clone(),
                millis: self.timeout_ms,
            };
        }
        let mut detail = error_chain(&error);
        if detail.to_ascii_lowercase().contains("certificate") && url.scheme() == "https" {
            detail.push_str(
                " (a self-signed device certificate is accepted only with cert_sha256 set to its SHA-256)",
            );
        }
        SensorError::Unreachable {
            device: self.device.clone(),
            url: strip_credentials(url),
            detail,
        }
    }
}

/// Path and query as the request line carries them (what Digest hashes as `uri`).
fn request_uri(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

fn basic_header(username: &str, password: &str) -> String {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {token}")
}

/// A URL without any user:password a config might have carried.
fn strip_credentials(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// An error and its causes (reqwest's top-level message hides TLS and connect details).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The start of a body as text, for error messages.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "(empty body)".to_string(),
        None => text.to_string(),
    }
}

/// Field access on device JSON that names the field when it is missing or of the wrong type.
pub(crate) mod json {
    use crate::SensorError;
    use serde_json::Value;

    pub fn parse(device: &str, body: &[u8]) -> Result<Value, SensorError> {
        serde_json::from_slice(body).map_err(|e| malformed(device, format!("not JSON: {e}")))
    }

    pub fn malformed(device: &str, detail: String) -> SensorError {
        SensorError::Malformed {
            device: device.to_string(),
            detail,
        }
    }

    pub fn get<'a>(device: &str, value: &'a Value, field: &str) -> Result<&'a Value, SensorError> {
        value
            .get(field)
            .ok_or_else(|| malformed(device, format!("field {field:?} is missing")))
    }

    pub fn u64(device: &str, value: &Value, field: &str) -> Result<u64, SensorError> {
        get(device, value, field)?.as_u64().ok_or_else(|| {
            malformed(
                device,
                format!("field {field:?} is not a count (a non-negative integer)"),
            )
        })
    }

    pub fn i64(device: &str, value: &Value, field: &str) -> Result<i64, SensorError> {
        get(device, value, field)?
            .as_i64()
            .ok_or_else(|| malformed(device, format!("field {field:?} is not an integer")))
    }

    pub fn str<'a>(device: &str, value: &'a Value, field: &str) -> Result<&'a str, SensorError> {
        get(device, value, field)?
            .as_str()
            .ok_or_else(|| malformed(device, format!("field {field:?} is not a string")))
    }

    pub fn array<'a>(
        device: &str,
        value: &'a Value,
        field: &str,
    ) -> Result<&'a Vec<Value>, SensorError> {
        get(device, value, field)?
            .as_array()
            .ok_or_else(|| malformed(device, format!("field {field:?} is not a list")))
    }
}
