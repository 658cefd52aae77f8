//! venue.toml as a careless user writes it: every number outside its documented range, a log
//! level that is not one, a file that is not UTF-8. `Config::load` refuses each with a bad-input
//! error naming the key (or the file and byte), never panics and never clamps in silence; every
//! value inside the ranges loads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use proptest::prelude::*;
use std::collections::BTreeSet;
use venue_core::{ApiError, Config, ErrorCode};

/// A table of venue.toml: its header and required keys; numbers are appended as `key = value`
/// (dotted keys reach sub-tables such as `retry.base_ms`).
struct Section {
    name: &'static str,
    header: &'static str,
    /// Every numeric key of the table: (key, range, largest value of its type).
    numbers: Vec<(String, u64, u64, u64)>,
    /// Keys set next to a tested one so that the value alone decides (`dead_after_seconds`
    /// must stay above `ping_interval_seconds`).
    companions: fn(&str) -> &'static str,
}

const CONNECTOR: &str =
    "[[connector]]\nkind = \"square\"\nname = \"sq\"\nbase_url = \"http://127.0.0.1:1\"\n";
const PMS: &str =
    "[pms]\nkind = \"mews\"\napi_url = \"http://127.0.0.1:1\"\nws_url = \"ws://127.0.0.1:1\"\n";
const SENSOR: &str =
    "[[sensor]]\nkind = \"axis-3d\"\nname = \"door\"\nurl = \"http://127.0.0.1:1\"\n";
const ALERT_RULE: &str = "[[alert_rule]]\nid = \"occupancy.warning\"\n";

fn table(numbers: Vec<venue_http::settings::NumericKey>) -> Vec<(String, u64, u64, u64)> {
    numbers
        .into_iter()
        .map(|n| (n.key, *n.range.start(), *n.range.end(), n.type_max))
        .collect()
}

fn no_companions(_: &str) -> &'static str {
    ""
}

fn sections() -> Vec<Section> {
    let config = Config::parse(&format!("{CONNECTOR}{PMS}{SENSOR}{ALERT_RULE}")).expect("base");
    let top = |prefix: &str| -> Vec<(String, u64, u64, u64)> {
        table(config.numbers())
            .into_iter()
            .filter_map(|(k, lo, hi, max)| Some((k.strip_prefix(prefix)?.to_string(), lo, hi, max)))
            .collect()
    };
    vec![
        Section {
            name: "console",
            header: "[console]\n",
            numbers: top("[console] "),
            companions: no_companions,
        },
        Section {
            name: "retention",
            header: "[retention]\n",
            numbers: top("[retention] "),
            companions: no_companions,
        },
        Section {
            name: "connector",
            header: CONNECTOR,
            numbers: table(config.connector[0].numbers()),
            companions: no_companions,
        },
        Section {
            name: "pms",
            header: PMS,
            numbers: table(config.pms.as_ref().expect("pms").numbers()),
            companions: |key| match key {
                "ping_interval_seconds" => "dead_after_seconds = 3600\n",
                "dead_after_seconds" => "ping_interval_seconds = 1\n",
                _ => "",
            },
        },
        Section {
            name: "sensor",
            header: SENSOR,
            numbers: table(config.sensor[0].numbers()),
            companions: no_companions,
        },
        Section {
            name: "alert_rule",
            header: ALERT_RULE,
            numbers: table(config.alert_rule[0].numbers()),
            companions: no_companions,
        },
    ]
}

/// Loads a data dir whose venue.toml is `text`.
fn load(text: &str) -> Result<Config, ApiError> {
    load_bytes(text.as_bytes())
}

fn load_bytes(bytes: &[u8]) -> Result<Config, ApiError> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("venue.toml"), bytes).expect("write");
    Config::load(dir.path())
}

fn with_number(section: &Section, key: &str, value: u64) -> String {
    format!(
        "{}{}{key} = {value}\n",
        section.header,
        (section.companions)(key)
    )
}

/// The value as TOML can write it (an integer is an i64).
fn writable(value: u64) -> u64 {
    value.min(i64::MAX as u64)
}

fn assert_refused(section: &Section, key: &str, value: u64) {
    let text = with_number(section, key, value);
    let err = load(&text).expect_err(&format!(
        "{}: {key} = {value} must be refused",
        section.name
    ));
    assert_eq!(err.code, ErrorCode::BadInput, "{text}: {err}");
    let leaf = key.rsplit('.').next().unwrap_or(key);
    assert!(
        err.message.contains(leaf) && err.message.contains(&value.to_string()),
        "{}: the error names {key} and {value}: {err}",
        section.name
    );
    assert!(err.message.contains("venue.toml"), "names the file: {err}");
}

#[test]
fn every_number_outside_its_range_is_refused_by_name() {
    for section in sections() {
        assert!(!section.numbers.is_empty(), "{} has numbers", section.name);
        for (key, lo, hi, type_max) in &section.numbers {
            let mut outside = vec![writable(*type_max)];
            if *lo > 0 {
                outside.extend([0, lo - 1]);
            }
            if hi < type_max {
                outside.push(hi + 1);
            }
            for value in outside {
                assert_refused(&section, key, value);
            }
        }
    }
}

#[test]
fn every_value_inside_the_ranges_loads() {
    for section in sections() {
        for (key, lo, hi, _) in &section.numbers {
            for value in [*lo, *hi, lo + (hi - lo) / 2] {
                let text = with_number(&section, key, value);
                if let Err(err) = load(&text) {
                    panic!("{}: {key} = {value} is in range: {err}", section.name);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_number_loads_exactly_when_it_is_in_range(
        section_pick in any::<prop::sample::Index>(),
        key_pick in any::<prop::sample::Index>(),
        value in any::<u64>(),
        near in 0u64..3,
    ) {
        let sections = sections();
        let section = section_pick.get(&sections);
        let (key, lo, hi, type_max) = key_pick.get(&section.numbers);
        // Half the cases right at the edges, where off-by-ones live.
        let value = match near {
            0 => value % (writable(*type_max) + 1),
            1 => lo.saturating_sub(value % 3).min(*type_max),
            _ => hi.saturating_add(value % 3).min(*type_max),
        };
        let value = writable(value);
        if (*lo..=*hi).contains(&value) {
            let text = with_number(section, key, value);
            prop_assert!(load(&text).is_ok(), "{}: {key} = {value}", section.name);
        } else {
            assert_refused(section, key, value);
        }
    }
}

/// Integer leaves of a TOML value, as dotted paths.
fn integer_keys(value: &toml::Value, path: &str, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Integer(_) => {
            out.insert(path.to_string());
        }
        toml::Value::Table(table) => {
            for (k, v) in table {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                integer_keys(v, &p, out);
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                integer_keys(item, path, out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_number_of_the_config_has_a_documented_range() {
    // Every optional number set, so that it serializes.
    let full = format!(
        "{CONNECTOR}requests_per_second = 5\n{PMS}{SENSOR}daily_reset_hour = 4\n\
         [[sensor]]\nkind = \"xovis\"\nname = \"x\"\nurl = \"http://127.0.0.1:1\"\nlogic_id = 1\n\
         [[alert_rule]]\nid = \"x\"\nmetric = \"occupancy\"\ncondition = \">\"\nthreshold = 1\n\
         window_seconds = 1\ncool_down_seconds = 1\nclear_after_seconds = 1\n"
    );
    let config = Config::parse(&full).expect("full config");
    let mut found = BTreeSet::new();
    integer_keys(
        &toml::Value::try_from(&config).expect("toml"),
        "",
        &mut found,
    );
    let mut ranged: BTreeSet<String> = BTreeSet::new();
    for section in sections() {
        for (key, ..) in &section.numbers {
            ranged.insert(format!("{}.{key}", section.name));
        }
    }
    // An id, not a quantity.
    ranged.insert("sensor.logic_id".into());
    let unranged: Vec<&String> = found.difference(&ranged).collect();
    assert!(
        unranged.is_empty(),
        "numbers without a range in their config's numbers(): {unranged:?}"
    );
}

#[test]
fn a_huge_first_sync_is_refused_at_load_instead_of_panicking_later() {
    let err = load(&format!("{PMS}first_sync_days = 4294967295\n")).expect_err("refused");
    assert_eq!(err.code, ErrorCode::BadInput);
    assert!(
        err.message
            .contains("[pms] first_sync_days = 4294967295 is out of range: must be from 1 to 3650"),
        "{err}"
    );
}

#[test]
fn no_zero_rate_or_breaker_threshold_is_clamped_in_silence() {
    for (text, named) in [
        (
            format!("{CONNECTOR}requests_per_second = 0\n"),
            "requests_per_second = 0",
        ),
        (
            format!("{CONNECTOR}breaker.failure_threshold = 0\n"),
            "breaker.failure_threshold = 0",
        ),
        (
            format!("{PMS}breaker.failure_threshold = 0\n"),
            "breaker.failure_threshold = 0",
        ),
        (
            format!("{CONNECTOR}[connector.breaker]\nfailure_threshold = 0\n"),
            "breaker.failure_threshold = 0",
        ),
    ] {
        let err = load(&text).expect_err(&text);
        assert!(err.message.contains(named), "{text}: {err}");
    }
    // Unknown keys in the breaker table are named too, as everywhere else.
    let err = load(&format!("{CONNECTOR}[connector.breaker]\nthreshold = 3\n")).expect_err("typo");
    assert!(err.message.contains("threshold"), "{err}");
}

#[test]
fn a_log_level_that_is_not_one_is_named() {
    for level in [
        "verbose",
        "",
        "  ",
        "info,venue_store=loud",
        "inf",
        "venue_store",
    ] {
        let err = load(&format!("[log]\nlevel = {level:?}\n")).expect_err(level);
        assert_eq!(err.code, ErrorCode::BadInput);
        assert!(err.message.contains("[log] level"), "{level:?}: {err}");
    }
    for level in [
        "info",
        "DEBUG",
        "warn",
        "off",
        "venue_store=debug,info",
        "info,venue_core::fetch=trace",
    ] {
        let config = load(&format!("[log]\nlevel = {level:?}\n"))
            .unwrap_or_else(|e| panic!("{level:?} is a level: {e}"));
        assert_eq!(config.log.level, level);
    }
}

#[test]
fn a_venue_toml_that_is_not_utf8_is_bad_input_naming_the_file_and_byte() {
    let mut bytes = b"[console]\nactor = \"caf".to_vec();
    bytes.push(0xE9); // Latin-1 é
    bytes.extend_from_slice(b"\"\n");
    let err = load_bytes(&bytes).expect_err("not UTF-8");
    assert_eq!(err.code, ErrorCode::BadInput, "{err}");
    assert!(err.message.contains("venue.toml"), "{err}");
    assert!(err.message.contains("byte 22"), "{err}");
}

#[test]
fn the_pms_table_is_named_once_in_its_errors() {
    for extra in [
        "name = \"a b\"\n",
        "client_name = \" \"\n",
        "poll_interval_minutes = 0\n",
        "dead_after_seconds = 15\n",
        "retry.max_attempts = 0\n",
    ] {
        let err = load(&format!("{PMS}{extra}")).expect_err(extra);
        assert_eq!(
            err.message.matches("[pms]").count(),
            1,
            "{extra}: {}",
            err.message
        );
    }
}

#[test]
fn the_default_file_documents_every_range() {
    let text = venue_core::DEFAULT_CONFIG;
    for section in sections() {
        for (key, lo, hi, _) in &section.numbers {
            if section.name == "alert_rule" {
                continue; // documented once for the three
            }
            let leaf = key.rsplit('.').next().unwrap_or(key);
            let range = format!("{lo} to {hi}");
            // On the key's line, or on the comment just above it.
            let lines: Vec<&str> = text.lines().collect();
            let documented = lines.iter().enumerate().any(|(i, line)| {
                line.contains(&format!("{leaf} ="))
                    && (line.contains(&range) || i > 0 && lines[i - 1].contains(&range))
            });
            assert!(
                documented,
                "{}: {key} ({range}) is documented in the default venue.toml",
                section.name
            );
        }
    }
}
