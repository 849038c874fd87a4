//! `--format sarif` (issue 18): every judging command writes a SARIF 2.1.0
//! log that the official schema accepts (validated by Python's jsonschema,
//! formats checked), with one rule per check id, the findings of `--json`,
//! workspace-relative locations and the text output's exit code.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// (check, level) of every finding of a `--json` output, sorted.
fn json_findings(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                if let (Some(Value::String(c)), Some(Value::String(s)), Some(_)) =
                    (m.get("check"), m.get("severity"), m.get("message"))
                {
                    let level = match s.as_str() {
                        "block" => "error",
                        "warn" => "warning",
                        _ => "note",
                    };
                    out.push((c.clone(), level.to_string()));
                } else {
                    stack.extend(m.values());
                }
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out.sort();
    out
}

#[test]
fn every_judging_command_writes_schema_valid_sarif() {
    let (dir, ws) = demo_workspace();
    let root = ws.to_str().unwrap();
    let (bundle, _) = demo_bundle(&ws);
    let bundle = bundle.to_str().unwrap();
    let mut logs = Vec::new();
    for (i, args) in [
        vec!["gates"],
        vec!["bundle", "verify", bundle],
        vec!["docs", "check"],
        vec!["verify"],
        vec!["release", "7.7.7"],
    ]
    .into_iter()
    .enumerate()
    {
        let base: Vec<&str> = ["--workspace", root]
            .into_iter()
            .chain(args.clone())
            .collect();
        let (text_code, _, _) = run(&base);
        // A release is recorded once per version: the SARIF run releases the next.
        let sarif_args: Vec<&str> = base
            .iter()
            .map(|a| if *a == "7.7.7" { "7.7.8" } else { a })
            .chain(["--format", "sarif"])
            .collect();
        let (code, out, err) = run(&sarif_args);
        assert_eq!(code, text_code, "{args:?}: {err}");
        let log: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"));
        let run0 = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        let rules: Vec<&str> = run0["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let mut unique = rules.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), rules.len(), "{args:?}: one rule per check id");
        let results = run0["results"].as_array().unwrap();
        assert!(!results.is_empty(), "{args:?}: the demo has findings");
        let mut got: Vec<(String, String)> = Vec::new();
        for r in results {
            let id = r["ruleId"].as_str().unwrap();
            assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize], id);
            got.push((id.to_string(), r["level"].as_str().unwrap().to_string()));
            for l in r["locations"].as_array().into_iter().flatten() {
                let a = &l["physicalLocation"]["artifactLocation"];
                let uri = a["uri"].as_str().unwrap();
                assert!(!uri.starts_with('/'), "{args:?}: {uri}");
                if a["uriBaseId"] == "SRCROOT" {
                    let path = uri.replace("%20", " ");
                    assert!(
                        ws.join(&path).exists(),
                        "{args:?}: {uri} is not in the workspace"
                    );
                }
            }
        }
        got.sort();
        // verify and release record a run each time; their findings are
        // compared on commands that only read.
        if args[0] != "release" && args[0] != "verify" {
            let json_args: Vec<&str> = base.iter().copied().chain(["--json"]).collect();
            let (_, json, _) = run(&json_args);
            let v: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(got, json_findings(&v), "{args:?}: the findings of --json");
        }
        let path = dir.path().join(format!("log-{i}.sarif"));
        std::fs::write(&path, &out).unwrap();
        logs.push(path);
    }
    let Some(py) = python(&["jsonschema"], "SARIF schema validation") else {
        return;
    };
    let out = std::process::Command::new(py)
        .arg(manifest_dir().join("tests/scripts/sarif_valid.py"))
        .arg(manifest_dir().join("tests/schemas/sarif-schema-2.1.0.json"))
        .args(&logs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "schema violations:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sarif_is_refused_where_it_would_do_nothing() {
    let (_dir, ws) = demo_workspace();
    let root = ws.to_str().unwrap();
    for args in [
        vec!["--workspace", root, "--format", "sarif", "rollup"],
        vec![
            "--workspace",
            root,
            "--format",
            "github",
            "ledger",
            "verify",
        ],
        vec!["--workspace", root, "--json", "--format", "sarif", "gates"],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("--format"), "{args:?}: {err}");
    }
}
