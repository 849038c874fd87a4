//! Gate declarations (`[[gate]]` in tollgate.toml, SPEC §2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One gate: where its value comes from, how it is computed and judged.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    pub id: String,
    /// The plan the gate belongs to (optional; `--only` can name it).
    #[serde(default)]
    pub plan: String,
    pub description: String,
    pub source: Source,
    /// Source files: a glob relative to the workspace (default per source).
    #[serde(default)]
    pub files: Option<String>,
    /// How many of the newest files to read (events: default 1, the latest
    /// day; junit, sarif, coverage, sbom: default all, shards of one run;
    /// other sources: default 1, and N > 1 judges the N newest as one
    /// population).
    #[serde(default)]
    pub newest: Option<usize>,
    /// `summary` only: `json` (default) or `queue-delay` (any of its shapes).
    #[serde(default)]
    pub shape: Option<String>,
    /// `events` only: the `EventName` to keep.
    #[serde(default)]
    pub event: Option<String>,
    /// field = value predicates (case-insensitive) on each event or object:
    /// one value, or a list of which any matches (a deny list).
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, Accepted>,
    /// `summary` only: an RFC 9535 JSONPath query whose nodes are the
    /// records of each file (`$.benchmarks[*]`); default: the file's
    /// top-level array, or the object itself.
    #[serde(default)]
    pub records: Option<String>,
    /// The field whose values are aggregated: a dotted path, or on record
    /// sources a JSONPath query (`$...`) whose every node is a value.
    #[serde(default)]
    pub select: Option<String>,
    /// A second field (dotted) subtracted from `select` (e.g. warm minus
    /// cold average).
    #[serde(default)]
    pub minus: Option<String>,
    pub aggregate: Aggregate,
    /// The absolute rule; both absent when the baseline alone judges.
    #[serde(default)]
    pub op: Option<Op>,
    #[serde(default)]
    pub threshold: Option<Threshold>,
    #[serde(default)]
    pub severity: GateSeverity,
    /// Fewer samples than this give InsufficientData.
    #[serde(default)]
    pub min_samples: Option<u64>,
    /// Severity of InsufficientData (default: the gate's severity).
    #[serde(default)]
    pub on_insufficient: Option<GateSeverity>,
    /// Evaluate per value of this field (e.g. `Site`); the worst group decides.
    #[serde(default)]
    pub group_by: Option<String>,
    /// `ratio`: values counted as hits (percentage of samples).
    #[serde(default)]
    pub matches: Vec<String>,
    /// `coverage`: the set that must be covered (percentage covered).
    #[serde(default)]
    pub universe: Vec<String>,
    /// Compare with the same gate in a recorded baseline.
    #[serde(default)]
    pub baseline: Option<BaselineSpec>,
    /// Why the field or threshold maps as it does (shown by --explain).
    #[serde(default)]
    pub note: Option<String>,
}

/// Gates judged together on each candidate file of their common source: the
/// set passes on a file only when every member does.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSetSpec {
    pub id: String,
    pub plan: String,
    pub description: String,
    /// Member gate ids.
    pub gates: Vec<String>,
    #[serde(default)]
    pub severity: GateSeverity,
}

/// Where a gate's samples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Summary,
    WarmRun,
    Events,
    SharedCache,
    Verification,
    /// JUnit XML reports: one sample per test case (`suite`, `classname`,
    /// `name`, `time`, `outcome`), every matched file merged (shards).
    Junit,
    /// SARIF 2.1.0 logs: one sample per result (`run`, `tool`, `ruleId`,
    /// `level`, `baselineState`, `suppressed`, `uri`), files merged.
    Sarif,
    /// Cobertura, LCOV or JaCoCo reports, merged: a record per source file
    /// (`scope` "file") and one `scope` "total", with `line_rate` and
    /// `branch_rate` in percent and the counts behind them.
    Coverage,
    /// CycloneDX or SPDX SBOMs: a record per component (`name`, `version`,
    /// `type`, `license`, `licensed`, `versioned`, `purl`), files merged.
    Sbom,
    /// A markdown CHANGELOG: a record per change (`version`, `date`,
    /// `section`, `text`, `line`) of the entry of the version being
    /// released, or of the topmost released entry when no release is being
    /// decided.
    Changelog,
}

impl Source {
    /// Whether every matched file is read and merged (reports of one run,
    /// sharded), rather than the newest judged.
    pub fn merges_files(self) -> bool {
        matches!(
            self,
            Source::Junit | Source::Sarif | Source::Coverage | Source::Sbom
        )
    }

    /// The name used in the policy.
    pub fn word(self) -> &'static str {
        match self {
            Source::Summary => "summary",
            Source::WarmRun => "warm-run",
            Source::Events => "events",
            Source::SharedCache => "shared-cache",
            Source::Verification => "verification",
            Source::Junit => "junit",
            Source::Sarif => "sarif",
            Source::Coverage => "coverage",
            Source::Sbom => "sbom",
            Source::Changelog => "changelog",
        }
    }
}

/// The values a `where` field accepts: one, or any of a list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "OneOrMany")]
pub struct Accepted(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrMany> for Accepted {
    fn from(v: OneOrMany) -> Self {
        match v {
            OneOrMany::One(s) => Accepted(vec![s]),
            OneOrMany::Many(l) => Accepted(l),
        }
    }
}

impl Accepted {
    /// Whether `value` (trimmed, case-insensitive) is one of the accepted.
    pub fn admits(&self, value: &str) -> bool {
        let v = value.trim();
        self.0.iter().any(|w| v.eq_ignore_ascii_case(w.trim()))
    }
}

/// How samples become one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    Value,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    P50,
    P90,
    P95,
    P99,
    Distinct,
    Ratio,
    Coverage,
    /// A gate set: the number of member criteria that fail.
    All,
}

/// Comparison of the value with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    /// `value op threshold` for numbers.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => value < threshold,
            Op::Le => value <= threshold,
            Op::Gt => value > threshold,
            Op::Ge => value >= threshold,
            Op::Eq => value == threshold,
            Op::Ne => value != threshold,
        }
    }
}

/// A number, or text for `==`/`!=` on text values.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Threshold {
    Number(f64),
    Text(String),
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Number(n) => write!(f, "{n}"),
            Threshold::Text(t) => write!(f, "{t}"),
        }
    }
}

/// What a failing gate means for the release.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GateSeverity {
    #[default]
    Block,
    Warn,
    Track,
}

/// Release-over-release comparison.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineSpec {
    /// Fail when the value grew more than this percentage over the baseline.
    #[serde(default)]
    pub max_increase_percent: Option<f64>,
    /// Fail when the value fell more than this percentage below the baseline.
    #[serde(default)]
    pub max_decrease_percent: Option<f64>,
    /// Fail when the value grew by more than this, in the gate's own unit
    /// (e.g. 2 failures more than the last release).
    #[serde(default)]
    pub max_increase: Option<f64>,
    /// Fail when the value fell by more than this, in the gate's own unit
    /// (e.g. 1 point of line coverage below the last release).
    #[serde(default)]
    pub max_decrease: Option<f64>,
}

impl GateSpec {
    /// The absolute rule (op, threshold), or `None` for a gate judged
    /// against its baseline alone.
    pub fn rule(&self) -> Option<(Op, &Threshold)> {
        Some((self.op?, self.threshold.as_ref()?))
    }

    /// Whether several files are read as one population (every non-events
    /// source but the one judged file of its newest).
    pub fn merged(&self) -> bool {
        self.source.merges_files()
            || (self.source != Source::Events && self.newest.is_some_and(|n| n > 1))
    }
}

/// Declaration errors that parsing alone cannot catch.
pub fn check(g: &GateSpec) -> Result<(), String> {
    use Aggregate::*;
    if g.source == Source::Events && g.event.is_none() {
        return Err("source \"events\" needs event = \"EventName\"".into());
    }
    if (matches!(g.source, Source::Summary | Source::Changelog) || g.source.merges_files())
        && g.files.is_none()
    {
        return Err(format!(
            "source \"{}\" needs files = \"glob\"",
            g.source.word()
        ));
    }
    if !g.filter.is_empty() && g.shape.as_deref() == Some("queue-delay") {
        return Err(
            "where does nothing for shape \"queue-delay\": it has no records to filter".into(),
        );
    }
    if g.newest.is_some_and(|n| n > 1) && g.shape.as_deref() == Some("queue-delay") {
        return Err(
            "newest > 1 does nothing for shape \"queue-delay\": one summary is one figure".into(),
        );
    }
    if let Some((k, _)) = g.filter.iter().find(|(_, a)| a.0.is_empty()) {
        return Err(format!(
            "where: '{k}' lists no value, so nothing could match"
        ));
    }
    if g.newest == Some(0) {
        return Err("newest must be at least 1".into());
    }
    if g.shape.is_some() && g.source != Source::Summary {
        return Err("shape applies to source \"summary\" only".into());
    }
    let json_path = |s: &Option<String>| s.as_deref().is_some_and(crate::read::json::is_json_path);
    if g.records.is_some()
        && (g.source != Source::Summary || g.shape.as_deref() == Some("queue-delay"))
    {
        return Err("records applies to source \"summary\" (shape json) only".into());
    }
    if g.records.is_some() && !json_path(&g.records) {
        return Err("records must be a JSONPath query ($...)".into());
    }
    if g.source == Source::Events && (json_path(&g.select) || json_path(&g.minus)) {
        return Err(
            "JSONPath selectors apply to record sources, not \"events\": use a field name".into(),
        );
    }
    if json_path(&g.minus) || (json_path(&g.select) && g.minus.is_some()) {
        return Err(
            "minus needs a dotted select and a dotted minus: a JSONPath query can give many values"
                .into(),
        );
    }
    if json_path(&g.group_by) || g.filter.keys().any(|k| crate::read::json::is_json_path(k)) {
        return Err("where and group_by take field names (dotted paths); JSONPath goes in select or records".into());
    }
    if g.select.is_none() && !matches!(g.aggregate, Count) {
        return Err("needs select = \"Field\"".into());
    }
    if g.aggregate == All {
        return Err("aggregate \"all\" is for [[gate_set]], not a gate".into());
    }
    if g.aggregate == Ratio && g.matches.is_empty() {
        return Err("aggregate \"ratio\" needs matches = [...]".into());
    }
    if g.aggregate == Coverage && g.universe.is_empty() {
        return Err("aggregate \"coverage\" needs universe = [...]".into());
    }
    if g.op.is_some() != g.threshold.is_some() {
        return Err("op and threshold go together: give both, or neither for a gate judged by its baseline alone".into());
    }
    let limits = g.baseline.as_ref().map_or(0, |b| {
        [
            b.max_increase_percent,
            b.max_decrease_percent,
            b.max_increase,
            b.max_decrease,
        ]
        .iter()
        .flatten()
        .count()
    });
    if g.baseline.is_some() && limits == 0 {
        return Err("baseline needs a limit: max_increase, max_decrease, max_increase_percent or max_decrease_percent".into());
    }
    if g.rule().is_none() && limits == 0 {
        return Err(
            "needs op and threshold, or a baseline rule that alone says what passes".into(),
        );
    }
    if matches!(g.rule(), Some((op, Threshold::Text(_))) if !matches!(op, Op::Eq | Op::Ne)) {
        return Err("a text threshold needs op \"==\" or \"!=\"".into());
    }
    Ok(())
}
