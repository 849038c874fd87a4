//! JUnit XML for CI parsers. Gates: one testcase per gate, a `<failure>`
//! per blocking verdict, `<skipped>` for track gates; warnings go to
//! system-out. A release: one testcase per blocking finding (`<skipped>`
//! "WAIVED ..." when a valid waiver accepts it, never a pass), per required
//! role, and for the evidence and shipping as a whole.

use crate::approval::{waiver, WaiverState};
use crate::gates::{GateResult, Status};
use crate::policy::gate::GateSeverity;
use crate::release::status::Status as ReleaseStatus;

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
    document("tollgate.gates", results.len(), failures, skipped, &cases)
}

/// One testcase: passed when `outcome` is empty, else its `<failure>`,
/// `<skipped>` or `<system-out>` element.
fn case(classname: &str, name: &str, outcome: &str) -> String {
    format!(
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n{outcome}    </testcase>\n",
        esc(classname),
        esc(name)
    )
}

fn document(suite: &str, n: usize, failures: usize, skipped: usize, cases: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tollgate\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\">\n{cases}  </testsuite>\n</testsuites>\n",
        esc(suite)
    )
}

/// The JUnit document for a release's status: each blocking finding fails
/// unless a valid waiver accepts it (then it is skipped as WAIVED, with who,
/// why and until when) or a valid override ships over it (skipped as
/// OVERRIDDEN, with who and why), each required role fails while missing, and the
/// evidence and the shipping verdict are one testcase each.
pub fn release(s: &ReleaseStatus) -> String {
    let (mut failures, mut skipped) = (0, 0);
    let mut cases = Vec::new();
    let mut fail = |message: &str, detail: &str| {
        failures += 1;
        format!(
            "      <failure message=\"{}\" type=\"Blocked\">{}</failure>\n",
            esc(message),
            esc(detail)
        )
    };
    let class = |part: &str| format!("release.{}.{part}", s.version);
    let skip = |message: String| format!("      <skipped message=\"{}\"/>\n", esc(&message));
    // Which findings are waived, and which approval's override counts, as
    // the library judged them ([`crate::approval::Shipping`]).
    let overridden = s
        .approval
        .overridden_by
        .and_then(|seq| s.approvals.iter().find(|a| a.seq == seq));
    for f in &s.decision.blocking {
        let target = waiver::target_of(f);
        let waived = s
            .approval
            .waived
            .contains(&target)
            .then(|| {
                s.waivers
                    .iter()
                    .find(|w| w.state == WaiverState::Valid && w.target == target)
            })
            .flatten();
        let outcome = match (waived, overridden) {
            (Some(w), _) => {
                skipped += 1;
                skip(format!(
                    "WAIVED by {} ({}) until {}: {}",
                    w.by, w.role, w.expires, w.reason
                ))
            }
            (None, Some(a)) => {
                skipped += 1;
                skip(format!(
                    "OVERRIDDEN by {} ({}): {}: {}",
                    a.by,
                    a.role,
                    a.override_reason.as_deref().unwrap_or_default(),
                    f.message
                ))
            }
            (None, None) => fail(&f.message, &format!("{}: {}", f.location, f.message)),
        };
        cases.push(case(&class("blocking"), &target, &outcome));
    }
    for r in &s.approval.roles {
        let outcome = match &r.by {
            Some(by) => format!("      <system-out>satisfied by {}</system-out>\n", esc(by)),
            None => fail(&format!("role {}: MISSING", r.role), "no valid approval"),
        };
        cases.push(case(&class("approvals"), &r.role, &outcome));
    }
    let evidence = if s.verifies() {
        String::new()
    } else {
        let lines: Vec<String> = s
            .findings
            .iter()
            .map(|f| format!("{}: {}", f.location, f.message))
            .collect();
        fail("evidence does not verify", &lines.join("\n"))
    };
    cases.push(case(&class("evidence"), "verifies", &evidence));
    let shipping = if s.shippable {
        String::new()
    } else {
        fail("not shippable", &s.approval.unmet.join("\n"))
    };
    cases.push(case(&class("decision"), "shippable", &shipping));
    document(
        &format!("tollgate.release.{}", s.version),
        cases.len(),
        failures,
        skipped,
        &cases.concat(),
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
