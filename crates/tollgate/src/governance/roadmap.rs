//! The roadmap, the backlog and the plan index: tables that point at task
//! IDs or plan files, and the rules that hold them to the boards.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::board::{is_done, Tasks};
use super::rules::emit;
use crate::finding::Finding;
use crate::policy::DocRule;
use crate::policy::DocsPolicy;
use crate::read::mdtable;

/// One roadmap milestone.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub name: String,
    pub id: Option<String>,
    pub target: Option<NaiveDate>,
    /// The roadmap's own status cell, when it has one.
    pub status: Option<String>,
    pub line: usize,
}

/// Milestones of every roadmap table (a table with a milestone and a target-date column).
pub fn parse_roadmap(doc: &str, id: &Regex) -> Vec<Milestone> {
    static DATE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d{4}-\d{2}-\d{2}").expect("valid regex"));
    let date = &*DATE;
    let mut out = Vec::new();
    for t in mdtable::tables(doc) {
        let (Some(name), Some(target)) = (
            t.column(&["Milestone"]),
            t.column(&["Target date", "Target", "Due", "Due date"]),
        ) else {
            continue;
        };
        let idc = t.column(&["Task board ID", "Task ID", "ID"]);
        let status = t.column(&["Status"]);
        for r in &t.rows {
            let target_cell = r.cell(target).unwrap_or_default();
            out.push(Milestone {
                name: r.cell(name).unwrap_or_default(),
                id: idc
                    .and_then(|c| r.cell(c))
                    .and_then(|c| id.find(&c).map(|m| m.as_str().to_string())),
                target: date
                    .find(&target_cell)
                    .and_then(|m| NaiveDate::parse_from_str(m.as_str(), "%Y-%m-%d").ok()),
                status: status.and_then(|c| r.cell(c)),
                line: r.line,
            });
        }
    }
    out
}

/// `roadmap.unknown-id` (no ID, or one on neither board) and
/// `roadmap.overdue` (past its target on `today` and not done).
pub fn roadmap_rules(
    p: &DocsPolicy,
    path: &str,
    milestones: &[Milestone],
    board: &Tasks,
    csv: &Tasks,
    today: NaiveDate,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in milestones {
        let task =
            m.id.as_deref()
                .and_then(|id| board.find(id).or_else(|| csv.find(id)));
        let subject = m.id.clone().unwrap_or_else(|| m.name.clone());
        if task.is_none() {
            let msg = match &m.id {
                Some(id) => format!(
                    "milestone '{}' cites {id}, which is on neither the task board nor its CSV",
                    m.name
                ),
                None => format!("milestone '{}' has no task-board ID", m.name),
            };
            out.extend(emit(
                p,
                DocRule::RoadmapUnknownId,
                &subject,
                msg,
                path,
                m.line,
            ));
        }
        let done =
            m.status.as_deref().is_some_and(is_done) || task.is_some_and(|t| is_done(&t.status));
        if let (Some(target), false) = (m.target, done) {
            if target < today {
                let status = task
                    .map(|t| t.status.as_str())
                    .or(m.status.as_deref())
                    .unwrap_or("no status");
                out.extend(emit(
                    p,
                    DocRule::RoadmapOverdue,
                    &subject,
                    format!(
                        "milestone '{}' was due {target} ({} days ago) and is not done ({status})",
                        m.name,
                        (today - target).num_days()
                    ),
                    path,
                    m.line,
                ));
            }
        }
    }
    out
}

/// Task IDs in the ID column of every table of `doc`, as (line, ID).
pub fn table_ids(doc: &str, id: &Regex) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for t in mdtable::tables(doc) {
        let Some(col) = t.column(&["ID", "Task ID"]) else {
            continue;
        };
        for r in &t.rows {
            if let Some(m) = r
                .cell(col)
                .and_then(|c| id.find(&c).map(|m| m.as_str().to_string()))
            {
                out.push((r.line, m));
            }
        }
    }
    out
}

/// `backlog.unknown-id` and `backlog.done`: a backlog entry must be a live task.
pub fn backlog_rules(
    p: &DocsPolicy,
    path: &str,
    entries: &[(usize, String)],
    board: &Tasks,
    csv: &Tasks,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (line, id) in entries {
        match board.find(id).or_else(|| csv.find(id)) {
            None => out.extend(emit(
                p,
                DocRule::BacklogUnknownId,
                id,
                format!("{id} is in the backlog but on neither the task board nor its CSV"),
                path,
                *line,
            )),
            Some(t) if is_done(&t.status) => out.extend(emit(
                p,
                DocRule::BacklogDone,
                id,
                format!(
                    "{id} is still in the backlog but is '{}' (line {} of the board or CSV)",
                    t.status, t.line
                ),
                path,
                *line,
            )),
            Some(_) => {}
        }
    }
    out
}

/// Plan files the index cites, as (line, path) from its "Plan file" column.
pub fn parse_index(doc: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for t in mdtable::tables(doc) {
        let Some(col) = t.column(&["Plan file", "File", "Path"]) else {
            continue;
        };
        for r in &t.rows {
            let cell = r.cell(col).unwrap_or_default();
            let path = cell.trim_matches(|c: char| c == '`' || c.is_whitespace());
            if !path.is_empty() {
                out.push((r.line, path.replace('\\', "/")));
            }
        }
    }
    out
}

/// `plan.index`: cited plan files that do not exist, and plan files the
/// index does not cite. `exists` says whether a cited path exists; `plans`
/// are the plan files on disk, workspace-relative.
pub fn index_rules(
    p: &DocsPolicy,
    path: &str,
    cited: &[(usize, String)],
    exists: &dyn Fn(&str) -> bool,
    plans: &[String],
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (line, c) in cited.iter().filter(|(_, c)| !exists(c)) {
        out.extend(emit(
            p,
            DocRule::PlanIndex,
            c,
            format!("the index cites {c}, which does not exist"),
            path,
            *line,
        ));
    }
    for plan in plans.iter().filter(|f| !cited.iter().any(|(_, c)| c == *f)) {
        out.extend(emit(
            p,
            DocRule::PlanIndex,
            plan,
            format!("{plan} is not in the plan index"),
            path,
            1,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::board::Task;

    fn board(tasks: &[(&str, &str)]) -> Tasks {
        Tasks {
            path: "board.md".into(),
            tasks: tasks
                .iter()
                .enumerate()
                .map(|(i, (id, status))| Task {
                    id: id.to_string(),
                    title: String::new(),
                    status: status.to_string(),
                    line: i + 3,
                    plan_link: None,
                })
                .collect(),
            ..Default::default()
        }
    }

    const ROADMAP: &str = "| Milestone | Task board ID | Target date | Owner |\n|---|---|---|---|\n| **M1 - Base** | ST-B-010 | **2025-10-14** | Eng |\n| **M2 - Next** | ST-A-007 | 2026-03-01 | PM |\n";

    #[test]
    fn roadmap_milestones_are_read_with_ids_and_dates() {
        let (_, id) = crate::governance::statetrace_docs();
        let m = parse_roadmap(ROADMAP, &id);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "M1 - Base");
        assert_eq!(m[0].id.as_deref(), Some("ST-B-010"));
        assert_eq!(m[0].target, NaiveDate::from_ymd_opt(2025, 10, 14));
        assert_eq!(m[1].line, 4);
    }

    #[test]
    fn overdue_milestones_that_are_not_done() {
        let (p, id) = crate::governance::statetrace_docs();
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let m = parse_roadmap(ROADMAP, &id);
        let open = board(&[("ST-B-010", "In Progress"), ("ST-A-007", "Ready")]);
        let f = roadmap_rules(&p, "roadmap.md", &m, &open, &Tasks::default(), today);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (
                f[0].check.as_str(),
                f[0].subject.as_str(),
                f[0].location.line
            ),
            ("roadmap.overdue", "ST-B-010", Some(3))
        );
        assert!(f[0].message.contains("79 days ago"), "{}", f[0].message);
        let done = board(&[("ST-B-010", "Done - 2025-10-10"), ("ST-A-007", "Ready")]);
        assert!(roadmap_rules(&p, "roadmap.md", &m, &done, &Tasks::default(), today).is_empty());
    }

    #[test]
    fn milestones_must_cite_a_known_task() {
        let (p, id) = crate::governance::statetrace_docs();
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let m = parse_roadmap(ROADMAP, &id);
        let f = roadmap_rules(
            &p,
            "roadmap.md",
            &m,
            &board(&[("ST-B-010", "Ready")]),
            &Tasks::default(),
            today,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].check.as_str(), f[0].subject.as_str()),
            ("roadmap.unknown-id", "ST-A-007")
        );
        let both = board(&[("ST-B-010", "Ready"), ("ST-A-007", "Ready")]);
        assert!(roadmap_rules(&p, "roadmap.md", &m, &both, &Tasks::default(), today).is_empty());
    }

    #[test]
    fn backlog_entries_must_be_live_tasks() {
        let (p, id) = crate::governance::statetrace_docs();
        let doc = "| ID | Plan | Title |\n|---|---|---|\n| ST-G-001 | G | a |\n| ST-G-002 | G | b |\n| ST-G-003 | G | c |\n";
        let entries = table_ids(doc, &id);
        let b = board(&[("ST-G-001", "Done - 2025-12-22"), ("ST-G-002", "Ready")]);
        let f = backlog_rules(&p, "backlog.md", &entries, &b, &Tasks::default());
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.check.as_str(), f.subject.as_str(), f.location.line))
            .collect();
        assert_eq!(
            got,
            [
                ("backlog.done", "ST-G-001", Some(3)),
                ("backlog.unknown-id", "ST-G-003", Some(5))
            ]
        );
        let live = board(&[
            ("ST-G-001", "Ready"),
            ("ST-G-002", "Ready"),
            ("ST-G-003", "Blocked"),
        ]);
        assert!(backlog_rules(&p, "backlog.md", &entries, &live, &Tasks::default()).is_empty());
    }

    #[test]
    fn the_plan_index_cites_every_plan_and_only_real_ones() {
        let (p, _) = crate::governance::statetrace_docs();
        let doc = "| Plan | Plan file |\n|---|---|\n| A | `docs/plans/PlanA_X.md` |\n| B | `docs/plans/PlanB_Y.md` |\n";
        let cited = parse_index(doc);
        assert_eq!(cited[0], (3, "docs/plans/PlanA_X.md".to_string()));
        let exists = |c: &str| c.ends_with("PlanA_X.md");
        let plans = vec![
            "docs/plans/PlanA_X.md".to_string(),
            "docs/plans/PlanC_Z.md".to_string(),
        ];
        let f = index_rules(&p, "index.md", &cited, &exists, &plans);
        let got: Vec<_> = f.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(got, ["docs/plans/PlanB_Y.md", "docs/plans/PlanC_Z.md"]);
        let all = |_: &str| true;
        assert!(index_rules(&p, "index.md", &cited, &all, &plans[..1]).is_empty());
    }
}
