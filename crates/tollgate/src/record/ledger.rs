//! The tamper-evident ledger (SPEC §4): an append-only hash chain of every
//! verification, publish, release decision and approval.
//!
//! Each entry's `hash` is SHA-256 over its `seq`, `time`, `kind`, `subject`,
//! `payload_digest` and `prev_hash`, so changing any stored field breaks the
//! chain from that entry on. The payload (JSON) may list workspace files
//! with their SHA-256 (`files: [{path, sha256}]`); `verify` re-hashes them.
//! A head records the last hash, so dropping entries from the end is
//! noticed too: a file beside the SQLite store, or a row the shared store
//! moves in each append's transaction (and then the file is this machine's
//! witness of the last entry it appended, which must still be there).
//!
//! Storage sits behind [`LedgerStore`]: SQLite ([`super::sqlite`]) in the
//! workspace, or PostgreSQL ([`super::pg`]) shared by a team
//! ([`super::backend`] says which).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::backend::dir;
use super::backend::Backend;
use super::store::{chain_hash, Head, StoredHead};
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

/// A ledger read at one moment ([`Ledger::walk`]).
pub struct Walk {
    pub entries: Vec<Entry>,
    /// What the chain and head checks found.
    pub findings: Vec<Finding>,
    /// Whether the head (the store's row, or else the head file) exists.
    pub head_exists: bool,
}

/// Says why an entry may not be appended, given the earlier entries of its
/// kind and subject.
type Conflict<'a> = dyn Fn(&[Entry]) -> Option<String> + 'a;

/// The workspace's ledger: the store plus its head file.
pub struct Ledger {
    store: Box<dyn LedgerStore>,
    head: PathBuf,
}

/// Where the workspace's ledger is, as messages show it (never with a
/// password).
pub fn location(ws: &Workspace) -> Result<String> {
    Backend::of(ws).map(|l| l.display())
}

impl Ledger {
    /// Open (creating if needed) the workspace's ledger: the local SQLite
    /// file, or the shared database the policy or environment names.
    pub fn open(ws: &Workspace) -> Result<Ledger> {
        Ledger::at(ws, &Backend::of(ws)?)
    }

    /// Open the ledger at `loc` for workspace `ws` (whose `.tollgate/` holds
    /// the head file).
    pub fn at(ws: &Workspace, loc: &Backend) -> Result<Ledger> {
        let d = dir(ws);
        Ok(match loc {
            Backend::Local(path) => Ledger::with_store(
                Box::new(super::sqlite::SqliteStore::open(path)?),
                d.join("ledger-head.json"),
            ),
            Backend::Postgres(config) => {
                let store = super::pg::PgStore::open(config)?;
                let id = sha256_hex(store.location().as_bytes());
                Ledger::with_store(
                    Box::new(store),
                    d.join(format!("ledger-head-{}.json", short_hash(&id))),
                )
            }
        })
    }

    /// The workspace's ledger if it exists, without creating a local one (a
    /// shared one always exists once configured).
    pub fn existing(ws: &Workspace) -> Result<Option<Ledger>> {
        let loc = Backend::of(ws)?;
        match &loc {
            Backend::Local(path) if !path.exists() => Ok(None),
            _ => Ledger::at(ws, &loc).map(Some),
        }
    }

    /// Where the store lives, for messages.
    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Copy `entries` (another ledger's, verified) into this one, hashes
    /// preserved. The entries this one already holds must be the same
    /// chain's first ones (a migration run again goes on where it stopped);
    /// another chain is refused.
    pub fn import(&mut self, entries: &[Entry]) -> Result<usize> {
        let have = self.entries()?;
        if let Some(i) = have.iter().zip(entries).position(|(a, b)| a != b) {
            return Err(Error::refused(
                self.location(),
                format!(
                    "it already holds another chain (entry {} differs): a ledger is only migrated into an empty one",
                    have[i].seq
                ),
            ));
        }
        if have.len() > entries.len() {
            return Err(Error::refused(
                self.location(),
                format!(
                    "it holds {} entries, more than the {} being migrated: another chain",
                    have.len(),
                    entries.len()
                ),
            ));
        }
        let rest = &entries[have.len()..];
        self.store.import(rest)?;
        if let Some(last) = entries.last() {
            self.advance_head(last)?;
        }
        Ok(rest.len())
    }

    /// A ledger over any store; `head` is the head file's path.
    pub fn with_store(store: Box<dyn LedgerStore>, head: PathBuf) -> Ledger {
        Ledger { store, head }
    }

    /// Append an entry; `payload` is stored as compact JSON.
    pub fn append(&mut self, kind: &str, subject: &str, payload: &Value) -> Result<Entry> {
        self.append_with(kind, subject, payload, None)
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
        self.append_with(kind, subject, payload, Some(&conflict))
    }

    /// Append, checking `conflict` (when given) against the earlier entries
    /// of the same kind and subject, which are only read then.
    fn append_with(
        &mut self,
        kind: &str,
        subject: &str,
        payload: &Value,
        conflict: Option<&Conflict<'_>>,
    ) -> Result<Entry> {
        let location = self.store.location();
        let text = serde_json::to_string(payload).map_err(|e| Error::Usage(e.to_string()))?;
        let digest = sha256_hex(text.as_bytes());
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let entry = self
            .store
            .append(kind, subject, conflict.is_some(), &mut |last, same| {
                if let Some(why) = conflict.and_then(|c| c(same)) {
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
        self.advance_head(&entry)?;
        Ok(entry)
    }

    /// Record `entry` in the head file unless it already records a later
    /// one (concurrent appenders finish in any order), under a file lock.
    fn advance_head(&self, entry: &Entry) -> Result<()> {
        let _lock = super::atomic::exclusive_lock(&self.head.with_extension("lock"))?;
        if self
            .head_file()
            .is_some_and(|h| h.is_ok_and(|h| h.seq >= entry.seq))
        {
            return Ok(());
        }
        let head = serde_json::to_vec(&Head {
            seq: entry.seq,
            hash: entry.hash.clone(),
        })
        .map_err(|e| Error::Usage(e.to_string()))?;
        super::atomic::write_file(&self.head, &head)
    }

    /// The head file, `None` when there is none (as anything at all).
    fn head_file(&self) -> Option<Result<Head>> {
        std::fs::symlink_metadata(&self.head).ok()?;
        Some(crate::read::json::load(&self.head).and_then(|v| {
            serde_json::from_value::<Head>(v)
                .map_err(|e| Error::parse(&self.head, None, e.to_string()))
        }))
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        self.store.entries()
    }

    /// The chain and its head as of one moment, checked.
    pub fn walk(&self) -> Result<Walk> {
        // The head file first: it only moves after a commit, so entries
        // read after it are never behind it.
        let file = self.head_file();
        let (entries, head) = self.store.snapshot()?;
        let head_exists = match head {
            StoredHead::At(_) => true,
            StoredHead::Missing => false,
            StoredHead::NotKept => file.is_some(),
        };
        let mut findings = chain_findings(&entries, &self.store.location());
        findings.extend(self.head_findings(&entries, head, file));
        Ok(Walk {
            entries,
            findings,
            head_exists,
        })
    }

    /// The first blocking finding of the chain and head checks, or `None`
    /// when the chain verifies up to the head: entries are trusted, and
    /// appended to, only then.
    pub fn chain_break(&self) -> Result<Option<Finding>> {
        Ok(self
            .walk()?
            .findings
            .into_iter()
            .find(|f| f.severity == Severity::Block))
    }

    /// Re-walk the chain and re-hash every file the entries vouch for.
    pub fn verify(&self, root: &Path) -> Result<Vec<Finding>> {
        let walk = self.walk()?;
        let mut findings = walk.findings;
        findings.extend(self.file_findings(&walk.entries, root));
        Ok(findings)
    }

    /// Every file `entries` vouch for, re-hashed under `root`
    /// ([`file_findings`]).
    pub fn file_findings(&self, entries: &[Entry], root: &Path) -> Vec<Finding> {
        file_findings(entries, root, self.store.shared())
    }

    /// The head against the chain. A head file may lag the store (a run
    /// interrupted after its entry); a head row never does. With a head
    /// row, the head file is this machine's witness: the entry it records
    /// must still be there, though others may have appended since.
    fn head_findings(
        &self,
        entries: &[Entry],
        stored: StoredHead,
        head_file: Option<Result<Head>>,
    ) -> Vec<Finding> {
        let file = self.head.display().to_string();
        let row = format!("{} [tollgate_head]", self.store.location());
        let found = |check: &str, severity, message: String, at: &str| {
            Finding::new(
                check,
                severity,
                "head",
                message,
                Location::file(at.to_string()),
            )
        };
        let mut out = Vec::new();
        let witness = match stored {
            StoredHead::NotKept => false,
            StoredHead::Missing => {
                if !entries.is_empty() {
                    out.push(found(
                        "ledger.truncated",
                        Severity::Block,
                        "the head row is missing, so the end of the chain cannot be checked".into(),
                        &row,
                    ));
                }
                true
            }
            StoredHead::At(h) => {
                out.extend(head_check(&h, entries, "the head row", Lag::Never, &row));
                true
            }
        };
        let Some(head_file) = head_file else {
            if !witness && !entries.is_empty() {
                out.push(found(
                    "ledger.head",
                    Severity::Warn,
                    "the head file is missing, so entries dropped from the end could go unnoticed"
                        .into(),
                    &file,
                ));
            }
            return out;
        };
        match head_file {
            Ok(h) if witness => out.extend(head_check(
                &h,
                entries,
                "this machine's head file",
                Lag::Expected,
                &file,
            )),
            Ok(h) => out.extend(head_check(&h, entries, "the head file", Lag::Told, &file)),
            Err(e) => out.push(found(
                "ledger.head",
                Severity::Block,
                format!(
                    "the head file cannot be read, so the end of the chain cannot be checked: {e}"
                ),
                &file,
            )),
        }
        out
    }
}

/// Whether a head may record an entry before the last.
#[derive(Clone, Copy)]
enum Lag {
    /// No: it moves with every append (a head row).
    Never,
    /// Yes, and it is told (Info): a head file after an interrupted run.
    Told,
    /// Yes, silently: this machine's witness of a shared ledger.
    Expected,
}

/// `head` (recorded by `what`, at `at`) against the chain: it must name an
/// entry the chain has, with that hash, and the last one unless `lag`.
fn head_check(head: &Head, entries: &[Entry], what: &str, lag: Lag, at: &str) -> Vec<Finding> {
    let found = entries.iter().find(|e| e.seq == head.seq);
    let last = entries.last().map_or(0, |e| e.seq);
    let loc = Location::file(at.to_string());
    let problem = match found {
        Some(e) if e.hash == head.hash && head.seq == last => return Vec::new(),
        Some(e) if e.hash == head.hash => match lag {
            Lag::Expected => return Vec::new(),
            Lag::Told => {
                return vec![Finding::new(
                    "ledger.head",
                    Severity::Info,
                    "head",
                    format!("{what} records entry {} of {last} (a run was interrupted after its entry was stored)", head.seq),
                    loc,
                )]
            }
            Lag::Never => format!("ends at entry {last}: entries were added without moving the head"),
        },
        Some(_) => "has a different entry there".to_string(),
        None => format!("ends at entry {last}: entries were removed"),
    };
    vec![Finding::new(
        "ledger.truncated",
        Severity::Block,
        format!("entry {}", head.seq),
        format!(
            "{what} records entry {} with hash {}, but the ledger {problem}",
            head.seq,
            short_hash(&head.hash),
        ),
        loc,
    )]
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
/// With a `shared` ledger a file absent here may be in another checkout:
/// those are counted in one Info finding, while a file present here with
/// other content still blocks.
fn file_findings(entries: &[Entry], root: &Path, shared: bool) -> Vec<Finding> {
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
    let mut elsewhere = 0;
    for ((seq, f), got) in refs.into_iter().zip(hashes) {
        let problem = match got {
            Ok((h, _)) if h.eq_ignore_ascii_case(&f.sha256) => continue,
            Err(e) if shared && e.kind() == std::io::ErrorKind::NotFound => {
                elsewhere += 1;
                continue;
            }
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
    if elsewhere > 0 {
        out.push(Finding::new(
            "ledger.file",
            Severity::Info,
            "other checkouts",
            format!("{elsewhere} file(s) the shared ledger vouches for are not in this checkout, so were not re-hashed here"),
            Location::file(root.display().to_string()),
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
pub fn unrecorded_runs(ws: &Workspace, entries: &[Entry]) -> Vec<Finding> {
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
