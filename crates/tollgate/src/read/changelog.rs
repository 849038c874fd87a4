//! CHANGELOG files: the version entries of a markdown changelog as Keep a
//! Changelog, release-please, changesets and hand-written logs write them
//! (`## [1.2.0] - 2026-01-05`, `## v1.2.0 (2026-01-05)`, `# 1.2.0`,
//! `## [1.2.0](https://...) (2026-01-05)`, `## [Unreleased]`).

use std::path::Path;

use regex::Regex;

use super::markdown::Outline;
use super::text::numbered_lines;
use crate::error::Result;

/// The version of the entry of what is not released yet.
pub const UNRELEASED: &str = "Unreleased";

/// One version's entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The version as written, without brackets or a leading `v`
    /// (`Unreleased` for the entry of what is not released yet).
    pub version: String,
    /// The date on the heading, if any (as written).
    pub date: Option<String>,
    /// The heading's 1-based line.
    pub line: usize,
    pub items: Vec<Item>,
}

/// One change: a list item, or a paragraph of prose.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub line: usize,
    /// The sub-heading it sits under (`Added`, `Fixed`...), if any.
    pub section: Option<String>,
    pub text: String,
}

/// Every version entry, in file order (newest first, as changelogs are).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changelog {
    pub entries: Vec<Entry>,
}

impl Changelog {
    /// The entry of `version` (a leading `v` and case are ignored), or,
    /// when `version` is `None`, the topmost released entry (an
    /// `Unreleased` entry kept on top is skipped).
    pub fn entry(&self, version: Option<&str>) -> Option<&Entry> {
        match version {
            None => self.entries.iter().find(|e| e.version != UNRELEASED),
            Some(v) => {
                let want = normalize(v);
                self.entries.iter().find(|e| normalize(&e.version) == want)
            }
        }
    }
}

fn normalize(v: &str) -> String {
    let v = v.trim();
    let v = v
        .strip_prefix(['v', 'V'])
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(v);
    v.to_ascii_lowercase()
}

/// Read a changelog file.
pub fn read(path: &Path) -> Result<Changelog> {
    Ok(parse(&super::text::read_to_string(path)?))
}

/// Parse changelog text. Never fails: a file with no version headings has
/// no entries.
pub fn parse(text: &str) -> Changelog {
    // `[1.2.0]`, `v1.2.0`, `Version 1.2.0`, `Release 1.2.0`, `Unreleased`,
    // then an optional link, then the date: `- 2026-01-05`, `(2026-01-05)`,
    // `/ 2026-01-05`.
    let heading = Regex::new(
        r"(?i)^(?:(?:version|release)\s+)?\[?(v?\d+(?:\.\d+)*(?:[-+][0-9a-z.+-]*)?|unreleased)\]?(?:\([^)]*\))?\s*(?:[-–—/:(]\s*)?(\d{4}-\d{2}-\d{2})?",
    )
    .expect("a valid version-heading pattern");
    let link_definition = Regex::new(r"^\[[^\]]+\]:\s").expect("a valid link pattern");
    let mut log = Changelog::default();
    // The level of the version headings, set by the first one.
    let mut level: Option<usize> = None;
    let mut section: Option<String> = None;
    // Past a heading at the entries' level that is no version (`## Contributors`).
    let mut outside = false;
    let mut in_paragraph = false;
    let outline = Outline::parse(text);
    for (n, raw) in numbered_lines(text) {
        let line = raw.trim();
        if outline.is_code(n) {
            continue;
        }
        if let Some(h) = outline.heading_on(n) {
            in_paragraph = false;
            // The heading's plain text: a link's text, brackets of an
            // unresolved reference kept.
            let title = h.text.as_str();
            let top = level.is_none_or(|l| h.level <= l);
            // `## 2 things` is no version: a bare number needs a dot or brackets.
            let version = heading.captures(title).filter(|c| {
                let v = &c[1];
                v.eq_ignore_ascii_case(UNRELEASED) || v.contains('.') || title.starts_with('[')
            });
            match version {
                Some(c) if top => {
                    level = Some(h.level);
                    section = None;
                    outside = false;
                    let v = &c[1];
                    log.entries.push(Entry {
                        version: if v.eq_ignore_ascii_case(UNRELEASED) {
                            UNRELEASED.into()
                        } else {
                            normalize(v)
                        },
                        date: c.get(2).map(|d| d.as_str().to_string()),
                        line: n,
                        items: Vec::new(),
                    });
                }
                _ if top => outside = level.is_some(),
                _ => section = Some(title.to_string()),
            }
            continue;
        }
        let Some(entry) = log.entries.last_mut().filter(|_| !outside) else {
            continue;
        };
        if line.is_empty() {
            in_paragraph = false;
            continue;
        }
        // Link definitions, and a setext heading's underline.
        if link_definition.is_match(line) || line.chars().all(|c| c == '=' || c == '-') {
            continue;
        }
        let bullet = ["- ", "* ", "+ "]
            .iter()
            .find_map(|b| line.strip_prefix(b))
            .or_else(|| {
                let digits = line.chars().take_while(char::is_ascii_digit).count();
                (digits > 0)
                    .then(|| line[digits..].strip_prefix(". "))
                    .flatten()
            });
        let text = match bullet {
            Some(t) => t.trim(),
            // A continuation of the paragraph or item above.
            None if in_paragraph => continue,
            None => line,
        };
        in_paragraph = true;
        if !text.is_empty() {
            entry.items.push(Item {
                line: n,
                section: section.clone(),
                text: text.to_string(),
            });
        }
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEP: &str = "\u{feff}# Changelog\r\n\r\nAll notable changes.\r\n\r\n## [Unreleased]\r\n\r\n## [1.2.0] - 2026-01-05\r\n### Added\r\n- JUnit gates\r\n  wrapped line\r\n- SARIF output\r\n### Fixed\r\n* a crash\r\n\r\n## [1.1.0] - 2025-12-01\r\n- first\r\n\r\n[1.2.0]: https://example.com/compare/v1.1.0...v1.2.0\r\n";

    #[test]
    fn reads_keep_a_changelog() {
        let log = parse(KEEP);
        let versions: Vec<_> = log.entries.iter().map(|e| e.version.as_str()).collect();
        assert_eq!(versions, ["Unreleased", "1.2.0", "1.1.0"]);
        let e = log.entry(Some("v1.2.0")).unwrap();
        assert_eq!((e.line, e.date.as_deref()), (7, Some("2026-01-05")));
        let items: Vec<_> = e
            .items
            .iter()
            .map(|i| (i.line, i.section.as_deref(), i.text.as_str()))
            .collect();
        assert_eq!(
            items,
            [
                (9, Some("Added"), "JUnit gates"),
                (11, Some("Added"), "SARIF output"),
                (13, Some("Fixed"), "a crash")
            ]
        );
        assert_eq!(log.entry(None).unwrap().version, "1.2.0");
        assert!(log.entries[0].items.is_empty());
        assert_eq!(log.entry(Some("1.1.0")).unwrap().items.len(), 1);
        assert!(log.entry(Some("1.3.0")).is_none());
    }

    #[test]
    fn reads_other_producers() {
        let log = parse("# 2.0.0 / 2026-02-01\n\nBig rewrite.\nMore prose.\n\nSecond paragraph.\n\n# v1.0.0-rc.1 (2025-01-01)\n1. one\n2. two\n\n# [0.9.0](https://x/compare) (2024-05-01)\n\n### Bug Fixes\n\n* **core:** thing ([abc](https://x))\n\n```\n- not an item\n```\n");
        let got: Vec<_> = log
            .entries
            .iter()
            .map(|e| (e.version.as_str(), e.date.as_deref(), e.items.len()))
            .collect();
        assert_eq!(
            got,
            [
                ("2.0.0", Some("2026-02-01"), 2),
                ("1.0.0-rc.1", Some("2025-01-01"), 2),
                ("0.9.0", Some("2024-05-01"), 1)
            ]
        );
    }

    #[test]
    fn prose_headings_are_not_versions() {
        let log =
            parse("# Changelog\n## 2 things to know\n- x\n## 1.0.0\n- y\n## Contributors\n- z\n");
        assert_eq!(log.entries.len(), 1);
        assert_eq!(log.entries[0].items.len(), 1);
    }
}
