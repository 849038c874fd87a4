//! The bundle README: a title, `- Key: value` metadata and an artifact table
//! `| Category | File | Source | SHA-256 |` (or StateTrace's older bullet list).

use super::text::numbered_lines;

/// The README's file name inside an area folder.
pub const README_FILE: &str = "README.md";

/// What a README says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readme {
    /// The bundle name from `# Telemetry Bundle - <name>`.
    pub bundle_name: Option<String>,
    pub area: Option<String>,
    pub created: Option<String>,
    pub host: Option<String>,
    pub command: Option<String>,
    pub rows: Vec<ReadmeRow>,
    /// Lines that could not be read, as (line, problem).
    pub problems: Vec<(usize, String)>,
}

/// One artifact row of the README.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadmeRow {
    pub line: usize,
    pub category: Option<String>,
    pub file: String,
    /// Hash prefix as shown (12 hex characters in tables; absent in lists).
    pub hash_prefix: Option<String>,
}

/// Split a markdown table row into trimmed cells, honouring `\|`.
pub fn table_cells(line: &str) -> Vec<String> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                if let Some(s) = cells.last_mut() {
                    s.push('|');
                }
            }
            '|' => cells.push(String::new()),
            c => {
                if let Some(s) = cells.last_mut() {
                    s.push(c);
                }
            }
        }
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

fn is_separator(cells: &[String]) -> bool {
    cells
        .iter()
        .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
}

/// Parse README text. Never fails; odd lines are recorded in `problems`.
pub fn parse(text: &str) -> Readme {
    let mut r = Readme::default();
    let mut in_artifacts = false;
    let mut columns: Option<Vec<String>> = None;
    for (n, raw) in numbered_lines(text) {
        let line = raw.trim();
        if let Some(h) = line.strip_prefix("# ") {
            let h = h.trim();
            r.bundle_name = Some(
                h.split_once(" - ")
                    .map(|(_, name)| name.trim().to_string())
                    .unwrap_or_else(|| h.to_string()),
            );
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            in_artifacts = h.trim().eq_ignore_ascii_case("artifacts");
            columns = None;
            continue;
        }
        if let Some(v) = line.strip_prefix("**Area:**") {
            r.area = Some(v.trim().to_string());
            continue;
        }
        if in_artifacts && line.starts_with('|') {
            let cells = table_cells(line);
            match &columns {
                None => columns = Some(cells.iter().map(|c| c.to_ascii_lowercase()).collect()),
                Some(_) if is_separator(&cells) => {}
                Some(cols) => {
                    if cells.len() != cols.len() {
                        r.problems.push((
                            n,
                            format!(
                                "row has {} cells, the header has {}",
                                cells.len(),
                                cols.len()
                            ),
                        ));
                    }
                    let cell = |names: &[&str]| {
                        cols.iter()
                            .position(|c| names.contains(&c.as_str()))
                            .and_then(|i| cells.get(i))
                            .filter(|s| !s.is_empty())
                            .cloned()
                    };
                    match cell(&["file", "targetfile"]) {
                        Some(file) => r.rows.push(ReadmeRow {
                            line: n,
                            category: cell(&["category"]),
                            file,
                            hash_prefix: cell(&["sha-256", "sha256", "hash"])
                                .map(|h| h.trim_end_matches('.').to_ascii_uppercase()),
                        }),
                        None => r.problems.push((n, "row has no File cell".to_string())),
                    }
                }
            }
            continue;
        }
        if let Some(item) = line.strip_prefix("- ") {
            let item = item.trim();
            if let Some((key, value)) = item.split_once(':').filter(|_| !in_artifacts) {
                let value = Some(value.trim().to_string());
                match key.trim().to_ascii_lowercase().as_str() {
                    "created" => r.created = value,
                    "host" => r.host = value,
                    "command" => r.command = value.map(|v| v.trim_matches('`').to_string()),
                    _ => {}
                }
            } else if in_artifacts && !item.is_empty() {
                r.rows.push(ReadmeRow {
                    line: n,
                    file: item.trim_matches('`').to_string(),
                    ..Default::default()
                });
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "# Telemetry Bundle - Release-1\r\n**Area:** Routing\r\n- Created: 2025-12-23T13:33:33-07:00\r\n- Host: H\r\n- Command: `tollgate bundle publish --name Release-1`\r\n\r\n## Artifacts\r\n| Category | File | Source | SHA-256 |\r\n|----------|------|--------|------|\r\n| Cold | 2025-12-23-1.json | C:\\x\\2025-12-23.json | 3b1770d1f1af |\r\n| Extra | a\\|b.log | s | 00 | 9 |\r\n";

    #[test]
    fn reads_table_readme() {
        let r = parse(TABLE);
        assert_eq!(r.bundle_name.as_deref(), Some("Release-1"));
        assert_eq!(r.area.as_deref(), Some("Routing"));
        assert_eq!(r.host.as_deref(), Some("H"));
        assert_eq!(
            r.command.as_deref(),
            Some("tollgate bundle publish --name Release-1")
        );
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].line, 10);
        assert_eq!(r.rows[0].hash_prefix.as_deref(), Some("3B1770D1F1AF"));
        assert_eq!(r.rows[1].file, "a|b.log");
        assert_eq!(
            r.problems,
            vec![(11, "row has 5 cells, the header has 4".to_string())]
        );
    }

    #[test]
    fn reads_bullet_list_readme() {
        let r = parse("# Telemetry Bundle - S\n**Area:** Telemetry\n- Created: x\n\n## Artifacts\n- a.csv\n- DocSync/D.json\n");
        let files: Vec<_> = r.rows.iter().map(|x| x.file.as_str()).collect();
        assert_eq!(files, vec!["a.csv", "DocSync/D.json"]);
        assert!(r.rows[0].hash_prefix.is_none());
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in [
            "",
            "|",
            "## Artifacts\n|",
            "## Artifacts\n| a |\n|",
            "# \n- :\n- ",
        ] {
            let _ = parse(s);
        }
    }
}
