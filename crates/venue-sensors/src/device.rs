//! What every counting device offers the poller, whatever its protocol.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A device's cumulative counters at one moment (they reset: daily, on command, on reboot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterSample {
    /// When the device took the sample, in UTC.
    pub at: DateTime<Utc>,
    pub total_in: u64,
    pub total_out: u64,
    /// People inside now, for devices that keep it themselves (AXIS 3D, Xovis zones).
    pub occupancy: Option<i64>,
}

/// Counts of one period from a device's history (deltas, not cumulative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryBucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub entries: u32,
    pub exits: u32,
}

impl HistoryBucket {
    /// A period read from a device's history at `at` (for the message). One that ends before
    /// it starts, or where it starts, is refused: its counts would land in the wrong periods,
    /// and the gap-fill that takes whole periods could count them twice.
    pub fn read(
        device: &str,
        at: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        entries: u32,
        exits: u32,
    ) -> Result<HistoryBucket, SensorError> {
        if end <= start {
            return Err(SensorError::Malformed {
                device: device.to_string(),
                detail: format!("{at}: the period ends ({end}) before it starts ({start})"),
            });
        }
        Ok(HistoryBucket {
            start,
            end,
            entries,
            exits,
        })
    }
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SensorError {
    /// Credentials refused: polling stops (retrying would lock the device's account).
    #[error("{device}: credentials refused (HTTP {status})")]
    Unauthorized { device: String, status: u16 },
    #[error("{device}: no answer within {millis} ms")]
    Timeout { device: String, millis: u64 },
    #[error("{device}: cannot reach {url}: {detail}")]
    Unreachable {
        device: String,
        url: String,
        detail: String,
    },
    #[error("{device}: unreadable answer: {detail}")]
    Malformed { device: String, detail: String },
    #[error("{device}: HTTP {status}: {message}")]
    Http {
        device: String,
        status: u16,
        message: String,
    },
    /// The device cannot do this (e.g. no history endpoint).
    #[error("{device}: {what} is not supported by this device")]
    Unsupported { device: String, what: String },
    /// Local configuration (a missing secret, a bad URL, a bad certificate pin).
    #[error("{0}")]
    Setup(String),
}

impl SensorError {
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Unauthorized { .. })
    }

    /// Whether the next poll may succeed as things are: the device or the network may come
    /// back (no answer, a gateway or an overloaded device, an answer cut or garbled). The rest
    /// need someone to change something first (credentials, the URL or path, the device's
    /// setup, our settings), so polling sooner only adds load: the poller takes the device
    /// for offline at once and backs off.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Unreachable { .. } | Self::Malformed { .. } => true,
            Self::Http { status, .. } => matches!(status, 408 | 429) || *status >= 500,
            Self::Unauthorized { .. } | Self::Unsupported { .. } | Self::Setup(_) => false,
        }
    }
}

/// A counting device the poller can read. Implementations are cheap to share across tasks.
pub trait CounterDevice: Send + Sync {
    /// The configured name, unique per venue.
    fn name(&self) -> &str;
    /// The counters now.
    fn live(&self) -> BoxFuture<'_, Result<CounterSample, SensorError>>;
    /// Counts per period over [from, to), to fill a gap after an outage.
    fn history(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<HistoryBucket>, SensorError>>;
}
