//! Announcing that a venue's change log grew, to the live channel's subscribers: never the
//! changes themselves (a pull fetches those, so authorisation stays in one place).
//!
//! SQLite serves one process: a push announces in process, after it commits. PostgreSQL may be
//! served by several processes: a push sends `pg_notify` inside its transaction (delivered only
//! if it commits), and each process relays what its one `LISTEN` connection hears to its own
//! subscribers, so a push through any process reaches the subscribers of every one.

use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel pushes are announced on.
pub(crate) const PG_CHANNEL: &str = "hub_changes";

/// Announcements a slow subscriber may fall behind by before it is told it missed some.
const CAPACITY: usize = 1_024;

/// What the live channel hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announcement {
    /// `venue`'s change log reaches at least `seq` now.
    Changed { venue: Uuid, seq: i64 },
    /// Announcements may have been lost (the database connection dropped): every subscriber
    /// should pull to be sure.
    MaybeMissed,
}

impl Announcement {
    /// The payload sent with `pg_notify`.
    pub(crate) fn to_payload(venue: Uuid, seq: i64) -> String {
        format!("{venue} {seq}")
    }

    /// The announcement a `pg_notify` payload carries; `None` for one this build cannot read.
    pub(crate) fn from_payload(payload: &str) -> Option<Announcement> {
        let (venue, seq) = payload.split_once(' ')?;
        Some(Announcement::Changed {
            venue: Uuid::parse_str(venue).ok()?,
            seq: seq.parse().ok()?,
        })
    }

    /// Whether a subscriber of `venue` should hear this.
    pub fn concerns(&self, venue: Uuid) -> bool {
        match self {
            Announcement::Changed { venue: v, .. } => *v == venue,
            Announcement::MaybeMissed => true,
        }
    }
}

/// Every announcement from the moment of subscribing. A subscriber that falls more than
/// [`CAPACITY`] behind gets `RecvError::Lagged` and should treat it as [`Announcement::MaybeMissed`].
pub type Announcements = broadcast::Receiver<Announcement>;

/// The process's fan-out to its subscribers; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct Announcer {
    sender: broadcast::Sender<Announcement>,
}

impl Default for Announcer {
    fn default() -> Self {
        Announcer {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Announcer {
    pub(crate) fn announce(&self, announcement: Announcement) {
        // No subscriber is not an error: nobody is listening right now.
        let _ = self.sender.send(announcement);
    }

    pub(crate) fn subscribe(&self) -> Announcements {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_garbage_is_ignored() {
        let venue = Uuid::now_v7();
        let payload = Announcement::to_payload(venue, 42);
        assert_eq!(
            Announcement::from_payload(&payload),
            Some(Announcement::Changed { venue, seq: 42 })
        );
        for bad in ["", "x 1", "42", &format!("{venue} x")] {
            assert_eq!(Announcement::from_payload(bad), None, "{bad}");
        }
    }
}
