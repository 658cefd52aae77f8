//! Domain types shared by the console, the CLI and the hub. No I/O lives here.

pub mod alert_rule;
pub mod change;
pub mod entities;
pub mod error;
pub mod hlc;
pub mod ids;
pub mod money;
pub mod sync;
pub mod text;
pub mod wire;

pub use change::{ChangeOp, ChangeRecord, EntityKind, Origin};
pub use entities::*;
pub use error::DomainError;
pub use hlc::{ClockJump, Hlc, HlcClock, Stamp};
pub use ids::{natural, new_id, vendor_row_id, NodeId};
pub use money::{parse_decimal_minor, Currency, Money};
