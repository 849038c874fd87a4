//! Renderers: findings and facts to human text and JSON. Output is decided
//! here only: the verdict first, then findings grouped by severity.

pub mod analyze;
pub mod bundle;
pub mod docs;
pub mod gates;
pub mod github;
pub mod junit;
pub mod output;
pub mod release;
pub mod sarif;

use std::borrow::Cow;

use crate::finding::{Counts, Finding, Location, Severity, Verdict};

/// `s` safe to print on a terminal: control characters (newlines and ANSI
/// escapes included) are shown escaped, so a name or note cannot forge a
/// line or recolour the output.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

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
                "  [{}] {}: {}\n",
                f.check,
                escape(&f.subject),
                escape(&f.message),
            ));
            if f.location != Location::default() {
                out.push_str(&format!("      at {}\n", escape(&f.location.to_string())));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("alice"), "alice");
        assert_eq!(escape("a\n#99 by CISO"), "a\\n#99 by CISO");
        assert_eq!(escape("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(escape("tab\there"), "tab\\there");
    }
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
