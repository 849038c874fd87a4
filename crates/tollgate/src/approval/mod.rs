//! Signed approvals (SPEC §6): who approved a release, proved by a key the
//! approver holds, and whether the policy let them.
//!
//! An approval is a [`Statement`] (the release, the digests of its
//! `decision.json` and `manifest.json`, role, principal, note, override,
//! time) signed in SSHSIG format. [`Rules`] judges every recorded approval
//! as valid, invalid (and why) or legacy unsigned, and [`Rules::shipping`]
//! is the one place that says whether approvals make a release shippable.

pub mod signers;
pub mod sshsig;
pub mod waiver;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::policy::{ApprovalsPolicy, Workspace};
use crate::record::ledger::Entry;
pub use signers::AllowedSigners;
pub use waiver::{Waiver, WaiverState, WaiverStatement};

/// The `type` of an approval statement.
pub const APPROVAL_TYPE: &str = "tollgate.approval/v1";

/// What an approver signs. Its exact bytes are stored in the ledger entry,
/// next to the signature, so a third party can re-verify it with
/// `ssh-keygen -Y verify -n tollgate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    /// SHA-256 (hex) of the release's `decision.json` and `manifest.json`.
    pub decision_sha256: String,
    pub manifest_sha256: String,
    pub role: String,
    pub principal: String,
    pub note: Option<String>,
    #[serde(rename = "override")]
    pub override_reason: Option<String>,
    /// Ledger entries of the waivers the approver accepted.
    #[serde(default)]
    pub waivers: Vec<i64>,
    /// When it was made (RFC 3339, UTC).
    pub time: String,
}

impl Statement {
    /// The statement as signed: compact JSON with a final newline.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The digests of a release's decision and manifest, as its newest ledger
/// record vouches for them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReleaseDigests {
    pub decision: Option<String>,
    pub manifest: Option<String>,
    /// The waiver targets of its blocking findings ([`waiver::target_of`]);
    /// `None` for a record made before waivers existed.
    pub blocked_by: Option<Vec<String>>,
}

/// How an approval was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalState {
    /// Signed by a key the allowed-signers file lets act in its role, for
    /// this release's evidence.
    Valid,
    /// Signed, but it does not count; `reason` says why.
    Invalid,
    /// A bare name and role, as recorded before approvals were signed:
    /// counted only where no `[approvals]` policy exists.
    #[serde(rename = "legacy unsigned")]
    Unsigned,
}

/// One recorded approval, as judged.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub seq: i64,
    pub time: String,
    /// The principal (signed) or the name given (unsigned).
    pub by: String,
    pub role: String,
    pub note: Option<String>,
    /// The reason given for approving a Blocked release.
    pub override_reason: Option<String>,
    /// The signer's key fingerprint, for signed approvals.
    pub key: Option<String>,
    pub state: ApprovalState,
    /// Why it does not count or is not authenticated.
    pub reason: Option<String>,
    /// The waivers (ledger entries) its statement accepted.
    pub waivers: Vec<i64>,
}

impl Approval {
    /// How it was judged, in words: `valid`, `INVALID: why` or `legacy
    /// unsigned`. Every output shows this.
    pub fn judgement(&self) -> String {
        match self.state {
            ApprovalState::Valid => "valid".to_string(),
            ApprovalState::Invalid => {
                format!("INVALID: {}", self.reason.as_deref().unwrap_or_default())
            }
            ApprovalState::Unsigned => "legacy unsigned".to_string(),
        }
    }

    /// The approval an `approval` entry records, not yet judged.
    pub fn of(e: &Entry) -> Approval {
        let p = e.payload_json();
        let s = |k: &str| p[k].as_str().map(str::to_string);
        Approval {
            seq: e.seq,
            time: e.time.clone(),
            by: s("by").unwrap_or_default(),
            role: s("role").unwrap_or_default(),
            note: s("note"),
            override_reason: s("override"),
            key: s("key"),
            state: ApprovalState::Unsigned,
            reason: None,
            waivers: Vec::new(),
        }
    }
}

/// The approval policy and the keys it trusts; without a policy, approvals
/// are unauthenticated names, counted as before.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub policy: Option<ApprovalsPolicy>,
    pub signers: AllowedSigners,
}

/// Whether approvals let a release ship, and each required role's state.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Shipping {
    pub shippable: bool,
    /// Whether approvals are signed and judged by a policy.
    pub authenticated: bool,
    pub roles: Vec<RoleState>,
    /// Why it may not ship, one reason per line (empty when shippable).
    pub unmet: Vec<String>,
    /// The blocking findings valid waivers accept (`gate:ID`,
    /// `finding:CHECK:SUBJECT`): Waived, not passed.
    pub waived: Vec<String>,
    /// The `seq` of the approval whose override counts, if any.
    #[serde(skip)]
    pub overridden_by: Option<i64>,
}

/// A release's approvals and waivers, judged, and what they amount to.
#[derive(Debug, Clone)]
pub struct Judged {
    pub approvals: Vec<Approval>,
    pub waivers: Vec<Waiver>,
    pub shipping: Shipping,
    /// The release record they were judged against.
    pub digests: ReleaseDigests,
}

/// A required role: who fills it, if anyone.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RoleState {
    pub role: String,
    pub satisfied: bool,
    pub by: Option<String>,
}

impl Rules {
    /// The workspace's rules: its `[approvals]` policy and allowed-signers
    /// file (an error names a missing file or a malformed line).
    pub fn load(ws: &Workspace) -> Result<Rules> {
        let Some(p) = ws.policy.approvals.clone() else {
            return Ok(Rules::default());
        };
        let path = ws.path(&p.allowed_signers);
        let signers = AllowedSigners::load(&path, &ws.rel(&path))?;
        Ok(Rules {
            policy: Some(p),
            signers,
        })
    }

    /// Judge the `approval` entry `e` against the release's recorded digests.
    pub fn judge(&self, e: &Entry, digests: &ReleaseDigests) -> Approval {
        let mut a = Approval::of(e);
        let p = e.payload_json();
        let signed = (p["statement"].as_str(), p["signature"].as_str());
        let (Some(text), Some(sig), Some(_)) = (signed.0, signed.1, &self.policy) else {
            // Without a policy nothing is authenticated, signed or not.
            a.state = ApprovalState::Unsigned;
            a.reason = Some(if self.policy.is_some() {
                "unsigned: the policy counts only signed approvals".into()
            } else {
                "not authenticated: this workspace has no [approvals] policy".into()
            });
            return a;
        };
        let time = DateTime::parse_from_rfc3339(&e.time)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        match self.check(text, sig, &e.subject, digests, time) {
            Ok((stmt, key)) => {
                let differs = [
                    ("by", stmt.principal == a.by),
                    ("role", stmt.role == a.role),
                    ("note", stmt.note == a.note),
                    ("override", stmt.override_reason == a.override_reason),
                    ("key", a.key.as_deref() == Some(key.as_str())),
                ]
                .into_iter()
                .find(|(_, same)| !same);
                match differs {
                    Some((field, _)) => {
                        a.state = ApprovalState::Invalid;
                        a.reason = Some(format!(
                            "the ledger payload's '{field}' differs from the signed statement: the entry was edited"
                        ));
                    }
                    None => {
                        a.state = ApprovalState::Valid;
                        a.waivers = stmt.waivers;
                    }
                }
            }
            Err(why) => {
                a.state = ApprovalState::Invalid;
                a.reason = Some(why);
            }
        }
        a
    }

    /// Check a signature `sig` over `text` by `principal` acting as `role`
    /// at `time`: the signature verifies, the allowed-signers file lets the
    /// key sign as the principal in tollgate's namespace then, and the
    /// principal belongs to the role. The policy, the signer's fingerprint
    /// and the role, or why the signature does not count.
    fn signer(
        &self,
        text: &str,
        sig: &str,
        principal: &str,
        role: &str,
        time: DateTime<Utc>,
    ) -> std::result::Result<
        (
            &ApprovalsPolicy,
            String,
            &crate::policy::approvals::RoleSpec,
        ),
        String,
    > {
        let Some(policy) = &self.policy else {
            return Err(
                "signed, but this workspace has no [approvals] policy to judge it by".into(),
            );
        };
        let key = sshsig::verify(sig, text.as_bytes())?;
        let fp = signers::fingerprint(&key);
        let lines: Vec<&signers::Signer> = self.signers.for_key(&key).collect();
        if lines.is_empty() {
            return Err(format!("key {fp} is not in {}", self.signers.path));
        }
        let line = lines
            .iter()
            .find(|s| s.allows(principal) && s.allows_namespace(sshsig::NAMESPACE))
            .ok_or_else(|| {
                format!(
                    "key {fp} may not sign as {principal} in namespace {} ({} line {})",
                    sshsig::NAMESPACE,
                    self.signers.path,
                    lines[0].line
                )
            })?;
        if let Some(why) = line.outside_window(time) {
            return Err(format!(
                "key {fp} was used at {}, outside its validity window: {why} ({} line {})",
                time.format("%Y-%m-%dT%H:%M:%SZ"),
                self.signers.path,
                line.line
            ));
        }
        let role = policy
            .role(role)
            .ok_or_else(|| format!("role '{role}' is not declared in [approvals]"))?;
        if !role
            .principals
            .iter()
            .any(|p| crate::evidence::glob::matches(p, principal))
        {
            return Err(format!(
                "{principal} is not a principal of role {} (its principals: {})",
                role.name,
                role.principals.join(", ")
            ));
        }
        Ok((policy, fp, role))
    }

    /// Check signed approval statement `text` for release `version`, made at
    /// `time`: the statement, its signature ([`Rules::signer`]), the evidence
    /// it is for and the override rules. The statement and the signer's
    /// fingerprint, or why it does not count.
    pub fn check(
        &self,
        text: &str,
        sig: &str,
        version: &str,
        digests: &ReleaseDigests,
        time: DateTime<Utc>,
    ) -> std::result::Result<(Statement, String), String> {
        let stmt: Statement = serde_json::from_str(text)
            .map_err(|e| format!("the signed statement does not parse: {e}"))?;
        if stmt.kind != APPROVAL_TYPE {
            return Err(format!(
                "the statement is a '{}', not an approval",
                stmt.kind
            ));
        }
        let (policy, fp, role) = self.signer(text, sig, &stmt.principal, &stmt.role, time)?;
        same_version(&stmt.version, version)?;
        same_evidence("decision.json", &stmt.decision_sha256, &digests.decision)?;
        same_evidence("manifest.json", &stmt.manifest_sha256, &digests.manifest)?;
        if let Some(reason) = &stmt.override_reason {
            if !ApprovalsPolicy::listed(&policy.override_roles, &role.name) {
                return Err(format!(
                    "an override by role {}, which may not override (override_roles: {})",
                    role.name,
                    policy.override_roles.join(", ")
                ));
            }
            if reason.trim().chars().count() < policy.min_reason_chars {
                return Err(format!(
                    "the override reason has fewer than {} characters",
                    policy.min_reason_chars
                ));
            }
        }
        Ok((stmt, fp))
    }

    /// Check signed waiver statement `text` for release `version`, made at
    /// `time`, on `today`: its signature, the evidence, the waiver role, the
    /// reason and the expiry. The statement and the signer's fingerprint.
    pub fn check_waiver(
        &self,
        text: &str,
        sig: &str,
        version: &str,
        digests: &ReleaseDigests,
        time: DateTime<Utc>,
        today: chrono::NaiveDate,
    ) -> std::result::Result<(WaiverStatement, String), String> {
        let stmt: WaiverStatement = serde_json::from_str(text)
            .map_err(|e| format!("the signed waiver does not parse: {e}"))?;
        if stmt.kind != waiver::WAIVER_TYPE {
            return Err(format!("the statement is a '{}', not a waiver", stmt.kind));
        }
        let (policy, fp, role) = self.signer(text, sig, &stmt.principal, &stmt.role, time)?;
        same_version(&stmt.version, version)?;
        same_evidence("decision.json", &stmt.decision_sha256, &digests.decision)?;
        if !ApprovalsPolicy::listed(&policy.waiver_roles, &role.name) {
            return Err(format!(
                "a waiver by role {}, which may not waive (waiver_roles: {})",
                role.name,
                policy.waiver_roles.join(", ")
            ));
        }
        if stmt.reason.trim().chars().count() < policy.min_reason_chars {
            return Err(format!(
                "the waiver's reason has fewer than {} characters",
                policy.min_reason_chars
            ));
        }
        let expires = waiver::parse_expiry(&stmt.expires)
            .ok_or_else(|| format!("expires '{}' is not a date (YYYY-MM-DD)", stmt.expires))?;
        if expires < today {
            return Err(format!("the waiver expired on {expires}"));
        }
        Ok((stmt, fp))
    }

    /// Judge the `waiver` entry `e` against the release's record on `today`.
    pub fn judge_waiver(
        &self,
        e: &Entry,
        digests: &ReleaseDigests,
        today: chrono::NaiveDate,
    ) -> Waiver {
        let mut w = Waiver::of(e);
        let p = e.payload_json();
        let time = DateTime::parse_from_rfc3339(&e.time)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let checked = match (p["statement"].as_str(), p["signature"].as_str()) {
            (Some(text), Some(sig)) => {
                self.check_waiver(text, sig, &e.subject, digests, time, today)
            }
            _ => Err("unsigned: a waiver must be signed".into()),
        };
        match checked {
            Ok((stmt, fp)) => {
                let same = stmt.principal == w.by
                    && stmt.role == w.role
                    && stmt.target == w.target
                    && stmt.reason == w.reason
                    && stmt.expires == w.expires
                    && w.key.as_deref() == Some(fp.as_str());
                let blocking = digests.blocked_by.as_deref().unwrap_or_default();
                if !same {
                    w.problem = Some(
                        "the ledger payload differs from the signed waiver: the entry was edited"
                            .into(),
                    );
                } else if !blocking.contains(&stmt.target) {
                    w.state = WaiverState::Stale;
                    w.problem = Some(format!(
                        "stale: {} does not block this release's decision, so there is nothing to waive",
                        stmt.target
                    ));
                } else {
                    w.state = WaiverState::Valid;
                }
            }
            Err(why) => w.problem = Some(why),
        }
        w
    }

    /// Judge release `version`'s approvals and waivers among `entries`
    /// against its record `digests`, on `today`, and decide whether it ships:
    /// a decision recorded `ready`, or Blocked with every blocking finding
    /// validly waived, counts as ready. An approval must accept every waiver
    /// in effect; one signed before a waiver was recorded no longer counts.
    pub fn judge_release(
        &self,
        entries: &[Entry],
        version: &str,
        digests: &ReleaseDigests,
        ready: bool,
        today: chrono::NaiveDate,
    ) -> Judged {
        let of = |kind: &'static str| {
            entries
                .iter()
                .filter(move |e| e.kind == kind && e.subject == version)
        };
        let waivers: Vec<Waiver> = of("waiver")
            .map(|e| self.judge_waiver(e, digests, today))
            .collect();
        let in_effect: Vec<&Waiver> = waivers
            .iter()
            .filter(|w| w.state == WaiverState::Valid)
            .collect();
        let mut approvals: Vec<Approval> = of("approval").map(|e| self.judge(e, digests)).collect();
        for a in approvals
            .iter_mut()
            .filter(|a| a.state == ApprovalState::Valid)
        {
            if let Some(w) = in_effect.iter().find(|w| !a.waivers.contains(&w.seq)) {
                a.state = ApprovalState::Invalid;
                a.reason = Some(format!(
                    "it does not accept waiver #{} ({}), recorded after it was signed: approve again",
                    w.seq, w.target
                ));
            }
        }
        let mut waived: Vec<String> = in_effect.iter().map(|w| w.target.clone()).collect();
        waived.sort();
        waived.dedup();
        let blocking = digests.blocked_by.as_deref().unwrap_or_default();
        let all_waived = !blocking.is_empty() && blocking.iter().all(|t| waived.contains(t));
        let mut shipping = self.shipping(ready || all_waived, &approvals);
        shipping.waived = waived;
        Judged {
            approvals,
            waivers,
            shipping,
            digests: digests.clone(),
        }
    }

    /// Whether `approvals` (judged) let a release that was decided `ready`
    /// ship. The one rule, used by `release status`, the readiness
    /// assessment, baselines and the dashboard.
    pub fn shipping(&self, ready: bool, approvals: &[Approval]) -> Shipping {
        let Some(policy) = &self.policy else {
            let overridden_by = approvals
                .iter()
                .find(|a| a.override_reason.is_some())
                .map(|a| a.seq);
            let overridden = overridden_by.is_some();
            return Shipping {
                shippable: ready || overridden,
                authenticated: false,
                roles: Vec::new(),
                unmet: if ready || overridden {
                    Vec::new()
                } else {
                    vec!["the decision is Blocked and no approval overrides it".into()]
                },
                waived: Vec::new(),
                overridden_by,
            };
        };
        let valid: Vec<&Approval> = approvals
            .iter()
            .filter(|a| a.state == ApprovalState::Valid)
            .collect();
        let overridden_by = valid
            .iter()
            .find(|a| a.override_reason.is_some())
            .map(|a| a.seq);
        let mut unmet = Vec::new();
        if !ready && overridden_by.is_none() {
            unmet
                .push("the decision is Blocked and no valid override from an override role".into());
        }
        let roles = fill_roles(&policy.required_roles, &valid, policy.distinct_people);
        for r in roles.iter().filter(|r| !r.satisfied) {
            unmet.push(if policy.distinct_people {
                format!("required role {} has no valid approval from a person not already counted for another role", r.role)
            } else {
                format!("required role {} has no valid approval", r.role)
            });
        }
        let people: std::collections::BTreeSet<String> =
            valid.iter().map(|a| identity_key(&a.by)).collect();
        if people.len() < policy.min_approvers {
            unmet.push(format!(
                "{} of the {} approvers the policy requires",
                people.len(),
                policy.min_approvers
            ));
        }
        Shipping {
            shippable: unmet.is_empty(),
            authenticated: true,
            roles,
            unmet,
            waived: Vec::new(),
            overridden_by,
        }
    }
}

/// Whether a statement is for release `version`.
fn same_version(signed: &str, version: &str) -> std::result::Result<(), String> {
    if signed == version {
        return Ok(());
    }
    Err(format!(
        "the statement is for release {signed}, not {version}: it was replayed from another release"
    ))
}

/// Whether a signed digest is the one the release records.
fn same_evidence(
    what: &str,
    signed: &str,
    recorded: &Option<String>,
) -> std::result::Result<(), String> {
    if recorded.as_deref() == Some(signed.to_ascii_lowercase().as_str()) {
        return Ok(());
    }
    Err(format!(
        "the statement is for other evidence: {what} SHA-256 {} signed, the release records {}",
        crate::record::ledger::short_hash(signed),
        recorded
            .as_deref()
            .map_or("none", crate::record::ledger::short_hash)
    ))
}

/// Who fills each required role: any valid approval in it, or, with
/// `distinct`, an assignment in which no person fills two roles (found by
/// search; the role lists are short).
fn fill_roles(required: &[String], valid: &[&Approval], distinct: bool) -> Vec<RoleState> {
    let key = identity_key;
    let candidates: Vec<Vec<String>> = required
        .iter()
        .map(|role| {
            let mut people: Vec<String> = valid
                .iter()
                .filter(|a| key(&a.role) == key(role))
                .map(|a| a.by.clone())
                .collect();
            people.dedup_by(|a, b| key(a) == key(b));
            people
        })
        .collect();
    let mut chosen: Vec<Option<String>> = vec![None; required.len()];
    if distinct {
        assign(&candidates, 0, &mut chosen, &mut Vec::new());
    } else {
        for (c, people) in chosen.iter_mut().zip(&candidates) {
            *c = people.first().cloned();
        }
    }
    required
        .iter()
        .zip(chosen)
        .map(|(role, by)| RoleState {
            role: role.clone(),
            satisfied: by.is_some(),
            by,
        })
        .collect()
}

/// Assign distinct people to roles `i..`, maximising the roles filled.
fn assign(
    candidates: &[Vec<String>],
    i: usize,
    best: &mut Vec<Option<String>>,
    current: &mut Vec<Option<String>>,
) {
    let filled = |v: &[Option<String>]| v.iter().filter(|c| c.is_some()).count();
    if i == candidates.len() {
        if filled(current) > filled(best) {
            best.clone_from(current);
        }
        return;
    }
    let key = identity_key;
    for p in &candidates[i] {
        if !current.iter().flatten().any(|q| key(q) == key(p)) {
            current.push(Some(p.clone()));
            assign(candidates, i + 1, best, current);
            current.pop();
        }
    }
    current.push(None);
    assign(candidates, i + 1, best, current);
    current.pop();
}

/// A name or role as duplicates are judged: Unicode NFC, trimmed and
/// lower-cased, so `Alice`, ` alice ` and a decomposed `Alicé` are one person.
pub fn identity_key(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.trim().nfc().collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn key(dir: &Path, seed: u8) -> (std::path::PathBuf, String) {
        let p = sshsig::test_key(dir, seed);
        let public = sshsig::public_key(&p).unwrap().to_openssh().unwrap();
        (p, public)
    }

    fn rules(dir: &Path, extra: &str) -> Rules {
        let (_, a) = key(dir, 1);
        let (_, b) = key(dir, 2);
        let signers =
            AllowedSigners::parse(&format!("alice {a}\nbob {b}\n"), Path::new("s"), "s").unwrap();
        let policy: ApprovalsPolicy = toml::from_str(&format!(
            "allowed_signers = \"s\"\nrequired_roles = [\"Release\", \"QA\"]\noverride_roles = [\"Release\"]\n{extra}\n[[role]]\nname = \"Release\"\nprincipals = [\"alice\"]\n[[role]]\nname = \"QA\"\nprincipals = [\"alice\", \"bob\"]\n"
        ))
        .unwrap();
        Rules {
            policy: Some(policy),
            signers,
        }
    }

    fn digests() -> ReleaseDigests {
        ReleaseDigests {
            decision: Some("ab".repeat(32)),
            manifest: Some("cd".repeat(32)),
            blocked_by: Some(vec!["gate:G".into()]),
        }
    }

    /// An `approval` entry signed by key `seed` as `principal` in `role`.
    fn entry(dir: &Path, seed: u8, principal: &str, role: &str, seq: i64) -> Entry {
        let stmt = Statement {
            kind: APPROVAL_TYPE.into(),
            version: "1.0".into(),
            decision_sha256: "ab".repeat(32),
            manifest_sha256: "cd".repeat(32),
            role: role.into(),
            principal: principal.into(),
            note: None,
            override_reason: None,
            waivers: Vec::new(),
            time: "2026-12-01T00:00:00Z".into(),
        };
        signed_entry(
            dir,
            seed,
            ("approval", seq),
            &stmt.to_text(),
            serde_json::json!({"by": principal, "role": role, "note": null, "override": null}),
        )
    }

    /// A `kind` entry `seq` whose payload is `fields` plus `text`, signed
    /// by key `seed`, with the signature and the key's fingerprint.
    fn signed_entry(
        dir: &Path,
        seed: u8,
        (kind, seq): (&str, i64),
        text: &str,
        mut fields: serde_json::Value,
    ) -> Entry {
        let (path, _) = key(dir, seed);
        fields["statement"] = serde_json::json!(text);
        fields["signature"] = serde_json::json!(sshsig::sign(&path, text.as_bytes()).unwrap());
        fields["key"] = serde_json::json!(signers::fingerprint(
            sshsig::public_key(&path).unwrap().key_data()
        ));
        Entry {
            seq,
            time: "2026-12-01T00:00:01Z".into(),
            kind: kind.into(),
            subject: "1.0".into(),
            payload: fields.to_string(),
            payload_digest: String::new(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn an_edited_payload_field_invalidates_the_approval() {
        let dir = tempfile::tempdir().unwrap();
        let r = rules(dir.path(), "");
        let e = entry(dir.path(), 2, "bob", "QA", 1);
        assert_eq!(r.judge(&e, &digests()).state, ApprovalState::Valid);
        let mut edited = e.clone();
        edited.payload = edited.payload.replace("\"by\":\"bob\"", "\"by\":\"alice\"");
        let a = r.judge(&edited, &digests());
        assert_eq!(a.state, ApprovalState::Invalid);
        assert!(a
            .reason
            .unwrap()
            .contains("'by' differs from the signed statement"));
        let other = ReleaseDigests {
            decision: Some("ef".repeat(32)),
            ..digests()
        };
        assert!(r
            .judge(&e, &other)
            .reason
            .unwrap()
            .contains("other evidence"));
    }

    #[test]
    fn distinct_people_and_min_approvers_decide_shipping() {
        let dir = tempfile::tempdir().unwrap();
        let r = rules(dir.path(), "distinct_people = true\nmin_approvers = 2");
        let judge =
            |es: &[Entry]| -> Vec<Approval> { es.iter().map(|e| r.judge(e, &digests())).collect() };
        // alice in both roles: only one can be counted.
        let alone = judge(&[
            entry(dir.path(), 1, "alice", "Release", 1),
            entry(dir.path(), 1, "alice", "QA", 2),
        ]);
        let s = r.shipping(true, &alone);
        assert!(!s.shippable);
        assert_eq!(s.roles.iter().filter(|x| x.satisfied).count(), 1);
        assert!(
            s.unmet.iter().any(|u| u.contains("1 of the 2 approvers")),
            "{:?}",
            s.unmet
        );
        // With bob in QA, alice fills Release (the search moves her out of QA).
        let mut both = alone.clone();
        both.extend(judge(&[entry(dir.path(), 2, "bob", "QA", 3)]));
        let s = r.shipping(true, &both);
        assert!(s.shippable, "{:?}", s.unmet);
        assert_eq!(s.roles[0].by.as_deref(), Some("alice"));
        assert_eq!(s.roles[1].by.as_deref(), Some("bob"));
        // Blocked needs a valid override.
        assert!(!r.shipping(false, &both).shippable);
        // Without a policy: ready or any override, as before.
        let none = Rules::default();
        assert!(none.shipping(true, &[]).shippable && !none.shipping(false, &[]).shippable);
        assert!(!none.shipping(true, &[]).authenticated);
    }

    /// A `waiver` entry signed by key `seed` as `principal` for `target`.
    fn waiver_entry(dir: &Path, seed: u8, principal: &str, target: &str, expires: &str) -> Entry {
        let stmt = WaiverStatement {
            kind: waiver::WAIVER_TYPE.into(),
            version: "1.0".into(),
            decision_sha256: "ab".repeat(32),
            target: target.into(),
            reason: "accepted for this release".into(),
            expires: expires.into(),
            role: "Release".into(),
            principal: principal.into(),
            time: "2026-12-01T00:00:00Z".into(),
        };
        let reason = stmt.reason.clone();
        signed_entry(
            dir,
            seed,
            ("waiver", 7),
            &stmt.to_text(),
            serde_json::json!({"by": principal, "role": "Release", "target": target,
                "reason": reason, "expires": expires}),
        )
    }

    #[test]
    fn waivers_are_valid_stale_expired_or_edited_and_a_full_set_makes_a_blocked_release_ready() {
        let dir = tempfile::tempdir().unwrap();
        let r = rules(dir.path(), "waiver_roles = [\"Release\"]");
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let w = waiver_entry(dir.path(), 1, "alice", "gate:G", "2026-12-31");
        assert_eq!(
            r.judge_waiver(&w, &digests(), day("2026-12-31")).state,
            WaiverState::Valid
        );
        let late = r.judge_waiver(&w, &digests(), day("2027-01-01"));
        assert_eq!(late.state, WaiverState::Invalid);
        assert!(late.problem.unwrap().contains("expired on 2026-12-31"));
        let other = waiver_entry(dir.path(), 1, "alice", "gate:H", "2026-12-31");
        assert_eq!(
            r.judge_waiver(&other, &digests(), day("2026-12-02")).state,
            WaiverState::Stale
        );
        let mut edited = w.clone();
        edited.payload = edited
            .payload
            .replace("\"expires\":\"2026-12-31\"", "\"expires\":\"2099-12-31\"");
        assert!(r
            .judge_waiver(&edited, &digests(), day("2026-12-02"))
            .problem
            .unwrap()
            .contains("was edited"));
        // An approval signed before the waiver no longer counts; with the only
        // blocking finding waived, the Blocked release counts as ready.
        let entries = [
            entry(dir.path(), 1, "alice", "Release", 1),
            entry(dir.path(), 2, "bob", "QA", 2),
            w,
        ];
        let j = r.judge_release(&entries, "1.0", &digests(), false, day("2026-12-02"));
        assert_eq!(j.shipping.waived, ["gate:G"]);
        assert!(j.approvals.iter().all(|a| a
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("does not accept waiver #7")));
        assert!(!j.shipping.shippable);
    }
}
