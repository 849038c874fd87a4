//! Fuzz the manifest reader: arbitrary bytes through the JSON loader (BOM,
//! CRLF, document or JSON Lines) and the tolerant manifest model, then the
//! path-safety normaliser on every TargetFile it yields.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tollgate::evidence::area::normalize_target;
use tollgate::read::{json, manifest, text};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("TelemetryBundle.json");
    let Ok(t) = text::decode(data, path) else { return };
    if let Ok(docs) = json::parse_documents(&t, path) {
        for doc in docs {
            let (m, _findings) = manifest::from_value(&doc, "TelemetryBundle.json");
            for a in &m.artifacts {
                if let Ok(rel) = normalize_target(&a.target_file) {
                    assert!(!rel.split('/').any(|p| p == ".." || p.is_empty()));
                    assert!(!rel.starts_with('/'));
                }
            }
            let _ = m.to_json();
        }
    }
});
