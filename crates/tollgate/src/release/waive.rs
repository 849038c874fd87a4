//! `tollgate waive`: a signed waiver of one blocking gate or finding of one
//! release's decision, with a reason and an expiry, recorded in the ledger.

use super::release_dir;
use super::status::{no_policy, principal_for_key, verified, Signing, Status};
use crate::approval::{sshsig, waiver, Rules, Waiver, WaiverStatement};
use crate::error::{Error, Result};
use crate::policy::Workspace;
use crate::record::ledger::Ledger;

/// What to waive.
#[derive(Debug, Clone)]
pub struct WaiveRequest {
    pub version: String,
    /// `gate:ID` or `finding:CHECK:SUBJECT` ([`waiver::target`]).
    pub target: String,
    pub reason: String,
    /// The last day it counts, YYYY-MM-DD.
    pub expires: String,
    pub role: String,
    /// The principal to sign as (default: the key's).
    pub by: Option<String>,
    pub signing: Signing,
}

/// The waiver statement for `req`, made for `principal` (`tollgate waive
/// --print-statement`).
pub fn statement(ws: &Workspace, req: &WaiveRequest, principal: &str) -> Result<WaiverStatement> {
    let st = checked(ws, req)?;
    statement_for(ws, &st, req, principal)
}

/// The release status, once `req` is found sound: a policy, a declared
/// role, a known gate, a date, evidence that verifies, and a target that
/// blocks this release. Every way of waiving goes through it.
fn checked(ws: &Workspace, req: &WaiveRequest) -> Result<Status> {
    let policy = ws.policy.approvals.as_ref().ok_or_else(no_policy)?;
    policy.declared_role(&req.role).map_err(Error::Usage)?;
    if let Some(id) = req.target.strip_prefix("gate:") {
        let known = ws
            .policy
            .gates
            .iter()
            .map(|g| &g.id)
            .chain(ws.policy.gate_sets.iter().map(|g| &g.id));
        if !known.clone().any(|g| g == id) {
            return Err(Error::Usage(format!(
                "--gate {id}: no such gate in the policy (gates: {})",
                known.map(String::as_str).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    if waiver::parse_expiry(&req.expires).is_none() {
        return Err(Error::Usage(format!(
            "--expires {}: not a date (YYYY-MM-DD)",
            req.expires
        )));
    }
    let st = verified(ws, &req.version)?;
    let blocking = st.recorded.blocked_by.clone().unwrap_or_default();
    if !blocking.contains(&req.target) {
        return Err(Error::refused(
            release_dir(ws, &req.version),
            format!(
                "{} does not block release {}, so there is nothing to waive (blocking: {})",
                req.target,
                req.version,
                if blocking.is_empty() {
                    "none".to_string()
                } else {
                    blocking.join(", ")
                }
            ),
        ));
    }
    Ok(st)
}

/// The waiver statement of `req` for `principal` on release status `st`.
fn statement_for(
    ws: &Workspace,
    st: &Status,
    req: &WaiveRequest,
    principal: &str,
) -> Result<WaiverStatement> {
    let policy = ws.policy.approvals.as_ref().ok_or_else(no_policy)?;
    let role = policy.declared_role(&req.role).map_err(Error::Usage)?;
    Ok(WaiverStatement {
        kind: waiver::WAIVER_TYPE.to_string(),
        version: req.version.clone(),
        decision_sha256: st.recorded.decision.clone().unwrap_or_default(),
        target: req.target.clone(),
        reason: req.reason.clone(),
        expires: req.expires.trim().to_string(),
        role: role.name.clone(),
        principal: principal.to_string(),
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// Sign (or take the signature of) the waiver and record it. Refused, with
/// the reason, when it would not be valid now.
pub fn waive(ws: &Workspace, req: &WaiveRequest) -> Result<(Waiver, Status)> {
    let rules = Rules::load(ws)?;
    let dir = release_dir(ws, &req.version);
    let st = checked(ws, req)?;
    let (text, sig) = match &req.signing {
        Signing::Unsigned => {
            return Err(Error::Usage(
                "a waiver must be signed: give --key KEY, or --signature SIG from ssh-keygen -Y sign -n tollgate".into(),
            ))
        }
        Signing::Key(key) => {
            let principal = principal_for_key(&rules, req.by.as_deref(), &req.role, key)?;
            let text = statement_for(ws, &st, req, &principal)?.to_text();
            let sig = sshsig::sign(key, text.as_bytes())?;
            (text, sig)
        }
        Signing::Signature {
            signature,
            statement,
        } => (
            crate::read::text::read_to_string(statement)?,
            crate::read::text::read_to_string(signature)?,
        ),
    };
    let now = chrono::Utc::now();
    let (stmt, fp) = rules
        .check_waiver(
            &text,
            &sig,
            &req.version,
            &st.recorded,
            now,
            now.date_naive(),
        )
        .map_err(|why| Error::refused(&dir, format!("waiver refused: {why}")))?;
    if stmt.target != req.target {
        return Err(Error::refused(
            &dir,
            format!(
                "waiver refused: the statement waives {}, not {}",
                stmt.target, req.target
            ),
        ));
    }
    let entry = Ledger::open(ws)?.append(
        "waiver",
        &req.version,
        &serde_json::json!({
            "by": stmt.principal, "role": stmt.role, "target": stmt.target,
            "reason": stmt.reason, "expires": stmt.expires,
            "statement": text, "signature": sig, "key": fp,
        }),
    )?;
    let st = super::status::status(ws, &req.version)?;
    let w = st
        .waivers
        .iter()
        .find(|w| w.seq == entry.seq)
        .cloned()
        .unwrap_or_else(|| Waiver::of(&entry));
    Ok((w, st))
}
