//! `tollgate`: clap arguments -> library calls -> output and exit code.
//! Exit codes (SPEC §8): 0 no blocking finding, 1 a blocking finding,
//! 2 usage, configuration or unreadable input.

mod cli;
mod decide;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use tollgate::error::{Error, Result};
use tollgate::evidence::{catalog, publish};
use tollgate::finding::Verdict;
use tollgate::policy::{Workspace, POLICY_FILE};
use tollgate::read::summary;
use tollgate::record::destination;
use tollgate::registry;
use tollgate::report::{self, bundle as render, output as out};

use cli::{BundleCmd, Cli, Command};

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli.json |= cli.format == cli::Format::Json;
    if !matches!(cli.command, Command::Serve { .. }) {
        quiet_on_closed_pipe();
    }
    let json = cli.json;
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if json {
                let _ = emit_json(&out::ErrorOut {
                    error: e.to_string(),
                });
            }
            eprintln!("tollgate: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// A closed stdout (`tollgate gates | head`) ends the process quietly by
/// SIGPIPE, as it ends other Unix tools, instead of a "failed printing"
/// panic. `serve` keeps SIGPIPE ignored: a client hanging up must never stop
/// the server.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal, before any
    // thread is started; no memory is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run(cli: Cli) -> Result<u8> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let ci = decide::Ci::of(cli.format, cli.json, &cli.command)?;
    match cli.command {
        Command::Init { profile, force } => init(
            cli.workspace.as_deref().unwrap_or(&cwd),
            &profile,
            force,
            cli.json,
        ),
        Command::Demo(args) => demo(args, cli.json),
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "tollgate", &mut out);
            Ok(0)
        }
        Command::Man { out: None } => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Error::io("stdout", e))?;
            Ok(0)
        }
        Command::Man { out: Some(dir) } => {
            let used = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
            if used || dir.is_file() {
                return Err(Error::refused(
                    &dir,
                    "exists and is not empty; man pages go into a new folder",
                ));
            }
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            clap_mangen::generate_to(Cli::command(), &dir).map_err(|e| Error::io(&dir, e))?;
            println!("man pages written to {}", dir.display());
            Ok(0)
        }
        Command::Bundle(cmd) => bundle(
            &workspace(&cli.workspace, &cwd, cli.json)?,
            cmd,
            cli.json,
            ci,
        ),
        Command::Rollup(args) => {
            rollup(&workspace(&cli.workspace, &cwd, cli.json)?, args, cli.json)
        }
        Command::Gates(args) => gates(
            &workspace(&cli.workspace, &cwd, cli.json)?,
            args,
            cli.json,
            ci,
        ),
        Command::Docs(cli::DocsCmd::Check { allow_large_edits }) => {
            let ws = workspace(&cli.workspace, &cwd, cli.json)?;
            let opts = tollgate::governance::CheckOptions {
                allow_large_edits,
                ..Default::default()
            };
            let r = tollgate::governance::check_with(&ws, &opts)?;
            let o = out::DocsCheckOut::of(&r);
            if cli.json {
                emit_json(&o)?;
            } else if let Some(ci) = ci {
                let refs: Vec<_> = r.findings.iter().collect();
                ci.output(&ws, "docs check", o.verdict, &refs)?;
            } else {
                print!("{}", report::docs::check_text(&r));
            }
            Ok(out::exit_code(o.verdict))
        }
        Command::Docs(cli::DocsCmd::Checklist) => {
            let ws = workspace(&cli.workspace, &cwd, cli.json)?;
            let r = tollgate::governance::checklist(&ws)?;
            let o = out::JudgedOut::checklist(&r);
            if cli.json {
                emit_json(&o)?;
            } else {
                print!("{}", report::docs::checklist_text(&r));
            }
            Ok(out::exit_code(o.verdict))
        }
        Command::Risk(cli::RiskCmd::Check { summary }) => {
            let ws = workspace(&cli.workspace, &cwd, cli.json)?;
            let r = tollgate::governance::risk_check(&ws, &summary)?;
            let o = out::JudgedOut::risk(&r);
            if cli.json {
                emit_json(&o)?;
            } else {
                print!("{}", report::docs::risk_text(&r));
            }
            Ok(out::exit_code(o.verdict))
        }
        Command::Docs(cli::DocsCmd::Task { id, out, force }) => {
            let ws = workspace(&cli.workspace, &cwd, cli.json)?;
            let c = tollgate::governance::task(&ws, &id)?;
            if let Some(p) = &out {
                let text = serde_json::to_string_pretty(&c.to_statetrace_json())
                    .map_err(|e| Error::Usage(e.to_string()))?;
                destination::write(&ws, p, text.as_bytes(), force)?;
            }
            if cli.json {
                emit_json(&c.to_statetrace_json())?;
            } else {
                print!("{}", report::docs::task_text(&c));
            }
            Ok(out::exit_code(out::task_verdict(&c)))
        }
        Command::Analyze { kind } => {
            analyze(&workspace(&cli.workspace, &cwd, true)?, kind, cli.json)
        }
        Command::Verify {
            scheduled,
            junit,
            force,
        } => decide::verify(
            &workspace(&cli.workspace, &cwd, cli.json)?,
            scheduled,
            junit.map(|p| (p, force)),
            (cli.json, ci),
        ),
        Command::Release(args) => decide::release(
            &workspace(&cli.workspace, &cwd, cli.json)?,
            args,
            cli.json,
            ci,
        ),
        Command::Approve {
            version,
            role,
            by,
            note,
            override_reason,
            sign,
        } => {
            let signing = signing(sign.key, sign.signature, sign.statement);
            let req = tollgate::release::status::ApproveRequest {
                version,
                role,
                by,
                note,
                override_reason,
                signing,
            };
            let ws = workspace(&cli.workspace, &cwd, cli.json)?;
            if sign.print_statement {
                decide::print_statement(&ws, &req)
            } else {
                decide::approve(&ws, req, cli.json)
            }
        }
        Command::Waive {
            version,
            gate,
            finding,
            reason,
            expires,
            role,
            by,
            sign,
        } => {
            let target = match (gate, finding) {
                (Some(g), _) => tollgate::approval::waiver::target("gate", g.trim()),
                (None, Some(f)) => {
                    tollgate::approval::waiver::finding_target(&f).ok_or_else(|| {
                        Error::Usage(format!("--finding {f}: expected CHECK:SUBJECT"))
                    })?
                }
                (None, None) => unreachable!("clap requires --gate or --finding"),
            };
            let req = tollgate::release::waive::WaiveRequest {
                version,
                target,
                reason,
                expires,
                role,
                by,
                signing: signing(sign.key, sign.signature, sign.statement),
            };
            let ws = workspace(&cli.workspace, &cwd, cli.json)?;
            if sign.print_statement {
                decide::print_waiver_statement(&ws, &req)
            } else {
                decide::waive(&ws, req, cli.json)
            }
        }
        Command::Ledger(cmd) => {
            decide::ledger(&workspace(&cli.workspace, &cwd, cli.json)?, cmd, cli.json)
        }
        Command::Schedule(cmd) => {
            decide::schedule(&workspace(&cli.workspace, &cwd, cli.json)?, cmd, cli.json)
        }
        Command::Dashboard { out, force } => {
            let ws = workspace(&cli.workspace, &cwd, cli.json)?;
            if let Some(dir) = &out {
                destination::check(&ws, &dir.join("index.html"), force)?;
            }
            let out = out.unwrap_or_else(|| ws.path(&ws.policy.paths.reports).join("dashboard"));
            let (path, d) = tollgate::dashboard::write(&ws, &out)?;
            if cli.json {
                emit_json(&out::DashboardOut {
                    path: path.display().to_string(),
                    dashboard: &d,
                })?;
            } else {
                println!(
                    "{}: {} ({} blocking, {} warnings)",
                    path.display(),
                    d.verdict_word(),
                    d.counts.block,
                    d.counts.warn
                );
            }
            Ok(0)
        }
        Command::Serve { addr, schedule } => {
            tollgate_server::run(tollgate_server::ServeOptions {
                workspace: workspace(&cli.workspace, &cwd, cli.json)?,
                addr,
                schedule,
            })?;
            Ok(0)
        }
        Command::Key(cmd) => {
            decide::key(&workspace(&cli.workspace, &cwd, cli.json)?, cmd, cli.json)
        }
    }
}

/// The workspace for commands that read one, with a note when the built-in
/// profile stands in for a missing tollgate.toml.
fn workspace(explicit: &Option<PathBuf>, cwd: &Path, json: bool) -> Result<Workspace> {
    let ws = Workspace::discover(explicit.as_deref(), cwd)?;
    if ws.policy_path.is_none() && !json {
        eprintln!("note: no {POLICY_FILE} found; using the built-in statetrace profile");
    }
    Ok(ws)
}

fn rollup(ws: &Workspace, args: cli::RollupArgs, json: bool) -> Result<u8> {
    use tollgate::telemetry::{daily_files, rollup as r};
    let dir = ws.path(&ws.policy.paths.telemetry);
    let files = if args.files.is_empty() {
        daily_files(
            &dir,
            &ws.policy.telemetry.daily_files,
            args.from.as_deref(),
            args.to.as_deref(),
        )?
    } else {
        args.files
    };
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no telemetry files: none given and none matching {} in {}",
            ws.policy.telemetry.daily_files,
            dir.display()
        )));
    }
    let opts = r::RollupOptions {
        required_actions: ws.policy.telemetry.required_user_actions.clone(),
    };
    let (rows, scans) = r::rollup(&files, &opts)?;
    let out = args.out.unwrap_or_else(|| {
        dir.join(format!(
            "IngestionMetricsSummary-{}.csv",
            tollgate::read::timestamp::now_stamp()
        ))
    });
    destination::write(ws, &out, r::to_csv(&rows).as_bytes(), args.force)?;
    let findings: Vec<&tollgate::finding::Finding> =
        scans.iter().flat_map(|s| s.findings.iter()).collect();
    if json {
        emit_json(&out::RollupOut::of(&out, rows.len(), &scans))?;
    } else {
        let events: u64 = scans.iter().map(|s| s.events).sum();
        println!(
            "rolled up {} file(s), {events} events, into {} rows: {}",
            scans.len(),
            rows.len(),
            out.display()
        );
        print!("{}", report::findings_text(&findings));
    }
    Ok(0)
}

/// How `approve` or `waive` is signed, from `--key` / `--signature` / `--statement`.
fn signing(
    key: Option<PathBuf>,
    signature: Option<PathBuf>,
    statement: Option<PathBuf>,
) -> tollgate::release::status::Signing {
    use tollgate::release::status::Signing;
    match (key, signature) {
        (Some(k), _) => Signing::Key(k),
        (None, Some(sig)) => Signing::Signature {
            statement: statement.unwrap_or_else(|| sig.with_extension("")),
            signature: sig,
        },
        (None, None) => Signing::Unsigned,
    }
}

fn gates(ws: &Workspace, args: cli::GatesArgs, json: bool, ci: Option<decide::Ci>) -> Result<u8> {
    use tollgate::gates::{self as g, baseline};
    use tollgate::readiness;
    let history = baseline::load(ws)?;
    if let Some(v) = &args.release {
        tollgate::release::check_version(v)?;
        if !g::reads_changelog(ws, &args.only) {
            return Err(Error::Usage(format!(
                "--release {v}: no gate judged here reads a changelog, so it would change nothing"
            )));
        }
    }
    let judged = readiness::judge_gates(
        ws,
        &history,
        &args.only,
        args.baseline.as_deref(),
        args.release.as_deref(),
    )?;
    let results = judged.results;
    if results.is_empty() {
        return Err(Error::Usage(if ws.policy.gates.is_empty() {
            "the policy declares no [[gate]]".to_string()
        } else {
            format!(
                "--only {}: no gate has that id or plan",
                args.only.join(", ")
            )
        }));
    }
    let findings = g::findings(&results);
    if let Some(p) = &args.junit {
        destination::write(ws, p, report::junit::gates(&results).as_bytes(), args.force)?;
    }
    let recorded = match &args.record {
        Some(name) => Some(baseline::record(ws, name, &results)?),
        None => None,
    };
    let o = out::GatesOut::of(
        &results,
        &findings,
        judged.baseline.as_ref(),
        recorded.as_deref(),
    );
    if json {
        emit_json(&o)?;
    } else if let Some(ci) = ci {
        let refs: Vec<_> = findings.iter().collect();
        ci.output(ws, "gates", o.verdict, &refs)?;
    } else {
        print!(
            "{}",
            report::gates::table(&results, o.verdict, args.explain)
        );
        let refs: Vec<_> = findings.iter().collect();
        print!("{}", report::findings_text(&refs));
        if let Some(p) = recorded {
            println!(
                "recorded baseline '{}' in {}",
                args.record.unwrap_or_default(),
                p
            );
        }
    }
    Ok(out::exit_code(o.verdict))
}

fn analyze(ws: &Workspace, kind: cli::AnalyzeKind, json: bool) -> Result<u8> {
    use tollgate::report::analyze as text;
    use tollgate::telemetry::analyze as a;
    match kind {
        cli::AnalyzeKind::QueueDelay {
            args,
            min_samples,
            max_p95,
            max_p99,
        } => {
            let t = a::QueueThresholds::from_policy(&ws.policy, min_samples, max_p95, max_p99)?;
            let (summary, scans) = a::queue_delay(&args.files, t)?;
            let shown = text::queue_delay_text(&summary, &t);
            analyzed(
                ws,
                &args,
                std::slice::from_ref(&summary),
                &scans,
                json,
                shown,
            )
        }
        cli::AnalyzeKind::SharedCache(args) => {
            let (r, scans) = a::shared_cache(&args.files)?;
            let shown = text::columns_text(&r, text::SHARED_CACHE_COLUMNS);
            analyzed(ws, &args, &r, &scans, json, shown)
        }
        cli::AnalyzeKind::ProviderReasons(args) => {
            let (r, scans) = a::provider_reasons(&args.files)?;
            let shown = text::columns_text(&r, text::PROVIDER_COLUMNS);
            analyzed(ws, &args, &r, &scans, json, shown)
        }
    }
}

/// Write `--out`, then print the analyzer's JSON or `shown` and the findings.
fn analyzed<T: serde::Serialize>(
    ws: &Workspace,
    args: &cli::AnalyzeArgs,
    result: &[T],
    scans: &[tollgate::read::telemetry::FileScan],
    json: bool,
    shown: String,
) -> Result<u8> {
    if let Some(out) = &args.out {
        let text = serde_json::to_string_pretty(result).map_err(|e| Error::Usage(e.to_string()))?;
        destination::write(ws, out, text.as_bytes(), args.force)?;
    }
    if json {
        emit_json(&out::AnalyzeOut {
            result: &result,
            files: scans,
        })?;
        return Ok(0);
    }
    print!("{shown}");
    let findings: Vec<&tollgate::finding::Finding> =
        scans.iter().flat_map(|s| s.findings.iter()).collect();
    print!("{}", report::findings_text(&findings));
    Ok(0)
}

pub(crate) fn emit_json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Usage(e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn init(dir: &Path, profile: &str, force: bool, json: bool) -> Result<u8> {
    let path = tollgate::init::init(dir, profile, force)?;
    if json {
        emit_json(&out::InitOut {
            path: path.display().to_string(),
            profile,
        })?;
    } else {
        println!("wrote {} (profile {profile})", path.display());
    }
    Ok(0)
}

fn demo(args: cli::DemoArgs, json: bool) -> Result<u8> {
    let anchor = args
        .date
        .as_deref()
        .map(|d| {
            chrono_date(d).ok_or_else(|| Error::Usage(format!("--date '{d}': expected YYYY-MM-DD")))
        })
        .transpose()?;
    let opts = tollgate::demo::DemoOptions {
        dir: args.dir,
        profile: args.profile,
        seed: args.seed,
        scale: args.scale,
        days: args.days,
        anchor,
    };
    let r = tollgate::demo::run(&opts)?;
    let summary_path = r.summary_path.display().to_string();
    if json {
        emit_json(&out::DemoOut::of(&r))?;
        return Ok(0);
    }
    let version = r.version.as_str();
    println!(
        "tollgate demo ({} profile): generated {} files ({:.1} MB) in {} (seed {}, scale {})",
        r.profile,
        r.generated_files,
        r.generated_bytes as f64 / 1e6,
        r.dir.display(),
        opts.seed,
        opts.scale
    );
    if let Some(p) = &r.previous {
        println!(
            "\nreleased {} first (the baseline): {}, approved by both roles",
            p.decision.version,
            p.decision.word()
        );
    }
    for p in &r.published {
        println!(
            "published {}/{}: {} artifacts",
            p.bundle,
            p.area,
            p.manifest.artifacts.len()
        );
    }
    println!("\n$ tollgate bundle verify {}", r.verification.name);
    print!(
        "{}",
        render::verify_text(&r.verification, Some(&summary_path))
    );
    let findings = tollgate::gates::findings(&r.gates);
    let release_arg = if r.previous.is_some() {
        format!(" --release {version}")
    } else {
        String::new()
    };
    println!("\n$ tollgate gates{release_arg}");
    print!(
        "{}",
        report::gates::table(&r.gates, Verdict::of(&findings), false)
    );
    let refs: Vec<_> = findings.iter().collect();
    print!("{}", report::findings_text(&refs));
    if let Some(docs) = &r.docs {
        println!("\n$ tollgate docs check");
        print!("{}", report::docs::check_text(docs));
    }
    if let Some(checklist) = &r.checklist {
        println!("\n$ tollgate docs checklist");
        print!("{}", report::docs::checklist_text(checklist));
    }
    println!("\n$ tollgate verify");
    print!("{}", report::release::verify_text(&r.run));
    match &r.rc_summary {
        Some(rc) => println!(
            "\n$ tollgate release {version} --rc-summary {}",
            rc.display()
        ),
        None => println!("\n$ tollgate release {version}"),
    }
    print!("{}", report::release::decision_text(&r.release.decision));
    println!("evidence: {}", r.release.dir.display());
    println!(
        "\napprover keys (unencrypted demo keys; real approvers keep theirs in ~/.ssh or ssh-agent): {}",
        r.keys.display()
    );
    println!(
        "$ tollgate approve {version} --role Release --key {}/qa-lead   (the QA lead's key signing as Release)",
        r.keys.display()
    );
    println!("refused: {}", r.forged);
    if let Some(w) = &r.waiver {
        println!(
            "$ tollgate waive {version} --gate {} --reason ... --expires {} --role Release --key ...",
            w.target.trim_start_matches("gate:"),
            w.expires
        );
        print!("{}", report::release::waiver_text(w, version));
    }
    for a in &r.approvals {
        println!("$ tollgate approve {version} --role {} --key ...", a.role);
        print!("{}", report::release::approval_text(a, version));
    }
    println!(
        "\nDecision for {version}: {}{}",
        r.release.decision.word().to_uppercase(),
        if r.approvals.iter().any(|a| a.override_reason.is_some()) {
            " (approved with a signed override, recorded in the ledger)"
        } else {
            ""
        }
    );
    println!(
        "\n$ tollgate dashboard   ({} earlier verification run{} seeded for the trends)\n{}: {}",
        r.history_runs,
        if r.history_runs == 1 { "" } else { "s" },
        r.dashboard.display(),
        r.dashboard_verdict
    );
    let exe = std::env::args().next().unwrap_or_else(|| "tollgate".into());
    println!("\nNext: {exe} --workspace {} bundle list", r.dir.display());
    Ok(0)
}

fn chrono_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn bundle(ws: &Workspace, cmd: BundleCmd, json: bool, ci: Option<decide::Ci>) -> Result<u8> {
    match cmd {
        BundleCmd::Verify {
            bundle,
            area,
            summary,
            junit,
            force,
            insecure,
        } => {
            for p in summary.iter().chain(&junit) {
                destination::check(ws, p, force)?;
            }
            let (report, written) = if registry::is_oci(&bundle) {
                if !area.is_empty() {
                    return Err(Error::Usage(
                        "--area does not apply to a bundle in a registry: every area is verified"
                            .into(),
                    ));
                }
                let at = registry::OciRef::parse(&bundle)?;
                let report = registry::fetch::verify(ws, &at, registry::Options { insecure })?;
                // Nothing is written beside a registry bundle; only --summary.
                let written = summary
                    .as_deref()
                    .map(|p| catalog::store_summary(Path::new("."), &report.areas, Some(p)));
                (report, written)
            } else {
                let dir = catalog::resolve_bundle(ws, &bundle)?;
                let report = tollgate::signing::verify_bundle(ws, &dir, &area)?;
                let written = catalog::store_summary(&dir, &report.areas, summary.as_deref());
                (report, Some(written))
            };
            let (written, write_note) = match written {
                Some(Ok(p)) => (Some(p.display().to_string()), None),
                Some(Err(e)) => (None, Some(format!("warning: summary not written: {e}"))),
                None => (None, None),
            };
            if let Some(p) = &junit {
                destination::write(ws, p, report::junit::bundle(&report).as_bytes(), force)?;
            }
            if json {
                emit_json(&render::verify_json(&report, written))?;
            } else if let Some(ci) = ci {
                ci.output(
                    ws,
                    "bundle verify",
                    report.verdict(),
                    &report.all_findings(),
                )?;
            } else {
                print!("{}", render::verify_text(&report, written.as_deref()));
            }
            if let Some(n) = write_note {
                eprintln!("{n}");
            }
            Ok(out::exit_code(report.verdict()))
        }
        BundleCmd::Show { bundle, summary } => {
            let dir = catalog::resolve_bundle(ws, &bundle)?;
            let path = match summary.or_else(|| catalog::find_summary(&dir)) {
                Some(p) => p,
                None => {
                    return Err(Error::io(
                        dir.join(summary::SUMMARY_FILE),
                        std::io::Error::new(std::io::ErrorKind::NotFound, "no stored verification summary; run `tollgate bundle verify` first or pass --summary"),
                    ))
                }
            };
            let areas = summary::read(&path)?;
            let name = dir
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or(bundle);
            if json {
                emit_json(&out::ShowOut {
                    bundle: &name,
                    summary_path: path.display().to_string(),
                    verdict: catalog::overall(&areas),
                    areas: &areas,
                })?;
            } else {
                print!(
                    "{}",
                    render::show_text(&name, &path.display().to_string(), &areas)
                );
            }
            Ok(0)
        }
        BundleCmd::Push {
            bundle,
            to,
            insecure,
        } => {
            let at = registry::OciRef::parse(&to)?;
            let dir = catalog::resolve_bundle(ws, &bundle)?;
            let pushed = registry::push::push(ws, &dir, &at, registry::Options { insecure })?;
            if json {
                emit_json(&pushed)?;
            } else {
                print!("{}", render::pushed_text(&pushed));
            }
            Ok(0)
        }
        BundleCmd::Pull {
            reference,
            to,
            insecure,
        } => {
            let at = registry::OciRef::parse(&reference)?;
            let into = to.unwrap_or_else(|| ws.bundles_dir());
            let pulled = registry::fetch::pull(ws, &at, &into, registry::Options { insecure })?;
            if json {
                emit_json(&render::pulled_json(&pulled))?;
            } else {
                print!("{}", render::pulled_text(&pulled));
            }
            Ok(out::exit_code(pulled.report.verdict()))
        }
        BundleCmd::Sign { bundle, force } => {
            let dir = catalog::resolve_bundle(ws, &bundle)?;
            let written = tollgate::signing::sign_bundle(ws, &dir, force)?;
            decide::done(json, out::DoneOut::Signed(out::DoneOut::paths(&written)))
        }
        BundleCmd::List => {
            let entries = catalog::list_bundles(&ws.bundles_dir(), &ws.policy.bundle)?;
            if json {
                emit_json(&entries)?;
            } else {
                print!("{}", render::list_text(&entries));
            }
            Ok(0)
        }
        BundleCmd::Publish(args) => {
            let adds = args
                .add
                .iter()
                .map(|a| {
                    a.split_once('=')
                        .filter(|(c, p)| !c.is_empty() && !p.is_empty())
                        .map(|(c, p)| (c.to_string(), PathBuf::from(p)))
                        .ok_or_else(|| Error::Usage(format!("--add '{a}': expected CATEGORY=PATH")))
                })
                .collect::<Result<Vec<_>>>()?;
            let req = publish::PublishRequest {
                name: args.name,
                area: args
                    .area
                    .unwrap_or_else(|| ws.policy.bundle.default_area.clone()),
                plans: args.plan,
                tasks: args.task,
                risks: args.risk,
                notes: args.notes,
                adds,
                discover: !args.no_discover,
                force: args.force,
                allow_unredacted: args.allow_unredacted,
                allow_outside: args.allow_outside,
                command_line: std::env::args().collect::<Vec<_>>().join(" "),
            };
            let r = publish::publish(ws, &req)?;
            let o = out::PublishOut::of(&r);
            if json {
                emit_json(&o)?;
            } else {
                match &r.area_dir {
                    Some(d) => println!("published {}/{}: {} artifacts in {}", r.bundle, r.area, r.manifest.artifacts.len(), d.display()),
                    None => println!("BLOCKED: nothing was published ({} redaction hit(s); use --allow-unredacted after review)", r.findings.len()),
                }
                if let Some(s) = &r.superseded {
                    println!("the previous area was kept at {}", s.display());
                }
                let all: Vec<_> = r.findings.iter().collect();
                print!("{}", report::findings_text(&all));
            }
            Ok(out::exit_code(o.verdict))
        }
    }
}
