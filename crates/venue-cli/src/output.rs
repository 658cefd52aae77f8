//! What the CLI prints: JSON for scripts, aligned text for people.

/// `println!` that does not panic when standard output is a pipe its reader closed
/// (`venue status | head -c1`): the rest of the output is dropped and the command goes on to
/// its own end and exit code, as if the reader had read it all.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))?
    };
}

/// Set once standard output's reader has gone: nothing more is written.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes one line to standard output; a closed pipe is not an error (see [`say!`]).
pub fn write_line(line: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    match writeln!(std::io::stdout().lock(), "{line}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        written => written.context("cannot write to standard output"),
    }
}

use anyhow::Context as _;
use serde::Serialize;
use venue_core::domain::{Currency, Money};
use venue_core::{DailyReport, FetchReport, InitReport, SearchHit, StatusReport};

fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    say!(
        "{}",
        serde_json::to_string_pretty(value).context("cannot render JSON")?
    );
    Ok(())
}

/// Stored or vendor text as it may be printed: anything that could steer a terminal (control
/// characters, escapes, bidi overrides, line breaks) shown as `\u{…}`. Rows stored before text
/// was checked at entry, and whatever vendors send, pass through here on their way to a person.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    venue_core::domain::text::printable(text)
}

fn money(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).to_string()
}

pub fn backup(report: &venue_core::BackupReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(report);
    }
    say!(
        "Backed up the store to {} ({} KiB)",
        report.path,
        report.bytes / 1024
    );
    Ok(())
}

pub fn init(report: &InitReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(report);
    }
    say!(
        "Set up \"{}\" in {}",
        shown(&report.venue.name),
        report.data_dir
    );
    say!(
        "  timezone {}, currency {}, capacity {}",
        report.venue.timezone.name(),
        report.venue.currency,
        report.venue.capacity
    );
    if report.demo_records > 0 {
        say!("  demo data: {} records", report.demo_records);
    }
    Ok(())
}

/// The venue after `venue venue`.
pub fn venue(v: &venue_core::domain::Venue, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(v);
    }
    say!(
        "Venue     {} ({}, {}, capacity {})",
        shown(&v.name),
        v.timezone.name(),
        v.currency,
        v.capacity
    );
    say!(
        "Guests    email and phone {}",
        if v.share_guest_contacts {
            "shared with the hub and the venue's other consoles"
        } else {
            "kept on this console"
        }
    );
    Ok(())
}

pub fn status(s: &StatusReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(s);
    }
    match &s.venue {
        Some(v) => say!(
            "Venue     {} ({}, {}, capacity {})",
            shown(&v.name),
            v.timezone.name(),
            v.currency,
            v.capacity
        ),
        None => say!("Venue     none set up yet: run `venue init` or `venue init --demo`"),
    }
    say!(
        "Store     {} (schema {}/{}, {}, {} KiB)",
        s.store.path,
        s.store.schema_version,
        s.store.latest_schema_version,
        s.store.journal_mode,
        s.store.size_bytes / 1024
    );
    if let Some(damage) = &s.store.damage {
        say!("Damaged   {damage}; writes are refused: restore the store from a backup");
    }
    let c = &s.counts;
    say!(
        "Records   {} sales, {} reservations, {} guests, {} rooms, {} sensor readings, {} snapshots",
        c.transactions, c.reservations, c.customers, c.resources, c.sensor_readings, c.snapshots
    );
    say!(
        "Alerts    {} open; audit entries {}",
        c.alerts_open,
        c.audit_entries
    );
    say!(
        "Changes   {} logged, {} waiting to sync{}",
        s.change_log.total,
        s.change_log.pending_sync,
        s.change_log
            .last_hlc
            .as_ref()
            .map(|h| format!(", last at {h}"))
            .unwrap_or_default()
    );
    let ahead = &s.future_stamps;
    if ahead.any() {
        say!(
            "Clock     {} snapshots and {} changes are stamped ahead of this machine's clock (newest {}{}): a run with the clock set ahead? Fetches resume from the last mark not in the future",
            ahead.snapshots,
            ahead.change_log_rows,
            ahead
                .newest_snapshot_time
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "-".into()),
            ahead
                .newest_change_hlc
                .as_deref()
                .map(|h| format!(", change {h}"))
                .unwrap_or_default()
        );
    }
    if let Some((seen, expected)) = &s.clock.refused_jump {
        say!(
            "Clock     the wall clock jumped to {seen} where it should read about {expected}: changes are stamped at the real time, not the jump"
        );
    }
    if let Some(repair) = &s.clock.last_repair {
        say!(
            "Clock     {} changes stamped ahead (up to {}) were re-stamped at the real time on {}",
            repair.restamped,
            repair.newest_ahead,
            repair.detected_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    if s.change_log.parked > 0 || s.change_log.conflicts > 0 {
        say!(
            "Sync      {} changes parked with their reasons, {} conflicts kept",
            s.change_log.parked,
            s.change_log.conflicts
        );
    }
    for c in &s.connectors {
        let wait = c
            .breaker
            .get("vendor_wait_until")
            .and_then(|v| v.as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .filter(|t| *t > chrono::Utc::now());
        if let Some(until) = wait {
            say!(
                "Waiting   {} until {}: the vendor asked us to (HTTP 429 Retry-After)",
                c.connector,
                until.format("%Y-%m-%d %H:%M UTC")
            );
        }
    }
    if let Some(snap) = &s.last_snapshot {
        say!(
            "Last fetch {} {} at {} ({} written)",
            snap.connector,
            snap.status,
            snap.started_at.format("%Y-%m-%d %H:%M UTC"),
            snap.records_written
        );
    }
    if let Some(t) = &s.today {
        say!(
            "Today     {}: {} sales, net {}",
            t.date,
            t.transactions,
            money(t.net_minor, t.currency)
        );
    }
    Ok(())
}

pub fn daily(r: &DailyReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(r);
    }
    say!("{} — {} ({})", shown(&r.venue), r.date, r.timezone);
    if r.sales.is_empty() {
        say!("Sales        none");
    }
    for totals in &r.sales {
        let (s, c) = (&totals.day, totals.day.currency);
        say!(
            "Sales        {} transactions, gross {}, net {}, average {}",
            s.transactions,
            money(s.gross_minor, c),
            money(s.net_minor, c),
            money(totals.average_ticket_minor, c)
        );
        say!(
            "             tax {}, tips {}, discounts {}, refunds {}",
            money(s.tax_minor, c),
            money(s.tip_minor, c),
            money(s.discount_minor, c),
            money(s.refunded_minor, c)
        );
    }
    for l in &r.sales_by_location {
        say!(
            "  {:<26} {:>5} sales, net {} ({})",
            shown(&l.location),
            l.transactions,
            money(l.net_minor, r.currency),
            shown(&l.source)
        );
    }
    say!(
        "Stays        {} arrivals, {} departures, {} in house tonight, {} rooms dirty",
        r.stays.arrivals,
        r.stays.departures,
        r.stays.in_house,
        r.stays.rooms_dirty
    );
    match (r.traffic.peak_occupancy, r.traffic.peak_at) {
        (Some(peak), Some(at)) => say!(
            "Foot traffic {} in, {} out, peak {} people at {}",
            r.traffic.entries,
            r.traffic.exits,
            peak,
            venue_core::domain::parse_timezone(&r.timezone)
                .map(|tz| at.with_timezone(&tz).format("%H:%M").to_string())
                .unwrap_or_else(|_| at.format("%H:%M UTC").to_string())
        ),
        _ => say!(
            "Foot traffic {} in, {} out",
            r.traffic.entries,
            r.traffic.exits
        ),
    }
    let busiest = r
        .sales_by_hour
        .iter()
        .max_by_key(|h| h.transactions)
        .filter(|h| h.transactions > 0);
    if let Some(h) = busiest {
        say!(
            "Busiest hour {:02}:00 with {} sales",
            h.hour,
            h.transactions
        );
    }
    Ok(())
}

pub fn search(hits: &[SearchHit], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&hits);
    }
    if hits.is_empty() {
        say!("No matches");
    }
    for h in hits {
        say!(
            "{:<12} {:<28} {:<32} room {:<6} {}",
            h.entity.as_str(),
            shown(&h.name),
            shown(&h.email),
            shown(&h.room),
            shown(&h.number)
        );
    }
    Ok(())
}

pub fn fetch(reports: &[FetchReport], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&reports);
    }
    for r in reports {
        let s = &r.snapshot;
        say!(
            "{:<16} {:<8} {} seen, {} written{} (breaker {:?}, correlation id {})",
            r.connector,
            s.status.as_str(),
            s.records_seen,
            s.records_written,
            if r.rejected > 0 {
                format!(", {} unreadable", r.rejected)
            } else {
                String::new()
            },
            r.breaker.state,
            s.correlation_id
        );
        if let Some(error) = &s.error {
            say!("{:<16} {}", "", shown(error));
        }
    }
    Ok(())
}

pub fn pms_sync(report: &venue_core::PmsSyncReport, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(report);
    }
    let s = &report.snapshot;
    say!(
        "{:<16} {:<8} {} seen, {} written{} (breaker {:?}, correlation id {})",
        report.connector,
        s.status.as_str(),
        report.records.seen,
        report.records.written,
        if report.records.rejected > 0 {
            format!(", {} unreadable", report.records.rejected)
        } else {
            String::new()
        },
        report.breaker.state,
        s.correlation_id
    );
    if let Some(error) = &s.error {
        say!("{:<16} {}", "", shown(error));
    }
    let c = &report.charges;
    if c.sent + c.failed + c.pending + c.busy > 0 {
        say!(
            "{:<16} charges: {} sent, {} failed, {} pending{}",
            "",
            c.sent,
            c.failed,
            c.pending,
            if c.busy > 0 {
                format!(", {} being sent by another process", c.busy)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

pub fn charges(charges: &[venue_core::domain::PmsCharge], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&charges);
    }
    if charges.is_empty() {
        say!("no charges");
    }
    for c in charges {
        say!(
            "{}  {:<8} {:>12}  {:<20} reservation {}  by {} at {}{}",
            c.id,
            c.state.as_str(),
            money(c.amount_minor, c.currency),
            shown(&c.item),
            shown(&c.reservation_external_id),
            shown(&c.requested_by),
            c.requested_at.format("%Y-%m-%d %H:%M UTC"),
            match (&c.external_order_id, &c.last_error) {
                (Some(order), _) => format!("  (PMS order {})", shown(order)),
                (None, Some(error)) => format!("  ({})", shown(error)),
                (None, None) => String::new(),
            }
        );
    }
    Ok(())
}

pub fn sensors(list: &[venue_core::SensorListing], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&list);
    }
    if list.is_empty() {
        say!("no sensors configured (add [[sensor]] blocks to venue.toml)");
    }
    for s in list {
        let (status, since, error) = match &s.state {
            Some(st) => (
                st.status.as_str(),
                st.status_since
                    .map(|t| format!(" since {}", t.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default(),
                st.last_error
                    .as_deref()
                    .map(|e| format!("  ({})", shown(e)))
                    .unwrap_or_default(),
            ),
            None => ("never polled", String::new(), String::new()),
        };
        say!(
            "{:<16} {:<20} zone {:<12} every {:>4} s  {status}{since}{error}",
            s.name,
            s.kind,
            s.zone,
            s.interval_seconds
        );
    }
    Ok(())
}

pub fn sensor_rounds(rounds: &[venue_core::DeviceRound], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(&rounds);
    }
    for r in rounds {
        say!(
            "{:<16} {:<12} +{} in, +{} out, zone {} occupancy {}{}{}",
            r.device,
            r.status,
            r.entries,
            r.exits,
            r.zone,
            r.occupancy
                .map_or_else(|| "-".to_string(), |o| o.to_string()),
            if r.backfilled > 0 {
                format!(", {} periods backfilled", r.backfilled)
            } else {
                String::new()
            },
            r.error
                .as_deref()
                .map(|e| format!("  error: {}", shown(e)))
                .unwrap_or_default()
        );
    }
    Ok(())
}
