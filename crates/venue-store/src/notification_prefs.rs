//! Desktop notifications for alerts (migration 0010): each staff account's preferences and the
//! record of notifications shown.
//!
//! Local only, like staff accounts: nothing here enters the change log. Changing preferences is
//! audited in the same transaction. Which alerts are due is the core's decision; the store reads
//! what it needs, asks the decision and records the answer in one write transaction, so two
//! rounds can never both show the same notification.

use crate::record::Record;
use crate::staff::{audit_in, AuditLine};
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;
use venue_domain::{Alert, AuditEntry};

/// The topic a preference change is announced under (see [`crate::ChangeListener`]).
pub const NOTIFICATION_PREFS: &str = "notification_prefs";

/// How long the record of a shown notification is kept. Reminders only look back one cool-down
/// (at most a week), so older rows only cost space.
const SENT_KEPT_DAYS: i64 = 30;

/// One account's notification preferences as stored (checked by the core).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationPrefsRow {
    pub staff_id: Uuid,
    pub enabled: bool,
    /// "info", "warning" or "critical".
    pub min_severity: String,
    /// Venue-local "HH:MM", both or neither.
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    pub updated_at: DateTime<Utc>,
}

fn prefs_from_row(row: &rusqlite::Row) -> rusqlite::Result<NotificationPrefsRow> {
    let staff_id: String = row.get(0)?;
    Ok(NotificationPrefsRow {
        staff_id: Uuid::parse_str(&staff_id).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })?,
        enabled: row.get(1)?,
        min_severity: row.get(2)?,
        quiet_start: row.get(3)?,
        quiet_end: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

impl Store {
    /// An account's stored preferences; `None` when it never saved any (the core's defaults apply).
    pub fn notification_prefs(
        &self,
        venue_id: Uuid,
        staff_id: Uuid,
    ) -> Result<Option<NotificationPrefsRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT staff_id, enabled, min_severity, quiet_start, quiet_end, updated_at
                 FROM notification_prefs WHERE venue_id = ?1 AND staff_id = ?2",
                [venue_id.to_string(), staff_id.to_string()],
                prefs_from_row,
            )
            .optional()?)
    }

    /// Saves an account's preferences and the audit line (`before`/`after` as the core shows
    /// them) in one transaction.
    pub fn set_notification_prefs(
        &mut self,
        venue_id: Uuid,
        prefs: &NotificationPrefsRow,
        audit: AuditLine,
        before: Option<serde_json::Value>,
        after: serde_json::Value,
    ) -> Result<()> {
        if prefs.quiet_start.is_some() != prefs.quiet_end.is_some() {
            return Err(StoreError::Invalid(
                "quiet hours need both a start and an end".into(),
            ));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let known: Option<String> = tx
            .query_row(
                "SELECT id FROM staff WHERE venue_id = ?1 AND id = ?2",
                [venue_id.to_string(), prefs.staff_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if known.is_none() {
            return Err(StoreError::NotFound {
                entity: "staff account",
                id: prefs.staff_id.to_string(),
            });
        }
        tx.execute(
            "INSERT INTO notification_prefs
                 (staff_id, venue_id, enabled, min_severity, quiet_start, quiet_end, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (staff_id) DO UPDATE SET
                 enabled = excluded.enabled, min_severity = excluded.min_severity,
                 quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
                 updated_at = excluded.updated_at",
            rusqlite::params![
                prefs.staff_id.to_string(),
                venue_id.to_string(),
                prefs.enabled,
                prefs.min_severity,
                prefs.quiet_start,
                prefs.quiet_end,
                prefs.updated_at,
            ],
        )?;
        audit_in(
            &tx,
            &mut self.clock,
            self.node,
            venue_id,
            audit,
            Some(prefs.staff_id),
            before,
            Some(after),
        )?;
        tx.commit()?;
        self.notify(&[NOTIFICATION_PREFS, AuditEntry::KIND.as_str()]);
        Ok(())
    }

    /// One notification round for one account, in one write transaction: reads the venue's
    /// unresolved alerts and when each was last shown to `staff_id`, lets `decide` pick what to
    /// show now, and records each pick (`record` gives its alert and whether it is a reminder)
    /// as shown at `now`. Recording before the caller shows them means a crash in between loses a
    /// notification (the next reminder comes after the cool-down) rather than repeating one.
    ///
    /// Nothing is announced to the change listener: no screen shows this record, and a round
    /// must not wake the next one.
    pub fn notification_round<T>(
        &mut self,
        venue_id: Uuid,
        staff_id: Uuid,
        now: DateTime<Utc>,
        decide: impl FnOnce(&[Alert], &HashMap<Uuid, DateTime<Utc>>) -> Vec<T>,
        record: impl Fn(&T) -> (Uuid, bool),
    ) -> Result<Vec<T>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let alerts: Vec<Alert> = {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {} FROM alerts WHERE venue_id = ?1 AND state <> 'resolved'
                 ORDER BY opened_at, id",
                Alert::COLUMNS.join(", ")
            ))?;
            let rows = stmt.query_map([venue_id.to_string()], Alert::from_row)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut last_sent: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT n.alert_id, n.sent_at FROM notifications_sent n
                 JOIN alerts a ON a.id = n.alert_id
                 WHERE n.staff_id = ?1 AND a.venue_id = ?2 AND a.state <> 'resolved'",
            )?;
            let rows = stmt.query_map([staff_id.to_string(), venue_id.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, DateTime<Utc>>(1)?))
            })?;
            for row in rows {
                let (alert, at) = row?;
                let alert = Uuid::parse_str(&alert)
                    .map_err(|e| StoreError::Invalid(format!("bad alert id {alert:?}: {e}")))?;
                // Compared as times, not text: SQLite's text forms of two times need not sort.
                let newest = last_sent.entry(alert).or_insert(at);
                if at > *newest {
                    *newest = at;
                }
            }
        }
        let picked = decide(&alerts, &last_sent);
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO notifications_sent (alert_id, staff_id, sent_at, reminder)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for pick in &picked {
                let (alert, reminder) = record(pick);
                insert.execute(rusqlite::params![
                    alert.to_string(),
                    staff_id.to_string(),
                    now,
                    reminder
                ])?;
            }
        }
        tx.execute(
            "DELETE FROM notifications_sent WHERE staff_id = ?1 AND sent_at < ?2",
            rusqlite::params![staff_id.to_string(), now - Duration::days(SENT_KEPT_DAYS)],
        )?;
        tx.commit()?;
        Ok(picked)
    }

    /// How many notifications of an alert were recorded as shown to an account (tests, support).
    pub fn notifications_sent_count(&self, alert_id: Uuid, staff_id: Uuid) -> Result<u64> {
        let count: i64 = self.conn.query_row(
            "SELECT count(*) FROM notifications_sent WHERE alert_id = ?1 AND staff_id = ?2",
            [alert_id.to_string(), staff_id.to_string()],
            |r| r.get(0),
        )?;
        Ok(count.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StaffRow;
    use venue_domain::{new_id, AlertState, Origin, Severity, Venue};

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";
    const BY: AuditLine = AuditLine {
        actor: "tester",
        action: "notification_prefs.set",
    };

    fn setup(dir: &std::path::Path) -> (Store, Uuid, Uuid) {
        let mut store = Store::open(&dir.join("venue.sqlite3")).expect("open");
        let venue = Venue::new("Harbour", "Europe/London", "GBP", 10).expect("venue");
        store
            .save_by_user("test", "venue.create", &venue)
            .expect("venue");
        let staff = StaffRow {
            id: new_id(),
            venue_id: venue.id,
            name: "Morgan".into(),
            role: "manager".into(),
            active: true,
            created_at: Utc::now(),
            last_sign_in_at: None,
        };
        store.staff_insert(&staff, HASH, BY).expect("staff");
        (store, venue.id, staff.id)
    }

    fn alert(venue_id: Uuid, state: AlertState) -> Alert {
        crate::identified(Alert {
            id: new_id(),
            venue_id,
            rule: "occupancy.warning".into(),
            dedupe_key: format!("occupancy.warning:{}", new_id()),
            severity: Severity::Warning,
            title: "Occupancy at 85% of capacity".into(),
            body: "153 people inside against a capacity of 180.".into(),
            state,
            opened_at: Utc::now(),
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
        })
    }

    #[test]
    fn prefs_are_local_audited_and_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut store, venue, staff) = setup(dir.path());
        assert_eq!(store.notification_prefs(venue, staff).expect("read"), None);
        let changes_before = store.change_log_stats().expect("stats").total;
        let row = NotificationPrefsRow {
            staff_id: staff,
            enabled: true,
            min_severity: "critical".into(),
            quiet_start: Some("22:00".into()),
            quiet_end: Some("07:00".into()),
            updated_at: Utc::now(),
        };
        store
            .set_notification_prefs(venue, &row, BY, None, serde_json::json!({"enabled": true}))
            .expect("save");
        assert_eq!(
            store.notification_prefs(venue, staff).expect("read"),
            Some(row.clone())
        );
        assert_eq!(
            store.change_log_stats().expect("stats").total,
            changes_before + 1,
            "only the audit line enters the change log"
        );
        let half = NotificationPrefsRow {
            quiet_end: None,
            ..row.clone()
        };
        assert!(store
            .set_notification_prefs(venue, &half, BY, None, serde_json::json!({}))
            .is_err());
        let bad = NotificationPrefsRow {
            min_severity: "loud".into(),
            ..row.clone()
        };
        assert!(
            store
                .set_notification_prefs(venue, &bad, BY, None, serde_json::json!({}))
                .is_err(),
            "the schema refuses an unknown severity"
        );
        let stranger = NotificationPrefsRow {
            staff_id: new_id(),
            ..row
        };
        let err = store
            .set_notification_prefs(venue, &stranger, BY, None, serde_json::json!({}))
            .expect_err("no such account");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    }

    #[test]
    fn a_round_records_what_it_picked_and_sees_it_next_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut store, venue, staff) = setup(dir.path());
        let open = alert(venue, AlertState::Open);
        let resolved = alert(venue, AlertState::Resolved);
        for a in [&open, &resolved] {
            store
                .save_audited(Origin::Sensor, "alert-engine", "alert.open", a)
                .expect("alert");
        }
        let now = Utc::now();
        let picked = store
            .notification_round(
                venue,
                staff,
                now,
                |alerts, last| {
                    assert_eq!(alerts.len(), 1, "resolved alerts are not offered");
                    assert!(last.is_empty());
                    alerts.iter().map(|a| a.id).collect()
                },
                |id| (*id, false),
            )
            .expect("round");
        assert_eq!(picked, [open.id]);
        assert_eq!(
            store.notifications_sent_count(open.id, staff).expect("n"),
            1
        );
        let later = now + Duration::minutes(20);
        store
            .notification_round(
                venue,
                staff,
                later,
                |_, last| {
                    assert_eq!(last.get(&open.id), Some(&now));
                    vec![open.id]
                },
                |id| (*id, true),
            )
            .expect("reminder");
        store
            .notification_round(
                venue,
                staff,
                later + Duration::seconds(1),
                |_, last| {
                    assert_eq!(last.get(&open.id), Some(&later), "the newest sending");
                    Vec::<Uuid>::new()
                },
                |id| (*id, false),
            )
            .expect("nothing");
        assert_eq!(
            store.notifications_sent_count(open.id, staff).expect("n"),
            2
        );
        // A month on, the old rows are gone.
        store
            .notification_round(
                venue,
                staff,
                now + Duration::days(SENT_KEPT_DAYS + 1),
                |_, _| Vec::<Uuid>::new(),
                |id| (*id, false),
            )
            .expect("prune");
        assert_eq!(
            store.notifications_sent_count(open.id, staff).expect("n"),
            0
        );
    }
}
