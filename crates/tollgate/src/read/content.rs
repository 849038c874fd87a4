//! Artifact content: does a file hold real evidence of its kind, or is it
//! empty, header-only, a placeholder stub or unparseable? The kind comes from
//! the extension: `.csv` needs a data row, `.json` must parse (a document or
//! JSON Lines) and not be empty or a stub, `.xml` must parse and, when it is
//! a JUnit report, hold a test case, `.sarif` must be a SARIF 2.1.0 log,
//! an LCOV `.info` must hold a record;
//! anything else must not be blank.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

/// JSON files larger than this are checked as JSON Lines from their first
/// line only, so that verification never loads gigabytes of telemetry.
const FULL_PARSE_LIMIT: u64 = 32 * 1024 * 1024;

/// The verdict on one file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Usable,
    Empty,
    HeaderOnly,
    Stub,
    /// Not parseable as its kind; the message names the line when known.
    Unparseable(String),
    /// Well-formed, but holds none of what its kind records (a JUnit
    /// report without test cases): what is missing.
    NoRecords(&'static str),
}

impl Content {
    /// Why the file does not count as evidence, or `None` when it does.
    pub fn problem(&self) -> Option<String> {
        match self {
            Content::Usable => None,
            Content::Empty => Some("is empty".into()),
            Content::HeaderOnly => Some("has a header but no data rows".into()),
            Content::Stub => Some("is a placeholder stub, not evidence".into()),
            Content::Unparseable(m) => Some(format!("does not parse: {m}")),
            Content::NoRecords(what) => Some(format!("holds no {what}")),
        }
    }
}

/// Inspect `path`. I/O errors are reported as unparseable content.
pub fn inspect(path: &Path, stub_markers: &[String]) -> Content {
    let opened = super::file::open(path).and_then(|f| Ok((f.metadata()?.len(), f)));
    match opened {
        Ok((len, f)) => inspect_reader(path, f, len, stub_markers),
        Err(e) => Content::Unparseable(e.to_string()),
    }
}

/// How many leading bytes of a `len`-byte file [`inspect_reader`] needs:
/// all of a file it parses whole, a prefix of one it judges by its start.
pub fn needed_bytes(len: u64) -> u64 {
    if len > FULL_PARSE_LIMIT {
        1 << 20
    } else {
        len
    }
}

/// Inspect content of `len` bytes read from `reader` (at least its
/// [`needed_bytes`]), its kind taken from `name`'s extension.
pub fn inspect_reader(
    name: &Path,
    reader: impl Read,
    len: u64,
    stub_markers: &[String],
) -> Content {
    let ext = name
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let result = match ext.as_str() {
        "csv" => inspect_csv(reader),
        "json" => inspect_json(reader, len, name, stub_markers),
        "xml" => inspect_xml(reader, name),
        "sarif" => inspect_sarif(reader, name),
        "info" => inspect_lcov(reader, name),
        _ => inspect_text(reader),
    };
    result.unwrap_or_else(|e| Content::Unparseable(e.to_string()))
}

fn inspect_text(mut f: impl Read) -> std::io::Result<Content> {
    let mut buf = [0u8; 8192];
    let mut first = true;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(Content::Empty);
        }
        let chunk = if first {
            super::text::strip_bom(&buf[..n])
        } else {
            &buf[..n]
        };
        first = false;
        if chunk.iter().any(|b| !b.is_ascii_whitespace()) {
            return Ok(Content::Usable);
        }
    }
}

/// A whole document as text, up to the read limit; or the verdict when it
/// is over the limit, not UTF-8 or blank.
fn whole_text(f: impl Read) -> std::io::Result<Result<String, Content>> {
    let limit = super::file::max_bytes();
    let mut bytes = Vec::new();
    f.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        let why = format!("larger than the read limit of {limit} bytes");
        return Ok(Err(Content::Unparseable(why)));
    }
    Ok(
        match String::from_utf8(super::text::strip_bom(&bytes).to_vec()) {
            Ok(t) if t.trim().is_empty() => Err(Content::Empty),
            Ok(t) => Ok(t),
            Err(_) => Err(Content::Unparseable("not valid UTF-8".into())),
        },
    )
}

/// A reader's error as an unparseable verdict, naming the line when known.
fn unparseable(e: crate::error::Error) -> Content {
    Content::Unparseable(match e {
        crate::error::Error::Parse { line, message, .. } => match line {
            Some(l) => format!("line {l}: {message}"),
            None => message,
        },
        other => other.to_string(),
    })
}

/// A SARIF log must be JSON and SARIF 2.1.0 (it may hold no result).
fn inspect_sarif(f: impl Read, path: &Path) -> std::io::Result<Content> {
    let text = match whole_text(f)? {
        Ok(t) => t,
        Err(verdict) => return Ok(verdict),
    };
    let parsed = super::sarif::parse(&text, path);
    Ok(parsed.map_or_else(unparseable, |_| Content::Usable))
}

/// An LCOV `.info` report must parse and hold a source file record.
fn inspect_lcov(f: impl Read, path: &Path) -> std::io::Result<Content> {
    let text = match whole_text(f)? {
        Ok(t) => t,
        Err(verdict) => return Ok(verdict),
    };
    Ok(match super::coverage::parse(&text, path) {
        Ok(c) if c.files.is_empty() => Content::NoRecords("source file records"),
        Ok(_) => Content::Usable,
        Err(e) => unparseable(e),
    })
}

/// XML must be well-formed; a JUnit report must hold a test case.
fn inspect_xml(f: impl Read, path: &Path) -> std::io::Result<Content> {
    let text = match whole_text(f)? {
        Ok(t) => t,
        Err(verdict) => return Ok(verdict),
    };
    if super::junit::looks_like(&text) {
        return Ok(match super::junit::parse(&text, path) {
            Ok(r) if r.cases.is_empty() => Content::NoRecords("test cases"),
            Ok(_) => Content::Usable,
            Err(e) => unparseable(e),
        });
    }
    let doc = match super::xml::parse(&text, path) {
        Ok(d) => d,
        Err(e) => return Ok(unparseable(e)),
    };
    if doc.root_element().has_tag_name("bom") {
        return Ok(match super::sbom::from_xml(&doc, path) {
            Ok(s) if s.components.is_empty() => Content::NoRecords("components"),
            Ok(_) => Content::Usable,
            Err(e) => unparseable(e),
        });
    }
    Ok(Content::Usable)
}

fn inspect_csv(f: impl Read) -> std::io::Result<Content> {
    let mut reader = BufReader::new(f);
    let mut line = Vec::new();
    let mut non_blank = 0;
    while reader.read_until(b'\n', &mut line)? > 0 {
        let body = if non_blank == 0 {
            super::text::strip_bom(&line)
        } else {
            &line[..]
        };
        if body.iter().any(|b| !b.is_ascii_whitespace()) {
            non_blank += 1;
            if non_blank == 2 {
                return Ok(Content::Usable);
            }
        }
        line.clear();
    }
    Ok(if non_blank == 0 {
        Content::Empty
    } else {
        Content::HeaderOnly
    })
}

fn inspect_json(
    file: impl Read,
    len: u64,
    path: &Path,
    stub_markers: &[String],
) -> std::io::Result<Content> {
    if len > FULL_PARSE_LIMIT {
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        let mut n = 0;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(Content::Empty);
            }
            n += 1;
            let body = line.trim_start_matches('\u{feff}').trim();
            if body.is_empty() {
                continue;
            }
            return Ok(match serde_json::from_str::<Value>(body) {
                Ok(Value::Object(_)) => Content::Usable,
                _ => Content::Unparseable(format!(
                    "line {n}: a file this large must be JSON Lines (one object per line)"
                )),
            });
        }
    }
    let mut bytes = Vec::with_capacity(len.min(FULL_PARSE_LIMIT) as usize);
    file.take(FULL_PARSE_LIMIT + 1).read_to_end(&mut bytes)?;
    let Ok(text) = std::str::from_utf8(super::text::strip_bom(&bytes)) else {
        return Ok(Content::Unparseable("not valid UTF-8".into()));
    };
    if text.trim().is_empty() {
        return Ok(Content::Empty);
    }
    match super::json::parse_documents(text, path) {
        Err(e) => Ok(unparseable(e)),
        Ok(docs) => Ok(judge_documents(&docs, stub_markers)),
    }
}

fn judge_documents(docs: &[Value], stub_markers: &[String]) -> Content {
    let items: Vec<&Value> = docs
        .iter()
        .flat_map(|d| match d {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            v => vec![v],
        })
        .collect();
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    };
    if items.iter().all(|v| empty(v)) {
        return Content::Empty;
    }
    if items.iter().all(|v| is_stub(v, stub_markers)) {
        return Content::Stub;
    }
    if let [doc] = docs {
        let none = |k: &str| doc[k].as_array().is_none_or(Vec::is_empty);
        // An SBOM listing nothing (a VEX document lists vulnerabilities).
        if doc["bomFormat"] == "CycloneDX" && none("components") && none("vulnerabilities") {
            return Content::NoRecords("components");
        }
        if doc["spdxVersion"].is_string() && none("packages") {
            return Content::NoRecords("packages");
        }
    }
    Content::Usable
}

/// A stub is an object with a marker key set to `true`, or a string value
/// equal to a marker (e.g. `{"Sample":true}`, `{"Status":"Sample"}`).
fn is_stub(v: &Value, markers: &[String]) -> bool {
    let Value::Object(o) = v else { return false };
    o.iter().any(|(k, val)| {
        markers.iter().any(|m| {
            (k.eq_ignore_ascii_case(m) && val == &Value::Bool(true))
                || val.as_str().is_some_and(|s| s.eq_ignore_ascii_case(m))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, body: &str) -> Content {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        inspect(&p, &["Sample".to_string()])
    }

    #[test]
    fn csv_needs_a_data_row() {
        assert_eq!(check("a.csv", "\u{feff}A,B\r\n"), Content::HeaderOnly);
        assert_eq!(check("a.csv", "A,B\r\n\r\n1,2\r\n"), Content::Usable);
        assert_eq!(check("a.csv", "\r\n"), Content::Empty);
    }

    #[test]
    fn xml_must_parse_and_junit_must_hold_a_case() {
        let case = "<testsuite name=\"s\"><testcase name=\"t\"/></testsuite>";
        assert_eq!(check("r.xml", case), Content::Usable);
        assert_eq!(
            check("r.xml", "<testsuites>\n"),
            Content::Unparseable(
                "line 1: the XML ends before its elements are closed (a truncated file?)".into()
            )
        );
        assert_eq!(
            check("r.xml", "<testsuites></testsuites>"),
            Content::NoRecords("test cases")
        );
        assert_eq!(check("r.xml", "\u{feff}<coverage/>"), Content::Usable);
        assert_eq!(check("r.xml", "  \n"), Content::Empty);
        assert!(
            matches!(check("a.sarif", "{not json"), Content::Unparseable(m) if m.starts_with("line 1:"))
        );
        assert!(
            matches!(check("a.sarif", r#"{"version":"1.0","runs":[]}"#), Content::Unparseable(m) if m.contains("'1.0'"))
        );
        assert_eq!(
            check("a.sarif", r#"{"version":"2.1.0","runs":[]}"#),
            Content::Usable
        );
        assert_eq!(
            check("lcov.info", "SF:a\nDA:1,1\nend_of_record\n"),
            Content::Usable
        );
        assert_eq!(
            check("lcov.info", "TN:\n"),
            Content::NoRecords("source file records")
        );
        assert_eq!(
            check(
                "bom.json",
                r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}"#
            ),
            Content::NoRecords("components")
        );
        assert_eq!(
            check(
                "bom.json",
                r#"{"bomFormat":"CycloneDX","components":[{"name":"a"}]}"#
            ),
            Content::Usable
        );
        assert_eq!(
            check("s.json", r#"{"spdxVersion":"SPDX-2.3","packages":[]}"#),
            Content::NoRecords("packages")
        );
        assert_eq!(
            check(
                "bom.xml",
                r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components/></bom>"#
            ),
            Content::NoRecords("components")
        );
        assert!(
            matches!(check("lcov.info", "SF:a\nDA:1\n"), Content::Unparseable(m) if m.starts_with("line 2:"))
        );
        assert!(
            matches!(check("r.xml", "<a><b></a>"), Content::Unparseable(m) if m.starts_with("line 1:"))
        );
    }

    #[test]
    fn json_kinds() {
        assert_eq!(check("a.json", "{\"Sample\":true}"), Content::Stub);
        assert_eq!(
            check("a.json", "{\"TaskId\":\"X\",\"Status\":\"Sample\"}"),
            Content::Stub
        );
        assert_eq!(check("a.json", "[]"), Content::Empty);
        assert_eq!(check("a.json", "\u{feff}[{\"A\":1}]"), Content::Usable);
        assert_eq!(check("a.json", "{\"A\":1}\n{\"A\":2}\n"), Content::Usable);
        assert!(
            matches!(check("a.json", "{\"A\":\n"), Content::Unparseable(m) if m.contains("line"))
        );
    }

    #[test]
    fn text_needs_non_blank() {
        assert_eq!(check("a.md", " \n\t"), Content::Empty);
        assert_eq!(check("a.log", "x"), Content::Usable);
    }
}
