//! `bundle push`: a bundle that verifies goes to a registry, each file one
//! blob under its own SHA-256, and the push is recorded in the ledger.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

use super::artifact::{self, AreaEntry, Layer, EMPTY_CONFIG};
use super::client::{Options, Registry};
use super::reference::{tag_for, OciRef};
use crate::error::{Error, Result};
use crate::evidence::area::{areas, list_files};
use crate::finding::Severity;
use crate::policy::Workspace;
use crate::read::manifest::ENVELOPE_SUFFIX;

/// What `bundle push` stored.
#[derive(Debug, Clone, Serialize)]
pub struct Pushed {
    pub bundle: String,
    /// Where it is now, by tag and digest: `oci://host/repo:tag@sha256:...`.
    pub reference: String,
    /// The digest of the bundle's index.
    pub digest: String,
    pub areas: Vec<PushedArea>,
    /// Blobs uploaded, and blobs the registry already held.
    pub uploaded: usize,
    pub reused: usize,
    pub bytes: u64,
    /// The ledger the push was recorded in.
    pub ledger: String,
}

/// One area as pushed.
#[derive(Debug, Clone, Serialize)]
pub struct PushedArea {
    pub area: String,
    pub digest: String,
    pub files: usize,
}

/// Push the bundle at `bundle_dir` to `to`, tagged with `to`'s tag or the
/// bundle's name. A bundle whose files do not match its manifest, or that
/// is unsafe or badly signed, is refused: a registry copy must be as good as
/// the original.
pub fn push(ws: &Workspace, bundle_dir: &Path, to: &OciRef, opts: Options) -> Result<Pushed> {
    if to.digest.is_some() {
        return Err(Error::Usage(format!(
            "{to}: a push is named by a tag, not a digest (the digest is what the push returns)"
        )));
    }
    let report = crate::signing::verify_bundle(ws, bundle_dir, &[])?;
    if let Some(f) = report.all_findings().into_iter().find(|f| {
        f.severity == Severity::Block
            && matches!(
                f.check.as_str(),
                "bundle.areas" | "bundle.integrity" | "bundle.safety" | "bundle.read" | "signature"
            )
    }) {
        return Err(Error::refused(
            bundle_dir,
            format!(
                "the bundle does not verify ({}: {}); it will not be pushed",
                f.subject, f.message
            ),
        ));
    }
    let found = areas(bundle_dir, &ws.policy.bundle, |n| {
        ws.policy.area(n).is_some()
    })?;
    let to = to.or_tag(&tag_for(&report.name));
    let reg = Registry::connect(&to, opts, true)?;
    let config = reg.push_bytes(EMPTY_CONFIG)?;
    let (mut uploaded, mut reused, mut bytes) = (0, 0, 0);
    let mut entries = Vec::new();
    let mut pushed = Vec::new();
    for area in &found {
        // The verification hashed the manifest, README and artifacts; only
        // the other files (the envelope) are hashed here. A file changed
        // since is refused by the registry, which checks each blob's digest.
        let verified = report
            .digests
            .iter()
            .find(|(dir, _)| *dir == area.dir)
            .map(|(_, d)| d);
        let mut layers = Vec::new();
        for f in list_files(&area.dir)? {
            if let Some(why) = &f.refused {
                return Err(Error::refused(
                    &f.path,
                    format!("will not be pushed: {why}"),
                ));
            }
            let io = |e| Error::io(&f.path, e);
            let (hex, size) = match verified
                .and_then(|d| d.get(&f.rel))
                .and_then(|h| h.clone().ok())
            {
                Some(hex) => (hex, std::fs::metadata(&f.path).map_err(io)?.len()),
                None => crate::evidence::hash::sha256_file(&f.path).map_err(io)?,
            };
            let digest = format!("sha256:{}", hex.to_ascii_lowercase());
            if reg.has_blob(&digest)? {
                reused += 1;
            } else {
                reg.push_file(&f.path, &digest, size)?;
                uploaded += 1;
            }
            bytes += size;
            layers.push(Layer {
                envelope: f.rel.ends_with(ENVELOPE_SUFFIX),
                rel: f.rel,
                digest,
                size,
            });
        }
        let manifest = serde_json::to_vec(&artifact::area_manifest(&report.name, &config, &layers))
            .map_err(|e| Error::remote(format!("registry {to}"), e.to_string()))?;
        let digest = reg.push_manifest(&manifest, artifact::MANIFEST_MEDIA, None)?;
        entries.push(AreaEntry {
            area: area.name.clone(),
            folder: if area.root_level {
                String::new()
            } else {
                area.dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            },
            digest: digest.clone(),
            size: manifest.len() as u64,
        });
        pushed.push(PushedArea {
            area: area.name.clone(),
            digest,
            files: layers.len(),
        });
    }
    let index = serde_json::to_vec(&artifact::bundle_index(&report.name, &entries))
        .map_err(|e| Error::remote(format!("registry {to}"), e.to_string()))?;
    let digest = reg.push_manifest(&index, artifact::INDEX_MEDIA, to.tag.as_deref())?;
    let reference = to.at_digest(&digest).to_string();
    let mut ledger = crate::record::ledger::Ledger::open(ws)?;
    ledger.append(
        "bundle-push",
        &report.name,
        &json!({ "reference": reference, "digest": digest, "areas": pushed }),
    )?;
    Ok(Pushed {
        bundle: report.name,
        reference,
        digest,
        areas: pushed,
        uploaded,
        reused,
        bytes,
        ledger: ledger.location(),
    })
}
