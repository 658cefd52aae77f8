//! The hub's HTTP routes, one file per capability.

pub mod enroll;
pub mod health;
pub mod live;
pub mod sync;
