//! Raw telemetry, JSON Lines (`YYYY-MM-DD.json`): one event per line, read
//! streaming in bounded memory. Tolerates a BOM, CRLF, any key order and
//! int/float/string number variants. Reports, and skips, pretty-printed JSON
//! documents that share the folder, malformed lines (with file:line),
//! byte-identical duplicate lines and out-of-order timestamps; never aborts.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity};

/// Duplicate lines are detected among this many most recent lines of a file,
/// which keeps memory bounded whatever the file size.
pub const DUPLICATE_WINDOW: usize = 65_536;

/// Problems reported individually per file and kind; the rest are counted.
const SAMPLES_PER_KIND: usize = 5;

/// A string field that accepts any JSON scalar (numbers become text) and
/// ignores arrays and objects instead of rejecting the line.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The trimmed value, or `None` when absent or blank.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(if v { "True" } else { "False" }))))
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A number field: a JSON number or a numeric string; anything else is absent.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Num(pub Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let t = Text::deserialize(d)?;
        Ok(Num(t
            .get()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite())))
    }
}

/// A boolean field: `true`/`false`, `"True"`/`"False"`, or 1/0.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let t = Text::deserialize(d)?;
        Ok(Flag(t.get().and_then(
            |s| match s.to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
        )))
    }
}

/// The fields of a telemetry event that tollgate reads. Every field is
/// optional; unknown fields are skipped.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Event<'a> {
    #[serde(borrow)]
    pub event_name: Text<'a>,
    #[serde(borrow)]
    pub timestamp: Text<'a>,
    #[serde(borrow)]
    pub site: Text<'a>,
    #[serde(borrow)]
    pub hostname: Text<'a>,
    #[serde(borrow)]
    pub status: Text<'a>,
    #[serde(borrow)]
    pub action: Text<'a>,
    #[serde(borrow)]
    pub operation: Text<'a>,
    #[serde(borrow)]
    pub site_cache_fetch_status: Text<'a>,
    #[serde(borrow)]
    pub site_cache_provider: Text<'a>,
    #[serde(borrow)]
    pub site_cache_provider_reason: Text<'a>,
    pub success: Flag,
    pub duration_seconds: Num,
    pub latency_ms: Num,
    pub rows: Num,
    pub deleted_rows: Num,
    pub site_cache_fetch_duration_ms: Num,
    pub usage_numerator: Num,
    pub usage_denominator: Num,
    pub duration_minutes: Num,
    pub duration_ms: Num,
    pub total_count: Num,
    pub added_count: Num,
    pub removed_count: Num,
    pub changed_count: Num,
    pub unchanged_count: Num,
    pub queue_build_delay_ms: Num,
    pub queue_build_duration_ms: Num,
    pub queue_delay_ms: Num,
    pub queue_duration_ms: Num,
}

impl Event<'_> {
    /// The trimmed event name.
    pub fn name(&self) -> &str {
        self.event_name.get().unwrap_or("")
    }
}

/// What one pass over a telemetry file found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FileScan {
    pub path: PathBuf,
    pub lines: u64,
    pub events: u64,
    pub malformed: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    /// The file is a JSON document (e.g. a pretty-printed array), not JSON Lines.
    pub not_json_lines: bool,
    /// Located problems: the first few of each kind plus a total per kind.
    pub findings: Vec<Finding>,
}

impl FileScan {
    fn note(&mut self, check: &str, count: u64, line: usize, message: String) {
        if count <= SAMPLES_PER_KIND as u64 {
            let loc = Location::file(self.path.display().to_string()).at_line(line);
            self.findings.push(Finding::new(
                check,
                Severity::Warn,
                "telemetry",
                message,
                loc,
            ));
        }
    }

    fn summarise(&mut self) {
        for (check, count, what) in [
            (
                "telemetry.malformed",
                self.malformed,
                "malformed lines skipped",
            ),
            (
                "telemetry.duplicate",
                self.duplicates,
                "byte-identical duplicate lines skipped",
            ),
            (
                "telemetry.order",
                self.out_of_order,
                "events earlier than an event above them",
            ),
        ] {
            if count > SAMPLES_PER_KIND as u64 {
                let loc = Location::file(self.path.display().to_string());
                let msg =
                    format!("{count} {what} in all (the first {SAMPLES_PER_KIND} are listed)");
                self.findings
                    .push(Finding::new(check, Severity::Warn, "telemetry", msg, loc));
            }
        }
    }
}

/// Stream the events of one JSON-lines file to `on_event(event, raw line,
/// line number)`; the raw line lets a caller read fields `Event` lacks.
/// Duplicate lines are skipped; out-of-order events are passed on (they are
/// real data) and reported. A pretty-printed JSON document is reported and
/// skipped whole.
pub fn scan(path: &Path, on_event: impl FnMut(&Event, &[u8], usize)) -> Result<FileScan> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    scan_reader(BufReader::with_capacity(1 << 20, file), path, on_event)
}

/// [`scan`] over any reader; `path` names the source in reports.
pub fn scan_reader(
    mut reader: impl BufRead,
    path: &Path,
    mut on_event: impl FnMut(&Event, &[u8], usize),
) -> Result<FileScan> {
    let mut scan = FileScan {
        path: path.to_path_buf(),
        ..Default::default()
    };
    let mut buf = Vec::with_capacity(4096);
    let mut recent: HashSet<u64> = HashSet::with_capacity(DUPLICATE_WINDOW);
    let mut order: VecDeque<u64> = VecDeque::with_capacity(DUPLICATE_WINDOW);
    let mut latest: Option<String> = None;
    let mut line_no = 0usize;
    let mut seen_content = false;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let mut line: &[u8] = &buf;
        if line_no == 1 {
            line = super::text::strip_bom(line);
        }
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        scan.lines += 1;
        let first = !seen_content;
        seen_content = true;
        let h = xxhash_rust::xxh3::xxh3_64(line);
        if !recent.insert(h) {
            scan.duplicates += 1;
            let msg = format!("line {line_no} repeats an earlier line byte for byte; skipped");
            scan.note("telemetry.duplicate", scan.duplicates, line_no, msg);
            continue;
        }
        order.push_back(h);
        if order.len() > DUPLICATE_WINDOW {
            if let Some(old) = order.pop_front() {
                recent.remove(&old);
            }
        }
        let parsed = if line.starts_with(b"{") {
            serde_json::from_slice::<Event>(line).map_err(|e| e.to_string())
        } else {
            Err("not a JSON object".to_string())
        };
        match parsed {
            Ok(ev) => {
                scan.events += 1;
                if let Some(ts) = ev.timestamp.get() {
                    if let Some(prev) = &latest {
                        if is_before(ts, prev) {
                            scan.out_of_order += 1;
                            let msg = format!("timestamp {ts} is earlier than {prev} above it");
                            scan.note("telemetry.order", scan.out_of_order, line_no, msg);
                        } else {
                            latest = Some(ts.to_string());
                        }
                    } else {
                        latest = Some(ts.to_string());
                    }
                }
                on_event(&ev, line, line_no);
            }
            Err(e) => {
                if first && (line == b"[" || line == b"{" || line.starts_with(b"[")) {
                    scan.not_json_lines = true;
                    let loc = Location::file(path.display().to_string()).at_line(line_no);
                    let msg = "not JSON Lines (a pretty-printed JSON document, e.g. a scheduler snapshot); file skipped".to_string();
                    scan.findings.push(Finding::new(
                        "telemetry.not_jsonl",
                        Severity::Warn,
                        "telemetry",
                        msg,
                        loc,
                    ));
                    return Ok(scan);
                }
                scan.malformed += 1;
                let msg = format!("malformed line skipped: {e}");
                scan.note("telemetry.malformed", scan.malformed, line_no, msg);
            }
        }
    }
    scan.summarise();
    Ok(scan)
}

/// Whether timestamp `a` is earlier than `b`. Same-shape stamps (same length
/// and offset) compare as text; others are parsed.
fn is_before(a: &str, b: &str) -> bool {
    if a.len() == b.len() && a.len() > 6 && a[a.len() - 6..] == b[b.len() - 6..] {
        return a < b;
    }
    match (
        super::timestamp::parse_time(a),
        super::timestamp::parse_time(b),
    ) {
        (Some(x), Some(y)) => x < y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_text(text: &str) -> (FileScan, Vec<(String, usize)>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("2025-01-01.json");
        std::fs::write(&p, text).unwrap();
        let mut seen = Vec::new();
        let s = scan(&p, |e, _, line| seen.push((e.name().to_string(), line))).unwrap();
        (s, seen)
    }

    #[test]
    fn lenient_fields_and_key_order() {
        let (s, seen) = scan_text(
            "\u{feff}{\"Timestamp\":\"2025-01-01T00:00:01-07:00\",\"EventName\":\"A\",\"LatencyMs\":\"12.5\",\"Site\":[1]}\r\n\r\n{\"EventName\":\" B \",\"LatencyMs\":7,\"Success\":\"False\"}\r\n",
        );
        assert_eq!(s.events, 2);
        assert_eq!(seen, vec![("A".to_string(), 1), ("B".to_string(), 3)]);
        assert!(s.findings.is_empty(), "{:?}", s.findings);
    }

    #[test]
    fn reports_malformed_duplicates_and_order_with_lines() {
        let a = "{\"EventName\":\"A\",\"Timestamp\":\"2025-01-01T00:00:02.0000000-07:00\"}";
        let b = "{\"EventName\":\"B\",\"Timestamp\":\"2025-01-01T00:00:01.0000000-07:00\"}";
        let (s, seen) = scan_text(&format!("{a}\n{{oops\n{a}\n{b}\n[1,2]\n"));
        assert_eq!(
            (s.events, s.malformed, s.duplicates, s.out_of_order),
            (2, 2, 1, 1)
        );
        assert_eq!(seen.len(), 2);
        let lines: Vec<(String, usize)> = s
            .findings
            .iter()
            .map(|f| (f.check.clone(), f.location.line.unwrap()))
            .collect();
        assert_eq!(
            lines,
            vec![
                ("telemetry.malformed".to_string(), 2),
                ("telemetry.duplicate".to_string(), 3),
                ("telemetry.order".to_string(), 4),
                ("telemetry.malformed".to_string(), 5),
            ]
        );
    }

    #[test]
    fn pretty_printed_documents_are_skipped_whole() {
        let (s, seen) = scan_text("[\r\n  {\r\n    \"EventName\": \"X\"\r\n  }\r\n]\r\n");
        assert!(s.not_json_lines);
        assert!(seen.is_empty());
        assert_eq!(s.findings[0].check, "telemetry.not_jsonl");
    }
}
