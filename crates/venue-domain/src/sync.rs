//! The sync contract: what each kind of row does between consoles and the hub, the batch that
//! carries changes (with its protocol and schema versions), and what happened to each change.
//!
//! One place in code, mirrored by the table in the README: change one, change the other.

use crate::{ChangeRecord, DomainError, EntityKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The sync protocol this build speaks. A batch from a newer protocol is refused whole, with an
/// error saying so; an older one is read as far as it goes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Where a kind of row travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SyncPolicy {
    /// Pushed from the console that wrote it to the hub.
    pub up: bool,
    /// Pulled from the hub into the other consoles of the venue.
    pub down: bool,
    /// Who acts on it outside the store (posts it to a vendor, notifies someone), if anyone.
    pub side_effect: &'static str,
    /// Why, in a sentence.
    pub why: &'static str,
}

/// The policy for a kind of row that is in the change log. Rows that never enter the change log
/// (staff, PIN hashes, secrets, notification preferences, connector and sensor bookkeeping,
/// claims and leases) are listed in [`CONSOLE_ONLY`].
pub fn policy(kind: EntityKind) -> SyncPolicy {
    use EntityKind::*;
    let both = |side_effect, why| SyncPolicy {
        up: true,
        down: true,
        side_effect,
        why,
    };
    match kind {
        Venue => both(
            "none",
            "the venue's name, time zone and currency are the same on every console",
        ),
        Transaction => both("none", "sales are the venue's, whichever console fetched them"),
        Customer => both(
            "none",
            "guests are the venue's; email and phone stay on the console unless the venue shares them",
        ),
        Location => both(
            "none",
            "the names of the venue's tills and restaurants, shown beside their sales",
        ),
        Resource | Service | Reservation => both(
            "none",
            "the PMS mirror is the venue's, whichever console pulled it",
        ),
        DeskNote => both("none", "a note written at one desk is read at the others"),
        PmsCharge => both(
            "the console that took the charge posts it to the PMS, and only that one",
            "every desk sees a charge and its state; posting it twice would bill the guest twice",
        ),
        SensorDevice | SensorReading => both(
            "none",
            "people counts are the venue's, whichever console recorded them",
        ),
        Snapshot => SyncPolicy {
            up: true,
            down: false,
            side_effect: "none",
            why: "one console's fetch run: the hub shows it, but it never moves another console's high-water mark or schedule",
        },
        Alert => both(
            "each console notifies its own signed-in staff",
            "an alert acknowledged at one desk is acknowledged at all",
        ),
        Recommendation => both("none", "recommendations are the venue's"),
        Audit => SyncPolicy {
            up: true,
            down: false,
            side_effect: "none",
            why: "who did what is kept by the hub for managers; consoles keep their own",
        },
    }
}

/// Local tables that never enter the change log, and why.
pub const CONSOLE_ONLY: &[(&str, &str)] = &[
    ("staff, sign_in_guard", "staff accounts and PIN hashes are checked on the console that signs them in"),
    ("notification_prefs, notifications_sent", "what each person on this console is notified of"),
    ("connector_state, sensor_state", "this console's connections to its vendors and door counters"),
    ("pms_charge_claims, run_leases, sensor_recording_leases", "which process of this console is doing what right now"),
    ("alert_rules", "the rules this console evaluates (shared through the hub in a later step)"),
    ("meta, change_log, sync_peers, applied_changes, sync_conflicts, sync_parked, sync_tombstones", "the sync machinery itself"),
    ("daily_sales, sensor_rollups, sensor_zone_rollups, search", "derived from synced rows on every console"),
];

/// What happened to one change on arrival.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChangeOutcome {
    /// Written: it is the row's newest state.
    Applied,
    /// Seen before under the same change id: nothing done, so redelivery is harmless.
    Duplicate,
    /// Older than the row's state here: kept in `sync_conflicts`, the row left as it is.
    Conflict,
    /// Not applied, with the reason; parked, and the changes after it went on.
    Rejected { reason: String },
}

/// One change's outcome, by its id.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub change_id: Uuid,
    #[serde(flatten)]
    pub outcome: ChangeOutcome,
}

/// Changes on the wire: every batch names its protocol and the schema of the store that wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncBatch {
    pub protocol: u32,
    pub schema: u32,
    pub changes: Vec<serde_json::Value>,
}

/// A change read from a batch: either a change this build understands, or why not.
#[derive(Debug, Clone, PartialEq)]
pub enum IncomingChange {
    Known(ChangeRecord),
    /// Unreadable, or of a kind this build does not know: rejected on its own, with the reason.
    Unknown {
        change_id: Option<Uuid>,
        entity: Option<String>,
        body: serde_json::Value,
        reason: String,
    },
}

impl SyncBatch {
    pub fn new(schema: u32, changes: &[ChangeRecord]) -> Result<Self, DomainError> {
        let changes = changes
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(|e| DomainError::Invalid {
                field: "change record",
                reason: e.to_string(),
            })?;
        Ok(SyncBatch {
            protocol: PROTOCOL_VERSION,
            schema,
            changes,
        })
    }

    /// Reads a batch from a peer: a newer protocol is refused whole; each change is read on
    /// its own, so one this build cannot read is rejected alone and the rest go on.
    pub fn parse(text: &str) -> Result<Vec<IncomingChange>, DomainError> {
        let batch: SyncBatch = serde_json::from_str(text).map_err(|e| DomainError::Invalid {
            field: "sync batch",
            reason: e.to_string(),
        })?;
        batch.into_changes()
    }

    pub fn into_changes(self) -> Result<Vec<IncomingChange>, DomainError> {
        if self.protocol > PROTOCOL_VERSION {
            return Err(DomainError::Invalid {
                field: "sync batch",
                reason: format!(
                    "it speaks sync protocol {}, and this build only {}: update this console",
                    self.protocol, PROTOCOL_VERSION
                ),
            });
        }
        Ok(self.changes.into_iter().map(read_change).collect())
    }
}

fn read_change(body: serde_json::Value) -> IncomingChange {
    let change_id = body
        .get("change_id")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok());
    let entity = body
        .get("entity")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    if let Some(name) = &entity {
        if name.parse::<EntityKind>().is_err() {
            return IncomingChange::Unknown {
                change_id,
                reason: format!("entity kind {name:?} is unknown to this build (a newer peer?)"),
                entity,
                body,
            };
        }
    }
    // Read from the value in place: a copy of the whole change first would be thrown away.
    match ChangeRecord::deserialize(&body) {
        Ok(change) => IncomingChange::Known(change),
        Err(e) => IncomingChange::Unknown {
            change_id,
            entity,
            body,
            reason: format!("unreadable change: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChangeOp, Hlc, NodeId, Origin};

    fn change(entity: EntityKind) -> ChangeRecord {
        ChangeRecord {
            change_id: crate::new_id(),
            venue_id: crate::new_id(),
            entity,
            entity_id: crate::new_id(),
            op: ChangeOp::Upsert,
            payload: serde_json::json!({"x": 1}),
            hlc: Hlc::new(1_000, 0),
            node: NodeId::generate(),
            origin: Origin::User,
        }
    }

    #[test]
    fn every_kind_has_a_policy_and_snapshots_never_come_down() {
        for kind in EntityKind::ALL {
            let p = policy(*kind);
            assert!(p.up, "{kind} goes up to the hub");
            assert!(!p.why.is_empty());
        }
        assert!(!policy(EntityKind::Snapshot).down);
        assert!(policy(EntityKind::PmsCharge)
            .side_effect
            .contains("only that one"));
    }

    #[test]
    fn a_newer_protocol_is_refused_whole_and_says_so() {
        let mut batch = SyncBatch::new(14, &[change(EntityKind::Customer)]).expect("batch");
        batch.protocol = PROTOCOL_VERSION + 1;
        let text = serde_json::to_string(&batch).expect("json");
        let err = SyncBatch::parse(&text).unwrap_err().to_string();
        assert!(err.contains("protocol 2"), "{err}");
    }

    #[test]
    fn an_unknown_kind_is_rejected_alone() {
        let good = change(EntityKind::Customer);
        let mut batch =
            SyncBatch::new(14, &[good.clone(), change(EntityKind::Alert)]).expect("batch");
        batch.changes[1]["entity"] = serde_json::json!("loyalty_card");
        let text = serde_json::to_string(&batch).expect("json");
        let read = SyncBatch::parse(&text).expect("the batch is read");
        assert_eq!(read[0], IncomingChange::Known(good));
        match &read[1] {
            IncomingChange::Unknown {
                reason,
                entity,
                change_id,
                ..
            } => {
                assert!(reason.contains("loyalty_card"), "{reason}");
                assert_eq!(entity.as_deref(), Some("loyalty_card"));
                assert!(change_id.is_some());
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
}
