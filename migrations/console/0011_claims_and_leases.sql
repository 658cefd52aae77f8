-- 0011: who is working on what right now, so several senders (processes, the app's screens and
-- its background loop) never do the same work twice, and a run is closed as interrupted only when
-- its owner is really gone.
--
-- Local bookkeeping, like staff (0007): these rows say what this machine's processes are doing,
-- so they have no sync columns, their writes put nothing in the change log and a claim never
-- travels to another console. No foreign keys to the synced rows they name (charges, snapshots),
-- which this bookkeeping must never hold back.

-- Each row names its holder's process (`pid`, and on Linux `pid_ns`, its pid namespace), so a
-- holder that is certainly gone (killed, crashed) is known at once rather than when its lease
-- lapses; where that cannot be known for certain, the lease decides.

-- A charge being sent. One sender at a time holds it; `expires_at` (Unix ms) is longer than one
-- send may take, so a live sender is never overtaken, and a crashed sender's claim lapses.
CREATE TABLE pms_charge_claims (
    charge_id  TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    pid_ns     TEXT,
    claimed_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- A snapshot still "running" whose owner is alive: the owner renews `expires_at` (Unix ms) while
-- it works; a running snapshot without a live lease belongs to a process that stopped.
CREATE TABLE run_leases (
    snapshot_id TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    pid_ns      TEXT,
    expires_at  INTEGER NOT NULL
) STRICT;

-- A run that ends (ok, partial, failed) needs its lease no more, whoever ended it.
CREATE TRIGGER run_leases_end AFTER UPDATE OF status ON snapshots
WHEN NEW.status != 'running'
BEGIN
    DELETE FROM run_leases WHERE snapshot_id = NEW.id;
END;
