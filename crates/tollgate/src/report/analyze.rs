//! Human text of `analyze`: the queue-delay verdict line, and per file (or
//! site) the columns of the shared-cache and provider-reason analyzers.

use serde_json::Value;

use crate::telemetry::analyze::{QueueDelaySummary, QueueResult, QueueThresholds};

/// Shared-cache analyzer columns.
pub const SHARED_CACHE_COLUMNS: &[&str] = &[
    "SnapshotImported",
    "InitDelegatedStore",
    "GetHit",
    "GetMiss",
    "Set",
    "Remove",
    "OtherOperations",
];

/// Provider-reason analyzer columns.
pub const PROVIDER_COLUMNS: &[&str] = &[
    "Site",
    "Total",
    "AccessRefresh",
    "AccessCacheHit",
    "SharedCacheMatch",
    "SkipSiteCacheUpdate",
    "Unknown",
];

/// `Pass: 120 sample(s) (minimum 30), p95 ... ms (max ...), p99 ... ms (max ...)`.
pub fn queue_delay_text(summary: &QueueDelaySummary, t: &QueueThresholds) -> String {
    let d = summary.statistics.queue_build_delay_ms.as_ref();
    let num = |v: Option<f64>| v.map_or("null".to_string(), |x| serde_json::json!(x).to_string());
    let result = match summary.result {
        QueueResult::Pass => "Pass",
        QueueResult::Fail => "Fail",
        QueueResult::InsufficientData => "InsufficientData",
    };
    format!(
        "{result}: {} sample(s) (minimum {}), p95 {} ms (max {}), p99 {} ms (max {})\n",
        summary.statistics.sample_count,
        t.min_samples,
        num(d.and_then(|d| d.p95)),
        t.max_p95_ms,
        num(d.and_then(|d| d.p99)),
        t.max_p99_ms
    )
}

/// One block per result: its file, `column=value` cells, and its top sites.
pub fn columns_text(results: &[Value], columns: &[&str]) -> String {
    let mut out = String::new();
    for item in results {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| format!("{c}={}", item[*c].to_string().trim_matches('"')))
            .collect();
        if let Some(file) = item.get("File").and_then(|f| f.as_str()) {
            out.push_str(&format!("{file}\n"));
        }
        out.push_str(&format!("  {}\n", cells.join("  ")));
        for site in item
            .get("TopSites")
            .and_then(|t| t.as_array())
            .into_iter()
            .flatten()
        {
            out.push_str(&format!(
                "    site {:<12} total {:>6}  GetHit {:>6}  GetMiss {:>6}  Set {:>6}  Remove {:>6}\n",
                site["Site"].as_str().unwrap_or(""),
                site["Total"],
                site["GetHit"],
                site["GetMiss"],
                site["Set"],
                site["Remove"]
            ));
        }
    }
    out
}
