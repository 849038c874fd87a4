//! Fuzz the markdown table reader, the CSV reader and the governance readers
//! built on them (narrative cards, roadmap, backlog, plan index, citations):
//! rows, cards and citations must point at real lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::governance::{citations, narrative, roadmap};
use tollgate::read::{csv, mdtable};

/// The statetrace profile's ID pattern and narrative columns, built once.
static DOCS: std::sync::LazyLock<(regex::Regex, Vec<String>)> = std::sync::LazyLock::new(|| {
    let d = tollgate::policy::Policy::builtin("statetrace").unwrap().docs.unwrap();
    (d.id_regex(), d.narrative_columns.clone())
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count();
    for t in mdtable::tables(&text) {
        assert!(t.header_line >= 1 && t.header_line <= lines);
        for r in &t.rows {
            assert!(r.line > t.header_line && r.line <= lines);
        }
        for (l, _) in &t.problems {
            assert!(*l >= 1 && *l <= lines);
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
