//! `tollgate verify` (SPEC §4): run the policy's steps, then the gates, the
//! newest bundle's verification and the docs check; write the timestamped
//! `VerificationSummary-<stamp>.json`, append it to the ledger, and replace
//! `VerificationSummary-latest.json` atomically.

pub mod steps;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity, Verdict};
use crate::gates::{self, GateResult};
use crate::policy::gate::GateSeverity;
use crate::policy::Workspace;
use crate::record::atomic;
use crate::record::ledger::{FileRef, Ledger};
use crate::report::Counts;

/// The summary file-name prefix; `<prefix>-latest.json` is the newest copy.
pub const SUMMARY_PREFIX: &str = "VerificationSummary";

/// Assertion counts of a run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Assertions {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// The verification of the newest bundle, as the summary records it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BundleCheck {
    pub name: String,
    pub path: String,
    pub verdict: Verdict,
    pub areas: Vec<AreaCheck>,
}

/// One area's verdict and README hash.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AreaCheck {
    pub area: String,
    pub verdict: String,
    pub readme_hash: String,
}

/// The docs check, as the summary records it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DocsCheck {
    pub verdict: Verdict,
    pub counts: Counts,
}

/// `VerificationSummary-<stamp>.json`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Summary {
    pub tool: String,
    pub tool_version: String,
    /// ISO-8601 UTC.
    pub generated_at_utc: String,
    /// `yyyyMMdd-HHmmss` (UTC), as in the file name.
    pub timestamp: String,
    /// `Pass`, `Warn` or `Fail`.
    pub status: String,
    pub scheduled: bool,
    pub transcript_path: String,
    pub summary_path: String,
    pub parameters: Value,
    pub steps: Vec<steps::StepResult>,
    pub gates: Vec<GateResult>,
    pub bundle: Option<BundleCheck>,
    pub docs: Option<DocsCheck>,
    pub assertions: Assertions,
    pub findings: Vec<Finding>,
}

/// What a finished run wrote.
#[derive(Debug)]
pub struct Run {
    pub summary: Summary,
    pub summary_path: PathBuf,
    pub latest_path: PathBuf,
    pub transcript_path: PathBuf,
    pub ledger_seq: i64,
}

/// A run, or the note that another one holds the lock.
#[derive(Debug)]
pub enum Started {
    Ran(Box<Run>),
    AlreadyRunning { lock: PathBuf, holder: String },
}

/// Run the verification. With `scheduled`, a run already in progress is not
/// an error: this one does nothing and says so.
pub fn run(ws: &Workspace, scheduled: bool) -> Result<Started> {
    let lock_path = crate::record::ledger::dir(ws).join("verify.lock");
    let Some(_lock) = lock(&lock_path)? else {
        let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
        if scheduled {
            return Ok(Started::AlreadyRunning {
                lock: lock_path,
                holder: holder.trim().to_string(),
            });
        }
        return Err(Error::refused(
            &lock_path,
            format!(
                "another verification is running ({}); try again when it ends",
                holder.trim()
            ),
        ));
    };
    let now = chrono::Utc::now();
    let dir = ws.path(&ws.policy.paths.verification);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let stamp = unique_stamp(&dir, &now.format("%Y%m%d-%H%M%S").to_string());
    let summary_path = dir.join(format!("{SUMMARY_PREFIX}-{stamp}.json"));
    let transcript_path = dir.join(format!("VerificationTranscript-{stamp}.log"));

    let mut findings = Vec::new();
    let mut counts = Assertions::default();
    let step_results = run_steps(ws, &transcript_path, &mut findings, &mut counts)?;
    let gate_results = gates::run_for_verification(ws);
    tally_gates(&gate_results, &mut counts);
    findings.extend(gates::findings(&gate_results));
    let bundle = check_bundle(ws, &mut findings, &mut counts);
    let docs = check_docs(ws, &mut findings, &mut counts);
    if ws.policy.verify.require_zero_skipped && counts.skipped > 0 {
        findings.push(Finding::new(
            "verify.skipped",
            Severity::Block,
            "assertions",
            format!(
                "{} assertion(s) were skipped and the policy requires zero (verify.require_zero_skipped)",
                counts.skipped
            ),
            Location::file(rel(ws, ws.policy_path.as_deref().unwrap_or(Path::new(crate::policy::POLICY_FILE))))
                .at_key("verify.require_zero_skipped"),
        ));
    }
    let status = match Verdict::of(&findings) {
        Verdict::Block => "Fail",
        Verdict::Warn => "Warn",
        Verdict::Pass => "Pass",
    };
    let summary = Summary {
        tool: "tollgate".into(),
        tool_version: crate::VERSION.into(),
        generated_at_utc: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        timestamp: stamp.clone(),
        status: status.into(),
        scheduled,
        transcript_path: rel(ws, &transcript_path),
        summary_path: rel(ws, &summary_path),
        parameters: serde_json::json!({
            "Workspace": ws.root.display().to_string(),
            "Policy": ws.policy_path.as_ref().map(|p| p.display().to_string()),
            "Profile": ws.policy.profile,
            "Scheduled": scheduled,
            "RequireZeroSkipped": ws.policy.verify.require_zero_skipped,
            "Host": gethostname::gethostname().to_string_lossy(),
        }),
        steps: step_results,
        gates: gate_results,
        bundle,
        docs,
        assertions: counts,
        findings,
    };
    let text = serde_json::to_string_pretty(&summary).map_err(|e| Error::Usage(e.to_string()))?;
    atomic::write_file(&summary_path, text.as_bytes())?;
    let mut ledger = Ledger::open(ws)?;
    let entry = ledger.append(
        "verify",
        &stamp,
        &serde_json::json!({
            "status": status,
            "assertions": counts,
            "files": [FileRef::of(&ws.root, &summary_path)?, FileRef::of(&ws.root, &transcript_path)?],
            crate::gates::baseline::VALUES_KEY: crate::gates::baseline::values(&summary.gates),
        }),
    )?;
    let latest_path = dir.join(format!("{SUMMARY_PREFIX}-latest.json"));
    atomic::write_file(&latest_path, text.as_bytes())?;
    Ok(Started::Ran(Box::new(Run {
        summary,
        summary_path,
        latest_path,
        transcript_path,
        ledger_seq: entry.seq,
    })))
}

/// Take the lock at `path`, or `None` when another process holds it. The
/// operating system drops the lock when the holder exits, even when killed.
fn lock(path: &Path) -> Result<Option<File>> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    match f.try_lock() {
        Ok(()) => {
            let holder = format!(
                "pid {} since {}",
                std::process::id(),
                chrono::Utc::now().to_rfc3339()
            );
            let _ = f.set_len(0).and_then(|_| f.write_all(holder.as_bytes()));
            Ok(Some(f))
        }
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(path, e)),
    }
}

/// `stamp`, or `stamp-1`, `stamp-2`... when a run in the same second took it.
fn unique_stamp(dir: &Path, stamp: &str) -> String {
    (0..)
        .map(|n| {
            if n == 0 {
                stamp.to_string()
            } else {
                format!("{stamp}-{n}")
            }
        })
        .find(|s| !dir.join(format!("{SUMMARY_PREFIX}-{s}.json")).exists())
        .unwrap_or_else(|| stamp.to_string())
}

/// A path relative to the workspace root, with `/`.
pub fn rel(ws: &Workspace, p: &Path) -> String {
    p.strip_prefix(&ws.root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn run_steps(
    ws: &Workspace,
    transcript_path: &Path,
    findings: &mut Vec<Finding>,
    counts: &mut Assertions,
) -> Result<Vec<steps::StepResult>> {
    let staging = atomic::staging_path(transcript_path);
    let mut transcript = File::create(&staging).map_err(|e| Error::io(&staging, e))?;
    let _ = writeln!(
        transcript,
        "tollgate {} verification transcript, {}",
        crate::VERSION,
        chrono::Utc::now().to_rfc3339()
    );
    let mut results = Vec::new();
    for step in &ws.policy.verify.steps {
        let r = steps::run(step, &ws.root, &mut transcript);
        if let Some(err) = &r.error {
            counts.failed += 1;
            findings.push(
                Finding::new(
                    "verify.step",
                    Severity::Block,
                    &step.name,
                    format!("step '{}' {err}; see the transcript", step.name),
                    Location::file(rel(ws, transcript_path)),
                )
                .with_evidence(
                    serde_json::json!({ "exit_code": r.exit_code, "command": step.run }),
                ),
            );
        } else {
            counts.passed += 1;
        }
        results.push(r);
    }
    transcript.sync_all().map_err(|e| Error::io(&staging, e))?;
    drop(transcript);
    std::fs::rename(&staging, transcript_path).map_err(|e| Error::io(transcript_path, e))?;
    Ok(results)
}

/// Gates count as assertions except `track` ones; InsufficientData is skipped.
fn tally_gates(results: &[GateResult], counts: &mut Assertions) {
    for g in results.iter().filter(|g| g.severity != GateSeverity::Track) {
        match g.status {
            gates::Status::Pass => counts.passed += 1,
            gates::Status::Fail => counts.failed += 1,
            gates::Status::InsufficientData => counts.skipped += 1,
        }
    }
}

fn check_bundle(
    ws: &Workspace,
    findings: &mut Vec<Finding>,
    counts: &mut Assertions,
) -> Option<BundleCheck> {
    let skipped = |findings: &mut Vec<Finding>, counts: &mut Assertions, msg: String| {
        counts.skipped += 1;
        findings.push(Finding::new(
            "verify.bundle",
            Severity::Warn,
            "bundle",
            msg,
            Location::file(ws.policy.paths.bundles.clone()),
        ));
    };
    let newest = match crate::evidence::catalog::list_bundles(&ws.bundles_dir()) {
        Ok(list) => list.into_iter().last(),
        Err(e) => {
            skipped(
                findings,
                counts,
                format!("bundles could not be listed: {e}"),
            );
            return None;
        }
    };
    let Some(newest) = newest else {
        skipped(findings, counts, "no evidence bundle to verify".into());
        return None;
    };
    match crate::signing::verify_bundle(ws, Path::new(&newest.path), &[]) {
        Ok(report) => {
            let verdict = report.verdict();
            if verdict == Verdict::Block {
                counts.failed += 1;
            } else {
                counts.passed += 1;
            }
            findings.extend(report.all_findings().into_iter().cloned());
            Some(BundleCheck {
                name: report.name.clone(),
                path: rel(ws, &report.path),
                verdict,
                areas: report
                    .areas
                    .iter()
                    .map(|a| AreaCheck {
                        area: a.area.clone(),
                        verdict: a.verdict_or_derived(),
                        readme_hash: a.readme_hash.clone(),
                    })
                    .collect(),
            })
        }
        Err(e) => {
            counts.failed += 1;
            findings.push(Finding::new(
                "verify.bundle",
                Severity::Block,
                &newest.name,
                format!("the bundle could not be verified: {e}"),
                Location::file(newest.path.clone()),
            ));
            None
        }
    }
}

fn check_docs(
    ws: &Workspace,
    findings: &mut Vec<Finding>,
    counts: &mut Assertions,
) -> Option<DocsCheck> {
    // No [docs] section: nothing to assert, so nothing skipped.
    ws.policy.docs.as_ref()?;
    match crate::governance::check(ws) {
        Ok(r) => {
            let verdict = Verdict::of(&r.findings);
            if verdict == Verdict::Block {
                counts.failed += 1;
            } else {
                counts.passed += 1;
            }
            let check = DocsCheck {
                verdict,
                counts: Counts::of(&r.findings),
            };
            findings.extend(r.findings);
            Some(check)
        }
        Err(e) => {
            counts.failed += 1;
            findings.push(Finding::new(
                "verify.docs",
                Severity::Block,
                "docs",
                format!("the docs check could not run: {e}"),
                Location::default(),
            ));
            None
        }
    }
}
