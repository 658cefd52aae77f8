-- The hub's schema on PostgreSQL. Several hub processes may share it: a venue's pushes are
-- serialised by its hub_venues row (next_seq), and row-level security walls each venue's rows
-- off from every other's. The hub must connect as an ordinary role (not a superuser, not
-- BYPASSRLS): those skip row-level security entirely.

CREATE TABLE hub_orgs (
    id         uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE hub_venues (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES hub_orgs (id),
    name       text NOT NULL,
    timezone   text NOT NULL,
    currency   text NOT NULL,
    capacity   bigint,
    -- The next change's seq in this venue's log. A push bumps it first: the row lock then
    -- holds the venue's other pushes until commit, so seq N+1 is never visible before N.
    next_seq   bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL
);
CREATE INDEX hub_venues_org ON hub_venues (org_id);

CREATE TABLE hub_enrollments (
    code_hash  text PRIMARY KEY,
    venue_id   uuid NOT NULL REFERENCES hub_venues (id),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL
);

CREATE TABLE hub_devices (
    id           uuid PRIMARY KEY,
    venue_id     uuid NOT NULL REFERENCES hub_venues (id),
    org_id       uuid NOT NULL REFERENCES hub_orgs (id),
    node_id      uuid NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_seen_at timestamptz
);
CREATE INDEX hub_devices_org ON hub_devices (org_id, created_at);

CREATE TABLE hub_managers (
    id            uuid PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES hub_orgs (id),
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    all_venues    boolean NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE hub_manager_venues (
    manager_id uuid NOT NULL REFERENCES hub_managers (id),
    venue_id   uuid NOT NULL REFERENCES hub_venues (id),
    PRIMARY KEY (manager_id, venue_id)
);

CREATE TABLE hub_changes (
    venue_id    uuid NOT NULL REFERENCES hub_venues (id),
    seq         bigint NOT NULL,
    change_id   uuid NOT NULL,
    entity      text NOT NULL,
    entity_id   uuid NOT NULL,
    node_id     uuid NOT NULL,
    hlc         bigint NOT NULL,
    down        boolean NOT NULL,
    -- Text, not jsonb: the body goes back down exactly as it came up.
    body        text NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (venue_id, seq),
    UNIQUE (venue_id, change_id)
);

CREATE TABLE hub_row_heads (
    venue_id  uuid NOT NULL REFERENCES hub_venues (id),
    entity    text NOT NULL,
    entity_id uuid NOT NULL,
    hlc       bigint NOT NULL,
    node_id   uuid NOT NULL,
    change_id uuid NOT NULL,
    PRIMARY KEY (venue_id, entity, entity_id)
);

CREATE TABLE hub_conflicts (
    venue_id     uuid NOT NULL REFERENCES hub_venues (id),
    change_id    uuid NOT NULL,
    entity       text NOT NULL,
    entity_id    uuid NOT NULL,
    hlc          bigint NOT NULL,
    node_id      uuid NOT NULL,
    head_hlc     bigint NOT NULL,
    head_node_id uuid NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (venue_id, change_id)
);

-- Row-level security, the second wall behind the hub's own venue filters. A scoped
-- transaction names the venues it may touch with set_config('hub.venue_ids', 'id,id', true);
-- the org-wide admin operations (redeeming a code by its hash, finding a device by its token,
-- listing and revoking devices) set hub.admin = 'on' for their transaction instead. With
-- neither set, a query sees no row and may write none. FORCE makes the tables' owner (the
-- hub's role, which ran this migration) obey the policies too.
CREATE FUNCTION hub_venue_visible(venue uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('hub.admin', true), '') = 'on'
        OR venue = ANY (string_to_array(nullif(current_setting('hub.venue_ids', true), ''), ',')::uuid[])
$$;

ALTER TABLE hub_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY hub_changes_venue ON hub_changes
    USING (hub_venue_visible(venue_id)) WITH CHECK (hub_venue_visible(venue_id));

ALTER TABLE hub_row_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub_row_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY hub_row_heads_venue ON hub_row_heads
    USING (hub_venue_visible(venue_id)) WITH CHECK (hub_venue_visible(venue_id));

ALTER TABLE hub_conflicts ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub_conflicts FORCE ROW LEVEL SECURITY;
CREATE POLICY hub_conflicts_venue ON hub_conflicts
    USING (hub_venue_visible(venue_id)) WITH CHECK (hub_venue_visible(venue_id));

ALTER TABLE hub_devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub_devices FORCE ROW LEVEL SECURITY;
CREATE POLICY hub_devices_venue ON hub_devices
    USING (hub_venue_visible(venue_id)) WITH CHECK (hub_venue_visible(venue_id));

ALTER TABLE hub_enrollments ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub_enrollments FORCE ROW LEVEL SECURITY;
CREATE POLICY hub_enrollments_venue ON hub_enrollments
    USING (hub_venue_visible(venue_id)) WITH CHECK (hub_venue_visible(venue_id));
