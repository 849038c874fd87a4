//! [`Finding`]: the one result type of every check, and the verdict derived
//! from a set of findings.

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

/// The aggregate of a run's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
