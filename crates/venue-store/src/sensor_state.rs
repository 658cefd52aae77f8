//! Each sensor's polling state between runs (not synced): the last counter sample as JSON,
//! occupancy, availability.

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorState {
    pub device: String,
    /// The device's last counter sample, as the sensors crate serialises it.
    pub last_sample: Option<serde_json::Value>,
    pub occupancy: Option<i64>,
    /// online, offline, auth_failed or unknown.
    pub status: String,
    pub failures: u32,
    pub last_error: Option<String>,
    pub status_since: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Saves a sensor's state after a poll. Screens are told only when something they show
    /// changed (occupancy, status, failures, the error): most polls only move `updated_at`, and
    /// a console idling at the desk should not re-read for them (its own timer catches staleness).
    pub fn save_sensor_state(&self, venue_id: Uuid, state: &SensorState) -> Result<()> {
        let shown: Option<(Option<i64>, String, u32, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT occupancy, status, failures, last_error FROM sensor_state
                 WHERE venue_id = ?1 AND device = ?2",
            )?
            .query_row(rusqlite::params![venue_id.to_string(), state.device], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let now_shown = (
            state.occupancy,
            state.status.clone(),
            state.failures,
            state.last_error.clone(),
        );
        self.conn
            .prepare_cached(
                "INSERT INTO sensor_state (venue_id, device, last_sample, occupancy, status, failures,
                                           last_error, status_since, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (venue_id, device) DO UPDATE SET
                     last_sample = excluded.last_sample, occupancy = excluded.occupancy,
                     status = excluded.status, failures = excluded.failures,
                     last_error = excluded.last_error, status_since = excluded.status_since,
                     updated_at = excluded.updated_at",
            )?
            .execute(rusqlite::params![
                venue_id.to_string(),
                state.device,
                state
                    .last_sample
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()?,
                state.occupancy,
                state.status,
                state.failures,
                state.last_error,
                state.status_since,
                state.updated_at,
            ])?;
        if shown.as_ref() != Some(&now_shown) {
            self.notify(&[crate::SENSOR_STATE]);
        }
        Ok(())
    }

    pub fn sensor_states(&self, venue_id: Uuid) -> Result<Vec<SensorState>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT device, last_sample, occupancy, status, failures, last_error, status_since, updated_at
             FROM sensor_state WHERE venue_id = ?1 ORDER BY device",
        )?;
        let rows = stmt.query_map([venue_id.to_string()], |r| {
            let sample: Option<String> = r.get(1)?;
            Ok(SensorState {
                device: r.get(0)?,
                // An unreadable saved sample only costs a baseline poll, never a wrong count.
                last_sample: sample.and_then(|s| serde_json::from_str(&s).ok()),
                occupancy: r.get(2)?,
                status: r.get(3)?,
                failures: r.get(4)?,
                last_error: r.get(5)?,
                status_since: r.get(6)?,
                updated_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Our id of a sensor device by its configured name.
    pub fn sensor_device_id(&self, venue_id: Uuid, name: &str) -> Result<Option<Uuid>> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM sensor_devices WHERE venue_id = ?1 AND name = ?2",
                [venue_id.to_string(), name.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|t| {
            Uuid::parse_str(&t)
                .map_err(|e| crate::StoreError::Corrupt(format!("sensor id {t}: {e}")))
        })
        .transpose()
    }
}

impl Store {
    /// The unresolved alert for a condition, if one is open (one per condition at most).
    pub fn open_alert(
        &self,
        venue_id: Uuid,
        dedupe_key: &str,
    ) -> Result<Option<venue_domain::Alert>> {
        use crate::record::Record;
        let sql = format!(
            "SELECT {} FROM alerts WHERE venue_id = ?1 AND dedupe_key = ?2 AND state <> 'resolved'",
            venue_domain::Alert::COLUMNS.join(", ")
        );
        Ok(self
            .conn
            .query_row(
                &sql,
                [venue_id.to_string(), dedupe_key.to_string()],
                venue_domain::Alert::from_row,
            )
            .optional()?)
    }
}
