//! Toast timestamps: ISO 8601 with milliseconds and an offset written without a colon
//! (`2019-02-24T13:48:44.206+0000`); RFC 3339 forms (`+00:00`, `Z`) are accepted too.

use super::ToastError;
use chrono::{DateTime, Utc};

/// Parses a Toast timestamp (offset with or without a colon, or `Z`; fraction optional).
pub fn parse_toast_time(text: &str) -> Result<DateTime<Utc>, ToastError> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ToastError::InvalidTime {
            value: text.to_string(),
            reason: e.to_string(),
        })
}

/// Formats a time for Toast request parameters (`startDate`, `endDate`): UTC, milliseconds,
/// `+0000`. Sub-millisecond precision is truncated.
pub fn format_toast_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn parses_the_documented_forms() {
        let want = Utc
            .with_ymd_and_hms(2019, 2, 24, 13, 48, 44)
            .single()
            .expect("valid")
            + chrono::Duration::milliseconds(206);
        for text in [
            "2019-02-24T13:48:44.206+0000",
            "2019-02-24T13:48:44.206+00:00",
            "2019-02-24T13:48:44.206Z",
            "2019-02-24T08:48:44.206-0500",
            " 2019-02-24T15:48:44.206+02:00 ",
        ] {
            assert_eq!(parse_toast_time(text), Ok(want), "{text}");
        }
        let whole = parse_toast_time("2019-02-24T13:48:44+0000").expect("no fraction");
        assert_eq!(whole, want - chrono::Duration::milliseconds(206));
        assert_eq!(format_toast_time(want), "2019-02-24T13:48:44.206+0000");
    }

    #[test]
    fn rejects_garbage_with_the_value() {
        for text in [
            "",
            "2019-02-24",
            "2019-02-24T13:48:44",
            "yesterday",
            "2019-13-01T00:00:00.000+0000",
        ] {
            let err = parse_toast_time(text).expect_err(text);
            assert!(err.to_string().contains(text), "{err}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(ms in 0i64..253_402_300_799_999i64) {
            let t = Utc.timestamp_millis_opt(ms).single().expect("in range");
            prop_assert_eq!(parse_toast_time(&format_toast_time(t)), Ok(t));
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = parse_toast_time(&s);
        }

        #[test]
        fn timestamp_like_text_never_panics(s in "[0-9+-]{1,7}-[0-9]{1,3}-[0-9]{1,3}T[0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}(\\.[0-9]{0,12})?([+-][0-9:]{0,6}|Z)?") {
            let _ = parse_toast_time(&s);
        }
    }
}
