//! Governance documents (SPEC §3): readers turn the task board, its CSV and
//! the other docs into facts; rules turn facts into findings.

pub mod board;
pub mod doc_sync;
pub mod risk;
pub mod rules;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::policy::{DocsPolicy, Workspace};

/// The policy's `[docs]`, or a usage error naming what is missing.
fn docs_policy(ws: &Workspace) -> Result<&DocsPolicy> {
    ws.policy
        .docs
        .as_ref()
        .ok_or_else(|| Error::Usage("the policy has no [docs] section".into()))
}

/// An optional `[docs]` path made absolute, or a usage error naming the key.
fn docs_path(ws: &Workspace, value: &Option<String>, key: &str) -> Result<std::path::PathBuf> {
    value
        .as_deref()
        .map(|rel| ws.path(rel))
        .ok_or_else(|| Error::Usage(format!("the policy names no docs.{key}")))
}

/// What `docs check` found.
#[derive(Debug, Serialize)]
pub struct DocsReport {
    pub board_tasks: usize,
    pub csv_tasks: usize,
    pub findings: Vec<Finding>,
}

/// Run every document rule of the policy.
pub fn check(ws: &Workspace) -> Result<DocsReport> {
    let p = docs_policy(ws)?;
    let id = p.id_regex();
    let board = board::read_board(&ws.path(&p.task_board), &p.task_board_section, &id)?;
    let csv = board::read_csv(&ws.path(&p.task_board_csv), &id)?;
    let mut findings = rules::board_rules(p, &board, &csv);
    if let Some(glob) = &p.plans {
        let plans = board::read_plan_ids(&ws.path(glob), &id)?;
        findings.extend(rules::plan_rules(p, &plans, &board, &csv));
    }
    Ok(DocsReport {
        board_tasks: board.tasks.len(),
        csv_tasks: csv.tasks.len() + csv.malformed.len(),
        findings,
    })
}

/// What `docs checklist` found.
#[derive(Debug, Serialize)]
pub struct ChecklistReport {
    pub path: String,
    pub items: Vec<crate::read::checklist::Item>,
    pub findings: Vec<Finding>,
}

/// The release checklist's items; each unchecked one is a finding.
pub fn checklist(ws: &Workspace) -> Result<ChecklistReport> {
    let p = docs_policy(ws)?;
    let path = docs_path(ws, &p.release_checklist, "release_checklist")?;
    let items = crate::read::checklist::items(&crate::read::text::read_to_string(&path)?);
    let shown = path.display().to_string();
    let findings = match p.severity("checklist.unchecked") {
        None => Vec::new(),
        Some(sev) => items
            .iter()
            .filter(|i| !i.checked)
            .map(|i| {
                let loc = crate::finding::Location::file(shown.clone()).at_line(i.line);
                Finding::new(
                    "checklist.unchecked",
                    sev,
                    i.section.clone().unwrap_or_else(|| "checklist".into()),
                    format!("not checked: {}", i.text),
                    loc,
                )
            })
            .collect(),
    };
    Ok(ChecklistReport {
        path: shown,
        items,
        findings,
    })
}

/// The evidence `risk check` cites, looked up in the workspace.
struct WorkspaceDisk<'a>(&'a Workspace);

impl WorkspaceDisk<'_> {
    fn resolve(&self, cited: &str) -> std::path::PathBuf {
        let p = std::path::Path::new(cited.trim_matches('`'));
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.0.root.join(p)
        }
    }
}

impl risk::Evidence for WorkspaceDisk<'_> {
    fn exists(&self, cited: &str) -> bool {
        self.resolve(cited).exists()
    }

    fn readme_hash(&self, bundle: &str, area: &str) -> Option<String> {
        let readme = self
            .resolve(bundle)
            .join(area)
            .join(crate::read::readme::README_FILE);
        crate::evidence::hash::sha256_file(&readme)
            .ok()
            .map(|(h, _)| h)
    }
}

/// What `risk check` found.
#[derive(Debug, Serialize)]
pub struct RiskReport {
    pub summary: String,
    pub register: String,
    pub citations: Vec<risk::Citation>,
    pub findings: Vec<Finding>,
}

/// Check a release-candidate summary against the policy's risk register.
pub fn risk_check(ws: &Workspace, summary: &std::path::Path) -> Result<RiskReport> {
    let p = docs_policy(ws)?;
    let register_path = docs_path(ws, &p.risk_register, "risk_register")?;
    let risks = risk::register(&crate::read::text::read_to_string(&register_path)?);
    let parsed = crate::read::rc_summary::parse(&crate::read::text::read_to_string(summary)?);
    let shown = summary.display().to_string();
    let reg_shown = register_path.display().to_string();
    let (findings, citations) =
        risk::check(&parsed, &shown, &risks, &reg_shown, &WorkspaceDisk(ws));
    Ok(RiskReport {
        summary: shown,
        register: reg_shown,
        citations,
        findings,
    })
}

/// `docs task ID`: the doc-sync checklist of one task.
pub fn task(ws: &Workspace, task: &str) -> Result<doc_sync::DocSyncChecklist> {
    let p = docs_policy(ws)?;
    let id = p.id_regex();
    let board = board::read_board(&ws.path(&p.task_board), &p.task_board_section, &id)?;
    let csv_path = ws.path(&p.task_board_csv);
    let csv = if csv_path.exists() {
        board::read_csv(&csv_path, &id)?
    } else {
        board::Tasks::default()
    };
    let integrity: Vec<String> = rules::board_rules(p, &board, &csv)
        .into_iter()
        .filter(|f| f.check == "csv.integrity" && f.severity == crate::finding::Severity::Block)
        .map(|f| format!("{}: {}", f.location, f.message))
        .collect();
    Ok(doc_sync::checklist(ws, p, task, &csv, integrity))
}
