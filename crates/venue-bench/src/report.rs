//! One JSON object per line: name, value, unit, the baseline measured in the same run, the ratio.

use serde_json::json;
use std::io::Write as _;

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn line(
    name: &str,
    value: f64,
    unit: &str,
    baseline: f64,
    ratio: f64,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let mut object = json!({
        "name": name,
        "value": round(value),
        "unit": unit,
        "baseline": round(baseline),
        "ratio": round(ratio),
    });
    if let (Some(o), Some(e)) = (object.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{object}")?;
    out.flush()?;
    Ok(())
}
