//! The readiness dashboard (SPEC §5): one page answering "can we ship, and
//! why not?". [`build`] gathers the facts (gates evaluated now with their
//! ledger history, the newest bundle, the docs, the latest release's risk
//! linkage, recent runs and releases); [`render`] turns them into a
//! self-contained HTML page (askama template, inline CSS and SVG, no script).

pub mod api;
mod svg;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use askama::Template;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::finding::{Finding, Severity, Verdict};
use crate::gates::{baseline, GateResult};
use crate::policy::gate::GateSeverity;
use crate::policy::Workspace;
use crate::readiness::{self, BundleFacts, DocsFacts};
use crate::release::status::Status;

/// Findings shown per section.
const TOP: usize = 8;
/// Runs and releases listed.
const RECENT: usize = 10;

/// Everything the page shows; also the JSON API's source.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub generated_at: String,
    pub workspace: String,
    /// `Ready`, `Warn` or `Blocked`.
    #[serde(with = "crate::finding::words::readiness")]
    pub verdict: Verdict,
    /// The top reasons behind the verdict.
    pub reasons: Vec<String>,
    pub counts: crate::finding::Counts,
    /// The record the gates were judged against.
    pub baseline: Option<baseline::Used>,
    pub gates: Vec<GateRow>,
    pub trends: Vec<Trend>,
    pub bundle: Option<BundleView>,
    /// The sections the policy configures beyond gates, bundle and runs.
    pub sections: Sections,
    pub docs: Option<DocsView>,
    pub risk: Option<RiskView>,
    pub runs: Vec<RunRow>,
    pub releases: Vec<ReleaseRow>,
    /// Whether approvals are signed and judged by an `[approvals]` policy.
    pub approvals_authenticated: bool,
}

/// Optional sections, shown only where the policy configures what they
/// report on.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sections {
    /// Governance docs drift: the policy has `[docs]`.
    pub docs: bool,
    /// Risk linkage: `[docs]` names a `risk_register`.
    pub risk: bool,
}

impl Sections {
    /// As the assessment found the docs configured, and as `release` links
    /// risks (a `risk_register` named).
    fn of(ws: &Workspace, a: &readiness::Assessment) -> Self {
        Sections {
            docs: !matches!(a.docs, DocsFacts::NotConfigured),
            risk: ws
                .policy
                .docs
                .as_ref()
                .is_some_and(|d| d.risk_register.is_some()),
        }
    }
}

impl Dashboard {
    /// `Ready`, `Warn` or `Blocked`: the banner's CSS class and the page title.
    pub fn verdict_word(&self) -> &'static str {
        crate::finding::words::readiness::word(self.verdict)
    }
}

/// One gate: its value now, its threshold, its verdict and its history.
#[derive(Debug, Clone, Serialize)]
pub struct GateRow {
    pub id: String,
    pub description: String,
    pub severity: GateSeverity,
    pub status: crate::gates::Status,
    pub value: String,
    /// `op threshold`, or `baseline` for a gate judged by its baseline alone.
    pub rule: String,
    pub message: String,
    /// Values of earlier verification runs and releases, oldest first, then now.
    pub history: Vec<f64>,
    #[serde(skip)]
    pub sparkline: String,
}

impl GateRow {
    /// A word and a symbol for the verdict, so colour is never the only signal.
    pub fn badge(&self) -> String {
        use crate::gates::Status;
        match (self.status, self.severity) {
            (Status::Pass, _) => "✓ PASS".into(),
            (_, GateSeverity::Track) => "• TRACK".into(),
            (Status::InsufficientData, _) => "? NO DATA".into(),
            (_, GateSeverity::Warn) => "! WARN".into(),
            _ => "✗ FAIL".into(),
        }
    }

    /// CSS class of the verdict.
    pub fn class(&self) -> &'static str {
        match (self.status, self.severity) {
            (crate::gates::Status::Pass, _) => "pass",
            (_, GateSeverity::Track) => "info",
            (_, GateSeverity::Warn) => "warn",
            _ => "block",
        }
    }
}

/// A trend line over verification runs.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    pub gate: String,
    pub title: String,
    pub points: Vec<Point>,
    #[serde(skip)]
    pub svg: String,
}

/// One point of a trend.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub label: String,
    pub value: f64,
}

impl Point {
    /// The value as the page shows it.
    pub fn shown(&self) -> String {
        svg::shown(self.value)
    }
}

/// The newest bundle's verification.
#[derive(Debug, Clone, Serialize)]
pub struct BundleView {
    pub name: String,
    pub verdict: Verdict,
    pub areas: Vec<AreaView>,
}

/// One area of the bundle.
#[derive(Debug, Clone, Serialize)]
pub struct AreaView {
    pub area: String,
    pub verdict: Verdict,
    pub readme_hash: String,
    pub findings: Vec<String>,
}

/// Docs drift: counts per rule and the top findings.
#[derive(Debug, Clone, Serialize)]
pub struct DocsView {
    pub verdict: Verdict,
    pub rules: Vec<RuleCount>,
    pub top: Vec<String>,
}

/// Findings of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    pub rule: String,
    pub count: usize,
}

/// Risk linkage of the latest release candidate.
#[derive(Debug, Clone, Serialize)]
pub struct RiskView {
    pub version: String,
    pub verdict: Verdict,
    pub risks: Vec<RiskRow>,
    pub findings: Vec<String>,
}

/// One cited risk.
#[derive(Debug, Clone, Serialize)]
pub struct RiskRow {
    pub cited: String,
    pub title: String,
    pub owner: String,
    pub mitigation: String,
}

/// One verification run from the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub seq: i64,
    pub time: String,
    pub stamp: String,
    /// `Pass`, `Warn` or `Fail`.
    #[serde(with = "crate::finding::words::run_status")]
    pub status: Verdict,
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl RunRow {
    /// `Pass`, `Warn` or `Fail`.
    pub fn status_word(&self) -> &'static str {
        crate::finding::words::run_status::word(self.status)
    }
}

/// One release with its approvals.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseRow {
    pub version: String,
    pub decision: String,
    pub verifies: bool,
    pub shippable: bool,
    /// Each approval with how it was judged.
    pub approvals: Vec<String>,
    /// Each required role, satisfied or missing (none without a policy).
    pub roles: Vec<String>,
    /// Each waiver: what it waives (shown as Waived, never Pass), by whom,
    /// until when, and whether it counts.
    pub waivers: Vec<String>,
}

/// The dashboard of `ws`, from a fresh readiness assessment.
pub fn build(ws: &Workspace) -> Result<Dashboard> {
    Ok(snapshot(ws)?.dashboard)
}

/// What `serve` answers from: the dashboard and every recorded release's
/// status, from one assessment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub dashboard: Dashboard,
    /// Each recorded release's status (its evidence re-verified), by version.
    pub releases: BTreeMap<String, Status>,
}

/// Assess `ws` once and build everything the dashboard and the API show.
pub fn snapshot(ws: &Workspace) -> Result<Snapshot> {
    let a = readiness::assess(
        ws,
        &readiness::Request {
            scope: readiness::Scope::Release,
            bundle: None,
            registry: Default::default(),
            version: None,
        },
    )?;
    // Recorded releases, and release folders the ledger does not know (their
    // status says so).
    let folders = std::fs::read_dir(ws.path(&ws.policy.paths.release_evidence))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned());
    let versions: std::collections::BTreeSet<String> = a
        .releases
        .iter()
        .map(|r| r.version.clone())
        .chain(folders)
        .filter(|v| crate::release::check_version(v).is_ok())
        .collect();
    let releases: BTreeMap<String, Status> = versions
        .into_iter()
        .filter_map(|v| Some((v.clone(), crate::release::status::status(ws, &v).ok()?)))
        .collect();
    let dashboard = from_assessment(ws, &a, &releases)?;
    Ok(Snapshot {
        dashboard,
        releases,
    })
}

/// The dashboard of an assessment: its verdict is the assessment's.
/// `statuses` holds the releases' statuses by version.
pub fn from_assessment(
    ws: &Workspace,
    a: &readiness::Assessment,
    statuses: &BTreeMap<String, Status>,
) -> Result<Dashboard> {
    let gates: Vec<GateRow> = a
        .gates
        .results
        .iter()
        .map(|g| gate_row(g, &a.history))
        .collect();
    let trends = trends(ws, &gates, &a.history);
    let bundle = match &a.bundle {
        BundleFacts::Verified(report) => Some(BundleView {
            name: report.name.clone(),
            verdict: report.verdict(),
            areas: report
                .areas
                .iter()
                .map(|a| AreaView {
                    area: a.area.clone(),
                    verdict: a.verdict_or_derived(),
                    readme_hash: a.readme_hash.clone(),
                    findings: top(a.findings.iter()),
                })
                .collect(),
        }),
        _ => None,
    };
    let docs = match &a.docs {
        DocsFacts::Checked(r) => {
            let mut rules: std::collections::BTreeMap<String, usize> = Default::default();
            for f in &r.findings {
                *rules.entry(f.check.clone()).or_default() += 1;
            }
            Some(DocsView {
                verdict: Verdict::of(&r.findings),
                rules: rules
                    .into_iter()
                    .map(|(rule, count)| RuleCount { rule, count })
                    .collect(),
                top: top(r.findings.iter()),
            })
        }
        _ => None,
    };
    let (runs, releases, risk) = ledger_views(ws, a, statuses);
    let mut ranked: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    ranked.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(Dashboard {
        generated_at: a.assessed_at.clone(),
        workspace: ws.root.display().to_string(),
        verdict: a.verdict(),
        reasons: top(ranked.into_iter()),
        counts: a.counts(),
        baseline: a.gates.baseline.clone(),
        gates,
        trends,
        bundle,
        sections: Sections::of(ws, a),
        docs,
        risk,
        runs,
        releases,
        approvals_authenticated: a.approvals_authenticated,
    })
}

/// A finding as one line: `[check] subject: message (path:line)`.
fn line(f: &Finding) -> String {
    let at = f.location.to_string();
    let at = if at.is_empty() || at == "-" {
        String::new()
    } else {
        format!(" ({at})")
    };
    format!("[{}] {}: {}{at}", f.check, f.subject, f.message)
}

fn top<'a>(findings: impl Iterator<Item = &'a Finding>) -> Vec<String> {
    findings.take(TOP).map(line).collect()
}

fn gate_row(g: &GateResult, history: &[baseline::Record]) -> GateRow {
    let mut values: Vec<f64> = history
        .iter()
        .filter(|r| r.kind == "verify")
        .filter_map(|r| r.values.get(&g.id).copied())
        .collect();
    values.extend(g.value);
    GateRow {
        id: g.id.clone(),
        description: g.description.clone(),
        severity: g.severity,
        status: g.status,
        value: g
            .value
            .map(svg::shown)
            .or_else(|| g.text.clone())
            .unwrap_or_else(|| "—".into()),
        rule: g.rule(),
        message: g.message.clone(),
        sparkline: svg::sparkline(&values, &g.id),
        history: values,
    }
}

/// The policy's trend gates over the recorded verification runs.
fn trends(ws: &Workspace, gates: &[GateRow], history: &[baseline::Record]) -> Vec<Trend> {
    ws.policy
        .dashboard
        .trends
        .iter()
        .filter_map(|id| gates.iter().find(|g| &g.id == id))
        .map(|g| {
            let points: Vec<Point> = history
                .iter()
                .filter(|r| r.kind == "verify")
                .filter_map(|r| {
                    r.values.get(&g.id).map(|v| Point {
                        label: r.name.clone(),
                        value: *v,
                    })
                })
                .collect();
            Trend {
                svg: svg::trend(&points, &g.description),
                gate: g.id.clone(),
                title: g.description.clone(),
                points,
            }
        })
        .collect()
}

/// Recent runs, releases (newest first) and the newest release's risk linkage.
fn ledger_views(
    ws: &Workspace,
    a: &readiness::Assessment,
    statuses: &BTreeMap<String, Status>,
) -> (Vec<RunRow>, Vec<ReleaseRow>, Option<RiskView>) {
    let runs = a
        .ledger
        .iter()
        .rev()
        .filter(|e| e.kind == "verify")
        .take(RECENT)
        .map(|e| {
            let p = e.payload_json();
            let n = |k: &str| p["assertions"][k].as_u64().unwrap_or(0);
            RunRow {
                seq: e.seq,
                time: e.time.clone(),
                stamp: e.subject.clone(),
                // A status this version cannot read counts as failed.
                status: p["status"]
                    .as_str()
                    .and_then(crate::finding::words::run_status::parse)
                    .unwrap_or(Verdict::Block),
                passed: n("Passed"),
                failed: n("Failed"),
                skipped: n("Skipped"),
            }
        })
        .collect();
    // Newest first.
    let versions: Vec<&str> = a
        .releases
        .iter()
        .rev()
        .map(|r| r.version.as_str())
        .collect();
    let mut releases = Vec::new();
    for st in versions
        .iter()
        .filter_map(|v| statuses.get(*v))
        .take(RECENT)
    {
        releases.push(ReleaseRow {
            version: st.version.clone(),
            decision: st.decision.word().to_string(),
            verifies: st.verifies(),
            shippable: st.shippable,
            approvals: st
                .approvals
                .iter()
                .map(|a| {
                    let o = a
                        .override_reason
                        .as_ref()
                        .map(|r| format!(", override: {r}"))
                        .unwrap_or_default();
                    format!("{} ({}){o} [{}]", a.by, a.role, a.judgement())
                })
                .collect(),
            roles: st
                .approval
                .roles
                .iter()
                .map(|r| match &r.by {
                    Some(by) => format!("{}: satisfied by {by}", r.role),
                    None => format!("{}: missing", r.role),
                })
                .collect(),
            waivers: st
                .waivers
                .iter()
                .map(|w| {
                    format!(
                        "{} [{}] by {} until {}: {}",
                        w.target,
                        w.judgement(),
                        w.by,
                        w.expires,
                        w.reason
                    )
                })
                .collect(),
        });
    }
    let risk = match versions.first() {
        Some(v) => risk_view(&crate::release::release_dir(ws, v), v),
        None => None,
    };
    (runs, releases, risk)
}

/// The risk linkage recorded in a release folder, if it has one.
fn risk_view(dir: &Path, version: &str) -> Option<RiskView> {
    let v = crate::read::json::load(&dir.join("risk-linkage.json")).ok()?;
    let report = &v["report"];
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    let findings: Vec<Finding> =
        serde_json::from_value(report["findings"].clone()).unwrap_or_default();
    Some(RiskView {
        version: version.to_string(),
        // A verdict this version cannot read counts as blocking.
        verdict: serde_json::from_value(v["verdict"].clone()).unwrap_or(Verdict::Block),
        risks: report["citations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| RiskRow {
                cited: s(&c["cited"]),
                title: s(&c["risk"]["title"]),
                owner: s(&c["risk"]["owner"]),
                mitigation: s(&c["risk"]["mitigation"]),
            })
            .collect(),
        findings: top(findings.iter()),
    })
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page<'a> {
    d: &'a Dashboard,
}

/// The page as self-contained HTML.
pub fn render(d: &Dashboard) -> Result<String> {
    Page { d }
        .render()
        .map_err(|e| Error::Usage(format!("dashboard template: {e}")))
}

/// Build, render and write `<out>/index.html` atomically.
pub fn write(ws: &Workspace, out: &Path) -> Result<(PathBuf, Dashboard)> {
    let d = build(ws)?;
    let path = out.join("index.html");
    crate::record::atomic::write_file(&path, render(&d)?.as_bytes())?;
    Ok((path, d))
}
