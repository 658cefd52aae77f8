//! The hub's wire protocol, version 1: what a console and `venue-hub` send each other over
//! HTTP + JSON. The server and the console's client both use these types, so they cannot drift.
//!
//! Every response carries the hub's clock (`hub_time_ms`), so a console can show its own skew.

use crate::sync::Outcome;
use crate::NodeId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The path prefix of this protocol version.
pub const API_PREFIX: &str = "/v1";

/// A one-time enrolment code exchanged for a device token, bound to one venue and this console.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    pub node: NodeId,
}

/// The venue a console was enrolled into, as the hub knows it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubVenue {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub currency: String,
    pub capacity: Option<u32>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The device token: shown once, kept by the console in the OS keyring.
    pub token: String,
    pub venue_id: Uuid,
    pub venue: HubVenue,
    pub hub_time_ms: i64,
}

/// One page of a console's outbox. `changes` are read one by one (see
/// `SyncBatch::into_changes`), so one the hub cannot read is rejected alone.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub protocol: u32,
    pub schema: u32,
    pub node: NodeId,
    /// Change records (see `ChangeRecord`), each read on its own: one the hub cannot read is
    /// rejected alone, so the document does not constrain them.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub changes: Vec<serde_json::Value>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One outcome per change sent, in the order sent.
    pub outcomes: Vec<Outcome>,
    /// How many of the changes sent the hub now holds for good (applied, duplicate or
    /// conflict): with every change answered, the console may acknowledge the whole page.
    pub acknowledged: u32,
    pub hub_time_ms: i64,
}

/// `GET /v1/sync/pull?after=CURSOR&limit=N`.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullQuery {
    /// Opaque: the `cursor` of the last page applied; absent for the first pull.
    pub after: Option<String>,
    /// How many changes at most, from 1 to 5,000 (`MAX_PAGE`); 1,000 when absent.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 5000))]
    pub limit: Option<u32>,
    /// `console` (the default): what goes down to consoles, the caller's own changes excepted.
    /// `restore`: everything the venue's consoles sent up, up-only kinds (fetch runs, audit
    /// lines) included, for a console rebuilding its store from the hub (`venue hub restore`).
    #[serde(default)]
    pub scope: Option<PullScope>,
}

/// Which of the venue's changes a pull returns.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullScope {
    /// What the sync policy sends down to consoles.
    #[default]
    Console,
    /// Everything the policy sends up: a console restoring its venue gets it all back.
    Restore,
}

impl PullScope {
    pub fn as_str(self) -> &'static str {
        match self {
            PullScope::Console => "console",
            PullScope::Restore => "restore",
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Change records of the venue, oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub changes: Vec<serde_json::Value>,
    /// Where the next pull starts; saved with the page in the console's store.
    pub cursor: String,
    /// More changes wait after this page.
    pub more: bool,
    pub hub_time_ms: i64,
}

/// The one error shape of the hub's API.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// The most changes a push may carry and a pull may return.
pub const MAX_PAGE: u32 = 5_000;

/// `GET /v1/sync/live` is a stream of server-sent events. `ready` comes first, once subscribed;
/// `changes` whenever the console's venue has new changes; comment lines keep the stream alive.
/// Never the changes themselves: a pull fetches them.
pub const LIVE_READY_EVENT: &str = "ready";
pub const LIVE_CHANGES_EVENT: &str = "changes";

/// The data of a live event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveAnnouncement {
    /// The venue's log reaches at least this cursor; absent when announcements may have been
    /// missed (pull to be sure) and on `ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}
