//! `tollgate verify` (SPEC §4): run the policy's steps, then the gates, the
//! newest bundle's verification and the docs check; write the timestamped
//! `VerificationSummary-<stamp>.json`, append it to the ledger, and replace
//! `VerificationSummary-latest.json` atomically.

pub mod lock;
pub mod steps;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::finding::Counts;
use crate::finding::{Finding, Location, Severity, Verdict};
use crate::gates::{self, GateResult};
use crate::policy::gate::GateSeverity;
use crate::policy::Workspace;
use crate::readiness::{self, Assessment, BundleFacts, DocsFacts};
use crate::record::atomic;
use crate::record::ledger::{FileRef, Ledger};

pub use crate::read::run_summary::SUMMARY_PREFIX;

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
    pub verdict: Verdict,
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
    #[serde(with = "crate::finding::words::run_status")]
    pub status: Verdict,
    pub scheduled: bool,
    pub transcript_path: String,
    pub summary_path: String,
    pub parameters: Value,
    /// The record the gates were judged against (the newest shippable release).
    pub baseline: Option<crate::gates::baseline::Used>,
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
    AlreadyRunning {
        lock: PathBuf,
        holder: String,
    },
    /// A scheduled run found the lock held longer than `verify.max_duration`:
    /// its holder is hung, and verification is silenced until it is stopped.
    Stuck {
        lock: PathBuf,
        holder: String,
        max_duration: String,
    },
}

/// Run the verification. With `scheduled`, a run already in progress is not
/// an error: this one does nothing and says so, unless the lock has been held
/// longer than `verify.max_duration` ([`Started::Stuck`]).
pub fn run(ws: &Workspace, scheduled: bool) -> Result<Started> {
    let deadline = Instant::now() + ws.policy.verify.max_duration();
    let lock_path = lock::path(&crate::record::ledger::dir(ws));
    let guard = match lock::try_take(&lock_path)? {
        lock::Attempt::Taken(guard) => guard,
        lock::Attempt::Held(holder) => return held(ws, scheduled, lock_path, holder),
    };
    let now = chrono::Utc::now();
    let dir = ws.path(&ws.policy.paths.verification);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let stamp = unique_stamp(&dir, &now.format("%Y%m%d-%H%M%S").to_string());
    let summary_path = dir.join(format!("{SUMMARY_PREFIX}-{stamp}.json"));
    let transcript_path = dir.join(format!("VerificationTranscript-{stamp}.log"));

    let mut findings = Vec::new();
    if let Some(gone) = &guard.took_over {
        findings.push(Finding::new(
            "verify.lock",
            Severity::Info,
            "lock",
            format!("took over the lock left by {gone}: its holder ended without releasing it"),
            Location::file(ws.rel(&lock_path)),
        ));
    }
    findings.extend(remove_orphan_transcripts(ws, &dir));
    let mut counts = Assertions::default();
    let step_results = run_steps(ws, &transcript_path, deadline, &mut findings, &mut counts)?;
    let a = readiness::assess(
        ws,
        &readiness::Request {
            scope: readiness::Scope::Run,
            bundle: None,
            registry: Default::default(),
            version: None,
        },
    )?;
    tally(&a, &mut counts);
    findings.extend(a.findings);
    let bundle = bundle_check(ws, &a.bundle);
    let docs = docs_check(&a.docs);
    if ws.policy.verify.require_zero_skipped && counts.skipped > 0 {
        findings.push(Finding::new(
            "verify.skipped",
            Severity::Block,
            "assertions",
            format!(
                "{} assertion(s) were skipped and the policy requires zero (verify.require_zero_skipped)",
                counts.skipped
            ),
            Location::file(ws.rel(ws.policy_path.as_deref().unwrap_or(Path::new(crate::policy::POLICY_FILE))))
                .at_key("verify.require_zero_skipped"),
        ));
    }
    if counts.passed + counts.failed == 0 {
        findings.push(Finding::new(
            "verify.nothing-checked",
            Severity::Block,
            "assertions",
            format!(
                "the run checked nothing: no step, gate, bundle or docs check gave a result ({} skipped); a run that asserts nothing never passes",
                counts.skipped
            ),
            Location::file(ws.rel(ws.policy_path.as_deref().unwrap_or(Path::new(crate::policy::POLICY_FILE)))),
        ));
    }
    let status = Verdict::of(&findings);
    let summary = Summary {
        tool: "tollgate".into(),
        tool_version: crate::VERSION.into(),
        generated_at_utc: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        timestamp: stamp.clone(),
        status,
        scheduled,
        transcript_path: ws.rel(&transcript_path),
        summary_path: ws.rel(&summary_path),
        parameters: serde_json::json!({
            "Workspace": ws.root.display().to_string(),
            "Policy": ws.policy_path.as_ref().map(|p| p.display().to_string()),
            "Profile": ws.policy.profile,
            "Scheduled": scheduled,
            "RequireZeroSkipped": ws.policy.verify.require_zero_skipped,
            "Host": gethostname::gethostname().to_string_lossy(),
        }),
        baseline: a.gates.baseline,
        steps: step_results,
        gates: a.gates.results,
        bundle,
        docs,
        assertions: counts,
        findings,
    };
    let text = serde_json::to_string_pretty(&summary).map_err(|e| Error::Usage(e.to_string()))?;
    atomic::write_file(&summary_path, text.as_bytes())?;
    crate::fault::point("verify.before-ledger");
    let mut ledger = Ledger::open(ws)?;
    let entry = ledger.append(
        "verify",
        &stamp,
        &serde_json::json!({
            "status": crate::finding::words::run_status::word(status),
            "assertions": counts,
            "files": [FileRef::of(&ws.root, &summary_path)?, FileRef::of(&ws.root, &transcript_path)?],
            crate::gates::baseline::VALUES_KEY: crate::gates::baseline::values(&summary.gates),
        }),
    )?;
    let latest_path = crate::read::run_summary::latest_path(&dir);
    atomic::write_file(&latest_path, text.as_bytes())?;
    crate::trust::auto(ws).map_err(|e| {
        Error::Usage(format!(
            "verification {stamp} was written and recorded (ledger entry {}), but the automatic checkpoint (ledger.auto_checkpoint) failed: {e}",
            entry.seq
        ))
    })?;
    Ok(Started::Ran(Box::new(Run {
        summary,
        summary_path,
        latest_path,
        transcript_path,
        ledger_seq: entry.seq,
    })))
}

/// What a run does when another process holds the lock: a scheduled run
/// skips (or reports the holder stuck), a manual one is refused.
fn held(
    ws: &Workspace,
    scheduled: bool,
    lock: PathBuf,
    holder: Option<lock::Holder>,
) -> Result<Started> {
    let max = &ws.policy.verify.max_duration;
    let stuck = holder
        .as_ref()
        .is_some_and(|h| h.age() > ws.policy.verify.max_duration());
    let holder = holder.map_or_else(|| "holder not recorded".to_string(), |h| h.to_string());
    match (scheduled, stuck) {
        (true, true) => Ok(Started::Stuck {
            lock,
            holder,
            max_duration: max.clone(),
        }),
        (true, false) => Ok(Started::AlreadyRunning { lock, holder }),
        (false, true) => Err(Error::refused(
            &lock,
            format!("the verification lock has been held longer than verify.max_duration ({max}) by {holder}: that run looks hung; stop it"),
        )),
        (false, false) => Err(Error::refused(
            &lock,
            format!("another verification is running ({holder}); try again when it ends"),
        )),
    }
}

/// Stop this process with exit 1 if the run outlives `verify.max_duration`
/// (plus a minute's grace for writing the summary): steps are killed at the
/// deadline already, so this fires only when tollgate itself is stuck, and
/// the lock is released with the process.
pub fn watchdog(ws: &Workspace) {
    let max = ws.policy.verify.max_duration();
    let name = ws.policy.verify.max_duration.clone();
    std::thread::spawn(move || {
        std::thread::sleep(max + Duration::from_secs(60));
        eprintln!("tollgate verify: the run took longer than verify.max_duration ({name}) and was stopped");
        std::process::exit(1);
    });
}

/// The header line tollgate writes first in a transcript.
const TRANSCRIPT_HEADER: &str = "verification transcript, ";

/// Remove the transcripts of runs killed before their ledger entry: those
/// in `dir` tollgate wrote (by their header) that no `verify` entry records.
/// Only under the lock, so no run is writing one. Without a readable ledger
/// nothing is removed.
fn remove_orphan_transcripts(ws: &Workspace, dir: &Path) -> Vec<Finding> {
    let Ok(Some(ledger)) = Ledger::existing(ws) else {
        return Vec::new();
    };
    let Ok(entries) = ledger.entries() else {
        return Vec::new();
    };
    let recorded = crate::record::ledger::recorded_run_files(&entries);
    crate::select::glob_files(&dir.join("VerificationTranscript-*.log"))
        .into_iter()
        .filter(|f| !recorded.contains(&ws.rel(f)))
        .filter(|f| {
            crate::read::file::open(f).is_ok_and(|h| {
                let mut first = String::new();
                std::io::BufRead::read_line(
                    &mut std::io::BufReader::new(std::io::Read::take(h, 200)),
                    &mut first,
                )
                .is_ok()
                    && first.starts_with("tollgate ")
                    && first.contains(TRANSCRIPT_HEADER)
            })
        })
        .filter(|f| std::fs::remove_file(f).is_ok())
        .map(|f| {
            Finding::new(
                "verify.orphan-transcript",
                Severity::Info,
                ws.rel(&f),
                "removed the transcript of a run that ended before its ledger entry",
                Location::file(ws.rel(&f)),
            )
        })
        .collect()
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

fn run_steps(
    ws: &Workspace,
    transcript_path: &Path,
    deadline: Instant,
    findings: &mut Vec<Finding>,
    counts: &mut Assertions,
) -> Result<Vec<steps::StepResult>> {
    let staging = atomic::staging_path(transcript_path);
    let mut transcript = File::create(&staging).map_err(|e| Error::io(&staging, e))?;
    let _ = writeln!(
        transcript,
        "tollgate {} {TRANSCRIPT_HEADER}{}",
        crate::VERSION,
        chrono::Utc::now().to_rfc3339()
    );
    let mut results = Vec::new();
    for step in &ws.policy.verify.steps {
        let r = steps::run(step, &ws.root, &mut transcript, deadline);
        if let Some(err) = &r.error {
            counts.failed += 1;
            findings.push(
                Finding::new(
                    "verify.step",
                    Severity::Block,
                    &step.name,
                    format!("step '{}' {err}; see the transcript", step.name),
                    Location::file(ws.rel(transcript_path)),
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

/// Each step, each non-`track` gate (InsufficientData is skipped), the
/// bundle (skipped when there is none) and the docs check is an assertion.
fn tally(a: &Assessment, counts: &mut Assertions) {
    for g in a
        .gates
        .results
        .iter()
        .filter(|g| g.severity != GateSeverity::Track)
    {
        match g.status {
            gates::Status::Pass => counts.passed += 1,
            gates::Status::Fail => counts.failed += 1,
            gates::Status::InsufficientData => counts.skipped += 1,
        }
    }
    let mut judge = |v: Verdict| match v {
        Verdict::Block => counts.failed += 1,
        _ => counts.passed += 1,
    };
    match &a.bundle {
        BundleFacts::Verified(r) => judge(r.verdict()),
        BundleFacts::Unverifiable { .. } => judge(Verdict::Block),
        BundleFacts::Absent | BundleFacts::Unlisted(_) => counts.skipped += 1,
    }
    match &a.docs {
        DocsFacts::Checked(r) => judge(Verdict::of(&r.findings)),
        DocsFacts::Failed(_) => judge(Verdict::Block),
        DocsFacts::NotConfigured => {}
    }
}

fn bundle_check(ws: &Workspace, bundle: &BundleFacts) -> Option<BundleCheck> {
    let BundleFacts::Verified(report) = bundle else {
        return None;
    };
    Some(BundleCheck {
        name: report.name.clone(),
        path: ws.rel(&report.path),
        verdict: report.verdict(),
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

fn docs_check(docs: &DocsFacts) -> Option<DocsCheck> {
    let DocsFacts::Checked(r) = docs else {
        return None;
    };
    Some(DocsCheck {
        verdict: Verdict::of(&r.findings),
        counts: Counts::of(&r.findings),
    })
}
