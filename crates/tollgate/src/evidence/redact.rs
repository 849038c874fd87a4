//! The redaction scan `bundle publish` runs before anything is written:
//! file names, `--notes` and content (UTF-8, UTF-16 and gzip; JSON escapes
//! and base64 decoded; secrets split across two lines), against the
//! policy's `redaction_patterns` (case-insensitive words) and well-known
//! secret shapes. A hit the policy's allowlist covers, with its reason, is
//! reported and published; any other hit blocks.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use base64::Engine;
use regex::bytes::{Regex, RegexSet};

use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity};
use crate::policy::{RedactionAllow, Workspace};

/// Hits reported per file before the scan moves on.
const HITS_PER_FILE: usize = 5;

/// Secret shapes with fixed prefixes, from gitleaks' rule set (case-sensitive).
const SHAPES: &[(&str, &str)] = &[
    ("PEM private key", r"-----BEGIN[ A-Z0-9]*PRIVATE KEY-----"),
    (
        "AWS access key id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    ),
    (
        "GitHub token",
        r"\b(?:gh[pousr]_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{82})\b",
    ),
    ("Slack token", r"\bxox[baprs]-[0-9A-Za-z-]{10,}"),
    (
        "JSON Web Token",
        r"\beyJ[0-9A-Za-z_-]{10,}\.eyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]{10,}",
    ),
];

/// One hit, before the allowlist is applied.
struct Hit {
    /// Workspace-relative file, or `--notes`.
    place: String,
    line: usize,
    what: Vec<String>,
    text: Vec<u8>,
}

/// What the scan found: blocking hits and allowed ones (each with the
/// allowlist entry's reason, for the README).
#[derive(Debug, Default)]
pub struct Scan {
    pub blocking: Vec<Finding>,
    pub allowed: Vec<Finding>,
}

/// The scanner: the policy's words and the secret shapes.
struct Scanner {
    words: Vec<String>,
    set: RegexSet,
}

impl Scanner {
    fn new(words: &[String]) -> Result<Scanner> {
        let patterns = words
            .iter()
            .map(|p| format!("(?i){p}"))
            .chain(SHAPES.iter().map(|(_, re)| re.to_string()));
        let set = RegexSet::new(patterns)
            .map_err(|e| Error::Usage(format!("redaction_patterns: {e}")))?;
        Ok(Scanner {
            words: words.to_vec(),
            set,
        })
    }

    /// What `text` matches, by name.
    fn matches(&self, text: &[u8]) -> Vec<String> {
        self.set
            .matches(text)
            .iter()
            .map(|i| match self.words.get(i) {
                Some(w) => format!("redaction pattern {w}"),
                None => SHAPES[i - self.words.len()].0.to_string(),
            })
            .collect()
    }

    /// What `line` matches, in itself or once decoded: JSON `\\u` escapes
    /// unescaped, and base64 runs decoded.
    fn matches_decoded(&self, line: &[u8]) -> Vec<String> {
        let mut what = self.matches(line);
        let mut add = |found: Vec<String>, how: &str| {
            for f in found {
                let f = format!("{f} ({how})");
                if !what.contains(&f) {
                    what.push(f);
                }
            }
        };
        if line.windows(2).any(|w| w == b"\\u") {
            add(self.matches(&unescape_json(line)), "JSON-escaped");
        }
        for run in base64_runs(line) {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(run) {
                add(self.matches(&bytes), "base64");
            }
        }
        what
    }

    /// Hits in the lines of `r`, including a secret split across two lines.
    fn lines(&self, place: &str, r: impl Read, out: &mut Vec<Hit>) -> std::io::Result<()> {
        let mut reader = BufReader::with_capacity(1 << 20, r);
        let mut line = Vec::new();
        let mut prev: Vec<u8> = Vec::new();
        let mut prev_found: Vec<String> = Vec::new();
        let mut n = 0;
        let start = out.len();
        while out.len() - start < HITS_PER_FILE {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            n += 1;
            let mut what = self.matches_decoded(&line);
            let body = line.trim_ascii_end();
            if !prev.is_empty() {
                let mut joined = prev.clone();
                joined.extend_from_slice(body.trim_ascii_start());
                for f in self.matches(&joined) {
                    if !what.contains(&f) && !prev_found.contains(&f) {
                        what.push(format!("{f} (split across lines {} and {n})", n - 1));
                    }
                }
            }
            prev = body.trim_ascii_start().to_vec();
            prev_found = self.matches(&prev);
            if !what.is_empty() {
                out.push(Hit {
                    place: place.to_string(),
                    line: n,
                    what,
                    text: line.clone(),
                });
            }
        }
        Ok(())
    }

    /// Hits in a file's content, decoded as a reader would: gzip is
    /// inflated, UTF-16 (by BOM) transcoded.
    fn file(&self, place: &str, path: &Path, out: &mut Vec<Hit>) -> Result<()> {
        let io = |e| Error::io(path, e);
        let mut head = [0u8; 2];
        let n = crate::read::file::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(io)?;
        let open = || crate::read::file::open(path).map_err(io);
        match &head[..n] {
            [0x1f, 0x8b] => self
                .lines(place, flate2::read::MultiGzDecoder::new(open()?), out)
                .map_err(io),
            [0xff, 0xfe] | [0xfe, 0xff] => {
                let bytes = crate::read::file::read(path)?;
                let units = bytes[2..].chunks_exact(2).map(|c| {
                    if head[0] == 0xff {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                });
                let text: String = char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect();
                self.lines(place, text.as_bytes(), out).map_err(io)
            }
            _ => self.lines(place, open()?, out).map_err(io),
        }
    }
}

/// `line` with its JSON `\\uXXXX` escapes replaced by their characters.
fn unescape_json(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let code = line
            .get(i + 2..i + 6)
            .filter(|_| line[i..].starts_with(b"\\u"))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        match code {
            Some(c) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 6;
            }
            None => {
                out.push(line[i]);
                i += 1;
            }
        }
    }
    out
}

/// Runs of base64 of at least 16 characters in `line`, padded to a whole
/// number of quads.
fn base64_runs(line: &[u8]) -> Vec<&[u8]> {
    let is_b64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    line.split(|b| !is_b64(b))
        .filter(|r| r.len() >= 16 && r.len() % 4 == 0)
        .collect()
}

/// Scan `files` (path, category), their names and `notes`.
pub fn scan(
    ws: &Workspace,
    files: &[(std::path::PathBuf, String)],
    notes: Option<&str>,
) -> Result<Scan> {
    use rayon::prelude::*;
    let scanner = Scanner::new(&ws.policy.bundle.redaction_patterns)?;
    let mut hits = Vec::new();
    if let Some(n) = notes {
        scanner
            .lines("--notes", n.as_bytes(), &mut hits)
            .map_err(|e| Error::Usage(e.to_string()))?;
    }
    let per_file: Vec<Result<Vec<Hit>>> = files
        .par_iter()
        .map(|(path, _)| {
            let place = ws.rel(path);
            let mut out = Vec::new();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let what = scanner.matches(name.as_bytes());
            if !what.is_empty() {
                out.push(Hit {
                    place: place.clone(),
                    line: 0,
                    what,
                    text: name.as_bytes().to_vec(),
                });
            }
            scanner.file(&place, path, &mut out)?;
            Ok(out)
        })
        .collect();
    for r in per_file {
        hits.extend(r?);
    }
    judge(ws, hits)
}

/// Split hits into blocking and allowed ones.
fn judge(ws: &Workspace, hits: Vec<Hit>) -> Result<Scan> {
    let allow: Vec<(&RedactionAllow, Regex)> = ws
        .policy
        .bundle
        .redaction_allow
        .iter()
        .map(|a| {
            Regex::new(&a.pattern)
                .map(|re| (a, re))
                .map_err(|e| Error::Usage(format!("bundle.redaction_allow: '{}': {e}", a.pattern)))
        })
        .collect::<Result<_>>()?;
    let mut out = Scan::default();
    for h in hits {
        let in_name = h.line == 0;
        let loc = if in_name {
            Location::file(h.place.clone()).at_key("file name")
        } else {
            Location::file(h.place.clone()).at_line(h.line)
        };
        let what = h.what.join(", ");
        let leaf = h.place.rsplit('/').next().unwrap_or(&h.place);
        let allowed = allow.iter().find(|(a, re)| {
            let globs = std::slice::from_ref(&a.path);
            (super::glob::matches_any(globs, &h.place) || super::glob::matches_any(globs, leaf))
                && re.is_match(&h.text)
        });
        let (sev, message) = match allowed {
            Some((a, _)) => (
                Severity::Info,
                format!("allowed ({}): matches {what}", a.reason),
            ),
            None => (
                Severity::Block,
                format!(
                    "possible secret: {} matches {what}",
                    if in_name { "the file name" } else { "line" }
                ),
            ),
        };
        let f = Finding::new("bundle.redaction", sev, &h.place, message, loc);
        if allowed.is_some() {
            out.allowed.push(f);
        } else {
            out.blocking.push(f);
        }
    }
    Ok(out)
}
