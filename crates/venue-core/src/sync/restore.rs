//! Restoring a console from its hub (`venue hub restore`): a console whose disk died gets its
//! venue back, meaning everything the sync policy sends up, into a new data dir.
//!
//! The new store enrols with the code under a new node id, takes the hub's venue under the
//! hub's id without a venue change of its own (a fresh `init` + `join` would queue one that
//! overrides the venue's), then pulls every change of the venue with `scope=restore` (fetch
//! runs and audit lines included) in the largest pages, each applied with its cursor in one
//! transaction. A marker in the store says a restore is under way until the last page: run
//! again, it carries on from the saved cursor and never applies a page twice.

use super::client::HubClient;
use super::error::SyncError;
use super::pass::{add, PulledPage};
use super::HUB_TOKEN_SECRET;
use crate::config::{Config, CONFIG_FILE, DEFAULT_CONFIG};
use crate::console::StoreHandle;
use crate::paths::ensure_dir;
use crate::{ApiError, ApiResult, Console, ErrorCode};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;
use uuid::Uuid;
use venue_domain::sync::IncomingChange;
use venue_domain::wire::{EnrollRequest, HubVenue, PullScope, MAX_PAGE};
use venue_domain::Venue;
use venue_http::secrets::{Secret, SecretStore};
use venue_store::{ApplySummary, OpenMode, PullCursor, Store, DB_FILE, HUB_PEER};

/// How far a restore has got, after each page applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreProgress {
    /// Changes pulled and applied by this run so far.
    pub pulled: u64,
    pub pages: u64,
    /// The hub's cursor saved with the last page.
    pub cursor: String,
}

/// What a restore tells its caller as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreEvent {
    /// Enrolled, before anything is pulled. With `token_to_set`, the OS keyring could not keep
    /// the device token: show it now, since a run cut short needs it in `token_env` to carry on.
    Enrolled {
        token_env: String,
        token_to_set: Option<String>,
    },
    /// A page was applied.
    Page(RestoreProgress),
}

/// Something of the lost console the hub never held, and how to set it up again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotRestored {
    pub what: &'static str,
    pub set_up_again: &'static str,
}

/// Pending room charges taken on another console (by its node id): that console posts them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingElsewhere {
    pub node: String,
    pub charges: u64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoreReport {
    pub hub_url: String,
    pub venue_id: Uuid,
    pub venue_name: String,
    pub data_dir: String,
    /// This console's new node id (the lost console's id is not reused).
    pub node: Uuid,
    /// A restore cut short earlier was carried on (the code was not needed again).
    pub resumed: bool,
    /// Where the device token went, as `hub join` says it.
    pub token_stored_in: String,
    pub token_env: String,
    pub token_to_set: Option<String>,
    /// Changes pulled and applied by this run, by kind, and their outcomes.
    pub pulled: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub outcomes: ApplySummary,
    pub pages: u64,
    /// Where the next `venue sync` pull starts.
    pub cursor: String,
    pub seconds: f64,
    pub clock_skew_ms: Option<i64>,
    pub not_restored: Vec<NotRestored>,
    /// Pending charges taken on other consoles, the lost one among them: never posted from here.
    pub pending_charges_elsewhere: Vec<PendingElsewhere>,
}

/// What only the lost console held (see `venue_domain::sync::CONSOLE_ONLY`), in the operator's
/// terms.
pub const NOT_RESTORED: &[NotRestored] = &[
    NotRestored {
        what: "staff accounts and PINs (console-only)",
        set_up_again: "`venue staff add --name NAME --role admin` creates the first admin, as after `venue init`; then add the others",
    },
    NotRestored {
        what: "venue.toml: connectors, PMS, door counters, console settings (a default file was written)",
        set_up_again: "put the lost console's settings back into venue.toml",
    },
    NotRestored {
        what: "secrets: vendor credentials for the POS, the PMS and the door counters (OS keyring)",
        set_up_again: "`venue secret set NAME` (or VENUE_SECRET_<NAME>) for each",
    },
    NotRestored {
        what: "notification preferences and what was already shown",
        set_up_again: "each person sets theirs again in the app",
    },
    NotRestored {
        what: "alert rules made in Settings",
        set_up_again: "make them again in Settings > Alert rules",
    },
    NotRestored {
        what: "connector and door-counter state (breakers, schedules, last counts)",
        set_up_again: "rebuilt by the first `venue fetch` / `venue run`",
    },
    NotRestored {
        what: "changes the lost console made after its last sync",
        set_up_again: "they never reached the hub: enter them again if they matter",
    },
];

/// What the data dir holds before a restore.
enum Target {
    /// Nothing: a new restore.
    Empty,
    /// A restore from this hub that was cut short.
    Restoring { store: Box<Store>, url: String },
}

impl Console {
    /// Restores the venue of the one-time `code` from the hub at `url` into `data_dir`, which
    /// must be new or empty, or hold a restore cut short (then carried on). `progress` hears of
    /// each page applied. The device token goes where `hub join` puts it (`secrets`, else the
    /// environment variable the report names).
    pub fn hub_restore(
        data_dir: &Path,
        url: &str,
        code: &str,
        secrets: Option<Box<dyn SecretStore>>,
        progress: &mut dyn FnMut(&RestoreEvent),
    ) -> ApiResult<(Console, RestoreReport)> {
        let started = Instant::now();
        let code = code.trim();
        if code.is_empty() {
            return Err(SyncError::BadInput("no enrolment code given".into()).into());
        }
        let client = HubClient::new(url, None)?;
        let hub_url = client.base_url().trim_end_matches('/').to_string();
        let runtime = crate::supervisor::runtime::shared()?;

        let (mut console, resumed, kept) = match inspect(data_dir)? {
            Target::Restoring { store, url } => {
                if url != hub_url {
                    return Err(ApiError::bad_input(format!(
                        "{} holds a restore from the hub at {url} that was cut short: run it again with that hub, or restore into another --data-dir",
                        data_dir.display()
                    )));
                }
                let mut console = Console::with_store(data_dir, Config::load(data_dir)?, *store);
                console.secrets = secrets;
                (console, true, None)
            }
            Target::Empty => {
                let created_dir = !data_dir.exists();
                let mut console = create_store(data_dir)?;
                console.secrets = secrets;
                let request = EnrollRequest {
                    code: code.to_string(),
                    node: console.store.node_id(),
                };
                let enrolled = match runtime.block_on(client.enroll(&request)) {
                    Ok(answer) => answer.body,
                    Err(e) => {
                        // Nothing was restored: leave the data dir as it was found.
                        drop(console);
                        remove_new_store(data_dir, created_dir);
                        return Err(e.into());
                    }
                };
                // The code is spent: from here on, running again carries on.
                let venue = venue_from_hub(enrolled.venue_id, &enrolled.venue)?;
                let kept = console.keep_hub_token(&enrolled.token);
                progress(&RestoreEvent::Enrolled {
                    token_env: kept.token_env.clone(),
                    token_to_set: kept.token_to_set.clone(),
                });
                console.store.begin_restore(&hub_url, &venue)?;
                (console, false, Some((kept, enrolled.token)))
            }
        };

        let token = match &kept {
            Some((_, token)) => Secret::new(token.clone()),
            None => super::resolve_token(console.secrets.as_deref()).map_err(|e| match e {
                SyncError::NoToken(why) => SyncError::NoToken(format!(
                    "{why}; a restore carried on needs the token of its first run (set it as that run printed it), or start afresh in another --data-dir with a new code"
                )),
                other => other,
            })?,
        };
        let client = HubClient::new(&hub_url, Some(token))?;
        let store = console.side.clone();
        let pulled = runtime.block_on(pull_everything(&store, &client, progress))?;

        console.store.finish_restore()?;
        console.store.record_sync_success(pulled.clock_skew_ms)?;
        console.audit_hub("hub.restore", &hub_url)?;
        let venue = console.venue()?;
        let pending = console
            .store
            .pending_charges_elsewhere()?
            .into_iter()
            .map(|(node, charges)| PendingElsewhere { node, charges })
            .collect();
        let (token_stored_in, token_env, token_to_set) = match kept {
            Some((kept, _)) => (kept.stored_in, kept.token_env, kept.token_to_set),
            None => (
                "unchanged".to_string(),
                venue_http::secrets::env_var_name(HUB_TOKEN_SECRET),
                None,
            ),
        };
        let report = RestoreReport {
            hub_url,
            venue_id: venue.id,
            venue_name: venue.name,
            data_dir: data_dir.display().to_string(),
            node: console.store.node_id().0,
            resumed,
            token_stored_in,
            token_env,
            token_to_set,
            pulled: pulled.pulled,
            by_kind: pulled.by_kind,
            outcomes: pulled.outcomes,
            pages: pulled.pages,
            cursor: pulled.cursor,
            seconds: started.elapsed().as_secs_f64(),
            clock_skew_ms: pulled.clock_skew_ms,
            not_restored: NOT_RESTORED.to_vec(),
            pending_charges_elsewhere: pending,
        };
        Ok((console, report))
    }
}

/// A new data dir, an empty one, or one with a restore cut short; anything else is refused.
fn inspect(data_dir: &Path) -> ApiResult<Target> {
    let not_empty = |what: String| {
        ApiError::new(
            ErrorCode::AlreadyInitialized,
            format!(
                "{} is not empty ({what}): a restore goes into a new, empty --data-dir, so nothing there is overwritten",
                data_dir.display()
            ),
        )
    };
    let entries = match std::fs::read_dir(data_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Target::Empty),
        Err(e) => {
            return Err(ApiError::new(
                ErrorCode::Io,
                format!("cannot read {}: {e}", data_dir.display()),
            ))
        }
    };
    let names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(Target::Empty);
    }
    if !names.iter().any(|n| n == DB_FILE) {
        return Err(not_empty(format!("it holds {}", names.join(", "))));
    }
    let store = Store::open_with(&data_dir.join(DB_FILE), OpenMode::Existing)?;
    match store.restoring_from()? {
        Some(url) => Ok(Target::Restoring {
            store: Box::new(store),
            url,
        }),
        None => {
            let holds = match store.venue()? {
                Some(venue) => format!("it holds the venue {:?}", venue.name),
                None => format!("it holds a store, {DB_FILE}"),
            };
            Err(not_empty(holds))
        }
    }
}

/// The store and a default `venue.toml`, as `venue init` writes them, without a venue yet.
fn create_store(data_dir: &Path) -> ApiResult<Console> {
    ensure_dir(data_dir)?;
    let config_path = data_dir.join(CONFIG_FILE);
    std::fs::write(&config_path, DEFAULT_CONFIG).map_err(|e| {
        ApiError::new(
            ErrorCode::Io,
            format!("cannot write {}: {e}", config_path.display()),
        )
    })?;
    let store = Store::open_with(&data_dir.join(DB_FILE), OpenMode::Create)?;
    Ok(Console::with_store(
        data_dir,
        Config::load(data_dir)?,
        store,
    ))
}

/// Takes back what [`create_store`] made when the enrolment failed.
fn remove_new_store(data_dir: &Path, created_dir: bool) {
    for name in [
        DB_FILE.to_string(),
        format!("{DB_FILE}-wal"),
        format!("{DB_FILE}-shm"),
        CONFIG_FILE.to_string(),
    ] {
        let path = data_dir.join(name);
        if let Err(e) = std::fs::remove_file(&path) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %path.display(), error = %e, "left behind after a failed restore");
            }
        }
    }
    if created_dir {
        if let Err(e) = std::fs::remove_dir(data_dir) {
            tracing::warn!(path = %data_dir.display(), error = %e, "left behind after a failed restore");
        }
    }
}

/// The capacity taken when the hub knows none, until the venue's own change (pulled next)
/// brings the one its consoles set.
const PLACEHOLDER_CAPACITY: u32 = 100;

/// The venue as the hub knows it, under the hub's id.
fn venue_from_hub(id: Uuid, hub: &HubVenue) -> ApiResult<Venue> {
    let capacity = hub
        .capacity
        .filter(|c| *c > 0)
        .unwrap_or(PLACEHOLDER_CAPACITY);
    let mut venue = Venue::new(&hub.name, &hub.timezone, &hub.currency, capacity).map_err(|e| {
        SyncError::BadResponse {
            what: "enrolment".into(),
            detail: format!("the hub's venue cannot be used here: {e}"),
        }
    })?;
    venue.id = id;
    Ok(venue)
}

/// What the pull loop did.
struct Pulled {
    pulled: u64,
    pages: u64,
    by_kind: BTreeMap<String, u64>,
    outcomes: ApplySummary,
    cursor: String,
    clock_skew_ms: Option<i64>,
}

/// Pulls every page after the saved cursor with `scope=restore`, each applied with its cursor
/// in one transaction. The next page is fetched while one is applied; a page fetched but not
/// applied is simply pulled again by the next run.
async fn pull_everything(
    store: &StoreHandle,
    hub: &HubClient,
    progress: &mut dyn FnMut(&RestoreEvent),
) -> Result<Pulled, SyncError> {
    let (schema, mut after) =
        store.with(|s| Ok::<_, SyncError>((s.schema_version()?, s.pull_cursor(HUB_PEER)?)))?;
    let mut done = Pulled {
        pulled: 0,
        pages: 0,
        by_kind: BTreeMap::new(),
        outcomes: ApplySummary::default(),
        cursor: after.clone().unwrap_or_default(),
        clock_skew_ms: None,
    };
    let fetch = |after: Option<String>| {
        let hub = hub.clone();
        tokio::spawn(async move {
            hub.pull_scoped(after.as_deref(), MAX_PAGE, PullScope::Restore)
                .await
        })
    };
    let mut next = Some(fetch(after.clone()));
    loop {
        let Some(request) = next.take() else {
            return Ok(done);
        };
        let answer = request.await.map_err(|e| SyncError::BadResponse {
            what: "pull".into(),
            detail: format!("the request stopped: {e}"),
        })??;
        done.clock_skew_ms = Some(answer.clock_skew_ms);
        let page = PulledPage::read(after.as_deref(), answer.body, schema)?;
        if page.more {
            next = Some(fetch(Some(page.cursor.clone())));
        }
        if page.worth_applying() {
            let outcomes = store.with(|s| {
                s.apply_restored(
                    &page.changes,
                    PullCursor {
                        peer: HUB_PEER,
                        cursor: &page.cursor,
                    },
                )
            })?;
            add(&mut done.outcomes, ApplySummary::count(&outcomes));
        }
        for change in &page.changes {
            let kind = match change {
                IncomingChange::Known(c) => c.entity.as_str().to_string(),
                IncomingChange::Unknown { entity, .. } => {
                    entity.clone().unwrap_or_else(|| "unreadable".into())
                }
            };
            *done.by_kind.entry(kind).or_default() += 1;
        }
        done.pulled += page.changes.len() as u64;
        done.pages += 1;
        done.cursor = page.cursor.clone();
        after = Some(page.cursor);
        progress(&RestoreEvent::Page(RestoreProgress {
            pulled: done.pulled,
            pages: done.pages,
            cursor: done.cursor.clone(),
        }));
    }
}
