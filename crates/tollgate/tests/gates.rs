//! The gate engine on generated workspaces: every aggregate kind, sample
//! minimums, grouping, baselines, gate sets and near-misses.

use std::path::Path;

use tollgate::gates::{self, baseline, Status};
use tollgate::policy::Workspace;

const PATHS: &str = r#"
[paths]
telemetry = "t"
bundles = "b"
verification = "v"
release_evidence = "r"
shared_cache = "s"
reports = "rep"

[telemetry]
daily_files = "????-??-??.json"

[bundle]
default_area = "X"
max_age = "7d"
"#;

fn workspace(gates_toml: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tollgate.toml"),
        format!("{PATHS}\n{gates_toml}"),
    )
    .unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let ws = Workspace::discover(Some(dir.path()), Path::new("/")).unwrap();
    (dir, ws)
}

fn queue_events(site_values: &[(&str, f64)]) -> String {
    site_values
        .iter()
        .map(|(s, v)| format!("{{\"EventName\":\"InterfacePortQueueMetrics\",\"Site\":\"{s}\",\"QueueBuildDelayMs\":{v}}}\n"))
        .collect()
}

fn gate(id: &str, body: &str) -> String {
    format!("[[gate]]\nid = \"{id}\"\nplan = \"P\"\ndescription = \"{id}\"\n{body}\n")
}

const P95: &str = "source = \"events\"\nevent = \"InterfacePortQueueMetrics\"\nselect = \"QueueBuildDelayMs\"\naggregate = \"p95\"\nop = \"<=\"\nthreshold = 120\nmin_samples = 10";

#[test]
fn too_few_samples_is_insufficient_never_pass() {
    let vals: Vec<(&str, f64)> = (0..9).map(|i| ("A", 5.0 + i as f64)).collect();
    let events = queue_events(&vals);
    let (_d, ws) = workspace(
        &gate("q", P95),
        &[("t/2025-01-02.json", &events), ("t/2025-01-01.json", "")],
    );
    let r = gates::run(&ws, &[], None, None);
    assert_eq!(r[0].status, Status::InsufficientData);
    assert_eq!(r[0].samples, 9);
    assert!(
        r[0].files[0].ends_with("2025-01-02.json"),
        "the newest day is read"
    );
    let f = gates::findings(&r);
    assert_eq!(f[0].severity, tollgate::finding::Severity::Block);
}

#[test]
fn p95_per_site_worst_group_decides() {
    let mut vals: Vec<(&str, f64)> = (1..=20).map(|i| ("BOYO", i as f64)).collect();
    vals.extend((1..=20).map(|i| ("WLLS", 100.0 + i as f64 * 2.0)));
    let (_d, ws) = workspace(
        &gate("q", &format!("{P95}\ngroup_by = \"Site\"")),
        &[("t/2025-01-01.json", &queue_events(&vals))],
    );
    let r = &gates::run(&ws, &[], None, None)[0];
    assert_eq!(r.status, Status::Fail);
    assert_eq!(r.groups.len(), 2);
    let boyo = r.groups.iter().find(|g| g.name == "BOYO").unwrap();
    assert_eq!(boyo.outcome.value, Some(19.05)); // linear: rank 18.05 of 1..=20
    assert_eq!(boyo.status, Status::Pass);
    assert!((r.value.unwrap() - 138.1).abs() < 1e-9, "{:?}", r.value);
    assert!(r.message.contains("for WLLS"), "{}", r.message);
}

#[test]
fn ratio_coverage_distinct_count_and_where() {
    let mut text = String::new();
    for (site, action, provider) in [
        ("BOYO", "ScanLogs", "Cache"),
        ("BOYO", "CompareView", "SharedCache"),
        ("WLLS", "ScanLogs", "Refresh"),
        ("WLLS", "scanlogs", "Cache"),
    ] {
        text.push_str(&format!("{{\"EventName\":\"UserAction\",\"Site\":\"{site}\",\"Action\":\"{action}\",\"Provider\":\"{provider}\"}}\n"));
    }
    let ev = "source = \"events\"\nevent = \"UserAction\"";
    let toml = [
        gate("cov", &format!("{ev}\nselect = \"Action\"\naggregate = \"coverage\"\nuniverse = [\"ScanLogs\", \"CompareView\", \"SpanSnapshot\"]\nop = \">=\"\nthreshold = 100")),
        gate("ratio", &format!("{ev}\nselect = \"Provider\"\naggregate = \"ratio\"\nmatches = [\"Cache\", \"SharedCache\"]\nop = \">=\"\nthreshold = 75")),
        gate("sites", &format!("{ev}\nselect = \"Site\"\naggregate = \"distinct\"\nop = \">=\"\nthreshold = 2")),
        gate("boyo", &format!("{ev}\naggregate = \"count\"\nop = \">=\"\nthreshold = 3\nseverity = \"warn\"\n[gate.where]\nSite = \"boyo\"")),
    ]
    .concat();
    let (_d, ws) = workspace(&toml, &[("t/2025-01-01.json", &text)]);
    let r = gates::run(&ws, &[], None, None);
    assert_eq!(
        (r[0].status, r[0].missing.clone()),
        (Status::Fail, vec!["SpanSnapshot".to_string()])
    );
    assert!((r[0].value.unwrap() - 200.0 / 3.0).abs() < 1e-9);
    assert_eq!((r[1].status, r[1].value), (Status::Pass, Some(75.0)));
    assert_eq!((r[2].status, r[2].value), (Status::Pass, Some(2.0)));
    assert_eq!((r[3].status, r[3].value), (Status::Fail, Some(2.0)));
    let f = gates::findings(&r);
    assert_eq!(
        f.iter().find(|x| x.subject == "boyo").unwrap().severity,
        tollgate::finding::Severity::Warn
    );
}

#[test]
fn warm_run_minus_queue_summary_shapes_and_text_thresholds() {
    let warm = r#"[{"PassLabel":"ColdPass"},{"PassLabel":"WarmRunComparison","ImprovementPercent":61.5,"WarmInterfaceCallAvgMs":90,"ColdInterfaceCallAvgMs":80}]"#;
    let toml = [
        gate("imp", "source = \"warm-run\"\nselect = \"ImprovementPercent\"\naggregate = \"value\"\nop = \">=\"\nthreshold = 60"),
        gate("slower", "source = \"warm-run\"\nselect = \"WarmInterfaceCallAvgMs\"\nminus = \"ColdInterfaceCallAvgMs\"\naggregate = \"value\"\nop = \"<=\"\nthreshold = 0"),
        gate("q", "source = \"summary\"\nshape = \"queue-delay\"\nfiles = \"t/QueueDelaySummary-*.json\"\nselect = \"P95\"\naggregate = \"value\"\nop = \"<=\"\nthreshold = 120\nmin_samples = 10"),
        gate("ver", "source = \"verification\"\nselect = \"Status\"\naggregate = \"value\"\nop = \"==\"\nthreshold = \"Pass\""),
    ]
    .concat();
    let files = [
        ("t/WarmRunTelemetry-20250101-010101.json", warm),
        (
            "t/QueueDelaySummary-20250101-010101.json",
            r#"{"SampleCount":5,"QueueBuildDelayP95Ms":50.0}"#,
        ),
        (
            "v/VerificationSummary-20250101-030000.json",
            "\u{feff}{\"Status\":\"Pass\",\"GeneratedAtUtc\":\"/Date(1766429094476)/\"}",
        ),
    ];
    let (_d, ws) = workspace(&toml, &files);
    let r = gates::run(&ws, &[], None, None);
    assert_eq!((r[0].status, r[0].value), (Status::Pass, Some(61.5)));
    assert_eq!((r[1].status, r[1].value), (Status::Fail, Some(10.0)));
    assert_eq!(
        (r[2].status, r[2].samples, r[2].value),
        (Status::InsufficientData, 5, Some(50.0))
    );
    assert_eq!(
        (r[3].status, r[3].text.as_deref()),
        (Status::Pass, Some("Pass"))
    );
    assert_eq!(gates::run(&ws, &["imp".into()], None, None).len(), 1);
    assert_eq!(
        gates::run(&ws, &["p".into()], None, None).len(),
        4,
        "--only matches plans too"
    );
}

#[test]
fn baseline_growth_fails_and_records_refuse_reuse() {
    let toml = gate(
        "q",
        &format!("{P95}\nmin_samples = 1\n[gate.baseline]\nmax_increase_percent = 20"),
    )
    .replace("min_samples = 10\n", "");
    let (d, ws) = workspace(
        &toml,
        &[("t/2025-01-01.json", &queue_events(&[("A", 50.0)]))],
    );
    let first = gates::run(&ws, &[], None, None);
    baseline::record(&ws, "0.9", &first).unwrap();
    assert!(baseline::record(&ws, "0.9", &first).is_err());
    std::fs::write(
        d.path().join("t/2025-01-02.json"),
        queue_events(&[("A", 65.0)]),
    )
    .unwrap();
    let history = baseline::load(&ws).unwrap();
    let r = &gates::run(&ws, &[], baseline::find(&history, Some("0.9")), None)[0];
    assert_eq!(r.status, Status::Fail, "{}", r.message);
    assert!(
        r.message.contains("+30.0% against baseline '0.9'"),
        "{}",
        r.message
    );
}

#[test]
fn gate_set_names_the_closest_near_miss() {
    let member = |id: &str, select: &str, agg: &str, t: u32| {
        gate(id, &format!("source = \"shared-cache\"\nselect = \"{select}\"\naggregate = \"{agg}\"\nop = \">=\"\nthreshold = {t}\nseverity = \"track\""))
    };
    let toml = [
        member("sites", "Site", "distinct", 2),
        member("hosts", "Hosts", "sum", 37),
        "[[gate_set]]\nid = \"cache\"\nplan = \"G\"\ndescription = \"cache\"\ngates = [\"sites\", \"hosts\"]\n".to_string(),
    ]
    .concat();
    let files = [
        (
            "s/Snap-20250103-000000-summary.json",
            r#"{"Site":"BOYO","Hosts":12}"#,
        ),
        (
            "s/Snap-20250102-000000-summary.json",
            r#"[{"Site":"BOYO","Hosts":12},{"Site":"WLLS","Hosts":20}]"#,
        ),
        (
            "s/Snap-20250101-000000-summary.json",
            r#"[{"Site":"BOYO","Hosts":1}]"#,
        ),
    ];
    let (_d, ws) = workspace(&toml, &files);
    let r = gates::run(&ws, &[], None, None);
    let set = r.iter().find(|x| x.id == "cache").unwrap();
    assert_eq!(set.status, Status::Fail);
    assert_eq!(set.candidates.len(), 3);
    assert!(set.candidates.iter().all(|c| c.status == Status::Fail));
    assert_eq!(set.candidates[0].name, "Snap-20250102-000000-summary.json");
    assert!(
        set.message
            .contains("closest: Snap-20250102-000000-summary.json (1 failing: hosts: 32 >= 37)"),
        "{}",
        set.message
    );
    assert_eq!(
        gates::findings(&r)
            .iter()
            .filter(|f| f.severity == tollgate::finding::Severity::Block)
            .count(),
        1
    );
}

#[test]
fn bad_gate_declarations_are_policy_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = gate(
        "x",
        "source = \"events\"\nselect = \"A\"\naggregate = \"p95\"\nop = \"<=\"\nthreshold = 1",
    );
    std::fs::write(dir.path().join("tollgate.toml"), format!("{PATHS}\n{bad}")).unwrap();
    let e = Workspace::discover(Some(dir.path()), Path::new("/")).unwrap_err();
    assert!(
        e.to_string()
            .contains("gate 'x': source \"events\" needs event"),
        "{e}"
    );
}
