use thiserror::Error;

/// Invalid domain input, each variant naming what was wrong.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum DomainError {
    #[error("unknown currency code {0:?} (expected an ISO 4217 code such as EUR)")]
    UnknownCurrency(String),
    #[error("unknown timezone {0:?} (expected an IANA name such as Europe/London)")]
    UnknownTimezone(String),
    #[error("invalid amount {input:?}: {reason}")]
    InvalidAmount { input: String, reason: String },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("clock: remote timestamp is {ahead_ms} ms ahead of local time (limit {limit_ms} ms)")]
    ClockDrift { ahead_ms: u64, limit_ms: u64 },
    #[error("unknown {kind} {value:?}")]
    UnknownVariant { kind: &'static str, value: String },
}
