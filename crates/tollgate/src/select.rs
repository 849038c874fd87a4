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
        let Ok(lb) = crate::read::file::read(l) else {
            continue;
        };
        let copy = files.iter().filter(|o| !is_latest(o)).any(|o| {
            std::fs::metadata(o).is_ok_and(|m| m.len() == lb.len() as u64)
                && crate::read::file::read(o).is_ok_and(|ob| ob == lb)
        });
        if copy {
            dups.insert(l.clone());
        }
    }
    dups
}

/// The counter that tells apart files stamped in the same second
/// (`...-20261125-013603-4.json` is the fifth; no counter is the first).
fn same_second_counter(path: &Path) -> u32 {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.split_once('.').map_or(name.as_str(), |(s, _)| s);
    let Some((before, n)) = stem.rsplit_once('-') else {
        return 0;
    };
    let after_stamp = before.len() >= 15
        && before.is_char_boundary(before.len() - 15)
        && before[before.len() - 15..]
            .bytes()
            .enumerate()
            .all(|(i, b)| {
                if i == 8 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
    match n.parse::<u32>() {
        Ok(n) if after_stamp && n < 1000 => n,
        _ => 0,
    }
}

/// `files` without latest-copies, newest first; files stamped in the same
/// second go by their counter.
pub fn newest_first(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let copies = latest_copies(&files);
    let mut keyed: Vec<(NaiveDateTime, u32, PathBuf)> = files
        .into_iter()
        .filter(|p| !copies.contains(p))
        .map(|p| (newness(&p), same_second_counter(&p), p))
        .collect();
    keyed.sort_by(|a, b| b.cmp(a));
    keyed.into_iter().map(|(_, _, p)| p).collect()
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

/// The files matching `glob`, a path whose last component may hold
/// wildcards, sorted (none when its folder is absent or unreadable).
pub fn glob_files(glob: &Path) -> Vec<PathBuf> {
    match (glob.parent(), glob.file_name()) {
        (Some(dir), Some(leaf)) => matching(dir, &leaf.to_string_lossy()),
        _ => Vec::new(),
    }
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

    #[test]
    fn files_stamped_in_the_same_second_go_by_their_counter() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for n in [
            "V-20261125-013603",
            "V-20261125-013603-1",
            "V-20261125-013603-10",
        ] {
            std::fs::write(d.join(format!("{n}.json")), n).unwrap();
        }
        std::fs::write(d.join("V-20261125-013603-2.json"), "2").unwrap();
        std::fs::write(d.join("V-20261125-013602-9.json"), "older").unwrap();
        let names: Vec<_> = newest_first(matching(d, "V-*.json"))
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "V-20261125-013603-10.json",
                "V-20261125-013603-2.json",
                "V-20261125-013603-1.json",
                "V-20261125-013603.json",
                "V-20261125-013602-9.json"
            ]
        );
        assert_eq!(same_second_counter(Path::new("2025-12-23.json")), 0);
        assert_eq!(
            same_second_counter(Path::new("S-20251224-090000-summary.json")),
            0
        );
        assert_eq!(same_second_counter(Path::new("-7.json")), 0);
    }
}
