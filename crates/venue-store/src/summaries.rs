//! Daily sales for new sales, added once per batch and day instead of once per row. Updates and
//! deletes of existing sales are kept exact by the triggers in migration 0001.

use crate::Result;
use chrono::NaiveDate;
use std::collections::HashMap;
use uuid::Uuid;

/// What one new, counted sale adds to its day.
pub struct SaleLine<'a> {
    pub venue_id: Uuid,
    pub source: &'a str,
    pub external_id: &'a str,
    pub date: NaiveDate,
    pub currency: &'static str,
    pub amounts: [i64; 5],
}

#[derive(Default)]
pub(crate) struct SalesDeltas {
    days: HashMap<(Uuid, NaiveDate, &'static str), (i64, [i64; 5])>,
}

impl SalesDeltas {
    pub fn add(&mut self, line: &SaleLine) {
        let entry = self
            .days
            .entry((line.venue_id, line.date, line.currency))
            .or_default();
        entry.0 += 1;
        for (sum, amount) in entry.1.iter_mut().zip(line.amounts) {
            *sum += amount;
        }
    }

    pub fn flush(&mut self, tx: &rusqlite::Connection) -> Result<()> {
        if self.days.is_empty() {
            return Ok(());
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO daily_sales (venue_id, business_date, currency, transactions, gross_minor, tax_minor,
                                      tip_minor, discount_minor, refunded_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (venue_id, business_date, currency) DO UPDATE SET
                 transactions = transactions + excluded.transactions,
                 gross_minor = gross_minor + excluded.gross_minor,
                 tax_minor = tax_minor + excluded.tax_minor,
                 tip_minor = tip_minor + excluded.tip_minor,
                 discount_minor = discount_minor + excluded.discount_minor,
                 refunded_minor = refunded_minor + excluded.refunded_minor",
        )?;
        for ((venue_id, date, currency), (count, [gross, tax, tip, discount, refund])) in
            self.days.drain()
        {
            stmt.execute(rusqlite::params![
                venue_id.to_string(),
                date,
                currency,
                count,
                gross,
                tax,
                tip,
                discount,
                refund
            ])?;
        }
        Ok(())
    }
}
