//! Governance documents (SPEC §3): readers turn the task board, its CSV and
//! the other docs into facts; rules turn facts into findings.

pub mod board;
pub mod citations;
pub mod doc_sync;
pub mod history;
pub mod narrative;
pub mod risk;
pub mod roadmap;
pub mod rules;

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity};
use crate::policy::{DocRule, DocsPolicy, Workspace};

/// The statetrace profile's `[docs]` and its ID pattern, for the rules' unit tests.
#[cfg(test)]
fn statetrace_docs() -> (DocsPolicy, regex::Regex) {
    let p = crate::policy::Policy::builtin("statetrace")
        .expect("builtin profile")
        .docs
        .expect("statetrace has [docs]");
    let id = p.id_regex();
    (p, id)
}

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
#[derive(Debug, Clone, Serialize)]
pub struct DocsReport {
    pub board_tasks: usize,
    pub csv_tasks: usize,
    pub findings: Vec<Finding>,
}

/// Options of `docs check`.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Skip the row-loss check against git HEAD.
    pub allow_large_edits: bool,
    /// The date roadmap milestones are judged against.
    pub today: chrono::NaiveDate,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            allow_large_edits: false,
            today: chrono::Local::now().date_naive(),
        }
    }
}

/// Run every document rule of the policy, as of today.
pub fn check(ws: &Workspace) -> Result<DocsReport> {
    check_with(ws, &CheckOptions::default())
}

/// Run every document rule of the policy.
pub fn check_with(ws: &Workspace, opts: &CheckOptions) -> Result<DocsReport> {
    let p = docs_policy(ws)?;
    let id = p.id_regex();
    let board_path = ws.path(&p.task_board);
    let csv_path = ws.path(&p.task_board_csv);
    let (board_text, csv_text) = match read_boards(&board_path, &csv_path) {
        Ok(texts) => texts,
        Err(mut unreadable) => {
            crate::finding::relative_to(&mut unreadable, &ws.root);
            return Ok(DocsReport {
                board_tasks: 0,
                csv_tasks: 0,
                findings: unreadable,
            });
        }
    };
    let board = board::parse_board(&board_path, &board_text, &p.task_board_section, &id);
    let csv = board::parse_csv(&csv_path, &csv_text, &id);
    let mut findings = rules::board_rules(p, &board, &csv);
    let mut scanned: Vec<(String, String)> = Vec::new();
    let cards = narrative::parse(&board_text, &p.narrative_columns, &id);
    findings.extend(narrative::rules(p, &board.path, &cards, &board));
    scanned.push((board.path.clone(), board_text));
    if let Some(head) = history::head_text(&csv_path) {
        let then = crate::read::csv::parse(&head, Some(&id));
        let now = csv.tasks.len() + csv.malformed.len();
        let before = then.records.len() + then.malformed.len();
        findings.extend(history::large_edit_rule(
            p,
            &csv.path,
            now,
            before,
            opts.allow_large_edits,
        ));
    }
    scanned.push((csv.path.clone(), csv_text));
    let mut plan_texts = std::collections::HashMap::new();
    for t in &csv.tasks {
        for link in self::board::plan_links(t.plan_link.as_deref()) {
            plan_texts
                .entry(link.clone())
                .or_insert_with(|| crate::read::text::read_to_string(&ws.path(&link)).ok());
        }
    }
    findings.extend(citations::planlink_rules(p, &csv, &plan_texts, &id));
    let mut plan_files = Vec::new();
    if let Some(glob) = &p.plans {
        let plans = board::read_plan_entries(&ws.path(glob), &id)?;
        findings.extend(rules::plan_rules(p, &plans, &board, &csv));
        plan_files = doc_glob(ws, glob);
        for f in &plan_files {
            if let Ok(t) = crate::read::text::read_to_string(&ws.path(f)) {
                scanned.push((ws.path(f).display().to_string(), t));
            }
        }
    }
    if let Some((path, text)) = optional_doc(ws, p, &p.roadmap, &mut findings) {
        let milestones = roadmap::parse_roadmap(&text, &id);
        findings.extend(roadmap::roadmap_rules(
            p,
            &path,
            &milestones,
            &board,
            &csv,
            opts.today,
        ));
        scanned.push((path, text));
    }
    if let Some((path, text)) = optional_doc(ws, p, &p.backlog, &mut findings) {
        let entries = roadmap::table_ids(&text, &id);
        findings.extend(roadmap::backlog_rules(p, &path, &entries, &board, &csv));
        scanned.push((path, text));
    }
    if let Some((path, text)) = optional_doc(ws, p, &p.plan_index, &mut findings) {
        let cited = roadmap::parse_index(&text);
        let exists = |c: &str| ws.path(c).exists();
        findings.extend(roadmap::index_rules(p, &path, &cited, &exists, &plan_files));
        scanned.push((path, text));
    }
    if let Some((path, text)) = optional_doc(ws, p, &p.release_checklist, &mut findings) {
        scanned.push((path, text));
    }
    findings.extend(citation_findings(ws, p, &scanned));
    crate::finding::relative_to(&mut findings, &ws.root);
    Ok(DocsReport {
        board_tasks: board.tasks.len(),
        csv_tasks: csv.tasks.len() + csv.malformed.len(),
        findings,
    })
}

/// Workspace-relative files matching a workspace-relative glob, sorted.
fn doc_glob(ws: &Workspace, glob: &str) -> Vec<String> {
    crate::select::glob_files(&ws.path(glob))
        .into_iter()
        .map(|f| ws.rel(&f))
        .collect()
}

/// The texts of the task board and its CSV, or, when either cannot be read,
/// a blocking `docs.missing` finding for each that cannot.
fn read_boards(board: &Path, csv: &Path) -> std::result::Result<(String, String), Vec<Finding>> {
    let read = crate::read::text::read_to_string;
    match (read(board), read(csv)) {
        (Ok(b), Ok(c)) => Ok((b, c)),
        (b, c) => Err([(board, b.err()), (csv, c.err())]
            .into_iter()
            .filter_map(|(path, e)| {
                let shown = path.display().to_string();
                Some(Finding::new(
                    DocRule::DocsMissing.id(),
                    Severity::Block,
                    &shown,
                    format!(
                        "cannot read the task board, so no document could be checked: {}",
                        e?
                    ),
                    Location::file(shown.clone()).at_line(1),
                ))
            })
            .collect()),
    }
}

/// A document the policy names, read; a missing one is a `docs.missing` finding.
fn optional_doc(
    ws: &Workspace,
    p: &DocsPolicy,
    rel: &Option<String>,
    findings: &mut Vec<Finding>,
) -> Option<(String, String)> {
    let path = ws.path(rel.as_deref()?);
    let shown = path.display().to_string();
    match crate::read::text::read_to_string(&path) {
        Ok(t) => Some((shown, t)),
        Err(e) => {
            findings.extend(rules::emit(
                p,
                DocRule::DocsMissing,
                &shown,
                format!("cannot read a document the policy names: {e}"),
                &shown,
                1,
            ));
            None
        }
    }
}

/// Evidence paths and README hashes cited in `docs` (path, text).
fn citation_findings(ws: &Workspace, p: &DocsPolicy, docs: &[(String, String)]) -> Vec<Finding> {
    let paths = &ws.policy.paths;
    let mut roots: Vec<String> = paths
        .all()
        .into_iter()
        .map(|r| r.split('/').next().unwrap_or(r).to_string())
        .collect();
    roots.sort();
    roots.dedup();
    let exists = |c: &str| ws.path(c).exists();
    let mut readmes: Option<Vec<String>> = None;
    let mut out = Vec::new();
    for (path, text) in docs {
        out.extend(citations::evidence_rules(
            p,
            path,
            &citations::evidence_paths(text, &roots),
            &exists,
        ));
        let hashes = citations::readme_hashes(text);
        if !hashes.is_empty() {
            let known = readmes.get_or_insert_with(|| bundle_readme_hashes(ws));
            out.extend(citations::readme_rules(p, path, &hashes, known));
        }
    }
    out
}

/// SHA-256 (upper-case) of every README of every bundle and area.
fn bundle_readme_hashes(ws: &Workspace) -> Vec<String> {
    let readme = crate::read::readme::README_FILE;
    let mut files = Vec::new();
    for b in std::fs::read_dir(ws.bundles_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        files.push(b.path().join(readme));
        for a in std::fs::read_dir(b.path()).into_iter().flatten().flatten() {
            files.push(a.path().join(readme));
        }
    }
    files.retain(|f| f.is_file());
    crate::evidence::hash::sha256_files(&files)
        .into_iter()
        .filter_map(|h| h.ok().map(|(h, _)| h.to_ascii_uppercase()))
        .collect()
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
    let mut findings = match p.severity(DocRule::ChecklistUnchecked) {
        None => Vec::new(),
        Some(sev) => items
            .iter()
            .filter(|i| !i.checked)
            .map(|i| {
                let loc = crate::finding::Location::file(shown.clone()).at_line(i.line);
                Finding::new(
                    DocRule::ChecklistUnchecked.id(),
                    sev,
                    i.section.clone().unwrap_or_else(|| "checklist".into()),
                    format!("not checked: {}", i.text),
                    loc,
                )
            })
            .collect(),
    };
    if items.is_empty() {
        findings.extend(rules::emit(
            p,
            DocRule::ChecklistEmpty,
            "checklist",
            "the checklist has no items (`- [ ]` or `- [x]` lines), so nothing was checked".into(),
            &shown,
            1,
        ));
    }
    crate::finding::relative_to(&mut findings, &ws.root);
    Ok(ChecklistReport {
        path: ws.rel(&path),
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
    let (mut findings, citations) =
        risk::check(&parsed, &shown, &risks, &reg_shown, &WorkspaceDisk(ws));
    crate::finding::relative_to(&mut findings, &ws.root);
    Ok(RiskReport {
        summary: ws.rel(summary),
        register: ws.rel(&register_path),
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
    let facts = doc_sync::gather(ws, p, task, &csv, integrity);
    Ok(doc_sync::decide(p, task, facts))
}
