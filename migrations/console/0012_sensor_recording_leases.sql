-- 0012: one recorder per door counter at a time. A door's counts are cumulative and each process
-- turns them into readings from the last sample it knows: two processes recording the same door
-- at once (`venue run` and a `venue sensors poll --once`) each counted the same people (found by
-- the many-writers test: 507 counted for 408 walked in). The process that holds a door's lease
-- records it; any other one polls it for its status but counts nothing, and a process that takes
-- the lease over starts from the last sample stored by the one before.
--
-- Local bookkeeping like 0011's claims: no sync columns, never change-logged, never synced.
CREATE TABLE sensor_recording_leases (
    venue_id   TEXT NOT NULL,
    device     TEXT NOT NULL,
    holder     TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    pid_ns     TEXT,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (venue_id, device)
) STRICT;
