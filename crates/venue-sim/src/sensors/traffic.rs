//! Background foot traffic: arrivals follow the venue's day (open 07:00–23:00, lunch and
//! evening peaks, quieter early in the week and on Sundays), people stay a while and leave, and
//! everyone is out soon after closing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use super::device::Device;
use crate::server::lock;

/// Relative arrivals per venue-local hour (0 outside 07:00–23:00); the busiest hour is 1.0.
const HOURLY: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, // 00–06 closed
    0.25, 0.45, 0.40, 0.35, 0.60, 1.00, 0.90, // 07–13: breakfast, lunch peak at 12
    0.50, 0.40, 0.45, 0.65, 0.85, 0.95, 0.80, // 14–20: afternoon lull, evening peak
    0.55, 0.30, 0.0, // 21–23, closed from 23:00
];

fn weekday_factor(day: Weekday, hour: u32) -> f64 {
    let evening = hour >= 17;
    match day {
        Weekday::Mon => 0.75,
        Weekday::Tue => 0.80,
        Weekday::Wed => 0.85,
        Weekday::Thu => 0.90,
        Weekday::Fri if evening => 1.0,
        Weekday::Fri => 0.90,
        Weekday::Sat if evening => 1.0,
        Weekday::Sat => 0.95,
        Weekday::Sun if evening => 0.60,
        Weekday::Sun => 0.85,
    }
}

/// Arrivals per hour at this venue-local moment, as a share of the busiest hour's.
pub(crate) fn intensity(local: &DateTime<Tz>) -> f64 {
    let hour = local.hour();
    let h = HOURLY[hour as usize % 24];
    let next = HOURLY[(hour as usize + 1) % 24];
    // Linear within the hour, so the curve has no steps (but closing is a hard stop).
    let frac = f64::from(local.minute()) / 60.0;
    let level = if next == 0.0 || h == 0.0 {
        h
    } else {
        h + (next - h) * frac
    };
    level * weekday_factor(local.weekday(), hour)
}

/// Mean minutes a guest stays, by venue-local hour (everyone leaves soon after closing).
fn mean_stay_minutes(hour: u32) -> f64 {
    match hour {
        7..=10 => 25.0,
        11..=14 => 45.0,
        15..=16 => 35.0,
        17..=22 => 70.0,
        _ => 8.0,
    }
}

fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u1 = rng.f64().max(f64::MIN_POSITIVE);
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson draw (exact for small means, normal approximation for large ones).
pub(crate) fn poisson(rng: &mut fastrand::Rng, mean: f64) -> u32 {
    if mean <= 0.0 || !mean.is_finite() {
        return 0;
    }
    if mean < 30.0 {
        let limit = (-mean).exp();
        let mut k = 0_u32;
        let mut p = rng.f64();
        while p > limit {
            k += 1;
            p *= rng.f64();
        }
        return k;
    }
    let x = (mean + mean.sqrt() * normal(rng)).round();
    x.clamp(0.0, f64::from(u32::MAX)) as u32
}

/// A Binomial(n, p) draw.
fn binomial(rng: &mut fastrand::Rng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if n <= 64 {
        return (0..n).filter(|_| rng.f64() < p).count() as u64;
    }
    let nf = n as f64;
    let x = (nf * p + (nf * p * (1.0 - p)).sqrt() * normal(rng)).round();
    x.clamp(0.0, nf) as u64
}

/// One step of `dt` traffic time for one device at venue-local `local`: people arrive and leave.
pub(crate) fn step(device: &Device, local: &DateTime<Tz>, dt_secs: f64) {
    let per_hour = f64::from(device.spec.peak_per_hour) * intensity(local);
    let mut state = lock(&device.state);
    let arrivals = poisson(&mut state.rng, per_hour * dt_secs / 3600.0);
    let inside = u64::try_from(state.occupancy().max(0)).unwrap_or(0);
    let leave_p = 1.0 - (-dt_secs / (mean_stay_minutes(local.hour()) * 60.0)).exp();
    let leaving = binomial(&mut state.rng, inside, leave_p);
    let leaving = u32::try_from(leaving).unwrap_or(u32::MAX);
    state.record(arrivals, leaving);
}

/// Runs traffic for every device until aborted: each tick moves the traffic clock on by the
/// real time elapsed times `speedup`.
pub(crate) async fn run(devices: Vec<Arc<Device>>, tz: Tz, speedup: f64, tick: Duration) {
    let start_real = Instant::now();
    let start_traffic = Utc::now();
    let mut last = start_real;
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        interval.tick().await;
        let now = Instant::now();
        let dt = now.duration_since(last).as_secs_f64() * speedup;
        last = now;
        let elapsed = now.duration_since(start_real).as_secs_f64() * speedup;
        let at = chrono::TimeDelta::try_milliseconds((elapsed * 1000.0).min(1e15) as i64)
            .and_then(|d| start_traffic.checked_add_signed(d))
            .unwrap_or(start_traffic);
        let local = at.with_timezone(&tz);
        for device in &devices {
            step(device, &local, dt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn peaks_at_lunch_and_evening_closed_at_night() {
        let tz = chrono_tz::Europe::Amsterdam;
        // 2026-07-03 is a Friday.
        let at = |h, m| tz.with_ymd_and_hms(2026, 7, 3, h, m, 0).single();
        let i = |h, m| at(h, m).map(|t| intensity(&t)).unwrap_or(-1.0);
        assert_eq!(i(3, 0), 0.0);
        assert_eq!(i(23, 30), 0.0);
        assert!(i(12, 0) > i(9, 0));
        assert!(i(19, 0) > i(15, 0));
        assert!((0.0..=1.0).contains(&i(12, 0)));
    }

    #[test]
    fn poisson_mean_is_about_right() {
        let mut rng = fastrand::Rng::with_seed(3);
        for mean in [0.5, 4.0, 120.0] {
            let n = 4000;
            let sum: u64 = (0..n).map(|_| u64::from(poisson(&mut rng, mean))).sum();
            let got = sum as f64 / f64::from(n);
            assert!((got - mean).abs() < mean * 0.1 + 0.1, "mean {mean}: {got}");
        }
    }
}
