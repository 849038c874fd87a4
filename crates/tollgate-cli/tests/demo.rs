//! `tollgate demo` on a fresh folder: generates, publishes and verifies.

mod common;

use common::*;

#[test]
fn demo_generates_publishes_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("demo");
    let t = target.to_str().unwrap();
    let (code, v) = run_json(&["demo", t, "--seed", "7", "--days", "3"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["published"].as_array().unwrap().len(), 2);
    assert_ne!(v["verification"]["verdict"], "Block", "{v:#}");
    // Gates: at least one passes, one warns and one blocks, each with a reason.
    let gates = v["gates"].as_array().unwrap();
    let failing = |sev: &str| {
        gates
            .iter()
            .filter(|g| g["severity"] == sev && g["status"] != "Pass")
            .count()
    };
    assert!(gates.iter().any(|g| g["status"] == "Pass"));
    assert!(failing("warn") >= 1 && failing("block") >= 1, "{gates:#?}");
    assert!(gates
        .iter()
        .all(|g| !g["message"].as_str().unwrap().is_empty()));
    // The generated documents carry one of each deliberate drift.
    let mut rules: Vec<&str> = v["docs"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    rules.sort();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "backlog.done",
            "board.missing-in-csv",
            "board.narrative-duplicate",
            "board.narrative-status",
            "board.status-mismatch",
            "board.table",
            "csv.malformed",
            "csv.missing-on-board",
            "docs.evidence-path",
            "plan.status-mismatch",
            "roadmap.overdue",
        ]
    );
    assert!(!v["checklist"]["findings"].as_array().unwrap().is_empty());
    // verify, release, two signed approvals: the blocked release is
    // overridden by the release manager and approved by the QA lead, and
    // the QA lead's key signing as Release was refused, saying why.
    assert_eq!(v["verify"]["summary"]["Status"], "Fail");
    assert_eq!(v["release"]["decision"]["Decision"], "Blocked");
    let approvals = v["approvals"].as_array().unwrap();
    let roles: Vec<(&str, &str)> = approvals
        .iter()
        .map(|a| (a["role"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("Release", "valid"), ("QA", "valid")]);
    assert!(approvals[0]["override_reason"].is_string());
    assert!(
        v["forged"].as_str().unwrap().contains(
            "belongs to qa-lead@statetrace.example, who is not a principal of role Release"
        ),
        "{}",
        v["forged"]
    );
    assert!(target.join("demo-approver-keys/qa-lead.pub").is_file());
    assert_eq!(v["waiver"]["target"], "gate:E-parse-p95");
    assert_eq!(v["waiver"]["state"], "valid");
    let ws = target.to_str().unwrap();
    let (code, st) = run_json(&["--workspace", ws, "release", "status", "0.1.0-demo"]);
    assert_eq!(code, 0, "{st:#}");
    assert_eq!(st["status"]["shippable"], true);
    let (code, out, _) = run(&["--workspace", ws, "ledger", "verify"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("ledger: 11 entries"),
        "4 seeded runs, 2 publishes, verify, release, a waiver, 2 approvals: {out}"
    );
    // The release's risk linkage resolves the summary's RR-011 to its owner;
    // a release without a summary records that it cites no risk.
    let linkage = |version: &str| -> serde_json::Value {
        let p = target.join(format!("Logs/ReleaseEvidence/{version}/risk-linkage.json"));
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let demo = linkage("0.1.0-demo");
    assert_eq!(
        demo["report"]["citations"][0]["risk"]["owner"],
        "Ingestion Lead"
    );
    let (code, _) = run_json(&["--workspace", ws, "release", "0.2.0"]);
    assert_eq!(code, 1);
    let bare = linkage("0.2.0");
    assert_eq!(bare["verdict"], "Block");
    assert_eq!(
        bare["report"]["findings"][0]["check"],
        "release.risk-linkage"
    );
    let (code, _) = run_json(&[
        "--workspace",
        ws,
        "bundle",
        "verify",
        v["verification"]["bundle"].as_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    // 37 hosts over 2 sites in the telemetry.
    let mut days: Vec<_> = std::fs::read_dir(target.join("Logs/IngestionMetrics"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().len() == "2026-01-01.json".len())
        .collect();
    days.sort_by_key(|e| e.file_name());
    // 3 days, plus the 2 of the 4 seeded history days that lie before them.
    assert_eq!(days.len(), 5);
    let day = days.pop().unwrap();
    let text = std::fs::read_to_string(day.path()).unwrap();
    let hosts: std::collections::HashSet<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|e| e["Hostname"].as_str().map(str::to_string))
        .collect();
    assert_eq!(hosts.len(), 37);

    // Same seed and date: same telemetry. A re-run replaces its own folder.
    let first = std::fs::read(day.path()).unwrap();
    let date = day.file_name().to_string_lossy()[..10].to_string();
    let (code, _, err) = run(&["demo", t, "--seed", "7", "--days", "3", "--date", &date]);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read(day.path()).unwrap() == first,
        "same seed and date must give the same telemetry"
    );

    // A folder the demo did not make is refused.
    let other = dir.path().join("mine");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("keep.txt"), "x").unwrap();
    let (code, _, err) = run(&["demo", other.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not made by `tollgate demo`"), "{err}");
    assert!(other.join("keep.txt").exists());
}

#[test]
fn generic_demo_blocks_on_a_failing_test_and_a_coverage_drop() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("generic");
    let t = target.to_str().unwrap();
    let (code, v) = run_json(&[
        "demo",
        t,
        "--profile",
        "generic",
        "--seed",
        "7",
        "--date",
        "2026-11-20",
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        (v["profile"].as_str(), v["version"].as_str()),
        (Some("generic"), Some("1.5.0"))
    );
    assert_eq!(v["previous"]["decision"]["Decision"], "Ready");
    assert_eq!(
        v["verification"]["verdict"], "Pass",
        "{:#}",
        v["verification"]
    );
    assert!(v["docs"].is_null() && v["checklist"].is_null());
    let decision = &v["release"]["decision"];
    assert_eq!(decision["Decision"], "Blocked");
    let blocking = decision["Blocking"].as_array().unwrap();
    let gate = |id: &str| {
        blocking
            .iter()
            .find(|f| f["check"] == "gate" && f["subject"] == id)
            .unwrap_or_else(|| panic!("{id} does not block: {blocking:#?}"))
    };
    // The failing test, named, at its line in its report.
    let tests = gate("tests-failed");
    assert!(
        tests["message"]
            .as_str()
            .unwrap()
            .contains("counted: integration.release::publishes_over_a_slow_registry"),
        "{tests:#}"
    );
    assert_eq!(
        tests["location"]["path"],
        "reports/junit/TEST-integration.xml"
    );
    assert!(tests["location"]["line"].as_u64().unwrap() > 1);
    // The coverage drop against the previous release, which still meets 80%.
    let coverage = gate("line-coverage");
    let msg = coverage["message"].as_str().unwrap();
    assert!(
        msg.contains("regressed: 84.2 (the threshold >= 80 holds); -1.8")
            && msg.contains("against baseline '1.4.0' (86): more than the allowed -1"),
        "{msg}"
    );
    // Everything else passes: SARIF (its error is suppressed), SBOM, CHANGELOG.
    let gates = v["gates"].as_array().unwrap();
    let failing: Vec<&str> = gates
        .iter()
        .filter(|g| g["status"] != "Pass")
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["tests-failed", "line-coverage"]);
    // The forged approval is refused; the earlier release is shippable and
    // this one is not.
    assert!(v["forged"]
        .as_str()
        .unwrap()
        .contains("qa-lead@example.com, who is not a principal of role Release"));
    let (code, st) = run_json(&["--workspace", t, "release", "status", "1.4.0"]);
    assert_eq!(
        (code, &st["status"]["shippable"]),
        (0, &serde_json::json!(true)),
        "{st:#}"
    );
    let (code, st) = run_json(&["--workspace", t, "release", "status", "1.5.0"]);
    assert_eq!(st["status"]["shippable"], false, "{st:#}");
    assert_eq!(code, 1);
    // A release with no CHANGELOG entry blocks on it, saying so.
    let (code, r) = run_json(&["--workspace", t, "release", "1.6.0"]);
    assert_eq!(code, 1);
    let changelog = r["decision"]["Blocking"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "changelog-entry")
        .cloned()
        .unwrap_or_else(|| panic!("{r:#}"));
    assert!(
        changelog["message"]
            .as_str()
            .unwrap()
            .contains("missing an entry for 1.6.0 in CHANGELOG.md"),
        "{changelog:#}"
    );

    // Nothing speaks StateTrace: the manifest, README title, release inputs
    // and dashboard come from the policy.
    let area = target.join("evidence/bundles/release-1.5.0/Release");
    assert!(area.join("manifest.json").is_file() && !area.join("TelemetryBundle.json").exists());
    let readme = std::fs::read_to_string(area.join("README.md")).unwrap();
    assert!(
        readme.starts_with("# Release Evidence - release-1.5.0"),
        "{readme}"
    );
    let release = target.join("evidence/releases/1.5.0");
    for absent in [
        "SharedCacheSummary.json",
        "risk-linkage.json",
        "docs-findings.json",
    ] {
        assert!(!release.join(absent).exists(), "{absent}");
    }
    let warnings = decision["Warnings"].as_array().unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
    let page = std::fs::read_to_string(target.join("reports/dashboard/index.html")).unwrap();
    assert!(!page.contains("Governance docs") && !page.contains("Risk linkage"));
    for file in [
        target.join("tollgate.toml"),
        area.join("README.md"),
        area.join("manifest.json"),
        release.join("decision.json"),
        target.join("reports/dashboard/index.html"),
    ] {
        let text = std::fs::read_to_string(&file).unwrap().to_lowercase();
        for word in [
            "statetrace",
            "telemetry bundle",
            "telemetrybundle",
            "shared-cache",
        ] {
            assert!(!text.contains(word), "{} says {word}", file.display());
        }
    }
}
