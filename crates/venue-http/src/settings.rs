//! Range-checked settings: each number of venue.toml with the range its key accepts, and the
//! errors that name a setting by its table and key. Every table (a connector's, the PMS's, a
//! door counter's) lists its numbers here and is checked the same way.

use crate::breaker::BreakerConfig;
use crate::retry::RetryPolicy;
use std::fmt;
use thiserror::Error;

/// One numeric key of venue.toml with its value and the range it must be in. Every config
/// lists its numbers (`numbers()`), so validation, the documented ranges and the tests that
/// try every out-of-range value all read one table: a number outside its range would
/// otherwise overflow a date sum (a panic) or be clamped in silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumericKey {
    /// The key as written in its table, dotted inside a sub-table ("retry.base_ms").
    pub key: String,
    /// None when an optional key is left out.
    pub value: Option<u64>,
    pub range: std::ops::RangeInclusive<u64>,
    /// The largest value the key's type holds (u32::MAX or u64::MAX).
    pub type_max: u64,
}

impl NumericKey {
    pub fn u32(key: &str, value: u32, range: std::ops::RangeInclusive<u32>) -> Self {
        Self::optional_u32(key, Some(value), range)
    }

    pub fn optional_u32(
        key: &str,
        value: Option<u32>,
        range: std::ops::RangeInclusive<u32>,
    ) -> Self {
        NumericKey {
            key: key.to_string(),
            value: value.map(u64::from),
            range: u64::from(*range.start())..=u64::from(*range.end()),
            type_max: u64::from(u32::MAX),
        }
    }

    pub fn u64(key: &str, value: u64, range: std::ops::RangeInclusive<u64>) -> Self {
        NumericKey {
            key: key.to_string(),
            value: Some(value),
            range,
            type_max: u64::MAX,
        }
    }

    /// The same key inside a sub-table: `prefixed("retry.")`.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.key = format!("{prefix}{}", self.key);
        self
    }

    /// Names the key, its value and the range when the value is outside it.
    pub fn check(&self) -> Result<(), OutOfRange> {
        match self.value {
            Some(value) if !self.range.contains(&value) => Err(OutOfRange {
                key: self.key.clone(),
                value,
                min: *self.range.start(),
                max: *self.range.end(),
            }),
            _ => Ok(()),
        }
    }
}

/// A number of venue.toml outside the range its key accepts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{key} = {value} is out of range: must be from {min} to {max}")]
pub struct OutOfRange {
    /// As written in its table ("retry.base_ms"), with any prefix the table gave it.
    pub key: String,
    pub value: u64,
    pub min: u64,
    pub max: u64,
}

/// The venue.toml table a setting is in, as messages name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Table {
    /// A `[[connector]]` block, by its name.
    Connector(String),
    /// The `[pms]` table.
    Pms,
    /// A `[[sensor]]` block, by its name.
    Sensor(String),
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Table::Connector(name) => write!(f, "connector {name:?}:"),
            Table::Pms => f.write_str("[pms]"),
            Table::Sensor(name) => write!(f, "sensor {name:?}:"),
        }
    }
}

/// A setting of venue.toml that cannot work, named by its table and key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingError {
    /// `why` completes the sentence "KEY ...": "must be an http(s) URL".
    #[error("{table} {key} {why}")]
    Invalid {
        table: Table,
        key: &'static str,
        why: String,
    },
    #[error("{table} {range}")]
    OutOfRange { table: Table, range: OutOfRange },
}

impl SettingError {
    pub fn invalid(table: Table, key: &'static str, why: impl Into<String>) -> Self {
        SettingError::Invalid {
            table,
            key,
            why: why.into(),
        }
    }

    /// The table the setting is in.
    pub fn table(&self) -> &Table {
        match self {
            SettingError::Invalid { table, .. } | SettingError::OutOfRange { table, .. } => table,
        }
    }

    /// The key as written in its table ("base_url", "retry.base_ms").
    pub fn key(&self) -> &str {
        match self {
            SettingError::Invalid { key, .. } => key,
            SettingError::OutOfRange { range, .. } => &range.key,
        }
    }
}

/// The numbers of a `[….retry]` and a `[….breaker]` sub-table, as keys of the table that holds
/// them (a connector's or the PMS's).
pub fn resilience_numbers(retry: &RetryPolicy, breaker: &BreakerConfig) -> Vec<NumericKey> {
    let retry = retry.numbers().into_iter().map(|n| n.prefixed("retry."));
    let breaker = breaker
        .numbers()
        .into_iter()
        .map(|n| n.prefixed("breaker."));
    retry.chain(breaker).collect()
}

/// Checks every key of a config's table of numbers; the first one out of range is named.
pub fn check_numbers(numbers: &[NumericKey]) -> Result<(), OutOfRange> {
    numbers.iter().try_for_each(NumericKey::check)
}

/// [`check_numbers`] for the numbers of one table, the table named in the error.
pub fn check_table_numbers(table: &Table, numbers: &[NumericKey]) -> Result<(), SettingError> {
    check_numbers(numbers).map_err(|range| SettingError::OutOfRange {
        table: table.clone(),
        range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message names the table, the key as written there (sub-table prefix included), the
    /// value and the range.
    #[test]
    fn a_number_out_of_range_is_named_with_its_table_and_key() {
        let retry = RetryPolicy {
            base_ms: 0,
            ..RetryPolicy::default()
        };
        let numbers = resilience_numbers(&retry, &BreakerConfig::default());
        let err = check_table_numbers(&Table::Pms, &numbers).unwrap_err();
        assert_eq!(err.table(), &Table::Pms);
        assert_eq!(err.key(), "retry.base_ms");
        let text = err.to_string();
        assert!(
            text.starts_with("[pms] retry.base_ms = 0 is out of range: must be from "),
            "{text}"
        );
        assert!(check_table_numbers(
            &Table::Sensor("door".into()),
            &resilience_numbers(&RetryPolicy::default(), &BreakerConfig::default())
        )
        .is_ok());
    }

    #[test]
    fn a_left_out_optional_key_is_never_out_of_range() {
        assert_eq!(
            NumericKey::optional_u32("requests_per_second", None, 1..=10).check(),
            Ok(())
        );
        let err = NumericKey::u64("limit", 11, 1..=10).check().unwrap_err();
        assert_eq!(
            (err.key.as_str(), err.value, err.min, err.max),
            ("limit", 11, 1, 10)
        );
    }
}
