//! Analyzers over raw telemetry, as StateTrace's `Analyze-SharedCacheStoreState`,
//! `Analyze-SiteCacheProviderReasons` and `Generate-QueueDelaySummary` meant
//! them, written as clean JSON (no PowerShell `Format-Table` records).

use std::cmp::Reverse;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::fold::{Folded, Tally};
use super::stats::{round_away, Distribution};
use crate::error::{Error, Result};
use crate::policy::gate::{Aggregate, Source, Threshold};
use crate::policy::Policy;
use crate::read::telemetry::{scan, FileScan};
use crate::read::timestamp::parse_time;

/// State operations reported with a fixed key (0 when absent).
const STATE_OPS: [&str; 7] = [
    "SnapshotImported",
    "InitDelegatedStore",
    "InitNewStore",
    "InitAdoptedStore",
    "InitReuseStore",
    "ClearRequested",
    "Cleared",
];
/// Store operations with their own per-site counter; others count as Other.
const STORE_OPS: [&str; 4] = ["GetMiss", "GetHit", "Set", "Remove"];
/// Provider reasons reported as columns; every reason counts toward Total.
const REASONS: [&str; 5] = [
    "AccessRefresh",
    "AccessCacheHit",
    "SharedCacheMatch",
    "SkipSiteCacheUpdate",
    "Unknown",
];
/// Sites listed in `TopSites`.
const TOP_SITES: usize = 10;

/// Per-site counters of `InterfaceSiteCacheSharedStore` operations.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SiteOps {
    #[serde(skip)]
    pub site: String,
    pub get_hit: u64,
    pub get_miss: u64,
    pub set: u64,
    pub remove: u64,
    pub other: u64,
    pub total: u64,
}

/// First and last event times of a file, as written.
#[derive(Debug, Default)]
struct Span {
    first: Option<(chrono::DateTime<chrono::FixedOffset>, String)>,
    last: Option<(chrono::DateTime<chrono::FixedOffset>, String)>,
}

impl Span {
    fn add(&mut self, raw: &str) {
        let Some(t) = parse_time(raw) else { return };
        if self.first.as_ref().is_none_or(|(f, _)| t < *f) {
            self.first = Some((t, raw.to_string()));
        }
        if self.last.as_ref().is_none_or(|(l, _)| t > *l) {
            self.last = Some((t, raw.to_string()));
        }
    }
}

/// `analyze shared-cache` for one file: the summary object, and the scan.
pub fn shared_cache_file(path: &Path) -> Result<(Value, FileScan)> {
    let mut state = Tally::default();
    let mut store = Tally::default();
    let mut sites: Folded<SiteOps> = Folded::default();
    let mut span = Span::default();
    let report = scan(path, |e, _| {
        if let Some(t) = e.timestamp.get() {
            span.add(t);
        }
        let op = e.operation.get().unwrap_or("Unknown");
        match e.name() {
            "InterfaceSiteCacheSharedStoreState" => state.add(op),
            "InterfaceSiteCacheSharedStore" => {
                store.add(op);
                let s = sites.entry(e.site.get().unwrap_or("Unknown"));
                s.total += 1;
                match op.to_ascii_lowercase().as_str() {
                    "gethit" => s.get_hit += 1,
                    "getmiss" => s.get_miss += 1,
                    "set" => s.set += 1,
                    "remove" => s.remove += 1,
                    _ => s.other += 1,
                }
            }
            _ => {}
        }
    })?;
    let mut o = Map::new();
    o.insert("File".into(), json!(path.display().to_string()));
    for k in STATE_OPS {
        o.insert(k.into(), json!(state.get(k)));
    }
    for k in STORE_OPS {
        o.insert(k.into(), json!(store.get(k)));
    }
    let other: u64 = store
        .iter()
        .filter(|(k, _)| !STORE_OPS.iter().any(|s| s.eq_ignore_ascii_case(k)))
        .map(|(_, n)| n)
        .sum();
    o.insert("OtherOperations".into(), json!(other));
    o.insert("FirstTimestamp".into(), json!(span.first.map(|x| x.1)));
    o.insert("LastTimestamp".into(), json!(span.last.map(|x| x.1)));
    let mut list: Vec<SiteOps> = sites
        .into_values()
        .map(|(name, mut s)| {
            s.site = name;
            s
        })
        .collect();
    let per_site: Map<String, Value> = list.iter().map(|s| (s.site.clone(), json!(s))).collect();
    list.sort_by_key(|s| (Reverse(s.total), s.site.to_lowercase()));
    let top: Vec<Value> = list
        .iter()
        .take(TOP_SITES)
        .map(|s| json!({"Site": s.site, "Total": s.total, "Set": s.set, "GetHit": s.get_hit, "GetMiss": s.get_miss, "Remove": s.remove, "Other": s.other}))
        .collect();
    o.insert("TopSites".into(), Value::Array(top));
    o.insert("SiteOperations".into(), Value::Object(per_site));
    o.insert("StateOperations".into(), tally_json(&state));
    o.insert("StoreOperations".into(), tally_json(&store));
    Ok((Value::Object(o), report))
}

fn tally_json(t: &Tally) -> Value {
    Value::Object(t.iter().map(|(k, n)| (k.to_string(), json!(n))).collect())
}

/// `analyze shared-cache`: one summary per file.
pub fn shared_cache(paths: &[PathBuf]) -> Result<(Vec<Value>, Vec<FileScan>)> {
    let mut out = Vec::new();
    let mut scans = Vec::new();
    for p in paths {
        let (v, s) = shared_cache_file(p)?;
        out.push(v);
        scans.push(s);
    }
    Ok((out, scans))
}

/// `analyze provider-reasons`: per site (sorted), across all files, the
/// `SiteCacheProviderReason` of every `InterfaceSyncTiming` event (falling
/// back to the provider, then `Unknown`). `Total` counts every reason.
pub fn provider_reasons(paths: &[PathBuf]) -> Result<(Vec<Value>, Vec<FileScan>)> {
    let mut sites: Folded<(u64, Tally, Tally)> = Folded::default();
    let mut scans = Vec::new();
    for p in paths {
        scans.push(scan(p, |e, _| {
            if e.name() != "InterfaceSyncTiming" {
                return;
            }
            let provider = e.site_cache_provider.get().unwrap_or("Unknown");
            let reason = e.site_cache_provider_reason.get().unwrap_or(provider);
            let (total, reasons, providers) = sites.entry(e.site.get().unwrap_or("Unknown"));
            *total += 1;
            reasons.add(reason);
            providers.add(provider);
        })?);
    }
    let rows = sites
        .into_values()
        .map(|(site, (total, reasons, providers))| {
            let mut o = Map::new();
            o.insert("Site".into(), json!(site));
            o.insert("Total".into(), json!(total));
            for r in REASONS {
                o.insert(r.into(), json!(reasons.get(r)));
            }
            o.insert("Reasons".into(), tally_json(&reasons));
            o.insert("Providers".into(), tally_json(&providers));
            Value::Object(o)
        })
        .collect();
    Ok((rows, scans))
}

/// Thresholds of a queue-delay summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueThresholds {
    pub min_samples: u64,
    pub max_p95_ms: f64,
    pub max_p99_ms: f64,
}

impl QueueThresholds {
    /// The given values, else those of the policy's events gates on
    /// `QueueBuildDelayMs` (p95 with its min_samples, and p99), so that each
    /// number lives in one place.
    pub fn from_policy(
        policy: &Policy,
        min: Option<u64>,
        p95: Option<f64>,
        p99: Option<f64>,
    ) -> Result<QueueThresholds> {
        let gate = |agg: Aggregate| {
            policy.gates.iter().find(|g| {
                g.source == Source::Events
                    && g.select.as_deref() == Some("QueueBuildDelayMs")
                    && g.aggregate == agg
            })
        };
        let num = |g: Option<&crate::policy::GateSpec>| match g.and_then(|g| g.threshold.as_ref()) {
            Some(Threshold::Number(n)) => Some(*n),
            _ => None,
        };
        let g95 = gate(Aggregate::P95);
        let missing = || {
            Error::Usage("queue-delay thresholds: give --min-samples, --max-p95 and --max-p99, or declare p95/p99 gates on QueueBuildDelayMs".into())
        };
        Ok(QueueThresholds {
            min_samples: min
                .or(g95.and_then(|g| g.min_samples))
                .ok_or_else(missing)?,
            max_p95_ms: p95.or(num(g95)).ok_or_else(missing)?,
            max_p99_ms: p99.or(num(gate(Aggregate::P99))).ok_or_else(missing)?,
        })
    }
}

/// The judgement of a queue-delay summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum QueueResult {
    Pass,
    Fail,
    InsufficientData,
}

/// One measured field of a queue-delay summary.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DelayStats {
    pub name: String,
    pub count: u64,
    pub average: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub sample_count: u64,
}

/// The thresholds a queue-delay summary was judged by.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueLimits {
    pub minimum_event_count: u64,
    pub maximum_queue_delay_p95_ms: f64,
    pub maximum_queue_delay_p99_ms: f64,
}

/// The statistics of a queue-delay summary (`null` where there were no samples).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueStatistics {
    pub sample_count: u64,
    pub queue_build_delay_ms: Option<DelayStats>,
    pub queue_build_duration_ms: Option<DelayStats>,
}

/// One source path, or several.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum SourcePaths {
    One(String),
    Many(Vec<String>),
}

/// `QueueDelaySummary.json`, in `Generate-QueueDelaySummary.ps1`'s shape.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueDelaySummary {
    pub generated_at_utc: String,
    pub source_telemetry_path: SourcePaths,
    pub pass: bool,
    pub result: QueueResult,
    pub thresholds: QueueLimits,
    pub statistics: QueueStatistics,
}

/// `analyze queue-delay`: a QueueDelaySummary (the shape of
/// `Generate-QueueDelaySummary.ps1`, plus `Result: InsufficientData` instead
/// of refusing to write) over the `InterfacePortQueueMetrics` events of `paths`.
pub fn queue_delay(
    paths: &[PathBuf],
    t: QueueThresholds,
) -> Result<(QueueDelaySummary, Vec<FileScan>)> {
    let mut delay = Distribution::default();
    let mut duration = Distribution::default();
    let mut scans = Vec::new();
    for p in paths {
        scans.push(scan(p, |e, _| {
            if e.name() == "InterfacePortQueueMetrics" {
                if let Some(v) = e.queue_build_delay_ms.0.or(e.queue_delay_ms.0) {
                    delay.add(v);
                }
                if let Some(v) = e.queue_build_duration_ms.0.or(e.queue_duration_ms.0) {
                    duration.add(v);
                }
            }
        })?);
    }
    let stats = |name: &str, d: &Distribution| {
        if d.count() == 0 {
            return None;
        }
        let r6 = |v: Option<f64>| v.map(|x| round_away(x, 6));
        let p = d.percentiles(&[50.0, 95.0, 99.0]);
        Some(DelayStats {
            name: name.to_string(),
            count: d.count(),
            average: r6(d.mean()),
            min: r6(d.min()),
            max: r6(d.max()),
            p50: r6(p[0]),
            p95: r6(p[1]),
            p99: r6(p[2]),
            sample_count: d.count(),
        })
    };
    let (p95, p99) = (delay.percentile(95.0), delay.percentile(99.0));
    let result = if delay.count() < t.min_samples {
        QueueResult::InsufficientData
    } else if p95.is_some_and(|v| v <= t.max_p95_ms) && p99.is_some_and(|v| v <= t.max_p99_ms) {
        QueueResult::Pass
    } else {
        QueueResult::Fail
    };
    let mut sources: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let summary = QueueDelaySummary {
        generated_at_utc: crate::read::timestamp::roundtrip(&chrono::Utc::now().fixed_offset())
            .replace("+00:00", "Z"),
        source_telemetry_path: if sources.len() == 1 {
            SourcePaths::One(sources.remove(0))
        } else {
            SourcePaths::Many(sources)
        },
        pass: result == QueueResult::Pass,
        result,
        thresholds: QueueLimits {
            minimum_event_count: t.min_samples,
            maximum_queue_delay_p95_ms: t.max_p95_ms,
            maximum_queue_delay_p99_ms: t.max_p99_ms,
        },
        statistics: QueueStatistics {
            sample_count: delay.count(),
            queue_build_delay_ms: stats("QueueBuildDelayMs", &delay),
            queue_build_duration_ms: stats("QueueBuildDurationMs", &duration),
        },
    };
    Ok((summary, scans))
}
