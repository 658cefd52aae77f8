//! Benchmarks of the hub and of consoles syncing with it.

pub mod restore;
