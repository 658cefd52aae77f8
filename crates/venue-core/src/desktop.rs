//! What the desktop shell sends its window besides the console's answers: the app's own facts,
//! update offers, and the events with their names and the store topics they carry. Plain data
//! here, in the core, so the UI's TypeScript is generated from it like every other type
//! (see `ui_types`); the shell only fills and sends it.

use serde::Serialize;
use venue_domain::EntityKind;

/// The store committed writes touching these topics (payload [`StoreChanged`]).
pub const STORE_CHANGED: &str = "store-changed";
/// The shell signed the session out (no payload).
pub const SESSION_LOCKED: &str = "session-locked";
/// A desktop notification was clicked: open its screen (payload [`Navigate`]).
pub const NAVIGATE: &str = "navigate";

/// The running app: its version and where its data lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
}

/// An update the server offers: newer than the running app, not yet downloaded or verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateOffer {
    pub version: String,
    pub current_version: String,
    pub notes: Option<String>,
    /// RFC 3339, as the server published it.
    pub date: Option<String>,
}

/// The `store-changed` event: which kinds of rows the writes since the last event touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoreChanged {
    pub topics: Vec<StoreTopic>,
}

/// The `navigate` event: the screen to show, and the alert it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Navigate {
    pub screen: String,
    pub alert_id: Option<String>,
}

/// One topic of a `store-changed` event (one of [`store_topics`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct StoreTopic(pub &'static str);

/// Every topic the store announces after a commit: each entity kind, and the store's own
/// bookkeeping that screens show (connector and sensor state, alert rules, notification
/// preferences, staff).
pub fn store_topics() -> Vec<&'static str> {
    EntityKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .chain([
            venue_store::CONNECTOR_STATE,
            venue_store::SENSOR_STATE,
            venue_store::ALERT_RULES,
            venue_store::NOTIFICATION_PREFS,
            venue_store::STAFF,
        ])
        .collect()
}

/// The TypeScript of [`StoreTopic`]: the union of [`store_topics`], so a screen that names a
/// topic the store never announces fails to typecheck.
#[cfg(feature = "ts")]
impl ts_rs::TS for StoreTopic {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn docs() -> Option<String> {
        // As the derive writes doc comments.
        Some("/**\n * One topic of a `store-changed` event: an entity kind or store bookkeeping.\n */\n".into())
    }

    fn name(_: &ts_rs::Config) -> String {
        "StoreTopic".into()
    }

    fn inline(_: &ts_rs::Config) -> String {
        store_topics()
            .iter()
            .map(|topic| format!("\"{topic}\""))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn decl(cfg: &ts_rs::Config) -> String {
        format!("type StoreTopic = {};", Self::inline(cfg))
    }

    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        Self::decl(cfg)
    }

    fn output_path() -> Option<std::path::PathBuf> {
        Some("StoreTopic.ts".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topics_are_unique_and_name_every_entity_kind() {
        let topics = store_topics();
        let unique: std::collections::BTreeSet<_> = topics.iter().collect();
        assert_eq!(unique.len(), topics.len(), "{topics:?}");
        for kind in EntityKind::ALL {
            assert!(topics.contains(&kind.as_str()), "{kind}");
        }
    }
}
