//! `[[connector]]` entries of venue.toml. Secrets are never here: only their names are derived.

use serde::{Deserialize, Serialize};
use venue_http::breaker::BreakerConfig;
use venue_http::retry::RetryPolicy;
use venue_http::settings::{
    check_table_numbers, resilience_numbers, NumericKey, SettingError, Table,
};

/// No connector runs more often than this, so a restart loop cannot hammer a vendor.
pub const MIN_INTERVAL_MINUTES: u32 = 5;

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
    use venue_http::settings::OutOfRange;

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
