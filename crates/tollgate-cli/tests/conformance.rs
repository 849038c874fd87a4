//! Conformance on the real StateTrace corpus (`../shared/corpus`). Each test
//! prints a notice and passes when the corpus is absent (a user's clone).

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn verify_corpus(bundle: &Path) -> (i32, serde_json::Value) {
    let out = tempfile::tempdir().unwrap();
    let summary = out.path().join("s.json");
    run_json(&[
        "bundle",
        "verify",
        bundle.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ])
}

fn area<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Area"] == name)
        .unwrap()
}

#[test]
fn release_2025_12_23_is_blocked_for_the_right_reasons() {
    let Some(c) = corpus() else { return };
    let (code, v) = verify_corpus(&c.join("Logs/TelemetryBundles/Release-2025-12-23"));
    assert_eq!(code, 1);

    // Telemetry: every manifest artifact that exists matches its hash.
    let tel = area(&v, "Telemetry");
    assert!(
        findings_with(tel, "bundle.integrity").is_empty(),
        "{:#}",
        tel["Findings"]
    );

    // Routing: each missing dispatcher log is named as a blocking finding.
    let routing = area(&v, "Routing");
    let mut missing: Vec<String> = findings_with(routing, "bundle.integrity")
        .iter()
        .inspect(|f| assert_eq!(f["severity"], "block"))
        .map(|f| f["subject"].as_str().unwrap().to_string())
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        [
            "Routing/BOYO-A05-AS-02-20251223-124044.log",
            "Routing/BOYO-A05-AS-05-20251223-124044.log",
            "Routing/WLLS-A01-AS-01-20251223-124044.log",
            "Routing/WLLS-A01-AS-21-20251223-124044.log",
        ]
    );
    let dispatcher = routing["RequirementState"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Requirement"] == "Dispatcher logs")
        .unwrap();
    assert_eq!(dispatcher["Status"], "Missing");

    // The header-only diff-hotspot CSV does not count as present.
    let diff = tel["RequirementState"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Requirement"] == "Diff hotspot CSV")
        .unwrap();
    assert_eq!(diff["Status"], "Unusable");
    assert!(findings_with(tel, "bundle.requirement")
        .iter()
        .any(|f| f["severity"] == "block"
            && f["message"].as_str().unwrap().contains(
                "WarmRunDiffHotspots-20251222-170626.csv has a header but no data rows"
            )));

    // Orphans are warnings, and the known ones are listed.
    let orphans = findings_with(tel, "bundle.orphan");
    assert!(orphans.iter().all(|f| f["severity"] == "warn"));
    assert!(orphans
        .iter()
        .any(|f| f["subject"] == "Telemetry/WarmRunTelemetry-20251222-170626.json"));
    assert_eq!(orphans.len(), 9, "{orphans:#?}");
}

#[test]
fn sample_bundle_names_its_absent_artifacts() {
    let Some(c) = corpus() else { return };
    let (code, v) = verify_corpus(&c.join("Data/Samples/TelemetryBundles/Sample-ReleaseBundle"));
    assert_eq!(code, 1);
    let mut missing: Vec<String> = of_check(&v, "bundle.integrity")
        .iter()
        .filter(|f| f["message"].as_str().unwrap().starts_with("missing"))
        .map(|f| f["subject"].as_str().unwrap().to_string())
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        [
            "Routing/DispatcherLogs/BOYO-Dispatcher.log",
            "Routing/DispatcherLogs/WLLS-Dispatcher.log",
            "Routing/RoutingTelemetry-20250101.json"
        ]
    );
    // `DocSync\DocSyncChecklist.json` (Windows separator) resolves, but it is a stub.
    let tel = area(&v, "Telemetry");
    let docsync = tel["RequirementState"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Requirement"] == "Doc-sync evidence")
        .unwrap();
    assert_eq!(docsync["Status"], "Unusable");
}

fn bundle_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if !p.is_dir() {
                continue;
            }
            if d.file_name().is_some_and(|n| n == "TelemetryBundles") {
                out.push(p);
            } else {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_corpus_bundle_gets_an_explained_verdict() {
    let Some(c) = corpus() else { return };
    let bundles = bundle_dirs(&c);
    assert!(bundles.len() >= 4, "{bundles:?}");
    for b in &bundles {
        let (code, v) = verify_corpus(b);
        assert!(code == 0 || code == 1, "{}: exit {code}", b.display());
        assert_eq!(code == 1, v["verdict"] == "Block", "{}", b.display());
        for f in findings(&v) {
            assert!(!f["message"].as_str().unwrap().is_empty());
            assert!(f["location"]["path"].is_string(), "{f:#}");
        }
        if code == 1 {
            assert!(findings(&v).iter().any(|f| f["severity"] == "block"));
        }
        for a in v["areas"].as_array().unwrap() {
            assert!(
                a["Verdict"].is_string() && !a["RequirementState"].as_array().unwrap().is_empty()
            );
        }
    }
}

#[test]
fn area_folders_and_root_level_manifests_verify_alone() {
    let Some(c) = corpus() else { return };
    // An area folder passed directly holds its manifest at the "bundle" root.
    let (code, v) = verify_corpus(&c.join("Logs/TelemetryBundles/Release-2025-12-23/Telemetry"));
    assert_eq!(code, 1);
    assert_eq!(v["areas"].as_array().unwrap().len(), 1);
    assert_eq!(v["areas"][0]["Area"], "Telemetry");
    // BundleName says Release-2025-12-23, the folder is Telemetry: named.
    assert!(of_check(&v, "bundle.consistency")
        .iter()
        .any(|f| f["subject"] == "Telemetry/BundleName"));
}
