-- 0004: the PMS mirror and write-back: services, front-desk notes (local-only fields that PMS
-- updates never touch), charges posted to stays (an outbox with its own state), and each PMS
-- connection's socket state. Rooms' housekeeping state already lives in resources.state.

CREATE TABLE services (
    id                TEXT PRIMARY KEY,
    venue_id          TEXT NOT NULL REFERENCES venues (id),
    source            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    active            INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_at_source TEXT,
    snapshot_id       TEXT REFERENCES snapshots (id),
    origin            TEXT NOT NULL,
    hlc               INTEGER NOT NULL,
    node_id           TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (venue_id, source, external_id)
) STRICT;

-- One note per reservation, written by staff; synced like any other row.
CREATE TABLE desk_notes (
    id             TEXT PRIMARY KEY,
    venue_id       TEXT NOT NULL REFERENCES venues (id),
    reservation_id TEXT NOT NULL UNIQUE REFERENCES reservations (id) ON DELETE CASCADE,
    text           TEXT NOT NULL,
    written_by     TEXT NOT NULL,
    written_at     TEXT NOT NULL,
    snapshot_id    TEXT,
    origin         TEXT NOT NULL,
    hlc            INTEGER NOT NULL,
    node_id        TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

-- A charge is recorded here first (pending) and sent when the PMS can be reached; its id is
-- the idempotency key that travels with it, so it is posted exactly once.
CREATE TABLE pms_charges (
    id                      TEXT PRIMARY KEY,
    venue_id                TEXT NOT NULL REFERENCES venues (id),
    source                  TEXT NOT NULL,
    reservation_id          TEXT NOT NULL REFERENCES reservations (id),
    reservation_external_id TEXT NOT NULL,
    item                    TEXT NOT NULL CHECK (length(item) > 0),
    amount_minor            INTEGER NOT NULL CHECK (amount_minor > 0),
    currency                TEXT NOT NULL,
    state                   TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts                INTEGER NOT NULL DEFAULT 0,
    last_error              TEXT,
    external_order_id       TEXT,
    requested_by            TEXT NOT NULL,
    requested_at            TEXT NOT NULL,
    sent_at                 TEXT,
    snapshot_id             TEXT,
    origin                  TEXT NOT NULL,
    hlc                     INTEGER NOT NULL,
    node_id                 TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
) STRICT;
CREATE INDEX pms_charges_pending ON pms_charges (venue_id, state) WHERE state = 'pending';
CREATE INDEX pms_charges_by_reservation ON pms_charges (reservation_id);

CREATE INDEX reservations_by_updated_source ON reservations (venue_id, source, updated_at_source);
