//! Reading a bundle back from a registry: `bundle verify oci://...`, which
//! judges it where it is, hashing every blob as it streams (only the
//! manifest, the README, the envelope and the start of each required file
//! are kept in memory), and `bundle pull`, which re-creates it on disk,
//! checking every blob as it arrives. A blob whose bytes do not match its
//! digest, a title that would leave its folder or an index entry that is
//! not what its digest names is a blocking `bundle.registry` finding.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use oci_client::manifest::{OciDescriptor, OciImageIndex, OciImageManifest};
use serde::Serialize;

use super::artifact::{self, annotation, entry_folder, layer_path};
use super::client::{Options, Registry};
use super::reference::OciRef;
use crate::error::{Error, Result};
use crate::evidence::area::{normalize_target, AreaDir, AreaFile};
use crate::evidence::facts::{AreaFacts, ManifestFact, TargetFact};
use crate::evidence::verify::{judge_area, requirements_of, BundleReport};
use crate::finding::{Finding, Location, Severity};
use crate::policy::Workspace;
use crate::read::content::{inspect_reader, needed_bytes};
use crate::read::manifest::ENVELOPE_SUFFIX;
use crate::read::readme::{self, README_FILE};
use crate::signing::EnvelopeFacts;

/// A bundle in a registry: its index and its areas' manifests.
struct Remote {
    /// The reference, pinned to the index digest.
    at: OciRef,
    digest: String,
    name: String,
    areas: Vec<RemoteArea>,
    /// Problems with the index or the manifests themselves.
    findings: Vec<Finding>,
}

struct RemoteArea {
    name: String,
    /// Folder in the bundle; empty for a root-level area.
    folder: String,
    manifest: OciImageManifest,
    /// How the area is named in findings: the pinned reference and folder.
    shown: PathBuf,
}

fn registry_finding(subject: &str, message: String, at: &str) -> Finding {
    Finding::new(
        "bundle.registry",
        Severity::Block,
        subject,
        message,
        Location::file(at),
    )
}

/// Fetch the index `at` names and every area manifest it lists, each
/// checked against the digest that names it.
fn open(at: &OciRef, opts: Options) -> Result<(Registry, Remote)> {
    let reg = Registry::connect(at, opts, false)?;
    let (body, digest) = reg.manifest(None, &[artifact::INDEX_MEDIA])?;
    let shown = at.to_string();
    let mut findings = Vec::new();
    if let Some(want) = at.digest.as_deref().filter(|w| *w != digest) {
        findings.push(registry_finding(
            &shown,
            format!("the registry returned an index whose digest is {digest}, not {want}"),
            &shown,
        ));
    }
    let index: OciImageIndex = serde_json::from_slice(&body).map_err(|e| {
        Error::remote(
            format!("registry {at}"),
            format!("not an OCI image index: {e}"),
        )
    })?;
    // A mirror made by a tool that predates OCI 1.1 (skopeo 1.9) drops
    // artifactType but keeps the annotations and the area manifests.
    let mirrored = index.artifact_type.is_none()
        && !annotation(&index.annotations, artifact::BUNDLE_ANNOTATION).is_empty();
    if index.artifact_type.as_deref() != Some(artifact::BUNDLE_TYPE) && !mirrored {
        return Err(Error::remote(
            format!("registry {at}"),
            format!(
                "not a tollgate bundle: artifactType is {:?}, not {}",
                index.artifact_type.as_deref().unwrap_or("absent"),
                artifact::BUNDLE_TYPE
            ),
        ));
    }
    let pinned = at.at_digest(&digest);
    let name = match annotation(&index.annotations, artifact::BUNDLE_ANNOTATION) {
        "" => at
            .repository
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
        n => n.to_string(),
    };
    let mut areas = Vec::new();
    for entry in &index.manifests {
        let area = annotation(&entry.annotations, artifact::TITLE).to_string();
        let folder = match entry_folder(entry) {
            Ok(f) => f,
            Err(why) => {
                findings.push(registry_finding(&area, why, &shown));
                continue;
            }
        };
        let (mbody, mdigest) = reg.manifest(Some(&entry.digest), &[artifact::MANIFEST_MEDIA])?;
        if mdigest != entry.digest {
            findings.push(registry_finding(
                &area,
                format!(
                    "the registry returned a manifest whose digest is {mdigest}, not {}",
                    entry.digest
                ),
                &shown,
            ));
            continue;
        }
        let manifest: OciImageManifest = serde_json::from_slice(&mbody).map_err(|e| {
            Error::remote(
                format!("registry {at}"),
                format!("manifest {mdigest} is not an OCI image manifest: {e}"),
            )
        })?;
        areas.push(RemoteArea {
            shown: PathBuf::from(pinned.to_string()).join(&folder),
            name: area,
            folder,
            manifest,
        });
    }
    Ok((
        reg,
        Remote {
            at: pinned,
            digest,
            name,
            areas,
            findings,
        },
    ))
}

/// The layers of an area with a usable, unique path, and findings for the rest.
fn layers_of(area: &RemoteArea) -> (Vec<(String, &OciDescriptor)>, Vec<AreaFile>) {
    let mut seen = HashSet::new();
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    for layer in &area.manifest.layers {
        let title = annotation(&layer.annotations, artifact::TITLE);
        let why = match layer_path(layer) {
            Ok(rel) if seen.insert(rel.to_lowercase()) => {
                ok.push((rel, layer));
                continue;
            }
            Ok(rel) => format!("{rel} is a second layer with the same path"),
            Err(why) => why,
        };
        let rel = if title.is_empty() {
            layer.digest.clone()
        } else {
            title.to_string()
        };
        refused.push(AreaFile {
            path: area.shown.join(&rel),
            rel,
            refused: Some(why),
        });
    }
    (ok, refused)
}

fn mismatch(area: &RemoteArea, rel: &str, want: &str, got: &str) -> Finding {
    let shown = area.shown.join(rel).display().to_string();
    registry_finding(
        &format!("{}/{rel}", area.name),
        format!("the registry's blob for {rel} is not what its digest names: {want} expected, {got} received (the registry's storage was altered)"),
        &shown,
    )
}

/// A file kept in memory while it streamed, or why it was not.
type Kept = std::result::Result<Vec<u8>, String>;

/// A kept file as text: `None` when there is no such file.
type Text = Option<std::result::Result<String, String>>;

/// Stream every layer of `area`, hashing it, and build the facts the local
/// checks judge; findings for blobs that do not match their digests.
fn area_facts(
    ws: &Workspace,
    reg: &Registry,
    area: &RemoteArea,
) -> Result<(AreaFacts, Text, Vec<Finding>)> {
    let requirements = requirements_of(&ws.policy, &area.name).0;
    let required = |rel: &str| {
        requirements
            .iter()
            .any(|r| crate::evidence::glob::matches_any(&r.patterns, rel))
    };
    let manifest_name = ws.policy.bundle.manifest.as_str();
    let limit = crate::read::file::max_bytes();
    let (layers, mut files) = layers_of(area);
    let mut findings = Vec::new();
    let mut hashed: HashMap<String, (String, u64)> = HashMap::new();
    let mut kept: HashMap<String, Kept> = HashMap::new();
    for (rel, layer) in &layers {
        let whole = rel == manifest_name || rel == README_FILE || rel.ends_with(ENVELOPE_SUFFIX);
        let size = layer.size.max(0) as u64;
        let keep = if whole {
            size.min(limit)
        } else if required(rel) {
            needed_bytes(size)
        } else {
            0
        };
        let mut buf = Vec::new();
        let got = reg.stream_blob(layer, |b| {
            let room = (keep as usize).saturating_sub(buf.len());
            buf.extend_from_slice(&b[..room.min(b.len())]);
            Ok(())
        })?;
        if got.digest != layer.digest {
            findings.push(mismatch(area, rel, &layer.digest, &got.digest));
        }
        let hex = got
            .digest
            .trim_start_matches("sha256:")
            .to_ascii_uppercase();
        if whole && got.size > limit {
            kept.insert(
                rel.clone(),
                Err(format!(
                    "{rel} is larger than the read limit of {limit} bytes"
                )),
            );
        } else if keep > 0 || whole {
            kept.insert(rel.clone(), Ok(buf));
        }
        hashed.insert(rel.clone(), (hex, got.size));
        files.push(AreaFile {
            path: area.shown.join(rel),
            rel: rel.clone(),
            refused: None,
        });
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    let text = |rel: &str| -> Text {
        kept.get(rel).map(|k| {
            k.clone().and_then(|b| {
                String::from_utf8(crate::read::text::strip_bom(&b).to_vec())
                    .map_err(|_| format!("{rel} is not valid UTF-8"))
            })
        })
    };
    let manifest_shown = area.shown.join(manifest_name);
    let manifest = match text(manifest_name) {
        None => ManifestFact::Absent,
        Some(Err(e)) => ManifestFact::Unreadable(e),
        Some(Ok(t)) => match crate::read::json::parse(&t, &manifest_shown) {
            Ok(v) => {
                let (m, problems) =
                    crate::read::manifest::from_value(&v, &manifest_shown.display().to_string());
                ManifestFact::Read(Box::new(m), problems)
            }
            Err(e) => ManifestFact::Unreadable(e.to_string()),
        },
    };
    let mut seen = HashSet::new();
    let targets = match &manifest {
        ManifestFact::Read(m, _) => m
            .artifacts
            .iter()
            .map(|a| match normalize_target(&a.target_file) {
                Err(why) => TargetFact::Refused(why),
                Ok(rel) if !seen.insert(rel.to_lowercase()) => TargetFact::Duplicate(rel),
                Ok(rel) => match hashed.get(&rel) {
                    None => TargetFact::Missing(rel),
                    Some(_) if a.hash.as_deref().is_none_or(str::is_empty) => {
                        TargetFact::NoHash(rel)
                    }
                    Some(h) => TargetFact::Hashed(rel, Ok(h.clone())),
                },
            })
            .collect(),
        _ => Vec::new(),
    };
    let markers = &ws.policy.bundle.stub_markers;
    let content = layers
        .iter()
        .filter(|(rel, _)| required(rel))
        .map(|(rel, layer)| {
            let bytes = kept
                .get(rel)
                .and_then(|k| k.as_ref().ok())
                .map_or(&[][..], Vec::as_slice);
            let len = hashed.get(rel).map_or(layer.size.max(0) as u64, |h| h.1);
            (
                rel.to_lowercase(),
                inspect_reader(Path::new(rel), bytes, len, markers),
            )
        })
        .collect();
    let readme = text(README_FILE)
        .and_then(|t| t.ok())
        .map(|t| readme::parse(&t));
    let envelope_rel = crate::read::manifest::envelope_of(Path::new(manifest_name))
        .display()
        .to_string();
    let facts = AreaFacts {
        dir: area.shown.clone(),
        files: Ok(files),
        readme_hash: hashed.get(README_FILE).map(|h| h.0.clone()),
        manifest_hash: matches!(manifest, ManifestFact::Read(..))
            .then(|| hashed.get(manifest_name).map(|h| h.0.clone()))
            .flatten(),
        manifest_name: manifest_name.to_string(),
        manifest,
        targets,
        readme,
        content,
    };
    Ok((facts, text(&envelope_rel), findings))
}

/// Verify the bundle `at` names where it is, signatures included.
pub fn verify(ws: &Workspace, at: &OciRef, opts: Options) -> Result<BundleReport> {
    let (reg, remote) = open(at, opts)?;
    let mut findings = remote.findings.clone();
    let mut summaries = Vec::new();
    for area in &remote.areas {
        let (facts, envelope, problems) = area_facts(ws, &reg, area)?;
        findings.extend(problems);
        let dir = AreaDir {
            name: area.name.clone(),
            dir: area.shown.clone(),
            root_level: area.folder.is_empty(),
        };
        let (summary, (dir, digests)) = judge_area(&remote.name, &dir, &ws.policy, &facts);
        let manifest_name = &ws.policy.bundle.manifest;
        if digests.contains_key(manifest_name) {
            let envelope_path = crate::read::manifest::envelope_of(&dir.join(manifest_name));
            let expected: Vec<String> = digests.keys().cloned().collect();
            let env = EnvelopeFacts::of(ws, &envelope_path, envelope);
            findings.extend(crate::signing::judge(ws, &env, &dir, &expected, &digests));
        }
        summaries.push(summary);
    }
    if remote.areas.is_empty() && findings.is_empty() {
        findings.push(registry_finding(
            &remote.name,
            "the index lists no area".into(),
            &remote.at.to_string(),
        ));
    }
    Ok(BundleReport {
        name: remote.name,
        path: PathBuf::from(remote.at.to_string()),
        areas: summaries,
        findings,
        digests: Vec::new(),
        registry_digest: Some(remote.digest),
    })
}

/// What `bundle pull` re-created.
#[derive(Debug, Clone, Serialize)]
pub struct Pulled {
    /// The reference, pinned to the digest pulled.
    pub reference: String,
    pub digest: String,
    /// The bundle folder, created only when every blob matched its digest.
    pub path: String,
    /// Whether `path` was created (false: a blob did not match).
    pub created: bool,
    pub files: usize,
    pub bytes: u64,
    /// The verification of what was written (or, when a blob did not
    /// match, the registry findings alone).
    #[serde(skip)]
    pub report: BundleReport,
}

/// Removes a staging folder unless the pull completed.
struct Staging(Option<PathBuf>);

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// Re-create the bundle `at` names as the folder `into/NAME`, which must
/// not exist (or be empty); then verify it as any local bundle. The folder
/// is only created once every blob has matched its digest.
pub fn pull(ws: &Workspace, at: &OciRef, into: &Path, opts: Options) -> Result<Pulled> {
    let (reg, remote) = open(at, opts)?;
    let name = match normalize_target(&remote.name) {
        Ok(n) if !n.contains('/') => n,
        _ => {
            return Err(Error::remote(
                format!("registry {at}"),
                format!("the bundle name '{}' is not a folder name", remote.name),
            ))
        }
    };
    let dest = &into.join(name);
    if let Ok(meta) = std::fs::symlink_metadata(dest) {
        let empty = meta.is_dir()
            && std::fs::read_dir(dest)
                .map_err(|e| Error::io(dest, e))?
                .next()
                .is_none();
        if !empty {
            return Err(Error::refused(
                dest,
                "already exists; a pull never writes over anything",
            ));
        }
    }
    std::fs::create_dir_all(into).map_err(|e| Error::io(into, e))?;
    let stage = crate::record::atomic::staging_path(dest);
    std::fs::create_dir(&stage).map_err(|e| Error::io(&stage, e))?;
    let mut staging = Staging(Some(stage.clone()));
    let mut findings = remote.findings.clone();
    let (mut files, mut bytes) = (0, 0);
    for area in &remote.areas {
        let base = stage.join(&area.folder);
        let (layers, refused) = layers_of(area);
        for f in refused {
            let why = f.refused.unwrap_or_default();
            findings.push(registry_finding(
                &format!("{}/{}", area.name, f.rel),
                format!("not written: {why}"),
                &f.path.display().to_string(),
            ));
        }
        for (rel, layer) in layers {
            let target = base.join(&rel);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&target)
                .map_err(|e| Error::io(&target, e))?;
            let got = reg.stream_blob(layer, |b| {
                out.write_all(b).map_err(|e| Error::io(&target, e))
            })?;
            out.sync_all().map_err(|e| Error::io(&target, e))?;
            if got.digest != layer.digest {
                findings.push(mismatch(area, &rel, &layer.digest, &got.digest));
            }
            files += 1;
            bytes += got.size;
        }
    }
    let blocked = findings.iter().any(|f| f.severity == Severity::Block);
    let report = if blocked {
        BundleReport {
            name: remote.name.clone(),
            path: dest.to_path_buf(),
            areas: Vec::new(),
            findings,
            digests: Vec::new(),
            registry_digest: Some(remote.digest.clone()),
        }
    } else {
        if dest.is_dir() {
            std::fs::remove_dir(dest).map_err(|e| Error::io(dest, e))?;
        }
        crate::record::atomic::publish_dir(&stage, dest)?;
        staging.0 = None;
        let mut report = crate::signing::verify_bundle(ws, dest, &[])?;
        report.findings.extend(findings);
        report.registry_digest = Some(remote.digest.clone());
        report
    };
    Ok(Pulled {
        reference: remote.at.to_string(),
        digest: remote.digest,
        path: dest.display().to_string(),
        created: !blocked,
        files,
        bytes,
        report,
    })
}
