//! Square orders and payments → [`Transaction`].

use super::models::{Money, Order, OrderState, Payment, PaymentStatus, RefundStatus};
use super::SquareError;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use venue_domain::{Currency, Transaction, TransactionStatus};

/// Who the transactions belong to: the venue and the connector's configured name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SquareContext {
    pub venue_id: Uuid,
    pub source: String,
}

/// The record being normalised, for error messages and field checks.
struct Record<'a> {
    kind: &'static str,
    id: &'a str,
}

impl Record<'_> {
    fn missing(&self, field: &str) -> SquareError {
        SquareError::MissingField {
            record: self.kind,
            id: self.id.to_string(),
            field: field.to_string(),
        }
    }

    /// The currency of a money object, checked against ISO 4217.
    fn currency(&self, field: &str, money: &Money) -> Result<Currency, SquareError> {
        let code = money
            .currency
            .as_deref()
            .ok_or_else(|| self.missing(&format!("{field}.currency")))?;
        code.parse().map_err(|_| SquareError::UnknownCurrency {
            record: self.kind,
            id: self.id.to_string(),
            field: format!("{field}.currency"),
            value: code.to_string(),
        })
    }

    /// The amount of an optional money object (0 when absent), which must be in `currency`.
    fn amount(
        &self,
        field: &str,
        money: Option<&Money>,
        currency: Currency,
    ) -> Result<i64, SquareError> {
        let Some(money) = money else { return Ok(0) };
        let found = self.currency(field, money)?;
        if found != currency {
            return Err(SquareError::CurrencyMismatch {
                record: self.kind,
                id: self.id.to_string(),
                field: format!("{field}.currency"),
                expected: currency.code().to_string(),
                found: found.code().to_string(),
            });
        }
        money
            .amount
            .ok_or_else(|| self.missing(&format!("{field}.amount")))
    }

    fn time(&self, field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, SquareError> {
        value
            .map(|v| {
                DateTime::parse_from_rfc3339(v.trim())
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| SquareError::InvalidTimestamp {
                        record: self.kind,
                        id: self.id.to_string(),
                        field: field.to_string(),
                        value: v.to_string(),
                        reason: e.to_string(),
                    })
            })
            .transpose()
    }

    fn overflow(&self, field: &str) -> SquareError {
        SquareError::Overflow {
            record: self.kind,
            id: self.id.to_string(),
            field: field.to_string(),
        }
    }
}

fn required_id<'a>(kind: &'static str, id: Option<&'a str>) -> Result<&'a str, SquareError> {
    id.filter(|s| !s.trim().is_empty())
        .ok_or_else(|| SquareError::MissingField {
            record: kind,
            id: "(no id)".to_string(),
            field: "id".to_string(),
        })
}

/// Normalises a Square order (from `SearchOrders`) into a [`Transaction`].
///
/// - `external_id` is the order id; `location_id` the order's location.
/// - `total_minor` is `total_money`: what the customer pays for the sale, including tax, tips
///   and service charges, after discounts. An order that only returns items may come without
///   `total_money`; its total is then 0 (its `return_amounts` must be present instead).
/// - `tax_minor`, `tip_minor`, `discount_minor` are `total_tax_money`, `total_tip_money`,
///   `total_discount_money` (0 when absent): the sale side, like `total_minor`.
/// - `refunded_minor` is money given back *on this order*: `return_amounts.total_money` when the
///   order carries returns (Square records an itemised refund as a separate return order, whose
///   `return_amounts` hold the refunded money incl. tax); otherwise the sum of `refunds[]` that are
///   PENDING, APPROVED or COMPLETED (REJECTED, FAILED and unknown statuses count nothing). Never
///   both, as they describe the same money. So `net_minor()` matches Square's
///   `net_amounts.total_money` (sale minus returns).
/// - `status`: COMPLETED → Completed, CANCELED → Canceled, OPEN and DRAFT → Open; a state this
///   build does not know → Open (logged), so it is neither counted as a sale nor lost.
/// - `opened_at` is `created_at`; `closed_at` is `closed_at`, else `updated_at` (still open),
///   else `created_at`.
/// - Every money object must be in the currency of `total_money` (or of
///   `return_amounts.total_money`); `id`, `state` and one of those totals are required.
pub fn order_to_transaction(
    order: &Order,
    ctx: &SquareContext,
) -> Result<Transaction, SquareError> {
    let id = required_id("order", order.id.as_deref())?;
    let rec = Record { kind: "order", id };
    let state = order.state.as_ref().ok_or_else(|| rec.missing("state"))?;
    let returned = order
        .return_amounts
        .as_ref()
        .and_then(|r| r.total_money.as_ref());
    let currency = match (order.total_money.as_ref(), returned) {
        (Some(total), _) => rec.currency("total_money", total)?,
        (None, Some(ret)) => rec.currency("return_amounts.total_money", ret)?,
        (None, None) => return Err(rec.missing("total_money")),
    };
    let total_minor = rec.amount("total_money", order.total_money.as_ref(), currency)?;
    let tax_minor = rec.amount("total_tax_money", order.total_tax_money.as_ref(), currency)?;
    let tip_minor = rec.amount("total_tip_money", order.total_tip_money.as_ref(), currency)?;
    let discount_minor = rec.amount(
        "total_discount_money",
        order.total_discount_money.as_ref(),
        currency,
    )?;

    let refunded_minor = match returned {
        Some(money) => rec.amount("return_amounts.total_money", Some(money), currency)?,
        None => {
            let mut sum: i64 = 0;
            for (i, refund) in order.refunds.iter().enumerate() {
                let counts = matches!(
                    refund.status,
                    Some(RefundStatus::Pending | RefundStatus::Approved | RefundStatus::Completed)
                );
                if !counts {
                    continue;
                }
                let field = format!("refunds[{i}].amount_money");
                let amount = rec.amount(&field, refund.amount_money.as_ref(), currency)?;
                sum = sum
                    .checked_add(amount)
                    .ok_or_else(|| rec.overflow("refunds"))?;
            }
            sum
        }
    };

    let status = match state {
        OrderState::Completed => TransactionStatus::Completed,
        OrderState::Canceled => TransactionStatus::Canceled,
        OrderState::Open | OrderState::Draft => TransactionStatus::Open,
        OrderState::Other(other) => {
            tracing::warn!(order = id, state = %other, "unknown Square order state; treating as open");
            TransactionStatus::Open
        }
    };

    let created = rec.time("created_at", order.created_at.as_deref())?;
    let updated = rec.time("updated_at", order.updated_at.as_deref())?;
    let closed = rec.time("closed_at", order.closed_at.as_deref())?;
    let closed_at = closed
        .or(updated)
        .or(created)
        .ok_or_else(|| rec.missing("closed_at"))?;

    Ok(Transaction {
        // The same sale gets the same id on every console that fetches it.
        id: venue_domain::natural::transaction(ctx.venue_id, &ctx.source, id),
        venue_id: ctx.venue_id,
        source: ctx.source.clone(),
        external_id: id.to_string(),
        location_id: order.location_id.clone(),
        status,
        opened_at: created,
        closed_at,
        currency,
        total_minor,
        tax_minor,
        tip_minor,
        discount_minor,
        refunded_minor,
    })
}

/// Normalises a Square payment (from `ListPayments` or a `payment.*` webhook) into a
/// [`Transaction`]. Prefer orders where both exist: a payment has no tax or discount breakdown.
///
/// - `external_id` is the payment id (not the order id, so payments and orders of one sale never
///   collide when both are ingested under different sources).
/// - `total_minor` is `total_money` (`amount_money` + `tip_money`): what the customer paid,
///   incl. tax and tip, after discounts. `tip_minor` is `tip_money` (0 when absent);
///   `tax_minor` and `discount_minor` are 0 (not carried by payments).
/// - `refunded_minor` is `refunded_money`, Square's running total refunded to date (0 when absent).
/// - Square's `processing_fee` is the merchant's cost, not the customer's, and is not included.
/// - `status`: COMPLETED → Completed; APPROVED and PENDING → Open (not yet captured);
///   CANCELED and FAILED → Canceled; unknown → Open (logged).
/// - `opened_at` and `closed_at` are both `created_at`, when the customer paid (and the time
///   `ListPayments` filters on); `updated_at` moves with later refunds, so it is not used.
/// - `id`, `created_at`, `status` and `total_money` are required.
pub fn payment_to_transaction(
    payment: &Payment,
    ctx: &SquareContext,
) -> Result<Transaction, SquareError> {
    let id = required_id("payment", payment.id.as_deref())?;
    let rec = Record {
        kind: "payment",
        id,
    };
    let status = payment
        .status
        .as_ref()
        .ok_or_else(|| rec.missing("status"))?;
    let total = payment
        .total_money
        .as_ref()
        .ok_or_else(|| rec.missing("total_money"))?;
    let currency = rec.currency("total_money", total)?;
    let total_minor = rec.amount("total_money", Some(total), currency)?;
    let tip_minor = rec.amount("tip_money", payment.tip_money.as_ref(), currency)?;
    let refunded_minor = rec.amount("refunded_money", payment.refunded_money.as_ref(), currency)?;
    // Checked for consistency only: a payment in two currencies is malformed.
    rec.amount("amount_money", payment.amount_money.as_ref(), currency)?;

    let status = match status {
        PaymentStatus::Completed => TransactionStatus::Completed,
        PaymentStatus::Approved | PaymentStatus::Pending => TransactionStatus::Open,
        PaymentStatus::Canceled | PaymentStatus::Failed => TransactionStatus::Canceled,
        PaymentStatus::Other(other) => {
            tracing::warn!(payment = id, status = %other, "unknown Square payment status; treating as open");
            TransactionStatus::Open
        }
    };
    let created = rec
        .time("created_at", payment.created_at.as_deref())?
        .ok_or_else(|| rec.missing("created_at"))?;

    Ok(Transaction {
        // The same sale gets the same id on every console that fetches it.
        id: venue_domain::natural::transaction(ctx.venue_id, &ctx.source, id),
        venue_id: ctx.venue_id,
        source: ctx.source.clone(),
        external_id: id.to_string(),
        location_id: payment.location_id.clone(),
        status,
        opened_at: Some(created),
        closed_at: created,
        currency,
        total_minor,
        tax_minor: 0,
        tip_minor,
        discount_minor: 0,
        refunded_minor,
    })
}
