//! The `tollgate.toml` model and the built-in profiles.
//!
//! Everything project-specific (paths, bundle areas and requirements, publish
//! sources, thresholds) lives here and nowhere else.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

pub mod approvals;
pub mod doc_rule;
pub mod gate;
pub use approvals::ApprovalsPolicy;
pub use doc_rule::{DocRule, RuleLevel};
pub use gate::{GateSetSpec, GateSpec};

/// The file name of a workspace's policy.
pub const POLICY_FILE: &str = "tollgate.toml";

/// Built-in profiles, as the commented TOML that `tollgate init` writes.
pub const PROFILES: &[(&str, &str)] = &[
    ("statetrace", include_str!("statetrace.toml")),
    ("minimal", include_str!("minimal.toml")),
    ("generic", include_str!("generic.toml")),
];

/// A parsed `tollgate.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Name of the profile the file was made from (informational).
    #[serde(default)]
    pub profile: Option<String>,
    pub paths: Paths,
    pub telemetry: TelemetryPolicy,
    pub bundle: BundlePolicy,
    /// Release gates, in report order.
    #[serde(default, rename = "gate")]
    pub gates: Vec<GateSpec>,
    /// Gates judged together per source file.
    #[serde(default, rename = "gate_set")]
    pub gate_sets: Vec<GateSetSpec>,
    /// Governance documents; absent means `docs` commands have nothing to check.
    #[serde(default)]
    pub docs: Option<DocsPolicy>,
    /// `tollgate verify`: commands to run and how strictly to judge.
    #[serde(default)]
    pub verify: VerifyPolicy,
    /// Attestations (SPEC §7).
    #[serde(default)]
    pub signing: SigningPolicy,
    /// The readiness dashboard.
    #[serde(default)]
    pub dashboard: DashboardPolicy,
    /// Bounds on what tollgate reads.
    #[serde(default)]
    pub limits: LimitsPolicy,
    /// The ledger's signed checkpoints.
    #[serde(default)]
    pub ledger: LedgerPolicy,
    /// Signed approvals and waivers; absent means approvals are
    /// unauthenticated names.
    #[serde(default)]
    pub approvals: Option<ApprovalsPolicy>,
}

/// Where the ledger lives, where its signed checkpoints go, and when they
/// are written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerPolicy {
    /// A shared ledger, `postgres://USER@HOST[:PORT]/DB` (no password: the
    /// policy is committed). `TOLLGATE_LEDGER_URL` overrides it; absent, the
    /// ledger is the workspace's `.tollgate/ledger.db`.
    #[serde(default)]
    pub url: Option<String>,
    /// Workspace-relative JSON-lines file of signed checkpoints, meant to be
    /// committed to version control.
    #[serde(default = "default_checkpoints")]
    pub checkpoints: String,
    /// `verify` and `release` append a checkpoint after their entry.
    #[serde(default)]
    pub auto_checkpoint: bool,
}

impl Default for LedgerPolicy {
    fn default() -> Self {
        LedgerPolicy {
            url: None,
            checkpoints: default_checkpoints(),
            auto_checkpoint: false,
        }
    }
}

fn default_checkpoints() -> String {
    "docs/governance/ledger-checkpoints.jsonl".into()
}

/// One allowed redaction hit: in files matching `path` (a glob over the
/// workspace-relative path or the file name), on lines matching `pattern`
/// (a regular expression), for `reason`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactionAllow {
    pub path: String,
    pub pattern: String,
    pub reason: String,
}

/// Bounds on what tollgate reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsPolicy {
    /// A document, summary or record read whole may be at most this many bytes.
    #[serde(default = "default_max_read_bytes")]
    pub max_read_bytes: u64,
}

impl Default for LimitsPolicy {
    fn default() -> Self {
        LimitsPolicy {
            max_read_bytes: default_max_read_bytes(),
        }
    }
}

fn default_manifest() -> String {
    "manifest.json".into()
}

fn default_title() -> String {
    "Evidence Bundle".into()
}

fn default_max_read_bytes() -> u64 {
    crate::read::file::DEFAULT_MAX_BYTES
}

/// What the dashboard charts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardPolicy {
    /// Gate ids drawn as trend charts across verification runs.
    #[serde(default)]
    pub trends: Vec<String>,
}

/// What `tollgate verify` runs before the gates, and when it is scheduled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyPolicy {
    /// Any skipped assertion makes the run Fail.
    #[serde(default)]
    pub require_zero_skipped: bool,
    /// The schedule `schedule print|install` uses by default: `HH:MM` daily, or a cron expression.
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default, rename = "step")]
    pub steps: Vec<StepPolicy>,
    /// The longest a run may take, steps included (e.g. `2h`). A run is
    /// stopped when it takes longer, and a scheduled run that finds the lock
    /// held longer than this fails, naming the holder.
    #[serde(default = "default_max_duration")]
    pub max_duration: String,
}

fn default_max_duration() -> String {
    "2h".into()
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy {
            require_zero_skipped: false,
            schedule: None,
            steps: Vec::new(),
            max_duration: default_max_duration(),
        }
    }
}

impl VerifyPolicy {
    /// [`VerifyPolicy::max_duration`], validated when the policy loads.
    pub fn max_duration(&self) -> Duration {
        parse_duration(&self.max_duration).unwrap_or(Duration::from_secs(7_200))
    }
}

/// One verification command, run by the shell in the workspace root.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepPolicy {
    pub name: String,
    pub run: String,
    /// Killed (and failed) after this long, e.g. `10m`.
    #[serde(default = "default_step_timeout")]
    pub timeout: String,
}

fn default_step_timeout() -> String {
    "30m".into()
}

/// Where the signing keys are and whether evidence must be signed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningPolicy {
    /// Verification fails for bundles and releases without a valid envelope.
    #[serde(default)]
    pub require: bool,
    /// The ed25519 public key (PEM, or hex as written before) that
    /// envelopes must verify against.
    #[serde(default = "default_public_key")]
    pub public_key: String,
    /// The `resourceUri` of a release's verification summary, with
    /// `{version}` replaced by the release version (e.g.
    /// `pkg:generic/myapp@{version}`).
    #[serde(default = "default_resource_uri")]
    pub resource_uri: String,
}

impl Default for SigningPolicy {
    fn default() -> Self {
        SigningPolicy {
            require: false,
            public_key: default_public_key(),
            resource_uri: default_resource_uri(),
        }
    }
}

fn default_public_key() -> String {
    ".tollgate/keys/tollgate.pub".into()
}

fn default_resource_uri() -> String {
    "urn:tollgate:release:{version}".into()
}

/// Where the governance documents are and which drift rules apply.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocsPolicy {
    /// Task IDs (a regular expression, matched as a whole token).
    pub id_pattern: String,
    pub task_board: String,
    /// The heading above the board's snapshot table.
    pub task_board_section: String,
    pub task_board_csv: String,
    pub csv_columns: Vec<String>,
    #[serde(default)]
    pub min_csv_rows: usize,
    /// The release checklist (`- [ ]` items), for `docs checklist`.
    #[serde(default)]
    pub release_checklist: Option<String>,
    /// The risk register (a table with `#`, Risk, Mitigation and Owner columns).
    #[serde(default)]
    pub risk_register: Option<String>,
    /// The backlog, for `docs task`.
    #[serde(default)]
    pub backlog: Option<String>,
    /// `docs task` fails when the backlog does not cite the task.
    #[serde(default)]
    pub require_backlog_entry: bool,
    /// Session logs (a glob), for `docs task`.
    #[serde(default)]
    pub session_logs: Option<String>,
    /// Plan documents (a glob); their tables' task IDs must be on a board.
    #[serde(default)]
    pub plans: Option<String>,
    /// Plan headings (matched as case-insensitive substrings) whose tables
    /// list finished tasks, e.g. "Recently delivered".
    #[serde(default)]
    pub delivered_sections: Vec<String>,
    /// The plan index, whose table cites every plan file.
    #[serde(default)]
    pub plan_index: Option<String>,
    /// The roadmap: milestones with a task ID and a target date.
    #[serde(default)]
    pub roadmap: Option<String>,
    /// Headings of the board's narrative sections (cards as `- **Title**`).
    #[serde(default)]
    pub narrative_columns: Vec<String>,
    /// In a git work tree, the CSV may lose at most this many rows against HEAD.
    #[serde(default = "default_row_loss")]
    pub max_csv_row_loss: usize,
    /// Rule -> severity (`block`, `warn`, `info` or `off`).
    #[serde(default)]
    pub rules: std::collections::BTreeMap<DocRule, RuleLevel>,
}

impl DocsPolicy {
    /// The ID pattern anchored to whole tokens (validated at load).
    pub fn id_regex(&self) -> regex::Regex {
        regex::Regex::new(&format!(r"\b(?:{})\b", self.id_pattern))
            .unwrap_or_else(|_| regex::Regex::new("$^").expect("valid"))
    }

    /// The severity of `rule`, or `None` when it is off (unlisted rules block).
    pub fn severity(&self, rule: DocRule) -> Option<crate::finding::Severity> {
        self.rules
            .get(&rule)
            .map_or(Some(crate::finding::Severity::Block), |l| l.severity())
    }
}

fn default_row_loss() -> usize {
    20
}

/// Raw telemetry rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryPolicy {
    /// Glob of daily JSON-lines files inside `paths.telemetry`.
    pub daily_files: String,
    #[serde(default)]
    pub required_user_actions: Vec<String>,
}

/// Workspace-relative folders.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    pub telemetry: String,
    pub bundles: String,
    pub verification: String,
    pub release_evidence: String,
    /// StateTrace's shared-cache snapshot summaries: a release includes the
    /// newest (and warns without one) only when this is set.
    #[serde(default)]
    pub shared_cache: Option<String>,
    pub reports: String,
}

impl Paths {
    /// Every configured folder.
    pub fn all(&self) -> Vec<&str> {
        let mut v = vec![
            self.telemetry.as_str(),
            &self.bundles,
            &self.verification,
            &self.release_evidence,
            &self.reports,
        ];
        v.extend(self.shared_cache.as_deref());
        v
    }
}

/// Evidence-bundle rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundlePolicy {
    /// Area used when none is named (publish) or recorded (root-level manifest).
    pub default_area: String,
    /// The manifest's file name in every area (StateTrace's is
    /// `TelemetryBundle.json`).
    #[serde(default = "default_manifest")]
    pub manifest: String,
    /// The README's title, written as `# <title> - <bundle>`.
    #[serde(default = "default_title")]
    pub title: String,
    /// Maximum artifact age relative to the bundle's `CreatedAt`, e.g. `7d`.
    pub max_age: String,
    #[serde(default)]
    pub stub_markers: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub redaction_patterns: Vec<String>,
    /// Known false positives of the redaction scan, each with its reason.
    #[serde(default)]
    pub redaction_allow: Vec<RedactionAllow>,
    #[serde(default, rename = "area")]
    pub areas: Vec<AreaPolicy>,
    #[serde(default, rename = "source")]
    pub sources: Vec<SourcePolicy>,
}

/// One bundle area and what it must contain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaPolicy {
    pub name: String,
    #[serde(default)]
    pub requirements: Vec<Requirement>,
}

/// A named requirement met by any usable file matching one of `patterns`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub name: String,
    pub patterns: Vec<String>,
    #[serde(default)]
    pub level: Level,
}

/// Whether an unmet requirement blocks or warns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Required,
    Optional,
}

/// Where `bundle publish` finds the latest artifacts of one category.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcePolicy {
    pub category: String,
    pub dirs: Vec<String>,
    pub patterns: Vec<String>,
    /// Files taken per pattern (newest first).
    #[serde(default = "one")]
    pub max: usize,
    #[serde(default)]
    pub required: bool,
    /// Area-name globs this source applies to; empty means all areas.
    #[serde(default)]
    pub areas: Vec<String>,
}

fn one() -> usize {
    1
}

impl Policy {
    /// The built-in profile `name`.
    pub fn builtin(name: &str) -> Result<Policy> {
        let text = profile_text(name)?;
        Policy::parse(text, Path::new(&format!("<builtin profile {name}>")))
    }

    /// Read and validate a policy file.
    pub fn load(path: &Path) -> Result<Policy> {
        let text = crate::read::text::read_to_string(path)?;
        Policy::parse(&text, path)
    }

    /// Parse and validate policy text; `path` is used in messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Policy> {
        // The path of the offending key (serde_path_to_error) and its line
        // (the TOML error's span), e.g. `tollgate.toml:52: verify.step[0]: ...`.
        let policy: Policy = serde_path_to_error::deserialize(toml::Deserializer::new(text))
            .map_err(|e| {
                let key = e.path().to_string();
                let inner = e.into_inner();
                let line = inner
                    .span()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                let message = inner.message().trim_end().replace('\n', " ");
                Error::Policy {
                    path: path.to_path_buf(),
                    line,
                    message: if key == "." || key.is_empty() {
                        message
                    } else {
                        format!("{key}: {message}")
                    },
                }
            })?;
        policy.validate(path, text)?;
        Ok(policy)
    }

    /// Checks parsing alone cannot make; each error names the line of
    /// `text` that its anchor (a key or `key = "value"`) first stands on.
    fn validate(&self, path: &Path, text: &str) -> Result<()> {
        let bad = |anchor: &str, message: String| Error::Policy {
            path: path.to_path_buf(),
            line: line_of(text, anchor),
            message,
        };
        parse_duration(&self.bundle.max_age)
            .map_err(|m| bad("max_age", format!("bundle.max_age: {m}")))?;
        for a in &self.bundle.redaction_allow {
            if a.reason.trim().len() < 10 || a.path.trim().is_empty() {
                return Err(bad(
                    "redaction_allow",
                    format!("bundle.redaction_allow '{}': needs a path and a reason of at least 10 characters", a.pattern),
                ));
            }
            regex::bytes::Regex::new(&a.pattern).map_err(|e| {
                bad(
                    &a.pattern,
                    format!("bundle.redaction_allow: '{}': {e}", a.pattern),
                )
            })?;
        }
        for p in &self.bundle.redaction_patterns {
            regex::RegexBuilder::new(p)
                .case_insensitive(true)
                .build()
                .map_err(|e| bad(p, format!("bundle.redaction_patterns: '{p}': {e}")))?;
        }
        let m = &self.bundle.manifest;
        if !m.ends_with(".json")
            || m.contains(['/', '\\'])
            || m.starts_with('.')
            || m.eq_ignore_ascii_case(crate::read::readme::README_FILE)
        {
            return Err(bad(
                &format!("\"{m}\""),
                format!("bundle.manifest: '{m}' must be a plain file name ending in .json"),
            ));
        }
        if self.bundle.title.trim().is_empty() || self.bundle.title.contains(['\n', '\r']) {
            return Err(bad(
                "title",
                "bundle.title: must be one non-empty line".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for area in &self.bundle.areas {
            if !names.insert(area.name.to_ascii_lowercase()) {
                return Err(bad(
                    &format!("\"{}\"", area.name),
                    format!("bundle.area: '{}' is declared twice", area.name),
                ));
            }
            for r in &area.requirements {
                if r.patterns.is_empty() {
                    return Err(bad(
                        &format!("\"{}\"", r.name),
                        format!(
                            "bundle.area '{}': requirement '{}' has no patterns",
                            area.name, r.name
                        ),
                    ));
                }
            }
        }
        if let Some(a) = &self.approvals {
            a.check().map_err(|(anchor, m)| bad(&anchor, m))?;
        }
        if let Some(d) = &self.docs {
            regex::Regex::new(&d.id_pattern)
                .map_err(|e| bad("id_pattern", format!("docs.id_pattern: {e}")))?;
        }
        let mut ids = std::collections::HashSet::new();
        for g in &self.gates {
            if !ids.insert(g.id.to_ascii_lowercase()) {
                return Err(bad(
                    &format!("\"{}\"", g.id),
                    format!("gate '{}' is declared twice", g.id),
                ));
            }
            for q in [&g.records, &g.select, &g.minus].into_iter().flatten() {
                if crate::read::json::is_json_path(q) {
                    crate::read::json::json_path(q)
                        .map_err(|m| bad(q, format!("gate '{}': {m}", g.id)))?;
                }
            }
            let no_folder = g.source == gate::Source::SharedCache
                && g.files.is_none()
                && self.paths.shared_cache.is_none();
            let checked = gate::check(g).and_then(|()| match no_folder {
                true => Err(
                    "source \"shared-cache\" needs files = \"glob\" or paths.shared_cache".into(),
                ),
                false => Ok(()),
            });
            if let Err(m) = checked {
                return Err(bad(
                    &format!("\"{}\"", g.id),
                    format!("gate '{}': {m}", g.id),
                ));
            }
        }
        for set in &self.gate_sets {
            if !ids.insert(set.id.to_ascii_lowercase()) {
                return Err(bad(
                    &format!("\"{}\"", set.id),
                    format!("gate_set '{}': the id is already used", set.id),
                ));
            }
            let members: Vec<&GateSpec> = set
                .gates
                .iter()
                .filter_map(|id| self.gates.iter().find(|g| &g.id == id))
                .collect();
            if members.len() != set.gates.len() || members.is_empty() {
                return Err(bad(
                    &format!("\"{}\"", set.id),
                    format!(
                        "gate_set '{}': every member must be a declared gate id",
                        set.id
                    ),
                ));
            }
            if members.iter().any(|g| {
                g.source != members[0].source
                    || g.files != members[0].files
                    || g.source == gate::Source::Events
                    || g.merged()
            }) {
                return Err(bad(
                    &format!("\"{}\"", set.id),
                    format!(
                        "gate_set '{}': members must share one single-file source (not events, junit or sarif)",
                        set.id
                    ),
                ));
            }
        }
        for id in &self.dashboard.trends {
            if !self.gates.iter().any(|g| &g.id == id) {
                return Err(bad(
                    "trends",
                    format!("dashboard.trends: '{id}' is not a declared gate id"),
                ));
            }
        }
        parse_duration(&self.verify.max_duration)
            .map_err(|m| bad("max_duration", format!("verify.max_duration: {m}")))?;
        if self.limits.max_read_bytes == 0 {
            return Err(bad(
                "max_read_bytes",
                "limits.max_read_bytes: must be at least 1".into(),
            ));
        }
        for step in &self.verify.steps {
            parse_duration(&step.timeout).map_err(|m| {
                bad(
                    &format!("\"{}\"", step.name),
                    format!("verify.step '{}': timeout: {m}", step.name),
                )
            })?;
        }
        if let Some(when) = &self.verify.schedule {
            crate::schedule::Schedule::parse(when)
                .map_err(|m| bad("schedule", format!("verify.schedule: {m}")))?;
        }
        for s in &self.bundle.sources {
            if s.dirs.is_empty() || s.patterns.is_empty() || s.max == 0 {
                return Err(bad(
                    &format!("\"{}\"", s.category),
                    format!(
                        "bundle.source '{}': needs dirs, patterns and max >= 1",
                        s.category
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The area definition for `name` (case-insensitive), if declared.
    pub fn area(&self, name: &str) -> Option<&AreaPolicy> {
        self.bundle
            .areas
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// `bundle.max_age` as a duration (validated at load).
    pub fn max_age(&self) -> Duration {
        parse_duration(&self.bundle.max_age).unwrap_or(Duration::from_secs(7 * 86_400))
    }
}

/// The commented TOML text of a built-in profile.
pub fn profile_text(name: &str) -> Result<&'static str> {
    PROFILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let known: Vec<_> = PROFILES.iter().map(|(n, _)| *n).collect();
            Error::Usage(format!(
                "unknown profile '{name}' (known: {})",
                known.join(", ")
            ))
        })
}

/// Parse `90s`, `15m`, `12h` or `7d`.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration like 7d, 12h, 30m or 90s"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("'{s}' has no unit; use s, m, h or d")),
    };
    Ok(Duration::from_secs(n * secs))
}

/// A workspace: its root folder and policy.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub policy: Policy,
    /// The policy file, or `None` when the built-in statetrace profile is used.
    pub policy_path: Option<PathBuf>,
}

impl Workspace {
    /// Find the workspace: `explicit` if given, else the nearest ancestor of
    /// `cwd` holding a `tollgate.toml`. Without one, the built-in statetrace
    /// profile applies with `cwd` (or `explicit`) as root.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Workspace> {
        let start = explicit.unwrap_or(cwd);
        if let Some(dir) = explicit {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "--workspace {}: not a directory",
                    dir.display()
                )));
            }
        }
        let mut dir = Some(start);
        let mut found = None;
        while let Some(d) = dir {
            let candidate = d.join(POLICY_FILE);
            // Anything at all named tollgate.toml is the policy: a FIFO, a
            // directory or a symlink loop there is an error when it is read,
            // never a silent fall back to the built-in profile.
            if std::fs::symlink_metadata(&candidate).is_ok() {
                found = Some((d, candidate));
                break;
            }
            if explicit.is_some() {
                break;
            }
            dir = d.parent();
        }
        let ws = match found {
            Some((root, candidate)) => Workspace {
                root: root.to_path_buf(),
                policy: Policy::load(&candidate)?,
                policy_path: Some(candidate),
            },
            None => Workspace {
                root: start.to_path_buf(),
                policy: Policy::builtin("statetrace")?,
                policy_path: None,
            },
        };
        crate::read::file::set_max_bytes(ws.policy.limits.max_read_bytes);
        Ok(ws)
    }

    /// A workspace-relative path made absolute.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `p` relative to the workspace root, with `/` (as findings and
    /// records name files).
    pub fn rel(&self, p: &Path) -> String {
        relative(&self.root, p)
    }

    /// Where a signing secret key kept in the workspace sits: beside the
    /// policy's public key (`x.pub` -> `x.key`). See [`crate::keys`].
    pub fn secret_key_path(&self) -> PathBuf {
        self.path(&self.policy.signing.public_key)
            .with_extension("key")
    }

    /// The bundles folder.
    pub fn bundles_dir(&self) -> PathBuf {
        self.path(&self.policy.paths.bundles)
    }
}

/// The 1-based line of the first non-comment line of `text` holding `anchor`.
fn line_of(text: &str, anchor: &str) -> Option<usize> {
    text.lines()
        .position(|l| !l.trim_start().starts_with('#') && l.contains(anchor))
        .map(|i| i + 1)
}

/// `p` relative to `root` (or `p` itself outside it), with `/`.
pub fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_parse() {
        for (name, _) in PROFILES {
            Policy::builtin(name).unwrap();
        }
        let st = Policy::builtin("statetrace").unwrap();
        let tel = st.area("telemetry").unwrap();
        assert_eq!(tel.requirements.len(), 10);
        let opt = tel
            .requirements
            .iter()
            .filter(|r| r.level == Level::Optional)
            .count();
        assert_eq!(opt, 2);
        assert_eq!(st.area("Routing").unwrap().requirements.len(), 8);
        assert_eq!(st.max_age(), Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported_with_the_file() {
        let base = profile_text("minimal").unwrap();
        let typo = base.replace("max_age", "max_agee");
        let e = Policy::parse(&typo, Path::new("x/tollgate.toml")).unwrap_err();
        let msg = e.to_string();
        let line = base.lines().position(|l| l.starts_with("max_age")).unwrap() + 1;
        assert!(
            msg.starts_with(&format!(
                "x/tollgate.toml:{line}: bundle.max_agee: unknown field"
            )),
            "{msg}"
        );
        let bad = base.replace("\"30d\"", "\"30 days\"");
        let e = Policy::parse(&bad, Path::new("t.toml")).unwrap_err();
        assert!(e.to_string().contains("bundle.max_age"), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("t.toml:{line}: bundle.max_age:")),
            "validation errors name the line too: {e}"
        );
        let bad = base.replace("\"token\"", "\"(unclosed\"");
        assert!(Policy::parse(&bad, Path::new("t.toml")).is_err());
    }

    #[test]
    fn a_misspelt_rule_id_is_an_error_listing_the_valid_ids() {
        let base = profile_text("statetrace").unwrap();
        let typo = base.replace("\"board.table\" = \"warn\"", "\"board.tabel\" = \"warn\"");
        let line = typo
            .lines()
            .position(|l| l.starts_with("\"board.tabel\""))
            .unwrap()
            + 1;
        let msg = Policy::parse(&typo, Path::new("tollgate.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with(&format!(
                "tollgate.toml:{line}: docs.rules.board.tabel: unknown docs rule 'board.tabel'"
            )),
            "{msg}"
        );
        for r in DocRule::ALL {
            assert!(msg.contains(r.id()), "{msg} lacks {r}");
        }
        let bad = base.replace(
            "\"board.table\" = \"warn\"",
            "\"board.table\" = \"warning\"",
        );
        let msg = Policy::parse(&bad, Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("docs.rules.board.table: unknown variant `warning`"),
            "{msg}"
        );
    }

    /// The profiles `init` writes and the README name every rule of the enum,
    /// and no other.
    #[test]
    fn profiles_and_readme_list_every_doc_rule() {
        let st = Policy::builtin("statetrace").unwrap().docs.unwrap();
        let listed: Vec<DocRule> = st.rules.keys().copied().collect();
        let mut all = DocRule::ALL.to_vec();
        all.sort();
        assert_eq!(listed, all, "statetrace's [docs.rules]");
        let minimal = profile_text("minimal").unwrap();
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .unwrap();
        for r in DocRule::ALL {
            assert!(
                minimal.contains(&format!("# \"{}\" = ", r.id())),
                "minimal lacks {r}"
            );
            assert!(
                readme.contains(&format!("`{}`", r.id())),
                "README lacks {r}"
            );
        }
        let id = regex::Regex::new(r#""([a-z]+\.[a-z-]+)" = "(block|warn|info|off)""#).unwrap();
        for text in [profile_text("statetrace").unwrap(), minimal] {
            for c in id.captures_iter(text) {
                assert!(DocRule::from_id(&c[1]).is_some(), "unknown rule {}", &c[1]);
            }
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert!(parse_duration("7").is_err());
        assert!(parse_duration("d").is_err());
    }

    #[test]
    fn discover_walks_up_and_falls_back_to_statetrace() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = Workspace::discover(None, tmp.path()).unwrap();
        assert!(ws.policy_path.is_none());
        assert_eq!(ws.policy.paths.bundles, "Logs/TelemetryBundles");
        std::fs::write(
            tmp.path().join(POLICY_FILE),
            profile_text("minimal").unwrap(),
        )
        .unwrap();
        let sub = tmp.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let ws = Workspace::discover(None, &sub).unwrap();
        assert_eq!(ws.root, tmp.path());
        assert_eq!(ws.policy.paths.bundles, "evidence/bundles");
    }
}
