//! `natural_id(kind, ...)`: the ids of `venue_domain::natural` as an SQL function, so a migration
//! or a re-key can derive ids in one statement with the same code the write path uses.

use chrono::{DateTime, Utc};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::Connection;
use uuid::Uuid;
use venue_domain::{natural, vendor_row_id, EntityKind};

fn failure(reason: String) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(reason.into())
}

fn text(ctx: &Context, i: usize) -> rusqlite::Result<String> {
    ctx.get::<String>(i)
}

fn id(ctx: &Context, i: usize) -> rusqlite::Result<Uuid> {
    let value = text(ctx, i)?;
    Uuid::parse_str(&value).map_err(|e| failure(format!("natural_id: {value:?}: {e}")))
}

fn time(ctx: &Context, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    ctx.get::<DateTime<Utc>>(i)
}

fn natural_id(ctx: &Context) -> rusqlite::Result<String> {
    let kind: EntityKind = text(ctx, 0)?
        .parse()
        .map_err(|e: venue_domain::DomainError| failure(e.to_string()))?;
    let derived = match kind {
        EntityKind::Transaction => {
            natural::transaction(id(ctx, 1)?, &text(ctx, 2)?, &text(ctx, 3)?)
        }
        EntityKind::Customer
        | EntityKind::Resource
        | EntityKind::Service
        | EntityKind::Reservation
        | EntityKind::Location => vendor_row_id(id(ctx, 1)?, kind, &text(ctx, 2)?, &text(ctx, 3)?),
        EntityKind::SensorDevice => natural::sensor_device(id(ctx, 1)?, &text(ctx, 2)?),
        EntityKind::SensorReading => natural::sensor_reading(id(ctx, 1)?, time(ctx, 2)?),
        EntityKind::DeskNote => natural::desk_note(id(ctx, 1)?),
        EntityKind::Alert => natural::alert(id(ctx, 1)?, &text(ctx, 2)?, time(ctx, 3)?),
        other => {
            return Err(failure(format!(
                "natural_id: {other} rows have no natural id"
            )))
        }
    };
    Ok(derived.to_string())
}

pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "natural_id",
        -1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        natural_id,
    )
}
