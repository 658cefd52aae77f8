//! `[[sensor]]` blocks of venue.toml: defaults, and mistakes named.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use venue_sensors::{SensorConfig, SensorKind};

fn parse(text: &str) -> Result<SensorConfig, String> {
    let config: SensorConfig = toml::from_str(text).map_err(|e| e.to_string())?;
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

#[test]
fn minimal_blocks_get_defaults() {
    let c = parse("kind = \"axis-people-counter\"\nname = \"door-1\"\nurl = \"http://10.0.0.5\"\n")
        .expect("valid");
    assert_eq!(c.kind, SensorKind::AxisPeopleCounter);
    assert_eq!(
        (
            c.zone.as_str(),
            c.interval_seconds,
            c.timeout_ms,
            c.offline_after
        ),
        ("main", 60, 5000, 3)
    );
    assert!(!c.legacy_api);
    assert_eq!(c.secret_name(), "sensor-door-1");

    let c = parse("kind = \"mqtt\"\nname = \"x1\"\nbroker = \"mqtt://127.0.0.1:1883\"\ntopic = \"xovis/door-1/logics\"\nlogic_id = 2\n")
        .expect("valid");
    assert_eq!((c.kind, c.logic_id), (SensorKind::Mqtt, Some(2)));

    let c = parse(
        "kind = \"axis-3d\"\nname = \"lobby\"\nurl = \"https://10.0.0.6\"\nusername = \"root\"\n\
         cert_sha256 = \"AB:CD:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\"\n\
         daily_reset_hour = 4\nzone = \"bar\"\n",
    )
    .expect("valid");
    assert_eq!(
        (c.kind, c.daily_reset_hour, c.zone.as_str()),
        (SensorKind::Axis3d, Some(4), "bar")
    );
    assert_eq!(
        SensorConfig::new(SensorKind::Xovis, "x").secret_name(),
        "sensor-x"
    );
}

#[test]
fn mistakes_are_named() {
    let err = |text: &str| parse(text).unwrap_err();
    assert!(err("kind = \"xovis\"\nname = \"x\"\nurl = \"http://a\"\nport = 1\n").contains("port"));
    assert!(err("kind = \"axis\"\nname = \"x\"\nurl = \"http://a\"\n").contains("axis"));
    let e = err("kind = \"xovis\"\nname = \"x y\"\nurl = \"http://a\"\n");
    assert!(e.contains("\"x y\"") && e.contains("name"), "{e}");
    let e = err("kind = \"xovis\"\nname = \"x\"\n");
    assert!(e.contains("sensor \"x\"") && e.contains("url"), "{e}");
    assert!(err("kind = \"xovis\"\nname = \"x\"\nurl = \"ftp://a\"\n").contains("url"));
    assert!(
        err("kind = \"xovis\"\nname = \"x\"\nurl = \"http://a\"\ninterval_seconds = 0\n")
            .contains("interval_seconds")
    );
    assert!(
        err("kind = \"xovis\"\nname = \"x\"\nurl = \"http://a\"\ndaily_reset_hour = 24\n")
            .contains("daily_reset_hour")
    );
    assert!(
        err("kind = \"xovis\"\nname = \"x\"\nurl = \"https://a\"\ncert_sha256 = \"abc\"\n")
            .contains("cert_sha256")
    );
    assert!(err("kind = \"xovis\"\nname = \"x\"\nurl = \"http://a\"\ncert_sha256 = \"abababababababababababababababababababababababababababababababab\"\n").contains("https"));
    assert!(err("kind = \"mqtt\"\nname = \"x\"\nbroker = \"mqtt://h\"\n").contains("topic"));
    assert!(err("kind = \"mqtt\"\nname = \"x\"\ntopic = \"a/b\"\n").contains("broker"));
    assert!(
        err("kind = \"mqtt\"\nname = \"x\"\nbroker = \"mqtt://h\"\ntopic = \"a/#/b\"\n")
            .contains("topic")
    );
    assert!(
        err("kind = \"axis-3d\"\nname = \"x\"\nurl = \"http://a\"\nlegacy_api = true\n")
            .contains("legacy_api")
    );
    assert!(
        err("kind = \"axis-3d\"\nname = \"x\"\nurl = \"http://a\"\nlogic_id = 1\n")
            .contains("logic_id")
    );
}

#[test]
fn mqtt_kind_is_not_polled() {
    let c =
        parse("kind = \"mqtt\"\nname = \"x1\"\nbroker = \"mqtt://127.0.0.1\"\ntopic = \"a/b\"\n")
            .expect("valid");
    let err = venue_sensors::build_device(&c, None, chrono_tz::UTC)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("not polled"), "{err}");
    // A username without its secret is a setup error naming the secret.
    let c = parse(
        "kind = \"xovis\"\nname = \"x1\"\nurl = \"http://127.0.0.1:1\"\nusername = \"admin\"\n",
    )
    .expect("valid");
    let err = venue_sensors::build_device(&c, None, chrono_tz::UTC)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("sensor-x1"), "{err}");
}
