//! `tollgate release status` and `tollgate approve`: a release's decision,
//! its approvals from the ledger, and whether its evidence still verifies.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{hash_folder, release_dir, Decision, DECISION, MANIFEST};
pub use crate::approval::Approval;
use crate::approval::Waiver;
use crate::approval::{identity_key, sshsig, Rules, Shipping, Statement, APPROVAL_TYPE};
use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity, Verdict};
use crate::policy::Workspace;
use crate::record::ledger::{files_of, FileRef, Ledger};
use crate::record::releases::judge;

/// A release as it stands now.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub version: String,
    pub path: String,
    pub decision: Decision,
    pub approvals: Vec<Approval>,
    /// Whether it may ship: the evidence and ledger are trusted, and the
    /// approvals satisfy the policy ([`Rules::shipping`]).
    pub shippable: bool,
    /// What the approvals amount to: each required role, what is unmet, and
    /// the blocking findings waived.
    pub approval: Shipping,
    /// The waivers recorded for it, judged.
    pub waivers: Vec<Waiver>,
    /// The digests and blocking targets its ledger record vouches for, as
    /// statements must sign them.
    #[serde(skip)]
    pub recorded: crate::approval::ReleaseDigests,
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
    pub role: String,
    /// The name of an unsigned approval, or the principal of a statement.
    pub by: Option<String>,
    pub note: Option<String>,
    pub override_reason: Option<String>,
    pub signing: Signing,
}

/// How an approval is authenticated.
#[derive(Debug, Clone)]
pub enum Signing {
    /// A bare name: only where the workspace has no `[approvals]` policy.
    Unsigned,
    /// Sign with this key (a private key file, or a public key in ssh-agent).
    Key(PathBuf),
    /// A signature made elsewhere (`ssh-keygen -Y sign -n tollgate`) over
    /// the statement in `statement`.
    Signature {
        signature: PathBuf,
        statement: PathBuf,
    },
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

    let rules = Rules::load(ws)?;
    let mut judged = None;
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
            judged = Some(judge(&entries, version, decision.ready(), &rules));
        }
    }
    findings.extend(check_signature(ws, &dir, &actual, &decision)?);
    // An untrusted or absent ledger: no approval, no waiver.
    let judged = judged.unwrap_or_else(|| judge(&[], version, decision.ready(), &rules));
    if judged.approvals.is_empty() {
        findings.push(Finding::new(
            "release.approval",
            Severity::Warn,
            version,
            "no approval is recorded",
            Location::default(),
        ));
    }
    let approval = judged.shipping;
    if !approval.authenticated {
        findings.push(Finding::new(
            "release.approval",
            Severity::Warn,
            version,
            "approvals are not authenticated: the policy has no [approvals] table, so anyone can approve as anyone",
            Location::default(),
        ));
    }
    let trusted = !findings.iter().any(|f| f.check == "release.ledger");
    Ok(Status {
        version: version.to_string(),
        path: ws.rel(&dir),
        decision,
        shippable: trusted && approval.shippable,
        approvals: judged.approvals,
        approval,
        waivers: judged.waivers,
        recorded: judged.digests,
        findings,
    })
}

/// The statement an approver signs for `req`, built from the release's
/// recorded evidence (`tollgate approve --print-statement`). `principal` is
/// whom it is made for.
pub fn statement(ws: &Workspace, req: &ApproveRequest, principal: &str) -> Result<Statement> {
    let (rules, st) = approvable(ws, req)?;
    statement_for(ws, &rules, &st, req, principal)
}

/// The approval statement of `req` for `principal` on release status `st`.
fn statement_for(
    ws: &Workspace,
    rules: &Rules,
    st: &Status,
    req: &ApproveRequest,
    principal: &str,
) -> Result<Statement> {
    let policy = rules.policy.as_ref().ok_or_else(no_policy)?;
    let role = policy.declared_role(&req.role).map_err(Error::Usage)?;
    let (Some(decision), Some(manifest)) = (&st.recorded.decision, &st.recorded.manifest) else {
        return Err(Error::refused(
            release_dir(ws, &req.version),
            "the ledger's record of this release lists no decision.json or manifest.json digest",
        ));
    };
    Ok(Statement {
        kind: APPROVAL_TYPE.to_string(),
        version: req.version.clone(),
        decision_sha256: decision.clone(),
        manifest_sha256: manifest.clone(),
        role: role.name.clone(),
        principal: principal.to_string(),
        note: req.note.clone(),
        override_reason: req.override_reason.clone(),
        waivers: st
            .waivers
            .iter()
            .filter(|w| w.state == crate::approval::WaiverState::Valid)
            .map(|w| w.seq)
            .collect(),
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// Whom a printed statement is for: `--by`, or the role's one principal.
pub fn statement_principal(ws: &Workspace, role: &str, by: Option<&str>) -> Result<String> {
    if let Some(by) = by.map(str::trim).filter(|b| !b.is_empty()) {
        return Ok(by.to_string());
    }
    let p = ws.policy.approvals.as_ref().ok_or_else(no_policy)?;
    match p
        .declared_role(role)
        .map_err(Error::Usage)?
        .principals
        .as_slice()
    {
        [one] if !one.contains(['*', '?', '!']) => Ok(one.clone()),
        many => Err(Error::Usage(format!(
            "--by: role {role} has principals {}; say which one signs",
            many.join(", ")
        ))),
    }
}

pub(super) fn no_policy() -> Error {
    Error::Usage(
        "signed approvals need an [approvals] table in the policy naming allowed_signers and the roles".into(),
    )
}

/// The rules and status of a release that may be approved now: its role is
/// declared, its evidence verifies, and, without a policy, a Blocked one
/// comes with an override.
fn approvable(ws: &Workspace, req: &ApproveRequest) -> Result<(Rules, Status)> {
    if req.role.trim().is_empty() {
        return Err(Error::Usage("--role must not be empty".into()));
    }
    let rules = Rules::load(ws)?;
    if let Some(p) = &rules.policy {
        p.declared_role(&req.role).map_err(Error::Usage)?;
    }
    let st = verified(ws, &req.version)?;
    let dir = release_dir(ws, &req.version);
    // Under a policy, an approval of a Blocked release without an override
    // is recorded (it fills its role); the release ships only once a valid
    // override from an override role is recorded too.
    if rules.policy.is_none()
        && !st.decision.ready()
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
    Ok((rules, st))
}

/// The status of release `version`, refused unless its evidence verifies.
pub(super) fn verified(ws: &Workspace, version: &str) -> Result<Status> {
    let st = status(ws, version)?;
    if let Some(f) = st.findings.iter().find(|f| f.severity == Severity::Block) {
        return Err(Error::refused(
            release_dir(ws, version),
            format!(
                "the evidence no longer verifies ({}); it cannot be approved or waived",
                f.message
            ),
        ));
    }
    Ok(st)
}

/// The principal a key approves as in `role`: the one its allowed-signers
/// lines name that is also a principal of the role (or `by`, when given).
pub(super) fn principal_for_key(
    rules: &Rules,
    by: Option<&str>,
    role: &str,
    key: &Path,
) -> Result<String> {
    if let Some(by) = by {
        return Ok(by.trim().to_string());
    }
    let public = sshsig::public_key(key)?;
    let fp = crate::approval::signers::fingerprint(public.key_data());
    let lines: Vec<_> = rules.signers.for_key(public.key_data()).collect();
    if lines.is_empty() {
        return Err(Error::refused(
            key,
            format!(
                "key {fp} is not in {}, so it cannot approve",
                rules.signers.path
            ),
        ));
    }
    let role = rules
        .policy
        .as_ref()
        .and_then(|p| p.role(role))
        .ok_or_else(no_policy)?;
    let named: Vec<&String> = lines.iter().flat_map(|l| &l.principals).collect();
    named
        .iter()
        .find(|p| {
            !p.contains(['*', '?', '!'])
                && role.principals.iter().any(|r| crate::evidence::glob::matches(r, p))
        })
        .map(|p| p.to_string())
        .ok_or_else(|| {
            Error::refused(
                key,
                format!(
                    "key {fp} belongs to {}, who is not a principal of role {} (its principals: {})",
                    named.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "),
                    role.name,
                    role.principals.join(", ")
                ),
            )
        })
}

/// Record an approval. The evidence must still verify, a Blocked release
/// needs an override reason, and one person approves once per role. Under
/// an `[approvals]` policy the approval must be signed and judged valid
/// now; otherwise it is recorded as a bare, unauthenticated name.
pub fn approve(ws: &Workspace, req: &ApproveRequest) -> Result<(Approval, Status)> {
    let (rules, st) = approvable(ws, req)?;
    let dir = release_dir(ws, &req.version);
    let mut payload = serde_json::json!({
        "note": req.note, "override": req.override_reason,
        "decision": st.decision.decision,
        "files": [FileRef::of(&ws.root, &dir.join(DECISION))?],
    });
    let signed = match (&rules.policy, &req.signing) {
        (None, Signing::Unsigned) => None,
        (None, _) => return Err(no_policy()),
        (Some(_), Signing::Unsigned) => {
            return Err(Error::refused(
                &dir,
                "the [approvals] policy counts only signed approvals: give --key KEY, or --signature SIG from ssh-keygen -Y sign -n tollgate",
            ))
        }
        (Some(_), Signing::Key(key)) => {
            let principal = principal_for_key(&rules, req.by.as_deref(), &req.role, key)?;
            let text = statement_for(ws, &rules, &st, req, &principal)?.to_text();
            let sig = sshsig::sign(key, text.as_bytes())?;
            Some((text, sig))
        }
        (Some(_), Signing::Signature { signature, statement }) => Some((
            crate::read::text::read_to_string(statement)?,
            crate::read::text::read_to_string(signature)?,
        )),
    };
    let (by, role) = match signed {
        None => {
            let by = req.by.as_deref().unwrap_or_default().trim();
            if by.is_empty() {
                return Err(Error::Usage("--by must name who approves".into()));
            }
            (by.to_string(), req.role.clone())
        }
        Some((text, sig)) => {
            let (stmt, fp) = rules
                .check(&text, &sig, &req.version, &st.recorded, chrono::Utc::now())
                .map_err(|why| Error::refused(&dir, format!("approval refused: {why}")))?;
            if identity_key(&stmt.role) != identity_key(&req.role) {
                return Err(Error::refused(
                    &dir,
                    format!(
                        "approval refused: the statement is for role {}, not {}",
                        stmt.role, req.role
                    ),
                ));
            }
            payload["note"] = serde_json::json!(stmt.note);
            payload["override"] = serde_json::json!(stmt.override_reason);
            payload["statement"] = serde_json::json!(text);
            payload["signature"] = serde_json::json!(sig);
            payload["key"] = serde_json::json!(fp);
            payload["waivers"] = serde_json::json!(stmt.waivers);
            (stmt.principal, stmt.role)
        }
    };
    payload["by"] = serde_json::json!(by);
    payload["role"] = serde_json::json!(role);
    let (by_key, role_key) = (identity_key(&by), identity_key(&role));
    let entry = Ledger::open(ws)?.append_unless(
        "approval",
        &req.version,
        &payload,
        // Inside the ledger's transaction: of N identical approvals run at
        // once, exactly one is recorded.
        |earlier| {
            earlier
                .iter()
                .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
                // A new approval accepting other waivers is not a duplicate.
                .find(|p| {
                    identity_key(p["by"].as_str().unwrap_or_default()) == by_key
                        && identity_key(p["role"].as_str().unwrap_or_default()) == role_key
                        && p["waivers"] == payload["waivers"]
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
    let st = status(ws, &req.version)?;
    let approval = st
        .approvals
        .iter()
        .find(|a| a.seq == entry.seq)
        .cloned()
        .unwrap_or_else(|| Approval::of(&entry));
    Ok((approval, st))
}

/// Signature findings for a release folder: its envelope, and its
/// verification summary when there is one (or the ledger says there was).
fn check_signature(
    ws: &Workspace,
    dir: &Path,
    actual: &[super::ManifestFile],
    decision: &Decision,
) -> Result<Vec<Finding>> {
    let facts = crate::signing::envelope_facts(
        ws,
        &crate::read::manifest::envelope_of(&dir.join(MANIFEST)),
    );
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
    let files = super::release_files(dir)?;
    let mut out = crate::signing::judge(ws, &facts, dir, &files, &digests);
    let summary = dir.join(super::vsa::VSA_FILE);
    if std::fs::symlink_metadata(&summary).is_err() {
        out.extend(crate::signing::gone(ws, &summary));
        return Ok(out);
    }
    let facts = crate::signing::envelope_facts(ws, &summary);
    out.extend(crate::signing::judge(ws, &facts, dir, &files, &digests));
    if let Some(statement) = crate::signing::verified_statement(&facts) {
        out.extend(super::vsa::check_statement(
            ws, &summary, &statement, decision,
        ));
    }
    Ok(out)
}
