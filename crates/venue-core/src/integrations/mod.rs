//! The systems a venue already runs, mirrored into the store: point-of-sale connectors
//! (`pos`), the property-management system (`pms`), door counters (`sensors`), and the
//! secrets each of them logs in with (`secrets`).

pub mod pms;
pub mod pos;
pub mod secrets;
pub mod sensors;
