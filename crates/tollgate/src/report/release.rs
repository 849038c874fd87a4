//! Human output of `verify`, `release`, `release status`, `approve` and `ledger`.

use super::{escape, findings_text, headline};
use crate::approval::{ApprovalState, Waiver};
use crate::finding::Counts;
use crate::finding::{Finding, Verdict};
use crate::record::ledger::Entry;
use crate::release::status::{Approval, Status};
use crate::release::Decision;
use crate::verification::Run;

/// A verification run: status, counts, steps, then the findings.
pub fn verify_text(run: &Run) -> String {
    let s = &run.summary;
    let a = s.assertions;
    let mut out = format!(
        "verification {}: {} ({} passed, {} failed, {} skipped)\n",
        s.timestamp,
        crate::finding::words::run_status::word(s.status).to_uppercase(),
        a.passed,
        a.failed,
        a.skipped
    );
    for step in &s.steps {
        out.push_str(&format!(
            "  step {:<24} {:<4} exit {:<4} {:>8.3}s\n",
            step.name,
            step.status,
            step.exit_code.map_or("-".to_string(), |c| c.to_string()),
            step.duration_seconds
        ));
    }
    let gates_failed = s
        .gates
        .iter()
        .filter(|g| g.status != crate::gates::Status::Pass)
        .count();
    out.push_str(&format!(
        "  gates: {} evaluated, {gates_failed} not passing\n",
        s.gates.len()
    ));
    if let Some(b) = &s.bundle {
        out.push_str(&format!("  bundle {}: {}\n", b.name, b.verdict));
    }
    if let Some(d) = &s.docs {
        out.push_str(&format!("  docs: {}\n", headline(d.verdict, d.counts)));
    }
    out.push_str(&format!(
        "summary: {}\nlatest:  {}\ntranscript: {}\nledger entry {}\n",
        run.summary_path.display(),
        run.latest_path.display(),
        run.transcript_path.display(),
        run.ledger_seq
    ));
    let refs: Vec<&Finding> = s
        .findings
        .iter()
        .filter(|f| f.severity != crate::finding::Severity::Info)
        .collect();
    out.push_str(&findings_text(&refs));
    out
}

/// A release decision and its reasons.
pub fn decision_text(d: &Decision) -> String {
    let mut out = format!(
        "release {}: {} ({} blocking, {} warnings)\n",
        d.version,
        d.word().to_uppercase(),
        d.counts.block,
        d.counts.warn
    );
    let refs: Vec<&Finding> = d.blocking.iter().take(10).collect();
    out.push_str(&findings_text(&refs));
    if d.blocking.len() > 10 {
        out.push_str(&format!(
            "  ... and {} more blocking (decision.json lists all)\n",
            d.blocking.len() - 10
        ));
    }
    out
}

fn approval_line(a: &Approval) -> String {
    let state = match (a.state, &a.key) {
        (ApprovalState::Valid, Some(key)) => format!("valid, key {key}"),
        _ => a.judgement(),
    };
    format!(
        "  #{} [{}] {} by {} ({}){}{}\n",
        a.seq,
        escape(&state),
        escape(&a.time),
        escape(&a.by),
        escape(&a.role),
        a.override_reason
            .as_ref()
            .map(|r| format!(" OVERRIDE: {}", escape(r)))
            .unwrap_or_default(),
        a.note
            .as_ref()
            .map(|n| format!(" note: {}", escape(n)))
            .unwrap_or_default()
    )
}

/// `release status`.
pub fn status_text(s: &Status) -> String {
    let evidence = Verdict::of(&s.findings);
    let mut out = format!(
        "release {} ({}): decision {}{}, {}; evidence {}\n",
        s.version,
        s.path,
        s.decision.word(),
        if s.approval.waived.is_empty() {
            String::new()
        } else {
            format!(" (Waived: {})", escape(&s.approval.waived.join(", ")))
        },
        if s.shippable {
            "shippable"
        } else {
            "NOT shippable"
        },
        if s.verifies() {
            "verifies"
        } else {
            "DOES NOT VERIFY"
        }
    );
    out.push_str(&format!("approvals ({}):\n", s.approvals.len()));
    for a in &s.approvals {
        out.push_str(&approval_line(a));
    }
    if !s.waivers.is_empty() {
        out.push_str(&format!("waivers ({}):\n", s.waivers.len()));
        for w in &s.waivers {
            out.push_str(&waiver_line(w));
        }
    }
    for r in &s.approval.roles {
        out.push_str(&match &r.by {
            Some(by) => format!("  role {}: satisfied by {}\n", escape(&r.role), escape(by)),
            None => format!("  role {}: MISSING\n", escape(&r.role)),
        });
    }
    for why in &s.approval.unmet {
        out.push_str(&format!("  not shippable: {}\n", escape(why)));
    }
    out.push_str(&format!(
        "{}\n",
        headline(evidence, Counts::of(&s.findings))
    ));
    let refs: Vec<&Finding> = s.findings.iter().collect();
    out.push_str(&findings_text(&refs));
    out
}

fn waiver_line(w: &Waiver) -> String {
    let state = w.judgement();
    format!(
        "  #{} [{}] {} by {} ({}) until {}: {}\n",
        w.seq,
        escape(&state),
        escape(&w.target),
        escape(&w.by),
        escape(&w.role),
        escape(&w.expires),
        escape(&w.reason)
    )
}

/// One waiver just recorded.
pub fn waiver_text(w: &Waiver, version: &str) -> String {
    format!("waived for {version}\n{}", waiver_line(w))
}

/// One approval just recorded.
pub fn approval_text(a: &Approval, version: &str) -> String {
    format!("approved {version}\n{}", approval_line(a))
}

/// `ledger log`: one line per entry.
pub fn ledger_text(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!(
            "{:>5}  {}  {:<9} {:<28} {}\n",
            e.seq,
            escape(&e.time),
            escape(&e.kind),
            escape(&e.subject),
            escape(e.hash.get(..16).unwrap_or(&e.hash))
        ));
    }
    if entries.is_empty() {
        out.push_str("the ledger is empty\n");
    }
    out
}

/// `ledger migrate`: what was copied where, and how to use it.
pub fn migrated_text(m: &crate::trust::Migrated) -> String {
    format!(
        "migrated {} to {}: {} entries copied, {} in all{}; the copy verifies\npoint the workspace at it: [ledger] url = \"{}\" or {}\n",
        m.from,
        m.to,
        m.copied,
        m.entries,
        m.head
            .as_ref()
            .map(|h| format!(
                ", head entry {} {}",
                h.seq,
                crate::record::ledger::short_hash(&h.hash)
            ))
            .unwrap_or_default(),
        m.to,
        crate::record::backend::URL_VAR
    )
}
