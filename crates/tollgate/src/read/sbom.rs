//! Software bills of materials: CycloneDX JSON (1.4 to 1.6) and XML, and
//! SPDX JSON 2.2/2.3, told apart by content (not by name: `.json.bin`
//! snapshots exist), as one list of components with their licenses.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// One component (CycloneDX, nested ones included) or package (SPDX).
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub name: String,
    pub version: String,
    /// CycloneDX `type` (`library`, ...); empty for SPDX.
    pub kind: String,
    /// License ids, names or expressions; SPDX `NOASSERTION`/`NONE` are none.
    pub licenses: Vec<String>,
    pub purl: String,
}

/// A whole SBOM.
#[derive(Debug, Clone, Serialize)]
pub struct Sbom {
    /// `CycloneDX 1.5`, `SPDX-2.3`, ...
    pub format: String,
    pub components: Vec<Component>,
}

/// Read the SBOM at `path`.
pub fn read(path: &Path) -> Result<Sbom> {
    let text = crate::read::text::read_to_string(path)?;
    parse(&text, path)
}

/// Parse SBOM text; anything but CycloneDX or SPDX is an error.
pub fn parse(text: &str, path: &Path) -> Result<Sbom> {
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
    {
        return from_xml(&super::xml::parse(text, path)?, path);
    }
    let v = super::json::parse(text, path)?;
    if v["bomFormat"].as_str() == Some("CycloneDX") {
        let mut components = Vec::new();
        collect_json(&v["components"], &mut components);
        return Ok(Sbom {
            format: format!("CycloneDX {}", v["specVersion"].as_str().unwrap_or("?")),
            components,
        });
    }
    if let Some(version) = v["spdxVersion"].as_str() {
        let components = v["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
                let licenses = ["licenseConcluded", "licenseDeclared"]
                    .iter()
                    .filter_map(|k| p[*k].as_str())
                    .find(|l| !matches!(*l, "NOASSERTION" | "NONE" | ""))
                    .map(|l| vec![l.to_string()])
                    .unwrap_or_default();
                let purl = p["externalRefs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|r| r["referenceType"] == "purl")
                    .and_then(|r| r["referenceLocator"].as_str())
                    .unwrap_or_default()
                    .to_string();
                Component {
                    name: s("name"),
                    version: s("versionInfo"),
                    kind: String::new(),
                    licenses,
                    purl,
                }
            })
            .collect();
        return Ok(Sbom {
            format: version.to_string(),
            components,
        });
    }
    Err(Error::parse(
        path,
        None,
        "not an SBOM tollgate reads: neither CycloneDX (bomFormat) nor SPDX (spdxVersion)",
    ))
}

fn collect_json(list: &Value, out: &mut Vec<Component>) {
    for c in list.as_array().into_iter().flatten() {
        let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
        let licenses = c["licenses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| {
                l["expression"]
                    .as_str()
                    .or_else(|| l["license"]["id"].as_str())
                    .or_else(|| l["license"]["name"].as_str())
                    .map(str::to_string)
            })
            .collect();
        out.push(Component {
            name: s("name"),
            version: s("version"),
            kind: s("type"),
            licenses,
            purl: s("purl"),
        });
        collect_json(&c["components"], out);
    }
}

/// A parsed CycloneDX XML document; any other root is an error.
pub fn from_xml(doc: &roxmltree::Document, path: &Path) -> Result<Sbom> {
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or_default();
    if root.tag_name().name() != "bom" || !ns.starts_with("http://cyclonedx.org/schema/bom/") {
        return Err(super::xml::wrong_root(
            doc,
            path,
            "not an SBOM tollgate reads: the root is not a CycloneDX <bom>".into(),
        ));
    }
    let child_text = |n: roxmltree::Node, tag: &str| {
        n.children()
            .find(|c| c.has_tag_name(tag))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let components = root
        .descendants()
        .filter(|n| {
            n.has_tag_name("component") && n.parent().is_some_and(|p| p.has_tag_name("components"))
        })
        .map(|c| {
            let licenses = c
                .children()
                .filter(|l| l.has_tag_name("licenses"))
                .flat_map(|l| l.children().filter(|x| x.is_element()))
                .filter_map(|l| {
                    let t = if l.has_tag_name("expression") {
                        l.text().unwrap_or_default().trim().to_string()
                    } else {
                        let id = child_text(l, "id");
                        if id.is_empty() {
                            child_text(l, "name")
                        } else {
                            id
                        }
                    };
                    (!t.is_empty()).then_some(t)
                })
                .collect();
            Component {
                name: child_text(c, "name"),
                version: child_text(c, "version"),
                kind: c.attribute("type").unwrap_or_default().to_string(),
                licenses,
                purl: child_text(c, "purl"),
            }
        })
        .collect();
    Ok(Sbom {
        format: format!("CycloneDX {}", ns.rsplit('/').next().unwrap_or("?")),
        components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyclonedx_nests_spdx_asserts_and_anything_else_is_refused() {
        let cdx = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
            {"name":"a","version":"1","type":"library","licenses":[{"license":{"id":"MIT"}}],
             "components":[{"name":"a-sub","licenses":[{"expression":"MIT OR Apache-2.0"}]}]},
            {"name":"b","type":"library"}]}"#;
        let s = parse(cdx, Path::new("bom.json.bin")).unwrap();
        assert_eq!(s.format, "CycloneDX 1.6");
        let got: Vec<_> = s
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.licenses.join("|")))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "MIT".into()),
                ("a-sub", "MIT OR Apache-2.0".into()),
                ("b", String::new())
            ]
        );
        let spdx = r#"{"spdxVersion":"SPDX-2.3","packages":[
            {"name":"p","versionInfo":"2","licenseConcluded":"NOASSERTION","licenseDeclared":"BSD-3-Clause"},
            {"name":"q","licenseConcluded":"NONE"}]}"#;
        let s = parse(spdx, Path::new("s.spdx.json")).unwrap();
        assert_eq!(s.components[0].licenses, ["BSD-3-Clause"]);
        assert!(s.components[1].licenses.is_empty());
        let xml = r#"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>
            <component type="library"><name>x</name><version>1</version><licenses><license><name>Custom</name></license></licenses></component>
            </components></bom>"#;
        let s = parse(xml, Path::new("bom.xml")).unwrap();
        assert_eq!(
            (s.format.as_str(), s.components[0].licenses.join("")),
            ("CycloneDX 1.4", "Custom".into())
        );
        let e = parse(r#"{"sbom":true}"#, Path::new("x.json")).unwrap_err();
        assert!(
            e.to_string().contains("x.json") && e.to_string().contains("neither CycloneDX"),
            "{e}"
        );
    }
}
