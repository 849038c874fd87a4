//! Default file selection (SPEC §8), shared by every command: "newest" is
//! the timestamp in the file name, else the modification time; a `*-latest*`
//! file that is a byte copy of another candidate is dropped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use crate::read::timestamp::name_timestamp;

/// When a file was made: its name's timestamp, else its modification time.
pub fn newness(path: &Path) -> NaiveDateTime {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name_timestamp(&name).unwrap_or_else(|| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map(|t| chrono::DateTime::<chrono::Local>::from(t).naive_local())
            .unwrap_or_default()
    })
}

fn is_latest(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().to_lowercase().contains("-latest"))
}

/// `*-latest*` files whose bytes equal another (non-latest) candidate's.
fn latest_copies(files: &[PathBuf]) -> HashSet<PathBuf> {
    let mut dups = HashSet::new();
    for l in files.iter().filter(|p| is_latest(p)) {
        let Ok(lb) = std::fs::read(l) else { continue };
        let copy = files.iter().filter(|o| !is_latest(o)).any(|o| {
            std::fs::metadata(o).is_ok_and(|m| m.len() == lb.len() as u64)
                && std::fs::read(o).is_ok_and(|ob| ob == lb)
        });
        if copy {
            dups.insert(l.clone());
        }
    }
    dups
}

/// `files` without latest-copies, newest first.
pub fn newest_first(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let copies = latest_copies(&files);
    let mut keyed: Vec<(NaiveDateTime, PathBuf)> = files
        .into_iter()
        .filter(|p| !copies.contains(p))
        .map(|p| (newness(&p), p))
        .collect();
    keyed.sort_by(|a, b| b.cmp(a));
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// Files directly in `dir` whose names match the glob `pattern`, sorted by
/// path; an unreadable `dir` is an error naming it.
pub fn list(dir: &Path, pattern: &str) -> crate::error::Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| crate::error::Error::io(dir, e))?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| crate::evidence::glob::matches(pattern, &n.to_string_lossy()))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// [`list`], with an unreadable or absent `dir` giving no files.
pub fn matching(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    list(dir, pattern).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_copies_drop_and_stamps_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("Q-20251226-130219.json"), "a").unwrap();
        std::fs::write(d.join("Q-20251224-090000.json"), "b").unwrap();
        std::fs::write(d.join("Q-latest.json"), "a").unwrap();
        std::fs::write(d.join("S-latest-summary.json"), "new data").unwrap();
        let got = newest_first(matching(d, "Q-*.json"));
        let names: Vec<_> = got
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["Q-20251226-130219.json", "Q-20251224-090000.json"]);
        // A latest file that copies nothing is kept (judged by its mtime).
        assert_eq!(newest_first(matching(d, "S-*.json")).len(), 1);
    }
}
