-- 0006: each sensor's polling state, kept between runs so a restart neither double-counts nor
-- forgets an outage: the last counter sample (deltas continue from it, and a gap to it is
-- backfilled from the device's history), availability, and whether its credentials were refused.
-- Local operational state: not synced.
CREATE TABLE sensor_state (
    venue_id          TEXT NOT NULL REFERENCES venues (id),
    device            TEXT NOT NULL,
    last_sample       TEXT,
    occupancy         INTEGER,
    status            TEXT NOT NULL CHECK (status IN ('online', 'offline', 'auth_failed', 'unknown')),
    failures          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    status_since      TEXT,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (venue_id, device)
) STRICT;
