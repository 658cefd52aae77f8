-- 0001: venues, ingestion snapshots, sales with daily summaries, stays, sensors, alerts,
-- recommendations, the audit log and the change log (outbox) for sync.
--
-- Every synced table carries the same bookkeeping columns:
--   snapshot_id  the ingestion run that last wrote the row (NULL for user writes)
--   origin       who last wrote it: user, connector, pms, sensor or sync
--   hlc, node_id the hybrid logical clock stamp of the last write and the node that made it
-- Times are UTC text as written by the store; business dates are venue-local YYYY-MM-DD.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE venues (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    currency    TEXT NOT NULL,
    capacity    INTEGER NOT NULL CHECK (capacity > 0),
    snapshot_id TEXT,
    origin      TEXT NOT NULL,
    hlc         INTEGER NOT NULL,
    node_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE snapshots (
    id              TEXT PRIMARY KEY,
    venue_id        TEXT NOT NULL REFERENCES venues (id),
    connector       TEXT NOT NULL,
    correlation_id  TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    status          TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    error           TEXT,
    records_seen    INTEGER NOT NULL DEFAULT 0,
    records_written INTEGER NOT NULL DEFAULT 0,
    high_water_mark TEXT,
    cursor          TEXT,
    snapshot_id     TEXT,
    origin          TEXT NOT NULL,
    hlc             INTEGER NOT NULL,
    node_id         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX snapshots_by_connector ON snapshots (venue_id, connector, started_at);

CREATE TABLE transactions (
    id             TEXT PRIMARY KEY,
    venue_id       TEXT NOT NULL REFERENCES venues (id),
    source         TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    location_id    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('open', 'completed', 'canceled')),
    opened_at      TEXT,
    closed_at      TEXT NOT NULL,
    business_date  TEXT NOT NULL,
    currency       TEXT NOT NULL,
    total_minor    INTEGER NOT NULL,
    tax_minor      INTEGER NOT NULL,
    tip_minor      INTEGER NOT NULL,
    discount_minor INTEGER NOT NULL,
    refunded_minor   INTEGER NOT NULL,
    snapshot_id    TEXT REFERENCES snapshots (id),
    origin         TEXT NOT NULL,
    hlc            INTEGER NOT NULL,
    node_id        TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (venue_id, source, external_id)
) STRICT;
CREATE INDEX transactions_by_closed_at ON transactions (closed_at);

-- Sales per venue-local day; canceled sales do not count. New sales are added by the store's write
-- path once per batch and day (a per-row trigger cost more than the insert itself); updates and
-- deletes, which are rare, are kept exact by the triggers below.
CREATE TABLE daily_sales (
    venue_id       TEXT NOT NULL,
    business_date  TEXT NOT NULL,
    currency       TEXT NOT NULL,
    transactions   INTEGER NOT NULL,
    gross_minor    INTEGER NOT NULL,
    tax_minor      INTEGER NOT NULL,
    tip_minor      INTEGER NOT NULL,
    discount_minor INTEGER NOT NULL,
    refunded_minor   INTEGER NOT NULL,
    PRIMARY KEY (venue_id, business_date, currency)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER transactions_sales_delete AFTER DELETE ON transactions
WHEN OLD.status <> 'canceled'
BEGIN
    UPDATE daily_sales SET
        transactions = transactions - 1,
        gross_minor = gross_minor - OLD.total_minor,
        tax_minor = tax_minor - OLD.tax_minor,
        tip_minor = tip_minor - OLD.tip_minor,
        discount_minor = discount_minor - OLD.discount_minor,
        refunded_minor = refunded_minor - OLD.refunded_minor
    WHERE venue_id = OLD.venue_id AND business_date = OLD.business_date AND currency = OLD.currency;
END;

CREATE TRIGGER transactions_sales_update AFTER UPDATE ON transactions
BEGIN
    UPDATE daily_sales SET
        transactions = transactions - 1,
        gross_minor = gross_minor - OLD.total_minor,
        tax_minor = tax_minor - OLD.tax_minor,
        tip_minor = tip_minor - OLD.tip_minor,
        discount_minor = discount_minor - OLD.discount_minor,
        refunded_minor = refunded_minor - OLD.refunded_minor
    WHERE OLD.status <> 'canceled'
      AND venue_id = OLD.venue_id AND business_date = OLD.business_date AND currency = OLD.currency;
    INSERT INTO daily_sales (venue_id, business_date, currency, transactions, gross_minor, tax_minor,
                             tip_minor, discount_minor, refunded_minor)
    SELECT NEW.venue_id, NEW.business_date, NEW.currency, 1, NEW.total_minor, NEW.tax_minor,
           NEW.tip_minor, NEW.discount_minor, NEW.refunded_minor
    WHERE NEW.status <> 'canceled'
    ON CONFLICT (venue_id, business_date, currency) DO UPDATE SET
        transactions = transactions + 1,
        gross_minor = gross_minor + excluded.gross_minor,
        tax_minor = tax_minor + excluded.tax_minor,
        tip_minor = tip_minor + excluded.tip_minor,
        discount_minor = discount_minor + excluded.discount_minor,
        refunded_minor = refunded_minor + excluded.refunded_minor;
END;

-- row_no gives the search index (0002) a stable integer key; ids stay the public key.
CREATE TABLE customers (
    row_no            INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    venue_id          TEXT NOT NULL REFERENCES venues (id),
    source            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    first_name        TEXT,
    last_name         TEXT,
    email             TEXT,
    phone             TEXT,
    classifications   TEXT NOT NULL DEFAULT '[]',
    notes             TEXT,
    updated_at_source TEXT,
    snapshot_id       TEXT REFERENCES snapshots (id),
    origin            TEXT NOT NULL,
    hlc               INTEGER NOT NULL,
    node_id           TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (venue_id, source, external_id)
) STRICT;

CREATE TABLE resources (
    id                TEXT PRIMARY KEY,
    venue_id          TEXT NOT NULL REFERENCES venues (id),
    source            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    state             TEXT,
    floor             TEXT,
    updated_at_source TEXT,
    snapshot_id       TEXT REFERENCES snapshots (id),
    origin            TEXT NOT NULL,
    hlc               INTEGER NOT NULL,
    node_id           TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (venue_id, source, external_id)
) STRICT;

CREATE TABLE reservations (
    row_no            INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    venue_id          TEXT NOT NULL REFERENCES venues (id),
    source            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    number            TEXT,
    state             TEXT NOT NULL,
    start_utc         TEXT NOT NULL,
    end_utc           TEXT NOT NULL,
    customer_id       TEXT REFERENCES customers (id) ON DELETE SET NULL,
    resource_id       TEXT REFERENCES resources (id) ON DELETE SET NULL,
    person_count      INTEGER NOT NULL,
    notes             TEXT,
    updated_at_source TEXT,
    snapshot_id       TEXT REFERENCES snapshots (id),
    origin            TEXT NOT NULL,
    hlc               INTEGER NOT NULL,
    node_id           TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (venue_id, source, external_id)
) STRICT;
CREATE INDEX reservations_by_start ON reservations (venue_id, start_utc);
CREATE INDEX reservations_by_end ON reservations (venue_id, end_utc);
CREATE INDEX reservations_by_customer ON reservations (customer_id);
CREATE INDEX reservations_by_resource ON reservations (resource_id);

CREATE TABLE sensor_devices (
    id          TEXT PRIMARY KEY,
    venue_id    TEXT NOT NULL REFERENCES venues (id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    zone        TEXT,
    snapshot_id TEXT REFERENCES snapshots (id),
    origin      TEXT NOT NULL,
    hlc         INTEGER NOT NULL,
    node_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (venue_id, name)
) STRICT;

CREATE TABLE sensor_readings (
    id           TEXT PRIMARY KEY,
    venue_id     TEXT NOT NULL REFERENCES venues (id),
    device_id    TEXT NOT NULL REFERENCES sensor_devices (id),
    zone         TEXT,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    entries      INTEGER NOT NULL CHECK (entries >= 0),
    exits        INTEGER NOT NULL CHECK (exits >= 0),
    occupancy    INTEGER,
    snapshot_id  TEXT REFERENCES snapshots (id),
    origin       TEXT NOT NULL,
    hlc          INTEGER NOT NULL,
    node_id      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (device_id, period_start)
) STRICT;
CREATE INDEX sensor_readings_by_period ON sensor_readings (venue_id, period_start);

CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    venue_id        TEXT NOT NULL REFERENCES venues (id),
    rule            TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    opened_at       TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    resolved_at     TEXT,
    snapshot_id     TEXT,
    origin          TEXT NOT NULL,
    hlc             INTEGER NOT NULL,
    node_id         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
-- At most one unresolved alert per condition.
CREATE UNIQUE INDEX alerts_one_active_per_condition ON alerts (venue_id, dedupe_key) WHERE state <> 'resolved';

CREATE TABLE recommendations (
    id          TEXT PRIMARY KEY,
    venue_id    TEXT NOT NULL REFERENCES venues (id),
    kind        TEXT NOT NULL,
    for_date    TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    snapshot_id TEXT,
    origin      TEXT NOT NULL,
    hlc         INTEGER NOT NULL,
    node_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    venue_id    TEXT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT,
    entity_id   TEXT,
    before      TEXT,
    after       TEXT,
    snapshot_id TEXT,
    origin      TEXT NOT NULL,
    hlc         INTEGER NOT NULL,
    node_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_by_time ON audit_log (at);

-- The outbox: one row per local write, in the same transaction as the write. It names the row
-- and the clock stamp; a push reads the row's current state, so a row written twice before a push
-- travels once, and the log stays small (the write path's cost matters at ingest rates).
-- seq is the local order and the push cursor; (node id, seq) identifies a change everywhere.
-- Changes applied from sync are never captured, which the CHECK makes impossible to get wrong.
CREATE TABLE change_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    hlc       INTEGER NOT NULL,
    origin    TEXT NOT NULL CHECK (origin IN ('user', 'connector', 'pms', 'sensor')),
    -- The row as it was, for deletes only (the row itself is gone by push time).
    tombstone TEXT
) STRICT;

-- How far each sync peer has acknowledged our change log.
CREATE TABLE sync_peers (
    peer           TEXT PRIMARY KEY,
    acked_seq      INTEGER NOT NULL DEFAULT 0,
    last_synced_at TEXT
) STRICT;

-- Remote changes already applied (exactly-once on the receiving side).
CREATE TABLE applied_changes (
    change_id  TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Remote changes that lost to a newer local write: kept, never silently dropped.
CREATE TABLE sync_conflicts (
    id           TEXT PRIMARY KEY,
    change_id    TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    remote       TEXT NOT NULL,
    remote_hlc   INTEGER NOT NULL,
    remote_node  TEXT NOT NULL,
    local_hlc    INTEGER NOT NULL,
    local_node   TEXT NOT NULL,
    detected_at  TEXT NOT NULL
) STRICT;
