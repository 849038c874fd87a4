//! Raw telemetry, JSON Lines (`YYYY-MM-DD.json`): one event per line, read
//! streaming in bounded memory. Tolerates a BOM, CRLF, any key order and
//! int/float/string number variants. Reports, and skips, pretty-printed JSON
//! documents that share the folder, malformed lines (with file:line),
//! byte-identical duplicate lines and out-of-order timestamps; never aborts.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use super::event::{Event, Flag, Num, Scalar, Text};
use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity};

/// Duplicate lines are detected with a direct-mapped table of this many
/// recent line hashes (512 KiB), which keeps memory bounded whatever the file
/// size. A repeat is always caught while its slot still holds the earlier
/// line (in practice: repeats within thousands of lines); a 64-bit hash
/// collision is the only way to flag a line that is not a repeat.
pub const DUPLICATE_WINDOW: usize = 65_536;

/// Problems reported individually per file and kind; the rest are counted.
const SAMPLES_PER_KIND: usize = 5;

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

/// Stream the events of one JSON-lines file to `on_event(event, line
/// number)`. Duplicate lines are skipped; out-of-order events are passed on
/// (they are real data) and reported. A pretty-printed JSON document is
/// reported and skipped whole.
pub fn scan(path: &Path, mut on_event: impl FnMut(&Event, usize)) -> Result<FileScan> {
    scan_file(path, None, |e, _, n| on_event(e, n))
}

/// [`scan`] limited to the events a query names, each delivered with the
/// query's fields (`on_event(event, fields, line number)`). A line whose
/// literal `"EventName":"..."` names another event is skipped before it is
/// parsed, hashed or checked for order, so `lines` counts every line while
/// `events`, duplicates and order count the wanted events only. Lines the
/// literal test cannot judge (nested objects, escapes, spacing) are parsed.
pub fn scan_event(
    path: &Path,
    query: &EventQuery,
    on_event: impl FnMut(&Event, &[Option<Scalar>], usize),
) -> Result<FileScan> {
    scan_file(path, Some(query), on_event)
}

/// [`scan_reader`] over a file; large files are read straight from the
/// page cache ([`crate::mapped`]), with the same results.
fn scan_file(
    path: &Path,
    query: Option<&EventQuery>,
    mut on_event: impl FnMut(&Event, &[Option<Scalar>], usize),
) -> Result<FileScan> {
    let file = super::file::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len >= crate::mapped::MIN_BYTES {
        let window = crate::mapped::WINDOW;
        if let Some(scan) = scan_mapped(&file, len, window, path, query, &mut on_event)? {
            return Ok(scan);
        }
    }
    scan_reader(file, path, query, on_event)
}

/// [`scan_reader`] over `len` bytes of `file`, read through mapped windows
/// of `window` bytes. `None` when the file cannot be mapped at all.
fn scan_mapped(
    file: &File,
    len: u64,
    window: u64,
    path: &Path,
    query: Option<&EventQuery>,
    on_event: &mut impl FnMut(&Event, &[Option<Scalar>], usize),
) -> Result<Option<FileScan>> {
    let mut lines = LineState::new(path, query);
    let mut windows = 0usize;
    let mapped = crate::mapped::for_each_window(file, len, window, |w| {
        windows += 1;
        lines.chunk(w, on_event) == Flow::Go
    });
    match mapped {
        None if windows == 0 => Ok(None),
        None => {
            let e = std::io::Error::other(format!("cannot map the file past window {windows}"));
            Err(Error::io(path, e))
        }
        Some(()) => Ok(Some(lines.finish(on_event))),
    }
}

/// The literal that names an event in compact JSON.
const EVENT_KEY: &[u8; 13] = br#""EventName":""#;

/// Which events a scan wants, and which of their fields.
pub struct EventQuery {
    key: memchr::memmem::Finder<'static>,
    want: String,
    keys: Vec<String>,
}

impl EventQuery {
    /// Events named `event` (case-insensitive, trimmed) and their top-level
    /// fields (or dotted paths) `keys`.
    pub fn new(event: &str, keys: &[&str]) -> EventQuery {
        EventQuery {
            key: memchr::memmem::Finder::new(EVENT_KEY),
            want: event.trim().to_string(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn wants(&self, ev: &Event) -> bool {
        ev.name().eq_ignore_ascii_case(&self.want)
    }

    /// Whether `line` surely names another event.
    fn skips(&self, line: &[u8]) -> bool {
        // The common shape names the event first: then it is a top-level
        // key whatever follows, and no search is needed. (A fixed-size
        // compare: no call per line.)
        let rest = if line.first() == Some(&b'{')
            && line.get(1..1 + EVENT_KEY.len()) == Some(&EVENT_KEY[..])
        {
            &line[1 + EVENT_KEY.len()..]
        } else {
            if memchr::memchr(b'{', line.get(1..).unwrap_or_default()).is_some() {
                return false;
            }
            let Some(at) = self.key.find(line) else {
                return false;
            };
            &line[at + EVENT_KEY.len()..]
        };
        let Some(close) = super::flat::quote_or_escape(rest) else {
            return false;
        };
        rest[close] == b'"'
            && !rest[..close]
                .trim_ascii()
                .eq_ignore_ascii_case(self.want.as_bytes())
    }
}

/// [`scan`] over any reader, optionally limited by an [`EventQuery`] (the
/// fields are empty without one); `path` names the source in reports.
pub fn scan_reader(
    mut reader: impl Read,
    path: &Path,
    query: Option<&EventQuery>,
    mut on_event: impl FnMut(&Event, &[Option<Scalar>], usize),
) -> Result<FileScan> {
    let mut lines = LineState::new(path, query);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        if lines.chunk(&buf[..n], &mut on_event) == Flow::Stop {
            break;
        }
    }
    Ok(lines.finish(&mut on_event))
}

/// How far ahead of the line being read [`LineState::chunk`] prefetches,
/// and how much per line: three cache lines, about one telemetry line.
const PREFETCH_AHEAD: usize = 2048;
const PREFETCH_BYTES: usize = 192;

/// Query fields held on the stack per line; more go to the heap.
const FEW_FIELDS: usize = 8;

/// Bytes read per call.
const READ_CHUNK: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Flow {
    Go,
    Stop,
}

/// Per-file state of the line checks.
struct LineState<'f> {
    query: Option<&'f EventQuery>,
    keys: Vec<&'f str>,
    scan: FileScan,
    /// Line hashes by slot (`hash % DUPLICATE_WINDOW`); 0 means empty.
    recent: Vec<u64>,
    /// The latest timestamp so far; the buffer is reused, not reallocated.
    latest: String,
    seen_content: bool,
    /// The start of a line that the last chunk ended inside.
    carry: Vec<u8>,
    line_no: usize,
    flow: Flow,
}

impl<'f> LineState<'f> {
    fn new(path: &Path, query: Option<&'f EventQuery>) -> LineState<'f> {
        LineState {
            scan: FileScan {
                path: path.to_path_buf(),
                ..Default::default()
            },
            recent: vec![0u64; DUPLICATE_WINDOW],
            latest: String::new(),
            seen_content: false,
            carry: Vec::new(),
            line_no: 0,
            flow: Flow::Go,
            query,
            keys: query.map_or(Vec::new(), |q| q.keys.iter().map(String::as_str).collect()),
        }
    }

    /// The next bytes of the file: every line they complete is checked; a
    /// line they end inside is kept until the next chunk completes it.
    fn chunk(
        &mut self,
        mut bytes: &[u8],
        on_event: &mut impl FnMut(&Event, &[Option<Scalar>], usize),
    ) -> Flow {
        while self.flow == Flow::Go {
            // The CPU's prefetchers stop at page boundaries: ask for the
            // bytes a few lines ahead, so the file streams into cache
            // while the lines before them are parsed.
            if let Some(ahead) = bytes.get(PREFETCH_AHEAD..PREFETCH_AHEAD + PREFETCH_BYTES) {
                for b in ahead.iter().step_by(64) {
                    crate::fasthash::prefetch(b);
                }
            }
            let Some(i) = memchr::memchr(b'\n', bytes) else {
                self.carry.extend_from_slice(bytes);
                break;
            };
            self.line_no += 1;
            self.flow = if self.carry.is_empty() {
                self.feed(&bytes[..i], self.line_no, on_event)
            } else {
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(&bytes[..i]);
                let flow = self.feed(&line, self.line_no, on_event);
                line.clear();
                self.carry = line;
                flow
            };
            bytes = &bytes[i + 1..];
        }
        self.flow
    }

    /// The end of the file: its unterminated last line, then the totals.
    fn finish(mut self, on_event: &mut impl FnMut(&Event, &[Option<Scalar>], usize)) -> FileScan {
        if self.flow == Flow::Go && !self.carry.is_empty() {
            let line = std::mem::take(&mut self.carry);
            self.line_no += 1;
            self.flow = self.feed(&line, self.line_no, on_event);
        }
        if self.flow == Flow::Go {
            self.scan.summarise();
        }
        self.scan
    }

    /// One raw line, numbered from 1: a BOM on the first line and the
    /// surrounding whitespace (CR included) are not part of the event.
    fn feed(
        &mut self,
        mut line: &[u8],
        line_no: usize,
        on_event: &mut impl FnMut(&Event, &[Option<Scalar>], usize),
    ) -> Flow {
        if line_no == 1 {
            line = super::text::strip_bom(line);
        }
        self.line(line.trim_ascii(), line_no, on_event)
    }

    fn line(
        &mut self,
        line: &[u8],
        line_no: usize,
        on_event: &mut impl FnMut(&Event, &[Option<Scalar>], usize),
    ) -> Flow {
        if line.is_empty() {
            return Flow::Go;
        }
        let scan = &mut self.scan;
        scan.lines += 1;
        let first = !self.seen_content;
        self.seen_content = true;
        if !first && self.query.is_some_and(|q| q.skips(line)) {
            return Flow::Go;
        }
        let h = xxhash_rust::xxh3::xxh3_64(line).max(1);
        let slot = (h % DUPLICATE_WINDOW as u64) as usize;
        // The table is larger than the CPU's nearest caches: fetch the slot
        // while the line is parsed (a repeat parses the same, in vain).
        crate::fasthash::prefetch(&self.recent[slot]);
        let mut doc = None;
        // A gate reads a few fields: they fit on the stack (and a rollup,
        // which reads none, makes no slots at all).
        let mut few: [Option<Scalar>; FEW_FIELDS];
        let mut many = Vec::new();
        let fields = match self.keys.len() {
            0 => &mut [][..],
            n if n <= FEW_FIELDS => {
                few = Default::default();
                &mut few[..n]
            }
            n => {
                many.resize(n, None);
                &mut many[..]
            }
        };
        let mut ev = Event::default();
        let parsed = parse_line(line, &self.keys, &mut doc, fields, &mut ev);
        if self.recent[slot] == h {
            scan.duplicates += 1;
            let msg = format!("line {line_no} repeats an earlier line byte for byte; skipped");
            scan.note("telemetry.duplicate", scan.duplicates, line_no, msg);
            return Flow::Go;
        }
        self.recent[slot] = h;
        match parsed {
            Ok(()) if self.query.is_some_and(|q| !q.wants(&ev)) => {}
            Ok(()) => {
                scan.events += 1;
                if let Some(ts) = ev.timestamp.get() {
                    if !self.latest.is_empty() && is_before(ts, &self.latest) {
                        scan.out_of_order += 1;
                        let msg =
                            format!("timestamp {ts} is earlier than {} above it", self.latest);
                        scan.note("telemetry.order", scan.out_of_order, line_no, msg);
                    } else {
                        self.latest.clear();
                        self.latest.push_str(ts);
                    }
                }
                on_event(&ev, fields, line_no);
            }
            Err(e) => {
                if first && (line == b"[" || line == b"{" || line.starts_with(b"[")) {
                    scan.not_json_lines = true;
                    let loc = Location::file(scan.path.display().to_string()).at_line(line_no);
                    let msg = "not JSON Lines (a pretty-printed JSON document, e.g. a scheduler snapshot); file skipped";
                    scan.findings.push(Finding::new(
                        "telemetry.not_jsonl",
                        Severity::Warn,
                        "telemetry",
                        msg,
                        loc,
                    ));
                    return Flow::Stop;
                }
                scan.malformed += 1;
                let msg = format!("malformed line skipped: {e}");
                scan.note("telemetry.malformed", scan.malformed, line_no, msg);
            }
        }
        Flow::Go
    }
}

/// Parse one line into an event and the values of `keys` (`fields`, one
/// slot per key), on the flat fast path when it can; `doc` holds the serde
/// document the fields borrow from when it cannot.
fn parse_line<'a>(
    line: &'a [u8],
    keys: &[&str],
    doc: &'a mut Option<serde_json::Value>,
    fields: &mut [Option<Scalar<'a>>],
    ev: &mut Event<'a>,
) -> std::result::Result<(), String> {
    if super::flat::parse_into(line, keys, fields, ev).is_some() {
        return Ok(());
    }
    if !line.starts_with(b"{") {
        return Err("not a JSON object".to_string());
    }
    *ev = serde_json::from_slice::<Event>(line).map_err(|e| e.to_string())?;
    // serde skips unknown fields without checking their UTF-8, so a line
    // that is a valid event may still not be a valid document: its fields
    // are then absent.
    fields.iter_mut().for_each(|f| *f = None);
    if let (false, Ok(v)) = (keys.is_empty(), serde_json::from_slice(line)) {
        let doc = doc.insert(v);
        for (slot, k) in fields.iter_mut().zip(keys) {
            *slot = super::json::get_path(doc, k).map(Scalar::from_value);
        }
    }
    Ok(())
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

    #[test]
    fn scan_event_parses_only_lines_that_may_name_the_event() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("2026-01-01.json");
        let lines = [
            r#"{"EventName":"ParseDuration","DurationSeconds":1}"#,
            r#"{"EventName":"DatabaseWriteLatency","LatencyMs":5}"#,
            r#"{"EventName":" databasewritelatency ","LatencyMs":6}"#,
            r#"{"EventName": "DatabaseWriteLatency","LatencyMs":7}"#,
            r#"{"Inner":{"EventName":"Other"},"EventName":"DatabaseWriteLatency","LatencyMs":8}"#,
            r#"{"EventName":"Database\u0057riteLatency","LatencyMs":9}"#,
            r#"{"EventName":"ParseDuration","DurationSeconds":2}"#,
        ];
        std::fs::write(&f, lines.join("\n")).unwrap();
        let mut got = Vec::new();
        let query = EventQuery::new("DatabaseWriteLatency", &["LatencyMs", "Inner.EventName"]);
        let scan = scan_event(&f, &query, |e, fields, line| {
            assert!(e.name().eq_ignore_ascii_case("DatabaseWriteLatency"));
            got.push((
                line,
                fields[0].as_ref().and_then(Scalar::number),
                match &fields[1] {
                    Some(Scalar::Str(s)) => Some(s.to_string()),
                    _ => None,
                },
            ))
        })
        .unwrap();
        let lines_and_latency: Vec<(usize, Option<f64>)> =
            got.iter().map(|(l, v, _)| (*l, *v)).collect();
        assert_eq!(
            lines_and_latency,
            [
                (2, Some(5.0)),
                (3, Some(6.0)),
                (4, Some(7.0)),
                (5, Some(8.0)),
                (6, Some(9.0))
            ],
            "every spelling of the event reaches the caller, with its fields, and no other event"
        );
        assert_eq!(got[3].2.as_deref(), Some("Other"), "a dotted path");
        assert_eq!(got[0].2, None, "a dotted path on a flat line");
        assert_eq!((scan.lines, scan.events), (7, 5));
    }

    #[test]
    fn a_valid_event_that_is_not_a_valid_document_keeps_its_place() {
        // serde ignores an unknown field without checking its UTF-8; found by
        // the telemetry fuzz target.
        let mut line = br#"{"EventName":"A","Site":"S","X":"bad "}"#.to_vec();
        line[35] = 0xB1;
        let query = EventQuery::new("a", &["Site"]);
        let mut got = Vec::new();
        let s = scan_reader(&line[..], Path::new("t"), Some(&query), |_, f, n| {
            got.push((n, f[0].is_some()))
        })
        .unwrap();
        assert_eq!((s.events, s.malformed), (1, 0));
        assert_eq!(got, [(1, false)]);
    }

    fn scan_text(text: &str) -> (FileScan, Vec<(String, usize)>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("2025-01-01.json");
        std::fs::write(&p, text).unwrap();
        let mut seen = Vec::new();
        let s = scan(&p, |e, line| seen.push((e.name().to_string(), line))).unwrap();
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

    /// A reader that hands out at most 7 bytes per call.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(7).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_split_across_reads_longer_than_the_buffer_and_unterminated() {
        let long = "x".repeat(READ_CHUNK * 2 + 3);
        let text = format!(
            "{{\"EventName\":\"A\"}}\r\n{{\"EventName\":\"B\",\"Pad\":\"{long}\"}}\n\n{{\"EventName\":\"C\"}}"
        );
        let read = |trickle: bool| -> Box<dyn Read + '_> {
            if trickle {
                Box::new(Trickle(text.as_bytes()))
            } else {
                Box::new(text.as_bytes())
            }
        };
        for trickle in [false, true] {
            let mut seen = Vec::new();
            let record = |e: &Event, _: &[Option<Scalar>], line: usize| {
                seen.push((e.name().to_string(), line))
            };
            let s = scan_reader(read(trickle), Path::new("t"), None, record).unwrap();
            assert_eq!(s.events, 3);
            assert_eq!(seen, [("A".into(), 1), ("B".into(), 2), ("C".into(), 4)]);
            let mut pad = 0;
            let query = EventQuery::new("b", &["Pad"]);
            scan_reader(read(trickle), Path::new("t"), Some(&query), |_, f, _| {
                pad = match &f[0] {
                    Some(Scalar::Str(s)) => s.len(),
                    _ => 0,
                }
            })
            .unwrap();
            assert_eq!(pad, long.len());
        }
    }

    #[test]
    fn mapped_windows_read_exactly_what_the_reader_reads() {
        let a = r#"{"EventName":"A","Timestamp":"2025-01-01T00:00:02.0000000-07:00","Site":"S"}"#;
        let b = r#"{"EventName":"B","Timestamp":"2025-01-01T00:00:01.0000000-07:00"}"#;
        let long = format!(r#"{{"EventName":"L","Pad":"{}"}}"#, "x".repeat(9000));
        let mut text = String::from("\u{feff}");
        for i in 0..300 {
            let line = match i % 5 {
                0 => a.to_string(),
                1 => format!("{b}\r"),
                2 => long.clone(),
                3 => "{oops".to_string(),
                _ => String::new(),
            };
            text.push_str(&line);
            text.push('\n');
        }
        text.push_str(a); // unterminated last line
        let pretty = "[\n  {\"EventName\": \"X\"}\n]\n".repeat(500);
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [("lines.json", text.as_str()), ("pretty.json", &pretty)] {
            let p = dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            let query = EventQuery::new("a", &["Site"]);
            for q in [None, Some(&query)] {
                let mut by_reader = Vec::new();
                let r = scan_reader(body.as_bytes(), &p, q, |e, f, n| {
                    by_reader.push((e.name().to_string(), format!("{f:?}"), n))
                })
                .unwrap();
                let mut mapped = Vec::new();
                let f = File::open(&p).unwrap();
                let m = scan_mapped(&f, body.len() as u64, 4096, &p, q, &mut |e, f, n| {
                    mapped.push((e.name().to_string(), format!("{f:?}"), n))
                })
                .unwrap()
                .expect("mapped");
                assert_eq!(by_reader, mapped, "{name}");
                assert_eq!(format!("{r:?}"), format!("{m:?}"), "{name}");
            }
        }
    }

    #[test]
    fn pretty_printed_documents_are_skipped_whole() {
        let (s, seen) = scan_text("[\r\n  {\r\n    \"EventName\": \"X\"\r\n  }\r\n]\r\n");
        assert!(s.not_json_lines);
        assert!(seen.is_empty());
        assert_eq!(s.findings[0].check, "telemetry.not_jsonl");
    }
}
