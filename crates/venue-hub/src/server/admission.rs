//! What the hub accepts from a console's push, change by change, before the store sees it.
//!
//! Strict where safety needs it: a change for another venue, written by another console, with a
//! payload naming another venue, or stamped too far ahead of the hub's clock is refused, that
//! change alone, with the reason. Tolerant where a newer console may be ahead of this hub: a
//! change of a kind this build does not know is refused alone and the rest go on.

use crate::store::IncomingRow;
use uuid::Uuid;
use venue_domain::sync::{policy, IncomingChange, SyncBatch};
use venue_domain::wire::PushRequest;
use venue_domain::{ChangeRecord, EntityKind, NodeId};

/// Who is pushing: the venue and the console a device token is bound to.
#[derive(Debug, Clone, Copy)]
pub struct Pusher {
    pub venue_id: Uuid,
    pub node: NodeId,
}

/// One change of a push after admission.
#[derive(Debug, Clone)]
pub enum Admitted {
    Ready(IncomingRow),
    Refused { change_id: Uuid, reason: String },
}

/// Why a whole push is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushRefused {
    #[error("{0}")]
    Protocol(String),
    #[error(
        "this device token belongs to console {token_node}, and the push says it is from {claimed}"
    )]
    WrongConsole { token_node: NodeId, claimed: NodeId },
}

/// Reads and checks each change of `request` for `pusher`, `now_ms` being the hub's clock.
pub fn admit(
    request: PushRequest,
    pusher: Pusher,
    now_ms: i64,
    max_ahead_ms: i64,
) -> Result<Vec<Admitted>, PushRefused> {
    if request.node != pusher.node {
        return Err(PushRefused::WrongConsole {
            token_node: pusher.node,
            claimed: request.node,
        });
    }
    let batch = SyncBatch {
        protocol: request.protocol,
        schema: request.schema,
        changes: request.changes,
    };
    let changes = batch
        .into_changes()
        .map_err(|e| PushRefused::Protocol(e.to_string()))?;
    Ok(changes
        .into_iter()
        .map(|c| match c {
            IncomingChange::Known(change) => check(change, pusher, now_ms, max_ahead_ms),
            IncomingChange::Unknown {
                change_id, reason, ..
            } => Admitted::Refused {
                // Without an id it is answered under a fresh one the console will not know,
                // which is all it can be: its page still gets an answer for every change it can name.
                change_id: change_id.unwrap_or_else(venue_domain::new_id),
                reason,
            },
        })
        .collect())
}

fn check(change: ChangeRecord, pusher: Pusher, now_ms: i64, max_ahead_ms: i64) -> Admitted {
    match refusal(&change, pusher, now_ms, max_ahead_ms) {
        Some(reason) => Admitted::Refused {
            change_id: change.change_id,
            reason,
        },
        None => {
            let down = policy(change.entity).down;
            Admitted::Ready(IncomingRow {
                change_id: change.change_id,
                entity: change.entity.as_str().to_string(),
                entity_id: change.entity_id,
                node: change.node.0,
                hlc: change.hlc.as_i64(),
                down,
                body: match serde_json::to_value(&change) {
                    Ok(body) => body,
                    Err(e) => {
                        return Admitted::Refused {
                            change_id: change.change_id,
                            reason: format!("unreadable change: {e}"),
                        }
                    }
                },
            })
        }
    }
}

/// Why one change may not be stored, or None.
fn refusal(
    change: &ChangeRecord,
    pusher: Pusher,
    now_ms: i64,
    max_ahead_ms: i64,
) -> Option<String> {
    if change.venue_id != pusher.venue_id {
        return Some(format!(
            "change for venue {}, and this console may only write venue {}",
            change.venue_id, pusher.venue_id
        ));
    }
    if change.node != pusher.node {
        return Some(format!(
            "change written by console {}, and only this console's own changes may be pushed with its token",
            change.node
        ));
    }
    if change.entity == EntityKind::Venue && change.entity_id != pusher.venue_id {
        return Some(format!(
            "a venue row for {}: a console writes only its own venue",
            change.entity_id
        ));
    }
    if let Some(named) = change.payload.get("venue_id") {
        let same = named
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .is_some_and(|id| id == pusher.venue_id);
        if !same {
            return Some(format!(
                "the payload names venue {named}, and this console may only write venue {}",
                pusher.venue_id
            ));
        }
    }
    let wall_ms = i64::try_from(change.hlc.wall_ms()).unwrap_or(i64::MAX);
    if wall_ms > now_ms.saturating_add(max_ahead_ms) {
        return Some(format!(
            "stamped {} ms ahead of the hub's clock (the most allowed is {} ms): is this console's clock right?",
            wall_ms - now_ms,
            max_ahead_ms
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use venue_domain::sync::PROTOCOL_VERSION;
    use venue_domain::{ChangeOp, Hlc, Origin};

    const NOW: i64 = 1_800_000_000_000;

    fn pusher() -> Pusher {
        Pusher {
            venue_id: venue_domain::new_id(),
            node: NodeId::generate(),
        }
    }

    fn change(p: Pusher) -> ChangeRecord {
        let entity_id = venue_domain::new_id();
        ChangeRecord {
            change_id: venue_domain::new_id(),
            venue_id: p.venue_id,
            entity: EntityKind::DeskNote,
            entity_id,
            op: ChangeOp::Upsert,
            payload: serde_json::json!({"id": entity_id, "venue_id": p.venue_id, "text": "late check-out"}),
            hlc: Hlc::new(NOW as u64, 0),
            node: p.node,
            origin: Origin::User,
        }
    }

    fn push(p: Pusher, changes: &[ChangeRecord]) -> PushRequest {
        PushRequest {
            protocol: PROTOCOL_VERSION,
            schema: 1,
            node: p.node,
            changes: changes
                .iter()
                .map(|c| serde_json::to_value(c).unwrap())
                .collect(),
        }
    }

    fn reasons(admitted: &[Admitted]) -> Vec<Option<String>> {
        admitted
            .iter()
            .map(|a| match a {
                Admitted::Ready(_) => None,
                Admitted::Refused { reason, .. } => Some(reason.clone()),
            })
            .collect()
    }

    #[test]
    fn each_bad_change_is_refused_alone_with_its_reason() {
        let p = pusher();
        let good = change(p);
        let mut other_venue = change(p);
        other_venue.venue_id = venue_domain::new_id();
        let mut other_node = change(p);
        other_node.node = NodeId::generate();
        let mut payload_venue = change(p);
        payload_venue.payload["venue_id"] = serde_json::json!(venue_domain::new_id());
        let mut ahead = change(p);
        ahead.hlc = Hlc::new((NOW + 3_600_000) as u64, 0);
        let mut venue_row = change(p);
        venue_row.entity = EntityKind::Venue;
        let admitted = admit(
            push(
                p,
                &[
                    good,
                    other_venue,
                    other_node,
                    payload_venue,
                    ahead,
                    venue_row,
                ],
            ),
            p,
            NOW,
            300_000,
        )
        .unwrap();
        let r = reasons(&admitted);
        assert_eq!(r[0], None);
        assert!(
            r[1].as_deref().unwrap().contains("may only write venue"),
            "{r:?}"
        );
        assert!(
            r[2].as_deref().unwrap().contains("only this console's own"),
            "{r:?}"
        );
        assert!(
            r[3].as_deref().unwrap().contains("the payload names venue"),
            "{r:?}"
        );
        assert!(
            r[4].as_deref()
                .unwrap()
                .contains("ahead of the hub's clock"),
            "{r:?}"
        );
        assert!(
            r[5].as_deref().unwrap().contains("only its own venue"),
            "{r:?}"
        );
    }

    #[test]
    fn a_push_under_another_consoles_name_or_a_newer_protocol_is_refused_whole() {
        let p = pusher();
        let mut request = push(p, &[change(p)]);
        request.node = NodeId::generate();
        assert!(matches!(
            admit(request, p, NOW, 300_000),
            Err(PushRefused::WrongConsole { .. })
        ));
        let mut request = push(p, &[change(p)]);
        request.protocol = PROTOCOL_VERSION + 1;
        let err = admit(request, p, NOW, 300_000).unwrap_err();
        assert!(err.to_string().contains("protocol"), "{err}");
    }

    #[test]
    fn an_unknown_kind_is_refused_and_the_rest_go_on() {
        let p = pusher();
        let mut request = push(p, &[change(p), change(p)]);
        request.changes[0]["entity"] = serde_json::json!("loyalty_card");
        let admitted = admit(request, p, NOW, 300_000).unwrap();
        let r = reasons(&admitted);
        assert!(r[0].as_deref().unwrap().contains("loyalty_card"));
        assert_eq!(r[1], None);
    }
}
