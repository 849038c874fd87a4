//! No import cycles between the library's modules (issue 14). Run it alone
//! with `cargo test -p tollgate --test module_cycles`.
//!
//! Every `.rs` file under `src/` is a module. A module depends on another
//! when its non-test code names it by a `crate::` or `super::` path
//! (`use` lines and inline paths alike; comments do not count), and a parent
//! depends on the children it declares. A child naming its own ancestors is
//! not counted (it may use its parent's items). The graph must be acyclic; a
//! cycle is printed with the path that makes each edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

/// Module path (`read::flat`, `""` for the crate root) -> source file.
fn modules(src: &Path) -> BTreeMap<String, std::path::PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(src).unwrap().with_extension("");
                let mut parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
                    parts.pop();
                }
                out.insert(parts.join("::"), p);
            }
        }
    }
    out
}

/// The non-test code of a file, without comment lines.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ancestor(a: &str, b: &str) -> bool {
    a.is_empty() || b.starts_with(&format!("{a}::"))
}

/// Each module's dependencies, with the path that makes each one.
fn graph(src: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mods = modules(src);
    let resolve = |parts: &[&str]| -> Option<String> {
        (1..=parts.len())
            .rev()
            .map(|i| parts[..i].join("::"))
            .find(|c| mods.contains_key(c))
    };
    let inline = Regex::new(r"\b(crate|super)::((?:\w+::)*\w+)").unwrap();
    let grouped = Regex::new(r"use (crate|super)::((?:\w+::)*)\{([^;]*)\};").unwrap();
    let mut out = BTreeMap::new();
    for (m, file) in &mods {
        let text = code(file);
        let parent: Vec<&str> = match m.rsplit_once("::") {
            Some((p, _)) => p.split("::").collect(),
            None => Vec::new(),
        };
        let base = |root: &str| -> Vec<&str> {
            if root == "crate" {
                Vec::new()
            } else {
                parent.clone()
            }
        };
        let mut deps = BTreeMap::new();
        let mut add = |target: Option<String>, why: &str| {
            if let Some(t) = target {
                if &t != m && !is_ancestor(&t, m) {
                    deps.entry(t).or_insert_with(|| why.to_string());
                }
            }
        };
        for c in inline.captures_iter(&text) {
            let mut parts = base(&c[1]);
            parts.extend(c[2].split("::"));
            add(resolve(&parts), &c[0]);
        }
        for c in grouped.captures_iter(&text) {
            let prefix: Vec<&str> = c[2].split("::").filter(|s| !s.is_empty()).collect();
            for item in c[3].split(',') {
                let item = item.split('{').next().unwrap_or("").trim();
                let mut parts = base(&c[1]);
                parts.extend(&prefix);
                parts.extend(item.split("::").filter(|s| !s.is_empty() && *s != "self"));
                add(resolve(&parts), c[0].lines().next().unwrap_or(""));
            }
        }
        out.insert(m.clone(), deps);
    }
    for m in mods.keys() {
        if let Some((p, _)) = m.rsplit_once("::") {
            out.get_mut(p)
                .map(|d| d.insert(m.clone(), "declares".to_string()));
        }
    }
    out
}

/// The first cycle found, as (module, why) steps.
fn cycle(g: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<(String, String)>> {
    fn visit(
        g: &BTreeMap<String, BTreeMap<String, String>>,
        m: &str,
        path: &mut Vec<(String, String)>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<(String, String)>> {
        if let Some(i) = path.iter().position(|(p, _)| p == m) {
            return Some(path[i..].to_vec());
        }
        if done.contains(m) {
            return None;
        }
        for (dep, why) in g.get(m).into_iter().flatten() {
            path.push((m.to_string(), format!("{why} -> {dep}")));
            if let Some(c) = visit(g, dep, path, done) {
                return Some(c);
            }
            path.pop();
        }
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|m| visit(g, m, &mut Vec::new(), &mut done))
}

#[test]
fn library_modules_import_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let g = graph(&src);
    assert!(g.len() > 50, "found only {} modules", g.len());
    assert!(
        g["readiness"].contains_key("gates"),
        "the scanner sees crate:: paths"
    );
    assert!(
        g["read::flat"].contains_key("read::event"),
        "the scanner sees super:: paths"
    );
    if let Some(c) = cycle(&g) {
        let steps: Vec<String> = c.iter().map(|(m, why)| format!("  {m}: {why}")).collect();
        panic!("import cycle:\n{}", steps.join("\n"));
    }
}

#[test]
fn the_scanner_finds_a_cycle_when_there_is_one() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path();
    std::fs::create_dir(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "pub mod x;\n// crate::b in a comment\n",
    )
    .unwrap();
    std::fs::write(src.join("a/x.rs"), "use crate::b::{self, Thing};\n").unwrap();
    std::fs::write(src.join("b.rs"), "fn f() { crate::a::x::go() }\n").unwrap();
    let c = cycle(&graph(src)).expect("a::x -> b -> a::x");
    let mods: Vec<&str> = c.iter().map(|(m, _)| m.as_str()).collect();
    assert!(mods.contains(&"a::x") && mods.contains(&"b"), "{c:?}");
    std::fs::write(
        src.join("b.rs"),
        "#[cfg(test)]\nfn f() { crate::a::x::go() }\n",
    )
    .unwrap();
    assert!(cycle(&graph(src)).is_none(), "test code does not count");
}
