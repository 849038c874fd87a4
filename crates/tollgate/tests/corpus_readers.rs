//! Every file in the corpus goes through the reader that matches its name,
//! and none panics. Skipped with a notice when the corpus is absent.

use std::path::{Path, PathBuf};

use tollgate::read::{
    analyzer, content, json, manifest, queue_delay, readme, shared_cache, summary, telemetry, text,
    warm_run,
};

fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("TOLLGATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if p.is_dir() {
        Some(p)
    } else {
        // Written past the test harness's capture, so the skip is visible.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: corpus not found at {}; conformance test skipped",
            p.display()
        );
        None
    }
}

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn no_reader_panics_on_any_corpus_file() {
    let docs = tollgate::policy::Policy::builtin("statetrace")
        .unwrap()
        .docs
        .unwrap();
    let id = docs.id_regex();
    let Some(root) = corpus() else { return };
    let all = files(&root);
    assert!(all.len() > 100);
    let markers = vec!["Sample".to_string()];
    let (mut manifests, mut summaries) = (0, 0);
    for p in &all {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let _ = content::inspect(p, &markers);
        if name == "TelemetryBundle.json" {
            manifest::read(p).unwrap_or_else(|e| panic!("{e}"));
            manifests += 1;
        } else if name.starts_with("VerificationSummary") && name.ends_with(".json") {
            let _ = summary::read(p);
            summaries += 1;
        } else if name.ends_with(".json") {
            if let Ok(t) = text::read_to_string(p) {
                let _ = json::parse_documents(&t, p);
            }
            // Every JSON file through every JSON reader: none may panic.
            let mut events = 0u64;
            let scan = telemetry::scan(p, |_, _| events += 1).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(scan.events, events);
            let _ = (
                warm_run::read(p),
                shared_cache::read(p),
                queue_delay::read(p),
                analyzer::read(p),
            );
        } else if name.ends_with(".md") {
            if let Ok(t) = text::read_to_string(p) {
                let _ = readme::parse(&t);
                let _ = tollgate::read::mdtable::tables(&t);
                let _ = tollgate::read::checklist::items(&t);
                let _ = tollgate::read::rc_summary::parse(&t);
                let _ = tollgate::governance::risk::register(&t);
                use tollgate::governance::{citations, narrative, roadmap};
                let _ = narrative::parse(&t, &docs.narrative_columns, &id);
                let _ = roadmap::parse_roadmap(&t, &id);
                let _ = roadmap::table_ids(&t, &id);
                let _ = roadmap::parse_index(&t);
                let _ = citations::evidence_paths(&t, &["Logs".to_string()]);
                let _ = citations::readme_hashes(&t);
            }
        } else if name.ends_with(".csv") {
            if let Ok(t) = text::read_to_string(p) {
                let _ = tollgate::read::csv::parse(&t, None);
            }
        }
    }
    assert!(
        manifests >= 6 && summaries >= 5,
        "{manifests} manifests, {summaries} summaries"
    );
}

#[test]
fn corpus_telemetry_days_scan_cleanly_and_snapshots_are_recognised() {
    let Some(root) = corpus() else { return };
    let dir = root.join("statetrace/Logs/IngestionMetrics");
    let day = telemetry::scan(&dir.join("2025-12-10.json"), |_, _| {}).unwrap();
    assert_eq!(
        (day.events, day.malformed, day.not_json_lines),
        (4317, 0, false)
    );
    let snapshot = telemetry::scan(&dir.join("20251219.json"), |_, _| {}).unwrap();
    assert!(snapshot.not_json_lines && snapshot.events == 0);
}

#[test]
fn corpus_bundle_summaries_read_as_arrays_or_objects() {
    let Some(root) = corpus() else { return };
    let s =
        root.join("statetrace/Logs/TelemetryBundles/Release-2025-12-23/VerificationSummary.json");
    let areas = summary::read(&s).unwrap();
    assert_eq!(areas.len(), 2);
    assert_eq!(areas[0].readme_hash.len(), 64);
}

#[test]
fn corpus_task_board_and_csv_read_in_full() {
    use tollgate::read::{csv, mdtable};
    let Some(root) = corpus() else { return };
    let docs = root.join("statetrace/docs");
    let board = text::read_to_string(&docs.join("StateTrace_TaskBoard.md")).unwrap();
    let t = mdtable::table_under(&board, "Current board snapshot").unwrap();
    assert_eq!(
        t.rows.len(),
        108,
        "all rows, not the 12 before the blank line"
    );
    assert!(
        t.problems
            .iter()
            .any(|(line, m)| *line == 28 && m.contains("blank line splits")),
        "{:?}",
        t.problems
    );
    let id = t.column(&["ID", "Task ID"]).unwrap();
    let board_ids: std::collections::HashSet<String> =
        t.rows.iter().filter_map(|r| r.cell(id)).collect();

    let re = regex::Regex::new(r"ST-[A-Z]{1,2}-\d{3}").unwrap();
    let c = csv::parse(
        &text::read_to_string(&docs.join("taskboard/TaskBoard.csv")).unwrap(),
        Some(&re),
    );
    assert_eq!(c.header.len(), 7);
    assert!(
        c.problems
            .iter()
            .any(|(l, m)| *l == 163 && m.contains("glued")),
        "{:?}",
        c.problems
    );
    assert!(
        c.problems
            .iter()
            .any(|(l, m)| *l == 164 && m.contains("6 fields")),
        "{:?}",
        c.problems
    );
    assert!(c
        .problems
        .iter()
        .any(|(_, m)| m.contains("inconsistent line endings")));
    let csv_ids: std::collections::BTreeSet<String> = c
        .records
        .iter()
        .chain(&c.malformed)
        .map(|r| r.fields[0].trim().to_string())
        .collect();
    let missing: Vec<&String> = csv_ids.iter().filter(|i| !board_ids.contains(*i)).collect();
    eprintln!(
        "{} CSV IDs, {} board IDs, {} CSV IDs missing from the board",
        csv_ids.len(),
        board_ids.len(),
        missing.len()
    );
    assert!((50..=60).contains(&missing.len()), "{}", missing.len());
}

#[test]
fn flat_fast_path_agrees_with_serde_on_every_corpus_line() {
    use tollgate::read::{flat, telemetry::Event};
    let Some(root) = corpus() else { return };
    let dir = root.join("statetrace/Logs/IngestionMetrics");
    let (mut fast, mut all) = (0usize, 0usize);
    for day in [
        "2025-12-06.json",
        "2025-12-10.json",
        "2025-12-19.json",
        "2026-01-03.json",
    ] {
        let bytes = std::fs::read(dir.join(day)).unwrap();
        for line in bytes
            .split(|b| *b == b'\n')
            .map(|l| text::strip_bom(l).trim_ascii())
            .filter(|l| !l.is_empty())
        {
            all += 1;
            if let Some(ev) = flat::parse(line) {
                fast += 1;
                let slow: Event = serde_json::from_slice(line).unwrap_or_else(|e| {
                    panic!("{day}: fast path accepted what serde rejects: {e}")
                });
                assert_eq!(ev, slow, "{day}: {}", String::from_utf8_lossy(line));
                // The gate's field lookup agrees with serde's value for every key.
                let obj: serde_json::Value = serde_json::from_slice(line).unwrap();
                let keys: Vec<&str> = obj
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                let mut values = vec![None; keys.len()];
                let mut again = Event::default();
                flat::parse_into(line, &keys, &mut values, &mut again).expect("flat line");
                assert_eq!(again, ev);
                for (k, v) in keys.iter().zip(values) {
                    let slow = obj.get(*k).map(telemetry::Scalar::from_value);
                    assert_eq!(
                        v.as_ref().map(telemetry::Scalar::number),
                        slow.as_ref().map(telemetry::Scalar::number),
                        "{day}: {k}"
                    );
                    if !matches!(v, Some(telemetry::Scalar::Number(_))) {
                        assert_eq!(v, slow, "{day}: {k}");
                    }
                }
            }
        }
    }
    eprintln!("{fast} of {all} corpus lines take the flat fast path");
    assert!(fast * 2 > all);
}

/// Lines of the table rows (header included) a strict CommonMark (GFM
/// tables) parser reads.
fn commonmark_rows(doc: &str) -> Vec<usize> {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let line = |at: usize| doc[..at].matches('\n').count() + 1;
    Parser::new_ext(doc, Options::ENABLE_TABLES)
        .into_offset_iter()
        .filter(|(e, _)| matches!(e, Event::Start(Tag::TableHead | Tag::TableRow)))
        .map(|(_, r)| line(r.start))
        .collect()
}

#[test]
fn corpus_tables_lose_no_row_a_strict_parser_keeps_or_drops() {
    use tollgate::read::{markdown::Outline, mdtable};
    let Some(root) = corpus() else { return };
    let (mut our_rows, mut code_lines) = (0, 0);
    for p in files(&root)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
    {
        let Ok(doc) = text::read_to_string(p) else {
            continue;
        };
        let outline = Outline::parse(&doc);
        let mut ours = std::collections::HashSet::new();
        for t in mdtable::tables(&doc) {
            ours.insert(t.header_line);
            if !t.headers.is_empty() {
                ours.insert(t.header_line + 1);
            }
            ours.extend(t.rows.iter().map(|r| r.line));
            our_rows += t.rows.len();
        }
        let strict = commonmark_rows(&doc);
        for l in &strict {
            assert!(
                ours.contains(l),
                "{}:{l}: a CommonMark row we lost",
                p.display()
            );
        }
        for (n, line) in text::numbered_lines(&doc) {
            if !line.trim_start().starts_with('|') {
                continue;
            }
            if outline.is_code(n) {
                code_lines += 1;
            } else {
                assert!(ours.contains(&n), "{}:{n}: a row we lost", p.display());
            }
        }
    }
    // Fenced ASCII mock-ups in the plans are not tables.
    assert!(code_lines > 300, "{code_lines}");
    assert!(our_rows > 700, "{our_rows}");

    let board =
        text::read_to_string(&root.join("statetrace/docs/StateTrace_TaskBoard.md")).unwrap();
    let snapshot = mdtable::table_under(&board, "Current board snapshot").unwrap();
    let last = snapshot.rows.last().unwrap().line;
    let strict = commonmark_rows(&board)
        .into_iter()
        .filter(|l| (snapshot.header_line + 1..=last).contains(l))
        .count();
    // CommonMark ends the table at the first landmark comment.
    assert_eq!((strict, snapshot.rows.len()), (3, 108));
}

/// The corpus's `formats` folder and the text of its README, which holds
/// the counts the readers must reproduce.
fn formats() -> Option<(PathBuf, String)> {
    let formats = corpus()?.join("formats");
    let readme = std::fs::read_to_string(formats.join("README.md")).unwrap();
    Some((formats, readme))
}

/// The rows of the corpus README's table under `heading`, as cells.
fn table_after(readme: &str, heading: &str) -> Vec<Vec<String>> {
    let section = readme.split(heading).nth(1).expect("the section");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn junit_counts_match_the_corpus_readme() {
    use tollgate::read::junit::{self, Outcome};
    let Some((formats, readme)) = formats() else {
        return;
    };
    let rows = table_after(&readme, "### JUnit XML");
    assert_eq!(rows.len(), 8, "{rows:?}");
    for row in rows {
        let r = junit::read(&formats.join("junit").join(&row[0]))
            .unwrap_or_else(|e| panic!("{}: {e}", row[0]));
        let got = [
            r.root.clone(),
            r.suites.to_string(),
            r.cases.len().to_string(),
            r.count(Outcome::Failed).to_string(),
            r.count(Outcome::Errored).to_string(),
            r.count(Outcome::Skipped).to_string(),
            r.count(Outcome::Passed).to_string(),
        ];
        assert_eq!(got.as_slice(), &row[1..8], "{}", row[0]);
    }
}

/// "warning 27, error 2" (or "-") as sorted (word, count) pairs.
fn tally_cell(cell: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = cell
        .split(',')
        .filter_map(|p| {
            let (w, n) = p.trim().rsplit_once(' ')?;
            Some((w.to_string(), n.parse().ok()?))
        })
        .collect();
    out.sort();
    out
}

fn tally<'a>(words: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut m = std::collections::BTreeMap::new();
    for w in words.filter(|w| !w.is_empty()) {
        *m.entry(w.to_string()).or_insert(0) += 1;
    }
    m.into_iter().collect()
}

#[test]
fn sarif_counts_match_the_corpus_readme() {
    use tollgate::read::sarif;
    let Some((formats, readme)) = formats() else {
        return;
    };
    let rows = table_after(&readme, "### SARIF 2.1.0");
    assert_eq!(rows.len(), 8, "{rows:?}");
    for row in rows {
        let log = sarif::read(&formats.join("sarif").join(&row[0]))
            .unwrap_or_else(|e| panic!("{}: {e}", row[0]));
        assert_eq!(log.runs.to_string(), row[1], "{}", row[0]);
        let total = row[2].split_whitespace().next().unwrap();
        assert_eq!(log.results.len().to_string(), total, "{}", row[0]);
        assert_eq!(
            tally(log.results.iter().map(|r| r.level.as_str())),
            tally_cell(&row[4]),
            "{}",
            row[0]
        );
        assert_eq!(
            tally(log.results.iter().map(|r| r.baseline_state.as_str())),
            tally_cell(&row[5]),
            "{}",
            row[0]
        );
        let suppressed = log.results.iter().filter(|r| r.suppressed).count();
        assert_eq!(suppressed.to_string(), row[7], "{}", row[0]);
    }
}

#[test]
fn coverage_counts_match_the_corpus_readme() {
    use tollgate::read::coverage;
    let Some((formats, readme)) = formats() else {
        return;
    };
    let totals = |dir: &str, name: &str| {
        let c =
            coverage::read(&formats.join(dir).join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        (c.files.len(), c.total())
    };
    let rows = table_after(&readme, "### Cobertura XML");
    assert_eq!(rows.len(), 5);
    for row in rows {
        let (files, t) = totals("cobertura", &row[0]);
        let got = [
            files.to_string(),
            t.lines_valid.to_string(),
            t.lines_covered.to_string(),
            format!("{} / {}", t.branches_valid, t.branches_covered),
        ];
        assert_eq!(got.as_slice(), &row[4..8], "{}", row[0]);
    }
    let rows = table_after(&readme, "### LCOV");
    assert_eq!(rows.len(), 3);
    for row in rows {
        let (files, t) = totals("lcov", &row[0]);
        let got = [
            files.to_string(),
            t.lines_valid.to_string(),
            t.lines_covered.to_string(),
        ];
        assert_eq!(
            got,
            [row[1].clone(), row[4].clone(), row[5].clone()],
            "{}",
            row[0]
        );
        assert_eq!(
            format!("{} / {}", t.branches_valid, t.branches_covered),
            row[11],
            "{}",
            row[0]
        );
    }
    let rows = table_after(&readme, "### JaCoCo XML");
    for row in rows {
        let (files, t) = totals("jacoco", &row[0]);
        assert_eq!(files.to_string(), row[6], "{}", row[0]);
        let lines = format!(
            "missed={} covered={}",
            t.lines_valid - t.lines_covered,
            t.lines_covered
        );
        let branches = format!(
            "missed={} covered={}",
            t.branches_valid - t.branches_covered,
            t.branches_covered
        );
        assert_eq!(
            [lines, branches],
            [row[8].clone(), row[9].clone()],
            "{}",
            row[0]
        );
    }
}

#[test]
fn sbom_component_counts_match_the_corpus_readme() {
    use tollgate::read::sbom;
    let Some((formats, readme)) = formats() else {
        return;
    };
    let rows = table_after(&readme, "### CycloneDX");
    assert_eq!(rows.len(), 6);
    for row in rows {
        let s = sbom::read(&formats.join("cyclonedx").join(&row[0]))
            .unwrap_or_else(|e| panic!("{}: {e}", row[0]));
        assert_eq!(s.format, format!("CycloneDX {}", row[2]), "{}", row[0]);
        let total = row[6].rsplit('/').next().unwrap().trim();
        assert_eq!(s.components.len().to_string(), total, "{}", row[0]);
    }
    let rows = table_after(&readme, "### SPDX JSON");
    assert_eq!(rows.len(), 3);
    for row in rows {
        let s = sbom::read(&formats.join("spdx").join(&row[0]))
            .unwrap_or_else(|e| panic!("{}: {e}", row[0]));
        assert_eq!(
            (s.format.as_str(), s.components.len().to_string()),
            (row[1].as_str(), row[3].clone()),
            "{}",
            row[0]
        );
    }
}
