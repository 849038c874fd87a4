//! GitHub Actions output (`--format github`): workflow commands that
//! annotate files in the pull request, and the job summary's markdown.

use crate::finding::{Counts, Finding, Severity, Verdict};

/// Annotations per level; GitHub shows only the first ten of each anyway.
pub const PER_LEVEL: usize = 10;
/// GitHub refuses a step summary over 1 MiB.
pub const SUMMARY_LIMIT: usize = 1 << 20;

/// `%`, CR and LF escaped, as workflow-command data needs.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Data escaping plus `:` and `,`, as a property value needs.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Block => "error",
        Severity::Warn => "warning",
        Severity::Info => "notice",
    }
}

/// One workflow command per finding, at most [`PER_LEVEL`] per level, each
/// level's rest counted in one notice. Paths are shown as the findings give
/// them (workspace-relative: [`Finding::relative_to`]).
pub fn annotations(findings: &[&Finding]) -> String {
    let mut out = String::new();
    for sev in [Severity::Block, Severity::Warn, Severity::Info] {
        let of: Vec<&&Finding> = findings.iter().filter(|f| f.severity == sev).collect();
        for f in of.iter().take(PER_LEVEL) {
            let mut props = Vec::new();
            if let Some(p) = &f.location.path {
                props.push(format!("file={}", escape_property(p)));
            }
            if let Some(l) = f.location.line {
                props.push(format!("line={l}"));
            }
            props.push(format!(
                "title={}",
                escape_property(&format!("{}: {}", f.check, f.subject))
            ));
            out.push_str(&format!(
                "::{} {}::{}\n",
                level(sev),
                props.join(","),
                escape_data(&f.message)
            ));
        }
        if of.len() > PER_LEVEL {
            out.push_str(&format!(
                "::notice title=tollgate::{} more {} finding(s) not annotated; see the job summary or --json\n",
                of.len() - PER_LEVEL,
                level(sev)
            ));
        }
    }
    out
}

/// `|` and line breaks made safe inside a markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// The job summary: a heading with the command's verdict (as the library
/// decided it) and the counts, then a table of every blocking and warning
/// finding, cut (and said so) to stay under `limit` bytes.
pub fn step_summary(title: &str, verdict: Verdict, findings: &[&Finding], limit: usize) -> String {
    let c = Counts::of(findings.iter().copied());
    let mut out = format!(
        "### tollgate {}: {}\n\n{} blocking, {} warnings, {} info\n\n",
        cell(title),
        match verdict {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Block => "BLOCKED",
        },
        c.block,
        c.warn,
        c.info
    );
    let shown_rows: Vec<&&Finding> = findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    if shown_rows.is_empty() {
        return out;
    }
    out.push_str("| level | check | subject | message | where |\n|---|---|---|---|---|\n");
    let tail = |n: usize| format!("\n{n} more finding(s) not shown here; see --json.\n");
    for (i, f) in shown_rows.iter().enumerate() {
        let at = match (&f.location.path, f.location.line) {
            (Some(p), Some(l)) => format!("{p}:{l}"),
            (Some(p), None) => p.clone(),
            _ => String::new(),
        };
        let row = format!(
            "| {} | {} | {} | {} | {} |\n",
            level(f.severity),
            cell(&f.check),
            cell(&f.subject),
            cell(&f.message),
            cell(&at)
        );
        let rest = tail(shown_rows.len() - i);
        if out.len() + row.len() + rest.len() > limit {
            out.push_str(&rest);
            return out;
        }
        out.push_str(&row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

    fn f(sev: Severity, msg: &str) -> Finding {
        Finding::new(
            "docs.drift",
            sev,
            "T-1, T:2",
            msg,
            Location::file("docs/a,b:c.md").at_line(7),
        )
    }

    #[test]
    fn commands_are_escaped_and_capped_per_level() {
        let many: Vec<Finding> = (0..12)
            .map(|i| f(Severity::Block, &format!("50% off\r\nline {i}")))
            .collect();
        let mut all: Vec<&Finding> = many.iter().collect();
        let warn = f(Severity::Warn, "w");
        all.push(&warn);
        let out = annotations(&all);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 10 + 1 + 1, "{out}");
        assert_eq!(
            lines[0],
            "::error file=docs/a%2Cb%3Ac.md,line=7,title=docs.drift%3A T-1%2C T%3A2::50%25 off%0D%0Aline 0"
        );
        assert!(
            lines[10].starts_with("::notice title=tollgate::2 more error finding(s)"),
            "{}",
            lines[10]
        );
        assert!(lines[11].starts_with("::warning "));
    }

    #[test]
    fn the_summary_stays_under_its_limit_and_says_what_it_cut() {
        let many: Vec<Finding> = (0..500)
            .map(|i| f(Severity::Block, &format!("a | b {i}")))
            .collect();
        let all: Vec<&Finding> = many.iter().collect();
        let s = step_summary("gates", Verdict::Block, &all, 4096);
        assert!(s.len() <= 4096, "{}", s.len());
        assert!(
            s.starts_with("### tollgate gates: BLOCKED\n\n500 blocking"),
            "{s}"
        );
        assert!(s.contains("a \\| b 0") && s.contains("docs/a,b:c.md:7"));
        assert!(
            s.trim_end()
                .ends_with("more finding(s) not shown here; see --json."),
            "{s}"
        );
        let whole = step_summary("gates", Verdict::Block, &all[..2], SUMMARY_LIMIT);
        assert!(!whole.contains("not shown"));
    }
}
