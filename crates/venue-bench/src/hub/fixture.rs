//! What every hub benchmark sets up: a runtime, a scratch PostgreSQL database owned by an
//! ordinary role (row-level security applies, as in production), venues with enrolment codes,
//! consoles enrolled through the real endpoint.

use anyhow::Context as _;
use sqlx::Connection as _;
use std::num::NonZeroU32;
use uuid::Uuid;
use venue_core::sync::HubClient;
use venue_domain::wire::EnrollRequest;
use venue_domain::NodeId;
use venue_http::secrets::Secret;
use venue_hub::server::{credentials, HubSettings};
use venue_hub::store::{HubStore, NewVenue};

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// A database of this run's own, dropped (with its role) by [`ScratchPostgres::drop_now`].
pub struct ScratchPostgres {
    admin_url: String,
    name: String,
    pub url: String,
}

impl ScratchPostgres {
    pub async fn create(admin_url: &str) -> anyhow::Result<ScratchPostgres> {
        // Hex only, made here: safe to splice into SQL.
        let name = format!("hubbench_{}", Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("PostgreSQL at {admin_url}"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS"
        )))
        .execute(&mut admin)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} OWNER {name}"
        )))
        .execute(&mut admin)
        .await?;
        let mut url = reqwest::Url::parse(admin_url).context("the database URL")?;
        url.set_path(&name);
        url.set_username(&name)
            .map_err(|()| anyhow::anyhow!("cannot set a user in {admin_url}"))?;
        url.set_password(None)
            .map_err(|()| anyhow::anyhow!("cannot clear the password in {admin_url}"))?;
        Ok(ScratchPostgres {
            admin_url: admin_url.to_string(),
            name,
            url: url.to_string(),
        })
    }

    pub async fn drop_now(self) -> anyhow::Result<()> {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut admin)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP ROLE IF EXISTS {}",
            self.name
        )))
        .execute(&mut admin)
        .await?;
        Ok(())
    }
}

/// `count` venues in a new org.
pub async fn venues<S: HubStore>(hub: &S, count: usize) -> anyhow::Result<Vec<Uuid>> {
    let org = hub
        .create_org(&format!("Bench Group {}", Uuid::new_v4().simple()))
        .await?;
    let mut venues = Vec::with_capacity(count);
    for n in 0..count {
        venues.push(
            hub.add_venue(
                org,
                NewVenue {
                    name: format!("Bench Venue {n}"),
                    timezone: "Europe/London".into(),
                    currency: "GBP".into(),
                    capacity: Some(200),
                },
            )
            .await?,
        );
    }
    Ok(venues)
}

/// A one-time code for `venue`, as `venue-hub enroll` makes it.
pub async fn enrolment_code<S: HubStore>(hub: &S, venue: Uuid) -> anyhow::Result<String> {
    let code = credentials::new_code()?;
    let hash = credentials::hash_code(&code).context("a code we made is a code")?;
    hub.create_enrollment(
        venue,
        &hash,
        chrono::Utc::now() + chrono::Duration::hours(2),
    )
    .await?;
    Ok(code)
}

/// Enrols console `node` with `code` through the hub's endpoint: its device token.
pub async fn enroll(url: &str, code: &str, node: NodeId) -> anyhow::Result<Secret> {
    let client = HubClient::new(url, None)?;
    let answer = client
        .enroll(&EnrollRequest {
            code: code.to_string(),
            node,
        })
        .await?;
    Ok(Secret::new(answer.body.token))
}

/// The `q` quantile (0..=1) of `values`, sorted here; 0 when empty.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64 - 1.0) * q).round() as usize;
    values[rank.min(values.len() - 1)]
}

/// The hub's settings, but letting `consoles` enrol from this one address within a minute (the
/// default allows ten: a guard against guessing codes, not a limit on a group's size).
pub fn settings(consoles: usize) -> HubSettings {
    let enrolments = u32::try_from(consoles.saturating_mul(2)).unwrap_or(u32::MAX);
    HubSettings {
        enroll_per_minute: NonZeroU32::new(enrolments)
            .unwrap_or(NonZeroU32::MIN)
            .max(HubSettings::default().enroll_per_minute),
        ..HubSettings::default()
    }
}
