//! Text files: BOM stripping and line handling shared by every reader.

use std::path::Path;

use crate::error::{Error, Result};

/// Bytes without a leading UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Decode `bytes` as UTF-8 text without a BOM, naming `path` on failure.
pub fn decode(bytes: &[u8], path: &Path) -> Result<String> {
    let body = strip_bom(bytes);
    String::from_utf8(body.to_vec()).map_err(|e| {
        let upto = &body[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        Error::parse(path, Some(line), "not valid UTF-8 text")
    })
}

/// Read a whole text file (BOM removed): a regular file within the read
/// limit only ([`super::file::read`]).
pub fn read_to_string(path: &Path) -> Result<String> {
    let bytes = super::file::read(path)?;
    decode(&bytes, path)
}

/// Lines of `text` with their 1-based numbers; `\r\n` and `\n` both end a line.
pub fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_crlf() {
        let t = decode(b"\xEF\xBB\xBFa\r\nb\n", Path::new("x")).unwrap();
        let lines: Vec<_> = numbered_lines(&t).collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b"), (3, "")]);
    }

    #[test]
    fn invalid_utf8_names_file_and_line() {
        let e = decode(b"ok\n\xFF", Path::new("f.md")).unwrap_err();
        assert_eq!(e.to_string(), "f.md:2: not valid UTF-8 text");
    }
}
