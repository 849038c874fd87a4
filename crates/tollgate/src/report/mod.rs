//! Renderers: findings and facts to human text and JSON. Output is decided
//! here only: the verdict first, then findings grouped by severity.

pub mod analyze;
pub mod bundle;
pub mod docs;
pub mod gates;
pub mod junit;
pub mod output;
pub mod release;

use crate::finding::{Counts, Finding, Severity, Verdict};

/// `BLOCKED (3 blocking, 2 warnings)`-style headline.
pub fn headline(verdict: Verdict, counts: Counts) -> String {
    format!(
        "{verdict} ({} blocking, {} warning{}, {} info)",
        counts.block,
        counts.warn,
        if counts.warn == 1 { "" } else { "s" },
        counts.info
    )
}

/// Findings grouped by severity (worst first), one line each with path:line.
pub fn findings_text(findings: &[&Finding]) -> String {
    let mut out = String::new();
    for (sev, title) in [
        (Severity::Block, "Blocking"),
        (Severity::Warn, "Warnings"),
        (Severity::Info, "Info"),
    ] {
        let group: Vec<&&Finding> = findings.iter().filter(|f| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("{title} ({}):\n", group.len()));
        for f in group {
            out.push_str(&format!(
                "  [{}] {}: {}\n      at {}\n",
                f.check, f.subject, f.message, f.location
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

    #[test]
    fn groups_worst_first() {
        let w = Finding::new(
            "c.w",
            Severity::Warn,
            "s",
            "warned",
            Location::file("f").at_line(2),
        );
        let b = Finding::new("c.b", Severity::Block, "s", "blocked", Location::file("g"));
        let text = findings_text(&[&w, &b]);
        assert!(text.find("Blocking (1)").unwrap() < text.find("Warnings (1)").unwrap());
        assert!(text.contains("at f:2"));
        assert_eq!(
            Counts::of([&w, &b]),
            Counts {
                block: 1,
                warn: 1,
                info: 0
            }
        );
        assert_eq!(
            headline(Verdict::Block, Counts::of([&w, &b])),
            "BLOCKED (1 blocking, 1 warning, 0 info)"
        );
    }
}
