//! SARIF 2.1.0 output (`--format sarif`): one run of the `tollgate` tool,
//! one rule per check id, one result per finding, locations relative to the
//! workspace root (`%SRCROOT%`), as code-scanning uploaders expect.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::finding::{Finding, Severity};

/// The schema this log follows.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base id that relative locations are resolved against.
pub const SRCROOT: &str = "SRCROOT";

/// A SARIF log with one run.
#[derive(Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

/// One tollgate invocation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    /// `SRCROOT`: the workspace root as a `file:` URI.
    pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    pub results: Vec<SarifResult>,
}

/// The tool, as SARIF names it.
#[derive(Debug, Serialize)]
pub struct Tool {
    pub driver: Driver,
}

/// tollgate and its rules.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    pub rules: Vec<Rule>,
}

/// One check id.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    pub short_description: Message,
}

/// Plain text.
#[derive(Debug, Serialize)]
pub struct Message {
    pub text: String,
}

/// One finding.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    pub rule_index: usize,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    pub message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<ResultLocation>,
    /// The finding's subject, and its key inside the file when known.
    pub properties: Properties,
}

/// What SARIF has no field for.
#[derive(Debug, Serialize)]
pub struct Properties {
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// Where a result points.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultLocation {
    pub physical_location: PhysicalLocation,
}

/// A file, and a line in it when known.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// A URI: relative to `uriBaseId` when it has one.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

/// A line (SARIF lines start at 1).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Block => "error",
        Severity::Warn => "warning",
        Severity::Info => "note",
    }
}

/// `path` percent-encoded as a URI path: every byte but unreserved
/// characters and `/`.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A finding's file: relative to `SRCROOT`, or a `file:` URI when it lies
/// outside the workspace (or is not a file, such as an `oci://` reference,
/// which stays as it is).
fn artifact(path: &str) -> ArtifactLocation {
    if path.contains("://") {
        ArtifactLocation {
            uri: path.to_string(),
            uri_base_id: None,
        }
    } else if Path::new(path).is_absolute() {
        ArtifactLocation {
            uri: format!("file://{}", uri_path(path)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: uri_path(path),
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// The SARIF log of `findings` (already workspace-relative) from a run in
/// the workspace at `root`.
pub fn log(findings: &[&Finding], root: &Path) -> Log {
    let mut rules: Vec<Rule> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut results = Vec::with_capacity(findings.len());
    for f in findings {
        let rule_index = *index.entry(&f.check).or_insert_with(|| {
            rules.push(Rule {
                id: f.check.clone(),
                short_description: Message {
                    text: format!("tollgate check {}", f.check),
                },
            });
            rules.len() - 1
        });
        let locations = f
            .location
            .path
            .iter()
            .map(|p| ResultLocation {
                physical_location: PhysicalLocation {
                    artifact_location: artifact(p),
                    region: f
                        .location
                        .line
                        .filter(|l| *l > 0)
                        .map(|start_line| Region { start_line }),
                },
            })
            .collect();
        results.push(SarifResult {
            rule_id: f.check.clone(),
            rule_index,
            level: level(f.severity),
            message: Message {
                text: f.message.clone(),
            },
            locations,
            properties: Properties {
                subject: f.subject.clone(),
                key: f.location.key.clone(),
            },
        });
    }
    let root_uri = format!(
        "file://{}/",
        uri_path(root.to_string_lossy().trim_end_matches('/'))
    );
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "tollgate",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                ArtifactLocation {
                    uri: root_uri,
                    uri_base_id: None,
                },
            )]),
            results,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

    #[test]
    fn one_rule_per_check_and_relative_locations() {
        let a = Finding::new(
            "docs.drift",
            Severity::Block,
            "T-1",
            "differs",
            Location::file("docs/a b#.md").at_line(7),
        );
        let b = Finding::new(
            "docs.drift",
            Severity::Warn,
            "T-2",
            "m",
            Location::file("/elsewhere/x.json").at_key("k"),
        );
        let c = Finding::new("gate", Severity::Info, "g", "m", Location::default());
        let log = log(&[&a, &b, &c], Path::new("/ws root"));
        let v = serde_json::to_value(&log).unwrap();
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 2);
        assert_eq!(
            run["originalUriBaseIds"]["SRCROOT"]["uri"],
            "file:///ws%20root/"
        );
        let r = run["results"].as_array().unwrap();
        assert_eq!(r[0]["level"], "error");
        assert_eq!(r[1]["ruleIndex"], 0);
        assert_eq!(r[2]["ruleIndex"], 1);
        assert_eq!(r[2]["level"], "note");
        let loc = &r[0]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "docs/a%20b%23.md");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT");
        assert_eq!(loc["region"]["startLine"], 7);
        let far = &r[1]["locations"][0]["physicalLocation"];
        assert_eq!(far["artifactLocation"]["uri"], "file:///elsewhere/x.json");
        assert!(far.get("region").is_none());
        assert_eq!(r[1]["properties"]["key"], "k");
        assert!(r[2].get("locations").is_none());
    }
}
