//! What the ledger says of releases: each release's recorded decision and
//! its approvals, and whether that makes it shippable. One reader of the
//! `release` and `approval` entries for `release status`, baselines, the
//! readiness assessment and the dashboard.

use serde::Serialize;

use super::ledger::Entry;

/// One recorded approval.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub seq: i64,
    pub time: String,
    pub by: String,
    pub role: String,
    pub note: Option<String>,
    /// The reason given for approving a Blocked release.
    pub override_reason: Option<String>,
}

impl Approval {
    /// The approval an `approval` entry records.
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
        }
    }
}

/// The approvals of release `version`, oldest first.
pub fn approvals(entries: &[Entry], version: &str) -> Vec<Approval> {
    entries
        .iter()
        .filter(|e| e.kind == "approval" && e.subject == version)
        .map(Approval::of)
        .collect()
}

/// The one rule: a release may ship when it was decided Ready, or when it was
/// Blocked and approved with an override.
pub fn shippable(ready: bool, approvals: &[Approval]) -> bool {
    ready || approvals.iter().any(|a| a.override_reason.is_some())
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
}

/// Every recorded release, oldest first (a version recorded twice, as after
/// an interrupted `release`, is judged by its newest record).
pub fn records(entries: &[Entry]) -> Vec<ReleaseRecord> {
    let mut out: Vec<ReleaseRecord> = Vec::new();
    for e in entries.iter().filter(|e| e.kind == "release") {
        out.retain(|r| r.version != e.subject);
        let ready = e.payload_json()["decision"].as_str() == Some("Ready");
        let approvals = approvals(entries, &e.subject);
        out.push(ReleaseRecord {
            seq: e.seq,
            version: e.subject.clone(),
            recorded_at: e.time.clone(),
            ready,
            shippable: shippable(ready, &approvals),
            approvals,
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
        let r = records(&entries);
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
