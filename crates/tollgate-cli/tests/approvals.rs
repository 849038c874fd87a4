//! Signed approvals (issue 16) against the real OpenSSH: keys made by
//! `ssh-keygen`, signatures checked both ways, a passphrase-protected key
//! used through a throwaway ssh-agent, and each forgery refused by name.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const VERSION: &str = "0.1.0-demo";

/// A demo workspace under an `[approvals]` policy, with keys made by
/// ssh-keygen: alice (ed25519, Release), bob (ecdsa p256, QA), carol (Release,
/// but her key expired in 2020) and mallory (not in the allowed signers).
struct Team {
    _dir: tempfile::TempDir,
    ws: PathBuf,
    keys: PathBuf,
    signers: PathBuf,
}

impl Team {
    fn new(extra_policy: &str) -> Option<Team> {
        tool(
            &["ssh-keygen"],
            "TOLLGATE_REQUIRE_SSH",
            "signed-approval test",
        )?;
        let (dir, ws) = demo_workspace();
        drop_demo_approvals(&ws);
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        for (name, kind) in [
            ("alice", "ed25519"),
            ("bob", "ecdsa"),
            ("carol", "ed25519"),
            ("mallory", "ed25519"),
        ] {
            keygen(&keys.join(name), kind, "");
        }
        let pubkey = |n: &str| std::fs::read_to_string(keys.join(format!("{n}.pub"))).unwrap();
        let signers = ws.join("docs/governance/allowed_signers");
        std::fs::create_dir_all(signers.parent().unwrap()).unwrap();
        std::fs::write(
            &signers,
            format!(
                "# reviewed like code\nalice@example.com namespaces=\"tollgate\" {}bob@example.com {}carol@example.com valid-before=\"20200101Z\" {}",
                pubkey("alice"),
                pubkey("bob"),
                pubkey("carol")
            ),
        )
        .unwrap();
        let policy = ws.join("tollgate.toml");
        let mut text = std::fs::read_to_string(&policy).unwrap();
        text.push_str(&format!(
            r#"
[approvals]
allowed_signers = "docs/governance/allowed_signers"
required_roles = ["Release", "QA"]
override_roles = ["Release"]
distinct_people = true
{extra_policy}

[[approvals.role]]
name = "Release"
principals = ["alice@example.com", "carol@example.com"]

[[approvals.role]]
name = "QA"
principals = ["bob@example.com", "alice@example.com"]
"#
        ));
        std::fs::write(&policy, text).unwrap();
        Some(Team {
            _dir: dir,
            ws,
            keys,
            signers,
        })
    }

    fn w(&self) -> &str {
        self.ws.to_str().unwrap()
    }

    fn key(&self, name: &str) -> String {
        self.keys.join(name).display().to_string()
    }

    /// Write `stmt` to `name` beside the keys and sign it as OpenSSH does
    /// (`ssh-keygen -Y sign -n tollgate -f KEY FILE`); the `.sig` it wrote.
    fn ssh_sign(&self, stmt: &str, key: &str, name: &str) -> PathBuf {
        let p = self.keys.parent().unwrap().join(name);
        std::fs::write(&p, stmt).unwrap();
        let file = p.to_str().unwrap();
        ssh_keygen(
            &[
                "-q",
                "-Y",
                "sign",
                "-n",
                "tollgate",
                "-f",
                &self.key(key),
                file,
            ],
            None,
        );
        p.with_extension("json.sig")
    }

    fn approve(&self, args: &[&str]) -> (i32, String, String) {
        let mut all = vec!["--workspace", self.w(), "approve", VERSION];
        all.extend(args);
        run(&all)
    }

    /// `release status --junit`: the JUnit document it writes.
    fn junit(&self) -> String {
        let out = self.keys.parent().unwrap().join("release.junit.xml");
        let o = out.to_str().unwrap();
        let (code, text, err) = run(&[
            "--workspace",
            self.w(),
            "release",
            "status",
            VERSION,
            "--junit",
            o,
            "--force",
        ]);
        assert!(code <= 1, "{text}{err}");
        std::fs::read_to_string(&out).unwrap()
    }

    /// `release status --json`: its exit code and the status document.
    fn status(&self) -> (i32, serde_json::Value) {
        let (code, v) = run_json(&["--workspace", self.w(), "release", "status", VERSION]);
        (code, v["status"].clone())
    }
}

fn keygen(path: &Path, kind: &str, passphrase: &str) {
    let path = path.to_str().unwrap();
    ssh_keygen(
        &["-q", "-t", kind, "-N", passphrase, "-C", "test", "-f", path],
        None,
    );
}

/// Run `ssh-keygen ARGS` (with `stdin` from a file), asserting it succeeds.
fn ssh_keygen(args: &[&str], stdin: Option<&Path>) -> std::process::Output {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(args);
    if let Some(f) = stdin {
        cmd.stdin(std::fs::File::open(f).unwrap());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The judged approvals of a status document: (by, role, state, reason).
fn judged(v: &serde_json::Value) -> Vec<(String, String, String, String)> {
    v["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            (s("by"), s("role"), s("state"), s("reason"))
        })
        .collect()
}

#[test]
fn shippable_only_after_both_roles_sign_and_openssh_verifies_what_tollgate_signed() {
    let Some(t) = Team::new("") else { return };
    // The demo's approvals, signed by keys this team's file does not list,
    // do not count.
    let (code, v) = t.status();
    assert_eq!(code, 1, "not shippable: {v}");
    assert_eq!(v["shippable"], false);
    for (_, _, state, reason) in judged(&v) {
        assert_eq!(state, "invalid");
        assert!(
            reason.contains("is not in docs/governance/allowed_signers"),
            "{reason}"
        );
    }
    assert_eq!(v["approval"]["authenticated"], true);
    // An unsigned approval is refused outright.
    let (code, _, err) = t.approve(&["--by", "alice@example.com", "--role", "Release"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("only signed approvals"), "{err}");

    let (code, out, err) = t.approve(&[
        "--role",
        "Release",
        "--key",
        &t.key("alice"),
        "--override",
        "known flaky gate, fixed in 0.1.1",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("[valid, key SHA256:"), "{out}");
    let (_, v) = t.status();
    assert_eq!(v["shippable"], false, "QA has not approved: {v}");
    assert_eq!(
        v["approval"]["roles"],
        serde_json::json!([
            {"role": "Release", "satisfied": true, "by": "alice@example.com"},
            {"role": "QA", "satisfied": false, "by": null}
        ])
    );

    // OpenSSH verifies the statement and signature tollgate recorded.
    let log = ledger_log(&t.ws);
    let entry = log.iter().rev().find(|e| e["kind"] == "approval").unwrap();
    let payload: serde_json::Value =
        serde_json::from_str(entry["payload"].as_str().unwrap()).unwrap();
    let dir = t.keys.parent().unwrap();
    let (stmt, sig) = (dir.join("stmt.json"), dir.join("stmt.json.sig"));
    std::fs::write(&stmt, payload["statement"].as_str().unwrap()).unwrap();
    std::fs::write(&sig, payload["signature"].as_str().unwrap()).unwrap();
    let signers = t.signers.to_str().unwrap();
    let out = ssh_keygen(
        &[
            "-Y",
            "verify",
            "-n",
            "tollgate",
            "-f",
            signers,
            "-I",
            "alice@example.com",
            "-s",
            sig.to_str().unwrap(),
        ],
        Some(&stmt),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Good \"tollgate\" signature"));

    // bob signs offline: --print-statement, ssh-keygen -Y sign, --signature.
    let (code, printed, err) = t.approve(&[
        "--role",
        "QA",
        "--by",
        "bob@example.com",
        "--print-statement",
    ]);
    assert_eq!(code, 0, "{err}");
    let bob_sig = t.ssh_sign(&printed, "bob", "bob.json");
    let (code, out, err) = t.approve(&["--role", "QA", "--signature", bob_sig.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, v) = t.status();
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["shippable"], true, "{v}");
    let states: Vec<String> = judged(&v).into_iter().map(|j| j.2).collect();
    assert_eq!(states, ["invalid", "invalid", "valid", "valid"]);
    // The same person cannot approve twice in one role.
    let (code, _, err) = t.approve(&["--role", "QA", "--signature", bob_sig.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already approved"), "{err}");
}

#[test]
fn forged_approvals_are_refused_with_the_reason() {
    let Some(t) = Team::new("") else { return };
    let refused = |args: &[&str], want: &str| {
        // Refusals exit 2, as every command's do.
        let (code, out, err) = t.approve(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    };
    let dir = t.keys.parent().unwrap().to_path_buf();
    let before = ledger_log(&t.ws)
        .iter()
        .filter(|e| e["kind"] == "approval")
        .count();
    // A key nobody listed.
    refused(
        &["--role", "QA", "--key", &t.key("mallory")],
        "is not in docs/governance/allowed_signers",
    );
    // bob's key asking to act as Release.
    refused(
        &[
            "--role",
            "Release",
            "--key",
            &t.key("bob"),
            "--override",
            "ship it anyway please",
        ],
        "belongs to bob@example.com, who is not a principal of role Release",
    );
    // carol's key, past its valid-before.
    refused(
        &[
            "--role",
            "Release",
            "--key",
            &t.key("carol"),
            "--override",
            "ship it anyway please",
        ],
        "outside its validity window: the key was valid only before 2020-01-01T00:00:00Z",
    );
    // A QA override: QA may not override.
    refused(
        &[
            "--role",
            "QA",
            "--key",
            &t.key("bob"),
            "--override",
            "ship it anyway please",
        ],
        "an override by role QA, which may not override",
    );
    // An override with too short a reason.
    refused(
        &[
            "--role",
            "Release",
            "--key",
            &t.key("alice"),
            "--override",
            "ok",
        ],
        "fewer than 10 characters",
    );

    // Statements signed with ssh-keygen and then tampered with or misused.
    let sign = |stmt: &str, key: &str, name: &str| t.ssh_sign(stmt, key, name);
    let (_, printed, err) = t.approve(&[
        "--role",
        "Release",
        "--by",
        "alice@example.com",
        "--print-statement",
        "--override",
        "ship it anyway please",
    ]);
    assert!(printed.starts_with('{'), "{err}");
    // bob's key signing alice's statement.
    let sig = sign(&printed, "bob", "as-alice.json");
    refused(
        &["--role", "Release", "--signature", sig.to_str().unwrap()],
        "may not sign as alice@example.com",
    );
    // A statement for other evidence (another decision digest).
    let mut other: serde_json::Value = serde_json::from_str(&printed).unwrap();
    other["decision_sha256"] = serde_json::json!("00".repeat(32));
    let sig = sign(&format!("{other}\n"), "alice", "other.json");
    refused(
        &["--role", "Release", "--signature", sig.to_str().unwrap()],
        "is for other evidence: decision.json",
    );
    // A statement replayed from another release.
    let mut replay: serde_json::Value = serde_json::from_str(&printed).unwrap();
    replay["version"] = serde_json::json!("0.0.9");
    let sig = sign(&format!("{replay}\n"), "alice", "replay.json");
    refused(
        &["--role", "Release", "--signature", sig.to_str().unwrap()],
        "replayed from another release",
    );
    // A good signature over a statement edited afterwards.
    let sig = sign(&printed, "alice", "edited.json");
    std::fs::write(
        dir.join("edited.json"),
        printed.replace("ship it anyway", "ship it anyhow"),
    )
    .unwrap();
    refused(
        &["--role", "Release", "--signature", sig.to_str().unwrap()],
        "does not verify",
    );
    // Nothing was recorded by any of these.
    let approvals =
        |log: Vec<serde_json::Value>| log.iter().filter(|e| e["kind"] == "approval").count();
    assert_eq!(approvals(ledger_log(&t.ws)), before);
}

#[test]
fn one_person_cannot_fill_two_required_roles_and_an_edited_entry_is_not_trusted() {
    let Some(t) = Team::new("") else { return };
    let alice = t.key("alice");
    for args in [
        vec![
            "--role",
            "Release",
            "--key",
            &alice,
            "--override",
            "ship it anyway please",
        ],
        vec!["--role", "QA", "--key", &alice],
    ] {
        let (code, out, err) = t.approve(&args);
        assert_eq!(code, 0, "{out}{err}");
    }
    let (_, v) = t.status();
    assert_eq!(v["shippable"], false, "{v}");
    let unmet = v["approval"]["unmet"].to_string();
    assert!(
        unmet.contains("required role QA has no valid approval from a person not already counted"),
        "{unmet}"
    );
    // Edit the recorded principal of the QA approval: the chain breaks, and
    // nothing the ledger says is trusted.
    sqlite(
        &t.ws.join(".tollgate/ledger.db"),
        "UPDATE entries SET payload = replace(payload, '\"by\":\"alice@example.com\"', '\"by\":\"bob@example.com\"') WHERE seq = (SELECT max(seq) FROM entries WHERE kind = 'approval')",
    );
    let (code, v) = t.status();
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["shippable"], false);
    assert!(v["findings"].to_string().contains("release.ledger"), "{v}");
}

#[test]
fn a_passphrase_protected_key_signs_through_ssh_agent() {
    let Some(t) = Team::new("") else { return };
    let Some(_) = tool(&["ssh-agent"], "TOLLGATE_REQUIRE_SSH", "ssh-agent test") else {
        return;
    };
    let dir = t.keys.parent().unwrap().to_path_buf();
    let key = t.keys.join("dave");
    keygen(&key, "ed25519", "correct horse battery");
    let mut signers = std::fs::read_to_string(&t.signers).unwrap();
    signers.push_str(&format!(
        "bob@example.com {}",
        std::fs::read_to_string(key.with_extension("pub")).unwrap()
    ));
    std::fs::write(&t.signers, signers).unwrap();
    let sock = dir.join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Stop<'a>(&'a mut std::process::Child);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _stop = Stop(&mut agent);
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let askpass = dir.join("askpass.sh");
    std::fs::write(&askpass, "#!/bin/sh\necho 'correct horse battery'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh-add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Sign with the public key file: the private half is only in the agent.
    let out = tollgate()
        .args([
            "--workspace",
            t.w(),
            "approve",
            VERSION,
            "--role",
            "QA",
            "--key",
        ])
        .arg(key.with_extension("pub"))
        .env("SSH_AUTH_SOCK", &sock)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, v) = t.status();
    let last = judged(&v).pop().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.as_str(), last.2.as_str()),
        ("bob@example.com", "QA", "valid"),
        "{v}"
    );
}

#[test]
fn a_malformed_signers_line_and_an_unknown_role_are_usage_errors() {
    let Some(t) = Team::new("") else { return };
    let (code, _, err) = t.approve(&["--role", "Relase", "--key", &t.key("alice")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--role Relase: not a role of [approvals] (declared: Release, QA)"),
        "{err}"
    );
    let mut text = std::fs::read_to_string(&t.signers).unwrap();
    text.push_str("eve@example.com valid-after=\"yesterday\" ssh-ed25519 AAAA\n");
    std::fs::write(&t.signers, text).unwrap();
    let (code, _, err) = run(&["--workspace", t.w(), "release", "status", VERSION]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("allowed_signers:5: 'yesterday' is not a timestamp"),
        "{err}"
    );
}

#[test]
fn waivers_let_blocking_findings_through_as_waived_and_bad_ones_never_count() {
    let Some(t) = Team::new("waiver_roles = [\"Release\"]") else {
        return;
    };
    let (_, v) = t.status();
    let mut targets: Vec<String> = v["decision"]["Blocking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (c, s) = (f["check"].as_str().unwrap(), f["subject"].as_str().unwrap());
            if c == "gate" {
                format!("gate:{s}")
            } else {
                format!("finding:{c}:{s}")
            }
        })
        .collect();
    targets.dedup();
    assert!(
        targets.contains(&"gate:E-parse-p95".to_string()),
        "{targets:?}"
    );
    let alice = t.key("alice");
    let waive = |target: &str, key: &str, role: &str, expires: &str| {
        let (flag, value) = match target.strip_prefix("gate:") {
            Some(id) => ("--gate", id.to_string()),
            None => (
                "--finding",
                target.strip_prefix("finding:").unwrap().to_string(),
            ),
        };
        run(&[
            "--workspace",
            t.w(),
            "waive",
            VERSION,
            flag,
            &value,
            "--reason",
            "accepted for this release: tracked in ST-G-099",
            "--expires",
            expires,
            "--role",
            role,
            "--key",
            key,
        ])
    };
    // Refused: a gate that does not block, a misspelt gate, an expired date, a
    // role that may not waive, and no --expires date at all.
    let (code, _, err) = waive("gate:B-db-latency-alert", &alice, "Release", "2099-01-01");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("gate:B-db-latency-alert does not block release"),
        "{err}"
    );
    let (code, _, err) = waive("gate:E-prase-p95", &alice, "Release", "2099-01-01");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--gate E-prase-p95: no such gate"), "{err}");
    let (code, _, err) = waive("gate:E-parse-p95", &alice, "Release", "2020-01-01");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the waiver expired on 2020-01-01"), "{err}");
    let (code, _, err) = waive("gate:E-parse-p95", &t.key("bob"), "QA", "2099-01-01");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("a waiver by role QA, which may not waive"),
        "{err}"
    );

    // Both roles approve; one waiver for one gate does not let the others through.
    for (role, key) in [("Release", &alice), ("QA", &t.key("bob"))] {
        let (code, out, err) = t.approve(&["--role", role, "--key", key]);
        assert_eq!(code, 0, "{out}{err}");
    }
    // The first waiver goes the offline way: tollgate prints the statement,
    // OpenSSH signs it, tollgate records the signature.
    let offline = |extra: &[&str]| {
        let mut args = vec![
            "--workspace",
            t.w(),
            "waive",
            VERSION,
            "--gate",
            "E-parse-p95",
            "--reason",
            "accepted for this release: tracked in ST-G-099",
            "--expires",
            "2099-01-01",
            "--role",
            "Release",
        ];
        args.extend(extra);
        run(&args)
    };
    let (code, stmt, err) = offline(&["--print-statement", "--by", "alice@example.com"]);
    assert_eq!(code, 0, "{err}");
    assert!(stmt.contains("\"type\":\"tollgate.waiver/v1\""), "{stmt}");
    let sig = t.ssh_sign(&stmt, "alice", "waiver.json");
    let (code, out, err) = offline(&["--signature", sig.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("[WAIVED] gate:E-parse-p95 by alice@example.com (Release) until 2099-01-01"),
        "{out}"
    );
    // JUnit: the waived gate is skipped as WAIVED, the rest still fail.
    let junit = t.junit();
    assert!(
        junit.contains("name=\"gate:E-parse-p95\" time=\"0\">\n      <skipped message=\"WAIVED by alice@example.com (Release) until 2099-01-01: accepted for this release: tracked in ST-G-099\"/>"),
        "{junit}"
    );
    assert!(
        junit.contains("<failure message=\"not shippable\""),
        "{junit}"
    );
    let (_, v) = t.status();
    assert_eq!(v["shippable"], false, "{v}");
    assert_eq!(
        v["approval"]["waived"],
        serde_json::json!(["gate:E-parse-p95"])
    );
    // The approvals predate the waiver, so they no longer count.
    let reasons: Vec<String> = judged(&v)
        .into_iter()
        .filter(|j| j.0.ends_with("@example.com"))
        .map(|j| j.3)
        .collect();
    assert!(
        reasons.iter().all(|r| r.contains("does not accept waiver")),
        "{reasons:?}"
    );

    // Waive every other blocking finding, approve again: shippable, and every
    // one of them reads Waived, while the decision stays Blocked.
    for target in targets.iter().filter(|t| t.as_str() != "gate:E-parse-p95") {
        let (code, out, err) = waive(target, &alice, "Release", "2099-01-01");
        assert_eq!(code, 0, "{target}: {out}{err}");
    }
    // Approving again accepts the waivers now in effect.
    for (role, key) in [("Release", alice.clone()), ("QA", t.key("bob"))] {
        let (code, out, err) = t.approve(&["--role", role, "--key", &key]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, v) = t.status();
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["shippable"], true, "{v}");
    assert_eq!(v["decision"]["Decision"], "Blocked");
    let waived: Vec<String> = serde_json::from_value(v["approval"]["waived"].clone()).unwrap();
    let mut want = targets.clone();
    want.sort();
    assert_eq!(waived, want);
    // The same approval again (same waivers) is a duplicate.
    let (code, _, err) = t.approve(&["--role", "QA", "--key", &t.key("bob")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already approved"), "{err}");
    let (_, text, _) = run(&["--workspace", t.w(), "release", "status", VERSION]);
    assert!(text.contains("decision Blocked (Waived: "), "{text}");
    // JUnit: nothing fails, and every blocking finding is skipped as WAIVED.
    let junit = t.junit();
    assert!(!junit.contains("<failure"), "{junit}");
    assert_eq!(
        junit
            .matches("<skipped message=\"WAIVED by alice@example.com")
            .count(),
        targets.len(),
        "{junit}"
    );
}
