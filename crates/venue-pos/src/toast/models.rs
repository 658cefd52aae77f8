//! Toast API payloads: authentication, the error message body, and `ordersBulk` orders. Parsed
//! tolerantly: unknown fields are ignored, `null` is accepted wherever Toast sends it (lists
//! included), unknown enum values are kept as `Other`. Timestamps stay as sent (see
//! [`super::parse_toast_time`]); amounts are [`Decimal`]s in currency units.

use super::decimal::Decimal;
use super::ToastError;
use crate::square::shared::{null_as_default, vendor_enum};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Authentication

/// The `userAccessType` of a machine (partner integration) client.
pub const MACHINE_CLIENT: &str = "TOAST_MACHINE_CLIENT";

/// `POST /authentication/v1/authentication/login`. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub client_id: String,
    pub client_secret: String,
    pub user_access_type: String,
}

impl LoginRequest {
    pub fn machine_client(client_id: &str, client_secret: &str) -> Self {
        LoginRequest {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            user_access_type: MACHINE_CLIENT.to_string(),
        }
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("user_access_type", &self.user_access_type)
            .finish()
    }
}

/// `token` in the login response. `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthToken {
    /// "Bearer".
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    /// Lifetime in seconds.
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl AuthToken {
    /// When a token issued at `issued_at` expires (`None` without `expiresIn`).
    pub fn expires_at(&self, issued_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let secs = self.expires_in?;
        issued_at.checked_add_signed(chrono::Duration::try_seconds(secs)?)
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hide = |t: &Option<String>| t.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthToken")
            .field("token_type", &self.token_type)
            .field("access_token", &hide(&self.access_token))
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &hide(&self.refresh_token))
            .finish()
    }
}

/// The login response: `{"@class": ..., "token": {...}, "status": "SUCCESS"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct LoginResponse {
    #[serde(default)]
    pub token: Option<AuthToken>,
    #[serde(default)]
    pub status: Option<String>,
}

impl LoginResponse {
    fn missing(field: &str) -> ToastError {
        ToastError::MissingField {
            record: "login response",
            id: String::new(),
            field: field.to_string(),
        }
    }

    /// The bearer token, or an error naming `token.accessToken`.
    pub fn access_token(&self) -> Result<&str, ToastError> {
        self.token
            .as_ref()
            .and_then(|t| t.access_token.as_deref())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Self::missing("token.accessToken"))
    }

    /// The token's lifetime, or an error naming `token.expiresIn`.
    pub fn expires_in(&self) -> Result<chrono::Duration, ToastError> {
        self.token
            .as_ref()
            .and_then(|t| t.expires_in)
            .filter(|s| *s > 0)
            .and_then(chrono::Duration::try_seconds)
            .ok_or_else(|| Self::missing("token.expiresIn"))
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// `GET /restaurants/v1/restaurants/{guid}`: the restaurant's configuration (`RestaurantInfo`);
/// only what names it is read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct RestaurantInfo {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub general: Option<RestaurantGeneral>,
}

/// `RestaurantInfo.general`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestaurantGeneral {
    /// The guest-facing name, e.g. "Tommy's Burgers".
    #[serde(default)]
    pub name: Option<String>,
    /// What tells one location of a group from the others, e.g. "Back Bay".
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
}

impl RestaurantInfo {
    /// The name to show: "Tommy's Burgers (Back Bay)", or whichever of the two is given.
    pub fn display_name(&self) -> Option<String> {
        let general = self.general.as_ref()?;
        let given = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        match (given(&general.name), given(&general.location_name)) {
            (Some(name), Some(place)) if place != name => Some(format!("{name} ({place})")),
            (Some(name), _) => Some(name),
            (None, place) => place,
        }
    }
}

/// Toast's error body (`ErrorMessage`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorMessage {
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub message_key: Option<String>,
    #[serde(default)]
    pub field_name: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub developer_message: Option<String>,
    /// Further errors, same shape.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<ErrorMessage>,
    /// Kept as sent: its type is not pinned down by the documentation.
    #[serde(default)]
    pub can_retry: Option<serde_json::Value>,
}

impl ErrorMessage {
    /// The human-readable message: `message`, else `developerMessage`, else the nested errors'
    /// messages, naming `fieldName` when there is one.
    pub fn message(&self) -> String {
        let own = self
            .message
            .as_deref()
            .or(self.developer_message.as_deref())
            .filter(|m| !m.trim().is_empty())
            .map(str::to_string);
        let text = own.unwrap_or_else(|| {
            let nested: Vec<String> = self.errors.iter().map(ErrorMessage::message).collect();
            if nested.is_empty() {
                "no error message".to_string()
            } else {
                nested.join("; ")
            }
        });
        match &self.field_name {
            Some(field) if !field.is_empty() => format!("{field}: {text}"),
            _ => text,
        }
    }
}

impl From<ErrorMessage> for ToastError {
    fn from(body: ErrorMessage) -> Self {
        ToastError::Api {
            status: body.status,
            code: body.code,
            message: body.message(),
            request_id: body.request_id,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Orders

vendor_enum!(
    /// `Check.paymentStatus`.
    CheckPaymentStatus {
        Open => "OPEN",
        Paid => "PAID",
        Closed => "CLOSED",
    }
);

vendor_enum!(
    /// `Payment.paymentStatus` (set for card payments; `null` for cash).
    PaymentStatus {
        Open => "OPEN",
        Processing => "PROCESSING",
        AuthorizedAtRisk => "AUTHORIZED_AT_RISK",
        Authorized => "AUTHORIZED",
        Error => "ERROR",
        ErrorNetwork => "ERROR_NETWORK",
        Denied => "DENIED",
        ProcessingVoid => "PROCESSING_VOID",
        VoidedAtRisk => "VOIDED_AT_RISK",
        Cancelled => "CANCELLED",
        CaptureInProgress => "CAPTURE_IN_PROGRESS",
        Captured => "CAPTURED",
        Voided => "VOIDED",
    }
);

impl PaymentStatus {
    /// True for payments that took no money (failed, denied, voided, cancelled).
    pub fn is_void_or_failed(&self) -> bool {
        matches!(
            self,
            PaymentStatus::Error
                | PaymentStatus::ErrorNetwork
                | PaymentStatus::Denied
                | PaymentStatus::ProcessingVoid
                | PaymentStatus::VoidedAtRisk
                | PaymentStatus::Cancelled
                | PaymentStatus::Voided
        )
    }
}

vendor_enum!(
    /// `Payment.refundStatus`.
    RefundStatus {
        None => "NONE",
        Partial => "PARTIAL",
        Full => "FULL",
    }
);

vendor_enum!(
    /// `Payment.type`.
    PaymentType {
        Cash => "CASH",
        Credit => "CREDIT",
        GiftCard => "GIFTCARD",
        HouseAccount => "HOUSE_ACCOUNT",
        RewardCard => "REWARDCARD",
        LevelUp => "LEVELUP",
        ToastSv => "TOAST_SV",
        /// A payment type the restaurant configured itself.
        Custom => "OTHER",
        Undetermined => "UNDETERMINED",
    }
);

vendor_enum!(
    /// `Order.approvalStatus`.
    ApprovalStatus {
        NeedsApproval => "NEEDS_APPROVAL",
        Approved => "APPROVED",
        Future => "FUTURE",
        NotApproved => "NOT_APPROVED",
    }
);

/// A reference to another Toast entity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalReference {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub entity_type: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedDiscount {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Subtracted from the check or item.
    #[serde(default)]
    pub discount_amount: Option<Decimal>,
    #[serde(default)]
    pub non_tax_discount_amount: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedServiceCharge {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Excluding tax.
    #[serde(default)]
    pub charge_amount: Option<Decimal>,
    #[serde(default)]
    pub gratuity: Option<bool>,
}

/// A menu item or modifier selection.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub quantity: Option<Decimal>,
    #[serde(default)]
    pub pre_discount_price: Option<Decimal>,
    /// Net price after discounts, excluding tax.
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub tax: Option<Decimal>,
    #[serde(default)]
    pub voided: Option<bool>,
    /// Item-level discounts (check-level ones are on the check).
    #[serde(default, deserialize_with = "null_as_default")]
    pub applied_discounts: Vec<AppliedDiscount>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub modifiers: Vec<Selection>,
}

/// `Payment.refund`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    /// Refunded, excluding the tip.
    #[serde(default)]
    pub refund_amount: Option<Decimal>,
    #[serde(default)]
    pub tip_refund_amount: Option<Decimal>,
    #[serde(default)]
    pub refund_date: Option<String>,
    #[serde(default)]
    pub refund_business_date: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default, rename = "type")]
    pub payment_type: Option<PaymentType>,
    /// Excluding the tip.
    #[serde(default)]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub tip_amount: Option<Decimal>,
    #[serde(default)]
    pub amount_tendered: Option<Decimal>,
    #[serde(default)]
    pub paid_date: Option<String>,
    #[serde(default)]
    pub paid_business_date: Option<i64>,
    #[serde(default)]
    pub payment_status: Option<PaymentStatus>,
    #[serde(default)]
    pub refund_status: Option<RefundStatus>,
    #[serde(default)]
    pub refund: Option<Refund>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub display_number: Option<String>,
    #[serde(default)]
    pub opened_date: Option<String>,
    #[serde(default)]
    pub closed_date: Option<String>,
    #[serde(default)]
    pub paid_date: Option<String>,
    #[serde(default)]
    pub modified_date: Option<String>,
    #[serde(default)]
    pub voided: Option<bool>,
    #[serde(default)]
    pub void_date: Option<String>,
    #[serde(default)]
    pub deleted: Option<bool>,
    #[serde(default)]
    pub payment_status: Option<CheckPaymentStatus>,
    /// After discounts, incl. service charges; excludes tax and gratuity.
    #[serde(default)]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub tax_amount: Option<Decimal>,
    /// After discounts, incl. tax; not affected by refunds; excludes payments' tips.
    #[serde(default)]
    pub total_amount: Option<Decimal>,
    #[serde(default)]
    pub tax_exempt: Option<bool>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub applied_discounts: Vec<AppliedDiscount>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub applied_service_charges: Vec<AppliedServiceCharge>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub selections: Vec<Selection>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub payments: Vec<Payment>,
}

/// An order from `GET /orders/v2/ordersBulk` (the response is a JSON array of these).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub entity_type: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub display_number: Option<String>,
    /// "In Store", "Online", "API", ...
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub created_date: Option<String>,
    #[serde(default)]
    pub opened_date: Option<String>,
    #[serde(default)]
    pub modified_date: Option<String>,
    #[serde(default)]
    pub paid_date: Option<String>,
    /// Set when every check is CLOSED.
    #[serde(default)]
    pub closed_date: Option<String>,
    #[serde(default)]
    pub promised_date: Option<String>,
    #[serde(default)]
    pub voided: Option<bool>,
    #[serde(default)]
    pub void_date: Option<String>,
    #[serde(default)]
    pub void_business_date: Option<i64>,
    /// True when the order was deleted, e.g. its check combined into another order.
    #[serde(default)]
    pub deleted: Option<bool>,
    /// The UNIX epoch when not deleted, per Toast's documentation.
    #[serde(default)]
    pub deleted_date: Option<String>,
    /// yyyymmdd.
    #[serde(default)]
    pub business_date: Option<i64>,
    #[serde(default)]
    pub approval_status: Option<ApprovalStatus>,
    #[serde(default)]
    pub number_of_guests: Option<i64>,
    #[serde(default)]
    pub revenue_center: Option<ExternalReference>,
    #[serde(default)]
    pub dining_option: Option<ExternalReference>,
    #[serde(default)]
    pub server: Option<ExternalReference>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub checks: Vec<Check>,
}

impl Order {
    /// `businessDate` (yyyymmdd) as a date, when present and valid.
    pub fn business_date(&self) -> Option<NaiveDate> {
        let d = self.business_date?;
        let year = i32::try_from(d / 10_000).ok()?;
        let month = u32::try_from(d / 100 % 100).ok()?;
        let day = u32::try_from(d % 100).ok()?;
        NaiveDate::from_ymd_opt(year, month, day)
    }
}
