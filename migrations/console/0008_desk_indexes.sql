-- 0008: indexes behind the desktop console's screens, so each reads in milliseconds however
-- much history the store holds (no table that grows with history is scanned).

-- The Today and Sales screens: a venue's sales of a period.
CREATE INDEX transactions_by_venue_closed_at ON transactions (venue_id, closed_at);

-- Staff quote a reservation by our id, the PMS's id or its confirmation number.
CREATE INDEX reservations_by_number ON reservations (venue_id, number);
CREATE INDEX reservations_by_external_id ON reservations (venue_id, external_id);

-- Connections: the newest runs across connectors.
CREATE INDEX snapshots_by_started_at ON snapshots (venue_id, started_at);

-- The PMS card: charges that failed for good (pending ones have their own index).
CREATE INDEX pms_charges_failed ON pms_charges (venue_id, state) WHERE state = 'failed';

-- Alerts: resolved ones, newest first (unresolved ones have their own index).
CREATE INDEX alerts_by_opened_at ON alerts (venue_id, opened_at);
