//! The demo venue: a believable small hotel with a bar, written through the same ingestion path
//! as real connectors (snapshots, change log, summaries), relative to the current day.

use crate::ApiResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use venue_domain::*;
use venue_store::{identified, Store};

const FIRST_NAMES: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Noah", "Oliver", "George", "Arthur", "Leo", "Zoë",
    "Søren", "Aisha", "Mateo", "Chloé", "Yuki", "Priya", "Lukas", "Ingrid", "Tomás",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Müller",
    "O'Brien",
    "Kowalski",
    "Nakamura",
    "Rossi",
    "Fernández",
    "Patel",
    "Dubois",
    "Larsen",
    "Nguyen",
    "Walsh",
    "Evans",
];

/// Relative sales per hour of the day (bar and restaurant): breakfast, lunch and evening peaks.
const HOURLY_WEIGHT: [u32; 24] = [
    0, 0, 0, 0, 0, 0, 0, 3, 6, 5, 2, 3, 8, 9, 4, 2, 2, 4, 8, 10, 9, 7, 4, 1,
];

struct Seeder<'a> {
    store: &'a mut Store,
    venue: &'a Venue,
    rng: fastrand::Rng,
    today: NaiveDate,
    now: DateTime<Utc>,
    written: u64,
}

/// Seeds the store and returns how many rows were written.
pub fn seed(
    store: &mut Store,
    venue: &Venue,
    now: DateTime<Utc>,
    with_sales: bool,
    with_stays: bool,
) -> ApiResult<u64> {
    let mut seeder = Seeder {
        store,
        venue,
        rng: fastrand::Rng::with_seed(20_260_701),
        today: venue.local_date(now),
        now,
        written: 0,
    };
    if with_stays {
        seeder.stays()?;
    }
    if with_sales {
        seeder.sales()?;
    }
    seeder.traffic()?;
    // Sign-in for the desktop app: Sam Front Desk 1111, Morgan Manager 2222, Alex Admin 3333.
    crate::staff::seed_demo_staff(seeder.store, venue.id, "demo")?;
    Ok(seeder.written)
}

impl Seeder<'_> {
    fn at_local(&self, date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
        let naive =
            date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN));
        self.venue
            .timezone
            .from_local_datetime(&naive)
            .earliest()
            .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
    }

    fn begin(&mut self, connector: &str) -> ApiResult<Snapshot> {
        let snapshot = Snapshot {
            id: new_id(),
            venue_id: self.venue.id,
            connector: connector.into(),
            correlation_id: new_id().to_string(),
            started_at: Utc::now(),
            finished_at: None,
            status: SnapshotStatus::Running,
            error: None,
            records_seen: 0,
            records_written: 0,
            high_water_mark: None,
            cursor: None,
        };
        self.store
            .ingest(Origin::Connector, None, std::slice::from_ref(&snapshot))?;
        Ok(snapshot)
    }

    fn finish(&mut self, mut snapshot: Snapshot, seen: u64, written: u64) -> ApiResult<()> {
        snapshot.finished_at = Some(Utc::now());
        snapshot.status = SnapshotStatus::Ok;
        snapshot.records_seen = seen;
        snapshot.records_written = written;
        snapshot.high_water_mark = Some(self.now);
        self.store.ingest(Origin::Connector, None, &[snapshot])?;
        self.written += written;
        Ok(())
    }

    fn stays(&mut self) -> ApiResult<()> {
        let snapshot = self.begin("demo-pms")?;
        let venue_id = self.venue.id;
        let states = ["Clean", "Clean", "Inspected", "Dirty"];
        let rooms: Vec<Resource> = (1..=3)
            .flat_map(|floor| (1..=8).map(move |n| (floor, floor * 100 + n)))
            .map(|(floor, number)| Resource {
                id: new_id(),
                venue_id,
                source: "demo-pms".into(),
                external_id: format!("room-{number}"),
                name: number.to_string(),
                kind: "Room".into(),
                state: Some(states[self.rng.usize(..states.len())].into()),
                floor: Some(floor.to_string()),
                updated_at_source: Some(self.now),
            })
            .map(identified)
            .collect();
        let guests: Vec<Customer> = (0..40)
            .map(|i| {
                let first = FIRST_NAMES[self.rng.usize(..FIRST_NAMES.len())];
                let last = LAST_NAMES[self.rng.usize(..LAST_NAMES.len())];
                let mailbox: String = format!("{first}.{last}{i}")
                    .to_lowercase()
                    .chars()
                    .map(|c| match c {
                        'ü' => 'u',
                        'ö' | 'ø' => 'o',
                        'é' | 'ë' => 'e',
                        'á' => 'a',
                        other => other,
                    })
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                Customer {
                    id: new_id(),
                    venue_id,
                    source: "demo-pms".into(),
                    external_id: format!("guest-{i:03}"),
                    first_name: Some(first.into()),
                    last_name: Some(last.into()),
                    email: Some(format!("{mailbox}@example.com")),
                    phone: Some(format!("+44 7700 900{:03}", 100 + i)),
                    classifications: if i % 9 == 0 {
                        vec!["Vip".into()]
                    } else {
                        Vec::new()
                    },
                    notes: (i % 7 == 0).then(|| "Prefers a quiet room".to_string()),
                    updated_at_source: Some(self.now),
                }
            })
            .map(identified)
            .collect();
        let mut stays = Vec::new();
        let mut room_free_from = vec![self.today - Duration::days(10); rooms.len()];
        for offset in -3i64..=4 {
            let arrival = self.today + Duration::days(offset);
            for _ in 0..(4 + self.rng.u32(..4)) {
                let nights = 1 + self.rng.i64(0..4);
                let Some(room) = room_free_from.iter().position(|free| *free <= arrival) else {
                    continue;
                };
                room_free_from[room] = arrival + Duration::days(nights);
                let guest = &guests[stays.len() % guests.len()];
                let start = self.at_local(arrival, 15, 0);
                let end = self.at_local(arrival + Duration::days(nights), 11, 0);
                let state = if self.rng.u32(..20) == 0 {
                    ReservationState::Canceled
                } else if end <= self.now {
                    ReservationState::Processed
                } else if start <= self.now {
                    ReservationState::Started
                } else {
                    ReservationState::Confirmed
                };
                stays.push(identified(Reservation {
                    id: new_id(),
                    venue_id,
                    source: "demo-pms".into(),
                    external_id: format!("stay-{}", 1000 + stays.len()),
                    number: Some(format!("H{}", 52_000 + stays.len())),
                    state,
                    start_utc: start,
                    end_utc: end,
                    customer_id: Some(guest.id),
                    resource_id: Some(rooms[room].id),
                    person_count: 1 + self.rng.u32(..3),
                    notes: None,
                    updated_at_source: Some(self.now),
                }));
            }
        }
        let seen = (rooms.len() + guests.len() + stays.len()) as u64;
        let mut written = self
            .store
            .ingest(Origin::Pms, Some(snapshot.id), &rooms)?
            .written();
        written += self
            .store
            .ingest(Origin::Pms, Some(snapshot.id), &guests)?
            .written();
        written += self
            .store
            .ingest(Origin::Pms, Some(snapshot.id), &stays)?
            .written();
        self.finish(snapshot, seen, written)
    }

    fn sales(&mut self) -> ApiResult<()> {
        let snapshot = self.begin("demo-pos")?;
        let mut sales = Vec::new();
        for days_ago in (0..28i64).rev() {
            let date = self.today - Duration::days(days_ago);
            let busy = match date.weekday() {
                Weekday::Fri | Weekday::Sat => 3,
                Weekday::Sun => 2,
                _ => 1,
            };
            for (hour, weight) in HOURLY_WEIGHT.iter().enumerate() {
                for _ in 0..(weight * busy + self.rng.u32(..=*weight)) {
                    let minute = self.rng.u32(..60);
                    let closed_at = self.at_local(date, hour as u32, minute);
                    if closed_at > self.now {
                        continue;
                    }
                    let total = 350 + i64::from(self.rng.u32(..6_000));
                    let tip = if self.rng.u32(..3) == 0 {
                        total / 10
                    } else {
                        0
                    };
                    let refund = if self.rng.u32(..80) == 0 { total } else { 0 };
                    let status = if self.rng.u32(..150) == 0 {
                        TransactionStatus::Canceled
                    } else {
                        TransactionStatus::Completed
                    };
                    sales.push(identified(Transaction {
                        id: new_id(),
                        venue_id: self.venue.id,
                        source: "demo-pos".into(),
                        external_id: format!("sale-{}", sales.len() + 1),
                        location_id: Some(if hour < 11 { "restaurant" } else { "bar" }.into()),
                        status,
                        opened_at: Some(closed_at - Duration::minutes(5 + self.rng.i64(0..50))),
                        closed_at,
                        currency: self.venue.currency,
                        total_minor: total + tip,
                        // UK VAT is 20% of the net price: a sixth of a VAT-inclusive price.
                        tax_minor: total / 6,
                        tip_minor: tip,
                        discount_minor: if self.rng.u32(..12) == 0 {
                            total / 10
                        } else {
                            0
                        },
                        refunded_minor: refund,
                    }));
                }
            }
        }
        let seen = sales.len() as u64;
        let written = self
            .store
            .ingest(Origin::Connector, Some(snapshot.id), &sales)?
            .written();
        self.finish(snapshot, seen, written)
    }

    fn traffic(&mut self) -> ApiResult<()> {
        let snapshot = self.begin("demo-sensors")?;
        let venue_id = self.venue.id;
        let doors = [
            ("front-door", "lobby", 1u32),
            ("bar-door", "bar", 2),
            ("terrace-gate", "terrace", 1),
        ];
        let devices: Vec<SensorDevice> = doors
            .iter()
            .map(|(name, zone, _)| SensorDevice {
                id: new_id(),
                venue_id,
                name: (*name).into(),
                kind: "axis-a3dpc".into(),
                zone: Some((*zone).into()),
            })
            .map(identified)
            .collect();
        self.store
            .ingest(Origin::Sensor, Some(snapshot.id), &devices)?;
        let mut readings = Vec::new();
        for days_ago in (0..8i64).rev() {
            let date = self.today - Duration::days(days_ago);
            for (device, (_, zone, scale)) in devices.iter().zip(doors) {
                let mut inside: i64 = 0;
                for quarter in 0..96u32 {
                    let start = self.at_local(date, quarter / 4, (quarter % 4) * 15);
                    let end = start + Duration::minutes(15);
                    if end > self.now {
                        break;
                    }
                    let weight = HOURLY_WEIGHT[(quarter / 4) as usize] * scale;
                    let entries = weight + self.rng.u32(..=weight);
                    // Late in the day more people leave than arrive.
                    let leaving = if quarter >= 88 {
                        inside.max(0) as u32
                    } else {
                        entries.saturating_sub(1) + self.rng.u32(..=weight / 2 + 1)
                    };
                    let exits = leaving.min((inside + i64::from(entries)).max(0) as u32);
                    inside = (inside + i64::from(entries) - i64::from(exits)).max(0);
                    readings.push(identified(SensorReading {
                        id: new_id(),
                        venue_id,
                        device_id: device.id,
                        zone: Some(zone.into()),
                        period_start: start,
                        period_end: end,
                        entries,
                        exits,
                        occupancy: Some(inside),
                    }));
                }
            }
        }
        let seen = (devices.len() + readings.len()) as u64;
        let written = devices.len() as u64
            + self
                .store
                .ingest(Origin::Sensor, Some(snapshot.id), &readings)?
                .written();
        self.finish(snapshot, seen, written)
    }
}
