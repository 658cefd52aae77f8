//! Persisted connector state (breaker, metrics), stored as the connectors' own JSON so the store
//! does not depend on connector types.

use crate::write::now_text;
use crate::{Result, Store};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectorState {
    pub connector: String,
    pub breaker: serde_json::Value,
    pub metrics: Option<serde_json::Value>,
    pub updated_at: String,
}

impl Store {
    pub fn save_connector_state(
        &self,
        venue_id: Uuid,
        connector: &str,
        breaker: &serde_json::Value,
        metrics: Option<&serde_json::Value>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO connector_state (venue_id, connector, breaker, metrics, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (venue_id, connector) DO UPDATE SET
                 breaker = excluded.breaker, metrics = coalesce(excluded.metrics, metrics), updated_at = excluded.updated_at",
            rusqlite::params![
                venue_id.to_string(),
                connector,
                serde_json::to_string(breaker)?,
                metrics.map(serde_json::to_string).transpose()?,
                now_text()
            ],
        )?;
        self.notify(&[crate::CONNECTOR_STATE]);
        Ok(())
    }

    pub fn connector_states(&self, venue_id: Uuid) -> Result<Vec<ConnectorState>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT connector, breaker, metrics, updated_at FROM connector_state WHERE venue_id = ?1 ORDER BY connector",
        )?;
        let rows = stmt.query_map([venue_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (connector, breaker, metrics, updated_at) = row?;
            out.push(ConnectorState {
                connector,
                breaker: serde_json::from_str(&breaker)?,
                metrics: metrics.map(|m| serde_json::from_str(&m)).transpose()?,
                updated_at,
            });
        }
        Ok(out)
    }

    /// Snapshots of a connector still marked running: runs whose process died mid-fetch.
    pub fn running_snapshots(
        &self,
        venue_id: Uuid,
        connector: &str,
    ) -> Result<Vec<venue_domain::Snapshot>> {
        use crate::record::Record;
        let sql = format!(
            "SELECT {} FROM snapshots WHERE venue_id = ?1 AND connector = ?2 AND status = 'running'",
            venue_domain::Snapshot::COLUMNS.join(", ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(
            rusqlite::params![venue_id.to_string(), connector],
            venue_domain::Snapshot::from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When a connector's newest run started, whatever its outcome: the scheduler's clock.
    pub fn last_started(
        &self,
        venue_id: Uuid,
        connector: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(self.conn.query_row(
            "SELECT max(started_at) FROM snapshots WHERE venue_id = ?1 AND connector = ?2",
            rusqlite::params![venue_id.to_string(), connector],
            |r| r.get(0),
        )?)
    }

    /// When `connector`'s first complete run (ok or partial, its high-water mark set) whose
    /// cursor contains `mark` started, if there was one. Oldest first, so the search stops
    /// early: what is looked for is usually among a connector's first runs.
    pub fn first_run_marked(
        &self,
        venue_id: Uuid,
        connector: &str,
        mark: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT started_at FROM snapshots
                 WHERE venue_id = ?1 AND connector = ?2 AND status IN ('ok', 'partial')
                   AND high_water_mark IS NOT NULL AND instr(cursor, ?3) > 0
                 ORDER BY started_at LIMIT 1",
                rusqlite::params![venue_id.to_string(), connector, mark],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The newest snapshot of one connector with one of `statuses` (any status when empty).
    pub fn last_snapshot_of(
        &self,
        venue_id: Uuid,
        connector: &str,
        statuses: &[venue_domain::SnapshotStatus],
    ) -> Result<Option<venue_domain::Snapshot>> {
        use crate::record::Record;
        use rusqlite::OptionalExtension;
        let sql = format!(
            "SELECT {} FROM snapshots WHERE venue_id = ?1 AND connector = ?2 AND (?3 = '' OR instr(?3, '|' || status || '|') > 0)
             ORDER BY started_at DESC, id DESC LIMIT 1",
            venue_domain::Snapshot::COLUMNS.join(", ")
        );
        let wanted: String = if statuses.is_empty() {
            String::new()
        } else {
            statuses
                .iter()
                .map(|s| format!("|{}|", s.as_str()))
                .collect()
        };
        Ok(self
            .conn
            .query_row(
                &sql,
                rusqlite::params![venue_id.to_string(), connector, wanted],
                venue_domain::Snapshot::from_row,
            )
            .optional()?)
    }
}
