//! Fuzz the markdown table reader and the CSV reader: rows and problems must
//! point at real lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::read::{csv, mdtable};

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
    let c = csv::parse(&text, None);
    for r in c.records.iter().chain(&c.malformed) {
        assert!(r.line >= 1);
    }
});
