//! Reads behind the PMS mirror: finding a stay by any id staff quote, the charge outbox, and
//! which vendor records a batch still needs.

use crate::record::Record;
use crate::{Result, Store};
use rusqlite::OptionalExtension;
use std::collections::HashSet;
use uuid::Uuid;
use venue_domain::{ChargeState, Customer, DeskNote, PmsCharge, Reservation};

impl Store {
    /// A reservation by our id, the PMS's id or its confirmation number (newest first when a
    /// number repeats across sources).
    pub fn find_reservation(&self, venue_id: Uuid, key: &str) -> Result<Option<Reservation>> {
        let key = key.trim();
        // Three lookups, each on its own index (an OR across columns makes SQLite scan them all).
        let columns = Reservation::COLUMNS.join(", ");
        let sql = format!(
            "SELECT {columns}, 0 AS priority FROM reservations WHERE venue_id = ?1 AND id = ?2
             UNION ALL
             SELECT {columns}, 1 FROM reservations WHERE venue_id = ?1 AND external_id = ?2
             UNION ALL
             SELECT {columns}, 2 FROM reservations WHERE venue_id = ?1 AND number = ?2
             ORDER BY priority, start_utc DESC LIMIT 1"
        );
        Ok(self
            .conn
            .query_row(&sql, [venue_id.to_string(), key.to_string()], |r| {
                Reservation::from_row(r)
            })
            .optional()?)
    }

    /// The external id of a row of `table` (customers, resources, ...) by our id.
    pub fn external_id_of(&self, table: &str, id: Uuid) -> Result<Option<String>> {
        let sql = match table {
            "customers" | "resources" | "reservations" | "services" => {
                format!("SELECT external_id FROM {table} WHERE id = ?1")
            }
            other => {
                return Err(crate::StoreError::Invalid(format!(
                    "{other} rows have no external id"
                )))
            }
        };
        Ok(self
            .conn
            .query_row(&sql, [id.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// Which of `ids` (our ids) exist in `table`: a reservation may only name rows we hold.
    pub fn existing_ids(&self, table: &str, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
        if !matches!(
            table,
            "customers" | "resources" | "reservations" | "services"
        ) {
            return Err(crate::StoreError::Invalid(format!("unknown table {table}")));
        }
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?;
        let mut found = HashSet::new();
        for id in ids {
            if stmt.exists([id.to_string()])? {
                found.insert(*id);
            }
        }
        Ok(found)
    }

    /// The customer a reservation belongs to, if we hold it.
    pub fn customer_of(&self, reservation: &Reservation) -> Result<Option<Customer>> {
        match reservation.customer_id {
            Some(id) => self.get::<Customer>(id),
            None => Ok(None),
        }
    }

    /// Charges in `state` (all when None), oldest first; `reservation` narrows to one stay.
    pub fn charges(
        &self,
        venue_id: Uuid,
        state: Option<ChargeState>,
        reservation: Option<Uuid>,
    ) -> Result<Vec<PmsCharge>> {
        let sql = format!(
            "SELECT {} FROM pms_charges WHERE venue_id = ?1 AND (?2 IS NULL OR state = ?2)
               AND (?3 IS NULL OR reservation_id = ?3)
             ORDER BY requested_at, id",
            PmsCharge::COLUMNS.join(", ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            rusqlite::params![
                venue_id.to_string(),
                state.map(ChargeState::as_str),
                reservation.map(|r| r.to_string())
            ],
            PmsCharge::from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The front-desk note on a reservation, if any.
    pub fn desk_note(&self, reservation_id: Uuid) -> Result<Option<DeskNote>> {
        let sql = format!(
            "SELECT {} FROM desk_notes WHERE reservation_id = ?1",
            DeskNote::COLUMNS.join(", ")
        );
        Ok(self
            .conn
            .query_row(&sql, [reservation_id.to_string()], DeskNote::from_row)
            .optional()?)
    }

    /// Reservations of one source as (external id, state, start, end, customer, resource,
    /// persons), for comparing the mirror with the PMS.
    pub fn reservations_of_source(&self, venue_id: Uuid, source: &str) -> Result<Vec<Reservation>> {
        let sql = format!(
            "SELECT {} FROM reservations WHERE venue_id = ?1 AND source = ?2 ORDER BY external_id",
            Reservation::COLUMNS.join(", ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([venue_id.to_string(), source.to_string()], |r| {
            Reservation::from_row(r)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// The vendor's last-modified time of each row we hold among `ids` (our ids), so an older
    /// copy of a record (an out-of-order reply) never overwrites a newer one.
    pub fn source_versions(
        &self,
        table: &str,
        ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, chrono::DateTime<chrono::Utc>>> {
        if !matches!(
            table,
            "customers" | "resources" | "reservations" | "services"
        ) {
            return Err(crate::StoreError::Invalid(format!("unknown table {table}")));
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT updated_at_source FROM {table} WHERE id = ?1 AND updated_at_source IS NOT NULL"
        ))?;
        let mut out = std::collections::HashMap::new();
        for id in ids {
            let at: Option<chrono::DateTime<chrono::Utc>> =
                stmt.query_row([id.to_string()], |r| r.get(0)).optional()?;
            if let Some(at) = at {
                out.insert(*id, at);
            }
        }
        Ok(out)
    }

    /// The PMS service charges go to when none is configured: the first active additional one.
    pub fn additional_service(&self, venue_id: Uuid, source: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT external_id FROM services WHERE venue_id = ?1 AND source = ?2 AND active = 1
                   AND kind = 'Additional' ORDER BY name, external_id LIMIT 1",
                [venue_id.to_string(), source.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }
}
