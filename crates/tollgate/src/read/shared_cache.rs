//! Shared-cache snapshot summaries (`SharedCacheSnapshot-*-summary.json`):
//! `{Site, Hosts, TotalRows, CachedAt}` entries, as an array or one object.

use std::path::Path;

use serde_json::Value;

use crate::error::Result;

/// One site's entry.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteEntry {
    pub site: String,
    pub hosts: f64,
    pub rows: f64,
}

/// The entries of a parsed summary; entries without a site are skipped.
pub fn entries(v: Value) -> Vec<SiteEntry> {
    let num = |e: &Value, k: &str| match e.get(k) {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    };
    super::analyzer::data_objects(v)
        .into_iter()
        .filter_map(|e| {
            let site = e
                .get("Site")
                .or_else(|| e.get("SiteKey"))?
                .as_str()?
                .trim()
                .to_string();
            (!site.is_empty()).then(|| SiteEntry {
                hosts: num(&e, "Hosts"),
                rows: num(&e, "TotalRows"),
                site,
            })
        })
        .collect()
}

/// Read a summary file.
pub fn read(path: &Path) -> Result<Vec<SiteEntry>> {
    Ok(entries(super::json::load(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn array_or_object() {
        let a = entries(
            json!([{"Site": "BOYO", "Hosts": 12, "TotalRows": 480}, {"Site": " ", "Hosts": 1}, {"Site": "WLLS", "Hosts": "20", "TotalRows": 960}]),
        );
        assert_eq!(a.len(), 2);
        assert_eq!(
            a[1],
            SiteEntry {
                site: "WLLS".into(),
                hosts: 20.0,
                rows: 960.0
            }
        );
        assert_eq!(
            entries(json!({"Site": "BOYO", "Hosts": 12, "TotalRows": 120, "CachedAt": null})).len(),
            1
        );
    }
}
