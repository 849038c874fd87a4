//! Release-over-release baselines: gate values recorded under a name (a
//! release or verification) in `.tollgate/gate-history.json`, and the
//! comparison of a new value with them. The ledger (SPEC §4) will take over
//! this history; the record shape stays.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::GateResult;
use crate::error::{Error, Result};
use crate::policy::gate::BaselineSpec;
use crate::policy::Workspace;

/// Gate values recorded under one name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub name: String,
    pub recorded_at: String,
    pub values: BTreeMap<String, f64>,
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

/// Where the history lives.
pub fn history_path(ws: &Workspace) -> PathBuf {
    ws.root.join(".tollgate").join("gate-history.json")
}

/// All records, oldest first (none when the file does not exist).
pub fn load(ws: &Workspace) -> Result<Vec<Record>> {
    let p = history_path(ws);
    if !p.exists() {
        return Ok(Vec::new());
    }
    serde_json::from_value(crate::read::json::load(&p)?)
        .map_err(|e| Error::parse(&p, None, e.to_string()))
}

/// The record named `name`, or the newest one.
pub fn find<'a>(records: &'a [Record], name: Option<&str>) -> Option<&'a Record> {
    match name {
        Some(n) => records.iter().find(|r| r.name == n),
        None => records.last(),
    }
}

/// Append the values of `results` as record `name`; an existing name is refused.
pub fn record(ws: &Workspace, name: &str, results: &[GateResult]) -> Result<PathBuf> {
    let mut all = load(ws)?;
    let p = history_path(ws);
    if all.iter().any(|r| r.name == name) {
        return Err(Error::refused(
            &p,
            format!("a baseline named '{name}' is already recorded"),
        ));
    }
    all.push(Record {
        name: name.to_string(),
        recorded_at: crate::read::timestamp::now_roundtrip(),
        values: results
            .iter()
            .filter_map(|r| r.value.map(|v| (r.id.clone(), v)))
            .collect(),
    });
    let text = serde_json::to_string_pretty(&all).map_err(|e| Error::Usage(e.to_string()))?;
    crate::record::atomic::write_file(&p, text.as_bytes())?;
    Ok(p)
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
    let too_high = spec
        .max_increase_percent
        .zip(change)
        .is_some_and(|(m, c)| c > m);
    let too_low = spec
        .max_decrease_percent
        .zip(change)
        .is_some_and(|(m, c)| -c > m);
    let pct = change
        .map(|c| format!("{c:+.1}%"))
        .unwrap_or_else(|| "n/a".into());
    let message = format!("{pct} against baseline '{}' ({prev})", rec.name);
    Comparison {
        baseline: rec.name.clone(),
        previous: prev,
        change_percent: change,
        ok: !too_high && !too_low,
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
            recorded_at: String::new(),
            values: BTreeMap::from([("p95".to_string(), 100.0)]),
        };
        let spec = BaselineSpec {
            max_increase_percent: Some(20.0),
            max_decrease_percent: None,
        };
        assert!(compare(&spec, &rec, "p95", 119.0).ok);
        let c = compare(&spec, &rec, "p95", 125.0);
        assert!(!c.ok);
        assert_eq!(c.message, "+25.0% against baseline '0.9' (100)");
        assert!(compare(&spec, &rec, "other", 1e9).ok);
    }
}
