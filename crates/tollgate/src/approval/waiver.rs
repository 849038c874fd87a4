//! Waivers: a signed, reasoned, expiring acceptance of one blocking gate or
//! finding of one release's decision. A valid waiver stops that finding
//! from blocking that release; it is shown as Waived, never as Pass.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::record::ledger::Entry;

/// The `type` of a waiver statement.
pub const WAIVER_TYPE: &str = "tollgate.waiver/v1";

/// What a waiver's signer signs; stored verbatim in the ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverStatement {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    /// SHA-256 (hex) of the release's `decision.json`.
    pub decision_sha256: String,
    /// `gate:ID` or `finding:CHECK:SUBJECT` ([`target_of`]).
    pub target: String,
    pub reason: String,
    /// The last day it counts (YYYY-MM-DD, UTC).
    pub expires: String,
    pub role: String,
    pub principal: String,
    pub time: String,
}

impl WaiverStatement {
    /// The statement as signed: compact JSON with a final newline.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The waiver target a blocking finding is known by: `gate:ID` for a gate,
/// `finding:CHECK:SUBJECT` for any other finding.
pub fn target_of(f: &Finding) -> String {
    target(&f.check, &f.subject)
}

/// The target of check `check` on `subject`.
pub fn target(check: &str, subject: &str) -> String {
    if check == "gate" {
        format!("gate:{subject}")
    } else {
        format!("finding:{check}:{subject}")
    }
}

/// A `--finding CHECK:SUBJECT` argument as a target (`gate:ID` for gates).
pub fn finding_target(arg: &str) -> Option<String> {
    let (check, subject) = arg.split_once(':')?;
    (!check.trim().is_empty() && !subject.trim().is_empty())
        .then(|| target(check.trim(), subject.trim()))
}

/// How a waiver was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WaiverState {
    /// It waives its target for this release now.
    Valid,
    /// Its target does not block this release (it passes, or was never
    /// blocking): it waives nothing.
    Stale,
    /// It does not count; `problem` says why (expired, other evidence, a
    /// role that may not waive, a bad signature...).
    Invalid,
}

/// One recorded waiver, as judged.
#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    pub seq: i64,
    pub time: String,
    pub by: String,
    pub role: String,
    pub target: String,
    pub reason: String,
    pub expires: String,
    pub key: Option<String>,
    pub state: WaiverState,
    /// Why it is stale or invalid.
    pub problem: Option<String>,
}

impl Waiver {
    /// How it was judged, in words: `WAIVED` (never Pass), `stale: why` or
    /// `INVALID: why`. Every output shows this.
    pub fn judgement(&self) -> String {
        let why = self.problem.as_deref().unwrap_or_default();
        match self.state {
            WaiverState::Valid => "WAIVED".to_string(),
            WaiverState::Stale => why.to_string(),
            WaiverState::Invalid => format!("INVALID: {why}"),
        }
    }

    /// The waiver a `waiver` entry records, not yet judged.
    pub fn of(e: &Entry) -> Waiver {
        let p = e.payload_json();
        let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
        Waiver {
            seq: e.seq,
            time: e.time.clone(),
            by: s("by"),
            role: s("role"),
            target: s("target"),
            reason: s("reason"),
            expires: s("expires"),
            key: p["key"].as_str().map(str::to_string),
            state: WaiverState::Invalid,
            problem: None,
        }
    }
}

/// A `--expires` date: YYYY-MM-DD.
pub fn parse_expiry(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}
