//! Renders the hotel's records in the Connector API's JSON shapes (see the fixtures in
//! `shared/fixtures/mews/` and the operation pages of the Mews docs), and websocket events.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::model::{
    mews_time, CategoryRec, CustomerRec, Hotel, OrderItemRec, ReservationRec, ResourceRec,
    ServiceRec,
};
use crate::util::currency_exponent;

fn time(t: DateTime<Utc>) -> Value {
    Value::from(mews_time(t))
}

fn opt_time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, time)
}

fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

/// Minor units as a Mews decimal number: `1234` EUR → `12.34`, `1200` → `12`.
pub(crate) fn decimal(minor: i64, currency: &str) -> Value {
    let exp = currency_exponent(currency);
    let scale = 10_i64.pow(exp);
    if minor % scale == 0 {
        return Value::from(minor / scale);
    }
    // Shortest round-trip formatting of the f64 prints exactly the minor digits.
    serde_json::Number::from_f64(minor as f64 / scale as f64).map_or(Value::Null, Value::Number)
}

/// An `Amount` object (currency, net, gross, tax values and breakdown).
pub(crate) fn amount(currency: &str, net: i64, gross: i64, tax_code: Option<&str>) -> Value {
    let tax = gross - net;
    let tax_values = match tax_code {
        Some(code) => json!([{ "Code": code, "Value": decimal(tax, currency) }]),
        None => json!([]),
    };
    json!({
        "Currency": currency,
        "NetValue": decimal(net, currency),
        "GrossValue": decimal(gross, currency),
        "TaxValues": tax_values,
        "Breakdown": {
            "Items": [{
                "TaxRateCode": opt_str(tax_code),
                "NetValue": decimal(net, currency),
                "TaxValue": decimal(tax, currency),
            }]
        }
    })
}

/// A reservation in the 2023-06-06 shape, every documented field present.
pub(crate) fn reservation(h: &Hotel, r: &ReservationRec) -> Value {
    let s = &r.sim;
    let checked_in = matches!(s.state.as_str(), "Started" | "Processed");
    let mut counts = vec![json!({ "AgeCategoryId": h.adult_category_id, "Count": r.adults })];
    if r.children > 0 {
        counts.push(json!({ "AgeCategoryId": h.child_category_id, "Count": r.children }));
    }
    let qr = json!({
        "Reservations": [{ "Id": s.id, "GroupId": r.group_id, "CustomerId": s.account_id }]
    })
    .to_string();
    json!({
        "Id": s.id,
        "ServiceId": s.service_id,
        "AccountId": s.account_id,
        "AccountType": "Customer",
        "CreatorProfileId": r.creator_profile_id,
        "UpdaterProfileId": r.updater_profile_id,
        "BookerId": opt_str(r.booker_id.as_deref()),
        "Number": s.number,
        "State": s.state,
        "Origin": r.origin,
        "CommanderOrigin": opt_str(r.commander_origin),
        "OriginDetails": Value::Null,
        "CreatedUtc": time(s.created_utc),
        "UpdatedUtc": time(s.updated_utc),
        "CancelledUtc": opt_time(s.cancelled_utc),
        "VoucherId": Value::Null,
        "BusinessSegmentId": opt_str(r.business_segment_id.as_deref()),
        "Options": {
            "OwnerCheckedIn": checked_in,
            "AllCompanionsCheckedIn": checked_in,
            "AnyCompanionCheckedIn": checked_in,
            "ConnectorCheckIn": false,
        },
        "RateId": r.rate_id,
        "CreditCardId": opt_str(r.credit_card_id.as_deref()),
        "GroupId": r.group_id,
        "RequestedResourceCategoryId": r.category_id,
        "AssignedResourceId": opt_str(s.assigned_resource_id.as_deref()),
        "AvailabilityBlockId": Value::Null,
        "PartnerCompanyId": Value::Null,
        "TravelAgencyId": Value::Null,
        "AssignedResourceLocked": false,
        "ChannelNumber": opt_str(r.channel_number.as_deref()),
        "ChannelManagerNumber": opt_str(r.channel_number.as_ref().map(|_| "1")),
        "CancellationReason": opt_str(r.cancellation_reason),
        "ReleasedUtc": opt_time(r.released_utc),
        "StartUtc": time(s.start_utc),
        "EndUtc": time(s.end_utc),
        "ScheduledStartUtc": time(s.scheduled_start_utc),
        "ActualStartUtc": opt_time(s.actual_start_utc),
        "ScheduledEndUtc": time(s.scheduled_end_utc),
        "ActualEndUtc": opt_time(s.actual_end_utc),
        "Purpose": r.purpose,
        "QrCodeData": qr,
        "PersonCounts": counts,
    })
}

/// A customer with every field of the docs' Customer object (deprecated ones as null).
pub(crate) fn customer(h: &Hotel, c: &CustomerRec) -> Value {
    let s = &c.sim;
    // Two halves: one `json!` of ~50 keys exceeds the macro's recursion limit.
    let mut v = json!({
        "Id": s.id,
        "ChainId": h.chain_id,
        "Number": c.number,
        "Title": opt_str(c.title),
        "CustomTitleName": Value::Null,
        "Sex": opt_str(c.sex),
        "FirstName": opt_str(s.first_name.as_deref()),
        "LastName": s.last_name,
        "SecondLastName": Value::Null,
        "NationalityCode": opt_str(s.nationality_code.as_deref()),
        "PreferredLanguageCode": opt_str(c.language_code),
        "LanguageCode": opt_str(c.language_code),
        "BirthDate": opt_str(c.birth_date.as_deref()),
        "BirthCountryCode": Value::Null,
        "BirthCountrySubdivisionCode": Value::Null,
        "BirthPlace": Value::Null,
        "Occupation": Value::Null,
        "Email": opt_str(s.email.as_deref()),
        "HasOtaEmail": c.has_ota_email,
        "Phone": opt_str(s.phone.as_deref()),
        "TaxIdentificationNumber": Value::Null,
        "LoyaltyCode": opt_str(c.loyalty_code.as_deref()),
        "AccountingCode": Value::Null,
        "BillingCode": Value::Null,
        "Notes": opt_str(s.notes.as_deref()),
    });
    let rest = json!({
        "CarRegistrationNumber": Value::Null,
        "DietaryRequirements": Value::Null,
        "CreatedUtc": time(s.created_utc),
        "UpdatedUtc": time(s.updated_utc),
        "Passport": Value::Null,
        "IdentityCard": Value::Null,
        "Visa": Value::Null,
        "DriversLicense": Value::Null,
        "Address": Value::Null,
        "AddressId": Value::Null,
        "Classifications": s.classifications,
        "Options": c.options,
        "ItalianDestinationCode": Value::Null,
        "ItalianFiscalCode": Value::Null,
        "ItalianLotteryCode": Value::Null,
        "CompanyId": Value::Null,
        "MergeTargetId": Value::Null,
        "ActivityState": "Active",
        "IsActive": true,
        "PreferredSpaceFeatures": [],
        "CreatorProfileId": c.creator_profile_id,
        "UpdaterProfileId": c.updater_profile_id,
    });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), rest) {
        obj.extend(more);
    }
    v
}

/// A room as in `resources_getAll_response.json`.
pub(crate) fn resource(h: &Hotel, r: &ResourceRec) -> Value {
    let s = &r.sim;
    let floor = s.floor.clone().unwrap_or_default();
    json!({
        "Id": s.id,
        "EnterpriseId": h.enterprise_id,
        "IsActive": true,
        "ParentResourceId": Value::Null,
        "Name": s.name,
        "State": s.state,
        "Descriptions": { "en-US": r.description },
        "CreatedUtc": time(s.created_utc),
        "UpdatedUtc": time(s.updated_utc),
        "Data": {
            "Discriminator": "Space",
            "Value": { "FloorNumber": floor, "LocationNotes": r.location_notes },
        },
        "ExternalNames": { "en-US": format!("Room {}", s.name) },
        "Directions": { "en-US": format!("Take the lift to floor {floor}") },
    })
}

pub(crate) fn category(h: &Hotel, c: &CategoryRec, ordering: usize) -> Value {
    json!({
        "Id": c.id,
        "EnterpriseId": h.enterprise_id,
        "ServiceId": h.accommodation_id(),
        "IsActive": true,
        "Type": if c.name == "Junior Suite" { "Suite" } else { "Room" },
        "Names": { "en-US": c.name },
        "ShortNames": { "en-US": c.short_name },
        "Descriptions": { "en-US": c.name },
        "Ordering": ordering,
        "Capacity": c.capacity,
        "ExtraCapacity": c.extra_capacity,
        "ExternalIdentifier": c.short_name,
    })
}

pub(crate) fn service(h: &Hotel, s: &ServiceRec) -> Value {
    let value = if s.sim.kind == "Bookable" {
        json!({
            "StartOffset": "P0M0DT15H0M0S",
            "EndOffset": "P0M0DT12H0M0S",
            "OccupancyStartOffset": "P0M0DT15H0M0S",
            "OccupancyEndOffset": "P0M0DT12H0M0S",
            "TimeUnitPeriod": "Day",
        })
    } else {
        let during = s.sim.name != "Breakfast";
        json!({
            "Promotions": {
                "BeforeCheckIn": !during,
                "AfterCheckIn": during,
                "DuringStay": true,
                "BeforeCheckOut": false,
                "AfterCheckOut": false,
                "DuringCheckOut": false,
            }
        })
    };
    json!({
        "Id": s.sim.id,
        "EnterpriseId": h.enterprise_id,
        "CreatedUtc": time(s.created_utc),
        "UpdatedUtc": time(s.updated_utc),
        "IsActive": true,
        "Name": s.sim.name,
        "Names": { "en-US": s.sim.name },
        "Options": { "BillAsPackage": s.bill_as_package },
        "Ordering": s.ordering,
        "Data": { "Discriminator": s.sim.kind, "Value": value },
        "ExternalIdentifier": s.external_identifier,
    })
}

pub(crate) fn order_item(h: &Hotel, i: &OrderItemRec) -> Value {
    let it = &i.item;
    let cur = it.currency.as_str();
    let units = i64::from(it.unit_count);
    let unit = amount(
        cur,
        it.unit_net_minor,
        it.unit_amount_minor,
        it.tax_code.as_deref(),
    );
    let total = amount(
        cur,
        it.unit_net_minor * units,
        it.unit_amount_minor * units,
        it.tax_code.as_deref(),
    );
    json!({
        "Id": it.id,
        "EnterpriseId": h.enterprise_id,
        "AccountId": i.account_id,
        "AccountType": "Customer",
        "Notes": opt_str(i.notes.as_deref()),
        "ServiceId": i.service_id,
        "ServiceOrderId": i.service_order_id,
        "BillId": Value::Null,
        "AccountingCategoryId": opt_str(i.accounting_category_id.as_deref()),
        "BillingName": it.name,
        "ExternalIdentifier": opt_str(it.external_identifier.as_deref()),
        "UnitCount": it.unit_count,
        "UnitAmount": unit,
        "Amount": total.clone(),
        "OriginalAmount": total,
        "RevenueType": "Additional",
        "CreatorProfileId": i.creator_profile_id,
        "UpdaterProfileId": i.creator_profile_id,
        "CreatedUtc": time(i.created_utc),
        "UpdatedUtc": time(i.updated_utc),
        "ConsumedUtc": time(i.consumed_utc),
        "CanceledUtc": Value::Null,
        "ClosedUtc": Value::Null,
        "StartUtc": time(i.consumed_utc),
        "ClaimedUtc": Value::Null,
        "AccountingState": "Open",
        "Type": "CustomItem",
        "Options": { "CanceledWithReservation": false },
        "Data": Value::Null,
    })
}

/// `{"Type":"Reservation",...}` as in `websocket_event_reservation.json`, plus the documented
/// optional `AssignedResourceId` when a room is assigned.
pub(crate) fn reservation_event(r: &ReservationRec) -> Value {
    let mut ev = json!({
        "Type": "Reservation",
        "Id": r.sim.id,
        "State": r.sim.state,
        "StartUtc": time(r.sim.start_utc),
        "EndUtc": time(r.sim.end_utc),
    });
    if let (Some(room), Some(obj)) = (&r.sim.assigned_resource_id, ev.as_object_mut()) {
        obj.insert("AssignedResourceId".into(), Value::from(room.as_str()));
    }
    ev
}

/// `{"Type":"Resource","Id":..,"State":..}` as in `websocket_event_resource.json`.
pub(crate) fn resource_event(r: &ResourceRec) -> Value {
    json!({ "Type": "Resource", "Id": r.sim.id, "State": r.sim.state })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_look_like_mews() {
        assert_eq!(decimal(1234, "EUR").to_string(), "12.34");
        assert_eq!(decimal(1200, "EUR").to_string(), "12");
        assert_eq!(decimal(5, "EUR").to_string(), "0.05");
        assert_eq!(decimal(-650, "EUR").to_string(), "-6.5");
        assert_eq!(decimal(1500, "JPY").to_string(), "1500");
        assert_eq!(decimal(1, "KWD").to_string(), "0.001");
    }
}
