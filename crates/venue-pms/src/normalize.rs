//! Mews records into the store's types. Row ids are `vendor_row_id(venue, kind, source, Mews
//! id)`, and so are a reservation's references to its guest and room: no store lookup, and the
//! reservation may arrive before the guest. A record that cannot be normalised is an `Err` with
//! the reason (the caller skips it); nothing here panics on vendor data.

use crate::models::{MewsCustomer, MewsReservation, MewsResource, MewsService};
use uuid::Uuid;
use venue_domain::{
    vendor_row_id, Customer, EntityKind, Reservation, ReservationState, Resource, Service,
};

/// Where normalised rows belong: the venue and the PMS connection's name (`source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MewsContext {
    pub venue_id: Uuid,
    pub source: String,
}

impl MewsContext {
    /// The row id of the Mews record `external_id` of `kind`.
    pub fn row_id(&self, kind: EntityKind, external_id: &str) -> Uuid {
        vendor_row_id(self.venue_id, kind, &self.source, external_id)
    }
}

/// Trimmed, and none when empty (Mews sends "" for some unset strings).
fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Why a Mews record cannot become a row. It is the record's own problem: the caller skips
/// and counts it, and fetching it again gives the same answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record could not be read at all; `reason` names the field (see `parse_records`).
    #[error("{reason}{}", if id.is_empty() { String::new() } else { format!(" (Id {id})") })]
    Unreadable { id: String, reason: String },
    #[error("mews {kind} without an Id")]
    NoId { kind: &'static str },
    /// Read, but missing or contradicting something a row needs.
    #[error("mews {kind} {id}: {problem}")]
    Invalid {
        kind: &'static str,
        id: String,
        problem: String,
    },
}

/// The record's id, or why it cannot be used.
fn checked_id<'a>(
    kind: &'static str,
    id: &'a str,
    unreadable: &Option<String>,
) -> Result<&'a str, RecordError> {
    if let Some(reason) = unreadable {
        return Err(RecordError::Unreadable {
            id: id.to_string(),
            reason: reason.clone(),
        });
    }
    let id = id.trim();
    if id.is_empty() {
        return Err(RecordError::NoId { kind });
    }
    Ok(id)
}

fn invalid(kind: &'static str, id: &str, problem: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        kind,
        id: id.to_string(),
        problem: problem.into(),
    }
}

pub fn customer(ctx: &MewsContext, c: &MewsCustomer) -> Result<Customer, RecordError> {
    let id = checked_id("customer", &c.id, &c.unreadable)?;
    Ok(Customer {
        id: ctx.row_id(EntityKind::Customer, id),
        venue_id: ctx.venue_id,
        source: ctx.source.clone(),
        external_id: id.to_string(),
        first_name: text(&c.first_name),
        last_name: text(&c.last_name),
        email: text(&c.email),
        phone: text(&c.phone),
        classifications: c
            .classifications
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        notes: text(&c.notes),
        updated_at_source: c.updated_utc,
    })
}

/// Kind from `Data.Discriminator` ("Space", "Object", "Person"), floor from
/// `Data.Value.FloorNumber`, housekeeping state as Mews names it.
pub fn resource(ctx: &MewsContext, r: &MewsResource) -> Result<Resource, RecordError> {
    let id = checked_id("resource", &r.id, &r.unreadable)?;
    let name = text(&r.name).ok_or_else(|| invalid("resource", id, "no Name"))?;
    let data = r.data.as_ref();
    Ok(Resource {
        id: ctx.row_id(EntityKind::Resource, id),
        venue_id: ctx.venue_id,
        source: ctx.source.clone(),
        external_id: id.to_string(),
        name,
        kind: data
            .and_then(|d| text(&d.discriminator))
            .unwrap_or_else(|| "Unknown".into()),
        state: text(&r.state),
        floor: data.and_then(|d| d.floor_number()),
        updated_at_source: r.updated_utc,
    })
}

pub fn service(ctx: &MewsContext, s: &MewsService) -> Result<Service, RecordError> {
    let id = checked_id("service", &s.id, &s.unreadable)?;
    let name = s
        .display_name()
        .ok_or_else(|| invalid("service", id, "no Names or Name"))?;
    Ok(Service {
        id: ctx.row_id(EntityKind::Service, id),
        venue_id: ctx.venue_id,
        source: ctx.source.clone(),
        external_id: id.to_string(),
        name: name.trim().to_string(),
        kind: s.kind().unwrap_or("Unknown").to_string(),
        active: s.active(),
        updated_at_source: s.updated_utc,
    })
}

/// Start and end from `StartUtc`/`EndUtc` (else the scheduled times); the guest is `AccountId`
/// when the account is a customer (or its type is not given); the room is
/// `AssignedResourceId`; the party is the sum of `PersonCounts`.
pub fn reservation(ctx: &MewsContext, r: &MewsReservation) -> Result<Reservation, RecordError> {
    let id = checked_id("reservation", &r.id, &r.unreadable)?;
    let bad = |why: String| invalid("reservation", id, why);
    let start = r
        .start_utc
        .or(r.scheduled_start_utc)
        .ok_or_else(|| bad("no StartUtc or ScheduledStartUtc".into()))?;
    let end = r
        .end_utc
        .or(r.scheduled_end_utc)
        .ok_or_else(|| bad("no EndUtc or ScheduledEndUtc".into()))?;
    if end < start {
        return Err(bad(format!(
            "ends ({}) before it starts ({})",
            end.to_rfc3339(),
            start.to_rfc3339()
        )));
    }
    let state = text(&r.state)
        .map(ReservationState::from)
        .ok_or_else(|| bad("no State".into()))?;
    let is_customer = r
        .account_type
        .as_deref()
        .is_none_or(|t| t.eq_ignore_ascii_case("Customer"));
    let customer_id = text(&r.account_id)
        .filter(|_| is_customer)
        .map(|account| ctx.row_id(EntityKind::Customer, &account));
    let resource_id =
        text(&r.assigned_resource_id).map(|room| ctx.row_id(EntityKind::Resource, &room));
    let mut person_count: u32 = 0;
    for p in &r.person_counts {
        let count = u32::try_from(p.count)
            .map_err(|_| bad(format!("PersonCounts has a count of {}", p.count)))?;
        person_count = person_count
            .checked_add(count)
            .ok_or_else(|| bad("PersonCounts add up to more than we can count".into()))?;
    }
    Ok(Reservation {
        id: ctx.row_id(EntityKind::Reservation, id),
        venue_id: ctx.venue_id,
        source: ctx.source.clone(),
        external_id: id.to_string(),
        number: text(&r.number),
        state,
        start_utc: start,
        end_utc: end,
        customer_id,
        resource_id,
        person_count,
        // The 2023-06-06 reservation carries no notes.
        notes: None,
        updated_at_source: r.updated_utc,
    })
}

/// The service charges go to: the configured one, else the first active "Additional" service
/// (in Mews' `Ordering`, then by id, so the choice is stable). `Err` says what to configure.
pub fn charge_service(
    configured: Option<&str>,
    services: &[MewsService],
) -> Result<String, NoChargeService> {
    if let Some(id) = configured {
        return Ok(id.to_string());
    }
    let mut additional: Vec<&MewsService> = services
        .iter()
        .filter(|s| s.unreadable.is_none() && s.active())
        .filter(|s| {
            s.kind()
                .is_some_and(|k| k.eq_ignore_ascii_case("Additional"))
        })
        .collect();
    additional.sort_by(|a, b| {
        (a.ordering.unwrap_or(i64::MAX), &a.id).cmp(&(b.ordering.unwrap_or(i64::MAX), &b.id))
    });
    additional
        .first()
        .map(|s| s.id.clone())
        .ok_or(NoChargeService)
}

/// The PMS has no service a charge can be posted to, and none is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no active Additional service in Mews to post charges to; set [pms] charge_service_id")]
pub struct NoChargeService;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn ctx() -> MewsContext {
        MewsContext {
            venue_id: Uuid::nil(),
            source: "mews".into(),
        }
    }

    fn stay() -> MewsReservation {
        let t = |d| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).single();
        MewsReservation {
            id: "r1".into(),
            state: Some("Enquired".into()),
            scheduled_start_utc: t(1),
            scheduled_end_utc: t(3),
            account_id: Some("c1".into()),
            ..MewsReservation::default()
        }
    }

    #[test]
    fn scheduled_times_fill_in_and_an_untyped_account_is_the_guest() {
        let r = reservation(&ctx(), &stay()).expect("valid");
        assert_eq!(r.state, ReservationState::Inquired);
        assert_eq!(
            r.customer_id,
            Some(ctx().row_id(EntityKind::Customer, "c1"))
        );
        assert_eq!((r.person_count, r.resource_id), (0, None));
    }

    #[test]
    fn company_accounts_are_not_guests() {
        let mut s = stay();
        s.account_type = Some("Company".into());
        assert_eq!(reservation(&ctx(), &s).expect("valid").customer_id, None);
    }

    #[test]
    fn broken_stays_are_rejected_with_the_reason() {
        let mut backwards = stay();
        std::mem::swap(
            &mut backwards.scheduled_start_utc,
            &mut backwards.scheduled_end_utc,
        );
        let err = reservation(&ctx(), &backwards).unwrap_err().to_string();
        assert!(
            err.contains("r1") && err.contains("before it starts"),
            "{err}"
        );
        let mut negative = stay();
        negative.person_counts = vec![crate::models::MewsPersonCount {
            age_category_id: None,
            count: -1,
        }];
        assert!(reservation(&ctx(), &negative)
            .unwrap_err()
            .to_string()
            .contains("PersonCounts"));
        let mut stateless = stay();
        stateless.state = None;
        assert!(reservation(&ctx(), &stateless)
            .unwrap_err()
            .to_string()
            .contains("State"));
        let unreadable = MewsReservation::default();
        assert!(reservation(&ctx(), &unreadable)
            .unwrap_err()
            .to_string()
            .contains("Id"));
    }

    #[test]
    fn the_charge_service_is_configured_or_the_first_active_additional_one() {
        let svc = |id: &str, kind: &str, active: bool, ordering: i64| MewsService {
            id: id.into(),
            is_active: Some(active),
            ordering: Some(ordering),
            data: Some(crate::models::MewsServiceData {
                discriminator: Some(kind.into()),
                value: None,
            }),
            ..MewsService::default()
        };
        let services = [
            svc("stay", "Bookable", true, 0),
            svc("old-bar", "Additional", false, 1),
            svc("spa", "Additional", true, 3),
            svc("bar", "Additional", true, 2),
        ];
        assert_eq!(charge_service(None, &services), Ok("bar".into()));
        assert_eq!(charge_service(Some("x"), &services), Ok("x".into()));
        assert!(charge_service(None, &services[..2])
            .unwrap_err()
            .to_string()
            .contains("charge_service_id"));
    }

    proptest! {
        #[test]
        fn normalising_arbitrary_json_never_panics(json in "\\PC{0,200}") {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&json) {
                let r: Vec<MewsReservation> = crate::models::parse_records(vec![v]);
                let _ = reservation(&ctx(), &r[0]);
            }
        }
    }
}
