//! Opening untrusted paths. Every reader opens files here: only a regular
//! file is read. The open never blocks (a FIFO is opened non-blocking), and
//! the type is checked on the opened handle, so a path swapped between a
//! check and the open cannot slip a FIFO, a device or a directory in.
//! Whole-file reads stop at a size limit instead of allocating without end.

use std::fs::{File, FileType};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// The default limit on a document or summary read whole (64 MiB).
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// The process's read limit: the policy's `limits.max_read_bytes`, set when
/// a workspace is opened.
static MAX_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_BYTES);

/// Set the limit [`read`] applies (from the policy).
pub fn set_max_bytes(limit: u64) {
    MAX_BYTES.store(limit, Ordering::Relaxed);
}

/// The limit [`read`] applies.
pub fn max_bytes() -> u64 {
    MAX_BYTES.load(Ordering::Relaxed)
}

/// What a file type is called in messages ("a FIFO", "a directory", ...).
pub fn kind(t: &FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symlink"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Why the thing at `path` (following symlinks) cannot be read as a file,
/// from its metadata alone; `None` for a regular file or nothing at all.
pub fn not_regular(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Some(format!("is {}, not a regular file", kind(&m.file_type()))),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Some("is a symlink loop".into()),
        _ => None,
    }
}

/// Open `path` for reading if, and only if, it is a regular file.
pub fn open(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: opening a FIFO with no writer returns at once (its
        // type is then refused below); it changes nothing for regular files.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            std::io::Error::other("is a symlink loop")
        } else {
            e
        }
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("is {}, not a regular file", kind(&meta.file_type())),
        ));
    }
    Ok(file)
}

/// The whole of the regular file at `path`, refused when it is larger than
/// [`max_bytes`] (also when it grows past it while being read).
pub fn read(path: &Path) -> Result<Vec<u8>> {
    let limit = max_bytes();
    let file = open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let too_big = |n: u64| {
        Error::io(
            path,
            std::io::Error::other(format!(
                "is {n} bytes, over the read limit of {limit} bytes (limits.max_read_bytes)"
            )),
        )
    };
    if len > limit {
        return Err(too_big(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(read(&p).unwrap(), b"abc");
        assert_eq!(not_regular(&p), None);
    }

    #[cfg(unix)]
    #[test]
    fn fifos_devices_directories_and_loops_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let looped = dir.path().join("loop");
        std::os::unix::fs::symlink(&looped, &looped).unwrap();
        for (p, why) in [
            (&fifo, "is a FIFO, not a regular file"),
            (&zero, "is a character device, not a regular file"),
            (
                &dir.path().to_path_buf(),
                "is a directory, not a regular file",
            ),
            (&looped, "is a symlink loop"),
        ] {
            let e = read(p).unwrap_err().to_string();
            assert!(e.ends_with(why), "{e}");
            assert_eq!(not_regular(p).as_deref(), Some(why));
        }
    }
}
