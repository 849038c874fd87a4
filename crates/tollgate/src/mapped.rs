//! Large files read straight from the page cache: read-only memory maps, one
//! window at a time. Reading this way saves the kernel's copy of every byte
//! into a buffer (a sixth of an event gate's time), and the window bounds
//! the resident mapping, so memory stays flat whatever the file size.

use std::fs::File;

/// Files at least this large are worth mapping.
pub const MIN_BYTES: u64 = 1 << 20;

/// Bytes mapped at a time: each thread holds one window, so peak memory
/// grows by this much per core.
pub const WINDOW: u64 = 8 << 20;

/// Hand `each` the first `len` bytes of `file`, window by window of
/// `window` bytes, until it returns `false`. `None` when a window cannot
/// be mapped (the caller reads the file instead; nothing has been handed
/// over when the first window fails).
pub fn for_each_window(
    file: &File,
    len: u64,
    window: u64,
    mut each: impl FnMut(&[u8]) -> bool,
) -> Option<()> {
    let mut offset = 0;
    while offset < len {
        let size = window.min(len - offset) as usize;
        // SAFETY: a read-only private view, dropped before the next one.
        // A file truncated by another process while it is mapped raises
        // SIGBUS: evidence is not written while it is read, publish hashes
        // its own staging copies, and telemetry is appended, not truncated.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(offset)
                .len(size)
                .populate()
                .map(file)
        }
        .ok()?;
        if !each(&map[..]) {
            break;
        }
        offset += size as u64;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_file_in_order_and_stop_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let f = File::open(&p).unwrap();
        let mut seen = Vec::new();
        for_each_window(&f, data.len() as u64, 4096, |w| {
            seen.extend_from_slice(w);
            true
        })
        .unwrap();
        assert_eq!(seen, data);
        let mut windows = 0;
        for_each_window(&f, data.len() as u64, 4096, |_| {
            windows += 1;
            false
        })
        .unwrap();
        assert_eq!(windows, 1);
    }
}
