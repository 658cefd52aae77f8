//! Square API payloads (responses, the error body, webhook events), parsed tolerantly: unknown
//! fields are ignored, unknown enum values are kept as `Other`, and everything that may be absent
//! is optional. Timestamps stay as the RFC 3339 strings Square sent; normalisation parses them
//! and names the field when one is bad. Money is `{amount, currency}` in minor units.

use super::shared::{null_as_default, vendor_enum};
use serde::{Deserialize, Serialize};

/// A Square `Money` object: `amount` in the smallest unit of `currency` (cents for USD).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// An ISO 4217 code as sent ("USD"); checked when normalising.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl Money {
    pub fn new(amount: i64, currency: &str) -> Self {
        Money {
            amount: Some(amount),
            currency: Some(currency.to_string()),
        }
    }
}

/// A response page that may carry a cursor for the next page.
pub trait Paginated {
    /// The cursor exactly as sent (possibly `""`).
    fn raw_cursor(&self) -> Option<&str>;

    /// The cursor to send for the next page; `None` on the last page. Square omits the cursor
    /// on the last page; an empty string is treated the same way.
    fn next_cursor(&self) -> Option<&str> {
        self.raw_cursor().filter(|c| !c.trim().is_empty())
    }
}

/// The cursor for the page after `response`, or `None` when it was the last page.
pub fn next_cursor<R: Paginated>(response: &R) -> Option<&str> {
    response.next_cursor()
}

macro_rules! paginated {
    ($($ty:ty),*) => {$(
        impl Paginated for $ty {
            fn raw_cursor(&self) -> Option<&str> {
                self.cursor.as_deref()
            }
        }
    )*};
}

// ---------------------------------------------------------------------------------------------
// Errors

vendor_enum!(
    /// `Error.category` in Square's error body.
    ErrorCategory {
        ApiError => "API_ERROR",
        AuthenticationError => "AUTHENTICATION_ERROR",
        InvalidRequestError => "INVALID_REQUEST_ERROR",
        RateLimitError => "RATE_LIMIT_ERROR",
        PaymentMethodError => "PAYMENT_METHOD_ERROR",
        RefundError => "REFUND_ERROR",
        MerchantSubscriptionError => "MERCHANT_SUBSCRIPTION_ERROR",
        ExternalVendorError => "EXTERNAL_VENDOR_ERROR",
    }
);

vendor_enum!(
    /// `Error.code`: the codes a connector acts on; every other code is kept in `Other`.
    ErrorCode {
        RateLimited => "RATE_LIMITED",
        Unauthorized => "UNAUTHORIZED",
        AccessTokenExpired => "ACCESS_TOKEN_EXPIRED",
        AccessTokenRevoked => "ACCESS_TOKEN_REVOKED",
        Forbidden => "FORBIDDEN",
        InsufficientScopes => "INSUFFICIENT_SCOPES",
        NotFound => "NOT_FOUND",
        BadRequest => "BAD_REQUEST",
        InvalidCursor => "INVALID_CURSOR",
        InvalidValue => "INVALID_VALUE",
        InternalServerError => "INTERNAL_SERVER_ERROR",
        ServiceUnavailable => "SERVICE_UNAVAILABLE",
        GatewayTimeout => "GATEWAY_TIMEOUT",
    }
);

/// One entry of `{"errors": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<ErrorCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request field the error is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// "CODE (CATEGORY) on field: detail", leaving out the parts Square did not send.
    pub fn message(&self) -> String {
        let mut out = self
            .code
            .as_ref()
            .map(|c| c.as_str().to_string())
            .unwrap_or_else(|| "UNKNOWN".to_string());
        if let Some(category) = &self.category {
            out.push_str(&format!(" ({category})"));
        }
        if let Some(field) = &self.field {
            out.push_str(&format!(" on {field}"));
        }
        if let Some(detail) = &self.detail {
            out.push_str(": ");
            out.push_str(detail);
        }
        out
    }
}

/// Square's error body: `{"errors": [{category, code, detail, field}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<ApiError>,
}

impl ErrorResponse {
    /// Every error's message, joined with "; ".
    pub fn message(&self) -> String {
        if self.errors.is_empty() {
            return "no error details".to_string();
        }
        self.errors
            .iter()
            .map(ApiError::message)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// True when Square says the caller is being rate limited (HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        self.errors.iter().any(|e| {
            e.code == Some(ErrorCode::RateLimited)
                || e.category == Some(ErrorCategory::RateLimitError)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Locations

vendor_enum!(
    LocationStatus {
        Active => "ACTIVE",
        Inactive => "INACTIVE",
    }
);

vendor_enum!(
    LocationType {
        Physical => "PHYSICAL",
        Mobile => "MOBILE",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line_1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_line_2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub administrative_district_level_1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LocationStatus>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub location_type: Option<LocationType>,
    /// ISO 4217 code of the location's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// IANA time zone name, e.g. "America/Los_Angeles".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub capabilities: Vec<String>,
}

/// `GET /v2/locations`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListLocationsResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<ApiError>,
}

// ---------------------------------------------------------------------------------------------
// Payments

vendor_enum!(
    /// `Payment.status`.
    PaymentStatus {
        Approved => "APPROVED",
        Pending => "PENDING",
        Completed => "COMPLETED",
        Canceled => "CANCELED",
        Failed => "FAILED",
    }
);

/// One entry of `Payment.processing_fee` (Square's fee, not paid by the customer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProcessingFee {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_at: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub fee_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_money: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CardPaymentTimeline {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided_at: Option<String>,
}

/// The part of `Payment.card_details` a venue needs (no card data beyond the brand).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CardDetails {
    /// AUTHORIZED, CAPTURED, VOIDED or FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_payment_timeline: Option<CardPaymentTimeline>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Payment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The amount processed, not including the tip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_money: Option<Money>,
    /// `amount_money` plus `tip_money`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_fee_money: Option<Money>,
    /// The amount the card issuer approved (may be less than asked on a partial authorisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_money: Option<Money>,
    /// Total refunded to date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_money: Option<Money>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub processing_fee: Vec<ProcessingFee>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PaymentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_details: Option<CardDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub refund_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_token: Option<String>,
}

/// `GET /v2/payments`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ListPaymentsResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub payments: Vec<Payment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<ApiError>,
}

// ---------------------------------------------------------------------------------------------
// Orders

vendor_enum!(
    /// `Order.state`.
    OrderState {
        Open => "OPEN",
        Completed => "COMPLETED",
        Canceled => "CANCELED",
        Draft => "DRAFT",
    }
);

vendor_enum!(
    /// `Refund.status` (a refund attached to an order).
    RefundStatus {
        Pending => "PENDING",
        Approved => "APPROVED",
        Completed => "COMPLETED",
        Rejected => "REJECTED",
        Failed => "FAILED",
    }
);

/// `OrderMoneyAmounts`: the roll-up used by `return_amounts` and `net_amounts`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderMoneyAmounts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_charge_money: Option<Money>,
}

/// A refund of one of the order's tenders.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Refund {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tender_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RefundStatus>,
}

/// One entry of `Order.returns`: items from an earlier sale order returned in this one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderReturn {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// The sale order the returned items came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_amounts: Option<OrderMoneyAmounts>,
}

/// A tender (one way the order was paid).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tender {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub tender_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<OrderState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// When the order reached a terminal state (COMPLETED or CANCELED).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// The amount to collect for the sale: line items, taxes, tips and service charges, less
    /// discounts. May be absent on an order that only returns items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tax_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_discount_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tip_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_service_charge_money: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_amount_due_money: Option<Money>,
    /// Roll-up of the money returned in this order (itemised returns and exchanges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_amounts: Option<OrderMoneyAmounts>,
    /// Sale money minus return money.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_amounts: Option<OrderMoneyAmounts>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub returns: Vec<OrderReturn>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub refunds: Vec<Refund>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tenders: Vec<Tender>,
}

/// An order reference returned when a search asks for `return_entries`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// `POST /v2/orders/search`. Holds `orders`, or `order_entries` when the request set
/// `return_entries`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchOrdersResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub orders: Vec<Order>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub order_entries: Vec<OrderEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<ApiError>,
}

paginated!(
    ListLocationsResponse,
    ListPaymentsResponse,
    SearchOrdersResponse
);

// ---------------------------------------------------------------------------------------------
// Webhooks

/// `data.object` of a webhook event: the affected object under its type name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    /// Objects of other types (refund, order_updated, ...), as sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookData {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<WebhookObject>,
}

/// A webhook notification such as `payment.updated`. `event_id` is the idempotency key: Square
/// retries deliveries, so the same event can arrive more than once.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_id: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<WebhookData>,
}

impl WebhookEvent {
    /// The payment the event carries, for `payment.*` events.
    pub fn payment(&self) -> Option<&Payment> {
        self.data.as_ref()?.object.as_ref()?.payment.as_ref()
    }
}
