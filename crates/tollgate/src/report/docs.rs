//! Human rendering of `docs check`: counts per rule first, then each rule's
//! findings with file:line and ID.

use std::collections::BTreeMap;

use super::headline;
use crate::finding::Counts;
use crate::finding::{Finding, Verdict};
use crate::governance::DocsReport;

/// The grouped report.
/// Findings listed per rule in human output; `--json` has them all.
const PER_RULE: usize = 40;

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
        for f in fs.iter().take(PER_RULE) {
            out.push_str(&format!(
                "  {}  {}: {}\n",
                super::escape(&f.location.to_string()),
                super::escape(&f.subject),
                super::escape(&f.message)
            ));
        }
        if fs.len() > PER_RULE {
            out.push_str(&format!(
                "  ... and {} more (--json lists every finding)\n",
                fs.len() - PER_RULE
            ));
        }
    }
    out
}

/// `docs checklist`: how many items are checked, then the unchecked ones.
pub fn checklist_text(r: &crate::governance::ChecklistReport) -> String {
    let done = r.items.iter().filter(|i| i.checked).count();
    let refs: Vec<&Finding> = r.findings.iter().collect();
    format!(
        "{}  {done} of {} checklist items checked in {}\n{}",
        Verdict::of(&r.findings),
        r.items.len(),
        r.path,
        super::findings_text(&refs)
    )
}

/// `risk check`: the verdict, each cited risk as resolved, then the findings.
pub fn risk_text(r: &crate::governance::RiskReport) -> String {
    let mut out = format!(
        "{}  {} against {}\n",
        Verdict::of(&r.findings),
        r.summary,
        r.register
    );
    for c in &r.citations {
        out.push_str(&match &c.risk {
            Some(k) => format!(
                "  {} -> risk {}: {} (owner {}; mitigation: {})\n",
                c.cited, k.number, k.title, k.owner, k.mitigation
            ),
            None => format!("  {} -> not in the register\n", c.cited),
        });
    }
    let refs: Vec<&Finding> = r.findings.iter().collect();
    out.push_str(&super::findings_text(&refs));
    out
}

/// `docs task`: where each document stands on the task, then what is missing.
pub fn task_text(c: &crate::governance::doc_sync::DocSyncChecklist) -> String {
    let mut out = format!(
        "Doc-sync checklist {} for {}\n",
        if c.passed { "passed" } else { "FAILED" },
        c.task_id
    );
    let mut state = |name: &str, s: &crate::governance::doc_sync::DocState| {
        let at = s.line.map(|l| format!(":{l}")).unwrap_or_default();
        let mark = if s.contains_task_id {
            "cites it"
        } else if s.exists {
            "does not cite it"
        } else {
            "missing"
        };
        out.push_str(&format!(
            "  {name:<12} {mark:<17} {}{at}\n",
            s.path.as_deref().unwrap_or("-")
        ));
    };
    state("task board", &c.task_board);
    state("CSV", &c.task_board_csv);
    for p in &c.plan {
        state("plan", p);
    }
    state("backlog", &c.backlog);
    state("session log", &c.session_log);
    if !c.missing.is_empty() {
        out.push_str(&format!("Missing: {}\n", c.missing.join(", ")));
    }
    out
}
