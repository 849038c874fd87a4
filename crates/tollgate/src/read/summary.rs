//! The bundle readiness summary, `VerificationSummary.json`: StateTrace's
//! `[{Area, BundlePath, ManifestPath, ReadmePath, ReadmeHash, HashAlgorithm,
//! RequirementState[{Requirement, Status, Files}]}]` (an array, or a bare
//! object for one area), extended by tollgate with a verdict and findings.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::finding::{Finding, Verdict};

/// The summary's conventional file name at the bundle root.
pub const SUMMARY_FILE: &str = "VerificationSummary.json";

/// One area's readiness result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AreaSummary {
    pub area: String,
    pub bundle_path: String,
    pub manifest_path: String,
    pub readme_path: String,
    pub readme_hash: String,
    pub hash_algorithm: String,
    pub requirement_state: Vec<RequirementState>,
    /// tollgate: Pass, Warn or Block. Absent in StateTrace's summaries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// tollgate: when the area was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    /// tollgate: the version that wrote the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// tollgate: every finding for this area.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// One requirement row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RequirementState {
    pub requirement: String,
    /// `Present`, `Missing`, `Missing (Optional)`, or tollgate's `Unusable`.
    pub status: String,
    /// Matching files, relative to the area, joined with `"; "`.
    #[serde(deserialize_with = "string_or_null")]
    pub files: String,
}

fn string_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

impl AreaSummary {
    /// The verdict, or for StateTrace summaries one derived from the statuses.
    pub fn verdict_or_derived(&self) -> Verdict {
        if let Some(v) = self.verdict {
            return v;
        }
        if self
            .requirement_state
            .iter()
            .any(|r| r.status == "Missing" || r.status == "Unusable")
        {
            Verdict::Block
        } else {
            Verdict::Pass
        }
    }
}

/// Read a summary file (array or single object).
pub fn read(path: &Path) -> Result<Vec<AreaSummary>> {
    let value = super::json::load(path)?;
    super::json::one_or_many(value)
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value(v)
                .map_err(|e| Error::parse(path, None, format!("entry {i}: {e}")))
        })
        .collect()
}

/// Whether tollgate wrote this summary (so it may be replaced by a newer one).
pub fn written_by_tollgate(areas: &[AreaSummary]) -> bool {
    !areas.is_empty() && areas.iter().all(|a| a.tool_version.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_object_array_and_null_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        std::fs::write(
            &p,
            "\u{feff}{\"Area\":\"Telemetry\",\"RequirementState\":{\"Requirement\":\"README\",\"Status\":\"Missing\",\"Files\":null}}",
        )
        .unwrap();
        let err = read(&p).unwrap_err();
        assert!(err.to_string().contains("entry 0"), "{err}");
        std::fs::write(
            &p,
            "{\"Area\":\"Telemetry\",\"RequirementState\":[{\"Requirement\":\"README\",\"Status\":\"Missing\",\"Files\":null}]}",
        )
        .unwrap();
        let s = read(&p).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].verdict_or_derived(), Verdict::Block);
        assert!(!written_by_tollgate(&s));
    }
}
