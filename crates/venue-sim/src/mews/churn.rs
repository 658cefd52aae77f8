//! Changes to the hotel over time: check-ins and check-outs, cancellations, new bookings, edits,
//! housekeeping and guest profile edits. Each change stamps `UpdatedUtc` with the wall clock
//! and yields the websocket events Mews would push for it.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use super::gen::{
    arrival, departure, email_for, make_customer, phone_for, pick_cancel_reason, pick_nights,
    pick_origin, pick_persons, GUEST_NOTES,
};
use super::model::{
    mews_time, Hotel, ReservationRec, SimChange, SimReservation, RESERVATION_STATES,
    RESOURCE_STATES,
};
use super::render::{reservation_event, resource_event};

/// What one change touched and the events to push for it (one websocket message).
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub changes: Vec<SimChange>,
    pub events: Vec<Value>,
}

impl Outcome {
    fn reservation(&mut self, h: &Hotel, idx: usize) {
        let r = &h.reservations[idx];
        self.changes.push(SimChange::Reservation(r.sim.id.clone()));
        self.events.push(reservation_event(r));
    }

    fn resource(&mut self, h: &Hotel, idx: usize) {
        let r = &h.resources[idx];
        self.changes.push(SimChange::Resource(r.sim.id.clone()));
        self.events.push(resource_event(r));
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    CheckIn,
    CheckOut,
    Cancel,
    NewBooking,
    Edit,
    Housekeeping,
    CustomerEdit,
}

const KINDS: [(Kind, u32); 7] = [
    (Kind::CheckIn, 15),
    (Kind::CheckOut, 15),
    (Kind::Cancel, 8),
    (Kind::NewBooking, 15),
    (Kind::Edit, 12),
    (Kind::Housekeeping, 20),
    (Kind::CustomerEdit, 15),
];

fn is_open(state: &str) -> bool {
    matches!(state, "Inquired" | "Requested" | "Optional" | "Confirmed")
}

impl Hotel {
    /// `n` random changes (kinds weighted; a kind with nothing to act on falls through to the
    /// next one). Now and then a change also carries a PriceUpdate or DeviceCommand event,
    /// which clients must skip.
    pub(crate) fn churn(&mut self, n: usize) -> Vec<Outcome> {
        let total: u32 = KINDS.iter().map(|(_, w)| w).sum();
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut roll = self.rng.u32(..total);
            let mut first = 0;
            for (i, (_, w)) in KINDS.iter().enumerate() {
                if roll < *w {
                    first = i;
                    break;
                }
                roll -= w;
            }
            let mut outcome = None;
            for k in 0..KINDS.len() {
                let kind = KINDS[(first + k) % KINDS.len()].0;
                outcome = self.change(kind);
                if outcome.is_some() {
                    break;
                }
            }
            let Some(mut o) = outcome else { break };
            match self.rng.u8(..100) {
                0..=7 => {
                    let ev = self.price_update_event();
                    o.events.push(ev);
                }
                8..=11 => {
                    let id = self.new_id();
                    o.events.insert(
                        0,
                        json!({ "Type": "DeviceCommand", "Id": id, "State": "Pending" }),
                    );
                }
                _ => {}
            }
            out.push(o);
        }
        out
    }

    fn change(&mut self, kind: Kind) -> Option<Outcome> {
        match kind {
            Kind::CheckIn => self.churn_check_in(),
            Kind::CheckOut => self.churn_check_out(),
            Kind::Cancel => self.churn_cancel(),
            Kind::NewBooking => self.churn_new_booking(),
            Kind::Edit => self.churn_edit(),
            Kind::Housekeeping => self.churn_housekeeping(),
            Kind::CustomerEdit => self.churn_customer(),
        }
    }

    fn price_update_event(&mut self) -> Value {
        let id = self.new_id();
        let rate = self.rates[self.rng.usize(..self.rates.len())].0.clone();
        let day =
            Utc::now().with_timezone(&self.tz).date_naive() + TimeDelta::days(self.rng.i64(0..60));
        let start = super::gen::local_time(self.tz, day, 0);
        let category = self.rng.bool().then(|| {
            self.categories[self.rng.usize(..self.categories.len())]
                .id
                .clone()
        });
        json!({
            "Type": "PriceUpdate",
            "Id": id,
            "StartUtc": mews_time(start),
            "EndUtc": mews_time(start),
            "RateId": rate,
            "ResourceCategoryId": category,
        })
    }

    /// Whether a room can take a stay `[from, to)` (besides reservation `except`): in service,
    /// nobody in it now, and no other live booking overlapping.
    fn room_free(
        &self,
        room: usize,
        except: Option<usize>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> bool {
        let res = &self.resources[room].sim;
        if matches!(res.state.as_str(), "OutOfOrder" | "OutOfService") {
            return false;
        }
        !self.reservations.iter().enumerate().any(|(j, r)| {
            Some(j) != except
                && r.sim.assigned_resource_id.as_deref() == Some(res.id.as_str())
                && (r.sim.state == "Started"
                    || (is_open(&r.sim.state)
                        && r.sim.scheduled_start_utc < to
                        && r.sim.end_utc > from))
        })
    }

    fn find_free_room(
        &mut self,
        except: Option<usize>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Option<usize> {
        let n = self.resources.len();
        let offset = self.rng.usize(..n.max(1));
        (0..n)
            .map(|k| (offset + k) % n)
            .find(|room| self.room_free(*room, except, from, to))
    }

    fn room_index(&self, id: &str) -> Option<usize> {
        self.resources.iter().position(|r| r.sim.id == id)
    }

    fn touch_reservation(&mut self, idx: usize, t: DateTime<Utc>) {
        let profile = self.profiles[self.rng.usize(..self.profiles.len())].clone();
        let r = &mut self.reservations[idx];
        r.sim.updated_utc = t;
        r.updater_profile_id = profile;
    }

    /// Checks a guest in now, keeping their room if it is free, else moving them to a free one.
    fn check_in(&mut self, idx: usize) -> Option<Outcome> {
        let end = self.reservations[idx].sim.end_utc;
        let now = Utc::now();
        let keep = self.reservations[idx]
            .sim
            .assigned_resource_id
            .clone()
            .and_then(|id| self.room_index(&id))
            .filter(|room| self.room_free(*room, Some(idx), now, end));
        let room = match keep {
            Some(room) => room,
            None => self.find_free_room(Some(idx), now, end)?,
        };
        let t = self.stamp();
        let room_id = self.resources[room].sim.id.clone();
        let category = self.resources[room].category_id.clone();
        let r = &mut self.reservations[idx];
        r.sim.state = "Started".to_string();
        r.sim.actual_start_utc = Some(t);
        r.sim.start_utc = r.sim.scheduled_start_utc.min(t);
        r.sim.assigned_resource_id = Some(room_id);
        r.category_id = category;
        self.touch_reservation(idx, t);
        let mut o = Outcome::default();
        o.reservation(self, idx);
        Some(o)
    }

    fn churn_check_in(&mut self) -> Option<Outcome> {
        let now = Utc::now();
        let mut due: Vec<usize> = (0..self.reservations.len())
            .filter(|i| {
                let s = &self.reservations[*i].sim;
                s.state == "Confirmed" && s.end_utc > now
            })
            .collect();
        due.sort_by_key(|i| self.reservations[*i].sim.scheduled_start_utc);
        due.truncate(5);
        let offset = self.rng.usize(..due.len().max(1));
        for k in 0..due.len() {
            if let Some(o) = self.check_in(due[(offset + k) % due.len()]) {
                return Some(o);
            }
        }
        None
    }

    /// Checks a guest out now; their room turns Dirty.
    fn check_out(&mut self, idx: usize) -> Outcome {
        let t = self.stamp();
        let r = &mut self.reservations[idx];
        r.sim.state = "Processed".to_string();
        r.sim.actual_end_utc = Some(t);
        if r.sim.actual_start_utc.is_none() {
            r.sim.actual_start_utc = Some(r.sim.scheduled_start_utc.min(t));
        }
        let room = r.sim.assigned_resource_id.clone();
        self.touch_reservation(idx, t);
        let mut o = Outcome::default();
        o.reservation(self, idx);
        if let Some(room) = room.and_then(|id| self.room_index(&id)) {
            let res = &mut self.resources[room].sim;
            res.state = "Dirty".to_string();
            res.updated_utc = t;
            o.resource(self, room);
        }
        o
    }

    fn churn_check_out(&mut self) -> Option<Outcome> {
        let mut started: Vec<usize> = (0..self.reservations.len())
            .filter(|i| self.reservations[*i].sim.state == "Started")
            .collect();
        started.sort_by_key(|i| self.reservations[*i].sim.end_utc);
        started.truncate(5);
        let pick = *started.get(self.rng.usize(..started.len().max(1)))?;
        Some(self.check_out(pick))
    }

    fn cancel(&mut self, idx: usize, reason: &'static str) -> Outcome {
        let t = self.stamp();
        let r = &mut self.reservations[idx];
        r.sim.state = "Canceled".to_string();
        r.sim.cancelled_utc = Some(t);
        r.cancellation_reason = Some(reason);
        self.touch_reservation(idx, t);
        let mut o = Outcome::default();
        o.reservation(self, idx);
        o
    }

    fn churn_cancel(&mut self) -> Option<Outcome> {
        let now = Utc::now();
        let open: Vec<usize> = (0..self.reservations.len())
            .filter(|i| {
                let s = &self.reservations[*i].sim;
                is_open(&s.state) && s.scheduled_start_utc > now
            })
            .collect();
        let pick = *open.get(self.rng.usize(..open.len().max(1)))?;
        let reason = pick_cancel_reason(&mut self.rng);
        Some(self.cancel(pick, reason))
    }

    fn churn_new_booking(&mut self) -> Option<Outcome> {
        let t = self.stamp();
        let mut o = Outcome::default();
        let today = t.with_timezone(&self.tz).date_naive();
        let day = today + TimeDelta::days(self.rng.i64(0..30));
        let nights = pick_nights(&mut self.rng).min(7);
        let start = arrival(self.tz, day);
        let end = departure(self.tz, day + TimeDelta::days(nights));
        let room = if self.rng.u8(..100) < 70 {
            self.find_free_room(None, start, end)
        } else {
            None
        };
        let account_id = if self.customers.is_empty() || self.rng.u8(..100) < 40 {
            let number = self.next_customer_number;
            self.next_customer_number += 1;
            let profile = self.connector_profile_id.clone();
            let c = make_customer(&mut self.rng, number, t, &profile);
            let id = c.sim.id.clone();
            self.customers.push(c);
            o.changes.push(SimChange::Customer(id.clone()));
            id
        } else {
            self.customers[self.rng.usize(..self.customers.len())]
                .sim
                .id
                .clone()
        };
        let category_id = match room {
            Some(room) => self.resources[room].category_id.clone(),
            None => self.categories[self.rng.usize(..self.categories.len())]
                .id
                .clone(),
        };
        let (adults, children) = pick_persons(&mut self.rng, 3);
        let (origin, commander_origin, channel_number) = pick_origin(&mut self.rng);
        let number = self.next_reservation_number;
        self.next_reservation_number += 1;
        let state = if self.rng.u8(..100) < 90 {
            "Confirmed"
        } else {
            "Optional"
        };
        let rate_id = self.rates[self.rng.usize(..self.rates.len())].0.clone();
        let profile = self.profiles[self.rng.usize(..self.profiles.len())].clone();
        let rec = ReservationRec {
            sim: SimReservation {
                id: self.new_id(),
                number: number.to_string(),
                state: state.to_string(),
                start_utc: start,
                end_utc: end,
                account_id,
                assigned_resource_id: room.map(|r| self.resources[r].sim.id.clone()),
                person_count: adults + children,
                service_id: self.accommodation_id(),
                updated_utc: t,
                created_utc: t,
                scheduled_start_utc: start,
                scheduled_end_utc: end,
                actual_start_utc: None,
                actual_end_utc: None,
                cancelled_utc: None,
            },
            adults,
            children,
            group_id: self.new_id(),
            rate_id,
            category_id,
            origin,
            commander_origin,
            channel_number,
            purpose: if self.rng.u8(..100) < 25 {
                "Business"
            } else {
                "Leisure"
            },
            credit_card_id: self.rng.bool().then(|| self.new_id()),
            booker_id: None,
            business_segment_id: None,
            cancellation_reason: None,
            released_utc: (state == "Optional").then(|| (start - TimeDelta::days(2)).max(t)),
            creator_profile_id: profile.clone(),
            updater_profile_id: profile,
        };
        self.reservations.push(rec);
        o.reservation(self, self.reservations.len() - 1);
        Some(o)
    }

    /// Moves a future stay by a day, adds a night, or changes the party size; a room that is
    /// no longer free for the new dates is unassigned.
    fn churn_edit(&mut self) -> Option<Outcome> {
        let now = Utc::now();
        let open: Vec<usize> = (0..self.reservations.len())
            .filter(|i| {
                let s = &self.reservations[*i].sim;
                is_open(&s.state) && s.scheduled_start_utc > now + TimeDelta::days(1)
            })
            .collect();
        let idx = *open.get(self.rng.usize(..open.len().max(1)))?;
        let t = self.stamp();
        match self.rng.u8(..3) {
            0 => {
                let persons = self.reservations[idx].sim.person_count;
                let new = 1 + (persons + self.rng.u32(0..3)) % 4;
                let r = &mut self.reservations[idx];
                r.children = r.children.min(new.saturating_sub(1));
                r.adults = new - r.children;
                r.sim.person_count = new;
            }
            kind => {
                let shift = if kind == 1 {
                    TimeDelta::days(if self.rng.bool() { 1 } else { -1 })
                } else {
                    TimeDelta::zero()
                };
                let r = &mut self.reservations[idx].sim;
                r.scheduled_start_utc += shift;
                r.start_utc = r.scheduled_start_utc;
                r.scheduled_end_utc += if kind == 1 { shift } else { TimeDelta::days(1) };
                r.end_utc = r.scheduled_end_utc;
                let (from, to) = (r.scheduled_start_utc, r.end_utc);
                let room = r
                    .assigned_resource_id
                    .clone()
                    .and_then(|id| self.room_index(&id));
                if let Some(room) = room {
                    if !self.room_free(room, Some(idx), from, to) {
                        self.reservations[idx].sim.assigned_resource_id = None;
                    }
                }
            }
        }
        self.touch_reservation(idx, t);
        let mut o = Outcome::default();
        o.reservation(self, idx);
        Some(o)
    }

    fn churn_housekeeping(&mut self) -> Option<Outcome> {
        let occupied = |h: &Hotel, id: &str| {
            h.reservations.iter().any(|r| {
                r.sim.state == "Started" && r.sim.assigned_resource_id.as_deref() == Some(id)
            })
        };
        let n = self.resources.len();
        let offset = self.rng.usize(..n.max(1));
        for k in 0..n {
            let i = (offset + k) % n;
            let id = self.resources[i].sim.id.clone();
            let next = match self.resources[i].sim.state.as_str() {
                "Dirty" => "Clean",
                "Clean" if occupied(self, &id) => "Dirty",
                "Clean" => "Inspected",
                "Inspected" if occupied(self, &id) => "Dirty",
                _ => continue,
            };
            return self.set_resource(i, next);
        }
        None
    }

    fn set_resource(&mut self, idx: usize, state: &str) -> Option<Outcome> {
        let t = self.stamp();
        let res = &mut self.resources[idx].sim;
        res.state = state.to_string();
        res.updated_utc = t;
        let mut o = Outcome::default();
        o.resource(self, idx);
        Some(o)
    }

    /// The reservation a customer is "on" now: in house, else the next arrival, else none.
    fn current_reservation_of(&self, customer: &str) -> Option<usize> {
        let mine = || {
            (0..self.reservations.len())
                .filter(move |i| self.reservations[*i].sim.account_id == customer)
        };
        mine()
            .find(|i| self.reservations[*i].sim.state == "Started")
            .or_else(|| {
                mine()
                    .filter(|i| is_open(&self.reservations[*i].sim.state))
                    .min_by_key(|i| self.reservations[*i].sim.scheduled_start_utc)
            })
    }

    /// Edits a guest profile (e-mail, phone, VIP classification or notes). Mews has no customer
    /// event, so the push is a Reservation event for the guest's current reservation, if any.
    fn churn_customer(&mut self) -> Option<Outcome> {
        if self.customers.is_empty() {
            return None;
        }
        // Prefer guests with a current reservation, so the push names something.
        let mut idx = self.rng.usize(..self.customers.len());
        for _ in 0..8 {
            if self
                .current_reservation_of(&self.customers[idx].sim.id)
                .is_some()
            {
                break;
            }
            idx = self.rng.usize(..self.customers.len());
        }
        let t = self.stamp();
        let nation = self.customers[idx]
            .sim
            .nationality_code
            .clone()
            .unwrap_or_default();
        let what = self.rng.u8(..4);
        let (first, last) = (
            self.customers[idx].sim.first_name.clone(),
            self.customers[idx].sim.last_name.clone(),
        );
        let email = email_for(&mut self.rng, first.as_deref(), &last);
        let phone = phone_for(&mut self.rng, &nation);
        let note = GUEST_NOTES[self.rng.usize(..GUEST_NOTES.len())];
        let profile = self.profiles[self.rng.usize(..self.profiles.len())].clone();
        let c = &mut self.customers[idx];
        match what {
            0 => c.sim.email = Some(email),
            1 => c.sim.phone = Some(phone),
            2 => {
                let vip = "VeryImportant".to_string();
                if c.sim.classifications.contains(&vip) {
                    c.sim.classifications.retain(|k| *k != vip);
                } else {
                    c.sim.classifications.insert(0, vip);
                }
            }
            _ => c.sim.notes = Some(note.to_string()),
        }
        c.sim.updated_utc = t;
        c.updater_profile_id = profile;
        let id = c.sim.id.clone();
        let mut o = Outcome::default();
        o.changes.push(SimChange::Customer(id.clone()));
        if let Some(r) = self.current_reservation_of(&id) {
            o.events.push(reservation_event(&self.reservations[r]));
        }
        Some(o)
    }

    /// Sets a reservation's state as the front desk would: Started checks in (assigning a free
    /// room if none), Processed checks out (room Dirty), Canceled cancels.
    pub(crate) fn set_reservation_state(&mut self, id: &str, state: &str) -> Option<Outcome> {
        let state = RESERVATION_STATES.iter().find(|s| **s == state)?;
        let idx = self.reservations.iter().position(|r| r.sim.id == id)?;
        match *state {
            "Started" => {
                if let Some(o) = self.check_in(idx) {
                    return Some(o);
                }
                // No free room: in house without one (Mews allows it).
                let t = self.stamp();
                let r = &mut self.reservations[idx].sim;
                r.state = "Started".to_string();
                r.actual_start_utc = Some(t);
                r.start_utc = r.scheduled_start_utc.min(t);
                self.touch_reservation(idx, t);
            }
            "Processed" => return Some(self.check_out(idx)),
            "Canceled" => return Some(self.cancel(idx, "Other")),
            other => {
                let t = self.stamp();
                self.reservations[idx].sim.state = other.to_string();
                self.touch_reservation(idx, t);
            }
        }
        let mut o = Outcome::default();
        o.reservation(self, idx);
        Some(o)
    }

    pub(crate) fn set_resource_state(&mut self, id: &str, state: &str) -> Option<Outcome> {
        let state = RESOURCE_STATES.iter().find(|s| **s == state)?;
        let idx = self.room_index(id)?;
        self.set_resource(idx, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mews::MewsSimConfig;

    #[test]
    fn churn_changes_things_and_stamps_them() {
        let mut h = super::super::gen::generate(&MewsSimConfig::default(), Utc::now());
        let before = Utc::now() - TimeDelta::milliseconds(1);
        let outcomes = h.churn(60);
        assert_eq!(outcomes.len(), 60);
        let mut stamps = Vec::new();
        for o in &outcomes {
            assert!(!o.changes.is_empty());
            for c in &o.changes {
                let t = match c {
                    SimChange::Reservation(id) => h.reservation(id).map(|r| r.sim.updated_utc),
                    SimChange::Customer(id) => h.customer(id).map(|c| c.sim.updated_utc),
                    SimChange::Resource(id) => h.resource(id).map(|r| r.sim.updated_utc),
                };
                let t = t.expect("changed entity exists");
                assert!(t >= before, "{c:?} not stamped");
                stamps.push(t);
            }
        }
        assert!(outcomes
            .iter()
            .flat_map(|o| &o.events)
            .all(|e| e["Type"].is_string()));
    }

    #[test]
    fn front_desk_state_changes() {
        let mut h = super::super::gen::generate(&MewsSimConfig::default(), Utc::now());
        let id = h
            .reservations
            .iter()
            .find(|r| r.sim.state == "Started")
            .map(|r| r.sim.id.clone())
            .expect("someone in house");
        let o = h.set_reservation_state(&id, "Processed").expect("known");
        assert_eq!(o.changes.len(), 2, "{o:?}");
        assert_eq!(o.events[1]["State"], "Dirty");
        assert!(h.set_reservation_state(&id, "Nonsense").is_none());
        assert!(h.set_reservation_state("nope", "Started").is_none());
        let room = h.resources[0].sim.id.clone();
        assert!(h.set_resource_state(&room, "Inspected").is_some());
        assert!(h.set_resource_state(&room, "Sparkling").is_none());
    }
}
