//! The task board's narrative sections (Backlog, Ready, In Progress, Blocked,
//! Done): cards written as `- **Title** ...` under each heading. A card is
//! matched to the snapshot by its task ID when it has one, else by title.

use std::collections::BTreeMap;

use regex::Regex;

use super::board::{is_done, Tasks};
use super::rules::emit;
use crate::finding::Finding;
use crate::policy::DocRule;
use crate::policy::DocsPolicy;
use crate::read::markdown::Outline;
use crate::read::text::numbered_lines;

/// One narrative card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// The policy's column name the card sits under.
    pub column: String,
    pub title: String,
    pub id: Option<String>,
    pub line: usize,
}

/// Cards under the `columns` headings of `doc` (a heading names a column
/// when it starts with the column's name, e.g. `In Progress (WIP=2)`).
pub fn parse(doc: &str, columns: &[String], id: &Regex) -> Vec<Card> {
    let outline = Outline::parse(doc);
    let mut out = Vec::new();
    let mut current: Option<&String> = None;
    for (n, line) in numbered_lines(doc) {
        if outline.is_code(n) {
            continue;
        }
        if let Some(h) = outline.heading_on(n) {
            let title = h.text.to_lowercase();
            match h.level {
                1 => current = None,
                2 => {
                    current = columns
                        .iter()
                        .find(|c| title.starts_with(&c.to_lowercase()))
                }
                _ => {}
            }
            continue;
        }
        let line = line.trim_end();
        let (Some(col), Some(rest)) = (current, line.strip_prefix("- **")) else {
            continue;
        };
        let Some(end) = rest.find("**") else {
            continue;
        };
        out.push(Card {
            column: col.clone(),
            title: rest[..end].trim().to_string(),
            id: id.find(line).map(|m| m.as_str().to_string()),
            line: n,
        });
    }
    out
}

/// A card's normalised title.
fn title_key(c: &Card) -> String {
    c.title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The leading status word(s) of a snapshot status: `Done - 2025-12-22` -> `done`.
fn status_word(s: &str) -> String {
    let end = s
        .find(|c: char| c == '(' || c.is_ascii_digit())
        .unwrap_or(s.len());
    s[..end]
        .trim()
        .trim_end_matches('-')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `board.narrative-duplicate` (a card in two columns) and
/// `board.narrative-status` (a column contradicting the snapshot).
pub fn rules(p: &DocsPolicy, path: &str, cards: &[Card], snapshot: &Tasks) -> Vec<Finding> {
    let mut out = Vec::new();
    // A card is the same card when its title or its task ID matches.
    let mut seen: BTreeMap<String, &Card> = BTreeMap::new();
    for c in cards {
        let subject = c.id.clone().unwrap_or_else(|| c.title.clone());
        let keys: Vec<String> = std::iter::once(title_key(c)).chain(c.id.clone()).collect();
        let earlier = keys.iter().find_map(|k| seen.get(k).copied());
        match earlier {
            Some(first) if first.column != c.column => out.extend(emit(
                p,
                DocRule::BoardNarrativeDuplicate,
                &subject,
                format!(
                    "'{}' is under both {} (line {}) and {}",
                    c.title, first.column, first.line, c.column
                ),
                path,
                c.line,
            )),
            _ => {}
        }
        for k in keys {
            seen.entry(k).or_insert(c);
        }
        let task = match &c.id {
            Some(id) => snapshot.find(id),
            None => snapshot
                .tasks
                .iter()
                .find(|t| t.title.trim().eq_ignore_ascii_case(c.title.trim())),
        };
        if let Some(t) = task {
            let column = c.column.to_lowercase();
            let agrees =
                status_word(&t.status) == column || (column == "done" && is_done(&t.status));
            if !agrees {
                out.extend(emit(
                    p,
                    DocRule::BoardNarrativeStatus,
                    &t.id,
                    format!(
                        "'{}' is under {} but the snapshot (line {}) says '{}'",
                        c.title, c.column, t.line, t.status
                    ),
                    path,
                    c.line,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::board::Task;

    fn snapshot() -> Tasks {
        Tasks {
            path: "board.md".into(),
            tasks: vec![Task {
                id: "ST-A-001".into(),
                title: "Queue metrics".into(),
                status: "In Progress".into(),
                line: 7,
                plan_link: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn cards_are_read_under_their_column_headings() {
        let (p, id) = crate::governance::statetrace_docs();
        let doc = "# Board\n## Backlog\n- **Alpha** - [x]\n  - note\n## In Progress (WIP=2)\n- **Beta** ST-A-001 work\n## Notes\n- **Gamma**\n```\n## Done\n- **Code** sample\n```\n";
        let cards = parse(doc, &p.narrative_columns, &id);
        let got: Vec<_> = cards
            .iter()
            .map(|c| (c.column.as_str(), c.title.as_str(), c.line))
            .collect();
        assert_eq!(got, [("Backlog", "Alpha", 3), ("In Progress", "Beta", 6)]);
        assert_eq!(cards[1].id.as_deref(), Some("ST-A-001"));
    }

    #[test]
    fn a_card_in_two_columns_is_reported_once_per_extra_column() {
        let (p, id) = crate::governance::statetrace_docs();
        let twice = "## Backlog\n- **Streaks > 8** - a\n## Blocked\n- **Streaks  > 8** - b\n";
        let f = rules(
            &p,
            "board.md",
            &parse(twice, &p.narrative_columns, &id),
            &Tasks::default(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].check.as_str(), f[0].location.line),
            ("board.narrative-duplicate", Some(4))
        );
        let once = "## Backlog\n- **Streaks > 8** - a\n## Blocked\n- **Other** - b\n";
        assert!(rules(
            &p,
            "board.md",
            &parse(once, &p.narrative_columns, &id),
            &Tasks::default()
        )
        .is_empty());
    }

    #[test]
    fn a_column_that_contradicts_the_snapshot_is_reported() {
        let (p, id) = crate::governance::statetrace_docs();
        let wrong = "## Done\n- **Queue metrics** - finished\n";
        let f = rules(
            &p,
            "board.md",
            &parse(wrong, &p.narrative_columns, &id),
            &snapshot(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].check, "board.narrative-status");
        assert_eq!(f[0].subject, "ST-A-001");
        let right = "## In Progress (WIP=2)\n- **Something** ST-A-001 - going\n";
        assert!(rules(
            &p,
            "board.md",
            &parse(right, &p.narrative_columns, &id),
            &snapshot()
        )
        .is_empty());
        assert_eq!(status_word("Done - 2025-12-22"), "done");
        assert_eq!(status_word("In Progress (since 2025-10-01)"), "in progress");
    }
}
