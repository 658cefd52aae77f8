use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A new id for a row we own: UUIDv7, so ids sort by creation time and index appends stay local.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The installation (console or hub) that wrote a change; breaks ties between equal clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub Uuid);

impl NodeId {
    pub fn generate() -> Self {
        NodeId(new_id())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of a row that mirrors a vendor record: a UUIDv5 of the venue, the entity, the source
/// and the vendor's id. Every installation ingesting the same vendor record derives the same id,
/// so a reservation can name its guest before the guest row is read, and two consoles of one
/// venue never create two rows for one vendor record when they sync.
pub fn vendor_row_id(
    venue_id: Uuid,
    entity: crate::EntityKind,
    source: &str,
    external_id: &str,
) -> Uuid {
    let name = format!("{}\u{1f}{}\u{1f}{}", entity.as_str(), source, external_id);
    Uuid::new_v5(&venue_id, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntityKind;

    #[test]
    fn vendor_row_ids_are_stable_and_distinct_per_key() {
        let venue = Uuid::nil();
        let a = vendor_row_id(venue, EntityKind::Customer, "mews", "abc");
        assert_eq!(a, vendor_row_id(venue, EntityKind::Customer, "mews", "abc"));
        assert_ne!(
            a,
            vendor_row_id(venue, EntityKind::Reservation, "mews", "abc")
        );
        assert_ne!(
            a,
            vendor_row_id(venue, EntityKind::Customer, "mews2", "abc")
        );
        assert_ne!(
            a,
            vendor_row_id(new_id(), EntityKind::Customer, "mews", "abc")
        );
        // The separator keeps ("a", "bc") and ("ab", "c") apart.
        assert_ne!(
            vendor_row_id(venue, EntityKind::Customer, "a", "bc"),
            vendor_row_id(venue, EntityKind::Customer, "ab", "c")
        );
    }
}
