-- 0013: the sync contract (see venue_domain::sync and the README's sync table).
--
-- The change log names its venue (a hub keeps many venues' changes apart by it). Rows written
-- before this migration belong to the console's one venue.
ALTER TABLE change_log ADD COLUMN venue_id TEXT;
UPDATE change_log SET venue_id = (SELECT id FROM venues ORDER BY created_at, id LIMIT 1);

-- Guests' email and phone stay on the console unless the venue shares them.
ALTER TABLE venues ADD COLUMN share_guest_contacts INTEGER NOT NULL DEFAULT 0 CHECK (share_guest_contacts IN (0, 1));

-- The hub's acknowledgement: the highest change (by seq) it holds, and that change's stamp, so a
-- row still pending here (written by this node after the acknowledged stamp) is told apart from
-- one the hub already has without reading the log. The pull cursor is saved with each page.
ALTER TABLE sync_peers ADD COLUMN acked_hlc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_peers ADD COLUMN pull_cursor TEXT;

-- Conflicts now keep either loser: a remote change older than the row here, or a local edit
-- that a newer remote change replaced before it was pushed (its state is kept in `local`).
ALTER TABLE sync_conflicts ADD COLUMN loser TEXT NOT NULL DEFAULT 'remote' CHECK (loser IN ('remote', 'local'));
ALTER TABLE sync_conflicts ADD COLUMN local TEXT;

-- Changes that could not be applied (or that the hub refused), each with its reason: parked, so
-- they never block the changes after them, and kept for someone to look at.
CREATE TABLE sync_parked (
    change_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    entity    TEXT,
    entity_id TEXT,
    body      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    parked_at TEXT NOT NULL,
    PRIMARY KEY (change_id, direction)
) STRICT;

-- Rows deleted by a synced delete, with the delete's stamp: an older upsert arriving later must
-- not bring the row back.
CREATE TABLE sync_tombstones (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    hlc       INTEGER NOT NULL,
    node_id   TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
) STRICT, WITHOUT ROWID;

-- Two consoles can each open an alert for one condition before they sync. Both rows are kept
-- (each is a console's record) and the screens show a condition once; acknowledging or
-- resolving it does so for every row of the condition. The engine's own check, inside its
-- write transaction, still opens at most one per condition on a console.
DROP INDEX alerts_one_active_per_condition;
CREATE INDEX alerts_by_condition ON alerts (venue_id, dedupe_key, state);

-- Ids of things two consoles can record on their own are derived from what the thing is
-- (venue_domain::natural), so both give it one id. Rows from before get their derived ids here;
-- `natural_id` is the store's SQL function over the same Rust code the write path uses.
PRAGMA defer_foreign_keys = ON;

UPDATE transactions
SET id = natural_id('transaction', venue_id, source, external_id);

CREATE TEMP TABLE rekeyed_devices AS
SELECT id AS old_id, natural_id('sensor_device', venue_id, name) AS new_id FROM sensor_devices;
UPDATE sensor_devices
SET id = (SELECT new_id FROM rekeyed_devices WHERE old_id = sensor_devices.id);
UPDATE sensor_readings
SET device_id = (SELECT new_id FROM rekeyed_devices WHERE old_id = sensor_readings.device_id);
UPDATE sensor_rollups
SET device_id = (SELECT new_id FROM rekeyed_devices WHERE old_id = sensor_rollups.device_id)
WHERE device_id IN (SELECT old_id FROM rekeyed_devices);
DROP TABLE rekeyed_devices;

UPDATE sensor_readings
SET id = natural_id('sensor_reading', device_id, period_start);

CREATE TEMP TABLE rekeyed_notes AS
SELECT id AS old_id, natural_id('desk_note', reservation_id) AS new_id FROM desk_notes;
UPDATE desk_notes
SET id = (SELECT new_id FROM rekeyed_notes WHERE old_id = desk_notes.id);
UPDATE audit_log
SET entity_id = (SELECT new_id FROM rekeyed_notes WHERE old_id = audit_log.entity_id)
WHERE entity = 'desk_note' AND entity_id IN (SELECT old_id FROM rekeyed_notes);
DROP TABLE rekeyed_notes;

CREATE TEMP TABLE rekeyed_alerts AS
SELECT id AS old_id, natural_id('alert', venue_id, dedupe_key, opened_at) AS new_id FROM alerts;
UPDATE alerts
SET id = (SELECT new_id FROM rekeyed_alerts WHERE old_id = alerts.id);
UPDATE notifications_sent
SET alert_id = (SELECT new_id FROM rekeyed_alerts WHERE old_id = notifications_sent.alert_id)
WHERE alert_id IN (SELECT old_id FROM rekeyed_alerts);
UPDATE audit_log
SET entity_id = (SELECT new_id FROM rekeyed_alerts WHERE old_id = audit_log.entity_id)
WHERE entity = 'alert' AND entity_id IN (SELECT old_id FROM rekeyed_alerts);
DROP TABLE rekeyed_alerts;

-- The change log names rows by id, and nothing has been synced before this version: it is
-- rebuilt as one change per row in stamp order, so its order (seq) and its stamps agree, which
-- the hub's acknowledgement relies on.
DELETE FROM change_log;
INSERT INTO change_log (entity, entity_id, op, hlc, origin, venue_id)
SELECT * FROM (
SELECT 'venue', id, 'upsert', hlc, origin, id FROM venues WHERE origin <> 'sync'
UNION ALL
SELECT 'snapshot', id, 'upsert', hlc, origin, venue_id FROM snapshots WHERE origin <> 'sync'
UNION ALL
SELECT 'transaction', id, 'upsert', hlc, origin, venue_id FROM transactions WHERE origin <> 'sync'
UNION ALL
SELECT 'customer', id, 'upsert', hlc, origin, venue_id FROM customers WHERE origin <> 'sync'
UNION ALL
SELECT 'resource', id, 'upsert', hlc, origin, venue_id FROM resources WHERE origin <> 'sync'
UNION ALL
SELECT 'service', id, 'upsert', hlc, origin, venue_id FROM services WHERE origin <> 'sync'
UNION ALL
SELECT 'reservation', id, 'upsert', hlc, origin, venue_id FROM reservations WHERE origin <> 'sync'
UNION ALL
SELECT 'desk_note', id, 'upsert', hlc, origin, venue_id FROM desk_notes WHERE origin <> 'sync'
UNION ALL
SELECT 'pms_charge', id, 'upsert', hlc, origin, venue_id FROM pms_charges WHERE origin <> 'sync'
UNION ALL
SELECT 'sensor_device', id, 'upsert', hlc, origin, venue_id FROM sensor_devices WHERE origin <> 'sync'
UNION ALL
SELECT 'sensor_reading', id, 'upsert', hlc, origin, venue_id FROM sensor_readings WHERE origin <> 'sync'
UNION ALL
SELECT 'alert', id, 'upsert', hlc, origin, venue_id FROM alerts WHERE origin <> 'sync'
UNION ALL
SELECT 'recommendation', id, 'upsert', hlc, origin, venue_id FROM recommendations WHERE origin <> 'sync'
UNION ALL
SELECT 'audit', id, 'upsert', hlc, origin, venue_id FROM audit_log WHERE origin <> 'sync'
) ORDER BY hlc;
