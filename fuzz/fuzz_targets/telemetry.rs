//! Fuzz the streaming JSON-lines telemetry reader: any bytes, any line
//! structure; every reported problem must point at a real line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tollgate::read::flat;
use tollgate::read::telemetry::{scan_reader, Event};

fuzz_target!(|data: &[u8]| {
    // The flat fast path either declines or agrees with serde exactly.
    for line in data.split(|b| *b == b'\n') {
        if let Some(fast) = flat::parse(line) {
            let slow: Event = serde_json::from_slice(line).expect("fast path accepted what serde rejects");
            assert_eq!(fast, slow);
        }
    }
    let lines = data.split(|b| *b == b'\n').count();
    let mut seen = 0u64;
    if let Ok(scan) = scan_reader(data, Path::new("fuzz.json"), None, |e, raw, line| {
        assert!(line >= 1 && line <= lines);
        assert!(!raw.is_empty());
        let _ = e.name();
        seen += 1;
    }) {
        assert_eq!(scan.events, seen);
        for f in &scan.findings {
            assert!(f.location.line.is_none_or(|l| l >= 1 && l <= lines));
        }
    }
});
