//! Baselines are judged the same by every command (issue 14): a regression
//! against the last shippable release fails `gates`, `verify`, `release` and
//! the dashboard alike, and a Blocked release never becomes the baseline.

mod common;

use std::path::Path;

use common::*;

const GATE: &str = r#"
[[gate]]
id = "bench-p95"
plan = "bench"
description = "Benchmark p95 (ms)"
source = "summary"
files = "bench/bench.json"
select = "p95"
aggregate = "value"
op = "<="
threshold = 1000
[gate.baseline]
max_increase_percent = 10
"#;

/// A minimal workspace with the benchmark gate.
fn gated_workspace() -> tempfile::TempDir {
    let dir = minimal_workspace();
    let policy = dir.path().join("tollgate.toml");
    let text = std::fs::read_to_string(&policy).unwrap() + GATE;
    std::fs::write(policy, text).unwrap();
    dir
}

fn set_p95(ws: &Path, v: f64) {
    std::fs::create_dir_all(ws.join("bench")).unwrap();
    std::fs::write(ws.join("bench/bench.json"), format!("{{\"p95\": {v}}}")).unwrap();
}

fn gate<'a>(gates: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    gates
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("no gate {id} in {gates}"))
}

#[test]
fn a_regression_against_the_last_shippable_release_fails_everywhere() {
    let dir = gated_workspace();
    let ws = dir.path();
    let w = ws.to_str().unwrap();
    publish_fixture(ws);

    // 1.0.0 ships at p95 = 100 and becomes the baseline.
    set_p95(ws, 100.0);
    let (code, v) = run_json(&["--workspace", w, "verify"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = run_json(&["--workspace", w, "release", "1.0.0"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["decision"]["Decision"], "Ready");

    // A 25% regression, well under the absolute threshold.
    set_p95(ws, 125.0);
    let (code, v) = run_json(&["--workspace", w, "gates"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["baseline"], "1.0.0");
    let g = gate(&v["gates"], "bench-p95");
    assert_eq!(g["status"], "Fail", "{g}");
    // It reads as a regression, not as a threshold that does not hold.
    assert_eq!(
        g["message"],
        "regressed: 125 (the threshold <= 1000 holds); +25.0% against baseline '1.0.0' (100): more than the allowed +10%",
        "{g}"
    );

    let (code, v) = run_json(&["--workspace", w, "verify"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["summary"]["Status"], "Fail");
    assert_eq!(v["summary"]["Baseline"]["name"], "1.0.0");
    assert_eq!(gate(&v["summary"]["Gates"], "bench-p95")["status"], "Fail");

    let (code, v) = run_json(&["--workspace", w, "release", "1.1.0"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["decision"]["Decision"], "Blocked");
    assert_eq!(v["decision"]["Inputs"]["Baseline"]["name"], "1.0.0");
    assert!(
        v["decision"]["Blocking"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "gate" && f["subject"] == "bench-p95"),
        "{v}"
    );

    let out = ws.join("dash");
    let (code, v) = run_json(&[
        "--workspace",
        w,
        "dashboard",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["dashboard"]["verdict"], "Blocked");
    assert_eq!(v["dashboard"]["baseline"]["name"], "1.0.0");
    assert_eq!(
        gate(&v["dashboard"]["gates"], "bench-p95")["status"],
        "Fail"
    );
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        page.contains("baselines against release 1.0.0"),
        "the page names the baseline"
    );

    // The Blocked 1.1.0 is not the new standard: 1.0.0 still is.
    let (code, v) = run_json(&["--workspace", w, "gates"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["baseline"], "1.0.0");

    // Back within 10% of 1.0.0: every command passes the gate again.
    set_p95(ws, 105.0);
    let (code, v) = run_json(&["--workspace", w, "gates"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = run_json(&["--workspace", w, "verify"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = run_json(&["--workspace", w, "release", "1.2.0"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["decision"]["Decision"], "Ready");
}

#[test]
fn without_a_shippable_release_there_is_no_baseline() {
    let dir = gated_workspace();
    let ws = dir.path();
    let w = ws.to_str().unwrap();
    set_p95(ws, 100.0);
    // No bundle: 0.9.0 is Blocked, so it is no baseline.
    let (code, v) = run_json(&["--workspace", w, "verify"]);
    assert_eq!(code, 1, "{v}");
    let (code, v) = run_json(&["--workspace", w, "release", "0.9.0"]);
    assert_eq!(code, 1, "{v}");
    set_p95(ws, 500.0);
    let (code, v) = run_json(&["--workspace", w, "gates"]);
    assert_eq!(code, 0, "{v}");
    assert!(v["baseline"].is_null(), "{v}");

    // Approved with an override, 0.9.0 ships, and becomes the baseline.
    let (code, v) = run_json(&[
        "--workspace",
        w,
        "approve",
        "0.9.0",
        "--by",
        "alice",
        "--role",
        "Release",
        "--override",
        "the bundle is attached by hand",
    ]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = run_json(&["--workspace", w, "gates"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["baseline"], "0.9.0");
}

#[test]
fn a_gate_judged_by_its_baseline_alone_needs_no_threshold() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let w = ws.to_str().unwrap();
    let policy = ws.join("tollgate.toml");
    let base = std::fs::read_to_string(&policy).unwrap();
    let spec = r#"
[[gate]]
id = "bench-p95"
description = "Benchmark p95 (ms), at most 5 ms over the last release"
source = "summary"
files = "bench/bench.json"
select = "p95"
aggregate = "value"
[gate.baseline]
max_increase = 5
"#;
    std::fs::write(&policy, format!("{base}{spec}")).unwrap();
    publish_fixture(ws);
    // With no release yet there is nothing to compare with: the value passes.
    set_p95(ws, 100.0);
    let (code, v) = run_json(&["--workspace", w, "gates"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(gate(&v["gates"], "bench-p95")["message"], "100");
    let (code, v) = run_json(&["--workspace", w, "verify"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = run_json(&["--workspace", w, "release", "1.0.0"]);
    assert_eq!(code, 0, "{v}");

    set_p95(ws, 104.0);
    let (code, v) = run_json(&["--workspace", w, "gates"]);
    assert_eq!(code, 0, "{v}");
    set_p95(ws, 106.5);
    let (code, v) = run_json(&["--workspace", w, "gates"]);
    assert_eq!(code, 1, "{v}");
    let g = gate(&v["gates"], "bench-p95");
    assert_eq!(
        g["message"],
        "regressed: 106.5; +6.5 (+6.5%) against baseline '1.0.0' (100): more than the allowed +5",
        "{g}"
    );
    assert_eq!(g["threshold"], serde_json::Value::Null);

    // Neither a threshold nor a baseline limit, or one without the other: policy errors.
    for (gate_text, says) in [
        (
            spec.replace("[gate.baseline]\nmax_increase = 5\n", ""),
            "or a baseline rule",
        ),
        (
            spec.replace("max_increase = 5\n", ""),
            "baseline needs a limit",
        ),
        (
            spec.replace(
                "aggregate = \"value\"\n",
                "aggregate = \"value\"\nop = \"<=\"\n",
            ),
            "op and threshold go together",
        ),
    ] {
        std::fs::write(&policy, format!("{base}{gate_text}")).unwrap();
        let (code, _, err) = run(&["--workspace", w, "gates"]);
        assert_eq!(code, 2, "{gate_text}");
        assert!(err.contains("tollgate.toml") && err.contains(says), "{err}");
    }
}
