//! What the ledger says of releases: each release's recorded decision and
//! its approvals, and whether that makes it shippable. One reader of the
//! `release` and `approval` entries for `release status`, baselines, the
//! readiness assessment and the dashboard.

use serde::Serialize;

use super::ledger::Entry;
use crate::approval::{Approval, Judged, ReleaseDigests, RoleState, Rules};

/// The file that lists every other file of a release with its hash.
pub const MANIFEST: &str = "manifest.json";
/// The decision file.
pub const DECISION: &str = "decision.json";

/// Release `version`'s approvals and waivers, judged by `rules` against
/// its newest ledger record, and whether they let a decision recorded
/// `ready` ship: the one place `release status`, baselines, the readiness
/// assessment and the dashboard get it from.
pub fn judge(entries: &[Entry], version: &str, ready: bool, rules: &Rules) -> Judged {
    let digests = release_digests(entries, version);
    rules.judge_release(
        entries,
        version,
        &digests,
        ready,
        chrono::Utc::now().date_naive(),
    )
}

/// The newest `release` entry of `version` and the digests it records.
pub fn release_digests(entries: &[Entry], version: &str) -> ReleaseDigests {
    entries
        .iter()
        .rev()
        .find(|e| e.kind == "release" && e.subject == version)
        .map(|e| {
            let files = super::ledger::files_of(&e.payload_json());
            let find = |name: &str| {
                files
                    .iter()
                    .find(|f| f.path.rsplit('/').next() == Some(name))
                    .map(|f| f.sha256.to_ascii_lowercase())
            };
            let blocked_by = e.payload_json()["blocked_by"].as_array().map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            });
            ReleaseDigests {
                decision: find(DECISION),
                manifest: find(MANIFEST),
                blocked_by,
            }
        })
        .unwrap_or_default()
}

/// A release as the ledger records it (its evidence is not re-hashed here).
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseRecord {
    pub seq: i64,
    pub version: String,
    pub recorded_at: String,
    /// Whether the recorded decision was Ready.
    pub ready: bool,
    pub approvals: Vec<Approval>,
    pub shippable: bool,
    /// Each required role, filled or not (empty without a policy).
    pub roles: Vec<RoleState>,
}

/// Every recorded release, oldest first (a version recorded twice, as after
/// an interrupted `release`, is judged by its newest record).
pub fn records(entries: &[Entry], rules: &Rules) -> Vec<ReleaseRecord> {
    let mut out: Vec<ReleaseRecord> = Vec::new();
    for e in entries.iter().filter(|e| e.kind == "release") {
        out.retain(|r| r.version != e.subject);
        let ready = e.payload_json()["decision"].as_str() == Some("Ready");
        let judged = judge(entries, &e.subject, ready, rules);
        out.push(ReleaseRecord {
            seq: e.seq,
            version: e.subject.clone(),
            recorded_at: e.time.clone(),
            ready,
            shippable: judged.shipping.shippable,
            roles: judged.shipping.roles,
            approvals: judged.approvals,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, kind: &str, subject: &str, payload: serde_json::Value) -> Entry {
        Entry {
            seq,
            time: format!("t{seq}"),
            kind: kind.into(),
            subject: subject.into(),
            payload: payload.to_string(),
            payload_digest: String::new(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn ready_or_overridden_releases_are_shippable() {
        let entries = [
            entry(
                1,
                "release",
                "1.0",
                serde_json::json!({"decision": "Ready"}),
            ),
            entry(
                2,
                "release",
                "1.1",
                serde_json::json!({"decision": "Blocked"}),
            ),
            entry(
                3,
                "release",
                "1.2",
                serde_json::json!({"decision": "Blocked"}),
            ),
            entry(
                4,
                "approval",
                "1.2",
                serde_json::json!({"by": "a", "role": "QA"}),
            ),
            entry(
                5,
                "approval",
                "1.1",
                serde_json::json!({"by": "b", "role": "Release", "override": "known flake"}),
            ),
        ];
        let r = records(&entries, &Rules::default());
        let shippable: Vec<(&str, bool)> = r
            .iter()
            .map(|r| (r.version.as_str(), r.shippable))
            .collect();
        assert_eq!(shippable, [("1.0", true), ("1.1", true), ("1.2", false)]);
        assert_eq!(r[2].approvals[0].by, "a");
        assert_eq!(
            r[1].approvals[0].override_reason.as_deref(),
            Some("known flake")
        );
    }
}
