//! The console: an open data dir (its config and its store) and who acts through it. Every
//! capability works through it; it knows none of them.

mod store_handle;

pub(crate) use store_handle::StoreHandle;

use crate::config::Config;
use crate::{ApiError, ApiResult, ErrorCode};
use chrono::Utc;
use serde::Serialize;
use std::path::{Path, PathBuf};
use venue_domain::{DailySales, Snapshot, Venue};
use venue_http::secrets::SecretStore;
use venue_store::{
    ChangeLogStats, ClockReport, ConnectorState, Counts, FutureStamps, SearchHit, Store, DB_FILE,
};

/// Vendor logins (Toast's bearer tokens) reused across one console's fetches, by connector.
pub(crate) type VendorSessions =
    std::cell::RefCell<std::collections::HashMap<String, venue_pos::toast::client::ToastSession>>;

/// How far ahead of this machine's clock a stored time may be before it counts as from the
/// future (clocks of two machines differ a little; a run never takes this long to start).
pub(crate) fn clock_tolerance() -> chrono::Duration {
    chrono::Duration::minutes(5)
}

/// An open data dir: its config and its store.
pub struct Console {
    pub(crate) store: Store,
    pub(crate) config: Config,
    data_dir: PathBuf,
    /// Where connector secrets are looked up after the environment (the OS keyring in the app).
    pub(crate) secrets: Option<Box<dyn SecretStore>>,
    /// Vendor logins reused across fetches (never written anywhere).
    pub(crate) sessions: VendorSessions,
    /// Who acts through this console: the CLI's operator or the app's signed-in staff member.
    pub(crate) access: crate::Access,
    /// A connection of its own for work sent off the console's lock (charges taken on the
    /// screens are posted on it).
    pub(crate) side: StoreHandle,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoreInfo {
    pub path: String,
    pub schema_version: u32,
    pub latest_schema_version: u32,
    pub journal_mode: String,
    pub size_bytes: u64,
    pub node_id: String,
    /// Why the store is damaged, when its integrity check failed (it then refuses every write;
    /// the rest of the report is what could still be read).
    pub damage: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusReport {
    pub venue: Option<Venue>,
    pub store: StoreInfo,
    pub counts: Counts,
    pub change_log: ChangeLogStats,
    pub last_snapshot: Option<Snapshot>,
    /// Each connector's breaker state and request metrics, as last persisted.
    pub connectors: Vec<ConnectorState>,
    /// Today's sales (venue-local day) in the venue's currency; zeros before the first sale.
    pub today: Option<DailySales>,
    /// Snapshots and change-log rows stamped ahead of this machine's clock (a run with the
    /// clock set ahead leaves them; fetches resume from the last mark not in the future).
    pub future_stamps: FutureStamps,
    /// A jump of the wall clock this process refused to stamp with, and the last repair of
    /// stamps an earlier run left in the future.
    pub clock: ClockReport,
}

impl Console {
    pub(crate) fn with_store(data_dir: &Path, config: Config, store: Store) -> Console {
        Console {
            store,
            config,
            data_dir: data_dir.to_path_buf(),
            secrets: None,
            sessions: Default::default(),
            access: crate::Access::Local,
            side: StoreHandle::new(data_dir.join(DB_FILE)),
        }
    }
    /// Looks secrets up in `store` when the environment does not have them.
    pub fn with_secret_store(mut self, store: Box<dyn SecretStore>) -> Self {
        self.secrets = Some(store);
        self
    }

    /// Tells `listener` which kinds of rows each of this console's writes touched (the app turns
    /// that into UI events).
    pub fn set_change_listener(&mut self, listener: venue_store::ChangeListener) {
        self.side.set_change_listener(listener.clone());
        self.store.set_change_listener(listener);
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// How long the store waits for another process's write lock before an operation fails
    /// as busy (5 s by default). Tests shorten it to provoke a busy store.
    pub fn set_store_busy_timeout(&mut self, timeout: std::time::Duration) -> ApiResult<()> {
        self.side.set_busy_timeout(timeout)?;
        Ok(self.store.set_busy_timeout(timeout)?)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Gates the console behind staff sign-in (the desktop app).
    pub fn with_access(mut self, access: crate::Access) -> Self {
        self.access = access;
        self
    }

    pub fn access(&self) -> &crate::Access {
        &self.access
    }

    /// Passes when whoever acts through this console may take `action` (see
    /// [`crate::Action::min_role`]); the shell calls it before an action it carries out itself.
    pub fn authorize_action(&self, action: crate::Action) -> ApiResult<()> {
        self.authorize(action.min_role())
    }

    /// Passes when whoever acts through this console holds at least `min`. Each public method
    /// checks its own role, so no caller (the app, the CLI, a hub route) can skip the check.
    pub(crate) fn authorize(&self, min: crate::Role) -> ApiResult<()> {
        self.access.authorize(min)?;
        // The account may have been deactivated since sign-in (by an admin at another desk, or
        // with `venue staff deactivate`): the session ends with its next command.
        if let Some(session) = self.access.session() {
            match self.store.staff_is_active(session.staff_id)? {
                Some(true) => {}
                Some(false) => {
                    return Err(ApiError::new(
                        ErrorCode::NotSignedIn,
                        format!(
                            "{}'s account was deactivated since signing in; ask an admin",
                            session.name
                        ),
                    ))
                }
                None => {
                    return Err(ApiError::new(
                        ErrorCode::NotSignedIn,
                        format!("{}'s account no longer exists", session.name),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The name audited actions are recorded under: the signed-in staff member, else the
    /// configured operator.
    pub(crate) fn actor(&self) -> String {
        match self.access.session() {
            Some(session) => session.actor(),
            None => self.config.console.actor.clone(),
        }
    }

    /// The venue, or a clear "run venue init" error.
    pub fn venue(&self) -> ApiResult<Venue> {
        self.store.venue()?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotInitialized,
                format!(
                    "no venue is set up in {}; run `venue init` (or `venue init --demo`)",
                    self.data_dir.display()
                ),
            )
        })
    }

    /// The venue, or None before `venue init`: all the sign-in screen needs, without the row
    /// counts `status` reads (those scan the biggest tables, and the window waits for this).
    pub fn venue_info(&self) -> ApiResult<Option<Venue>> {
        Ok(self.store.venue()?)
    }

    pub fn status(&self) -> ApiResult<StatusReport> {
        let damage = self.store.damage()?.map(str::to_string);
        // A damaged store reports what can still be read, the rest left at its empty value.
        let salvage = |e: venue_store::StoreError| -> ApiResult<()> {
            if damage.is_some() {
                tracing::warn!(error = %e, "part of the status could not be read");
                Ok(())
            } else {
                Err(e.into())
            }
        };
        let venue = self.store.venue().or_else(|e| salvage(e).map(|()| None))?;
        let connectors = match &venue {
            Some(v) => self
                .store
                .connector_states(v.id)
                .or_else(|e| salvage(e).map(|()| Vec::new()))?,
            None => Vec::new(),
        };
        let (last_snapshot, today) = match &venue {
            Some(v) => {
                let date = v.local_date(Utc::now());
                let sales = self
                    .store
                    .daily_sales(v.id, date)
                    .or_else(|e| salvage(e).map(|()| Vec::new()))?;
                let today = sales
                    .into_iter()
                    .find(|s| s.currency == v.currency)
                    .unwrap_or_else(|| DailySales::empty(v.id, date, v.currency));
                let last = self
                    .store
                    .last_snapshot(v.id)
                    .or_else(|e| salvage(e).map(|()| None))?;
                (last, Some(today))
            }
            None => (None, None),
        };
        Ok(StatusReport {
            store: StoreInfo {
                path: self.store.path().display().to_string(),
                schema_version: self
                    .store
                    .schema_version()
                    .or_else(|e| salvage(e).map(|()| 0))?,
                latest_schema_version: venue_store::latest_version(),
                journal_mode: self
                    .store
                    .journal_mode()
                    .or_else(|e| salvage(e).map(|()| String::new()))?,
                size_bytes: self.store.size_bytes(),
                node_id: self.store.node_id().to_string(),
                damage: damage.clone(),
            },
            counts: self
                .store
                .counts()
                .or_else(|e| salvage(e).map(|()| Counts::default()))?,
            change_log: self
                .store
                .change_log_stats()
                .or_else(|e| salvage(e).map(|()| ChangeLogStats::default()))?,
            future_stamps: self
                .store
                .future_stamps(Utc::now(), clock_tolerance())
                .or_else(|e| salvage(e).map(|()| FutureStamps::default()))?,
            clock: self
                .store
                .clock_report()
                .or_else(|e| salvage(e).map(|()| ClockReport::default()))?,
            venue,
            last_snapshot,
            connectors,
            today,
        })
    }

    /// Instant search over guests and reservations.
    pub fn search(&self, query: &str, limit: u32) -> ApiResult<Vec<SearchHit>> {
        self.authorize(crate::Role::Staff)?;
        let venue = self.venue()?;
        Ok(self.store.search(venue.id, query, limit.clamp(1, 200))?)
    }

    /// Changes a venue's settings, audited; admins only.
    /// Changes the venue's settings; fields left None keep their value. Admin only: the
    /// timezone moves every business date, and sharing decides what personal data leaves
    /// this console (guests' email and phone go to the hub and the venue's other consoles only
    /// while `share_guest_contacts` is on).
    pub fn update_venue(
        &mut self,
        name: Option<&str>,
        timezone: Option<&str>,
        currency: Option<&str>,
        capacity: Option<u32>,
        share_guest_contacts: Option<bool>,
    ) -> ApiResult<Venue> {
        self.authorize(crate::Role::Admin)?;
        let current = self.venue()?;
        // Venue::new checks each field and names the one that is wrong.
        let checked = Venue::new(
            name.unwrap_or(&current.name),
            timezone.unwrap_or(current.timezone.name()),
            currency.unwrap_or(current.currency.code()),
            capacity.unwrap_or(current.capacity),
        )?;
        let updated = Venue {
            id: current.id,
            share_guest_contacts: share_guest_contacts.unwrap_or(current.share_guest_contacts),
            ..checked
        };
        let actor = self.actor().to_string();
        self.store.save_by_user(&actor, "venue.update", &updated)?;
        Ok(updated)
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CONFIG_FILE;
    use crate::InitOptions;

    /// Only init creates a store: a data dir never set up is "run venue init" with nothing
    /// created, and a configured venue's missing or empty store is named, never re-created.
    #[test]
    fn only_init_creates_a_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = dir.path().join("new");
        for open in [Console::open, Console::open_for_reading] {
            let err = open(&fresh).map(|_| ()).expect_err("nothing set up");
            assert_eq!(err.code, ErrorCode::NotInitialized);
            assert!(!fresh.exists(), "nothing created");
        }
        assert!(Console::peek_venue(&fresh).is_none());
        assert!(!fresh.exists());

        let options = InitOptions {
            demo: false,
            ..InitOptions::demo()
        };
        drop(Console::init(&fresh, &options).expect("init"));
        let status = Console::open(&fresh)
            .expect("open")
            .status()
            .expect("status");
        assert!(status.store.damage.is_none());
        assert_eq!(
            status.store.schema_version,
            status.store.latest_schema_version
        );
        assert_eq!(
            Console::peek_venue(&fresh).map(|v| v.name),
            Some(InitOptions::DEMO_NAME.to_string())
        );

        let db = fresh.join(DB_FILE);
        std::fs::write(&db, b"").expect("empty the store");
        for open in [Console::open, Console::open_for_reading] {
            let err = open(&fresh).map(|_| ()).expect_err("empty");
            assert_eq!(err.code, ErrorCode::StoreMissing);
            assert!(
                err.message.contains("empty") && err.message.contains(CONFIG_FILE),
                "{err}"
            );
            assert_eq!(std::fs::metadata(&db).expect("meta").len(), 0);
        }
        std::fs::remove_file(&db).expect("remove");
        let err = Console::open(&fresh).map(|_| ()).expect_err("missing");
        assert_eq!(err.code, ErrorCode::StoreMissing);
        assert!(err.message.contains("missing"), "{err}");
        assert!(!db.exists());
        drop(Console::init(&fresh, &options).expect("init starts afresh, as asked"));
        assert!(Console::open(&fresh).is_ok());
    }

    #[test]
    fn venue_settings_changes_are_validated_and_audited() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = InitOptions {
            demo: false,
            ..InitOptions::demo()
        };
        let (mut console, _) = Console::init(dir.path(), &options).expect("init");
        let err = console
            .update_venue(None, Some("Nowhere/Town"), None, None, None)
            .expect_err("bad timezone");
        assert_eq!(err.code, ErrorCode::BadInput);
        let updated = console
            .update_venue(None, None, None, Some(220), None)
            .expect("update");
        assert_eq!(updated.capacity, 220);
        assert_eq!(console.venue().expect("venue").capacity, 220);
        let status = console.status().expect("status");
        assert_eq!(status.counts.audit_entries, 2, "create and update audited");
        assert_eq!(status.today.map(|t| t.transactions), Some(0));
    }

    /// Guests' email and phone leave the console only while the venue shares them, and
    /// changing another setting never turns sharing off behind the admin's back.
    #[test]
    fn guest_contacts_travel_only_while_the_venue_shares_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut console, _) = Console::init(dir.path(), &InitOptions::demo()).expect("init");
        let outgoing_emails = |console: &Console| {
            let mut emails = Vec::new();
            let mut after = 0;
            loop {
                let page = console.store.outbox(after, 500).expect("outbox");
                emails.extend(
                    page.changes
                        .iter()
                        .filter(|c| c.change.entity == venue_domain::EntityKind::Customer)
                        .filter_map(|c| c.change.payload["email"].as_str().map(str::to_string)),
                );
                if page.next_after == after {
                    return emails;
                }
                after = page.next_after;
            }
        };
        assert!(
            !console.venue().expect("venue").share_guest_contacts,
            "off by default"
        );
        assert_eq!(outgoing_emails(&console), Vec::<String>::new(), "withheld");

        let shared = console
            .update_venue(None, None, None, None, Some(true))
            .expect("turn sharing on");
        assert!(shared.share_guest_contacts);
        let emails = outgoing_emails(&console);
        assert!(!emails.is_empty(), "the demo's guests' emails now travel");

        let renamed = console
            .update_venue(Some("Harbour House"), None, None, None, None)
            .expect("rename");
        assert!(
            renamed.share_guest_contacts,
            "a rename keeps sharing as it was"
        );
        assert_eq!(outgoing_emails(&console).len(), emails.len());

        console
            .update_venue(None, None, None, None, Some(false))
            .expect("turn sharing off");
        assert_eq!(
            outgoing_emails(&console),
            Vec::<String>::new(),
            "withheld again"
        );
    }
}
