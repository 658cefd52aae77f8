-- 0007: staff accounts for the desktop app's PIN sign-in, and the console's sign-in lock-out.
--
-- Local only, on purpose: these tables have no sync bookkeeping columns and their writes put no
-- rows in the change log, so a PIN hash never leaves this machine. Staff actions are still
-- audited (audit_log, which syncs) with the account's id, name and role, never a PIN or a hash.
-- When accounts are shared through the hub later, that sync gets its own design (hashes stay
-- local; each console enrols its PINs).

CREATE TABLE staff (
    id              TEXT PRIMARY KEY,
    venue_id        TEXT NOT NULL REFERENCES venues (id),
    name            TEXT NOT NULL CHECK (length(trim(name)) > 0),
    -- The name folded for comparison (Unicode lower case, inner spaces collapsed), computed by
    -- the store: names are unique per venue whatever their case.
    name_key        TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('staff', 'manager', 'admin')),
    -- A PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash); the PIN itself is never stored.
    pin_hash        TEXT NOT NULL CHECK (pin_hash LIKE '$argon2id$%'),
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_sign_in_at TEXT,
    UNIQUE (venue_id, name_key)
) STRICT;

-- Wrong PINs in a row at this console (sign-in is by PIN alone, so a wrong PIN names no account:
-- the count is the console's). Five in a row pause sign-in until locked_until. Kept in the
-- database so restarting the app does not reset it.
CREATE TABLE sign_in_guard (
    venue_id        TEXT PRIMARY KEY REFERENCES venues (id),
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    TEXT,
    updated_at      TEXT NOT NULL
) STRICT;
