//! Secrets in the OS keyring (Secret Service on Linux). Without a keyring (a headless machine),
//! lookups and stores fail with a clear message pointing at the `VENUE_SECRET_<NAME>` variables;
//! nothing is ever kept in memory pretending to be stored.
//!
//! The `keyring` crate is built with an explicit backend for every platform (see Cargo.toml):
//! without one it silently falls back to its in-memory mock, which a test below rules out.

use venue_connectors::secrets::{env_var_name, SecretError, SecretStore};

const SERVICE: &str = "venue-console";

/// The OS keyring: Secret Service (GNOME Keyring, KWallet) on Linux, the Keychain on macOS, the
/// Credential Manager on Windows.
pub struct OsKeyring;

fn unavailable(name: &str, e: keyring::Error) -> SecretError {
    SecretError::Unavailable(format!(
        "{e}; set {} in the environment instead",
        env_var_name(name)
    ))
}

impl SecretStore for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        let entry = keyring::Entry::new(SERVICE, name).map_err(|e| unavailable(name, e))?;
        match entry.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(name, e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        keyring::Entry::new(SERVICE, name)
            .and_then(|entry| entry.set_password(value))
            .map_err(|e| unavailable(name, e))
    }

    fn location(&self) -> &'static str {
        "os_keyring"
    }
}

/// Runs the ignored test `probe` in a child test process whose session bus does not exist (a
/// headless machine), so this process's environment is left alone; the probe only runs when
/// `VENUE_HEADLESS_PROBE` is set.
#[cfg(test)]
pub(crate) fn run_headless_probe(probe: &str) {
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", probe, "--ignored", "--nocapture"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/venue-bus",
        )
        .env_remove("DISPLAY")
        .env_remove("VENUE_SECRET_SQ_ACCESS_TOKEN")
        .env("VENUE_HEADLESS_PROBE", "1")
        .output()
        .expect("run the probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// keyring 3 quietly uses an in-memory mock when no backend feature is enabled; ours must
    /// build entries for the real OS store.
    #[test]
    fn entries_use_the_real_os_store_not_the_in_memory_mock() {
        let entry = keyring::Entry::new(SERVICE, "backend-probe").expect("entry");
        let credential = entry.get_credential();
        assert!(
            credential
                .downcast_ref::<keyring::mock::MockCredential>()
                .is_none(),
            "the keyring crate fell back to its in-memory mock"
        );
        #[cfg(target_os = "linux")]
        assert!(
            credential
                .downcast_ref::<keyring::secret_service::SsCredential>()
                .is_some(),
            "on Linux secrets go to the Secret Service"
        );
    }

    #[test]
    fn without_a_session_bus_storing_fails_and_names_the_variable() {
        super::run_headless_probe("keyring_store::tests::headless_probe");
    }

    #[test]
    #[ignore = "run by without_a_session_bus_storing_fails_and_names_the_variable"]
    fn headless_probe() {
        if std::env::var_os("VENUE_HEADLESS_PROBE").is_none() {
            return;
        }
        let err = OsKeyring
            .set("sq-access-token", "value")
            .expect_err("no keyring: storing must fail, not pretend");
        let message = err.to_string();
        assert!(message.contains("keyring is not available"), "{message}");
        assert!(
            message.contains("VENUE_SECRET_SQ_ACCESS_TOKEN"),
            "{message}"
        );
        let err = OsKeyring.get("sq-access-token").expect_err("no keyring");
        assert!(
            err.to_string().contains("VENUE_SECRET_SQ_ACCESS_TOKEN"),
            "{err}"
        );
    }
}
