//! Drift rules between the task board and its CSV (SPEC §3). Pure functions
//! from facts and policy to findings; every finding names file, line and ID.

use std::collections::{BTreeMap, HashMap};

use super::board::{is_done, PlanEntry, Task, Tasks};
use crate::finding::{Finding, Location};
use crate::policy::DocRule;
use crate::policy::DocsPolicy;

/// A finding of `rule` at `path:line`, or `None` when the policy turns the rule off.
pub fn emit(
    p: &DocsPolicy,
    rule: DocRule,
    subject: &str,
    msg: String,
    path: &str,
    line: usize,
) -> Option<Finding> {
    p.severity(rule).map(|sev| {
        Finding::new(
            rule.id(),
            sev,
            subject,
            msg,
            Location::file(path).at_line(line),
        )
    })
}

/// Findings of every board/CSV rule the policy enables.
pub fn board_rules(p: &DocsPolicy, board: &Tasks, csv: &Tasks) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |rule: DocRule, subject: &str, msg: String, path: &str, line: usize| {
        out.extend(emit(p, rule, subject, msg, path, line));
    };
    // A structural problem names the task on its line, when there is one.
    let at = |ts: &Tasks, line: usize, doc: &'static str| -> String {
        ts.tasks
            .iter()
            .chain(&ts.malformed)
            .find(|t| t.line == line)
            .map(|t| t.id.clone())
            .unwrap_or_else(|| doc.to_string())
    };
    for (line, m) in &board.problems {
        add(
            DocRule::BoardTable,
            &at(board, *line, "task board"),
            m.clone(),
            &board.path,
            *line,
        );
    }
    for (line, m) in &csv.problems {
        add(
            DocRule::CsvMalformed,
            &at(csv, *line, "task board CSV"),
            m.clone(),
            &csv.path,
            *line,
        );
    }
    // Integrity: columns, empty and duplicate IDs, minimum rows.
    let missing: Vec<&String> = p
        .csv_columns
        .iter()
        .filter(|c| !csv.header.iter().any(|h| h.trim() == c.as_str()))
        .collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        add(
            DocRule::CsvIntegrity,
            "task board CSV",
            format!("missing columns: {}", names.join(", ")),
            &csv.path,
            1,
        );
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for t in csv.tasks.iter().chain(&csv.malformed) {
        if t.id.is_empty() {
            add(
                DocRule::CsvIntegrity,
                "task board CSV",
                "record has an empty ID".into(),
                &csv.path,
                t.line,
            );
        } else if let Some(first) = seen.insert(t.id.to_uppercase(), t.line) {
            add(
                DocRule::CsvIntegrity,
                &t.id,
                format!("duplicate ID {} (first at line {first})", t.id),
                &csv.path,
                t.line,
            );
        }
    }
    if csv.tasks.len() < p.min_csv_rows {
        let msg = format!(
            "{} readable records, fewer than the minimum {}",
            csv.tasks.len(),
            p.min_csv_rows
        );
        add(DocRule::CsvIntegrity, "task board CSV", msg, &csv.path, 1);
    }
    // Presence and agreement, by whole-token ID (case-insensitive).
    // First occurrence wins: duplicates are reported by the integrity rule.
    let index = |ts: &[Task]| -> BTreeMap<String, Task> {
        let mut m = BTreeMap::new();
        for t in ts {
            m.entry(t.id.to_uppercase()).or_insert_with(|| t.clone());
        }
        m
    };
    let on_board = index(&board.tasks);
    let all_csv: Vec<Task> = csv
        .tasks
        .iter()
        .chain(&csv.malformed)
        .filter(|t| !t.id.is_empty())
        .cloned()
        .collect();
    let in_csv = index(&all_csv);
    for (key, t) in &on_board {
        match in_csv.get(key) {
            None => add(
                DocRule::BoardMissingInCsv,
                &t.id,
                format!("{} is on the board but not in the CSV", t.id),
                &board.path,
                t.line,
            ),
            Some(c) => {
                if norm(&t.title) != norm(&c.title) && !c.title.is_empty() {
                    let msg = format!(
                        "{}: title '{}' on the board, '{}' in the CSV (line {})",
                        t.id, t.title, c.title, c.line
                    );
                    add(DocRule::BoardTitleMismatch, &t.id, msg, &board.path, t.line);
                }
                if norm(&t.status) != norm(&c.status) && !c.status.is_empty() {
                    let msg = format!(
                        "{}: status '{}' on the board, '{}' in the CSV (line {})",
                        t.id, t.status, c.status, c.line
                    );
                    add(
                        DocRule::BoardStatusMismatch,
                        &t.id,
                        msg,
                        &board.path,
                        t.line,
                    );
                }
            }
        }
    }
    for (key, c) in &in_csv {
        if !on_board.contains_key(key) {
            add(
                DocRule::CsvMissingOnBoard,
                &c.id,
                format!("{} is in the CSV but not on the board", c.id),
                &csv.path,
                c.line,
            );
        }
    }
    out
}

/// Plan tasks on neither the board nor the CSV (`plan.unknown-id`), and
/// plans that say a task is done (or not) when the board says otherwise
/// (`plan.status-mismatch`; the board's snapshot first, else the CSV).
pub fn plan_rules(p: &DocsPolicy, plans: &[PlanEntry], board: &Tasks, csv: &Tasks) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in plans {
        if board.find(&e.id).or_else(|| csv.find(&e.id)).is_none() {
            let msg = format!(
                "{} is in a plan but on neither the task board nor its CSV",
                e.id
            );
            out.extend(emit(p, DocRule::PlanUnknownId, &e.id, msg, &e.path, e.line));
            continue;
        }
        // A malformed CSV record's fields are not trusted for its status.
        let Some((task, where_)) = board
            .find_well_formed(&e.id)
            .map(|t| (t, &board.path))
            .or_else(|| csv.find_well_formed(&e.id).map(|t| (t, &csv.path)))
        else {
            continue;
        };
        let at_entry = |rule, msg| emit(p, rule, &e.id, msg, &e.path, e.line);
        let stated_title = e.title.as_deref().map(plain).filter(|t| !t.is_empty());
        if let Some(title) = stated_title.filter(|t| norm(t) != norm(&plain(&task.title))) {
            let msg = format!(
                "{}: title '{title}' in the plan but '{}' in {} (line {})",
                e.id, task.title, where_, task.line
            );
            out.extend(at_entry(DocRule::PlanTitleMismatch, msg));
        }
        let Some(claims) = e.claims_done(&p.delivered_sections) else {
            continue;
        };
        if claims != is_done(&task.status) {
            let stated = e
                .stated_status()
                .map_or("delivered".to_string(), |s| format!("'{s}'"));
            let section = e
                .section
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            let msg = format!(
                "{} is {stated} in the plan{section} but '{}' in {} (line {})",
                e.id, task.status, where_, task.line
            );
            out.extend(at_entry(DocRule::PlanStatusMismatch, msg));
        }
    }
    out
}

/// A table cell's text without markdown emphasis and code marks.
fn plain(s: &str) -> String {
    s.replace(['*', '`'], "").trim().to_string()
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> DocsPolicy {
        DocsPolicy {
            id_pattern: r"ST-[A-Z]{1,2}-\d{3}".into(),
            task_board: String::new(),
            task_board_section: String::new(),
            task_board_csv: String::new(),
            csv_columns: vec!["ID".into(), "Title".into(), "Column".into()],
            min_csv_rows: 2,
            release_checklist: None,
            risk_register: None,
            backlog: None,
            require_backlog_entry: false,
            session_logs: None,
            plans: None,
            delivered_sections: vec!["Recently delivered".into()],
            plan_index: None,
            roadmap: None,
            narrative_columns: Vec::new(),
            max_csv_row_loss: 20,
            rules: [
                (DocRule::BoardTitleMismatch, crate::policy::RuleLevel::Warn),
                (DocRule::BoardTable, crate::policy::RuleLevel::Off),
            ]
            .into(),
        }
    }

    fn task(id: &str, title: &str, status: &str, line: usize) -> Task {
        Task {
            id: id.into(),
            title: title.into(),
            status: status.into(),
            line,
            plan_link: None,
        }
    }

    fn tasks(path: &str, ts: Vec<Task>) -> Tasks {
        Tasks {
            path: path.into(),
            tasks: ts,
            header: vec!["ID".into(), "Title".into(), "Column".into()],
            ..Default::default()
        }
    }

    fn rules_of(f: &[Finding]) -> Vec<(String, String, usize)> {
        let mut v: Vec<_> = f
            .iter()
            .map(|x| {
                (
                    x.check.clone(),
                    x.subject.clone(),
                    x.location.line.unwrap_or(0),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn each_rule_triggers_and_a_clean_pair_does_not() {
        let p = policy();
        let clean_board = tasks(
            "b.md",
            vec![
                task("ST-A-001", "One", "Done", 8),
                task("ST-A-002", "Two", "Ready", 9),
            ],
        );
        let clean_csv = tasks(
            "t.csv",
            vec![
                task("ST-A-001", "One", "Done", 2),
                task("st-a-002", "Two ", "ready", 3),
            ],
        );
        assert!(board_rules(&p, &clean_board, &clean_csv).is_empty());

        let mut board = tasks(
            "b.md",
            vec![
                task("ST-A-001", "One", "Done", 8),
                task("ST-A-003", "Three", "Ready", 10),
            ],
        );
        board
            .problems
            .push((9, "blank line splits the table".into()));
        let mut csv = tasks(
            "t.csv",
            vec![
                task("ST-A-001", "Uno", "Blocked", 2),
                task("ST-A-004", "Four", "Ready", 3),
                task("st-a-004", "Dup", "Ready", 4),
            ],
        );
        csv.problems
            .push((5, "two records glued on one line".into()));
        csv.header.pop();
        let f = board_rules(&p, &board, &csv);
        assert_eq!(
            rules_of(&f),
            vec![
                ("board.missing-in-csv".into(), "ST-A-003".into(), 10),
                ("board.status-mismatch".into(), "ST-A-001".into(), 8),
                ("board.title-mismatch".into(), "ST-A-001".into(), 8),
                ("csv.integrity".into(), "st-a-004".into(), 4),
                ("csv.integrity".into(), "task board CSV".into(), 1),
                ("csv.malformed".into(), "task board CSV".into(), 5),
                ("csv.missing-on-board".into(), "ST-A-004".into(), 3),
            ]
        );
        let title = f
            .iter()
            .find(|x| x.check == "board.title-mismatch")
            .unwrap();
        assert_eq!(title.severity, crate::finding::Severity::Warn);
        assert!(title
            .message
            .contains("'One' on the board, 'Uno' in the CSV (line 2)"));
    }

    fn entry(line: usize, id: &str, section: &str, status: Option<&str>) -> PlanEntry {
        PlanEntry {
            path: "PlanA.md".into(),
            line,
            id: id.into(),
            section: Some(section.into()),
            status: status.map(str::to_string),
            title: None,
        }
    }

    #[test]
    fn a_plan_title_other_than_the_boards_is_drift() {
        let p = policy();
        let board = tasks(
            "b.md",
            vec![task("ST-A-001", "Queue delay alert", "Ready", 8)],
        );
        let csv = tasks("t.csv", vec![]);
        let same = PlanEntry {
            title: Some("**Queue  delay alert**".into()),
            ..entry(5, "ST-A-001", "Active work", None)
        };
        let other = PlanEntry {
            title: Some("Risk register loop".into()),
            ..entry(6, "ST-A-001", "Active work", None)
        };
        assert!(plan_rules(&p, &[same], &board, &csv).is_empty());
        let f = plan_rules(&p, &[other], &board, &csv);
        assert_eq!(
            rules_of(&f),
            vec![("plan.title-mismatch".into(), "ST-A-001".into(), 6)]
        );
        assert!(
            f[0].message.contains(
                "'Risk register loop' in the plan but 'Queue delay alert' in b.md (line 8)"
            ),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn plan_ids_on_neither_board() {
        let p = policy();
        let board = tasks("b.md", vec![task("ST-A-001", "One", "Done", 8)]);
        let csv = tasks("t.csv", vec![task("ST-A-002", "Two", "Done", 2)]);
        let plans = vec![
            entry(5, "ST-A-001", "Active work", None),
            entry(6, "st-a-002", "Active work", None),
            entry(7, "ST-A-003", "Active work", None),
        ];
        let f = plan_rules(&p, &plans, &board, &csv);
        assert_eq!(
            rules_of(&f),
            vec![("plan.unknown-id".into(), "ST-A-003".into(), 7)]
        );
    }

    #[test]
    fn plan_statuses_must_agree_with_the_board_on_done() {
        let p = policy();
        let board = tasks(
            "b.md",
            vec![
                task("ST-A-001", "One", "Done - 2025-12-22", 8),
                task("ST-A-002", "Two", "In Progress", 9),
            ],
        );
        let mut csv = tasks("t.csv", vec![task("ST-A-003", "Three", "Ready", 2)]);
        // A glued record's "Column" is some other field: not a status.
        csv.malformed
            .push(task("ST-A-004", "Four", "Decomposition", 3));
        let agree = vec![
            entry(4, "ST-A-004", "Active work", Some("Done")),
            entry(5, "ST-A-001", "Active work", Some("Done")),
            entry(6, "ST-A-002", "Active work", Some("In progress")),
            entry(7, "ST-A-001", "Recently delivered", None),
            entry(8, "ST-A-002", "Active work", Some("")),
        ];
        assert!(plan_rules(&p, &agree, &board, &csv).is_empty());
        let drift = vec![
            entry(5, "ST-A-001", "Active work", Some("Blocked")),
            entry(6, "ST-A-002", "Active work", Some("Done - 2026-01-02")),
            entry(7, "ST-A-003", "Recently delivered", None),
        ];
        let f = plan_rules(&p, &drift, &board, &csv);
        assert_eq!(
            rules_of(&f),
            vec![
                ("plan.status-mismatch".into(), "ST-A-001".into(), 5),
                ("plan.status-mismatch".into(), "ST-A-002".into(), 6),
                ("plan.status-mismatch".into(), "ST-A-003".into(), 7),
            ]
        );
        assert!(
            f[2].message.contains(
                "delivered in the plan (Recently delivered) but 'Ready' in t.csv (line 2)"
            ),
            "{}",
            f[2].message
        );
    }

    #[test]
    fn too_few_rows_and_empty_ids() {
        let p = policy();
        let csv = tasks("t.csv", vec![task("", "Blank", "Ready", 2)]);
        let f = board_rules(&p, &tasks("b.md", vec![]), &csv);
        let msgs: Vec<&str> = f.iter().map(|x| x.message.as_str()).collect();
        assert!(msgs.contains(&"record has an empty ID"), "{msgs:?}");
        assert!(
            msgs.iter().any(|m| m.contains("fewer than the minimum 2")),
            "{msgs:?}"
        );
    }
}
