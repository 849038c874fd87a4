//! Attestations (SPEC §7): an in-toto Statement v1 whose subjects are the
//! evidence files with their SHA-256, in a DSSE envelope signed with ed25519.
//! The envelope is one JSON line, `<manifest>.intoto.jsonl`, beside the
//! manifest it covers.

use std::path::{Path, PathBuf};

use base64::Engine;
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::evidence::facts::Digests;
use crate::evidence::verify::BundleReport;
use crate::finding::{Finding, Location, Severity};
use crate::keys::{key_id, load_public, load_secret};
use crate::policy::Workspace;
use crate::read::manifest::envelope_of;

/// DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// Predicate types tollgate writes.
pub const BUNDLE_PREDICATE: &str = "https://tollgate.dev/attestation/evidence-bundle/v1";
pub const RELEASE_PREDICATE: &str = "https://tollgate.dev/attestation/release/v1";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Sign `message` with the workspace key: (key id, base64 ed25519 signature).
pub fn sign_message(ws: &Workspace, message: &[u8]) -> Result<(String, String)> {
    let key = load_secret(ws)?;
    let sig: Signature = key.sign(message);
    Ok((key_id(&key.verifying_key()), B64.encode(sig.to_bytes())))
}

/// Whether `sig_b64` is the workspace public key's signature of `message`
/// (`Err` when the key cannot be read).
pub fn verify_message(ws: &Workspace, message: &[u8], sig_b64: &str) -> Result<bool> {
    let key = load_public(ws)?;
    let Ok(bytes) = B64.decode(sig_b64.trim()) else {
        return Ok(false);
    };
    let Ok(sig) = Signature::from_slice(&bytes) else {
        return Ok(false);
    };
    Ok(key.verify_strict(message, &sig).is_ok())
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

/// What a signature check reads: the envelope (`None` when there is none)
/// and, when there is one, the policy's public key.
#[derive(Debug)]
pub struct EnvelopeFacts {
    pub path: PathBuf,
    envelope: Option<std::result::Result<String, String>>,
    key: std::result::Result<VerifyingKey, String>,
}

/// Read the envelope at `path` and the key to check it with.
pub fn envelope_facts(ws: &Workspace, path: &Path) -> EnvelopeFacts {
    let envelope = std::fs::symlink_metadata(path).is_ok().then(|| {
        crate::read::text::read_to_string(path)
            .map_err(|e| format!("the envelope cannot be read: {e}"))
    });
    EnvelopeFacts::of(ws, path, envelope)
}

impl EnvelopeFacts {
    /// An envelope read elsewhere (from a registry): its text, why it could
    /// not be read, or `None` when there is none; shown as `path`.
    pub fn of(
        ws: &Workspace,
        path: &Path,
        envelope: Option<std::result::Result<String, String>>,
    ) -> EnvelopeFacts {
        let key = match &envelope {
            Some(_) => load_public(ws).map_err(|e| format!("the public key cannot be read: {e}")),
            None => Err(String::new()),
        };
        EnvelopeFacts {
            path: path.to_path_buf(),
            envelope,
            key,
        }
    }
}

/// The statement of an envelope whose signature verifies against the
/// workspace key, or why there is none.
fn open(facts: &EnvelopeFacts) -> std::result::Result<Value, String> {
    let text = match &facts.envelope {
        None => return Err("there is no envelope".into()),
        Some(Err(e)) => return Err(e.clone()),
        Some(Ok(t)) => t,
    };
    let key = facts.key.as_ref().map_err(Clone::clone)?;
    let env: Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("the envelope is not JSON: {e}"))?;
    let body = match env["payload"].as_str().map(|p| B64.decode(p)) {
        Some(Ok(b)) => b,
        _ => return Err("the envelope has no base64 payload".into()),
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
        return Err(format!("no valid signature by key {} (the envelope or its statement was changed, or it was signed with another key)", key_id(key)));
    }
    Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// The statement of an envelope whose signature verifies, if it does.
pub fn verified_statement(facts: &EnvelopeFacts) -> Option<Value> {
    open(facts).ok()
}

/// Judge an envelope over the files of `dir`: the signature, then every
/// subject against `digests` (computed once by the caller), then that every
/// file of `expected` is a subject. No file is read here.
pub fn judge(
    ws: &Workspace,
    facts: &EnvelopeFacts,
    dir: &Path,
    expected: &[String],
    digests: &Digests,
) -> Vec<Finding> {
    let envelope_path = &facts.path;
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
    let statement = match &facts.envelope {
        None => return missing(ws, envelope_path),
        Some(_) => match open(facts) {
            Ok(st) => st,
            Err(e) => return bad(e),
        },
    };
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
            match digests.get(name) {
                Some(Ok(h)) if h.eq_ignore_ascii_case(sha) => None,
                Some(Ok(h)) => Some(format!(
                    "changed since it was signed: SHA-256 {sha} signed, {h} now"
                )),
                Some(Err(e)) => Some(format!("cannot be read: {e}")),
                None => Some("is missing from the evidence, or no longer listed in it".to_string()),
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

/// Findings for a missing envelope: blocking when the ledger records that
/// it was signed (the envelope was deleted), or when the policy requires
/// signatures.
pub fn missing(ws: &Workspace, envelope_path: &Path) -> Vec<Finding> {
    if let Some(f) = gone(ws, envelope_path) {
        return vec![f];
    }
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

/// A blocking finding when the ledger records that `envelope_path` was
/// written but it is gone.
pub fn gone(ws: &Workspace, envelope_path: &Path) -> Option<Finding> {
    let seq = crate::record::ledger::vouching_entry(ws, envelope_path)?;
    Some(Finding::new(
        "signature",
        Severity::Block,
        ws.rel(envelope_path),
        format!("the signature envelope is gone, but the ledger records that this was signed (entry {seq})"),
        Location::file(ws.rel(envelope_path)),
    ))
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
    for (area, digests) in report
        .digests
        .iter()
        .filter(|(_, d)| d.contains_key(&ws.policy.bundle.manifest))
    {
        let env = envelope_of(&area.join(&ws.policy.bundle.manifest));
        if env.exists() && !force {
            return Err(Error::refused(
                &env,
                "already signed; use --force to sign again",
            ));
        }
        // The digests the verification just computed: nothing is hashed twice.
        let subjects = digests
            .iter()
            .map(|(name, h)| match h {
                Ok(h) => Ok((name.clone(), h.clone())),
                Err(e) => Err(Error::io(area.join(name), std::io::Error::other(e.clone()))),
            })
            .collect::<Result<Vec<_>>>()?;
        sign(
            ws,
            &env,
            &subjects,
            BUNDLE_PREDICATE,
            json!({ "bundle": report.name, "area": area.file_name().map(|n| n.to_string_lossy().into_owned()) }),
        )?;
        let area_name = area.file_name().unwrap_or_default().to_string_lossy();
        crate::record::ledger::Ledger::open(ws)?.append(
            "bundle-sign",
            &format!("{}/{area_name}", report.name),
            &json!({ "files": [crate::record::ledger::FileRef::of(&ws.root, &env)?] }),
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

/// Signature findings for every area of a verified bundle, judged on the
/// digests its verification computed.
fn check_bundle(ws: &Workspace, report: &BundleReport) -> Vec<Finding> {
    let mut out = Vec::new();
    // An area without a manifest has nothing a signature could cover.
    for (area, digests) in report
        .digests
        .iter()
        .filter(|(_, d)| d.contains_key(&ws.policy.bundle.manifest))
    {
        let facts = envelope_facts(ws, &envelope_of(&area.join(&ws.policy.bundle.manifest)));
        let expected: Vec<String> = digests.keys().cloned().collect();
        out.extend(judge(ws, &facts, area, &expected, digests));
    }
    out
}

/// Verify a bundle, signatures included.
pub fn verify_bundle(ws: &Workspace, bundle_dir: &Path, only: &[String]) -> Result<BundleReport> {
    let mut report = crate::evidence::verify::verify_bundle(bundle_dir, &ws.policy, only)?;
    let signatures = check_bundle(ws, &report);
    report.findings.extend(signatures);
    let root = &ws.root;
    crate::finding::relative_to(&mut report.findings, root);
    for a in &mut report.areas {
        crate::finding::relative_to(&mut a.findings, root);
    }
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

    /// Hash the files of `dir` now and judge the envelope on them.
    fn check(ws: &Workspace, env: &Path, dir: &Path, want: &[String]) -> Vec<Finding> {
        let digests: Digests = hash_subjects(dir, want)
            .unwrap()
            .into_iter()
            .map(|(n, h)| (n, Ok(h)))
            .collect();
        judge(ws, &envelope_facts(ws, env), dir, want, &digests)
    }

    /// The judgement reads no file: it uses the digests it is given.
    #[test]
    fn judge_uses_the_given_digests_only() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = crate::policy::Workspace::discover(Some(tmp.path()), tmp.path()).unwrap();
        crate::keys::generate(&ws, false, crate::keys::SecretHome::Workspace).unwrap();
        let dir = tmp.path().join("rel");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a.json"), b"{}").unwrap();
        let env = dir.join("m.intoto.jsonl");
        let want = vec!["a.json".to_string()];
        let subjects = hash_subjects(&dir, &want).unwrap();
        sign(&ws, &env, &subjects, RELEASE_PREDICATE, json!({})).unwrap();
        let digests: Digests = subjects.into_iter().map(|(n, h)| (n, Ok(h))).collect();
        let facts = envelope_facts(&ws, &env);
        std::fs::remove_file(dir.join("a.json")).unwrap();
        assert!(judge(&ws, &facts, &dir, &want, &digests).is_empty());
        let changed: Digests = [("a.json".to_string(), Ok("00".repeat(32)))].into();
        let f = judge(&ws, &facts, &dir, &want, &changed);
        assert!(
            f[0].message.contains("changed since it was signed"),
            "{f:?}"
        );
    }

    #[test]
    fn sign_and_check_a_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ws = crate::policy::Workspace::discover(Some(tmp.path()), tmp.path()).unwrap();
        ws.policy.signing.require = true;
        crate::keys::generate(&ws, false, crate::keys::SecretHome::Workspace).unwrap();
        assert!(
            crate::keys::generate(&ws, false, crate::keys::SecretHome::Workspace).is_err(),
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
