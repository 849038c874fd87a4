//! `tollgate gates` end to end: the statetrace gates on the corpus
//! (conformance), JUnit validity and exit codes.

mod common;

use common::*;

/// `tollgate gates --only ONLY --json` on the corpus workspace.
fn corpus_gates(c: &std::path::Path, only: &str) -> (i32, serde_json::Value) {
    run_json(&["--workspace", c.to_str().unwrap(), "gates", "--only", only])
}

fn gate<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn corpus_human_table_names_the_files_each_gate_read() {
    let Some(c) = corpus() else { return };
    let (code, out, _) = run(&[
        "--workspace",
        c.to_str().unwrap(),
        "gates",
        "--only",
        "PlanB",
    ]);
    assert_eq!(code, 1);
    let row = out
        .lines()
        .find(|l| l.starts_with("B-warm-improvement "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        row.contains("FAIL") && row.contains("WarmRunTelemetry-"),
        "{row}"
    );
    assert!(out.lines().nth(1).unwrap().ends_with("SOURCE"), "{out}");
}

#[test]
fn corpus_warm_improvement_46_2_blocks_against_60() {
    let Some(c) = corpus() else { return };
    let (code, v) = corpus_gates(&c, "B-warm-improvement");
    assert_eq!(code, 1);
    let g = gate(&v, "B-warm-improvement");
    assert_eq!(
        (g["status"].as_str(), g["value"].as_f64()),
        (Some("Fail"), Some(46.2))
    );
    assert_eq!(g["threshold"], 60.0);
    assert!(
        g["files"][0]
            .as_str()
            .unwrap()
            .contains("WarmRunTelemetry-"),
        "{g:#}"
    );
}

#[test]
fn corpus_shared_cache_fails_on_every_summary_and_names_the_near_miss() {
    let Some(c) = corpus() else { return };
    let (code, v) = corpus_gates(&c, "G-shared-cache");
    assert_eq!(code, 1);
    let set = gate(&v, "G-shared-cache");
    assert_eq!(set["status"], "Fail");
    let summaries = std::fs::read_dir(c.join("Logs/SharedCacheSnapshot"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("-summary.json"))
        .count();
    let candidates = set["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), summaries);
    assert!(candidates.iter().all(|c| c["status"] == "Fail"));
    let msg = set["message"].as_str().unwrap();
    assert!(
        msg.contains(
            "every candidate fails; closest: SharedCacheSnapshot-20251212-150347-summary.json"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("G-shared-cache-hosts: 2 >= 37") && msg.contains("missing WLLS"),
        "{msg}"
    );
}

#[test]
fn corpus_queue_summaries_under_10_samples_are_insufficient_never_pass() {
    let Some(c) = corpus() else { return };
    for src in [
        "Data/Samples/TelemetryBundles/Sample-ReleaseBundle/Routing/QueueDelaySummary-20250101.json",
        "Logs/TelemetryBundles/Release-2025-12-23/Routing/QueueDelaySummary-2025-12-23-1.json",
    ] {
        let dir = statetrace_workspace();
        let ws = dir.path();
        std::fs::create_dir_all(ws.join("Logs/IngestionMetrics")).unwrap();
        std::fs::copy(c.join(src), ws.join("Logs/IngestionMetrics/QueueDelaySummary-20250101-000000.json")).unwrap();
        let (code, v) = run_json(&["--workspace", ws.to_str().unwrap(), "gates", "--only", "A-queue-summary-p95"]);
        assert_eq!(code, 1, "{src}");
        let g = gate(&v, "A-queue-summary-p95");
        assert_eq!(g["status"], "InsufficientData", "{src}: {g:#}");
        assert!(g["samples"].as_u64().unwrap() < 10);
    }
}

#[test]
fn junit_is_valid_with_a_failure_per_blocking_verdict() {
    let Some(c) = corpus() else { return };
    let out = tempfile::tempdir().unwrap();
    let junit = out.path().join("gates.xml");
    let (code, v) = run_json(&[
        "--workspace",
        c.to_str().unwrap(),
        "gates",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let text = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let gates = v["gates"].as_array().unwrap();
    assert_eq!(cases.len(), gates.len());
    let failures = cases
        .iter()
        .filter(|n| n.children().any(|c| c.has_tag_name("failure")))
        .count();
    let blocking = gates
        .iter()
        .filter(|g| g["severity"] == "block" && g["status"] != "Pass")
        .count();
    assert_eq!(failures, blocking);
    let skipped = cases
        .iter()
        .filter(|n| n.children().any(|c| c.has_tag_name("skipped")))
        .count();
    assert_eq!(
        skipped,
        gates.iter().filter(|g| g["severity"] == "track").count()
    );
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite.attribute("failures"),
        Some(failures.to_string().as_str())
    );
}

#[test]
fn unknown_only_and_missing_baseline_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().to_str().unwrap();
    let (code, _, err) = run(&["--workspace", ws, "gates", "--only", "Nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("--only Nope"), "{err}");
    let (code, _, err) = run(&["--workspace", ws, "gates", "--baseline", "0.1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--baseline 0.1"), "{err}");
}

const JUNIT_GATES: &str = r#"
[[gate]]
id = "no-failed-tests"
plan = "ci"
description = "No failed or errored test"
source = "junit"
files = "reports/*.xml"
where = { outcome = "failed" }
aggregate = "count"
op = "=="
threshold = 0

[[gate]]
id = "test-p95"
plan = "ci"
description = "Test case p95 duration (s)"
source = "junit"
files = "reports/*.xml"
select = "time"
aggregate = "p95"
op = "<="
threshold = 2
group_by = "suite"
"#;

fn junit_shard(ws: &std::path::Path, name: &str, suite: &str, cases: &[(&str, f64, bool)]) {
    let body: String = cases
        .iter()
        .map(|(n, t, failed)| {
            let inner = if *failed {
                "<failure message=\"boom\"/>"
            } else {
                ""
            };
            format!("    <testcase classname=\"c\" name=\"{n}\" time=\"{t}\">{inner}</testcase>\n")
        })
        .collect();
    put(
        ws,
        &format!("reports/{name}"),
        &format!("\u{feff}<?xml version=\"1.0\"?>\r\n<testsuites tests=\"99\">\r\n  <testsuite name=\"{suite}\">\r\n{body}  </testsuite>\r\n</testsuites>\r\n"),
    );
}

#[test]
fn junit_shards_are_merged_and_a_clean_report_passes_a_zero_count() {
    let dir = gated_workspace(JUNIT_GATES);
    let ws = dir.path();
    junit_shard(
        ws,
        "TEST-a.xml",
        "api",
        &[("a1", 0.5, false), ("a2", 1.0, false)],
    );
    junit_shard(ws, "TEST-b.xml", "ui", &[("b1", 0.25, false)]);
    let args = ["--workspace", ws.to_str().unwrap(), "gates"];
    let (code, v) = run_json(&args);
    assert_eq!(code, 0, "{v}");
    let failed = gate(&v, "no-failed-tests");
    assert_eq!(
        (failed["status"].as_str(), failed["value"].as_f64()),
        (Some("Pass"), Some(0.0)),
        "{failed}"
    );
    assert_eq!(
        failed["files"].as_array().unwrap().len(),
        2,
        "both shards read"
    );
    let p95 = gate(&v, "test-p95");
    assert_eq!(p95["status"], "Pass", "{p95}");
    let groups: Vec<_> = p95["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap(), g["samples"].as_u64().unwrap()))
        .collect();
    assert_eq!(groups, [("api", 2), ("ui", 1)], "{p95}");

    // One failing case in one shard and one slow case in the other.
    junit_shard(
        ws,
        "TEST-b.xml",
        "ui",
        &[("b1", 0.25, true), ("b2", 9.0, false)],
    );
    let (code, v) = run_json(&args);
    assert_eq!(code, 1, "{v}");
    let failed = gate(&v, "no-failed-tests");
    assert_eq!(
        (failed["status"].as_str(), failed["value"].as_f64()),
        (Some("Fail"), Some(1.0)),
        "{failed}"
    );
    assert_eq!(gate(&v, "test-p95")["status"], "Fail");

    // A truncated shard is an error naming it, not a silent pass.
    put(
        ws,
        "reports/TEST-c.xml",
        "<testsuites>\n<testsuite name=\"x\">\n<testcase",
    );
    let (_, v) = run_json(&args);
    let failed = gate(&v, "no-failed-tests");
    assert_ne!(failed["status"], "Pass");
    let msg = failed["message"].as_str().unwrap();
    assert!(
        msg.contains("TEST-c.xml:3") && msg.contains("truncated"),
        "{msg}"
    );
}

#[test]
fn where_and_shape_that_do_nothing_are_policy_errors() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let policy = ws.join("tollgate.toml");
    let base = std::fs::read_to_string(&policy).unwrap();
    for (gate, says) in [
        ("source = \"summary\"\nshape = \"queue-delay\"\nfiles = \"q.json\"\nselect = \"P95\"\nwhere = { Site = \"A\" }\naggregate = \"value\"", "where does nothing"),
        ("source = \"junit\"\nfiles = \"r.xml\"\nshape = \"json\"\naggregate = \"count\"", "shape applies"),
        ("source = \"junit\"\naggregate = \"count\"", "needs files"),
        (
            "source = \"summary\"\nfiles = \"x.json\"\nnewest = 0\nselect = \"a\"\naggregate = \"sum\"",
            "at least 1",
        ),
        (
            "source = \"shared-cache\"\nselect = \"Hosts\"\naggregate = \"max\"",
            "paths.shared_cache",
        ),
    ] {
        let text = format!("{base}\n[[gate]]\nid = \"g\"\nplan = \"p\"\ndescription = \"d\"\n{gate}\nop = \"<=\"\nthreshold = 1\n");
        std::fs::write(&policy, text).unwrap();
        let (code, _, err) = run(&["--workspace", ws.to_str().unwrap(), "gates"]);
        assert_eq!(code, 2, "{gate}");
        assert!(err.contains("tollgate.toml") && err.contains(says), "{err}");
    }
}

#[test]
fn sarif_errors_that_are_not_suppressed_block_and_levels_follow_the_spec() {
    let spec = r#"
[[gate]]
id = "no-sarif-errors"
plan = "ci"
description = "No unsuppressed SARIF error"
source = "sarif"
files = "lint/*.sarif"
where = { level = "error", suppressed = "false" }
aggregate = "count"
op = "=="
threshold = 0
"#;
    let dir = gated_workspace(spec);
    let ws = dir.path();
    // The rule's default level makes the first result an error; it is
    // suppressed in source. The warning does not count.
    let log = |extra: &str| {
        format!(
            r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"lint","rules":[{{"id":"R1","defaultConfiguration":{{"level":"error"}}}}]}}}},
            "results":[{{"ruleId":"R1","suppressions":[{{"kind":"inSource"}}]}},{{"ruleId":"R2","level":"warning"}}{extra}]}}]}}"#
        )
    };
    put(ws, "lint/a.sarif", &log(""));
    let args = ["--workspace", ws.to_str().unwrap(), "gates"];
    let (code, v) = run_json(&args);
    assert_eq!(code, 0, "{v}");
    assert_eq!(gate_value(&v, "no-sarif-errors"), ("Pass", 0.0));
    put(ws, "lint/b.sarif", &log(r#",{"ruleId":"R1"}"#));
    let (code, v) = run_json(&args);
    assert_eq!(code, 1, "{v}");
    assert_eq!(gate_value(&v, "no-sarif-errors"), ("Fail", 1.0));
    put(ws, "lint/c.sarif", r#"{"version":"1.0","runs":[]}"#);
    let (_, v) = run_json(&args);
    let msg = gate(&v, "no-sarif-errors")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("c.sarif") && msg.contains("'1.0'"), "{msg}");
}

fn gate_value<'a>(v: &'a serde_json::Value, id: &str) -> (&'a str, f64) {
    let g = gate(v, id);
    (
        g["status"].as_str().unwrap(),
        g["value"].as_f64().unwrap_or(f64::NAN),
    )
}

#[test]
fn coverage_reports_of_any_format_merge_into_one_line_rate() {
    let spec = r#"
[[gate]]
id = "line-coverage"
plan = "ci"
description = "Line coverage (%)"
source = "coverage"
files = "cov/*"
where = { scope = "total" }
select = "line_rate"
aggregate = "value"
op = ">="
threshold = 80

[[gate]]
id = "worst-file"
plan = "ci"
description = "Worst file's line coverage (%)"
source = "coverage"
files = "cov/*"
where = { scope = "file" }
select = "line_rate"
aggregate = "min"
op = ">="
threshold = 50
"#;
    let dir = gated_workspace(spec);
    let ws = dir.path();
    // Cobertura: 3 of 4 lines; LCOV: 4 of 4 (line 1 repeated, hit once).
    put(
        ws,
        "cov/coverage.xml",
        r#"<?xml version="1.0"?><coverage line-rate="NaN"><packages><package name="p"><classes><class filename="a.py"><lines><line number="1" hits="2"/><line number="2" hits="0"/><line number="3" hits="1"/><line number="4" hits="1"/></lines></class></classes></package></packages></coverage>"#,
    );
    put(
        ws,
        "cov/lcov.info",
        "TN:\nSF:b.rs\nDA:1,0\nDA:1,5\nDA:2,1\nDA:3,1\nDA:4,1\nend_of_record\n",
    );
    let args = ["--workspace", ws.to_str().unwrap(), "gates"];
    let (code, v) = run_json(&args);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        gate_value(&v, "line-coverage"),
        ("Pass", 87.5),
        "7 of 8 lines over both reports"
    );
    assert_eq!(gate_value(&v, "worst-file"), ("Pass", 75.0));
    put(
        ws,
        "cov/lcov.info",
        "SF:b.rs\nDA:1,0\nDA:2,0\nDA:3,0\nDA:4,1\nend_of_record\n",
    );
    let (code, v) = run_json(&args);
    assert_eq!(code, 1, "{v}");
    assert_eq!(gate_value(&v, "line-coverage"), ("Fail", 50.0));
    assert_eq!(gate_value(&v, "worst-file"), ("Fail", 25.0));
}

#[test]
fn sbom_components_without_a_license_or_on_a_deny_list_fail() {
    let spec = r#"
[[gate]]
id = "all-licensed"
description = "Every SBOM component has a license"
source = "sbom"
files = "sbom/*"
where = { licensed = "false" }
aggregate = "count"
op = "=="
threshold = 0

[[gate]]
id = "no-gpl3"
plan = "ci"
description = "No GPL-3.0-only component"
source = "sbom"
files = "sbom/*"
where = { license = "GPL-3.0-only" }
aggregate = "count"
op = "=="
threshold = 0

[[gate]]
id = "denied"
description = "No component under a denied license"
source = "sbom"
files = "sbom/*"
where = { licenses = ["AGPL-3.0-only", "GPL-3.0-only"] }
aggregate = "count"
op = "=="
threshold = 0
"#;
    let dir = gated_workspace(spec);
    let ws = dir.path();
    put(
        ws,
        "sbom/bom.cdx.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","version":"1","licenses":[{"license":{"id":"MIT"}}]}]}"#,
    );
    put(
        ws,
        "sbom/app.spdx.json",
        r#"{"spdxVersion":"SPDX-2.3","packages":[{"name":"p","versionInfo":"2","licenseConcluded":"Apache-2.0"}]}"#,
    );
    let args = ["--workspace", ws.to_str().unwrap(), "gates"];
    let (code, v) = run_json(&args);
    assert_eq!(code, 0, "{v}");
    assert_eq!(gate_value(&v, "all-licensed"), ("Pass", 0.0));
    assert_eq!(
        gate(&v, "all-licensed")["files"].as_array().unwrap().len(),
        2
    );
    put(
        ws,
        "sbom/app.spdx.json",
        r#"{"spdxVersion":"SPDX-2.3","packages":[{"name":"p","licenseConcluded":"NOASSERTION"},{"name":"q","licenseDeclared":"GPL-3.0-only"}]}"#,
    );
    let (code, v) = run_json(&args);
    assert_eq!(code, 1, "{v}");
    assert_eq!(gate_value(&v, "all-licensed"), ("Fail", 1.0));
    assert_eq!(gate_value(&v, "no-gpl3"), ("Fail", 1.0));
    assert_eq!(gate_value(&v, "denied"), ("Fail", 1.0));
    // A deny list matches each of a component's licenses; the gate names
    // what it counted, and the finding points at that SBOM.
    put(
        ws,
        "sbom/bom.cdx.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","version":"1","licenses":[{"license":{"id":"MIT"}},{"license":{"id":"AGPL-3.0-only"}}]},{"name":"b","version":"2","licenses":[{"license":{"id":"MIT"}}]}]}"#,
    );
    let (code, v) = run_json(&args);
    assert_eq!(code, 1, "{v}");
    assert_eq!(gate_value(&v, "denied"), ("Fail", 2.0));
    assert_eq!(gate_value(&v, "no-gpl3"), ("Fail", 1.0));
    let counted: Vec<&str> = gate(&v, "denied")["counted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    // Files newest first: bom.cdx.json was just rewritten.
    assert_eq!(counted, ["a@1", "q"]);
    let msg = gate(&v, "denied")["message"].as_str().unwrap();
    assert!(
        msg.contains("counted: a@1 (sbom/bom.cdx.json), q (sbom/app.spdx.json)"),
        "{msg}"
    );
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "denied")
        .unwrap();
    assert_eq!(finding["location"]["path"], "sbom/bom.cdx.json");
    // An empty list would match nothing: a policy error.
    let policy = ws.join("tollgate.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text.replace(r#"["AGPL-3.0-only", "GPL-3.0-only"]"#, "[]"),
    )
    .unwrap();
    let (code, _, err) = run(&args);
    assert_eq!(code, 2);
    assert!(err.contains("'licenses' lists no value"), "{err}");
    std::fs::write(&policy, text).unwrap();
    put(ws, "sbom/other.json", r#"{"sbom": true}"#);
    let (_, v) = run_json(&args);
    let msg = gate(&v, "all-licensed")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("other.json") && msg.contains("neither CycloneDX"),
        "{msg}"
    );
}

/// A minimal workspace whose policy also declares `gates` (TOML).
fn gated_workspace(gates: &str) -> tempfile::TempDir {
    let dir = minimal_workspace();
    let policy = dir.path().join("tollgate.toml");
    std::fs::write(&policy, std::fs::read_to_string(&policy).unwrap() + gates).unwrap();
    dir
}

#[test]
fn newest_n_judges_several_summaries_as_one_population() {
    let spec = r#"
[[gate]]
id = "all-shards"
description = "Failures over every benchmark shard"
source = "summary"
files = "bench/*.json"
newest = 3
select = "failures"
aggregate = "sum"
op = "=="
threshold = 0

[[gate]]
id = "newest-shard"
description = "Failures in the newest shard"
source = "summary"
files = "bench/*.json"
select = "failures"
aggregate = "sum"
op = "=="
threshold = 0
"#;
    let dir = gated_workspace(spec);
    let ws = dir.path();
    for (i, failures) in [(1, 2), (2, 0), (3, 0)] {
        let rel = format!("bench/shard-{i}.json");
        put(ws, &rel, &format!("{{\"failures\": {failures}}}"));
        let p = ws.join(rel);
        // Oldest first: shard-3 is the newest.
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(100 - i * 10);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }
    let (code, v) = run_json(&["--workspace", ws.to_str().unwrap(), "gates"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(gate_value(&v, "all-shards"), ("Fail", 2.0));
    assert_eq!(gate(&v, "all-shards")["files"].as_array().unwrap().len(), 3);
    assert_eq!(gate_value(&v, "newest-shard"), ("Pass", 0.0));
    assert_eq!(
        gate(&v, "newest-shard")["files"].as_array().unwrap().len(),
        1
    );
}

/// Write `text` at `rel` in `ws`, creating its folder.
fn put(ws: &std::path::Path, rel: &str, text: &str) {
    let p = ws.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn json_path_selectors_reach_into_arrays_and_bad_ones_name_the_line() {
    let spec = r#"
[[gate]]
id = "components"
description = "Components listed"
source = "summary"
files = "out/bom.json"
select = "$.components[*]"
aggregate = "count"
op = ">="
threshold = 3

[[gate]]
id = "unlicensed"
description = "Components without a license"
source = "summary"
files = "out/bom.json"
select = "$.components[?!@.licenses || length(@.licenses) == 0]"
aggregate = "count"
op = "=="
threshold = 0

[[gate]]
id = "slowest-mean"
description = "Slowest benchmark mean, per group"
source = "summary"
files = "out/bench.json"
records = "$.benchmarks[*]"
where = { group = "parse" }
select = "stats.mean"
aggregate = "max"
op = "<="
threshold = 0.5
"#;
    let dir = gated_workspace(spec);
    let ws = dir.path();
    put(
        ws,
        "out/bom.json",
        r#"{"components":[{"name":"a","licenses":[{"license":{"id":"MIT"}}]},{"name":"b"},{"name":"c","licenses":[]}]}"#,
    );
    put(
        ws,
        "out/bench.json",
        r#"{"benchmarks":[{"group":"parse","stats":{"mean":0.25}},{"group":"parse","stats":{"mean":0.75}},{"group":"io","stats":{"mean":9.0}}]}"#,
    );
    let args = ["--workspace", ws.to_str().unwrap(), "gates"];
    let (code, v) = run_json(&args);
    assert_eq!(code, 1, "{v}");
    assert_eq!(gate_value(&v, "components"), ("Pass", 3.0));
    assert_eq!(gate_value(&v, "unlicensed"), ("Fail", 2.0));
    assert_eq!(
        gate_value(&v, "slowest-mean"),
        ("Fail", 0.75),
        "the io record is filtered out"
    );

    // A syntax error names the policy file and the line of the query; a
    // JSONPath where it cannot work is a policy error too.
    let policy = ws.join("tollgate.toml");
    let good = std::fs::read_to_string(&policy).unwrap();
    let line = good
        .lines()
        .position(|l| l.contains("$.benchmarks[*]"))
        .unwrap()
        + 1;
    std::fs::write(&policy, good.replace("$.benchmarks[*]", "$.benchmarks[*")).unwrap();
    let (code, _, err) = run(&args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("tollgate.toml:{line}")) && err.contains("JSONPath '$.benchmarks[*'"),
        "{err}"
    );
    for (from, to, says) in [
        (
            "records = \"$.benchmarks[*]\"",
            "records = \"benchmarks\"",
            "records must be a JSONPath",
        ),
        (
            "where = { group = \"parse\" }",
            "where = { \"$.group\" = \"parse\" }",
            "where and group_by take field names",
        ),
        (
            "select = \"stats.mean\"",
            "select = \"$.stats.mean\"\nminus = \"x\"",
            "minus needs a dotted select",
        ),
    ] {
        std::fs::write(&policy, good.replace(from, to)).unwrap();
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{to}: {err}");
        assert!(err.contains("tollgate.toml") && err.contains(says), "{err}");
    }
}

#[test]
fn changelog_gate_judges_the_entry_of_the_version_being_released() {
    let spec = r#"
[[gate]]
id = "changelog"
description = "The CHANGELOG has an entry for the version"
source = "changelog"
files = "CHANGELOG.md"
aggregate = "count"
op = ">="
threshold = 1

[[gate]]
id = "other"
description = "Something else"
source = "summary"
files = "none/*.json"
select = "x"
aggregate = "value"
op = ">="
threshold = 1
severity = "track"
"#;
    let dir = gated_workspace(spec);
    let ws = dir.path();
    put(
        ws,
        "CHANGELOG.md",
        "\u{feff}# Changelog\r\n\r\n## [Unreleased]\r\n\r\n## [1.2.0] - 2026-01-05\r\n### Added\r\n- JUnit gates\r\n- SARIF output\r\n\r\n## [1.1.0] - 2025-12-01\r\n- first\r\n",
    );
    let w = ws.to_str().unwrap();
    let judged = |extra: &[&str]| {
        let mut args = vec!["--workspace", w, "gates", "--only", "changelog"];
        args.extend_from_slice(extra);
        let (code, v) = run_json(&args);
        let (status, value) = gate_value(&v, "changelog");
        let message = gate(&v, "changelog")["message"]
            .as_str()
            .unwrap()
            .to_string();
        (code, (status.to_string(), value), message)
    };
    // Without a version: the topmost released entry (Unreleased skipped).
    let pass = |n: f64| ("Pass".to_string(), n);
    assert_eq!(judged(&[]).1, pass(2.0));
    assert_eq!(judged(&["--release", "1.2.0"]).1, pass(2.0));
    assert_eq!(judged(&["--release", "v1.1.0"]).1, pass(1.0));
    let (code, value, msg) = judged(&["--release", "1.3.0"]);
    assert_eq!((code, value), (1, ("Fail".to_string(), 0.0)));
    assert!(
        msg.contains(
            "missing an entry for 1.3.0 in CHANGELOG.md (the topmost is Unreleased at line 3)"
        ),
        "{msg}"
    );
    // --release that no picked gate reads, or a version that is no version.
    for bad in [
        vec![
            "--workspace",
            w,
            "gates",
            "--only",
            "other",
            "--release",
            "1.2.0",
        ],
        vec!["--workspace", w, "gates", "--release", "../1.2.0"],
    ] {
        let (code, _, err) = run(&bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
    }
    // A changelog gate needs its file.
    let policy = ws.join("tollgate.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, text.replacen("files = \"CHANGELOG.md\"\n", "", 1)).unwrap();
    let (code, _, err) = run(&["--workspace", w, "gates"]);
    assert_eq!(code, 2);
    assert!(err.contains("source \"changelog\" needs files"), "{err}");
}
