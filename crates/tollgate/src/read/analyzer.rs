//! StateTrace analyzer outputs (`SharedCacheStoreState*.json`,
//! `SiteCacheProviderReasons*.json`): an array or an object, with PowerShell
//! `Format-Table` records mixed in. The formatting records are dropped; the
//! data objects are kept.

use std::path::Path;

use serde_json::Value;

use crate::error::Result;

/// The key PowerShell puts on every formatting record.
pub const FORMAT_RECORD_KEY: &str = "ClassId2e4f51ef21dd47e99d3c952918aff9cd";

/// Whether `v` is a `Format-Table` record rather than data.
pub fn is_format_record(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.contains_key(FORMAT_RECORD_KEY))
}

/// The data objects of parsed analyzer output.
pub fn data_objects(v: Value) -> Vec<Value> {
    super::json::one_or_many(v)
        .into_iter()
        .filter(|x| x.is_object() && !is_format_record(x))
        .collect()
}

/// Read an analyzer output file and keep its data objects.
pub fn read(path: &Path) -> Result<Vec<Value>> {
    Ok(data_objects(super::json::load(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_format_records() {
        let v = json!([{"shapeInfo": {}, FORMAT_RECORD_KEY: "x"}, {"File": "a", "GetHit": 1}, 3]);
        assert_eq!(data_objects(v), vec![json!({"File": "a", "GetHit": 1})]);
        assert_eq!(data_objects(json!({"Site": "BOYO"})).len(), 1);
    }
}
