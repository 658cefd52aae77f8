//! Money as integer minor units plus an ISO 4217 currency. Never floats.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An ISO 4217 currency, serialised as its three-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
#[serde(try_from = "String", into = "String")]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point (EUR 2, JPY 0, BHD 3). Currencies without one (XAU) use 0.
    pub fn minor_digits(&self) -> u32 {
        self.0.exponent().map(u32::from).unwrap_or(0)
    }

    /// A currency a venue can take money in, from what a person typed. ISO 4217's special codes
    /// (XXX "no currency", XTS "for testing", the metals XAU/XAG/XPT/XPD, units of account such
    /// as XDR) and its funds (USN, CHE, CLF, …) are codes, not currencies anyone pays a bill in,
    /// so they are refused here; stored rows and vendor data are still read with `parse`.
    pub fn parse_tender(code: &str) -> Result<Currency, DomainError> {
        let currency: Currency = code.parse()?;
        let flags = currency.0.flags();
        let kind = if flags.contains(&iso_currency::Flag::Special) {
            "a special ISO 4217 code"
        } else if flags.contains(&iso_currency::Flag::Fund) {
            "an ISO 4217 fund code"
        } else {
            return Ok(currency);
        };
        Err(DomainError::Invalid {
            field: "currency",
            reason: format!(
                "{} ({}) is {kind}, not a currency a venue takes payment in; use one such as EUR, GBP or USD",
                currency.code(),
                currency.0.name()
            ),
        })
    }
}

impl FromStr for Currency {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_uppercase();
        iso_currency::Currency::from_code(&code)
            .map(Currency)
            .ok_or_else(|| DomainError::UnknownCurrency(s.to_string()))
    }
}

impl TryFrom<String> for Currency {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Parses a decimal amount such as "12.50" exactly.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, DomainError> {
        Ok(Money::new(parse_decimal_minor(amount, currency)?, currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if digits == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let scale = 10u64.pow(digits);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency,
            width = digits as usize
        )
    }
}

/// Converts a decimal string ("1.06", "-3", "12.500") to minor units of `currency` exactly.
/// Extra decimal places are accepted only when they are zeros, so no amount is silently rounded.
pub fn parse_decimal_minor(input: &str, currency: Currency) -> Result<i64, DomainError> {
    let bad = |reason: String| DomainError::InvalidAmount {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, frac) = match unsigned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (unsigned, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return Err(bad("no digits".into()));
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected digits with an optional '.' and sign".into()));
    }
    let digits = currency.minor_digits() as usize;
    let (kept, dropped) = frac.split_at(frac.len().min(digits));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(bad(format!(
            "{} has {digits} decimal places; refusing to round",
            currency
        )));
    }
    let overflow = || bad("amount too large".into());
    let mut minor: i64 = 0;
    for b in whole.bytes().chain(kept.bytes()) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or_else(overflow)?;
    }
    for _ in kept.len()..digits {
        minor = minor.checked_mul(10).ok_or_else(overflow)?;
    }
    Ok(if negative { -minor } else { minor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(code: &str) -> Currency {
        code.parse().expect("test currency")
    }

    #[test]
    fn codes_that_are_not_money_are_refused_where_people_type_them() {
        for code in [
            "XXX", "xts", "XAU", "XAG", "XDR", "XUA", "USN", "CHE", "CLF",
        ] {
            let err = Currency::parse_tender(code).expect_err(code).to_string();
            assert!(
                err.contains("currency") && err.contains(&code.to_ascii_uppercase()),
                "{err}"
            );
            assert!(code.parse::<Currency>().is_ok(), "stored rows still read");
        }
        for code in ["EUR", "gbp", "USD", "JPY", "BHD", "CHF", "CLP"] {
            assert!(Currency::parse_tender(code).is_ok(), "{code}");
        }
        assert!(Currency::parse_tender("EURO").is_err());
        // The whole table: every code is refused exactly when ISO flags it special or a fund.
        for code in [
            "XAD", "XBA", "XBB", "XBC", "XBD", "XPD", "XPT", "XSU", "BOV", "COU", "MXV",
        ] {
            assert!(Currency::parse_tender(code).is_err(), "{code}");
        }
    }

    #[test]
    fn parses_exact_amounts_per_currency_exponent() {
        assert_eq!(parse_decimal_minor("1.06", cur("USD")), Ok(106));
        assert_eq!(parse_decimal_minor("12.5", cur("EUR")), Ok(1250));
        assert_eq!(parse_decimal_minor("12.500", cur("EUR")), Ok(1250));
        assert_eq!(parse_decimal_minor("-3", cur("GBP")), Ok(-300));
        assert_eq!(parse_decimal_minor("1500", cur("JPY")), Ok(1500));
        assert_eq!(parse_decimal_minor("1.234", cur("BHD")), Ok(1234));
        assert_eq!(parse_decimal_minor(".5", cur("EUR")), Ok(50));
    }

    #[test]
    fn refuses_rounding_and_garbage_with_a_reason() {
        let err = parse_decimal_minor("1.005", cur("EUR")).unwrap_err();
        assert!(err.to_string().contains("refusing to round"), "{err}");
        assert!(parse_decimal_minor("12,50", cur("EUR")).is_err());
        assert!(parse_decimal_minor("", cur("EUR")).is_err());
        assert!(parse_decimal_minor("1e3", cur("EUR")).is_err());
        assert!(parse_decimal_minor("99999999999999999999", cur("EUR")).is_err());
    }

    #[test]
    fn currency_codes_are_validated_and_case_insensitive() {
        assert_eq!(cur("eur").code(), "EUR");
        assert!(matches!(
            "EUX".parse::<Currency>(),
            Err(DomainError::UnknownCurrency(_))
        ));
        let json = serde_json::to_string(&cur("JPY")).expect("serialise");
        assert_eq!(json, "\"JPY\"");
        assert!(serde_json::from_str::<Currency>("\"ZZZ\"").is_err());
    }

    #[test]
    fn displays_minor_units_with_the_currency_digits() {
        assert_eq!(Money::new(-1250, cur("EUR")).to_string(), "-12.50 EUR");
        assert_eq!(Money::new(5, cur("BHD")).to_string(), "0.005 BHD");
        assert_eq!(Money::new(1500, cur("JPY")).to_string(), "1500 JPY");
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(minor in -1_000_000_000_000i64..1_000_000_000_000i64,
                                          code in prop::sample::select(vec!["EUR", "JPY", "BHD", "USD"])) {
            let money = Money::new(minor, cur(code));
            let text = money.to_string();
            let amount = text.split(' ').next().unwrap_or_default();
            prop_assert_eq!(parse_decimal_minor(amount, money.currency), Ok(minor));
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,24}") {
            let _ = parse_decimal_minor(&s, cur("EUR"));
        }
    }
}
