//! What a packaged CLI ships beside the binary (issue 18): shell
//! completions and man pages, generated from the same clap definitions.

mod common;

use std::process::Command;

use common::*;

/// Complete `words` (the last one partial) with bash and the generated script.
fn bash_complete(script: &str, words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tollgate.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source {}; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; _tollgate tollgate '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    succeed(Command::new("bash").arg("-c").arg(program))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_options() {
    let (code, script, err) = run(&["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    succeed(Command::new("bash").arg("-n").arg("-c").arg(&script));
    let mut got = bash_complete(&script, &["tollgate", "bundle", "p"]);
    got.sort();
    assert_eq!(got, ["publish", "pull", "push"]);
    let got = bash_complete(&script, &["tollgate", "bundle", "push", "x", "--"]);
    assert!(
        got.iter().any(|w| w == "--to") && got.iter().any(|w| w == "--insecure"),
        "{got:?}"
    );
}

#[test]
fn zsh_and_fish_scripts_parse() {
    for (shell, check) in [("zsh", vec!["-n"]), ("fish", vec!["--no-execute"])] {
        let (code, script, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(
            script.contains("tollgate") && script.contains("push"),
            "{shell}"
        );
        let Some(bin) = tool(
            &[shell],
            "TOLLGATE_REQUIRE_SHELLS",
            "its completion syntax check",
        ) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("completion");
        std::fs::write(&path, &script).unwrap();
        let out = Command::new(bin).args(&check).arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn man_pages_render_and_never_overwrite() {
    let (code, page, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.contains(".TH tollgate 1"), "{page}");
    assert!(page.contains("tollgate\\-bundle(1)"), "{page}");
    if let Some(groff) = tool(
        &["groff"],
        "TOLLGATE_REQUIRE_GROFF",
        "the man page rendering check",
    ) {
        let mut child = Command::new(groff)
            .args(["-man", "-Tutf8", "-ww"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warns");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Workspace"));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let (code, _, err) = run(&["man", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let push = std::fs::read_to_string(out.join("tollgate-bundle-push.1")).unwrap();
    assert!(
        push.contains("\\-\\-to") && push.contains("\\-\\-insecure"),
        "{push}"
    );
    assert!(out.join("tollgate.1").is_file());
    let before = std::fs::read(out.join("tollgate.1")).unwrap();
    let (code, _, err) = run(&["man", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read(out.join("tollgate.1")).unwrap(), before);
}
