//! The `--json` shape of every command (README "Usage"), as typed structs,
//! and each command's verdict, from which its exit code follows. The binary
//! builds one of these from a library result and prints it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dashboard::Dashboard;
use crate::evidence::publish::PublishReport;
use crate::finding::{Counts, Finding, Verdict};
use crate::gates::baseline::Used;
use crate::gates::GateResult;
use crate::governance::doc_sync::DocSyncChecklist;
use crate::governance::{ChecklistReport, DocsReport, RiskReport};
use crate::read::manifest::Manifest as BundleManifest;
use crate::read::summary::AreaSummary;
use crate::read::telemetry::FileScan;
use crate::release::status::{Approval, Status};
use crate::release::{Decision, Manifest, Released};
use crate::verification::Run;

fn shown(p: &Path) -> String {
    p.display().to_string()
}

/// The exit code of a command whose verdict is `v` (SPEC §8): 0 pass or
/// warn, 1 a blocking finding. (Usage and input errors exit 2 before any
/// verdict.)
pub fn exit_code(v: Verdict) -> u8 {
    v.exit_code() as u8
}

/// Any error: `{error}`.
#[derive(Debug, Serialize)]
pub struct ErrorOut {
    pub error: String,
}

/// `docs check`.
#[derive(Debug, Serialize)]
pub struct DocsCheckOut<'a> {
    pub verdict: Verdict,
    pub counts: Counts,
    pub report: &'a DocsReport,
}

impl<'a> DocsCheckOut<'a> {
    pub fn of(report: &'a DocsReport) -> Self {
        DocsCheckOut {
            verdict: Verdict::of(&report.findings),
            counts: Counts::of(&report.findings),
            report,
        }
    }
}

/// `docs checklist` and `risk check`: `{verdict, report}`.
#[derive(Debug, Serialize)]
pub struct JudgedOut<'a, T: Serialize> {
    pub verdict: Verdict,
    pub report: &'a T,
}

impl<'a> JudgedOut<'a, ChecklistReport> {
    pub fn checklist(report: &'a ChecklistReport) -> Self {
        JudgedOut {
            verdict: Verdict::of(&report.findings),
            report,
        }
    }
}

impl<'a> JudgedOut<'a, RiskReport> {
    pub fn risk(report: &'a RiskReport) -> Self {
        JudgedOut {
            verdict: Verdict::of(&report.findings),
            report,
        }
    }
}

/// `docs task`'s verdict: Block unless the checklist passed.
pub fn task_verdict(c: &DocSyncChecklist) -> Verdict {
    if c.passed {
        Verdict::Pass
    } else {
        Verdict::Block
    }
}

/// `dashboard`.
#[derive(Debug, Serialize)]
pub struct DashboardOut<'a> {
    pub path: String,
    pub dashboard: &'a Dashboard,
}

/// `rollup`.
#[derive(Debug, Serialize)]
pub struct RollupOut<'a> {
    pub out: String,
    pub rows: usize,
    pub files: &'a [FileScan],
    pub verdict: Verdict,
}

impl<'a> RollupOut<'a> {
    pub fn of(out: &Path, rows: usize, files: &'a [FileScan]) -> Self {
        RollupOut {
            out: shown(out),
            rows,
            files,
            verdict: Verdict::of(files.iter().flat_map(|s| s.findings.iter())),
        }
    }
}

/// `gates`.
#[derive(Debug, Serialize)]
pub struct GatesOut<'a> {
    pub verdict: Verdict,
    pub counts: Counts,
    pub gates: &'a [GateResult],
    pub findings: &'a [Finding],
    /// The name of the record the gates were judged against.
    pub baseline: Option<&'a str>,
    /// Where `--record` stored the values.
    pub recorded: Option<String>,
}

impl<'a> GatesOut<'a> {
    pub fn of(
        gates: &'a [GateResult],
        findings: &'a [Finding],
        baseline: Option<&'a Used>,
        recorded: Option<&str>,
    ) -> Self {
        GatesOut {
            verdict: Verdict::of(findings),
            counts: Counts::of(findings),
            gates,
            findings,
            baseline: baseline.map(|b| b.name.as_str()),
            recorded: recorded.map(str::to_string),
        }
    }
}

/// `analyze`: `{result, files}`.
#[derive(Debug, Serialize)]
pub struct AnalyzeOut<'a, T: Serialize> {
    pub result: &'a T,
    pub files: &'a [FileScan],
}

/// `init`.
#[derive(Debug, Serialize)]
pub struct InitOut<'a> {
    pub path: String,
    pub profile: &'a str,
}

/// `bundle show`.
#[derive(Debug, Serialize)]
pub struct ShowOut<'a> {
    pub bundle: &'a str,
    pub summary_path: String,
    pub verdict: Verdict,
    pub areas: &'a [AreaSummary],
}

/// `bundle publish`.
#[derive(Debug, Serialize)]
pub struct PublishOut<'a> {
    pub bundle: &'a str,
    pub area: &'a str,
    pub published: bool,
    pub path: Option<String>,
    pub superseded: Option<String>,
    pub verdict: Verdict,
    pub findings: &'a [Finding],
    pub manifest: &'a BundleManifest,
}

impl<'a> PublishOut<'a> {
    pub fn of(r: &'a PublishReport) -> Self {
        PublishOut {
            bundle: &r.bundle,
            area: &r.area,
            published: r.area_dir.is_some(),
            path: r.area_dir.as_deref().map(shown),
            superseded: r.superseded.as_deref().map(shown),
            verdict: Verdict::of(&r.findings),
            findings: &r.findings,
            manifest: &r.manifest,
        }
    }
}

/// `verify`: a finished run, or the note that another run holds the lock.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum VerifyOut<'a> {
    Ran {
        ran: bool,
        summary_path: String,
        latest_path: String,
        ledger_seq: i64,
        summary: &'a crate::verification::Summary,
    },
    Skipped {
        ran: bool,
        message: String,
    },
}

impl<'a> VerifyOut<'a> {
    pub fn ran(run: &'a Run) -> Self {
        VerifyOut::Ran {
            ran: true,
            summary_path: shown(&run.summary_path),
            latest_path: shown(&run.latest_path),
            ledger_seq: run.ledger_seq,
            summary: &run.summary,
        }
    }
}

/// The note printed when a scheduled run finds another one running.
pub fn already_running(lock: &Path, holder: &str) -> String {
    format!(
        "another verification is running ({}; lock {}); this scheduled run does nothing",
        super::escape(holder),
        lock.display()
    )
}

/// What a scheduled run says when the lock's holder looks hung.
pub fn stuck(lock: &Path, holder: &str, max_duration: &str) -> String {
    format!(
        "the verification lock {} has been held longer than verify.max_duration ({max_duration}) by {}: that run looks hung, and no scheduled verification runs until it is stopped",
        lock.display(),
        super::escape(holder)
    )
}

/// `release status`.
#[derive(Debug, Serialize)]
pub struct StatusOut<'a> {
    pub verifies: bool,
    pub verdict: Verdict,
    pub status: &'a Status,
}

impl<'a> StatusOut<'a> {
    pub fn of(status: &'a Status) -> Self {
        StatusOut {
            verifies: status.verifies(),
            verdict: Verdict::of(&status.findings),
            status,
        }
    }
}

/// `release status`'s verdict: Block when the evidence does not verify or
/// the release may not ship.
pub fn status_verdict(st: &Status) -> Verdict {
    if st.verifies() && st.shippable {
        Verdict::Pass
    } else {
        Verdict::Block
    }
}

/// `release VERSION`.
#[derive(Debug, Serialize)]
pub struct ReleaseOut<'a> {
    pub path: String,
    pub ledger_seq: i64,
    pub decision: &'a Decision,
    pub manifest: &'a Manifest,
}

impl<'a> ReleaseOut<'a> {
    pub fn of(r: &'a Released) -> Self {
        ReleaseOut {
            path: shown(&r.dir),
            ledger_seq: r.ledger_seq,
            decision: &r.decision,
            manifest: &r.manifest,
        }
    }
}

/// `approve`.
#[derive(Debug, Serialize)]
pub struct ApproveOut<'a> {
    pub approval: &'a Approval,
    pub status: &'a Status,
}

/// `waive`.
#[derive(Debug, Serialize)]
pub struct WaiveOut<'a> {
    pub waiver: &'a crate::approval::Waiver,
    pub status: &'a Status,
}

/// `ledger verify`.
#[derive(Debug, Serialize)]
pub struct LedgerVerifyOut<'a> {
    pub entries: usize,
    pub verdict: Verdict,
    pub findings: &'a [Finding],
}

/// What a command wrote: `{"<what>": [paths]}`, e.g. `{"signed": [...]}`.
#[derive(Debug, Serialize)]
pub enum DoneOut {
    #[serde(rename = "signed")]
    Signed(Vec<String>),
    #[serde(rename = "exported")]
    Exported(Vec<String>),
    #[serde(rename = "installed crontab line")]
    InstalledCrontab(Vec<String>),
    #[serde(rename = "installed and enabled")]
    InstalledAndEnabled(Vec<String>),
    #[serde(rename = "wrote")]
    Wrote(Vec<String>),
}

impl DoneOut {
    /// The verb and the paths, for the human line `<verb> <path>`.
    pub fn parts(&self) -> (&'static str, &[String]) {
        match self {
            DoneOut::Signed(p) => ("signed", p),
            DoneOut::Exported(p) => ("exported", p),
            DoneOut::InstalledCrontab(p) => ("installed crontab line", p),
            DoneOut::InstalledAndEnabled(p) => ("installed and enabled", p),
            DoneOut::Wrote(p) => ("wrote", p),
        }
    }

    /// The paths as shown.
    pub fn paths(paths: &[PathBuf]) -> Vec<String> {
        paths.iter().map(|p| shown(p)).collect()
    }
}

/// `schedule print`.
#[derive(Debug, Serialize)]
pub struct SchedulePrintOut<'a> {
    pub cron: &'a str,
    pub crontab: &'a str,
    pub unit: &'a str,
    pub service: Option<&'a str>,
    pub timer: Option<&'a str>,
    pub systemd_error: Option<&'a str>,
}

/// `key gen`.
#[derive(Debug, Serialize)]
pub struct KeyGenOut {
    pub secret_key: String,
    pub public_key: String,
    pub key_id: String,
}

/// One published area of the demo.
#[derive(Debug, Serialize)]
pub struct DemoPublished<'a> {
    pub bundle: &'a str,
    pub area: &'a str,
    pub artifacts: usize,
    pub path: Option<String>,
}

/// The demo's verification run.
#[derive(Debug, Serialize)]
pub struct DemoRun<'a> {
    pub summary_path: String,
    pub summary: &'a crate::verification::Summary,
}

/// The demo's release.
#[derive(Debug, Serialize)]
pub struct DemoRelease<'a> {
    pub path: String,
    pub decision: &'a Decision,
}

/// `demo`.
#[derive(Debug, Serialize)]
pub struct DemoOut<'a> {
    pub profile: &'a str,
    /// The version the demo decides.
    pub version: &'a str,
    pub dir: String,
    pub generated_files: usize,
    pub generated_bytes: u64,
    pub published: Vec<DemoPublished<'a>>,
    pub verification: super::bundle::VerifyJson<'a>,
    pub gates: &'a [GateResult],
    /// The docs check and checklist (absent without governance documents).
    pub docs: Option<&'a DocsReport>,
    pub checklist: Option<&'a ChecklistReport>,
    pub verify: DemoRun<'a>,
    /// The earlier release whose values are the gates' baseline.
    pub previous: Option<DemoRelease<'a>>,
    pub release: DemoRelease<'a>,
    pub approvals: &'a [Approval],
    pub waiver: Option<&'a crate::approval::Waiver>,
    /// Why the forged approval was refused.
    pub forged: &'a str,
    /// The folder of the demo's unencrypted approver keys.
    pub keys: String,
    pub history_runs: usize,
    pub dashboard: String,
}

impl<'a> DemoOut<'a> {
    pub fn of(r: &'a crate::demo::DemoReport) -> Self {
        let release = |r: &'a crate::release::Released| DemoRelease {
            path: shown(&r.dir),
            decision: &r.decision,
        };
        DemoOut {
            profile: r.profile,
            version: &r.version,
            dir: shown(&r.dir),
            generated_files: r.generated_files,
            generated_bytes: r.generated_bytes,
            published: r
                .published
                .iter()
                .map(|p| DemoPublished {
                    bundle: &p.bundle,
                    area: &p.area,
                    artifacts: p.manifest.artifacts.len(),
                    path: p.area_dir.as_deref().map(shown),
                })
                .collect(),
            verification: super::bundle::verify_json(&r.verification, Some(shown(&r.summary_path))),
            gates: &r.gates,
            docs: r.docs.as_ref(),
            checklist: r.checklist.as_ref(),
            verify: DemoRun {
                summary_path: shown(&r.run.summary_path),
                summary: &r.run.summary,
            },
            previous: r.previous.as_ref().map(release),
            release: release(&r.release),
            approvals: &r.approvals,
            waiver: r.waiver.as_ref(),
            forged: &r.forged,
            keys: shown(&r.keys),
            history_runs: r.history_runs,
            dashboard: shown(&r.dashboard),
        }
    }
}
