//! Where connector secrets come from: `VENUE_SECRET_<NAME>` (for headless runs; wins) or the OS
//! keyring. Values never reach config, the database or logs (`Secret` does not print its value).

use std::fmt;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SecretError {
    #[error("secret {name:?} is not set: run `venue secret set {name}` or set {env}")]
    Missing { name: String, env: String },
    #[error("the OS keyring is not available: {0}")]
    Unavailable(String),
}

/// A secret value that never shows in Debug or Display output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The environment variable that overrides a secret: upper case, non-alphanumerics as `_`.
pub fn env_var_name(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("VENUE_SECRET_{tail}")
}

/// A place secrets are kept (the OS keyring in the app, a file or memory in tests).
pub trait SecretStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<String>, SecretError>;

    /// Stores `value` under `name`. A store that cannot keep secrets (the default) refuses with
    /// a message naming the environment variable to set instead; it never pretends to succeed.
    fn set(&self, name: &str, value: &str) -> Result<(), SecretError> {
        let _ = value;
        Err(SecretError::Unavailable(format!(
            "this secret store is read-only; set {} in the environment instead",
            env_var_name(name)
        )))
    }

    /// Removes what is stored under `name` (nothing stored is no error). A store that cannot
    /// keep secrets (the default) refuses, naming the environment variable to unset instead.
    fn delete(&self, name: &str) -> Result<(), SecretError> {
        Err(SecretError::Unavailable(format!(
            "this secret store is read-only; unset {} in the environment instead",
            env_var_name(name)
        )))
    }

    /// Where this store keeps what it holds, as the console reports it ("os_keyring" for the
    /// OS keyring).
    fn location(&self) -> &'static str {
        "secret_store"
    }
}

/// Looks a secret up in the environment first, then in `store`.
pub fn resolve(store: Option<&dyn SecretStore>, name: &str) -> Result<Secret, SecretError> {
    if let Some(value) = std::env::var(env_var_name(name))
        .ok()
        .filter(|v| !v.is_empty())
    {
        return Ok(Secret(value));
    }
    if let Some(store) = store {
        if let Some(value) = store.get(name)? {
            return Ok(Secret(value));
        }
    }
    Err(SecretError::Missing {
        name: name.to_string(),
        env: env_var_name(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapStore(HashMap<String, String>);

    impl SecretStore for MapStore {
        fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
            Ok(self.0.get(name).cloned())
        }
    }

    #[test]
    fn a_read_only_store_refuses_to_store_and_names_the_variable() {
        let store = MapStore(HashMap::new());
        let err = store.set("sq-access-token", "abc").unwrap_err();
        assert!(
            matches!(&err, SecretError::Unavailable(m) if m.contains("VENUE_SECRET_SQ_ACCESS_TOKEN")),
            "{err}"
        );
        assert_eq!(store.get("sq-access-token"), Ok(None), "nothing kept");
    }

    #[test]
    fn env_names_are_upper_case_with_underscores() {
        assert_eq!(
            env_var_name("square-main-access-token"),
            "VENUE_SECRET_SQUARE_MAIN_ACCESS_TOKEN"
        );
        assert_eq!(
            env_var_name("mews.client token"),
            "VENUE_SECRET_MEWS_CLIENT_TOKEN"
        );
    }

    #[test]
    fn the_store_answers_and_a_missing_secret_says_how_to_set_it() {
        let store = MapStore(HashMap::from([(
            "t1-access-token".to_string(),
            "abc".to_string(),
        )]));
        let found = resolve(Some(&store), "t1-access-token").expect("from store");
        assert_eq!(found.expose(), "abc");
        assert_eq!(format!("{found:?}"), "Secret(***)", "never printed");
        let err = resolve(Some(&store), "zz-unset-secret").unwrap_err();
        assert!(
            err.to_string().contains("venue secret set zz-unset-secret"),
            "{err}"
        );
        assert!(
            err.to_string().contains("VENUE_SECRET_ZZ_UNSET_SECRET"),
            "{err}"
        );
    }
}
