//! JUnit XML for CI parsers: one testcase per gate, a `<failure>` per
//! blocking verdict, `<skipped>` for track gates; warnings go to system-out.

use crate::gates::{GateResult, Status};
use crate::policy::gate::GateSeverity;

fn esc(s: &str) -> String {
    s.chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r') || !c.is_control())
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The JUnit document for gate results.
pub fn gates(results: &[GateResult]) -> String {
    let blocking = |r: &GateResult| r.status != Status::Pass && r.severity == GateSeverity::Block;
    let failures = results.iter().filter(|r| blocking(r)).count();
    let skipped = results
        .iter()
        .filter(|r| r.severity == GateSeverity::Track)
        .count();
    let mut cases = String::new();
    for r in results {
        cases.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n",
            esc(&r.plan),
            esc(&r.id)
        ));
        let detail = format!("{}: {}\n{}", r.description, r.message, r.explain.join("\n"));
        if r.severity == GateSeverity::Track {
            cases.push_str(&format!(
                "      <skipped message=\"track: {}\"/>\n",
                esc(&r.message)
            ));
        } else if blocking(r) {
            cases.push_str(&format!(
                "      <failure message=\"{}\" type=\"{:?}\">{}</failure>\n",
                esc(&r.message),
                r.status,
                esc(&detail)
            ));
        } else if r.status != Status::Pass {
            cases.push_str(&format!(
                "      <system-out>WARN {}</system-out>\n",
                esc(&detail)
            ));
        }
        cases.push_str("    </testcase>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tollgate\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n  <testsuite name=\"tollgate.gates\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\">\n{cases}  </testsuite>\n</testsuites>\n",
        n = results.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(esc("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
