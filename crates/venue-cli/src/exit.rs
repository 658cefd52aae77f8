//! The `venue` command's exit codes, the same for every command.

/// Everything asked was done.
pub const OK: u8 = 0;
/// A runtime failure: the command could not do its work.
pub const FAILURE: u8 = 1;
/// Bad usage or bad input: refused before anything was touched.
pub const USAGE: u8 = 2;
/// Partial: the command finished, but some of its work did not (a run ended partial or failed,
/// charges left failed or pending because the PMS refused them or could not be reached). What
/// was done is kept.
pub const PARTIAL: u8 = 3;
/// The store cannot be used: damaged, locked by another process, no permission, or missing.
pub const STORE_UNAVAILABLE: u8 = 4;
