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
