//! A console's pushes, made as a console makes them: rows written into a real console store
//! (sales, guests, door readings, as the connectors write them), joined to the hub's venue, and
//! its outbox read page by page into push requests.

use anyhow::Context as _;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::Path;
use uuid::Uuid;
use venue_domain::sync::{policy, PROTOCOL_VERSION};
use venue_domain::wire::{PushRequest, MAX_PAGE};
use venue_domain::*;
use venue_store::Store;

/// One console's changes, ready to push.
pub struct ConsoleWorkload {
    pub node: NodeId,
    pub venue: Uuid,
    pub pages: Vec<PushRequest>,
}

impl ConsoleWorkload {
    pub fn changes(&self) -> u64 {
        self.pages.iter().map(|p| p.changes.len() as u64).sum()
    }
}

/// A change-log row as the hub stores it: what the raw baselines insert.
pub struct HubRow {
    pub venue: Uuid,
    pub seq: i64,
    pub change_id: Uuid,
    pub entity: &'static str,
    pub entity_id: Uuid,
    pub node: Uuid,
    pub hlc: i64,
    pub down: bool,
    pub body: String,
}

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

fn sale(venue: Uuid, currency: Currency, n: u64) -> Transaction {
    let closed = epoch() + Duration::seconds((n * 7) as i64);
    let total = 350 + (n * 7919 % 6_000) as i64;
    let external_id = format!("PAY-{n:010}");
    Transaction {
        id: natural::transaction(venue, "square-main", &external_id),
        venue_id: venue,
        source: "square-main".into(),
        external_id,
        location_id: Some(format!("L{}", n % 3)),
        status: TransactionStatus::Completed,
        opened_at: Some(closed - Duration::minutes(12)),
        closed_at: closed,
        currency,
        total_minor: total,
        tax_minor: total / 6,
        tip_minor: if n.is_multiple_of(3) { total / 10 } else { 0 },
        discount_minor: 0,
        refunded_minor: if n.is_multiple_of(97) { total } else { 0 },
    }
}

const FIRST: [&str; 8] = [
    "Ada", "Bruno", "Chiara", "Dev", "Elif", "Farah", "Goran", "Hana",
];
const LAST: [&str; 8] = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Novak",
    "Silva",
    "Byrne",
    "Kaur",
];

pub fn guest(venue: Uuid, source: &str, external_id: String, n: u64) -> Customer {
    venue_store::identified(Customer {
        id: new_id(),
        venue_id: venue,
        source: source.into(),
        first_name: Some(FIRST[(n % 8) as usize].into()),
        last_name: Some(LAST[(n / 8 % 8) as usize].into()),
        email: Some(format!("{external_id}@guests.example.com").to_lowercase()),
        phone: Some(format!("+44 20 7946 {:04}", n % 10_000)),
        classifications: if n.is_multiple_of(11) {
            vec!["Vip".into()]
        } else {
            vec![]
        },
        notes: None,
        updated_at_source: Some(epoch() + Duration::minutes(n as i64)),
        external_id,
    })
}

fn reading(venue: Uuid, device: &SensorDevice, n: u64) -> SensorReading {
    let start = epoch() + Duration::minutes(5 * n as i64);
    SensorReading {
        id: natural::sensor_reading(device.id, start),
        venue_id: venue,
        device_id: device.id,
        zone: device.zone.clone(),
        period_start: start,
        period_end: start + Duration::minutes(5),
        entries: (n * 13 % 40) as u32,
        exits: (n * 11 % 38) as u32,
        occupancy: Some((n * 17 % 180) as i64),
    }
}

/// A console store at `path` joined to the hub's `venue`, holding `changes` new rows (six
/// sales to three guests and one door reading, the mix of a hotel bar), and its outbox pages.
pub fn build(path: &Path, venue: Uuid, changes: u64) -> anyhow::Result<ConsoleWorkload> {
    let mut store = Store::open(path)?;
    let own = Venue::new("Bench Venue", "Europe/London", "GBP", 200)?;
    store.save_by_user("bench", "venue.create", &own)?;
    store.join_venue(venue)?;
    let device = venue_store::identified(SensorDevice {
        id: new_id(),
        venue_id: venue,
        name: "front-door".into(),
        kind: "axis-a3dpc".into(),
        zone: Some("lobby".into()),
    });
    store.ingest(Origin::Connector, None, std::slice::from_ref(&device))?;
    // The venue row and the device are changes too: what is left is split over the mix.
    let rows = changes.saturating_sub(2);
    let (mut sales, mut guests, mut readings) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..rows {
        match n % 10 {
            0..=5 => sales.push(sale(venue, own.currency, n)),
            6..=8 => guests.push(guest(venue, "mews", format!("G-{n:010}"), n)),
            _ => readings.push(reading(venue, &device, n)),
        }
        if sales.len() >= 10_000 {
            store.ingest(Origin::Connector, None, &sales)?;
            sales.clear();
        }
        if guests.len() >= 10_000 {
            store.ingest(Origin::Connector, None, &guests)?;
            guests.clear();
        }
        if readings.len() >= 10_000 {
            store.ingest(Origin::Connector, None, &readings)?;
            readings.clear();
        }
    }
    store.ingest(Origin::Connector, None, &sales)?;
    store.ingest(Origin::Connector, None, &guests)?;
    store.ingest(Origin::Connector, None, &readings)?;

    let (node, schema) = (store.node_id(), store.schema_version()?);
    let mut pages = Vec::new();
    let mut after = 0;
    loop {
        let page = store.outbox(after, MAX_PAGE)?;
        if page.changes.is_empty() {
            break;
        }
        after = page.next_after;
        let changes = page
            .changes
            .iter()
            .map(|c| serde_json::to_value(&c.change))
            .collect::<Result<Vec<_>, _>>()?;
        pages.push(PushRequest {
            protocol: PROTOCOL_VERSION,
            schema,
            node,
            changes,
        });
    }
    Ok(ConsoleWorkload { node, venue, pages })
}

/// The rows the hub stores for `workload`, numbered as one venue's log from `first_seq`.
pub fn hub_rows(workload: &ConsoleWorkload, first_seq: i64) -> anyhow::Result<Vec<HubRow>> {
    let mut rows = Vec::new();
    let mut seq = first_seq;
    for page in &workload.pages {
        for value in &page.changes {
            let change: ChangeRecord =
                serde_json::from_value(value.clone()).context("a change we made")?;
            rows.push(HubRow {
                venue: workload.venue,
                seq,
                change_id: change.change_id,
                entity: change.entity.as_str(),
                entity_id: change.entity_id,
                node: change.node.0,
                hlc: change.hlc.as_i64(),
                down: policy(change.entity).down,
                body: serde_json::to_string(&change)?,
            });
            seq += 1;
        }
    }
    Ok(rows)
}
