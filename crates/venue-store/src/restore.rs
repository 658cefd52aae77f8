//! A console rebuilt from its hub (`venue hub restore`): the venue taken as the hub knows it
//! without a change of this console's own, and a marker kept until the last page is applied, so
//! a restore cut short carries on where it stopped (the pull cursor is saved with each page).

use crate::hub_state::{URL, VENUE};
use crate::record::WriteContext;
use crate::write::{now_text, Stamped, Upsert, UpsertRule};
use crate::{Result, Store, StoreError};
use rusqlite::{OptionalExtension, TransactionBehavior};
use uuid::Uuid;
use venue_domain::{Origin, Venue};

/// Set while a restore runs: the hub's address it restores from.
const RESTORING: &str = "hub.restoring";

impl Store {
    /// Starts restoring `venue` from the hub at `url` into this store, which must hold no venue.
    /// The venue row is the hub's settings stamped as the oldest possible change (stamp 0, no
    /// console) and never change-logged: the venue's own changes, pulled next, replace it, and
    /// this console never sends a venue change that would override theirs.
    pub fn begin_restore(&mut self, url: &str, venue: &Venue) -> Result<()> {
        if let Some(existing) = self.venue()? {
            return Err(StoreError::Invalid(format!(
                "this store already holds the venue {:?}",
                existing.name
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_text();
        let stamp = Stamped {
            snapshot_id: None,
            origin: Origin::Sync,
            hlc: 0,
            node: Uuid::nil(),
            now: &now,
        };
        Upsert::prepare::<Venue>(&tx, UpsertRule::WhenNewer)?.run(
            &WriteContext { venue: None },
            venue,
            &stamp,
        )?;
        for (key, value) in [
            (URL, url.to_string()),
            (VENUE, venue.id.to_string()),
            (RESTORING, url.to_string()),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The hub a restore into this store started from and has not finished, if any.
    pub fn restoring_from(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [RESTORING], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The restore applied its last page: from now on this is an ordinary joined console.
    pub fn finish_restore(&mut self) -> Result<()> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [RESTORING])?;
        Ok(())
    }

    /// Pending room charges taken on other consoles (their last writer is another node), by
    /// node: those consoles post them, and only they; a console that died leaves its own here.
    pub fn pending_charges_elsewhere(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT node_id, count(*) FROM pms_charges
             WHERE state = 'pending' AND node_id <> ?1 GROUP BY node_id ORDER BY node_id",
        )?;
        let rows = stmt.query_map([self.node.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (node, n) = row?;
            out.push((node, u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }
}
