//! Time windows sent to Mews never exceed its documented maximum of three months (calendar
//! months: 31 January + 3 months is 30 April), and cover the asked range without gaps, for any
//! start and length and for every stay window the configuration allows.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed step stops the test with its message"
)]

use chrono::{DateTime, Duration, Months, TimeZone, Utc};
use proptest::prelude::*;
use venue_pms::client::time_windows;
use venue_pms::PmsConfig;

/// The longest window Mews takes from `start`.
fn three_months(start: DateTime<Utc>) -> DateTime<Utc> {
    start
        .checked_add_months(Months::new(3))
        .expect("a date in range")
}

fn check(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), TestCaseError> {
    let w = time_windows(from, to);
    if from >= to {
        prop_assert!(w.is_empty());
        return Ok(());
    }
    prop_assert!(!w.is_empty());
    let (first, last) = (w[0].0, w[w.len() - 1].1);
    // Whole seconds around the range: at most a second more on either side.
    prop_assert!(first <= from && from - first < Duration::seconds(1));
    prop_assert!(last >= to && last - to < Duration::seconds(1));
    for pair in w.windows(2) {
        prop_assert_eq!(pair[0].1, pair[1].0, "no gap, no overlap");
    }
    for (start, end) in &w {
        prop_assert!(start < end);
        prop_assert!(
            *end <= three_months(*start),
            "{} to {} is over 3 months",
            start,
            end
        );
        prop_assert_eq!(start.timestamp_subsec_nanos(), 0);
        prop_assert_eq!(end.timestamp_subsec_nanos(), 0);
    }
    Ok(())
}

/// A time from 2000 to 2100, to the millisecond.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800_000i64..4_102_444_800_000)
        .prop_map(|ms| Utc.timestamp_millis_opt(ms).single().expect("in range"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn windows_stay_within_three_months_and_cover_the_range(
        from in instant(),
        span_ms in -86_400_000i64..(4_000 * 86_400_000),
    ) {
        check(from, from + Duration::milliseconds(span_ms))?;
    }

    #[test]
    fn every_configured_stay_window_is_read_in_windows_mews_accepts(
        now in instant(),
        back in 1u32..=3_650,
        ahead in 1u32..=3_650,
    ) {
        let mut config = PmsConfig::mews("https://api.mews-demo.com", "wss://ws.mews-demo.com/ws/connector");
        config.first_sync_days = back;
        config.first_sync_ahead_days = ahead;
        prop_assert!(config.validate().is_ok());
        let (from, to) = config.stay_window(now);
        prop_assert_eq!(to - from, Duration::days(i64::from(back) + i64::from(ahead)));
        check(from, to)?;
    }
}
