//! Rendering of `bundle verify`, `bundle show` and `bundle list`.

use serde::Serialize;

use super::{findings_text, headline};
use crate::evidence::catalog::BundleEntry;
use crate::evidence::verify::BundleReport;
use crate::finding::Counts;
use crate::finding::{Finding, Verdict};
use crate::read::summary::AreaSummary;
use crate::registry::fetch::Pulled;
use crate::registry::push::Pushed;

/// The `--json` shape of `bundle verify`.
#[derive(Debug, Serialize)]
pub struct VerifyJson<'a> {
    pub bundle: &'a str,
    pub path: String,
    pub verdict: Verdict,
    pub counts: Counts,
    pub summary_path: Option<String>,
    /// The index digest, for a bundle verified in a registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<&'a str>,
    /// Bundle-level findings; area findings are inside each area.
    pub findings: &'a [Finding],
    pub areas: &'a [AreaSummary],
}

/// The `--json` shape of `bundle pull`: what was written, and its verification.
#[derive(Debug, Serialize)]
pub struct PulledJson<'a> {
    #[serde(flatten)]
    pub pulled: &'a Pulled,
    pub verification: VerifyJson<'a>,
}

/// The JSON document for a pull.
pub fn pulled_json(p: &Pulled) -> PulledJson<'_> {
    PulledJson {
        pulled: p,
        verification: verify_json(&p.report, None),
    }
}

/// Human text for a push.
pub fn pushed_text(p: &Pushed) -> String {
    let mut out = format!(
        "pushed bundle {} to {}
  {} files, {} bytes: {} blobs uploaded, {} already there
",
        p.bundle,
        p.reference,
        p.areas.iter().map(|a| a.files).sum::<usize>(),
        p.bytes,
        p.uploaded,
        p.reused
    );
    for a in &p.areas {
        out.push_str(&format!(
            "  area {}: {} files, manifest {}
",
            a.area, a.files, a.digest
        ));
    }
    out.push_str(&format!(
        "recorded in {}
",
        p.ledger
    ));
    out
}

/// Human text for a pull: where it went, then the verification.
pub fn pulled_text(p: &Pulled) -> String {
    let head = if !p.created {
        format!(
            "pulled {} but did not create {}: a blob did not match its digest
",
            p.reference, p.path
        )
    } else {
        format!(
            "pulled {} into {}: {} files, {} bytes, each matching its digest
",
            p.reference, p.path, p.files, p.bytes
        )
    };
    head + &verify_text(&p.report, None)
}

/// The JSON document for a verify report.
pub fn verify_json<'a>(r: &'a BundleReport, summary_path: Option<String>) -> VerifyJson<'a> {
    VerifyJson {
        bundle: &r.name,
        path: r.path.display().to_string(),
        verdict: r.verdict(),
        counts: Counts::of(r.all_findings()),
        summary_path,
        digest: r.registry_digest.as_deref(),
        findings: &r.findings,
        areas: &r.areas,
    }
}

/// Human text for a verify report: verdict, per-area table, then findings.
pub fn verify_text(r: &BundleReport, summary_path: Option<&str>) -> String {
    let all = r.all_findings();
    let mut out = format!(
        "{}  bundle {}\n",
        headline(r.verdict(), Counts::of(all.iter().copied())),
        r.name
    );
    for a in &r.areas {
        out.push_str(&area_block(a));
    }
    out.push('\n');
    out.push_str(&findings_text(&all));
    if let Some(p) = summary_path {
        out.push_str(&format!("\nsummary written to {p}\n"));
    }
    out
}

fn area_block(a: &AreaSummary) -> String {
    let mut out = format!(
        "\n{} [{}]  README SHA256 {}\n",
        a.area,
        a.verdict_or_derived().name(),
        if a.readme_hash.is_empty() {
            "-"
        } else {
            &a.readme_hash
        }
    );
    let width = a
        .requirement_state
        .iter()
        .map(|r| r.requirement.len())
        .max()
        .unwrap_or(0);
    for r in &a.requirement_state {
        out.push_str(&format!(
            "  {:<width$}  {:<20} {}\n",
            r.requirement, r.status, r.files
        ));
    }
    out
}

/// Human text for `bundle show` (a stored summary, not re-hashed).
pub fn show_text(bundle: &str, summary_path: &str, areas: &[AreaSummary]) -> String {
    let verdict = crate::evidence::catalog::overall(areas).name();
    let mut out =
        format!("{verdict}  bundle {bundle} (stored summary {summary_path})\n\nREADME hashes:\n");
    for a in areas {
        out.push_str(&format!(
            "  {:<10} {} {} {}\n",
            a.area,
            a.hash_algorithm,
            if a.readme_hash.is_empty() {
                "-"
            } else {
                &a.readme_hash
            },
            a.readme_path
        ));
    }
    for a in areas {
        out.push_str(&area_block(a));
    }
    let findings: Vec<&Finding> = areas.iter().flat_map(|a| a.findings.iter()).collect();
    if !findings.is_empty() {
        out.push('\n');
        out.push_str(&findings_text(&findings));
    }
    out
}

/// Human text for `bundle list`.
pub fn list_text(entries: &[BundleEntry]) -> String {
    if entries.is_empty() {
        return "no bundles\n".to_string();
    }
    let w = entries
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "{:<w$}  {:<33}  {:<18}  {:>9}  {:>10}  VERDICT\n",
        "NAME", "CREATED", "AREAS", "ARTIFACTS", "BYTES"
    );
    for e in entries {
        out.push_str(&format!(
            "{:<w$}  {:<33}  {:<18}  {:>9}  {:>10}  {}\n",
            e.name,
            e.created.as_deref().unwrap_or("-"),
            e.areas.join(","),
            e.artifacts,
            e.bytes,
            match (e.last_verdict, e.summary_by_tollgate) {
                (None, _) => "never verified".to_string(),
                (Some(v), true) => v.name().to_string(),
                (Some(v), false) =>
                    format!("{} (by another tool; not verified by tollgate)", v.name()),
            }
        ));
    }
    out
}
