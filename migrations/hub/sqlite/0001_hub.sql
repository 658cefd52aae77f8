-- The hub's schema on SQLite (embedded, one writer). Ids are 16-byte UUID blobs, times are
-- milliseconds since the Unix epoch (UTC), so they sort and compare as integers.

CREATE TABLE hub_orgs (
    id         BLOB PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE hub_venues (
    id         BLOB PRIMARY KEY NOT NULL,
    org_id     BLOB NOT NULL REFERENCES hub_orgs (id),
    name       TEXT NOT NULL,
    timezone   TEXT NOT NULL,
    currency   TEXT NOT NULL,
    capacity   INTEGER,
    -- The next change's seq in this venue's log: bumped by each push, under the write lock.
    next_seq   INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE INDEX hub_venues_org ON hub_venues (org_id);

-- One-time codes, by hash only: a code is shown once and never stored.
CREATE TABLE hub_enrollments (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    venue_id   BLOB NOT NULL REFERENCES hub_venues (id),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE hub_devices (
    id           BLOB PRIMARY KEY NOT NULL,
    venue_id     BLOB NOT NULL REFERENCES hub_venues (id),
    org_id       BLOB NOT NULL REFERENCES hub_orgs (id),
    node_id      BLOB NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_seen_at INTEGER
);
CREATE INDEX hub_devices_org ON hub_devices (org_id, created_at);

CREATE TABLE hub_managers (
    id            BLOB PRIMARY KEY NOT NULL,
    org_id        BLOB NOT NULL REFERENCES hub_orgs (id),
    -- Stored trimmed and lower-cased: one manager per address, however it is typed.
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    all_venues    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE hub_manager_venues (
    manager_id BLOB NOT NULL REFERENCES hub_managers (id),
    venue_id   BLOB NOT NULL REFERENCES hub_venues (id),
    PRIMARY KEY (manager_id, venue_id)
) WITHOUT ROWID;

-- The append-only change log. A change id is unique within its venue only, so no venue can
-- pre-empt another's ids; pulls follow (venue_id, seq).
CREATE TABLE hub_changes (
    venue_id    BLOB NOT NULL REFERENCES hub_venues (id),
    seq         INTEGER NOT NULL,
    change_id   BLOB NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   BLOB NOT NULL,
    node_id     BLOB NOT NULL,
    hlc         INTEGER NOT NULL,
    down        INTEGER NOT NULL,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (venue_id, seq),
    UNIQUE (venue_id, change_id)
) WITHOUT ROWID;

-- Each row's newest change by (hlc, node): what a new change is classified against.
CREATE TABLE hub_row_heads (
    venue_id  BLOB NOT NULL REFERENCES hub_venues (id),
    entity    TEXT NOT NULL,
    entity_id BLOB NOT NULL,
    hlc       INTEGER NOT NULL,
    node_id   BLOB NOT NULL,
    change_id BLOB NOT NULL,
    PRIMARY KEY (venue_id, entity, entity_id)
) WITHOUT ROWID;

-- The losers: changes stored in the log that were not newer than their row's head.
CREATE TABLE hub_conflicts (
    venue_id     BLOB NOT NULL REFERENCES hub_venues (id),
    change_id    BLOB NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    BLOB NOT NULL,
    hlc          INTEGER NOT NULL,
    node_id      BLOB NOT NULL,
    head_hlc     INTEGER NOT NULL,
    head_node_id BLOB NOT NULL,
    recorded_at  INTEGER NOT NULL,
    PRIMARY KEY (venue_id, change_id)
) WITHOUT ROWID;
