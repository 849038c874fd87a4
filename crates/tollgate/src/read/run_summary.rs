//! The verification run summary, `VerificationSummary-<stamp>.json` and its
//! `-latest` copy, as later readers see it: when the run was and how it ended.
//! The writer is [`crate::verification`]; this is the one reader.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::finding::Verdict;

/// The summary file-name prefix; `<prefix>-latest.json` is the newest copy.
pub const SUMMARY_PREFIX: &str = "VerificationSummary";

/// `<dir>/VerificationSummary-latest.json`.
pub fn latest_path(dir: &Path) -> PathBuf {
    dir.join(format!("{SUMMARY_PREFIX}-latest.json"))
}

/// The part of a run summary that judges the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunHead {
    /// `yyyyMMdd-HHmmss` (UTC), as in the file name.
    pub timestamp: String,
    /// `Pass`, `Warn` or `Fail`.
    #[serde(with = "crate::finding::words::run_status")]
    pub status: Verdict,
}

/// Read the summary at `path`; a `Status` other than Pass, Warn or Fail is a
/// parse error naming the key.
pub fn read(path: &Path) -> Result<RunHead> {
    let v = super::json::load(path)?;
    serde_json::from_value(v)
        .map_err(|e| Error::parse(path, None, format!("{e} (keys Timestamp, Status)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_and_refuses_an_unknown_one() {
        let d = tempfile::tempdir().unwrap();
        let p = latest_path(d.path());
        std::fs::write(
            &p,
            "\u{feff}{\"Timestamp\":\"20260101-000000\",\"Status\":\"Warn\",\"Steps\":[]}",
        )
        .unwrap();
        assert_eq!(
            read(&p).unwrap(),
            RunHead {
                timestamp: "20260101-000000".into(),
                status: Verdict::Warn
            }
        );
        std::fs::write(&p, "{\"Timestamp\":\"x\",\"Status\":\"Maybe\"}").unwrap();
        assert!(read(&p).unwrap_err().to_string().contains("Maybe"));
    }
}
