//! Fuzz the warm-run reader: whatever JSON (document or lines) parses, the
//! comparison lookup must not panic, and what it returns is an object.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tollgate::read::{json, text, warm_run};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("WarmRunTelemetry.json");
    let Ok(t) = text::decode(data, path) else { return };
    if let Ok(docs) = json::parse_documents(&t, path) {
        for d in &docs {
            if let Some(c) = warm_run::comparison(d) {
                assert!(c.is_object());
            }
        }
    }
});
