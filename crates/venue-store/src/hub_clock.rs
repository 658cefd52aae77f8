//! Stamping on the hub's time. A console whose wall clock is minutes off would otherwise stamp
//! its changes minutes off: ten minutes fast, the hub refuses them (it takes no stamp more than
//! the drift bound ahead of its own clock); ten minutes slow, its edits lose by last-writer-wins
//! to edits made before them. Every hub answer carries the hub's clock, so each sync measures
//! this machine's clock against it, and the store stamps on the hub's time from then on, in this
//! process and (the correction is kept) in every later one until the next measure. Changes
//! already stamped too far ahead when the hub refuses them are stamped again (see
//! [`Store::restamp_refused_ahead`]).

use crate::{Result, Store};
use rusqlite::OptionalExtension;
use venue_domain::Hlc;

/// Where the correction is kept: milliseconds added to the machine's clock.
const OFFSET: &str = "hub.clock_offset_ms";

/// Smaller differences are left alone: the measure (half a round trip) is not that precise,
/// and moving the clock for them would only churn.
pub const ALIGN_THRESHOLD_MS: i64 = 1_000;

/// The correction kept by the last sync (0 before any).
pub(crate) fn load_offset(conn: &rusqlite::Connection) -> Result<i64> {
    let kept: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [OFFSET], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(kept.and_then(|v| v.parse().ok()).unwrap_or(0))
}

impl Store {
    /// The hub measured this machine's clock `machine_minus_hub_ms` off its own: from now on this
    /// store stamps on the hub's time (differences under [`ALIGN_THRESHOLD_MS`] are ignored).
    /// The clock never issues a stamp below one it issued: after a correction back, stamps go on
    /// from the last until the hub's time passes it.
    pub fn align_clock_to_hub(&mut self, machine_minus_hub_ms: i64) -> Result<()> {
        let offset = if machine_minus_hub_ms.abs() >= ALIGN_THRESHOLD_MS {
            machine_minus_hub_ms.saturating_neg()
        } else {
            0
        };
        // Another process may have moved it since this one opened: compare with what is kept.
        if offset != load_offset(&self.conn)? {
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [OFFSET, &offset.to_string()],
            )?;
        }
        if offset != self.hub_offset_ms {
            self.hub_offset_ms = offset;
            self.clock
                .align(self.test_skew_ms.saturating_add(self.hub_offset_ms));
        }
        Ok(())
    }

    /// How far this store's clock is set off the machine's to stamp on the hub's time.
    pub fn hub_clock_offset_ms(&self) -> i64 {
        self.hub_offset_ms
    }

    /// The hub refused changes of this console as stamped ahead of its clock, the oldest stamped
    /// `oldest_refused`: every row and delete of this console stamped from there on is stamped
    /// again at the (aligned) clock's time as a new change, for the push to send; the refused
    /// changes leave the log. Returns how many were re-stamped.
    pub fn restamp_refused_ahead(&mut self, oldest_refused: Hlc) -> Result<u64> {
        let newest: Option<i64> = self.conn.query_row(
            "SELECT max(hlc) FROM change_log WHERE hlc >= ?1",
            [oldest_refused.as_i64()],
            |r| r.get(0),
        )?;
        let newest_ms = newest
            .map(Hlc::from_i64)
            .transpose()?
            .unwrap_or(oldest_refused)
            .wall_ms();
        self.restamp_from(oldest_refused, newest_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use venue_domain::{new_id, HlcClock, Origin, Venue};

    const TEN_MINUTES: i64 = 600_000;

    fn note(venue: &Venue, text: &str) -> venue_domain::Customer {
        crate::identified(venue_domain::Customer {
            id: new_id(),
            venue_id: venue.id,
            source: "mews".into(),
            external_id: text.into(),
            first_name: Some(text.into()),
            last_name: None,
            email: None,
            phone: None,
            classifications: vec![],
            notes: None,
            updated_at_source: None,
        })
    }

    fn newest_stamp_ms(store: &Store) -> u64 {
        store.last_hlc().wall_ms()
    }

    fn close_to_now(ms: u64) -> bool {
        let now = HlcClock::now_ms();
        ms.abs_diff(now) < 60_000
    }

    #[test]
    fn a_console_ten_minutes_fast_or_slow_stamps_on_the_hubs_time_and_keeps_it() {
        for machine in [TEN_MINUTES, -TEN_MINUTES] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("venue.sqlite3");
            let mut store = Store::open_skewed(&path, machine).expect("open");
            let venue = Venue::new("Harbour", "Europe/London", "GBP", 10).expect("venue");
            store
                .save_by_user("t", "venue.create", &venue)
                .expect("venue");
            let before = newest_stamp_ms(&store);
            assert!(
                !close_to_now(before),
                "stamped on the machine's clock first"
            );

            store.align_clock_to_hub(machine).expect("align");
            assert_eq!(store.hub_clock_offset_ms(), -machine);
            drop(store);
            // A later process on the same machine stamps on the hub's time from its first write
            // (after a fast clock, the stamps ahead are repaired first, as after a jump).
            let mut store = Store::open_skewed(&path, machine).expect("reopen");
            store
                .ingest(Origin::Pms, None, &[note(&venue, "after")])
                .expect("write");
            let after = store
                .changes_since(0, 100)
                .expect("log")
                .last()
                .map(|c| c.change.hlc.wall_ms())
                .expect("a change");
            assert!(close_to_now(after), "{machine}: stamped {after}");
            // A small difference is noise: left alone.
            store.align_clock_to_hub(300).expect("align");
            assert_eq!(store.hub_clock_offset_ms(), 0);
        }
    }

    #[test]
    fn changes_refused_as_ahead_are_stamped_again_as_new_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store =
            Store::open_skewed(&dir.path().join("venue.sqlite3"), TEN_MINUTES).expect("open");
        let venue = Venue::new("Harbour", "Europe/London", "GBP", 10).expect("venue");
        store
            .save_by_user("t", "venue.create", &venue)
            .expect("venue");
        let guests: Vec<_> = (0..5).map(|n| note(&venue, &format!("g{n}"))).collect();
        store.ingest(Origin::Pms, None, &guests).expect("guests");
        let before = store.outbox(0, 100).expect("outbox").changes;
        let oldest = before.iter().map(|c| c.change.hlc).min().expect("a change");

        store.align_clock_to_hub(TEN_MINUTES).expect("align");
        let restamped = store.restamp_refused_ahead(oldest).expect("restamp");
        assert_eq!(restamped as usize, before.len());
        let after = store.outbox(0, 100).expect("outbox").changes;
        assert_eq!(
            after.len(),
            before.len(),
            "each row once, under a new change"
        );
        for change in &after {
            assert!(close_to_now(change.change.hlc.wall_ms()), "{change:?}");
            assert!(
                before
                    .iter()
                    .all(|b| b.change.change_id != change.change.change_id),
                "a new change id: {change:?}"
            );
        }
        assert_eq!(store.counts().expect("counts").customers, 5);
    }
}
