//! What this console knows of its hub, kept in `meta` beside the sync machinery: the hub's
//! address, the venue it enrolled into, and how the last sync went. Never the device token: that
//! is a secret, kept in the OS keyring.

use crate::{Result, Store};
use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;

/// The peer name the hub's acknowledgements and pull cursor are saved under in `sync_peers`.
pub const HUB_PEER: &str = "hub";

pub(crate) const URL: &str = "hub.url";
pub(crate) const VENUE: &str = "hub.venue_id";
const LAST_SUCCESS: &str = "hub.last_success";
const LAST_ERROR: &str = "hub.last_error";
const LAST_ERROR_AT: &str = "hub.last_error_at";
const CLOCK_SKEW: &str = "hub.clock_skew_ms";
const FAILING_SINCE: &str = "hub.failing_since";
const KEYS: &[&str] = &[
    URL,
    VENUE,
    LAST_SUCCESS,
    LAST_ERROR,
    LAST_ERROR_AT,
    CLOCK_SKEW,
    FAILING_SINCE,
];

/// The hub this console joined, and how its syncs went (times are the store's UTC text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HubState {
    pub url: Option<String>,
    pub venue_id: Option<Uuid>,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// This console's clock minus the hub's, as measured by the last sync.
    pub clock_skew_ms: Option<i64>,
    /// The first failure since the last success: how long sync has been failing (None while
    /// the last pass succeeded).
    pub failing_since: Option<String>,
}

/// The changes of this console the hub does not hold yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Backlog {
    /// Change-log rows after the position the hub acknowledged.
    pub changes: u64,
    /// The stamp (ms since the epoch) of the oldest of them.
    pub oldest_ms: Option<i64>,
}

impl Store {
    fn meta_value(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta_values(&mut self, values: &[(&str, String)]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (key, value) in values {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The hub this console joined and how its last syncs went.
    pub fn hub_state(&self) -> Result<HubState> {
        Ok(HubState {
            url: self.meta_value(URL)?,
            venue_id: self
                .meta_value(VENUE)?
                .and_then(|v| Uuid::parse_str(&v).ok()),
            last_success: self.meta_value(LAST_SUCCESS)?,
            last_error: self.meta_value(LAST_ERROR)?,
            last_error_at: self.meta_value(LAST_ERROR_AT)?,
            clock_skew_ms: self.meta_value(CLOCK_SKEW)?.and_then(|v| v.parse().ok()),
            failing_since: self.meta_value(FAILING_SINCE)?,
        })
    }

    /// Remembers the hub joined: its address and the venue the console enrolled into.
    pub fn set_hub(&mut self, url: &str, venue_id: Uuid) -> Result<()> {
        self.set_meta_values(&[(URL, url.to_string()), (VENUE, venue_id.to_string())])
    }

    /// Forgets the hub and how its syncs went; the data and the sync bookkeeping stay.
    pub fn clear_hub(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        for key in KEYS {
            tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A sync pass finished, with the clock skew it measured.
    pub fn record_sync_success(&mut self, clock_skew_ms: Option<i64>) -> Result<()> {
        let mut values = vec![(LAST_SUCCESS, crate::write::now_text())];
        if let Some(skew) = clock_skew_ms {
            values.push((CLOCK_SKEW, skew.to_string()));
        }
        self.set_meta_values(&values)?;
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [FAILING_SINCE])?;
        Ok(())
    }

    /// A sync pass failed: why, and when (kept after later successes, with its time). The
    /// first failure after a success also starts `failing_since`, which the next success ends.
    pub fn record_sync_error(&mut self, message: &str) -> Result<()> {
        let now = crate::write::now_text();
        self.set_meta_values(&[
            (LAST_ERROR, message.to_string()),
            (LAST_ERROR_AT, now.clone()),
        ])?;
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
            [FAILING_SINCE, now.as_str()],
        )?;
        Ok(())
    }

    /// This console's changes after the position `peer` acknowledged.
    pub fn backlog(&self, peer: &str) -> Result<Backlog> {
        let acked = self.acknowledged(peer)?;
        let (changes, oldest): (i64, Option<i64>) = self.conn.query_row(
            "SELECT count(*), min(hlc) FROM change_log WHERE seq > ?1",
            [acked],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let oldest_ms = oldest
            .and_then(|hlc| venue_domain::Hlc::from_i64(hlc).ok())
            .map(|hlc| i64::try_from(hlc.wall_ms()).unwrap_or(i64::MAX));
        Ok(Backlog {
            changes: u64::try_from(changes).unwrap_or(0),
            oldest_ms,
        })
    }
}
