//! Human rendering of gate results.

use super::headline;
use crate::finding::Counts;
use crate::finding::Verdict;
use crate::gates::{GateResult, Status};
use crate::telemetry::stats::{fmt_num, round_away};

/// The file names a gate read (the first three, then how many more).
fn source_names(files: &[String]) -> String {
    let name = |f: &String| {
        std::path::Path::new(f)
            .file_name()
            .map_or_else(|| f.clone(), |n| n.to_string_lossy().into_owned())
    };
    let mut out = files
        .iter()
        .take(3)
        .map(name)
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > 3 {
        out.push_str(&format!(" +{} more", files.len() - 3));
    }
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// The gates table: verdict first, one row per gate with the files it read,
/// `--explain` steps under each.
pub fn table(results: &[GateResult], verdict: Verdict, explain: bool) -> String {
    let findings = crate::gates::findings(results);
    let mut out = format!(
        "{}  {} gate(s)\n",
        headline(verdict, Counts::of(&findings)),
        results.len()
    );
    let w = results.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    out.push_str(&format!(
        "{:<w$}  {:<6} {:>12}  {:<12} {:>7}  {:<6} {:<16} SOURCE\n",
        "ID", "PLAN", "VALUE", "THRESHOLD", "SAMPLES", "SEV", "VERDICT"
    ));
    for r in results {
        let value = r
            .value
            .map(|v| fmt_num(round_away(v, 3)))
            .or(r.text.clone())
            .unwrap_or_else(|| "-".into());
        let verdict = match r.status {
            Status::Pass => "Pass",
            Status::Fail => "FAIL",
            Status::InsufficientData => "InsufficientData",
        };
        out.push_str(&format!(
            "{:<w$}  {:<6} {:>12}  {:<12} {:>7}  {:<6} {verdict:<16} {}\n",
            r.id,
            r.plan,
            value,
            r.rule(),
            r.samples,
            format!("{:?}", r.severity).to_lowercase(),
            source_names(&r.files)
        ));
        if explain {
            for step in &r.explain {
                out.push_str(&format!("      {step}\n"));
            }
            for f in &r.files {
                out.push_str(&format!("      file: {f}\n"));
            }
            for c in &r.candidates {
                let v = c.outcome.value.map(fmt_num).unwrap_or_else(|| "-".into());
                out.push_str(&format!(
                    "      candidate {} = {v} ({:?})\n",
                    c.name, c.status
                ));
            }
            out.push_str(&format!("      => {}\n", r.message));
        }
    }
    out.push('\n');
    out
}
