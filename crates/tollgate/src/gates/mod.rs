//! The gate engine (SPEC §2): each `[[gate]]` gathers samples from its
//! source, aggregates them, and compares the value with its threshold.
//! Results become findings; nothing here prints.

pub mod baseline;
mod samples;

use std::path::{Path, PathBuf};

use serde::Serialize;

use self::samples::Samples;
use crate::finding::{Finding, Location, Severity};
use crate::policy::gate::{Aggregate, GateSetSpec, GateSeverity, GateSpec, Op, Source, Threshold};
use crate::policy::Workspace;
use crate::telemetry::stats::{fmt_num, round_away};

/// Files compared when the newest one fails, to find the closest near-miss.
const NEAR_MISS_CANDIDATES: usize = 50;

/// A gate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    Pass,
    Fail,
    InsufficientData,
}

/// The value computed from one set of samples.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub value: Option<f64>,
    pub text: Option<String>,
    pub samples: u64,
    /// `coverage`: the members of the universe not seen.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// A `count` with `where`: the first records counted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counted: Vec<Counted>,
}

/// A record a `count` with `where` counted (a failed test, an SBOM
/// component), named, with where it was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counted {
    pub label: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl Counted {
    /// Where it was read: `file:line`.
    pub fn location(&self) -> Location {
        let at = Location::file(&self.file);
        match self.line {
            Some(l) => at.at_line(l as usize),
            None => at,
        }
    }
}

impl GateResult {
    /// The absolute rule as written (`>= 80`), or `baseline` for a gate
    /// judged by its baseline alone.
    pub fn rule(&self) -> String {
        match (self.op, &self.threshold) {
            (Some(op), Some(t)) => format!("{op} {t}"),
            _ => "baseline".to_string(),
        }
    }
}

/// One group's outcome (`group_by`), or one candidate file's (near-miss).
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub name: String,
    pub status: Status,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A gate's full result.
#[derive(Debug, Clone, Serialize)]
pub struct GateResult {
    pub id: String,
    pub plan: String,
    pub description: String,
    pub severity: GateSeverity,
    pub source: Source,
    pub aggregate: Aggregate,
    pub select: Option<String>,
    pub status: Status,
    pub value: Option<f64>,
    pub text: Option<String>,
    /// The absolute rule, absent for a gate judged by its baseline alone.
    pub op: Option<&'static str>,
    pub threshold: Option<Threshold>,
    pub samples: u64,
    pub min_samples: u64,
    pub files: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// A `count` with `where`: the first records counted (at most
    /// [`samples::COUNTED`]), e.g. the failed tests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counted: Vec<Counted>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Part>,
    /// When the newest file fails: every candidate, closest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Part>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::Comparison>,
    pub message: String,
    /// How the value was computed, step by step.
    pub explain: Vec<String>,
}

/// What a gate reads, found before it is evaluated: its source glob and the
/// files matching it, newest first. (Their content is read while the gate
/// aggregates: telemetry is streamed, never held whole.)
#[derive(Debug, Clone)]
pub struct SourceFacts {
    pub pattern: String,
    pub files: Vec<PathBuf>,
}

impl SourceFacts {
    /// Find the files of `g`'s source in `ws`.
    pub fn gather(ws: &Workspace, g: &GateSpec) -> SourceFacts {
        let pattern = source_glob(ws, g);
        let mut files = crate::select::glob_files(Path::new(&pattern));
        if g.source == Source::Verification {
            files = crate::record::ledger::recorded_runs(ws, files);
        }
        let files = crate::select::newest_first(files);
        SourceFacts { pattern, files }
    }
}

/// Evaluate `gates` in `ws`; `baseline` holds earlier values by gate id,
/// `release` is the version being released (a changelog gate's entry).
pub fn evaluate(
    ws: &Workspace,
    gates: &[&GateSpec],
    base: Option<&baseline::Record>,
    release: Option<&str>,
) -> Vec<GateResult> {
    let facts: Vec<SourceFacts> = gates.iter().map(|g| SourceFacts::gather(ws, g)).collect();
    gates
        .iter()
        .zip(&facts)
        .map(|(g, f)| evaluate_one(g, f, base, release))
        .collect()
}

fn evaluate_one(
    g: &GateSpec,
    facts: &SourceFacts,
    base: Option<&baseline::Record>,
    release: Option<&str>,
) -> GateResult {
    let mut explain = Vec::new();
    if let Some(n) = &g.note {
        explain.push(format!("note: {n}"));
    }
    let files = &facts.files;
    let pattern = &facts.pattern;
    explain.push(format!(
        "source {:?}: {} file(s) match {pattern}",
        g.source,
        files.len()
    ));
    // A count over an empty population is 0, a value like any other ("no
    // failed tests" over a clean report passes); other aggregates need one.
    let min_samples = g.min_samples.unwrap_or(if g.aggregate == Aggregate::Count {
        0
    } else {
        1
    });
    let mut r = GateResult {
        id: g.id.clone(),
        plan: g.plan.clone(),
        description: g.description.clone(),
        severity: g.severity,
        source: g.source,
        aggregate: g.aggregate,
        select: g.select.clone(),
        status: Status::InsufficientData,
        value: None,
        text: None,
        op: g.op.map(Op::symbol),
        threshold: g.threshold.clone(),
        samples: 0,
        min_samples,
        files: Vec::new(),
        missing: Vec::new(),
        counted: Vec::new(),
        groups: Vec::new(),
        candidates: Vec::new(),
        baseline: None,
        message: String::new(),
        explain,
    };
    if files.is_empty() {
        r.message = format!("no data: no file matches {pattern}");
        return r;
    }
    let (used, collected) = if g.source == Source::Events {
        let n = g.newest.unwrap_or(1).min(files.len());
        let used: Vec<PathBuf> = files[..n].to_vec();
        let c = samples::from_events(g, &used);
        (used, c)
    } else if g.merged() {
        let all = if g.source.merges_files() {
            files.len()
        } else {
            1
        };
        let n = g.newest.unwrap_or(all).min(files.len());
        let used: Vec<PathBuf> = files[..n].to_vec();
        let c = samples::from_files(g, &used);
        (used, c)
    } else {
        let used = vec![files[0].clone()];
        let c = samples::from_json(g, &files[0], release);
        (used, c)
    };
    r.files = used.iter().map(|p| p.display().to_string()).collect();
    let groups = match collected {
        Ok((groups, notes)) => {
            r.explain.extend(notes);
            groups
        }
        Err(e) => {
            r.message = format!("no data: {e}");
            return r;
        }
    };
    // One group unless group_by; the worst group decides.
    for (name, s) in &groups {
        let outcome = aggregate(g, s, &mut r.explain, name);
        let status = judge(g, &outcome, min_samples);
        r.groups.push(Part {
            name: name.to_string(),
            status,
            outcome,
        });
    }
    let worst = r
        .groups
        .iter()
        .max_by_key(|p| match p.status {
            Status::Pass => 0,
            Status::InsufficientData => 1,
            Status::Fail => 2,
        })
        .cloned();
    let Some(worst) = worst else {
        r.message = "no data: no samples".into();
        return r;
    };
    r.status = worst.status;
    r.value = worst.outcome.value;
    r.text = worst.outcome.text.clone();
    r.samples = worst.outcome.samples;
    r.missing = worst.outcome.missing.clone();
    r.counted = worst.outcome.counted.clone();
    if g.group_by.is_none() {
        r.groups.clear();
    }
    if let (Some(spec), Some(v)) = (&g.baseline, r.value) {
        r.baseline = base.map(|b| baseline::compare(spec, b, &g.id, v));
        if r.status == Status::Pass && r.baseline.as_ref().is_some_and(|c| !c.ok) {
            r.status = Status::Fail;
        }
    }
    if r.status != Status::Pass && !g.merged() && g.source != Source::Events && files.len() > 1 {
        r.candidates = near_misses(g, files, release);
    }
    // The threshold held and only the baseline failed.
    let regressed = worst.status == Status::Pass && r.status == Status::Fail;
    r.message = message(g, &r, worst.name.as_str(), regressed);
    r
}

/// Aggregate one group's samples.
fn aggregate(g: &GateSpec, s: &Samples, explain: &mut Vec<String>, group: &str) -> Outcome {
    let label = if group.is_empty() {
        String::new()
    } else {
        format!("[{group}] ")
    };
    let field = g.select.as_deref().unwrap_or("events");
    let d = &s.numbers;
    let mut o = Outcome {
        samples: s.count,
        missing: s.missing.clone(),
        counted: s.counted.clone(),
        ..Default::default()
    };
    let pct = |p: f64| d.percentile(p);
    o.value = match g.aggregate {
        Aggregate::Value => {
            o.text = s.first_text.clone();
            s.first_number
        }
        Aggregate::Count => Some(s.count as f64),
        Aggregate::Sum => (d.count() > 0).then(|| d.sum()),
        Aggregate::Avg => d.mean(),
        Aggregate::Min => d.min(),
        Aggregate::Max => d.max(),
        Aggregate::P50 => pct(50.0),
        Aggregate::P90 => pct(90.0),
        Aggregate::P95 => pct(95.0),
        Aggregate::P99 => pct(99.0),
        Aggregate::Distinct => Some(s.texts.iter().count() as f64),
        Aggregate::Ratio => {
            let hits: u64 = s
                .texts
                .iter()
                .filter(|(k, _)| g.matches.iter().any(|m| m.eq_ignore_ascii_case(k)))
                .map(|(_, n)| n)
                .sum();
            (s.count > 0).then(|| hits as f64 / s.count as f64 * 100.0)
        }
        Aggregate::All => None,
        Aggregate::Coverage => {
            let lacking: Vec<String> = g
                .universe
                .iter()
                .filter(|u| s.texts.get(u) == 0)
                .cloned()
                .collect();
            let covered = g.universe.len() - lacking.len();
            o.missing.extend(lacking);
            Some(covered as f64 / g.universe.len() as f64 * 100.0)
        }
    };
    let shown = o.value.map(|v| fmt_num(round_away(v, 3)));
    explain.push(format!(
        "{label}{:?} of {field} over {} sample(s){}{} = {}",
        g.aggregate,
        s.count,
        if d.count() > 0 {
            format!(
                " (numeric {}, min {}, max {})",
                d.count(),
                d.min().unwrap_or(0.0),
                d.max().unwrap_or(0.0)
            )
        } else {
            String::new()
        },
        if o.missing.is_empty() {
            String::new()
        } else {
            format!(", missing {}", o.missing.join(", "))
        },
        shown.or(o.text.clone()).unwrap_or_else(|| "none".into())
    ));
    o
}

fn judge(g: &GateSpec, o: &Outcome, min_samples: u64) -> Status {
    if o.samples < min_samples {
        return Status::InsufficientData;
    }
    let Some((op, threshold)) = g.rule() else {
        // Judged by the baseline alone, which needs a value.
        return if o.value.is_some() {
            Status::Pass
        } else {
            Status::InsufficientData
        };
    };
    let ok = match (threshold, o.value, &o.text) {
        (Threshold::Number(t), Some(v), _) => op.holds(v, *t),
        (Threshold::Text(t), _, Some(text)) => (op == Op::Eq) == text.eq_ignore_ascii_case(t),
        (Threshold::Text(t), Some(v), None) => {
            (op == Op::Eq) == (crate::telemetry::stats::fmt_num(v) == *t)
        }
        _ => return Status::InsufficientData,
    };
    if ok {
        Status::Pass
    } else {
        Status::Fail
    }
}

/// Every candidate file evaluated, closest to passing first.
fn near_misses(g: &GateSpec, files: &[PathBuf], release: Option<&str>) -> Vec<Part> {
    let mut parts: Vec<(f64, Part)> = files
        .iter()
        .take(NEAR_MISS_CANDIDATES)
        .map(|f| {
            let part = evaluate_file(g, f, release);
            let gap = match (&g.threshold, part.outcome.value) {
                _ if part.status == Status::Pass => 0.0,
                (Some(Threshold::Number(t)), Some(v)) => (v - t).abs() / t.abs().max(1.0),
                _ => f64::INFINITY,
            };
            (gap, part)
        })
        .collect();
    parts.sort_by(|a, b| a.0.total_cmp(&b.0));
    parts.into_iter().map(|(_, p)| p).collect()
}

fn message(g: &GateSpec, r: &GateResult, group: &str, regressed: bool) -> String {
    let value = r
        .value
        .map(|v| fmt_num(round_away(v, 3)))
        .or(r.text.clone())
        .unwrap_or_else(|| "none".into());
    let scope = if group.is_empty() {
        String::new()
    } else {
        format!(" for {group}")
    };
    let mut m = match (r.status, g.rule()) {
        // Judged by the baseline alone: its comparison (below) says it all.
        (Status::Pass, None) => format!("{value}{scope}"),
        (Status::Fail, None) => format!("regressed{scope}: {value}"),
        (Status::Pass, Some((op, t))) => format!("{value} {} {t} holds{scope}", op.symbol()),
        // The threshold holds; the baseline (below) is what fails.
        (Status::Fail, Some((op, t))) if regressed => {
            format!(
                "regressed{scope}: {value} (the threshold {} {t} holds)",
                op.symbol()
            )
        }
        (Status::Fail, Some((op, t))) => {
            let short = match (t, r.value) {
                (Threshold::Number(t), Some(v)) if matches!(op, Op::Ge | Op::Gt) => {
                    format!(" ({} short)", fmt_num(round_away(t - v, 3)))
                }
                (Threshold::Number(t), Some(v)) if matches!(op, Op::Le | Op::Lt) => {
                    format!(" ({} over)", fmt_num(round_away(v - t, 3)))
                }
                _ => String::new(),
            };
            format!("{value} {} {t} does not hold{scope}{short}", op.symbol())
        }
        (Status::InsufficientData, _) => format!(
            "insufficient data{scope}: {} sample(s), {} required",
            r.samples, r.min_samples
        ),
    };
    if !r.missing.is_empty() {
        m.push_str(&format!("; missing {}", r.missing.join(", ")));
    }
    if r.status != Status::Pass && !r.counted.is_empty() {
        let shown: Vec<String> = r
            .counted
            .iter()
            .map(|c| format!("{} ({})", c.label, c.location()))
            .collect();
        let more = r.samples.saturating_sub(r.counted.len() as u64);
        m.push_str(&format!(
            "; counted: {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if let Some(b) = &r.baseline {
        m.push_str(&format!("; {}", b.message));
    }
    if let Some(best) = r.candidates.first() {
        let all_fail = r.candidates.iter().all(|c| c.status != Status::Pass);
        let v = best
            .outcome
            .value
            .map(fmt_num)
            .or(best.outcome.text.clone())
            .unwrap_or_else(|| "none".into());
        let missing = if best.outcome.missing.is_empty() {
            String::new()
        } else {
            format!(", missing {}", best.outcome.missing.join(", "))
        };
        if all_fail {
            m.push_str(&format!(
                "; all {} candidate files fail; closest: {} ({v}{missing})",
                r.candidates.len(),
                best.name
            ));
        } else {
            m.push_str(&format!("; an older file passes: {} ({v})", best.name));
        }
    }
    m
}

/// The glob a gate reads, made absolute.
fn source_glob(ws: &Workspace, g: &GateSpec) -> String {
    let p = &ws.policy.paths;
    let rel = g.files.clone().unwrap_or_else(|| match g.source {
        Source::Events => format!("{}/{}", p.telemetry, ws.policy.telemetry.daily_files),
        Source::WarmRun => format!("{}/WarmRunTelemetry*.json", p.telemetry),
        // The policy refuses a shared-cache gate with neither.
        Source::SharedCache => format!(
            "{}/*-summary.json",
            p.shared_cache.as_deref().unwrap_or(".")
        ),
        Source::Verification => format!("{}/VerificationSummary-*.json", p.verification),
        Source::Summary
        | Source::Junit
        | Source::Sarif
        | Source::Coverage
        | Source::Sbom
        | Source::Changelog => String::new(),
    });
    ws.root.join(rel).display().to_string()
}

impl GateResult {
    /// Files, message and explanation with paths relative to `root`
    /// ([`crate::finding::relative_to`]).
    fn relative_to(&mut self, root: &Path) {
        use crate::finding::{relative_path, relative_text};
        for f in &mut self.files {
            *f = relative_path(f, root);
        }
        for c in &mut self.counted {
            c.file = relative_path(&c.file, root);
        }
        self.message = relative_text(&self.message, root);
        for e in &mut self.explain {
            *e = relative_text(e, root);
        }
    }
}

/// Findings for the gates that did not pass.
pub fn findings(results: &[GateResult]) -> Vec<Finding> {
    results
        .iter()
        .filter(|r| r.status != Status::Pass)
        .map(|r| {
            let severity = match r.severity {
                GateSeverity::Block => Severity::Block,
                GateSeverity::Warn => Severity::Warn,
                GateSeverity::Track => Severity::Info,
            };
            // The first record counted (a failed test's line), else the
            // first file read.
            let loc = match r.counted.first() {
                Some(c) => c.location(),
                None => r.files.first().map(Location::file).unwrap_or_default(),
            };
            let msg = format!("{}: {}", r.description, r.message);
            Finding::new("gate", severity, &r.id, msg, loc).with_evidence(serde_json::json!({
                "status": r.status, "value": r.value, "text": r.text, "op": r.op, "threshold": r.threshold, "samples": r.samples,
            }))
        })
        .collect()
}

/// Whether `--only` (ids or plans, case-insensitive; empty = all) picks this.
pub fn picked(only: &[String], id: &str, plan: &str) -> bool {
    only.is_empty()
        || only
            .iter()
            .any(|o| o.eq_ignore_ascii_case(id) || o.eq_ignore_ascii_case(plan))
}

/// Whether a gate `only` picks reads a changelog: what a release version
/// changes when gates are judged.
pub fn reads_changelog(ws: &Workspace, only: &[String]) -> bool {
    ws.policy
        .gates
        .iter()
        .any(|g| g.source == Source::Changelog && picked(only, &g.id, &g.plan))
}

/// Every picked gate and gate set of the policy, evaluated in policy order
/// (sets after gates).
pub fn run(
    ws: &Workspace,
    only: &[String],
    base: Option<&baseline::Record>,
    release: Option<&str>,
) -> Vec<GateResult> {
    let gates: Vec<&GateSpec> = ws
        .policy
        .gates
        .iter()
        .filter(|g| picked(only, &g.id, &g.plan))
        .collect();
    let mut out = evaluate(ws, &gates, base, release);
    for set in ws
        .policy
        .gate_sets
        .iter()
        .filter(|s| picked(only, &s.id, &s.plan))
    {
        out.push(evaluate_set(ws, set, &ws.policy.gates, release));
    }
    for r in &mut out {
        r.relative_to(&ws.root);
    }
    out
}

/// Evaluate a gate set: each candidate file (newest first) is judged on every
/// member; the newest file decides, and when it fails the candidate with the
/// fewest failing criteria is named as the near-miss, with what it lacks.
pub fn evaluate_set(
    ws: &Workspace,
    set: &GateSetSpec,
    gates: &[GateSpec],
    release: Option<&str>,
) -> GateResult {
    let members: Vec<&GateSpec> = set
        .gates
        .iter()
        .filter_map(|id| gates.iter().find(|g| &g.id == id))
        .collect();
    let first = members[0];
    let SourceFacts { pattern, files } = SourceFacts::gather(ws, first);
    let mut explain = vec![format!(
        "set of {}: judged together on each of {} file(s) matching {pattern}",
        set.gates.join(", "),
        files.len(),
    )];
    let mut candidates: Vec<(usize, f64, Part)> = Vec::new();
    for f in files.iter().take(NEAR_MISS_CANDIDATES) {
        let mut lacks = Vec::new();
        let mut gap = 0.0;
        for g in &members {
            let part = evaluate_file(g, f, release);
            if part.status != Status::Pass {
                let v = part
                    .outcome
                    .value
                    .map(|v| fmt_num(round_away(v, 3)))
                    .unwrap_or_else(|| "none".into());
                let mut what = match g.rule() {
                    Some((op, t)) => format!("{}: {v} {} {t}", g.id, op.symbol()),
                    None => format!("{}: {v}", g.id),
                };
                if !part.outcome.missing.is_empty() {
                    what.push_str(&format!(" (missing {})", part.outcome.missing.join(", ")));
                }
                lacks.push(what);
                gap += match (&g.threshold, part.outcome.value) {
                    (Some(Threshold::Number(t)), Some(v)) => (v - t).abs() / t.abs().max(1.0),
                    _ => 1.0,
                };
            }
        }
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        explain.push(format!(
            "{name}: {} of {} criteria fail{}",
            lacks.len(),
            members.len(),
            if lacks.is_empty() {
                String::new()
            } else {
                format!(": {}", lacks.join("; "))
            }
        ));
        let status = if lacks.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        };
        let outcome = Outcome {
            value: Some(lacks.len() as f64),
            text: None,
            samples: 1,
            missing: lacks.clone(),
            counted: Vec::new(),
        };
        candidates.push((
            lacks.len(),
            gap,
            Part {
                name,
                status,
                outcome,
            },
        ));
    }
    let newest = candidates.first().map(|c| c.2.clone());
    let status = newest
        .as_ref()
        .map_or(Status::InsufficientData, |p| p.status);
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut message = match &newest {
        None => format!("no data: no file matches {pattern}"),
        Some(p) if p.status == Status::Pass => {
            format!("all {} criteria hold in {}", members.len(), p.name)
        }
        Some(p) => format!(
            "{} of {} criteria fail in {}: {}",
            p.outcome.missing.len(),
            members.len(),
            p.name,
            p.outcome.missing.join("; ")
        ),
    };
    if status == Status::Fail {
        if let Some((n, _, best)) = candidates.first() {
            if *n == 0 {
                message.push_str(&format!("; an older file passes: {}", best.name));
            } else {
                message.push_str(&format!(
                    "; every candidate fails; closest: {} ({n} failing: {})",
                    best.name,
                    best.outcome.missing.join("; ")
                ));
            }
        }
    }
    GateResult {
        id: set.id.clone(),
        plan: set.plan.clone(),
        description: set.description.clone(),
        severity: set.severity,
        source: first.source,
        aggregate: Aggregate::All,
        select: None,
        status,
        value: newest.as_ref().and_then(|p| p.outcome.value),
        text: None,
        op: Some("=="),
        threshold: Some(Threshold::Number(0.0)),
        samples: files.len() as u64,
        min_samples: 1,
        files: files
            .first()
            .map(|f| vec![f.display().to_string()])
            .unwrap_or_default(),
        missing: newest.map(|p| p.outcome.missing).unwrap_or_default(),
        counted: Vec::new(),
        groups: Vec::new(),
        candidates: if status == Status::Fail {
            candidates.into_iter().map(|c| c.2).collect()
        } else {
            Vec::new()
        },
        baseline: None,
        message,
        explain,
    }
}

/// One gate judged on one file (no grouping, no baseline).
fn evaluate_file(g: &GateSpec, file: &Path, release: Option<&str>) -> Part {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A count over an empty population is 0, a value like any other ("no
    // failed tests" over a clean report passes); other aggregates need one.
    let min_samples = g.min_samples.unwrap_or(if g.aggregate == Aggregate::Count {
        0
    } else {
        1
    });
    match samples::from_json(g, file, release) {
        Ok((groups, _)) => {
            let s = groups.values().next();
            let outcome = s
                .map(|s| aggregate(g, s, &mut Vec::new(), ""))
                .unwrap_or_default();
            let status = judge(g, &outcome, min_samples);
            Part {
                name,
                status,
                outcome,
            }
        }
        Err(e) => Part {
            name,
            status: Status::InsufficientData,
            outcome: Outcome {
                text: Some(e.to_string()),
                ..Default::default()
            },
        },
    }
}
