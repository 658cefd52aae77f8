//! The change record: one row of the outbox that a console pushes to the hub.

use crate::{DomainError, Hlc, NodeId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Generates `as_str`, `Display` and `FromStr` for a fieldless enum with fixed snake_case names.
macro_rules! string_enum {
    ($ty:ident, $kind:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = crate::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    other => Err(crate::DomainError::UnknownVariant { kind: $kind, value: other.to_string() }),
                }
            }
        }
    };
}
pub(crate) use string_enum;

/// Who made a write. Writes with origin `Sync` came from a peer and are never captured again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    User,
    Connector,
    Pms,
    Sensor,
    Sync,
}
string_enum!(Origin, "origin", { User => "user", Connector => "connector", Pms => "pms", Sensor => "sensor", Sync => "sync" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Venue,
    Transaction,
    Customer,
    Resource,
    Service,
    Reservation,
    DeskNote,
    PmsCharge,
    SensorDevice,
    SensorReading,
    Snapshot,
    Alert,
    Recommendation,
    Audit,
    Location,
}
string_enum!(EntityKind, "entity", {
    Venue => "venue", Transaction => "transaction", Customer => "customer", Resource => "resource",
    Service => "service", Reservation => "reservation", DeskNote => "desk_note", PmsCharge => "pms_charge", SensorDevice => "sensor_device", SensorReading => "sensor_reading",
    Snapshot => "snapshot", Alert => "alert", Recommendation => "recommendation", Audit => "audit",
    Location => "location",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Delete,
}
string_enum!(ChangeOp, "change op", { Upsert => "upsert", Delete => "delete" });

/// One change to one row. `change_id` is the exactly-once key end to end; `(hlc, node)` orders
/// concurrent writes to the same row (last writer wins, the loser kept as a conflict).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub change_id: Uuid,
    pub venue_id: Uuid,
    pub entity: EntityKind,
    pub entity_id: Uuid,
    pub op: ChangeOp,
    /// The whole row after the change (for `Upsert`), as the entity's JSON.
    pub payload: serde_json::Value,
    pub hlc: Hlc,
    pub node: NodeId,
    pub origin: Origin,
}

impl fmt::Display for ChangeRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} at {} by {}",
            self.op, self.entity, self.entity_id, self.hlc, self.node
        )
    }
}

impl FromStr for ChangeRecord {
    type Err = DomainError;
    /// Strict parse of a change from a sync peer: unknown entities or ops are refused.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_str(s).map_err(|e| DomainError::Invalid {
            field: "change record",
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for kind in EntityKind::ALL {
            assert_eq!(kind.as_str().parse::<EntityKind>(), Ok(*kind));
            let json = serde_json::to_string(kind).expect("serialise");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        let err = "guest".parse::<EntityKind>().unwrap_err();
        assert_eq!(err.to_string(), "unknown entity \"guest\"");
    }

    #[test]
    fn change_records_parse_strictly() {
        let good = r#"{"change_id":"018f0000-0000-7000-8000-000000000001","venue_id":"018f0000-0000-7000-8000-000000000002",
            "entity":"customer","entity_id":"018f0000-0000-7000-8000-000000000003","op":"upsert",
            "payload":{"x":1},"hlc":65536,"node":"018f0000-0000-7000-8000-000000000004","origin":"pms"}"#;
        let record: ChangeRecord = good.parse().expect("valid record");
        assert_eq!(record.hlc.wall_ms(), 1);
        assert!(good
            .replace("customer", "wizard")
            .parse::<ChangeRecord>()
            .is_err());
        assert!(good
            .replace("\"hlc\":65536", "\"hlc\":-1")
            .parse::<ChangeRecord>()
            .is_err());
    }
}
