//! Human rendering of gate results.

use super::{headline, Counts};
use crate::finding::Verdict;
use crate::gates::{GateResult, Status};
use crate::telemetry::stats::{fmt_num, round_away};

/// The gates table: verdict first, one row per gate, `--explain` steps under each.
pub fn table(results: &[GateResult], verdict: Verdict, explain: bool) -> String {
    let findings = crate::gates::findings(results);
    let mut out = format!(
        "{}  {} gate(s)\n",
        headline(verdict, Counts::of(&findings)),
        results.len()
    );
    let w = results.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    out.push_str(&format!(
        "{:<w$}  {:<6} {:>12}  {:<12} {:>7}  {:<6} VERDICT\n",
        "ID", "PLAN", "VALUE", "THRESHOLD", "SAMPLES", "SEV"
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
            "{:<w$}  {:<6} {:>12}  {:<12} {:>7}  {:<6} {verdict}\n",
            r.id,
            r.plan,
            value,
            format!("{} {}", r.op, r.threshold),
            r.samples,
            format!("{:?}", r.severity).to_lowercase()
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
