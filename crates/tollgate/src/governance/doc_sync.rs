//! `docs task ID`: the per-task doc-sync checklist, in the shape of
//! StateTrace's `DocSyncChecklist` JSON. The task must be on the board, in
//! the CSV, in its plan (via PlanLink, which may list several paths), in the
//! backlog when required, and in a session log that references the docs it
//! synced. IDs match as whole tokens (`ST-G-01` never matches `ST-G-010`).

use std::path::{Path, PathBuf};

use regex::Regex;

use super::board::{plan_links, Tasks};
use crate::policy::{DocsPolicy, Workspace};

/// One document's part of the checklist.
#[derive(Debug, Clone, Default)]
pub struct DocState {
    pub path: Option<String>,
    pub exists: bool,
    pub contains_task_id: bool,
    /// The first line citing the task.
    pub line: Option<usize>,
}

/// The checklist; `to_statetrace_json` gives StateTrace's `DocSyncChecklist`.
#[derive(Debug, Clone)]
pub struct DocSyncChecklist {
    pub task_id: String,
    pub task_board: DocState,
    pub task_board_csv: DocState,
    pub plan_link: Option<String>,
    pub task_board_integrity: Integrity,
    pub plan: Vec<DocState>,
    pub backlog: DocState,
    pub backlog_required: bool,
    pub session_log: DocState,
    pub session_log_references: Vec<String>,
    pub passed: bool,
    pub missing: Vec<String>,
}

/// The CSV integrity part.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    pub passed: bool,
    pub problems: Vec<String>,
    pub row_count: usize,
    pub minimum_row_count: usize,
}

/// What the documents say about one task: read from disk by [`gather`],
/// judged by [`decide`] without touching it.
#[derive(Debug, Clone, Default)]
pub struct TaskFacts {
    pub task_board: DocState,
    pub task_board_csv: DocState,
    /// The CSV row's PlanLink, when it has one.
    pub plan_link: Option<String>,
    pub integrity: Integrity,
    /// Each path of the PlanLink.
    pub plans: Vec<DocState>,
    pub backlog: DocState,
    /// Whether any session log matches the policy's glob.
    pub session_logs_exist: bool,
    /// The newest session log citing the task, with its text.
    pub session_log: Option<(DocState, String)>,
}

/// The first line of `path` citing `id` as a whole token, if the file exists.
fn find(path: &Path, id: &Regex) -> DocState {
    let shown = Some(path.display().to_string());
    let Ok(text) = crate::read::text::read_to_string(path) else {
        return DocState {
            path: shown,
            exists: path.exists(),
            ..Default::default()
        };
    };
    let line = crate::read::text::numbered_lines(&text)
        .find(|(_, l)| id.is_match(l))
        .map(|(n, _)| n);
    DocState {
        path: shown,
        exists: true,
        contains_task_id: line.is_some(),
        line,
    }
}

/// Read what the board, CSV, plans, backlog and session logs say of `task`.
pub fn gather(
    ws: &Workspace,
    p: &DocsPolicy,
    task: &str,
    csv: &Tasks,
    integrity_problems: Vec<String>,
) -> TaskFacts {
    let id = Regex::new(&format!(
        r"(?i)(^|[^A-Za-z0-9-]){}($|[^A-Za-z0-9])",
        regex::escape(task)
    ))
    .expect("escaped id is a valid regex");
    let csv_path = ws.path(&p.task_board_csv);
    let row = csv
        .tasks
        .iter()
        .chain(&csv.malformed)
        .find(|t| t.id.eq_ignore_ascii_case(task));
    let plan_link = row
        .and_then(|r| r.plan_link.clone())
        .filter(|l| !l.trim().is_empty());
    let logs = p
        .session_logs
        .as_deref()
        .map(|g| session_logs(&ws.path(g)))
        .unwrap_or_default();
    let session_log = logs
        .iter()
        .map(|l| find(l, &id))
        .find(|s| s.contains_task_id)
        .map(|state| {
            let text = state
                .path
                .as_deref()
                .and_then(|p| crate::read::text::read_to_string(Path::new(p)).ok())
                .unwrap_or_default();
            (state, text)
        });
    TaskFacts {
        task_board: find(&ws.path(&p.task_board), &id),
        task_board_csv: DocState {
            path: Some(csv_path.display().to_string()),
            exists: csv_path.exists(),
            contains_task_id: row.is_some(),
            line: row.map(|r| r.line),
        },
        plans: plan_links(plan_link.as_deref())
            .iter()
            .map(|s| find(&ws.path(s), &id))
            .collect(),
        plan_link,
        integrity: Integrity {
            passed: integrity_problems.is_empty(),
            problems: integrity_problems,
            row_count: csv.tasks.len(),
            minimum_row_count: p.min_csv_rows,
        },
        backlog: p
            .backlog
            .as_deref()
            .map(|b| find(&ws.path(b), &id))
            .unwrap_or_default(),
        session_logs_exist: !logs.is_empty(),
        session_log,
    }
}

/// The docs a session log should name (key, policy path): the board, the
/// CSV, the backlog and each plan of the PlanLink.
fn synced_docs(p: &DocsPolicy, plan_link: Option<&str>) -> Vec<(&'static str, String)> {
    let mut docs = vec![
        ("TaskBoard", p.task_board.clone()),
        ("TaskBoardCsv", p.task_board_csv.clone()),
    ];
    docs.extend(p.backlog.clone().map(|b| ("Backlog", b)));
    docs.extend(plan_links(plan_link).into_iter().map(|pl| ("Plan", pl)));
    docs
}

/// Judge the facts: every Missing code SPEC §3 and StateTrace define.
pub fn decide(p: &DocsPolicy, task: &str, f: TaskFacts) -> DocSyncChecklist {
    let mut missing = Vec::new();
    if !f.task_board.exists {
        missing.push("TaskBoardMissing");
    } else if !f.task_board.contains_task_id {
        missing.push("TaskBoardRowMissing");
    }
    if !f.task_board_csv.exists {
        missing.push("TaskBoardCsvMissing");
    } else if !f.task_board_csv.contains_task_id {
        missing.push("TaskBoardCsvRowMissing");
    }
    if !f.integrity.passed {
        missing.push("TaskBoardIntegrityFailed");
    }
    if f.plans.is_empty() {
        missing.push("PlanPathMissing");
    } else if !f.plans.iter().any(|s| s.exists) {
        missing.push("PlanMissing");
    } else if !f.plans.iter().any(|s| s.contains_task_id) {
        missing.push("PlanEntryMissing");
    }
    if p.require_backlog_entry && !f.backlog.contains_task_id {
        missing.push("BacklogEntryMissing");
    }
    let mut references: Vec<String> = Vec::new();
    let session_log = match f.session_log {
        None => {
            missing.push(if f.session_logs_exist {
                "SessionLogTaskMissing"
            } else {
                "SessionLogMissing"
            });
            DocState {
                exists: f.session_logs_exist,
                ..Default::default()
            }
        }
        Some((state, text)) => {
            let text = text.to_lowercase().replace('\\', "/");
            for (key, rel) in synced_docs(p, f.plan_link.as_deref()) {
                let rel = rel.to_lowercase().replace('\\', "/");
                let name = rel.rsplit('/').next().unwrap_or(&rel);
                if (text.contains(&rel) || text.contains(name))
                    && !references.iter().any(|r| r == key)
                {
                    references.push(key.to_string());
                }
            }
            if references.is_empty() {
                missing.push("SessionLogReferencesMissing");
            }
            state
        }
    };
    DocSyncChecklist {
        task_id: task.to_string(),
        task_board: f.task_board,
        task_board_csv: f.task_board_csv,
        plan_link: f.plan_link,
        task_board_integrity: f.integrity,
        plan: f.plans,
        backlog: f.backlog,
        backlog_required: p.require_backlog_entry,
        session_log,
        session_log_references: references,
        passed: missing.is_empty(),
        missing: missing.into_iter().map(str::to_string).collect(),
    }
}

/// Session logs matching a glob (in its last component), newest name first.
fn session_logs(pattern: &Path) -> Vec<PathBuf> {
    let mut logs = crate::select::glob_files(pattern);
    logs.reverse();
    logs
}

impl DocSyncChecklist {
    /// StateTrace's `DocSyncChecklist` shape: `{TaskId, TaskBoard{...},
    /// TaskBoardCsv{..., PlanLink}, TaskBoardIntegrity{...}, Plan{..., Source},
    /// Backlog{..., Required}, SessionLog{..., References, Required}, Passed,
    /// Missing[]}`, plus `Line` where a document cites the task and the
    /// `Paths` of a multi-path PlanLink.
    pub fn to_statetrace_json(&self) -> serde_json::Value {
        use serde_json::{json, Value};
        let doc = |s: &DocState, extra: Value| {
            let mut v = json!({"Path": s.path, "Exists": s.exists, "ContainsTaskId": s.contains_task_id, "Line": s.line});
            if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
                o.extend(e);
            }
            v
        };
        let none = DocState::default();
        let plan = self
            .plan
            .iter()
            .find(|p| p.contains_task_id)
            .or(self.plan.first())
            .unwrap_or(&none);
        json!({
            "TaskId": self.task_id,
            "TaskBoard": doc(&self.task_board, json!({})),
            "TaskBoardCsv": doc(&self.task_board_csv, json!({"PlanLink": self.plan_link})),
            "TaskBoardIntegrity": {
                "Path": self.task_board_csv.path, "Passed": self.task_board_integrity.passed,
                "Error": (!self.task_board_integrity.problems.is_empty()).then(|| self.task_board_integrity.problems.join("; ")),
                "RowCount": self.task_board_integrity.row_count, "MinimumRowCount": self.task_board_integrity.minimum_row_count,
            },
            "Plan": doc(plan, json!({"Source": "TaskBoardCsv", "Paths": self.plan.iter().map(|p| &p.path).collect::<Vec<_>>()})),
            "Backlog": doc(&self.backlog, json!({"Required": self.backlog_required})),
            "SessionLog": doc(&self.session_log, json!({"References": self.session_log_references, "Required": true})),
            "Passed": self.passed,
            "Missing": self.missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::statetrace_docs;

    fn cited(line: usize) -> DocState {
        DocState {
            path: Some("doc.md".into()),
            exists: true,
            contains_task_id: true,
            line: Some(line),
        }
    }

    fn uncited() -> DocState {
        DocState {
            path: Some("doc.md".into()),
            exists: true,
            ..Default::default()
        }
    }

    /// The facts of a fully synced task; its session log names the board
    /// and, with Windows separators, the plan.
    fn synced(p: &DocsPolicy) -> TaskFacts {
        TaskFacts {
            task_board: cited(3),
            task_board_csv: cited(4),
            plan_link: Some("docs/plans/PlanG_ReleaseGovernance.md".into()),
            integrity: Integrity {
                passed: true,
                ..Default::default()
            },
            plans: vec![cited(5)],
            backlog: uncited(),
            session_logs_exist: true,
            session_log: Some((
                cited(7),
                format!(
                    "Synced {} and docs\\plans\\PLANG_ReleaseGovernance.md",
                    p.task_board
                ),
            )),
        }
    }

    fn missing(p: &DocsPolicy, f: TaskFacts) -> Vec<String> {
        decide(p, "ST-G-007", f).missing
    }

    #[test]
    fn a_synced_task_passes_and_each_gap_has_its_own_code() {
        let (p, _) = statetrace_docs();
        let c = decide(&p, "ST-G-007", synced(&p));
        assert!(c.passed, "{:?}", c.missing);
        assert_eq!(c.session_log_references, ["TaskBoard", "Plan"]);
        type Break = fn(&mut TaskFacts);
        let cases: [(&str, Break); 11] = [
            ("TaskBoardMissing", |f| f.task_board = DocState::default()),
            ("TaskBoardRowMissing", |f| f.task_board = uncited()),
            ("TaskBoardCsvMissing", |f| {
                f.task_board_csv = DocState::default()
            }),
            ("TaskBoardCsvRowMissing", |f| f.task_board_csv = uncited()),
            ("TaskBoardIntegrityFailed", |f| f.integrity.passed = false),
            ("PlanPathMissing", |f| f.plans.clear()),
            ("PlanMissing", |f| f.plans = vec![DocState::default()]),
            ("PlanEntryMissing", |f| f.plans = vec![uncited(), uncited()]),
            ("SessionLogMissing", |f| {
                f.session_log = None;
                f.session_logs_exist = false;
            }),
            ("SessionLogTaskMissing", |f| f.session_log = None),
            ("SessionLogReferencesMissing", |f| {
                f.session_log = Some((cited(1), "nothing synced".into()))
            }),
        ];
        for (code, break_it) in cases {
            let mut f = synced(&p);
            break_it(&mut f);
            assert_eq!(missing(&p, f), [code]);
        }
        // One plan of a multi-path PlanLink citing the task is enough.
        let mut f = synced(&p);
        f.plans.insert(0, uncited());
        assert!(missing(&p, f).is_empty());
    }

    #[test]
    fn the_backlog_counts_only_when_the_policy_requires_it() {
        let (mut p, _) = statetrace_docs();
        assert!(missing(&p, synced(&p)).is_empty());
        p.require_backlog_entry = true;
        assert_eq!(missing(&p, synced(&p)), ["BacklogEntryMissing"]);
        let mut f = synced(&p);
        f.backlog = cited(9);
        assert!(missing(&p, f).is_empty());
    }
}
