//! How a bundle is laid out in a registry. The tag names an OCI image index
//! of artifact type [`BUNDLE_TYPE`]; each of its entries is one area, an OCI
//! image manifest (v1.1) of artifact type [`AREA_TYPE`] whose layers are the
//! area's files, raw (not tarred), each titled with its path in the area.
//! A layer's digest is the file's SHA-256, the same the bundle manifest
//! lists, so what the registry stores is what the manifest vouches for.

use std::collections::BTreeMap;

use oci_client::manifest::{
    ImageIndexEntry, OciDescriptor, OciImageIndex, OciImageManifest, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE,
};

use crate::evidence::area::normalize_target;

/// Media type of the index a bundle's tag names.
pub const INDEX_MEDIA: &str = OCI_IMAGE_INDEX_MEDIA_TYPE;
/// Media type of an area's manifest.
pub const MANIFEST_MEDIA: &str = OCI_IMAGE_MEDIA_TYPE;
/// Artifact type of the index: a whole bundle.
pub const BUNDLE_TYPE: &str = "application/vnd.tollgate.bundle.v1+json";
/// Artifact type of one area's manifest.
pub const AREA_TYPE: &str = "application/vnd.tollgate.area.v1+json";
/// Media type of an evidence file layer.
pub const FILE_TYPE: &str = "application/vnd.tollgate.file.v1";
/// Media type of a signature envelope layer (DSSE, as in-toto uses it).
pub const ENVELOPE_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// The OCI empty descriptor's media type, used for the config.
pub const EMPTY_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The empty config's content.
pub const EMPTY_CONFIG: &[u8] = b"{}";
/// A layer's path in its area; an index entry's area name.
pub const TITLE: &str = "org.opencontainers.image.title";
/// The bundle's name, on the index and on every area manifest.
pub const BUNDLE_ANNOTATION: &str = "io.tollgate.bundle";
/// An index entry's folder in the bundle (empty for a root-level area).
pub const FOLDER_ANNOTATION: &str = "io.tollgate.area.folder";

/// One file of an area, as pushed.
pub struct Layer {
    /// Path relative to the area, `/`-separated.
    pub rel: String,
    /// `sha256:` and lower-case hex.
    pub digest: String,
    pub size: u64,
    pub envelope: bool,
}

/// The manifest of one area.
pub fn area_manifest(bundle: &str, config_digest: &str, layers: &[Layer]) -> OciImageManifest {
    OciImageManifest {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_MEDIA_TYPE.into()),
        artifact_type: Some(AREA_TYPE.into()),
        config: OciDescriptor {
            media_type: EMPTY_TYPE.into(),
            digest: config_digest.into(),
            size: EMPTY_CONFIG.len() as i64,
            urls: None,
            artifact_type: None,
            annotations: None,
        },
        layers: layers
            .iter()
            .map(|l| OciDescriptor {
                media_type: if l.envelope { ENVELOPE_TYPE } else { FILE_TYPE }.into(),
                digest: l.digest.clone(),
                size: l.size as i64,
                urls: None,
                artifact_type: None,
                annotations: Some(BTreeMap::from([(TITLE.into(), l.rel.clone())])),
            })
            .collect(),
        subject: None,
        annotations: Some(BTreeMap::from([(BUNDLE_ANNOTATION.into(), bundle.into())])),
    }
}

/// One area's entry in the index.
pub struct AreaEntry {
    pub area: String,
    pub folder: String,
    pub digest: String,
    pub size: u64,
}

/// The index of a bundle's areas.
pub fn bundle_index(bundle: &str, areas: &[AreaEntry]) -> OciImageIndex {
    OciImageIndex {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_INDEX_MEDIA_TYPE.into()),
        artifact_type: Some(BUNDLE_TYPE.into()),
        manifests: areas
            .iter()
            .map(|a| ImageIndexEntry {
                media_type: OCI_IMAGE_MEDIA_TYPE.into(),
                digest: a.digest.clone(),
                size: a.size as i64,
                platform: None,
                annotations: Some(BTreeMap::from([
                    (TITLE.into(), a.area.clone()),
                    (FOLDER_ANNOTATION.into(), a.folder.clone()),
                ])),
                artifact_type: Some(AREA_TYPE.into()),
            })
            .collect(),
        annotations: Some(BTreeMap::from([(BUNDLE_ANNOTATION.into(), bundle.into())])),
    }
}

/// An annotation's value, or "".
pub fn annotation<'a>(annotations: &'a Option<BTreeMap<String, String>>, key: &str) -> &'a str {
    annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map_or("", String::as_str)
}

/// A layer's path in its area, or why it may not be written anywhere.
pub fn layer_path(layer: &OciDescriptor) -> Result<String, String> {
    match annotation(&layer.annotations, TITLE) {
        "" => Err(format!("layer {} has no {TITLE} annotation", layer.digest)),
        t => normalize_target(t).map_err(|why| format!("layer title {why}")),
    }
}

/// An index entry's folder in the bundle ("" for the root), checked as
/// strictly as a layer path.
pub fn entry_folder(entry: &ImageIndexEntry) -> Result<String, String> {
    match annotation(&entry.annotations, FOLDER_ANNOTATION) {
        "" => Ok(String::new()),
        f => match normalize_target(f) {
            Ok(n) if !n.contains('/') => Ok(n),
            Ok(_) => Err(format!("area folder '{f}' is not one folder name")),
            Err(why) => Err(format!("area folder {why}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_round_trip_and_unsafe_titles_are_refused() {
        let layers = [Layer {
            rel: "logs/a.json".into(),
            digest: format!("sha256:{}", "a".repeat(64)),
            size: 3,
            envelope: false,
        }];
        let m = area_manifest("b1", "sha256:x", &layers);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["artifactType"], AREA_TYPE);
        assert_eq!(json["layers"][0]["annotations"][TITLE], "logs/a.json");
        assert_eq!(layer_path(&m.layers[0]).unwrap(), "logs/a.json");
        let mut evil = m.layers[0].clone();
        evil.annotations = Some(BTreeMap::from([(TITLE.into(), "../../etc/passwd".into())]));
        assert!(layer_path(&evil).unwrap_err().contains(".."));
        evil.annotations = None;
        assert!(layer_path(&evil).is_err());
        let idx = bundle_index(
            "b1",
            &[AreaEntry {
                area: "Release".into(),
                folder: "../x".into(),
                digest: "sha256:y".into(),
                size: 9,
            }],
        );
        assert!(entry_folder(&idx.manifests[0]).is_err());
        assert_eq!(
            serde_json::to_value(&idx).unwrap()["artifactType"],
            BUNDLE_TYPE
        );
    }
}
