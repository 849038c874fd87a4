//! Daily rollups in StateTrace's `IngestionMetricsSummary` CSV format:
//! `Date,Scope,Metric,Count,Average,P95,Max,Total,SecondaryTotal,Notes`,
//! one set of rows per day file and scope (`All` and each site).
//!
//! Differences from `Rollup-IngestionMetrics.ps1`, on purpose:
//! - a value that cannot be computed (the average of no samples) is empty,
//!   never `0`;
//! - a site is one scope, matched case-insensitively and shown as first seen
//!   (the original produced one-letter scopes `B`, `O` from a site name);
//! - `QueueBuildDelayMs` (Count, Average, P95, Max, Total; `P99=` in Notes)
//!   is added from `InterfacePortQueueMetrics`, which the gates need;
//! - rows sort by Date, Scope (case-insensitive), Metric, then Notes.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::fold::{Folded, FoldedSet, Tally};
use super::stats::{fmt_num, round_away, round_even, Distribution};
use crate::error::Result;
use crate::read::telemetry::{scan, Event, FileScan};

/// The CSV header.
pub const HEADER: &str = "\"Date\",\"Scope\",\"Metric\",\"Count\",\"Average\",\"P95\",\"Max\",\"Total\",\"SecondaryTotal\",\"Notes\"";

/// One output row; `None` cells are written empty.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Row {
    pub date: String,
    pub scope: String,
    pub metric: String,
    pub count: Option<String>,
    pub average: Option<String>,
    pub p95: Option<String>,
    pub max: Option<String>,
    pub total: Option<String>,
    pub secondary_total: Option<String>,
    pub notes: Option<String>,
}

/// The events a rollup reads, by `EventName` (matched once per event).
#[derive(Debug, Clone, Copy)]
enum Kind {
    Parse,
    Latency,
    Rows,
    Skipped,
    SyncTiming,
    Usage,
    Drift,
    CompareDuration,
    CompareCounts,
    UserAction,
    QueueMetrics,
}

impl Kind {
    fn of(name: &str) -> Option<Kind> {
        Some(match name {
            "ParseDuration" => Kind::Parse,
            "DatabaseWriteLatency" => Kind::Latency,
            "RowsWritten" => Kind::Rows,
            "SkippedDuplicate" => Kind::Skipped,
            "InterfaceSyncTiming" => Kind::SyncTiming,
            "DiffUsageRate" => Kind::Usage,
            "DriftDetectionTime" => Kind::Drift,
            "DiffCompareDurationMs" => Kind::CompareDuration,
            "DiffCompareResultCounts" => Kind::CompareCounts,
            "UserAction" => Kind::UserAction,
            "InterfacePortQueueMetrics" => Kind::QueueMetrics,
            _ => return None,
        })
    }
}

/// Accumulators for one Date × Scope.
#[derive(Debug, Default)]
struct Acc {
    /// The scope's sample values and host sets are taken from its finer
    /// scopes ([`Acc::merge_values`]); only moments and counts are added
    /// per event.
    values_later: bool,
    parse: Distribution,
    parse_failures: u64,
    latency: Distribution,
    rows_events: u64,
    rows_sum: f64,
    deleted_sum: f64,
    row_hosts: FoldedSet,
    skipped_events: u64,
    skipped_hosts: FoldedSet,
    fetch: Distribution,
    fetch_zero: u64,
    fetch_status: Tally,
    fetch_provider: Tally,
    usage_events: u64,
    usage_num: f64,
    usage_den: f64,
    usage_status: Tally,
    drift: Distribution,
    cmp_duration: Distribution,
    cmp_duration_status: Tally,
    cmp_counts: Distribution,
    cmp_parts: [f64; 4],
    cmp_counts_status: Tally,
    actions: Tally,
    queue_delay: Distribution,
}

fn executed(status: Option<&str>) -> bool {
    status.is_none_or(|s| s.eq_ignore_ascii_case("Executed"))
}

impl Acc {
    /// The distributions, for [`Acc::merge_values`].
    fn distributions_mut(&mut self) -> [&mut Distribution; 7] {
        [
            &mut self.parse,
            &mut self.latency,
            &mut self.fetch,
            &mut self.drift,
            &mut self.cmp_duration,
            &mut self.cmp_counts,
            &mut self.queue_delay,
        ]
    }

    /// Count the sample values and hosts of a finer scope (see
    /// `values_later`).
    fn merge_values(&mut self, finer: &mut Acc) {
        self.row_hosts.extend(&finer.row_hosts);
        self.skipped_hosts.extend(&finer.skipped_hosts);
        for (mine, theirs) in self
            .distributions_mut()
            .into_iter()
            .zip(finer.distributions_mut())
        {
            mine.merge_values(theirs);
        }
    }

    fn add(&mut self, kind: Kind, e: &Event) {
        let later = self.values_later;
        let put = |d: &mut Distribution, v: f64| {
            if later {
                d.add_moments(v);
            } else {
                d.add(v);
            }
        };
        match kind {
            Kind::Parse => {
                if let Some(v) = e.duration_seconds.0 {
                    put(&mut self.parse, v);
                    if e.success.0 == Some(false) {
                        self.parse_failures += 1;
                    }
                }
            }
            Kind::Latency => {
                if let Some(v) = e.latency_ms.0 {
                    put(&mut self.latency, v);
                }
            }
            Kind::Rows => {
                self.rows_events += 1;
                self.rows_sum += e.rows.0.unwrap_or(0.0);
                self.deleted_sum += e.deleted_rows.0.unwrap_or(0.0);
                if let (false, Some(h)) = (later, e.hostname.get()) {
                    self.row_hosts.insert(h);
                }
            }
            Kind::Skipped => {
                self.skipped_events += 1;
                if let (false, Some(h)) = (later, e.hostname.get()) {
                    self.skipped_hosts.insert(h);
                }
            }
            Kind::SyncTiming => {
                match e.site_cache_fetch_duration_ms.0 {
                    Some(v) if v > 0.0 => put(&mut self.fetch, v),
                    _ => self.fetch_zero += 1,
                }
                if let Some(s) = e.site_cache_fetch_status.get() {
                    self.fetch_status.add(s);
                }
                if let Some(p) = e.site_cache_provider.get() {
                    self.fetch_provider.add(p);
                }
            }
            Kind::Usage => {
                let (n, d) = (e.usage_numerator.0, e.usage_denominator.0);
                if n.is_some() || d.is_some() {
                    self.usage_events += 1;
                    self.usage_num += n.unwrap_or(0.0);
                    self.usage_den += d.unwrap_or(0.0);
                    if let Some(s) = e.status.get() {
                        self.usage_status.add(s);
                    }
                }
            }
            Kind::Drift => {
                if let Some(v) = e.duration_minutes.0 {
                    put(&mut self.drift, v);
                }
            }
            Kind::CompareDuration => {
                let status = e.status.get();
                if let Some(s) = status {
                    self.cmp_duration_status.add(s);
                }
                if let (true, Some(v)) = (executed(status), e.duration_ms.0) {
                    put(&mut self.cmp_duration, v);
                }
            }
            Kind::CompareCounts => {
                let status = e.status.get();
                let parts = [
                    e.added_count.0,
                    e.removed_count.0,
                    e.changed_count.0,
                    e.unchanged_count.0,
                ];
                if !executed(status)
                    || (e.total_count.0.is_none() && parts.iter().all(Option::is_none))
                {
                    return;
                }
                let part_sum: f64 = parts.iter().map(|p| p.unwrap_or(0.0)).sum();
                let total = e.total_count.0.filter(|t| *t > 0.0).unwrap_or(part_sum);
                put(&mut self.cmp_counts, total);
                for (acc, p) in self.cmp_parts.iter_mut().zip(parts) {
                    *acc += p.unwrap_or(0.0);
                }
                if let Some(s) = status {
                    self.cmp_counts_status.add(s);
                }
            }
            Kind::UserAction => self.actions.add(e.action.get().unwrap_or("(unspecified)")),
            Kind::QueueMetrics => {
                if let Some(v) = e.queue_build_delay_ms.0.or(e.queue_delay_ms.0) {
                    put(&mut self.queue_delay, v);
                }
            }
        }
    }

    fn rows(&self, date: &str, scope: &str, required_actions: &[String]) -> Vec<Row> {
        let mut out = Vec::new();
        let row = |metric: &str| Row {
            date: date.into(),
            scope: scope.into(),
            metric: metric.into(),
            ..Default::default()
        };
        let r3 = |v: Option<f64>| v.map(|x| fmt_num(round_away(x, 3)));
        let timing = |metric: &str, d: &Distribution| Row {
            count: Some(d.count().to_string()),
            average: r3(d.mean()),
            p95: r3(d.percentile(95.0)),
            max: r3(d.max()),
            total: Some(fmt_num(round_away(d.sum(), 3))),
            ..row(metric)
        };
        let with_notes = |mut r: Row, notes: String| {
            r.notes = (!notes.is_empty()).then_some(notes);
            r
        };
        let statuses = |t: &Tally| {
            if t.is_empty() {
                String::new()
            } else {
                format!("Statuses={}", t.joined())
            }
        };
        if self.parse.count() > 0 {
            let notes = if self.parse_failures > 0 {
                format!("Failures={}", self.parse_failures)
            } else {
                String::new()
            };
            out.push(with_notes(
                timing("ParseDurationSeconds", &self.parse),
                notes,
            ));
        }
        if self.latency.count() > 0 {
            out.push(timing("DatabaseWriteLatencyMs", &self.latency));
        }
        if self.rows_events > 0 || self.rows_sum > 0.0 {
            let r = Row {
                count: Some(self.rows_events.to_string()),
                total: Some(fmt_num(round_even(self.rows_sum, 0))),
                secondary_total: (self.deleted_sum > 0.0)
                    .then(|| fmt_num(round_even(self.deleted_sum, 0))),
                ..row("RowsWritten")
            };
            let notes = if self.row_hosts.is_empty() {
                String::new()
            } else {
                format!("UniqueHosts={}", self.row_hosts.len())
            };
            out.push(with_notes(r, notes));
        }
        if self.skipped_events > 0 {
            let r = Row {
                count: Some(self.skipped_events.to_string()),
                total: Some(self.skipped_hosts.len().to_string()),
                ..row("SkippedDuplicate")
            };
            out.push(with_notes(
                r,
                format!("UniqueHosts={}", self.skipped_hosts.len()),
            ));
        }
        if self.fetch.count() > 0 || self.fetch_zero > 0 || !self.fetch_status.is_empty() {
            let mut parts = Vec::new();
            if !self.fetch_status.is_empty() {
                parts.push(format!("Statuses={}", self.fetch_status.joined()));
            }
            if !self.fetch_provider.is_empty() {
                parts.push(format!("Providers={}", self.fetch_provider.joined()));
            }
            if self.fetch_zero > 0 {
                parts.push(format!("ZeroCount={}", self.fetch_zero));
            }
            out.push(with_notes(
                timing("SiteCacheFetchDurationMs", &self.fetch),
                parts.join("; "),
            ));
        }
        if self.usage_events > 0 {
            let r = Row {
                count: Some(self.usage_events.to_string()),
                average: (self.usage_den > 0.0)
                    .then(|| fmt_num(round_away(self.usage_num / self.usage_den, 3))),
                total: Some(fmt_num(round_even(self.usage_num, 0))),
                secondary_total: Some(fmt_num(round_even(self.usage_den, 0))),
                ..row("DiffUsageRate")
            };
            out.push(with_notes(r, statuses(&self.usage_status)));
        }
        if self.drift.count() > 0 {
            out.push(timing("DriftDetectionTimeMinutes", &self.drift));
        }
        if self.cmp_duration.count() > 0 {
            out.push(with_notes(
                timing("DiffCompareDurationMs", &self.cmp_duration),
                statuses(&self.cmp_duration_status),
            ));
        }
        if self.cmp_counts.count() > 0 {
            let mut r = timing("DiffCompareResultCounts", &self.cmp_counts);
            r.total = Some(fmt_num(round_even(self.cmp_counts.sum(), 0)));
            let [a, rm, c, u] = self.cmp_parts.map(fmt_num);
            let mut notes = format!("Added={a}; Removed={rm}; Changed={c}; Unchanged={u}");
            if !self.cmp_counts_status.is_empty() {
                notes.push_str(&format!("; {}", statuses(&self.cmp_counts_status)));
            }
            out.push(with_notes(r, notes));
        }
        if !self.actions.is_empty() {
            for (action, n) in self.actions.iter() {
                out.push(with_notes(
                    Row {
                        count: Some(n.to_string()),
                        ..row("UserAction")
                    },
                    format!("Action={action}"),
                ));
            }
            let missing: Vec<&str> = required_actions
                .iter()
                .filter(|a| self.actions.get(a) == 0)
                .map(String::as_str)
                .collect();
            let covered = required_actions.len() - missing.len();
            let r = Row {
                count: Some(covered.to_string()),
                total: Some(required_actions.len().to_string()),
                secondary_total: (!missing.is_empty()).then(|| missing.join(",")),
                ..row("UserActionCoverage")
            };
            let notes = if missing.is_empty() {
                "All required actions present".to_string()
            } else {
                format!("Missing={}", missing.join(","))
            };
            out.push(with_notes(r, notes));
            let total: u64 = self.actions.iter().map(|(_, n)| n).sum();
            out.push(Row {
                count: Some(total.to_string()),
                ..row("UserActionTotal")
            });
        }
        if self.queue_delay.count() > 0 {
            let p99 = r3(self.queue_delay.percentile(99.0)).unwrap_or_default();
            out.push(with_notes(
                timing("QueueBuildDelayMs", &self.queue_delay),
                format!("P99={p99}"),
            ));
        }
        out
    }
}

/// Rollup options.
#[derive(Debug, Clone)]
pub struct RollupOptions {
    /// The user actions `UserActionCoverage` expects.
    pub required_actions: Vec<String>,
}

/// Roll up one day file: its rows and what the scan found.
pub fn rollup_file(path: &Path, opts: &RollupOptions) -> Result<(Vec<Row>, FileScan)> {
    let date = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `All` is every site plus the events without one: its values are
    // counted from those scopes once the file is read.
    let mut all = Acc {
        values_later: true,
        ..Acc::default()
    };
    let mut unsited = Acc::default();
    let mut sites: Folded<Acc> = Folded::default();
    let scan_report = scan(path, |e, _| {
        let Some(kind) = Kind::of(e.name()) else {
            return;
        };
        all.add(kind, e);
        match e.site.get() {
            Some(site) => sites.entry(site).add(kind, e),
            None => unsited.add(kind, e),
        }
    })?;
    all.merge_values(&mut unsited);
    for (_, acc) in sites.iter_mut() {
        all.merge_values(acc);
    }
    let mut rows = all.rows(&date, "All", &opts.required_actions);
    for (name, acc) in sites.iter() {
        rows.extend(acc.rows(&date, name, &opts.required_actions));
    }
    Ok((rows, scan_report))
}

/// Roll up many day files in parallel; rows sorted as the CSV writes them.
pub fn rollup(paths: &[PathBuf], opts: &RollupOptions) -> Result<(Vec<Row>, Vec<FileScan>)> {
    let per_file: Vec<Result<(Vec<Row>, FileScan)>> =
        paths.par_iter().map(|p| rollup_file(p, opts)).collect();
    let mut rows = Vec::new();
    let mut scans = Vec::new();
    for r in per_file {
        let (r, s) = r?;
        rows.extend(r);
        scans.push(s);
    }
    rows.sort_by(|a, b| {
        (&a.date, a.scope.to_lowercase(), &a.metric, &a.notes).cmp(&(
            &b.date,
            b.scope.to_lowercase(),
            &b.metric,
            &b.notes,
        ))
    });
    Ok((rows, scans))
}

/// The CSV text: header, then every field double-quoted, empty cells bare.
pub fn to_csv(rows: &[Row]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let o = |s: &Option<String>| s.as_deref().map(q).unwrap_or_default();
    let mut out = String::from(HEADER);
    out.push('\n');
    for r in rows {
        let cells = [
            q(&r.date),
            q(&r.scope),
            q(&r.metric),
            o(&r.count),
            o(&r.average),
            o(&r.p95),
            o(&r.max),
            o(&r.total),
            o(&r.secondary_total),
            o(&r.notes),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// StateTrace's Pester fixture `2025-10-03.json` (14 events).
    const FIXTURE: &str = r#"{"EventName":"ParseDuration","Timestamp":"2025-10-03T08:00:00Z","Site":"BOYO","DurationSeconds":1.5,"Success":true}
{"EventName":"ParseDuration","Timestamp":"2025-10-03T08:00:01Z","Site":"WLLS","DurationSeconds":2.5,"Success":false}
{"EventName":"DatabaseWriteLatency","Timestamp":"2025-10-03T08:00:02Z","Site":"BOYO","LatencyMs":300}
{"EventName":"DatabaseWriteLatency","Timestamp":"2025-10-03T08:00:03Z","Site":"WLLS","LatencyMs":700}
{"EventName":"RowsWritten","Timestamp":"2025-10-03T08:00:04Z","Site":"BOYO","Hostname":"BOYO-A01","Rows":96,"DeletedRows":0}
{"EventName":"RowsWritten","Timestamp":"2025-10-03T08:00:05Z","Site":"WLLS","Hostname":"WLLS-A01","Rows":48,"DeletedRows":2}
{"EventName":"SkippedDuplicate","Timestamp":"2025-10-03T08:00:06Z","Site":"BOYO","Hostname":"BOYO-A01"}
{"EventName":"SkippedDuplicate","Timestamp":"2025-10-03T08:00:07Z","Site":"WLLS","Hostname":"WLLS-A02"}
{"EventName":"InterfaceSyncTiming","Timestamp":"2025-10-03T08:00:08Z","Site":"BOYO","SiteCacheFetchDurationMs":200,"SiteCacheFetchStatus":"Hydrated","SiteCacheProvider":"Refresh"}
{"EventName":"InterfaceSyncTiming","Timestamp":"2025-10-03T08:00:09Z","Site":"WLLS","SiteCacheFetchDurationMs":0,"SiteCacheFetchStatus":"Hit","SiteCacheProvider":"Cache"}
{"EventName":"DiffUsageRate","Timestamp":"2025-10-03T08:00:10Z","UsageNumerator":1,"UsageDenominator":1,"Status":"Executed"}
{"EventName":"DiffUsageRate","Timestamp":"2025-10-03T08:00:11Z","UsageNumerator":1,"UsageDenominator":2,"Status":"Executed"}
{"EventName":"DriftDetectionTime","Timestamp":"2025-10-03T08:00:12Z","DurationMinutes":12.5}
{"EventName":"DriftDetectionTime","Timestamp":"2025-10-03T08:00:13Z","DurationMinutes":7.5}
"#;

    fn rows_of(text: &str) -> Vec<Row> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("2025-10-03.json");
        std::fs::write(&p, text).unwrap();
        let opts = RollupOptions {
            required_actions: vec!["ScanLogs".into(), "LoadFromDb".into()],
        };
        rollup(&[p], &opts).unwrap().0
    }

    fn find<'a>(rows: &'a [Row], scope: &str, metric: &str) -> &'a Row {
        rows.iter()
            .find(|r| r.scope == scope && r.metric == metric)
            .unwrap_or_else(|| panic!("{scope}/{metric}"))
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn pester_fixture_figures() {
        let rows = rows_of(FIXTURE);
        let p = find(&rows, "All", "ParseDurationSeconds");
        assert_eq!(
            (&p.count, &p.average, &p.p95, &p.notes),
            (&s("2"), &s("2"), &s("2.45"), &s("Failures=1"))
        );
        assert_eq!(
            find(&rows, "BOYO", "ParseDurationSeconds").average,
            s("1.5")
        );
        let l = find(&rows, "All", "DatabaseWriteLatencyMs");
        assert_eq!((&l.p95, &l.max), (&s("680"), &s("700")));
        let r = find(&rows, "All", "RowsWritten");
        assert_eq!(
            (&r.total, &r.secondary_total, &r.notes),
            (&s("144"), &s("2"), &s("UniqueHosts=2"))
        );
        let d = find(&rows, "All", "SkippedDuplicate");
        assert_eq!((&d.count, &d.total), (&s("2"), &s("2")));
        let f = find(&rows, "All", "SiteCacheFetchDurationMs");
        assert_eq!(
            (&f.count, &f.average, &f.total),
            (&s("1"), &s("200"), &s("200"))
        );
        assert_eq!(
            f.notes,
            s("Statuses=Hit=1,Hydrated=1; Providers=Cache=1,Refresh=1; ZeroCount=1")
        );
        // WLLS has only a zero-duration fetch: no average can be computed (the original wrote 0).
        let w = find(&rows, "WLLS", "SiteCacheFetchDurationMs");
        assert_eq!(
            (&w.count, &w.average, &w.p95, &w.max),
            (&s("0"), &None, &None, &None)
        );
        assert_eq!(w.notes, s("Statuses=Hit=1; Providers=Cache=1; ZeroCount=1"));
        let u = find(&rows, "All", "DiffUsageRate");
        assert_eq!(
            (&u.count, &u.average, &u.total, &u.secondary_total),
            (&s("2"), &s("0.667"), &s("2"), &s("3"))
        );
        assert_eq!(u.notes, s("Statuses=Executed=2"));
        let t = find(&rows, "All", "DriftDetectionTimeMinutes");
        assert_eq!(
            (&t.count, &t.average, &t.max, &t.total),
            (&s("2"), &s("10"), &s("12.5"), &s("20"))
        );
    }

    #[test]
    fn sites_are_one_scope_case_insensitively_and_actions_cover() {
        let rows = rows_of(concat!(
            "{\"EventName\":\"UserAction\",\"Site\":\"sw1\",\"Action\":\"ScanLogs\"}\n",
            "{\"EventName\":\"UserAction\",\"Site\":\"SW1\",\"Action\":\"scanlogs\"}\n",
            "{\"EventName\":\"UserAction\",\"Site\":\"BOYO\"}\n",
            "{\"EventName\":\"InterfacePortQueueMetrics\",\"Site\":\"BOYO\",\"QueueBuildDelayMs\":10}\n",
            "{\"EventName\":\"InterfacePortQueueMetrics\",\"Site\":\"BOYO\",\"QueueBuildDelayMs\":30}\n",
        ));
        // One scope per site, never one per character (the original's `B`, `O`).
        let scopes: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.scope.as_str()).collect();
        assert_eq!(
            scopes,
            std::collections::HashSet::from(["All", "sw1", "BOYO"])
        );
        let a = find(&rows, "sw1", "UserAction");
        assert_eq!((&a.count, &a.notes), (&s("2"), &s("Action=ScanLogs")));
        let c = find(&rows, "sw1", "UserActionCoverage");
        assert_eq!(
            (&c.count, &c.total, &c.secondary_total, &c.notes),
            (&s("1"), &s("2"), &s("LoadFromDb"), &s("Missing=LoadFromDb"))
        );
        assert_eq!(
            find(&rows, "BOYO", "UserAction").notes,
            s("Action=(unspecified)")
        );
        let q = find(&rows, "BOYO", "QueueBuildDelayMs");
        assert_eq!(
            (&q.count, &q.p95, &q.notes),
            (&s("2"), &s("29"), &s("P99=29.8"))
        );
    }

    #[test]
    fn csv_quotes_every_present_field() {
        let r = Row {
            date: "d".into(),
            scope: "All".into(),
            metric: "M".into(),
            count: s("1"),
            notes: s("a\"b"),
            ..Default::default()
        };
        assert_eq!(
            to_csv(&[r]).lines().nth(1).unwrap(),
            "\"d\",\"All\",\"M\",\"1\",,,,,,\"a\"\"b\""
        );
    }
}
