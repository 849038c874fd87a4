//! `bundle verify`: requirements, integrity, orphans, content, freshness,
//! consistency and safety, per area (SPEC §1). Every problem is a [`Finding`];
//! only an unreadable bundle folder is an error.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::area::{AreaDir, AreaFile};
use super::facts::{self, AreaFacts, ManifestFact, TargetFact};
use super::glob;
use crate::error::{Error, Result};
use crate::finding::{Finding, Location, Severity, Verdict};
use crate::policy::{Level, Policy, Requirement};
use crate::read::content::Content;
use crate::read::manifest::Manifest;
use crate::read::readme::{self, README_FILE};
use crate::read::summary::{AreaSummary, RequirementState};
use crate::read::timestamp::{name_timestamp, now_roundtrip, parse_time};

/// The result of verifying one bundle.
#[derive(Debug, Clone)]
pub struct BundleReport {
    pub name: String,
    pub path: PathBuf,
    /// One summary per verified area, each with its findings.
    pub areas: Vec<AreaSummary>,
    /// Findings about the bundle as a whole (no areas, a requested area absent).
    pub findings: Vec<Finding>,
    /// Each verified area's folder and the digests its facts computed.
    pub digests: Vec<(PathBuf, super::facts::Digests)>,
    /// The registry manifest digest, when the bundle was verified in a registry.
    pub registry_digest: Option<String>,
}

impl BundleReport {
    /// Every finding, bundle-level first.
    pub fn all_findings(&self) -> Vec<&Finding> {
        self.findings
            .iter()
            .chain(self.areas.iter().flat_map(|a| a.findings.iter()))
            .collect()
    }

    /// The aggregate verdict.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.all_findings())
    }
}

/// Verify the bundle at `bundle_dir`; `only` limits the areas (empty = all).
pub fn verify_bundle(bundle_dir: &Path, policy: &Policy, only: &[String]) -> Result<BundleReport> {
    if !bundle_dir.is_dir() {
        return Err(Error::io(
            bundle_dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "bundle folder not found"),
        ));
    }
    let name = folder_name(bundle_dir);
    let (areas, mut findings) = discover_areas(bundle_dir, policy, only)?;
    if areas.is_empty() && findings.is_empty() {
        findings.push(Finding::new(
            "bundle.areas",
            Severity::Block,
            name.clone(),
            "bundle holds no area folder with a manifest and no known area",
            Location::file(bundle_dir.display().to_string()),
        ));
    }
    let (areas, digests) = areas
        .into_iter()
        .map(|a| verify_area(&name, &a, policy))
        .unzip();
    Ok(BundleReport {
        name,
        path: bundle_dir.to_path_buf(),
        areas,
        findings,
        digests,
        registry_digest: None,
    })
}

fn folder_name(p: &Path) -> String {
    p.canonicalize()
        .ok()
        .as_deref()
        .unwrap_or(p)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn discover_areas(
    bundle_dir: &Path,
    policy: &Policy,
    only: &[String],
) -> Result<(Vec<AreaDir>, Vec<Finding>)> {
    let mut findings = Vec::new();
    let mut found = super::area::areas(bundle_dir, &policy.bundle, |n| policy.area(n).is_some())?;
    if let [area] = found.as_slice() {
        if area.root_level {
            for o in only.iter().filter(|o| !o.eq_ignore_ascii_case(&area.name)) {
                findings.push(Finding::new(
                    "bundle.areas",
                    Severity::Warn,
                    o.clone(),
                    format!("bundle has a root-level manifest for area '{}'; requested area '{o}' ignored", area.name),
                    Location::file(bundle_dir.display().to_string()),
                ));
            }
            return Ok((found, findings));
        }
    }
    if only.is_empty() {
        return Ok((found, findings));
    }
    let mut chosen = Vec::new();
    for want in only {
        match found.iter().position(|a| a.name.eq_ignore_ascii_case(want)) {
            Some(i) => chosen.push(found.remove(i)),
            None => findings.push(Finding::new(
                "bundle.areas",
                Severity::Block,
                want.clone(),
                format!(
                    "area '{want}' was requested but the bundle has no such folder with a manifest"
                ),
                Location::file(bundle_dir.join(want).display().to_string()),
            )),
        }
    }
    Ok((chosen, findings))
}

/// Per-area working state shared by the checks.
struct Ctx<'a> {
    area: &'a AreaDir,
    policy: &'a Policy,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    fn shown(&self, rel: &str) -> String {
        self.area.dir.join(rel).display().to_string()
    }

    /// The manifest's file name (`bundle.manifest`).
    fn manifest(&self) -> &str {
        &self.policy.bundle.manifest
    }

    fn add(&mut self, check: &str, sev: Severity, subject: &str, msg: String, loc: Location) {
        self.findings
            .push(Finding::new(check, sev, subject, msg, loc));
    }
}

/// What integrity established about the manifest's artifacts.
#[derive(Default)]
struct Integrity {
    /// Lower-cased relative paths the manifest lists (safely).
    listed: HashSet<String>,
    /// Lower-cased relative paths whose size and hash match.
    intact: HashSet<String>,
}

/// The area's requirements, and whether the policy defines the area.
pub fn requirements_of(policy: &Policy, area: &str) -> (Vec<Requirement>, bool) {
    match policy.area(area) {
        Some(a) => (a.requirements.clone(), true),
        None => {
            let generic = |name: &str, file: &str| Requirement {
                name: name.into(),
                patterns: vec![file.into()],
                level: Level::Required,
            };
            (
                vec![
                    generic("README", README_FILE),
                    generic("Manifest", &policy.bundle.manifest),
                ],
                false,
            )
        }
    }
}

/// One area's summary, and its folder with the digests of what was hashed.
fn verify_area(
    bundle_name: &str,
    area: &AreaDir,
    policy: &Policy,
) -> (AreaSummary, (PathBuf, super::facts::Digests)) {
    let facts = facts::gather(&area.dir, policy, &requirements_of(policy, &area.name).0);
    judge_area(bundle_name, area, policy, &facts)
}

/// Judge one area from its facts, wherever they were read (a folder, a
/// registry): the summary, and the area with the digests of what was hashed.
pub fn judge_area(
    bundle_name: &str,
    area: &AreaDir,
    policy: &Policy,
    facts: &AreaFacts,
) -> (AreaSummary, (PathBuf, super::facts::Digests)) {
    let (requirements, defined) = requirements_of(policy, &area.name);
    let mut cx = Ctx {
        area,
        policy,
        findings: Vec::new(),
    };
    let area_loc = || Location::file(area.dir.display().to_string());
    if let Err(e) = &facts.files {
        cx.add(
            "bundle.read",
            Severity::Block,
            &area.name,
            e.clone(),
            area_loc(),
        );
    }
    if !defined {
        let msg = format!(
            "area '{}' has no definition in the policy: generic checks only",
            area.name
        );
        cx.add(
            "bundle.requirement",
            Severity::Info,
            &area.name,
            msg,
            area_loc(),
        );
    }
    for f in facts.files().iter().filter(|f| f.refused.is_some()) {
        let msg = format!(
            "refused, not read: {}",
            f.refused.clone().unwrap_or_default()
        );
        cx.add(
            "bundle.safety",
            Severity::Block,
            &f.rel,
            msg,
            Location::file(cx.shown(&f.rel)),
        );
    }
    check_manifest(&mut cx, facts);
    let integrity = check_integrity(&mut cx, facts);
    check_orphans(&mut cx, &integrity, facts.files());
    let requirement_state = check_requirements(&mut cx, &integrity, facts, &requirements);
    if let Some(m) = facts.manifest() {
        check_freshness(&mut cx, m, &integrity);
        check_consistency(&mut cx, bundle_name, m, facts.readme.as_ref());
    }
    let verdict = Verdict::of(&cx.findings);
    let mut findings = cx.findings;
    for f in &mut findings {
        f.subject = format!("{}/{}", area.name, f.subject);
    }
    let has = |name: &str| {
        facts
            .files()
            .iter()
            .any(|f| f.rel == name && f.refused.is_none())
    };
    let named = |name: &str| {
        if has(name) {
            name.to_string()
        } else {
            String::new()
        }
    };
    let summary = AreaSummary {
        area: area.name.clone(),
        bundle_path: area.dir.display().to_string(),
        manifest_path: named(&policy.bundle.manifest),
        readme_path: named(README_FILE),
        readme_hash: facts.readme_hash.clone().unwrap_or_default(),
        hash_algorithm: "SHA256".into(),
        requirement_state,
        verdict: Some(verdict),
        verified_at: Some(now_roundtrip()),
        tool_version: Some(crate::VERSION.to_string()),
        findings,
    };
    (summary, (area.dir.clone(), facts.digests()))
}

fn check_manifest(cx: &mut Ctx, facts: &AreaFacts) {
    let name = cx.manifest().to_string();
    let loc = Location::file(cx.shown(&name));
    match &facts.manifest {
        ManifestFact::Absent => {
            // A bundle written under another manifest name says so.
            let other = ["TelemetryBundle.json", "manifest.json"]
                .into_iter()
                .find(|o| *o != name && cx.area.dir.join(o).is_file())
                .map(|o| format!(" (the area holds {o}: set bundle.manifest = \"{o}\" if that is its manifest)"))
                .unwrap_or_default();
            let msg = format!("no {name}: nothing in the area is attested{other}");
            cx.add("bundle.manifest", Severity::Block, &name, msg, loc);
        }
        ManifestFact::Refused => {} // reported by the safety check on the file listing
        ManifestFact::Unreadable(e) => {
            let msg = format!("manifest unreadable: {e}");
            cx.add("bundle.manifest", Severity::Block, &name, msg, loc);
        }
        ManifestFact::Read(_, problems) => cx.findings.extend(problems.iter().cloned()),
    }
}

fn check_integrity(cx: &mut Ctx, facts: &AreaFacts) -> Integrity {
    let mut out = Integrity::default();
    let manifest_path = cx.shown(cx.manifest());
    let artifacts = facts
        .manifest()
        .map(|m| m.artifacts.as_slice())
        .unwrap_or(&[]);
    for (i, (a, fact)) in artifacts.iter().zip(&facts.targets).enumerate() {
        let key_loc =
            || Location::file(manifest_path.clone()).at_key(format!("Artifacts[{i}].TargetFile"));
        match fact {
            TargetFact::Refused(why) => {
                let msg = format!("refused, not read: {why}");
                cx.add(
                    "bundle.safety",
                    Severity::Block,
                    &a.target_file,
                    msg,
                    key_loc(),
                );
                continue;
            }
            TargetFact::Duplicate(rel) => {
                cx.add(
                    "bundle.manifest",
                    Severity::Warn,
                    rel,
                    format!("{rel} is listed more than once"),
                    key_loc(),
                );
                continue;
            }
            _ => {}
        }
        let rel = match fact {
            TargetFact::Missing(r) | TargetFact::NoHash(r) | TargetFact::Hashed(r, _) => r,
            TargetFact::Refused(_) | TargetFact::Duplicate(_) => continue,
        };
        out.listed.insert(rel.to_lowercase());
        let loc = Location::file(cx.shown(rel));
        match fact {
            TargetFact::Missing(_) => {
                let size = a
                    .size_bytes
                    .map(|s| format!(" ({s} bytes)"))
                    .unwrap_or_default();
                let msg = format!("missing: the manifest lists {rel}{size} but the file is absent");
                let f = Finding::new("bundle.integrity", Severity::Block, rel, msg, loc)
                    .with_evidence(json!({"category": a.category, "expected_hash": a.hash, "expected_size": a.size_bytes}));
                cx.findings.push(f);
            }
            TargetFact::NoHash(_) => {
                let msg = format!("{rel} has no Hash in the manifest, so it cannot be verified");
                cx.add("bundle.integrity", Severity::Block, rel, msg, key_loc());
            }
            TargetFact::Hashed(_, Err(e)) => {
                cx.add(
                    "bundle.integrity",
                    Severity::Block,
                    rel,
                    format!("unreadable: {e}"),
                    loc,
                );
            }
            TargetFact::Hashed(_, Ok((hash, size))) => {
                let want = a.hash.clone().unwrap_or_default();
                let size_bad = a.size_bytes.is_some_and(|w| w != *size);
                if !hash.eq_ignore_ascii_case(&want) || size_bad {
                    let what = if size_bad {
                        format!(
                            "size {size} bytes, manifest says {}",
                            a.size_bytes.unwrap_or(0)
                        )
                    } else {
                        format!("same size ({size} bytes) but the SHA-256 differs")
                    };
                    let f = Finding::new("bundle.integrity", Severity::Block, rel, format!("changed: {what}"), loc)
                        .with_evidence(json!({"expected_hash": want, "actual_hash": hash, "expected_size": a.size_bytes, "actual_size": size}));
                    cx.findings.push(f);
                } else {
                    out.intact.insert(rel.to_lowercase());
                }
            }
            TargetFact::Refused(_) | TargetFact::Duplicate(_) => {}
        }
    }
    out
}

fn check_orphans(cx: &mut Ctx, integrity: &Integrity, files: &[AreaFile]) {
    // The manifest, the README and the manifest's envelope describe the
    // area; they are never its orphans.
    let envelope = crate::read::manifest::envelope_of(Path::new(cx.manifest()));
    let own = [cx.manifest(), README_FILE, &envelope.to_string_lossy()].map(str::to_string);
    for f in files.iter().filter(|f| f.refused.is_none()) {
        let leaf = f.rel.rsplit('/').next().unwrap_or(&f.rel);
        let ignored = own.contains(&f.rel)
            || glob::matches_any(&cx.policy.bundle.ignore, &f.rel)
            || glob::matches_any(&cx.policy.bundle.ignore, leaf);
        if !ignored && !integrity.listed.contains(&f.rel.to_lowercase()) {
            let msg = format!(
                "orphan: {} is in the area but not in the manifest (unattested)",
                f.rel
            );
            cx.add(
                "bundle.orphan",
                Severity::Warn,
                &f.rel,
                msg,
                Location::file(cx.shown(&f.rel)),
            );
        }
    }
}

fn check_requirements(
    cx: &mut Ctx,
    integrity: &Integrity,
    facts: &AreaFacts,
    requirements: &[Requirement],
) -> Vec<RequirementState> {
    let manifest_ok = facts.manifest().is_some();
    let mut rows = Vec::new();
    for req in requirements {
        let matched: Vec<&AreaFile> = facts
            .files()
            .iter()
            .filter(|f| f.refused.is_none() && glob::matches_any(&req.patterns, &f.rel))
            .collect();
        let mut problems = Vec::new();
        let mut usable = false;
        for f in &matched {
            match usability(integrity, facts, f, manifest_ok) {
                None => usable = true,
                Some(p) => problems.push(format!("{} {p}", f.rel)),
            }
        }
        let optional = req.level == Level::Optional;
        let status = match (usable, matched.is_empty(), optional) {
            (true, _, _) => "Present",
            (false, true, false) => "Missing",
            (false, true, true) => "Missing (Optional)",
            (false, false, false) => "Unusable",
            (false, false, true) => "Unusable (Optional)",
        };
        if !usable {
            let sev = if optional {
                Severity::Warn
            } else {
                Severity::Block
            };
            let kind = if optional { "optional" } else { "required" };
            let msg = if matched.is_empty() {
                format!(
                    "{kind} artifact '{}' is missing: no file matches {}",
                    req.name,
                    req.patterns.join(", ")
                )
            } else {
                format!(
                    "{kind} artifact '{}' is not satisfied: {}",
                    req.name,
                    problems.join("; ")
                )
            };
            let loc = Location::file(match matched.first() {
                Some(f) => cx.shown(&f.rel),
                None => cx.area.dir.display().to_string(),
            });
            let f = Finding::new("bundle.requirement", sev, &req.name, msg, loc)
                .with_evidence(json!({"patterns": req.patterns, "status": status}));
            cx.findings.push(f);
        }
        rows.push(RequirementState {
            requirement: req.name.clone(),
            status: status.to_string(),
            files: matched
                .iter()
                .map(|f| f.rel.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    rows
}

/// Why `f` cannot satisfy a requirement, or `None` when it can.
fn usability(
    integrity: &Integrity,
    facts: &AreaFacts,
    f: &AreaFile,
    manifest_ok: bool,
) -> Option<String> {
    let key = f.rel.to_lowercase();
    if f.rel == facts.manifest_name {
        return (!manifest_ok).then(|| "could not be read as a manifest".to_string());
    }
    if f.rel != README_FILE {
        if !integrity.listed.contains(&key) {
            return Some("is not listed in the manifest (unattested)".to_string());
        }
        if !integrity.intact.contains(&key) {
            return Some("fails the integrity check".to_string());
        }
    }
    facts.content.get(&key).and_then(Content::problem)
}

fn check_freshness(cx: &mut Ctx, m: &Manifest, integrity: &Integrity) {
    let manifest_path = cx.shown(cx.manifest());
    let Some(raw) = m.created_at.as_deref() else {
        return;
    };
    let Some(created) = parse_time(raw) else {
        let msg =
            format!("CreatedAt '{raw}' is not an ISO-8601 time with offset; freshness not checked");
        cx.add(
            "bundle.freshness",
            Severity::Warn,
            "CreatedAt",
            msg,
            Location::file(manifest_path).at_key("CreatedAt"),
        );
        return;
    };
    let created = created.naive_local();
    let max = chrono::Duration::from_std(cx.policy.max_age()).unwrap_or(chrono::Duration::MAX);
    for a in &m.artifacts {
        let Ok(rel) = super::area::normalize_target(&a.target_file) else {
            continue;
        };
        if !integrity.intact.contains(&rel.to_lowercase()) {
            continue;
        }
        let leaf = |p: &str| p.rsplit(['/', '\\']).next().unwrap_or(p).to_string();
        let stamp = name_timestamp(&leaf(&rel)).or_else(|| {
            a.source_path
                .as_deref()
                .and_then(|s| name_timestamp(&leaf(s)))
        });
        let Some(stamp) = stamp else { continue };
        let age = created - stamp;
        if age > max {
            let days = age.num_hours() as f64 / 24.0;
            let msg = format!(
                "stale: {rel} is stamped {stamp}, {days:.1} days before the bundle was created ({raw}); max_age is {}",
                cx.policy.bundle.max_age
            );
            cx.add(
                "bundle.freshness",
                Severity::Warn,
                &rel,
                msg,
                Location::file(cx.shown(&rel)),
            );
        }
    }
}

fn check_consistency(
    cx: &mut Ctx,
    bundle_name: &str,
    m: &Manifest,
    readme: Option<&readme::Readme>,
) {
    let manifest_path = cx.shown(cx.manifest());
    if let Some(n) = m.bundle_name.as_deref().filter(|n| *n != bundle_name) {
        let msg =
            format!("manifest BundleName '{n}' does not match the bundle folder '{bundle_name}'");
        cx.add(
            "bundle.consistency",
            Severity::Block,
            "BundleName",
            msg,
            Location::file(manifest_path.clone()).at_key("BundleName"),
        );
    }
    if let Some(a) = m.area_name.as_deref() {
        if !cx.area.root_level && !a.eq_ignore_ascii_case(&cx.area.name) {
            let msg = format!(
                "manifest AreaName '{a}' does not match the area folder '{}'",
                cx.area.name
            );
            cx.add(
                "bundle.consistency",
                Severity::Block,
                "AreaName",
                msg,
                Location::file(manifest_path).at_key("AreaName"),
            );
        }
    }
    if let Some(r) = readme {
        let shown = cx.area.dir.join(README_FILE).display().to_string();
        check_readme_agrees(cx, m, r, &shown);
    }
}

/// The README's title, area and artifact rows against the manifest.
fn check_readme_agrees(cx: &mut Ctx, m: &Manifest, r: &readme::Readme, shown: &str) {
    let mut add = |sev: Severity, subject: &str, msg: String, line: Option<usize>| {
        let mut loc = Location::file(shown);
        loc.line = line;
        cx.add("bundle.readme", sev, subject, msg, loc);
    };
    for (line, problem) in &r.problems {
        add(Severity::Warn, README_FILE, problem.clone(), Some(*line));
    }
    if let (Some(rn), Some(mn)) = (&r.bundle_name, &m.bundle_name) {
        if rn != mn {
            add(
                Severity::Block,
                README_FILE,
                format!("README title names bundle '{rn}', manifest says '{mn}'"),
                Some(1),
            );
        }
    }
    if let (Some(ra), Some(ma)) = (&r.area, &m.area_name) {
        if !ra.eq_ignore_ascii_case(ma) {
            add(
                Severity::Block,
                README_FILE,
                format!("README says area '{ra}', manifest says '{ma}'"),
                None,
            );
        }
    }
    let norm = |s: &str| {
        super::area::normalize_target(s)
            .unwrap_or_else(|_| s.to_string())
            .to_lowercase()
    };
    let rows: HashMap<String, &readme::ReadmeRow> =
        r.rows.iter().map(|row| (norm(&row.file), row)).collect();
    let mut listed = HashSet::new();
    for a in &m.artifacts {
        let key = norm(&a.target_file);
        listed.insert(key.clone());
        let Some(row) = rows.get(&key) else {
            let msg = format!(
                "README does not list {}, which the manifest does",
                a.target_file
            );
            add(Severity::Block, &a.target_file, msg, None);
            continue;
        };
        if let (Some(prefix), Some(hash)) = (&row.hash_prefix, &a.hash) {
            if prefix.is_empty() || !hash.starts_with(prefix.as_str()) {
                let msg = format!(
                    "README shows hash {prefix} for {}, manifest has {hash}",
                    row.file
                );
                add(Severity::Block, &row.file, msg, Some(row.line));
            }
        }
        if let (Some(rc), Some(mc)) = (&row.category, &a.category) {
            if rc != mc {
                let msg = format!(
                    "README category '{rc}' for {}, manifest says '{mc}'",
                    row.file
                );
                add(Severity::Warn, &row.file, msg, Some(row.line));
            }
        }
    }
    for row in r
        .rows
        .iter()
        .filter(|row| !listed.contains(&norm(&row.file)))
    {
        let msg = format!("README lists {}, which the manifest does not", row.file);
        add(Severity::Block, &row.file, msg, Some(row.line));
    }
}
