//! `docs task ID`: the per-task doc-sync checklist, in the shape of
//! StateTrace's `DocSyncChecklist` JSON. The task must be on the board, in
//! the CSV, in its plan (via PlanLink, which may list several paths), in the
//! backlog when required, and in a session log that references the docs it
//! synced. IDs match as whole tokens (`ST-G-01` never matches `ST-G-010`).

use std::path::{Path, PathBuf};

use regex::Regex;

use super::board::Tasks;
use crate::policy::{DocsPolicy, Workspace};

/// One document's part of the checklist.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
pub struct Integrity {
    pub passed: bool,
    pub problems: Vec<String>,
    pub row_count: usize,
    pub minimum_row_count: usize,
}

/// The first line of `path` citing `id` as a whole token, if the file exists.
fn find(path: &Path, id: &Regex) -> DocState {
    let shown = Some(path.display().to_string());
    let Ok(text) = crate::read::text::read_to_string(path) else {
        return DocState {
            path: shown,
            exists: path.exists(),
            contains_task_id: false,
            line: None,
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

/// Build the checklist for `task`.
pub fn checklist(
    ws: &Workspace,
    p: &DocsPolicy,
    task: &str,
    csv: &Tasks,
    integrity_problems: Vec<String>,
) -> DocSyncChecklist {
    let id = Regex::new(&format!(
        r"(?i)(^|[^A-Za-z0-9-]){}($|[^A-Za-z0-9])",
        regex::escape(task)
    ))
    .expect("escaped id is a valid regex");
    let mut missing = Vec::new();
    let board_path = ws.path(&p.task_board);
    let task_board = find(&board_path, &id);
    if !task_board.exists {
        missing.push("TaskBoardMissing");
    } else if !task_board.contains_task_id {
        missing.push("TaskBoardRowMissing");
    }
    let csv_path = ws.path(&p.task_board_csv);
    let row = csv
        .tasks
        .iter()
        .chain(&csv.malformed)
        .find(|t| t.id.eq_ignore_ascii_case(task));
    let plan_link = row
        .and_then(|r| r.plan_link.clone())
        .filter(|l| !l.trim().is_empty());
    let task_board_csv = DocState {
        path: Some(csv_path.display().to_string()),
        exists: csv_path.exists(),
        contains_task_id: row.is_some(),
        line: row.map(|r| r.line),
    };
    if !task_board_csv.exists {
        missing.push("TaskBoardCsvMissing");
    } else if row.is_none() {
        missing.push("TaskBoardCsvRowMissing");
    }
    let integrity = Integrity {
        passed: integrity_problems.is_empty(),
        problems: integrity_problems,
        row_count: csv.tasks.len(),
        minimum_row_count: p.min_csv_rows,
    };
    if !integrity.passed {
        missing.push("TaskBoardIntegrityFailed");
    }
    let plans: Vec<DocState> = plan_link
        .iter()
        .flat_map(|l| {
            l.split([',', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| find(&ws.path(s), &id))
                .collect::<Vec<_>>()
        })
        .collect();
    if plans.is_empty() {
        missing.push("PlanPathMissing");
    } else if !plans.iter().any(|s| s.exists) {
        missing.push("PlanMissing");
    } else if !plans.iter().any(|s| s.contains_task_id) {
        missing.push("PlanEntryMissing");
    }
    let backlog = p
        .backlog
        .as_deref()
        .map(|b| find(&ws.path(b), &id))
        .unwrap_or(DocState {
            path: None,
            exists: false,
            contains_task_id: false,
            line: None,
        });
    if p.require_backlog_entry && !backlog.contains_task_id {
        missing.push("BacklogEntryMissing");
    }
    // The newest session log citing the task, and what it references.
    let logs = p
        .session_logs
        .as_deref()
        .map(|g| session_logs(&ws.path(g)))
        .unwrap_or_default();
    let log = logs
        .iter()
        .map(|l| find(l, &id))
        .find(|s| s.contains_task_id);
    let mut references = Vec::new();
    let session_log = match log {
        None => {
            missing.push(if logs.is_empty() {
                "SessionLogMissing"
            } else {
                "SessionLogTaskMissing"
            });
            DocState {
                path: None,
                exists: !logs.is_empty(),
                contains_task_id: false,
                line: None,
            }
        }
        Some(state) => {
            let text = state
                .path
                .as_deref()
                .and_then(|p| crate::read::text::read_to_string(Path::new(p)).ok())
                .unwrap_or_default()
                .to_lowercase()
                .replace('\\', "/");
            let mut docs: Vec<(&str, String)> = vec![
                ("TaskBoard", p.task_board.clone()),
                ("TaskBoardCsv", p.task_board_csv.clone()),
            ];
            if let Some(b) = &p.backlog {
                docs.push(("Backlog", b.clone()));
            }
            for pl in plan_link
                .iter()
                .flat_map(|l| l.split([',', ';']))
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                docs.push(("Plan", pl.to_string()));
            }
            for (key, rel) in docs {
                let rel = rel.to_lowercase().replace('\\', "/");
                let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
                if (text.contains(&rel) || text.contains(&name))
                    && !references.contains(&key.to_string())
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
        task_board,
        task_board_csv,
        plan_link,
        task_board_integrity: integrity,
        plan: plans,
        backlog,
        backlog_required: p.require_backlog_entry,
        session_log,
        session_log_references: references,
        passed: missing.is_empty(),
        missing: missing.into_iter().map(str::to_string).collect(),
    }
}

/// Session logs matching a glob (in its last component), newest name first.
fn session_logs(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(leaf)) = (pattern.parent(), pattern.file_name()) else {
        return Vec::new();
    };
    let mut logs = crate::select::matching(dir, &leaf.to_string_lossy());
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
        let none = DocState {
            path: None,
            exists: false,
            contains_task_id: false,
            line: None,
        };
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
