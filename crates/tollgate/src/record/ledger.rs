//! The tamper-evident ledger (SPEC §4): an append-only hash chain of every
//! verification, publish, release decision and approval.
//!
//! Each entry's `hash` is SHA-256 over its `seq`, `time`, `kind`, `subject`,
//! `payload_digest` and `prev_hash`, so changing any stored field breaks the
//! chain from that entry on. The payload (JSON) may list workspace files
//! with their SHA-256 (`files: [{path, sha256}]`); `verify` re-hashes them.
//! A head file beside the store records the last hash, so dropping entries
//! from the end is noticed too.
//!
//! Storage sits behind [`LedgerStore`]; SQLite ([`super::sqlite`]) is the
//! embedded one, and a shared store only has to implement the trait.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::chain_hash;
pub use super::store::{Entry, LedgerStore, GENESIS};
use crate::digest::sha256_hex;
use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity};
use crate::policy::Workspace;

/// `ledger export`: one entry per line, as JSON.
pub fn export_lines(entries: &[Entry]) -> Result<String> {
    let mut text = String::new();
    for e in entries {
        text.push_str(&serde_json::to_string(e).map_err(|e| Error::Usage(e.to_string()))?);
        text.push('\n');
    }
    Ok(text)
}

/// A file a ledger entry vouches for, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub path: String,
    pub sha256: String,
}

impl FileRef {
    /// Hash `path` (inside `root`) now.
    pub fn of(root: &Path, path: &Path) -> Result<FileRef> {
        let (hash, _) = crate::evidence::hash::sha256_file(path).map_err(|e| Error::io(path, e))?;
        Ok(FileRef {
            path: crate::policy::relative(root, path),
            sha256: hash.to_ascii_lowercase(),
        })
    }
}

/// The workspace's ledger: the store plus its head file.
pub struct Ledger {
    store: Box<dyn LedgerStore>,
    head: PathBuf,
}

/// The ledger's folder in a workspace.
pub fn dir(ws: &Workspace) -> PathBuf {
    ws.root.join(".tollgate")
}

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    seq: i64,
    hash: String,
}

impl Ledger {
    /// Open (creating if needed) the workspace's SQLite ledger.
    pub fn open(ws: &Workspace) -> Result<Ledger> {
        let d = dir(ws);
        let store = super::sqlite::SqliteStore::open(&d.join("ledger.db"))?;
        Ok(Ledger::with_store(
            Box::new(store),
            d.join("ledger-head.json"),
        ))
    }

    /// The workspace's ledger if it exists, without creating it.
    pub fn existing(ws: &Workspace) -> Result<Option<Ledger>> {
        if dir(ws).join("ledger.db").exists() {
            Ledger::open(ws).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A ledger over any store; `head` is the head file's path.
    pub fn with_store(store: Box<dyn LedgerStore>, head: PathBuf) -> Ledger {
        Ledger { store, head }
    }

    /// Append an entry; `payload` is stored as compact JSON.
    pub fn append(&mut self, kind: &str, subject: &str, payload: &Value) -> Result<Entry> {
        self.append_unless(kind, subject, payload, |_| None)
    }

    /// Append an entry unless `conflict`, given the earlier entries of the
    /// same kind and subject inside the append's transaction, says why not
    /// (an [`Error::Refused`] naming the ledger).
    pub fn append_unless(
        &mut self,
        kind: &str,
        subject: &str,
        payload: &Value,
        conflict: impl Fn(&[Entry]) -> Option<String>,
    ) -> Result<Entry> {
        let location = self.store.location();
        let text = serde_json::to_string(payload).map_err(|e| Error::Usage(e.to_string()))?;
        let digest = sha256_hex(text.as_bytes());
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let entry = self.store.append(kind, subject, &mut |last, same| {
            if let Some(why) = conflict(same) {
                return Err(Error::refused(&location, why));
            }
            let seq = last.map_or(1, |l| l.seq + 1);
            let prev = last.map_or(GENESIS.to_string(), |l| l.hash.clone());
            Ok(Entry {
                seq,
                hash: chain_hash(seq, &time, kind, subject, &digest, &prev),
                time: time.clone(),
                kind: kind.to_string(),
                subject: subject.to_string(),
                payload: text.clone(),
                payload_digest: digest.clone(),
                prev_hash: prev,
            })
        })?;
        // The head may lag the store after a crash here; `verify` tells a
        // lagging head (harmless) from a store that lost entries.
        let head = serde_json::to_vec(&Head {
            seq: entry.seq,
            hash: entry.hash.clone(),
        })
        .map_err(|e| Error::Usage(e.to_string()))?;
        super::atomic::write_file(&self.head, &head)?;
        Ok(entry)
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        self.store.entries()
    }

    /// `ledger verify`: [`Ledger::verify`] in `ws`, plus the run summaries
    /// there that no entry records.
    pub fn verify_workspace(&self, ws: &Workspace) -> Result<Vec<Finding>> {
        let mut findings = self.verify(&ws.root)?;
        findings.extend(unrecorded_runs(ws, &self.entries()?));
        Ok(findings)
    }

    /// Whether the head file exists (as anything at all).
    pub fn head_exists(&self) -> bool {
        std::fs::symlink_metadata(&self.head).is_ok()
    }

    /// The first blocking finding of the chain and head checks, or `None`
    /// when the chain verifies up to the head: entries are trusted, and
    /// appended to, only then.
    pub fn chain_break(&self) -> Result<Option<Finding>> {
        let entries = self.entries()?;
        let db = self.store.location().display().to_string();
        let mut findings = chain_findings(&entries, &db);
        findings.extend(self.head_findings(&entries)?);
        Ok(findings.into_iter().find(|f| f.severity == Severity::Block))
    }

    /// Re-walk the chain and re-hash every file the entries vouch for.
    pub fn verify(&self, root: &Path) -> Result<Vec<Finding>> {
        let entries = self.entries()?;
        let db = self.store.location().display().to_string();
        let mut findings = chain_findings(&entries, &db);
        findings.extend(self.head_findings(&entries)?);
        findings.extend(file_findings(&entries, root));
        Ok(findings)
    }

    fn head_findings(&self, entries: &[Entry]) -> Result<Vec<Finding>> {
        let path = self.head.display().to_string();
        let loc = || Location::file(path.clone());
        if !self.head_exists() {
            return Ok(if entries.is_empty() {
                Vec::new()
            } else {
                vec![Finding::new(
                    "ledger.head",
                    Severity::Warn,
                    "head",
                    "the head file is missing, so entries dropped from the end could go unnoticed",
                    loc(),
                )]
            });
        }
        let head = crate::read::json::load(&self.head).and_then(|v| {
            serde_json::from_value::<Head>(v)
                .map_err(|e| Error::parse(&self.head, None, e.to_string()))
        });
        let head = match head {
            Ok(h) => h,
            Err(e) => {
                return Ok(vec![Finding::new(
                    "ledger.head",
                    Severity::Block,
                    "head",
                    format!(
                    "the head file cannot be read, so the end of the chain cannot be checked: {e}"
                ),
                    loc(),
                )])
            }
        };
        let at = entries.iter().find(|e| e.seq == head.seq);
        let last = entries.last().map_or(0, |e| e.seq);
        Ok(match at {
            Some(e) if e.hash == head.hash && head.seq == last => Vec::new(),
            Some(e) if e.hash == head.hash => vec![Finding::new(
                "ledger.head",
                Severity::Info,
                "head",
                format!("the head file records entry {} of {last} (a run was interrupted after its entry was stored)", head.seq),
                loc(),
            )],
            _ => vec![Finding::new(
                "ledger.truncated",
                Severity::Block,
                format!("entry {}", head.seq),
                format!(
                    "the head file records entry {} with hash {}, but the ledger {}",
                    head.seq,
                    short_hash(&head.hash),
                    if at.is_none() { format!("ends at entry {last}: entries were removed") } else { "has a different entry there".to_string() }
                ),
                loc(),
            )],
        })
    }
}

/// The first 12 characters of a hash, as findings and messages show it.
pub fn short_hash(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// Chain checks over stored entries: sequence, links, payload digests, hashes.
pub fn chain_findings(entries: &[Entry], db: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut prev_hash = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        let subject = format!("entry {}", e.seq);
        let loc = Location::file(db.to_string()).at_key(format!("seq={}", e.seq));
        let mut problems = Vec::new();
        if e.seq != expected_seq {
            problems.push(format!(
                "sequence number is {}, expected {expected_seq}",
                e.seq
            ));
        }
        if e.prev_hash != prev_hash {
            problems.push(format!(
                "prev_hash {} does not match the previous entry's hash {}",
                short_hash(&e.prev_hash),
                short_hash(&prev_hash)
            ));
        }
        if sha256_hex(e.payload.as_bytes()) != e.payload_digest {
            problems.push("the payload does not match its digest".to_string());
        }
        if e.expected_hash() != e.hash {
            problems.push(format!(
                "hash {} does not match the entry's fields (expected {})",
                short_hash(&e.hash),
                short_hash(&e.expected_hash())
            ));
        }
        if !problems.is_empty() {
            out.push(Finding::new(
                "ledger.chain",
                Severity::Block,
                subject,
                format!("{} {}: {}", e.kind, e.subject, problems.join("; ")),
                loc,
            ));
        }
        prev_hash = e.hash.clone();
    }
    out
}

/// Every file the entries vouch for, re-hashed. A path recorded by several
/// entries (an area published again with --force) is judged by the newest.
fn file_findings(entries: &[Entry], root: &Path) -> Vec<Finding> {
    let mut seen = std::collections::HashSet::new();
    let mut refs = Vec::new();
    for e in entries.iter().rev() {
        for f in files_of(&e.payload_json()) {
            if seen.insert(f.path.clone()) {
                refs.push((e.seq, f));
            }
        }
    }
    refs.reverse();
    let paths: Vec<PathBuf> = refs.iter().map(|(_, f)| root.join(&f.path)).collect();
    let hashes = crate::evidence::hash::sha256_files(&paths);
    let mut out = Vec::new();
    for ((seq, f), got) in refs.into_iter().zip(hashes) {
        let problem = match got {
            Ok((h, _)) if h.eq_ignore_ascii_case(&f.sha256) => continue,
            Ok((h, _)) => format!(
                "changed: SHA-256 is {}, the ledger recorded {}",
                short_hash(&h.to_ascii_lowercase()),
                short_hash(&f.sha256)
            ),
            Err(e) => format!("cannot be read: {e}"),
        };
        out.push(Finding::new(
            "ledger.file",
            Severity::Block,
            format!("entry {seq}"),
            format!("{} {problem}", f.path),
            Location::file(f.path.clone()),
        ));
    }
    out
}

/// The workspace-relative paths of the run summaries and transcripts that
/// `verify` entries record.
pub fn recorded_run_files(entries: &[Entry]) -> std::collections::HashSet<String> {
    entries
        .iter()
        .filter(|e| e.kind == "verify")
        .filter_map(|e| serde_json::from_str::<Value>(&e.payload).ok())
        .flat_map(|p| files_of(&p))
        .map(|f| f.path)
        .collect()
}

/// Whether the file at `path` says tollgate wrote it (`"Tool": "tollgate"`).
fn written_by_tollgate(path: &Path) -> bool {
    crate::read::json::load(path).is_ok_and(|v| v["Tool"] == "tollgate")
}

/// Which of `files` are verification runs. A summary tollgate wrote counts
/// only when a `verify` entry records it: without one its run died before
/// the entry (or someone else wrote it), and it is not a run. Summaries of
/// another tool (StateTrace's own) are imported evidence and are kept. An
/// unreadable ledger keeps none of tollgate's.
pub fn recorded_runs(ws: &Workspace, files: Vec<PathBuf>) -> Vec<PathBuf> {
    let recorded = match Ledger::existing(ws).and_then(|l| l.map(|l| l.entries()).transpose()) {
        Ok(Some(entries)) => recorded_run_files(&entries),
        Ok(None) | Err(_) => Default::default(),
    };
    files
        .into_iter()
        .filter(|f| recorded.contains(&ws.rel(f)) || !written_by_tollgate(f))
        .collect()
}

/// A warning for each summary tollgate wrote in the verification folder
/// that no `verify` entry records: gates and the dashboard ignore it.
fn unrecorded_runs(ws: &Workspace, entries: &[Entry]) -> Vec<Finding> {
    let recorded = recorded_run_files(entries);
    let dir = ws.path(&ws.policy.paths.verification);
    let pattern = dir.join(format!(
        "{}-*.json",
        crate::read::run_summary::SUMMARY_PREFIX
    ));
    crate::select::glob_files(&pattern)
        .into_iter()
        .filter(|f| f != &crate::read::run_summary::latest_path(&dir))
        .filter(|f| !recorded.contains(&ws.rel(f)) && written_by_tollgate(f))
        .map(|f| ws.rel(&f))
        .map(|rel| {
            Finding::new(
                "ledger.unrecorded-run",
                Severity::Warn,
                &rel,
                "a run summary no ledger entry records: it is not counted as a run (its run was interrupted before the entry, or it was written by hand)",
                Location::file(rel.clone()),
            )
        })
        .collect()
}

/// The newest entry of the workspace's ledger that vouches for the file at
/// `path`, if any (none without a readable ledger).
pub fn vouching_entry(ws: &Workspace, path: &Path) -> Option<i64> {
    let rel = ws.rel(path);
    Ledger::existing(ws)
        .ok()??
        .entries()
        .ok()?
        .iter()
        .rev()
        .find(|e| {
            serde_json::from_str::<Value>(&e.payload)
                .is_ok_and(|p| files_of(&p).iter().any(|f| f.path == rel))
        })
        .map(|e| e.seq)
}

/// The files a payload vouches for (`files: [{path, sha256}]`).
pub fn files_of(payload: &Value) -> Vec<FileRef> {
    payload
        .get("files")
        .and_then(|f| serde_json::from_value(f.clone()).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(dir: &Path) -> Ledger {
        let store = crate::record::sqlite::SqliteStore::open(&dir.join("l.db")).unwrap();
        Ledger::with_store(Box::new(store), dir.join("head.json"))
    }

    #[test]
    fn chain_links_and_detects_edits() {
        let tmp = tempfile::tempdir().unwrap();
        let mut l = ledger(tmp.path());
        let a = l
            .append("verify", "run-1", &serde_json::json!({"status": "Pass"}))
            .unwrap();
        let b = l
            .append("release", "1.0", &serde_json::json!({"decision": "Ready"}))
            .unwrap();
        assert_eq!((a.seq, b.seq), (1, 2));
        assert_eq!(a.prev_hash, GENESIS);
        assert_eq!(b.prev_hash, a.hash);
        assert!(l.verify(tmp.path()).unwrap().is_empty());

        let mut entries = l.entries().unwrap();
        assert_eq!(chain_findings(&entries, "db").len(), 0);
        entries[0].subject = "run-X".into();
        let f = chain_findings(&entries, "db");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "entry 1");
        entries[0].subject = "run-1".into();
        entries[1].payload = r#"{"decision":"Blocked"}"#.into();
        let f = chain_findings(&entries, "db");
        assert_eq!(f[0].subject, "entry 2");
        assert!(f[0].message.contains("digest"), "{}", f[0].message);
    }

    #[test]
    fn files_are_rehashed_and_truncation_is_seen() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("evidence.json");
        std::fs::write(&file, b"{}").unwrap();
        let mut l = ledger(tmp.path());
        let r = FileRef::of(tmp.path(), &file).unwrap();
        assert_eq!(r.path, "evidence.json");
        l.append("release", "1.0", &serde_json::json!({ "files": [r] }))
            .unwrap();
        l.append("approval", "1.0", &serde_json::json!({})).unwrap();
        assert!(l.verify(tmp.path()).unwrap().is_empty());
        std::fs::write(&file, b"{ }").unwrap();
        let f = l.verify(tmp.path()).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].check, "ledger.file");
        assert!(
            f[0].message.starts_with("evidence.json changed"),
            "{}",
            f[0].message
        );
        std::fs::write(&file, b"{}").unwrap();

        let conn = rusqlite::Connection::open(tmp.path().join("l.db")).unwrap();
        conn.execute("DELETE FROM entries WHERE seq = 2", [])
            .unwrap();
        let f = l.verify(tmp.path()).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].check, "ledger.truncated");
    }
}
