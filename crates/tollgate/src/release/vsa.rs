//! The release decision as a SLSA Verification Summary Attestation: an
//! in-toto Statement v1 with the `https://slsa.dev/verification_summary/v1`
//! predicate, in a DSSE envelope beside the release's own
//! (`verification-summary.intoto.jsonl`). `release sign` writes it and
//! `release status` checks it.
//!
//! - subject: the release manifest and every file it lists, as the release
//!   statement signs them;
//! - `verifier.id`: [`VERIFIER`], with tollgate's version;
//! - `timeVerified`: when the decision was made;
//! - `resourceUri`: the policy's `signing.resource_uri` with `{version}`
//!   filled in;
//! - `policy`: the policy file the decision was made under, with the
//!   SHA-256 recorded at that time (`decision.json` `Inputs.Policy`);
//! - `inputAttestations`: the bundle's envelopes and the release's own;
//! - `verificationResult`: `PASSED` when the decision is Ready, else
//!   `FAILED`; `verifiedLevels` is `["TOLLGATE_RELEASE_READY"]` or
//!   `["FAILED"]` (tollgate verifies release evidence, not SLSA build
//!   levels, so it claims none of those).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::{release_dir, Decision};
use crate::error::Result;
use crate::finding::{Finding, Location, Severity};
use crate::policy::Workspace;
use crate::record::ledger::FileRef;

/// The envelope's file name in the release folder.
pub const VSA_FILE: &str = "verification-summary.intoto.jsonl";
/// The SLSA VSA predicate type.
pub const VSA_PREDICATE: &str = "https://slsa.dev/verification_summary/v1";
/// `verifier.id`.
pub const VERIFIER: &str = "https://tollgate.dev/verifier/release";

/// The envelope of release `version`.
pub fn path(ws: &Workspace, version: &str) -> PathBuf {
    release_dir(ws, version).join(VSA_FILE)
}

/// The policy a decision is made under, as `decision.json` records it:
/// its workspace-relative path (or `builtin:statetrace`) and SHA-256.
pub fn policy_input(ws: &Workspace) -> Result<Value> {
    let (uri, sha256) = match &ws.policy_path {
        Some(p) => {
            let r = FileRef::of(&ws.root, p)?;
            (r.path, r.sha256)
        }
        None => (
            "builtin:statetrace".to_string(),
            crate::digest::sha256_hex(crate::policy::profile_text("statetrace")?.as_bytes()),
        ),
    };
    Ok(json!({ "Uri": uri, "Sha256": sha256 }))
}

/// `verificationResult` for a decision.
fn result(decision: &Decision) -> &'static str {
    if decision.ready() {
        "PASSED"
    } else {
        "FAILED"
    }
}

/// The VSA predicate for `decision`, citing the attestations `inputs`
/// (workspace-relative path and SHA-256 each).
pub fn predicate(ws: &Workspace, decision: &Decision, inputs: &[FileRef]) -> Result<Value> {
    let policy = match decision.inputs.get("Policy") {
        Some(p) if p["Uri"].is_string() && p["Sha256"].is_string() => p.clone(),
        // A release decided before the policy was recorded: the policy now.
        _ => policy_input(ws)?,
    };
    let level = if decision.ready() {
        "TOLLGATE_RELEASE_READY"
    } else {
        "FAILED"
    };
    Ok(json!({
        "verifier": { "id": VERIFIER, "version": { "tollgate": env!("CARGO_PKG_VERSION") } },
        "timeVerified": decision.decided_at_utc,
        "resourceUri": ws.policy.signing.resource_uri.replace("{version}", &decision.version),
        "policy": { "uri": policy["Uri"], "digest": { "sha256": policy["Sha256"] } },
        "inputAttestations": inputs.iter().map(|f| json!({ "uri": f.path, "digest": { "sha256": f.sha256 } })).collect::<Vec<_>>(),
        "verificationResult": result(decision),
        "verifiedLevels": [level],
        "slsaVersion": "1.0",
    }))
}

/// The envelopes a release decision rests on: each area envelope of the
/// bundle it was made from, that exists.
pub fn bundle_attestations(ws: &Workspace, decision: &Decision) -> Result<Vec<FileRef>> {
    let Some(bundle) = decision.inputs["Bundle"]["Path"].as_str() else {
        return Ok(Vec::new());
    };
    let dir = ws.path(bundle);
    let mut areas: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(_) => return Ok(Vec::new()),
    };
    areas.sort();
    areas
        .iter()
        .map(|a| crate::read::manifest::envelope_of(&a.join(&ws.policy.bundle.manifest)))
        .filter(|e| e.is_file())
        .map(|e| FileRef::of(&ws.root, &e))
        .collect()
}

/// What a verified VSA statement says against the decision it stands for:
/// a finding when its predicate type is not the VSA's, or its result is not
/// the decision's.
pub fn check_statement(
    ws: &Workspace,
    envelope: &Path,
    statement: &Value,
    decision: &Decision,
) -> Option<Finding> {
    let said = statement["predicate"]["verificationResult"].as_str();
    let problem = if statement["predicateType"] != VSA_PREDICATE {
        format!(
            "its predicate type is {}, not {VSA_PREDICATE}",
            statement["predicateType"]
        )
    } else if said != Some(result(decision)) {
        format!(
            "it says {} but the decision is {}",
            said.unwrap_or("nothing"),
            decision.word()
        )
    } else {
        return None;
    };
    Some(Finding::new(
        "signature",
        Severity::Block,
        ws.rel(envelope),
        format!("verification summary: {problem}"),
        Location::file(ws.rel(envelope)),
    ))
}
