//! What the desktop console's screens show, one method per Tauri command (see contract.md):
//! `today`, `stays`, `guest`, `reservation`, `post_charge`, `desk_note_write`, `sales`,
//! `export_sales_csv`, `sensors_view`, `traffic`, `connections`, `alerts`,
//! `acknowledge_alert`, `resolve_alert` and `settings`. Each checks the caller's role first,
//! reads through indexed statements of the store (no query per row) and returns the contract's
//! JSON shape. Inputs arrive as the UI sends them (text), and a bad one is named in the error.

mod connections;
pub mod daily_report;
mod sales;
mod sensors_view;
mod settings;
mod stays;
mod today;

pub use crate::alerts::AlertView;
pub use crate::integrations::pms::ChargeView;
pub use connections::{
    ConnectionsView, ConnectorHealth, Health, PmsHealth, SensorsHealth, SyncHealth,
};
pub use sales::{CsvExport, DaySales, LocationSalesView, SalesTotalsView, SalesView};
pub use sensors_view::{DeviceView, SensorsView, TrafficPoint};
pub use settings::{ConnectorSettings, PmsSettings, SensorSettings, SettingsView};
pub use stays::{DeskNoteView, GuestDetail, ReservationDetail, StayKind};
pub use today::{CurvePoint, CurveView, OccupancyNow, TodaySales, TodayView};
pub use venue_store::{StayRow, ZoneOccupancy};

/// The venue as the UI shows it (`venue_domain::Venue`'s JSON).
pub type VenueInfo = venue_domain::Venue;
/// One connector run (`venue_domain::Snapshot`'s JSON).
pub type SnapshotInfo = venue_domain::Snapshot;
/// Sales of one venue-local hour.
pub use crate::views::daily_report::HourSales;

pub(crate) use crate::input::{parse_date, parse_id, parse_instant};

/// Net per transaction, rounded half away from zero.
pub(crate) fn average_ticket(net_minor: i64, transactions: u64) -> i64 {
    crate::views::daily_report::average(net_minor, transactions)
}

/// Sales of 15-minute UTC slots added up per venue-local hour: 24 entries, hour 0 first.
pub(crate) fn hours_from_slots(
    tz: chrono_tz::Tz,
    slots: &[venue_store::SalesSlot],
) -> Vec<HourSales> {
    use chrono::Timelike;
    let mut hours: Vec<HourSales> = (0..24)
        .map(|hour| HourSales {
            hour,
            transactions: 0,
            net_minor: 0,
        })
        .collect();
    for slot in slots {
        let hour = slot.start.with_timezone(&tz).hour() as usize;
        if let Some(h) = hours.get_mut(hour) {
            h.transactions += slot.transactions;
            h.net_minor += slot.net_minor;
        }
    }
    hours
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn bad_dates_times_and_ids_are_named_with_the_expected_form() {
        let err = parse_date("from", "2026-13-01").expect_err("no month 13");
        assert!(err.message.contains("from \"2026-13-01\""), "{err}");
        assert!(err.message.contains("YYYY-MM-DD"), "{err}");
        assert!(parse_instant("to", "2026-11-29T07:45:00Z").is_ok());
        let err = parse_instant("to", "tomorrow").expect_err("not a time");
        assert!(err.message.contains("to \"tomorrow\""), "{err}");
        let err = parse_id("alert", "42").expect_err("not a uuid");
        assert!(err.message.contains("alert id \"42\""), "{err}");
    }

    #[test]
    fn quarter_hour_slots_land_in_the_venue_local_hour() {
        // Kathmandu is UTC+05:45: 00:15 UTC is 06:00 local.
        let tz: chrono_tz::Tz = "Asia/Kathmandu".parse().expect("tz");
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let slots = [
            venue_store::SalesSlot {
                start: at("2026-11-29T00:15:00Z"),
                transactions: 2,
                net_minor: 500,
            },
            venue_store::SalesSlot {
                start: at("2026-11-29T00:00:00Z"),
                transactions: 1,
                net_minor: 100,
            },
        ];
        let hours = hours_from_slots(tz, &slots);
        assert_eq!(hours.len(), 24);
        assert_eq!((hours[6].transactions, hours[6].net_minor), (2, 500));
        assert_eq!((hours[5].transactions, hours[5].net_minor), (1, 100));
    }
}
