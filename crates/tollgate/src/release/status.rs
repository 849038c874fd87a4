//! `tollgate release status` and `tollgate approve`: a release's decision,
//! its approvals from the ledger, and whether its evidence still verifies.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::{hash_folder, release_dir, Decision, DECISION, MANIFEST};
use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity, Verdict};
use crate::policy::Workspace;
use crate::record::ledger::{files_of, FileRef, Ledger};
pub use crate::record::releases::Approval;
use crate::record::releases::{approvals as approvals_of, shippable};

/// A release as it stands now.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub version: String,
    pub path: String,
    pub decision: Decision,
    pub approvals: Vec<Approval>,
    /// Ready, or Blocked and approved with an override.
    pub shippable: bool,
    /// Problems with the evidence: changed, missing or unlisted files, the
    /// ledger's record, the signature.
    pub findings: Vec<Finding>,
}

impl Status {
    /// Whether the evidence still verifies.
    pub fn verifies(&self) -> bool {
        Verdict::of(&self.findings) != Verdict::Block
    }
}

/// Approval request.
#[derive(Debug, Clone)]
pub struct ApproveRequest {
    pub version: String,
    pub by: String,
    pub role: String,
    pub note: Option<String>,
    pub override_reason: Option<String>,
}

/// The status of release `version`.
pub fn status(ws: &Workspace, version: &str) -> Result<Status> {
    super::check_version(version)?;
    let dir = release_dir(ws, version);
    let decision_path = dir.join(DECISION);
    if !dir.is_dir() {
        return Err(Error::io(
            &dir,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no release {version}"),
            ),
        ));
    }
    let decision: Decision = serde_json::from_value(crate::read::json::load(&decision_path)?)
        .map_err(|e| Error::parse(&decision_path, None, e.to_string()))?;
    let manifest = super::read_manifest(&dir)?;

    let mut findings = Vec::new();
    let block = |subject: &str, message: String, path: &std::path::Path| {
        Finding::new(
            "release.evidence",
            Severity::Block,
            subject,
            message,
            Location::file(ws.rel(path)),
        )
    };
    for (rel, why) in super::strangers(&dir) {
        findings.push(block(version, format!("{rel} {why}"), &dir.join(&rel)));
    }
    let actual = hash_folder(&dir)?;
    for f in &manifest.files {
        let p = dir.join(&f.path);
        match actual.iter().find(|a| a.path == f.path) {
            None => findings.push(block(
                version,
                format!("{} is listed in manifest.json but missing", f.path),
                &p,
            )),
            Some(a) if !a.sha256.eq_ignore_ascii_case(&f.sha256) => findings.push(block(
                version,
                format!(
                    "{} changed: SHA-256 is {}, manifest.json records {}",
                    f.path, a.sha256, f.sha256
                ),
                &p,
            )),
            Some(_) => {}
        }
    }
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for a in actual.iter().filter(|a| !listed.contains(a.path.as_str())) {
        findings.push(block(
            version,
            format!("{} is not listed in manifest.json", a.path),
            &dir.join(&a.path),
        ));
    }

    let mut approvals = Vec::new();
    match Ledger::existing(ws)? {
        None => findings.push(block(
            version,
            "there is no ledger, so the release was never recorded".into(),
            &crate::record::ledger::dir(ws),
        )),
        Some(ledger) if let Some(broken) = crate::trust::chain_break(ws, &ledger)? => {
            findings.push(Finding::new(
                "release.ledger",
                Severity::Block,
                version,
                format!(
                    "the ledger does not verify, so none of its entries (records, approvals) is trusted: {} {}",
                    broken.subject, broken.message
                ),
                broken.location.clone(),
            ));
        }
        Some(ledger) => {
            let entries = ledger.entries()?;
            match entries
                .iter()
                .rev()
                .find(|e| e.kind == "release" && e.subject == version)
            {
                None => findings.push(block(
                    version,
                    "the ledger has no record of this release".into(),
                    &dir,
                )),
                Some(e) => {
                    for f in files_of(&e.payload_json()) {
                        let p = ws.root.join(&f.path);
                        match FileRef::of(&ws.root, &p) {
                            Ok(now) if now.sha256 == f.sha256 => {}
                            Ok(now) => findings.push(block(version, format!("{} differs from the ledger's record (entry {}): SHA-256 {} recorded, {} now", f.path, e.seq, f.sha256, now.sha256), &p)),
                            Err(err) => findings.push(block(version, format!("{} cannot be read: {err}", f.path), &p)),
                        }
                    }
                }
            }
            approvals = approvals_of(&entries, version);
        }
    }
    findings.extend(check_signature(ws, &dir, &actual)?);
    if approvals.is_empty() {
        findings.push(Finding::new(
            "release.approval",
            Severity::Warn,
            version,
            "no approval is recorded",
            Location::default(),
        ));
    }
    let trusted = !findings.iter().any(|f| f.check == "release.ledger");
    let shippable = trusted && shippable(decision.ready(), &approvals);
    Ok(Status {
        version: version.to_string(),
        path: ws.rel(&dir),
        decision,
        approvals,
        shippable,
        findings,
    })
}

/// Record an approval. A Blocked release needs an override reason, the
/// evidence must still verify, and one person approves once per role.
pub fn approve(ws: &Workspace, req: &ApproveRequest) -> Result<(Approval, Status)> {
    for (flag, v) in [("--by", &req.by), ("--role", &req.role)] {
        if v.trim().is_empty() {
            return Err(Error::Usage(format!("{flag} must not be empty")));
        }
    }
    let st = status(ws, &req.version)?;
    let dir = release_dir(ws, &req.version);
    if let Some(f) = st.findings.iter().find(|f| f.severity == Severity::Block) {
        return Err(Error::refused(
            &dir,
            format!(
                "the evidence no longer verifies ({}); it cannot be approved",
                f.message
            ),
        ));
    }
    if !st.decision.ready()
        && req
            .override_reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        let first = st
            .decision
            .blocking
            .first()
            .map(|f| format!(": first, {} {}", f.subject, f.message))
            .unwrap_or_default();
        return Err(Error::refused(
            dir.join(DECISION),
            format!(
                "release {} is Blocked ({} blocking finding(s){first}); approving it needs --override REASON",
                req.version,
                st.decision.blocking.len()
            ),
        ));
    }
    let (by, role) = (identity_key(&req.by), identity_key(&req.role));
    let entry = Ledger::open(ws)?.append_unless(
        "approval",
        &req.version,
        &serde_json::json!({
            "by": req.by, "role": req.role, "note": req.note, "override": req.override_reason,
            "decision": st.decision.decision,
            "files": [FileRef::of(&ws.root, &dir.join(DECISION))?],
        }),
        // Inside the ledger's transaction: of N identical approvals run at
        // once, exactly one is recorded.
        |earlier| {
            earlier
                .iter()
                .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
                .find(|p| {
                    identity_key(p["by"].as_str().unwrap_or_default()) == by
                        && identity_key(p["role"].as_str().unwrap_or_default()) == role
                })
                .map(|p| {
                    format!(
                        "{} has already approved {} as {}",
                        p["by"].as_str().unwrap_or_default(),
                        req.version,
                        p["role"].as_str().unwrap_or_default()
                    )
                })
        },
    )?;
    let approval = Approval {
        seq: entry.seq,
        time: entry.time,
        by: req.by.clone(),
        role: req.role.clone(),
        note: req.note.clone(),
        override_reason: req.override_reason.clone(),
    };
    let st = status(ws, &req.version)?;
    Ok((approval, st))
}

/// A name or role as duplicates are judged: Unicode NFC, trimmed and
/// lower-cased, so `Alice`, ` alice ` and a decomposed `Alicé` are one person.
pub fn identity_key(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.trim().nfc().collect::<String>().to_lowercase()
}

/// Signature findings for a release folder.
fn check_signature(
    ws: &Workspace,
    dir: &Path,
    actual: &[super::ManifestFile],
) -> Result<Vec<Finding>> {
    let facts =
        crate::signing::envelope_facts(ws, &crate::signing::envelope_of(&dir.join(MANIFEST)));
    // The folder's files as hashed for the manifest check, and the manifest.
    let mut digests: crate::evidence::facts::Digests = actual
        .iter()
        .map(|f| (f.path.clone(), Ok(f.sha256.clone())))
        .collect();
    let manifest = dir.join(MANIFEST);
    digests.insert(
        MANIFEST.to_string(),
        FileRef::of(&ws.root, &manifest)
            .map(|r| r.sha256)
            .map_err(|e| e.to_string()),
    );
    Ok(crate::signing::judge(
        ws,
        &facts,
        dir,
        &super::release_files(dir)?,
        &digests,
    ))
}
