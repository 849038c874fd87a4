//! Snapshots of what users read (issue 14): the exit code, stdout and stderr
//! of `bundle verify`, `gates`, `docs check`, `verify`, `release status` and
//! `risk check` on the demo (fixed `--seed` and `--date`), human and JSON.
//! Paths, clock times, run stamps, hashes, durations and ages are filtered
//! (they change per run); every other byte is pinned. Review a change with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test`).

mod common;

use common::*;

/// Run `args` and render exit code, stdout and stderr as one document.
fn transcript(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    format!("exit: {code}\n--- stdout\n{out}--- stderr\n{err}")
}

fn filters(root: &str) -> Vec<(String, String)> {
    let mut root_json = serde_json::to_string(root).unwrap();
    root_json.pop();
    root_json.remove(0);
    [
        (regex_escape(root), "[WS]"),
        (regex_escape(&root_json), "[WS]"),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)".into(),
            "[TIME]",
        ),
        (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC".into(), "[TIME]"),
        (r"\b\d{8}-\d{6}(-\d+)?\b".into(), "[STAMP]"),
        (r"\b[0-9a-fA-F]{64}\b".into(), "[SHA256]"),
        (r"\b[0-9a-fA-F]{12}\b".into(), "[HASH12]"),
        (
            r#""DurationSeconds": [0-9.e-]+"#.into(),
            r#""DurationSeconds": [S]"#,
        ),
        (r"\b\d+\.\d+ days\b".into(), "[N] days"),
        (r"\b\d+ days? ago\b".into(), "[N] days ago"),
        (r"pid \d+".into(), "pid [PID]"),
        (r#""(ledger_seq|seq)": \d+"#.into(), r#""$1": [SEQ]"#),
        (r"ledger entry \d+".into(), "ledger entry [SEQ]"),
        (r"\(entry \d+\)".into(), "(entry [SEQ])"),
        (r#""Host": "[^"]*""#.into(), r#""Host": "[HOST]""#),
        // The demo's waiver expires 30 days after the day it is made.
        (r"until \d{4}-\d\d-\d\d".into(), "until [EXPIRES]"),
        (
            r#""expires": "\d{4}-\d\d-\d\d""#.into(),
            r#""expires": "[EXPIRES]""#,
        ),
    ]
    .into_iter()
    .map(|(a, b)| (a, b.to_string()))
    .collect()
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

#[test]
fn what_users_read_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let w = ws.to_str().unwrap();
    let (code, _, err) = run(&["demo", w, "--seed", "7", "--date", "2026-11-20"]);
    assert_eq!(code, 0, "{err}");
    let summary = dir.path().join("summary.json");
    let s = summary.to_str().unwrap();
    let rc = ws.join("Logs/Reports/ReleaseCandidate-0.1.0-demo.md");
    let rc = rc.to_str().unwrap();
    let dir_root = dir.path().to_str().unwrap().to_string();
    let mut settings = insta::Settings::clone_current();
    for (re, with) in filters(&dir_root) {
        settings.add_filter(&re, with);
    }
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for json in [false, true] {
            let j = |args: &[&str]| -> Vec<String> {
                let mut a: Vec<String> = ["--workspace", w].iter().map(|s| s.to_string()).collect();
                a.extend(args.iter().map(|s| s.to_string()));
                if json {
                    a.push("--json".into());
                }
                a
            };
            let suffix = if json { "json" } else { "text" };
            for (name, args) in [
                (
                    "bundle_verify",
                    vec![
                        "bundle",
                        "verify",
                        "Release-2026-11-20",
                        "--summary",
                        s,
                        "--force",
                    ],
                ),
                ("gates", vec!["gates"]),
                ("docs_check", vec!["docs", "check"]),
                ("verify", vec!["verify"]),
                ("release_status", vec!["release", "status", "0.1.0-demo"]),
                ("risk_check", vec!["risk", "check", rc]),
            ] {
                let args = j(&args);
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                insta::assert_snapshot!(format!("{name}_{suffix}"), transcript(&refs));
            }
        }
    });
}
