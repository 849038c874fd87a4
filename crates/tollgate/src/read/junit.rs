//! JUnit XML test reports, as surefire, pytest, jest-junit, go-junit-report,
//! gradle, nextest and ctest write them: a `<testsuites>` root or a bare
//! `<testsuite>`, suites nested to any depth. Counts come from the
//! `<testcase>` elements, never from the declared `tests=`/`failures=`
//! attributes (pytest declares subtests it does not list).

use std::path::Path;

use serde::Serialize;

use crate::error::Result;

/// A test case's outcome: an `<error>` child wins over `<failure>`, which
/// wins over `<skipped>`; none of them is a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
    Errored,
    Skipped,
}

impl Outcome {
    /// The word used in gate filters and messages.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Errored => "errored",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One `<testcase>`.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The innermost enclosing suite's name.
    pub suite: String,
    pub classname: String,
    pub name: String,
    /// Seconds, when the `time` attribute is a number.
    pub time: Option<f64>,
    pub outcome: Outcome,
    /// 1-based line of the element.
    pub line: u32,
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `testsuites` or `testsuite`.
    pub root: String,
    /// Every `<testsuite>` element, nested ones included.
    pub suites: usize,
    pub cases: Vec<Case>,
}

impl Report {
    /// How many cases had `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.cases.iter().filter(|c| c.outcome == outcome).count()
    }
}

/// Read the report at `path` (a BOM and CRLF are fine; size-limited).
pub fn read(path: &Path) -> Result<Report> {
    let text = crate::read::text::read_to_string(path)?;
    parse(&text, path)
}

/// Parse report text; malformed XML or another root is an error at its line.
pub fn parse(text: &str, path: &Path) -> Result<Report> {
    let doc = super::xml::parse(text, path)?;
    let root = doc.root_element();
    let name = root.tag_name().name();
    if name != "testsuites" && name != "testsuite" {
        return Err(super::xml::wrong_root(
            &doc,
            path,
            format!(
                "not a JUnit report: the root element is <{name}>, not <testsuites> or <testsuite>"
            ),
        ));
    }
    let mut cases = Vec::new();
    let mut suites = 0;
    // Lines counted forward from the last case (cases come in document
    // order): `text_pos_at` scans from the start, quadratic over a large file.
    let (mut at, mut line) = (0usize, 1u32);
    let mut line_of = |pos: usize| {
        line += memchr::memchr_iter(b'\n', &text.as_bytes()[at..pos]).count() as u32;
        at = pos;
        line
    };
    for node in root.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "testsuite" => suites += 1,
            "testcase" => {
                let child = |tag: &str| node.children().any(|c| c.has_tag_name(tag));
                let outcome = if child("error") {
                    Outcome::Errored
                } else if child("failure") {
                    Outcome::Failed
                } else if child("skipped") {
                    Outcome::Skipped
                } else {
                    Outcome::Passed
                };
                let suite = node
                    .ancestors()
                    .find(|a| a.has_tag_name("testsuite"))
                    .and_then(|s| s.attribute("name"))
                    .unwrap_or_default();
                let attr = |k: &str| node.attribute(k).unwrap_or_default().to_string();
                cases.push(Case {
                    suite: suite.to_string(),
                    classname: attr("classname"),
                    name: attr("name"),
                    time: node
                        .attribute("time")
                        .and_then(|t| t.trim().replace(',', "").parse().ok()),
                    outcome,
                    line: line_of(node.range().start),
                });
            }
            _ => {}
        }
    }
    Ok(Report {
        root: name.to_string(),
        suites,
        cases,
    })
}

/// Whether `text` looks like a JUnit report (its root element's name), for
/// telling JUnit from other XML without parsing all of it.
pub fn looks_like(text: &str) -> bool {
    let body = text.trim_start_matches('\u{feff}');
    let mut rest = body;
    // Skip the declaration, comments, a DOCTYPE and processing instructions.
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        if rest.starts_with("<?") || rest.starts_with("<!") {
            let end = if rest.starts_with("<!--") {
                rest.find("-->")
            } else {
                rest.find('>')
            };
            match end {
                Some(e) => rest = &rest[e + 1..],
                None => return false,
            }
            continue;
        }
        return rest.starts_with("<testsuites") || rest.starts_with("<testsuite");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn report(text: &str) -> Result<Report> {
        parse(text, Path::new("t.xml"))
    }

    #[test]
    fn outcomes_come_from_the_cases_not_the_declared_counts() {
        let r = report(
            r#"<?xml version="1.0"?>
<testsuites tests="99" failures="0">
  <testsuite name="outer">
    <testsuite name="inner">
      <testcase classname="a" name="ok" time="0.5"/>
      <testcase name="bad" time="1,250.5"><failure message="x"/></testcase>
      <testcase name="boom"><failure/><error/></testcase>
    </testsuite>
    <testcase name="later"><skipped/></testcase>
  </testsuite>
</testsuites>"#,
        )
        .unwrap();
        assert_eq!(
            (r.root.as_str(), r.suites, r.cases.len()),
            ("testsuites", 2, 4)
        );
        let got: Vec<_> = r
            .cases
            .iter()
            .map(|c| (c.suite.as_str(), c.outcome, c.line))
            .collect();
        assert_eq!(
            got,
            [
                ("inner", Outcome::Passed, 5),
                ("inner", Outcome::Failed, 6),
                ("inner", Outcome::Errored, 7),
                ("outer", Outcome::Skipped, 9),
            ]
        );
        assert_eq!(r.cases[1].time, Some(1250.5));
    }

    #[test]
    fn truncated_or_foreign_xml_is_an_error_at_its_line() {
        let e = report("<testsuites>\n<testsuite name=\"a\">\n<testcase").unwrap_err();
        assert!(matches!(e, Error::Parse { line: Some(3), .. }), "{e}");
        let e = report("<?xml version=\"1.0\"?>\n\n<coverage/>").unwrap_err();
        assert!(
            e.to_string().contains("t.xml:3") && e.to_string().contains("<coverage>"),
            "{e}"
        );
        assert!(looks_like(
            "\u{feff}<?xml version='1.0'?><!-- x --><testsuite/>"
        ));
        assert!(!looks_like("<coverage line-rate='1'/>"));
    }
}
