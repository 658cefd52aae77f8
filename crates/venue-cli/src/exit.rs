//! The exit codes of `venue`, the same for every command.

/// Everything asked was done.
pub const OK: u8 = 0;
/// A runtime failure: the command could not do its work.
pub const FAILURE: u8 = 1;
/// Bad usage or bad input; nothing was touched.
pub const USAGE: u8 = 2;
/// The command finished but some of its work did not (a connector run ended partial or
/// failed...); what was done is kept.
pub const PARTIAL: u8 = 3;
#[allow(dead_code)] // for the store's own errors (issue 16, items 10 to 12)
/// The store cannot be used: damaged, locked by another process, no permission, or missing.
pub const STORE_UNAVAILABLE: u8 = 4;
