//! `venue-hub`: the server venue consoles sync with. Storage behind one trait (SQLite embedded,
//! PostgreSQL for groups), the HTTP API, and the admin command line's operations.

pub mod database;
pub mod server;
pub mod store;
