//! Release-candidate summaries (`docs/templates/Release_Candidate_Summary.md`):
//! `Key: value` lines and `- Key: value` bullets, each with its line, plus the
//! bullet lists under `##` sections.

use super::text::numbered_lines;

/// One `Key: value` field.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Field {
    pub line: usize,
    pub key: String,
    pub value: String,
    /// Written as a `- Key: value` bullet.
    pub bullet: bool,
}

/// One `##` section's bullet entries (without `Key:` fields).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Section {
    pub line: usize,
    pub title: String,
    /// (line, text) of each bullet that is not a `Key: value` field.
    pub entries: Vec<(usize, String)>,
}

/// A parsed summary.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RcSummary {
    pub fields: Vec<Field>,
    pub sections: Vec<Section>,
}

impl RcSummary {
    /// The first field whose key starts with `prefix` (case-insensitive).
    pub fn field(&self, prefix: &str) -> Option<&Field> {
        let p = prefix.to_lowercase();
        self.fields
            .iter()
            .find(|f| f.key.to_lowercase().starts_with(&p))
    }
}

/// Parse summary text.
pub fn parse(text: &str) -> RcSummary {
    let mut out = RcSummary::default();
    for (n, raw) in numbered_lines(text) {
        let line = raw.trim();
        if let Some(t) = line.strip_prefix("## ") {
            out.sections.push(Section {
                line: n,
                title: t.trim().to_string(),
                entries: Vec::new(),
            });
            continue;
        }
        if line.starts_with('#') || line.starts_with("<!--") || line.is_empty() {
            continue;
        }
        let (bullet, body) = match line.strip_prefix('-') {
            Some(b) => (true, b.trim()),
            None => (false, line),
        };
        // A field is `Key: value` whose key has no sentence punctuation.
        match body
            .split_once(':')
            .filter(|(k, _)| !k.is_empty() && k.len() <= 60 && !k.contains(['.', '`']))
        {
            Some((k, v)) => out.fields.push(Field {
                line: n,
                key: k.trim().to_string(),
                value: v.trim().to_string(),
                bullet,
            }),
            None if bullet => {
                if let Some(s) = out.sections.last_mut() {
                    s.entries.push((n, body.to_string()));
                }
            }
            None => {}
        }
    }
    // An empty `Key:` line followed by bullet fields labels a group; it is
    // not a field of its own.
    let labels: Vec<usize> = out
        .fields
        .windows(2)
        .filter(|w| {
            !w[0].bullet && w[0].value.is_empty() && w[1].bullet && w[1].line == w[0].line + 1
        })
        .map(|w| w[0].line)
        .collect();
    out.fields.retain(|f| !labels.contains(&f.line));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_sections_and_bullets() {
        let r = parse("# RC\r\n\r\nVersion: 1.2.0\r\nOwner:\r\n- ReadmeHashes (Telemetry=, Routing=):\r\n## Approvals\r\n- \r\n- Ops lead, 2026-01-01\r\n");
        assert_eq!(r.field("version").unwrap().value, "1.2.0");
        assert!(
            r.field("Owner").is_none(),
            "an empty line before bullets is a group label"
        );
        assert_eq!(
            r.field("ReadmeHashes").unwrap().key,
            "ReadmeHashes (Telemetry=, Routing=)"
        );
        assert_eq!(
            r.sections[0].entries,
            vec![(7, String::new()), (8, "Ops lead, 2026-01-01".to_string())]
        );
    }
}
