//! Human rendering of `docs check`: counts per rule first, then each rule's
//! findings with file:line and ID.

use std::collections::BTreeMap;

use super::{headline, Counts};
use crate::finding::{Finding, Verdict};
use crate::governance::DocsReport;

/// The grouped report.
pub fn check_text(r: &DocsReport) -> String {
    let verdict = Verdict::of(&r.findings);
    let mut out = format!(
        "{}  task board {} tasks, CSV {} tasks\n",
        headline(verdict, Counts::of(&r.findings)),
        r.board_tasks,
        r.csv_tasks
    );
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings {
        by_rule.entry(f.check.as_str()).or_default().push(f);
    }
    let w = by_rule.keys().map(|k| k.len()).max().unwrap_or(4);
    for (rule, fs) in &by_rule {
        out.push_str(&format!(
            "  {rule:<w$}  {:>5}  {:?}\n",
            fs.len(),
            fs[0].severity
        ));
    }
    for (rule, fs) in &by_rule {
        out.push_str(&format!("\n{rule} ({}):\n", fs.len()));
        for f in fs {
            out.push_str(&format!("  {}  {}: {}\n", f.location, f.subject, f.message));
        }
    }
    out
}
