//! Release readiness (SPEC §4, §5): the one answer to "can we ship?".
//!
//! [`assess`] gathers the facts once: the gates judged against the one
//! baseline, the newest (or a named) bundle's verification, the docs check,
//! the latest verification run and the ledger's records. It derives the
//! findings from them in one place. `verify`, `release`, `dashboard` and
//! `serve` all read an [`Assessment`]; none assembles its own.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::evidence::catalog;
use crate::evidence::verify::BundleReport;
use crate::finding::{Finding, Location, Severity, Verdict};
use crate::gates::{self, baseline, GateResult};
use crate::governance::DocsReport;
use crate::policy::gate::Source;
use crate::policy::Workspace;
use crate::read::run_summary::{self, RunHead, RunStatus};
use crate::record::ledger::{Entry, Ledger};
use crate::record::releases::{self, ReleaseRecord};
use crate::report::Counts;

/// What the assessment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A verification run: it is not judged by the run before it, so gates
    /// reading verification summaries and the latest run are left out, and a
    /// missing bundle is a skipped assertion rather than a blocking one.
    Run,
    /// Whether the workspace can ship now (`release`, `dashboard`, `serve`).
    Release,
}

/// What to assess.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub scope: Scope,
    /// A bundle name or path; the newest bundle when `None`.
    pub bundle: Option<&'a str>,
}

/// The bundle the assessment verified.
#[derive(Debug, Clone)]
pub enum BundleFacts {
    /// There is no bundle.
    Absent,
    /// The bundles could not be listed.
    Unlisted(String),
    Verified(Box<BundleReport>),
    /// The bundle exists but could not be read.
    Unverifiable {
        name: String,
        path: PathBuf,
        error: String,
    },
}

/// The docs check.
#[derive(Debug, Clone)]
pub enum DocsFacts {
    /// The policy has no `[docs]`: nothing to assert.
    NotConfigured,
    Checked(DocsReport),
    Failed(String),
}

/// The latest verification run (`Release` scope only).
#[derive(Debug, Clone)]
pub enum RunFacts {
    Absent { path: PathBuf },
    Read { path: PathBuf, head: RunHead },
    Unreadable { path: PathBuf, error: String },
}

/// Gate results and the baseline they were judged against.
#[derive(Debug, Clone)]
pub struct JudgedGates {
    pub results: Vec<GateResult>,
    pub baseline: Option<baseline::Used>,
}

/// Everything known about the workspace's readiness, and the findings.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub scope: Scope,
    /// ISO-8601 UTC.
    pub assessed_at: String,
    /// Every ledger entry, oldest first.
    pub ledger: Vec<Entry>,
    /// The ledger's records of gate values, oldest first.
    pub history: Vec<baseline::Record>,
    /// The ledger's releases, oldest first.
    pub releases: Vec<ReleaseRecord>,
    pub gates: JudgedGates,
    pub bundle: BundleFacts,
    pub docs: DocsFacts,
    pub latest_run: Option<RunFacts>,
    /// Every finding of the facts above: run, gates, bundle, docs.
    pub findings: Vec<Finding>,
}

impl Assessment {
    /// The verdict of the findings.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(&self.findings)
    }

    /// The findings per severity.
    pub fn counts(&self) -> Counts {
        Counts::of(&self.findings)
    }
}

/// The ledger's entries, none without a ledger.
pub fn ledger_entries(ws: &Workspace) -> Result<Vec<Entry>> {
    Ok(match Ledger::existing(ws)? {
        Some(l) => l.entries()?,
        None => Vec::new(),
    })
}

/// The policy's gates picked by `only`, judged against the baseline named
/// `baseline` or, by default, the newest shippable release. Every command
/// that judges gates calls this.
pub fn judge_gates(
    ws: &Workspace,
    history: &[baseline::Record],
    only: &[String],
    named: Option<&str>,
) -> Result<JudgedGates> {
    let base = baseline::find(history, named);
    if let (Some(name), None) = (named, base) {
        return Err(Error::Usage(format!(
            "--baseline {name}: no such record in {}",
            crate::record::ledger::dir(ws).join("ledger.db").display()
        )));
    }
    Ok(JudgedGates {
        results: gates::run(ws, only, base),
        baseline: base.map(baseline::Record::used),
    })
}

/// Assess `ws` for `req.scope`.
pub fn assess(ws: &Workspace, req: &Request) -> Result<Assessment> {
    let ledger = ledger_entries(ws)?;
    let history = baseline::records(&ledger);
    let mut gates = judge_gates(ws, &history, &[], None)?;
    if req.scope == Scope::Run {
        let judges_runs = |id: &str| {
            ws.policy
                .gates
                .iter()
                .any(|g| g.id == id && g.source == Source::Verification)
        };
        gates.results.retain(|r| !judges_runs(&r.id));
    }
    let bundle = bundle_facts(ws, req.bundle)?;
    let docs = docs_facts(ws);
    let latest_run = (req.scope == Scope::Release).then(|| run_facts(ws));

    let mut findings = Vec::new();
    if let Some(run) = &latest_run {
        findings.extend(run_findings(ws, run));
    }
    findings.extend(gates::findings(&gates.results));
    findings.extend(bundle_findings(ws, &bundle, req.scope));
    findings.extend(docs_findings(&docs));
    Ok(Assessment {
        scope: req.scope,
        assessed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        releases: releases::records(&ledger),
        ledger,
        history,
        gates,
        bundle,
        docs,
        latest_run,
        findings,
    })
}

fn bundle_facts(ws: &Workspace, named: Option<&str>) -> Result<BundleFacts> {
    let dir = match named {
        Some(b) => catalog::resolve_bundle(ws, b)?,
        None => match catalog::list_bundles(&ws.bundles_dir()) {
            Ok(mut list) => match list.pop() {
                Some(b) => PathBuf::from(b.path),
                None => return Ok(BundleFacts::Absent),
            },
            Err(e) => return Ok(BundleFacts::Unlisted(e.to_string())),
        },
    };
    Ok(match crate::signing::verify_bundle(ws, &dir, &[]) {
        Ok(report) => BundleFacts::Verified(Box::new(report)),
        Err(e) => BundleFacts::Unverifiable {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: dir,
            error: e.to_string(),
        },
    })
}

fn docs_facts(ws: &Workspace) -> DocsFacts {
    if ws.policy.docs.is_none() {
        return DocsFacts::NotConfigured;
    }
    match crate::governance::check(ws) {
        Ok(r) => DocsFacts::Checked(r),
        Err(e) => DocsFacts::Failed(e.to_string()),
    }
}

fn run_facts(ws: &Workspace) -> RunFacts {
    let path = run_summary::latest_path(&ws.path(&ws.policy.paths.verification));
    if !path.is_file() {
        return RunFacts::Absent { path };
    }
    match run_summary::read(&path) {
        Ok(head) => RunFacts::Read { path, head },
        Err(e) => RunFacts::Unreadable {
            path,
            error: e.to_string(),
        },
    }
}

fn run_findings(ws: &Workspace, run: &RunFacts) -> Option<Finding> {
    let f = |sev, subject: &str, msg: String, path: &Path| {
        let loc = Location::file(ws.rel(path));
        Finding::new("release.verification", sev, subject, msg, loc)
    };
    match run {
        RunFacts::Absent { path } => Some(f(
            Severity::Block,
            "verification",
            "no verification run; run `tollgate verify` first".into(),
            path,
        )),
        RunFacts::Unreadable { path, error } => Some(f(
            Severity::Block,
            "verification",
            format!("the latest verification run cannot be read: {error}"),
            path,
        )),
        RunFacts::Read { path, head } => {
            let at = |mut x: Finding| {
                x.location = x.location.at_key("Status");
                x
            };
            match head.status {
                RunStatus::Pass => None,
                RunStatus::Warn => Some(at(f(
                    Severity::Warn,
                    &head.timestamp,
                    "the latest verification run passed with warnings".into(),
                    path,
                ))),
                RunStatus::Fail => Some(at(f(
                    Severity::Block,
                    &head.timestamp,
                    format!("the latest verification run's status is {}", head.status),
                    path,
                ))),
            }
        }
    }
}

fn bundle_findings(ws: &Workspace, bundle: &BundleFacts, scope: Scope) -> Vec<Finding> {
    let bundles = Location::file(ws.policy.paths.bundles.clone());
    // A run without a bundle skips that assertion; a release cannot ship one.
    let (check, absent_severity, absent) = match scope {
        Scope::Run => (
            "verify.bundle",
            Severity::Warn,
            "no evidence bundle to verify",
        ),
        Scope::Release => (
            "release.bundle",
            Severity::Block,
            "no evidence bundle to release; run `tollgate bundle publish` first",
        ),
    };
    match bundle {
        BundleFacts::Absent => vec![Finding::new(
            check,
            absent_severity,
            "bundle",
            absent,
            bundles,
        )],
        BundleFacts::Unlisted(e) => vec![Finding::new(
            check,
            absent_severity,
            "bundle",
            format!("bundles could not be listed: {e}"),
            bundles,
        )],
        BundleFacts::Verified(report) => report.all_findings().into_iter().cloned().collect(),
        BundleFacts::Unverifiable { name, path, error } => vec![Finding::new(
            check,
            Severity::Block,
            name,
            format!("the bundle could not be verified: {error}"),
            Location::file(path.display().to_string()),
        )],
    }
}

fn docs_findings(docs: &DocsFacts) -> Vec<Finding> {
    match docs {
        DocsFacts::NotConfigured => Vec::new(),
        DocsFacts::Checked(r) => r.findings.clone(),
        DocsFacts::Failed(e) => vec![Finding::new(
            "verify.docs",
            Severity::Block,
            "docs",
            format!("the docs check could not run: {e}"),
            Location::default(),
        )],
    }
}
