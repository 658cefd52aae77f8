//! The hub's HTTP routes, one file per capability.

pub mod enroll;
pub mod health;
pub mod sync;
