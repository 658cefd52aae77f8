//! The backend-independent part of a push: checks, the first occurrence of each change id, and
//! the classification of stored changes against their rows' heads.

use super::{HubStoreError, IncomingRow, Result, RowOutcome, MAX_BATCH};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A row of a venue: (entity, entity_id).
pub(crate) type RowKey = (String, Uuid);
/// A row's head: the (hlc, node) of its newest change.
pub(crate) type Stamp = (i64, Uuid);

pub(crate) fn check_name(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(HubStoreError::Invalid {
            what: format!("{what} is empty"),
        });
    }
    Ok(())
}

pub(crate) fn check_batch(changes: &[IncomingRow]) -> Result<()> {
    if changes.len() > MAX_BATCH {
        return Err(HubStoreError::Invalid {
            what: format!("a push of {} changes (at most {MAX_BATCH})", changes.len()),
        });
    }
    Ok(())
}

/// Emails are stored trimmed and lower-cased: one manager per address, however it is typed.
pub(crate) fn normalise_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    check_name("the email", &email)?;
    Ok(email)
}

/// The changes to try to store: the first occurrence of each change id, in input order (a
/// later copy in the same batch is a duplicate of it).
pub(crate) fn first_occurrences(changes: &[IncomingRow]) -> Vec<&IncomingRow> {
    let mut seen = HashSet::with_capacity(changes.len());
    changes
        .iter()
        .filter(|change| seen.insert(change.change_id))
        .collect()
}

/// The distinct rows the stored changes touch, for loading their heads.
pub(crate) fn touched_rows(stored: &[&IncomingRow]) -> Vec<RowKey> {
    let mut keys: Vec<RowKey> = stored
        .iter()
        .map(|change| (change.entity.clone(), change.entity_id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    keys.sort();
    keys
}

/// What a push does after storing its new changes in the log.
#[derive(Debug)]
pub(crate) struct Classified<'a> {
    /// One per input change, in input order.
    pub outcomes: Vec<RowOutcome>,
    /// The rows whose head moved, each with the change now its head (one per row).
    pub new_heads: Vec<&'a IncomingRow>,
    /// The losers, each with the head it lost to.
    pub conflicts: Vec<(&'a IncomingRow, Stamp)>,
}

/// Classify a batch: a change not newly `inserted` into the log (stored before, or a second
/// copy within the batch) is a duplicate; a new one is applied when newer by (hlc, node) than
/// its row's head, which it then becomes, and a conflict otherwise. `heads` holds the heads
/// before the batch.
pub(crate) fn classify<'a>(
    changes: &'a [IncomingRow],
    inserted: &HashSet<Uuid>,
    mut heads: HashMap<RowKey, Stamp>,
) -> Classified<'a> {
    let mut first = HashSet::with_capacity(changes.len());
    let mut head_changes: HashMap<RowKey, &'a IncomingRow> = HashMap::new();
    let mut conflicts = Vec::new();
    let outcomes = changes
        .iter()
        .map(|change| {
            if !first.insert(change.change_id) || !inserted.contains(&change.change_id) {
                return RowOutcome::Duplicate;
            }
            let key = (change.entity.clone(), change.entity_id);
            let stamp = (change.hlc, change.node);
            match heads.get(&key) {
                Some(head) if stamp <= *head => {
                    conflicts.push((change, *head));
                    RowOutcome::Conflict
                }
                _ => {
                    heads.insert(key.clone(), stamp);
                    head_changes.insert(key, change);
                    RowOutcome::Applied
                }
            }
        })
        .collect();
    let mut new_heads: Vec<&IncomingRow> = head_changes.into_values().collect();
    new_heads.sort_by(|a, b| (&a.entity, a.entity_id).cmp(&(&b.entity, b.entity_id)));
    Classified {
        outcomes,
        new_heads,
        conflicts,
    }
}

/// A body as the log stores it: the JSON text.
pub(crate) fn body_text(change: &IncomingRow) -> Result<String> {
    serde_json::to_string(&change.body).map_err(|error| HubStoreError::Invalid {
        what: format!("the body of change {}: {error}", change.change_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(id: u128, entity_id: u128, hlc: i64, node: u128) -> IncomingRow {
        IncomingRow {
            change_id: Uuid::from_u128(id),
            entity: "transaction".into(),
            entity_id: Uuid::from_u128(entity_id),
            node: Uuid::from_u128(node),
            hlc,
            down: true,
            body: json!({"id": id}),
        }
    }

    #[test]
    fn a_batch_is_classified_in_order_against_moving_heads() {
        let changes = vec![
            change(1, 10, 5, 1),
            change(2, 10, 4, 9), // older than change 1: conflict
            change(1, 10, 5, 1), // second copy: duplicate
            change(3, 10, 5, 2), // same hlc, higher node: applied
            change(4, 11, 1, 1), // stored before: duplicate
            change(5, 12, 3, 1), // older than the stored head of 12
        ];
        let inserted: HashSet<Uuid> = [1, 2, 3, 5].map(Uuid::from_u128).into();
        let heads = HashMap::from([(
            ("transaction".to_string(), Uuid::from_u128(12)),
            (3, Uuid::from_u128(1)),
        )]);
        let classified = classify(&changes, &inserted, heads);
        assert_eq!(
            classified.outcomes,
            vec![
                RowOutcome::Applied,
                RowOutcome::Conflict,
                RowOutcome::Duplicate,
                RowOutcome::Applied,
                RowOutcome::Duplicate,
                RowOutcome::Conflict,
            ]
        );
        let heads: Vec<Uuid> = classified.new_heads.iter().map(|c| c.change_id).collect();
        assert_eq!(heads, vec![Uuid::from_u128(3)]);
        let losers: Vec<(Uuid, Stamp)> = classified
            .conflicts
            .iter()
            .map(|(c, head)| (c.change_id, *head))
            .collect();
        assert_eq!(
            losers,
            vec![
                (Uuid::from_u128(2), (5, Uuid::from_u128(1))),
                (Uuid::from_u128(5), (3, Uuid::from_u128(1))),
            ]
        );
    }
}
