//! POS locations' names (table `locations`, migration 0014), written with each fetch and read
//! beside the sales that name them. They sync like the sales that name them.

use crate::Result;
use crate::Store;
use uuid::Uuid;
use venue_domain::{Location, Origin};

impl Store {
    /// Saves location names in one transaction (new ones inserted, renamed ones updated);
    /// returns how many rows changed.
    pub fn save_locations(
        &mut self,
        origin: Origin,
        snapshot_id: Option<Uuid>,
        locations: &[Location],
    ) -> Result<u64> {
        Ok(self.ingest(origin, snapshot_id, locations)?.written())
    }

    /// The venue's locations, by source and id.
    pub fn locations(&self, venue_id: Uuid) -> Result<Vec<Location>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, venue_id, source, external_id, name FROM locations
             WHERE venue_id = ?1 ORDER BY source, external_id",
        )?;
        let rows = stmt.query_map(rusqlite::params![venue_id.to_string()], |r| {
            Ok(Location {
                id: crate::record::get_id(r, 0)?,
                venue_id: crate::record::get_id(r, 1)?,
                source: r.get(2)?,
                external_id: r.get(3)?,
                name: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use venue_domain::Venue;

    fn store_with_venue() -> (tempfile::TempDir, Store, Venue) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join(crate::DB_FILE)).expect("open");
        let venue = Venue::new("Harbour", "Europe/London", "GBP", 80).expect("venue");
        store
            .ingest(Origin::User, None, std::slice::from_ref(&venue))
            .expect("venue saved");
        (dir, store, venue)
    }

    fn stamps(store: &Store, id: Uuid) -> (i64, String) {
        store
            .conn
            .query_row(
                "SELECT hlc, updated_at FROM locations WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("row")
    }

    #[test]
    fn names_are_inserted_renamed_and_left_alone_when_unchanged() {
        let (_dir, mut store, venue) = store_with_venue();
        let park = Location::new(venue.id, "sq", "L1", "Grant Park").expect("valid");
        let bar = Location::new(venue.id, "toast", "G-1", "Harbour Bar").expect("valid");
        let saved = store
            .save_locations(Origin::Connector, None, &[park.clone(), bar.clone()])
            .expect("saved");
        assert_eq!(saved, 2);
        assert_eq!(
            store.locations(venue.id).expect("read"),
            vec![park.clone(), bar]
        );

        let before = stamps(&store, park.id);
        assert_eq!(
            store
                .save_locations(Origin::Connector, None, std::slice::from_ref(&park))
                .expect("again"),
            0
        );
        assert_eq!(
            stamps(&store, park.id),
            before,
            "an unchanged name keeps its stamps"
        );

        let renamed = Location::new(venue.id, "sq", "L1", "Grant Park West").expect("valid");
        assert_eq!(
            store
                .save_locations(Origin::Connector, None, std::slice::from_ref(&renamed))
                .expect("renamed"),
            1
        );
        let after = stamps(&store, park.id);
        assert!(after.0 > before.0, "a rename is stamped later");
        let names: Vec<String> = store
            .locations(venue.id)
            .expect("read")
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(names, ["Grant Park West", "Harbour Bar"]);
        assert!(store
            .save_locations(Origin::Sync, None, std::slice::from_ref(&renamed))
            .is_err());
    }
}
