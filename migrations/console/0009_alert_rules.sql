-- 0009: custom alert rules made in the app (rules from venue.toml stay in the file). The rule is
-- kept as the engine's own JSON so the store does not depend on the rule model.
-- Local configuration: not synced.
CREATE TABLE alert_rules (
    venue_id   TEXT NOT NULL REFERENCES venues (id),
    id         TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (venue_id, id)
) STRICT;
-- The engine's lookups: a rule's unresolved alerts, and a condition's last resolution.
CREATE INDEX alerts_by_rule ON alerts (venue_id, rule, state);
CREATE INDEX alerts_by_dedupe_key ON alerts (venue_id, dedupe_key, resolved_at);
