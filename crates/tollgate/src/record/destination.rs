//! Where a user-named output may be written: the one decision every writer
//! with an output option (`--out`, `--summary`, `--junit`) asks before it
//! writes. Evidence, releases, the ledger and the policy are never
//! overwritten, even with `--force`; any other existing file needs `--force`.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::policy::Workspace;
use crate::read::run_summary::SUMMARY_PREFIX;
use crate::record::ledger::{files_of, Ledger};

/// Refuse to write `path` when it is protected, or when it exists and
/// `force` is not given. The error names the path and says why.
pub fn check(ws: &Workspace, path: &Path, force: bool) -> Result<()> {
    let target = resolved(path);
    if let Some(why) = protected(ws, &target)? {
        return Err(Error::refused(
            path,
            format!("{why}; tollgate never overwrites it, even with --force"),
        ));
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::refused(path, "is a folder, not a file")),
        Ok(_) if !force => Err(Error::refused(
            path,
            "already exists; use --force to replace it",
        )),
        _ => Ok(()),
    }
}

/// [`check`], then write `bytes` to `path` atomically.
pub fn write(ws: &Workspace, path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    check(ws, path, force)?;
    super::atomic::write_file(path, bytes)
}

/// `path` made absolute, with its folder's symlinks resolved (the file
/// itself may not exist yet).
fn resolved(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let (Some(dir), Some(name)) = (abs.parent(), abs.file_name()) else {
        return abs;
    };
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let joined = dir.join(name);
    joined.canonicalize().unwrap_or(joined)
}

/// Components of `p` below `root`, when `p` is inside it.
fn below<'a>(p: &'a Path, root: &Path) -> Option<Vec<Component<'a>>> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    p.strip_prefix(&root).ok().map(|r| r.components().collect())
}

/// Why `target` must never be written, if it must not.
fn protected(ws: &Workspace, target: &Path) -> Result<Option<String>> {
    if below(target, &crate::record::ledger::dir(ws)).is_some() {
        return Ok(Some(
            "it is inside .tollgate/, which holds the ledger".into(),
        ));
    }
    if let Some(policy) = &ws.policy_path {
        if policy.canonicalize().is_ok_and(|p| p == target) {
            return Ok(Some("it is the policy file".into()));
        }
    }
    if below(target, &ws.path(&ws.policy.paths.release_evidence)).is_some_and(|c| c.len() > 1) {
        return Ok(Some("it is inside a release folder".into()));
    }
    if let Some(c) = below(target, &ws.path(&ws.policy.paths.verification)) {
        // The `-latest` copy is what `release` decides from.
        let name = c
            .last()
            .map(|n| n.as_os_str().to_string_lossy().into_owned());
        if c.len() == 1
            && name.is_some_and(|n| {
                n.starts_with(SUMMARY_PREFIX) || n.starts_with("VerificationTranscript")
            })
        {
            return Ok(Some("it is a verification run's record".into()));
        }
    }
    if let Some(c) = below(target, &ws.bundles_dir()) {
        // A bundle's root may hold its verification summaries; everything
        // else there (areas, a root-level area's artifacts) is evidence.
        let summary = c.len() == 2
            && c[1]
                .as_os_str()
                .to_string_lossy()
                .starts_with(SUMMARY_PREFIX)
            && c[1].as_os_str().to_string_lossy().ends_with(".json")
            && !target
                .parent()
                .is_some_and(|b| b.join(&ws.policy.bundle.manifest).is_file());
        if c.len() >= 2 && !summary {
            return Ok(Some("it is inside an evidence bundle".into()));
        }
    }
    if let Some(ledger) = Ledger::existing(ws)? {
        for e in ledger.entries()? {
            for f in files_of(&e.payload_json()) {
                if ws
                    .root
                    .join(&f.path)
                    .canonicalize()
                    .is_ok_and(|p| p == target)
                {
                    return Ok(Some(format!(
                        "the ledger vouches for it (entry {}, {})",
                        e.seq, e.kind
                    )));
                }
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_ledger_and_policy_are_never_targets_and_files_need_force() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::write(
            root.join(crate::policy::POLICY_FILE),
            crate::policy::profile_text("minimal").unwrap(),
        )
        .unwrap();
        let ws = Workspace::discover(Some(root), root).unwrap();
        let area = root.join("evidence/bundles/B/Build");
        std::fs::create_dir_all(&area).unwrap();
        std::fs::write(area.join("a.json"), "{}").unwrap();
        let release = root.join("evidence/releases/1.0");
        std::fs::create_dir_all(&release).unwrap();
        std::fs::create_dir_all(root.join(".tollgate")).unwrap();
        let refused = |p: &Path, force: bool| check(&ws, p, force).unwrap_err().to_string();
        assert!(refused(&area.join("a.json"), true).contains("inside an evidence bundle"));
        assert!(refused(&area.join("new.json"), true).contains("inside an evidence bundle"));
        assert!(refused(&release.join("x.json"), true).contains("inside a release folder"));
        assert!(refused(&root.join(".tollgate/ledger.db"), true).contains(".tollgate/"));
        assert!(refused(&root.join("tollgate.toml"), true).contains("the policy file"));
        let latest = root.join("evidence/verification/VerificationSummary-latest.json");
        assert!(refused(&latest, true).contains("verification run's record"));
        let summary = root.join("evidence/bundles/B/VerificationSummary-x.json");
        assert!(
            check(&ws, &summary, false).is_ok(),
            "a bundle root's summary"
        );
        let vouched = root.join("notes.md");
        std::fs::write(&vouched, "n").unwrap();
        let file = crate::record::ledger::FileRef::of(root, &vouched).unwrap();
        Ledger::open(&ws)
            .unwrap()
            .append("note", "n", &serde_json::json!({ "files": [file] }))
            .unwrap();
        assert!(refused(&vouched, true).contains("the ledger vouches for it (entry 1, note)"));
        let out = root.join("out.json");
        assert!(check(&ws, &out, false).is_ok());
        std::fs::write(&out, "x").unwrap();
        assert!(refused(&out, false).contains("use --force"));
        assert!(check(&ws, &out, true).is_ok());
    }
}
