-- 0014: the names of POS locations (Square locations, Toast restaurants) as their vendors or the
-- venue's config give them, read with each fetch, so sales by location show "Grant Park" rather
-- than "18YC4JDH91E1H". Venue data like the sales that name them, keyed like them by (venue,
-- source, external id), with the same bookkeeping columns so that sync can carry them.
CREATE TABLE locations (
    id          TEXT PRIMARY KEY,
    venue_id    TEXT NOT NULL REFERENCES venues (id),
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name        TEXT NOT NULL CHECK (length(name) > 0),
    snapshot_id TEXT REFERENCES snapshots (id),
    origin      TEXT NOT NULL,
    hlc         INTEGER NOT NULL,
    node_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (venue_id, source, external_id)
) STRICT;
