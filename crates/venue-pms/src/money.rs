//! Mews amounts are JSON decimals in currency units (12.5 EUR); ours are integer minor units.
//!
//! serde_json (built without `arbitrary_precision`) holds a JSON number with a fraction as an
//! `f64`. For a decimal of at most 15 significant digits that is exact both ways: parsing
//! "12.50" and printing the `f64` (shortest round-trip form) gives back 12.5. So amounts going
//! out are built from their exact decimal text and refused beyond 15 digits, and amounts coming
//! in are read from that shortest form and refused when it is not a plain decimal we can trust.

use serde_json::Number;
use thiserror::Error;
use venue_domain::{parse_decimal_minor, Currency, DomainError, Money};

/// Significant decimal digits an `f64` always carries exactly.
const F64_EXACT_DIGITS: usize = 15;

/// The largest charge, in currency units, the console posts: Mews takes `GrossValue` as a
/// double and documents no maximum, so this is ours, far above any bill line (a billion of
/// anything) and far within the 15 digits a double carries exactly with the minor units.
pub const MAX_CHARGE_UNITS: i64 = 1_000_000_000;

/// Why an amount cannot be sent to the PMS or read from it exactly. All are about the amount
/// itself: trying again never helps.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("{0} has too many decimal places")]
    TooManyDecimalPlaces(Currency),
    #[error("{0} must be more than zero")]
    NotPositive(Money),
    #[error("{0} is too large: a charge is less than {MAX_CHARGE_UNITS} {currency}", currency = .0.currency)]
    ChargeTooLarge(Money),
    #[error("{text} {currency} has more than {F64_EXACT_DIGITS} significant digits and cannot be sent exactly")]
    TooPreciseToSend { text: String, currency: Currency },
    #[error("{text} is not a JSON number: {detail}")]
    NotANumber { text: String, detail: String },
    #[error("{text} {currency} does not survive as a JSON number")]
    NotRoundTrip { text: String, currency: Currency },
    #[error("{number} {currency} is too large")]
    TooLarge { number: Number, currency: Currency },
    #[error("{0} is not a plain decimal amount; refusing to guess")]
    NotPlainDecimal(String),
    #[error("{0} arrived as a binary float with more than {F64_EXACT_DIGITS} significant digits; refusing to guess")]
    InexactFloat(String),
    /// Not a whole number of the currency's minor units.
    #[error(transparent)]
    NotMinorUnits(#[from] DomainError),
}

fn scale_of(currency: Currency) -> Result<i64, AmountError> {
    10i64
        .checked_pow(currency.minor_digits())
        .ok_or(AmountError::TooManyDecimalPlaces(currency))
}

/// Whether `minor` units of `currency` are a charge the PMS can take: more than zero and below
/// [`MAX_CHARGE_UNITS`]; the message says which bound and gives the amount.
pub fn check_charge_amount(minor: i64, currency: Currency) -> Result<(), AmountError> {
    let scale = scale_of(currency)?;
    if minor <= 0 {
        return Err(AmountError::NotPositive(Money::new(minor, currency)));
    }
    if minor / scale >= MAX_CHARGE_UNITS {
        return Err(AmountError::ChargeTooLarge(Money::new(minor, currency)));
    }
    Ok(())
}

/// `minor` units of `currency` as a JSON number in currency units: 1250 EUR → 12.5,
/// 1000 JPY → 1000. Exact; an amount too long to be exact as a JSON float is refused.
pub fn minor_to_number(minor: i64, currency: Currency) -> Result<Number, AmountError> {
    let digits = currency.minor_digits();
    let scale = scale_of(currency)?;
    // Whole amounts go out as integers, exact at any size.
    if minor % scale == 0 {
        return Ok(Number::from(minor / scale));
    }
    let abs = minor.unsigned_abs();
    let scale = scale.unsigned_abs();
    let text = format!(
        "{}{}.{:0width$}",
        if minor < 0 { "-" } else { "" },
        abs / scale,
        abs % scale,
        width = digits as usize
    );
    let significant = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count();
    if significant > F64_EXACT_DIGITS {
        return Err(AmountError::TooPreciseToSend { text, currency });
    }
    let number: Number = match text.parse() {
        Ok(number) => number,
        Err(e) => {
            return Err(AmountError::NotANumber {
                detail: e.to_string(),
                text,
            })
        }
    };
    // Belt and braces: what goes on the wire must read back as the same amount.
    match number_to_minor(&number, currency) {
        Ok(back) if back == minor => Ok(number),
        _ => Err(AmountError::NotRoundTrip { text, currency }),
    }
}

/// A JSON amount in currency units as minor units of `currency`, exactly, or why not.
pub fn number_to_minor(number: &Number, currency: Currency) -> Result<i64, AmountError> {
    let scale = scale_of(currency)?;
    let too_large = || AmountError::TooLarge {
        number: number.clone(),
        currency,
    };
    if let Some(whole) = number.as_i64() {
        return whole.checked_mul(scale).ok_or_else(too_large);
    }
    if number.is_u64() {
        return Err(too_large());
    }
    let text = number.to_string();
    if text.contains(['e', 'E']) {
        return Err(AmountError::NotPlainDecimal(text));
    }
    let significant = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count();
    if significant > F64_EXACT_DIGITS {
        return Err(AmountError::InexactFloat(text));
    }
    Ok(parse_decimal_minor(&text, currency)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(code: &str) -> Currency {
        code.parse().expect("currency")
    }

    #[test]
    fn amounts_go_out_as_exact_decimals() {
        let eur = cur("EUR");
        let json = |minor| {
            serde_json::to_string(&minor_to_number(minor, eur).expect("sendable")).expect("json")
        };
        assert_eq!(json(1250), "12.5");
        assert_eq!(json(1), "0.01");
        assert_eq!(json(-399), "-3.99");
        assert_eq!(json(1000), "10");
        assert_eq!(json(123_456_789_012), "1234567890.12");
        assert_eq!(
            serde_json::to_string(&minor_to_number(1000, cur("JPY")).expect("yen")).expect("json"),
            "1000"
        );
        assert_eq!(
            serde_json::to_string(&minor_to_number(1005, cur("BHD")).expect("dinar"))
                .expect("json"),
            "1.005"
        );
        assert!(minor_to_number(12_345_678_901_234_567, eur).is_err());
    }

    #[test]
    fn amounts_come_in_exactly_or_not_at_all() {
        let eur = cur("EUR");
        let read = |json: &str| {
            number_to_minor(&serde_json::from_str::<Number>(json).expect("number"), eur)
        };
        assert_eq!(read("93.46"), Ok(9346));
        assert_eq!(read("100"), Ok(10000));
        assert_eq!(read("-6.5"), Ok(-650));
        assert!(read("1.005").is_err(), "would need rounding");
        assert!(read("0.30000000000000004").is_err());
        assert!(read("1e300").is_err());
    }

    #[test]
    fn charges_are_more_than_zero_and_below_a_billion_units() {
        let eur = cur("EUR");
        assert!(check_charge_amount(1, eur).is_ok());
        assert!(
            check_charge_amount(99_999_999_999, eur).is_ok(),
            "999,999,999.99"
        );
        let err = check_charge_amount(100_000_000_000, eur)
            .expect_err("a billion")
            .to_string();
        assert!(
            err.contains("too large") && err.contains("1000000000.00 EUR"),
            "{err}"
        );
        assert!(check_charge_amount(1_234_567_890_123_456, eur).is_err());
        assert!(check_charge_amount(0, eur).is_err());
        assert!(check_charge_amount(-5, eur).is_err());
        assert!(check_charge_amount(999_999_999, cur("JPY")).is_ok());
        assert!(check_charge_amount(1_000_000_000, cur("JPY")).is_err());
        assert!(check_charge_amount(999_999_999_999, cur("BHD")).is_ok());
    }

    proptest! {
        #[test]
        fn every_charge_in_range_goes_out_exactly(units in 0i64..MAX_CHARGE_UNITS, cents in 0i64..100) {
            let eur = cur("EUR");
            let minor = units * 100 + cents;
            if check_charge_amount(minor, eur).is_ok() {
                let number = minor_to_number(minor, eur).expect("a charge in range is sendable");
                prop_assert_eq!(number_to_minor(&number, eur), Ok(minor));
            }
        }


        #[test]
        fn every_sendable_amount_reads_back_the_same(minor in -999_999_999_999_999i64..=999_999_999_999_999) {
            for code in ["EUR", "JPY", "BHD"] {
                let currency = cur(code);
                if let Ok(number) = minor_to_number(minor, currency) {
                    let wire = serde_json::to_string(&number).expect("json");
                    let back: Number = serde_json::from_str(&wire).expect("number");
                    prop_assert_eq!(number_to_minor(&back, currency), Ok(minor));
                }
            }
        }
    }
}
