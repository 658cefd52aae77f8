//! Signed updates through tauri-plugin-updater. The public key lives in tauri.conf.json
//! (`plugins.updater.pubkey`); every downloaded artefact is checked against it (and against the
//! version it was signed for) before anything is installed, so a compromised or spoofed update
//! server can at worst withhold updates, never install its own code.
//!
//! The endpoint comes from tauri.conf.json and can be replaced at run time with
//! `VENUE_UPDATE_ENDPOINT` (a staging server, or a local one in tests).

use std::net::IpAddr;
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime, Url};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};
use venue_core::desktop::UpdateOffer;
use venue_core::{ApiError, ApiResult, ErrorCode};

/// Replaces the configured update endpoint (one URL, same placeholders as tauri.conf.json).
pub const ENDPOINT_ENV: &str = "VENUE_UPDATE_ENDPOINT";

/// How long a check may take; the download itself has no limit (artefacts are large and
/// connections slow), only the check that gates the UI's answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether `VENUE_UPDATE_ENDPOINT` was usable. A bad value is kept as an error (managed state)
/// so checks report it instead of quietly asking the default server.
pub struct EndpointOverride(Result<Option<Url>, ApiError>);

/// Applies `VENUE_UPDATE_ENDPOINT` (its value passed in) to the app config's updater section,
/// before the plugin reads it. Manage the result so checks can report a refused value.
pub fn configure(config: &mut tauri::Config, env_value: Option<&str>) -> EndpointOverride {
    let Some(value) = env_value.filter(|v| !v.trim().is_empty()) else {
        return EndpointOverride(Ok(None));
    };
    let url = match parse_endpoint(value) {
        Ok(url) => url,
        Err(error) => {
            tracing::error!(%error, "update endpoint override refused");
            return EndpointOverride(Err(error));
        }
    };
    let Some(serde_json::Value::Object(updater)) = config.plugins.0.get_mut("updater") else {
        return EndpointOverride(Err(ApiError::new(
            ErrorCode::UpdateFailed,
            "updates are not configured in this build (no plugins.updater in tauri.conf.json)",
        )));
    };
    updater.insert("endpoints".into(), serde_json::json!([url.as_str()]));
    // The plugin refuses plain http in release builds unless this is set. `parse_endpoint` only
    // lets http through for loopback, where the traffic never leaves the machine, so setting it
    // then does not open the app to a network attacker.
    if url.scheme() == "http" {
        updater.insert(
            "dangerousInsecureTransportProtocol".into(),
            serde_json::Value::Bool(true),
        );
    }
    tracing::info!(endpoint = %url, "update endpoint from {ENDPOINT_ENV}");
    EndpointOverride(Ok(Some(url)))
}

/// An update endpoint: https anywhere, plain http only to this machine (127.0.0.1, ::1,
/// localhost). Over http to another host anyone on the path could answer for the server: they
/// cannot forge a signature, but they can hide updates or replay an old manifest.
pub fn parse_endpoint(value: &str) -> ApiResult<Url> {
    let bad = |why: String| ApiError::bad_input(format!("{ENDPOINT_ENV}={value:?}: {why}"));
    let url = Url::parse(value.trim()).map_err(|e| bad(format!("not a URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(bad(format!(
            "plain http is only allowed to 127.0.0.1 or localhost (a local test server); use https for {}",
            url.host_str().unwrap_or("this host")
        ))),
        other => Err(bad(format!("the scheme must be https, not {other}"))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Asks the update server whether there is a newer version. `None`: up to date.
pub async fn check<R: Runtime>(app: &AppHandle<R>) -> ApiResult<Option<UpdateOffer>> {
    Ok(find(app).await?.as_ref().map(offer))
}

/// Downloads the update offered as `version`, verifies its signature, installs it and restarts
/// the app. Refuses when the server now offers something else than what the user agreed to.
pub async fn install<R: Runtime>(app: &AppHandle<R>, version: &str) -> ApiResult<()> {
    let update = find(app).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("version {version} is no longer offered; this console is up to date"),
        )
    })?;
    if update.version != version {
        return Err(ApiError::new(
            ErrorCode::UpdateFailed,
            format!(
                "the update server now offers version {} instead of {version}; check again before installing",
                update.version
            ),
        ));
    }
    self_updatable()?;
    let bytes = download(&update).await?;
    // `install` verifies the bytes again before touching the installed app. It blocks (a deb
    // waits for the administrator password prompt), so keep it off the async workers.
    let installing = update.clone();
    tauri::async_runtime::spawn_blocking(move || installing.install(bytes))
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the install stopped: {e}")))?
        .map_err(|e| refused(&update.version, e))?;
    tracing::info!(version = %update.version, "update installed; restarting");
    app.restart()
}

/// Downloads the update and checks its signature; the bytes are only returned when they verify.
pub async fn download(update: &Update) -> ApiResult<Vec<u8>> {
    update
        .download(|_, _| {}, || {})
        .await
        .map_err(|e| refused(&update.version, e))
}

async fn find<R: Runtime>(app: &AppHandle<R>) -> ApiResult<Option<Update>> {
    if let Some(EndpointOverride(Err(error))) = app.try_state::<EndpointOverride>().as_deref() {
        return Err(error.clone());
    }
    let updater = app
        .updater_builder()
        .timeout(CHECK_TIMEOUT)
        .build()
        .map_err(check_failed)?;
    updater.check().await.map_err(check_failed)
}

/// Only an installed package (deb, rpm, AppImage, msi, nsis, a macOS bundle) can replace
/// itself; a binary run from a build tree would be overwritten by an AppImage otherwise.
fn self_updatable() -> ApiResult<()> {
    match tauri::utils::platform::bundle_type() {
        Some(_) => Ok(()),
        None => Err(ApiError::new(
            ErrorCode::UpdateFailed,
            "this copy of Venue Console was not installed from a package (a development build?), so it cannot update itself; install the new version's package instead",
        )),
    }
}

fn offer(update: &Update) -> UpdateOffer {
    UpdateOffer {
        version: update.version.clone(),
        current_version: update.current_version.clone(),
        notes: update.body.clone(),
        date: update
            .raw_json
            .get("pub_date")
            .and_then(|d| d.as_str())
            .map(str::to_owned),
    }
}

/// An error while asking for an update (nothing was downloaded).
fn check_failed(error: UpdaterError) -> ApiError {
    let message = match &error {
        UpdaterError::Reqwest(_) | UpdaterError::Network(_) => {
            format!("could not reach the update server: {}", chain(&error))
        }
        UpdaterError::ReleaseNotFound => {
            "the update server answered with an error instead of an update manifest".to_string()
        }
        UpdaterError::Serialization(_) => {
            format!("the update server's answer is not a valid update manifest: {error}")
        }
        UpdaterError::TargetNotFound(_) | UpdaterError::TargetsNotFound(_) => {
            format!("the update server has no build for this platform: {error}")
        }
        UpdaterError::EmptyEndpoints => "no update server is configured".to_string(),
        UpdaterError::InsecureTransportProtocol => {
            format!("the update server must use https (set {ENDPOINT_ENV} to an https URL)")
        }
        _ => format!("checking for updates failed: {}", chain(&error)),
    };
    ApiError::new(ErrorCode::UpdateFailed, message)
}

/// An error while downloading, verifying or installing `version`: nothing was installed.
fn refused(version: &str, error: UpdaterError) -> ApiError {
    use minisign_verify::Error as Sig;
    let why = match &error {
        UpdaterError::Minisign(Sig::UnexpectedKeyId) => {
            "its signature was made with a different key than this app's public key".to_string()
        }
        UpdaterError::Minisign(Sig::InvalidSignature) => {
            "the download does not match its signature (altered or corrupted on the way), or the signature does not match this app's public key".to_string()
        }
        UpdaterError::Minisign(_) | UpdaterError::Base64(_) | UpdaterError::SignatureUtf8(_) => {
            format!("its signature could not be read ({})", chain(&error))
        }
        UpdaterError::SignedVersionMismatch { signed, announced } => format!(
            "the server announced version {announced} but the download is signed as version {signed}"
        ),
        UpdaterError::MissingSignedVersion => {
            "its signature does not name the version it was signed for".to_string()
        }
        UpdaterError::Reqwest(_) | UpdaterError::Network(_) => {
            format!("the download failed: {}", chain(&error))
        }
        UpdaterError::AuthenticationFailed => {
            "the administrator password prompt was cancelled or failed".to_string()
        }
        _ => chain(&error),
    };
    ApiError::new(
        ErrorCode::UpdateFailed,
        format!("update {version} was not installed: {why}"),
    )
}

/// The error and its causes on one line (reqwest keeps the interesting part in its sources).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    //! Against a real HTTP server on 127.0.0.1 serving a manifest and an artefact, with the
    //! plugin configured from the shipped tauri.conf.json except for a test key pair made here.

    use super::*;
    use axum::http::{StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    use serde_json::{json, Value};
    use std::sync::{Arc, Mutex};
    use tauri::test::MockRuntime;

    const ARTEFACT: &[u8] = b"\x1f\x8bnot really an AppImage, but signed bytes all the same";

    fn shipped_config() -> Value {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tauri.conf.json"))
            .expect("tauri.conf.json");
        serde_json::from_str(&text).expect("tauri.conf.json is JSON")
    }

    struct TestKey {
        pk: minisign::PublicKey,
        sk: minisign::SecretKey,
    }

    impl TestKey {
        fn new() -> Self {
            let minisign::KeyPair { pk, sk } =
                minisign::KeyPair::generate_unencrypted_keypair().expect("key pair");
            TestKey { pk, sk }
        }

        /// What tauri.conf.json holds: the base64 of the minisign public key file.
        fn pubkey(&self) -> String {
            B64.encode(self.pk.to_box().expect("public key box").to_string())
        }

        /// What the manifest holds: the base64 of the .sig file `cargo tauri build` writes,
        /// whose trusted comment names the version the artefact was released as.
        fn sign(&self, bytes: &[u8], version: &str) -> String {
            self.sign_with_comment(
                bytes,
                &format!("timestamp:1764579600\tfile:venue-console.AppImage\tversion:{version}"),
            )
        }

        fn sign_with_comment(&self, bytes: &[u8], trusted_comment: &str) -> String {
            let signature =
                minisign::sign(Some(&self.pk), &self.sk, bytes, Some(trusted_comment), None)
                    .expect("signature");
            B64.encode(signature.to_string())
        }
    }

    /// The update server: `/update/...` answers the manifest (204 when there is none),
    /// `/download/...` the artefact. Records every path asked for.
    #[derive(Clone, Default)]
    struct Server {
        manifest: Arc<Mutex<Option<Value>>>,
        artefact: Arc<Mutex<Vec<u8>>>,
        requests: Arc<Mutex<Vec<String>>>,
        base: String,
    }

    impl Server {
        async fn start() -> Server {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let server = Server {
                base: format!("http://{}", listener.local_addr().expect("address")),
                ..Server::default()
            };
            let state = server.clone();
            let router = axum::Router::new().fallback(move |uri: Uri| {
                let state = state.clone();
                async move { state.answer(uri.path()) }
            });
            tauri::async_runtime::spawn(async move { axum::serve(listener, router).await });
            server
        }

        fn answer(&self, path: &str) -> Response {
            self.requests.lock().expect("lock").push(path.to_string());
            if path.starts_with("/update/") {
                match self.manifest.lock().expect("lock").clone() {
                    Some(manifest) => axum::Json(manifest).into_response(),
                    None => StatusCode::NO_CONTENT.into_response(),
                }
            } else if path == "/download/venue-console.AppImage" {
                self.artefact.lock().expect("lock").clone().into_response()
            } else {
                StatusCode::NOT_FOUND.into_response()
            }
        }

        fn endpoint(&self) -> String {
            format!(
                "{}/update/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}",
                self.base
            )
        }

        /// Offers `version` with `signature`, serving `artefact` for download.
        fn offer(&self, version: &str, signature: &str, artefact: &[u8]) {
            let target = tauri_plugin_updater::target().expect("a supported platform");
            *self.manifest.lock().expect("lock") = Some(json!({
                "version": version,
                "notes": "Faster sign-in.",
                "pub_date": "2026-12-01T09:00:00Z",
                "platforms": {
                    target: {
                        "url": format!("{}/download/venue-console.AppImage", self.base),
                        "signature": signature,
                    }
                }
            }));
            *self.artefact.lock().expect("lock") = artefact.to_vec();
        }

        fn no_update(&self) {
            *self.manifest.lock().expect("lock") = None;
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().expect("lock").clone()
        }

        fn downloads(&self) -> usize {
            self.requests()
                .iter()
                .filter(|p| p.starts_with("/download/"))
                .count()
        }
    }

    /// A mock app at version 0.1.0 with the shipped updater config, `pubkey` as its key and
    /// `endpoint` passed as VENUE_UPDATE_ENDPOINT would be.
    fn app(pubkey: &str, endpoint: &str) -> tauri::App<MockRuntime> {
        let mut context = tauri::test::mock_context(tauri::test::noop_assets());
        let mut updater = shipped_config()["plugins"]["updater"].clone();
        assert!(
            updater.is_object(),
            "tauri.conf.json has no plugins.updater"
        );
        updater["pubkey"] = json!(pubkey);
        context
            .config_mut()
            .plugins
            .0
            .insert("updater".into(), updater);
        let endpoint = configure(context.config_mut(), Some(endpoint));
        tauri::test::mock_builder()
            .plugin(tauri_plugin_updater::Builder::new().build())
            .manage(endpoint)
            .build(context)
            .expect("mock app")
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tauri::async_runtime::block_on(future)
    }

    fn update_failed(result: ApiResult<impl std::fmt::Debug>) -> String {
        let error = result.expect_err("the update should have been refused");
        assert_eq!(error.code, ErrorCode::UpdateFailed, "{error:?}");
        error.message
    }

    #[test]
    fn a_newer_signed_version_is_offered_and_its_download_verifies() {
        block_on(async {
            let key = TestKey::new();
            let server = Server::start().await;
            server.offer("0.2.0", &key.sign(ARTEFACT, "0.2.0"), ARTEFACT);
            let app = app(&key.pubkey(), &server.endpoint());

            let offer = check(app.handle()).await.expect("check");
            assert_eq!(
                offer,
                Some(UpdateOffer {
                    version: "0.2.0".into(),
                    current_version: "0.1.0".into(),
                    notes: Some("Faster sign-in.".into()),
                    date: Some("2026-12-01T09:00:00Z".into()),
                })
            );
            // The endpoint's placeholders were filled in for this app and platform.
            let target = tauri_plugin_updater::target().expect("platform");
            let (os, arch) = target.split_once('-').expect("os-arch");
            assert_eq!(server.requests(), [format!("/update/{os}/{arch}/0.1.0")]);

            let update = find(app.handle()).await.expect("check").expect("offer");
            assert_eq!(download(&update).await.expect("verified"), ARTEFACT);
        });
    }

    #[test]
    fn a_tampered_artefact_is_refused() {
        block_on(async {
            let key = TestKey::new();
            let server = Server::start().await;
            let mut tampered = ARTEFACT.to_vec();
            tampered[10] ^= 1;
            server.offer("0.2.0", &key.sign(ARTEFACT, "0.2.0"), &tampered);
            let app = app(&key.pubkey(), &server.endpoint());

            let update = find(app.handle()).await.expect("check").expect("offer");
            let message = update_failed(download(&update).await);
            assert_eq!(
                message,
                "update 0.2.0 was not installed: the download does not match its signature (altered or corrupted on the way), or the signature does not match this app's public key"
            );
            // The same check `install` runs first on whatever bytes it is given.
            let message = update_failed(update.verify(&tampered).map_err(|e| refused("0.2.0", e)));
            assert!(
                message.contains("does not match its signature"),
                "{message}"
            );
            assert!(update.verify(ARTEFACT).is_ok());
        });
    }

    #[test]
    fn a_signature_by_another_key_is_refused() {
        block_on(async {
            let ours = TestKey::new();
            let theirs = TestKey::new();
            let server = Server::start().await;
            server.offer("0.2.0", &theirs.sign(ARTEFACT, "0.2.0"), ARTEFACT);
            let app = app(&ours.pubkey(), &server.endpoint());

            let update = find(app.handle()).await.expect("check").expect("offer");
            let message = update_failed(download(&update).await);
            assert_eq!(
                message,
                "update 0.2.0 was not installed: its signature was made with a different key than this app's public key"
            );
        });
    }

    #[test]
    fn an_old_release_offered_as_a_new_version_is_refused() {
        // A genuine, correctly signed 0.1.5 artefact announced as 0.2.0: the shipped config's
        // requireSignedVersion is what catches the replay.
        block_on(async {
            let key = TestKey::new();
            let server = Server::start().await;
            server.offer("0.2.0", &key.sign(ARTEFACT, "0.1.5"), ARTEFACT);
            let app = app(&key.pubkey(), &server.endpoint());

            let update = find(app.handle()).await.expect("check").expect("offer");
            let message = update_failed(download(&update).await);
            assert_eq!(
                message,
                "update 0.2.0 was not installed: the server announced version 0.2.0 but the download is signed as version 0.1.5"
            );
        });
    }

    #[test]
    fn a_signature_that_does_not_name_its_version_is_refused() {
        // Signed by our key but without a version (as plain minisign and older tauri-cli sign):
        // such a signature could be paired with any announced version, so it is refused.
        block_on(async {
            let key = TestKey::new();
            let server = Server::start().await;
            let signature = key.sign_with_comment(
                ARTEFACT,
                "timestamp:1764579600\tfile:venue-console.AppImage",
            );
            server.offer("0.2.0", &signature, ARTEFACT);
            let app = app(&key.pubkey(), &server.endpoint());

            let update = find(app.handle()).await.expect("check").expect("offer");
            let message = update_failed(download(&update).await);
            assert_eq!(
                message,
                "update 0.2.0 was not installed: its signature does not name the version it was signed for"
            );
        });
    }

    #[test]
    fn no_newer_version_means_no_offer() {
        block_on(async {
            let key = TestKey::new();
            let server = Server::start().await;
            let app = app(&key.pubkey(), &server.endpoint());
            for version in ["0.1.0", "0.0.9"] {
                server.offer(version, &key.sign(ARTEFACT, version), ARTEFACT);
                assert_eq!(check(app.handle()).await.expect("check"), None, "{version}");
            }
            server.no_update(); // 204 No Content
            assert_eq!(check(app.handle()).await.expect("check"), None);
            assert_eq!(server.requests().len(), 3);
            assert_eq!(server.downloads(), 0);
        });
    }

    #[test]
    fn install_refuses_a_changed_offer_and_a_build_not_installed_from_a_package() {
        block_on(async {
            let key = TestKey::new();
            let server = Server::start().await;
            server.offer("0.2.0", &key.sign(ARTEFACT, "0.2.0"), ARTEFACT);
            let app = app(&key.pubkey(), &server.endpoint());

            let message = update_failed(install(app.handle(), "0.3.0").await);
            assert_eq!(
                message,
                "the update server now offers version 0.2.0 instead of 0.3.0; check again before installing"
            );
            // The test binary is not a deb/AppImage: replacing it would be wrong, so nothing is
            // even downloaded.
            let message = update_failed(install(app.handle(), "0.2.0").await);
            assert!(
                message.contains("not installed from a package"),
                "{message}"
            );
            assert_eq!(server.downloads(), 0);

            server.no_update();
            let error = install(app.handle(), "0.2.0")
                .await
                .expect_err("nothing offered");
            assert_eq!(error.code, ErrorCode::NotFound);
        });
    }

    #[test]
    fn an_unreachable_server_is_reported() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port(); // closed again when the listener drops
        let key = TestKey::new();
        let app = app(&key.pubkey(), &format!("http://127.0.0.1:{port}/update"));
        let message = update_failed(block_on(check(app.handle())));
        assert!(
            message.starts_with("could not reach the update server: "),
            "{message}"
        );
        assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    }

    #[test]
    fn the_endpoint_override_allows_http_only_to_this_machine() {
        for ok in [
            "https://updates.example.com/{{target}}/{{arch}}/{{current_version}}",
            "http://127.0.0.1:8790/update",
            "http://localhost:8790/update",
            "http://[::1]:8790/update",
        ] {
            assert!(parse_endpoint(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            (
                "http://updates.example.com/update",
                "plain http is only allowed to 127.0.0.1 or localhost",
            ),
            ("http://10.0.0.5/update", "plain http is only allowed"),
            (
                "http://localhost.example.com/update",
                "plain http is only allowed",
            ),
            (
                "ftp://127.0.0.1/update",
                "the scheme must be https, not ftp",
            ),
            ("updates.example.com", "not a URL"),
        ] {
            let error = parse_endpoint(bad).expect_err(bad);
            assert_eq!(error.code, ErrorCode::BadInput);
            assert!(
                error.message.starts_with("VENUE_UPDATE_ENDPOINT="),
                "{}",
                error.message
            );
            assert!(error.message.contains(why), "{bad}: {}", error.message);
        }

        // Loopback http is let through the plugin's own release-build check; https is not
        // marked insecure; a refused value leaves the config alone and fails every check.
        let mut config: tauri::Config =
            serde_json::from_value(shipped_config()).expect("tauri.conf.json as tauri::Config");
        let shipped = config.plugins.0["updater"].clone();
        configure(&mut config, Some("http://127.0.0.1:8790/update"));
        assert_eq!(
            config.plugins.0["updater"]["endpoints"],
            json!(["http://127.0.0.1:8790/update"])
        );
        assert_eq!(
            config.plugins.0["updater"]["dangerousInsecureTransportProtocol"],
            json!(true)
        );

        let mut config: tauri::Config = serde_json::from_value(shipped_config()).expect("config");
        configure(&mut config, Some("https://staging.example.com/u"));
        assert_eq!(
            config.plugins.0["updater"]["endpoints"],
            json!(["https://staging.example.com/u"])
        );
        assert!(config.plugins.0["updater"]
            .get("dangerousInsecureTransportProtocol")
            .is_none());

        let mut config: tauri::Config = serde_json::from_value(shipped_config()).expect("config");
        assert!(matches!(
            configure(&mut config, None),
            EndpointOverride(Ok(None))
        ));
        assert!(matches!(
            configure(&mut config, Some("")),
            EndpointOverride(Ok(None))
        ));
        assert_eq!(config.plugins.0["updater"], shipped);

        let key = TestKey::new();
        let app = app(&key.pubkey(), "http://updates.example.com/update");
        let error = block_on(check(app.handle())).expect_err("refused override");
        assert_eq!(error.code, ErrorCode::BadInput);
        assert!(
            error.message.contains("plain http is only allowed"),
            "{}",
            error.message
        );
    }

    #[test]
    fn the_shipped_config_has_a_valid_public_key_and_an_https_endpoint() {
        let config = shipped_config();
        let updater = &config["plugins"]["updater"];
        let pubkey = updater["pubkey"].as_str().expect("plugins.updater.pubkey");
        let text = String::from_utf8(B64.decode(pubkey).expect("pubkey is base64")).expect("utf-8");
        assert!(
            text.starts_with("untrusted comment: minisign public key"),
            "{text}"
        );
        minisign::PublicKeyBox::from_string(&text)
            .and_then(|b| b.into_public_key())
            .expect("a minisign public key");
        assert!(!config.to_string().to_lowercase().contains("secret key"));

        let endpoints = updater["endpoints"].as_array().expect("endpoints");
        assert!(!endpoints.is_empty());
        for endpoint in endpoints {
            let endpoint = endpoint.as_str().expect("a string");
            assert!(endpoint.starts_with("https://"), "{endpoint}");
            assert!(endpoint.contains("{{current_version}}"), "{endpoint}");
        }
        assert_eq!(updater["requireSignedVersion"], json!(true));
        assert!(updater.get("dangerousInsecureTransportProtocol").is_none());
        // Builds without the signing key (the benchmark's bundle, dev machines) must succeed:
        // updater artefacts are only asked for by `make release`.
        assert_ne!(config["bundle"]["createUpdaterArtifacts"], json!(true));
        let permissions = config["app"]["security"]["capabilities"][0]["permissions"].to_string();
        assert!(permissions.contains("\"allow-check-update\""));
        assert!(permissions.contains("\"allow-install-update\""));
        // The window gets the console's two commands, not the plugin's own (unchecked) ones.
        assert!(!permissions.contains("updater:"));

        // The plugin accepts the shipped section as it is.
        let mut context = tauri::test::mock_context(tauri::test::noop_assets());
        context
            .config_mut()
            .plugins
            .0
            .insert("updater".into(), updater.clone());
        let app = tauri::test::mock_builder()
            .plugin(tauri_plugin_updater::Builder::new().build())
            .build(context)
            .expect("the plugin takes the shipped config");
        assert!(app.updater().is_ok());
    }
}
