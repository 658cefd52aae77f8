//! A model of several consoles of one venue syncing through a hub, to check the sync contract:
//! whatever the order, duplication or loss of exchanges, clock jumps and restarts, once every
//! change has gone round all stores hold identical rows, and no local edit vanished without a
//! conflict row. The convergence property test and `venue-bench sync-convergence` run it.
//!
//! The hub is an [`Exchange`]: here the contract's minimum ([`Relay`], an append-only log of
//! changes, deduplicated by change id, refusing stamps too far ahead), or a real hub over HTTP
//! (the console's fault suite and `venue-bench sync-convergence --real-hub`); consoles push
//! their outbox and pull the log.

use crate::{PullCursor, Result, Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use uuid::Uuid;
use venue_domain::sync::{ChangeOutcome, IncomingChange};
use venue_domain::*;

/// A small deterministic random source (xorshift), so a failing case replays from its seed.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn roll(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.roll() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// How an exchange goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Fault {
    None,
    /// The page arrives twice.
    Duplicate,
    /// The page arrives in another order.
    Reorder,
    /// The page is lost (the sender never hears back).
    Drop,
    /// An earlier page arrives again.
    Replay,
}

impl Fault {
    fn roll(dice: &mut Dice) -> Fault {
        match dice.below(10) {
            0 => Fault::Duplicate,
            1 => Fault::Reorder,
            2 => Fault::Drop,
            3 => Fault::Replay,
            _ => Fault::None,
        }
    }
}

/// One page pulled from an [`Exchange`].
#[derive(Debug, Clone, Default)]
pub struct Pulled {
    /// The changes the site may have, in the hub's order.
    pub changes: Vec<IncomingChange>,
    /// Where the next pull starts.
    pub cursor: String,
    /// Whether the page covered anything (changes, or entries filtered out): false at the end.
    pub moved: bool,
}

/// Where the simulated consoles sync: the model [`Relay`], or a real hub.
pub trait Exchange {
    /// Stores a page pushed by `site`; returns the changes refused, with the reason.
    fn push(
        &mut self,
        site: usize,
        changes: &[ChangeRecord],
    ) -> Result<Vec<(ChangeRecord, String)>>;
    /// The page after `cursor` (None: from the start) for `site`, at most `limit` changes.
    fn pull(&mut self, site: usize, cursor: Option<&str>, limit: u32) -> Result<Pulled>;
}

/// The hub's part: an append-only log, one entry per change id.
#[derive(Debug, Default)]
pub struct Relay {
    log: Vec<ChangeRecord>,
    ids: HashSet<Uuid>,
}

impl Exchange for Relay {
    fn push(
        &mut self,
        _site: usize,
        changes: &[ChangeRecord],
    ) -> Result<Vec<(ChangeRecord, String)>> {
        Ok(self.take(changes))
    }

    fn pull(&mut self, _site: usize, cursor: Option<&str>, limit: u32) -> Result<Pulled> {
        let from: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let end = (from + limit as usize).min(self.log.len());
        // The hub sends down only what travels down (see the policy).
        let changes = self.log[from.min(end)..end]
            .iter()
            .filter(|c| venue_domain::sync::policy(c.entity).down)
            .cloned()
            .map(IncomingChange::Known)
            .collect();
        Ok(Pulled {
            changes,
            cursor: end.to_string(),
            moved: end > from,
        })
    }
}

impl Relay {
    /// Takes a page; returns the changes refused, with the reason (a stamp too far ahead).
    fn take(&mut self, changes: &[ChangeRecord]) -> Vec<(ChangeRecord, String)> {
        let limit = HlcClock::now_ms() + HlcClock::DEFAULT_MAX_DRIFT_MS;
        let mut refused = Vec::new();
        for c in changes {
            if c.hlc.wall_ms() > limit {
                refused.push((
                    c.clone(),
                    format!("stamped {} , ahead of the hub's clock", c.hlc),
                ));
                continue;
            }
            if self.ids.insert(c.change_id) {
                self.log.push(c.clone());
            }
        }
        refused
    }
}

/// What one site wrote, to check afterwards that it was not lost.
#[derive(Debug, Clone)]
struct Edit {
    entity: EntityKind,
    id: Uuid,
    stamp: (i64, String),
    /// The row's stamp at this site just before the edit (what it knowingly replaced).
    replaced: Option<(i64, String)>,
    /// A delete: met when the row ends deleted, whichever delete won.
    delete: bool,
    site: usize,
}

/// One console.
pub struct Site {
    pub store: Store,
    path: PathBuf,
    name: String,
    pushed_after: i64,
    skew_ms: i64,
    /// The pull cursors this site saved, oldest first (a replay starts from an older one).
    cursors: Vec<Option<String>>,
}

/// The outcome of one simulated case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseReport {
    pub seed: u64,
    pub steps: u64,
    pub edits: u64,
    pub changes_exchanged: u64,
    pub conflicts: u64,
    pub rejected: u64,
    /// Rows that differ between stores after the final exchange (0 when converged).
    pub differing_rows: u64,
    /// Local edits that vanished with no conflict row anywhere (must be 0).
    pub lost_edits: u64,
    /// What differed or was lost, for a failing case.
    pub problems: Vec<String>,
}

impl CaseReport {
    pub fn converged(&self) -> bool {
        self.differing_rows == 0 && self.lost_edits == 0
    }
}

const PAGE: u32 = 7;

/// A row's last stamp and whether it ends deleted.
type FinalState = ((i64, String), bool);
const JUMP_MS: i64 = 73 * 365 * 86_400_000;

fn stamp_of(store: &Store, table: &str, id: Uuid) -> Result<Option<(i64, String)>> {
    use rusqlite::OptionalExtension;
    Ok(store
        .conn
        .query_row(
            &format!(
                "SELECT hlc, node_id FROM {table} WHERE {} = ?1",
                if table == "sync_tombstones" {
                    "entity_id"
                } else {
                    "id"
                }
            ),
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// A simulated venue: `sites` consoles in `dir`, and the hub.
pub struct Simulation {
    pub sites: Vec<Site>,
    relay: Box<dyn Exchange>,
    dice: Dice,
    edits: Vec<Edit>,
    report: CaseReport,
    epoch: DateTime<Utc>,
}

impl Simulation {
    /// Creates `sites` stores in `dir` for one venue: the first creates it, the others pull it.
    pub fn new(dir: &std::path::Path, sites: usize, seed: u64) -> Result<Self> {
        Self::with_exchange(dir, sites, seed, None, |_| {
            Ok(Box::new(Relay::default()) as Box<dyn Exchange>)
        })
    }

    /// Like [`Simulation::new`], syncing through the exchange `connect` makes for the sites'
    /// nodes (in site order), for the venue `venue_id` when given (a real hub's venue).
    pub fn with_exchange(
        dir: &std::path::Path,
        sites: usize,
        seed: u64,
        venue_id: Option<Uuid>,
        connect: impl FnOnce(&[NodeId]) -> Result<Box<dyn Exchange>>,
    ) -> Result<Self> {
        let mut dice = Dice::new(seed);
        let mut venue = Venue::new("Harbour Hotel", "Europe/London", "GBP", 120)?;
        if let Some(id) = venue_id {
            venue.id = id;
        }
        venue.share_guest_contacts = dice.chance(50);
        let mut all = Vec::new();
        for n in 0..sites.max(2) {
            let path = dir.join(format!("site-{n}.sqlite3"));
            let store = Store::open_skewed(&path, 0)?;
            all.push(Site {
                store,
                path,
                name: format!("site-{n}"),
                pushed_after: 0,
                skew_ms: 0,
                cursors: Vec::new(),
            });
        }
        all[0].store.save_by_user("setup", "venue.create", &venue)?;
        let nodes: Vec<NodeId> = all.iter().map(|s| s.store.node_id()).collect();
        let relay = connect(&nodes)?;
        let mut sim = Simulation {
            sites: all,
            relay,
            dice,
            edits: Vec::new(),
            report: CaseReport {
                seed,
                ..CaseReport::default()
            },
            epoch: Utc
                .with_ymd_and_hms(2026, 12, 1, 8, 0, 0)
                .single()
                .unwrap_or_else(Utc::now),
        };
        while sim.push(0, Fault::None)? > 0 {}
        for n in 1..sim.sites.len() {
            while sim.pull(n, Fault::None)? > 0 {}
        }
        Ok(sim)
    }

    /// Runs `steps` random steps, then exchanges until quiet, then checks.
    pub fn run(mut self, steps: u64) -> Result<CaseReport> {
        for _ in 0..steps {
            self.step()?;
        }
        self.report.steps = steps;
        // Clocks back to normal, then every change goes round.
        for n in 0..self.sites.len() {
            if self.sites[n].skew_ms != 0 {
                self.sites[n].skew_ms = 0;
                self.sites[n].store.skew_clock(0);
            }
        }
        for n in 0..self.sites.len() {
            while self.push(n, Fault::None)? > 0 {}
        }
        for n in 0..self.sites.len() {
            while self.pull(n, Fault::None)? > 0 {}
        }
        self.check()?;
        Ok(self.report)
    }

    fn step(&mut self) -> Result<()> {
        let n = self.dice.below(self.sites.len() as u64) as usize;
        match self.dice.below(20) {
            0..=9 => self.write(n),
            10..=13 => {
                let fault = Fault::roll(&mut self.dice);
                self.push(n, fault).map(drop)
            }
            14..=17 => {
                let fault = Fault::roll(&mut self.dice);
                self.pull(n, fault).map(drop)
            }
            18 => {
                // The wall clock jumps a lifetime ahead, or comes back.
                let site = &mut self.sites[n];
                site.skew_ms = if site.skew_ms == 0 { JUMP_MS } else { 0 };
                site.store.skew_clock(site.skew_ms);
                Ok(())
            }
            _ => self.restart(n),
        }
    }

    /// The console restarts (its clock right again, if it had jumped).
    fn restart(&mut self, n: usize) -> Result<()> {
        let site = &mut self.sites[n];
        site.skew_ms = 0;
        let reopened = Store::open_skewed(&site.path, 0)?;
        site.store = reopened;
        Ok(())
    }

    /// One local write at site `n`, chosen among the kinds two consoles can both write.
    fn write(&mut self, n: usize) -> Result<()> {
        let venue = self.sites[n]
            .store
            .venue()?
            .ok_or_else(|| StoreError::Invalid("the venue has not arrived".into()))?;
        let key = self.dice.below(4);
        let version = self.dice.below(1_000) as i64;
        let actor = self.sites[n].name.clone();
        match self.dice.below(7) {
            0 => {
                let external_id = format!("G{key}");
                let c = Customer {
                    id: vendor_row_id(venue.id, EntityKind::Customer, "mews", &external_id),
                    venue_id: venue.id,
                    source: "mews".into(),
                    external_id,
                    first_name: Some(format!("Guest {key}")),
                    last_name: Some(format!("v{version}")),
                    email: Some(format!("g{key}-{version}@example.com")),
                    phone: Some(format!("+44 20 7946 {version:04}")),
                    classifications: Vec::new(),
                    notes: None,
                    updated_at_source: None,
                };
                self.record(n, Origin::Pms, c)
            }
            1 => {
                let external_id = format!("S{key}");
                let closed_at = self.epoch + Duration::minutes(key as i64 * 17);
                let t = Transaction {
                    id: natural::transaction(venue.id, "square", &external_id),
                    venue_id: venue.id,
                    source: "square".into(),
                    external_id,
                    location_id: None,
                    status: TransactionStatus::Completed,
                    opened_at: None,
                    closed_at,
                    currency: venue.currency,
                    total_minor: 1_000 + key as i64,
                    tax_minor: 0,
                    tip_minor: 0,
                    discount_minor: 0,
                    refunded_minor: if version % 3 == 0 { 500 } else { 0 },
                };
                self.record(n, Origin::Connector, t)
            }
            2 => {
                let device = SensorDevice {
                    id: natural::sensor_device(venue.id, "front"),
                    venue_id: venue.id,
                    name: "front".into(),
                    kind: "axis".into(),
                    zone: Some("lobby".into()),
                };
                self.record(n, Origin::Sensor, device.clone())?;
                let start = self.epoch + Duration::minutes(key as i64 * 5);
                let reading = SensorReading {
                    id: natural::sensor_reading(device.id, start),
                    venue_id: venue.id,
                    device_id: device.id,
                    zone: Some("lobby".into()),
                    period_start: start,
                    period_end: start + Duration::minutes(5),
                    entries: (version % 40) as u32,
                    exits: (version % 30) as u32,
                    occupancy: Some(version % 100),
                };
                self.record(n, Origin::Sensor, reading)
            }
            3 => {
                let stay = self.reservation(n, &venue, key)?;
                let note = DeskNote {
                    id: natural::desk_note(stay),
                    venue_id: venue.id,
                    reservation_id: stay,
                    text: format!("note {version} from {actor}"),
                    written_by: actor.clone(),
                    written_at: Utc::now(),
                };
                self.record(n, Origin::User, note)
            }
            4 => {
                let opened_at = self.epoch + Duration::minutes(self.dice.below(3) as i64);
                let key_text = format!("occupancy.high:zone{key}");
                let mut alert = Alert {
                    id: natural::alert(venue.id, &key_text, opened_at),
                    venue_id: venue.id,
                    rule: "occupancy.high".into(),
                    dedupe_key: key_text,
                    severity: Severity::Warning,
                    title: "Busy".into(),
                    body: format!("seen by {actor}"),
                    state: AlertState::Open,
                    opened_at,
                    acknowledged_at: None,
                    acknowledged_by: None,
                    resolved_at: None,
                };
                if version % 2 == 0 {
                    alert.state = AlertState::Acknowledged;
                    alert.acknowledged_by = Some(actor);
                    alert.acknowledged_at = Some(opened_at + Duration::minutes(1));
                }
                self.record(n, Origin::User, alert)
            }
            5 => {
                let mut v = venue.clone();
                v.name = format!("Harbour Hotel {version}");
                self.record(n, Origin::User, v)
            }
            _ => {
                // A note taken off the reservation: the delete travels as a tombstone.
                let stay = vendor_row_id(
                    venue.id,
                    EntityKind::Reservation,
                    "mews",
                    &format!("R{key}"),
                );
                let id = natural::desk_note(stay);
                let store = &mut self.sites[n].store;
                let replaced = stamp_of(store, "desk_notes", id)?;
                if replaced.is_some() && store.delete_synced::<DeskNote>(Origin::User, id)? {
                    let stamp = stamp_of(store, "sync_tombstones", id)?;
                    if let Some(stamp) = stamp {
                        self.report.edits += 1;
                        self.edits.push(Edit {
                            entity: EntityKind::DeskNote,
                            id,
                            stamp,
                            replaced,
                            delete: true,
                            site: n,
                        });
                    }
                }
                Ok(())
            }
        }
    }

    fn reservation(&mut self, n: usize, venue: &Venue, key: u64) -> Result<Uuid> {
        let external_id = format!("R{key}");
        let id = vendor_row_id(venue.id, EntityKind::Reservation, "mews", &external_id);
        let start = self.epoch + Duration::days(key as i64);
        let stay = Reservation {
            id,
            venue_id: venue.id,
            source: "mews".into(),
            external_id: external_id.clone(),
            number: Some(external_id),
            state: ReservationState::Confirmed,
            start_utc: start,
            end_utc: start + Duration::days(2),
            customer_id: None,
            resource_id: None,
            person_count: 2,
            notes: None,
            updated_at_source: None,
        };
        self.sites[n].store.ingest(Origin::Pms, None, &[stay])?;
        Ok(id)
    }

    fn record<R: crate::Record>(&mut self, n: usize, origin: Origin, row: R) -> Result<()> {
        let id = row.natural_id().unwrap_or_else(|| row.id());
        let store = &mut self.sites[n].store;
        // What this write knowingly replaces: the row, or the delete that removed it.
        let replaced = match stamp_of(store, R::TABLE, id)? {
            Some(stamp) => Some(stamp),
            None => stamp_of(store, "sync_tombstones", id)?,
        };
        let written = store.ingest(origin, None, std::slice::from_ref(&row))?;
        if written.written() == 0 {
            return Ok(());
        }
        if let Some(stamp) = stamp_of(store, R::TABLE, id)? {
            self.report.edits += 1;
            self.edits.push(Edit {
                entity: R::KIND,
                id,
                stamp,
                replaced,
                delete: false,
                site: n,
            });
        }
        Ok(())
    }

    /// Pushes one page of site `n`'s outbox; returns how many changes it held.
    fn push(&mut self, n: usize, fault: Fault) -> Result<usize> {
        let site = &mut self.sites[n];
        let page = site.store.outbox(site.pushed_after, PAGE)?;
        let mut changes: Vec<ChangeRecord> =
            page.changes.iter().map(|c| c.change.clone()).collect();
        match fault {
            Fault::Drop => return Ok(changes.len()),
            Fault::Reorder => changes.reverse(),
            _ => {}
        }
        let refused = self.relay.push(n, &changes)?;
        if fault == Fault::Duplicate || fault == Fault::Replay {
            self.relay.push(n, &changes)?;
        }
        for (change, reason) in &refused {
            site.store.park_outgoing(change, reason)?;
            self.report.rejected += 1;
        }
        self.report.changes_exchanged += changes.len() as u64;
        site.store.acknowledge("hub", page.next_after)?;
        site.pushed_after = page.next_after;
        Ok(changes.len())
    }

    /// Pulls one page of the hub's log into site `n`; returns how many log entries it covered.
    fn pull(&mut self, n: usize, fault: Fault) -> Result<usize> {
        let site = &mut self.sites[n];
        let saved = site.store.pull_cursor("hub")?;
        let from = if fault == Fault::Replay {
            // Two pages back (or the start).
            let len = site.cursors.len();
            len.checked_sub(3)
                .and_then(|i| site.cursors.get(i).cloned())
                .flatten()
        } else {
            saved
        };
        let pulled = self.relay.pull(n, from.as_deref(), PAGE)?;
        let site = &mut self.sites[n];
        let mut page = pulled.changes;
        let consumed = usize::from(pulled.moved);
        match fault {
            Fault::Drop => return Ok(consumed),
            Fault::Reorder => page.reverse(),
            Fault::Duplicate => page.extend(page.clone()),
            _ => {}
        }
        let cursor = pulled.cursor;
        site.cursors.push(Some(cursor.clone()));
        let outcomes = site.store.apply_incoming(
            &page,
            Some(PullCursor {
                peer: "hub",
                cursor: &cursor,
            }),
        )?;
        for o in &outcomes {
            match o.outcome {
                ChangeOutcome::Conflict => self.report.conflicts += 1,
                ChangeOutcome::Rejected { .. } => self.report.rejected += 1,
                _ => {}
            }
        }
        self.report.changes_exchanged += page.len() as u64;
        Ok(consumed)
    }

    /// Compares every synced table across the stores, and looks for lost edits.
    fn check(&mut self) -> Result<()> {
        let share = self.sites[0]
            .store
            .venue()?
            .is_some_and(|v| v.share_guest_contacts);
        let mut tables: Vec<(String, String)> = vec![
            ("venues".into(), "id, name, timezone, currency, capacity, share_guest_contacts, hlc, node_id".into()),
            ("transactions".into(), "id, venue_id, source, external_id, status, total_minor, refunded_minor, business_date, hlc, node_id".into()),
            ("reservations".into(), "id, venue_id, external_id, state, start_utc, hlc, node_id".into()),
            ("desk_notes".into(), "id, reservation_id, text, written_by, hlc, node_id".into()),
            ("sensor_devices".into(), "id, venue_id, name, kind, zone, hlc, node_id".into()),
            ("sensor_readings".into(), "id, device_id, period_start, entries, exits, occupancy, local_date, hlc, node_id".into()),
            ("alerts".into(), "id, dedupe_key, state, acknowledged_by, body, hlc, node_id".into()),
            ("daily_sales".into(), "venue_id, business_date, currency, transactions, gross_minor, refunded_minor".into()),
            ("sensor_zone_rollups".into(), "venue_id, resolution, bucket, zone, entries, exits".into()),
        ];
        let customer_columns = if share {
            "id, first_name, last_name, email, phone, hlc, node_id"
        } else {
            "id, first_name, last_name, hlc, node_id"
        };
        tables.push(("customers".into(), customer_columns.into()));
        for (table, columns) in &tables {
            let dumps: Vec<Vec<String>> = self
                .sites
                .iter()
                .map(|s| dump(&s.store, table, columns))
                .collect::<Result<_>>()?;
            for (i, other) in dumps.iter().enumerate().skip(1) {
                if *other != dumps[0] {
                    let a: HashSet<&String> = dumps[0].iter().collect();
                    let b: HashSet<&String> = other.iter().collect();
                    let differing = a.symmetric_difference(&b).count() as u64;
                    self.report.differing_rows += differing.max(1);
                    self.report.problems.push(format!(
                        "{table}: site-0 and site-{i} differ: only in site-0 {:?}; only in site-{i} {:?}",
                        a.difference(&b).take(3).collect::<Vec<_>>(),
                        b.difference(&a).take(3).collect::<Vec<_>>()
                    ));
                }
            }
        }
        // Conflict rows anywhere, by the edit that lost: (entity id, hlc, node).
        let mut recorded: HashSet<(String, i64, String)> = HashSet::new();
        for site in &self.sites {
            let mut stmt = site.store.conn.prepare(
                "SELECT entity_id, loser, remote_hlc, remote_node, local_hlc, local_node FROM sync_conflicts",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            for row in rows {
                let (id, loser, rh, rn, lh, ln) = row?;
                if loser == "local" {
                    recorded.insert((id, lh, ln));
                } else {
                    recorded.insert((id, rh, rn));
                }
            }
        }
        let replaced: HashSet<(Uuid, (i64, String))> = self
            .edits
            .iter()
            .filter_map(|e| e.replaced.clone().map(|r| (e.id, r)))
            .collect();
        // The final state of each row: its stamp, and whether it ends deleted.
        let mut finals: HashMap<(EntityKind, Uuid), Option<FinalState>> = HashMap::new();
        for e in &self.edits {
            let table =
                crate::record::with_record_type!(e.entity, R => <R as crate::Record>::TABLE);
            if let std::collections::hash_map::Entry::Vacant(slot) = finals.entry((e.entity, e.id))
            {
                let row = stamp_of(&self.sites[0].store, table, e.id)?;
                let last = match row {
                    Some(stamp) => Some((stamp, false)),
                    None => stamp_of(&self.sites[0].store, "sync_tombstones", e.id)?
                        .map(|stamp| (stamp, true)),
                };
                slot.insert(last);
            }
        }
        for e in &self.edits {
            let last = finals.get(&(e.entity, e.id)).cloned().flatten();
            let survived = match &last {
                Some((stamp, deleted)) => *stamp == e.stamp || (e.delete && *deleted),
                None => false,
            };
            let knowingly_replaced = replaced.contains(&(e.id, e.stamp.clone()));
            // A delete is met by any later delete of the row, whichever console made it.
            let deleted_again = e.delete
                && self
                    .edits
                    .iter()
                    .any(|other| other.delete && other.id == e.id && other.stamp > e.stamp);
            let kept = recorded.contains(&(e.id.to_string(), e.stamp.0, e.stamp.1.clone()));
            if !(survived || knowingly_replaced || kept || deleted_again) {
                self.report.lost_edits += 1;
                self.report.problems.push(format!(
                    "{} {} {} at site-{} stamped {} vanished without a conflict row (ends {:?})",
                    e.entity,
                    e.id,
                    if e.delete { "delete" } else { "edit" },
                    e.site,
                    Hlc::from_i64(e.stamp.0)
                        .map(|h| h.to_string())
                        .unwrap_or_default(),
                    last
                ));
            }
        }
        Ok(())
    }
}

fn dump(store: &Store, table: &str, columns: &str) -> Result<Vec<String>> {
    let mut stmt = store.conn.prepare(&format!(
        "SELECT json_array({columns}) FROM {table} ORDER BY 1"
    ))?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Runs one case: `sites` consoles, `steps` random steps from `seed`, in a temporary folder.
pub fn run_case(sites: usize, steps: u64, seed: u64) -> Result<CaseReport> {
    let dir = tempfile::tempdir().map_err(|source| StoreError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    Simulation::new(dir.path(), sites, seed)?.run(steps)
}

/// Runs one case like [`run_case`], syncing through the exchange `connect` makes (a real hub's
/// venue `venue_id`, one device per site node).
pub fn run_case_with(
    sites: usize,
    steps: u64,
    seed: u64,
    venue_id: Uuid,
    connect: impl FnOnce(&[NodeId]) -> Result<Box<dyn Exchange>>,
) -> Result<CaseReport> {
    let dir = tempfile::tempdir().map_err(|source| StoreError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    Simulation::with_exchange(dir.path(), sites, seed, Some(venue_id), connect)?.run(steps)
}
