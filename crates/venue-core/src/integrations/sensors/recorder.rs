//! Turns what the poller and push devices report into stored readings: cumulative counters to
//! deltas (resets never negative, a gap filled from the device's history and never counted
//! twice), occupancy per zone clamped at zero with an optional daily reset at closing, and
//! each device's state kept so a restart continues where it stopped.

use crate::console::StoreHandle;
use crate::ApiResult;
use chrono::{DateTime, Duration, Timelike, Utc};
use std::collections::HashMap;
use venue_domain::{
    new_id, Alert, AlertState, Origin, SensorDevice, SensorReading, Severity, Venue,
};
use venue_sensors::config::SensorConfig;
use venue_sensors::counter;
use venue_sensors::poller::PollEvent;
use venue_sensors::{CounterSample, HistoryBucket};
use venue_store::SensorState;

/// What one device did in a round, for `venue sensors poll --once`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DeviceRound {
    pub device: String,
    pub zone: String,
    /// online, offline, auth_failed or unknown.
    pub status: String,
    pub entries: u32,
    pub exits: u32,
    /// The zone's occupancy after this round.
    pub occupancy: Option<i64>,
    /// Readings written from the device's history to fill a gap.
    pub backfilled: u32,
    pub error: Option<String>,
}

struct Device {
    config: SensorConfig,
    id: uuid::Uuid,
    state: SensorState,
    last: Option<CounterSample>,
    /// Periods already written from history for the gap the next sample closes.
    backfilled: Vec<HistoryBucket>,
    round: DeviceRound,
}

pub(crate) struct Recorder<'s> {
    store: &'s StoreHandle,
    venue: Venue,
    devices: HashMap<String, Device>,
    zones: HashMap<String, i64>,
    /// Readings and device states waiting for `flush`: one transaction for a burst of polls,
    /// not one per reading (a thousand doors every few seconds).
    pending: Vec<SensorReading>,
    dirty: std::collections::BTreeSet<String>,
    /// What the screens last heard of each zone's readings, to keep quiet polls quiet.
    shown: HashMap<String, ShownZone>,
    /// The doors this recorder counts: one recorder per door across processes (migration 0012).
    lease: RecordingLease,
}

/// This recorder's hold on its doors' recording leases: taken at the first event, renewed well
/// within [`RECORDING_LEASE`], given up after the last write.
struct RecordingLease {
    holder: String,
    renew_at: Option<std::time::Instant>,
    /// Doors held now (counted here) and doors another process records (with its holder).
    held: std::collections::BTreeSet<String>,
    busy: HashMap<String, String>,
}

/// How long a recorder's hold on a door lasts without renewal: a recorder that stopped (killed,
/// crashed) leaves its doors to another process after this at the latest.
const RECORDING_LEASE: std::time::Duration = std::time::Duration::from_secs(60);
/// Renewed this often while events arrive (a door polls every few seconds to minutes).
const RECORDING_RENEW: std::time::Duration = std::time::Duration::from_secs(20);

/// A zone as the screens last saw it through its readings: the count, and the 15-minute period
/// the newest reading fell in (Today's curve has one point per period).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ShownZone {
    occupancy: Option<i64>,
    quarter: i64,
}

impl ShownZone {
    fn of(reading: &SensorReading) -> Self {
        ShownZone {
            occupancy: reading.occupancy,
            quarter: reading.period_end.timestamp().div_euclid(900),
        }
    }
}

impl<'s> Recorder<'s> {
    /// Registers the configured devices and restores their saved state.
    pub fn new(store: &'s StoreHandle, venue: &Venue, configs: &[SensorConfig]) -> ApiResult<Self> {
        let rows: Vec<SensorDevice> = configs
            .iter()
            .map(|c| SensorDevice {
                // Every console of the venue gives a door the same id.
                id: venue_domain::natural::sensor_device(venue.id, &c.name),
                venue_id: venue.id,
                name: c.name.clone(),
                kind: super::kind_name(c),
                zone: Some(c.zone.clone()),
            })
            .collect();
        store.with(|s| s.ingest(Origin::Sensor, None, &rows))?;
        let saved: HashMap<String, SensorState> = store
            .with(|s| s.sensor_states(venue.id))?
            .into_iter()
            .map(|s| (s.device.clone(), s))
            .collect();
        let mut devices = HashMap::new();
        let mut zones: HashMap<String, i64> = HashMap::new();
        for c in configs {
            let id = store
                .with(|s| s.sensor_device_id(venue.id, &c.name))?
                .ok_or_else(|| {
                    crate::ApiError::new(
                        crate::ErrorCode::Internal,
                        format!("sensor {} was not registered", c.name),
                    )
                })?;
            let state = saved.get(&c.name).cloned().unwrap_or_else(|| SensorState {
                device: c.name.clone(),
                last_sample: None,
                occupancy: None,
                status: "unknown".into(),
                failures: 0,
                last_error: None,
                status_since: None,
                updated_at: Utc::now(),
            });
            let last = state
                .last_sample
                .clone()
                .and_then(|v| serde_json::from_value::<CounterSample>(v).ok());
            if let Some(occ) = state.occupancy {
                zones.insert(c.zone.clone(), occ);
            }
            devices.insert(
                c.name.clone(),
                Device {
                    round: DeviceRound {
                        device: c.name.clone(),
                        zone: c.zone.clone(),
                        status: state.status.clone(),
                        ..Default::default()
                    },
                    config: c.clone(),
                    id,
                    state,
                    last,
                    backfilled: Vec::new(),
                },
            );
        }
        Ok(Recorder {
            store,
            venue: venue.clone(),
            devices,
            zones,
            pending: Vec::new(),
            dirty: Default::default(),
            shown: HashMap::new(),
            lease: RecordingLease {
                holder: format!("pid {} ({})", std::process::id(), new_id()),
                renew_at: None,
                held: Default::default(),
                busy: HashMap::new(),
            },
        })
    }

    /// Whether this recorder counts `device` now: takes or renews the doors' leases when due,
    /// and starts a door newly taken over from the last sample the previous recorder stored, so
    /// nothing it counted is counted again. A door another process records is polled for its
    /// status here but counted there.
    fn records(&mut self, device: &str) -> ApiResult<bool> {
        let due = self
            .lease
            .renew_at
            .is_none_or(|at| std::time::Instant::now() >= at);
        if due {
            let names: Vec<String> = self.devices.keys().cloned().collect();
            let (venue_id, holder) = (self.venue.id, &self.lease.holder);
            let renewed = self
                .store
                .with(|s| s.lease_sensor_recording(venue_id, &names, holder, RECORDING_LEASE));
            let busy = match renewed {
                Ok(busy) => busy,
                // A busy store: the leases held stay ours for a while yet (renewals come a
                // third of the way in), so counting goes on and the renewal is tried again at
                // the next event; an event is never dropped for it.
                Err(e) if self.lease.renew_at.is_some() => {
                    tracing::warn!(error = %e, "could not renew the doors' recording leases yet");
                    return Ok(!self.lease.busy.contains_key(device));
                }
                Err(e) => return Err(e.into()),
            };
            self.lease.renew_at = Some(std::time::Instant::now() + RECORDING_RENEW);
            self.lease.busy = busy.into_iter().collect();
            let taken: Vec<String> = names
                .into_iter()
                .filter(|n| !self.lease.busy.contains_key(n) && !self.lease.held.contains(n))
                .collect();
            if !taken.is_empty() {
                self.resume_from_store(&taken)?;
            }
            self.lease.held = self
                .devices
                .keys()
                .filter(|n| !self.lease.busy.contains_key(*n))
                .cloned()
                .collect();
        }
        match self.lease.busy.get(device) {
            None => Ok(true),
            Some(holder) => {
                if let Some(d) = self.devices.get_mut(device) {
                    d.round.error = Some(format!("counted by another process ({holder})"));
                }
                Ok(false)
            }
        }
    }

    /// Picks up where the door's previous recorder stopped: its last stored sample and state.
    fn resume_from_store(&mut self, devices: &[String]) -> ApiResult<()> {
        let saved = self.store.with(|s| s.sensor_states(self.venue.id))?;
        for state in saved.into_iter().filter(|s| devices.contains(&s.device)) {
            if let Some(d) = self.devices.get_mut(&state.device) {
                d.last = state
                    .last_sample
                    .clone()
                    .and_then(|v| serde_json::from_value::<CounterSample>(v).ok());
                if let Some(occ) = state.occupancy {
                    self.zones.insert(d.config.zone.clone(), occ);
                }
                d.backfilled.clear();
                d.state = state;
            }
        }
        Ok(())
    }

    /// Gives up this recorder's doors after its last write, so another process may count them
    /// at once. A recorder that never gets here (killed) leaves them when its leases lapse.
    pub fn release(&mut self) -> ApiResult<()> {
        if self.lease.renew_at.take().is_some() {
            let (venue_id, holder) = (self.venue.id, &self.lease.holder);
            self.store
                .with(|s| s.release_sensor_recording(venue_id, holder))?;
            self.lease.held.clear();
        }
        Ok(())
    }

    /// The last sample of a device, so the poller can detect a gap after a restart.
    pub fn last_sample(&self, device: &str) -> Option<CounterSample> {
        self.devices.get(device).and_then(|d| d.last)
    }

    pub fn rounds(&self) -> Vec<DeviceRound> {
        let mut out: Vec<DeviceRound> = self.devices.values().map(|d| d.round.clone()).collect();
        out.sort_by(|a, b| a.device.cmp(&b.device));
        out
    }

    /// The zone's occupancy after a flow, clamped at zero, reset to zero when the venue's
    /// closing hour passed between `from` and `to`.
    fn zone_flow(
        &mut self,
        device: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        entries: u32,
        exits: u32,
        reported: Option<i64>,
    ) -> Option<i64> {
        let d = self.devices.get(device)?;
        let zone = d.config.zone.clone();
        let reset_hour = d.config.daily_reset_hour;
        let current = self.zones.get(&zone).copied().unwrap_or(0);
        let start = match reset_hour {
            Some(hour) if crossed_local_hour(&self.venue, from, to, hour) => 0,
            _ => current,
        };
        // A device that keeps occupancy itself (AXIS 3D, Xovis zones) is the authority.
        let next = reported
            .unwrap_or(start + i64::from(entries) - i64::from(exits))
            .max(0);
        self.zones.insert(zone, next);
        Some(next)
    }

    fn write(
        &mut self,
        device: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        entries: u32,
        exits: u32,
        occupancy: Option<i64>,
    ) -> ApiResult<()> {
        let Some(d) = self.devices.get(device) else {
            return Ok(());
        };
        self.pending.push(SensorReading {
            id: venue_domain::natural::sensor_reading(d.id, from),
            venue_id: self.venue.id,
            device_id: d.id,
            zone: Some(d.config.zone.clone()),
            period_start: from,
            period_end: to,
            entries,
            exits,
            occupancy,
        });
        Ok(())
    }

    fn save(&mut self, device: &str) -> ApiResult<()> {
        self.dirty.insert(device.to_string());
        Ok(())
    }

    /// Writes what is pending: the readings in one transaction, then the devices' states
    /// (after the readings, so a crash in between re-counts nothing: the saved sample is older
    /// and the readings' natural key makes the re-count an update, not a second row). What the
    /// store refuses stays pending for the next flush: a busy store delays counts, never loses
    /// them.
    pub fn flush(&mut self) -> ApiResult<()> {
        if !self.pending.is_empty() {
            // Most polls find nobody came through: stored and synced like any reading, but
            // telling the screens would have them re-read and repaint every few seconds all
            // night for nothing. A flow, a changed count or a new curve period is shown.
            let seen = screens_see(&mut self.shown, &self.pending);
            let pending = &self.pending;
            let written = self.store.with(|store| {
                if seen {
                    store.ingest(Origin::Sensor, None, pending)
                } else {
                    store.ingest_unannounced(Origin::Sensor, None, pending)
                }
            });
            if let Err(e) = written {
                // The screens have not seen these yet: the write that lands announces them.
                self.shown.clear();
                return Err(e.into());
            }
            self.pending.clear();
        }
        while let Some(device) = self.dirty.first().cloned() {
            let zones = &self.zones;
            // A door another process counts keeps the state that process saves: ours would put
            // back an older sample, and whoever takes the door over next would count again.
            let counted_elsewhere = self.lease.busy.contains_key(&device);
            if let Some(d) = self.devices.get_mut(&device).filter(|_| !counted_elsewhere) {
                d.state.last_sample = d.last.map(serde_json::to_value).transpose()?;
                d.state.occupancy = zones.get(&d.config.zone).copied();
                d.state.updated_at = Utc::now();
                let (venue_id, state) = (self.venue.id, &d.state);
                self.store.with(|s| s.save_sensor_state(venue_id, state))?;
            }
            self.dirty.remove(&device);
        }
        Ok(())
    }

    fn set_status(&mut self, device: &str, status: &str, error: Option<String>, failures: u32) {
        if let Some(d) = self.devices.get_mut(device) {
            if d.state.status != status {
                d.state.status_since = Some(Utc::now());
            }
            d.state.status = status.to_string();
            d.state.failures = failures;
            d.state.last_error = error.clone();
            d.round.status = status.to_string();
            d.round.error = error;
        }
    }

    /// A sensor that could not be set up (its password missing, a bad pin): shown, not polled.
    pub fn setup_failed(&mut self, device: &str, error: &str) {
        self.set_status(device, "unknown", Some(error.to_string()), 0);
        self.dirty.insert(device.to_string());
    }

    /// Applies one poller event.
    pub fn on_event(&mut self, event: PollEvent) -> ApiResult<()> {
        match event {
            PollEvent::Sample { device, sample, .. } => {
                if !self.records(&device)? {
                    return Ok(());
                }
                self.on_sample(&device, sample)
            }
            PollEvent::Backfill { device, .. } if !self.records(&device)? => Ok(()),
            PollEvent::Backfill {
                device,
                from,
                to,
                buckets,
            } => match buckets {
                Ok(buckets) => self.on_history(&device, from, to, &buckets),
                Err(e) => {
                    // The next sample's delta then covers the whole gap as one reading.
                    tracing::warn!(device, error = %e, "no history to fill the gap; counted as one period");
                    Ok(())
                }
            },
            PollEvent::Offline {
                device,
                error,
                failures,
            } => {
                tracing::warn!(device, %error, failures, "sensor offline");
                self.set_status(&device, "offline", Some(error.to_string()), failures);
                self.save(&device)
            }
            PollEvent::Online { device, after } => {
                tracing::info!(
                    device,
                    offline_seconds = after.as_secs(),
                    "sensor back online"
                );
                self.set_status(&device, "online", None, 0);
                self.save(&device)
            }
            PollEvent::AuthFailed { device, error } => {
                tracing::error!(device, %error, "sensor refused our credentials; polling it stopped");
                self.set_status(&device, "auth_failed", Some(error.to_string()), 0);
                if let Err(e) = self.raise_auth_alert(&device, &error.to_string()) {
                    // The sensor.auth_failed rule opens it from the device's state instead.
                    tracing::warn!(device, error = %e, "could not open the credentials alert now");
                }
                self.save(&device)
            }
            PollEvent::Failed { device, error } => {
                if let Some(d) = self.devices.get_mut(&device) {
                    d.round.error = Some(error.to_string());
                    d.state.last_error = Some(error.to_string());
                }
                Ok(())
            }
        }
    }

    /// A push device's batch (MQTT): buckets of counts, plus the zone occupancy if it sent one.
    pub fn on_push(
        &mut self,
        device: &str,
        buckets: &[HistoryBucket],
        occupancy: Option<i64>,
    ) -> ApiResult<()> {
        if !self.records(device)? {
            return Ok(());
        }
        for b in buckets {
            let occ = self.zone_flow(device, b.start, b.end, b.entries, b.exits, occupancy);
            self.write(device, b.start, b.end, b.entries, b.exits, occ)?;
            if let Some(d) = self.devices.get_mut(device) {
                d.round.entries += b.entries;
                d.round.exits += b.exits;
                d.round.occupancy = occ;
            }
        }
        self.set_status(device, "online", None, 0);
        self.save(device)
    }

    fn on_history(
        &mut self,
        device: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        buckets: &[HistoryBucket],
    ) -> ApiResult<()> {
        let mut written = Vec::new();
        let mut count = 0;
        for b in buckets {
            // Only whole buckets inside the gap: the sample's delta covers the rest.
            if b.start < from || b.end > to || (b.entries == 0 && b.exits == 0) {
                continue;
            }
            let occ = self.zone_flow(device, b.start, b.end, b.entries, b.exits, None);
            self.write(device, b.start, b.end, b.entries, b.exits, occ)?;
            written.push(*b);
            count += 1;
        }
        if let Some(d) = self.devices.get_mut(device) {
            d.backfilled = written;
            d.round.backfilled += count;
        }
        Ok(())
    }

    fn on_sample(&mut self, device: &str, sample: CounterSample) -> ApiResult<()> {
        let Some(d) = self.devices.get_mut(device) else {
            return Ok(());
        };
        let previous = d.last;
        let backfilled = std::mem::take(&mut d.backfilled);
        match counter::delta(previous.as_ref(), &sample) {
            Some(delta) => {
                // What history already wrote for this gap is not counted again. After a reset
                // the counters hold only what came since it: only history from then on is
                // inside them. Devices reset at local midnight, so that is when it was (a
                // manual reset mid-gap can cost the rest of that period, never a double count).
                let since = if delta.reset {
                    last_local_midnight(&self.venue, delta.to).max(delta.from)
                } else {
                    delta.from
                };
                let (already_in, already_out) = backfilled
                    .iter()
                    .filter(|b| b.start >= since)
                    .fold((0u64, 0u64), |(i, o), b| {
                        (i + u64::from(b.entries), o + u64::from(b.exits))
                    });
                let entries = u64::from(delta.entries).saturating_sub(already_in) as u32;
                let exits = u64::from(delta.exits).saturating_sub(already_out) as u32;
                if delta.reset {
                    tracing::info!(device, "counter reset detected; counting from zero");
                }
                let occ = self.zone_flow(
                    device,
                    delta.from,
                    delta.to,
                    entries,
                    exits,
                    sample.occupancy,
                );
                self.write(device, delta.from, delta.to, entries, exits, occ)?;
                if let Some(d) = self.devices.get_mut(device) {
                    d.round.entries += entries;
                    d.round.exits += exits;
                    d.round.occupancy = occ;
                    d.last = Some(sample);
                }
            }
            None => {
                // A baseline, or a sample not newer than the last (a clock jump back): keep the
                // newest totals as the base so nothing is counted twice.
                if let Some(d) = self.devices.get_mut(device) {
                    if previous.is_none_or(|p| {
                        sample.at > p.at
                            || sample.total_in < p.total_in
                            || sample.total_out < p.total_out
                    }) {
                        d.last = Some(sample);
                    }
                    if let Some(occ) = sample.occupancy {
                        d.round.occupancy = Some(occ);
                    }
                }
                if let (Some(occ), Some(zone)) = (
                    sample.occupancy,
                    self.devices.get(device).map(|d| d.config.zone.clone()),
                ) {
                    self.zones.insert(zone, occ.max(0));
                }
            }
        }
        let failures = 0;
        self.set_status(device, "online", None, failures);
        self.save(device)
    }

    fn raise_auth_alert(&mut self, device: &str, error: &str) -> ApiResult<()> {
        let key = format!("sensor.auth_failed:{device}");
        let open = self.store.with(|s| s.open_alert(self.venue.id, &key))?;
        if open.is_some() {
            return Ok(());
        }
        let opened_at = Utc::now();
        let alert = Alert {
            id: venue_domain::natural::alert(self.venue.id, &key, opened_at),
            venue_id: self.venue.id,
            rule: "sensor.auth_failed".into(),
            dedupe_key: key,
            severity: Severity::Critical,
            title: format!("Door sensor {device} refused our credentials"),
            body: format!("Polling stopped so the device's account is not locked. Check the password (secret sensor-{device}). {error}"),
            state: AlertState::Open,
            opened_at,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
        };
        self.store
            .with(|s| s.open_alert_once(Origin::Sensor, None, &alert))?;
        Ok(())
    }
}

/// Whether any of `readings` changes what a screen shows of its zone, remembering in `shown`
/// what the screens have now seen. A zone's count can change without a flow (a device that
/// keeps the count itself corrects it), so the count is compared, not only the flows.
fn screens_see(shown: &mut HashMap<String, ShownZone>, readings: &[SensorReading]) -> bool {
    let mut seen = false;
    for reading in readings {
        let now = ShownZone::of(reading);
        let zone = reading.zone.as_deref().unwrap_or_default();
        if shown.get(zone) != Some(&now) {
            seen = true;
            shown.insert(zone.to_string(), now);
        } else if reading.entries > 0 || reading.exits > 0 {
            seen = true;
        }
    }
    seen
}

/// The latest venue-local midnight at or before `at`.
fn last_local_midnight(venue: &Venue, at: DateTime<Utc>) -> DateTime<Utc> {
    venue.day_bounds(venue.local_date(at)).0
}

/// Whether the venue-local `hour` o'clock falls in (from, to].
fn crossed_local_hour(venue: &Venue, from: DateTime<Utc>, to: DateTime<Utc>, hour: u32) -> bool {
    if to <= from || to - from >= Duration::days(1) {
        return to - from >= Duration::days(1);
    }
    let local_to = to.with_timezone(&venue.timezone);
    let local_from = from.with_timezone(&venue.timezone);
    let mut t = local_from;
    // At most 24 hourly steps: find an hour boundary equal to `hour` in (from, to].
    for _ in 0..25 {
        let next = (t + Duration::hours(1))
            .with_minute(0)
            .and_then(|x| x.with_second(0))
            .and_then(|x| x.with_nanosecond(0));
        let Some(next) = next else { return false };
        if next > local_to {
            return false;
        }
        if next.hour() == hour {
            return true;
        }
        t = next;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn venue() -> Venue {
        Venue::new("Late Bar", "Europe/London", "GBP", 100).expect("venue")
    }

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, d, h, m, 0)
            .single()
            .expect("time")
    }

    fn reading(zone: &str, end: DateTime<Utc>, entries: u32, occupancy: i64) -> SensorReading {
        SensorReading {
            id: new_id(),
            venue_id: uuid::Uuid::nil(),
            device_id: uuid::Uuid::nil(),
            zone: Some(zone.into()),
            period_start: end - Duration::seconds(15),
            period_end: end,
            entries,
            exits: 0,
            occupancy: Some(occupancy),
        }
    }

    #[test]
    fn only_polls_that_change_a_zone_on_screen_are_shown() {
        let mut shown = HashMap::new();
        let t = utc(1, 12, 1);
        assert!(
            screens_see(&mut shown, &[reading("bar", t, 0, 4)]),
            "a zone's first reading is news"
        );
        let later = t + Duration::seconds(15);
        assert!(
            !screens_see(&mut shown, &[reading("bar", later, 0, 4)]),
            "nobody through, same count, same curve period: quiet"
        );
        assert!(
            screens_see(&mut shown, &[reading("bar", later, 2, 6)]),
            "people came in"
        );
        assert!(
            screens_see(&mut shown, &[reading("bar", later, 0, 5)]),
            "the device corrected its count without a flow"
        );
        assert!(
            screens_see(&mut shown, &[reading("bar", utc(1, 12, 16), 0, 5)]),
            "the first reading of a new 15-minute period adds a point to the curve"
        );
        assert!(
            screens_see(
                &mut shown,
                &[
                    reading("bar", utc(1, 12, 17), 0, 5),
                    reading("lobby", utc(1, 12, 17), 0, 0)
                ]
            ),
            "a quiet zone does not hide another zone's news"
        );
        assert!(!screens_see(
            &mut shown,
            &[
                reading("bar", utc(1, 12, 18), 0, 5),
                reading("lobby", utc(1, 12, 18), 0, 0)
            ]
        ));
    }

    #[test]
    fn the_closing_hour_is_crossed_in_venue_local_time() {
        let v = venue();
        // 04:00 in London in July is 03:00 UTC.
        assert!(crossed_local_hour(&v, utc(1, 2, 55), utc(1, 3, 5), 4));
        assert!(!crossed_local_hour(&v, utc(1, 3, 5), utc(1, 3, 55), 4));
        assert!(!crossed_local_hour(&v, utc(1, 1, 0), utc(1, 2, 59), 4));
        // A gap of a day or more always spans the closing hour; an empty one never does.
        assert!(crossed_local_hour(&v, utc(1, 12, 0), utc(2, 12, 0), 4));
        assert!(!crossed_local_hour(&v, utc(1, 12, 0), utc(1, 12, 0), 4));
    }
}
