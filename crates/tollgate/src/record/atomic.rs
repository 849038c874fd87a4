//! Atomic writes: a reader sees the old file or the new one, never a torn one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A hidden sibling path unique to this process, for staging `path`.
pub fn staging_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.tollgate-tmp-{}-{n}", std::process::id()))
}

/// Write `bytes` to `path` atomically, replacing any existing file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let tmp = staging_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    sync_dir(path.parent());
    Ok(())
}

/// Flush a directory entry change to disk (best effort; no-op where unsupported).
pub fn sync_dir(dir: Option<&Path>) {
    if let Some(d) = dir {
        if let Ok(f) = std::fs::File::open(d) {
            let _ = f.sync_all();
        }
    }
}

/// Move a fully written staging folder to `dest`. Fails, leaving `dest`
/// untouched, if `dest` already exists.
pub fn publish_dir(staging: &Path, dest: &Path) -> Result<()> {
    if dest.exists() {
        return Err(Error::refused(dest, "already exists"));
    }
    std::fs::rename(staging, dest).map_err(|e| Error::io(dest, e))?;
    sync_dir(dest.parent());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_atomically_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.json");
        write_file(&p, b"one").unwrap();
        write_file(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn publish_dir_refuses_existing() {
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path().join(".stage");
        let d = dir.path().join("dest");
        std::fs::create_dir(&s).unwrap();
        std::fs::create_dir(&d).unwrap();
        assert!(matches!(publish_dir(&s, &d), Err(Error::Refused { .. })));
        std::fs::remove_dir(&d).unwrap();
        publish_dir(&s, &d).unwrap();
        assert!(d.is_dir() && !s.exists());
    }
}
