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
use crate::finding::Counts;
use crate::finding::{words, Finding, Location, Severity, Verdict};
use crate::gates::{self, baseline, GateResult};
use crate::governance::DocsReport;
use crate::policy::gate::Source;
use crate::policy::Workspace;
use crate::read::run_summary::{self, RunHead};
use crate::record::ledger::{Entry, Ledger};
use crate::record::releases::{self, ReleaseRecord};

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
    /// A bundle name, path or `oci://` reference; the newest bundle when `None`.
    pub bundle: Option<&'a str>,
    /// How to reach the registry of an `oci://` bundle.
    pub registry: crate::registry::Options,
    /// The version being released, when a release is decided (what a
    /// changelog gate looks for).
    pub version: Option<&'a str>,
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
    /// Whether approvals are signed and judged by an `[approvals]` policy.
    pub approvals_authenticated: bool,
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
/// `baseline` or, by default, the newest shippable release, for releasing
/// `release` when one is being decided. Every command that judges gates
/// calls this.
pub fn judge_gates(
    ws: &Workspace,
    history: &[baseline::Record],
    only: &[String],
    named: Option<&str>,
    release: Option<&str>,
) -> Result<JudgedGates> {
    let base = baseline::find(history, named);
    if let (Some(name), None) = (named, base) {
        return Err(Error::Usage(format!(
            "--baseline {name}: no such record in {}",
            crate::record::ledger::location(ws)?
        )));
    }
    Ok(JudgedGates {
        results: gates::run(ws, only, base, release),
        baseline: base.map(baseline::Record::used),
    })
}

/// Assess `ws` for `req.scope`.
pub fn assess(ws: &Workspace, req: &Request) -> Result<Assessment> {
    let ledger = ledger_entries(ws)?;
    let rules = crate::approval::Rules::load(ws)?;
    let history = baseline::records(&ledger, &rules);
    let mut gates = judge_gates(ws, &history, &[], None, req.version)?;
    if req.scope == Scope::Run {
        let judges_runs = |id: &str| {
            ws.policy
                .gates
                .iter()
                .any(|g| g.id == id && g.source == Source::Verification)
        };
        gates.results.retain(|r| !judges_runs(&r.id));
    }
    let bundle = bundle_facts(ws, req.bundle, req.registry)?;
    let docs = docs_facts(ws);
    let latest_run = (req.scope == Scope::Release).then(|| run_facts(ws));

    let mut findings = Vec::new();
    if let Some(run) = &latest_run {
        findings.extend(run_findings(ws, run));
    }
    findings.extend(gates::findings(&gates.results));
    findings.extend(bundle_findings(ws, &bundle, req.scope));
    findings.extend(docs_findings(&docs));
    crate::finding::relative_to(&mut findings, &ws.root);
    Ok(Assessment {
        scope: req.scope,
        assessed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        releases: releases::records(&ledger, &rules),
        approvals_authenticated: rules.policy.is_some(),
        ledger,
        history,
        gates,
        bundle,
        docs,
        latest_run,
        findings,
    })
}

fn bundle_facts(
    ws: &Workspace,
    named: Option<&str>,
    registry: crate::registry::Options,
) -> Result<BundleFacts> {
    if let Some(r) = named.filter(|n| crate::registry::is_oci(n)) {
        let at = crate::registry::OciRef::parse(r)?;
        let report = crate::registry::fetch::verify(ws, &at, registry)?;
        return Ok(BundleFacts::Verified(Box::new(report)));
    }
    let dir = match named {
        Some(b) => catalog::resolve_bundle(ws, b)?,
        None => match catalog::list_bundles(&ws.bundles_dir(), &ws.policy.bundle) {
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
                Verdict::Pass => None,
                Verdict::Warn => Some(at(f(
                    Severity::Warn,
                    &head.timestamp,
                    "the latest verification run passed with warnings".into(),
                    path,
                ))),
                Verdict::Block => Some(at(f(
                    Severity::Block,
                    &head.timestamp,
                    format!(
                        "the latest verification run's status is {}",
                        words::run_status::word(head.status)
                    ),
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

/// A cheap summary of what an assessment reads, to tell when a cached one
/// is stale: the size and modification time of the policy file, the ledger
/// and every file under the policy's folders, the documents' folders and
/// the gates' source folders. No file is read or hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(u64, u64);

/// Folders nested deeper than this under an input root are not looked at.
const FINGERPRINT_DEPTH: usize = 12;

/// The fingerprint of `ws`'s inputs now.
pub fn fingerprint(ws: &Workspace) -> Fingerprint {
    let mut acc = Fingerprint(0, 0);
    for root in input_roots(ws) {
        stat_tree(&root, FINGERPRINT_DEPTH, &mut acc);
    }
    acc
}

/// The files and folders an assessment reads from.
fn input_roots(ws: &Workspace) -> std::collections::BTreeSet<PathBuf> {
    let p = &ws.policy.paths;
    let mut roots: std::collections::BTreeSet<PathBuf> =
        p.all().into_iter().map(|d| ws.path(d)).collect();
    roots.insert(crate::record::ledger::dir(ws));
    roots.extend(ws.policy_path.clone());
    let docs = ws.policy.docs.iter().flat_map(|d| {
        [&d.task_board, &d.task_board_csv]
            .into_iter()
            .chain(&d.release_checklist)
            .chain(&d.risk_register)
            .chain(&d.backlog)
            .chain(&d.session_logs)
            .chain(&d.plans)
            .chain(&d.plan_index)
            .chain(&d.roadmap)
    });
    let gates = ws.policy.gates.iter().filter_map(|g| g.files.as_ref());
    roots.extend(docs.chain(gates).map(|g| static_folder(&ws.path(g))));
    roots
}

/// The folder of `glob` before its first wildcard.
fn static_folder(glob: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in glob.components() {
        if c.as_os_str()
            .to_string_lossy()
            .contains(['*', '?', '[', '{'])
        {
            return out;
        }
        out.push(c);
    }
    out.parent().map(Path::to_path_buf).unwrap_or(out)
}

/// Fold every entry under `path` into `acc`, order-independently (the sum
/// of per-entry hashes), without following symlinks.
fn stat_tree(path: &Path, depth: usize, acc: &mut Fingerprint) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(path.as_os_str().as_encoded_bytes());
    h.update(&meta.len().to_le_bytes());
    h.update(&mtime.to_le_bytes());
    acc.0 = acc.0.wrapping_add(h.digest());
    acc.1 += 1;
    if meta.is_dir() && depth > 0 {
        for e in std::fs::read_dir(path).into_iter().flatten().flatten() {
            stat_tree(&e.path(), depth - 1, acc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_changes_with_any_input_and_only_then() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join(crate::policy::POLICY_FILE),
            crate::policy::profile_text("minimal").unwrap(),
        )
        .unwrap();
        let ws = Workspace::discover(Some(d.path()), d.path()).unwrap();
        let area = d.path().join("evidence/bundles/B/Build");
        std::fs::create_dir_all(&area).unwrap();
        std::fs::write(area.join("a.json"), "{}").unwrap();
        let before = fingerprint(&ws);
        assert_eq!(fingerprint(&ws), before);
        std::fs::write(d.path().join("unrelated.txt"), "x").unwrap();
        assert_eq!(fingerprint(&ws), before, "a file no check reads");
        std::fs::write(area.join("a.json"), "{\"a\": 1}").unwrap();
        let edited = fingerprint(&ws);
        assert_ne!(edited, before, "an artifact edited");
        std::fs::write(area.join("b.json"), "{}").unwrap();
        assert_ne!(fingerprint(&ws), edited, "an artifact added");
        assert_eq!(
            static_folder(Path::new("/w/docs/plans/*.md")),
            PathBuf::from("/w/docs/plans")
        );
        assert_eq!(
            static_folder(Path::new("/w/bench/bench.json")),
            PathBuf::from("/w/bench")
        );
    }
}
