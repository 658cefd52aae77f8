//! `[[connector]]` entries of venue.toml. Secrets are never here: only their names are derived.

use crate::breaker::BreakerConfig;
use crate::retry::RetryPolicy;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// No connector runs more often than this, so a restart loop cannot hammer a vendor.
pub const MIN_INTERVAL_MINUTES: u32 = 5;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorKind {
    Square,
    Toast,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SquareSource {
    #[default]
    Orders,
    Payments,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorConfig {
    pub kind: ConnectorKind,
    /// Unique per venue; also the `source` of every record it writes and its secrets' prefix.
    pub name: String,
    pub base_url: String,
    #[serde(default = "default_interval")]
    pub interval_minutes: u32,
    /// How far before the last high-water mark each incremental fetch starts again.
    #[serde(default = "default_overlap")]
    pub overlap_minutes: u32,
    /// Square: the locations to fetch (all the account's locations when empty).
    #[serde(default)]
    pub location_ids: Vec<String>,
    /// Square: read sales from orders (tax, discounts; the default) or from payments
    /// (accounts that take payments without orders).
    #[serde(default)]
    pub square_source: SquareSource,
    /// Toast: the restaurant's external id (sent as Toast-Restaurant-External-ID).
    pub restaurant_guid: Option<String>,
    /// Toast: the restaurant's currency (Toast amounts carry none).
    pub currency: Option<String>,
    /// Names to show for locations, by the vendor's id (a Square location id, the Toast
    /// restaurant GUID); they win over the names the vendor gives.
    #[serde(default)]
    pub location_names: std::collections::BTreeMap<String, String>,
    /// Overrides the vendor's documented request rate.
    pub requests_per_second: Option<u32>,
    #[serde(default)]
    pub retry: RetryPolicy,
    #[serde(default)]
    pub breaker: BreakerConfig,
}

fn default_interval() -> u32 {
    180
}

fn default_overlap() -> u32 {
    30
}

impl ConnectorConfig {
    /// Every numeric key and its accepted range: interval 5 minutes to a week, overlap up to a
    /// week, 1 to 10,000 requests a second, and the retry and breaker ranges.
    pub fn numbers(&self) -> Vec<NumericKey> {
        let mut numbers = vec![
            NumericKey::u32(
                "interval_minutes",
                self.interval_minutes,
                MIN_INTERVAL_MINUTES..=10_080,
            ),
            NumericKey::u32("overlap_minutes", self.overlap_minutes, 0..=10_080),
            NumericKey::optional_u32("requests_per_second", self.requests_per_second, 1..=10_000),
        ];
        numbers.extend(resilience_numbers(&self.retry, &self.breaker));
        numbers
    }

    /// Checks what serde cannot; the error names the connector and the field.
    pub fn validate(&self) -> Result<(), SettingError> {
        let table = Table::Connector(self.name.clone());
        let bad = |key, why: &str| Err(SettingError::invalid(table.clone(), key, why));
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return bad("name", "must be letters, digits, '-' or '_'");
        }
        match reqwest::Url::parse(&self.base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => return bad("base_url", "must be an http(s) URL"),
        }
        check_table_numbers(&table, &self.numbers())?;
        for (id, name) in &self.location_names {
            if id.trim().is_empty() {
                return bad("location_names", "must name each location by its id");
            }
            if let Err(e) = venue_domain::text::LOCATION_NAME.clean(name) {
                return bad(
                    "location_names",
                    &format!("for location {id:?} is refused: {e}"),
                );
            }
        }
        match self.kind {
            ConnectorKind::Square => {
                if self.location_ids.len() > 10 {
                    return bad(
                        "location_ids",
                        "may list at most 10 locations (Square's limit per search)",
                    );
                }
            }
            ConnectorKind::Toast => {
                if self.restaurant_guid.as_deref().is_none_or(str::is_empty) {
                    return bad("restaurant_guid", "is required for Toast");
                }
                match self
                    .currency
                    .as_deref()
                    .map(str::parse::<venue_domain::Currency>)
                {
                    Some(Ok(_)) => {}
                    _ => return bad("currency", "is required for Toast (an ISO 4217 code)"),
                }
            }
        }
        Ok(())
    }

    /// Names of the secrets this connector needs, as `venue secret set NAME` stores them.
    pub fn secret_names(&self) -> Vec<String> {
        match self.kind {
            ConnectorKind::Square => vec![format!("{}-access-token", self.name)],
            ConnectorKind::Toast => vec![
                format!("{}-client-id", self.name),
                format!("{}-client-secret", self.name),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConnectorConfig, String> {
        let config: ConnectorConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    #[test]
    fn a_minimal_square_connector_gets_defaults() {
        let c = parse(
            "kind = \"square\"\nname = \"square-main\"\nbase_url = \"http://127.0.0.1:9000\"\n",
        )
        .expect("valid");
        assert_eq!((c.interval_minutes, c.overlap_minutes), (180, 30));
        assert_eq!(c.secret_names(), vec!["square-main-access-token"]);
    }

    /// The error says where the mistake is, for a caller (the Settings screen) to point at it.
    #[test]
    fn errors_name_the_table_and_the_key() {
        let read = |text: &str| toml::from_str::<ConnectorConfig>(text).expect("toml");
        let err = read("kind = \"square\"\nname = \"s\"\nbase_url = \"ftp://x\"\n")
            .validate()
            .unwrap_err();
        assert_eq!(err.table(), &Table::Connector("s".into()));
        assert_eq!(err.key(), "base_url");
        let err = read(
            "kind = \"square\"\nname = \"s\"\nbase_url = \"http://x\"\n[retry]\nbase_ms = 0\n",
        )
        .validate()
        .unwrap_err();
        assert_eq!(err.key(), "retry.base_ms");
        assert!(matches!(
            err,
            SettingError::OutOfRange {
                range: OutOfRange { value: 0, .. },
                ..
            }
        ));
    }

    #[test]
    fn mistakes_are_named() {
        let err =
            parse("kind = \"toast\"\nname = \"t\"\nbase_url = \"http://x\"\ncurrency = \"USD\"\n")
                .unwrap_err();
        assert!(err.contains("restaurant_guid"), "{err}");
        let err = parse("kind = \"square\"\nname = \"s\"\nbase_url = \"ftp://x\"\n").unwrap_err();
        assert!(err.contains("base_url"), "{err}");
        let err = parse(
            "kind = \"square\"\nname = \"s\"\nbase_url = \"http://x\"\ninterval_minutes = 1\n",
        )
        .unwrap_err();
        assert!(
            err.contains("interval_minutes = 1 is out of range: must be from 5 to 10080"),
            "{err}"
        );
        let err = parse(
            "kind = \"square\"\nname = \"s\"\nbase_url = \"http://x\"\ntoken = \"secret!\"\n",
        )
        .unwrap_err();
        assert!(
            err.contains("token"),
            "secrets are refused as unknown keys: {err}"
        );
        let err = parse("kind = \"clover\"\nname = \"s\"\nbase_url = \"http://x\"\n").unwrap_err();
        assert!(err.contains("clover"), "{err}");
    }

    #[test]
    fn location_names_are_one_clean_line_each() {
        let base = "kind = \"square\"\nname = \"s\"\nbase_url = \"http://x\"\n";
        let c = parse(&format!(
            "{base}[location_names]\n8JVZD0U8RRUBM = \"Rooftop Bar\"\n"
        ))
        .expect("valid");
        assert_eq!(
            c.location_names.get("8JVZD0U8RRUBM").map(String::as_str),
            Some("Rooftop Bar")
        );
        for bad in ["\"\"", "\"  \"", "\"Bar\\u001b[2J\"", "\"Bar\\nTwo\""] {
            let err = parse(&format!("{base}[location_names]\nL1 = {bad}\n")).unwrap_err();
            assert!(
                err.contains("location_names") && err.contains("\"L1\""),
                "{bad}: {err}"
            );
        }
        let err = parse(&format!("{base}[location_names]\n\" \" = \"Bar\"\n")).unwrap_err();
        assert!(err.contains("location_names"), "{err}");
    }
}
