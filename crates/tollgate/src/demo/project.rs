//! An ordinary project's CI evidence for the generic demo: sharded JUnit
//! reports, a Cobertura coverage report, a SARIF log from a linter, a
//! CycloneDX SBOM and a CHANGELOG, as real producers write them. Values are
//! seeded; what a release seeds (a failing test, its line coverage) is
//! given by [`Build`].

use std::fmt::Write as _;

use rand::Rng;

use super::generate::Gen;
use crate::error::Result;

/// What one release's CI run produced.
pub struct Build<'a> {
    pub version: &'a str,
    /// The release date, YYYY-MM-DD.
    pub date: String,
    /// The integration test that fails in this build, if any.
    pub failing_test: Option<&'a str>,
    /// Line coverage in percent, to one decimal.
    pub line_coverage: f64,
    /// The CHANGELOG entries, newest first: (version, date, changes).
    pub changelog: &'a [(&'a str, &'a str, &'a [&'a str])],
}

/// The source files the coverage report covers, and the tests per module.
const MODULES: [(&str, &[&str]); 5] = [
    (
        "parser",
        &[
            "reads_empty_input",
            "reads_nested_tables",
            "reports_line_of_error",
        ],
    ),
    (
        "config",
        &["defaults_apply", "unknown_key_is_an_error", "env_overrides"],
    ),
    (
        "store",
        &[
            "appends_are_atomic",
            "reopens_after_crash",
            "compacts_old_segments",
        ],
    ),
    ("http", &["serves_health", "rejects_oversized_bodies"]),
    (
        "cli",
        &[
            "prints_usage",
            "exit_code_on_bad_input",
            "completions_generate",
        ],
    ),
];

/// The integration tests (the surefire-style shard).
pub const INTEGRATION: [&str; 4] = [
    "round_trip_through_the_store",
    "upgrade_from_previous_format",
    "publishes_over_a_slow_registry",
    "survives_a_restart",
];

/// Write every report of `b` under `g`'s root.
pub fn write(g: &mut Gen, b: &Build) -> Result<()> {
    junit_unit(g)?;
    junit_integration(g, b)?;
    cobertura(g, b)?;
    sarif(g)?;
    sbom(g, b)?;
    changelog(g, b)
}

/// The unit tests, jest-junit / pytest style: a `<testsuites>` root.
fn junit_unit(g: &mut Gen) -> Result<()> {
    let mut suites = String::new();
    let mut total = (0, 0.0);
    for (module, tests) in MODULES {
        let mut cases = String::new();
        let mut time = 0.0;
        for t in tests {
            let secs = (g.rng.gen_range(0.001..0.2f64) * 1000.0).round() / 1000.0;
            time += secs;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{module}::tests\" name=\"{t}\" time=\"{secs}\"/>"
            );
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"{module}\" tests=\"{}\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">\n{cases}  </testsuite>\n",
            tests.len()
        );
        total.0 += tests.len();
        total.1 += time;
    }
    g.write(
        "reports/junit/junit-unit.xml",
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"unit\" tests=\"{}\" failures=\"0\" errors=\"0\" time=\"{:.3}\">\n{suites}</testsuites>\n",
            total.0, total.1
        ),
    )
}

/// The integration tests, surefire style: a bare `<testsuite>` root, with
/// the seeded failure.
fn junit_integration(g: &mut Gen, b: &Build) -> Result<()> {
    let mut cases = String::new();
    let mut failures = 0;
    for t in INTEGRATION {
        let secs = (g.rng.gen_range(0.5..4.0f64) * 1000.0).round() / 1000.0;
        if b.failing_test == Some(t) {
            failures += 1;
            let _ = write!(
                cases,
                "  <testcase classname=\"integration.release\" name=\"{t}\" time=\"{secs}\">\n    <failure message=\"registry push timed out after 3s\" type=\"AssertionError\">assertion failed: push completed within 3s\n  at tests/integration/release.rs:88</failure>\n  </testcase>\n"
            );
        } else {
            let _ = writeln!(
                cases,
                "  <testcase classname=\"integration.release\" name=\"{t}\" time=\"{secs}\"/>"
            );
        }
    }
    g.write(
        "reports/junit/TEST-integration.xml",
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"integration.release\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" timestamp=\"{}T10:00:00\">\n{cases}</testsuite>\n",
            INTEGRATION.len(),
            b.date
        ),
    )
}

/// Cobertura XML: 100 lines per module, `line_coverage` percent of all of
/// them hit (the declared rates agree with the lines).
fn cobertura(g: &mut Gen, b: &Build) -> Result<()> {
    const LINES: usize = 100;
    let total = LINES * MODULES.len();
    let covered = ((b.line_coverage / 100.0) * total as f64).round() as usize;
    // Which lines are missed: a seeded choice of `total - covered`.
    let mut missed = vec![false; total];
    let mut left = total - covered.min(total);
    while left > 0 {
        let i = g.rng.gen_range(0..total);
        if !missed[i] {
            missed[i] = true;
            left -= 1;
        }
    }
    let mut packages = String::new();
    for (m, (module, _)) in MODULES.iter().enumerate() {
        let mut lines = String::new();
        let mut hit = 0;
        for n in 0..LINES {
            let hits = if missed[m * LINES + n] {
                0
            } else {
                hit += 1;
                g.rng.gen_range(1..40)
            };
            let _ = writeln!(
                lines,
                "            <line number=\"{}\" hits=\"{hits}\" branch=\"false\"/>",
                n + 1
            );
        }
        let rate = hit as f64 / LINES as f64;
        let _ = write!(
            packages,
            "    <package name=\"src.{module}\" line-rate=\"{rate:.4}\" branch-rate=\"0\" complexity=\"0\">\n      <classes>\n        <class name=\"{module}\" filename=\"src/{module}.rs\" line-rate=\"{rate:.4}\" branch-rate=\"0\" complexity=\"0\">\n          <methods/>\n          <lines>\n{lines}          </lines>\n        </class>\n      </classes>\n    </package>\n"
        );
    }
    g.write(
        "reports/coverage/cobertura.xml",
        &format!(
            "<?xml version=\"1.0\" ?>\n<!DOCTYPE coverage SYSTEM \"http://cobertura.sourceforge.net/xml/coverage-04.dtd\">\n<coverage line-rate=\"{:.4}\" branch-rate=\"0\" lines-covered=\"{covered}\" lines-valid=\"{total}\" branches-covered=\"0\" branches-valid=\"0\" complexity=\"0\" version=\"7.4.0\" timestamp=\"0\">\n  <sources><source>.</source></sources>\n  <packages>\n{packages}  </packages>\n</coverage>\n",
            covered as f64 / total as f64
        ),
    )
}

/// A linter's SARIF 2.1.0 log: warnings, a note, and one error suppressed
/// in source with its justification.
fn sarif(g: &mut Gen) -> Result<()> {
    let result = |rule: &str, level: Option<&str>, file: &str, line: u32, msg: &str| {
        let mut r = serde_json::json!({
            "ruleId": rule,
            "message": { "text": msg },
            "locations": [{ "physicalLocation": {
                "artifactLocation": { "uri": file, "uriBaseId": "SRCROOT" },
                "region": { "startLine": line }
            }}]
        });
        if let Some(l) = level {
            r["level"] = l.into();
        }
        r
    };
    let mut suppressed = result(
        "clippy::panic",
        Some("error"),
        "src/store.rs",
        g.rng.gen_range(10..90),
        "`panic!` should not be present in production code",
    );
    suppressed["suppressions"] = serde_json::json!([
        { "kind": "inSource", "justification": "unreachable: the segment header was validated above" }
    ]);
    let log = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "clippy",
                "informationUri": "https://github.com/rust-lang/rust-clippy",
                "rules": [
                    { "id": "clippy::needless_clone", "defaultConfiguration": { "level": "warning" } },
                    { "id": "clippy::panic", "defaultConfiguration": { "level": "error" } },
                    { "id": "clippy::doc_markdown", "defaultConfiguration": { "level": "note" } }
                ]
            }},
            "originalUriBaseIds": { "SRCROOT": { "uri": "file:///build/" } },
            "results": [
                // No level: the rule's default, warning.
                result("clippy::needless_clone", None, "src/config.rs", g.rng.gen_range(10..90), "redundant clone"),
                result("clippy::needless_clone", Some("warning"), "src/http.rs", g.rng.gen_range(10..90), "redundant clone"),
                result("clippy::doc_markdown", None, "src/cli.rs", 3, "item in documentation is missing backticks"),
                suppressed
            ]
        }]
    });
    g.write(
        "reports/sarif/clippy.sarif",
        &serde_json::to_string_pretty(&log).unwrap_or_default(),
    )
}

/// A CycloneDX 1.5 SBOM: every component licensed, by id or expression.
fn sbom(g: &mut Gen, b: &Build) -> Result<()> {
    const COMPONENTS: [(&str, &str, &str); 8] = [
        ("serde", "1.0.215", "MIT OR Apache-2.0"),
        ("tokio", "1.41.1", "MIT"),
        ("clap", "4.5.21", "MIT OR Apache-2.0"),
        ("rustls", "0.23.19", "Apache-2.0 OR ISC OR MIT"),
        ("regex", "1.11.1", "MIT OR Apache-2.0"),
        ("sha2", "0.10.8", "MIT OR Apache-2.0"),
        ("ring", "0.17.8", "ISC"),
        (
            "unicode-ident",
            "1.0.14",
            "(MIT OR Apache-2.0) AND Unicode-3.0",
        ),
    ];
    let components: Vec<serde_json::Value> = COMPONENTS
        .iter()
        .map(|(name, version, license)| {
            let licenses = if license.contains(' ') {
                serde_json::json!([{ "expression": license }])
            } else {
                serde_json::json!([{ "license": { "id": license } }])
            };
            serde_json::json!({
                "type": "library", "bom-ref": format!("pkg:cargo/{name}@{version}"),
                "name": name, "version": version, "licenses": licenses,
                "purl": format!("pkg:cargo/{name}@{version}"),
            })
        })
        .collect();
    let serial: u128 = g.rng.gen();
    let bom = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (serial >> 96) as u32, (serial >> 80) as u16, (serial >> 68) as u16 & 0xfff,
            (serial >> 56) as u16 & 0xfff, serial as u64 & 0xffff_ffff_ffff),
        "version": 1,
        "metadata": {
            "timestamp": format!("{}T10:00:00Z", b.date),
            "component": { "type": "application", "name": "example-app", "version": b.version, "licenses": [{ "license": { "id": "Apache-2.0" } }] }
        },
        "components": components
    });
    g.write(
        "reports/sbom/example-app.cdx.json",
        &serde_json::to_string_pretty(&bom).unwrap_or_default(),
    )
}

/// Keep a Changelog, with an empty `[Unreleased]` entry on top.
fn changelog(g: &mut Gen, b: &Build) -> Result<()> {
    let mut text = String::from(
        "# Changelog\n\nAll notable changes to this project are documented in this file.\nThe format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).\n\n## [Unreleased]\n",
    );
    for (version, date, changes) in b.changelog {
        let _ = write!(text, "\n## [{version}] - {date}\n\n### Changed\n\n");
        for c in *changes {
            let _ = writeln!(text, "- {c}");
        }
    }
    text.push('\n');
    for (version, _, _) in b.changelog {
        let _ = writeln!(
            text,
            "[{version}]: https://example.com/example-app/releases/tag/v{version}"
        );
    }
    g.write("CHANGELOG.md", &text)
}
