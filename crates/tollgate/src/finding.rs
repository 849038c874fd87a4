//! [`Finding`]: the one result type of every check, and the verdict derived
//! from a set of findings.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// How much a finding matters. Ordered: `Info < Warn < Block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Block,
}

/// Where a finding points: a file, and a line or key inside it when known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(path: impl Into<String>) -> Self {
        Location {
            path: Some(path.into()),
            ..Default::default()
        }
    }

    /// The same location at `line`.
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    /// The same location at `key`.
    pub fn at_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{p}")?,
            None => write!(f, "-")?,
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.key {
            write!(f, " [{k}]")?;
        }
        Ok(())
    }
}

/// One observation about the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Dotted id of the check that produced it, e.g. `bundle.integrity`.
    pub check: String,
    pub severity: Severity,
    /// What the finding is about (an area, an artifact, a requirement...).
    pub subject: String,
    pub message: String,
    pub location: Location,
    /// Machine-readable detail (expected/actual values...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<serde_json::Value>,
}

impl Finding {
    /// A new finding without evidence.
    pub fn new(
        check: &str,
        severity: Severity,
        subject: impl Into<String>,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        Finding {
            check: check.to_string(),
            severity,
            subject: subject.into(),
            message: message.into(),
            location,
            evidence: None,
        }
    }

    /// Attach machine-readable evidence.
    pub fn with_evidence(mut self, evidence: serde_json::Value) -> Self {
        self.evidence = Some(evidence);
        self
    }

    /// Paths under `root` shown relative to it, in the location, subject
    /// and message. Every report a command prints or records passes its
    /// findings here, so machine outputs name files as the repository does.
    pub fn relative_to(&mut self, root: &Path) {
        if let Some(p) = &mut self.location.path {
            *p = relative_path(p, root);
        }
        self.subject = relative_text(&self.subject, root);
        self.message = relative_text(&self.message, root);
    }
}

/// `path` relative to `root` (`/`-separated; `.` for the root itself), or
/// unchanged when it lies elsewhere.
pub fn relative_path(path: &str, root: &Path) -> String {
    match Path::new(path).strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string(),
    }
}

/// `text` with `root`'s prefix taken off every path in it that starts with
/// it (a relative root only where a path begins: `gd/x`, not `xgd/x`).
pub fn relative_text(text: &str, root: &Path) -> String {
    let shown = root.display().to_string();
    let shown = shown.trim_end_matches('/');
    if shown.is_empty() || shown == "." {
        return text.to_string();
    }
    let prefix = format!("{shown}/");
    let mut out = String::with_capacity(text.len());
    let in_path = |c: char| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_');
    let mut rest = text;
    // The character before `rest` in `text` (the prefix's `/` after a match).
    let mut prev = None;
    while let Some(i) = rest.find(&prefix) {
        let before = rest[..i].chars().next_back().or(prev);
        let starts_path = root.is_absolute() || !before.is_some_and(in_path);
        out.push_str(&rest[..i]);
        if !starts_path {
            out.push_str(&prefix);
        }
        prev = Some('/');
        rest = &rest[i + prefix.len()..];
    }
    out.push_str(rest);
    out
}

/// [`Finding::relative_to`] over `findings`.
pub fn relative_to<'a>(findings: impl IntoIterator<Item = &'a mut Finding>, root: &Path) {
    for f in findings {
        f.relative_to(root);
    }
}

/// Counts of findings per severity.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub block: usize,
    pub warn: usize,
    pub info: usize,
}

impl Counts {
    /// Count `findings`.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Block => c.block += 1,
                Severity::Warn => c.warn += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }
}

/// The aggregate of a run's findings. Ordered: `Pass < Warn < Block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    Pass,
    Warn,
    Block,
}

impl Verdict {
    /// Pass with no findings above info, Warn with warnings only, Block otherwise.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Verdict {
        match findings.into_iter().map(|f| f.severity).max() {
            Some(Severity::Block) => Verdict::Block,
            Some(Severity::Warn) => Verdict::Warn,
            _ => Verdict::Pass,
        }
    }

    /// `Pass`, `Warn` or `Block`, as summaries and JSON write it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "Pass",
            Verdict::Warn => "Warn",
            Verdict::Block => "Block",
        }
    }

    /// Process exit code for this verdict (SPEC §8): 1 when blocked, else 0.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Block => 1,
            _ => 0,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Block => "BLOCKED",
        })
    }
}

/// A verdict in the vocabulary of the document that records it, for
/// `#[serde(with = ...)]`: the one [`Verdict`] type, written as each
/// documented format spells it.
pub mod words {
    macro_rules! vocabulary {
        ($(#[$doc:meta])* $name:ident: $pass:literal, $warn:literal, $block:literal) => {
            $(#[$doc])*
            pub mod $name {
                use super::super::Verdict;

                /// The word for `v`.
                pub fn word(v: Verdict) -> &'static str {
                    match v {
                        Verdict::Pass => $pass,
                        Verdict::Warn => $warn,
                        Verdict::Block => $block,
                    }
                }

                /// The verdict a word names (the first of equal words wins).
                pub fn parse(w: &str) -> Option<Verdict> {
                    [Verdict::Pass, Verdict::Warn, Verdict::Block]
                        .into_iter()
                        .find(|v| word(*v) == w)
                }

                pub fn serialize<S: serde::Serializer>(v: &Verdict, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_str(word(*v))
                }

                pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Verdict, D::Error> {
                    use serde::de::Error;
                    let w = <String as serde::Deserialize>::deserialize(d)?;
                    parse(&w).ok_or_else(|| {
                        D::Error::custom(format!(
                            "'{w}' is not one of {}, {}, {}",
                            $pass, $warn, $block
                        ))
                    })
                }
            }
        };
    }

    vocabulary!(
        /// `decision.json`'s `Decision` (and the ledger's): Ready or Blocked.
        decision: "Ready", "Ready", "Blocked"
    );
    vocabulary!(
        /// A verification run summary's `Status`: Pass, Warn or Fail.
        run_status: "Pass", "Warn", "Fail"
    );
    vocabulary!(
        /// The dashboard's verdict: Ready, Warn or Blocked.
        readiness: "Ready", "Warn", "Blocked"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_text_are_made_relative_to_the_root() {
        let abs = Path::new("/w/gd");
        assert_eq!(
            relative_text("a /w/gd/x.xml and (/w/gd/y:3)", abs),
            "a x.xml and (y:3)"
        );
        let rel = Path::new("gd");
        assert_eq!(
            relative_text("gd/a (gd/b:5) xgd/c gd/gd/d", rel),
            "a (b:5) xgd/c gd/d"
        );
        assert_eq!(relative_text("gd/a", Path::new(".")), "gd/a");
    }

    #[test]
    fn each_document_spells_the_verdict_its_own_way() {
        assert_eq!(words::decision::word(Verdict::Warn), "Ready");
        assert_eq!(words::decision::parse("Ready"), Some(Verdict::Pass));
        assert_eq!(words::decision::parse("Blocked"), Some(Verdict::Block));
        assert_eq!(words::run_status::word(Verdict::Block), "Fail");
        assert_eq!(words::run_status::parse("Warn"), Some(Verdict::Warn));
        assert_eq!(words::readiness::word(Verdict::Pass), "Ready");
        assert_eq!(words::run_status::parse("Maybe"), None);
    }

    fn f(sev: Severity) -> Finding {
        Finding::new("t", sev, "s", "m", Location::default())
    }

    #[test]
    fn verdict_is_the_worst_severity() {
        assert_eq!(Verdict::of(&[]), Verdict::Pass);
        assert_eq!(Verdict::of(&[f(Severity::Info)]), Verdict::Pass);
        assert_eq!(
            Verdict::of(&[f(Severity::Info), f(Severity::Warn)]),
            Verdict::Warn
        );
        let v = Verdict::of(&[f(Severity::Warn), f(Severity::Block)]);
        assert_eq!(v, Verdict::Block);
        assert_eq!(v.exit_code(), 1);
        assert_eq!(Verdict::Warn.exit_code(), 0);
    }

    #[test]
    fn location_renders_path_line_key() {
        let l = Location::file("a/b.json").at_line(3).at_key("Hash");
        assert_eq!(l.to_string(), "a/b.json:3 [Hash]");
    }
}
