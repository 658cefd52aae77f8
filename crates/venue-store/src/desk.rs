//! Reads behind the desktop console's screens (Today, stays, guest, reservation, sales, sensors,
//! connections, alerts). Each is one statement on an index (migration 0008 adds the missing
//! ones), never one query per row, so a screen reads in milliseconds however much history the
//! store holds. `tests` checks every statement's query plan.

mod locations;

use crate::record::{get_id, Record};
use crate::{ChangeLogStats, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;
use venue_domain::{Alert, Currency, DailySales, Hlc, Snapshot};

/// One reservation as the front desk lists it: the stay, its guest and room in one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StayRow {
    pub reservation_id: Uuid,
    pub number: Option<String>,
    pub guest_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The assigned room's (resource's) name.
    pub room: Option<String>,
    /// The PMS's state, e.g. Confirmed, Started, Processed.
    pub state: String,
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
    pub person_count: u32,
    /// The guest's PMS classifications include a VIP level (see [`is_vip`]).
    pub vip: bool,
    /// A front-desk note with text is on the stay.
    pub has_note: bool,
}

/// Which reservations a stay list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StayFilter {
    /// Starting within [start, end), not canceled.
    Arrivals {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    /// Ending within [start, end), not canceled.
    Departures {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    /// Confirmed or started and occupying a room over the night that begins at `night`
    /// (the end of the day): the same stays `stay_counts` counts as in house.
    InHouse { night: DateTime<Utc> },
    /// Every reservation of one guest, newest first.
    Customer(Uuid),
    /// One reservation.
    Reservation(Uuid),
}

/// Whether PMS classifications mark a guest as a VIP: Mews's `VeryImportant` and `Important`
/// levels, or a plain "VIP" (any case) as other systems and the demo venue name it.
pub fn is_vip(classifications: &[String]) -> bool {
    classifications.iter().any(|c| {
        let c = c.trim();
        c.eq_ignore_ascii_case("vip")
            || c.eq_ignore_ascii_case("veryimportant")
            || c.eq_ignore_ascii_case("important")
    })
}

/// A zone's newest occupancy: every door of a zone reports the zone's count, so this is the
/// zone's latest reading that carried one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ZoneOccupancy {
    pub zone: String,
    pub occupancy: Option<i64>,
    /// The end of the reading the occupancy comes from.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Sales of one 15-minute UTC slot. Every time zone's offset is a whole number of quarter
/// hours, so a slot lies within one venue-local hour whatever the venue's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SalesSlot {
    pub start: DateTime<Utc>,
    pub transactions: u64,
    pub net_minor: i64,
}

/// Counted sales of one POS location (and connector) over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocationSales {
    /// The vendor's location id; None for sales without a location.
    pub location: Option<String>,
    /// The location's name as last read from its vendor (or config), if known.
    pub name: Option<String>,
    pub source: String,
    pub transactions: u64,
    pub net_minor: i64,
    pub refunded_minor: i64,
    pub tip_minor: i64,
}

/// A connector's newest run and the end of its newest run that brought data (ok or partial).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectorRuns {
    pub last: Option<Snapshot>,
    pub last_good_finished_at: Option<DateTime<Utc>>,
}

/// How many seconds a quarter-hour slot spans.
const SLOT_SECONDS: i64 = 900;

const STAY_SELECT: &str = "SELECT r.id, r.number, c.first_name, c.last_name, c.email, c.phone,
        c.classifications, res.name, r.state, r.start_utc, r.end_utc, r.person_count,
        EXISTS (SELECT 1 FROM desk_notes d WHERE d.reservation_id = r.id AND d.text <> '')
     FROM reservations r
     LEFT JOIN customers c ON c.id = r.customer_id
     LEFT JOIN resources res ON res.id = r.resource_id
     WHERE ";

/// The rest of a stay list's statement per filter. A `+` keeps a column off the index the
/// planner would otherwise pick (it has no statistics): the in-house list stays on the end-time
/// index (only stays that have not ended are read, not all past ones), a guest's list on the
/// guest index rather than walking every stay in start order.
fn stay_sql(filter: &StayFilter) -> String {
    let tail = match filter {
        StayFilter::Arrivals { .. } => {
            "r.venue_id = ?1 AND r.state <> 'Canceled' AND r.start_utc >= ?2 AND r.start_utc < ?3
             ORDER BY r.start_utc, res.name, r.id"
        }
        StayFilter::Departures { .. } => {
            "r.venue_id = ?1 AND r.state <> 'Canceled' AND r.end_utc >= ?2 AND r.end_utc < ?3
             ORDER BY r.end_utc, res.name, r.id"
        }
        StayFilter::InHouse { .. } => {
            "r.venue_id = ?1 AND r.state IN ('Confirmed', 'Started') AND +r.start_utc < ?2
               AND r.end_utc >= ?2
             ORDER BY res.name, r.start_utc, r.id"
        }
        StayFilter::Customer(_) => {
            "+r.venue_id = ?1 AND r.customer_id = ?2 ORDER BY +r.start_utc DESC, r.id"
        }
        StayFilter::Reservation(_) => "+r.venue_id = ?1 AND r.id = ?2",
    };
    format!("{STAY_SELECT}{tail}")
}

fn stay_row(r: &rusqlite::Row) -> rusqlite::Result<StayRow> {
    let first: Option<String> = r.get(2)?;
    let last: Option<String> = r.get(3)?;
    let guest_name = match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(n), None) | (None, Some(n)) => Some(n),
        (None, None) => None,
    }
    .map(|n| n.trim().to_string())
    .filter(|n| !n.is_empty());
    // An unreadable classification list only costs the VIP mark, never the whole list.
    let classifications: Option<String> = r.get(6)?;
    let classifications: Vec<String> = classifications
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let person_count: i64 = r.get(11)?;
    Ok(StayRow {
        reservation_id: get_id(r, 0)?,
        number: r.get(1)?,
        guest_name,
        email: r.get(4)?,
        phone: r.get(5)?,
        vip: is_vip(&classifications),
        room: r.get(7)?,
        state: r.get(8)?,
        start_utc: r.get(9)?,
        end_utc: r.get(10)?,
        person_count: u32::try_from(person_count.max(0)).unwrap_or(u32::MAX),
        has_note: r.get(12)?,
    })
}

/// The newest day rollup of each zone that carries an occupancy. Day rollups are kept for good
/// (minute ones are pruned with raw readings) and a zone has one per day, so this stays small.
const ZONE_OCCUPANCY_SQL: &str = "SELECT zs.zone, z.occupancy_last, z.occupancy_last_at
     FROM (SELECT DISTINCT zone FROM sensor_zone_rollups
           WHERE venue_id = ?1 AND resolution = 86400) zs
     LEFT JOIN sensor_zone_rollups z
       ON z.venue_id = ?1 AND z.resolution = 86400 AND z.zone = zs.zone
      AND z.bucket = (SELECT x.bucket FROM sensor_zone_rollups x
                      WHERE x.venue_id = ?1 AND x.resolution = 86400 AND x.zone = zs.zone
                        AND x.occupancy_last IS NOT NULL
                      ORDER BY x.bucket DESC LIMIT 1)
     ORDER BY zs.zone";

const SALES_SLOTS_SQL: &str =
    "SELECT CAST(strftime('%s', closed_at) AS INTEGER) / 900 AS slot, count(*),
            sum(total_minor - refunded_minor)
     FROM transactions
     WHERE venue_id = ?1 AND closed_at >= ?2 AND closed_at < ?3 AND status <> 'canceled'
       AND currency = ?4
     GROUP BY slot ORDER BY slot";

const SALES_BY_LOCATION_SQL: &str = "SELECT t.location_id, t.source, count(*),
            sum(t.total_minor - t.refunded_minor), sum(t.refunded_minor), sum(t.tip_minor),
            (SELECT l.name FROM locations l
             WHERE l.venue_id = ?1 AND l.source = t.source AND l.external_id = t.location_id)
     FROM transactions t
     WHERE t.venue_id = ?1 AND t.closed_at >= ?2 AND t.closed_at < ?3 AND t.status <> 'canceled'
       AND t.currency = ?4
     GROUP BY t.location_id, t.source
     ORDER BY sum(t.total_minor - t.refunded_minor) DESC, t.location_id, t.source";

const DAILY_SALES_SQL: &str = "SELECT business_date, transactions, gross_minor, tax_minor,
            tip_minor, discount_minor, refunded_minor
     FROM daily_sales
     WHERE venue_id = ?1 AND business_date >= ?2 AND business_date <= ?3 AND currency = ?4
     ORDER BY business_date";

fn alert_columns() -> String {
    Alert::COLUMNS.join(", ")
}

fn open_alerts_sql() -> String {
    format!(
        "SELECT {} FROM alerts WHERE venue_id = ?1 AND state <> 'resolved'
         ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                  opened_at DESC, id DESC",
        alert_columns()
    )
}

fn resolved_alerts_sql() -> String {
    format!(
        "SELECT {} FROM alerts WHERE venue_id = ?1 AND state = 'resolved'
         ORDER BY opened_at DESC, id DESC LIMIT ?2",
        alert_columns()
    )
}

fn snapshot_columns(prefix: &str) -> String {
    Snapshot::COLUMNS
        .iter()
        .map(|c| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per connector name (a JSON array in ?2): its newest run, and when its newest run with data
/// finished; both found by walking the (venue, connector, started_at) index backwards.
fn connector_runs_sql() -> String {
    format!(
        "SELECT n.value,
                (SELECT x.finished_at FROM snapshots x
                 WHERE x.venue_id = ?1 AND x.connector = n.value AND x.status IN ('ok', 'partial')
                   AND x.finished_at IS NOT NULL
                 ORDER BY x.started_at DESC LIMIT 1),
                {}
         FROM json_each(?2) n
         LEFT JOIN snapshots s ON s.id = (SELECT y.id FROM snapshots y
                                          WHERE y.venue_id = ?1 AND y.connector = n.value
                                          ORDER BY y.started_at DESC LIMIT 1)",
        snapshot_columns("s.")
    )
}

fn recent_snapshots_sql() -> String {
    format!(
        "SELECT {} FROM snapshots WHERE venue_id = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2",
        snapshot_columns("")
    )
}

const CHARGE_COUNTS_SQL: &str = "SELECT
        (SELECT count(*) FROM pms_charges WHERE venue_id = ?1 AND state = 'pending' AND source = ?2),
        (SELECT count(*) FROM pms_charges WHERE venue_id = ?1 AND state = 'failed' AND source = ?2)";

/// Each part is one index probe (min and max in one SELECT would scan the log).
const CHANGE_LOG_SQL: &str = "SELECT (SELECT min(seq) FROM change_log),
        (SELECT max(seq) FROM change_log),
        (SELECT hlc FROM change_log WHERE seq = (SELECT max(seq) FROM change_log)),
        (SELECT coalesce(min(acked_seq), 0) FROM sync_peers)";

/// A reservation by our id, the PMS's id or its confirmation number, in that order of
/// preference (newest first when a number repeats), as `find_reservation` orders them; each
/// branch is one index probe, where one OR over the three columns reads every reservation.
const RESERVATION_BY_KEY_SQL: &str = "SELECT id FROM (
        SELECT id, 0 AS rank, start_utc FROM reservations WHERE venue_id = ?1 AND id = ?2
        UNION ALL
        SELECT id, 1, start_utc FROM reservations WHERE venue_id = ?1 AND external_id = ?2
        UNION ALL
        SELECT id, 2, start_utc FROM reservations WHERE venue_id = ?1 AND number = ?2)
     ORDER BY rank, start_utc DESC LIMIT 1";

impl Store {
    /// The reservations of one stay list, with guest, room, VIP mark and whether a desk note
    /// is on each, in one statement.
    pub fn stay_rows(&self, venue_id: Uuid, filter: StayFilter) -> Result<Vec<StayRow>> {
        let mut stmt = self.conn.prepare_cached(&stay_sql(&filter))?;
        let venue = venue_id.to_string();
        let rows = match filter {
            StayFilter::Arrivals { start, end } | StayFilter::Departures { start, end } => stmt
                .query_map(rusqlite::params![venue, start, end], stay_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            StayFilter::InHouse { night } => stmt
                .query_map(rusqlite::params![venue, night], stay_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            StayFilter::Customer(id) | StayFilter::Reservation(id) => stmt
                .query_map(rusqlite::params![venue, id.to_string()], stay_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(rows)
    }

    /// Our id of the reservation staff mean by `key`: our id, the PMS's id or the confirmation
    /// number.
    pub fn reservation_id_by_key(&self, venue_id: Uuid, key: &str) -> Result<Option<Uuid>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .prepare_cached(RESERVATION_BY_KEY_SQL)?
            .query_row(rusqlite::params![venue_id.to_string(), key.trim()], |r| {
                get_id(r, 0)
            })
            .optional()?)
    }

    /// Each zone's newest occupancy, by zone name.
    pub fn zone_occupancy(&self, venue_id: Uuid) -> Result<Vec<ZoneOccupancy>> {
        let mut stmt = self.conn.prepare_cached(ZONE_OCCUPANCY_SQL)?;
        let rows = stmt.query_map([venue_id.to_string()], |r| {
            Ok(ZoneOccupancy {
                zone: r.get(0)?,
                occupancy: r.get(1)?,
                updated_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counted sales in `currency` closed within [start, end), per 15-minute UTC slot that has
    /// any (for hourly breakdowns in the venue's zone without reading every sale).
    pub fn sales_slots(
        &self,
        venue_id: Uuid,
        currency: Currency,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<SalesSlot>> {
        let mut stmt = self.conn.prepare_cached(SALES_SLOTS_SQL)?;
        let rows = stmt.query_map(
            rusqlite::params![venue_id.to_string(), start, end, currency.code()],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (slot, count, net) = row?;
            let start =
                DateTime::<Utc>::from_timestamp(slot * SLOT_SECONDS, 0).ok_or_else(|| {
                    crate::StoreError::Corrupt(format!(
                        "a sale's closing time is out of range ({slot})"
                    ))
                })?;
            out.push(SalesSlot {
                start,
                transactions: count.max(0) as u64,
                net_minor: net,
            });
        }
        Ok(out)
    }

    /// Counted sales in `currency` closed within [start, end), per location and connector,
    /// biggest net first.
    pub fn sales_by_location(
        &self,
        venue_id: Uuid,
        currency: Currency,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<LocationSales>> {
        let mut stmt = self.conn.prepare_cached(SALES_BY_LOCATION_SQL)?;
        let rows = stmt.query_map(
            rusqlite::params![venue_id.to_string(), start, end, currency.code()],
            |r| {
                Ok(LocationSales {
                    location: r.get(0)?,
                    name: r.get(6)?,
                    source: r.get(1)?,
                    transactions: r.get::<_, i64>(2)?.max(0) as u64,
                    net_minor: r.get(3)?,
                    refunded_minor: r.get(4)?,
                    tip_minor: r.get(5)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The daily sales summaries in `currency` of the venue-local days `from..=to` that had
    /// any sale, oldest first.
    pub fn daily_sales_range(
        &self,
        venue_id: Uuid,
        currency: Currency,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailySales>> {
        let mut stmt = self.conn.prepare_cached(DAILY_SALES_SQL)?;
        let rows = stmt.query_map(
            rusqlite::params![venue_id.to_string(), from, to, currency.code()],
            |r| {
                let gross: i64 = r.get(2)?;
                let refunded: i64 = r.get(6)?;
                Ok(DailySales {
                    venue_id,
                    date: r.get(0)?,
                    currency,
                    transactions: r.get::<_, i64>(1)?.max(0) as u64,
                    gross_minor: gross,
                    tax_minor: r.get(3)?,
                    tip_minor: r.get(4)?,
                    discount_minor: r.get(5)?,
                    refunded_minor: refunded,
                    net_minor: gross - refunded,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Unresolved alerts (critical first, then newest), then with `resolved_limit` > 0 up to
    /// that many resolved ones, newest first.
    pub fn desk_alerts(&self, venue_id: Uuid, resolved_limit: u32) -> Result<Vec<Alert>> {
        let mut stmt = self.conn.prepare_cached(&open_alerts_sql())?;
        let unresolved = stmt
            .query_map([venue_id.to_string()], Alert::from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // Two consoles may each have opened an alert for one condition before they synced:
        // the condition is shown once, as the alert opened first.
        let mut first: HashMap<&str, (DateTime<Utc>, Uuid)> = HashMap::new();
        for a in &unresolved {
            let entry = first
                .entry(a.dedupe_key.as_str())
                .or_insert((a.opened_at, a.id));
            if (a.opened_at, a.id) < *entry {
                *entry = (a.opened_at, a.id);
            }
        }
        let shown: Vec<Uuid> = unresolved
            .iter()
            .filter(|a| first.get(a.dedupe_key.as_str()).map(|f| f.1) == Some(a.id))
            .map(|a| a.id)
            .collect();
        let mut alerts: Vec<Alert> = unresolved
            .into_iter()
            .filter(|a| shown.contains(&a.id))
            .collect();
        if resolved_limit > 0 {
            let mut stmt = self.conn.prepare_cached(&resolved_alerts_sql())?;
            let resolved = stmt.query_map(
                rusqlite::params![venue_id.to_string(), resolved_limit],
                Alert::from_row,
            )?;
            for alert in resolved {
                alerts.push(alert?);
            }
        }
        Ok(alerts)
    }

    /// Each named connector's newest run and when its newest run with data finished.
    pub fn connector_runs(
        &self,
        venue_id: Uuid,
        connectors: &[&str],
    ) -> Result<HashMap<String, ConnectorRuns>> {
        if connectors.is_empty() {
            return Ok(HashMap::new());
        }
        let names = serde_json::to_string(connectors)?;
        let mut stmt = self.conn.prepare_cached(&connector_runs_sql())?;
        let rows = stmt.query_map(rusqlite::params![venue_id.to_string(), names], |r| {
            let name: String = r.get(0)?;
            let finished: Option<DateTime<Utc>> = r.get(1)?;
            // The LEFT JOIN leaves the snapshot's columns NULL when the connector never ran.
            let id: Option<String> = r.get(2)?;
            let last = match id {
                Some(_) => Some(snapshot_at(r, 2)?),
                None => None,
            };
            Ok((
                name,
                ConnectorRuns {
                    last,
                    last_good_finished_at: finished,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest `limit` runs across connectors, newest first.
    pub fn recent_snapshots(&self, venue_id: Uuid, limit: u32) -> Result<Vec<Snapshot>> {
        let mut stmt = self.conn.prepare_cached(&recent_snapshots_sql())?;
        let rows = stmt.query_map(
            rusqlite::params![venue_id.to_string(), limit],
            Snapshot::from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// (pending, failed) charges of one PMS connection.
    pub fn charge_counts(&self, venue_id: Uuid, source: &str) -> Result<(u64, u64)> {
        let (pending, failed): (i64, i64) = self.conn.query_row(
            CHARGE_COUNTS_SQL,
            rusqlite::params![venue_id.to_string(), source],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((pending.max(0) as u64, failed.max(0) as u64))
    }

    /// The change log's size, what no sync peer has acknowledged and its newest stamp, in
    /// constant time: the log is appended with AUTOINCREMENT sequence numbers and pruned from
    /// its start (what the hub holds), so its rows are the range min(seq)..=max(seq), but for
    /// the rare changes re-stamped after a clock jump. `change_log_stats` counts the rows.
    pub fn change_log_summary(&self) -> Result<ChangeLogStats> {
        let (min, max, hlc, acked): (Option<i64>, Option<i64>, Option<i64>, i64) =
            self.conn.query_row(CHANGE_LOG_SQL, [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
        let (total, pending) = match (min, max) {
            (Some(min), Some(max)) => (max - min + 1, max - acked.max(min - 1)),
            _ => (0, 0),
        };
        let (parked, conflicts): (i64, i64) = self.conn.query_row(
            "SELECT (SELECT count(*) FROM sync_parked), (SELECT count(*) FROM sync_conflicts)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(ChangeLogStats {
            total: total.max(0) as u64,
            pending_sync: pending.max(0) as u64,
            last_hlc: hlc.map(Hlc::from_i64).transpose()?.map(|h| h.to_string()),
            parked: parked.max(0) as u64,
            conflicts: conflicts.max(0) as u64,
        })
    }
}

/// A snapshot read from `Snapshot::COLUMNS` starting at column `offset`.
fn snapshot_at(r: &rusqlite::Row, offset: usize) -> rusqlite::Result<Snapshot> {
    let count = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = r.get(offset + i)?;
        Ok(v.max(0) as u64)
    };
    let status: String = r.get(offset + 6)?;
    Ok(Snapshot {
        id: get_id(r, offset)?,
        venue_id: get_id(r, offset + 1)?,
        connector: r.get(offset + 2)?,
        correlation_id: r.get(offset + 3)?,
        started_at: r.get(offset + 4)?,
        finished_at: r.get(offset + 5)?,
        status: status.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                offset + 6,
                rusqlite::types::Type::Text,
                Box::new(e),
            )
        })?,
        error: r.get(offset + 7)?,
        records_seen: count(8)?,
        records_written: count(9)?,
        high_water_mark: r.get(offset + 10)?,
        cursor: r.get(offset + 11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_levels_of_mews_and_a_plain_vip_count_and_others_do_not() {
        let v = |list: &[&str]| is_vip(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(v(&["VeryImportant"]));
        assert!(v(&["Returning", "Important"]));
        assert!(v(&["Vip"]));
        assert!(v(&[" VIP "]));
        assert!(!v(&["Returning", "Blacklist", "Staff"]));
        assert!(!v(&[]));
    }

    /// Every front-desk statement reads through an index: none scans a table, and none reads
    /// a whole venue's rows of a table that grows with history, except in index order under a
    /// LIMIT (the newest runs, the newest resolved alerts) or through a partial index that only
    /// holds what is current (unresolved alerts).
    #[test]
    fn front_desk_statements_never_scan_a_growing_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join(crate::DB_FILE)).expect("open");
        let now = Utc::now();
        let stays = |filter| stay_sql(&filter);
        let statements: Vec<(String, usize)> = vec![
            (stays(StayFilter::Arrivals { start: now, end: now }), 3),
            (stays(StayFilter::Departures { start: now, end: now }), 3),
            (stays(StayFilter::InHouse { night: now }), 2),
            (stays(StayFilter::Customer(Uuid::nil())), 2),
            (stays(StayFilter::Reservation(Uuid::nil())), 2),
            (RESERVATION_BY_KEY_SQL.into(), 2),
            (ZONE_OCCUPANCY_SQL.into(), 1),
            (SALES_SLOTS_SQL.into(), 4),
            (SALES_BY_LOCATION_SQL.into(), 4),
            (DAILY_SALES_SQL.into(), 4),
            (open_alerts_sql(), 1),
            (resolved_alerts_sql(), 2),
            (connector_runs_sql(), 2),
            (recent_snapshots_sql(), 2),
            (CHARGE_COUNTS_SQL.into(), 2),
            (CHANGE_LOG_SQL.into(), 0),
            // The day report's statements, which Today shares.
            (
                "SELECT closed_at, total_minor, refunded_minor FROM transactions
                 WHERE venue_id = ?1 AND closed_at >= ?2 AND closed_at < ?3 AND status <> 'canceled'
                 ORDER BY closed_at"
                    .into(),
                3,
            ),
            (
                "SELECT (SELECT count(*) FROM reservations WHERE venue_id = ?1 AND state <> 'Canceled'
                     AND start_utc >= ?2 AND start_utc < ?3),
                 (SELECT count(*) FROM reservations WHERE venue_id = ?1 AND state <> 'Canceled'
                     AND end_utc >= ?2 AND end_utc < ?3),
                 (SELECT count(*) FROM reservations WHERE venue_id = ?1 AND state IN ('Confirmed', 'Started')
                     AND start_utc < ?3 AND end_utc >= ?3)"
                    .into(),
                3,
            ),
        ];
        let limited_or_current = [
            "alerts_one_active_per_condition",
            "alerts_by_opened_at",
            "snapshots_by_started_at",
        ];
        for (sql, params) in statements {
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("prepare");
            for i in 1..=params {
                stmt.raw_bind_parameter(i, "x").expect("bind");
            }
            let mut rows = stmt.raw_query();
            let mut plan = Vec::new();
            while let Some(row) = rows.next().expect("plan row") {
                let detail: String = row.get(3).expect("detail");
                plan.push(detail);
            }
            for step in &plan {
                let scans = step.starts_with("SCAN ")
                    && step != "SCAN CONSTANT ROW"
                    && !step.contains("VIRTUAL TABLE")
                    && !step.starts_with("SCAN (subquery")
                    && step != "SCAN zs";
                let whole_venue = step.starts_with("SEARCH ")
                    && step.ends_with("(venue_id=?)")
                    && !limited_or_current.iter().any(|i| step.contains(i));
                assert!(
                    !scans && !whole_venue,
                    "{step:?} reads a whole table; plan:\n{}\nof:\n{sql}",
                    plan.join("\n")
                );
            }
        }
    }
}
