//! The bundle manifest (named by `bundle.manifest`; StateTrace's is
//! `TelemetryBundle.json`): StateTrace's originals (absolute Windows paths,
//! stubs with missing keys, `\` in `TargetFile`) and the manifests tollgate
//! writes.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::json::{str_field, str_list};
use crate::error::Result;
use crate::finding::{Finding, Location, Severity};

/// File-name suffix of a signature envelope.
pub const ENVELOPE_SUFFIX: &str = ".intoto.jsonl";

/// The signature envelope beside `manifest` (`x.json` -> `x.intoto.jsonl`).
pub fn envelope_of(manifest: &Path) -> PathBuf {
    let name = manifest.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    manifest.with_file_name(format!("{stem}{ENVELOPE_SUFFIX}"))
}

/// One manifest, with every key optional as real manifests may lack any.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Manifest {
    pub bundle_name: Option<String>,
    pub area_name: Option<String>,
    pub created_at: Option<String>,
    pub hostname: Option<String>,
    pub plan_references: Vec<String>,
    pub task_board_ids: Vec<String>,
    pub risk_register_entries: Vec<String>,
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    pub artifacts: Vec<Artifact>,
}

/// One artifact entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Artifact {
    pub category: Option<String>,
    /// As written in the manifest (may hold `\`, `..` or an absolute path).
    pub target_file: String,
    pub source_path: Option<String>,
    /// SHA-256, uppercase hex.
    pub hash: Option<String>,
    pub size_bytes: Option<u64>,
}

/// Read a manifest file. Unreadable or non-JSON content is an error; missing
/// or mistyped keys become findings located at the key.
pub fn read(path: &Path) -> Result<(Manifest, Vec<Finding>)> {
    let value = super::json::load(path)?;
    Ok(from_value(&value, &path.display().to_string()))
}

/// Build a manifest from parsed JSON, reporting problems against `shown_path`.
pub fn from_value(value: &Value, shown_path: &str) -> (Manifest, Vec<Finding>) {
    let mut findings = Vec::new();
    let loc = |key: &str| Location::file(shown_path).at_key(key);
    let Some(obj) = value.as_object() else {
        findings.push(Finding::new(
            "manifest.shape",
            Severity::Block,
            "manifest",
            "manifest is not a JSON object",
            Location::file(shown_path),
        ));
        return (Manifest::default(), findings);
    };
    let text = |key: &str| str_field(value, key).map(str::to_string);
    let mut m = Manifest {
        bundle_name: text("BundleName"),
        area_name: text("AreaName"),
        created_at: text("CreatedAt"),
        hostname: text("Hostname"),
        plan_references: str_list(obj.get("PlanReferences")),
        task_board_ids: str_list(obj.get("TaskBoardIds")),
        risk_register_entries: str_list(obj.get("RiskRegisterEntries")),
        notes: text("Notes"),
        tool_version: text("ToolVersion"),
        workspace: text("Workspace"),
        artifacts: Vec::new(),
    };
    for key in ["BundleName", "AreaName", "CreatedAt"] {
        if str_field(value, key).is_none() {
            findings.push(Finding::new(
                "manifest.key",
                Severity::Warn,
                "manifest",
                format!("manifest has no {key}"),
                loc(key),
            ));
        }
    }
    match obj.get("Artifacts") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                read_artifact(item, i, shown_path, &mut m.artifacts, &mut findings);
            }
        }
        Some(Value::Object(_)) => {
            // PowerShell unwraps one-element arrays.
            read_artifact(
                &obj["Artifacts"],
                0,
                shown_path,
                &mut m.artifacts,
                &mut findings,
            );
        }
        _ => findings.push(Finding::new(
            "manifest.key",
            Severity::Block,
            "manifest",
            "manifest has no Artifacts list, so nothing in the area is attested",
            loc("Artifacts"),
        )),
    }
    (m, findings)
}

fn read_artifact(
    item: &Value,
    index: usize,
    shown_path: &str,
    out: &mut Vec<Artifact>,
    findings: &mut Vec<Finding>,
) {
    let key = format!("Artifacts[{index}]");
    let Some(target) = str_field(item, "TargetFile").filter(|s| !s.trim().is_empty()) else {
        findings.push(Finding::new(
            "manifest.key",
            Severity::Block,
            key.clone(),
            "artifact entry has no TargetFile",
            Location::file(shown_path).at_key(key),
        ));
        return;
    };
    let size_bytes = match item.get("SizeBytes") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    out.push(Artifact {
        category: str_field(item, "Category").map(str::to_string),
        target_file: target.to_string(),
        source_path: str_field(item, "SourcePath").map(str::to_string),
        hash: str_field(item, "Hash").map(|h| h.trim().to_ascii_uppercase()),
        size_bytes,
    });
}

impl Manifest {
    /// Pretty JSON in StateTrace's key order, plus `ToolVersion` and `Workspace`.
    pub fn to_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Object(Map::new()));
        if let Some(obj) = v.as_object_mut() {
            if self.risk_register_entries.is_empty() {
                obj.remove("RiskRegisterEntries");
            }
        }
        let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_statetrace_shape_with_windows_paths() {
        let v = json!({
            "BundleName": "B", "AreaName": "Routing", "CreatedAt": "2025-12-23T13:33:33.0271017-07:00",
            "Hostname": "H", "PlanReferences": ["PlanA"], "TaskBoardIds": "ST-A-006", "Notes": null,
            "Artifacts": [
                {"Category": "DocSync", "TargetFile": "DocSync\\DocSyncChecklist.json",
                 "SourcePath": "C:\\x\\StateTrace\\DocSync.json", "Hash": "ab12", "SizeBytes": 41},
                {"Category": "X", "Hash": "00"}
            ]
        });
        let (m, f) = from_value(&v, "m.json");
        assert_eq!(m.bundle_name.as_deref(), Some("B"));
        assert_eq!(m.task_board_ids, vec!["ST-A-006"]);
        assert_eq!(m.artifacts.len(), 1);
        assert_eq!(m.artifacts[0].target_file, "DocSync\\DocSyncChecklist.json");
        assert_eq!(m.artifacts[0].hash.as_deref(), Some("AB12"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location.key.as_deref(), Some("Artifacts[1]"));
    }

    #[test]
    fn stub_manifest_reports_missing_keys() {
        let (m, f) = from_value(&json!({"Sample": true}), "m.json");
        assert!(m.artifacts.is_empty());
        assert!(f.iter().any(|x| x.severity == Severity::Block));
        assert_eq!(f.len(), 4);
        let (_, f) = from_value(&json!([1]), "m.json");
        assert_eq!(f[0].check, "manifest.shape");
    }

    #[test]
    fn written_json_round_trips() {
        let m = Manifest {
            bundle_name: Some("B".into()),
            artifacts: vec![Artifact {
                target_file: "a.csv".into(),
                hash: Some("AA".into()),
                size_bytes: Some(3),
                ..Default::default()
            }],
            ..Default::default()
        };
        let text = m.to_json();
        assert!(text.find("BundleName").unwrap() < text.find("Artifacts").unwrap());
        let (back, _) = from_value(&serde_json::from_str(&text).unwrap(), "x");
        assert_eq!(back, m);
    }
}
