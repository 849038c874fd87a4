//! The hardening issue's attacks (issue 15), each performed against the
//! real binary on a demo workspace and bounded by a timeout: special files
//! where files are expected, a stuck verification lock, a policy that is not
//! a file, the read limit, a closed pipe, control characters in names.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// What can stand where a file is expected.
#[derive(Clone, Copy, Debug)]
enum Special {
    Fifo,
    DevZero,
    Loop,
    Dir,
}

const ALL: [Special; 4] = [Special::Fifo, Special::DevZero, Special::Loop, Special::Dir];

/// Replace `path` by `kind`.
fn plant(path: &Path, kind: Special) {
    if path.is_dir() {
        std::fs::remove_dir_all(path).unwrap();
    } else {
        let _ = std::fs::remove_file(path);
    }
    match kind {
        Special::Fifo => {
            let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
            // SAFETY: mkfifo(3) with a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        }
        Special::DevZero => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
        Special::Loop => std::os::unix::fs::symlink(path, path).unwrap(),
        Special::Dir => std::fs::create_dir(path).unwrap(),
    }
}

fn w(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn special_files_where_files_are_expected_never_hang_and_are_named() {
    for kind in ALL {
        let (_d, ws) = demo_workspace();
        let (root, area) = demo_bundle(&ws);
        plant(&area.join("QueueDelayHistory.csv"), kind);
        let (code, out, err) =
            run_within(30, &["--workspace", w(&ws), "bundle", "verify", w(&root)]);
        assert_eq!(code, 1, "{kind:?}: {out}{err}");
        assert!(out.contains("QueueDelayHistory.csv"), "{kind:?}: {out}");
        let (code, out, err) = run_within(30, &["--workspace", w(&ws), "verify"]);
        assert_eq!(code, 1, "{kind:?}: verify: {out}{err}");

        let (_d, ws) = demo_workspace();
        let (code, _, err) = run(&["--workspace", w(&ws), "key", "gen"]);
        assert_eq!(code, 0, "{err}");
        let (root, area) = demo_bundle(&ws);
        let (code, _, err) = run(&["--workspace", w(&ws), "bundle", "sign", w(&root)]);
        assert_eq!(code, 0, "{err}");
        plant(&area.join("QueueDelayHistory.csv"), kind);
        let (code, out, err) =
            run_within(30, &["--workspace", w(&ws), "bundle", "verify", w(&root)]);
        assert_eq!(code, 1, "{kind:?} in a signed bundle: {out}{err}");
        assert!(out.contains("QueueDelayHistory.csv"), "{kind:?}: {out}");

        let (_d, ws) = demo_workspace();
        plant(&ws.join("docs/StateTrace_TaskBoard.md"), kind);
        let (code, out, err) = run_within(30, &["--workspace", w(&ws), "docs", "check"]);
        assert_eq!(code, 1, "{kind:?}: docs check: {out}{err}");
        assert!(
            out.contains("docs.missing") && out.contains("StateTrace_TaskBoard.md"),
            "{kind:?}: {out}"
        );
        let page = ws.join("page");
        let (code, _, err) =
            run_within(30, &["--workspace", w(&ws), "dashboard", "--out", w(&page)]);
        assert!(code <= 1, "{kind:?}: dashboard: {err}");
        let html = std::fs::read_to_string(page.join("index.html")).unwrap();
        assert!(
            html.contains("StateTrace_TaskBoard.md"),
            "{kind:?}: the page names the board"
        );

        let (_d, ws) = demo_workspace();
        let version = demo_release(&ws);
        plant(
            &ws.join("Logs/ReleaseEvidence")
                .join(&version)
                .join("gates.json"),
            kind,
        );
        let (code, out, err) =
            run_within(30, &["--workspace", w(&ws), "release", "status", &version]);
        assert_eq!(code, 1, "{kind:?}: release status: {out}{err}");
        assert!(out.contains("gates.json"), "{kind:?}: {out}");
        let (code, out, err) = run_within(
            30,
            &[
                "--workspace",
                w(&ws),
                "approve",
                &version,
                "--by",
                "qa",
                "--role",
                "QA",
            ],
        );
        assert_ne!(
            code, 0,
            "{kind:?}: approve over a broken release: {out}{err}"
        );

        let (_d, ws) = demo_workspace();
        plant(&ws.join(".tollgate/ledger-head.json"), kind);
        let (code, out, err) = run_within(30, &["--workspace", w(&ws), "ledger", "verify"]);
        assert_eq!(code, 1, "{kind:?}: ledger verify: {out}{err}");
        assert!(out.contains("ledger-head.json"), "{kind:?}: {out}");
    }
}

#[test]
fn an_orphan_special_file_in_an_area_is_reported() {
    for kind in [Special::Fifo, Special::DevZero, Special::Loop] {
        let (_d, ws) = demo_workspace();
        let (root, area) = demo_bundle(&ws);
        plant(&area.join("orphan.csv"), kind);
        let (code, out, err) =
            run_within(30, &["--workspace", w(&ws), "bundle", "verify", w(&root)]);
        assert_ne!(code, 0, "{kind:?}: {out}{err}");
        assert!(out.contains("orphan.csv"), "{kind:?}: {out}");
    }
}

#[test]
fn a_policy_file_that_is_not_a_regular_file_is_an_error_not_the_builtin_profile() {
    for kind in ALL {
        let (_d, ws) = demo_workspace();
        plant(&ws.join("tollgate.toml"), kind);
        let (code, out, err) = run_within(30, &["--workspace", w(&ws), "gates"]);
        assert_eq!(code, 2, "{kind:?}: {out}{err}");
        assert!(err.contains("tollgate.toml"), "{kind:?}: {err}");
    }
}

#[test]
fn documents_over_the_policy_read_limit_are_refused_by_name() {
    let (_d, ws) = demo_workspace();
    let policy = ws.join("tollgate.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(
        text.contains("max_read_bytes = 67108864"),
        "the profile states its limit"
    );
    std::fs::write(
        &policy,
        text.replace("max_read_bytes = 67108864", "max_read_bytes = 1000"),
    )
    .unwrap();
    let (code, out, err) = run_within(30, &["--workspace", w(&ws), "docs", "check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("StateTrace_TaskBoard.md")
            && out.contains("over the read limit of 1000 bytes"),
        "{out}"
    );
    std::fs::write(
        &policy,
        text.replace("max_read_bytes = 67108864", "max_read_bytes = 0"),
    )
    .unwrap();
    let (code, _, err) = run(&["--workspace", w(&ws), "gates"]);
    assert_eq!(code, 2);
    assert!(err.contains("limits.max_read_bytes"), "{err}");
}

/// Write `holder` into the demo's verify lock.
fn write_lock(ws: &Path, pid: u32, host: &str, started_at: &str) -> std::path::PathBuf {
    let lock = ws.join(".tollgate/verify.lock");
    std::fs::write(
        &lock,
        format!(r#"{{"pid":{pid},"host":"{host}","started_at":"{started_at}"}}"#),
    )
    .unwrap();
    lock
}

#[test]
fn a_lock_whose_holder_died_is_taken_over_and_recorded() {
    let (_d, ws) = demo_workspace();
    write_lock(&ws, 999_999_999, "ci-gone", "2026-01-01T00:00:00Z");
    let (_, v) = run_json(&["--workspace", w(&ws), "verify", "--scheduled"]);
    let took = findings_with(&v["summary"], "verify.lock")
        .pop()
        .unwrap_or_else(|| panic!("no verify.lock finding: {v}"));
    assert!(
        took["message"]
            .as_str()
            .unwrap()
            .contains("pid 999999999 on ci-gone"),
        "{took}"
    );
}

#[test]
fn a_lock_held_past_max_duration_fails_the_scheduled_run_naming_its_holder() {
    let (_d, ws) = demo_workspace();
    let lock = write_lock(&ws, 4242, "ci-old", "2026-01-01T00:00:00Z");
    // This process holds the lock, as a hung run would.
    let held = std::fs::OpenOptions::new().write(true).open(&lock).unwrap();
    held.try_lock().unwrap();
    let (code, out, err) = run_within(30, &["--workspace", w(&ws), "verify", "--scheduled"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("pid 4242 on ci-old") && err.contains("verify.max_duration (2h)"),
        "{err}"
    );
    // A holder inside max_duration is a run in progress: skip, exit 0.
    let now = chrono::Utc::now().to_rfc3339();
    std::fs::write(
        &lock,
        format!(r#"{{"pid":4243,"host":"ci-now","started_at":"{now}"}}"#),
    )
    .unwrap();
    let (code, out, _) = run_within(30, &["--workspace", w(&ws), "verify", "--scheduled"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("another verification is running (pid 4243 on ci-now"),
        "{out}"
    );
    drop(held);
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let (_d, ws) = demo_workspace();
    for args in [
        vec!["gates"],
        vec!["gates", "--json"],
        vec!["ledger", "log"],
        vec!["docs", "check"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = tollgate()
            .args(["--workspace", w(&ws)])
            .args(&args)
            .stdout(writer)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(13),
            "{args:?}: ended by SIGPIPE, as Unix tools end"
        );
    }
}

#[test]
fn an_empty_checklist_and_a_run_that_asserts_nothing_never_pass() {
    let (_d, ws) = demo_workspace();
    std::fs::write(
        ws.join("docs/Release.md"),
        "# Release checklist\n\nTo be written.\n",
    )
    .unwrap();
    let (code, out, err) = run_within(30, &["--workspace", w(&ws), "docs", "checklist"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("checklist.empty") && out.contains("Release.md"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["--workspace", w(dir.path()), "init", "--profile", "minimal"]);
    assert_eq!(code, 0, "{err}");
    let policy = dir.path().join("tollgate.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text.replace(
            "require_zero_skipped = true",
            "require_zero_skipped = false",
        ),
    )
    .unwrap();
    let (code, v) = run_json(&["--workspace", w(dir.path()), "verify"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["summary"]["Status"], "Fail");
    assert!(
        !findings_with(&v["summary"], "verify.nothing-checked").is_empty(),
        "{v}"
    );
}

#[test]
fn control_characters_in_names_and_notes_are_shown_escaped() {
    let (_d, ws) = demo_workspace();
    // Bare-name approvals, as without an [approvals] policy.
    drop_demo_approvals(&ws);
    let version = demo_release(&ws);
    let forged = "mallory\n  #99 2026-01-01T00:00:00Z by CISO (Release)";
    let (code, _, err) = run(&[
        "--workspace",
        w(&ws),
        "approve",
        &version,
        "--by",
        forged,
        "--role",
        "QA",
        "--note",
        "\u{1b}[32mall green\u{1b}[0m",
        "--override",
        "demo release, accepted for the test",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(&["--workspace", w(&ws), "release", "status", &version]);
    assert!(!out.contains('\u{1b}'), "raw ANSI escape printed: {out:?}");
    assert!(
        !out.lines().any(|l| l.trim_start().starts_with("#99")),
        "a forged approval line was printed: {out}"
    );
    assert!(out.contains(r"mallory\n  #99"), "{out}");
    assert!(out.contains(r"\u{1b}[32mall green"), "{out}");
}

#[test]
fn publish_takes_only_files_inside_the_workspace_and_never_keys() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let (code, v) = run_json(&["--workspace", w(ws), "key", "gen"]);
    assert_eq!(code, 0, "{v}");
    let secret = PathBuf::from(v["secret_key"].as_str().unwrap());
    assert!(
        !secret.starts_with(ws),
        "the secret key is kept outside the workspace"
    );
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.csv"), "a,b\n1,2\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.csv"), ws.join("src/link.csv")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", ws.join("src/env.txt")).unwrap();
    for (add, allow, why) in [
        (secret, true, "never published"),
        (
            ws.join(".tollgate/keys/tollgate.pub"),
            true,
            "never published",
        ),
        (
            PathBuf::from("/etc/hostname"),
            false,
            "outside the workspace",
        ),
        (outside.path().join("x.csv"), false, "outside the workspace"),
        (ws.join("src/link.csv"), false, "outside the workspace"),
        (ws.join("src/env.txt"), true, "pseudo-file"),
        (PathBuf::from("/proc/self/environ"), true, "pseudo-file"),
    ] {
        let extra: &[&str] = if allow { &["--allow-outside"] } else { &[] };
        let (code, out, err) = publish(ws, "X", None, std::slice::from_ref(&add), extra);
        assert_eq!(code, 2, "{}: {out}{err}", add.display());
        assert!(err.contains(why), "{}: {err}", add.display());
        assert!(!ws.join("evidence/bundles/X").exists(), "nothing published");
    }
    let (code, out, err) = publish(
        ws,
        "Y",
        None,
        &[outside.path().join("x.csv")],
        &["--allow-outside"],
    );
    assert_eq!(
        code, 0,
        "--allow-outside takes a plain outside file: {out}{err}"
    );
}

fn ledger_subjects(ws: &Path, kind: &str) -> Vec<String> {
    ledger_log(ws)
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["subject"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn of_eight_concurrent_publishes_of_one_name_exactly_one_wins() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let args = publish_args(ws, "SameN", None, &[ws.join("src/*")], &[]);
    let outs: Vec<std::process::Output> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| tollgate().args(&args).output().unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let codes: Vec<i32> = outs.iter().map(|o| o.status.code().unwrap_or(-1)).collect();
    assert_eq!(codes.iter().filter(|&&c| c == 0).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 2).count(), 7, "{codes:?}");
    for o in outs.iter().filter(|o| o.status.code() == Some(2)) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("already has area") && err.contains("ledger entry"),
            "{err}"
        );
    }
    assert!(
        !ws.join("evidence/bundles/SameN/.superseded").exists(),
        "nothing superseded"
    );
    assert_eq!(ledger_subjects(ws, "publish").len(), 1);
}

#[test]
fn a_publish_killed_before_its_ledger_entry_is_recorded_by_the_rerun() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let args = publish_args(ws, "K", None, &[ws.join("src/*")], &[]);
    let out = tollgate()
        .args(&args)
        .env("TOLLGATE_FAULT", "publish.before-ledger")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(9), "the fault point killed it");
    let area = ws.join("evidence/bundles/K/Build");
    let area = if area.exists() {
        area
    } else {
        ws.join("evidence/bundles/K")
    };
    assert!(
        area.exists(),
        "the bundle was renamed into place before the kill"
    );
    assert!(ledger_subjects(ws, "publish").is_empty());
    let (code, out, err) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("unrecorded") || err.contains("unrecorded"),
        "{out}{err}"
    );
    assert_eq!(ledger_subjects(ws, "publish").len(), 1);
    // Now recorded: a third run is refused, naming the recorded publish.
    let (code, _, err) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 2);
    assert!(err.contains("ledger entry"), "{err}");
}

#[test]
fn of_eight_concurrent_identical_approvals_one_is_recorded_whatever_the_case_or_spaces() {
    let (_d, ws) = demo_workspace();
    // Bare-name approvals, as without an [approvals] policy.
    drop_demo_approvals(&ws);
    let version = demo_release(&ws);
    let names = [
        "qa-lead", "QA-Lead", " qa-lead", "qa-lead ", "Qa-lead", "qa-LEAD", "QA-LEAD ", "qa-lead",
    ];
    let outs: Vec<std::process::Output> = std::thread::scope(|s| {
        let handles: Vec<_> = names
            .iter()
            .map(|n| {
                let ws = &ws;
                let version = &version;
                s.spawn(move || {
                    tollgate()
                        .args([
                            "--workspace",
                            w(ws),
                            "approve",
                            version,
                            "--by",
                            n,
                            "--role",
                            "QA",
                        ])
                        .args(["--override", "accepted for the concurrency test"])
                        .output()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        outs.iter()
            .map(|o| String::from_utf8_lossy(&o.stderr))
            .collect::<Vec<_>>()
    );
    for o in outs.iter().filter(|o| !o.status.success()) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("has already approved"), "{err}");
    }
    let before = ledger_subjects(&ws, "approval").len();
    let (code, _, err) = run(&[
        "--workspace",
        w(&ws),
        "approve",
        &version,
        "--by",
        "qa-lead",
        "--role",
        " qa ",
        "--override",
        "accepted for the concurrency test",
    ]);
    assert_eq!(code, 2, "the role is normalised too: {err}");
    assert_eq!(ledger_subjects(&ws, "approval").len(), before);
}

#[test]
fn a_verify_killed_before_its_ledger_entry_leaves_no_run_and_its_transcript_goes() {
    let (_d, ws) = demo_workspace();
    let dir = ws.join("Logs/Verification");
    let names = || -> std::collections::HashSet<String> {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let before = names();
    let out = tollgate()
        .args(["--workspace", w(&ws), "verify"])
        .env("TOLLGATE_FAULT", "verify.before-ledger")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(9), "the fault point killed it");
    let new: Vec<String> = names().difference(&before).cloned().collect();
    let newest = |prefix: &str| {
        let found: Vec<&String> = new.iter().filter(|n| n.starts_with(prefix)).collect();
        assert_eq!(found.len(), 1, "{new:?}");
        found[0].clone()
    };
    let orphan_summary = newest("VerificationSummary-");
    let orphan_transcript = newest("VerificationTranscript-");
    // The gates judge only recorded runs: the orphan is not the newest run.
    let (_, g) = run_json(&["--workspace", w(&ws), "gates"]);
    let read: Vec<String> = g["gates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["files"].as_array().cloned().unwrap_or_default())
        .map(|f| f.as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        !read.iter().any(|f| f.contains(&orphan_summary)),
        "{read:?}"
    );
    let (code, out, _) = run(&["--workspace", w(&ws), "ledger", "verify"]);
    assert_eq!(code, 0, "an unrecorded summary warns: {out}");
    assert!(
        out.contains("ledger.unrecorded-run") || out.contains(&orphan_summary),
        "{out}"
    );
    let (_, v) = run_json(&["--workspace", w(&ws), "ledger", "verify"]);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"] == "ledger.unrecorded-run"
                && f["subject"].as_str().unwrap().ends_with(&orphan_summary)),
        "{v}"
    );
    // The next run removes the orphan transcript (and says so).
    let (_, v) = run_json(&["--workspace", w(&ws), "verify"]);
    assert!(!dir.join(&orphan_transcript).exists());
    assert!(
        !findings_with(&v["summary"], "verify.orphan-transcript").is_empty(),
        "{v}"
    );
}

#[test]
fn a_broken_chain_is_never_trusted_shippable_or_appended_to() {
    let (_d, ws) = demo_workspace();
    // Bare-name approvals, as without an [approvals] policy.
    drop_demo_approvals(&ws);
    let version = demo_release(&ws);
    let approve = |by: &str| {
        run(&[
            "--workspace",
            w(&ws),
            "approve",
            &version,
            "--by",
            by,
            "--role",
            "QA",
            "--override",
            "accepted for the tamper test",
        ])
    };
    let (code, _, err) = approve("qa-lead");
    assert_eq!(code, 0, "{err}");
    sqlite(
        &ws.join(".tollgate/ledger.db"),
        "UPDATE entries SET payload = replace(payload, 'qa-lead', 'ciso') WHERE kind = 'approval' AND payload LIKE '%qa-lead%'",
    );
    let (code, v) = run_json(&["--workspace", w(&ws), "release", "status", &version]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["status"]["shippable"], false, "{v}");
    let approvers = v["status"]["approvals"].to_string();
    assert!(
        !approvers.contains("ciso"),
        "the forged approver is not listed: {approvers}"
    );
    assert!(v.to_string().contains("release.ledger"), "{v}");
    let before = std::fs::read(ws.join(".tollgate/ledger-head.json")).unwrap();
    let (code, _, err) = approve("someone-else");
    assert_eq!(code, 2, "no append onto a broken chain: {err}");
    assert!(err.contains("ledger"), "{err}");
    let (code, _, err) = run(&["--workspace", w(&ws), "release", "9.9.9"]);
    assert_eq!(code, 2, "{err}");
    assert!(!ws.join("Logs/ReleaseEvidence/9.9.9").exists());
    assert_eq!(
        std::fs::read(ws.join(".tollgate/ledger-head.json")).unwrap(),
        before,
        "head untouched"
    );

    // A corrupt head: approve refuses and leaves it as it is.
    let (_d, ws) = demo_workspace();
    let head = ws.join(".tollgate/ledger-head.json");
    std::fs::write(&head, "{not json").unwrap();
    let (code, _, err) = run(&[
        "--workspace",
        w(&ws),
        "approve",
        &version,
        "--by",
        "qa",
        "--role",
        "QA",
        "--override",
        "accepted for the tamper test",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_to_string(&head).unwrap(), "{not json");
}

/// A demo workspace with a signing key and one committed checkpoint.
fn checkpointed_demo() -> (tempfile::TempDir, PathBuf) {
    let (d, ws) = demo_workspace();
    let (code, _, err) = run(&["--workspace", w(&ws), "key", "gen"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["--workspace", w(&ws), "ledger", "checkpoint"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(ws
        .join("docs/governance/ledger-checkpoints.jsonl")
        .is_file());
    let (code, out, _) = run(&["--workspace", w(&ws), "ledger", "verify"]);
    assert_eq!(code, 0, "a fresh checkpoint verifies: {out}");
    (d, ws)
}

fn checkpoint_problems(ws: &Path) -> (i32, Vec<String>) {
    let (code, v) = run_json(&["--workspace", w(ws), "ledger", "verify"]);
    let msgs = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "ledger.checkpoint" && f["severity"] == "block")
        .map(|f| {
            format!(
                "{}:{} {}",
                f["location"]["path"].as_str().unwrap_or_default(),
                f["location"]["line"],
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    (code, msgs)
}

#[test]
fn a_rebuilt_chain_is_caught_by_a_committed_checkpoint() {
    let (_a, ws) = checkpointed_demo();
    // Another workspace's ledger is a self-consistent chain of the same
    // shape: swapping it in is a rebuilt history.
    let (_b, other) = demo_workspace();
    for f in ["ledger.db", "ledger-head.json"] {
        std::fs::copy(
            other.join(".tollgate").join(f),
            ws.join(".tollgate").join(f),
        )
        .unwrap();
    }
    let (code, problems) = checkpoint_problems(&ws);
    assert_eq!(code, 1);
    assert!(
        problems.iter().any(
            |p| p.starts_with("docs/governance/ledger-checkpoints.jsonl:1 ")
                && p.contains("the chain was rewritten")
        ),
        "{problems:?}"
    );
    let version = demo_release(&ws);
    let (code, v) = run_json(&["--workspace", w(&ws), "release", "status", &version]);
    assert_eq!(
        (code, &v["status"]["shippable"]),
        (1, &serde_json::json!(false)),
        "{v}"
    );
}

#[test]
fn truncation_with_a_rewritten_or_deleted_head_is_caught_by_a_checkpoint() {
    let (_a, ws) = checkpointed_demo();
    let (_, log) = run_json(&["--workspace", w(&ws), "ledger", "log"]);
    let entries = log.as_array().unwrap();
    let keep = &entries[entries.len() - 3];
    let seq = keep["seq"].as_i64().unwrap();
    sqlite(
        &ws.join(".tollgate/ledger.db"),
        &format!("DELETE FROM entries WHERE seq > {seq}"),
    );
    std::fs::write(
        ws.join(".tollgate/ledger-head.json"),
        serde_json::json!({ "seq": seq, "hash": keep["hash"] }).to_string(),
    )
    .unwrap();
    let (code, problems) = checkpoint_problems(&ws);
    assert_eq!(code, 1);
    assert!(
        problems.iter().any(|p| p.contains(&format!(
            "the chain ends at entry {seq}, shorter than this checkpoint"
        ))),
        "{problems:?}"
    );
    std::fs::remove_file(ws.join(".tollgate/ledger-head.json")).unwrap();
    let (_, problems) = checkpoint_problems(&ws);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("head file is missing while checkpoints exist")),
        "{problems:?}"
    );
    // Nothing is appended to it, nor checkpointed.
    let (code, _, err) = run(&["--workspace", w(&ws), "ledger", "checkpoint"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_forged_checkpoint_line_does_not_verify() {
    let (_a, ws) = checkpointed_demo();
    let path = ws.join("docs/governance/ledger-checkpoints.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut c: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    c["time"] = "2020-01-01T00:00:00Z".into();
    std::fs::write(&path, format!("{text}{c}\n")).unwrap();
    let (code, problems) = checkpoint_problems(&ws);
    assert_eq!(code, 1);
    assert!(
        problems
            .iter()
            .any(|p| p.contains(":2 ") && p.contains("signature does not verify")),
        "{problems:?}"
    );
}

#[test]
fn verify_and_release_checkpoint_automatically_when_the_policy_says_so() {
    let (_d, ws) = demo_workspace();
    let (code, _, err) = run(&["--workspace", w(&ws), "key", "gen"]);
    assert_eq!(code, 0, "{err}");
    let policy = ws.join("tollgate.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(text.contains("auto_checkpoint = false"));
    std::fs::write(
        &policy,
        text.replace("auto_checkpoint = false", "auto_checkpoint = true"),
    )
    .unwrap();
    let lines = || {
        std::fs::read_to_string(ws.join("docs/governance/ledger-checkpoints.jsonl"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    run(&["--workspace", w(&ws), "verify"]);
    assert_eq!(lines(), 1);
    run(&["--workspace", w(&ws), "release", "9.9.9"]);
    assert_eq!(lines(), 2);
    let (code, out, _) = run(&["--workspace", w(&ws), "ledger", "verify"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_deleted_envelope_of_a_signed_bundle_or_release_blocks() {
    let (_d, ws) = demo_workspace();
    let (code, _, err) = run(&["--workspace", w(&ws), "key", "gen"]);
    assert_eq!(code, 0, "{err}");
    let (root, area) = demo_bundle(&ws);
    let (code, _, err) = run(&["--workspace", w(&ws), "bundle", "sign", w(&root)]);
    assert_eq!(code, 0, "{err}");
    let envelope = std::fs::read_dir(&area)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_string_lossy().ends_with(".dsse.json") || p.to_string_lossy().contains("intoto")
        })
        .expect("an envelope beside the manifest");
    std::fs::remove_file(&envelope).unwrap();
    let (code, out, _) = run_within(30, &["--workspace", w(&ws), "bundle", "verify", w(&root)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the ledger records that this was signed"),
        "{out}"
    );

    let version = demo_release(&ws);
    let (code, _, err) = run(&["--workspace", w(&ws), "release", "sign", &version]);
    assert_eq!(code, 0, "{err}");
    let dir = ws.join("Logs/ReleaseEvidence").join(&version);
    let envelope = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            !p.to_string_lossy().ends_with("manifest.json")
                && p.to_string_lossy().contains("manifest")
        })
        .expect("the release envelope");
    std::fs::remove_file(&envelope).unwrap();
    let (code, out, _) = run(&["--workspace", w(&ws), "release", "status", &version]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the ledger records that this was signed"),
        "{out}"
    );
}

#[test]
fn release_status_names_symlinks_subfolders_and_special_files_in_a_release() {
    let (_d, ws) = demo_workspace();
    let version = demo_release(&ws);
    let dir = ws.join("Logs/ReleaseEvidence").join(&version);
    // Same bytes, but through a symlink: the hashes still match.
    let copy = ws.join("gates-copy.json");
    std::fs::copy(dir.join("gates.json"), &copy).unwrap();
    std::fs::remove_file(dir.join("gates.json")).unwrap();
    std::os::unix::fs::symlink(&copy, dir.join("gates.json")).unwrap();
    std::fs::create_dir(dir.join("extra")).unwrap();
    std::fs::write(dir.join("extra/notes.txt"), "slipped in").unwrap();
    plant(&dir.join("pipe"), Special::Fifo);
    let (code, out, err) = run_within(30, &["--workspace", w(&ws), "release", "status", &version]);
    assert_eq!(code, 1, "{out}{err}");
    for needle in [
        "gates.json is a symlink",
        "extra/notes.txt is not listed in manifest.json",
        "pipe is a FIFO, not a regular file",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
}

#[test]
fn bundle_list_shows_tollgates_newest_verdict_and_marks_another_tools() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let b = publish_fixture(ws);
    // StateTrace's readiness script left a passing summary (no ToolVersion).
    std::fs::write(
        b.join("VerificationSummary.json"),
        r#"[{"Area": "Build", "RequirementState": [{"Requirement": "README", "Status": "Present"}]}]"#,
    )
    .unwrap();
    let (_, list) = run_json(&["--workspace", w(ws), "bundle", "list"]);
    assert_eq!(list[0]["summary_by_tollgate"], false, "{list}");
    let (_, out, _) = run(&["--workspace", w(ws), "bundle", "list"]);
    assert!(out.contains("by another tool"), "{out}");
    // tollgate's own verification now blocks: the list must say so.
    std::fs::write(
        ws.join("evidence/bundles/B/Build/a.json"),
        "{\"Value\": 2}\n",
    )
    .unwrap();
    let (code, _, _) = run(&["--workspace", w(ws), "bundle", "verify", "B"]);
    assert_eq!(code, 1);
    let (_, list) = run_json(&["--workspace", w(ws), "bundle", "list"]);
    assert_eq!(list[0]["last_verdict"], "Block", "{list}");
    assert_eq!(list[0]["summary_by_tollgate"], true, "{list}");
}

#[test]
fn the_redaction_scan_reads_names_notes_utf16_gzip_escapes_base64_split_lines_and_shapes() {
    use std::io::Write;
    let dir = minimal_workspace();
    let ws = dir.path();
    let text = |s: &str| s.as_bytes().to_vec();
    let utf16 = |s: &str| {
        let mut b = vec![0xff, 0xfe];
        b.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        b
    };
    let gz = |s: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(s.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "utf16.log",
            utf16("line one\nthe password is hunter2\n"),
            "redaction pattern password",
        ),
        (
            "logs.gz",
            gz("ok\nsecret=abc\n"),
            "redaction pattern secret",
        ),
        (
            "key.txt",
            text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n"),
            "PEM private key",
        ),
        (
            "aws.txt",
            text("id AKIAIOSFODNN7EXAMPLE\n"),
            "AWS access key id",
        ),
        (
            "gh.txt",
            text("ghp_0123456789abcdefghijABCDEFGHIJ012345\n"),
            "GitHub token",
        ),
        (
            "slack.txt",
            text("xoxb-1234567890-abcdefghij\n"),
            "Slack token",
        ),
        (
            "jwt.txt",
            text("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N\n"),
            "JSON Web Token",
        ),
        ("api_key.csv", text("a,b\n1,2\n"), "the file name matches"),
        (
            "esc.json",
            text("{\"k\": \"pass\\u0077ord=1\"}\n"),
            "redaction pattern password (JSON-escaped)",
        ),
        (
            "b64.txt",
            text("blob c2VjcmV0PWFiYw==\n"),
            "redaction pattern secret (base64)",
        ),
        (
            "split.txt",
            text("the pass\nword is x\n"),
            "redaction pattern password (split across lines 1 and 2)",
        ),
    ];
    for (name, bytes, needle) in cases {
        let f = ws.join("src").join(name);
        std::fs::write(&f, bytes).unwrap();
        let (code, v) = run_json(&[
            "--workspace",
            w(ws),
            "bundle",
            "publish",
            "--name",
            "R",
            "--no-discover",
            "--add",
            &format!("Data={}", f.display()),
        ]);
        assert_eq!(code, 1, "{name}: {v}");
        let msgs = v.to_string();
        assert!(msgs.contains(needle), "{name}: {needle}: {msgs}");
        std::fs::remove_file(&f).unwrap();
    }
    let clean = ws.join("src/a.json");
    let (code, v) = run_json(&[
        "--workspace",
        w(ws),
        "bundle",
        "publish",
        "--name",
        "R",
        "--no-discover",
        "--add",
        &format!("Data={}", clean.display()),
        "--notes",
        "rotated token abc",
    ]);
    assert_eq!(code, 1, "--notes are scanned: {v}");
}

#[test]
fn an_allowlisted_false_positive_is_published_and_listed_in_the_readme() {
    let dir = minimal_workspace();
    let ws = dir.path();
    std::fs::write(
        ws.join("src/CHANGELOG.md"),
        "# 1.2.0\n- Fix retransmission of authentication token\n",
    )
    .unwrap();
    let policy = ws.join("tollgate.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text = text.replace(
        "[bundle]\n",
        "[bundle]\nredaction_allow = [{ path = \"CHANGELOG*\", pattern = \"retransmission of authentication token\", reason = \"a changelog entry, not a token\" }]\n",
    );
    std::fs::write(&policy, &text).unwrap();
    let add = format!("Data={}", ws.join("src/CHANGELOG.md").display());
    let (code, out, err) = run(&[
        "--workspace",
        w(ws),
        "bundle",
        "publish",
        "--name",
        "C",
        "--no-discover",
        "--add",
        &add,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let readme = std::fs::read_to_string(ws.join("evidence/bundles/C/Evidence/README.md"))
        .or_else(|_| std::fs::read_to_string(ws.join("evidence/bundles/C/README.md")))
        .unwrap();
    assert!(
        readme.contains("## Redaction allowlist")
            && readme.contains("a changelog entry, not a token"),
        "{readme}"
    );
    // Without a reason the policy is refused.
    std::fs::write(&policy, text.replace("a changelog entry, not a token", "")).unwrap();
    let (code, _, err) = run(&["--workspace", w(ws), "gates"]);
    assert_eq!(code, 2);
    assert!(err.contains("redaction_allow"), "{err}");
}
