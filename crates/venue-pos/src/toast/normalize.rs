//! Toast orders → [`Transaction`].

use super::decimal::Decimal;
use super::models::{Check, CheckPaymentStatus, Order, Selection};
use super::time::parse_toast_time;
use super::ToastError;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use venue_domain::{Currency, Transaction, TransactionStatus};

/// Who the transactions belong to, and the restaurant's currency (Toast amounts carry none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToastContext {
    pub venue_id: Uuid,
    /// The connector's configured name.
    pub source: String,
    pub currency: Currency,
    /// The restaurant's GUID (`Toast-Restaurant-External-ID`), recorded as the location.
    pub restaurant_guid: Option<String>,
}

struct Record<'a> {
    id: &'a str,
    currency: Currency,
}

impl Record<'_> {
    fn invalid(&self, field: &str, reason: String) -> ToastError {
        ToastError::InvalidField {
            record: "order",
            id: self.id.to_string(),
            field: field.to_string(),
            reason,
        }
    }

    fn missing(&self, field: &str) -> ToastError {
        ToastError::MissingField {
            record: "order",
            id: self.id.to_string(),
            field: field.to_string(),
        }
    }

    /// An optional amount in minor units (0 when absent or null).
    fn amount(&self, field: &str, value: Option<&Decimal>) -> Result<i64, ToastError> {
        match value {
            None => Ok(0),
            Some(d) => d
                .to_minor(self.currency)
                .map_err(|e| self.invalid(field, e.to_string())),
        }
    }

    /// Adds an optional amount to `sum`.
    fn add(&self, sum: &mut i64, field: &str, value: Option<&Decimal>) -> Result<(), ToastError> {
        let amount = self.amount(field, value)?;
        *sum = sum
            .checked_add(amount)
            .ok_or_else(|| self.invalid(field, "the sum overflows".into()))?;
        Ok(())
    }

    fn time(&self, field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ToastError> {
        value
            .map(|v| parse_toast_time(v).map_err(|e| self.invalid(field, e.to_string())))
            .transpose()
    }

    /// Item-level discounts of a selection and its modifiers.
    fn selection_discounts(
        &self,
        selection: &Selection,
        path: &str,
        include_voided: bool,
        sum: &mut i64,
    ) -> Result<(), ToastError> {
        if selection.voided == Some(true) && !include_voided {
            return Ok(());
        }
        for (j, d) in selection.applied_discounts.iter().enumerate() {
            let field = format!("{path}.appliedDiscounts[{j}].discountAmount");
            self.add(sum, &field, d.discount_amount.as_ref())?;
        }
        for (k, modifier) in selection.modifiers.iter().enumerate() {
            let path = format!("{path}.modifiers[{k}]");
            self.selection_discounts(modifier, &path, include_voided, sum)?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Totals {
    total: i64,
    tax: i64,
    tip: i64,
    discount: i64,
    refunded: i64,
}

/// Normalises a Toast order (from `ordersBulk`) into a [`Transaction`].
///
/// Which checks count: deleted checks never (they were moved or removed); voided checks only
/// when the whole order is voided, so a canceled transaction still shows what was voided
/// (canceled transactions are left out of sales). Likewise voided selections are skipped unless
/// the order is voided. Payments that took no money (VOIDED, DENIED, ERROR, CANCELLED, ...) are
/// skipped; payments without a status (cash) count.
///
/// Amounts, over the counted checks, in minor units of the context's currency:
/// - `total_minor` = Σ `totalAmount` (after discounts, incl. tax and service charges) + Σ the
///   counted payments' `tipAmount`: what the customer paid incl. tax and tip, after discounts.
/// - `tax_minor` = Σ `taxAmount`; `tip_minor` = Σ payments' `tipAmount`.
/// - `discount_minor` = Σ check-level `appliedDiscounts[].discountAmount` + Σ item-level ones
///   (selections and their modifiers); Toast keeps the two levels disjoint.
/// - `refunded_minor` = Σ payments' `refund.refundAmount + refund.tipRefundAmount` (Toast's
///   `totalAmount` is not reduced by refunds, so `net_minor()` is what was kept).
///
/// Status: `voided` or `deleted` → Canceled; else Completed when `closedDate` is set, or when
/// `paidDate` is set and no counted check is still OPEN, or when every counted check (at least
/// one) is PAID or CLOSED; else Open.
///
/// `closed_at` is `closedDate`, else `paidDate`, else `modifiedDate`, else `openedDate` (an open
/// order has only the last two); `opened_at` is `openedDate`, else `createdDate`. A present but
/// unparseable timestamp is an error naming it, never skipped. `external_id` is the order `guid`;
/// `location_id` the context's restaurant GUID.
///
/// Required: `guid`, one of the four timestamps, and `totalAmount` on every counted check.
pub fn order_to_transaction(order: &Order, ctx: &ToastContext) -> Result<Transaction, ToastError> {
    let id = order
        .guid
        .as_deref()
        .filter(|g| !g.trim().is_empty())
        .ok_or_else(|| ToastError::MissingField {
            record: "order",
            id: "(no guid)".into(),
            field: "guid".into(),
        })?;
    let rec = Record {
        id,
        currency: ctx.currency,
    };
    let voided = order.voided == Some(true);
    let deleted = order.deleted == Some(true);

    let counted: Vec<(usize, &Check)> = order
        .checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.deleted != Some(true) && (voided || c.voided != Some(true)))
        .collect();

    let mut t = Totals::default();
    for &(i, check) in &counted {
        let path = format!("checks[{i}]");
        let total_field = format!("{path}.totalAmount");
        let total = check
            .total_amount
            .as_ref()
            .ok_or_else(|| rec.missing(&total_field))?;
        rec.add(&mut t.total, &total_field, Some(total))?;
        rec.add(
            &mut t.tax,
            &format!("{path}.taxAmount"),
            check.tax_amount.as_ref(),
        )?;
        for (j, d) in check.applied_discounts.iter().enumerate() {
            let field = format!("{path}.appliedDiscounts[{j}].discountAmount");
            rec.add(&mut t.discount, &field, d.discount_amount.as_ref())?;
        }
        for (k, selection) in check.selections.iter().enumerate() {
            let sel_path = format!("{path}.selections[{k}]");
            rec.selection_discounts(selection, &sel_path, voided, &mut t.discount)?;
        }
        for (p, payment) in check.payments.iter().enumerate() {
            if payment
                .payment_status
                .as_ref()
                .is_some_and(|s| s.is_void_or_failed())
            {
                continue;
            }
            let pay_path = format!("{path}.payments[{p}]");
            rec.add(
                &mut t.tip,
                &format!("{pay_path}.tipAmount"),
                payment.tip_amount.as_ref(),
            )?;
            if let Some(refund) = &payment.refund {
                rec.add(
                    &mut t.refunded,
                    &format!("{pay_path}.refund.refundAmount"),
                    refund.refund_amount.as_ref(),
                )?;
                rec.add(
                    &mut t.refunded,
                    &format!("{pay_path}.refund.tipRefundAmount"),
                    refund.tip_refund_amount.as_ref(),
                )?;
            }
        }
    }
    let total_minor = t
        .total
        .checked_add(t.tip)
        .ok_or_else(|| rec.invalid("checks", "the total overflows".into()))?;

    let closed = rec.time("closedDate", order.closed_date.as_deref())?;
    let paid = rec.time("paidDate", order.paid_date.as_deref())?;
    let modified = rec.time("modifiedDate", order.modified_date.as_deref())?;
    let opened = rec.time("openedDate", order.opened_date.as_deref())?;
    let created = rec.time("createdDate", order.created_date.as_deref())?;
    let closed_at = closed
        .or(paid)
        .or(modified)
        .or(opened)
        .ok_or_else(|| rec.missing("closedDate|paidDate|modifiedDate|openedDate"))?;

    let any_open = counted
        .iter()
        .any(|(_, c)| c.payment_status == Some(CheckPaymentStatus::Open));
    let all_settled = !counted.is_empty()
        && counted.iter().all(|(_, c)| {
            matches!(
                c.payment_status,
                Some(CheckPaymentStatus::Paid | CheckPaymentStatus::Closed)
            )
        });
    let status = if voided || deleted {
        TransactionStatus::Canceled
    } else if closed.is_some() || (paid.is_some() && !any_open) || all_settled {
        TransactionStatus::Completed
    } else {
        TransactionStatus::Open
    };

    Ok(Transaction {
        // The same sale gets the same id on every console that fetches it.
        id: venue_domain::natural::transaction(ctx.venue_id, &ctx.source, id),
        venue_id: ctx.venue_id,
        source: ctx.source.clone(),
        external_id: id.to_string(),
        location_id: ctx.restaurant_guid.clone(),
        status,
        opened_at: opened.or(created),
        closed_at,
        currency: ctx.currency,
        total_minor,
        tax_minor: t.tax,
        tip_minor: t.tip,
        discount_minor: t.discount,
        refunded_minor: t.refunded,
    })
}
