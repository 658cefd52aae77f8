//! Staff accounts and the console's sign-in lock-out (migration 0007).
//!
//! Local only: staff rows and the lock-out are written without change-log rows, so they never
//! sync and a PIN hash never leaves this machine. Every change is audited in the same transaction
//! (the audit log does sync); an audit line names the account and its role, never a PIN or its
//! hash. Hashing and checking PINs is the core's job: the store only keeps the PHC strings.

use crate::record::Record;
use crate::write::{catch_up_clock, write_records};
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::fmt;
use uuid::Uuid;
use venue_domain::{new_id, AuditEntry, Origin};

/// The topic staff changes are announced under (see [`crate::ChangeListener`]).
pub const STAFF: &str = "staff";

/// A staff account as everyone may see it: no PIN hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffRow {
    pub id: Uuid,
    pub venue_id: Uuid,
    pub name: String,
    /// "staff", "manager" or "admin".
    pub role: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// An active account's PIN hash, for checking a PIN (sign-in, the one-PIN-per-person rule).
#[derive(Clone, PartialEq, Eq)]
pub struct StaffPinHash {
    pub id: Uuid,
    /// A PHC string.
    pub pin_hash: String,
}

impl fmt::Debug for StaffPinHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffPinHash")
            .field("id", &self.id)
            .field("pin_hash", &"***")
            .finish()
    }
}

/// Wrong PINs in a row at this console and, after too many, until when sign-in is paused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SignInGuard {
    pub failed_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl SignInGuard {
    /// The end of the lock-out, while it lasts.
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }
}

/// Who did what, for the audit line a staff change writes.
#[derive(Debug, Clone, Copy)]
pub struct AuditLine<'a> {
    pub actor: &'a str,
    pub action: &'a str,
}

/// Names compare case-insensitively with runs of spaces folded: "Sam  front desk" is "Sam Front Desk".
pub fn staff_name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

const STAFF_COLUMNS: &str = "id, venue_id, name, role, active, created_at, last_sign_in_at";

fn uuid_at(row: &rusqlite::Row, i: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(i)?;
    Uuid::parse_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn staff_from_row(row: &rusqlite::Row) -> rusqlite::Result<StaffRow> {
    Ok(StaffRow {
        id: uuid_at(row, 0)?,
        venue_id: uuid_at(row, 1)?,
        name: row.get(2)?,
        role: row.get(3)?,
        active: row.get(4)?,
        created_at: row.get(5)?,
        last_sign_in_at: row.get(6)?,
    })
}

fn get_in(conn: &rusqlite::Connection, venue_id: Uuid, id: Uuid) -> Result<Option<StaffRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {STAFF_COLUMNS} FROM staff WHERE venue_id = ?1 AND id = ?2"),
            [venue_id.to_string(), id.to_string()],
            staff_from_row,
        )
        .optional()?)
}

fn require_in(conn: &rusqlite::Connection, venue_id: Uuid, id: Uuid) -> Result<StaffRow> {
    get_in(conn, venue_id, id)?.ok_or_else(|| StoreError::NotFound {
        entity: "staff account",
        id: id.to_string(),
    })
}

/// The JSON an audit line shows of an account: what anyone may see, no hash.
fn shown(row: &StaffRow) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(row)?)
}

impl Store {
    /// Every account of the venue, active or not, by name.
    pub fn staff_list(&self, venue_id: Uuid) -> Result<Vec<StaffRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE venue_id = ?1 ORDER BY name_key, id"
        ))?;
        let rows = stmt.query_map([venue_id.to_string()], staff_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn staff_get(&self, venue_id: Uuid, id: Uuid) -> Result<Option<StaffRow>> {
        get_in(&self.conn, venue_id, id)
    }

    /// Whether the account can still sign in: `None` when it no longer exists. Read before every
    /// signed-in command, so an account deactivated elsewhere stops working at once.
    pub fn staff_is_active(&self, id: Uuid) -> Result<Option<bool>> {
        Ok(self
            .conn
            .prepare_cached("SELECT active FROM staff WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// An account by its id or its name (any case).
    pub fn staff_find(&self, venue_id: Uuid, id_or_name: &str) -> Result<Option<StaffRow>> {
        if let Ok(id) = Uuid::parse_str(id_or_name.trim()) {
            if let Some(row) = self.staff_get(venue_id, id)? {
                return Ok(Some(row));
            }
        }
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {STAFF_COLUMNS} FROM staff WHERE venue_id = ?1 AND name_key = ?2"),
                [venue_id.to_string(), staff_name_key(id_or_name)],
                staff_from_row,
            )
            .optional()?)
    }

    /// How many accounts the venue has (`active_only`: only those who can sign in).
    pub fn staff_count(&self, venue_id: Uuid, active_only: bool) -> Result<u64> {
        let count: i64 = self.conn.query_row(
            "SELECT count(*) FROM staff WHERE venue_id = ?1 AND (active = 1 OR ?2 = 0)",
            rusqlite::params![venue_id.to_string(), active_only],
            |r| r.get(0),
        )?;
        Ok(count.unsigned_abs())
    }

    /// The PIN hashes of the accounts that can sign in.
    pub fn staff_active_pin_hashes(&self, venue_id: Uuid) -> Result<Vec<StaffPinHash>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, pin_hash FROM staff WHERE venue_id = ?1 AND active = 1 ORDER BY id",
        )?;
        let rows = stmt.query_map([venue_id.to_string()], |r| {
            Ok(StaffPinHash {
                id: uuid_at(r, 0)?,
                pin_hash: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds an account with an already hashed PIN, audited. Refuses a name the venue already
    /// has (in any case).
    pub fn staff_insert(&mut self, row: &StaffRow, pin_hash: &str, audit: AuditLine) -> Result<()> {
        if row.name.trim().is_empty() {
            return Err(StoreError::Invalid("a staff account needs a name".into()));
        }
        let key = staff_name_key(&row.name);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken: Option<String> = tx
            .query_row(
                "SELECT name FROM staff WHERE venue_id = ?1 AND name_key = ?2",
                [row.venue_id.to_string(), key.clone()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(existing) = taken {
            return Err(StoreError::Invalid(format!(
                "there is already a staff account named {existing:?}"
            )));
        }
        tx.execute(
            "INSERT INTO staff (id, venue_id, name, name_key, role, pin_hash, active, created_at,
                                updated_at, last_sign_in_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
            rusqlite::params![
                row.id.to_string(),
                row.venue_id.to_string(),
                row.name,
                key,
                row.role,
                pin_hash,
                row.active,
                row.created_at,
                row.last_sign_in_at,
            ],
        )?;
        let after = shown(row)?;
        audit_in(
            &tx,
            &mut self.clock,
            self.node,
            row.venue_id,
            audit,
            Some(row.id),
            None,
            Some(after),
        )?;
        tx.commit()?;
        self.notify(&[STAFF, AuditEntry::KIND.as_str()]);
        Ok(())
    }

    /// Replaces an account's PIN hash, audited (the audit line says the PIN changed, nothing more).
    pub fn staff_set_pin_hash(
        &mut self,
        venue_id: Uuid,
        id: Uuid,
        pin_hash: &str,
        audit: AuditLine,
    ) -> Result<StaffRow> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = require_in(&tx, venue_id, id)?;
        tx.execute(
            "UPDATE staff SET pin_hash = ?3, updated_at = ?4 WHERE venue_id = ?1 AND id = ?2",
            rusqlite::params![venue_id.to_string(), id.to_string(), pin_hash, Utc::now()],
        )?;
        let mut after = shown(&row)?;
        after["pin_changed"] = serde_json::Value::Bool(true);
        audit_in(
            &tx,
            &mut self.clock,
            self.node,
            venue_id,
            audit,
            Some(id),
            None,
            Some(after),
        )?;
        tx.commit()?;
        self.notify(&[STAFF, AuditEntry::KIND.as_str()]);
        Ok(row)
    }

    /// Activates or deactivates an account, audited; a no-op (nothing audited) when it already
    /// is. The venue's last active admin cannot be deactivated.
    pub fn staff_set_active(
        &mut self,
        venue_id: Uuid,
        id: Uuid,
        active: bool,
        audit: AuditLine,
    ) -> Result<StaffRow> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = require_in(&tx, venue_id, id)?;
        if before.active == active {
            return Ok(before);
        }
        if !active && before.role == "admin" {
            let other_admins: i64 = tx.query_row(
                "SELECT count(*) FROM staff
                 WHERE venue_id = ?1 AND role = 'admin' AND active = 1 AND id <> ?2",
                [venue_id.to_string(), id.to_string()],
                |r| r.get(0),
            )?;
            if other_admins == 0 {
                return Err(StoreError::Invalid(format!(
                    "{} is the last active admin; make another admin before deactivating them",
                    before.name
                )));
            }
        }
        tx.execute(
            "UPDATE staff SET active = ?3, updated_at = ?4 WHERE venue_id = ?1 AND id = ?2",
            rusqlite::params![venue_id.to_string(), id.to_string(), active, Utc::now()],
        )?;
        let after = StaffRow {
            active,
            ..before.clone()
        };
        audit_in(
            &tx,
            &mut self.clock,
            self.node,
            venue_id,
            audit,
            Some(id),
            Some(shown(&before)?),
            Some(shown(&after)?),
        )?;
        tx.commit()?;
        self.notify(&[STAFF, AuditEntry::KIND.as_str()]);
        Ok(after)
    }

    /// Records a successful sign-in: the account's last sign-in time, the console's wrong-PIN
    /// count back to zero, and the audit line, in one transaction.
    pub fn staff_signed_in(
        &mut self,
        venue_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
        audit: AuditLine,
    ) -> Result<StaffRow> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = require_in(&tx, venue_id, id)?;
        tx.execute(
            "UPDATE staff SET last_sign_in_at = ?3 WHERE venue_id = ?1 AND id = ?2",
            rusqlite::params![venue_id.to_string(), id.to_string(), at],
        )?;
        tx.execute(
            "INSERT INTO sign_in_guard (venue_id, failed_attempts, locked_until, updated_at)
             VALUES (?1, 0, NULL, ?2)
             ON CONFLICT (venue_id) DO UPDATE SET failed_attempts = 0, locked_until = NULL,
                                                  updated_at = excluded.updated_at",
            rusqlite::params![venue_id.to_string(), at],
        )?;
        let after = StaffRow {
            last_sign_in_at: Some(at),
            ..before
        };
        audit_in(
            &tx,
            &mut self.clock,
            self.node,
            venue_id,
            audit,
            Some(id),
            None,
            Some(serde_json::json!({ "name": after.name, "role": after.role })),
        )?;
        tx.commit()?;
        self.notify(&[STAFF, AuditEntry::KIND.as_str()]);
        Ok(after)
    }

    /// The console's wrong-PIN count and lock-out.
    pub fn sign_in_guard(&self, venue_id: Uuid) -> Result<SignInGuard> {
        Ok(self
            .conn
            .query_row(
                "SELECT failed_attempts, locked_until FROM sign_in_guard WHERE venue_id = ?1",
                [venue_id.to_string()],
                |r| {
                    Ok(SignInGuard {
                        failed_attempts: r.get(0)?,
                        locked_until: r.get(1)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// Counts a wrong PIN. The `max_attempts`-th in a row locks sign-in until `now + lock_for`
    /// (and starts the count afresh for after the lock-out). Returns the guard as stored.
    pub fn sign_in_failed(
        &mut self,
        venue_id: Uuid,
        now: DateTime<Utc>,
        max_attempts: u32,
        lock_for: chrono::Duration,
    ) -> Result<SignInGuard> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let failed: u32 = tx.query_row(
            "INSERT INTO sign_in_guard (venue_id, failed_attempts, locked_until, updated_at)
             VALUES (?1, 1, NULL, ?2)
             ON CONFLICT (venue_id) DO UPDATE SET failed_attempts = failed_attempts + 1,
                                                  updated_at = excluded.updated_at
             RETURNING failed_attempts",
            rusqlite::params![venue_id.to_string(), now],
            |r| r.get(0),
        )?;
        let guard = if failed >= max_attempts.max(1) {
            let until = now + lock_for;
            tx.execute(
                "UPDATE sign_in_guard SET failed_attempts = 0, locked_until = ?2 WHERE venue_id = ?1",
                rusqlite::params![venue_id.to_string(), until],
            )?;
            SignInGuard {
                failed_attempts: 0,
                locked_until: Some(until),
            }
        } else {
            SignInGuard {
                failed_attempts: failed,
                locked_until: None,
            }
        };
        tx.commit()?;
        Ok(guard)
    }

    /// Audits an action that changes no synced row (a sign-out, a secret stored in the OS
    /// keyring, a sign-in lock-out). `details` must never hold a PIN, a hash or a secret.
    pub fn audit_action(
        &mut self,
        venue_id: Uuid,
        audit: AuditLine,
        entity_id: Option<Uuid>,
        details: Option<serde_json::Value>,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        audit_in(
            &tx,
            &mut self.clock,
            self.node,
            venue_id,
            audit,
            entity_id,
            None,
            details,
        )?;
        tx.commit()?;
        self.notify(&[AuditEntry::KIND.as_str()]);
        Ok(())
    }
}

/// Writes one audit line (with its change-log row: the audit log syncs) inside `tx`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_in(
    tx: &rusqlite::Transaction,
    clock: &mut venue_domain::HlcClock,
    node: venue_domain::NodeId,
    venue_id: Uuid,
    audit: AuditLine,
    entity_id: Option<Uuid>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    if audit.actor.trim().is_empty() {
        return Err(StoreError::Invalid(
            "an audited action needs an actor".into(),
        ));
    }
    catch_up_clock(tx, clock)?;
    let entry = AuditEntry {
        id: new_id(),
        venue_id,
        at: Utc::now(),
        actor: audit.actor.to_string(),
        action: audit.action.to_string(),
        entity: None,
        entity_id,
        before,
        after,
    };
    let mut changed = Vec::new();
    write_records(
        tx,
        clock,
        node,
        None,
        Origin::User,
        None,
        &[entry],
        &mut changed,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use venue_domain::Venue;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";

    fn store_with_venue(dir: &std::path::Path) -> (Store, Uuid) {
        let mut store = Store::open(&dir.join("venue.sqlite3")).expect("open");
        let venue = Venue::new("Harbour", "Europe/London", "GBP", 10).expect("venue");
        store
            .save_by_user("test", "venue.create", &venue)
            .expect("venue");
        (store, venue.id)
    }

    fn row(venue_id: Uuid, name: &str, role: &str) -> StaffRow {
        StaffRow {
            id: new_id(),
            venue_id,
            name: name.into(),
            role: role.into(),
            active: true,
            created_at: Utc::now(),
            last_sign_in_at: None,
        }
    }

    const BY: AuditLine = AuditLine {
        actor: "tester",
        action: "staff.test",
    };

    #[test]
    fn staff_rows_are_local_names_unique_in_any_case_and_audits_hold_no_hash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut store, venue) = store_with_venue(dir.path());
        let changes_before = store.change_log_stats().expect("stats").total;
        let sam = row(venue, "Sam  Front Desk", "staff");
        store.staff_insert(&sam, HASH, BY).expect("insert");
        let err = store
            .staff_insert(&row(venue, "sam front DESK", "admin"), HASH, BY)
            .expect_err("same name");
        assert!(err.to_string().contains("already"), "{err}");
        assert!(store
            .staff_insert(&row(venue, "Alex", "boss"), HASH, BY)
            .is_err());
        assert!(store
            .staff_insert(&row(venue, "Alex", "admin"), "plain-1234", BY)
            .is_err());
        assert_eq!(
            store
                .staff_find(venue, "SAM FRONT DESK")
                .expect("find")
                .map(|r| r.id),
            Some(sam.id)
        );
        assert_eq!(
            store
                .staff_find(venue, &sam.id.to_string())
                .expect("by id")
                .map(|r| r.name),
            Some("Sam  Front Desk".into())
        );
        assert_eq!(store.staff_count(venue, true).expect("count"), 1);
        // One audit line (and its change-log row), nothing for the staff row itself.
        assert_eq!(
            store.change_log_stats().expect("stats").total,
            changes_before + 1
        );
        let audit: String = store
            .conn
            .query_row(
                "SELECT after FROM audit_log WHERE action = 'staff.test'",
                [],
                |r| r.get(0),
            )
            .expect("audit");
        assert!(!audit.contains("argon2"), "{audit}");
    }

    #[test]
    fn wrong_pins_lock_after_the_limit_and_a_sign_in_clears_the_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut store, venue) = store_with_venue(dir.path());
        let sam = row(venue, "Sam", "staff");
        store.staff_insert(&sam, HASH, BY).expect("insert");
        let now = Utc::now();
        let lock = chrono::Duration::seconds(60);
        for n in 1..3 {
            let guard = store.sign_in_failed(venue, now, 3, lock).expect("count");
            assert_eq!(guard.failed_attempts, n);
            assert_eq!(guard.locked_at(now), None);
        }
        let guard = store.sign_in_failed(venue, now, 3, lock).expect("third");
        assert_eq!(guard.locked_at(now), Some(now + lock));
        drop(store);
        let mut store = Store::open(&dir.path().join("venue.sqlite3")).expect("reopen");
        assert_eq!(
            store.sign_in_guard(venue).expect("guard").locked_at(now),
            Some(now + lock),
            "kept across a restart"
        );
        store
            .staff_signed_in(venue, sam.id, now + lock, BY)
            .expect("signed in");
        assert_eq!(
            store.sign_in_guard(venue).expect("guard"),
            SignInGuard::default()
        );
        assert!(store
            .staff_get(venue, sam.id)
            .expect("get")
            .and_then(|r| r.last_sign_in_at)
            .is_some());
    }

    #[test]
    fn the_last_active_admin_cannot_be_deactivated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut store, venue) = store_with_venue(dir.path());
        let a = row(venue, "A", "admin");
        let b = row(venue, "B", "admin");
        store.staff_insert(&a, HASH, BY).expect("a");
        store.staff_insert(&b, HASH, BY).expect("b");
        assert!(
            !store
                .staff_set_active(venue, a.id, false, BY)
                .expect("a off")
                .active
        );
        let err = store
            .staff_set_active(venue, b.id, false, BY)
            .expect_err("last admin");
        assert!(err.to_string().contains("last active admin"), "{err}");
        assert!(
            store
                .staff_set_active(venue, a.id, true, BY)
                .expect("a on")
                .active
        );
        assert_eq!(
            store.staff_active_pin_hashes(venue).expect("hashes").len(),
            2
        );
        let missing = store
            .staff_set_active(venue, new_id(), false, BY)
            .expect_err("unknown");
        assert!(matches!(missing, StoreError::NotFound { .. }), "{missing}");
    }
}
