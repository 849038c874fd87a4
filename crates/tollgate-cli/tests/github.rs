//! `--format github` (issue 18): workflow-command annotations, capped per
//! level, with workspace-relative paths, the same exit code as the text
//! output, and the job summary appended to $GITHUB_STEP_SUMMARY.

mod common;

use common::*;

#[test]
fn annotations_and_job_summary_for_every_judging_command() {
    let (dir, ws) = demo_workspace();
    let root = ws.to_str().unwrap();
    let summary = dir.path().join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let env = [("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())];
    let (bundle, _) = demo_bundle(&ws);
    let bundle = bundle.to_str().unwrap();
    for (title, args) in [
        ("gates", vec!["gates"]),
        ("bundle verify", vec!["bundle", "verify", bundle]),
        ("docs check", vec!["docs", "check"]),
        ("verify", vec!["verify"]),
        ("release 7.7.7", vec!["release", "7.7.7"]),
    ] {
        let text_args: Vec<&str> = ["--workspace", root]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let mut gh_args = text_args.clone();
        gh_args.extend(["--format", "github"]);
        let (code, out, err) = run_env(&env, &gh_args);
        assert!(code <= 1, "{title}: {err}");
        let lines: Vec<&str> = out.lines().collect();
        assert!(!lines.is_empty(), "{title}: the demo has findings");
        for level in ["error", "warning", "notice"] {
            let n = lines
                .iter()
                .filter(|l| l.starts_with(&format!("::{level} ")) && !l.contains("not annotated"))
                .count();
            assert!(n <= 10, "{title}: {n} {level} annotations");
        }
        for l in &lines {
            assert!(
                l.starts_with("::error ")
                    || l.starts_with("::warning ")
                    || l.starts_with("::notice "),
                "{title}: {l}"
            );
            if let Some(f) = l.split("file=").nth(1) {
                let file = f.split([',', ':']).next().unwrap();
                assert!(
                    !file.starts_with('/') && ws.join(file).exists(),
                    "{title}: not workspace-relative: {l}"
                );
            }
        }
        let written = std::fs::read_to_string(&summary).unwrap();
        assert!(
            written.starts_with("earlier step\n"),
            "appended, never replaced"
        );
        assert!(
            written.contains(&format!("### tollgate {title}: ")),
            "{title}: {written}"
        );
        if title != "verify" && title != "release 7.7.7" {
            // Judging again in text gives the same verdict.
            let (text_code, _, _) = run(&text_args);
            assert_eq!(code, text_code, "{title}");
        }
    }
}
