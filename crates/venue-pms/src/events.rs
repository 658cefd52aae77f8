//! Websocket messages: `{"Events": [{"Type": ..., "Id": ..., ...}]}`. Events are notifications
//! only: the entity itself is fetched by REST.
//!
//! What is strict and what is not:
//! - a frame that is not JSON, not an object, or has no `Events` list is unreadable as a whole
//!   (an error naming what was wrong);
//! - an event needs a string `Type`, and a known type needs a non-empty string `Id` (without it
//!   there is nothing to fetch); [`parse_socket_frame`] keeps the frame's other events and names
//!   the bad ones, [`parse_socket_message`] refuses the frame;
//! - an event of a type we do not know is kept as [`MewsEvent::Unknown`] (the caller skips it);
//! - `State` and the times are hints (the REST fetch is authoritative), so a missing or
//!   unreadable one is `None`, not an error.

use crate::error::PmsError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MewsEvent {
    Reservation {
        id: String,
        state: Option<String>,
        start_utc: Option<DateTime<Utc>>,
        end_utc: Option<DateTime<Utc>>,
    },
    Resource {
        id: String,
        state: Option<String>,
    },
    DeviceCommand {
        id: String,
    },
    PriceUpdate {
        id: String,
    },
    /// A type this build does not know (`kind` is its `Type`).
    Unknown {
        kind: String,
    },
}

impl MewsEvent {
    /// The event's `Type` as Mews names it.
    pub fn kind(&self) -> &str {
        match self {
            Self::Reservation { .. } => "Reservation",
            Self::Resource { .. } => "Resource",
            Self::DeviceCommand { .. } => "DeviceCommand",
            Self::PriceUpdate { .. } => "PriceUpdate",
            Self::Unknown { kind } => kind,
        }
    }
}

/// A whole message, strictly (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SocketMessage {
    pub events: Vec<MewsEvent>,
}

impl<'de> Deserialize<'de> for MewsEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        parse_event(&value).map_err(serde::de::Error::custom)
    }
}

/// A frame read leniently: its readable events, and a reason for each event that was not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketFrame {
    pub events: Vec<MewsEvent>,
    pub rejected: Vec<String>,
}

/// Most characters of a bad frame quoted in an error.
const QUOTE_CHARS: usize = 80;

fn quote(text: &str) -> String {
    let mut out: String = text.chars().take(QUOTE_CHARS).collect();
    if text.chars().nth(QUOTE_CHARS).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

/// Reads a frame, keeping its good events and naming its bad ones (for the socket loop).
pub fn parse_socket_frame(text: &str) -> Result<SocketFrame, PmsError> {
    let bad = |why: String| PmsError::BadFrame(why);
    let value: Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not JSON ({e}): {}", quote(text))))?;
    let Value::Object(mut message) = value else {
        return Err(bad(format!(
            "expected an object with `Events`, got {}",
            crate::models::json_kind(&value)
        )));
    };
    let events = match message.remove("Events") {
        Some(Value::Array(events)) => events,
        None => return Err(bad("no `Events` list".into())),
        Some(other) => {
            return Err(bad(format!(
                "`Events` is {}, not a list",
                crate::models::json_kind(&other)
            )))
        }
    };
    let mut frame = SocketFrame::default();
    for (index, event) in events.iter().enumerate() {
        match parse_event(event) {
            Ok(event) => frame.events.push(event),
            Err(why) => frame.rejected.push(format!("event {index}: {why}")),
        }
    }
    Ok(frame)
}

/// Reads a frame strictly: any bad event makes the frame an error naming that event.
pub fn parse_socket_message(text: &str) -> Result<Vec<MewsEvent>, PmsError> {
    let frame = parse_socket_frame(text)?;
    match frame.rejected.into_iter().next() {
        Some(first) => Err(PmsError::BadFrame(first)),
        None => Ok(frame.events),
    }
}

/// Why one event of a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("expected an object, got {0}")]
    NotAnObject(&'static str),
    #[error("`Type` is empty")]
    EmptyType,
    #[error("`Type` is {0}, not a string")]
    TypeNotAString(&'static str),
    #[error("no `Type`")]
    NoType,
    #[error("{0} event without an `Id`")]
    NoId(String),
}

fn parse_event(value: &Value) -> Result<MewsEvent, EventError> {
    let Value::Object(event) = value else {
        return Err(EventError::NotAnObject(crate::models::json_kind(value)));
    };
    let kind = match event.get("Type") {
        Some(Value::String(kind)) if !kind.is_empty() => kind.clone(),
        Some(Value::String(_)) => return Err(EventError::EmptyType),
        Some(other) => return Err(EventError::TypeNotAString(crate::models::json_kind(other))),
        None => return Err(EventError::NoType),
    };
    let text = |key: &str| {
        event
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let time = |key: &str| {
        event
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let id = || text("Id").ok_or_else(|| EventError::NoId(kind.clone()));
    Ok(match kind.as_str() {
        "Reservation" => MewsEvent::Reservation {
            id: id()?,
            state: text("State"),
            start_utc: time("StartUtc"),
            end_utc: time("EndUtc"),
        },
        "Resource" => MewsEvent::Resource {
            id: id()?,
            state: text("State"),
        },
        "DeviceCommand" => MewsEvent::DeviceCommand { id: id()? },
        "PriceUpdate" => MewsEvent::PriceUpdate { id: id()? },
        _ => MewsEvent::Unknown { kind },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_events_survive_a_bad_neighbour_in_the_lenient_reader() {
        let text = r#"{"Events":[{"Type":"Resource","Id":"r1","State":"Dirty"},{"Type":"Reservation"},{"Type":"Spa","Id":"x"}]}"#;
        let frame = parse_socket_frame(text).expect("readable frame");
        assert_eq!(
            frame.events,
            vec![
                MewsEvent::Resource {
                    id: "r1".into(),
                    state: Some("Dirty".into())
                },
                MewsEvent::Unknown { kind: "Spa".into() }
            ]
        );
        assert_eq!(
            frame.rejected,
            vec!["event 1: Reservation event without an `Id`"]
        );
        let strict = parse_socket_message(text).unwrap_err().to_string();
        assert!(
            strict.contains("event 1") && strict.contains("Id"),
            "{strict}"
        );
    }

    #[test]
    fn unreadable_frames_say_why() {
        for (text, says) in [
            ("hello", "not JSON"),
            ("[1,2]", "a list"),
            ("{}", "no `Events`"),
            (r#"{"Events":{}}"#, "`Events` is an object"),
            (r#"{"Events":[{"Id":"x"}]}"#, "no `Type`"),
            (r#"{"Events":[{"Type":7}]}"#, "`Type` is a number"),
            (r#"{"Events":[3]}"#, "expected an object"),
        ] {
            let err = parse_socket_message(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn hints_that_cannot_be_read_are_dropped_not_fatal() {
        let events = parse_socket_message(
            r#"{"Events":[{"Type":"Reservation","Id":"a","State":null,"StartUtc":"soon","EndUtc":5}]}"#,
        )
        .expect("readable");
        assert_eq!(
            events,
            vec![MewsEvent::Reservation {
                id: "a".into(),
                state: None,
                start_utc: None,
                end_utc: None
            }]
        );
    }
}
