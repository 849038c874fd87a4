//! An area folder on disk: its files, and manifest paths resolved safely.
//! Nothing outside the area is ever read: `..`, absolute paths and symlinks
//! that lead out are refused.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file found in an area.
#[derive(Debug, Clone)]
pub struct AreaFile {
    /// Path relative to the area, with `/` separators.
    pub rel: String,
    pub path: PathBuf,
    /// Why the file is refused and never read: a symlink out of the area
    /// or to nothing, or a FIFO, device or socket where a file belongs.
    pub refused: Option<String>,
}

/// Every file under `area_dir` (recursively; hidden entries skipped, symlinked
/// folders not followed), sorted by relative path. Special files are
/// listed too, refused.
pub fn list_files(area_dir: &Path) -> Result<Vec<AreaFile>> {
    let root = area_dir
        .canonicalize()
        .map_err(|e| Error::io(area_dir, e))?;
    let mut out = Vec::new();
    let mut stack = vec![(area_dir.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel = format!("{prefix}{name}");
            let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
            let refused = if meta.is_dir() {
                stack.push((path, format!("{rel}/")));
                continue;
            } else if meta.file_type().is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&root) => {
                        if target.is_dir() {
                            continue;
                        }
                        crate::read::file::not_regular(&target)
                            .map(|why| format!("symlink to a file that {why}"))
                    }
                    Ok(target) => Some(format!(
                        "symlink resolves outside the area, to {}",
                        target.display()
                    )),
                    Err(_) => Some("symlink target does not exist".to_string()),
                }
            } else if meta.is_file() {
                None
            } else {
                Some(format!(
                    "{}, not a regular file",
                    crate::read::file::kind(&meta.file_type())
                ))
            };
            out.push(AreaFile { rel, path, refused });
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// Normalise a manifest `TargetFile` to a relative `/` path inside the area,
/// or say why it is refused. `\` is accepted as a separator.
pub fn normalize_target(raw: &str) -> std::result::Result<String, String> {
    let s = raw.trim().replace('\\', "/");
    let bytes = s.as_bytes();
    if s.starts_with('/')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
    {
        return Err(format!("'{raw}' is an absolute path"));
    }
    let mut parts = Vec::new();
    for part in s.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("'{raw}' climbs out of the area with '..'")),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(format!("'{raw}' names no file"));
    }
    Ok(parts.join("/"))
}

/// Resolve a manifest `TargetFile` inside `area_dir`. The path is returned
/// only if it stays inside the area, following symlinks. A file that does
/// not exist resolves (integrity reports it missing).
pub fn resolve_target(
    area_dir: &Path,
    raw: &str,
) -> std::result::Result<(String, PathBuf), String> {
    let rel = normalize_target(raw)?;
    let path = area_dir.join(&rel);
    if std::fs::symlink_metadata(&path).is_ok() {
        let root = area_dir
            .canonicalize()
            .map_err(|e| format!("area folder: {e}"))?;
        match path.canonicalize() {
            Ok(real) if real.starts_with(&root) => {}
            Ok(real) => {
                return Err(format!(
                    "'{raw}' resolves outside the area, to {}",
                    real.display()
                ))
            }
            Err(_) => return Err(format!("'{raw}' is a dangling symlink")),
        }
    }
    Ok((rel, path))
}

/// The visible (not dot-named) subfolders of `dir`: name and path.
pub fn subfolders(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if !name.starts_with('.') && path.is_dir() {
            out.push((name, path));
        }
    }
    Ok(out)
}

/// One area folder of a bundle.
#[derive(Debug, Clone)]
pub struct AreaDir {
    pub name: String,
    pub dir: PathBuf,
    /// The manifest sits at the bundle root (StateTrace's single-area layout).
    pub root_level: bool,
}

/// The areas of a bundle, found one way for every command: the bundle
/// itself when its root holds a manifest (`bundle.manifest`, named by the
/// manifest's `AreaName`, else `bundle.default_area`), otherwise every
/// non-hidden subfolder that holds a manifest or that `known` names, sorted
/// by name.
pub fn areas(
    bundle_dir: &Path,
    bundle: &crate::policy::BundlePolicy,
    known: impl Fn(&str) -> bool,
) -> Result<Vec<AreaDir>> {
    let root_manifest = bundle_dir.join(&bundle.manifest);
    if root_manifest.is_file() {
        let name = crate::read::manifest::read(&root_manifest)
            .ok()
            .and_then(|(m, _)| m.area_name)
            .unwrap_or_else(|| bundle.default_area.clone());
        return Ok(vec![AreaDir {
            name,
            dir: bundle_dir.to_path_buf(),
            root_level: true,
        }]);
    }
    let mut found = Vec::new();
    for (name, dir) in subfolders(bundle_dir)? {
        if known(&name) || dir.join(&bundle.manifest).exists() {
            found.push(AreaDir {
                name,
                dir,
                root_level: false,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escapes() {
        assert_eq!(
            normalize_target("DocSync\\a.json").unwrap(),
            "DocSync/a.json"
        );
        assert_eq!(normalize_target("./a//b").unwrap(), "a/b");
        for bad in [
            "..\\..\\x",
            "/etc/passwd",
            "C:\\Windows\\x",
            "a/../../b",
            "",
            ".",
        ] {
            assert!(normalize_target(bad).is_err(), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_are_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let area = dir.path().join("area");
        std::fs::create_dir_all(area.join("sub")).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::fs::write(area.join("sub/in.txt"), "i").unwrap();
        std::fs::write(area.join(".hidden"), "h").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), area.join("out.txt")).unwrap();
        std::os::unix::fs::symlink(area.join("sub/in.txt"), area.join("ok.txt")).unwrap();
        let files = list_files(&area).unwrap();
        let rels: Vec<_> = files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, vec!["ok.txt", "out.txt", "sub/in.txt"]);
        assert!(files[0].refused.is_none());
        assert!(files[1].refused.is_some());
        assert!(resolve_target(&area, "out.txt").is_err());
        assert!(resolve_target(&area, "ok.txt").is_ok());
        assert!(resolve_target(&area, "missing.txt").is_ok());
    }
}
