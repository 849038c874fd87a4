//! Gathering a gate's samples from its source files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::policy::gate::{Aggregate, GateSpec, Source};
use crate::read::json::{get_path, Selector};
use crate::read::telemetry::{EventQuery, Scalar};
use crate::read::{
    analyzer, changelog, coverage, junit, queue_delay, sarif, sbom, shared_cache, telemetry,
    warm_run,
};
use crate::telemetry::fold::Tally;
use crate::telemetry::stats::Distribution;

/// Samples of one group.
#[derive(Debug, Default)]
pub struct Samples {
    pub count: u64,
    pub numbers: Distribution,
    /// Text forms, kept only for aggregates that need them.
    pub texts: Tally,
    pub first_number: Option<f64>,
    pub first_text: Option<String>,
    /// What the population lacks (a changelog's entry for the version).
    pub missing: Vec<String>,
    /// A `count` with `where`: the first records counted.
    pub counted: Vec<super::Counted>,
}

/// How many counted records a gate names.
pub const COUNTED: usize = 5;

impl Samples {
    /// Fold in samples gathered elsewhere (another file).
    fn merge(&mut self, other: Samples) {
        self.count += other.count;
        self.numbers.merge(&other.numbers);
        self.texts.merge(&other.texts);
        if self.first_number.is_none() {
            self.first_number = other.first_number;
        }
        if self.first_text.is_none() {
            self.first_text = other.first_text;
        }
        self.missing.extend(other.missing);
        let room = COUNTED.saturating_sub(self.counted.len());
        self.counted.extend(other.counted.into_iter().take(room));
    }

    fn push(&mut self, v: &Scalar, want_text: bool) {
        let number = v.number();
        // The text form is made only where it is used.
        let text = |v: &Scalar| match v {
            Scalar::Str(s) => Some(s.trim().to_string()),
            Scalar::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            Scalar::Number(n) => Some(
                serde_json::from_str::<serde_json::Number>(n)
                    .map_or_else(|_| n.to_string(), |n| n.to_string()),
            ),
            Scalar::Null | Scalar::Other => None,
        };
        if number.is_none() && !matches!(v, Scalar::Str(_) | Scalar::Bool(_) | Scalar::Number(_)) {
            return;
        }
        self.count += 1;
        if let Some(n) = number {
            self.numbers.add(n);
            self.first_number.get_or_insert(n);
        }
        if want_text || (self.first_text.is_none() && number.is_none()) {
            let t = text(v).unwrap_or_default();
            if want_text {
                self.texts.add(&t);
            }
            if self.first_text.is_none() && number.is_none() {
                self.first_text = Some(t);
            }
        }
    }
}

fn wants_text(g: &GateSpec) -> bool {
    matches!(
        g.aggregate,
        Aggregate::Value | Aggregate::Distinct | Aggregate::Ratio | Aggregate::Coverage
    )
}

/// `select` (minus `minus`) of one event or object, its fields looked up
/// by name (top-level or dotted path), or `None` when absent.
fn selected_field<'a>(
    g: &GateSpec,
    field: &dyn Fn(&str) -> Option<Scalar<'a>>,
) -> Option<Scalar<'a>> {
    let v = field(g.select.as_deref()?)?;
    match g.minus.as_deref() {
        None => Some(v),
        Some(m) => {
            let a = v.number()?;
            let b = field(m)?.number()?;
            serde_json::Number::from_f64(a - b).map(|n| Scalar::Number(n.to_string().into()))
        }
    }
}

/// A field as text for grouping and filters: strings as written, numbers
/// in their shortest form.
fn key_text<'a>(v: &'a Scalar) -> Option<std::borrow::Cow<'a, str>> {
    match v {
        Scalar::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
        Scalar::Number(_) => v.number().map(|n| n.to_string().into()),
        Scalar::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
        _ => None,
    }
}

type Groups = (BTreeMap<String, Samples>, Vec<String>);

/// Samples from one source file (summary, warm-run, shared-cache,
/// verification, changelog); `release` is the version being released.
pub fn from_json(g: &GateSpec, file: &Path, release: Option<&str>) -> Result<Groups> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut s = Samples::default();
    let mut notes = Vec::new();
    if g.source == Source::Summary && g.shape.as_deref() == Some("queue-delay") {
        let stats = queue_delay::read(file)?;
        let field = g.select.as_deref().unwrap_or("P95");
        let value = stats.get(field);
        s.count = stats.sample_count.unwrap_or(0.0) as u64;
        if let Some(v) = value {
            s.numbers.add(v);
            s.first_number = Some(v);
        }
        notes.push(format!(
            "{name}: queue-delay summary, SampleCount {:?}, {field} {:?}",
            stats.sample_count, value
        ));
        return Ok((BTreeMap::from([(String::new(), s)]), notes));
    }
    if g.source == Source::Changelog {
        return from_changelog(g, file, &name, release);
    }
    let (groups, note) = from_objects(g, records(g, file)?, &name)?;
    notes.push(note);
    Ok((groups, notes))
}

/// The changes of `release`'s entry (the topmost entry without a release);
/// an absent entry is what the population lacks.
fn from_changelog(g: &GateSpec, file: &Path, name: &str, release: Option<&str>) -> Result<Groups> {
    let log = changelog::read(file)?;
    let entry = log.entry(release);
    let objects: Vec<Value> = entry
        .into_iter()
        .flat_map(|e| {
            e.items.iter().map(|i| {
                serde_json::json!({
                    "version": e.version, "date": e.date, "section": i.section,
                    "text": i.text, "line": i.line,
                })
            })
        })
        .collect();
    let (mut groups, note) = from_objects(g, objects.into_iter(), name)?;
    let newest = log
        .entries
        .first()
        .map(|e| format!("the topmost is {} at line {}", e.version, e.line))
        .unwrap_or_else(|| "it has no version headings".into());
    let (said, missing) = match (entry, release) {
        (Some(e), Some(_)) => (
            format!("{name}: entry {} at line {}", e.version, e.line),
            None,
        ),
        (Some(e), None) => (
            format!(
                "{name}: no release version given; the topmost released entry, {} at line {}",
                e.version, e.line
            ),
            None,
        ),
        (None, Some(v)) => (
            format!("{name}: no entry for {v}; {newest}"),
            Some(format!("an entry for {v} in {name} ({newest})")),
        ),
        (None, None) => (
            format!("{name}: {newest}"),
            Some(format!("a released version's entry in {name}")),
        ),
    };
    for s in groups.values_mut() {
        s.missing.extend(missing.clone());
    }
    Ok((groups, vec![said, note]))
}

/// Records made one at a time from a file read whole: a large report's
/// records are never all held at once.
type Records = Box<dyn Iterator<Item = Value>>;

/// The records of one file of a record source (not queue-delay). JUnit,
/// SARIF and SBOM records also carry `report` (the file read) and `label`
/// (what a count names: a test, a rule at a location, a component).
fn records(g: &GateSpec, file: &Path) -> Result<Records> {
    let report = file.display().to_string();
    Ok(match g.source {
        Source::Junit => Box::new(junit::read(file)?.cases.into_iter().map(move |c| {
            let label = match (c.classname.as_str(), c.suite.as_str()) {
                ("", "") => c.name.clone(),
                ("", suite) => format!("{suite}::{}", c.name),
                (class, _) => format!("{class}::{}", c.name),
            };
            serde_json::json!({
                "suite": c.suite, "classname": c.classname, "name": c.name,
                "time": c.time, "outcome": c.outcome.word(),
                "report": report, "line": c.line, "label": label,
            })
        })),
        Source::Sarif => Box::new(sarif::read(file)?.results.into_iter().map(move |r| {
            let label = match r.uri.as_str() {
                "" => format!("{} ({})", r.rule_id, r.level),
                uri => format!("{} ({}) at {uri}", r.rule_id, r.level),
            };
            serde_json::json!({
                "run": r.run, "tool": r.tool, "ruleId": r.rule_id, "level": r.level,
                "baselineState": r.baseline_state, "suppressed": r.suppressed, "uri": r.uri,
                "report": report, "label": label,
            })
        })),
        Source::WarmRun => Box::new(std::iter::once(warm_run::read(file)?)),
        Source::SharedCache => {
            Box::new(shared_cache::read(file)?.into_iter().map(
                |e| serde_json::json!({"Site": e.site, "Hosts": e.hosts, "TotalRows": e.rows}),
            ))
        }
        Source::Coverage => Box::new(coverage_records(&coverage::read(file)?).into_iter()),
        Source::Sbom => Box::new(sbom::read(file)?.components.into_iter().map(move |c| {
            let label = match c.version.as_str() {
                "" => c.name.clone(),
                v => format!("{}@{v}", c.name),
            };
            serde_json::json!({
                "report": report, "label": label,
                "name": c.name, "version": c.version, "type": c.kind,
                "license": c.licenses.join(" AND "), "licensed": !c.licenses.is_empty(),
                "licenses": c.licenses,
                "versioned": !c.version.is_empty(), "purl": c.purl,
            })
        })),
        Source::Summary if g.records.is_some() => {
            let query = crate::read::json::json_path(g.records.as_deref().unwrap_or("$"))
                .map_err(Error::Usage)?;
            let doc = crate::read::json::load(file)?;
            let nodes: Vec<Value> = query.query(&doc).all().into_iter().cloned().collect();
            Box::new(nodes.into_iter())
        }
        _ => Box::new(analyzer::read(file)?.into_iter()),
    })
}

/// Samples from `objects` (filtered by `where`, grouped by `group_by`) and
/// the note saying how many there were, `label` naming where they came from.
fn from_objects(
    g: &GateSpec,
    objects: impl Iterator<Item = Value>,
    label: &str,
) -> Result<(BTreeMap<String, Samples>, String)> {
    let select = g
        .select
        .as_deref()
        .map(Selector::parse)
        .transpose()
        .map_err(Error::Usage)?;
    let mut groups: BTreeMap<String, Samples> = BTreeMap::new();
    let (mut kept, mut seen) = (0, 0);
    for o in objects {
        seen += 1;
        let o = &o;
        let field = |k: &str| get_path(o, k).map(Scalar::from_value);
        let text = |k: &str| field(k).as_ref().and_then(key_text).map(|t| t.into_owned());
        // An array field (an SBOM component's `licenses`) matches when any
        // of its elements does.
        let admitted = |k: &str, want: &crate::policy::gate::Accepted| {
            let admits =
                |v: &Value| key_text(&Scalar::from_value(v)).is_some_and(|t| want.admits(&t));
            match get_path(o, k) {
                Some(Value::Array(items)) => items.iter().any(admits),
                Some(v) => admits(v),
                None => false,
            }
        };
        if !g.filter.iter().all(|(k, want)| admitted(k, want)) {
            continue;
        }
        kept += 1;
        let group = g
            .group_by
            .as_deref()
            .map(|k| text(k).unwrap_or_else(|| "(none)".into()))
            .unwrap_or_default();
        let s = groups.entry(group).or_default();
        if g.aggregate == Aggregate::Count && !g.filter.is_empty() && s.counted.len() < COUNTED {
            if let (Some(label), Some(report)) = (o["label"].as_str(), o["report"].as_str()) {
                s.counted.push(super::Counted {
                    label: label.to_string(),
                    file: report.to_string(),
                    line: o["line"].as_u64(),
                });
            }
        }
        match &select {
            None if g.aggregate == Aggregate::Count => s.count += 1,
            // Every node of a query is a sample; a count counts them all,
            // arrays and objects included.
            Some(q @ Selector::Path(_)) if g.aggregate == Aggregate::Count => {
                s.count += q.values(o).len() as u64;
            }
            Some(q @ Selector::Path(_)) => {
                for v in q.values(o) {
                    s.push(&Scalar::from_value(v), wants_text(g));
                }
            }
            _ => {
                if let Some(v) = selected_field(g, &field) {
                    s.push(&v, wants_text(g));
                }
            }
        }
    }
    if groups.is_empty() {
        groups.insert(String::new(), Samples::default());
    }
    let filtered = if g.filter.is_empty() {
        String::new()
    } else {
        format!(", {kept} matching where")
    };
    let note = format!(
        "{label}: {seen} object(s){filtered}, {} with {}",
        groups.values().map(|s| s.count).sum::<u64>(),
        g.select.as_deref().unwrap_or("-")
    );
    Ok((groups, note))
}

/// Samples from every file of a merged file source (JUnit shards, SARIF
/// logs, coverage reports) as one population, in file order.
pub fn from_files(g: &GateSpec, files: &[PathBuf]) -> Result<Groups> {
    let objects: Records = if g.source == Source::Coverage {
        let mut all = coverage::Coverage::default();
        for f in files {
            all.files.extend(coverage::read(f)?.files);
        }
        Box::new(coverage_records(&all).into_iter())
    } else {
        // Every file is read (and any error found) before the first record.
        let per_file = files
            .iter()
            .map(|f| records(g, f))
            .collect::<Result<Vec<_>>>()?;
        Box::new(per_file.into_iter().flatten())
    };
    let label = format!("{} file(s)", files.len());
    let (groups, note) = from_objects(g, objects, &label)?;
    Ok((groups, vec![note]))
}

/// One record per source file (`scope` "file") and one for the whole
/// (`scope` "total"), with rates in percent (absent when nothing is valid).
fn coverage_records(c: &coverage::Coverage) -> Vec<Value> {
    let record = |scope: &str, f: &coverage::FileCoverage| {
        serde_json::json!({
            "scope": scope, "file": f.file, "package": f.package,
            "lines_valid": f.lines_valid, "lines_covered": f.lines_covered,
            "line_rate": coverage::percent(f.lines_covered, f.lines_valid),
            "branches_valid": f.branches_valid, "branches_covered": f.branches_covered,
            "branch_rate": coverage::percent(f.branches_covered, f.branches_valid),
        })
    };
    let mut out: Vec<Value> = c.files.iter().map(|f| record("file", f)).collect();
    out.push(record("total", &c.total()));
    out
}

/// Samples from JSON-lines events, grouped by `group_by` when set; files
/// are read in parallel and merged in file order.
pub fn from_events(g: &GateSpec, files: &[PathBuf]) -> Result<Groups> {
    let per_file: Vec<Result<(BTreeMap<String, Samples>, String)>> =
        files.par_iter().map(|f| events_in_file(g, f)).collect();
    let mut groups: BTreeMap<String, Samples> = BTreeMap::new();
    let mut notes = Vec::new();
    for r in per_file {
        let (file_groups, note) = r?;
        notes.push(note);
        for (k, s) in file_groups {
            groups.entry(k).or_default().merge(s);
        }
    }
    if groups.is_empty() {
        groups.insert(String::new(), Samples::default());
    }
    Ok((groups, notes))
}

fn events_in_file(g: &GateSpec, f: &Path) -> Result<(BTreeMap<String, Samples>, String)> {
    let want = g.event.as_deref().unwrap_or("");
    let want_text = wants_text(g);
    let mut groups: BTreeMap<String, Samples> = BTreeMap::new();
    let mut kept = 0u64;
    // The fields this gate reads: select, minus, group_by, then the filters.
    let keys: Vec<&str> = [
        g.select.as_deref(),
        g.minus.as_deref(),
        g.group_by.as_deref(),
    ]
    .into_iter()
    .flatten()
    .chain(g.filter.keys().map(String::as_str))
    .collect();
    let query = EventQuery::new(want, &keys);
    let scan = telemetry::scan_event(f, &query, |_, fields, _| {
        let field = |k: &str| {
            keys.iter()
                .position(|x| *x == k)
                .and_then(|i| fields[i].clone())
        };
        let field_text = |k: &str| {
            keys.iter()
                .position(|x| *x == k)
                .and_then(|i| fields[i].as_ref())
                .and_then(key_text)
        };
        if !g
            .filter
            .iter()
            .all(|(k, want)| field_text(k).is_some_and(|v| want.admits(&v)))
        {
            return;
        }
        let group = g
            .group_by
            .as_deref()
            .map(|k| field_text(k).unwrap_or(std::borrow::Cow::Borrowed("(none)")))
            .unwrap_or_default();
        let s = match groups.get_mut(group.as_ref()) {
            Some(s) => s,
            None => groups.entry(group.into_owned()).or_default(),
        };
        if g.aggregate == Aggregate::Count && g.select.is_none() {
            s.count += 1;
        } else if let Some(v) = selected_field(g, &field) {
            s.push(&v, want_text);
        }
        kept += 1;
    })?;
    if scan.not_json_lines {
        return Err(Error::parse(f, None, "not JSON Lines"));
    }
    let name = f
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let issues = scan.malformed + scan.duplicates;
    let note = format!(
        "{name}: {} lines, {kept} {want} event(s) kept{}",
        scan.lines,
        if issues > 0 {
            format!(
                ", {} malformed and {} duplicate lines skipped",
                scan.malformed, scan.duplicates
            )
        } else {
            String::new()
        }
    );
    Ok((groups, note))
}
