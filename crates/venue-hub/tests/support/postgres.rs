//! A PostgreSQL database of a test's own on 127.0.0.1:5432, owned by an ordinary role.
//! The names are made here from a UUID (hex only), never from input: safe to splice into SQL.

use sqlx::Connection;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct TestDatabase {
    pub url: String,
    name: String,
}

async fn admin() -> sqlx::PgConnection {
    sqlx::PgConnection::connect(ADMIN_URL)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at 127.0.0.1:5432 as postgres ({e}). Start it: \
             pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start \
             (`make test` starts it when it is down)"
            )
        })
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let name = format!("hubtest_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} OWNER {name}"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        TestDatabase {
            url: format!("postgres://{name}@127.0.0.1:5432/{name}"),
            name,
        }
    }

    pub async fn drop_now(self) {
        let mut conn = admin().await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP ROLE IF EXISTS {}",
            self.name
        )))
        .execute(&mut conn)
        .await;
    }
}
