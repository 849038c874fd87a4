//! `risk check`: a release-candidate summary against the risk register.
//! Every field filled, no template placeholder left, each cited risk in the
//! register with an owner and a mitigation, cited bundle paths present.

use regex::Regex;
use serde::Serialize;

use crate::finding::{Finding, Location, Severity};
use crate::read::mdtable;
use crate::read::rc_summary::RcSummary;

/// One risk-register entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    pub number: u32,
    pub title: String,
    pub mitigation: String,
    pub owner: String,
    pub line: usize,
}

/// The register's risks: the first table with a `#` (or `ID`) column.
pub fn register(text: &str) -> Vec<Risk> {
    let Some(t) = mdtable::tables(text)
        .into_iter()
        .find(|t| t.column(&["#", "ID"]).is_some())
    else {
        return Vec::new();
    };
    let col = |names: &[&str]| t.column(names);
    let (num, risk, mit, owner) = (
        col(&["#", "ID"]),
        col(&["Risk"]),
        col(&["Mitigation"]),
        col(&["Owner"]),
    );
    t.rows
        .iter()
        .filter_map(|r| {
            let n = r.cell(num?)?.trim_start_matches("RR-").parse().ok()?;
            let get = |c: Option<usize>| c.and_then(|i| r.cell(i)).unwrap_or_default();
            Some(Risk {
                number: n,
                title: get(risk),
                mitigation: get(mit),
                owner: get(owner),
                line: r.line,
            })
        })
        .collect()
}

/// A risk cited by the summary, resolved against the register.
#[derive(Debug, Clone, Serialize)]
pub struct Citation {
    pub cited: String,
    pub line: usize,
    pub risk: Option<Risk>,
}

/// Placeholders the template uses.
const PLACEHOLDERS: [&str; 2] = ["RR-###", "###"];

/// What the check asks of the disk, kept outside so that the check is pure.
pub trait Evidence {
    /// Whether a cited path exists.
    fn exists(&self, cited: &str) -> bool;
    /// SHA-256 (uppercase hex) of `<bundle>/<area>/README.md`, if readable.
    fn readme_hash(&self, bundle: &str, area: &str) -> Option<String>;
}

/// Check `summary` (shown as `path`) against `risks` and the cited evidence.
/// Returns the findings and the resolved citations.
pub fn check(
    summary: &RcSummary,
    path: &str,
    risks: &[Risk],
    register_path: &str,
    disk: &impl Evidence,
) -> (Vec<Finding>, Vec<Citation>) {
    let mut out = Vec::new();
    let at = |line: usize| Location::file(path).at_line(line);
    let cite_re = Regex::new(r"(?i)\bRR-(\d{1,4})\b|\b(\d{1,4})\b").expect("valid regex");
    let mut citations = Vec::new();
    for f in &summary.fields {
        let is_risk_field = f.key.to_lowercase().starts_with("risk register entries");
        if f.value.is_empty() {
            out.push(Finding::new(
                "risk.unfilled",
                Severity::Block,
                &f.key,
                format!("field '{}' is not filled in", f.key),
                at(f.line),
            ));
        } else if let Some(p) = PLACEHOLDERS.iter().find(|p| f.value.contains(*p)) {
            out.push(Finding::new(
                "risk.placeholder",
                Severity::Block,
                &f.key,
                format!("template placeholder '{p}' left in '{}'", f.key),
                at(f.line),
            ));
        }
        if is_risk_field && f.value.is_empty() && f.key.contains("RR-###") {
            let msg =
                "no risk cited: the 'RR-###' placeholder is still the only reference".to_string();
            out.push(Finding::new(
                "risk.placeholder",
                Severity::Block,
                "RR-###",
                msg,
                at(f.line),
            ));
        }
        if is_risk_field && !f.value.contains("###") {
            for c in cite_re.captures_iter(&f.value) {
                let Some(n) = c
                    .get(1)
                    .or(c.get(2))
                    .and_then(|m| m.as_str().parse::<u32>().ok())
                else {
                    continue;
                };
                let cited = c.get(0).map(|m| m.as_str().to_string()).unwrap_or_default();
                let risk = risks.iter().find(|r| r.number == n).cloned();
                match &risk {
                    None => out.push(Finding::new(
                        "risk.unknown",
                        Severity::Block,
                        &cited,
                        format!("{cited} is not in the risk register ({register_path})"),
                        at(f.line),
                    )),
                    Some(r) => {
                        for (what, v) in [("owner", &r.owner), ("mitigation", &r.mitigation)] {
                            if v.trim().is_empty() {
                                let loc = Location::file(register_path).at_line(r.line);
                                out.push(Finding::new(
                                    "risk.incomplete",
                                    Severity::Block,
                                    format!("RR-{:03}", r.number),
                                    format!("risk {} has no {what}", r.number),
                                    loc,
                                ));
                            }
                        }
                    }
                }
                citations.push(Citation {
                    cited,
                    line: f.line,
                    risk,
                });
            }
        }
        let key = f.key.to_lowercase();
        if (key.ends_with("bundle") || key == "bundlepath")
            && !f.value.is_empty()
            && !disk.exists(&f.value)
        {
            out.push(Finding::new(
                "risk.evidence",
                Severity::Block,
                &f.key,
                format!("cited path {} does not exist", f.value),
                at(f.line),
            ));
        }
    }
    check_readme_hashes(summary, disk, &mut out, &at);
    let placeholder_left = out.iter().any(|f| f.check == "risk.placeholder");
    if citations.is_empty() && !placeholder_left {
        out.push(Finding::new(
            "risk.none-cited",
            Severity::Block,
            path,
            "the summary cites no risk-register entry (a 'Risk Register Entries (RR-###):' field naming e.g. RR-011)",
            Location::file(path),
        ));
    }
    for s in &summary.sections {
        if !s.entries.is_empty() && s.entries.iter().all(|(_, t)| t.is_empty()) {
            out.push(Finding::new(
                "risk.unfilled",
                Severity::Block,
                &s.title,
                format!("section '{}' has no entries", s.title),
                at(s.entries[0].0),
            ));
        }
    }
    (out, citations)
}

/// `ReadmeHashes (Telemetry=..., Routing=...)` against the READMEs of the
/// cited bundle (`BundlePath`, else `Telemetry Bundle`).
fn check_readme_hashes(
    summary: &RcSummary,
    disk: &impl Evidence,
    out: &mut Vec<Finding>,
    at: &dyn Fn(usize) -> Location,
) {
    let Some(field) = summary
        .field("ReadmeHashes")
        .filter(|f| !f.value.is_empty())
    else {
        return;
    };
    let bundle = summary
        .field("BundlePath")
        .or_else(|| summary.field("Telemetry Bundle"))
        .map(|f| f.value.trim_matches('`').to_string())
        .filter(|b| !b.is_empty());
    let pair = Regex::new(r"(\w+)\s*=\s*([0-9A-Fa-f]{8,64})").expect("valid regex");
    for c in pair.captures_iter(&field.value) {
        let (area, cited) = (&c[1], c[2].to_ascii_uppercase());
        let problem = match &bundle {
            None => Some("README hashes are cited but no BundlePath says which bundle".to_string()),
            Some(b) => match disk.readme_hash(b, area) {
                None => Some(format!("bundle {b} has no readable {area}/README.md")),
                Some(actual) if !actual.starts_with(&cited) => Some(format!(
                    "README hash {cited} cited for {area}, but {b}/{area}/README.md is {actual}"
                )),
                Some(_) => None,
            },
        };
        if let Some(msg) = problem {
            out.push(Finding::new(
                "risk.evidence",
                Severity::Block,
                format!("ReadmeHashes/{area}"),
                msg,
                at(field.line),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::rc_summary::parse;

    const REGISTER: &str = "# Risks\n| # | Risk | Trigger | Mitigation | Owner | Review cadence |\n|---|---|---|---|---|---|\n| 11 | **Gate drift** | x | Re-run gates | Ingestion Lead | Weekly |\n| 12 | Open | x |  |  | Weekly |\n";

    /// (check, subject) of each finding.
    fn checks(f: &[Finding]) -> Vec<(&str, &str)> {
        f.iter()
            .map(|x| (x.check.as_str(), x.subject.as_str()))
            .collect()
    }

    /// A disk where only paths ending in `R1` exist, with one Telemetry README.
    struct Fake;

    impl Evidence for Fake {
        fn exists(&self, cited: &str) -> bool {
            cited.ends_with("R1")
        }

        fn readme_hash(&self, bundle: &str, area: &str) -> Option<String> {
            (bundle.ends_with("R1") && area == "Telemetry").then(|| "E35558FDF7E7AAAA".to_string())
        }
    }

    #[test]
    fn readme_hashes_must_match_the_cited_bundle() {
        let ok = parse("- BundlePath: Logs/TelemetryBundles/R1\n- ReadmeHashes (Telemetry=, Routing=): Telemetry=e35558fdf7e7, Routing=471C2D5AB915\n");
        let (f, _) = check(&ok, "rc.md", &[], "reg.md", &Fake);
        let got: Vec<(&str, &str)> = f
            .iter()
            .filter(|x| x.check != "risk.none-cited")
            .map(|x| (x.subject.as_str(), x.message.as_str()))
            .collect();
        assert_eq!(checks(&f).last(), Some(&("risk.none-cited", "rc.md")));
        assert_eq!(
            got,
            vec![(
                "ReadmeHashes/Routing",
                "bundle Logs/TelemetryBundles/R1 has no readable Routing/README.md"
            )]
        );
        let wrong = parse("- BundlePath: Logs/TelemetryBundles/R1\n- ReadmeHashes (Telemetry=, Routing=): Telemetry=000000000000\n");
        let (f, _) = check(&wrong, "rc.md", &[], "reg.md", &Fake);
        assert!(
            f[0].message
                .starts_with("README hash 000000000000 cited for Telemetry, but"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn template_and_filled_summaries() {
        let risks = register(REGISTER);
        assert_eq!(risks.len(), 2);
        assert_eq!(
            (
                risks[0].number,
                risks[0].owner.as_str(),
                risks[0].title.as_str()
            ),
            (11, "Ingestion Lead", "Gate drift")
        );
        let template = parse("Version:\n## Risk Register References\n- Risk Register Entries (RR-###):\n## Approvals\n- \n");
        let (f, _) = check(&template, "rc.md", &risks, "reg.md", &Fake);
        let got = checks(&f);
        assert_eq!(
            got,
            vec![
                ("risk.unfilled", "Version"),
                ("risk.unfilled", "Risk Register Entries (RR-###)"),
                ("risk.placeholder", "RR-###"),
                ("risk.unfilled", "Approvals")
            ]
        );
        let filled = parse("Version: 1.0\nTelemetry Bundle: Logs/TelemetryBundles/R1\n- Risk Register Entries (RR-###): RR-011, 11, RR-012, RR-099\n");
        let (f, cites) = check(&filled, "rc.md", &risks, "reg.md", &Fake);
        assert_eq!(cites.len(), 4);
        assert_eq!(cites[0].risk.as_ref().unwrap().owner, "Ingestion Lead");
        assert_eq!(cites[1].risk.as_ref().unwrap().number, 11);
        let got = checks(&f);
        assert_eq!(
            got,
            vec![
                ("risk.incomplete", "RR-012"),
                ("risk.incomplete", "RR-012"),
                ("risk.unknown", "RR-099")
            ]
        );
    }
}
