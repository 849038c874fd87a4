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

/// (declared tests, declared failures, testcases, failure elements).
fn junit_counts(path: &std::path::Path) -> (usize, usize, usize, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    let attr = |k: &str| root.attribute(k).unwrap().parse::<usize>().unwrap();
    let count = |tag: &str| root.descendants().filter(|n| n.has_tag_name(tag)).count();
    (
        attr("tests"),
        attr("failures"),
        count("testcase"),
        count("failure"),
    )
}

#[test]
fn junit_from_bundle_verify_verify_and_release_agrees_with_the_exit_code() {
    let (dir, ws) = demo_workspace();
    let root = ws.to_str().unwrap();
    let (bundle, _) = demo_bundle(&ws);
    let out = dir.path();
    for (name, args) in [
        ("bundle", vec!["bundle", "verify", bundle.to_str().unwrap()]),
        ("verify", vec!["verify"]),
        ("release", vec!["release", "7.7.8"]),
    ] {
        let path = out.join(format!("{name}.xml"));
        let mut all = vec!["--workspace", root];
        all.extend(args.iter().copied());
        all.extend(["--junit", path.to_str().unwrap()]);
        let (code, stdout, err) = run(&all);
        assert!(code <= 1, "{name}: {err}");
        let (tests, failures, cases, failure_elems) = junit_counts(&path);
        assert_eq!(
            (tests, failures),
            (cases, failure_elems),
            "{name}: declared counts"
        );
        assert!(cases > 0, "{name}");
        assert_eq!(failures > 0, code == 1, "{name}: exit {code}\n{stdout}");
        // An existing file is refused without --force (the release would
        // have been decided already, so only bundle verify and verify retry).
        if name != "release" {
            let (code, _, err) = run(&all);
            assert_eq!(code, 2, "{name}");
            assert!(err.contains("--force"), "{err}");
        }
    }
}
