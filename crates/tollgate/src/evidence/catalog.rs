//! The bundles folder as a catalogue: listing bundles, and storing and
//! finding their verification summaries.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::finding::Verdict;
use crate::policy::BundlePolicy;
use crate::read::manifest;
use crate::read::summary::{self, AreaSummary, SUMMARY_FILE};
use crate::read::timestamp::now_stamp;
use crate::record::atomic;

/// Store a verification summary. With `explicit`, there. Otherwise at
/// `<bundle>/VerificationSummary.json`, unless that file was written by
/// another tool (StateTrace): it is then kept, and the summary goes to
/// `VerificationSummary-<stamp>.json` beside it. Returns the path written.
pub fn store_summary(
    bundle_dir: &Path,
    areas: &[AreaSummary],
    explicit: Option<&Path>,
) -> Result<PathBuf> {
    let mut text = serde_json::to_string_pretty(areas).map_err(|e| Error::Usage(e.to_string()))?;
    text.push('\n');
    let target = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let default = bundle_dir.join(SUMMARY_FILE);
            let foreign = default.exists()
                && !summary::read(&default).is_ok_and(|s| summary::written_by_tollgate(&s));
            if foreign {
                bundle_dir.join(format!("VerificationSummary-{}.json", now_stamp()))
            } else {
                default
            }
        }
    };
    atomic::write_file(&target, text.as_bytes())?;
    Ok(target)
}

/// Find the stored summary of a bundle: tollgate's newest (the root
/// `VerificationSummary.json` or a `VerificationSummary-*.json` beside a
/// foreign one), else another tool's at the root, else one inside an area
/// folder (as StateTrace's tools also looked).
pub fn find_summary(bundle_dir: &Path) -> Option<PathBuf> {
    let root = bundle_dir.join(SUMMARY_FILE);
    let stamped = crate::select::newest_first(crate::select::matching(
        bundle_dir,
        "VerificationSummary-*.json",
    ));
    let ours = |p: &PathBuf| summary::read(p).is_ok_and(|s| summary::written_by_tollgate(&s));
    if let Some(p) = std::iter::once(root.clone())
        .chain(stamped.iter().cloned())
        .filter(|p| p.is_file())
        .find(ours)
    {
        return Some(p);
    }
    if let Some(p) = std::iter::once(root).chain(stamped).find(|p| p.is_file()) {
        return Some(p);
    }
    let mut in_areas: Vec<PathBuf> = std::fs::read_dir(bundle_dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join(SUMMARY_FILE)))
        .filter(|p| p.is_file())
        .collect();
    in_areas.sort();
    in_areas.into_iter().next()
}

/// One line of `bundle list`.
#[derive(Debug, Clone, Serialize)]
pub struct BundleEntry {
    pub name: String,
    pub path: String,
    /// The earliest `CreatedAt` of its areas.
    pub created: Option<String>,
    pub areas: Vec<String>,
    pub artifacts: usize,
    pub bytes: u64,
    /// Verdict of the stored summary: Pass, Warn, Block, or `None` if never verified.
    pub last_verdict: Option<Verdict>,
    pub summary: Option<String>,
    /// Whether tollgate wrote that summary (`false`: another tool did, such
    /// as StateTrace's own readiness script).
    pub summary_by_tollgate: bool,
}

/// List the bundles under `bundles_dir`, oldest first. A bundle whose files
/// cannot be read is still listed, with what could be read.
pub fn list_bundles(bundles_dir: &Path, bundle: &BundlePolicy) -> Result<Vec<BundleEntry>> {
    if !bundles_dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out: Vec<BundleEntry> = super::area::subfolders(bundles_dir)?
        .iter()
        .map(|(name, dir)| describe(name, dir, bundle))
        .collect();
    out.sort_by(|a, b| (&a.created, &a.name).cmp(&(&b.created, &b.name)));
    Ok(out)
}

fn describe(name: &str, dir: &Path, bundle: &BundlePolicy) -> BundleEntry {
    let mut e = BundleEntry {
        name: name.to_string(),
        path: dir.display().to_string(),
        created: None,
        areas: Vec::new(),
        artifacts: 0,
        bytes: 0,
        last_verdict: None,
        summary: None,
        summary_by_tollgate: false,
    };
    let manifests: Vec<(String, PathBuf)> = super::area::areas(dir, bundle, |_| false)
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            let name = if a.root_level { String::new() } else { a.name };
            (name, a.dir.join(&bundle.manifest))
        })
        .collect();
    for (area, path) in manifests.into_iter().filter(|(_, p)| p.is_file()) {
        let Ok((m, _)) = manifest::read(&path) else {
            e.areas.push(format!("{area}(unreadable manifest)"));
            continue;
        };
        e.areas.push(
            m.area_name
                .clone()
                .filter(|_| area.is_empty())
                .unwrap_or(area),
        );
        e.artifacts += m.artifacts.len();
        e.bytes += m.artifacts.iter().filter_map(|a| a.size_bytes).sum::<u64>();
        if let Some(c) = m.created_at {
            if e.created.as_ref().is_none_or(|old| &c < old) {
                e.created = Some(c);
            }
        }
    }
    e.areas.sort();
    if let Some(p) = find_summary(dir) {
        let read = summary::read(&p).ok();
        e.summary_by_tollgate = read.as_deref().is_some_and(summary::written_by_tollgate);
        e.last_verdict = read.map(|areas| overall(&areas));
        e.summary = Some(p.display().to_string());
    }
    e
}

/// The overall verdict of a stored summary: its worst area's.
pub fn overall(areas: &[AreaSummary]) -> Verdict {
    areas
        .iter()
        .map(AreaSummary::verdict_or_derived)
        .max()
        .unwrap_or(Verdict::Pass)
}

/// A bundle given as a path, or as a name under the policy's bundles folder.
pub fn resolve_bundle(ws: &crate::policy::Workspace, arg: &str) -> Result<PathBuf> {
    let direct = PathBuf::from(arg);
    if direct.is_dir() {
        return Ok(direct);
    }
    let named = ws.bundles_dir().join(arg);
    if named.is_dir() {
        return Ok(named);
    }
    Err(Error::io(
        &direct,
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no such bundle (also looked for {})", named.display()),
        ),
    ))
}
