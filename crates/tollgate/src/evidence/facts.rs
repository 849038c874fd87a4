//! Everything `bundle verify` needs to know about an area, read from disk in
//! one place, so that the checks in `verify` are pure functions of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::area::{list_files, resolve_target, AreaFile};
use super::glob;
use super::hash::sha256_files;
use crate::finding::Finding;
use crate::policy::{Policy, Requirement};
use crate::read::content::{inspect, Content};
use crate::read::manifest::{self, Artifact, Manifest};
use crate::read::readme::{self, Readme, README_FILE};

/// The manifest as found.
#[derive(Debug)]
pub enum ManifestFact {
    Absent,
    /// Refused by the safety check (a symlink out of the area).
    Refused,
    Unreadable(String),
    Read(Box<Manifest>, Vec<Finding>),
}

/// One manifest artifact as found on disk.
#[derive(Debug)]
pub enum TargetFact {
    /// `TargetFile` escapes the area; it was not read.
    Refused(String),
    /// The same path is listed earlier.
    Duplicate(String),
    Missing(String),
    /// Present, but the manifest gives no hash.
    NoHash(String),
    /// Present and hashed: (hash, size) or the read error.
    Hashed(String, Result<(String, u64), String>),
}

/// SHA-256 digests (lower-case hex) by path relative to a folder, or why a
/// file could not be hashed: what signature checks compare with.
pub type Digests = std::collections::BTreeMap<String, Result<String, String>>;

/// Facts about one area folder.
#[derive(Debug)]
pub struct AreaFacts {
    pub dir: PathBuf,
    /// The files in the area, or why they could not be listed.
    pub files: Result<Vec<AreaFile>, String>,
    /// The manifest's file name (`bundle.manifest`).
    pub manifest_name: String,
    pub manifest: ManifestFact,
    /// One per manifest artifact, in manifest order.
    pub targets: Vec<TargetFact>,
    pub readme_hash: Option<String>,
    /// The manifest file's own SHA-256, when it was read.
    pub manifest_hash: Option<String>,
    pub readme: Option<Readme>,
    /// Content verdicts of every file a requirement pattern matches, by lower-cased path.
    pub content: HashMap<String, Content>,
}

impl AreaFacts {
    /// The listed files (empty when listing failed).
    pub fn files(&self) -> &[AreaFile] {
        self.files.as_deref().unwrap_or(&[])
    }

    /// The digests of the manifest, the README and every hashed artifact:
    /// everything a signature over the area covers, hashed once.
    pub fn digests(&self) -> Digests {
        let lower = |h: &String| Ok(h.to_ascii_lowercase());
        let mut d = Digests::new();
        if let Some(h) = &self.manifest_hash {
            d.insert(self.manifest_name.clone(), lower(h));
        }
        if let Some(h) = &self.readme_hash {
            d.insert(README_FILE.to_string(), lower(h));
        }
        for t in &self.targets {
            if let TargetFact::Hashed(rel, h) = t {
                let h = h.as_ref().map(|(h, _)| h.to_ascii_lowercase());
                d.insert(rel.clone(), h.map_err(Clone::clone));
            }
        }
        d
    }

    /// The manifest, when it was read.
    pub fn manifest(&self) -> Option<&Manifest> {
        match &self.manifest {
            ManifestFact::Read(m, _) => Some(m),
            _ => None,
        }
    }
}

/// Read everything about the area at `dir` that `requirements` need.
pub fn gather(dir: &Path, policy: &Policy, requirements: &[Requirement]) -> AreaFacts {
    let files = list_files(dir).map_err(|e| e.to_string());
    let listed: &[AreaFile] = files.as_deref().unwrap_or(&[]);
    let manifest_name = policy.bundle.manifest.clone();
    let manifest = read_manifest(dir, &manifest_name);
    let artifacts: &[Artifact] = match &manifest {
        ManifestFact::Read(m, _) => &m.artifacts,
        _ => &[],
    };
    // Resolve targets, then hash every present one (and the README) in parallel.
    let mut seen = std::collections::HashSet::new();
    let mut pending: Vec<(usize, String, PathBuf)> = Vec::new();
    let mut targets: Vec<TargetFact> = Vec::new();
    for a in artifacts {
        let fact = match resolve_target(dir, &a.target_file) {
            Err(why) => TargetFact::Refused(why),
            Ok((rel, _)) if !seen.insert(rel.to_lowercase()) => TargetFact::Duplicate(rel),
            Ok((rel, path)) if std::fs::symlink_metadata(&path).is_err() => {
                TargetFact::Missing(rel)
            }
            Ok((rel, _)) if a.hash.as_deref().is_none_or(str::is_empty) => TargetFact::NoHash(rel),
            Ok((rel, path)) => {
                pending.push((targets.len(), rel.clone(), path));
                TargetFact::Hashed(rel, Err(String::new()))
            }
        };
        targets.push(fact);
    }
    let readme_ok = listed
        .iter()
        .any(|f| f.rel == README_FILE && f.refused.is_none());
    let manifest_ok = matches!(manifest, ManifestFact::Read(..));
    let mut paths: Vec<PathBuf> = pending.iter().map(|p| p.2.clone()).collect();
    if manifest_ok {
        paths.push(dir.join(&manifest_name));
    }
    if readme_ok {
        paths.push(dir.join(README_FILE));
    }
    let mut hashes = sha256_files(&paths);
    let mut last = |ok: bool| {
        ok.then(|| hashes.pop().and_then(|r| r.ok()).map(|(h, _)| h))
            .flatten()
    };
    let readme_hash = last(readme_ok);
    let manifest_hash = last(manifest_ok);
    for ((i, rel, _), h) in pending.into_iter().zip(hashes) {
        targets[i] = TargetFact::Hashed(rel, h.map_err(|e| e.to_string()));
    }
    let readme = readme_ok
        .then(|| crate::read::text::read_to_string(&dir.join(README_FILE)).ok())
        .flatten()
        .map(|t| readme::parse(&t));
    let content = listed
        .iter()
        .filter(|f| {
            f.refused.is_none()
                && requirements
                    .iter()
                    .any(|r| glob::matches_any(&r.patterns, &f.rel))
        })
        .map(|f| {
            (
                f.rel.to_lowercase(),
                inspect(&f.path, &policy.bundle.stub_markers),
            )
        })
        .collect();
    AreaFacts {
        dir: dir.to_path_buf(),
        files,
        manifest,
        targets,
        readme_hash,
        manifest_hash,
        manifest_name,
        readme,
        content,
    }
}

fn read_manifest(dir: &Path, name: &str) -> ManifestFact {
    let path = dir.join(name);
    if std::fs::symlink_metadata(&path).is_err() {
        return ManifestFact::Absent;
    }
    if resolve_target(dir, name).is_err() {
        return ManifestFact::Refused;
    }
    match manifest::read(&path) {
        Ok((m, problems)) => ManifestFact::Read(Box::new(m), problems),
        Err(e) => ManifestFact::Unreadable(e.to_string()),
    }
}
