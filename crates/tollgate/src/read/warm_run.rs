//! Warm-run telemetry: the `WarmRunComparison` figures, from any of the
//! shapes StateTrace writes them in:
//! - a per-run array whose row with `PassLabel: "WarmRunComparison"` holds them;
//! - a `*-latest-summary.json` object holding them at the top level;
//! - the CI fixture's nested `{"WarmRunComparison": {...}}`.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// The comparison object within parsed warm-run telemetry, if any.
pub fn comparison(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(rows) => rows
            .iter()
            .rev()
            .find(|r| r.get("PassLabel").and_then(Value::as_str) == Some("WarmRunComparison")),
        Value::Object(o) => match o.get("WarmRunComparison") {
            Some(nested @ Value::Object(_)) => Some(nested),
            _ if o.contains_key("ImprovementPercent")
                || o.get("PassLabel").and_then(Value::as_str) == Some("WarmRunComparison") =>
            {
                Some(v)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Read a warm-run file and return its comparison object.
pub fn read(path: &Path) -> Result<Value> {
    let v = super::json::load(path)?;
    comparison(&v)
        .cloned()
        .ok_or_else(|| Error::parse(path, None, "no WarmRunComparison figures (no PassLabel=WarmRunComparison row, summary object or nested WarmRunComparison)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn three_shapes() {
        let per_run = json!([{"PassLabel": "ColdPass"}, {"PassLabel": "WarmRunComparison", "ImprovementPercent": 69.47}]);
        assert_eq!(comparison(&per_run).unwrap()["ImprovementPercent"], 69.47);
        let summary = json!({"ImprovementPercent": 46.2, "WarmCacheHitRatioPercent": 100.0});
        assert_eq!(comparison(&summary).unwrap()["ImprovementPercent"], 46.2);
        let nested = json!({"ColdPass": {}, "WarmRunComparison": {"ImprovementPercent": 78.89}});
        assert_eq!(comparison(&nested).unwrap()["ImprovementPercent"], 78.89);
        assert!(comparison(&json!({"Sample": true})).is_none());
        assert!(comparison(&json!([1, 2])).is_none());
    }
}
