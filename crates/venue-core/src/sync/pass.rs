//! One push-and-pull pass with the hub. Push: the outbox page by page, each change answered by
//! the hub (a refused one parked here with the hub's reason), the page acknowledged once every
//! change of it is answered. Pull: the pages after the saved cursor, each applied in one
//! transaction with its cursor. A pass cut anywhere resumes where it stopped: nothing is sent
//! twice under another id, and nothing is applied twice.
//!
//! Every answer carries the hub's clock: the store stamps on the hub's time from then on (a
//! console whose clock is minutes off neither has its changes refused as from the future nor
//! loses by last-writer-wins to older edits). Changes the hub refused as stamped ahead of its
//! clock (written before the clock was aligned) are stamped again and sent as new changes, once
//! a pass; refused again, or refused for another reason, they are parked.
//!
//! The store is reached only inside `StoreHandle::with` closures, never across an await.

use super::client::HubClient;
use super::error::SyncError;
use crate::console::StoreHandle;
use serde::Serialize;
use venue_domain::sync::{ChangeOutcome, IncomingChange, SyncBatch, PROTOCOL_VERSION};
use venue_domain::wire::{PullResponse, PushRequest, MAX_PAGE};
use venue_store::{ApplySummary, PullCursor, HUB_PEER};

/// What one pass did. Every change moved is counted once by its outcome where it landed: at
/// the hub for a pushed change (`at_hub`), here for a pulled one (`here`); `applied`,
/// `duplicates`, `conflicts` and `rejected` are the two added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncReport {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pushed: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pulled: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub applied: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duplicates: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conflicts: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rejected: u64,
    /// The same, split by where each change landed (the CLI prints them; the window adds up).
    #[cfg_attr(feature = "ts", ts(skip))]
    pub at_hub: ApplySummary,
    #[cfg_attr(feature = "ts", ts(skip))]
    pub here: ApplySummary,
    /// Where the next pull starts (None before the first page).
    pub cursor: Option<String>,
    /// This console's clock minus the hub's, from the pass's last answer.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub clock_skew_ms: Option<i64>,
}

pub(super) fn add(total: &mut ApplySummary, more: ApplySummary) {
    total.applied += more.applied;
    total.duplicates += more.duplicates;
    total.conflicts += more.conflicts;
    total.rejected += more.rejected;
}

/// Pushes every change waiting, then pulls every change the hub has for this console.
pub(crate) async fn sync_pass(
    store: &StoreHandle,
    hub: &HubClient,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    push(store, hub, &mut report).await?;
    pull(store, hub, &mut report).await?;
    let (a, b) = (report.at_hub, report.here);
    report.applied = a.applied + b.applied;
    report.duplicates = a.duplicates + b.duplicates;
    report.conflicts = a.conflicts + b.conflicts;
    report.rejected = a.rejected + b.rejected;
    Ok(report)
}

async fn push(
    store: &StoreHandle,
    hub: &HubClient,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let (node, schema) = store.with(|s| Ok::<_, SyncError>((s.node_id(), s.schema_version()?)))?;
    let mut restamped = false;
    loop {
        let (acked, page) = store.with(|s| {
            let acked = s.acknowledged(HUB_PEER)?;
            Ok::<_, SyncError>((acked, s.outbox(acked, MAX_PAGE)?))
        })?;
        if page.changes.is_empty() {
            // Every change looked at was superseded: nothing to send for them.
            if page.next_after > acked {
                store.with(|s| s.acknowledge(HUB_PEER, page.next_after))?;
            }
            return Ok(());
        }
        let changes = page
            .changes
            .iter()
            .map(|c| serde_json::to_value(&c.change))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                SyncError::Local(crate::ApiError::new(
                    crate::ErrorCode::Internal,
                    e.to_string(),
                ))
            })?;
        let request = PushRequest {
            protocol: PROTOCOL_VERSION,
            schema,
            node,
            changes,
        };
        let answer = hub.push(&request).await?;
        report.clock_skew_ms = Some(answer.clock_skew_ms);
        store.with(|s| s.align_clock_to_hub(answer.clock_skew_ms))?;
        let hub_time_ms = answer.body.hub_time_ms;
        let outcomes = answer.body.outcomes;
        let answered = |id| outcomes.iter().find(|o| o.change_id == id);
        if let Some(missing) = page
            .changes
            .iter()
            .find(|c| answered(c.change.change_id).is_none())
        {
            return Err(SyncError::BadResponse {
                what: "push".into(),
                detail: format!(
                    "{} outcomes for {} changes, none for change {}",
                    outcomes.len(),
                    page.changes.len(),
                    missing.change.change_id
                ),
            });
        }
        let refused: Vec<_> = page
            .changes
            .iter()
            .filter_map(|c| match answered(c.change.change_id).map(|o| &o.outcome) {
                Some(ChangeOutcome::Rejected { reason }) => Some((&c.change, reason.as_str())),
                _ => None,
            })
            .collect();
        // Stamped ahead of the hub's clock: stamped again (once a pass), not parked.
        let oldest_ahead = (!restamped)
            .then(|| {
                refused
                    .iter()
                    .filter(|(change, _)| stamped_ahead(change, hub_time_ms))
                    .map(|(change, _)| change.hlc)
                    .min()
            })
            .flatten();
        // The refused are parked or stamped again first: an acknowledged page is never sent again.
        store.with(|s| {
            for (change, reason) in &refused {
                if oldest_ahead.is_none() || !stamped_ahead(change, hub_time_ms) {
                    s.park_outgoing(change, reason)?;
                }
            }
            if let Some(oldest) = oldest_ahead {
                let again = s.restamp_refused_ahead(oldest)?;
                tracing::warn!(
                    again,
                    "changes the hub refused as stamped ahead of its clock were stamped again on its time"
                );
            }
            s.acknowledge(HUB_PEER, page.next_after)
        })?;
        restamped |= oldest_ahead.is_some();
        // A change stamped again goes up under its new id: counted when that one is answered.
        let sent_again = |c: &venue_domain::ChangeRecord| {
            oldest_ahead.is_some()
                && stamped_ahead(c, hub_time_ms)
                && refused.iter().any(|(r, _)| r.change_id == c.change_id)
        };
        let counted: Vec<_> = page
            .changes
            .iter()
            .filter(|c| !sent_again(&c.change))
            .filter_map(|c| answered(c.change.change_id).cloned())
            .collect();
        add(&mut report.at_hub, ApplySummary::count(&counted));
        report.pushed += counted.len() as u64;
    }
}

/// Whether `change` was stamped ahead of the hub's clock as it answered.
fn stamped_ahead(change: &venue_domain::ChangeRecord, hub_time_ms: i64) -> bool {
    i64::try_from(change.hlc.wall_ms()).unwrap_or(i64::MAX) > hub_time_ms
}

async fn pull(
    store: &StoreHandle,
    hub: &HubClient,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let schema = store.with(|s| s.schema_version())?;
    loop {
        let after = store.with(|s| s.pull_cursor(HUB_PEER))?;
        let answer = hub.pull(after.as_deref(), MAX_PAGE).await?;
        report.clock_skew_ms = Some(answer.clock_skew_ms);
        store.with(|s| s.align_clock_to_hub(answer.clock_skew_ms))?;
        let page = PulledPage::read(after.as_deref(), answer.body, schema)?;
        let count = page.changes.len() as u64;
        if page.worth_applying() {
            let outcomes = store.with(|s| {
                s.apply_incoming(
                    &page.changes,
                    Some(PullCursor {
                        peer: HUB_PEER,
                        cursor: &page.cursor,
                    }),
                )
            })?;
            add(&mut report.here, ApplySummary::count(&outcomes));
        }
        report.pulled += count;
        report.cursor = Some(page.cursor);
        if !page.more {
            return Ok(());
        }
    }
}

/// A pulled page, checked and read (by a sync pass and by a restore).
pub(super) struct PulledPage {
    /// Each change read on its own: one this build cannot read is parked alone.
    pub changes: Vec<IncomingChange>,
    pub cursor: String,
    pub more: bool,
    /// The cursor did not move.
    pub unchanged: bool,
}

impl PulledPage {
    pub(super) fn read(
        after: Option<&str>,
        page: PullResponse,
        schema: u32,
    ) -> Result<PulledPage, SyncError> {
        let unchanged = after == Some(page.cursor.as_str());
        if page.more && page.changes.is_empty() && unchanged {
            return Err(SyncError::BadResponse {
                what: "pull".into(),
                detail: "more changes announced, but an empty page and the same cursor".into(),
            });
        }
        let changes = SyncBatch {
            protocol: PROTOCOL_VERSION,
            schema,
            changes: page.changes,
        }
        .into_changes()
        .map_err(|e| SyncError::BadResponse {
            what: "pull".into(),
            detail: e.to_string(),
        })?;
        Ok(PulledPage {
            changes,
            cursor: page.cursor,
            more: page.more,
            unchanged,
        })
    }

    /// Whether applying it changes anything here: changes, or a cursor that moved.
    pub(super) fn worth_applying(&self) -> bool {
        !self.changes.is_empty() || !self.unchanged
    }
}
