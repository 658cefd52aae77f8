//! A paged fetch from a vendor, whichever the vendor: its errors, the error of the sink that
//! takes each page as it arrives (the store, so a failure part-way keeps what was already
//! fetched), the most pages one fetch follows, and the windows a long range is asked in.

use crate::http::ConnectorError;
use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FetchError {
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error("storing a page failed: {0}")]
    Sink(#[source] SinkError),
    /// A local problem before any request (a missing secret, bad settings).
    #[error("{0}")]
    Setup(String),
}

/// Why a sink stopped taking pages: the receiver's own error (the store's, mostly), kept whole
/// so whoever runs the fetch can look at it (`get_ref().downcast_ref::<…>()`), e.g. to tell a
/// busy store worth retrying from a damaged one.
#[derive(Debug, Error)]
#[error(transparent)]
pub struct SinkError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl SinkError {
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        SinkError(Box::new(error))
    }

    /// The receiver's error.
    pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.0.as_ref()
    }
}

/// Most pages one fetch follows: a vendor that keeps sending "next" cannot loop us forever.
pub const MAX_PAGES: usize = 100_000;

/// Splits [start, end) into windows of at most `max` (vendors cap query ranges).
pub fn windows(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    max: Duration,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let to = (from + max).min(end);
        out.push((from, to));
        from = to;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_cover_the_range_without_gaps_or_overlap() {
        let start = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("time");
        let end = start + Duration::days(75);
        let w = windows(start, end, Duration::days(30));
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].0, w[2].1), (start, end));
        assert!(w.windows(2).all(|p| p[0].1 == p[1].0));
        assert!(windows(end, start, Duration::days(1)).is_empty());
    }
}
