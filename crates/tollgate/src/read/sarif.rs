//! SARIF 2.1.0 static-analysis logs, several runs and tools in one file.
//! Each result's effective level follows the spec (§3.27.10): its own
//! `level`, else `none` for a `kind` other than `fail`, else its rule's
//! `defaultConfiguration.level`, else `warning`. A result is suppressed when
//! it carries a suppression whose `status` is absent or `accepted`.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// 0-based index of its run.
    pub run: usize,
    /// The run's tool (driver name).
    pub tool: String,
    pub rule_id: String,
    /// `error`, `warning`, `note` or `none`, as the spec resolves it.
    pub level: String,
    /// `new`, `unchanged`, `updated`, `absent`, or empty when not given.
    pub baseline_state: String,
    pub suppressed: bool,
    /// The first location's artifact URI, when there is one.
    pub uri: String,
    pub message: String,
}

/// A whole log.
#[derive(Debug, Clone, Serialize)]
pub struct Log {
    pub runs: usize,
    pub results: Vec<Finding>,
}

/// Read the log at `path`.
pub fn read(path: &Path) -> Result<Log> {
    let text = super::text::read_to_string(path)?;
    parse(&super::json::parse(&text, path)?, &text, path)
}

/// Interpret a log parsed from `text`; a `version` other than 2.1.0 or a
/// log without a `runs` array is an error naming the key and its line.
pub fn parse(v: &Value, text: &str, path: &Path) -> Result<Log> {
    // The line of a top-level key: its first occurrence in the text.
    let line_of = |key: &str| {
        text.find(&format!("\"{key}\""))
            .map(|i| text[..i].matches('\n').count() + 1)
    };
    let bad = |key: &str, why: String| Error::parse(path, line_of(key), format!("{key}: {why}"));
    match v.get("version").and_then(Value::as_str) {
        Some("2.1.0") => {}
        Some(other) => {
            return Err(bad(
                "version",
                format!("SARIF version '{other}' is not supported; tollgate reads 2.1.0"),
            ))
        }
        None => return Err(bad("version", "missing: not a SARIF log".into())),
    }
    let runs = v
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("runs", "missing or not an array".into()))?;
    let mut results = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let driver = &run["tool"]["driver"];
        let tool = driver["name"].as_str().unwrap_or_default().to_string();
        let rules = driver["rules"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        for r in run["results"].as_array().into_iter().flatten() {
            let rule_id = r["ruleId"]
                .as_str()
                .or_else(|| r["rule"]["id"].as_str())
                .unwrap_or_default()
                .to_string();
            let rule = r["ruleIndex"]
                .as_u64()
                .or_else(|| r["rule"]["index"].as_u64())
                .and_then(|n| rules.get(n as usize))
                .or_else(|| rules.iter().find(|x| x["id"].as_str() == Some(&rule_id)));
            let level = match r["level"].as_str() {
                Some(l) => l,
                None if r["kind"].as_str().is_some_and(|k| k != "fail") => "none",
                None => rule
                    .and_then(|x| x["defaultConfiguration"]["level"].as_str())
                    .unwrap_or("warning"),
            };
            let suppressed = r["suppressions"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|x| x["status"].as_str().is_none_or(|st| st == "accepted"))
            });
            let location = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            results.push(Finding {
                run: i,
                tool: tool.clone(),
                rule_id,
                level: level.to_string(),
                baseline_state: r["baselineState"].as_str().unwrap_or_default().to_string(),
                suppressed,
                uri: location["uri"].as_str().unwrap_or_default().to_string(),
                message: r["message"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            });
        }
    }
    Ok(Log {
        runs: runs.len(),
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn levels_resolve_as_the_spec_says_and_suppressions_count_unless_rejected() {
        let log = json!({ "version": "2.1.0", "runs": [
            { "tool": { "driver": { "name": "lint", "rules": [
                { "id": "R1", "defaultConfiguration": { "level": "error" } }, { "id": "R2" } ] } },
              "results": [
                { "ruleId": "R1", "message": { "text": "a" } },
                { "ruleIndex": 1, "ruleId": "R2" },
                { "ruleId": "R9", "level": "note", "suppressions": [ { "kind": "inSource" } ] },
                { "ruleId": "R1", "kind": "pass" },
                { "ruleId": "R1", "suppressions": [ { "kind": "external", "status": "rejected" } ] },
              ] },
            { "tool": { "driver": { "name": "scan" } }, "results": [ { "ruleId": "X", "baselineState": "new" } ] },
        ]});
        let l = parse(&log, "", Path::new("a.sarif")).unwrap();
        assert_eq!(l.runs, 2);
        let got: Vec<_> = l
            .results
            .iter()
            .map(|r| (r.level.as_str(), r.suppressed, r.baseline_state.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("error", false, ""),
                ("warning", false, ""),
                ("note", true, ""),
                ("none", false, ""),
                ("error", false, ""),
                ("warning", false, "new"),
            ]
        );
        let old = "{\n  \"$schema\": \"x\",\n  \"version\": \"1.0\",\n  \"runs\": []\n}\n";
        let e = parse(
            &serde_json::from_str(old).unwrap(),
            old,
            Path::new("old.sarif"),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("old.sarif:3: version: SARIF version '1.0'"),
            "{e}"
        );
        assert!(parse(&json!({ "version": "2.1.0" }), "", Path::new("x")).is_err());
    }
}
