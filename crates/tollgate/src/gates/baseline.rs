//! Release-over-release baselines: the gate values of earlier verification
//! runs, releases and named baselines, read from the ledger (SPEC §4), the
//! choice of the one baseline every command judges against, and the
//! comparison of a new value with it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::GateResult;
use crate::error::Result;
use crate::policy::gate::BaselineSpec;
use crate::policy::Workspace;
use crate::record::ledger::{Entry, Ledger};
use crate::record::releases;

/// Gate values recorded under one name (a run stamp, a version or a name).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub name: String,
    /// The ledger entry's kind: `verify`, `release` or `baseline`.
    pub kind: String,
    pub recorded_at: String,
    pub values: BTreeMap<String, f64>,
    /// For releases: Ready, or approved with an override.
    #[serde(default)]
    pub shippable: bool,
}

/// Which record a set of gate results was judged against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Used {
    pub name: String,
    pub kind: String,
    pub recorded_at: String,
}

impl Record {
    /// The reference to this record that results carry.
    pub fn used(&self) -> Used {
        Used {
            name: self.name.clone(),
            kind: self.kind.clone(),
            recorded_at: self.recorded_at.clone(),
        }
    }
}

/// The payload key under which ledger entries carry gate values.
pub const VALUES_KEY: &str = "gate_values";

/// Gate values of `results`, for a ledger payload.
pub fn values(results: &[GateResult]) -> Value {
    let map: serde_json::Map<String, Value> = results
        .iter()
        .filter_map(|r| r.value.map(|v| (r.id.clone(), serde_json::json!(v))))
        .collect();
    Value::Object(map)
}

/// Every ledger entry that carries gate values, oldest first (none without a ledger).
pub fn load(ws: &Workspace) -> Result<Vec<Record>> {
    Ok(match Ledger::existing(ws)? {
        Some(ledger) => records(&ledger.entries()?, &crate::approval::Rules::load(ws)?),
        None => Vec::new(),
    })
}

/// The entries among `entries` that carry gate values, oldest first; a
/// release is shippable as `rules` judge its approvals.
pub fn records(entries: &[Entry], rules: &crate::approval::Rules) -> Vec<Record> {
    let shippable: BTreeSet<String> = releases::records(entries, rules)
        .into_iter()
        .filter(|r| r.shippable)
        .map(|r| r.version)
        .collect();
    entries
        .iter()
        .filter_map(|e| {
            let values = e.payload_json().get(VALUES_KEY).cloned()?;
            Some(Record {
                name: e.subject.clone(),
                kind: e.kind.clone(),
                recorded_at: e.time.clone(),
                values: serde_json::from_value(values).ok()?,
                shippable: e.kind == "release" && shippable.contains(&e.subject),
            })
        })
        .collect()
}

/// The newest record named `name`; by default the newest *shippable*
/// release. A release that was merely decided is no baseline, so a
/// regression cannot become the standard by being released once.
pub fn find<'a>(records: &'a [Record], name: Option<&str>) -> Option<&'a Record> {
    match name {
        Some(n) => records.iter().rev().find(|r| r.name == n),
        None => records
            .iter()
            .rev()
            .find(|r| r.kind == "release" && r.shippable),
    }
}

/// Record the values of `results` in the ledger as baseline `name`; a name
/// already used by a baseline is refused (checked inside the append, so two
/// runners cannot both record it).
pub fn record(ws: &Workspace, name: &str, results: &[GateResult]) -> Result<String> {
    let mut ledger = Ledger::open(ws)?;
    ledger.append_unless(
        "baseline",
        name,
        &serde_json::json!({ VALUES_KEY: values(results) }),
        |same| {
            (!same.is_empty())
                .then(|| format!("a baseline named '{name}' is already recorded in the ledger"))
        },
    )?;
    Ok(ledger.location())
}

/// A value against its baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub baseline: String,
    pub previous: f64,
    pub change_percent: Option<f64>,
    pub ok: bool,
    pub message: String,
}

/// Compare `value` of gate `id` with the record.
pub fn compare(spec: &BaselineSpec, rec: &Record, id: &str, value: f64) -> Comparison {
    let Some(&prev) = rec.values.get(id) else {
        return Comparison {
            baseline: rec.name.clone(),
            previous: f64::NAN,
            change_percent: None,
            ok: true,
            message: format!("baseline '{}' has no value for this gate", rec.name),
        };
    };
    let change = (prev != 0.0).then(|| (value - prev) / prev.abs() * 100.0);
    let delta = value - prev;
    // The first limit broken: (relative, absolute) growth, then fall.
    let broken = [
        spec.max_increase_percent
            .filter(|m| change.is_some_and(|c| c > *m))
            .map(|m| format!("+{m}%")),
        spec.max_increase
            .filter(|m| delta > *m)
            .map(|m| format!("+{m}")),
        spec.max_decrease_percent
            .filter(|m| change.is_some_and(|c| -c > *m))
            .map(|m| format!("-{m}%")),
        spec.max_decrease
            .filter(|m| -delta > *m)
            .map(|m| format!("-{m}")),
    ]
    .into_iter()
    .flatten()
    .next();
    let pct = change
        .map(|c| format!("{c:+.1}%"))
        .unwrap_or_else(|| "n/a".into());
    let shown = if spec.max_increase.is_some() || spec.max_decrease.is_some() {
        let d = crate::telemetry::stats::round_away(delta, 3);
        let sign = if d >= 0.0 { "+" } else { "" };
        format!("{sign}{} ({pct})", crate::telemetry::stats::fmt_num(d))
    } else {
        pct
    };
    let limit = broken
        .as_ref()
        .map(|m| format!(": more than the allowed {m}"))
        .unwrap_or_default();
    let message = format!("{shown} against baseline '{}' ({prev}){limit}", rec.name);
    Comparison {
        baseline: rec.name.clone(),
        previous: prev,
        change_percent: change,
        ok: broken.is_none(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_limits() {
        let rec = Record {
            name: "0.9".into(),
            kind: "release".into(),
            recorded_at: String::new(),
            values: BTreeMap::from([("p95".to_string(), 100.0)]),
            shippable: true,
        };
        let spec = BaselineSpec {
            max_increase_percent: Some(20.0),
            ..Default::default()
        };
        assert!(compare(&spec, &rec, "p95", 119.0).ok);
        let c = compare(&spec, &rec, "p95", 125.0);
        assert!(!c.ok);
        assert_eq!(
            c.message,
            "+25.0% against baseline '0.9' (100): more than the allowed +20%"
        );
        assert_eq!(
            compare(&spec, &rec, "p95", 119.0).message,
            "+19.0% against baseline '0.9' (100)"
        );
        assert!(compare(&spec, &rec, "other", 1e9).ok);
        // Absolute limits, in the gate's unit: line coverage may fall by at
        // most 1 point.
        let spec = BaselineSpec {
            max_decrease: Some(1.0),
            ..Default::default()
        };
        assert!(compare(&spec, &rec, "p95", 99.0).ok);
        let c = compare(&spec, &rec, "p95", 98.5);
        assert!(!c.ok);
        assert_eq!(
            c.message,
            "-1.5 (-1.5%) against baseline '0.9' (100): more than the allowed -1"
        );
        assert!(
            compare(&spec, &rec, "p95", 150.0).ok,
            "growth is not limited"
        );
    }
}
