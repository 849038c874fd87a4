//! Verification runs, release decisions, approvals, the ledger and signing,
//! end to end on generated workspaces (SPEC §4, §7).

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A minimal-profile workspace with a published bundle and `steps` as
/// `[[verify.step]]` (name, shell command).
fn workspace(steps: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = minimal_workspace();
    let ws = dir.path();
    let mut policy = std::fs::read_to_string(ws.join("tollgate.toml")).unwrap();
    for (name, cmd) in steps {
        policy.push_str(&format!(
            "\n[[verify.step]]\nname = \"{name}\"\nrun = \"{cmd}\"\ntimeout = \"60s\"\n"
        ));
    }
    std::fs::write(ws.join("tollgate.toml"), policy).unwrap();
    publish_fixture(ws);
    dir
}

fn w(ws: &Path) -> &str {
    ws.to_str().unwrap()
}

fn ledger_kinds(ws: &Path) -> Vec<String> {
    ledger_log(ws)
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

/// Flip one byte of `path`, run `check`, and restore the file.
fn with_flipped_byte(path: &Path, check: impl FnOnce()) {
    let orig = std::fs::read(path).unwrap();
    let mut bad = orig.clone();
    let i = bad.len() / 2;
    bad[i] = if bad[i] == b'x' { b'y' } else { b'x' };
    std::fs::write(path, &bad).unwrap();
    check();
    std::fs::write(path, &orig).unwrap();
}

#[test]
fn verify_release_approve_and_every_kind_of_tampering_is_named() {
    let dir = workspace(&[("hello", "echo hello from the step")]);
    let ws = dir.path();

    // verify writes both summaries, identical, and the transcript.
    let (code, v) = run_json(&["--workspace", w(ws), "verify"]);
    assert_eq!(code, 0, "{v}");
    let s = &v["summary"];
    assert_eq!(s["Status"], "Pass");
    assert_eq!(s["Steps"][0]["ExitCode"], 0);
    let stamped = PathBuf::from(v["summary_path"].as_str().unwrap());
    let latest = ws.join("evidence/verification/VerificationSummary-latest.json");
    assert!(stamped
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("VerificationSummary-20"));
    assert_eq!(
        std::fs::read(&stamped).unwrap(),
        std::fs::read(&latest).unwrap()
    );
    let transcript = ws.join(s["TranscriptPath"].as_str().unwrap());
    assert!(std::fs::read_to_string(transcript)
        .unwrap()
        .contains("hello from the step"));
    assert_eq!(s["Assertions"]["Skipped"], 0);

    // release writes the evidence folder with a manifest of every file.
    let (code, r) = run_json(&["--workspace", w(ws), "release", "1.0.0"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["decision"]["Decision"], "Ready");
    let rel_dir = ws.join("evidence/releases/1.0.0");
    let names: Vec<String> = files_under(&rel_dir)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "VerificationSummary.json",
        "gates.json",
        "bundle-verification.json",
        "decision.json",
        "manifest.json",
    ] {
        assert!(names.contains(&want.to_string()), "{want} in {names:?}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rel_dir.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["Files"].as_array().unwrap().len(), names.len() - 1);

    // A second release of the same version is refused and changes nothing.
    let before = std::fs::read(rel_dir.join("decision.json")).unwrap();
    let (code, _, err) = run(&["--workspace", w(ws), "release", "1.0.0"]);
    assert_eq!(code, 2);
    assert!(err.contains("already recorded"), "{err}");
    assert_eq!(
        before,
        std::fs::read(rel_dir.join("decision.json")).unwrap()
    );

    // approve is recorded; the ledger verifies.
    let (code, _, err) = run(&[
        "--workspace",
        w(ws),
        "approve",
        "1.0.0",
        "--by",
        "Ana",
        "--role",
        "Release Manager",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        ledger_kinds(ws),
        ["publish", "verify", "release", "approval"]
    );
    let (code, st) = run_json(&["--workspace", w(ws), "release", "status", "1.0.0"]);
    assert_eq!(code, 0, "{st}");
    assert_eq!(st["status"]["approvals"][0]["by"], "Ana");
    let (code, out, _) = run(&["--workspace", w(ws), "ledger", "verify"]);
    assert_eq!(code, 0, "{out}");

    // Any single changed row of the ledger is named by its entry.
    let db = ws.join(".tollgate/ledger.db");
    let backup = std::fs::read(&db).unwrap();
    let columns = [
        "time",
        "kind",
        "subject",
        "payload",
        "payload_digest",
        "prev_hash",
        "hash",
    ];
    for seq in 1..=4 {
        for col in columns {
            sqlite(
                &db,
                &format!("UPDATE entries SET {col} = {col} || 'x' WHERE seq = {seq}"),
            );
            let (code, out, err) = run(&["--workspace", w(ws), "ledger", "verify"]);
            assert_eq!(code, 1, "{col} of {seq}: {out}{err}");
            assert!(
                out.contains(&format!("first problem: entry {seq}:")),
                "{col} of {seq}: {out}"
            );
            std::fs::write(&db, &backup).unwrap();
        }
    }
    sqlite(&db, "DELETE FROM entries WHERE seq = 4");
    let (code, out, _) = run(&["--workspace", w(ws), "ledger", "verify"]);
    assert_eq!(code, 1);
    assert!(out.contains("entries were removed"), "{out}");
    std::fs::write(&db, &backup).unwrap();

    // Any changed byte under the release folder is named by ledger verify and release status.
    for file in files_under(&rel_dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        with_flipped_byte(&file, || {
            let (code, out, _) = run(&["--workspace", w(ws), "ledger", "verify"]);
            assert_eq!(code, 1, "{name}: {out}");
            assert!(
                out.contains(&format!("evidence/releases/1.0.0/{name} changed")),
                "{out}"
            );
            let (code, out, _) = run(&["--workspace", w(ws), "release", "status", "1.0.0"]);
            assert_eq!(code, 1, "{name}: {out}");
            assert!(out.contains(&name), "{out}");
        });
    }
    let (code, _, _) = run(&["--workspace", w(ws), "ledger", "verify"]);
    assert_eq!(code, 0);

    // Signing: a changed byte in a signed artifact or in an envelope fails verification.
    for args in [
        &["key", "gen"][..],
        &["release", "sign", "1.0.0"],
        &["bundle", "sign", "B"],
    ] {
        let mut a = vec!["--workspace", w(ws)];
        a.extend_from_slice(args);
        let (code, out, err) = run(&a);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
    }
    let (code, out, _) = run(&["--workspace", w(ws), "release", "status", "1.0.0"]);
    assert_eq!(code, 0, "{out}");
    let envelope = rel_dir.join("manifest.intoto.jsonl");
    with_flipped_byte(&envelope, || {
        let (code, out, _) = run(&["--workspace", w(ws), "release", "status", "1.0.0"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("manifest.intoto.jsonl"), "{out}");
    });
    let area = ws.join("evidence/bundles/B/Build");
    let bundle = ws.join("evidence/bundles/B");
    for name in ["manifest.intoto.jsonl", "a.json"] {
        with_flipped_byte(&area.join(name), || {
            let (code, v) = verify(ws, &bundle);
            assert_eq!(code, 1, "{name}: {v}");
            let sig = of_check(&v, "signature");
            assert!(!sig.is_empty(), "{name}: {v}");
        });
    }
    let (code, v) = verify(ws, &bundle);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn signatures_can_be_required_by_the_policy() {
    let dir = workspace(&[]);
    let ws = dir.path();
    let policy = std::fs::read_to_string(ws.join("tollgate.toml")).unwrap();
    std::fs::write(
        ws.join("tollgate.toml"),
        policy.replace("[signing]\nrequire = false", "[signing]\nrequire = true"),
    )
    .unwrap();
    let bundle = ws.join("evidence/bundles/B");
    let (code, v) = verify(ws, &bundle);
    assert_eq!(code, 1);
    assert!(of_check(&v, "signature")[0]["message"]
        .as_str()
        .unwrap()
        .contains("signing.require"));
    run(&["--workspace", w(ws), "key", "gen"]);
    run(&["--workspace", w(ws), "bundle", "sign", "B"]);
    let (code, v) = verify(ws, &bundle);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_failing_step_fails_the_run_with_its_exit_code_and_transcript() {
    let dir = workspace(&[("ok", "true"), ("broken", "echo boom >&2; exit 3")]);
    let ws = dir.path();
    let (code, v) = run_json(&["--workspace", w(ws), "verify"]);
    assert_eq!(code, 1);
    let s = &v["summary"];
    assert_eq!(s["Status"], "Fail");
    assert_eq!(s["Steps"][1]["ExitCode"], 3);
    assert_eq!(s["Steps"][1]["Status"], "Fail");
    let transcript = ws.join(s["TranscriptPath"].as_str().unwrap());
    assert!(std::fs::read_to_string(&transcript)
        .unwrap()
        .contains("boom"));
    let f = &findings_with(s, "verify.step")[0];
    assert_eq!(f["location"]["path"], s["TranscriptPath"]);
    // A release after a failed run is Blocked, and approving it needs --override.
    let (code, r) = run_json(&["--workspace", w(ws), "release", "0.9.0"]);
    assert_eq!(code, 1);
    assert_eq!(r["decision"]["Decision"], "Blocked");
    let approve = |extra: &[&str]| {
        let mut a = vec![
            "--workspace",
            w(ws),
            "approve",
            "0.9.0",
            "--by",
            "Bo",
            "--role",
            "QA",
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let (code, _, err) = approve(&[]);
    assert_eq!(code, 2);
    assert!(err.contains("--override"), "{err}");
    let (code, _, err) = approve(&["--override", "hotfix"]);
    assert_eq!(code, 0, "{err}");
    let (_, st) = run_json(&["--workspace", w(ws), "release", "status", "0.9.0"]);
    assert_eq!(st["status"]["approvals"][0]["override_reason"], "hotfix");
    assert_eq!(st["status"]["shippable"], true);
}

#[test]
fn a_failed_run_does_not_fail_the_runs_after_it() {
    let dir = workspace(&[("guard", "test ! -e broken")]);
    let ws = dir.path();
    let mut policy = std::fs::read_to_string(ws.join("tollgate.toml")).unwrap();
    policy.push_str(
        "\n[[gate]]\nid = \"runs-pass\"\nplan = \"G\"\ndescription = \"Newest run passed\"\nsource = \"verification\"\nselect = \"Status\"\naggregate = \"value\"\nop = \"==\"\nthreshold = \"Pass\"\n",
    );
    std::fs::write(ws.join("tollgate.toml"), policy).unwrap();
    std::fs::write(ws.join("broken"), "").unwrap();
    let (code, v) = run_json(&["--workspace", w(ws), "verify"]);
    assert_eq!((code, v["summary"]["Status"].as_str()), (1, Some("Fail")));
    let (code, g) = run_json(&["--workspace", w(ws), "gates", "--only", "runs-pass"]);
    assert_eq!(
        (code, g["gates"][0]["status"].as_str()),
        (1, Some("Fail")),
        "{g}"
    );
    // Fixed: the next run passes. It does not judge itself by the failed run
    // before it; `gates` then judges the newest run, even within one second.
    std::fs::remove_file(ws.join("broken")).unwrap();
    let (code, v) = run_json(&["--workspace", w(ws), "verify"]);
    assert_eq!(code, 0, "{v}");
    let judged: Vec<&str> = v["summary"]["Gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["id"].as_str())
        .collect();
    assert!(!judged.contains(&"runs-pass"), "{judged:?}");
    let (code, g) = run_json(&["--workspace", w(ws), "gates", "--only", "runs-pass"]);
    assert_eq!(
        (code, g["gates"][0]["status"].as_str()),
        (0, Some("Pass")),
        "{g}"
    );
}

#[test]
fn skipped_assertions_fail_when_the_policy_demands_zero() {
    // No bundle published: the bundle assertion is skipped; one step passes
    // (a run that checked nothing would fail on that alone).
    let dir = minimal_workspace();
    let ws = dir.path();
    let mut policy = std::fs::read_to_string(ws.join("tollgate.toml")).unwrap();
    policy.push_str("\n[[verify.step]]\nname = \"ok\"\nrun = \"true\"\n");
    std::fs::write(ws.join("tollgate.toml"), policy).unwrap();
    let (code, v) = run_json(&["--workspace", w(ws), "verify"]);
    assert_eq!(code, 1, "minimal sets require_zero_skipped = true: {v}");
    assert_eq!(v["summary"]["Assertions"]["Skipped"], 1);
    assert!(!findings_with(&v["summary"], "verify.skipped").is_empty());
    let policy = std::fs::read_to_string(ws.join("tollgate.toml")).unwrap();
    std::fs::write(
        ws.join("tollgate.toml"),
        policy.replace(
            "require_zero_skipped = true",
            "require_zero_skipped = false",
        ),
    )
    .unwrap();
    let (code, v) = run_json(&["--workspace", w(ws), "verify"]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["Status"], "Warn");
}

#[test]
fn two_scheduled_runs_started_together_run_once() {
    let dir = workspace(&[("slow", "sleep 2")]);
    let ws = dir.path();
    let start = || {
        tollgate()
            .args(["--workspace", w(ws), "verify", "--scheduled"])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(start);
        let b = s.spawn(start);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert!(a.status.success() && b.status.success());
    let outs = [
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&b.stdout),
    ];
    assert_eq!(
        outs.iter()
            .filter(|o| o.contains("another verification is running"))
            .count(),
        1,
        "{outs:?}"
    );
    assert_eq!(
        ledger_kinds(ws).iter().filter(|k| *k == "verify").count(),
        1
    );
}

#[test]
fn versions_must_be_plain_folder_names() {
    let dir = workspace(&[]);
    for bad in ["../x", "a/b", ".hidden", ""] {
        let (code, _, err) = run(&["--workspace", w(dir.path()), "release", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
    }
}

#[test]
fn schedule_prints_and_installs_units_and_rejects_bad_expressions() {
    let dir = workspace(&[]);
    let ws = dir.path();
    let (code, v) = run_json(&["--workspace", w(ws), "schedule", "print", "--at", "03:00"]);
    assert_eq!(code, 0);
    assert!(v["crontab"].as_str().unwrap().starts_with("0 3 * * * cd "));
    assert!(v["timer"]
        .as_str()
        .unwrap()
        .contains("OnCalendar=*-*-* 03:00:00"));
    assert!(v["service"]
        .as_str()
        .unwrap()
        .contains("verify --scheduled"));
    let (code, _, err) = run(&[
        "--workspace",
        w(ws),
        "schedule",
        "print",
        "--cron",
        "61 3 * * *",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("61 3 * * *"), "{err}");
    let units = ws.join("units");
    let (code, v) = run_json(&[
        "--workspace",
        w(ws),
        "schedule",
        "install",
        "--cron",
        "30 2 * * 1-5",
        "--unit-dir",
        units.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    let timer = files_under(&units)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "timer"))
        .unwrap();
    assert!(std::fs::read_to_string(timer)
        .unwrap()
        .contains("OnCalendar=Mon..Fri *-*-* 02:30:00"));
}

#[test]
fn a_project_without_a_shared_cache_folder_is_not_told_it_lacks_one() {
    let dir = minimal_workspace();
    let ws = dir.path().to_str().unwrap();
    let (_, v) = run_json(&["--workspace", ws, "release", "0.1.0"]);
    let all = v["decision"]["Blocking"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["decision"]["Warnings"].as_array().unwrap());
    let checks: Vec<&str> = all.map(|f| f["check"].as_str().unwrap()).collect();
    assert!(!checks.is_empty(), "{v}");
    assert!(!checks.contains(&"release.shared-cache"), "{checks:?}");
    assert!(
        v["decision"]["Inputs"].get("SharedCacheSummary").is_none(),
        "{v}"
    );
}
