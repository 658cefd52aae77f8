-- 0010: managers' desktop notifications for alerts: each staff account's preferences, and which
-- alerts were shown to whom and when (so an alert is shown at most once per cool-down).
--
-- Local only, like staff (0007): a desktop notification is shown by the console on this machine
-- to the account last signed in here, so neither table has sync bookkeeping columns and their
-- writes put no rows in the change log. Changing preferences is audited (audit_log syncs).

CREATE TABLE notification_prefs (
    staff_id     TEXT PRIMARY KEY REFERENCES staff (id),
    venue_id     TEXT NOT NULL REFERENCES venues (id),
    enabled      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    min_severity TEXT NOT NULL CHECK (min_severity IN ('info', 'warning', 'critical')),
    -- Venue-local "HH:MM"; both set (the range may wrap midnight: 22:00 to 07:00) or both NULL.
    quiet_start  TEXT CHECK (quiet_start IS NULL OR quiet_start GLOB '[0-2][0-9]:[0-5][0-9]'),
    quiet_end    TEXT CHECK (quiet_end IS NULL OR quiet_end GLOB '[0-2][0-9]:[0-5][0-9]'),
    updated_at   TEXT NOT NULL,
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
) STRICT;

-- One row per notification shown. No foreign key to alerts: alerts are synced rows this local
-- bookkeeping must never hold back.
CREATE TABLE notifications_sent (
    alert_id TEXT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES staff (id),
    sent_at  TEXT NOT NULL,
    reminder INTEGER NOT NULL CHECK (reminder IN (0, 1)),
    PRIMARY KEY (alert_id, staff_id, sent_at)
) STRICT;
CREATE INDEX notifications_sent_by_staff ON notifications_sent (staff_id, alert_id);
