//! Rollups and analyzers over telemetry event streams (SPEC §6). Every
//! figure is derived from raw events, each file read once, streaming.

pub mod analyze;
pub mod fold;
pub mod rollup;
pub mod stats;

use std::path::{Path, PathBuf};

use crate::error::Result;

/// The daily files in `dir` matching `glob`, whose date (the file stem,
/// `YYYY-MM-DD`) lies in `from..=to`; sorted by name.
pub fn daily_files(
    dir: &Path,
    glob: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<PathBuf>> {
    let mut out = crate::select::list(dir, glob)?;
    out.retain(|p| {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        from.is_none_or(|f| stem.as_str() >= f) && to.is_none_or(|t| stem.as_str() <= t)
    });
    Ok(out)
}
