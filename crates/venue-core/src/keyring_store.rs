//! Secrets in the OS keyring (Secret Service on Linux). Without a keyring (a headless machine),
//! lookups fail with a clear message pointing at the `VENUE_SECRET_<NAME>` variables; nothing is
//! ever kept in memory pretending to be stored.

use venue_connectors::secrets::{env_var_name, SecretError, SecretStore};

const SERVICE: &str = "venue-console";

pub struct OsKeyring;

fn unavailable(name: &str, e: keyring::Error) -> SecretError {
    SecretError::Unavailable(format!(
        "{e}; set {} in the environment instead",
        env_var_name(name)
    ))
}

impl OsKeyring {
    pub fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        keyring::Entry::new(SERVICE, name)
            .and_then(|entry| entry.set_password(value))
            .map_err(|e| unavailable(name, e))
    }
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
}
