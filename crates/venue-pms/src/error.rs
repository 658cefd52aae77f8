//! Errors of this crate that are not the HTTP layer's (those are `ConnectorError`s).

use thiserror::Error;
use venue_http::http::ConnectorError;
use venue_http::settings::SettingError;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PmsError {
    /// A websocket frame we could not read; the message names what was wrong.
    #[error("mews websocket frame: {0}")]
    BadFrame(String),
    /// A `[pms]` setting that cannot work; the error names the field.
    #[error(transparent)]
    Config(#[from] SettingError),
    #[error(transparent)]
    Connector(#[from] ConnectorError),
}
