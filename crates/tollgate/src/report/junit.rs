//! JUnit XML for CI parsers (`--junit PATH` on gates, bundle verify, verify,
//! release and release status). Gates: one testcase per gate, a `<failure>`
//! per blocking verdict, `<skipped>` for track gates; warnings go to
//! system-out. A release: one testcase per blocking finding (`<skipped>`
//! "WAIVED ..." when a valid waiver accepts it, never a pass), per required
//! role, and for the evidence and shipping as a whole.

use crate::approval::{waiver, WaiverState};
use crate::evidence::verify::BundleReport;
use crate::finding::{Finding, Severity, Verdict};
use crate::gates::{GateResult, Status};
use crate::policy::gate::GateSeverity;
use crate::release::status::Status as ReleaseStatus;
use crate::release::Decision;
use crate::verification::Summary as VerificationSummary;

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
    let cases: Vec<String> = results.iter().map(gate_case).collect();
    suite("tollgate.gates", &cases)
}

/// A gate's testcase: failing when it blocks, skipped when only tracked,
/// a warning's detail in system-out.
fn gate_case(r: &GateResult) -> String {
    let detail = format!("{}: {}\n{}", r.description, r.message, r.explain.join("\n"));
    let outcome = if r.severity == GateSeverity::Track {
        format!("      <skipped message=\"track: {}\"/>\n", esc(&r.message))
    } else if r.status != Status::Pass && r.severity == GateSeverity::Block {
        format!(
            "      <failure message=\"{}\" type=\"{:?}\">{}</failure>\n",
            esc(&r.message),
            r.status,
            esc(&detail)
        )
    } else if r.status != Status::Pass {
        format!("      <system-out>WARN {}</system-out>\n", esc(&detail))
    } else {
        String::new()
    };
    let class = if r.plan.is_empty() { "gates" } else { &r.plan };
    case(class, &r.id, &outcome)
}

/// A `<failure>` element.
fn failure(message: &str, detail: &str) -> String {
    format!(
        "      <failure message=\"{}\" type=\"Blocked\">{}</failure>\n",
        esc(message),
        esc(detail)
    )
}

/// Blocking findings as failing testcases of `class`, named `check: subject`.
fn finding_cases(class: &str, findings: &[&Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Block)
        .map(|f| {
            let name = format!("{}: {}", f.check, f.subject);
            case(
                class,
                &name,
                &failure(&f.message, &format!("{}: {}", f.location, f.message)),
            )
        })
        .collect()
}

/// Counts of failures and skips in rendered cases.
fn tally(cases: &[String]) -> (usize, usize) {
    let n = |tag: &str| cases.iter().filter(|c| c.contains(tag)).count();
    (n("<failure "), n("<skipped "))
}

fn suite(name: &str, cases: &[String]) -> String {
    let (failures, skipped) = tally(cases);
    document(name, cases.len(), failures, skipped, &cases.concat())
}

/// `bundle verify --junit`: a testcase per area requirement (failing when a
/// required one is not Present; an optional one missing is system-out), and
/// one failing testcase per blocking finding.
pub fn bundle(r: &BundleReport) -> String {
    let mut cases = Vec::new();
    for a in &r.areas {
        let class = format!("bundle.{}.{}", r.name, a.area);
        for req in &a.requirement_state {
            let outcome = match req.status.as_str() {
                "Present" => String::new(),
                s if s.ends_with("(Optional)") => {
                    format!("      <system-out>WARN {}</system-out>\n", esc(s))
                }
                s => failure(&format!("{}: {s}", req.requirement), &req.files),
            };
            cases.push(case(&class, &req.requirement, &outcome));
        }
    }
    let all = r.all_findings();
    cases.extend(finding_cases(&format!("bundle.{}.findings", r.name), &all));
    suite(&format!("tollgate.bundle.{}", r.name), &cases)
}

/// `release VERSION --junit`: a failing testcase per blocking finding, the
/// warnings as system-out of the decision's own testcase, which fails when
/// the decision is Blocked.
pub fn decision(d: &Decision) -> String {
    let class = format!("release.{}", d.version);
    let blocking: Vec<&Finding> = d.blocking.iter().collect();
    let mut cases = finding_cases(&format!("{class}.blocking"), &blocking);
    let warnings: Vec<String> = d
        .warnings
        .iter()
        .map(|f| format!("WARN {}: {}", f.check, f.message))
        .collect();
    let mut outcome = if warnings.is_empty() {
        String::new()
    } else {
        format!(
            "      <system-out>{}</system-out>\n",
            esc(&warnings.join("\n"))
        )
    };
    if d.decision == Verdict::Block {
        outcome = failure(
            "Blocked",
            &format!("{} blocking finding(s)", d.blocking.len()),
        ) + &outcome;
    }
    cases.push(case(&format!("{class}.decision"), "ready", &outcome));
    suite(&format!("tollgate.release.{}", d.version), &cases)
}

/// `verify --junit`: a testcase per step and per gate, and a failing one per
/// other blocking finding (bundle, docs).
pub fn verification(s: &VerificationSummary) -> String {
    let mut cases: Vec<String> = s
        .steps
        .iter()
        .map(|st| {
            let outcome = if st.status == "Pass" {
                String::new()
            } else {
                failure(
                    &format!("step {} failed", st.name),
                    st.error.as_deref().unwrap_or(&st.command),
                )
            };
            case("verify.steps", &st.name, &outcome)
        })
        .collect();
    cases.extend(s.gates.iter().map(gate_case));
    let other: Vec<&Finding> = s.findings.iter().filter(|f| f.check != "gate").collect();
    cases.extend(finding_cases("verify.findings", &other));
    suite("tollgate.verify", &cases)
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
