//! Task-board integrity against git (Tools/Test-TaskBoardIntegrity.ps1): the
//! CSV must not lose more than `max_csv_row_loss` rows against `HEAD`.

use std::path::Path;
use std::process::Command;

use super::rules::emit;
use crate::finding::Finding;
use crate::policy::DocRule;
use crate::policy::DocsPolicy;

/// The text of `path` at git `HEAD`, or `None` outside a work tree, when git
/// is missing, or when the file is not committed.
pub fn head_text(path: &Path) -> Option<String> {
    let dir = path.parent()?;
    let name = path.file_name()?;
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("show")
        .arg(format!("HEAD:./{}", name.to_string_lossy()))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `csv.large-edit`: `now` rows against `head` rows at HEAD.
pub fn large_edit_rule(
    p: &DocsPolicy,
    path: &str,
    now: usize,
    head: usize,
    allowed: bool,
) -> Option<Finding> {
    let lost = head.saturating_sub(now);
    if allowed || lost <= p.max_csv_row_loss {
        return None;
    }
    emit(
        p,
        DocRule::CsvLargeEdit,
        "task board CSV",
        format!(
            "{lost} rows were removed since git HEAD ({head} -> {now}; at most {} allowed); use --allow-large-edits if that is intended",
            p.max_csv_row_loss
        ),
        path,
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losing_many_rows_against_head_is_reported_unless_allowed() {
        let (p, _) = crate::governance::statetrace_docs();
        assert!(large_edit_rule(&p, "t.csv", 100, 120, false).is_none());
        let f = large_edit_rule(&p, "t.csv", 100, 121, false).unwrap();
        assert!(
            f.message.starts_with("21 rows were removed"),
            "{}",
            f.message
        );
        assert!(large_edit_rule(&p, "t.csv", 100, 121, true).is_none());
        assert!(large_edit_rule(&p, "t.csv", 150, 121, false).is_none());
    }

    #[test]
    fn head_text_reads_the_committed_file() {
        let tmp = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(tmp.path())
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        };
        if !git(&["init", "-q"]) {
            eprintln!("NOTICE: git not available; skipped");
            return;
        }
        let f = tmp.path().join("t.csv");
        assert!(head_text(&f).is_none(), "no commit yet");
        std::fs::write(&f, "ID\nA\n").unwrap();
        assert!(git(&["add", "t.csv"]) && git(&["commit", "-q", "-m", "x"]));
        std::fs::write(&f, "ID\n").unwrap();
        assert_eq!(head_text(&f).as_deref(), Some("ID\nA\n"));
    }
}
