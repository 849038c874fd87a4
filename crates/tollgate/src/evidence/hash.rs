//! SHA-256 of files at hardware speed: `sha2` (SHA-NI where the CPU has it),
//! large reads, and many files in parallel on all cores.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::digest::hex_upper;

/// Read size per call; large enough that syscalls are negligible.
const BUF: usize = 1 << 20;

/// Bundles at least this large show a progress bar on a terminal.
const PROGRESS_BYTES: u64 = 256 << 20;

/// SHA-256 (uppercase hex) and size of one file.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = crate::read::file::open(path)?;
    let len = f.metadata()?.len();
    if len >= crate::mapped::MIN_BYTES {
        if let Some(hex) = sha256_mapped(&f, len) {
            return Ok((hex, len));
        }
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUF];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hex_upper(&hasher.finalize()), total))
}

/// Hash `len` bytes of `f` straight from the page cache ([`crate::mapped`]);
/// `None` if mapping fails.
fn sha256_mapped(f: &File, len: u64) -> Option<String> {
    let mut hasher = Sha256::new();
    crate::mapped::for_each_window(f, len, crate::mapped::WINDOW, |w| {
        hasher.update(w);
        true
    })?;
    Some(hex_upper(&hasher.finalize()))
}

/// Hash many files in parallel; results are in input order. A progress bar
/// is drawn on stderr when it is a terminal and the files are large.
pub fn sha256_files(paths: &[PathBuf]) -> Vec<std::io::Result<(String, u64)>> {
    let total: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = (total >= PROGRESS_BYTES && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "hashing {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let results = paths
        .par_iter()
        .map(|p| {
            let r = sha256_file(p);
            if let (Some(b), Ok((_, n))) = (&bar, &r) {
                b.inc(*n);
            }
            r
        })
        .collect();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_bytes(bytes: &[u8]) -> String {
        hex_upper(&Sha256::digest(bytes))
    }

    #[test]
    fn known_digests() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
        );
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let big = dir.path().join("big");
        std::fs::write(&a, b"abc").unwrap();
        let data: Vec<u8> = (0..3 * BUF + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(&big, &data).unwrap();
        let r = sha256_files(&[a.clone(), big, dir.path().join("missing")]);
        assert_eq!(r[0].as_ref().unwrap().0, sha256_bytes(b"abc"));
        assert_eq!(
            r[1].as_ref().unwrap(),
            &(sha256_bytes(&data), data.len() as u64)
        );
        assert!(r[2].is_err());
    }

    #[test]
    fn mapped_windows_agree_with_a_plain_digest() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let data: Vec<u8> = (0..crate::mapped::WINDOW as usize + 3)
            .map(|i| (i % 253) as u8)
            .collect();
        std::fs::write(&p, &data).unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            (sha256_bytes(&data), data.len() as u64)
        );
    }
}
