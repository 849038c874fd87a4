//! Keys and attestations that standard tools read (issue 18), checked with
//! independent implementations: OpenSSL loads the keys, securesystemslib
//! verifies tollgate's DSSE envelopes (its own key id convention, nothing
//! typed in) and signs one that tollgate verifies, and the release's SLSA
//! verification summary says what the decision said.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

fn w(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/dsse_interop.py")
}

fn public_key(ws: &Path) -> PathBuf {
    ws.join(".tollgate/keys/tollgate.pub")
}

/// `key gen --json` (and any `extra` flags): the output.
fn key_gen(ws: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--workspace", w(ws), "key", "gen"];
    args.extend_from_slice(extra);
    let (code, v) = run_json(&args);
    assert_eq!(code, 0, "{v}");
    v
}

/// The statement inside a DSSE envelope file.
fn statement(envelope: &Path) -> Value {
    use base64::Engine;
    let env: Value = serde_json::from_str(&std::fs::read_to_string(envelope).unwrap()).unwrap();
    let body = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn key_gen_writes_pem_that_openssl_reads_and_keeps_the_secret_out_of_the_workspace() {
    let Some(openssl) = tool(
        &["openssl"],
        "TOLLGATE_REQUIRE_OPENSSL",
        "the key format test",
    ) else {
        return;
    };
    let dir = minimal_workspace();
    let ws = dir.path();
    let v = key_gen(ws, &[]);
    let secret = PathBuf::from(v["secret_key"].as_str().unwrap());
    let id = v["key_id"].as_str().unwrap();
    assert!(secret.starts_with(config_home()), "{}", secret.display());
    assert_eq!(
        secret.file_name().unwrap().to_str().unwrap(),
        format!("{id}.key")
    );
    assert_eq!(
        mode(&secret),
        0o600,
        "the secret key is private to its owner"
    );
    assert_eq!(mode(secret.parent().unwrap()), 0o700);
    assert!(
        !ws.join(".gitignore").exists(),
        "no key in the workspace, nothing to ignore"
    );
    let pem = std::fs::read_to_string(public_key(ws)).unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    succeed(
        Command::new(&openssl)
            .args(["pkey", "-pubin", "-noout", "-in"])
            .arg(public_key(ws)),
    );
    // The secret is PKCS#8 that OpenSSL loads, and its public half is the
    // workspace's public key.
    let derived = succeed(
        Command::new(&openssl)
            .args(["pkey", "-pubout", "-in"])
            .arg(&secret),
    );
    assert_eq!(derived, pem);

    // A second key gen replaces nothing; with --force and --in-workspace the
    // secret sits beside the public key and is git-ignored, once.
    let (code, _, err) = run(&["--workspace", w(ws), "key", "gen"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists"), "{err}");
    for _ in 0..2 {
        let v = key_gen(ws, &["--force", "--in-workspace"]);
        assert_eq!(
            v["secret_key"].as_str().map(PathBuf::from),
            Some(ws.join(".tollgate/keys/tollgate.key"))
        );
    }
    let ignore = std::fs::read_to_string(ws.join(".gitignore")).unwrap();
    assert_eq!(
        ignore
            .lines()
            .filter(|l| *l == ".tollgate/keys/*.key")
            .count(),
        1,
        "{ignore}"
    );
    // init on a workspace whose key sits in it adds the line too.
    std::fs::remove_file(ws.join(".gitignore")).unwrap();
    let (code, _, err) = run(&[
        "--workspace",
        w(ws),
        "init",
        "--profile",
        "minimal",
        "--force",
    ]);
    assert_eq!(code, 0, "{err}");
    let ignore = std::fs::read_to_string(ws.join(".gitignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l == ".tollgate/keys/*.key"),
        "{ignore}"
    );
}

#[test]
fn hex_keys_and_a_secret_from_the_environment_still_sign() {
    let dir = minimal_workspace();
    let ws = dir.path();
    publish_fixture(ws);
    let bundle = ws.join("evidence/bundles/B");
    // A key pair as tollgate wrote it before PEM: 64 hex digits each (the
    // RFC 8032 test 1 key).
    let keys = ws.join(".tollgate/keys");
    std::fs::create_dir_all(&keys).unwrap();
    let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    let public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    std::fs::write(keys.join("tollgate.key"), format!("{seed}\n")).unwrap();
    std::fs::write(keys.join("tollgate.pub"), format!("{public}\n")).unwrap();
    let (code, out, err) = run(&["--workspace", w(ws), "bundle", "sign", "B"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, v) = verify(ws, &bundle);
    assert_eq!(code, 0, "{v}");
    let envelope = bundle.join("Build/manifest.intoto.jsonl");
    let env: Value = serde_json::from_str(&std::fs::read_to_string(&envelope).unwrap()).unwrap();
    // The id securesystemslib's compute_default_keyid gives this key.
    assert_eq!(
        env["signatures"][0]["keyid"],
        "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916"
    );

    // CI: the secret comes from TOLLGATE_SIGNING_KEY, no key file needed.
    let pem = std::fs::read_to_string(keys.join("tollgate.key")).unwrap();
    std::fs::remove_file(keys.join("tollgate.key")).unwrap();
    let (code, _, err) = run(&["--workspace", w(ws), "bundle", "sign", "B", "--force"]);
    assert_eq!(code, 2, "no secret key at all");
    assert!(
        err.contains("no secret key") && err.contains("TOLLGATE_SIGNING_KEY"),
        "{err}"
    );
    let (code, out, err) = run_env(
        &[("TOLLGATE_SIGNING_KEY", pem.trim())],
        &["--workspace", w(ws), "bundle", "sign", "B", "--force"],
    );
    assert_eq!(code, 0, "{out}{err}");
    // A secret that is not the public key's pair is refused, and never shown.
    let other = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
    let (code, out, err) = run_env(
        &[("TOLLGATE_SIGNING_KEY", other)],
        &["--workspace", w(ws), "bundle", "sign", "B", "--force"],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("not the pair of the public key"), "{err}");
    assert!(
        !format!("{out}{err}").contains(other),
        "the secret is never printed"
    );
    let (code, v) = verify(ws, &bundle);
    assert_eq!(code, 0, "the refused key wrote nothing: {v}");
}

#[test]
fn securesystemslib_and_tollgate_verify_each_others_envelopes() {
    let Some(py) = python(
        &["securesystemslib.dsse", "cryptography"],
        "the DSSE interoperability test",
    ) else {
        return;
    };
    // tollgate signs; securesystemslib verifies with the key from the PEM.
    let dir = minimal_workspace();
    let ws = dir.path();
    publish_fixture(ws);
    let id = key_gen(ws, &[])["key_id"].as_str().unwrap().to_string();
    let (code, out, err) = run(&["--workspace", w(ws), "bundle", "sign", "B"]);
    assert_eq!(code, 0, "{out}{err}");
    let envelope = ws.join("evidence/bundles/B/Build/manifest.intoto.jsonl");
    let out = succeed(
        Command::new(&py)
            .arg(script())
            .arg("verify")
            .arg(&envelope)
            .arg(public_key(ws)),
    );
    assert!(
        out.contains(&format!("verified keyid={id} subjects=")),
        "{out}"
    );
    let subjects = statement(&envelope)["subject"].as_array().unwrap().len();
    assert!(out.contains(&format!("subjects={subjects}")), "{out}");
    // A changed statement does not verify there either.
    let mut env: Value =
        serde_json::from_str(&std::fs::read_to_string(&envelope).unwrap()).unwrap();
    let mut st = statement(&envelope);
    st["subject"][0]["digest"]["sha256"] = Value::String("0".repeat(64));
    use base64::Engine;
    env["payload"] =
        Value::String(base64::engine::general_purpose::STANDARD.encode(st.to_string()));
    let forged = ws.join("forged.intoto.jsonl");
    std::fs::write(&forged, env.to_string()).unwrap();
    let o = Command::new(&py)
        .arg(script())
        .arg("verify")
        .arg(&forged)
        .arg(public_key(ws))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // securesystemslib signs with its own key; tollgate verifies it.
    let dir = minimal_workspace();
    let ws = dir.path();
    let bundle = publish_fixture(ws);
    let area = bundle.join("Build");
    std::fs::create_dir_all(public_key(ws).parent().unwrap()).unwrap();
    let out = succeed(
        Command::new(&py)
            .arg(script())
            .arg("sign")
            .arg(&area)
            .arg(public_key(ws))
            .arg(area.join("manifest.intoto.jsonl"))
            .arg("https://tollgate.dev/attestation/evidence-bundle/v1"),
    );
    assert!(out.starts_with("signed keyid="), "{out}");
    let (code, v) = verify(ws, &bundle);
    assert_eq!(code, 0, "{v}");
    // ... and names a file changed after securesystemslib signed it.
    let artifact = area.join("a.json");
    std::fs::write(&artifact, "{\"Value\": 2}\n").unwrap();
    let (code, v) = verify(ws, &bundle);
    assert_eq!(code, 1, "{v}");
    assert!(
        v.to_string()
            .contains("signed file a.json changed since it was signed"),
        "{v}"
    );
}

#[test]
fn release_sign_writes_a_slsa_verification_summary_of_the_decision() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let mut policy = std::fs::read_to_string(ws.join("tollgate.toml")).unwrap();
    policy.push_str("\n[[verify.step]]\nname = \"ok\"\nrun = \"echo ok\"\ntimeout = \"60s\"\n");
    std::fs::write(ws.join("tollgate.toml"), &policy).unwrap();
    publish_fixture(ws);
    key_gen(ws, &[]);
    for args in [
        &["bundle", "sign", "B"][..],
        &["verify"],
        &["release", "1.0.0"],
        &["release", "sign", "1.0.0"],
    ] {
        let mut a = vec!["--workspace", w(ws)];
        a.extend_from_slice(args);
        let (code, out, err) = run(&a);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
    }
    let rel = ws.join("evidence/releases/1.0.0");
    let vsa = rel.join("verification-summary.intoto.jsonl");
    let st = statement(&vsa);
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        st["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    let p = &st["predicate"];
    let decision: Value =
        serde_json::from_str(&std::fs::read_to_string(rel.join("decision.json")).unwrap()).unwrap();
    assert_eq!(decision["Decision"], "Ready");
    assert_eq!(p["verificationResult"], "PASSED");
    assert_eq!(
        p["verifiedLevels"],
        serde_json::json!(["TOLLGATE_RELEASE_READY"])
    );
    assert_eq!(p["timeVerified"], decision["DecidedAtUtc"]);
    assert_eq!(p["resourceUri"], "urn:tollgate:release:1.0.0");
    assert_eq!(p["verifier"]["id"], "https://tollgate.dev/verifier/release");
    assert_eq!(p["policy"]["uri"], "tollgate.toml");
    let policy_sha = sha256_of(&ws.join("tollgate.toml"));
    assert_eq!(p["policy"]["digest"]["sha256"], policy_sha.as_str());
    // Every input attestation is a file of the workspace with that digest:
    // the bundle's envelope and the release's own.
    let inputs = p["inputAttestations"].as_array().unwrap();
    let uris: Vec<&str> = inputs.iter().map(|i| i["uri"].as_str().unwrap()).collect();
    assert_eq!(
        uris,
        [
            "evidence/bundles/B/Build/manifest.intoto.jsonl",
            "evidence/releases/1.0.0/manifest.intoto.jsonl"
        ]
    );
    for i in inputs {
        assert_eq!(
            i["digest"]["sha256"].as_str().unwrap(),
            sha256_of(&ws.join(i["uri"].as_str().unwrap()))
        );
    }
    // The subjects are the release's files, as they are now.
    for s in st["subject"].as_array().unwrap() {
        assert_eq!(
            s["digest"]["sha256"].as_str().unwrap(),
            sha256_of(&rel.join(s["name"].as_str().unwrap()))
        );
    }
    if let Some(py) = python(
        &["securesystemslib.dsse", "cryptography"],
        "the VSA interoperability check",
    ) {
        let out = succeed(
            Command::new(&py)
                .arg(script())
                .arg("verify")
                .arg(&vsa)
                .arg(public_key(ws)),
        );
        assert!(out.starts_with("verified keyid="), "{out}");
    }
    let (code, out, _) = run(&["--workspace", w(ws), "release", "status", "1.0.0"]);
    assert_eq!(code, 0, "{out}");
    // Gone, or changed: release status blocks and names it.
    let saved = std::fs::read(&vsa).unwrap();
    std::fs::remove_file(&vsa).unwrap();
    let (code, out, _) = run(&["--workspace", w(ws), "release", "status", "1.0.0"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("verification-summary.intoto.jsonl"), "{out}");
    let mut bad = saved.clone();
    let i = bad.len() / 2;
    bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
    std::fs::write(&vsa, &bad).unwrap();
    let (code, out, _) = run(&["--workspace", w(ws), "release", "status", "1.0.0"]);
    assert_eq!(code, 1, "{out}");
    std::fs::write(&vsa, &saved).unwrap();
    let (code, out, _) = run(&["--workspace", w(ws), "release", "status", "1.0.0"]);
    assert_eq!(code, 0, "{out}");
}

fn sha256_of(p: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
