//! `init --profile generic` as a new user meets it: an ordinary project's
//! reports in the profile's folders, published, judged and released.

mod common;

use common::*;

/// Write the reports a clean CI run leaves, `failed` tests failing.
fn reports(ws: &std::path::Path, failed: usize) {
    let put = |rel: &str, text: &str| {
        let p = ws.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let cases: String = (0..4)
        .map(|i| {
            if i < failed {
                format!("<testcase classname=\"t\" name=\"case{i}\"><failure message=\"boom\"/></testcase>")
            } else {
                format!("<testcase classname=\"t\" name=\"case{i}\" time=\"0.1\"/>")
            }
        })
        .collect();
    put(
        "reports/junit/junit.xml",
        &format!("<testsuite name=\"t\" tests=\"4\">{cases}</testsuite>"),
    );
    put(
        "reports/coverage/lcov.info",
        "SF:src/a.rs\nDA:1,1\nDA:2,1\nDA:3,1\nDA:4,1\nDA:5,0\nend_of_record\n",
    );
    put(
        "reports/sarif/lint.sarif",
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"lint"}},"results":[{"ruleId":"r1","message":{"text":"m"}}]}]}"#,
    );
    put(
        "reports/sbom/app.spdx.json",
        r#"{"spdxVersion":"SPDX-2.3","packages":[{"name":"p","versionInfo":"1","licenseConcluded":"MIT"}]}"#,
    );
    put(
        "CHANGELOG.md",
        "# Changelog\n\n## 1.0.0 - 2026-12-01\n\n- First release.\n",
    );
}

#[test]
fn the_generic_profile_publishes_judges_and_releases_an_ordinary_project() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    let w = ws.to_str().unwrap();
    let (code, _, err) = run(&["--workspace", w, "init", "--profile", "generic"]);
    assert_eq!(code, 0, "{err}");
    let policy = std::fs::read_to_string(ws.join("tollgate.toml")).unwrap();
    for word in [
        "StateTrace",
        "TelemetryBundle",
        "Telemetry Bundle",
        "shared_cache = ",
    ] {
        assert!(!policy.contains(word), "the generic policy says {word}");
    }
    reports(ws, 0);
    let (code, out, err) = run(&[
        "--workspace",
        w,
        "bundle",
        "publish",
        "--name",
        "release-1.0.0",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let area = ws.join("evidence/bundles/release-1.0.0/Release");
    assert!(area.join("manifest.json").is_file());
    let readme = std::fs::read_to_string(area.join("README.md")).unwrap();
    assert!(
        readme.starts_with("# Release Evidence - release-1.0.0"),
        "{readme}"
    );
    let (code, v) = run_json(&["--workspace", w, "bundle", "verify", "release-1.0.0"]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("Pass")), "{v:#}");
    let (code, v) = run_json(&["--workspace", w, "gates", "--release", "1.0.0"]);
    assert_eq!(code, 0, "{v:#}");
    let line = v["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "line-coverage")
        .unwrap();
    assert_eq!(line["value"], 80.0);
    let (code, out, _) = run(&["--workspace", w, "verify"]);
    assert_eq!(code, 0, "{out}");
    let (code, r) = run_json(&[
        "--workspace",
        w,
        "release",
        "1.0.0",
        "--bundle",
        "release-1.0.0",
    ]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["decision"]["Decision"], "Ready");
    assert!(
        r["decision"]["Warnings"].as_array().unwrap().is_empty(),
        "{r:#}"
    );

    // A failed test: the gate names it, and the release blocks on it.
    reports(ws, 1);
    std::fs::write(
        ws.join("CHANGELOG.md"),
        "# Changelog\n\n## 1.1.0\n\n- Faster.\n\n## 1.0.0 - 2026-12-01\n\n- First release.\n",
    )
    .unwrap();
    let (code, v) = run_json(&["--workspace", w, "gates", "--release", "1.1.0"]);
    assert_eq!(code, 1, "{v:#}");
    let finding = &v["findings"][0];
    assert_eq!(finding["subject"], "tests-failed");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("counted: t::case0"),
        "{finding:#}"
    );
    assert_eq!(finding["location"]["path"], "reports/junit/junit.xml");
}
