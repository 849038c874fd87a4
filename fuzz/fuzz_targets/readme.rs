//! Fuzz the bundle README reader and the markdown table-cell splitter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::read::readme;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let r = readme::parse(&text);
    for row in &r.rows {
        assert!(row.line >= 1);
    }
    for line in text.lines() {
        let _ = readme::table_cells(line);
    }
});
