//! Storing connector, PMS and sensor secrets from the app, and which ones the configuration
//! needs. Values go to the console's secret store (the OS keyring) and are never read back out:
//! not into the database, the audit log, the logs or an answer to the UI.

pub mod keyring;

use crate::{ApiError, ApiResult, Console, ErrorCode, Role};
use serde::Serialize;
use venue_http::secrets::{env_var_name, SecretError, SecretStore};
use venue_store::AuditLine;

/// What `set_secret` answers: where the value went (never the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretSaved {
    pub name: String,
    /// "os_keyring" (or "test_file" with the test store).
    pub stored_in: &'static str,
}

/// A secret the configuration needs, and whether it is set (its value is never read out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretStatus {
    pub name: String,
    /// What it is for, e.g. "square access token of connector square-main".
    pub purpose: String,
    pub set: bool,
    /// "os_keyring", "environment" (VENUE_SECRET_<NAME> wins over the keyring), "missing", or
    /// "unavailable" (the keyring cannot be reached; `message` says why and what to do).
    pub source: &'static str,
    pub message: Option<String>,
}

/// Secret names as `venue secret set` takes them: letters, digits, '-', '_' and '.'.
fn validate_secret_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_input(format!(
            "invalid secret name {name:?}: use letters, digits, '-', '_' and '.' (e.g. square-main-access-token)"
        )))
    }
}

fn kind_text(kind: impl Serialize) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Validates and stores a secret in `store`, unaudited: what [`Console::set_secret`] does, and
/// all `venue secret set` can do in a data dir with no venue yet (only `venue init` creates a
/// store, and there is nothing to audit it under before).
pub fn store_secret(
    store: Option<&dyn SecretStore>,
    name: &str,
    value: &str,
) -> ApiResult<SecretSaved> {
    let name = name.trim();
    validate_secret_name(name)?;
    if value.is_empty() {
        return Err(ApiError::bad_input(format!("no value given for {name}")));
    }
    let store = store.ok_or_else(|| {
        ApiError::new(
            ErrorCode::Io,
            format!(
                "the OS keyring is not available to this console; set {} in the environment instead",
                env_var_name(name)
            ),
        )
    })?;
    store
        .set(name, value)
        .map_err(|e| ApiError::new(ErrorCode::Io, e.to_string()))?;
    Ok(SecretSaved {
        name: name.to_string(),
        stored_in: store.location(),
    })
}

impl Console {
    /// Stores a secret in the console's secret store, the OS keyring (admin only). The value is
    /// never returned or logged; the audit line names the secret only. On a machine without a
    /// keyring the error says so and names the `VENUE_SECRET_<NAME>` variable to set instead.
    pub fn set_secret(&mut self, name: &str, value: &str) -> ApiResult<SecretSaved> {
        self.authorize(Role::Admin)?;
        let saved = store_secret(self.secrets.as_deref(), name, value)?;
        let (name, stored_in) = (saved.name.as_str(), saved.stored_in);
        // The CLI may store a secret before a venue exists; there is nothing to audit it under.
        if let Some(venue) = self.store.venue()? {
            let actor = self.actor();
            self.store.audit_action(
                venue.id,
                AuditLine {
                    actor: &actor,
                    action: "secret.set",
                },
                None,
                Some(serde_json::json!({ "name": name, "stored_in": stored_in })),
            )?;
        }
        Ok(saved)
    }

    /// The secrets the configured connectors, PMS and sensors need, and where each is found
    /// (manager and above). Looked up as the connectors look: the environment, then the keyring.
    pub fn secrets_status(&self) -> ApiResult<Vec<SecretStatus>> {
        self.authorize(Role::Manager)?;
        Ok(self.secret_statuses())
    }

    /// The names and purposes of the secrets the configuration needs, in config order.
    pub(crate) fn needed_secrets(&self) -> Vec<(String, String)> {
        let mut needed = Vec::new();
        for c in &self.config.connector {
            for name in c.secret_names() {
                let what = name
                    .strip_prefix(&format!("{}-", c.name))
                    .unwrap_or(&name)
                    .replace('-', " ");
                let purpose = format!("{} {what} of connector {}", kind_text(c.kind), c.name);
                needed.push((name, purpose));
            }
        }
        if let Some(p) = &self.config.pms {
            for name in p.secret_names() {
                let what = name
                    .strip_prefix(&format!("{}-", p.name))
                    .unwrap_or(&name)
                    .replace('-', " ");
                let purpose = format!("{} {what} of the PMS {}", kind_text(p.kind), p.name);
                needed.push((name, purpose));
            }
        }
        // Only devices with a username send a password.
        for s in self.config.sensor.iter().filter(|s| s.username.is_some()) {
            needed.push((s.secret_name(), format!("password of sensor {}", s.name)));
        }
        needed
    }

    /// `secrets_status` without the role check, for other screens (Settings).
    pub(crate) fn secret_statuses(&self) -> Vec<SecretStatus> {
        self.needed_secrets()
            .into_iter()
            .map(|(name, purpose)| self.secret_status(name, purpose))
            .collect()
    }

    fn secret_status(&self, name: String, purpose: String) -> SecretStatus {
        let env = env_var_name(&name);
        let status = |set, source, message| SecretStatus {
            name: name.clone(),
            purpose: purpose.clone(),
            set,
            source,
            message,
        };
        if std::env::var(&env).is_ok_and(|v| !v.is_empty()) {
            return status(true, "environment", Some(format!("from {env}")));
        }
        let how = format!("store it from Settings or with `venue secret set {name}`, or set {env}");
        match self.secrets.as_deref() {
            None => status(
                false,
                "unavailable",
                Some(format!("this console has no keyring; set {env}")),
            ),
            Some(store) => match store.get(&name) {
                Ok(Some(_)) => status(true, store.location(), None),
                Ok(None) => status(false, "missing", Some(format!("not set: {how}"))),
                Err(SecretError::Unavailable(why)) => status(
                    false,
                    "unavailable",
                    Some(format!("the OS keyring is not available: {why}")),
                ),
                Err(e @ SecretError::Missing { .. }) => {
                    status(false, "missing", Some(e.to_string()))
                }
            },
        }
    }
}

/// A secret store in a JSON file, for tests (the app and the CLI use the OS keyring). Compiled
/// for this crate's tests and with the `test-secrets` feature; values are kept in clear.
#[cfg(any(test, feature = "test-secrets"))]
#[doc(hidden)]
pub struct FileSecretStore {
    path: std::path::PathBuf,
    lock: std::sync::Mutex<()>,
}

#[cfg(any(test, feature = "test-secrets"))]
impl FileSecretStore {
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        FileSecretStore {
            path: path.into(),
            lock: std::sync::Mutex::new(()),
        }
    }

    fn read(&self) -> Result<std::collections::BTreeMap<String, String>, SecretError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| SecretError::Unavailable(format!("{}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
            Err(e) => Err(SecretError::Unavailable(format!(
                "{}: {e}",
                self.path.display()
            ))),
        }
    }
}

#[cfg(any(test, feature = "test-secrets"))]
impl venue_http::secrets::SecretStore for FileSecretStore {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(self.read()?.get(name).cloned())
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all = self.read()?;
        all.insert(name.to_string(), value.to_string());
        let fail = |e: String| SecretError::Unavailable(format!("{}: {e}", self.path.display()));
        let text = serde_json::to_vec_pretty(&all).map_err(|e| fail(e.to_string()))?;
        let temp = self.path.with_extension("tmp");
        std::fs::write(&temp, text).map_err(|e| fail(e.to_string()))?;
        std::fs::rename(&temp, &self.path).map_err(|e| fail(e.to_string()))
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all = self.read()?;
        if all.remove(name).is_none() {
            return Ok(());
        }
        let fail = |e: String| SecretError::Unavailable(format!("{}: {e}", self.path.display()));
        let text = serde_json::to_vec_pretty(&all).map_err(|e| fail(e.to_string()))?;
        std::fs::write(&self.path, text).map_err(|e| fail(e.to_string()))
    }

    fn location(&self) -> &'static str {
        "test_file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::tests::desktop_with_demo_staff;
    use crate::OsKeyring;
    use venue_http::secrets::SecretStore;

    const CONNECTORS: &str = "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"http://127.0.0.1:1\"\n\n[[connector]]\nkind = \"toast\"\nname = \"tt\"\nbase_url = \"http://127.0.0.1:1\"\nrestaurant_guid = \"r1\"\ncurrency = \"USD\"\n";

    fn with_config(dir: &std::path::Path, extra: &str) {
        let path = dir.join(crate::CONFIG_FILE);
        let text = std::fs::read_to_string(&path).expect("config");
        std::fs::write(&path, format!("{text}\n{extra}")).expect("write config");
    }

    #[test]
    fn only_admins_store_secrets_and_the_value_goes_nowhere_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = dir.path().join("secrets.json");
        let mut console = desktop_with_demo_staff(&dir.path().join("data"))
            .with_secret_store(Box::new(FileSecretStore::new(&vault)));
        let err = console
            .set_secret("sq-access-token", "tok-123")
            .expect_err("signed out");
        assert_eq!(err.code, ErrorCode::NotSignedIn);
        for pin in ["1111", "2222"] {
            console.sign_in(pin).expect("sign in");
            let err = console
                .set_secret("sq-access-token", "tok-123")
                .expect_err("not an admin");
            assert_eq!(err.code, ErrorCode::Forbidden, "{pin}");
        }
        console.sign_in("3333").expect("admin");
        let saved = console
            .set_secret("sq-access-token", "tok-123-secret-value")
            .expect("admin stores");
        assert_eq!(
            saved,
            SecretSaved {
                name: "sq-access-token".into(),
                stored_in: "test_file"
            }
        );
        assert_eq!(
            FileSecretStore::new(&vault)
                .get("sq-access-token")
                .expect("read"),
            Some("tok-123-secret-value".into())
        );
        let err = console.set_secret("bad name!", "x").expect_err("bad name");
        assert_eq!(err.code, ErrorCode::BadInput);
        let err = console
            .set_secret("sq-access-token", "")
            .expect_err("empty");
        assert_eq!(err.code, ErrorCode::BadInput);
        console.store.checkpoint().expect("checkpoint");
        for entry in std::fs::read_dir(dir.path().join("data")).expect("dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            assert!(
                !bytes.windows(20).any(|w| w == b"tok-123-secret-value"),
                "the secret reached the data dir"
            );
        }
        let conn = rusqlite::Connection::open(console.store.path()).expect("open");
        let (actor, after): (String, String) = conn
            .query_row(
                "SELECT actor, after FROM audit_log WHERE action = 'secret.set'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("audited");
        assert_eq!(actor, "Alex Admin (admin)");
        assert!(after.contains("sq-access-token") && !after.contains("tok-123"));
    }

    #[test]
    fn status_lists_what_the_configuration_needs_and_where_it_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let console = desktop_with_demo_staff(&data);
        drop(console);
        with_config(&data, CONNECTORS);
        let vault = FileSecretStore::new(dir.path().join("secrets.json"));
        vault.set("tt-client-id", "id").expect("set");
        let mut console = Console::open(&data)
            .expect("open")
            .with_secret_store(Box::new(vault))
            .with_access(crate::Access::desktop());
        console.sign_in("1111").expect("staff");
        let err = console.secrets_status().expect_err("staff");
        assert_eq!(err.code, ErrorCode::Forbidden);
        console.sign_in("2222").expect("manager");
        let status = console.secrets_status().expect("manager reads");
        let names: Vec<&str> = status.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["sq-access-token", "tt-client-id", "tt-client-secret"]
        );
        let by = |n: &str| status.iter().find(|s| s.name == n).expect(n).clone();
        assert_eq!(by("sq-access-token").source, "missing");
        assert!(by("sq-access-token")
            .message
            .is_some_and(|m| m.contains("VENUE_SECRET_SQ_ACCESS_TOKEN")));
        assert_eq!(by("tt-client-id").source, "test_file");
        assert!(by("tt-client-id").set);
        assert_eq!(
            by("tt-client-id").purpose,
            "toast client id of connector tt"
        );
        let json = serde_json::to_string(&status).expect("json");
        assert!(!json.contains("\"id\""), "no values: {json}");
    }

    #[test]
    fn without_a_keyring_set_secret_names_the_environment_variable() {
        crate::integrations::secrets::keyring::run_headless_probe(
            "integrations::secrets::tests::headless_set_secret_probe",
        );
    }

    #[test]
    #[ignore = "run by without_a_keyring_set_secret_names_the_environment_variable"]
    fn headless_set_secret_probe() {
        if std::env::var_os("VENUE_HEADLESS_PROBE").is_none() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        drop(desktop_with_demo_staff(&data));
        with_config(&data, CONNECTORS);
        let mut console = Console::open(&data)
            .expect("open")
            .with_secret_store(Box::new(OsKeyring))
            .with_access(crate::Access::desktop());
        console.sign_in("3333").expect("admin");
        let err = console
            .set_secret("sq-access-token", "value")
            .expect_err("no keyring");
        assert_eq!(err.code, ErrorCode::Io);
        assert!(
            err.message.contains("keyring is not available"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("set VENUE_SECRET_SQ_ACCESS_TOKEN"),
            "{}",
            err.message
        );
        let status = console.secrets_status().expect("status");
        assert!(
            status.iter().all(|s| s.source == "unavailable"),
            "{status:?}"
        );
        assert!(status[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("VENUE_SECRET_SQ_ACCESS_TOKEN")));
    }
}
