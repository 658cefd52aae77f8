//! Property-management-system sync: the Mews Connector API.
//!
//! - [`config`]: the `[pms]` table of venue.toml, its rate limit and HTTP settings.
//! - [`models`] / [`events`]: Mews payloads and websocket messages, parsed tolerantly.
//! - [`normalize`]: Mews records into `venue_domain` rows (ids via `vendor_row_id`).
//! - [`client`]: the REST client (paged `getAll`s, charges posted exactly once).
//! - [`socket`]: the websocket loop (batches, keep-alive, reconnects, loss signals).
//! - [`money`]: exact conversion between Mews decimals and minor units.

pub mod client;
pub mod config;
pub mod error;
pub mod events;
pub mod models;
pub mod money;
pub mod normalize;
pub mod socket;

pub use client::{MewsClient, MewsCredentials};
pub use config::{PmsConfig, PmsKind};
pub use error::PmsError;
pub use events::{parse_socket_frame, parse_socket_message, MewsEvent, SocketFrame, SocketMessage};
pub use models::*;
pub use normalize::MewsContext;
pub use socket::{run_socket, SocketSettings, SocketSignal};
