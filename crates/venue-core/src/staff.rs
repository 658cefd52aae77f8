//! Staff accounts and PIN sign-in for the desktop app.
//!
//! A PIN is 4 to 8 digits, kept only as an Argon2id hash (a PHC string with a random salt), in
//! the local `staff` table, which never syncs. Sign-in is by PIN alone, so a PIN must identify one
//! person: a PIN already used by another active account is refused. Five wrong PINs in a row at
//! this console pause sign-in for a minute; the count is kept in the store, so restarting the app
//! does not reset it. Every change, sign-in and sign-out is audited under the acting person's
//! name, never with a PIN or its hash.

use crate::{Access, ApiError, ApiResult, Console, ErrorCode, Role, SessionInfo};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use uuid::Uuid;
use venue_store::{AuditLine, StaffPinHash, StaffRow, Store};

/// Wrong PINs in a row before sign-in pauses.
pub const MAX_WRONG_PINS: u32 = 5;
/// How long sign-in pauses after too many wrong PINs.
pub const LOCK_OUT_SECONDS: i64 = 60;

/// A staff account as the UI and the CLI see it (never the PIN or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StaffAccount {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl Role {
    fn parse(text: &str) -> ApiResult<Role> {
        match text {
            "staff" => Ok(Role::Staff),
            "manager" => Ok(Role::Manager),
            "admin" => Ok(Role::Admin),
            other => Err(ApiError::bad_input(format!(
                "unknown role {other:?}: use staff, manager or admin"
            ))),
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ApiError;

    fn from_str(text: &str) -> ApiResult<Role> {
        Role::parse(text.trim().to_ascii_lowercase().as_str())
    }
}

impl TryFrom<StaffRow> for StaffAccount {
    type Error = ApiError;

    fn try_from(row: StaffRow) -> ApiResult<StaffAccount> {
        Ok(StaffAccount {
            role: Role::parse(&row.role)
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.message))?,
            id: row.id,
            name: row.name,
            active: row.active,
            created_at: row.created_at,
            last_sign_in_at: row.last_sign_in_at,
        })
    }
}

/// Checks the PIN rule: 4 to 8 ASCII digits.
pub fn validate_pin(pin: &str) -> ApiResult<()> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiError::bad_input(
            "a PIN is 4 to 8 digits (0-9), nothing else",
        ))
    }
}

/// A staff member's name as stored: inner runs of spaces folded, then the shared text rules
/// (no control characters, escapes or bidi overrides, 1 to 80 characters).
fn clean_name(name: &str) -> ApiResult<String> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(venue_domain::text::STAFF_NAME.clean(&name)?)
}

/// The PIN hasher: Argon2id v19 with the crate's default cost (19 MiB, 2 passes, 1 lane), the
/// OWASP minimum for Argon2id. Verification reads the cost from each stored hash, so raising it
/// later keeps old hashes working.
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// Hashes a PIN into a PHC string with a fresh random salt from the OS.
pub(crate) fn hash_pin(pin: &str) -> ApiResult<String> {
    validate_pin(pin)?;
    hasher()
        .hash_password(pin.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("cannot hash the PIN: {e}")))
}

/// Whether `pin` is the one `phc` was made from. An unreadable hash matches nothing.
fn pin_matches(pin: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => hasher().verify_password(pin.as_bytes(), &hash).is_ok(),
        Err(error) => {
            tracing::warn!(%error, "a staff PIN hash cannot be read; it matches no PIN");
            false
        }
    }
}

/// The accounts among `hashes` whose PIN is `pin`.
/// The accounts whose PIN hash `pin` matches. Each check is a slow hash by design, and every
/// account is checked, so the checks are spread over the machine's cores: sign-in waits for the
/// slowest share, not for all of them in a row.
fn holders(pin: &str, hashes: &[StaffPinHash], except: Option<Uuid>) -> Vec<Uuid> {
    let candidates: Vec<&StaffPinHash> = hashes.iter().filter(|h| Some(h.id) != except).collect();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let share = candidates.len().div_ceil(cores).max(1);
    let check = |part: &[&StaffPinHash]| -> Vec<Uuid> {
        part.iter()
            .filter(|h| pin_matches(pin, &h.pin_hash))
            .map(|h| h.id)
            .collect()
    };
    if candidates.len() <= share {
        return check(&candidates);
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = candidates
            .chunks(share)
            .map(|part| scope.spawn(move || check(part)))
            .collect();
        workers
            .into_iter()
            // As in one thread: a panic in the hash library reaches the caller.
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn locked_out(until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let seconds = (until - now).num_seconds().max(1);
    ApiError::new(
        ErrorCode::LockedOut,
        format!(
            "too many wrong PINs: sign-in is paused until {} (in {seconds} s)",
            iso(until)
        ),
    )
}

/// Creates the demo's accounts ("Sam Front Desk" staff 1111, "Morgan Manager" manager 2222,
/// "Alex Admin" admin 3333), audited under `actor`.
pub(crate) fn seed_demo_staff(store: &mut Store, venue_id: Uuid, actor: &str) -> ApiResult<u64> {
    let accounts = [
        ("Sam Front Desk", Role::Staff, "1111"),
        ("Morgan Manager", Role::Manager, "2222"),
        ("Alex Admin", Role::Admin, "3333"),
    ];
    for (name, role, pin) in accounts {
        let row = new_row(venue_id, name, role);
        store.staff_insert(
            &row,
            &hash_pin(pin)?,
            AuditLine {
                actor,
                action: "staff.create",
            },
        )?;
    }
    Ok(accounts.len() as u64)
}

fn new_row(venue_id: Uuid, name: &str, role: Role) -> StaffRow {
    StaffRow {
        id: venue_domain::new_id(),
        venue_id,
        name: name.to_string(),
        role: role.as_str().to_string(),
        active: true,
        created_at: Utc::now(),
        last_sign_in_at: None,
    }
}

impl Console {
    /// Signs a staff member in by PIN alone (the desktop app), replacing whoever was signed in.
    /// A wrong PIN says how many tries are left; the fifth in a row pauses sign-in for a minute
    /// (`locked_out`).
    pub fn sign_in(&mut self, pin: &str) -> ApiResult<SessionInfo> {
        if self.access == Access::Local {
            return Err(ApiError::bad_input(
                "sign-in is for the desktop app; the command line acts as the machine's operator",
            ));
        }
        let venue = self.venue()?;
        // Whoever was signed in is signed out first: a failed attempt leaves nobody signed in.
        self.sign_out()?;
        let now = Utc::now();
        if let Some(until) = self.store.sign_in_guard(venue.id)?.locked_at(now) {
            return Err(locked_out(until, now));
        }
        let hashes = self.store.staff_active_pin_hashes(venue.id)?;
        if hashes.is_empty() {
            let message = if self.store.staff_count(venue.id, false)? == 0 {
                "no staff accounts yet: run `venue staff add --name \"Your Name\" --role admin` on this computer to create the first admin"
            } else {
                "no active staff accounts: run `venue staff add --name \"Your Name\" --role admin` (or `venue staff activate NAME`) on this computer"
            };
            return Err(ApiError::new(ErrorCode::NotFound, message));
        }
        if validate_pin(pin).is_err() {
            // Cannot match any account, so it is not a guess worth counting.
            return Err(ApiError::new(ErrorCode::BadPin, "a PIN is 4 to 8 digits"));
        }
        // Every account is checked (sign-in takes the same time whoever signs in), and a PIN
        // two accounts share (one was reactivated since) signs in neither.
        let matched = holders(pin, &hashes, None);
        let id = match matched.as_slice() {
            [id] => *id,
            [] => return Err(self.wrong_pin(venue.id)?),
            _ => {
                return Err(ApiError::new(
                    ErrorCode::BadPin,
                    "this PIN belongs to more than one account: ask an admin to give one of them a new PIN",
                ))
            }
        };
        let row = self.store.staff_get(venue.id, id)?.ok_or_else(|| {
            ApiError::new(ErrorCode::NotFound, "that staff account was just removed")
        })?;
        let account = StaffAccount::try_from(row)?;
        let session = SessionInfo {
            staff_id: account.id,
            name: account.name.clone(),
            role: account.role,
            signed_in_at: now,
            lock_after_seconds: self.config.console.lock_after_seconds,
        };
        let actor = session.actor();
        self.store.staff_signed_in(
            venue.id,
            account.id,
            now,
            AuditLine {
                actor: &actor,
                action: "staff.sign_in",
            },
        )?;
        self.access = Access::Desktop {
            session: Some(session.clone()),
        };
        Ok(session)
    }

    /// Counts a wrong PIN and says how many tries are left, or that sign-in is now paused.
    fn wrong_pin(&mut self, venue_id: Uuid) -> ApiResult<ApiError> {
        let now = Utc::now();
        let guard = self.store.sign_in_failed(
            venue_id,
            now,
            MAX_WRONG_PINS,
            chrono::Duration::seconds(LOCK_OUT_SECONDS),
        )?;
        if let Some(until) = guard.locked_at(now) {
            let actor = self.actor();
            self.store.audit_action(
                venue_id,
                AuditLine {
                    actor: &actor,
                    action: "staff.sign_in_locked",
                },
                None,
                Some(serde_json::json!({
                    "wrong_pins": MAX_WRONG_PINS,
                    "locked_until": iso(until),
                })),
            )?;
            return Ok(locked_out(until, now));
        }
        let left = MAX_WRONG_PINS.saturating_sub(guard.failed_attempts);
        Ok(ApiError::new(
            ErrorCode::BadPin,
            format!(
                "wrong PIN: {left} {} left before sign-in pauses for {LOCK_OUT_SECONDS} s",
                if left == 1 { "try" } else { "tries" }
            ),
        ))
    }

    /// Ends the desktop session (also the inactivity lock). Audited when someone was signed in.
    pub fn sign_out(&mut self) -> ApiResult<()> {
        let Access::Desktop { session } = &mut self.access else {
            return Ok(());
        };
        let Some(ended) = session.take() else {
            return Ok(());
        };
        if let Some(venue) = self.store.venue()? {
            self.store.audit_action(
                venue.id,
                AuditLine {
                    actor: &ended.actor(),
                    action: "staff.sign_out",
                },
                Some(ended.staff_id),
                None,
            )?;
        }
        Ok(())
    }

    /// The signed-in staff member of the desktop app, if any.
    pub fn session(&self) -> Option<SessionInfo> {
        self.access.session().cloned()
    }

    /// Every account, active or not, by name (manager and above).
    pub fn staff_list(&self) -> ApiResult<Vec<StaffAccount>> {
        self.authorize(Role::Manager)?;
        let venue = self.venue()?;
        self.store
            .staff_list(venue.id)?
            .into_iter()
            .map(StaffAccount::try_from)
            .collect()
    }

    /// An account by its id or its name, any case (manager and above).
    pub fn staff_find(&self, id_or_name: &str) -> ApiResult<StaffAccount> {
        self.authorize(Role::Manager)?;
        self.find_staff(id_or_name)
    }

    fn find_staff(&self, id_or_name: &str) -> ApiResult<StaffAccount> {
        let venue = self.venue()?;
        let row = self
            .store
            .staff_find(venue.id, id_or_name)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotFound,
                    format!("no staff account {id_or_name:?}: `venue staff list` shows them"),
                )
            })?;
        StaffAccount::try_from(row)
    }

    /// Refuses a PIN another active account (other than `except`) already uses, without
    /// saying whose.
    fn ensure_pin_unused(&self, venue_id: Uuid, pin: &str, except: Option<Uuid>) -> ApiResult<()> {
        let hashes = self.store.staff_active_pin_hashes(venue_id)?;
        if holders(pin, &hashes, except).is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_input(
                "that PIN is already used by another account; choose another",
            ))
        }
    }

    /// Adds a staff account (admin only). Names are unique in any case; PINs are unique among
    /// active accounts.
    pub fn staff_create(&mut self, name: &str, role: Role, pin: &str) -> ApiResult<StaffAccount> {
        self.authorize(Role::Admin)?;
        let venue = self.venue()?;
        let name = clean_name(name)?;
        validate_pin(pin)?;
        if self.store.staff_find(venue.id, &name)?.is_some() {
            return Err(ApiError::bad_input(format!(
                "there is already a staff account named {name:?}"
            )));
        }
        self.ensure_pin_unused(venue.id, pin, None)?;
        let row = new_row(venue.id, &name, role);
        let actor = self.actor();
        self.store.staff_insert(
            &row,
            &hash_pin(pin)?,
            AuditLine {
                actor: &actor,
                action: "staff.create",
            },
        )?;
        StaffAccount::try_from(row)
    }

    /// Gives an account a new PIN: an admin for anyone, or a signed-in staff member for
    /// themself. `staff_id` is the account's id (or, for the CLI, its name).
    pub fn staff_set_pin(&mut self, staff_id: &str, pin: &str) -> ApiResult<StaffAccount> {
        let own = self
            .access
            .session()
            .is_some_and(|s| s.staff_id.to_string() == staff_id.trim());
        if !own {
            self.authorize(Role::Admin)?;
        }
        let venue = self.venue()?;
        validate_pin(pin)?;
        let account = self.find_staff(staff_id)?;
        self.ensure_pin_unused(venue.id, pin, Some(account.id))?;
        let actor = self.actor();
        let row = self.store.staff_set_pin_hash(
            venue.id,
            account.id,
            &hash_pin(pin)?,
            AuditLine {
                actor: &actor,
                action: "staff.set_pin",
            },
        )?;
        StaffAccount::try_from(row)
    }

    /// Activates or deactivates an account (admin only). The last active admin cannot be
    /// deactivated. Someone deactivating their own account is signed out.
    pub fn staff_set_active(&mut self, staff_id: &str, active: bool) -> ApiResult<StaffAccount> {
        self.authorize(Role::Admin)?;
        let venue = self.venue()?;
        let account = self.find_staff(staff_id)?;
        let actor = self.actor();
        let row = self.store.staff_set_active(
            venue.id,
            account.id,
            active,
            AuditLine {
                actor: &actor,
                action: if active {
                    "staff.activate"
                } else {
                    "staff.deactivate"
                },
            },
        )?;
        if !active && self.access.session().is_some_and(|s| s.staff_id == row.id) {
            self.sign_out()?;
        }
        StaffAccount::try_from(row)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::InitOptions;

    pub(crate) fn venue_console(dir: &std::path::Path) -> Console {
        let options = InitOptions {
            demo: false,
            ..InitOptions::demo()
        };
        Console::init(dir, &options).expect("init").0
    }

    /// A desktop console over a store with the three demo accounts.
    pub(crate) fn desktop_with_demo_staff(dir: &std::path::Path) -> Console {
        let mut console = venue_console(dir);
        let venue = console.venue().expect("venue");
        seed_demo_staff(&mut console.store, venue.id, "test").expect("seed");
        console.with_access(Access::desktop())
    }

    fn audit_rows(console: &Console) -> Vec<(String, String, Option<String>, Option<String>)> {
        let conn = rusqlite::Connection::open(console.store.path()).expect("open");
        let mut stmt = conn
            .prepare("SELECT actor, action, before, after FROM audit_log ORDER BY at, rowid")
            .expect("prepare");
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    }

    /// An admin deactivates an account at another desk (or with the CLI) while it is signed in
    /// here: its very next command is refused as signed out, and nothing more runs under it.
    #[test]
    fn a_session_ends_when_its_account_is_deactivated_elsewhere() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut desk = desktop_with_demo_staff(dir.path());
        desk.sign_in("2222").expect("manager signs in");
        assert!(desk.staff_list().is_ok());
        let mut elsewhere = Console::open(dir.path()).expect("second console");
        elsewhere
            .staff_set_active("Morgan Manager", false)
            .expect("the operator deactivates the manager");
        let err = desk.staff_list().expect_err("the session is over");
        assert_eq!(err.code, ErrorCode::NotSignedIn);
        assert!(err.message.contains("Morgan Manager"), "{}", err.message);
        assert!(err.message.contains("deactivated"), "{}", err.message);
        let err = desk.today().expect_err("for every command");
        assert_eq!(err.code, ErrorCode::NotSignedIn);
        elsewhere
            .staff_set_active("Morgan Manager", true)
            .expect("reactivated");
        desk.sign_in("2222").expect("signs in again");
        assert!(desk.staff_list().is_ok());
    }

    #[test]
    fn the_demo_has_three_accounts_with_known_pins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = InitOptions {
            demo_sales: false,
            demo_stays: false,
            ..InitOptions::demo()
        };
        let (console, _) = Console::init(dir.path(), &options).expect("demo init");
        let mut console = console.with_access(Access::desktop());
        for (pin, name, role) in [
            ("1111", "Sam Front Desk", Role::Staff),
            ("2222", "Morgan Manager", Role::Manager),
            ("3333", "Alex Admin", Role::Admin),
        ] {
            let session = console.sign_in(pin).expect(name);
            assert_eq!((session.name.as_str(), session.role), (name, role));
        }
    }

    #[test]
    fn pins_are_four_to_eight_digits() {
        for good in ["0000", "1234", "12345678"] {
            assert!(validate_pin(good).is_ok(), "{good}");
        }
        for bad in ["123", "123456789", "12a4", " 1234", "١٢٣٤", "", "12.4"] {
            let err = validate_pin(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::BadInput);
            assert!(err.message.contains("4 to 8 digits"), "{}", err.message);
        }
    }

    #[test]
    fn the_pin_is_stored_only_as_an_argon2id_hash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = venue_console(dir.path());
        console
            .staff_create("Jo Night", Role::Staff, "90817263")
            .expect("create");
        let path = console.store.path().to_path_buf();
        console.store.checkpoint().expect("checkpoint");
        drop(console);
        for entry in std::fs::read_dir(dir.path()).expect("dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            assert!(
                !bytes.windows(8).any(|w| w == b"90817263"),
                "the PIN is in a file in clear"
            );
        }
        let conn = rusqlite::Connection::open(&path).expect("open");
        let hash: String = conn
            .query_row("SELECT pin_hash FROM staff", [], |r| r.get(0))
            .expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("90817263"));
        let parsed = PasswordHash::new(&hash).expect("a PHC string");
        assert!(parsed.salt.is_some_and(|s| s.len() >= 16), "random salt");
        let audit: String = conn
            .query_row(
                "SELECT group_concat(coalesce(before, '') || coalesce(after, ''), ' ') FROM audit_log",
                [],
                |r| r.get(0),
            )
            .expect("audit");
        assert!(
            !audit.contains("90817263") && !audit.contains("argon2"),
            "{audit}"
        );
        let changes: i64 = conn
            .query_row(
                "SELECT count(*) FROM change_log WHERE entity NOT IN ('venue', 'audit')",
                [],
                |r| r.get(0),
            )
            .expect("changes");
        assert_eq!(changes, 0, "staff rows never enter the change log");
    }

    #[test]
    fn sign_in_by_pin_sets_the_session_and_is_audited_with_the_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        let err = console.staff_list().expect_err("not signed in");
        assert_eq!(err.code, ErrorCode::NotSignedIn);
        let session = console.sign_in("2222").expect("sign in");
        assert_eq!(session.name, "Morgan Manager");
        assert_eq!(session.role, Role::Manager);
        assert_eq!(session.lock_after_seconds, 300);
        assert_eq!(console.session(), Some(session.clone()));
        let list = console.staff_list().expect("managers list staff");
        assert_eq!(list.len(), 3);
        let morgan = list
            .iter()
            .find(|a| a.name == "Morgan Manager")
            .expect("listed");
        assert!(morgan.last_sign_in_at.is_some());
        let json = serde_json::to_value(&list).expect("json");
        assert!(!json.to_string().contains("argon2"), "{json}");
        console.sign_out().expect("sign out");
        assert_eq!(console.session(), None);
        console.sign_out().expect("signing out twice is fine");
        let audit = audit_rows(&console);
        let signed: Vec<_> = audit
            .iter()
            .filter(|(_, action, _, _)| action.starts_with("staff.sign"))
            .map(|(actor, action, _, _)| (actor.as_str(), action.as_str()))
            .collect();
        assert_eq!(
            signed,
            [
                ("Morgan Manager (manager)", "staff.sign_in"),
                ("Morgan Manager (manager)", "staff.sign_out")
            ]
        );
    }

    #[test]
    fn the_cli_does_not_sign_in_and_zero_accounts_say_how_to_add_the_first_admin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = venue_console(dir.path());
        let err = console.sign_in("1111").expect_err("CLI");
        assert_eq!(err.code, ErrorCode::BadInput);
        assert!(err.message.contains("desktop app"), "{}", err.message);
        let mut console = console.with_access(Access::desktop());
        let err = console.sign_in("1111").expect_err("no accounts");
        assert_eq!(err.code, ErrorCode::NotFound);
        assert!(
            err.message.contains("no staff accounts yet")
                && err.message.contains("venue staff add")
                && err.message.contains("--role admin"),
            "{}",
            err.message
        );
    }

    #[test]
    fn wrong_pins_count_down_then_lock_out_and_the_lock_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        for left in (1..MAX_WRONG_PINS).rev() {
            let err = console.sign_in("9999").expect_err("wrong PIN");
            assert_eq!(err.code, ErrorCode::BadPin);
            assert!(
                err.message.contains(&format!("{left} tr")),
                "{left}: {}",
                err.message
            );
        }
        let err = console.sign_in("9998").expect_err("fifth wrong PIN");
        assert_eq!(err.code, ErrorCode::LockedOut);
        assert!(err.message.contains("paused until 20"), "{}", err.message);
        drop(console);

        let mut reopened = Console::open(dir.path())
            .expect("reopen")
            .with_access(Access::desktop());
        let err = reopened
            .sign_in("3333")
            .expect_err("locked even with the right PIN");
        assert_eq!(err.code, ErrorCode::LockedOut, "{}", err.message);
        assert!(reopened.session().is_none());

        // The minute passes.
        let venue = reopened.venue().expect("venue");
        let conn = rusqlite::Connection::open(reopened.store.path()).expect("open");
        conn.execute(
            "UPDATE sign_in_guard SET locked_until = ?1 WHERE venue_id = ?2",
            rusqlite::params![
                Utc::now() - chrono::Duration::seconds(1),
                venue.id.to_string()
            ],
        )
        .expect("expire");
        let err = reopened.sign_in("9999").expect_err("wrong again");
        assert!(
            err.message.contains("4 tries"),
            "count starts afresh: {}",
            err.message
        );
        reopened
            .sign_in("3333")
            .expect("right PIN after the lock-out");
        assert_eq!(
            reopened
                .store
                .sign_in_guard(venue.id)
                .expect("guard")
                .failed_attempts,
            0,
            "a sign-in resets the count"
        );
        let audit = audit_rows(&reopened);
        assert!(audit.iter().any(|(_, a, _, _)| a == "staff.sign_in_locked"));
    }

    #[test]
    fn roles_gate_staff_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        console.sign_in("1111").expect("staff");
        let err = console.staff_list().expect_err("staff cannot list");
        assert_eq!(err.code, ErrorCode::Forbidden);
        let err = console
            .staff_create("Kim", Role::Staff, "4444")
            .expect_err("staff cannot create");
        assert_eq!(err.code, ErrorCode::Forbidden);
        console.sign_in("2222").expect("manager");
        let err = console
            .staff_create("Kim", Role::Staff, "4444")
            .expect_err("managers cannot create");
        assert_eq!(err.code, ErrorCode::Forbidden);
        let sam = console.staff_find("sam front desk").expect("find by name");
        let err = console
            .staff_set_active(&sam.id.to_string(), false)
            .expect_err("managers cannot deactivate");
        assert_eq!(err.code, ErrorCode::Forbidden);
        let err = console
            .staff_set_pin(&sam.id.to_string(), "5555")
            .expect_err("managers cannot set others' PINs");
        assert_eq!(err.code, ErrorCode::Forbidden);
        console.sign_in("3333").expect("admin");
        let kim = console
            .staff_create("  Kim   Lee ", Role::Manager, "4444")
            .expect("admin creates");
        assert_eq!(kim.name, "Kim Lee");
        let audit = audit_rows(&console);
        let (actor, _, _, after) = audit
            .iter()
            .find(|(_, a, _, after)| {
                a == "staff.create" && after.as_deref().is_some_and(|j| j.contains("Kim Lee"))
            })
            .expect("audited");
        assert_eq!(actor, "Alex Admin (admin)");
        assert!(!after.as_deref().unwrap_or("").contains("4444"));
    }

    #[test]
    fn names_and_pins_are_unique() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        console.sign_in("3333").expect("admin");
        let err = console
            .staff_create("SAM FRONT DESK", Role::Staff, "4444")
            .expect_err("same name, other case");
        assert_eq!(err.code, ErrorCode::BadInput);
        assert!(err.message.contains("already"), "{}", err.message);
        let err = console
            .staff_create("Kim", Role::Staff, "2222")
            .expect_err("Morgan's PIN");
        assert_eq!(err.code, ErrorCode::BadInput);
        assert_eq!(
            err.message,
            "that PIN is already used by another account; choose another"
        );
        let sam = console.staff_find("Sam Front Desk").expect("sam");
        let err = console
            .staff_set_pin(&sam.id.to_string(), "3333")
            .expect_err("the admin's own PIN");
        assert!(err.message.contains("already used"), "{}", err.message);
        console
            .staff_set_pin(&sam.id.to_string(), "1111")
            .expect("keeping one's own PIN is not a clash");
        console
            .staff_set_pin(&sam.id.to_string(), "7070")
            .expect("a new PIN");
        let err = console.sign_in("1111").expect_err("the old PIN is gone");
        assert_eq!(err.code, ErrorCode::BadPin);
        assert_eq!(
            console.sign_in("7070").expect("new PIN").name,
            "Sam Front Desk"
        );
    }

    #[test]
    fn staff_change_their_own_pin_but_nobody_elses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        let sam = console.sign_in("1111").expect("staff");
        let morgan = {
            let venue = console.venue().expect("venue");
            console
                .store
                .staff_find(venue.id, "Morgan Manager")
                .expect("find")
                .expect("morgan")
        };
        let err = console
            .staff_set_pin(&morgan.id.to_string(), "5656")
            .expect_err("not theirs");
        assert_eq!(err.code, ErrorCode::Forbidden);
        let updated = console
            .staff_set_pin(&sam.staff_id.to_string(), "5656")
            .expect("their own");
        assert_eq!(updated.name, "Sam Front Desk");
        let audit = audit_rows(&console);
        let (actor, _, _, after) = audit
            .iter()
            .find(|(_, a, _, _)| a == "staff.set_pin")
            .expect("audited");
        assert_eq!(actor, "Sam Front Desk (staff)");
        let after = after.as_deref().unwrap_or("");
        assert!(
            after.contains("pin_changed") && !after.contains("5656") && !after.contains("argon2")
        );
    }

    #[test]
    fn the_last_admin_stays_and_inactive_staff_cannot_sign_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        let alex = console.sign_in("3333").expect("admin");
        let err = console
            .staff_set_active(&alex.staff_id.to_string(), false)
            .expect_err("the last admin");
        assert_eq!(err.code, ErrorCode::BadInput);
        assert!(err.message.contains("last active admin"), "{}", err.message);
        let sam = console.staff_find("Sam Front Desk").expect("sam");
        let off = console
            .staff_set_active(&sam.id.to_string(), false)
            .expect("deactivate");
        assert!(!off.active);
        let err = console.sign_in("1111").expect_err("inactive");
        assert_eq!(err.code, ErrorCode::BadPin);
        assert_eq!(
            console.session(),
            None,
            "a failed sign-in leaves nobody signed in"
        );

        // A second admin lets the first one go; deactivating oneself signs one out.
        let mut cli = Console::open(dir.path()).expect("cli");
        cli.staff_create("Robin Admin", Role::Admin, "8080")
            .expect("CLI creates an admin");
        console.sign_in("3333").expect("admin again");
        console
            .staff_set_active(&alex.staff_id.to_string(), false)
            .expect("no longer the last admin");
        assert_eq!(console.session(), None);
        let err = console.sign_in("3333").expect_err("inactive admin");
        assert_eq!(err.code, ErrorCode::BadPin);
        console.sign_in("8080").expect("the other admin");
        let back = console
            .staff_set_active(&sam.id.to_string(), true)
            .expect("reactivate");
        assert!(back.active);
        assert_eq!(
            console.sign_in("1111").expect("active again").name,
            "Sam Front Desk"
        );
        let actions: Vec<String> = audit_rows(&console).into_iter().map(|r| r.1).collect();
        assert!(actions.iter().any(|a| a == "staff.deactivate"));
        assert!(actions.iter().any(|a| a == "staff.activate"));
    }

    #[test]
    fn a_pin_shared_after_a_reactivation_signs_in_nobody() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = desktop_with_demo_staff(dir.path());
        console.sign_in("3333").expect("admin");
        let sam = console.staff_find("Sam Front Desk").expect("sam");
        console
            .staff_set_active(&sam.id.to_string(), false)
            .expect("off");
        console
            .staff_create("Kim", Role::Staff, "1111")
            .expect("Sam's PIN is free while Sam is inactive");
        console
            .staff_set_active(&sam.id.to_string(), true)
            .expect("on");
        let err = console.sign_in("1111").expect_err("ambiguous");
        assert_eq!(err.code, ErrorCode::BadPin);
        assert!(
            err.message.contains("more than one account"),
            "{}",
            err.message
        );
    }
}
