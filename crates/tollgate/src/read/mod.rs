//! Tolerant readers: one module per input format. They accept a UTF-8 BOM,
//! CRLF and "array or single object", and report what they cannot read as
//! errors or findings naming the file, never as panics.

pub mod analyzer;
pub mod changelog;
pub mod checklist;
pub mod content;
pub mod coverage;
pub mod csv;
pub mod event;
pub mod file;
pub mod flat;
pub mod json;
pub mod junit;
pub mod manifest;
pub mod markdown;
pub mod mdtable;
pub mod queue_delay;
pub mod rc_summary;
pub mod readme;
pub mod run_summary;
pub mod sarif;
pub mod sbom;
pub mod shared_cache;
pub mod summary;
pub mod telemetry;
pub mod text;
pub mod timestamp;
pub mod warm_run;
pub mod xml;
