-- 0005: sensor rollups per device at minute, 15-minute, hour and venue-local day resolution,
-- kept exact by triggers as readings are written or corrected. Raw readings can be pruned
-- (retention) without touching the rollups: there is deliberately no delete trigger.
-- Readings get their venue-local day from the write path (SQLite knows no time zones).

ALTER TABLE sensor_readings ADD COLUMN local_date TEXT;

-- Stored in (venue, resolution, bucket) order: a dashboard range is one contiguous scan.
CREATE TABLE sensor_rollups (
    venue_id          TEXT NOT NULL,
    -- seconds per bucket: 60, 900, 3600; 86400 buckets are venue-local days
    resolution        INTEGER NOT NULL CHECK (resolution IN (60, 900, 3600, 86400)),
    -- UTC 'YYYY-MM-DD HH:MM:SS' bucket start, or the local 'YYYY-MM-DD' for days
    bucket            TEXT NOT NULL,
    device_id         TEXT NOT NULL,
    zone              TEXT,
    entries           INTEGER NOT NULL,
    exits             INTEGER NOT NULL,
    readings          INTEGER NOT NULL,
    occupancy_max     INTEGER,
    occupancy_last    INTEGER,
    occupancy_last_at TEXT,
    PRIMARY KEY (venue_id, resolution, bucket, device_id)
) STRICT, WITHOUT ROWID;

-- The same per zone: what dashboards read. Every door of a zone reports the zone's occupancy,
-- so a zone's occupancy at the end of a bucket is its latest reading's; the venue's is the sum
-- over zones. Kept at write time so a year by day is a plain sum over a few thousand rows.
CREATE TABLE sensor_zone_rollups (
    venue_id          TEXT NOT NULL,
    resolution        INTEGER NOT NULL CHECK (resolution IN (60, 900, 3600, 86400)),
    bucket            TEXT NOT NULL,
    zone              TEXT NOT NULL,
    entries           INTEGER NOT NULL,
    exits             INTEGER NOT NULL,
    occupancy_max     INTEGER,
    occupancy_last    INTEGER,
    occupancy_last_at TEXT,
    PRIMARY KEY (venue_id, resolution, bucket, zone)
) STRICT, WITHOUT ROWID;

-- The bucket of a reading is the one its period ends in (minus a hair, so a reading ending
-- exactly on a boundary belongs to the bucket before it).
CREATE VIEW sensor_reading_buckets AS
SELECT r.rowid AS reading_rowid, r.device_id, r.venue_id, r.zone, r.entries, r.exits, r.occupancy,
       r.period_end, b.resolution,
       CASE b.resolution
           WHEN 86400 THEN coalesce(r.local_date, date(r.period_end, '-0.001 seconds'))
           ELSE datetime((CAST(strftime('%s', r.period_end, '-0.001 seconds') AS INTEGER) / b.resolution) * b.resolution, 'unixepoch')
       END AS bucket
FROM sensor_readings r
CROSS JOIN (SELECT 60 AS resolution UNION ALL SELECT 900 UNION ALL SELECT 3600 UNION ALL SELECT 86400) b;

INSERT INTO sensor_rollups (device_id, resolution, bucket, venue_id, zone, entries, exits, readings,
                            occupancy_max, occupancy_last, occupancy_last_at)
SELECT device_id, resolution, bucket, venue_id, max(zone), sum(entries), sum(exits), count(*),
       max(occupancy),
       (SELECT x.occupancy FROM sensor_reading_buckets x
         WHERE x.device_id = g.device_id AND x.resolution = g.resolution AND x.bucket = g.bucket
         ORDER BY x.period_end DESC LIMIT 1),
       max(period_end)
FROM sensor_reading_buckets g
GROUP BY device_id, resolution, bucket;

INSERT INTO sensor_zone_rollups (venue_id, resolution, bucket, zone, entries, exits,
                                 occupancy_max, occupancy_last, occupancy_last_at)
SELECT venue_id, resolution, bucket, coalesce(zone, ''), sum(entries), sum(exits), max(occupancy),
       (SELECT x.occupancy FROM sensor_reading_buckets x
         WHERE x.venue_id = g.venue_id AND x.resolution = g.resolution AND x.bucket = g.bucket
           AND coalesce(x.zone, '') = coalesce(g.zone, '') AND x.occupancy IS NOT NULL
         ORDER BY x.period_end DESC LIMIT 1),
       max(period_end)
FROM sensor_reading_buckets g
GROUP BY venue_id, resolution, bucket, coalesce(zone, '');

CREATE TRIGGER sensor_readings_rollup_insert AFTER INSERT ON sensor_readings BEGIN
    INSERT INTO sensor_rollups (device_id, resolution, bucket, venue_id, zone, entries, exits,
                                readings, occupancy_max, occupancy_last, occupancy_last_at)
    SELECT device_id, resolution, bucket, venue_id, zone, entries, exits, 1, occupancy, occupancy,
           period_end
    FROM sensor_reading_buckets WHERE reading_rowid = NEW.rowid
    ON CONFLICT (venue_id, resolution, bucket, device_id) DO UPDATE SET
        entries = entries + excluded.entries,
        exits = exits + excluded.exits,
        readings = readings + 1,
        occupancy_max = CASE
            WHEN excluded.occupancy_max IS NULL THEN occupancy_max
            WHEN occupancy_max IS NULL THEN excluded.occupancy_max
            ELSE max(occupancy_max, excluded.occupancy_max) END,
        occupancy_last = CASE
            WHEN excluded.occupancy_last IS NOT NULL
             AND (occupancy_last_at IS NULL OR excluded.occupancy_last_at >= occupancy_last_at)
            THEN excluded.occupancy_last ELSE occupancy_last END,
        occupancy_last_at = CASE
            WHEN excluded.occupancy_last IS NOT NULL
             AND (occupancy_last_at IS NULL OR excluded.occupancy_last_at >= occupancy_last_at)
            THEN excluded.occupancy_last_at ELSE occupancy_last_at END;
    INSERT INTO sensor_zone_rollups (venue_id, resolution, bucket, zone, entries, exits,
                                     occupancy_max, occupancy_last, occupancy_last_at)
    SELECT venue_id, resolution, bucket, coalesce(zone, ''), entries, exits, occupancy, occupancy,
           period_end
    FROM sensor_reading_buckets WHERE reading_rowid = NEW.rowid
    ON CONFLICT (venue_id, resolution, bucket, zone) DO UPDATE SET
        entries = entries + excluded.entries,
        exits = exits + excluded.exits,
        occupancy_max = CASE
            WHEN excluded.occupancy_max IS NULL THEN occupancy_max
            WHEN occupancy_max IS NULL THEN excluded.occupancy_max
            ELSE max(occupancy_max, excluded.occupancy_max) END,
        occupancy_last = CASE
            WHEN excluded.occupancy_last IS NOT NULL
             AND (occupancy_last_at IS NULL OR excluded.occupancy_last_at >= occupancy_last_at)
            THEN excluded.occupancy_last ELSE occupancy_last END,
        occupancy_last_at = CASE
            WHEN excluded.occupancy_last IS NOT NULL
             AND (occupancy_last_at IS NULL OR excluded.occupancy_last_at >= occupancy_last_at)
            THEN excluded.occupancy_last_at ELSE occupancy_last_at END;
END;

-- A corrected reading (re-ingested with other counts) moves its counts; occupancy extremes
-- are kept as they were (a correction of occupancy shows from the next reading on).
CREATE TRIGGER sensor_readings_rollup_update AFTER UPDATE OF entries, exits, period_end, local_date ON sensor_readings
BEGIN
    UPDATE sensor_rollups SET
        entries = entries - OLD.entries,
        exits = exits - OLD.exits,
        readings = readings - 1
    WHERE venue_id = OLD.venue_id AND device_id = OLD.device_id
      AND (resolution, bucket) IN (
          SELECT 60, datetime((CAST(strftime('%s', OLD.period_end, '-0.001 seconds') AS INTEGER) / 60) * 60, 'unixepoch')
          UNION ALL SELECT 900, datetime((CAST(strftime('%s', OLD.period_end, '-0.001 seconds') AS INTEGER) / 900) * 900, 'unixepoch')
          UNION ALL SELECT 3600, datetime((CAST(strftime('%s', OLD.period_end, '-0.001 seconds') AS INTEGER) / 3600) * 3600, 'unixepoch')
          UNION ALL SELECT 86400, coalesce(OLD.local_date, date(OLD.period_end, '-0.001 seconds')));
    INSERT INTO sensor_rollups (device_id, resolution, bucket, venue_id, zone, entries, exits,
                                readings, occupancy_max, occupancy_last, occupancy_last_at)
    SELECT device_id, resolution, bucket, venue_id, zone, entries, exits, 1, occupancy, occupancy,
           period_end
    FROM sensor_reading_buckets WHERE reading_rowid = NEW.rowid
    ON CONFLICT (venue_id, resolution, bucket, device_id) DO UPDATE SET
        entries = entries + excluded.entries,
        exits = exits + excluded.exits,
        readings = readings + 1;
    UPDATE sensor_zone_rollups SET
        entries = entries - OLD.entries,
        exits = exits - OLD.exits
    WHERE venue_id = OLD.venue_id AND zone = coalesce(OLD.zone, '')
      AND (resolution, bucket) IN (
          SELECT 60, datetime((CAST(strftime('%s', OLD.period_end, '-0.001 seconds') AS INTEGER) / 60) * 60, 'unixepoch')
          UNION ALL SELECT 900, datetime((CAST(strftime('%s', OLD.period_end, '-0.001 seconds') AS INTEGER) / 900) * 900, 'unixepoch')
          UNION ALL SELECT 3600, datetime((CAST(strftime('%s', OLD.period_end, '-0.001 seconds') AS INTEGER) / 3600) * 3600, 'unixepoch')
          UNION ALL SELECT 86400, coalesce(OLD.local_date, date(OLD.period_end, '-0.001 seconds')));
    INSERT INTO sensor_zone_rollups (venue_id, resolution, bucket, zone, entries, exits,
                                     occupancy_max, occupancy_last, occupancy_last_at)
    SELECT venue_id, resolution, bucket, coalesce(zone, ''), entries, exits, occupancy, occupancy,
           period_end
    FROM sensor_reading_buckets WHERE reading_rowid = NEW.rowid
    ON CONFLICT (venue_id, resolution, bucket, zone) DO UPDATE SET
        entries = entries + excluded.entries,
        exits = exits + excluded.exits;
END;
