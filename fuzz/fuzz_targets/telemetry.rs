//! Fuzz the streaming JSON-lines telemetry reader: any bytes, any line
//! structure; every reported problem must point at a real line, and the
//! event query delivers exactly the wanted events a full scan does, with
//! the fields serde gives.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tollgate::read::flat;
use tollgate::read::telemetry::{scan_reader, Event, EventQuery, Scalar};

const KEYS: [&str; 3] = ["LatencyMs", "Site", "Inner.Site"];

fuzz_target!(|data: &[u8]| {
    // The flat fast path either declines or agrees with serde exactly.
    for line in data.split(|b| *b == b'\n') {
        let mut fields = vec![None; KEYS.len()];
        let mut fast = Event::default();
        if flat::parse_into(line, &KEYS, &mut fields, &mut fast).is_some() {
            let slow: Event = serde_json::from_slice(line).expect("fast path accepted what serde rejects");
            assert_eq!(fast, slow);
            let doc: serde_json::Value = serde_json::from_slice(line).expect("valid JSON");
            for (k, got) in KEYS.iter().zip(&fields) {
                let want = tollgate::read::json::get_path(&doc, k).map(Scalar::from_value);
                assert_eq!(got.as_ref().map(Scalar::number), want.as_ref().map(Scalar::number), "{k}");
            }
        }
    }
    let lines = data.split(|b| *b == b'\n').count();
    let mut seen = 0u64;
    if let Ok(scan) = scan_reader(data, Path::new("fuzz.json"), None, |e, _, line| {
        assert!(line >= 1 && line <= lines);
        let _ = e.name();
        seen += 1;
    }) {
        assert_eq!(scan.events, seen);
        for f in &scan.findings {
            assert!(f.location.line.is_none_or(|l| l >= 1 && l <= lines));
        }
    }
    // With no repeated line (so duplicate detection cannot differ), the
    // query hands over the same wanted events as the full scan.
    let mut distinct: Vec<&[u8]> = data.split(|b| *b == b'\n').map(|l| l.trim_ascii()).filter(|l| !l.is_empty()).collect();
    let n = distinct.len();
    distinct.sort();
    distinct.dedup();
    if distinct.len() == n {
        let want = "DatabaseWriteLatency";
        let query = EventQuery::new(want, &KEYS);
        let wanted = |query: Option<&EventQuery>| {
            let mut got = Vec::new();
            let r = scan_reader(data, Path::new("fuzz.json"), query, |e, _, line| {
                if e.name().eq_ignore_ascii_case(want) {
                    got.push(line);
                }
            });
            r.ok().map(|_| got)
        };
        assert_eq!(wanted(None), wanted(Some(&query)));
    }
});
