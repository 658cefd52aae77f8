//! `venue-hub`: the server venue consoles sync with, and its storage.

pub mod store;
