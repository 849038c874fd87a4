//! Fuzz the streaming JSON-lines telemetry reader: any bytes, any line
//! structure; every reported problem must point at a real line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tollgate::read::telemetry::scan_reader;

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|b| *b == b'\n').count();
    let mut seen = 0u64;
    if let Ok(scan) = scan_reader(data, Path::new("fuzz.json"), |e, raw, line| {
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
