//! What documents cite: evidence paths in backticks, README hashes, and the
//! CSV's PlanLinks. Readers find the citations in text; the rules check them
//! against facts the caller gathered from disk.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::board::{plan_links, Tasks};
use super::rules::emit;
use crate::finding::Finding;
use crate::policy::DocRule;
use crate::policy::DocsPolicy;

/// A citation: the line of the document and what it cites.
pub type Cited = (usize, String);

/// Backticked paths under one of `roots` (`Logs/...`), without globs or
/// placeholders, `\` turned into `/` and any `#anchor` dropped.
pub fn evidence_paths(doc: &str, roots: &[String]) -> Vec<Cited> {
    static TICK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"`([^`\n]+)`").expect("valid regex"));
    let tick = &*TICK;
    let mut out = Vec::new();
    for (i, line) in doc.lines().enumerate() {
        for c in tick.captures_iter(line) {
            let raw = c[1].trim().replace('\\', "/");
            let path = raw
                .split('#')
                .next()
                .unwrap_or("")
                .trim_end_matches(['.', ',', ';', ':', ')']);
            let under_root = roots
                .iter()
                .any(|r| path.starts_with(&format!("{}/", r.trim_end_matches('/'))));
            let concrete =
                !path.contains(|ch: char| ch.is_whitespace() || "*?<>{}[]$|".contains(ch));
            if under_root && concrete {
                out.push((i + 1, path.to_string()));
            }
        }
    }
    out
}

/// Hex strings of 12 to 64 digits (at least one letter) cited shortly after
/// the word README (`README SHA256 \`E355...\``, `README hashes Telemetry 7B96... / Routing 0B42...`).
pub fn readme_hashes(doc: &str) -> Vec<Cited> {
    static README: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)readme").expect("valid regex"));
    static HEX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b[0-9A-Fa-f]{12,64}\b").expect("valid regex"));
    let (readme, hex) = (&*README, &*HEX);
    let mut out = Vec::new();
    for (i, line) in doc.lines().enumerate() {
        let mut from = 0;
        for m in readme.find_iter(line) {
            let start = m.end().max(from);
            let rest = &line[start..];
            let mut end = ["|", ";", ". "]
                .iter()
                .filter_map(|stop| rest.find(stop))
                .min()
                .map_or(line.len(), |e| start + e)
                .min(start + 200);
            // At most 200 bytes, cut at a character boundary.
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            let window = line.get(start..end).unwrap_or("");
            for h in hex.find_iter(window) {
                if h.as_str().chars().any(|c| c.is_ascii_alphabetic()) {
                    out.push((i + 1, h.as_str().to_ascii_uppercase()));
                }
            }
            from = end;
        }
    }
    out.dedup();
    out
}

/// `docs.evidence-path`: cited evidence that is not on disk, once per
/// document and path (at its first citation, with the number of citations).
pub fn evidence_rules(
    p: &DocsPolicy,
    path: &str,
    cited: &[Cited],
    exists: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    let mut first: Vec<(usize, &str, usize)> = Vec::new();
    for (line, c) in cited.iter().filter(|(_, c)| !exists(c)) {
        match first.iter_mut().find(|(_, f, _)| f == c) {
            Some(entry) => entry.2 += 1,
            None => first.push((*line, c, 1)),
        }
    }
    first
        .into_iter()
        .filter_map(|(line, c, n)| {
            let times = if n > 1 {
                format!(" (cited {n} times)")
            } else {
                String::new()
            };
            emit(
                p,
                DocRule::DocsEvidencePath,
                c,
                format!("cited evidence {c} does not exist{times}"),
                path,
                line,
            )
        })
        .collect()
}

/// `docs.readme-hash`: a cited README hash (or prefix) that matches the
/// README of no bundle. `readmes` are the SHA-256 (upper-case) of every bundle README.
pub fn readme_rules(
    p: &DocsPolicy,
    path: &str,
    cited: &[Cited],
    readmes: &[String],
) -> Vec<Finding> {
    cited
        .iter()
        .filter(|(_, h)| !readmes.iter().any(|r| r.starts_with(h.as_str())))
        .filter_map(|(line, h)| {
            emit(
                p,
                DocRule::DocsReadmeHash,
                h,
                format!(
                    "README hash {h} matches no bundle README ({} READMEs hashed)",
                    readmes.len()
                ),
                path,
                *line,
            )
        })
        .collect()
}

/// `csv.planlink`: each CSV row's PlanLink must name plan files that exist
/// and mention the task. `plans` maps a cited path to the plan's text
/// (`None` when it does not exist).
pub fn planlink_rules(
    p: &DocsPolicy,
    csv: &Tasks,
    plans: &HashMap<String, Option<String>>,
    id: &Regex,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in csv.tasks.iter().filter(|t| id.is_match(&t.id)) {
        let links = plan_links(t.plan_link.as_deref());
        if links.is_empty() {
            out.extend(emit(
                p,
                DocRule::CsvPlanlink,
                &t.id,
                format!("{} has no PlanLink", t.id),
                &csv.path,
                t.line,
            ));
        }
        for link in links {
            let whole = Regex::new(&format!(r"\b{}\b", regex::escape(&t.id))).expect("escaped id");
            let msg = match plans.get(&link) {
                Some(Some(text)) if whole.is_match(text) => continue,
                Some(Some(_)) => format!("PlanLink {link} does not mention {}", t.id),
                _ => format!("PlanLink {link} does not exist"),
            };
            out.extend(emit(p, DocRule::CsvPlanlink, &t.id, msg, &csv.path, t.line));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::board::Task;

    #[test]
    fn evidence_paths_are_concrete_paths_under_the_roots() {
        let roots = vec!["Logs".to_string()];
        let doc = "see `Logs/IngestionMetrics/2025-10-24.json` and `Logs\\Verification\\V.json`.\n`Logs/TelemetryBundles/<bundle>/x` `Logs/*.json` `Tools/X.ps1` `Logs/a b`\n";
        let got = evidence_paths(doc, &roots);
        assert_eq!(
            got,
            [
                (1, "Logs/IngestionMetrics/2025-10-24.json".to_string()),
                (1, "Logs/Verification/V.json".to_string())
            ]
        );
        let (p, _) = crate::governance::statetrace_docs();
        let exists = |c: &str| c.ends_with("V.json");
        let f = evidence_rules(&p, "board.md", &got, &exists);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].check.as_str(), f[0].location.line),
            ("docs.evidence-path", Some(1))
        );
        assert!(evidence_rules(&p, "board.md", &got, &|_| true).is_empty());
    }

    #[test]
    fn readme_windows_end_at_character_boundaries() {
        let long = format!("README {}", "é".repeat(150));
        assert!(readme_hashes(&long).is_empty());
        let twice = format!("readme {} readme ABCDEF1234567", "é".repeat(120));
        assert_eq!(readme_hashes(&twice), [(1, "ABCDEF1234567".to_string())]);
    }

    #[test]
    fn readme_hashes_are_matched_by_prefix() {
        let doc = "README.md SHA256 `E35558FDF7E72E3D` ok\nREADME hashes Telemetry 7b965a2f154c / Routing 0B42A27E7FB9; later 123456789012345\nno mention here ABCDEF123456\n";
        let cited = readme_hashes(doc);
        assert_eq!(
            cited,
            [
                (1, "E35558FDF7E72E3D".to_string()),
                (2, "7B965A2F154C".to_string()),
                (2, "0B42A27E7FB9".to_string())
            ]
        );
        let (p, _) = crate::governance::statetrace_docs();
        let readmes = vec![
            "E35558FDF7E72E3DBD96".to_string(),
            "7B965A2F154C255F".to_string(),
        ];
        let f = readme_rules(&p, "plan.md", &cited, &readmes);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].subject.as_str(), f[0].location.line),
            ("0B42A27E7FB9", Some(2))
        );
        let all = vec![
            "E35558FDF7E72E3D".to_string(),
            "7B965A2F154C".to_string(),
            "0B42A27E7FB9AA".to_string(),
        ];
        assert!(readme_rules(&p, "plan.md", &cited, &all).is_empty());
    }

    #[test]
    fn planlinks_must_exist_and_mention_the_task() {
        let (p, _) = crate::governance::statetrace_docs();
        let id = p.id_regex();
        let row = |id: &str, link: &str, line| Task {
            id: id.into(),
            title: String::new(),
            status: String::new(),
            line,
            plan_link: Some(link.into()),
        };
        let csv = Tasks {
            path: "t.csv".into(),
            tasks: vec![
                row("ST-A-001", "docs/plans/PlanA.md", 2),
                row("ST-A-010", "docs/plans/PlanA.md#x", 3),
                row("ST-B-001", "docs/plans/PlanB.md", 4),
                row("ST-C-001", "", 5),
            ],
            ..Default::default()
        };
        let plans = HashMap::from([
            (
                "docs/plans/PlanA.md".to_string(),
                Some("| ST-A-001 | x |\n| ST-A-0100 |".to_string()),
            ),
            ("docs/plans/PlanB.md".to_string(), None),
        ]);
        let f = planlink_rules(&p, &csv, &plans, &id);
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.subject.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "ST-A-010",
                    "PlanLink docs/plans/PlanA.md does not mention ST-A-010"
                ),
                ("ST-B-001", "PlanLink docs/plans/PlanB.md does not exist"),
                ("ST-C-001", "ST-C-001 has no PlanLink"),
            ]
        );
    }
}
