//! `bundle publish`: collect the latest artifacts per category, scan them for
//! secrets, copy and hash them into a staging folder with the manifest and
//! README, then rename the folder into place. A crash leaves either no bundle
//! area or a complete one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::glob;
use super::hash::sha256_files;
use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity, Verdict};
use crate::policy::{SourcePolicy, Workspace};
use crate::read::manifest::{Artifact, Manifest};
use crate::read::readme::README_FILE;
use crate::read::summary::SUMMARY_FILE;
use crate::read::timestamp::{now_roundtrip, now_stamp};
use crate::record::atomic;

/// What to publish.
#[derive(Debug, Clone, Default)]
pub struct PublishRequest {
    /// Bundle name; defaults to the local time `yyyyMMdd-HHmmss`.
    pub name: Option<String>,
    pub area: String,
    pub plans: Vec<String>,
    pub tasks: Vec<String>,
    pub risks: Vec<String>,
    pub notes: Option<String>,
    /// Explicit `(category, path or glob)` artifacts; a category given here
    /// replaces the policy's discovery for that category.
    pub adds: Vec<(String, PathBuf)>,
    /// Collect the policy's sources (off: only `adds`).
    pub discover: bool,
    /// Supersede an existing area (the old one is kept under `.superseded/`).
    pub force: bool,
    pub allow_unredacted: bool,
    /// `--add` may take files outside the workspace (never keys, the ledger
    /// folder or pseudo-files).
    pub allow_outside: bool,
    /// The command line, recorded in the README.
    pub command_line: String,
}

/// What publish did.
#[derive(Debug, Clone)]
pub struct PublishReport {
    pub bundle: String,
    pub area: String,
    /// The area folder, when published.
    pub area_dir: Option<PathBuf>,
    pub manifest: Manifest,
    /// Redaction hits (blocking unless allowed) and discovery notes.
    pub findings: Vec<Finding>,
    /// Where a superseded area was moved (with `--force`).
    pub superseded: Option<PathBuf>,
}

/// One file chosen for the bundle.
#[derive(Debug, Clone)]
struct Chosen {
    category: String,
    path: PathBuf,
}

/// Publish one area of a bundle.
pub fn publish(ws: &Workspace, req: &PublishRequest) -> Result<PublishReport> {
    let name = req.name.clone().unwrap_or_else(now_stamp);
    check_name("bundle name", &name)?;
    check_name("area name", &req.area)?;
    let mut findings = Vec::new();
    let chosen = collect(ws, req, &mut findings)?;
    let mut report = PublishReport {
        bundle: name.clone(),
        area: req.area.clone(),
        area_dir: None,
        manifest: Manifest::default(),
        findings,
        superseded: None,
    };
    let files: Vec<(PathBuf, String)> = chosen
        .iter()
        .map(|c| (c.path.clone(), c.category.clone()))
        .collect();
    let scan = super::redact::scan(ws, &files, req.notes.as_deref())?;
    let blocked = !scan.blocking.is_empty() && !req.allow_unredacted;
    report
        .findings
        .extend(scan.blocking.into_iter().map(|mut f| {
            if req.allow_unredacted {
                f.severity = Severity::Warn;
                f.message
                    .push_str(" (published anyway: --allow-unredacted)");
            }
            f
        }));
    let allowed = scan.allowed;
    report.findings.extend(allowed.iter().cloned());
    if blocked {
        return Ok(report);
    }

    let bundles = ws.bundles_dir();
    let bundle_dir = bundles.join(&name);
    let area_dir = bundle_dir.join(&req.area);
    // One publisher of a bundle at a time, from the check to the ledger
    // entry: of N concurrent publishes of one name, one wins and the others
    // find its area.
    let _lock = lock_bundle(ws, &name)?;
    if area_dir.exists() && !req.force {
        return existing_area(ws, report, &name, &req.area, &area_dir);
    }
    std::fs::create_dir_all(&bundles).map_err(|e| Error::io(&bundles, e))?;
    let staging = atomic::staging_path(&bundles.join(&name));
    let staged_area = staging.join(&req.area);
    let result = stage(ws, req, &name, &chosen, &allowed, &staged_area).and_then(|manifest| {
        report.manifest = manifest;
        commit(&staging, &staged_area, &bundle_dir, &area_dir, &req.area)
    });
    let _ = std::fs::remove_dir_all(&staging);
    report.superseded = result?;
    crate::fault::point("publish.before-ledger");
    record(ws, &name, &req.area, &area_dir)?;
    report.area_dir = Some(area_dir);
    Ok(report)
}

/// An exclusive lock on publishing bundle `name`, waited for, held until
/// dropped (the operating system releases it if the holder dies).
fn lock_bundle(ws: &Workspace, name: &str) -> Result<std::fs::File> {
    let dir = crate::record::ledger::dir(ws).join("locks");
    crate::record::atomic::exclusive_lock(&dir.join(format!("bundle-{name}.lock")))
}

/// The area exists and `--force` was not given. Refused, naming who
/// published it, unless a publish was killed after the rename and before
/// its ledger entry: then the intact area is recorded now.
fn existing_area(
    ws: &Workspace,
    mut report: PublishReport,
    bundle: &str,
    area: &str,
    area_dir: &Path,
) -> Result<PublishReport> {
    let subject = format!("{bundle}/{area}");
    let winner = crate::record::ledger::Ledger::existing(ws)?
        .map(|l| l.entries())
        .transpose()?
        .and_then(|es| {
            es.into_iter()
                .rev()
                .find(|e| e.kind == "publish" && e.subject == subject)
        });
    let m = crate::read::manifest::read(&area_dir.join(&ws.policy.bundle.manifest))
        .ok()
        .map(|(m, _)| m);
    let by = m.as_ref().map_or_else(String::new, |m| {
        format!(
            " on {} at {}",
            m.hostname.as_deref().unwrap_or("an unknown host"),
            m.created_at.as_deref().unwrap_or("an unknown time")
        )
    });
    if let Some(e) = winner {
        return Err(Error::refused(
            area_dir,
            format!(
                "bundle '{bundle}' already has area '{area}', published{by} (ledger entry {}); nothing was written (use --force to supersede it; the old area is kept under .superseded/)",
                e.seq
            ),
        ));
    }
    let verified = super::verify::verify_bundle(
        area_dir.parent().unwrap_or(area_dir),
        &ws.policy,
        &[area.to_string()],
    )?;
    if verified.verdict() == Verdict::Block || m.is_none() {
        return Err(Error::refused(
            area_dir,
            format!("bundle '{bundle}' has area '{area}'{by} with no ledger entry, and it does not verify; nothing was written (inspect it with bundle verify, or use --force to supersede it)"),
        ));
    }
    record(ws, bundle, area, area_dir)?;
    report.findings.push(Finding::new(
        "bundle.publish",
        Severity::Info,
        &subject,
        format!("area '{area}'{by} was complete but unrecorded (its publish was interrupted before the ledger entry); it verifies and is recorded now, unchanged"),
        Location::file(ws.rel(area_dir)),
    ));
    report.manifest = m.unwrap_or_default();
    report.area_dir = Some(area_dir.to_path_buf());
    Ok(report)
}

/// Append the published area to the ledger: its manifest and README, whose
/// hashes in turn vouch for every artifact.
fn record(ws: &Workspace, bundle: &str, area: &str, area_dir: &Path) -> Result<()> {
    use crate::record::ledger::{FileRef, Ledger};
    let files = [&ws.policy.bundle.manifest, crate::read::readme::README_FILE]
        .iter()
        .map(|f| area_dir.join(f))
        .filter(|p| p.is_file())
        .map(|p| FileRef::of(&ws.root, &p))
        .collect::<Result<Vec<_>>>()?;
    Ledger::open(ws)?.append(
        "publish",
        &format!("{bundle}/{area}"),
        &serde_json::json!({ "bundle": bundle, "area": area, "files": files }),
    )?;
    Ok(())
}

fn check_name(what: &str, name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', ':'])
        || name.chars().any(|c| c.is_control());
    if bad {
        return Err(Error::Usage(format!(
            "{what} '{name}' must be a plain folder name (no '/', '\\', ':', or leading '.')"
        )));
    }
    Ok(())
}

/// The files to publish: policy discovery plus explicit `adds`.
fn collect(
    ws: &Workspace,
    req: &PublishRequest,
    findings: &mut Vec<Finding>,
) -> Result<Vec<Chosen>> {
    let explicit: HashSet<String> = req.adds.iter().map(|(c, _)| c.to_lowercase()).collect();
    let mut chosen = Vec::new();
    if req.discover {
        for src in &ws.policy.bundle.sources {
            let applies = src.areas.is_empty() || glob::matches_any(&src.areas, &req.area);
            if applies && !explicit.contains(&src.category.to_lowercase()) {
                for c in discover(ws, src, findings)? {
                    match super::admit::refusal(ws, &c.path, false) {
                        None => chosen.push(c),
                        Some(why) => findings.push(Finding::new(
                            "bundle.publish",
                            Severity::Warn,
                            &src.category,
                            format!("not published: {why}"),
                            Location::file(ws.rel(&c.path)),
                        )),
                    }
                }
            }
        }
    }
    for (category, path) in &req.adds {
        for p in expand(path)? {
            if let Some(why) = super::admit::refusal(ws, &p, req.allow_outside) {
                return Err(Error::refused(&p, format!("--add {category}: {why}")));
            }
            chosen.push(Chosen {
                category: category.clone(),
                path: p,
            });
        }
    }
    let mut seen = HashSet::new();
    chosen.retain(|c| seen.insert(c.path.canonicalize().unwrap_or_else(|_| c.path.clone())));
    if chosen.is_empty() {
        return Err(Error::Usage(
            "nothing to publish: the policy's sources found no files and no --add was given".into(),
        ));
    }
    Ok(chosen)
}

/// A path, or a glob in its last component, expanded to existing files.
fn expand(path: &Path) -> Result<Vec<PathBuf>> {
    let leaf = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !leaf.contains(['*', '?']) {
        if !path.is_file() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "--add: no such file"),
            ));
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let out = crate::select::list(dir, &leaf)?;
    if out.is_empty() {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "--add: the pattern matches no file",
            ),
        ));
    }
    Ok(out)
}

/// The newest files of one source, `max` per pattern. "Newest" is the name's
/// timestamp, else the modification time; `*-latest*` copies of another
/// candidate are skipped.
fn discover(
    ws: &Workspace,
    src: &SourcePolicy,
    findings: &mut Vec<Finding>,
) -> Result<Vec<Chosen>> {
    let mut out = Vec::new();
    for pattern in &src.patterns {
        let found: Vec<PathBuf> = src
            .dirs
            .iter()
            .flat_map(|d| crate::select::matching(&ws.path(d), pattern))
            .collect();
        out.extend(
            crate::select::newest_first(found)
                .into_iter()
                .take(src.max)
                .map(|path| Chosen {
                    category: src.category.clone(),
                    path,
                }),
        );
    }
    if out.is_empty() {
        let msg = format!(
            "source '{}' found no file matching {} in {}",
            src.category,
            src.patterns.join(", "),
            src.dirs.join(", ")
        );
        if src.required {
            return Err(Error::Usage(format!(
                "{msg} (the policy marks it required)"
            )));
        }
        findings.push(Finding::new(
            "bundle.publish",
            Severity::Info,
            &src.category,
            msg,
            Location::file(ws.root.display().to_string()),
        ));
    }
    Ok(out)
}

/// Copy, hash and describe the chosen files inside `staged_area`.
fn stage(
    ws: &Workspace,
    req: &PublishRequest,
    name: &str,
    chosen: &[Chosen],
    allowed: &[Finding],
    staged_area: &Path,
) -> Result<Manifest> {
    std::fs::create_dir_all(staged_area).map_err(|e| Error::io(staged_area, e))?;
    let mut taken: HashSet<String> = [README_FILE, &ws.policy.bundle.manifest, SUMMARY_FILE]
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let mut targets = Vec::new();
    for c in chosen {
        let leaf = c
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = unique_name(&leaf, &mut taken);
        let dest = staged_area.join(&target);
        std::fs::copy(&c.path, &dest).map_err(|e| Error::io(&c.path, e))?;
        targets.push((c, target, dest));
    }
    let hashes = sha256_files(&targets.iter().map(|t| t.2.clone()).collect::<Vec<_>>());
    let root = ws.root.canonicalize().unwrap_or_else(|_| ws.root.clone());
    let mut artifacts = Vec::new();
    for ((c, target, dest), h) in targets.into_iter().zip(hashes) {
        let (hash, size) = h.map_err(|e| Error::io(&dest, e))?;
        let abs = c.path.canonicalize().unwrap_or_else(|_| c.path.clone());
        let source = abs
            .strip_prefix(&root)
            .map(|p| p.to_path_buf())
            .unwrap_or(abs);
        artifacts.push(Artifact {
            category: Some(c.category.clone()),
            target_file: target,
            source_path: Some(source.to_string_lossy().replace('\\', "/")),
            hash: Some(hash),
            size_bytes: Some(size),
        });
    }
    let manifest = Manifest {
        bundle_name: Some(name.to_string()),
        area_name: Some(req.area.clone()),
        created_at: Some(now_roundtrip()),
        hostname: Some(gethostname::gethostname().to_string_lossy().into_owned()),
        plan_references: req.plans.clone(),
        task_board_ids: req.tasks.clone(),
        risk_register_entries: req.risks.clone(),
        notes: req.notes.clone(),
        tool_version: Some(crate::VERSION.to_string()),
        workspace: Some(root.display().to_string()),
        artifacts,
    };
    let write = |file: &str, text: String| {
        let p = staged_area.join(file);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
    };
    write(&ws.policy.bundle.manifest, manifest.to_json())?;
    write(
        README_FILE,
        render_readme(
            &ws.policy.bundle.title,
            &manifest,
            &req.command_line,
            allowed,
        ),
    )?;
    Ok(manifest)
}

/// `name`, or `stem-1.ext`, `stem-2.ext`... whichever is free.
fn unique_name(leaf: &str, taken: &mut HashSet<String>) -> String {
    let (stem, ext) = match leaf.rfind('.') {
        Some(i) if i > 0 => (&leaf[..i], &leaf[i..]),
        _ => (leaf, ""),
    };
    let mut candidate = leaf.to_string();
    let mut n = 0;
    while !taken.insert(candidate.to_lowercase()) {
        n += 1;
        candidate = format!("{stem}-{n}{ext}");
    }
    candidate
}

/// Move the staged area into place. Returns where a superseded area went.
fn commit(
    staging: &Path,
    staged_area: &Path,
    bundle_dir: &Path,
    area_dir: &Path,
    area: &str,
) -> Result<Option<PathBuf>> {
    if !bundle_dir.exists() {
        atomic::publish_dir(staging, bundle_dir)?;
        return Ok(None);
    }
    let mut superseded = None;
    if area_dir.exists() {
        let keep = bundle_dir.join(".superseded");
        std::fs::create_dir_all(&keep).map_err(|e| Error::io(&keep, e))?;
        let dest = keep.join(format!("{area}-{}", now_stamp()));
        std::fs::rename(area_dir, &dest).map_err(|e| Error::io(area_dir, e))?;
        superseded = Some(dest);
    }
    atomic::publish_dir(staged_area, area_dir)?;
    Ok(superseded)
}

/// The README tollgate writes for an area, titled `# <title> - <bundle>`.
pub fn render_readme(title: &str, m: &Manifest, command_line: &str, allowed: &[Finding]) -> String {
    let esc = |s: &str| s.replace('|', "\\|");
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let mut out = vec![
        format!("# {title} - {}", opt(&m.bundle_name)),
        format!("**Area:** {}", opt(&m.area_name)),
        format!("- Created: {}", opt(&m.created_at)),
        format!("- Host: {}", opt(&m.hostname)),
    ];
    for (label, list) in [
        ("Plans", &m.plan_references),
        ("Task Board IDs", &m.task_board_ids),
        ("Risk Register", &m.risk_register_entries),
    ] {
        if !list.is_empty() {
            out.push(format!("- {label}: {}", list.join(", ")));
        }
    }
    if let Some(n) = &m.notes {
        out.push(format!("- Notes: {n}"));
    }
    out.push(format!("- Command: `{command_line}`"));
    out.push(format!("- Tool: tollgate {}", crate::VERSION));
    out.push(String::new());
    out.push("## Artifacts".into());
    out.push("| Category | File | Source | SHA-256 |".into());
    out.push("|----------|------|--------|---------|".into());
    for a in &m.artifacts {
        let hash = a.hash.as_deref().unwrap_or("");
        out.push(format!(
            "| {} | {} | {} | {} |",
            esc(&opt(&a.category)),
            esc(&a.target_file),
            esc(&opt(&a.source_path)),
            &hash[..hash.len().min(12)]
        ));
    }
    if !allowed.is_empty() {
        out.push(String::new());
        out.push("## Redaction allowlist".into());
        out.push(
            "Hits of the redaction scan that the policy allows (bundle.redaction_allow):".into(),
        );
        for f in allowed {
            out.push(format!("- {}: {}", f.location, f.message));
        }
    }
    out.push(String::new());
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collisions_get_numbered_suffixes() {
        let mut taken: HashSet<String> = ["readme.md".to_string()].into();
        assert_eq!(unique_name("a.json", &mut taken), "a.json");
        assert_eq!(unique_name("A.json", &mut taken), "A-1.json");
        assert_eq!(unique_name("a.json", &mut taken), "a-2.json");
        assert_eq!(unique_name("README.md", &mut taken), "README-1.md");
        assert_eq!(unique_name("noext", &mut taken), "noext");
        assert_eq!(unique_name("noext", &mut taken), "noext-1");
    }

    #[test]
    fn names_must_be_plain() {
        for bad in ["", "..", ".x", "a/b", "a\\b", "C:x"] {
            assert!(check_name("n", bad).is_err(), "{bad}");
        }
        assert!(check_name("n", "Release-2025-12-23").is_ok());
    }

    #[test]
    fn readme_round_trips_through_the_reader() {
        let m = Manifest {
            bundle_name: Some("B".into()),
            area_name: Some("Telemetry".into()),
            artifacts: vec![Artifact {
                category: Some("Cold".into()),
                target_file: "a|b.json".into(),
                hash: Some("0123456789ABCDEF".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let r =
            crate::read::readme::parse(&render_readme("Evidence Bundle", &m, "tollgate x", &[]));
        assert_eq!(r.bundle_name.as_deref(), Some("B"));
        assert_eq!(r.command.as_deref(), Some("tollgate x"));
        assert_eq!(r.rows[0].file, "a|b.json");
        assert_eq!(r.rows[0].hash_prefix.as_deref(), Some("0123456789AB"));
        assert!(r.problems.is_empty());
    }
}
