//! Coverage reports: Cobertura XML (coverage.py, gcovr, simplecov, MATLAB,
//! the Java original), LCOV `.info` and JaCoCo XML, as per-file line and
//! branch counts. Counts are computed from the lines themselves, never
//! taken from the declared `line-rate`/`LF`/`LH` (which producers get wrong:
//! `NaN`, absent, or per-method lines repeated).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// One source file's counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileCoverage {
    pub file: String,
    /// The Cobertura or JaCoCo package ("" for LCOV).
    pub package: String,
    pub lines_valid: u64,
    pub lines_covered: u64,
    pub branches_valid: u64,
    pub branches_covered: u64,
}

/// A report, or several merged.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub files: Vec<FileCoverage>,
}

impl Coverage {
    /// Sums over every file.
    pub fn total(&self) -> FileCoverage {
        let mut t = FileCoverage::default();
        for f in &self.files {
            t.lines_valid += f.lines_valid;
            t.lines_covered += f.lines_covered;
            t.branches_valid += f.branches_valid;
            t.branches_covered += f.branches_covered;
        }
        t
    }
}

/// Covered over valid as a percentage, `None` when nothing is valid.
pub fn percent(covered: u64, valid: u64) -> Option<f64> {
    (valid > 0).then(|| covered as f64 * 100.0 / valid as f64)
}

/// Read a report of any supported format, told apart by content.
pub fn read(path: &Path) -> Result<Coverage> {
    parse(&crate::read::text::read_to_string(path)?, path)
}

/// Parse report text: XML (Cobertura, JaCoCo) or LCOV.
pub fn parse(text: &str, path: &Path) -> Result<Coverage> {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('<') {
        xml(text, path)
    } else {
        lcov(text, path)
    }
}

fn xml(text: &str, path: &Path) -> Result<Coverage> {
    let doc = super::xml::parse(text, path)?;
    let root = doc.root_element();
    match root.tag_name().name() {
        "coverage" => Ok(cobertura(root)),
        "report" => Ok(jacoco(root)),
        other => Err(super::xml::wrong_root(
            &doc,
            path,
            format!("not a coverage report: the root element is <{other}>, not Cobertura's <coverage> or JaCoCo's <report>"),
        )),
    }
}

/// Cobertura: each class's own `<lines>` (the per-method copies are not
/// counted again); branches from `condition-coverage="50% (1/2)"`.
fn cobertura(root: roxmltree::Node) -> Coverage {
    let mut files: BTreeMap<(String, String), FileCoverage> = BTreeMap::new();
    for class in root.descendants().filter(|n| n.has_tag_name("class")) {
        let package = class
            .ancestors()
            .find(|a| a.has_tag_name("package"))
            .and_then(|p| p.attribute("name"))
            .unwrap_or_default()
            .to_string();
        let file = class.attribute("filename").unwrap_or_default().to_string();
        let f = files
            .entry((package.clone(), file.clone()))
            .or_insert_with(|| FileCoverage {
                file,
                package,
                ..Default::default()
            });
        let lines = class
            .children()
            .filter(|c| c.has_tag_name("lines"))
            .flat_map(|l| l.children().filter(|c| c.has_tag_name("line")));
        for line in lines {
            f.lines_valid += 1;
            let hits: f64 = line
                .attribute("hits")
                .and_then(|h| h.parse().ok())
                .unwrap_or(0.0);
            if hits > 0.0 {
                f.lines_covered += 1;
            }
            if line.attribute("branch") == Some("true") {
                if let Some((c, v)) = line.attribute("condition-coverage").and_then(fraction) {
                    f.branches_covered += c;
                    f.branches_valid += v;
                }
            }
        }
    }
    Coverage {
        files: files.into_values().collect(),
    }
}

/// `"50% (1/2)"` -> (1, 2).
fn fraction(s: &str) -> Option<(u64, u64)> {
    let inner = s.split_once('(')?.1.split_once(')')?.0;
    let (c, v) = inner.split_once('/')?;
    Some((c.trim().parse().ok()?, v.trim().parse().ok()?))
}

/// JaCoCo: each `<sourcefile>`'s LINE and BRANCH counters.
fn jacoco(root: roxmltree::Node) -> Coverage {
    let mut files = Vec::new();
    for sf in root.descendants().filter(|n| n.has_tag_name("sourcefile")) {
        let package = sf
            .ancestors()
            .find(|a| a.has_tag_name("package"))
            .and_then(|p| p.attribute("name"))
            .unwrap_or_default();
        let counter = |kind: &str| {
            sf.children()
                .find(|c| c.has_tag_name("counter") && c.attribute("type") == Some(kind))
                .map(|c| {
                    let n = |k: &str| {
                        c.attribute(k)
                            .and_then(|v| v.parse::<u64>().ok())
                            .unwrap_or(0)
                    };
                    (n("missed"), n("covered"))
                })
                .unwrap_or((0, 0))
        };
        let (lm, lc) = counter("LINE");
        let (bm, bc) = counter("BRANCH");
        files.push(FileCoverage {
            file: format!("{package}/{}", sf.attribute("name").unwrap_or_default()),
            package: package.to_string(),
            lines_valid: lm + lc,
            lines_covered: lc,
            branches_valid: bm + bc,
            branches_covered: bc,
        });
    }
    Coverage { files }
}

/// LCOV: per `SF:` record, distinct `DA:` lines (hit when any count > 0;
/// Foundry repeats lines) and `BRDA:` branches (`-` is not taken).
fn lcov(text: &str, path: &Path) -> Result<Coverage> {
    let mut files = Vec::new();
    let mut current: Option<(String, BTreeMap<u64, bool>, u64, u64)> = None;
    for (n, line) in crate::read::text::numbered_lines(text) {
        let line = line.trim();
        let bad =
            |what: &str| Error::parse(path, Some(n), format!("malformed {what} line: '{line}'"));
        if let Some(sf) = line.strip_prefix("SF:") {
            current = Some((sf.to_string(), BTreeMap::new(), 0, 0));
        } else if line == "end_of_record" {
            let (file, lines, bv, bc) = current
                .take()
                .ok_or_else(|| bad("end_of_record (no SF before it)"))?;
            files.push(FileCoverage {
                file,
                package: String::new(),
                lines_valid: lines.len() as u64,
                lines_covered: lines.values().filter(|hit| **hit).count() as u64,
                branches_valid: bv,
                branches_covered: bc,
            });
        } else if let Some(da) = line.strip_prefix("DA:") {
            let rec = current
                .as_mut()
                .ok_or_else(|| bad("DA (no SF before it)"))?;
            let mut parts = da.split(',');
            let (Some(l), Some(c)) = (parts.next(), parts.next()) else {
                return Err(bad("DA"));
            };
            let l: u64 = l.trim().parse().map_err(|_| bad("DA"))?;
            let hit = c.trim().parse::<f64>().map_err(|_| bad("DA"))? > 0.0;
            *rec.1.entry(l).or_insert(false) |= hit;
        } else if let Some(brda) = line.strip_prefix("BRDA:") {
            let rec = current
                .as_mut()
                .ok_or_else(|| bad("BRDA (no SF before it)"))?;
            let taken = brda.rsplit(',').next().ok_or_else(|| bad("BRDA"))?.trim();
            rec.2 += 1;
            if taken != "-" && taken.parse::<f64>().map_err(|_| bad("BRDA"))? > 0.0 {
                rec.3 += 1;
            }
        }
    }
    if let Some((file, ..)) = current {
        return Err(Error::parse(
            path,
            None,
            format!("record for {file} has no end_of_record (a truncated file?)"),
        ));
    }
    if files.is_empty() && !text.lines().any(|l| l.starts_with("TN:")) {
        return Err(Error::parse(
            path,
            None,
            "not an LCOV report: no SF: record",
        ));
    }
    Ok(Coverage { files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cobertura_counts_class_lines_once_and_branches_from_conditions() {
        let xml = r#"<coverage line-rate="NaN"><packages><package name="p"><classes>
<class name="A" filename="a.py"><methods><method name="m"><lines><line number="1" hits="1"/></lines></method></methods>
<lines><line number="1" hits="1"/><line number="2" hits="0" branch="true" condition-coverage="50% (1/2)"/></lines></class>
</classes></package></packages></coverage>"#;
        let c = xml_str(xml).unwrap();
        assert_eq!(
            c.total(),
            FileCoverage {
                file: String::new(),
                package: String::new(),
                lines_valid: 2,
                lines_covered: 1,
                branches_valid: 2,
                branches_covered: 1
            }
        );
        assert_eq!(c.files[0].package, "p");
    }

    fn xml_str(s: &str) -> Result<Coverage> {
        xml(s, Path::new("c.xml"))
    }

    #[test]
    fn lcov_merges_repeated_lines_and_reports_malformed_ones() {
        let c = lcov(
            "TN:\nSF:/a.sol\nDA:1,0\nDA:1,3\nDA:2,0\nBRDA:1,0,0,-\nBRDA:1,0,1,2\nend_of_record\n",
            Path::new("l.info"),
        )
        .unwrap();
        let t = c.total();
        assert_eq!(
            (
                t.lines_valid,
                t.lines_covered,
                t.branches_valid,
                t.branches_covered
            ),
            (2, 1, 2, 1)
        );
        let e = lcov("SF:a\nDA:x,1\n", Path::new("l.info")).unwrap_err();
        assert!(e.to_string().contains("l.info:2"), "{e}");
        assert!(lcov("SF:a\nDA:1,1\n", Path::new("l.info"))
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        assert!(xml_str("<testsuites/>")
            .unwrap_err()
            .to_string()
            .contains("not a coverage report"));
    }
}
