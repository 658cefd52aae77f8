use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A new id for a row we own: UUIDv7, so ids sort by creation time and index appends stay local.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The installation (console or hub) that wrote a change; breaks ties between equal clocks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Ids of rows that several consoles of one venue can create on their own for the same thing:
/// each is a UUIDv5 of what makes the thing itself, so two consoles that record it give it one
/// id, and syncing them meets one row instead of two rows fighting over one natural key.
pub mod natural {
    use super::vendor_row_id;
    use crate::EntityKind;
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    /// A sale, from its vendor key (as the PMS's rows already are).
    pub fn transaction(venue_id: Uuid, source: &str, external_id: &str) -> Uuid {
        vendor_row_id(venue_id, EntityKind::Transaction, source, external_id)
    }

    /// A door counter, from its venue and its configured name (unique per venue).
    pub fn sensor_device(venue_id: Uuid, name: &str) -> Uuid {
        let key = format!("{}\u{1f}{}", EntityKind::SensorDevice.as_str(), name);
        Uuid::new_v5(&venue_id, key.as_bytes())
    }

    /// A counter's reading for one period, from the device and the period's start.
    pub fn sensor_reading(device_id: Uuid, period_start: DateTime<Utc>) -> Uuid {
        let key = format!(
            "{}\u{1f}{}",
            EntityKind::SensorReading.as_str(),
            period_start.timestamp_millis()
        );
        Uuid::new_v5(&device_id, key.as_bytes())
    }

    /// The front-desk note of a reservation (one per reservation).
    pub fn desk_note(reservation_id: Uuid) -> Uuid {
        Uuid::new_v5(&reservation_id, EntityKind::DeskNote.as_str().as_bytes())
    }

    /// An alert, from its condition (rule and subject) and when it opened.
    pub fn alert(venue_id: Uuid, dedupe_key: &str, opened_at: DateTime<Utc>) -> Uuid {
        let key = format!(
            "{}\u{1f}{}\u{1f}{}",
            EntityKind::Alert.as_str(),
            dedupe_key,
            opened_at.timestamp_millis()
        );
        Uuid::new_v5(&venue_id, key.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntityKind;

    #[test]
    fn natural_ids_name_the_thing_not_the_console() {
        let venue = new_id();
        let at = chrono::DateTime::from_timestamp_millis(1_700_000_000_123).expect("time");
        let door = natural::sensor_device(venue, "front");
        assert_eq!(door, natural::sensor_device(venue, "front"));
        assert_ne!(door, natural::sensor_device(venue, "back"));
        assert_ne!(door, natural::sensor_device(new_id(), "front"));
        let reading = natural::sensor_reading(door, at);
        assert_eq!(reading, natural::sensor_reading(door, at));
        assert_ne!(
            reading,
            natural::sensor_reading(door, at + chrono::Duration::milliseconds(1))
        );
        let stay = new_id();
        assert_eq!(natural::desk_note(stay), natural::desk_note(stay));
        assert_ne!(natural::desk_note(stay), stay);
        let alert = natural::alert(venue, "occupancy.high:venue", at);
        assert_eq!(alert, natural::alert(venue, "occupancy.high:venue", at));
        assert_ne!(alert, natural::alert(venue, "occupancy.high:bar", at));
        assert_eq!(
            natural::transaction(venue, "square", "T1"),
            vendor_row_id(venue, EntityKind::Transaction, "square", "T1")
        );
    }

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
