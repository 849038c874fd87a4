//! Whether the ledger can be trusted: its chain, its head file, and the
//! signed checkpoints committed beside the governance docs. Anyone with
//! write access to the store can rebuild a self-consistent chain; a
//! checkpoint signed with the workspace key, committed to version control,
//! is what catches that.
//!
//! A checkpoint is one JSON line, `{seq, hash, time, key_id, signature}`:
//! the ed25519 signature (base64) of
//! `tollgate-ledger-checkpoint/v1\n{seq}\n{hash}\n{time}\n`.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity};
use crate::policy::Workspace;
use crate::record::ledger::{short_hash, Ledger, Walk};

/// One signed checkpoint of the ledger's head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub key_id: String,
    pub signature: String,
}

impl Checkpoint {
    fn message(seq: i64, hash: &str, time: &str) -> Vec<u8> {
        format!("tollgate-ledger-checkpoint/v1\n{seq}\n{hash}\n{time}\n").into_bytes()
    }
}

/// The workspace's checkpoints file.
pub fn checkpoints_path(ws: &Workspace) -> PathBuf {
    ws.path(&ws.policy.ledger.checkpoints)
}

/// Sign the ledger's head and append it to the checkpoints file. Refused
/// when the ledger is empty or does not verify: a checkpoint vouches for a
/// chain, never for a broken one.
pub fn checkpoint(ws: &Workspace) -> Result<Checkpoint> {
    let ledger = Ledger::existing(ws)?
        .ok_or_else(|| Error::Usage("there is no ledger yet: nothing to checkpoint".into()))?;
    if let Some(broken) = chain_break(ws, &ledger)? {
        return Err(Error::refused(
            crate::record::ledger::dir(ws),
            format!(
                "the ledger does not verify ({}: {}); a checkpoint is never written for a broken chain",
                broken.subject, broken.message
            ),
        ));
    }
    let entries = ledger.entries()?;
    let last = entries
        .last()
        .ok_or_else(|| Error::Usage("the ledger is empty: nothing to checkpoint".into()))?;
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let message = Checkpoint::message(last.seq, &last.hash, &time);
    let (key_id, signature) = crate::signing::sign_message(ws, &message)?;
    let c = Checkpoint {
        seq: last.seq,
        hash: last.hash.clone(),
        time,
        key_id,
        signature,
    };
    let path = checkpoints_path(ws);
    crate::record::destination::check(ws, &path, true)?;
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    let line = serde_json::to_string(&c).map_err(|e| Error::Usage(e.to_string()))? + "\n";
    // One write in append mode: concurrent checkpoints each land whole.
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    f.write_all(line.as_bytes())
        .and_then(|_| f.sync_data())
        .map_err(|e| Error::io(&path, e))?;
    Ok(c)
}

/// The first blocking finding of the chain, head and checkpoint checks, or
/// `None` when the ledger verifies: entries are trusted, and appended to,
/// only then.
pub fn chain_break(ws: &Workspace, ledger: &Ledger) -> Result<Option<Finding>> {
    let walk = ledger.walk()?;
    let checkpoints = checkpoint_findings(ws, &walk);
    Ok(walk
        .findings
        .into_iter()
        .chain(checkpoints)
        .find(|f| f.severity == Severity::Block))
}

/// `ledger verify`: the chain, the head, every file the entries vouch for,
/// every checkpoint, and the run summaries no entry records.
pub fn verify(ws: &Workspace, ledger: &Ledger) -> Result<Vec<Finding>> {
    let walk = ledger.walk()?;
    let checkpoints = checkpoint_findings(ws, &walk);
    let mut findings = walk.findings;
    findings.extend(ledger.file_findings(&walk.entries, &ws.root));
    findings.extend(crate::record::ledger::unrecorded_runs(ws, &walk.entries));
    findings.extend(checkpoints);
    Ok(findings)
}

/// Each checkpoint against the chain: a blocking finding, naming the
/// checkpoint's line, for a chain shorter than it, a checkpointed entry
/// whose hash differs, a missing head file, or a signature that does not
/// verify.
fn checkpoint_findings(ws: &Workspace, walk: &Walk) -> Vec<Finding> {
    let entries = &walk.entries;
    let path = checkpoints_path(ws);
    if std::fs::symlink_metadata(&path).is_err() {
        return Vec::new();
    }
    let shown = ws.rel(&path);
    let block = |line: usize, subject: &str, message: String| {
        Finding::new(
            "ledger.checkpoint",
            Severity::Block,
            subject,
            message,
            Location::file(shown.clone()).at_line(line),
        )
    };
    let text = match crate::read::text::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return vec![block(1, "checkpoints", format!("cannot be read: {e}"))],
    };
    let mut out = Vec::new();
    let mut any = false;
    let last = entries.last().map_or(0, |e| e.seq);
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        any = true;
        let c: Checkpoint = match serde_json::from_str(raw) {
            Ok(c) => c,
            Err(e) => {
                out.push(block(line, "checkpoint", format!("not a checkpoint: {e}")));
                continue;
            }
        };
        let subject = format!("checkpoint seq {}", c.seq);
        match crate::signing::verify_message(
            ws,
            &Checkpoint::message(c.seq, &c.hash, &c.time),
            &c.signature,
        ) {
            Ok(true) => {}
            Ok(false) => out.push(block(
                line,
                &subject,
                format!(
                    "its signature does not verify against {}",
                    ws.policy.signing.public_key
                ),
            )),
            Err(e) => out.push(block(
                line,
                &subject,
                format!("its signature cannot be checked: {e}"),
            )),
        }
        match entries.iter().find(|e| e.seq == c.seq) {
            None => out.push(block(
                line,
                &subject,
                format!(
                    "the chain ends at entry {last}, shorter than this checkpoint of entry {} ({}): entries were removed",
                    c.seq, c.time
                ),
            )),
            Some(e) if e.hash != c.hash => out.push(block(
                line,
                &subject,
                format!(
                    "entry {} has hash {}, but this checkpoint ({}) recorded {}: the chain was rewritten",
                    c.seq,
                    short_hash(&e.hash),
                    c.time,
                    short_hash(&c.hash)
                ),
            )),
            Some(_) => {}
        }
    }
    if any && !walk.head_exists {
        out.push(block(
            1,
            "head",
            "the ledger's head file is missing while checkpoints exist".into(),
        ));
    }
    out
}

/// What `ledger migrate` did.
#[derive(Debug, Clone, Serialize)]
pub struct Migrated {
    /// The ledger copied from, and the one copied to (never with a password).
    pub from: String,
    pub to: String,
    /// Entries copied now, and in the target in all.
    pub copied: usize,
    pub entries: usize,
    /// The target's head entry after the copy.
    pub head: Option<crate::record::store::Head>,
}

/// `ledger migrate --to URL`: copy the workspace's ledger, verified first,
/// into the one at `to`, every hash preserved, then verify the target and
/// check that it holds exactly the same chain. A target holding another
/// chain is refused; one holding the first entries of this one (a
/// migration that stopped) is completed.
pub fn migrate(ws: &Workspace, to: &crate::record::backend::Backend) -> Result<Migrated> {
    let source = Ledger::existing(ws)?
        .ok_or_else(|| Error::Usage("there is no ledger yet: nothing to migrate".into()))?;
    let from = source.location();
    let shown_to = to.display();
    if from == shown_to {
        return Err(Error::Usage(format!(
            "--to {shown_to} is the ledger already in use: set [ledger] url or {} to the old one to migrate from it",
            crate::record::backend::URL_VAR
        )));
    }
    if let Some(broken) = chain_break(ws, &source)? {
        return Err(Error::refused(
            &from,
            format!(
                "the ledger does not verify ({}: {}); a broken chain is never migrated",
                broken.subject, broken.message
            ),
        ));
    }
    let entries = source.entries()?;
    let mut target = Ledger::at(ws, to)?;
    let copied = target.import(&entries)?;
    if let Some(broken) = target.chain_break()? {
        return Err(Error::refused(
            &shown_to,
            format!(
                "the migrated ledger does not verify: {}: {}",
                broken.subject, broken.message
            ),
        ));
    }
    let landed = target.entries()?;
    if landed != entries {
        return Err(Error::refused(
            &shown_to,
            "the migrated ledger does not hold the same entries as the source",
        ));
    }
    Ok(Migrated {
        from,
        to: shown_to,
        copied,
        entries: landed.len(),
        head: landed.last().map(|e| crate::record::store::Head {
            seq: e.seq,
            hash: e.hash.clone(),
        }),
    })
}

/// After `verify` or `release` appended: a checkpoint when the policy asks
/// for one (`ledger.auto_checkpoint`).
pub fn auto(ws: &Workspace) -> Result<Option<Checkpoint>> {
    if ws.policy.ledger.auto_checkpoint {
        checkpoint(ws).map(Some)
    } else {
        Ok(None)
    }
}
