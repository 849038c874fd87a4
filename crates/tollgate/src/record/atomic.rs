//! Atomic writes: a reader sees the old file or the new one, never a torn one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The marker in a staging name: `.NAME.tollgate-tmp-PID-N`.
const STAGING_MARK: &str = ".tollgate-tmp-";

/// Staging leftovers are swept only when older than this (and their process
/// is gone), so a slow writer on a shared disk is never swept.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// An exclusive lock on the file at `path` (created, with its folder, if
/// needed), waited for and held until the file is dropped; the operating
/// system releases it if the holder dies.
pub fn exclusive_lock(path: &Path) -> Result<std::fs::File> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.lock().map_err(|e| Error::io(path, e))?;
    Ok(f)
}

/// A hidden sibling path unique to this process, for staging `path`. The
/// first use of a folder sweeps its stale leftovers ([`sweep_stale`]).
pub fn staging_path(path: &Path) -> PathBuf {
    static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if !swept.iter().any(|d| d == dir) {
            swept.push(dir.to_path_buf());
            sweep_stale(dir);
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}{STAGING_MARK}{}-{n}", std::process::id()))
}

/// The process id in a staging name, if `name` is one.
fn staging_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, tail) = rest.rsplit_once(STAGING_MARK)?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Whether process `pid` still runs (on non-Unix: assumed so).
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Remove the staging leftovers in `dir` of writers killed mid-write: hidden
/// `.NAME.tollgate-tmp-PID-N` entries whose process is gone and that are over
/// a day old. They were never renamed into place, so no evidence is lost.
/// Returns what was removed.
pub fn sweep_stale(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = SystemTime::now();
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = staging_pid(&e.file_name().to_string_lossy()) else {
            continue;
        };
        let Ok(meta) = e.path().symlink_metadata() else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if !old || pid == std::process::id() || alive(pid) {
            continue;
        }
        let gone = if meta.is_dir() {
            std::fs::remove_dir_all(e.path())
        } else {
            std::fs::remove_file(e.path())
        };
        if gone.is_ok() {
            removed.push(e.path());
        }
    }
    removed
}

/// Write `bytes` to `path` atomically, replacing any existing file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o666)
}

/// [`write_file`] for a secret: readable by its owner only from the moment
/// the file exists.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o600)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let tmp = staging_path(path);
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = options.open(&tmp)?;
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
    fn stale_leftovers_of_dead_writers_are_swept_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A process that has exited: its pid is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let me = std::process::id();
        let day_old = SystemTime::now() - Duration::from_secs(25 * 3600);
        let make = |name: &str, folder: bool, old: bool| {
            let p = d.join(name);
            if folder {
                std::fs::create_dir(&p).unwrap();
                std::fs::write(p.join("inner"), "x").unwrap();
            } else {
                std::fs::write(&p, "x").unwrap();
            }
            if old {
                std::fs::File::open(&p)
                    .unwrap()
                    .set_modified(day_old)
                    .unwrap();
            }
            p
        };
        let stale_dir = make(&format!(".1.0.0{STAGING_MARK}{dead}-0"), true, true);
        let stale_file = make(&format!(".s.json{STAGING_MARK}{dead}-3"), false, true);
        let fresh = make(&format!(".s.json{STAGING_MARK}{dead}-4"), false, false);
        let live = make(&format!(".s.json{STAGING_MARK}{me}-5"), false, true);
        let other = make(".hidden-evidence.json", false, true);
        let named = make(&format!("s.json{STAGING_MARK}{dead}-6"), false, true);
        let mut removed = sweep_stale(d);
        removed.sort();
        let mut want = vec![stale_dir, stale_file];
        want.sort();
        assert_eq!(removed, want);
        for kept in [fresh, live, other, named] {
            assert!(kept.exists(), "{}", kept.display());
        }
        assert_eq!(staging_pid(&format!(".a-b.c{STAGING_MARK}12-7")), Some(12));
        assert_eq!(staging_pid(&format!(".a{STAGING_MARK}x-7")), None);
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
