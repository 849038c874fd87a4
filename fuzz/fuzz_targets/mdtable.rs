//! Fuzz the markdown table reader, the CSV reader and the governance readers
//! built on them (narrative cards, roadmap, backlog, plan index, citations):
//! rows, cards and citations must point at real lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::governance::{citations, narrative, roadmap};
use tollgate::read::{csv, markdown, mdtable, text};

/// The statetrace profile's ID pattern and narrative columns, built once.
static DOCS: std::sync::LazyLock<(regex::Regex, Vec<String>)> = std::sync::LazyLock::new(|| {
    let d = tollgate::policy::Policy::builtin("statetrace").unwrap().docs.unwrap();
    (d.id_regex(), d.narrative_columns.clone())
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count();
    let mut covered = std::collections::HashSet::new();
    for t in mdtable::tables(&text) {
        assert!(t.header_line >= 1 && t.header_line <= lines);
        covered.insert(t.header_line);
        covered.insert(t.header_line + 1);
        for r in &t.rows {
            // A headerless table starts at its first row.
            let first = t.headers.is_empty() && r.line == t.header_line;
            assert!((r.line > t.header_line || first) && r.line <= lines);
            covered.insert(r.line);
        }
        for (l, _) in &t.problems {
            assert!(*l >= 1 && *l <= lines);
        }
    }
    // No row is lost: every `|` line outside fenced code is in a table.
    let outline = markdown::Outline::parse(&text);
    for (n, line) in text::numbered_lines(&text) {
        if line.trim_start().starts_with('|') && !outline.is_code(n) {
            assert!(covered.contains(&n), "line {n} lost");
        }
    }
    let (id, columns) = &*DOCS;
    for c in narrative::parse(&text, columns, id) {
        assert!(c.line >= 1 && c.line <= lines);
    }
    for m in roadmap::parse_roadmap(&text, id) {
        assert!(m.line >= 1 && m.line <= lines);
    }
    let cited = roadmap::parse_index(&text)
        .into_iter()
        .chain(roadmap::table_ids(&text, id))
        .chain(citations::evidence_paths(&text, &["Logs".to_string()]))
        .chain(citations::readme_hashes(&text));
    for (line, _) in cited {
        assert!(line >= 1 && line <= lines);
    }
    let c = csv::parse(&text, None);
    for r in c.records.iter().chain(&c.malformed) {
        assert!(r.line >= 1);
    }
});
