//! Every role check lives in the core API: a staff member signed in at the desktop app tries,
//! through `Console` itself (as a CLI or hub route built on it would), what their role does not
//! allow, and is refused with the `{code, message}` error and nothing written.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

mod support;

use venue_core::{Access, Action, Console, ErrorCode, ExportEntity, ExportFormat, Role};

/// PINs of the three accounts `venue_with_staff` creates.
const FRONT_DESK_PIN: &str = "4711";
const MANAGER_PIN: &str = "5822";
const ADMIN_PIN: &str = "6933";

/// A venue with a front-desk member, a manager and an admin (created by the machine's
/// operator, as `venue staff add` does).
fn venue_with_staff() -> tempfile::TempDir {
    let dir = support::init_venue("GBP", "Europe/London", "");
    let mut operator = Console::open(dir.path()).expect("open");
    for (name, role, pin) in [
        ("Sam Front Desk", Role::Staff, FRONT_DESK_PIN),
        ("Amira Manager", Role::Manager, MANAGER_PIN),
        ("Alex Admin", Role::Admin, ADMIN_PIN),
    ] {
        operator.staff_create(name, role, pin).expect("account");
    }
    dir
}

/// The desktop app's console of `dir`, signed in with `pin`.
fn desk(dir: &tempfile::TempDir, pin: &str) -> Console {
    let mut console = Console::open(dir.path())
        .expect("open")
        .with_access(Access::desktop());
    console.sign_in(pin).expect("sign in");
    console
}

fn locked(dir: &tempfile::TempDir) -> Console {
    Console::open(dir.path())
        .expect("open")
        .with_access(Access::desktop())
}

/// The audited actions of the venue, oldest first.
fn audited_actions(dir: &tempfile::TempDir) -> Vec<String> {
    let mut out = Vec::new();
    Console::open(dir.path())
        .expect("open")
        .export(
            ExportEntity::Audit,
            ExportFormat::Json,
            None,
            None,
            &mut out,
        )
        .expect("export");
    serde_json::from_slice::<Vec<serde_json::Value>>(&out)
        .expect("json")
        .iter()
        .map(|entry| entry["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn only_an_admin_changes_the_venue() {
    let dir = venue_with_staff();
    let before = locked(&dir).venue().expect("venue");
    for (pin, who) in [(FRONT_DESK_PIN, "front desk"), (MANAGER_PIN, "manager")] {
        let mut console = desk(&dir, pin);
        let err = console
            .update_venue(
                Some("Taken Over"),
                Some("Asia/Tokyo"),
                Some("JPY"),
                Some(1),
                None,
            )
            .expect_err(who);
        assert_eq!(err.code, ErrorCode::Forbidden, "{who}: {err}");
        assert!(err.message.contains("admin"), "{who}: {err}");
    }
    let err = locked(&dir)
        .update_venue(Some("Taken Over"), None, None, None, None)
        .expect_err("nobody signed in");
    assert_eq!(err.code, ErrorCode::NotSignedIn, "{err}");
    assert_eq!(locked(&dir).venue().expect("venue"), before, "unchanged");
    let updates = |dir| {
        audited_actions(dir)
            .into_iter()
            .filter(|a| a == "venue.update")
            .count()
    };
    assert_eq!(updates(&dir), 0, "nothing was changed, so nothing audited");

    let changed = desk(&dir, ADMIN_PIN)
        .update_venue(Some("Harbour Hotel"), None, None, Some(200), None)
        .expect("an admin may");
    assert_eq!(
        (changed.name.as_str(), changed.capacity),
        ("Harbour Hotel", 200)
    );
    assert_eq!(updates(&dir), 1);
}

#[test]
fn search_needs_a_signed_in_staff_member() {
    let dir = venue_with_staff();
    let err = locked(&dir)
        .search("smith", 20)
        .expect_err("nobody signed in");
    assert_eq!(err.code, ErrorCode::NotSignedIn, "{err}");
    for pin in [FRONT_DESK_PIN, MANAGER_PIN, ADMIN_PIN] {
        assert!(desk(&dir, pin).search("smith", 20).is_ok());
    }
    // The machine's operator (the CLI) is not gated.
    assert!(Console::open(dir.path())
        .expect("open")
        .search("smith", 20)
        .is_ok());
}

#[test]
fn the_front_desk_may_see_an_update_but_not_install_it() {
    let dir = venue_with_staff();
    let front_desk = desk(&dir, FRONT_DESK_PIN);
    assert!(front_desk.authorize_action(Action::CheckForUpdate).is_ok());
    let err = front_desk
        .authorize_action(Action::InstallUpdate)
        .expect_err("front desk installs");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err}");
    assert!(err.message.contains("manager"), "{err}");

    for pin in [MANAGER_PIN, ADMIN_PIN] {
        let console = desk(&dir, pin);
        assert!(console.authorize_action(Action::CheckForUpdate).is_ok());
        assert!(console.authorize_action(Action::InstallUpdate).is_ok());
    }
    for action in [Action::CheckForUpdate, Action::InstallUpdate] {
        let err = locked(&dir)
            .authorize_action(action)
            .expect_err("nobody signed in");
        assert_eq!(err.code, ErrorCode::NotSignedIn, "{action:?}: {err}");
    }
}

#[test]
fn a_manager_deactivated_since_signing_in_installs_nothing() {
    let dir = venue_with_staff();
    let manager = desk(&dir, MANAGER_PIN);
    let mut admin = desk(&dir, ADMIN_PIN);
    admin
        .staff_set_active("Amira Manager", false)
        .expect("deactivate");
    let err = manager
        .authorize_action(Action::InstallUpdate)
        .expect_err("deactivated");
    assert_eq!(err.code, ErrorCode::NotSignedIn, "{err}");
    assert!(err.message.contains("deactivated"), "{err}");
}
