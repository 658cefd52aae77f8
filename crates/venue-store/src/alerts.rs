//! What the alert engine reads and writes besides the alerts themselves: failed charges, today's
//! VIP arrivals, a rule's unresolved alerts, a condition's last resolution, and custom rules.

use crate::record::Record;
use crate::write::{catch_up_clock, now_text, write_records};
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;
use venue_domain::{new_id, Alert, AuditEntry, EntityKind, Origin};

/// A charge the PMS refused (state `failed`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedCharge {
    pub id: Uuid,
    pub source: String,
    pub item: String,
    pub amount_minor: i64,
    pub currency: String,
    pub reservation_number: Option<String>,
    pub last_error: Option<String>,
}

/// A reservation of a VIP guest starting in a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VipArrival {
    pub reservation_id: Uuid,
    pub number: Option<String>,
    pub guest: String,
    pub start_utc: DateTime<Utc>,
}

/// A custom alert rule as stored: the engine's JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAlertRule {
    pub id: String,
    pub definition: serde_json::Value,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

fn alert_select(condition: &str) -> String {
    format!(
        "SELECT {} FROM alerts WHERE {condition}",
        Alert::COLUMNS.join(", ")
    )
}

impl Store {
    /// Charges in state `failed`, oldest first.
    pub fn failed_charges(&self, venue_id: Uuid) -> Result<Vec<FailedCharge>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.source, c.item, c.amount_minor, c.currency, r.number, c.last_error
             FROM pms_charges c LEFT JOIN reservations r ON r.id = c.reservation_id
             WHERE c.venue_id = ?1 AND c.state = 'failed' ORDER BY c.requested_at, c.id",
        )?;
        let rows = stmt.query_map([venue_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                FailedCharge {
                    id: Uuid::nil(),
                    source: r.get(1)?,
                    item: r.get(2)?,
                    amount_minor: r.get(3)?,
                    currency: r.get(4)?,
                    reservation_number: r.get(5)?,
                    last_error: r.get(6)?,
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, mut charge) = row?;
            charge.id = parse_uuid(&id)?;
            out.push(charge);
        }
        Ok(out)
    }

    /// Reservations starting in [start, end) that are not canceled, whose guest is a VIP
    /// (see [`crate::is_vip`]), by start time.
    pub fn vip_arrivals(
        &self,
        venue_id: Uuid,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<VipArrival>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.number, r.start_utc, c.first_name, c.last_name, c.classifications
             FROM reservations r JOIN customers c ON c.id = r.customer_id
             WHERE r.venue_id = ?1 AND r.start_utc >= ?2 AND r.start_utc < ?3
               AND r.state NOT IN ('canceled', 'cancelled')
             ORDER BY r.start_utc, r.id",
        )?;
        let rows = stmt.query_map(rusqlite::params![venue_id.to_string(), start, end], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, DateTime<Utc>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, number, start_utc, first, last, classifications) = row?;
            // An unreadable classification list only costs the VIP mark.
            let list: Vec<String> = serde_json::from_str(&classifications).unwrap_or_default();
            if !crate::is_vip(&list) {
                continue;
            }
            let guest = [first, last]
                .into_iter()
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            out.push(VipArrival {
                reservation_id: parse_uuid(&id)?,
                number,
                guest,
                start_utc,
            });
        }
        Ok(out)
    }

    /// Opens `alert` unless its condition already has an unresolved alert here, checked inside
    /// the write transaction, so two processes of one console never open one condition twice.
    /// (Two consoles may, before they sync: both rows are kept and shown as one condition.)
    /// Audited as `(actor, action)` when given. True when it was opened.
    pub fn open_alert_once(
        &mut self,
        origin: Origin,
        audit: Option<(&str, &str)>,
        alert: &Alert,
    ) -> Result<bool> {
        let venue_id = alert.venue_id.to_string();
        let key = alert.dedupe_key.clone();
        let written = self.save_guarded(origin, audit, alert, |conn| {
            let open: i64 = conn.query_row(
                "SELECT count(*) FROM alerts WHERE venue_id = ?1 AND dedupe_key = ?2 AND state <> 'resolved'",
                [&venue_id, &key],
                |r| r.get(0),
            )?;
            Ok(open == 0)
        })?;
        Ok(written == crate::write::Guarded::Written)
    }

    /// Saves a change to one alert's state (acknowledged, resolved) and the same change to the
    /// other unresolved alerts of its condition: two consoles may each have opened one before
    /// they synced, and the condition is one thing to the people handling it.
    pub fn save_alert_condition(
        &mut self,
        origin: Origin,
        actor: &str,
        action: &str,
        alert: &Alert,
    ) -> Result<bool> {
        let twins: Vec<Alert> = self
            .unresolved_alerts(alert.venue_id)?
            .into_iter()
            .filter(|a| a.dedupe_key == alert.dedupe_key && a.id != alert.id)
            .collect();
        let written = self.save_audited(origin, actor, action, alert)?;
        for mut twin in twins {
            twin.state = alert.state;
            if twin.acknowledged_at.is_none() {
                twin.acknowledged_at = alert.acknowledged_at;
                twin.acknowledged_by.clone_from(&alert.acknowledged_by);
            }
            twin.resolved_at = alert.resolved_at;
            self.save_audited(origin, actor, action, &twin)?;
        }
        Ok(written)
    }

    /// The unresolved (open or acknowledged) alerts one rule raised.
    pub fn unresolved_alerts_of_rule(&self, venue_id: Uuid, rule: &str) -> Result<Vec<Alert>> {
        let mut stmt = self.conn.prepare_cached(&alert_select(
            "venue_id = ?1 AND rule = ?2 AND state <> 'resolved' ORDER BY opened_at, id",
        ))?;
        let rows = stmt.query_map([venue_id.to_string(), rule.to_string()], Alert::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every unresolved (open or acknowledged) alert of the venue, oldest first; read through
    /// the partial index of unresolved conditions, so resolved history does not slow it.
    pub fn unresolved_alerts(&self, venue_id: Uuid) -> Result<Vec<Alert>> {
        let mut stmt = self.conn.prepare_cached(&alert_select(
            "venue_id = ?1 AND state <> 'resolved' ORDER BY opened_at, id",
        ))?;
        let rows = stmt.query_map([venue_id.to_string()], Alert::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When a condition's newest resolved alert was resolved (for cool-downs).
    pub fn last_resolved_at(
        &self,
        venue_id: Uuid,
        dedupe_key: &str,
    ) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT max(resolved_at) FROM alerts
                 WHERE venue_id = ?1 AND dedupe_key = ?2 AND state = 'resolved'",
                [venue_id.to_string(), dedupe_key.to_string()],
                |r| r.get::<_, Option<DateTime<Utc>>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Every alert of the venue: unresolved first (critical first, then newest), then resolved
    /// ones, newest first.
    pub fn all_alerts(&self, venue_id: Uuid) -> Result<Vec<Alert>> {
        let mut stmt = self.conn.prepare_cached(&alert_select(
            "venue_id = ?1 ORDER BY state = 'resolved',
                 CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END
                     * (state <> 'resolved'),
                 opened_at DESC, id",
        ))?;
        let rows = stmt.query_map([venue_id.to_string()], Alert::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Custom alert rules, by id.
    pub fn alert_rules(&self, venue_id: Uuid) -> Result<Vec<StoredAlertRule>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, definition, created_by, created_at, updated_at FROM alert_rules
             WHERE venue_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([venue_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, definition, created_by, created_at, updated_at) = row?;
            out.push(StoredAlertRule {
                id,
                definition: serde_json::from_str(&definition)?,
                created_by,
                created_at,
                updated_at,
            });
        }
        Ok(out)
    }

    /// Creates or replaces a custom rule, audited (`alert_rule.save`) in the same transaction.
    pub fn save_alert_rule(
        &mut self,
        venue_id: Uuid,
        id: &str,
        definition: &serde_json::Value,
        actor: &str,
    ) -> Result<()> {
        let before = self
            .alert_rules(venue_id)?
            .into_iter()
            .find(|r| r.id == id)
            .map(|r| r.definition);
        let text = serde_json::to_string(definition)?;
        self.audited_rule_change(venue_id, actor, "alert_rule.save", before, Some(definition.clone()), |tx| {
            tx.execute(
                "INSERT INTO alert_rules (venue_id, id, definition, created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (venue_id, id) DO UPDATE SET
                     definition = excluded.definition, updated_at = excluded.updated_at",
                rusqlite::params![venue_id.to_string(), id, text, actor, now_text()],
            )?;
            Ok(())
        })
    }

    /// Deletes a custom rule, audited (`alert_rule.delete`). False when there was none.
    pub fn delete_alert_rule(&mut self, venue_id: Uuid, id: &str, actor: &str) -> Result<bool> {
        let Some(before) = self
            .alert_rules(venue_id)?
            .into_iter()
            .find(|r| r.id == id)
            .map(|r| r.definition)
        else {
            return Ok(false);
        };
        self.audited_rule_change(
            venue_id,
            actor,
            "alert_rule.delete",
            Some(before),
            None,
            |tx| {
                tx.execute(
                    "DELETE FROM alert_rules WHERE venue_id = ?1 AND id = ?2",
                    rusqlite::params![venue_id.to_string(), id],
                )?;
                Ok(())
            },
        )?;
        Ok(true)
    }

    fn audited_rule_change(
        &mut self,
        venue_id: Uuid,
        actor: &str,
        action: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        change: impl FnOnce(&rusqlite::Transaction) -> Result<()>,
    ) -> Result<()> {
        if actor.trim().is_empty() {
            return Err(StoreError::Invalid(
                "an audited action needs an actor".into(),
            ));
        }
        let Store {
            conn, clock, node, ..
        } = self;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        catch_up_clock(&tx, clock)?;
        change(&tx)?;
        let entry = AuditEntry {
            id: new_id(),
            venue_id,
            at: Utc::now(),
            actor: actor.to_string(),
            action: action.to_string(),
            entity: None,
            entity_id: None,
            before,
            after,
        };
        let mut changed = Vec::new();
        write_records(
            &tx,
            clock,
            *node,
            None,
            Origin::User,
            None,
            &[entry],
            &mut changed,
        )?;
        tx.commit()?;
        self.notify(&[ALERT_RULES, EntityKind::Audit.as_str()]);
        Ok(())
    }
}

/// Custom alert rules changed.
pub const ALERT_RULES: &str = "alert_rules";

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| StoreError::Invalid(format!("bad id {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use crate::Store;
    use std::sync::{Arc, Mutex};

    #[test]
    fn listeners_chain_and_can_be_put_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("t.sqlite3")).expect("store");
        let heard = Arc::new(Mutex::new(Vec::new()));
        let named = |name: &'static str| -> crate::ChangeListener {
            let heard = heard.clone();
            Arc::new(move |topics: &[&'static str]| {
                if let Ok(mut h) = heard.lock() {
                    h.push((name, topics.join(",")));
                }
            })
        };
        store.set_change_listener(named("app"));
        let before = store.replace_change_listener(None);
        store.replace_change_listener(before.clone());
        store.add_change_listener(named("engine"));
        store.notify(&["alert"]);
        store.replace_change_listener(before);
        store.notify(&["sensor_state"]);
        let heard = heard.lock().expect("heard").clone();
        assert_eq!(
            heard,
            [
                ("app", "alert".to_string()),
                ("engine", "alert".to_string()),
                ("app", "sensor_state".to_string()),
            ]
        );
    }
}
