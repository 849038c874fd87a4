//! Attestations (SPEC §7): an in-toto Statement v1 whose subjects are the
//! evidence files with their SHA-256, in a DSSE envelope signed with ed25519.
//! The envelope is one JSON line, `<manifest>.intoto.jsonl`, beside the
//! manifest it covers.

use std::path::{Path, PathBuf};

use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{json, Value};

use crate::digest::hex;
use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity};
use crate::policy::Workspace;
use crate::read::manifest::MANIFEST_FILE;

/// File-name suffix of an envelope.
pub const ENVELOPE_SUFFIX: &str = ".intoto.jsonl";
/// DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Predicate types tollgate writes.
pub const BUNDLE_PREDICATE: &str = "https://tollgate.dev/attestation/evidence-bundle/v1";
pub const RELEASE_PREDICATE: &str = "https://tollgate.dev/attestation/release/v1";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The secret key's path beside the policy's public key (`x.pub` -> `x.key`).
pub fn secret_key_path(ws: &Workspace) -> PathBuf {
    ws.path(&ws.policy.signing.public_key).with_extension("key")
}

/// Generate a key pair: the secret key (hex, mode 0600) and the public key
/// (hex) at the policy's `signing.public_key`. Refuses to replace keys
/// unless `force`.
pub fn generate(ws: &Workspace, force: bool) -> Result<(PathBuf, PathBuf, String)> {
    let public = ws.path(&ws.policy.signing.public_key);
    let secret = secret_key_path(ws);
    for p in [&public, &secret] {
        if p.exists() && !force {
            return Err(Error::refused(p, "a key already exists; use --force to replace it (evidence signed with the old key will no longer verify)"));
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Usage(format!("no system randomness: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    let pub_hex = hex(&key.verifying_key().to_bytes());
    crate::record::atomic::write_file(&secret, hex(&seed).as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(&secret, e))?;
    }
    crate::record::atomic::write_file(&public, format!("{pub_hex}\n").as_bytes())?;
    Ok((secret, public, key_id(&key.verifying_key())))
}

fn unhex<const N: usize>(s: &str, path: &Path) -> Result<[u8; N]> {
    let s = s.trim();
    let bytes: Option<Vec<u8>> = (s.len() == 2 * N)
        .then(|| {
            (0..N)
                .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
                .collect()
        })
        .flatten();
    bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| {
        Error::parse(
            path,
            Some(1),
            format!("expected {N} bytes as {} hex digits", 2 * N),
        )
    })
}

fn key_id(k: &VerifyingKey) -> String {
    crate::digest::sha256_hex(&k.to_bytes())[..16].to_string()
}

fn load_secret(ws: &Workspace) -> Result<SigningKey> {
    let p = secret_key_path(ws);
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    Ok(SigningKey::from_bytes(&unhex::<32>(&text, &p)?))
}

fn load_public(ws: &Workspace) -> Result<VerifyingKey> {
    let p = ws.path(&ws.policy.signing.public_key);
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    VerifyingKey::from_bytes(&unhex::<32>(&text, &p)?)
        .map_err(|e| Error::parse(&p, Some(1), e.to_string()))
}

/// DSSE pre-authentication encoding.
fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Sign `subjects` (name, sha256) under `predicate_type` into `envelope_path`.
pub fn sign(
    ws: &Workspace,
    envelope_path: &Path,
    subjects: &[(String, String)],
    predicate_type: &str,
    predicate: Value,
) -> Result<String> {
    let key = load_secret(ws)?;
    let statement = json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects.iter().map(|(n, h)| json!({ "name": n, "digest": { "sha256": h } })).collect::<Vec<_>>(),
        "predicateType": predicate_type,
        "predicate": predicate,
    });
    let body = serde_json::to_vec(&statement).map_err(|e| Error::Usage(e.to_string()))?;
    let sig: Signature = key.sign(&pae(PAYLOAD_TYPE, &body));
    let id = key_id(&key.verifying_key());
    let envelope = json!({
        "payloadType": PAYLOAD_TYPE,
        "payload": B64.encode(&body),
        "signatures": [{ "keyid": id, "sig": B64.encode(sig.to_bytes()) }],
    });
    let line = format!("{envelope}\n");
    crate::record::atomic::write_file(envelope_path, line.as_bytes())?;
    Ok(id)
}

/// Check `envelope_path` against the policy's public key and the files in
/// `dir`: the signature, then every subject's hash. `expected` are the
/// files that must be subjects.
pub fn check(
    ws: &Workspace,
    envelope_path: &Path,
    dir: &Path,
    expected: &[String],
) -> Vec<Finding> {
    let loc = Location::file(ws.rel(envelope_path));
    let bad = |msg: String| {
        vec![Finding::new(
            "signature",
            Severity::Block,
            ws.rel(envelope_path),
            msg,
            loc.clone(),
        )]
    };
    let key = match load_public(ws) {
        Ok(k) => k,
        Err(e) => return bad(format!("the public key cannot be read: {e}")),
    };
    let env: Value =
        match std::fs::read_to_string(envelope_path).map(|t| serde_json::from_str(t.trim())) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return bad(format!("the envelope is not JSON: {e}")),
            Err(e) => return bad(format!("the envelope cannot be read: {e}")),
        };
    let body = match env["payload"].as_str().map(|p| B64.decode(p)) {
        Some(Ok(b)) => b,
        _ => return bad("the envelope has no base64 payload".into()),
    };
    let payload_type = env["payloadType"].as_str().unwrap_or_default();
    let verified = env["signatures"].as_array().into_iter().flatten().any(|s| {
        s["sig"]
            .as_str()
            .and_then(|sig| B64.decode(sig).ok())
            .and_then(|b| Signature::from_slice(&b).ok())
            .is_some_and(|sig| key.verify_strict(&pae(payload_type, &body), &sig).is_ok())
    });
    if !verified || payload_type != PAYLOAD_TYPE {
        return bad(format!("no valid signature by key {} (the envelope or its statement was changed, or it was signed with another key)", key_id(&key)));
    }
    let statement: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let subjects: Vec<(String, String)> = statement["subject"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s["name"].as_str()?.to_string(),
                s["digest"]["sha256"].as_str()?.to_string(),
            ))
        })
        .collect();
    let mut out = Vec::new();
    for (name, sha) in &subjects {
        let p = dir.join(name);
        let problem = if name.split(['/', '\\']).any(|c| c == "..") || Path::new(name).is_absolute()
        {
            Some("escapes its folder".to_string())
        } else {
            match crate::evidence::hash::sha256_file(&p) {
                Ok((h, _)) if h.eq_ignore_ascii_case(sha) => None,
                Ok((h, _)) => Some(format!(
                    "changed since it was signed: SHA-256 {} signed, {} now",
                    sha,
                    h.to_ascii_lowercase()
                )),
                Err(e) => Some(format!("cannot be read: {e}")),
            }
        };
        if let Some(m) = problem {
            out.push(Finding::new(
                "signature",
                Severity::Block,
                ws.rel(&p),
                format!("signed file {name} {m}"),
                Location::file(ws.rel(&p)),
            ));
        }
    }
    for e in expected
        .iter()
        .filter(|e| !subjects.iter().any(|(n, _)| n == *e))
    {
        out.push(Finding::new(
            "signature",
            Severity::Block,
            ws.rel(&dir.join(e)),
            format!("{e} is not covered by the signature"),
            loc.clone(),
        ));
    }
    out
}

/// Findings for a missing envelope: blocking when the policy requires signatures.
pub fn missing(ws: &Workspace, envelope_path: &Path) -> Vec<Finding> {
    if ws.policy.signing.require {
        vec![Finding::new(
            "signature",
            Severity::Block,
            ws.rel(envelope_path),
            "no signature envelope, and the policy requires one (signing.require)".to_string(),
            Location::file(ws.rel(envelope_path)),
        )]
    } else {
        Vec::new()
    }
}

pub fn envelope_of(manifest: &Path) -> PathBuf {
    let name = manifest.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    manifest.with_file_name(format!("{stem}{ENVELOPE_SUFFIX}"))
}

/// The files of a bundle area a signature covers: the manifest, the README
/// and every listed artifact, relative to the area.
fn area_files(area_dir: &Path) -> Result<Vec<String>> {
    let mpath = area_dir.join(MANIFEST_FILE);
    let (m, _) = crate::read::manifest::read(&mpath)?;
    let mut files = vec![MANIFEST_FILE.to_string()];
    if area_dir.join(crate::read::readme::README_FILE).is_file() {
        files.push(crate::read::readme::README_FILE.to_string());
    }
    files.extend(m.artifacts.iter().map(|a| a.target_file.replace('\\', "/")));
    Ok(files)
}

/// The area folders of a bundle (those holding a manifest).
fn areas(bundle_dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(bundle_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.join(MANIFEST_FILE).is_file()
                && !p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .starts_with('.')
        })
        .collect();
    if bundle_dir.join(MANIFEST_FILE).is_file() {
        out.push(bundle_dir.to_path_buf());
    }
    out.sort();
    out
}

/// Sign every area of a bundle after checking that its files still match
/// the manifest. Returns the envelopes written.
pub fn sign_bundle(ws: &Workspace, bundle_dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    let report = crate::evidence::verify::verify_bundle(bundle_dir, &ws.policy, &[])?;
    if let Some(f) = report
        .all_findings()
        .into_iter()
        .find(|f| matches!(f.check.as_str(), "bundle.integrity" | "bundle.safety"))
    {
        return Err(Error::refused(
            bundle_dir,
            format!(
                "the bundle does not verify ({}: {}); it will not be signed",
                f.subject, f.message
            ),
        ));
    }
    let mut written = Vec::new();
    for area in areas(bundle_dir) {
        let env = envelope_of(&area.join(MANIFEST_FILE));
        if env.exists() && !force {
            return Err(Error::refused(
                &env,
                "already signed; use --force to sign again",
            ));
        }
        let subjects = hash_subjects(&area, &area_files(&area)?)?;
        sign(
            ws,
            &env,
            &subjects,
            BUNDLE_PREDICATE,
            json!({ "bundle": report.name, "area": area.file_name().map(|n| n.to_string_lossy().into_owned()) }),
        )?;
        written.push(env);
    }
    Ok(written)
}

pub fn hash_subjects(dir: &Path, files: &[String]) -> Result<Vec<(String, String)>> {
    let existing: Vec<&String> = files.iter().filter(|f| dir.join(f).is_file()).collect();
    let paths: Vec<PathBuf> = existing.iter().map(|f| dir.join(f)).collect();
    existing
        .into_iter()
        .zip(crate::evidence::hash::sha256_files(&paths))
        .zip(&paths)
        .map(|((f, h), p)| {
            Ok((
                f.clone(),
                h.map_err(|e| Error::io(p, e))?.0.to_ascii_lowercase(),
            ))
        })
        .collect()
}

/// Signature findings for every area of a bundle.
pub fn check_bundle(ws: &Workspace, bundle_dir: &Path) -> Vec<Finding> {
    let mut out = Vec::new();
    for area in areas(bundle_dir) {
        let env = envelope_of(&area.join(MANIFEST_FILE));
        if !env.exists() {
            out.extend(missing(ws, &env));
            continue;
        }
        let expected = area_files(&area).unwrap_or_default();
        let present: Vec<String> = expected
            .into_iter()
            .filter(|f| area.join(f).is_file())
            .collect();
        out.extend(check(ws, &env, &area, &present));
    }
    out
}

/// Verify a bundle, signatures included.
pub fn verify_bundle(
    ws: &Workspace,
    bundle_dir: &Path,
    only: &[String],
) -> Result<crate::evidence::verify::BundleReport> {
    let mut report = crate::evidence::verify::verify_bundle(bundle_dir, &ws.policy, only)?;
    report.findings.extend(check_bundle(ws, bundle_dir));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn sign_and_check_a_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ws = crate::policy::Workspace::discover(Some(tmp.path()), tmp.path()).unwrap();
        ws.policy.signing.require = true;
        generate(&ws, false).unwrap();
        assert!(
            generate(&ws, false).is_err(),
            "keys are not replaced silently"
        );
        let dir = tmp.path().join("rel");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a.json"), b"{}").unwrap();
        let env = dir.join("m.intoto.jsonl");
        assert_eq!(missing(&ws, &env).len(), 1);
        let subjects = hash_subjects(&dir, &["a.json".to_string()]).unwrap();
        sign(&ws, &env, &subjects, RELEASE_PREDICATE, json!({})).unwrap();
        let want = vec!["a.json".to_string()];
        assert!(check(&ws, &env, &dir, &want).is_empty());
        std::fs::write(dir.join("a.json"), b"{ }").unwrap();
        let f = check(&ws, &env, &dir, &want);
        assert!(
            f[0].message.contains("changed since it was signed"),
            "{}",
            f[0].message
        );
        std::fs::write(dir.join("a.json"), b"{}").unwrap();
        let text = std::fs::read_to_string(&env).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let mut body: Value =
            serde_json::from_slice(&B64.decode(v["payload"].as_str().unwrap()).unwrap()).unwrap();
        body["predicate"] = json!({"forged": true});
        let forged = json!({"payloadType": PAYLOAD_TYPE, "payload": B64.encode(serde_json::to_vec(&body).unwrap()), "signatures": v["signatures"]});
        std::fs::write(&env, forged.to_string()).unwrap();
        let f = check(&ws, &env, &dir, &want);
        assert!(
            f[0].message.starts_with("no valid signature"),
            "{}",
            f[0].message
        );
    }
}
