//! Joining a hub: a console that worked alone created its venue with an id of its own; the hub's
//! venue has another. Everything written before is re-keyed to the hub's venue id in one
//! transaction: the venue, every row naming it, every id derived from it (vendor rows, doors,
//! readings, notes, alerts) and every column referring to those, and the change log is rebuilt
//! so all of it goes up to the hub as this console's changes.

use crate::record::Record;
use crate::{Result, Store, StoreError};
use rusqlite::TransactionBehavior;
use serde::Serialize;
use uuid::Uuid;
use venue_domain::*;

/// What a re-key did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RekeySummary {
    /// Rows whose id changed (derived from the venue id).
    pub ids_changed: u64,
    /// Rows queued for the hub, as changes of this console.
    pub changes_queued: u64,
}

/// How each derived id is recomputed for the new venue, in dependency order: a reading's id
/// comes from its door's new id, a note's from its reservation's. `{to}` is the new venue id
/// (?1); `m(kind, column)` reads a new id from the map.
const DERIVED: &[(&str, &str, &str)] = &[
    ("customer", "customers", "natural_id('customer', ?1, source, external_id)"),
    ("resource", "resources", "natural_id('resource', ?1, source, external_id)"),
    ("service", "services", "natural_id('service', ?1, source, external_id)"),
    ("reservation", "reservations", "natural_id('reservation', ?1, source, external_id)"),
    ("transaction", "transactions", "natural_id('transaction', ?1, source, external_id)"),
    ("location", "locations", "natural_id('location', ?1, source, external_id)"),
    ("sensor_device", "sensor_devices", "natural_id('sensor_device', ?1, name)"),
    (
        "sensor_reading",
        "sensor_readings",
        "natural_id('sensor_reading', (SELECT new_id FROM rekey_map WHERE old_id = sensor_readings.device_id), period_start)",
    ),
    (
        "desk_note",
        "desk_notes",
        "natural_id('desk_note', (SELECT new_id FROM rekey_map WHERE old_id = desk_notes.reservation_id))",
    ),
    ("alert", "alerts", "natural_id('alert', ?1, dedupe_key, opened_at)"),
];

/// Columns that refer to a derived id: (table, column).
const REFERENCES: &[(&str, &str)] = &[
    ("reservations", "customer_id"),
    ("reservations", "resource_id"),
    ("desk_notes", "reservation_id"),
    ("pms_charges", "reservation_id"),
    ("sensor_readings", "device_id"),
    ("sensor_rollups", "device_id"),
    ("notifications_sent", "alert_id"),
    ("audit_log", "entity_id"),
];

/// Every table whose rows go up to the hub, with its entity kind.
pub(crate) const SYNCED: &[(&str, EntityKind)] = &[
    ("venues", EntityKind::Venue),
    ("snapshots", EntityKind::Snapshot),
    ("transactions", EntityKind::Transaction),
    ("customers", EntityKind::Customer),
    ("resources", EntityKind::Resource),
    ("services", EntityKind::Service),
    ("reservations", EntityKind::Reservation),
    ("desk_notes", EntityKind::DeskNote),
    ("pms_charges", EntityKind::PmsCharge),
    ("sensor_devices", EntityKind::SensorDevice),
    ("sensor_readings", EntityKind::SensorReading),
    ("alerts", EntityKind::Alert),
    ("recommendations", EntityKind::Recommendation),
    ("audit_log", EntityKind::Audit),
    ("locations", EntityKind::Location),
];

impl Store {
    /// Takes the hub's venue id `to` for this console's venue, re-keying everything written
    /// before in one transaction (see the module). Refused once this console has synced with
    /// a hub, or when a venue with that id is already here.
    pub fn join_venue(&mut self, to: Uuid) -> Result<RekeySummary> {
        let from = self
            .venue()?
            .ok_or_else(|| StoreError::Invalid("this store has no venue to re-key".into()))?
            .id;
        if from == to {
            return Ok(RekeySummary::default());
        }
        let node = self.node;
        let Store {
            conn,
            clock,
            venues,
            ..
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let synced: i64 = tx.query_row(
            "SELECT (SELECT count(*) FROM sync_peers) + (SELECT count(*) FROM applied_changes)",
            [],
            |r| r.get(0),
        )?;
        if synced > 0 {
            return Err(StoreError::Invalid(
                "this console has already synced with a hub: its venue id cannot change".into(),
            ));
        }
        let taken: i64 = tx.query_row(
            "SELECT count(*) FROM venues WHERE id = ?1",
            [to.to_string()],
            |r| r.get(0),
        )?;
        if taken > 0 {
            return Err(StoreError::Invalid(format!(
                "a venue {to} is already in this store"
            )));
        }
        tx.execute_batch(
            "PRAGMA defer_foreign_keys = ON;
             CREATE TEMP TABLE rekey_map (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL) WITHOUT ROWID;",
        )?;
        let (to_text, from_text) = (to.to_string(), from.to_string());
        for (_, table, derive) in DERIVED {
            tx.execute(
                &format!(
                    "INSERT INTO rekey_map (old_id, new_id) SELECT id, {derive} FROM {table} WHERE venue_id = ?2"
                ),
                [&to_text, &from_text],
            )?;
        }
        tx.execute(
            "INSERT INTO rekey_map (old_id, new_id) VALUES (?2, ?1)",
            [&to_text, &from_text],
        )?;
        // Every column named venue_id, in every table, names the new venue.
        let tables: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND p.name = 'venue_id' ORDER BY m.name",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        // The daily sums are rebuilt by the sales' own update trigger as each sale moves to the
        // new venue id; moved as well, they would be counted twice.
        tx.execute("DELETE FROM daily_sales WHERE venue_id = ?1", [&from_text])?;
        tx.execute(
            "UPDATE venues SET id = ?1 WHERE id = ?2",
            [&to_text, &from_text],
        )?;
        for table in &tables {
            tx.execute(
                &format!("UPDATE {table} SET venue_id = ?1 WHERE venue_id = ?2"),
                [&to_text, &from_text],
            )?;
        }
        let mut ids_changed = 0u64;
        for (_, table, _) in DERIVED {
            ids_changed += tx.execute(
                &format!(
                    "UPDATE {table} SET id = (SELECT new_id FROM rekey_map WHERE old_id = {table}.id)
                     WHERE id IN (SELECT old_id FROM rekey_map)"
                ),
                [],
            )? as u64;
        }
        for (table, column) in REFERENCES {
            tx.execute(
                &format!(
                    "UPDATE {table} SET {column} = (SELECT new_id FROM rekey_map WHERE old_id = {table}.{column})
                     WHERE {column} IN (SELECT old_id FROM rekey_map)"
                ),
                [],
            )?;
        }
        // Everything written before goes up as this console's changes, stamped now, in order.
        tx.execute("DELETE FROM change_log", [])?;
        let base = clock.tick(clock.wall_ms()).as_i64();
        tx.execute_batch("CREATE TEMP TABLE restamp (entity TEXT, id TEXT PRIMARY KEY, hlc INTEGER) WITHOUT ROWID;")?;
        let mut queued = 0i64;
        for (table, kind) in SYNCED {
            let added = tx.execute(
                &format!(
                    "INSERT INTO restamp (entity, id, hlc)
                     SELECT ?1, id, ?2 + row_number() OVER (ORDER BY hlc, id) FROM {table} WHERE origin <> 'sync'"
                ),
                rusqlite::params![kind.as_str(), base + queued],
            )?;
            tx.execute(
                &format!(
                    "UPDATE {table} SET hlc = (SELECT hlc FROM restamp WHERE restamp.id = {table}.id), node_id = ?1
                     WHERE id IN (SELECT id FROM restamp WHERE entity = ?2)"
                ),
                [node.to_string(), kind.as_str().to_string()],
            )?;
            tx.execute(
                &format!(
                    "INSERT INTO change_log (entity, entity_id, op, hlc, origin, venue_id)
                     SELECT r.entity, r.id, 'upsert', r.hlc, t.origin, {venue}
                     FROM restamp r JOIN {table} t ON t.id = r.id WHERE r.entity = ?1 ORDER BY r.hlc",
                    venue = if *kind == EntityKind::Venue { "t.id" } else { "t.venue_id" }
                ),
                [kind.as_str()],
            )?;
            queued += added as i64;
        }
        clock.catch_up(Hlc::from_i64(base + queued)?);
        tx.execute_batch("DROP TABLE restamp; DROP TABLE rekey_map;")?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('venue_joined_from', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [&from_text],
        )?;
        tx.commit()?;
        venues.clear();
        self.notify(&[Venue::KIND.as_str()]);
        Ok(RekeySummary {
            ids_changed,
            changes_queued: queued.max(0) as u64,
        })
    }
}
