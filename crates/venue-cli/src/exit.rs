//! `venue`'s exit codes, agreed for every command (the README lists them).

/// Done.
pub const OK: u8 = 0;
/// A runtime failure.
pub const FAILURE: u8 = 1;
/// Bad usage or bad input; nothing was touched.
pub const USAGE: u8 = 2;
/// Partial: the command finished but some of its work did not; what was done is kept.
#[allow(dead_code)]
pub const PARTIAL: u8 = 3;
/// The store cannot be used: damaged, locked by another process, no permission, or missing or
/// empty beside a configured venue.
pub const STORE_UNAVAILABLE: u8 = 4;
