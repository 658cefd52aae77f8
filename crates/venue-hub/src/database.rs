//! Which database a hub uses: `--database` as given (a `postgres://` URL, a `sqlite://` URL or
//! a plain file path), or the embedded SQLite file in the platform data dir.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("no data dir for the hub's database on this system: pass --database")]
    NoDataDir,
    #[error("unknown database {0:?}: use a postgres:// URL, a sqlite:// URL or a file path")]
    Unknown(String),
}

impl Database {
    /// Reads `--database`; without one, `hub.sqlite3` in the platform data dir.
    pub fn from_arg(arg: Option<&str>) -> Result<Self, DatabaseError> {
        let Some(arg) = arg.map(str::trim).filter(|a| !a.is_empty()) else {
            let dirs = directories::ProjectDirs::from("", "", "venue-hub")
                .ok_or(DatabaseError::NoDataDir)?;
            return Ok(Database::Sqlite(dirs.data_dir().join("hub.sqlite3")));
        };
        if arg.starts_with("postgres://") || arg.starts_with("postgresql://") {
            return Ok(Database::Postgres(arg.to_string()));
        }
        if let Some(path) = arg.strip_prefix("sqlite://") {
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        if arg.contains("://") {
            return Err(DatabaseError::Unknown(arg.to_string()));
        }
        Ok(Database::Sqlite(PathBuf::from(arg)))
    }

    /// For logs and `--json`: the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => format!("sqlite {}", path.display()),
            Database::Postgres(url) => match url::Url::parse(url) {
                Ok(mut u) => {
                    if u.password().is_some() {
                        let _ = u.set_password(Some("***"));
                    }
                    format!("postgres {u}")
                }
                Err(_) => "postgres (unreadable URL)".to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_spelling_and_hides_passwords() {
        assert_eq!(
            Database::from_arg(Some("/tmp/h.db")).unwrap(),
            Database::Sqlite("/tmp/h.db".into())
        );
        assert_eq!(
            Database::from_arg(Some("sqlite:///tmp/h.db")).unwrap(),
            Database::Sqlite("/tmp/h.db".into())
        );
        let pg = Database::from_arg(Some("postgres://hub:s3cret@127.0.0.1/hub")).unwrap();
        assert!(!pg.describe().contains("s3cret"), "{}", pg.describe());
        assert!(Database::from_arg(Some("mysql://x")).is_err());
        assert!(
            matches!(Database::from_arg(None).unwrap(), Database::Sqlite(p) if p.ends_with("hub.sqlite3"))
        );
    }
}
