//! What sales by location call each POS location: the name configured for it
//! (`location_names` of its `[[connector]]`), else the name its vendor gives (Square's
//! ListLocations, Toast's restaurant), else its vendor id. Each fetch keeps the names in the
//! store (table `locations`) so every screen and report, and later the hub, shows the same.

use crate::console::StoreHandle;
use crate::ApiResult;
use uuid::Uuid;
use venue_domain::{Location, Origin, Venue};
use venue_pos::config::ConnectorConfig;

/// What a sale without a location is listed as.
pub const NO_LOCATION: &str = "—";

/// The names to keep for `config`'s locations: every configured one, and the vendor's for the
/// others. A vendor name that cannot be shown on one clean line is left out (and logged): the
/// location then shows its id.
pub(crate) fn to_keep(
    venue: &Venue,
    config: &ConnectorConfig,
    vendor: &[(String, String)],
) -> Vec<Location> {
    let configured = config.location_names.iter();
    let from_vendor = vendor
        .iter()
        .filter(|(id, _)| !config.location_names.contains_key(id))
        .map(|(id, name)| (id, name));
    configured
        .chain(from_vendor)
        .filter_map(
            |(id, name)| match Location::new(venue.id, &config.name, id, name) {
                Ok(location) => Some(location),
                Err(e) => {
                    tracing::warn!(connector = %config.name, location = %id, error = %e, "location name not kept");
                    None
                }
            },
        )
        .collect()
}

/// Keeps the names of `config`'s locations (see [`to_keep`]) with the fetch `snapshot`;
/// returns how many changed.
pub(crate) fn save(
    store: &StoreHandle,
    venue: &Venue,
    config: &ConnectorConfig,
    snapshot: Uuid,
    vendor: &[(String, String)],
) -> ApiResult<u64> {
    let locations = to_keep(venue, config, vendor);
    Ok(store.with(|s| s.save_locations(Origin::Connector, Some(snapshot), &locations))?)
}

/// The name to show for location `id` of connector `config` (None: the connector is no longer
/// configured), `stored` being the name the store holds.
pub(crate) fn shown(
    config: Option<&ConnectorConfig>,
    id: Option<&str>,
    stored: Option<String>,
) -> String {
    let Some(id) = id.filter(|id| !id.trim().is_empty()) else {
        return NO_LOCATION.to_string();
    };
    config
        .and_then(|c| c.location_names.get(id).cloned())
        .or(stored)
        .unwrap_or_else(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(names: &[(&str, &str)]) -> ConnectorConfig {
        let mut text =
            "kind = \"square\"\nname = \"sq\"\nbase_url = \"http://127.0.0.1:1\"\n".to_string();
        text.push_str("[location_names]\n");
        for (id, name) in names {
            text.push_str(&format!("{id} = {name:?}\n"));
        }
        toml::from_str(&text).expect("config")
    }

    #[test]
    fn a_configured_name_wins_then_the_vendors_then_the_id() {
        let c = config(&[("L1", "Front Bar")]);
        assert_eq!(
            shown(Some(&c), Some("L1"), Some("Grant Park".into())),
            "Front Bar"
        );
        assert_eq!(
            shown(Some(&c), Some("L2"), Some("Midtown".into())),
            "Midtown"
        );
        assert_eq!(shown(Some(&c), Some("L3"), None), "L3");
        assert_eq!(shown(None, Some("L3"), None), "L3");
        assert_eq!(shown(Some(&c), None, None), NO_LOCATION);
        assert_eq!(shown(Some(&c), Some(" "), None), NO_LOCATION);
    }

    #[test]
    fn names_kept_are_the_configured_ones_and_clean_vendor_ones() {
        let venue = Venue::new("Harbour", "Europe/London", "GBP", 50).expect("venue");
        let c = config(&[("L1", "Front Bar")]);
        let vendor = [
            ("L1".to_string(), "Grant Park".to_string()),
            ("L2".to_string(), "Midtown".to_string()),
            ("L3".to_string(), "Evil\u{1b}[2J".to_string()),
            ("L4".to_string(), "   ".to_string()),
        ];
        let kept: Vec<(String, String)> = to_keep(&venue, &c, &vendor)
            .into_iter()
            .map(|l| (l.external_id, l.name))
            .collect();
        assert_eq!(
            kept,
            [
                ("L1".to_string(), "Front Bar".to_string()),
                ("L2".to_string(), "Midtown".to_string())
            ]
        );
    }
}
