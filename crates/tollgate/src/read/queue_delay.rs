//! Queue-delay summaries (`QueueDelaySummary-*.json`) in every shape seen:
//! - `Statistics.SampleCount` + `Statistics.QueueBuildDelayMs.{P95,P99,...}`
//!   (Generate-QueueDelaySummary and the verification harness);
//! - top-level `SampleCount` + `QueueDelayMs.{P95,P99}` (what
//!   Test-QueueDelayThreshold expected, and why it never read real files);
//! - flat `SampleCount` + `QueueBuildDelayP95Ms` (the sample bundle).

use std::path::Path;

use serde_json::Value;

use crate::error::Result;

/// Queue-delay statistics, whatever the file's shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueDelayStats {
    pub sample_count: Option<f64>,
    pub average: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

impl QueueDelayStats {
    /// A statistic by its name (`SampleCount`, `Average`, `P95`...).
    pub fn get(&self, name: &str) -> Option<f64> {
        match name.to_ascii_lowercase().as_str() {
            "samplecount" | "count" => self.sample_count,
            "average" | "avg" => self.average,
            "min" => self.min,
            "max" => self.max,
            "p50" => self.p50,
            "p95" => self.p95,
            "p99" => self.p99,
            _ => None,
        }
    }
}

fn num(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Normalise a parsed summary.
pub fn stats(v: &Value) -> QueueDelayStats {
    let delay = v
        .pointer("/Statistics/QueueBuildDelayMs")
        .or_else(|| v.get("QueueDelayMs"))
        .or_else(|| v.get("QueueBuildDelayMs"))
        .filter(|d| d.is_object());
    let field = |k: &str| {
        num(delay.and_then(|d| d.get(k)))
            .or_else(|| num(v.get(format!("QueueBuildDelay{k}Ms").as_str())))
    };
    QueueDelayStats {
        sample_count: num(v.pointer("/Statistics/SampleCount"))
            .or_else(|| num(v.get("SampleCount")))
            .or_else(|| num(delay.and_then(|d| d.get("SampleCount").or_else(|| d.get("Count"))))),
        average: field("Average"),
        min: field("Min"),
        max: field("Max"),
        p50: field("P50"),
        p95: field("P95"),
        p99: field("P99"),
    }
}

/// Read a summary file.
pub fn read(path: &Path) -> Result<QueueDelayStats> {
    Ok(stats(&super::json::load(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_shapes() {
        let generated = json!({"Statistics": {"SampleCount": 240, "QueueBuildDelayMs": {"P95": 22.1, "P99": 39.8, "Average": 18.2}}});
        let s = stats(&generated);
        assert_eq!(
            (s.sample_count, s.p95, s.p99, s.average),
            (Some(240.0), Some(22.1), Some(39.8), Some(18.2))
        );
        let expected_by_old_tool =
            json!({"SampleCount": 12, "QueueDelayMs": {"P95": 90.0, "P99": 110.0}});
        assert_eq!(stats(&expected_by_old_tool).get("p99"), Some(110.0));
        let flat = json!({"SampleCount": 5, "QueueBuildDelayP95Ms": 50.0});
        assert_eq!(
            (stats(&flat).sample_count, stats(&flat).p95),
            (Some(5.0), Some(50.0))
        );
        assert_eq!(stats(&json!({"Sample": true})), QueueDelayStats::default());
    }
}
