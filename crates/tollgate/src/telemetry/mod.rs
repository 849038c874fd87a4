//! Rollups and analyzers over telemetry event streams (SPEC §6). Every
//! figure is derived from raw events, each file read once, streaming.

pub mod analyze;
pub mod rollup;
pub mod stats;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The daily files in `dir` matching `glob`, whose date (the file stem,
/// `YYYY-MM-DD`) lies in `from..=to`; sorted by name.
pub fn daily_files(
    dir: &Path,
    glob: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter(|e| crate::evidence::glob::matches(glob, &e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .filter(|p| {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            from.is_none_or(|f| stem.as_str() >= f) && to.is_none_or(|t| stem.as_str() <= t)
        })
        .collect();
    out.sort();
    Ok(out)
}
