//! CSV as hand-edited governance files have it (`TaskBoard.csv`): quoted
//! fields with `""` escapes and line breaks, unquoted fields, two records
//! glued on one line, records with the wrong field count, and mixed line
//! endings. Problems are reported with line numbers; good records are kept.

use regex::Regex;

use super::text::strip_bom;

/// One record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The line the record starts on.
    pub line: usize,
    pub fields: Vec<String>,
}

/// A parsed CSV file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Csv {
    pub header: Vec<String>,
    /// Records whose field count matches the header.
    pub records: Vec<Record>,
    /// Records with another field count, kept for what they say.
    pub malformed: Vec<Record>,
    pub problems: Vec<(usize, String)>,
}

impl Csv {
    /// The index of a header (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    }
}

/// Parse `text`. When text follows a closing quote and matches `record_start`
/// (e.g. the ID pattern), it is the start of a second record glued onto the
/// line; it is split off and reported.
pub fn parse(text: &str, record_start: Option<&Regex>) -> Csv {
    let text = String::from_utf8_lossy(strip_bom(text.as_bytes())).into_owned();
    let chars: Vec<char> = text.chars().collect();
    let mut out = Csv::default();
    let mut rows: Vec<Record> = Vec::new();
    let (mut line, mut crlf, mut lf_only, mut first_lf) = (1usize, 0usize, 0usize, None);
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut record_line = 1;
    let mut quoted_field = false;
    let mut i = 0;
    let end_record =
        |fields: &mut Vec<String>, field: &mut String, rows: &mut Vec<Record>, at: usize| {
            fields.push(std::mem::take(field));
            if !(fields.len() == 1 && fields[0].trim().is_empty()) {
                rows.push(Record {
                    line: at,
                    fields: std::mem::take(fields),
                });
            }
            fields.clear();
        };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' && field.is_empty() && !quoted_field {
            // A quoted field: to the closing quote, `""` is a quote.
            quoted_field = true;
            i += 1;
            while i < chars.len() {
                match chars[i] {
                    '"' if chars.get(i + 1) == Some(&'"') => {
                        field.push('"');
                        i += 2;
                    }
                    '"' => {
                        i += 1;
                        break;
                    }
                    ch => {
                        if ch == '\n' {
                            line += 1;
                        }
                        field.push(ch);
                        i += 1;
                    }
                }
            }
            if i >= chars.len() && !text.ends_with('"') {
                out.problems
                    .push((record_line, "a quoted field is never closed".to_string()));
            }
            // After the closing quote: a separator, a line end, or trouble.
            match chars.get(i) {
                None | Some(',') | Some('\r') | Some('\n') => {}
                Some(_) => {
                    let rest: String = chars[i..].iter().take_while(|c| **c != '\n').collect();
                    if record_start.is_some_and(|re| re.find(&rest).is_some_and(|m| m.start() == 0))
                    {
                        out.problems.push((
                            line,
                            "two records glued on one line; split after the closing quote"
                                .to_string(),
                        ));
                        end_record(&mut fields, &mut field, &mut rows, record_line);
                        record_line = line;
                        quoted_field = false;
                        continue;
                    }
                    out.problems
                        .push((line, "text after a closing quote".to_string()));
                }
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted_field = false;
            }
            '\r' if chars.get(i + 1) == Some(&'\n') => {}
            '\n' => {
                if i > 0 && chars[i - 1] == '\r' {
                    crlf += 1;
                } else {
                    lf_only += 1;
                    first_lf.get_or_insert(line);
                }
                end_record(&mut fields, &mut field, &mut rows, record_line);
                quoted_field = false;
                line += 1;
                record_line = line;
            }
            ch => field.push(ch),
        }
        i += 1;
    }
    if !field.is_empty() || !fields.is_empty() {
        end_record(&mut fields, &mut field, &mut rows, record_line);
    }
    if crlf > 0 && lf_only > 0 {
        out.problems.push((
            first_lf.unwrap_or(1),
            format!("inconsistent line endings: {crlf} CRLF and {lf_only} LF-only (the first LF-only here)"),
        ));
    }
    let mut rows = rows.into_iter();
    if let Some(h) = rows.next() {
        out.header = h.fields;
    }
    for r in rows {
        if r.fields.len() == out.header.len() {
            out.records.push(r);
        } else {
            out.problems.push((
                r.line,
                format!(
                    "record has {} fields, the header has {}",
                    r.fields.len(),
                    out.header.len()
                ),
            ));
            out.malformed.push(r);
        }
    }
    out.problems.sort_by_key(|p| p.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escaped_glued_short_and_mixed_endings() {
        let re = Regex::new(r"ST-[A-Z]{1,2}-\d{3}").unwrap();
        let text = "\"ID\",\"Title\",\"Notes\"\r\n\"ST-A-001\",\"Say \"\"hi\"\"\",\"a, b\"\r\n\"ST-A-002\",\"Two\nlines\",\"x\"ST-A-003,Glued,y\r\nST-A-004,Short\n\"ST-A-005\",Five,z\r\n\r\n";
        let csv = parse(text, Some(&re));
        assert_eq!(csv.header, ["ID", "Title", "Notes"]);
        let ids: Vec<(&str, usize)> = csv
            .records
            .iter()
            .map(|r| (r.fields[0].as_str(), r.line))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("ST-A-001", 2),
                ("ST-A-002", 3),
                ("ST-A-003", 4),
                ("ST-A-005", 6)
            ]
        );
        assert_eq!(csv.records[0].fields[1], "Say \"hi\"");
        assert_eq!(csv.records[0].fields[2], "a, b");
        assert_eq!(csv.records[1].fields[1], "Two\nlines");
        assert_eq!(csv.malformed[0].fields, ["ST-A-004", "Short"]);
        let lines: Vec<usize> = csv.problems.iter().map(|p| p.0).collect();
        assert_eq!(lines, vec![4, 5, 5], "{:?}", csv.problems);
        assert!(csv.problems[0].1.contains("glued"));
        assert!(csv
            .problems
            .iter()
            .any(|p| p.1.contains("inconsistent line endings")));
        assert_eq!(csv.column("notes"), Some(2));
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in ["", "\"", "a,\"b", "\"a\"x", "\r\n\r\n", ",,,\n\"\"\"\""] {
            let _ = parse(s, None);
        }
    }
}
