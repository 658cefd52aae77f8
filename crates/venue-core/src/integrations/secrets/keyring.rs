//! Secrets in the OS keyring (Secret Service on Linux). Without a keyring (a headless machine),
//! lookups and stores fail with a clear message pointing at the `VENUE_SECRET_<NAME>` variables;
//! nothing is ever kept in memory pretending to be stored.
//!
//! The `keyring` crate is built with an explicit backend for every platform (see Cargo.toml):
//! without one it silently falls back to its in-memory mock, which a test below rules out.

use std::time::Duration;
use venue_http::secrets::{env_var_name, SecretError, SecretStore};

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

/// How long a lookup may wait for the keyring. A Secret Service that hangs (a locked keyring
/// whose unlock prompt nobody answers, a wedged session bus) would otherwise hold the caller
/// for D-Bus's 25 s timeout, and the app's screens wait behind it.
const LOOKUP_WAIT: Duration = Duration::from_secs(5);
/// Storing is done by a person at Settings, who may have to unlock the keyring first.
const STORE_WAIT: Duration = Duration::from_secs(60);

/// Runs `op` on a thread of its own and waits at most `wait` for it; past that the caller gets
/// a clear error and the thread finishes (or not) on its own.
fn bounded<T: Send + 'static>(
    name: &str,
    wait: Duration,
    op: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    let (answer, answered) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("venue-keyring".into())
        .spawn(move || {
            let _ = answer.send(op());
        })
        .map_err(|e| SecretError::Unavailable(format!("cannot ask the OS keyring: {e}")))?;
    answered.recv_timeout(wait).unwrap_or_else(|_| {
        Err(SecretError::Unavailable(format!(
            "the OS keyring did not answer within {} s (is it locked, with an unlock prompt open?); set {} in the environment instead",
            wait.as_secs(),
            env_var_name(name)
        )))
    })
}

impl SecretStore for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        let owned = name.to_string();
        bounded(name, LOOKUP_WAIT, move || {
            let entry = keyring::Entry::new(SERVICE, &owned).map_err(|e| unavailable(&owned, e))?;
            match entry.get_password() {
                Ok(value) => Ok(Some(value)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(unavailable(&owned, e)),
            }
        })
    }

    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        let (owned, value) = (name.to_string(), value.to_string());
        bounded(name, STORE_WAIT, move || {
            keyring::Entry::new(SERVICE, &owned)
                .and_then(|entry| entry.set_password(&value))
                .map_err(|e| unavailable(&owned, e))
        })
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let owned = name.to_string();
        bounded(name, STORE_WAIT, move || {
            let entry = keyring::Entry::new(SERVICE, &owned).map_err(|e| unavailable(&owned, e))?;
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(unavailable(&owned, e)),
            }
        })
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
    run_probe_on_bus(probe, "unix:path=/nonexistent/venue-bus");
}

/// Runs the ignored test `probe` in a child test process with `bus` as its session bus.
#[cfg(test)]
pub(crate) fn run_probe_on_bus(probe: &str, bus: &str) {
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", probe, "--ignored", "--nocapture"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
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

    /// A session bus that takes the connection and never answers (a wedged D-Bus, a keyring
    /// waiting on a prompt): a lookup gives up after LOOKUP_WAIT with a clear error instead of
    /// holding its caller for D-Bus's own timeout.
    #[test]
    fn a_keyring_that_never_answers_is_given_up_on_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("silent-bus");
        let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
        std::thread::spawn(move || {
            // Hold every connection open, say nothing.
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                held.push(stream);
            }
        });
        let started = std::time::Instant::now();
        super::run_probe_on_bus(
            "integrations::secrets::keyring::tests::silent_bus_probe",
            &format!("unix:path={}", socket.display()),
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "gave up only after {:?}",
            started.elapsed()
        );
    }

    #[test]
    #[ignore = "run by a_keyring_that_never_answers_is_given_up_on_with_a_clear_error"]
    fn silent_bus_probe() {
        if std::env::var_os("VENUE_HEADLESS_PROBE").is_none() {
            return;
        }
        let asked = std::time::Instant::now();
        let err = OsKeyring.get("sq-access-token").expect_err("no answer");
        let message = err.to_string();
        assert!(
            asked.elapsed() < LOOKUP_WAIT + Duration::from_secs(2),
            "{:?}",
            asked.elapsed()
        );
        assert!(
            message.contains("did not answer within 5 s")
                || message.contains("keyring is not available"),
            "{message}"
        );
        assert!(
            message.contains("VENUE_SECRET_SQ_ACCESS_TOKEN"),
            "{message}"
        );
    }

    #[test]
    fn without_a_session_bus_storing_fails_and_names_the_variable() {
        super::run_headless_probe("integrations::secrets::keyring::tests::headless_probe");
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
