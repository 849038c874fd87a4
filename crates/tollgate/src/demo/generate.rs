//! The demo's StateTrace-shaped files: 2 sites (BOYO with 12 hosts, WLLS with
//! 25), days of JSON-lines telemetry, warm/cold run telemetry, shared-cache
//! summaries and analyzer outputs, rollups, queue-delay summaries, history
//! CSVs, dispatcher logs and governance docs. Values are random but seeded.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::telemetry::analyze::{queue_delay, QueueThresholds};
use crate::telemetry::rollup::{to_csv, RollupOptions};

/// The sites and their host counts (37 hosts in all).
pub const SITES: [(&str, usize); 2] = [("BOYO", 12), ("WLLS", 25)];

/// The six user actions Plan H requires.
const ACTIONS: [&str; 6] = [
    "ScanLogs",
    "LoadFromDb",
    "HelpQuickstart",
    "InterfacesView",
    "CompareView",
    "SpanSnapshot",
];

/// Files and bytes written.
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
}

/// Writes seeded files under a root, counting them.
pub(super) struct Gen<'a> {
    root: &'a Path,
    pub(super) rng: StdRng,
    pub(super) stats: Stats,
}

impl<'a> Gen<'a> {
    pub(super) fn new(root: &'a Path, seed: u64) -> Self {
        Gen {
            root,
            rng: StdRng::seed_from_u64(seed),
            stats: Stats { files: 0, bytes: 0 },
        }
    }

    /// Write `text` to `rel` under the root, creating folders.
    pub(super) fn write(&mut self, rel: &str, text: &str) -> Result<()> {
        let p = self.root.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))?;
        self.stats.files += 1;
        self.stats.bytes += text.len() as u64;
        Ok(())
    }

    fn ms(&mut self, lo: f64, hi: f64) -> f64 {
        (self.rng.gen_range(lo..hi) * 1000.0).round() / 1000.0
    }
}

fn hosts() -> Vec<(&'static str, String)> {
    SITES
        .iter()
        .flat_map(|(site, n)| {
            (1..=*n).map(move |i| (*site, format!("{site}-A{:02}-AS-{:02}", (i - 1) / 6 + 1, i)))
        })
        .collect()
}

/// Demo telemetry is written in StateTrace's zone, UTC-07:00.
fn iso(t: NaiveDateTime) -> String {
    let zone = chrono::FixedOffset::west_opt(7 * 3600);
    match zone.and_then(|z| t.and_local_timezone(z).single()) {
        Some(z) => crate::read::timestamp::roundtrip(&z),
        None => t.to_string(),
    }
}

/// When a demo day's data begins: 06:00, or midnight when 06:00 is still
/// ahead (a demo run before six), so that no generated file is stamped later
/// than the runs made on it.
fn day_start(day: NaiveDate) -> NaiveDateTime {
    let six = day.and_hms_opt(6, 0, 0).unwrap_or_default();
    if six > chrono::Local::now().naive_local() {
        day.and_hms_opt(0, 0, 0).unwrap_or_default()
    } else {
        six
    }
}

/// Generate the whole workspace under `root`.
pub fn workspace(
    root: &Path,
    policy: &Policy,
    seed: u64,
    scale: u32,
    days: u32,
    anchor: NaiveDate,
) -> Result<Stats> {
    let mut g = Gen::new(root, seed);
    let first = anchor - Duration::days(i64::from(days) - 1);
    let mut daily = Vec::new();
    for d in 0..days {
        let day = first + Duration::days(i64::from(d));
        daily.push(telemetry_day(&mut g, day, scale)?);
    }
    let stamp = day_start(anchor);
    let st = stamp.format("%Y%m%d-%H%M%S").to_string();
    host_universe(&mut g)?;
    warm_run(&mut g, &st, stamp)?;
    summaries(&mut g, &st, &daily, policy)?;
    analyzers(&mut g, &st)?;
    shared_cache_snapshot(&mut g, &st)?;
    history_and_logs(&mut g, &st, stamp)?;
    verification(&mut g, &st, stamp)?;
    docs(&mut g, anchor)?;
    Ok(g.stats)
}

fn telemetry_day(g: &mut Gen, day: NaiveDate, scale: u32) -> Result<PathBuf> {
    let rel = format!("Logs/IngestionMetrics/{}.json", day.format("%Y-%m-%d"));
    let path = g.root.join(&rel);
    std::fs::create_dir_all(path.parent().unwrap_or(g.root)).map_err(|e| Error::io(&path, e))?;
    let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut t = day_start(day);
    let mut line = String::with_capacity(512);
    let hosts = hosts();
    let runs = 2 * scale;
    for run in 0..runs {
        for (action_i, action) in ACTIONS.iter().enumerate() {
            if (run as usize + action_i).is_multiple_of(2) {
                let site = SITES[action_i % 2].0;
                line.clear();
                let _ = write!(
                    line,
                    r#"{{"EventName":"UserAction","Timestamp":"{}","Context":"MainWindow","Action":"{action}","Site":"{site}"}}"#,
                    iso(t)
                );
                writeln!(w, "{line}").map_err(|e| Error::io(&path, e))?;
            }
        }
        for (site, host) in &hosts {
            t += Duration::milliseconds(g.rng.gen_range(200..1500));
            let parse = g.ms(0.4, 3.4);
            // Spread so that p95 passes the cold bar (950) but trips the 600 ms alert.
            let latency = f64::from(g.rng.gen_range(120u32..700)); // whole ms, as StateTrace logs it
            let delay = g.ms(2.0, 60.0);
            let rows = g.rng.gen_range(20..60);
            let fetch = (g.rng.gen_range(5.0..900.0f64) * 10.0).round() / 10.0;
            let provider = if g.rng.gen_bool(0.9) {
                "SharedCache"
            } else {
                "Cache"
            };
            let op = ["GetHit", "GetHit", "GetHit", "Set", "GetMiss"][g.rng.gen_range(0..5)];
            let ts = iso(t);
            let lines = [
                format!(
                    r#"{{"EventName":"ParseDuration","Timestamp":"{ts}","Site":"{site}","FileName":"{host}.log","DurationSeconds":{parse},"Hostname":"{host}","Success":true}}"#
                ),
                format!(
                    r#"{{"EventName":"DatabaseWriteLatency","Timestamp":"{ts}","Site":"{site}","LatencyMs":{latency},"Hostname":"{host}"}}"#
                ),
                format!(
                    r#"{{"EventName":"RowsWritten","Timestamp":"{ts}","DeletedRows":0,"Site":"{site}","Rows":{rows},"Hostname":"{host}"}}"#
                ),
                format!(
                    r#"{{"EventName":"InterfaceSyncTiming","Timestamp":"{ts}","Site":"{site}","Hostname":"{host}","SiteCacheFetchDurationMs":{fetch},"SiteCacheProvider":"{provider}","SiteCacheFetchStatus":"Hit"}}"#
                ),
                format!(
                    r#"{{"EventName":"InterfacePortQueueMetrics","Timestamp":"{ts}","Site":"{site}","Hostname":"{host}","QueueBuildDelayMs":{delay},"QueueBuildDurationMs":{},"BatchCount":1}}"#,
                    g.ms(1.0, 28.0)
                ),
                format!(
                    r#"{{"EventName":"InterfaceSiteCacheSharedStore","Timestamp":"{ts}","Site":"{site}","Operation":"{op}","EntryCount":{},"HostCount":1,"TotalRows":{rows}}}"#,
                    g.rng.gen_range(1..40)
                ),
            ];
            for l in &lines {
                writeln!(w, "{l}").map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    g.stats.files += 1;
    g.stats.bytes += size;
    Ok(path)
}

fn host_universe(g: &mut Gen) -> Result<()> {
    for (site, _) in SITES {
        let list: Vec<String> = hosts()
            .into_iter()
            .filter(|(s, _)| *s == site)
            .map(|(_, h)| format!("  {{ \"Hostname\": \"{h}\", \"Site\": \"{site}\" }}"))
            .collect();
        g.write(
            &format!("Data/IngestionHistory/{site}.json"),
            &format!("[\n{}\n]\n", list.join(",\n")),
        )?;
    }
    Ok(())
}

fn warm_run(g: &mut Gen, st: &str, stamp: NaiveDateTime) -> Result<()> {
    let cold = g.ms(180.0, 220.0);
    let warm = (cold * g.rng.gen_range(0.28..0.37) * 1000.0).round() / 1000.0;
    let improvement = ((cold - warm) / cold * 1000.0).round() / 10.0;
    let mut rows = Vec::new();
    for (label, avg) in [("ColdPass", cold), ("WarmPass", warm)] {
        for (site, host) in hosts().into_iter().take(4) {
            rows.push(format!("  {{ \"PassLabel\": \"{label}\", \"Site\": \"{site}\", \"Hostname\": \"{host}\", \"InterfaceCallDurationMs\": {:.3}, \"Provider\": \"{}\" }}", avg + g.ms(-5.0, 5.0), if label == "WarmPass" { "SharedCache" } else { "ADODB" }));
        }
    }
    let comparison = format!(
        "{{ \"PassLabel\": \"WarmRunComparison\", \"Timestamp\": \"{}\", \"ColdInterfaceCallAvgMs\": {cold}, \"WarmInterfaceCallAvgMs\": {warm}, \"ImprovementAverageMs\": {:.3}, \"ImprovementPercent\": {improvement}, \"WarmCacheProviderHitCount\": 37, \"WarmCacheProviderMissCount\": 0, \"WarmCacheHitRatioPercent\": 100.0, \"WarmSignatureMatchMissCount\": 0, \"WarmSignatureRewriteTotal\": 0 }}",
        iso(stamp), cold - warm
    );
    rows.push(format!("  {comparison}"));
    g.write(
        &format!("Logs/IngestionMetrics/WarmRunTelemetry-{st}.json"),
        &format!("[\n{}\n]\n", rows.join(",\n")),
    )?;
    let summary = format!(
        "{{\n  \"GeneratedAtUtc\": \"{}\",\n  \"ColdInterfaceCallAvgMs\": {cold},\n  \"WarmInterfaceCallAvgMs\": {warm},\n  \"ImprovementPercent\": {improvement},\n  \"WarmCacheProviderHitCount\": 37,\n  \"WarmCacheProviderMissCount\": 0,\n  \"WarmCacheHitRatioPercent\": 100.0,\n  \"WarmSignatureMatchMissCount\": 0,\n  \"WarmSignatureRewriteTotal\": 0,\n  \"WarmProviderCounts\": {{ \"SharedCache\": 37 }}\n}}\n",
        iso(stamp)
    );
    g.write(
        "Logs/IngestionMetrics/WarmRunTelemetry-latest-summary.json",
        &summary,
    )?;
    let mut csv = String::from("Site,Hostname,DiffComparisonMs,DiffDurationMs,LoadExistingMs,RowSetCount,Provider,ProviderReason\r\n");
    for (site, host) in hosts().into_iter().step_by(3) {
        let _ = write!(
            csv,
            "{site},{host},{},{},{},{},SharedCache,SharedCacheMatch\r\n",
            g.ms(1.0, 40.0),
            g.ms(5.0, 90.0),
            g.ms(1.0, 20.0),
            g.rng.gen_range(10..60)
        );
    }
    g.write(
        &format!("Logs/IngestionMetrics/WarmRunDiffHotspots-{st}.csv"),
        &csv,
    )
}

fn analyzers(g: &mut Gen, st: &str) -> Result<()> {
    let mut sites = Vec::new();
    for (site, n) in SITES {
        let hits = g.rng.gen_range(200..400);
        sites.push(format!("    {{ \"Site\": \"{site}\", \"SnapshotImported\": 1, \"InitDelegatedStore\": 1, \"GetHit\": {hits}, \"GetMiss\": {}, \"Set\": {n}, \"Remove\": 0 }}", g.rng.gen_range(0..5)));
    }
    g.write(
        &format!("Logs/SharedCacheDiagnostics/SharedCacheStoreState-{st}.json"),
        &format!("{{\n  \"Sites\": [\n{}\n  ]\n}}\n", sites.join(",\n")),
    )?;
    let mut reasons = Vec::new();
    for (site, n) in SITES {
        reasons.push(format!("    {{ \"Site\": \"{site}\", \"SharedCacheMatch\": {}, \"AccessRefresh\": 0, \"Total\": {} }}", n * 4, n * 4));
    }
    g.write(
        &format!("Logs/SharedCacheDiagnostics/SiteCacheProviderReasons-{st}.json"),
        &format!("{{\n  \"Sites\": [\n{}\n  ]\n}}\n", reasons.join(",\n")),
    )
}

/// The rollup and queue-delay summary, computed by tollgate's own rollup
/// and analyzer from the generated events (as a real pipeline would).
fn summaries(g: &mut Gen, st: &str, days: &[PathBuf], policy: &Policy) -> Result<()> {
    let opts = RollupOptions {
        required_actions: policy.telemetry.required_user_actions.clone(),
    };
    let (rows, _) = crate::telemetry::rollup::rollup(days, &opts)?;
    g.write(
        &format!("Logs/IngestionMetrics/IngestionMetricsSummary-{st}.csv"),
        &to_csv(&rows),
    )?;
    let Some(last) = days.last() else {
        return Ok(());
    };
    let thresholds = QueueThresholds::from_policy(policy, None, None, None)?;
    let (summary, _) = queue_delay(std::slice::from_ref(last), thresholds)?;
    let text =
        serde_json::to_string_pretty(&summary).map_err(|e| Error::Usage(e.to_string()))? + "\n";
    g.write(
        &format!("Logs/IngestionMetrics/QueueDelaySummary-{st}.json"),
        &text,
    )?;
    g.write("Logs/IngestionMetrics/QueueDelaySummary-latest.json", &text)
}

fn shared_cache_snapshot(g: &mut Gen, st: &str) -> Result<()> {
    let entries: Vec<String> = SITES.iter().map(|(site, n)| format!("  {{ \"Site\": \"{site}\", \"Hosts\": {n}, \"TotalRows\": {}, \"CachedAt\": null }}", n * 48)).collect();
    g.write(
        &format!("Logs/SharedCacheSnapshot/SharedCacheSnapshot-{st}-summary.json"),
        &format!("[\n{}\n]\n", entries.join(",\n")),
    )
}

fn history_and_logs(g: &mut Gen, st: &str, stamp: NaiveDateTime) -> Result<()> {
    for (name, header) in [
        (
            "QueueDelayHistory.csv",
            "Timestamp,SampleCount,P95Ms,P99Ms,Result",
        ),
        (
            "ParserSchedulerHistory.csv",
            "Timestamp,QueuedJobs,AvgWaitMs,MaxWaitMs,Result",
        ),
        (
            "PortBatchHistory.csv",
            "Timestamp,Batches,AvgMs,MaxMs,Result",
        ),
        (
            "InterfaceSyncHistory.csv",
            "Timestamp,Hosts,AvgMs,MaxMs,Result",
        ),
    ] {
        let mut csv = format!("{header}\r\n");
        for i in 0..5 {
            let t = stamp - Duration::days(4 - i);
            let _ = write!(
                csv,
                "{},{},{},{},Pass\r\n",
                t.format("%Y-%m-%dT%H:%M:%S"),
                g.rng.gen_range(10..300),
                g.ms(5.0, 60.0),
                g.ms(20.0, 90.0)
            );
        }
        g.write(&format!("Logs/Reports/{name}"), &csv)?;
    }
    for (site, host) in hosts().into_iter().step_by(9) {
        let mut log = String::new();
        for i in 0..20 {
            let _ = writeln!(
                log,
                "{} [{site}] dispatcher: queued port batch {i} for {host} ({} ports)",
                iso(stamp + Duration::seconds(i)),
                g.rng.gen_range(8..48)
            );
        }
        g.write(&format!("Logs/DispatchHarness/{host}-{st}.log"), &log)?;
    }
    Ok(())
}

/// The task board and its CSV, with deliberate drifts for `docs check`: a
/// blank line splitting the snapshot table, a row with an extra cell, a task
/// missing from the CSV, a CSV-only task, a status that disagrees, and two
/// CSV records glued on one line.
fn task_board(g: &mut Gen, anchor: NaiveDate) -> Result<()> {
    let mut tasks: Vec<(String, String, &str, &str)> = [
        ("ST-G-007", "Release evidence bundle", "Done", "Release"),
        ("ST-A-006", "Queue delay gate", "In Progress", "Routing"),
        (
            "ST-B-008",
            "Warm-run regression evidence",
            "Done",
            "Performance",
        ),
        ("ST-E-007", "Parse duration budget", "Ready", "Telemetry"),
        ("ST-H-001", "User action coverage", "Backlog", "UX"),
    ]
    .iter()
    .map(|(i, t, c, o)| (i.to_string(), t.to_string(), *c, *o))
    .collect();
    tasks.extend((10..18).map(|n| {
        (
            format!("ST-G-0{n}"),
            format!("Release follow-up {n}"),
            "Backlog",
            "Release",
        )
    }));
    let link = "docs/plans/PlanG_ReleaseGovernance.md";
    let mut md = format!("# Task Board\r\n\r\n## Current board snapshot ({anchor})\r\n| ID | Title | Column | Owner/Role | Deliverable | Links |\r\n|----|-------|--------|------------|-------------|-------|\r\n");
    for (i, (id, title, column, owner)) in tasks.iter().enumerate() {
        if i == 2 {
            md.push_str("\r\n"); // drift: a blank line splits the table
        }
        let extra = if i == 3 { " stray cell |" } else { "" }; // drift: an extra cell
        md.push_str(&format!(
            "| {id} | {title} | {column} | {owner} | Evidence in Logs/ | {link} |{extra}\r\n"
        ));
    }
    // Narrative columns; drift: "Queue delay gate" is under In Progress and Done.
    md.push_str("\r\n## Backlog\r\n\r\n- **User action coverage** - [UX] ST-H-001: cover the six required actions.\r\n\r\n## In Progress\r\n\r\n- **Queue delay gate** - [Routing] ST-A-006: p95 <= 120 ms with >= 10 samples.\r\n\r\n## Done\r\n\r\n- **Release evidence bundle** - [Release] ST-G-007: bundle published and verified.\r\n- **Queue delay gate** - [Routing] closed too early.\r\n");
    g.write("docs/StateTrace_TaskBoard.md", &md)?;
    plans(g, &tasks, anchor)?;
    let mut csv = String::from(
        "\"ID\",\"Title\",\"Column\",\"OwnerRole\",\"Deliverable\",\"PlanLink\",\"Notes\"\r\n",
    );
    for (id, title, column, owner) in tasks.iter().filter(|t| t.0 != "ST-H-001") {
        // drift: ST-H-001 is missing from the CSV, and ST-A-006's status disagrees
        let column = if id == "ST-A-006" { "Done" } else { column };
        csv.push_str(&format!(
            "\"{id}\",\"{title}\",\"{column}\",\"{owner}\",\"Evidence\",\"{link}\",\"\"\r\n"
        ));
    }
    // drift: two records, on no board, glued on one line
    csv.push_str(&format!("\"ST-G-020\",\"Glued one\",\"Backlog\",\"Release\",\"-\",\"{link}\",\"\"ST-G-021,Glued two,Backlog,Release,-,{link},\r\n"));
    g.write("docs/taskboard/TaskBoard.csv", &csv)
}

/// Plan G (listing every task), the plan index, the roadmap and the backlog.
/// Drifts: a plan that calls a task delivered which the board has as Ready,
/// a milestone past its date and not done, a done task still in the
/// backlog, and a cited evidence file that does not exist.
fn plans(g: &mut Gen, tasks: &[(String, String, &str, &str)], anchor: NaiveDate) -> Result<()> {
    let mut plan = String::from("# Plan G - Release & Governance\r\n\r\n## Active work\r\n| ID | Title | Owner | Status |\r\n|----|-------|-------|--------|\r\n");
    for (id, title, column, owner) in tasks {
        plan.push_str(&format!("| {id} | {title} | {owner} | {column} |\r\n"));
    }
    plan.push_str(&format!(
        "\r\n## Recently delivered\r\n| ID | Title | Delivered |\r\n|----|-------|-----------|\r\n| ST-E-007 | Parse duration budget | {} |\r\n",
        anchor - Duration::days(1)
    ));
    plan.push_str("\r\n## Recent timeline\r\n\r\n- ST-G-020 and ST-G-021 were filed from the release retro.\r\n- Warm-run evidence: `Logs/IngestionMetrics/WarmRunTelemetry-latest-summary.json`.\r\n- Queue sweep evidence: `Logs/Reports/RoutingQueueSweep-20250101.json`.\r\n");
    g.write("docs/plans/PlanG_ReleaseGovernance.md", &plan)?;
    g.write(
        "docs/plans/PlanIndex.md",
        "# Plan Index\r\n\r\n| Plan | Focus | Plan file |\r\n|------|-------|-----------|\r\n| G | Release & governance | `docs/plans/PlanG_ReleaseGovernance.md` |\r\n",
    )?;
    let due = |days: i64| anchor - Duration::days(days);
    g.write(
        "docs/StateTrace_Quarterly_Roadmap.md",
        &format!(
            "# Roadmap\r\n\r\n| Milestone | Task board ID | Target date | Owner |\r\n|-----------|---------------|-------------|-------|\r\n| **M1 - Release evidence** | ST-G-007 | **{}** | Release |\r\n| **M2 - Parse budget** | ST-E-007 | **{}** | Telemetry |\r\n",
            due(30),
            due(3)
        ),
    )?;
    g.write(
        "docs/CODEX_BACKLOG.md",
        "# Backlog\r\n\r\n| ID | Plan | Title |\r\n|----|------|-------|\r\n| ST-H-001 | Plan H | User action coverage |\r\n| ST-B-008 | Plan B | Warm-run regression evidence |\r\n",
    )
}

/// A scheduled verification run that passed, as StateTrace writes it
/// (UTF-8 BOM, `/Date(ms)/` timestamp).
fn verification(g: &mut Gen, st: &str, stamp: NaiveDateTime) -> Result<()> {
    let ms = stamp.and_utc().timestamp_millis();
    let text = format!(
        "\u{feff}{{\r\n    \"GeneratedAtUtc\":  \"\\/Date({ms})\\/\",\r\n    \"Timestamp\":  \"{st}\",\r\n    \"Status\":  \"Pass\"\r\n}}\r\n"
    );
    g.write(
        &format!("Logs/Verification/VerificationSummary-{st}.json"),
        &text,
    )
}

fn docs(g: &mut Gen, anchor: NaiveDate) -> Result<()> {
    let session = format!(
        "# Session log {anchor} (session 0001)\r\n\r\n- Task: ST-G-007 release evidence bundle\r\n- Ran warm-run telemetry, shared-cache analyzers and the daily rollup.\r\n- Doc sync: task board, plan G and backlog updated.\r\n"
    );
    g.write(
        &format!("docs/agents/sessions/{anchor}_session-0001.md"),
        &session,
    )?;
    let risk = "# Risk Register\r\n\r\n| ID | Risk | Owner | Mitigation | Status |\r\n|----|------|-------|------------|--------|\r\n| 11 | Shared-cache snapshot misses a site | Ingestion Lead | Coverage gate (2 sites / 37 hosts / 1,200 rows) | Open |\r\n";
    g.write("docs/RiskRegister.md", risk)?;
    task_board(g, anchor)?;
    let release = "# Release checklist\r\n\r\n- [x] Warm-run verification passes before packaging\r\n- [x] Telemetry bundle published and verified\r\n- [ ] Risk register entries cited with owners and mitigations\r\n";
    g.write("docs/Release.md", release)
}
