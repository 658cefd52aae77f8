//! Toast amounts: JSON numbers in currency units (`1.06`), converted to minor units exactly.
//!
//! serde_json (as this workspace builds it, without `arbitrary_precision`) parses a JSON number
//! with a fraction or exponent into an `f64`, and the original text is gone. What survives is the
//! f64's shortest round-trip representation (`Number::to_string`, ryu), and for any decimal with
//! at most 15 significant digits that representation *is* the decimal that was sent (`1.06`,
//! `19.99`, `1234567.89`): no rounding can happen there. So:
//! - integers are taken exactly as sent;
//! - a float's shortest representation with more than 15 significant digits (e.g.
//!   `0.30000000000000004`, from a sender adding floats) is refused rather than guessed at;
//! - exponent forms (`1e-2`, `1.06E2`) are expanded exactly; `10.0` is 10;
//! - the plain decimal then goes through `parse_decimal_minor`, which refuses to round
//!   (`1.005` USD is an error, not 100 or 101).
//!
//! Numbers sent as JSON strings (`"1.06"`) are accepted too and are exact whatever their length.
//! If the workspace ever enables `arbitrary_precision`, `Number::to_string` becomes the exact
//! text and everything here keeps working.

use super::ToastError;
use serde::{Deserialize, Deserializer};
use thiserror::Error;
use venue_domain::{parse_decimal_minor, Currency, DomainError};

/// Significant decimal digits an `f64` always carries exactly.
const F64_EXACT_DIGITS: usize = 15;
/// Largest power of ten we expand an exponent to; any larger amount overflows i64 minor units.
const MAX_POINT: i64 = 40;

/// Why a Toast amount is not an exact number of minor units.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("no digits")]
    NoDigits,
    #[error("expected digits with an optional sign, '.' and exponent")]
    NotDecimal,
    #[error("bad exponent {0:?}")]
    BadExponent(String),
    #[error("exponent {0:?} out of range")]
    ExponentOutOfRange(String),
    #[error("amount too large")]
    TooLarge,
    #[error("more decimal places than any currency has; refusing to round")]
    TooManyPlaces,
    #[error("{digits} significant digits arrived as a binary float, which is only exact to {F64_EXACT_DIGITS}; refusing to guess")]
    InexactFloat { digits: usize },
    /// Not a whole number of the currency's minor units (`1.005` USD), or too large for them.
    #[error(transparent)]
    NotMinorUnits(#[from] DomainError),
}

/// A decimal amount as Toast sent it, kept as text until converted with [`Decimal::to_minor`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    text: String,
    /// True when the text is a binary float's representation rather than the vendor's text.
    from_float: bool,
}

impl Decimal {
    /// A decimal from exact text, e.g. `Decimal::exact("1.06")`.
    pub fn exact(text: &str) -> Self {
        Decimal {
            text: text.to_string(),
            from_float: false,
        }
    }

    /// The text as received (for floats: the shortest representation of the parsed value).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The amount in minor units of `currency`, exactly, or an error saying why not.
    pub fn to_minor(&self, currency: Currency) -> Result<i64, ToastError> {
        let bad = |reason: AmountError| ToastError::InvalidAmount {
            value: self.text.clone(),
            reason,
        };
        let n = Normalized::parse(&self.text).map_err(bad)?;
        if self.from_float && n.digits.len() > F64_EXACT_DIGITS {
            return Err(bad(AmountError::InexactFloat {
                digits: n.digits.len(),
            }));
        }
        let plain = n.to_plain().map_err(bad)?;
        parse_decimal_minor(&plain, currency).map_err(|e| bad(e.into()))
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Number(n) => Ok(Decimal {
                text: n.to_string(),
                from_float: n.is_f64(),
            }),
            serde_json::Value::String(s) => Ok(Decimal {
                text: s,
                from_float: false,
            }),
            other => Err(serde::de::Error::custom(format!(
                "expected a decimal amount, got {other}"
            ))),
        }
    }
}

/// `±0.DIGITS × 10^point`, with no leading or trailing zeros in `digits` (empty for zero).
struct Normalized {
    negative: bool,
    digits: String,
    point: i64,
}

impl Normalized {
    fn parse(text: &str) -> Result<Self, AmountError> {
        let s = text.trim();
        let (negative, rest) = if let Some(r) = s.strip_prefix('-') {
            (true, r)
        } else {
            (false, s.strip_prefix('+').unwrap_or(s))
        };
        let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
            Some((m, e)) => (m, parse_exponent(e)?),
            None => (rest, 0),
        };
        let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(AmountError::NoDigits);
        }
        if !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return Err(AmountError::NotDecimal);
        }
        let all = format!("{whole}{frac}");
        let leading = all.bytes().take_while(|b| *b == b'0').count();
        let digits = all[leading..].trim_end_matches('0').to_string();
        // `whole` and `leading` are at most the text's length, so these fit in i64.
        let point = exponent
            .saturating_add(whole.len() as i64)
            .saturating_sub(leading as i64);
        if digits.is_empty() {
            return Ok(Normalized {
                negative: false,
                digits,
                point: 0,
            });
        }
        Ok(Normalized {
            negative,
            digits,
            point,
        })
    }

    /// The plain decimal text (`-0.0105`, `1200`), without an exponent.
    fn to_plain(&self) -> Result<String, AmountError> {
        if self.digits.is_empty() {
            return Ok("0".into());
        }
        if self.point > MAX_POINT {
            return Err(AmountError::TooLarge);
        }
        if self.point < -MAX_POINT {
            return Err(AmountError::TooManyPlaces);
        }
        let len = self.digits.len() as i64;
        let mut out = String::with_capacity(self.digits.len() + 45);
        if self.negative {
            out.push('-');
        }
        if self.point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', self.point.unsigned_abs() as usize));
            out.push_str(&self.digits);
        } else if self.point >= len {
            out.push_str(&self.digits);
            out.extend(std::iter::repeat_n('0', (self.point - len) as usize));
        } else {
            let (whole, frac) = self.digits.split_at(self.point as usize);
            out.push_str(whole);
            out.push('.');
            out.push_str(frac);
        }
        Ok(out)
    }
}

fn parse_exponent(text: &str) -> Result<i64, AmountError> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AmountError::BadExponent(text.to_string()));
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 6 {
        return Err(AmountError::ExponentOutOfRange(text.to_string()));
    }
    let value: i64 = significant.parse().unwrap_or(0);
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        "USD".parse().expect("USD")
    }

    fn json(text: &str) -> Decimal {
        serde_json::from_str(text).expect("a JSON number")
    }

    #[test]
    fn plain_and_exponent_forms_are_exact() {
        assert_eq!(json("1.06").to_minor(usd()), Ok(106));
        assert_eq!(json("19.99").to_minor(usd()), Ok(1999));
        assert_eq!(json("1234567.89").to_minor(usd()), Ok(123456789));
        assert_eq!(json("0.3").to_minor(usd()), Ok(30));
        assert_eq!(json("10.0").to_minor(usd()), Ok(1000));
        assert_eq!(json("1e-2").to_minor(usd()), Ok(1));
        assert_eq!(json("1.06E2").to_minor(usd()), Ok(10600));
        assert_eq!(json("-5.25").to_minor(usd()), Ok(-525));
        assert_eq!(json("-0.0").to_minor(usd()), Ok(0));
        assert_eq!(json("0").to_minor(usd()), Ok(0));
        assert_eq!(json("111").to_minor(usd()), Ok(11100));
        assert_eq!(json("\"2.50\"").to_minor(usd()), Ok(250));
    }

    #[test]
    fn rounding_is_refused() {
        assert!(json("1.005").to_minor(usd()).is_err());
        assert!(json("1e-3").to_minor(usd()).is_err());
        assert!(json("0.30000000000000004").to_minor(usd()).is_err());
        assert!(json("1e300").to_minor(usd()).is_err());
        assert!(json("1e-300").to_minor(usd()).is_err());
        assert!(Decimal::exact("1e9999999999").to_minor(usd()).is_err());
        assert!(Decimal::exact("abc").to_minor(usd()).is_err());
        assert!(Decimal::exact("1e").to_minor(usd()).is_err());
        assert!(serde_json::from_str::<Decimal>("true").is_err());
    }

    proptest! {
        #[test]
        fn two_decimal_amounts_survive_the_float_round_trip(minor in -99_999_999_999_999i64..99_999_999_999_999i64) {
            let sign = if minor < 0 { "-" } else { "" };
            let abs = minor.unsigned_abs();
            let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
            prop_assert_eq!(json(&text).to_minor(usd()), Ok(minor));
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = Decimal::exact(&s).to_minor(usd());
        }

        #[test]
        fn number_like_text_never_panics(s in "[-+]?[0-9]{0,20}(\\.[0-9]{0,20})?([eE][-+]?[0-9]{0,8})?") {
            let _ = Decimal::exact(&s).to_minor(usd());
        }
    }
}
