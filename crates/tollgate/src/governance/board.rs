//! Task-board facts: the snapshot table of the markdown board and the
//! machine-readable CSV, as tasks with their file and line.

use std::path::Path;

use regex::Regex;

use crate::error::Result;
use crate::read::{csv, mdtable, text};

/// One task as a document states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub title: String,
    /// The board column (status), e.g. `Done - 2025-12-22`.
    pub status: String,
    pub line: usize,
    /// The CSV's PlanLink (may list several paths).
    pub plan_link: Option<String>,
}

/// The plan files of a PlanLink cell: paths separated by `;` or `,`, each
/// without its `#anchor` and with `/` separators. The one reader of
/// PlanLink, for `docs check` and `docs task` alike.
pub fn plan_links(cell: Option<&str>) -> Vec<String> {
    cell.unwrap_or("")
        .split([',', ';'])
        .map(|s| s.split('#').next().unwrap_or("").trim().replace('\\', "/"))
        .filter(|s| !s.is_empty())
        .collect()
}

/// A document's tasks and what was irregular in it.
#[derive(Debug, Clone, Default)]
pub struct Tasks {
    pub path: String,
    pub tasks: Vec<Task>,
    /// Structural problems (line, message).
    pub problems: Vec<(usize, String)>,
    /// For the CSV: the header and rows that could not be read as tasks.
    pub header: Vec<String>,
    pub malformed: Vec<Task>,
}

impl Tasks {
    /// The task with `id` (case-insensitive), well-formed rows first.
    pub fn find(&self, id: &str) -> Option<&Task> {
        self.tasks
            .iter()
            .chain(&self.malformed)
            .find(|t| t.id.eq_ignore_ascii_case(id))
    }

    /// The task with `id` (case-insensitive) among the well-formed rows.
    pub fn find_well_formed(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }
}

/// Whether a status (`Done - 2025-12-22`, `done`) says the task is done.
pub fn is_done(status: &str) -> bool {
    status.trim_start().to_ascii_lowercase().starts_with("done")
}

/// The whole-token task ID in `cell`, if any.
fn id_in(cell: &str, id: &Regex) -> Option<String> {
    id.find(cell).map(|m| m.as_str().to_string())
}

/// The snapshot table under `section` of the markdown board.
pub fn read_board(path: &Path, section: &str, id: &Regex) -> Result<Tasks> {
    Ok(parse_board(path, &text::read_to_string(path)?, section, id))
}

/// The tasks of task board `doc`, read from `path`.
pub fn parse_board(path: &Path, doc: &str, section: &str, id: &Regex) -> Tasks {
    let mut out = Tasks {
        path: path.display().to_string(),
        ..Default::default()
    };
    let Some(t) = mdtable::table_under(doc, section) else {
        out.problems.push((
            1,
            format!("no table under a heading containing '{section}'"),
        ));
        return out;
    };
    out.problems = t.problems.clone();
    let col = |names: &[&str]| t.column(names);
    let (idc, title, status) = (
        col(&["ID", "Task ID"]).unwrap_or(0),
        col(&["Title", "Task"]),
        col(&["Column", "Status"]),
    );
    for r in &t.rows {
        match r.cell(idc).and_then(|c| id_in(&c, id)) {
            Some(task) => out.tasks.push(Task {
                id: task,
                title: title.and_then(|i| r.cell(i)).unwrap_or_default(),
                status: status.and_then(|i| r.cell(i)).unwrap_or_default(),
                line: r.line,
                plan_link: None,
            }),
            None => out
                .problems
                .push((r.line, "row has no task ID in its ID cell".to_string())),
        }
    }
    out
}

/// The task board CSV.
pub fn read_csv(path: &Path, id: &Regex) -> Result<Tasks> {
    Ok(parse_csv(path, &text::read_to_string(path)?, id))
}

/// The tasks of task CSV `doc`, read from `path`.
pub fn parse_csv(path: &Path, doc: &str, id: &Regex) -> Tasks {
    let c = csv::parse(doc, Some(id));
    let field = |r: &csv::Record, name: &str| {
        c.column(name)
            .and_then(|i| r.fields.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let task = |r: &csv::Record| Task {
        id: field(r, "ID"),
        title: field(r, "Title"),
        status: field(r, "Column"),
        line: r.line,
        plan_link: Some(field(r, "PlanLink")),
    };
    Tasks {
        path: path.display().to_string(),
        tasks: c.records.iter().map(task).collect(),
        malformed: c
            .malformed
            .iter()
            .map(|r| Task {
                id: r
                    .fields
                    .first()
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default(),
                ..task(r)
            })
            .collect(),
        problems: c.problems.clone(),
        header: c.header.clone(),
    }
}

/// A task as a plan's table lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEntry {
    pub path: String,
    pub line: usize,
    pub id: String,
    /// The heading the table sits under (`Active work`, `Recently delivered`).
    pub section: Option<String>,
    /// The row's Status cell, where the table has one.
    pub status: Option<String>,
    /// The row's Title cell, where the table has one.
    pub title: Option<String>,
}

impl PlanEntry {
    /// The row's Status cell, trimmed, when it says anything.
    pub fn stated_status(&self) -> Option<&str> {
        self.status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Whether the plan says the task is done: its Status cell, else a
    /// section whose heading contains one of `delivered` (any case); `None`
    /// when the plan does not say.
    pub fn claims_done(&self, delivered: &[String]) -> Option<bool> {
        if let Some(s) = self.stated_status() {
            return Some(is_done(s));
        }
        let heading = self.section.as_deref()?.to_lowercase();
        delivered
            .iter()
            .any(|d| heading.contains(&d.to_lowercase()))
            .then_some(true)
    }
}

/// The tasks in the ID column of every table of the plan files matching
/// `pattern`, with the section and status each row states.
pub fn read_plan_entries(pattern: &Path, id: &Regex) -> Result<Vec<PlanEntry>> {
    let files = crate::select::glob_files(pattern);
    let mut out = Vec::new();
    for f in files {
        let doc = text::read_to_string(&f)?;
        for t in mdtable::tables(&doc) {
            let Some(col) = t.column(&["ID", "Task ID"]) else {
                continue;
            };
            let status = t.column(&["Status", "Column"]);
            let title = t.column(&["Title", "Task title"]);
            for r in &t.rows {
                if let Some(task) = r.cell(col).and_then(|c| id_in(&c, id)) {
                    out.push(PlanEntry {
                        path: f.display().to_string(),
                        line: r.line,
                        id: task,
                        section: t.heading.clone(),
                        status: status.and_then(|i| r.cell(i)),
                        title: title.and_then(|i| r.cell(i)),
                    });
                }
            }
        }
    }
    Ok(out)
}
