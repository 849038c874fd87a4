//! Outputs never destroy anything (issue 15, part 2): every output option
//! refuses an existing file unless `--force`, and always refuses evidence,
//! release files, `.tollgate/`, the policy and files the ledger vouches for.

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
"#;

/// Run and expect exit 2 with `why` in stderr; `victim` is left unchanged.
fn refused(args: &[&str], victim: &Path, why: &str) {
    let before = std::fs::read(victim).ok();
    let (code, out, err) = run(args);
    assert_eq!(code, 2, "{args:?}: {out}{err}");
    assert!(err.contains(why), "{args:?}: {err}");
    assert_eq!(
        std::fs::read(victim).ok(),
        before,
        "{} changed",
        victim.display()
    );
}

#[test]
fn output_options_never_replace_evidence_and_need_force_for_any_file() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let w = ws.to_str().unwrap();
    let policy = ws.join("tollgate.toml");
    let text = std::fs::read_to_string(&policy).unwrap() + GATE;
    std::fs::write(&policy, text).unwrap();
    std::fs::create_dir_all(ws.join("bench")).unwrap();
    std::fs::write(ws.join("bench/bench.json"), "{\"p95\": 100}").unwrap();
    let b = publish_fixture(ws);
    let (code, v) = run_json(&["--workspace", w, "verify"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = run_json(&["--workspace", w, "release", "1.0.0"]);
    assert_eq!(code, 0, "{v}");
    let latest = ws.join(
        v["decision"]["Inputs"]["VerificationSummary"]["Path"]
            .as_str()
            .unwrap(),
    );
    // The run summary the ledger vouches for, beside the -latest copy.
    let (_, log) = run_json(&["--workspace", w, "ledger", "log"]);
    let verify_entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "verify")
        .unwrap();
    let payload: serde_json::Value =
        serde_json::from_str(verify_entry["payload"].as_str().unwrap()).unwrap();
    let vouched = ws.join(payload["files"][0]["path"].as_str().unwrap());

    let b_str = b.to_str().unwrap();

    let artifact = b.join("Build/a.json");
    let release_file = ws.join("evidence/releases/1.0.0/decision.json");
    let ledger = ws.join(".tollgate/ledger.db");
    let head = ws.join(".tollgate/ledger-head.json");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    for force in [false, true] {
        let f: &[&str] = if force { &["--force"] } else { &[] };
        let with = |args: &[&str]| -> Vec<String> {
            ["--workspace", w]
                .iter()
                .chain(args)
                .chain(f)
                .map(|x| x.to_string())
                .collect()
        };
        let go = |args: &[&str], victim: &Path, why: &str| {
            let a = with(args);
            let refs: Vec<&str> = a.iter().map(String::as_str).collect();
            refused(&refs, victim, why);
        };
        go(
            &["bundle", "verify", b_str, "--summary", &s(&artifact)],
            &artifact,
            "inside an evidence bundle",
        );
        go(
            &["bundle", "verify", b_str, "--summary", &s(&release_file)],
            &release_file,
            "inside a release folder",
        );
        go(
            &["bundle", "verify", b_str, "--summary", &s(&policy)],
            &policy,
            "the policy file",
        );
        go(
            &["ledger", "export", "--out", &s(&ledger)],
            &ledger,
            "inside .tollgate/",
        );
        go(&["gates", "--junit", &s(&head)], &head, "inside .tollgate/");
        go(
            &["gates", "--junit", &s(&latest)],
            &latest,
            "a verification run's record",
        );
        go(
            &["gates", "--junit", &s(&vouched)],
            &vouched,
            "a verification run's record",
        );
    }
    let (code, v) = run_json(&["--workspace", w, "ledger", "verify"]);
    assert_eq!(code, 0, "the ledger is intact: {v}");

    // An ordinary existing file: refused without --force, replaced with it.
    let telemetry = ws.join("t.json");
    std::fs::write(
        &telemetry,
        "{\"EventName\":\"X\",\"Timestamp\":\"2026-01-01T00:00:00Z\"}\n",
    )
    .unwrap();
    let existing = ws.join("existing.txt");
    let t = s(&telemetry);
    let e = s(&existing);
    for args in [
        vec!["bundle", "verify", b_str, "--summary", &e],
        vec!["gates", "--junit", &e],
        vec!["ledger", "export", "--out", &e],
        vec!["rollup", &t, "--out", &e],
        vec!["analyze", "shared-cache", &t, "--out", &e],
        vec!["dashboard", "--out", w],
    ] {
        std::fs::write(&existing, "keep me").unwrap();
        std::fs::write(ws.join("index.html"), "keep me").unwrap();
        let victim = if args[0] == "dashboard" {
            ws.join("index.html")
        } else {
            existing.clone()
        };
        let mut a = vec!["--workspace", w];
        a.extend(&args);
        refused(&a, &victim, "already exists; use --force");
        a.push("--force");
        let (code, out, err) = run(&a);
        assert!(code == 0 || code == 1, "{a:?}: {out}{err}");
        assert_ne!(
            std::fs::read_to_string(&victim).unwrap(),
            "keep me",
            "{a:?} replaced it"
        );
    }
}
