//! The devices' JSON bodies, in the shapes of the fixtures under `shared/fixtures/sensors/`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::device::{Live, Period};

/// AXIS People Counter `live-sum.json`: counts since local midnight (or the last reset),
/// `timestamp` as `YYYYMMDDhhmmss` in device-local time.
pub(crate) fn tvpc_live_sum(serial: &str, name: &str, live: &Live, tz: Tz) -> Value {
    json!({
        "serial": serial,
        "name": name,
        "timestamp": live.at.with_timezone(&tz).format("%Y%m%d%H%M%S").to_string(),
        "in": live.cum_in,
        "out": live.cum_out,
    })
}

/// AXIS P8815-2 `occupancy`: totals since the last reset, ISO time with the local offset.
pub(crate) fn a3dpc_occupancy(colon_serial: &str, live: &Live, tz: Tz) -> Value {
    json!({
        "occupancy": live.occupancy.max(0),
        "serial": colon_serial,
        "timestamp": live.at.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        "total_in": live.cum_in,
        "total_out": live.cum_out,
    })
}

/// AXIS P8815-2 `export/json`: one entry per bucket, local `YYYY-MM-DD hh:mm:ss` bounds.
pub(crate) fn a3dpc_export(periods: &[Period], tz: Tz) -> Value {
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
    let data: Vec<Value> = periods
        .iter()
        .map(|p| json!({ "start": local(p.from), "end": local(p.to), "in": p.ins, "out": p.outs }))
        .collect();
    json!({ "data": data })
}

/// AXIS P8815-2 validation error (400).
pub(crate) fn a3dpc_error(field: &str, reason: &str) -> Value {
    json!({
        "error": {
            "message": "Validation failed",
            "error": [ { "field": field, "reason": reason } ],
        }
    })
}

/// Xovis logic ids: the zone (occupancy, `balance`) and the door's line (`fw` in, `bw` out).
pub(crate) const ZONE_LOGIC: u64 = 1;
pub(crate) const LINE_LOGIC: u64 = 2;

fn zone_counts(balance: i64) -> Value {
    json!([ { "id": 1, "name": "balance", "value": balance } ])
}

fn line_counts(ins: u64, outs: u64) -> Value {
    json!([
        { "id": 2, "name": "fw", "value": ins },
        { "id": 3, "name": "bw", "value": outs },
    ])
}

fn logic_head(id: u64) -> Value {
    if id == ZONE_LOGIC {
        json!({
            "id": ZONE_LOGIC,
            "name": "Zone 0",
            "info": "XLT_4X_ZONE_COUNT",
            "geometries": [ { "id": 1, "type": "ZONE", "name": "Zone 0" } ],
        })
    } else {
        json!({
            "id": LINE_LOGIC,
            "name": "Line 0",
            "info": "XLT_4X_LINE_IN_OUT_COUNT",
            "geometries": [
                { "id": 1, "type": "ZONE", "name": "Zone 0" },
                { "id": 2, "type": "LINE", "name": "Line 0" },
            ],
        })
    }
}

/// Xovis `GET /api/v5/logics`: cumulative counts since the last reset, `time` in epoch ms.
pub(crate) fn xovis_live(live: &Live) -> Value {
    json!({
        "time": live.at.timestamp_millis(),
        "logics": [
            {
                "id": ZONE_LOGIC,
                "name": "Zone 0",
                "info": "XLT_4X_ZONE_COUNT",
                "counts": zone_counts(live.occupancy),
            },
            {
                "id": LINE_LOGIC,
                "name": "Line 0",
                "info": "XLT_4X_LINE_IN_OUT_COUNT",
                "counts": line_counts(live.cum_in, live.cum_out),
            },
        ],
    })
}

/// One Xovis logic with its records (an element of the push's `logics`, and the answer of
/// `GET /api/v5/logics/{id}/records`).
pub(crate) fn xovis_logic_records(id: u64, periods: &[Period]) -> Value {
    let records: Vec<Value> = periods
        .iter()
        .map(|p| {
            let counts = if id == ZONE_LOGIC {
                zone_counts(p.balance)
            } else {
                line_counts(p.ins, p.outs)
            };
            json!({
                "from": p.from.timestamp_millis(),
                "to": p.to.timestamp_millis(),
                "counts": counts,
            })
        })
        .collect();
    let mut logic = logic_head(id);
    if let Some(obj) = logic.as_object_mut() {
        obj.insert("records".into(), Value::Array(records));
    }
    logic
}

/// A Xovis v5 push (`xovis_v5_push_logics_data.json`): the zone and the line logic.
pub(crate) fn xovis_push(id: u64, agent_id: u64, periods: &[Period]) -> Value {
    json!({
        "logics_data": {
            "package_info": { "version": "5.0", "id": id, "agent_id": agent_id },
            "logics": [
                xovis_logic_records(ZONE_LOGIC, periods),
                xovis_logic_records(LINE_LOGIC, periods),
            ],
        }
    })
}
