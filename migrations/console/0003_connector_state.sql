-- 0003: each connector's circuit breaker and request metrics, kept between runs and processes so
-- `venue status` (and the app) show them and a restart does not forget an open breaker.
-- Local operational state: not synced.
CREATE TABLE connector_state (
    venue_id   TEXT NOT NULL REFERENCES venues (id),
    connector  TEXT NOT NULL,
    breaker    TEXT NOT NULL,
    metrics    TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (venue_id, connector)
) STRICT;
