//! SARIF 2.1.0 static-analysis logs, several runs and tools in one file.
//! Each result's effective level follows the spec (§3.27.10): its own
//! `level`, else `none` for a `kind` other than `fail`, else its rule's
//! `defaultConfiguration.level`, else `warning`. A result is suppressed when
//! it carries a suppression whose `status` is absent or `accepted`.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// 0-based index of its run.
    pub run: usize,
    /// The run's tool (driver name).
    pub tool: String,
    pub rule_id: String,
    /// `error`, `warning`, `note` or `none`, as the spec resolves it.
    pub level: String,
    /// `new`, `unchanged`, `updated`, `absent`, or empty when not given.
    pub baseline_state: String,
    pub suppressed: bool,
    /// The first location's artifact URI, when there is one.
    pub uri: String,
    pub message: String,
}

/// A whole log.
#[derive(Debug, Clone, Serialize)]
pub struct Log {
    pub runs: usize,
    pub results: Vec<Finding>,
}

/// Read the log at `path`.
pub fn read(path: &Path) -> Result<Log> {
    parse(&super::text::read_to_string(path)?, path)
}

/// Parse a log's text; a `version` other than 2.1.0 or a log without a
/// `runs` array is an error naming the key and its line. The log is read
/// into typed structs borrowing from `text`, so a large log allocates little
/// beyond its results; a value of an unexpected JSON type is skipped as
/// absent, as the spec's readers do.
pub fn parse(text: &str, path: &Path) -> Result<Log> {
    // The line of a top-level key: its first occurrence in the text.
    let line_of = |key: &str| {
        text.find(&format!("\"{key}\""))
            .map(|i| text[..i].matches('\n').count() + 1)
    };
    let bad = |key: &str, why: String| Error::parse(path, line_of(key), format!("{key}: {why}"));
    let log: raw::Log = serde_json::from_str(text)
        .map_err(|e| Error::parse(path, (e.line() > 0).then_some(e.line()), e.to_string()))?;
    match log.version.get() {
        Some("2.1.0") => {}
        Some(other) => {
            return Err(bad(
                "version",
                format!("SARIF version '{other}' is not supported; tollgate reads 2.1.0"),
            ))
        }
        None => return Err(bad("version", "missing: not a SARIF log".into())),
    }
    let runs = log
        .runs
        .items()
        .ok_or_else(|| bad("runs", "missing or not an array".into()))?;
    let mut results = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let run = run.get();
        let driver = run.tool.get().driver.get();
        let tool = driver.name.get().unwrap_or_default();
        let rules: Vec<&raw::Rule> = driver.rules.iter().map(raw::Obj::get).collect();
        let by_id: std::collections::HashMap<&str, &raw::Rule> = rules
            .iter()
            .rev()
            .filter_map(|r| Some((r.id.get()?, *r)))
            .collect();
        // An element of `results` that is no object is no result.
        for r in run
            .results
            .iter()
            .filter(|r| r.is_object())
            .map(raw::Obj::get)
        {
            let rule_ref = r.rule.get();
            let rule_id = r.rule_id.get().or(rule_ref.id.get()).unwrap_or_default();
            let rule = r
                .rule_index
                .get()
                .or(rule_ref.index.get())
                .and_then(|n| rules.get(n as usize).copied())
                .or_else(|| by_id.get(rule_id).copied());
            let level = match r.level.get() {
                Some(l) => l,
                None if r.kind.get().is_some_and(|k| k != "fail") => "none",
                None => rule
                    .and_then(|x| x.default_configuration.get().level.get())
                    .unwrap_or("warning"),
            };
            let suppressed = r
                .suppressions
                .iter()
                .any(|x| x.get().status.get().is_none_or(|st| st == "accepted"));
            let uri = r.locations.iter().next().and_then(|l| {
                l.get()
                    .physical_location
                    .get()
                    .artifact_location
                    .get()
                    .uri
                    .get()
            });
            results.push(Finding {
                run: i,
                tool: tool.to_string(),
                rule_id: rule_id.to_string(),
                level: level.to_string(),
                baseline_state: r.baseline_state.get().unwrap_or_default().to_string(),
                suppressed,
                uri: uri.unwrap_or_default().to_string(),
                message: r.message.get().text.get().unwrap_or_default().to_string(),
            });
        }
    }
    Ok(Log {
        runs: runs.len(),
        results,
    })
}

/// The parts of a SARIF log tollgate reads, each tolerant of a value of
/// another JSON type (skipped, read as absent) and of unknown keys.
mod raw {
    use std::borrow::Cow;
    use std::fmt;
    use std::marker::PhantomData;

    use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;

    /// A string, if the value is one.
    #[derive(Default)]
    pub struct Str<'a>(Option<Cow<'a, str>>);
    /// A non-negative integer, if the value is one.
    #[derive(Default)]
    pub struct Index(Option<u64>);
    /// An object read as `T`, if the value is an object (else `T`'s
    /// default, and not [`Obj::is_object`]).
    #[derive(Default)]
    pub struct Obj<T>(T, bool);
    /// An array's elements, if the value is an array (else none, and not
    /// [`List::items`]).
    pub struct List<T>(Option<Vec<T>>);

    impl Str<'_> {
        pub fn get(&self) -> Option<&str> {
            self.0.as_deref()
        }
    }

    impl Index {
        pub fn get(&self) -> Option<u64> {
            self.0
        }
    }

    impl<T> Obj<T> {
        /// The object, or an empty one.
        pub fn get(&self) -> &T {
            &self.0
        }

        /// Whether the value was an object.
        pub fn is_object(&self) -> bool {
            self.1
        }
    }

    impl<T> Default for List<T> {
        fn default() -> Self {
            List(None)
        }
    }

    impl<T> List<T> {
        /// The elements, if the value was an array.
        pub fn items(&self) -> Option<&[T]> {
            self.0.as_deref()
        }

        /// The elements; none if the value was no array.
        pub fn iter(&self) -> std::slice::Iter<'_, T> {
            self.items().unwrap_or_default().iter()
        }
    }

    /// What a value of an unexpected type is read as: skipped, `None`.
    macro_rules! skip_others {
        () => {
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
        };
    }

    /// Drain a map or sequence the caller does not want.
    macro_rules! skip_containers {
        () => {
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Default::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Default::default())
            }
        };
    }

    macro_rules! skip_scalars {
        () => {
            skip_others!();
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Default::default())
            }
        };
    }

    impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Str<'a>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any value")
                }
                fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
                    Ok(Str(Some(Cow::Borrowed(v))))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'a>, E> {
                    Ok(Str(Some(Cow::Owned(v.to_string()))))
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<Str<'a>, E> {
                    Ok(Str(None))
                }
                skip_others!();
                skip_containers!();
            }
            d.deserialize_any(V(PhantomData))
        }
    }

    impl<'de> Deserialize<'de> for Index {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Index;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any value")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Index, E> {
                    Ok(Index(Some(v)))
                }
                fn visit_str<E: de::Error>(self, _: &str) -> Result<Index, E> {
                    Ok(Index(None))
                }
                skip_others!();
                skip_containers!();
            }
            d.deserialize_any(V)
        }
    }

    impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Obj<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<T>(PhantomData<T>);
            impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
                type Value = Obj<T>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any value")
                }
                fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Obj<T>, A::Error> {
                    T::deserialize(MapAccessDeserializer::new(m)).map(|t| Obj(t, true))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Obj<T>, A::Error> {
                    while s.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Obj::default())
                }
                skip_scalars!();
            }
            d.deserialize_any(V(PhantomData))
        }
    }

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<T>(PhantomData<T>);
            impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
                type Value = List<T>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any value")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<List<T>, A::Error> {
                    Vec::<T>::deserialize(SeqAccessDeserializer::new(s)).map(|v| List(Some(v)))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<List<T>, A::Error> {
                    while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(List(None))
                }
                skip_scalars!();
            }
            d.deserialize_any(V(PhantomData))
        }
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Log<'a> {
        #[serde(borrow)]
        pub version: Str<'a>,
        #[serde(borrow)]
        pub runs: List<Obj<Run<'a>>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Run<'a> {
        #[serde(borrow)]
        pub tool: Obj<Tool<'a>>,
        #[serde(borrow)]
        pub results: List<Obj<Res<'a>>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Tool<'a> {
        #[serde(borrow)]
        pub driver: Obj<Driver<'a>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Driver<'a> {
        #[serde(borrow)]
        pub name: Str<'a>,
        #[serde(borrow)]
        pub rules: List<Obj<Rule<'a>>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Rule<'a> {
        #[serde(borrow)]
        pub id: Str<'a>,
        #[serde(borrow, rename = "defaultConfiguration")]
        pub default_configuration: Obj<Config<'a>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Config<'a> {
        #[serde(borrow)]
        pub level: Str<'a>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct RuleRef<'a> {
        #[serde(borrow)]
        pub id: Str<'a>,
        pub index: Index,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Res<'a> {
        #[serde(borrow, rename = "ruleId")]
        pub rule_id: Str<'a>,
        #[serde(rename = "ruleIndex")]
        pub rule_index: Index,
        #[serde(borrow)]
        pub rule: Obj<RuleRef<'a>>,
        #[serde(borrow)]
        pub level: Str<'a>,
        #[serde(borrow)]
        pub kind: Str<'a>,
        #[serde(borrow)]
        pub suppressions: List<Obj<Suppression<'a>>>,
        #[serde(borrow, rename = "baselineState")]
        pub baseline_state: Str<'a>,
        #[serde(borrow)]
        pub locations: List<Obj<Location<'a>>>,
        #[serde(borrow)]
        pub message: Obj<Message<'a>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Suppression<'a> {
        #[serde(borrow)]
        pub status: Str<'a>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Location<'a> {
        #[serde(borrow, rename = "physicalLocation")]
        pub physical_location: Obj<Physical<'a>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Physical<'a> {
        #[serde(borrow, rename = "artifactLocation")]
        pub artifact_location: Obj<Artifact<'a>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Artifact<'a> {
        #[serde(borrow)]
        pub uri: Str<'a>,
    }

    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub struct Message<'a> {
        #[serde(borrow)]
        pub text: Str<'a>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn levels_resolve_as_the_spec_says_and_suppressions_count_unless_rejected() {
        let log = json!({ "version": "2.1.0", "runs": [
            { "tool": { "driver": { "name": "lint", "rules": [
                { "id": "R1", "defaultConfiguration": { "level": "error" } }, { "id": "R2" } ] } },
              "results": [
                { "ruleId": "R1", "message": { "text": "a" } },
                { "ruleIndex": 1, "ruleId": "R2" },
                { "ruleId": "R9", "level": "note", "suppressions": [ { "kind": "inSource" } ] },
                { "ruleId": "R1", "kind": "pass" },
                { "ruleId": "R1", "suppressions": [ { "kind": "external", "status": "rejected" } ] },
              ] },
            { "tool": { "driver": { "name": "scan" } }, "results": [ { "ruleId": "X", "baselineState": "new" } ] },
        ]});
        let l = parse(&log.to_string(), Path::new("a.sarif")).unwrap();
        assert_eq!(l.runs, 2);
        let got: Vec<_> = l
            .results
            .iter()
            .map(|r| (r.level.as_str(), r.suppressed, r.baseline_state.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("error", false, ""),
                ("warning", false, ""),
                ("note", true, ""),
                ("none", false, ""),
                ("error", false, ""),
                ("warning", false, "new"),
            ]
        );
        let old = "{\n  \"$schema\": \"x\",\n  \"version\": \"1.0\",\n  \"runs\": []\n}\n";
        let e = parse(old, Path::new("old.sarif")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("old.sarif:3: version: SARIF version '1.0'"),
            "{e}"
        );
        assert!(parse(r#"{"version": "2.1.0"}"#, Path::new("x")).is_err());
        assert!(parse(r#"{"version": "2.1.0", "runs": {}}"#, Path::new("x")).is_err());
        // Values of another type are read as absent, never an error.
        let odd = r#"{"version": "2.1.0", "runs": [7, {"tool": "x", "results": [1, {"ruleId": 5, "level": ["e"], "locations": {}, "message": {"text": "t\u00e9"}}]}]}"#;
        let l = parse(odd, Path::new("odd.sarif")).unwrap();
        assert_eq!((l.runs, l.results.len()), (2, 1));
        let r = &l.results[0];
        assert_eq!(
            (r.rule_id.as_str(), r.level.as_str(), r.message.as_str()),
            ("", "warning", "t\u{e9}")
        );
    }
}
