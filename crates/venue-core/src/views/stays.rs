//! The front desk: the day's arrivals, departures and in-house stays, a guest with their stays,
//! a reservation with its desk note and charges, and the two writes staff make there (a charge
//! to the stay's bill, the desk note), both audited under the signed-in staff member.

use super::{parse_date, parse_id, StayRow};
use crate::integrations::pms::ChargeView;
use crate::{ApiError, ApiResult, ChargeToSend, Console, ErrorCode, Role};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::str::FromStr;
use uuid::Uuid;
use venue_domain::{Customer, DeskNote, Money};
use venue_store::StayFilter;

/// Which stays a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum StayKind {
    /// Starting on the day.
    Arrivals,
    /// Ending on the day.
    Departures,
    /// Confirmed or started, occupying a room over the night after the day.
    InHouse,
}

impl FromStr for StayKind {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "arrivals" => Ok(Self::Arrivals),
            "departures" => Ok(Self::Departures),
            "in_house" | "in-house" => Ok(Self::InHouse),
            other => Err(ApiError::bad_input(format!(
                "unknown stay list {other:?}; expected arrivals, departures or in_house"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GuestDetail {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Every stay of the guest, newest first.
    pub reservations: Vec<StayRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReservationDetail {
    pub stay: StayRow,
    /// The reservation's notes as the PMS holds them.
    pub notes_from_pms: Option<String>,
    /// The front desk's own note (None when there is none, or it was cleared).
    pub desk_note: Option<DeskNoteView>,
    /// Charges posted to the stay from here, oldest first.
    pub charges: Vec<ChargeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeskNoteView {
    pub text: String,
    pub written_by: String,
    pub written_at: DateTime<Utc>,
}

impl From<DeskNote> for DeskNoteView {
    fn from(n: DeskNote) -> Self {
        DeskNoteView {
            text: n.text,
            written_by: n.written_by,
            written_at: n.written_at,
        }
    }
}

fn no_reservation(key: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no reservation {key:?} (by id or confirmation number)"),
    )
}

impl Console {
    /// One stay list (`kind`: arrivals, departures or in_house) for a venue-local date
    /// (YYYY-MM-DD; default today).
    pub fn stays(&self, kind: &str, date: Option<&str>) -> ApiResult<Vec<StayRow>> {
        self.authorize(Role::Staff)?;
        let kind: StayKind = kind.parse()?;
        let venue = self.venue()?;
        let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => parse_date("date", text)?,
            None => venue.local_date(Utc::now()),
        };
        let (start, end) = venue.day_bounds(date);
        let filter = match kind {
            StayKind::Arrivals => StayFilter::Arrivals { start, end },
            StayKind::Departures => StayFilter::Departures { start, end },
            StayKind::InHouse => StayFilter::InHouse { night: end },
        };
        Ok(self.store.stay_rows(venue.id, filter)?)
    }

    /// A guest and every one of their stays, newest first.
    pub fn guest(&self, customer_id: &str) -> ApiResult<GuestDetail> {
        self.authorize(Role::Staff)?;
        let venue = self.venue()?;
        let id = parse_id("guest", customer_id)?;
        let guest = self
            .store
            .get::<Customer>(id)?
            .filter(|c| c.venue_id == venue.id)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no guest with id {id}")))?;
        let name = Some(guest.full_name().trim().to_string()).filter(|n| !n.is_empty());
        Ok(GuestDetail {
            id: guest.id,
            name,
            email: guest.email,
            phone: guest.phone,
            reservations: self.store.stay_rows(venue.id, StayFilter::Customer(id))?,
        })
    }

    /// A reservation by our id, the PMS's id or its confirmation number, with the PMS's notes,
    /// the desk note and the charges posted to it.
    pub fn reservation(&self, id_or_number: &str) -> ApiResult<ReservationDetail> {
        self.authorize(Role::Staff)?;
        let venue = self.venue()?;
        let key = id_or_number.trim();
        if key.is_empty() {
            return Err(ApiError::bad_input(
                "which reservation? give its id or confirmation number",
            ));
        }
        let id = self
            .store
            .reservation_id_by_key(venue.id, key)?
            .ok_or_else(|| no_reservation(key))?;
        let stay = self
            .store
            .stay_rows(venue.id, StayFilter::Reservation(id))?
            .into_iter()
            .next()
            .ok_or_else(|| no_reservation(key))?;
        let reservation = self
            .store
            .get::<venue_domain::Reservation>(id)?
            .ok_or_else(|| no_reservation(key))?;
        let desk_note = self
            .store
            .desk_note(id)?
            .filter(|n| !n.text.trim().is_empty())
            .map(DeskNoteView::from);
        let charges = self
            .store
            .charges(venue.id, None, Some(id))?
            .into_iter()
            .map(ChargeView::from)
            .collect();
        Ok(ReservationDetail {
            stay,
            notes_from_pms: reservation.notes.filter(|n| !n.trim().is_empty()),
            desk_note,
            charges,
        })
    }

    /// Posts a charge in the venue's currency to a stay's bill (see `pms_charge`): recorded
    /// and audited first, then sent at once; the view shows its state after that first
    /// attempt (pending when the PMS cannot be reached now: it goes out with the next sync).
    /// A console shared behind a lock uses [`Self::record_charge`] instead.
    pub fn post_charge(
        &mut self,
        reservation_id: &str,
        item: &str,
        amount_minor: i64,
    ) -> ApiResult<ChargeView> {
        self.record_charge(reservation_id, item, amount_minor)?
            .send()
    }

    /// The first half of [`Self::post_charge`]: checks, records and audits the charge, and
    /// returns it ready to send. Send it once the console is free for other callers: the send
    /// waits on the PMS and needs nothing of the console.
    pub fn record_charge(
        &mut self,
        reservation_id: &str,
        item: &str,
        amount_minor: i64,
    ) -> ApiResult<ChargeToSend> {
        self.authorize(Role::Staff)?;
        let venue = self.venue()?;
        if amount_minor <= 0 {
            return Err(ApiError::bad_input(format!(
                "a charge must be more than zero (got {})",
                Money::new(amount_minor, venue.currency)
            )));
        }
        if item.trim().is_empty() {
            return Err(ApiError::bad_input(
                "a charge needs an item, e.g. \"Minibar\"",
            ));
        }
        let money = Money::new(amount_minor, venue.currency).to_string();
        let amount = money.split(' ').next().unwrap_or_default().to_string();
        let (charge, delivery) =
            self.record_pms_charge(reservation_id, &amount, venue.currency.code(), item)?;
        Ok(ChargeToSend {
            charge,
            delivery,
            connection: self.side.clone(),
        })
    }

    /// Sets the front-desk note on a reservation, audited as `reservation.note` under the
    /// signed-in staff member. Saving the editor emptied clears the note; any other text is
    /// checked like all free text (length, control characters, escapes, bidi overrides).
    pub fn desk_note_write(&mut self, reservation_id: &str, text: &str) -> ApiResult<DeskNoteView> {
        self.authorize(Role::Staff)?;
        if text.trim().is_empty() {
            let cleared = self.clear_desk_note(reservation_id)?;
            return Ok(cleared.map_or_else(
                || DeskNoteView {
                    text: String::new(),
                    written_by: self.actor().to_string(),
                    written_at: Utc::now(),
                },
                DeskNoteView::from,
            ));
        }
        Ok(self.set_desk_note(reservation_id, text)?.into())
    }
}
