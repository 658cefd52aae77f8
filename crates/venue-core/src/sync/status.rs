//! Where this console stands with its hub: joined or not, the last success and error, the
//! changes waiting and how old the oldest is, and its clock against the hub's.

use serde::Serialize;
use uuid::Uuid;
use venue_store::{Backlog, HubState};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    pub joined: bool,
    pub hub_url: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub venue_id: Option<Uuid>,
    /// When the last pass finished (UTC, as the store writes times: `2026-12-07 10:00:00.123+00:00`).
    pub last_success: Option<String>,
    /// This console's changes the hub does not hold yet.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub changes_waiting: u64,
    /// How long the oldest of them has waited, in seconds.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub oldest_unsynced_age_seconds: Option<i64>,
    /// This console's clock minus the hub's, in ms, as the last pass measured it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub clock_skew_ms: Option<i64>,
    /// The last failure, kept after later successes (compare its time with `last_success`).
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

impl SyncStatus {
    /// The status from what the store holds, at `now_ms` (ms since the epoch).
    pub fn from_state(state: HubState, backlog: Backlog, now_ms: i64) -> SyncStatus {
        SyncStatus {
            joined: state.url.is_some(),
            hub_url: state.url,
            venue_id: state.venue_id,
            last_success: state.last_success,
            changes_waiting: backlog.changes,
            // A stamp ahead of this clock has waited no time, not a negative one.
            oldest_unsynced_age_seconds: backlog
                .oldest_ms
                .map(|oldest| (now_ms - oldest).max(0) / 1_000),
            clock_skew_ms: state.clock_skew_ms,
            last_error: state.last_error,
            last_error_at: state.last_error_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Console, InitOptions};
    use venue_store::HUB_PEER;

    fn console(dir: &std::path::Path) -> Console {
        let options = InitOptions {
            demo: false,
            ..InitOptions::demo()
        };
        Console::init(dir, &options).expect("init").0
    }

    fn rename(console: &mut Console, name: &str) {
        console
            .update_venue(Some(name), None, None, None, None)
            .expect("rename");
    }

    /// Changes waiting are the log after the hub's acknowledgement; the oldest's age comes
    /// from its stamp; joining and the last outcomes are read back from the store.
    #[test]
    fn status_counts_what_the_hub_has_not_acknowledged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = console(dir.path());
        let before = console.sync_status().expect("status");
        assert!(!before.joined);
        assert_eq!(before.hub_url, None);
        let waiting_at_init = before.changes_waiting;
        assert!(waiting_at_init > 0, "init writes the venue");
        rename(&mut console, "One");
        rename(&mut console, "Two");
        let status = console.sync_status().expect("status");
        // Each rename logs the venue and its audit line.
        assert_eq!(status.changes_waiting, waiting_at_init + 4);
        let age = status
            .oldest_unsynced_age_seconds
            .expect("an oldest change");
        assert!(age >= 0);

        let last = console.store.changes_since(0, 1_000).expect("log");
        let last_seq = last.last().expect("a change").seq;
        console
            .store
            .acknowledge(HUB_PEER, last_seq - 1)
            .expect("ack");
        let status = console.sync_status().expect("status");
        assert_eq!(status.changes_waiting, 1, "only the newest change waits");
        console.store.acknowledge(HUB_PEER, last_seq).expect("ack");
        let status = console.sync_status().expect("status");
        assert_eq!(status.changes_waiting, 0);
        assert_eq!(status.oldest_unsynced_age_seconds, None);

        let venue = console.venue().expect("venue").id;
        console
            .store
            .set_hub("http://127.0.0.1:1", venue)
            .expect("hub");
        console
            .store
            .record_sync_error("the hub at x cannot be reached")
            .expect("error");
        console
            .store
            .record_sync_success(Some(-1_250))
            .expect("success");
        let status = console.sync_status().expect("status");
        assert!(status.joined);
        assert_eq!(status.hub_url.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(status.venue_id, Some(venue));
        assert_eq!(status.clock_skew_ms, Some(-1_250));
        assert_eq!(
            status.last_error.as_deref(),
            Some("the hub at x cannot be reached")
        );
        assert!(status.last_error_at.is_some() && status.last_success.is_some());

        console.store.clear_hub().expect("leave");
        let status = console.sync_status().expect("status");
        assert!(!status.joined);
        assert_eq!(status.last_error, None);
    }

    #[test]
    fn the_oldest_age_is_never_negative() {
        let state = HubState::default();
        let backlog = Backlog {
            changes: 3,
            oldest_ms: Some(10_000),
        };
        let status = SyncStatus::from_state(state.clone(), backlog, 75_500);
        assert_eq!(status.oldest_unsynced_age_seconds, Some(65));
        assert_eq!(status.changes_waiting, 3);
        let ahead = SyncStatus::from_state(state, backlog, 5_000);
        assert_eq!(ahead.oldest_unsynced_age_seconds, Some(0));
    }
}
