//! `.tollgate/verify.lock`: one verification at a time. The lock is an
//! advisory lock on the file, so the operating system drops it when its
//! holder exits, even when killed; the file names the holder (PID, host,
//! start time) for the runs that find it taken.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Who holds (or last held) the lock, as written into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// RFC 3339, UTC.
    pub started_at: String,
}

impl Holder {
    fn me() -> Holder {
        Holder {
            pid: std::process::id(),
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    /// How long ago the holder started (zero when the time cannot be read).
    pub fn age(&self) -> Duration {
        chrono::DateTime::parse_from_rfc3339(&self.started_at)
            .ok()
            .and_then(|t| {
                (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
                    .to_std()
                    .ok()
            })
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {} since {}",
            self.pid, self.host, self.started_at
        )
    }
}

/// The lock, held until dropped; dropping it empties the file, so a holder
/// found in a free lock is one that died without letting go.
#[derive(Debug)]
pub struct Guard {
    file: File,
    /// The holder that died holding it, when this run took it over.
    pub took_over: Option<Holder>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

/// What trying the lock gave.
#[derive(Debug)]
pub enum Attempt {
    Taken(Guard),
    /// Another live process holds it (`None`: it wrote no readable holder).
    Held(Option<Holder>),
}

/// The lock file of the workspace whose ledger folder is `ledger_dir`.
pub fn path(ledger_dir: &Path) -> PathBuf {
    ledger_dir.join("verify.lock")
}

/// Take the lock at `path` without waiting.
pub fn try_take(path: &Path) -> Result<Attempt> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    if !f.metadata().map_err(|e| Error::io(path, e))?.is_file() {
        return Err(Error::refused(path, "the lock is not a regular file"));
    }
    match f.try_lock() {
        Ok(()) => {
            let took_over = holder(path);
            f.set_len(0)
                .and_then(|_| f.write_all(&serde_json::to_vec(&Holder::me()).unwrap_or_default()))
                .and_then(|_| f.sync_data())
                .map_err(|e| Error::io(path, e))?;
            Ok(Attempt::Taken(Guard { file: f, took_over }))
        }
        Err(std::fs::TryLockError::WouldBlock) => Ok(Attempt::Held(holder(path))),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(path, e)),
    }
}

/// The holder written into the lock file, if any.
fn holder(path: &Path) -> Option<Holder> {
    let bytes = crate::read::file::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_left_by_a_dead_holder_is_taken_over_and_a_live_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path());
        let dead = Holder {
            pid: 999_999_999,
            host: "ci-7".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
        };
        std::fs::write(&p, serde_json::to_vec(&dead).unwrap()).unwrap();
        let Attempt::Taken(guard) = try_take(&p).unwrap() else {
            panic!("a lock with no live holder must be taken");
        };
        assert_eq!(guard.took_over, Some(dead));
        // Held by this process through another handle: refused, naming us.
        match try_take(&p).unwrap() {
            Attempt::Held(Some(h)) => assert_eq!(h.pid, std::process::id()),
            other => panic!("{other:?}"),
        }
        drop(guard);
        // Another test's child process, forked while the lock was held, keeps
        // the descriptor (and so the lock) until it execs: wait for that.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let again = loop {
            match try_take(&p).unwrap() {
                Attempt::Taken(g) => break g,
                Attempt::Held(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Attempt::Held(h) => panic!("a released lock must be free, held by {h:?}"),
            }
        };
        assert_eq!(again.took_over, None, "a clean release leaves no holder");
    }

    #[test]
    fn age_counts_from_the_start() {
        let h = Holder {
            pid: 1,
            host: "h".into(),
            started_at: (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339(),
        };
        assert!(h.age() >= Duration::from_secs(3 * 3600 - 5));
    }
}
