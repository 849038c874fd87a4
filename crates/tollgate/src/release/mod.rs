//! Release decisions (SPEC §4): `tollgate release VERSION` assembles
//! `<release_evidence>/<VERSION>/` from the latest verification, a fresh
//! gate run, the bundle's verification, the shared-cache summary, the docs
//! findings and the risk linkage; hashes every file into `manifest.json`;
//! decides Ready or Blocked in `decision.json`; and appends the decision to
//! the ledger. The folder is staged and renamed, and never overwritten.

pub mod sign;
pub mod status;
pub mod vsa;
pub mod waive;

pub use crate::record::releases::{DECISION, MANIFEST};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::finding::Counts;
use crate::finding::{Finding, Location, Severity, Verdict};
use crate::policy::Workspace;
use crate::readiness::{BundleFacts, DocsFacts, RunFacts};
use crate::record::atomic;
use crate::record::ledger::{FileRef, Ledger};

/// What to release.
#[derive(Debug, Clone)]
pub struct Request {
    pub version: String,
    /// A bundle name, path or `oci://` reference; the newest bundle when `None`.
    pub bundle: Option<String>,
    pub rc_summary: Option<PathBuf>,
    /// How to reach the registry of an `oci://` bundle.
    pub registry: crate::registry::Options,
}

/// `decision.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Decision {
    pub version: String,
    /// `Ready` or `Blocked`.
    #[serde(with = "crate::finding::words::decision")]
    pub decision: Verdict,
    pub decided_at_utc: String,
    pub tool_version: String,
    pub counts: Counts,
    /// The blocking findings, the reasons for `Blocked`.
    pub blocking: Vec<Finding>,
    pub warnings: Vec<Finding>,
    /// What the decision was made from.
    pub inputs: Value,
}

impl Decision {
    /// Whether the release may ship without an override.
    pub fn ready(&self) -> bool {
        self.decision != Verdict::Block
    }

    /// `Ready` or `Blocked`.
    pub fn word(&self) -> &'static str {
        crate::finding::words::decision::word(self.decision)
    }
}

/// One file of `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ManifestFile {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Manifest {
    pub version: String,
    pub created_at_utc: String,
    pub files: Vec<ManifestFile>,
}

/// Read `<dir>/manifest.json`: the one reader of a release manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    serde_json::from_value(crate::read::json::load(&path)?)
        .map_err(|e| Error::parse(&path, None, e.to_string()))
}

/// The files a release's signature covers: the manifest and every file it lists.
fn release_files(dir: &Path) -> Result<Vec<String>> {
    Ok(std::iter::once(MANIFEST.to_string())
        .chain(read_manifest(dir)?.files.into_iter().map(|f| f.path))
        .collect())
}

/// What `release` wrote.
#[derive(Debug)]
pub struct Released {
    pub dir: PathBuf,
    pub decision: Decision,
    pub manifest: Manifest,
    pub ledger_seq: i64,
}

/// A version usable as one folder name: letters, digits, `.`, `_`, `+`, `-`.
pub fn check_version(v: &str) -> Result<()> {
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "version '{v}': use letters, digits, '.', '_', '+' and '-', starting with a letter or digit"
        )))
    }
}

/// The folder of release `version`.
pub fn release_dir(ws: &Workspace, version: &str) -> PathBuf {
    ws.path(&ws.policy.paths.release_evidence).join(version)
}

/// Assemble, decide and record release `req.version`.
pub fn release(ws: &Workspace, req: &Request) -> Result<Released> {
    check_version(&req.version)?;
    if let Some(broken) = Ledger::existing(ws)?
        .map(|l| crate::trust::chain_break(ws, &l))
        .transpose()?
        .flatten()
    {
        return Err(Error::refused(
            crate::record::ledger::dir(ws),
            format!(
                "the ledger does not verify ({}: {}); nothing is released onto a broken chain (run `tollgate ledger verify`)",
                broken.subject, broken.message
            ),
        ));
    }
    let dest = release_dir(ws, &req.version);
    if dest.exists() {
        return finish_interrupted(ws, &req.version, &dest);
    }
    let parent = dest.parent().unwrap_or(&ws.root).to_path_buf();
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let staging = atomic::staging_path(&dest);
    std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
    let result = assemble(ws, req, &staging);
    let (decision, manifest, gate_values) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if let Err(e) = atomic::publish_dir(&staging, &dest) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let entry = record(ws, &req.version, &decision, &manifest, &dest, gate_values)?;
    crate::trust::auto(ws).map_err(|e| {
        Error::Usage(format!(
            "release {} was written and recorded (ledger entry {}), but the automatic checkpoint (ledger.auto_checkpoint) failed: {e}",
            req.version, entry.seq
        ))
    })?;
    Ok(Released {
        dir: dest,
        decision,
        manifest,
        ledger_seq: entry.seq,
    })
}

/// Append the release to the ledger: every file with its hash.
fn record(
    ws: &Workspace,
    version: &str,
    decision: &Decision,
    manifest: &Manifest,
    dir: &Path,
    gate_values: Value,
) -> Result<crate::record::ledger::Entry> {
    let files = manifest
        .files
        .iter()
        .map(|f| FileRef::of(&ws.root, &dir.join(&f.path)))
        .chain(std::iter::once(FileRef::of(&ws.root, &dir.join(MANIFEST))))
        .collect::<Result<Vec<_>>>()?;
    Ledger::open(ws)?.append(
        "release",
        version,
        &serde_json::json!({
            "decision": crate::finding::words::decision::word(decision.decision),
            "blocking": decision.blocking.len(),
            // What a waiver may name (`gate:ID`, `finding:CHECK:SUBJECT`).
            "blocked_by": decision.blocking.iter().map(crate::approval::waiver::target_of).collect::<Vec<_>>(),
            "files": files,
            crate::gates::baseline::VALUES_KEY: gate_values,
        }),
    )
}

/// An existing release folder: refused, unless `release` was interrupted
/// after the folder was published and before the ledger entry, in which
/// case the intact folder is recorded now.
fn finish_interrupted(ws: &Workspace, version: &str, dest: &Path) -> Result<Released> {
    let refused = |why: &str| {
        Err(Error::refused(
            dest,
            format!("this release {why}; a release is never replaced, so release a new version"),
        ))
    };
    let recorded = Ledger::existing(ws)?
        .map(|l| l.entries())
        .transpose()?
        .is_some_and(|es| {
            es.iter()
                .any(|e| e.kind == "release" && e.subject == version)
        });
    if recorded {
        return refused("is already recorded");
    }
    let st = status::status(ws, version)?;
    let intact = st
        .findings
        .iter()
        .all(|f| f.severity != Severity::Block || f.message.contains("ledger"));
    if !intact {
        return refused("folder exists without a ledger entry and does not verify");
    }
    let manifest = read_manifest(dest)?;
    let gates = crate::read::json::load(&dest.join("gates.json")).unwrap_or(Value::Null);
    let gate_values: serde_json::Map<String, Value> = gates["gates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| {
            Some((
                g["id"].as_str()?.to_string(),
                g.get("value").filter(|v| v.is_number())?.clone(),
            ))
        })
        .collect();
    let gate_values = Value::Object(gate_values);
    let entry = record(ws, version, &st.decision, &manifest, dest, gate_values)?;
    Ok(Released {
        dir: dest.to_path_buf(),
        decision: st.decision,
        manifest,
        ledger_seq: entry.seq,
    })
}

fn write_json(dir: &Path, name: &str, v: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(|e| Error::Usage(e.to_string()))?;
    atomic::write_file(&dir.join(name), text.as_bytes())
}

fn copy(from: &Path, dir: &Path, name: &str) -> Result<()> {
    std::fs::copy(from, dir.join(name)).map_err(|e| Error::io(from, e))?;
    Ok(())
}

fn finding(
    check: &str,
    severity: Severity,
    subject: &str,
    message: String,
    loc: Location,
) -> Finding {
    Finding::new(check, severity, subject, message, loc)
}

/// Write every evidence file into `staging`; return the decision, the
/// `record` with `key` set to the registry digest of a bundle verified in a
/// registry; local bundles' records are as they always were.
fn with_digest(mut record: Value, key: &str, digest: &Option<String>) -> Value {
    if let (Some(d), Some(o)) = (digest, record.as_object_mut()) {
        o.insert(key.into(), Value::String(d.clone()));
    }
    record
}

/// manifest and the gate values (for baselines).
fn assemble(ws: &Workspace, req: &Request, staging: &Path) -> Result<(Decision, Manifest, Value)> {
    let mut findings: Vec<Finding> = Vec::new();
    let mut inputs = serde_json::Map::new();
    inputs.insert("Policy".into(), vsa::policy_input(ws)?);

    // The readiness facts: the latest run, the gates (judged against the
    // baseline), the bundle and the docs, assessed once.
    let a = crate::readiness::assess(
        ws,
        &crate::readiness::Request {
            scope: crate::readiness::Scope::Release,
            bundle: req.bundle.as_deref(),
            registry: req.registry,
            version: Some(&req.version),
        },
    )?;
    if let Some(RunFacts::Read { path, head }) = &a.latest_run {
        copy(path, staging, "VerificationSummary.json")?;
        inputs.insert(
            "VerificationSummary".into(),
            serde_json::json!({
                "Path": ws.rel(path), "Timestamp": head.timestamp,
                "Status": crate::finding::words::run_status::word(head.status),
            }),
        );
    }
    let gate_findings = crate::gates::findings(&a.gates.results);
    let gate_values = crate::gates::baseline::values(&a.gates.results);
    write_json(
        staging,
        "gates.json",
        &serde_json::json!({
            "verdict": Verdict::of(&gate_findings), "gates": a.gates.results,
            "findings": gate_findings, "baseline": a.gates.baseline,
        }),
    )?;
    inputs.insert("Baseline".into(), serde_json::json!(a.gates.baseline));
    if let BundleFacts::Verified(report) = &a.bundle {
        write_json(
            staging,
            "bundle-verification.json",
            &with_digest(
                serde_json::json!({
                    "bundle": report.name, "path": ws.rel(&report.path), "verdict": report.verdict(),
                    "areas": report.areas.iter().map(|a| serde_json::json!({
                        "area": a.area, "verdict": a.verdict_or_derived(), "readme_path": a.readme_path,
                        "readme_hash": a.readme_hash, "requirements": a.requirement_state, "findings": a.findings,
                    })).collect::<Vec<_>>(),
                    "findings": report.findings,
                }),
                "digest",
                &report.registry_digest,
            ),
        )?;
        inputs.insert(
            "Bundle".into(),
            with_digest(
                serde_json::json!({ "Name": report.name, "Path": ws.rel(&report.path) }),
                "Digest",
                &report.registry_digest,
            ),
        );
    }
    if let DocsFacts::Checked(docs) = &a.docs {
        write_json(
            staging,
            "docs-findings.json",
            &serde_json::json!({
                "verdict": Verdict::of(&docs.findings), "counts": Counts::of(&docs.findings), "report": docs,
            }),
        )?;
    }
    findings.extend(a.findings);

    // The shared-cache summary, where the policy names its folder.
    if let Some(sc) = &ws.policy.paths.shared_cache {
        let sc_dir = ws.path(sc);
        let newest = crate::select::newest_first(crate::select::matching(&sc_dir, "*summary.json"));
        match newest.first() {
            Some(p) => {
                copy(p, staging, "SharedCacheSummary.json")?;
                inputs.insert("SharedCacheSummary".into(), Value::String(ws.rel(p)));
            }
            None => findings.push(finding(
                "release.shared-cache",
                Severity::Warn,
                "shared-cache",
                "no shared-cache summary (*summary.json) to include".into(),
                Location::file(ws.rel(&sc_dir)),
            )),
        }
    }

    // The risk linkage of the release-candidate summary. Without a summary,
    // the file still records that the release cites no risk.
    let register = ws
        .policy
        .docs
        .as_ref()
        .and_then(|d| d.risk_register.clone());
    let risk = match (&req.rc_summary, register) {
        (Some(p), _) => {
            copy(p, staging, "ReleaseCandidateSummary.md")?;
            inputs.insert("ReleaseCandidateSummary".into(), Value::String(ws.rel(p)));
            Some(crate::governance::risk_check(ws, p)?)
        }
        (None, Some(register)) => Some(crate::governance::RiskReport {
            summary: String::new(),
            register,
            citations: Vec::new(),
            findings: vec![finding(
                "release.risk-linkage",
                Severity::Block,
                &req.version,
                "no release-candidate summary (--rc-summary), so the release cites no risk-register entries".into(),
                Location::default(),
            )],
        }),
        (None, None) => None,
    };
    if let Some(risk) = risk {
        write_json(
            staging,
            "risk-linkage.json",
            &serde_json::json!({ "verdict": Verdict::of(&risk.findings), "report": risk }),
        )?;
        findings.extend(risk.findings);
    }

    let (blocking, rest): (Vec<Finding>, Vec<Finding>) = findings
        .iter()
        .cloned()
        .partition(|f| f.severity == Severity::Block);
    let decision = Decision {
        version: req.version.clone(),
        decision: Verdict::of(&blocking),
        decided_at_utc: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tool_version: crate::VERSION.into(),
        counts: Counts::of(&findings),
        blocking,
        warnings: rest
            .into_iter()
            .filter(|f| f.severity == Severity::Warn)
            .collect(),
        inputs: Value::Object(inputs),
    };
    write_json(staging, DECISION, &decision)?;
    let manifest = Manifest {
        version: req.version.clone(),
        created_at_utc: decision.decided_at_utc.clone(),
        files: hash_folder(staging)?,
    };
    write_json(staging, MANIFEST, &manifest)?;
    Ok((decision, manifest, gate_values))
}

/// Every file in a release folder but the manifest and signature envelopes,
/// hashed, sorted by path.
pub fn hash_folder(dir: &Path) -> Result<Vec<ManifestFile>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !is_unhashed(p))
        .collect();
    paths.sort();
    let hashes = crate::evidence::hash::sha256_files(&paths);
    paths
        .iter()
        .zip(hashes)
        .map(|(p, h)| {
            let (sha256, bytes) = h.map_err(|e| Error::io(p, e))?;
            Ok(ManifestFile {
                path: p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                sha256: sha256.to_ascii_lowercase(),
                bytes,
            })
        })
        .collect()
}

/// The manifest itself and signature envelopes are not listed in the manifest.
/// What a release folder holds that a release never does, each with why:
/// subfolders (and everything in them), symlinks, and anything that is not
/// a regular file. Nothing is followed or opened.
pub fn strangers(dir: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let rel = format!("{prefix}{}", e.file_name().to_string_lossy());
            let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            let t = meta.file_type();
            if t.is_symlink() {
                let to = std::fs::read_link(e.path())
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                out.push((
                    rel,
                    format!("is a symlink (to {to}); release files are regular files"),
                ));
            } else if t.is_dir() {
                let before = out.len();
                walk(&e.path(), &format!("{rel}/"), out);
                if out.len() == before {
                    out.push((
                        rel,
                        "is a folder; a release folder holds no subfolders".into(),
                    ));
                }
            } else if !t.is_file() {
                out.push((
                    rel,
                    format!("is {}, not a regular file", crate::read::file::kind(&t)),
                ));
            } else if !prefix.is_empty() {
                out.push((
                    rel,
                    "is not listed in manifest.json (it is in a subfolder)".into(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}

fn is_unhashed(p: &Path) -> bool {
    let name = p.file_name().unwrap_or_default().to_string_lossy();
    name == MANIFEST || name.ends_with(crate::read::manifest::ENVELOPE_SUFFIX)
}
