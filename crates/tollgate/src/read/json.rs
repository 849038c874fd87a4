//! The shared JSON loader: BOM, CRLF, a single document or JSON Lines, and
//! "array or single object".

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// Parse `text` as one JSON document, or else as JSON Lines (one object per
/// non-blank line, as StateTrace's `Read-ToolingJson` does). The error names
/// the line of the first problem.
pub fn parse_documents(text: &str, path: &Path) -> Result<Vec<Value>> {
    let doc_err = match serde_json::from_str::<Value>(text) {
        Ok(v) => return Ok(vec![v]),
        Err(e) => e,
    };
    let mut docs = Vec::new();
    for (n, line) in super::text::numbered_lines(text) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v @ Value::Object(_)) => docs.push(v),
            _ if docs.is_empty() => {
                return Err(Error::parse(
                    path,
                    Some(doc_err.line()),
                    doc_err.to_string(),
                ))
            }
            Ok(_) => return Err(Error::parse(path, Some(n), "not a JSON object")),
            Err(e) => return Err(Error::parse(path, Some(n), e.to_string())),
        }
    }
    if docs.is_empty() {
        return Err(Error::parse(path, None, "empty file, expected JSON"));
    }
    Ok(docs)
}

/// Parse `text` as exactly one JSON document.
pub fn parse(text: &str, path: &Path) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        let line = (e.line() > 0).then_some(e.line());
        Error::parse(path, line, e.to_string())
    })
}

/// Load one JSON document from `path` (BOM and CRLF accepted).
pub fn load(path: &Path) -> Result<Value> {
    parse(&super::text::read_to_string(path)?, path)
}

/// An array's elements, or the single value itself.
pub fn one_or_many(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => vec![other],
    }
}

/// A string field of an object, if present and a string.
pub fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A list of strings: an array of strings, or a single string.
pub fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The value at a dotted path (`a.b.c`) of nested objects.
pub fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, key| cur.get(key))
}

/// Whether a selector is a JSONPath query (`$...`) rather than a dotted path.
pub fn is_json_path(s: &str) -> bool {
    s.trim_start().starts_with('$')
}

/// An RFC 9535 JSONPath query (serde_json_path), parsed; the error names
/// the query and where in it the syntax breaks.
pub fn json_path(s: &str) -> std::result::Result<serde_json_path::JsonPath, String> {
    serde_json_path::JsonPath::parse(s.trim()).map_err(|e| format!("JSONPath '{s}': {e}"))
}

/// A field of a record: a dotted path to at most one value, or a JSONPath
/// query, every node of which is a value (`$.components[*].licenses`).
#[derive(Debug, Clone)]
pub enum Selector {
    Dotted(String),
    Path(serde_json_path::JsonPath),
}

impl Selector {
    /// A JSONPath when `s` starts with `$`, else a dotted path.
    pub fn parse(s: &str) -> std::result::Result<Selector, String> {
        if is_json_path(s) {
            json_path(s).map(Selector::Path)
        } else {
            Ok(Selector::Dotted(s.to_string()))
        }
    }

    /// The values `self` selects in `v`, in document order.
    pub fn values<'a>(&self, v: &'a Value) -> Vec<&'a Value> {
        match self {
            Selector::Dotted(p) => get_path(v, p).into_iter().collect(),
            Selector::Path(q) => q.query(v).all(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn document_or_lines() {
        let p = Path::new("x.json");
        assert_eq!(parse_documents("[1,2]", p).unwrap(), vec![json!([1, 2])]);
        let lines = parse_documents("{\"a\":1}\r\n\r\n{\"a\":2}\r\n", p).unwrap();
        assert_eq!(lines.len(), 2);
        let e = parse_documents("{\"a\":1}\n{oops\n", p).unwrap_err();
        assert!(e.to_string().starts_with("x.json:2:"), "{e}");
        assert!(parse_documents("   ", p).is_err());
    }

    #[test]
    fn selectors_reach_into_arrays() {
        let doc = json!({"components": [
            {"name": "a", "licenses": [{"id": "MIT"}]},
            {"name": "b"},
            {"name": "c", "licenses": []}
        ], "meta": {"n": 3}});
        let values = |s: &str| Selector::parse(s).unwrap().values(&doc).len();
        assert_eq!(values("$.components[*]"), 3);
        assert_eq!(values("$.components[*].name"), 3);
        assert_eq!(values("$.components[*].licenses"), 2);
        assert_eq!(values("$.components[?!@.licenses]"), 1);
        assert_eq!(values("meta.n"), 1);
        assert_eq!(values("components"), 1, "a dotted path is one value");
        let e = Selector::parse("$.components[").unwrap_err();
        assert!(e.contains("$.components["), "{e}");
    }

    #[test]
    fn array_or_object() {
        assert_eq!(one_or_many(json!([1, 2])).len(), 2);
        assert_eq!(one_or_many(json!({"a": 1})).len(), 1);
    }

    #[test]
    fn string_lists_accept_scalars() {
        assert_eq!(str_list(Some(&json!("PlanG"))), vec!["PlanG"]);
        assert_eq!(str_list(Some(&json!(["a", 1, null]))), vec!["a", "1"]);
        assert!(str_list(None).is_empty());
    }
}
