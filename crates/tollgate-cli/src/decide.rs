//! Commands that run, decide, record and prove: `verify`, `release`,
//! `approve`, `ledger`, `schedule`, `key` (SPEC §4, §7).

use std::path::PathBuf;

use tollgate::error::{Error, Result};
use tollgate::finding::{Finding, Verdict};
use tollgate::policy::Workspace;
use tollgate::record::destination;
use tollgate::record::ledger::Ledger;
use tollgate::release::{self, status, waive};
use tollgate::report::{self, output as out, release as render};
use tollgate::schedule::Schedule;
use tollgate::verification::{self, Started};

use crate::cli::{
    BundleCmd, Command, DocsCmd, Format, KeyCmd, LedgerCmd, ReleaseArgs, ReleaseCmd, ScheduleCmd,
    When,
};
use crate::emit_json;

/// A CI output format: `--format github` or `--format sarif`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ci {
    Github,
    Sarif,
}

impl Ci {
    /// The CI format asked for, if any; a usage error with `--json` or on
    /// a command that judges nothing (`--format` would do nothing there).
    pub fn of(format: Format, json: bool, command: &Command) -> Result<Option<Ci>> {
        let ci = match format {
            Format::Text | Format::Json => return Ok(None),
            Format::Github => Ci::Github,
            Format::Sarif => Ci::Sarif,
        };
        let word = if ci == Ci::Github { "github" } else { "sarif" };
        if json {
            return Err(Error::Usage(format!(
                "--json and --format {word} both choose the output; give one"
            )));
        }
        let judges = matches!(
            command,
            Command::Bundle(BundleCmd::Verify { .. })
                | Command::Gates(_)
                | Command::Docs(DocsCmd::Check { .. })
                | Command::Verify { .. }
                | Command::Release(ReleaseArgs { cmd: None, .. })
        );
        if !judges {
            return Err(Error::Usage(format!(
                "--format {word} applies to bundle verify, gates, docs check, verify and release VERSION"
            )));
        }
        Ok(Some(ci))
    }

    /// Write `findings` for CI. github: workflow commands on stdout, and
    /// the job summary appended to `$GITHUB_STEP_SUMMARY` when it is set
    /// (within GitHub's 1 MiB for the whole file). sarif: a SARIF 2.1.0 log
    /// on stdout.
    pub fn output(
        self,
        ws: &Workspace,
        title: &str,
        verdict: Verdict,
        findings: &[&Finding],
    ) -> Result<()> {
        use std::io::Write;
        use tollgate::report::{github, sarif};
        if self == Ci::Sarif {
            return emit_json(&sarif::log(findings, &ws.root));
        }
        print!("{}", github::annotations(findings));
        let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from) else {
            return Ok(());
        };
        let used = std::fs::metadata(&path).map_or(0, |m| m.len() as usize);
        let room = github::SUMMARY_LIMIT.saturating_sub(used);
        let md = github::step_summary(title, verdict, findings, room);
        if md.len() > room {
            eprintln!(
                "warning: {} is full; the job summary was not added",
                path.display()
            );
            return Ok(());
        }
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| f.write_all(md.as_bytes()))
            .map_err(|e| Error::io(&path, e))
    }
}

/// `tollgate verify`: exit 1 when the run fails.
pub fn verify(
    ws: &Workspace,
    scheduled: bool,
    junit: Option<(PathBuf, bool)>,
    (json, ci): (bool, Option<Ci>),
) -> Result<u8> {
    if let Some((p, force)) = &junit {
        destination::check(ws, p, *force)?;
    }
    verification::watchdog(ws);
    match verification::run(ws, scheduled)? {
        Started::Stuck {
            lock,
            holder,
            max_duration,
        } => {
            let msg = out::stuck(&lock, &holder, &max_duration);
            if json {
                emit_json(&out::VerifyOut::Skipped {
                    ran: false,
                    message: msg.clone(),
                })?;
            }
            eprintln!("tollgate: {msg}");
            Ok(1)
        }
        Started::AlreadyRunning { lock, holder } => {
            let msg = out::already_running(&lock, &holder);
            if json {
                emit_json(&out::VerifyOut::Skipped {
                    ran: false,
                    message: msg,
                })?;
            } else {
                println!("{msg}");
            }
            Ok(0)
        }
        Started::Ran(run) => {
            if let Some((p, force)) = &junit {
                let xml = report::junit::verification(&run.summary);
                destination::write(ws, p, xml.as_bytes(), *force)?;
            }
            if json {
                emit_json(&out::VerifyOut::ran(&run))?;
            } else if let Some(ci) = ci {
                let refs: Vec<_> = run.summary.findings.iter().collect();
                ci.output(ws, "verify", run.summary.status, &refs)?;
            } else {
                print!("{}", render::verify_text(&run));
            }
            Ok(out::exit_code(run.summary.status))
        }
    }
}

/// `tollgate release ...`: exit 1 when Blocked (or, for status, not shippable or not verifying).
pub fn release(ws: &Workspace, args: ReleaseArgs, json: bool, ci: Option<Ci>) -> Result<u8> {
    match (args.cmd, args.version) {
        (
            Some(ReleaseCmd::Status {
                version,
                junit,
                force,
            }),
            _,
        ) => {
            let st = status::status(ws, &version)?;
            if let Some(p) = &junit {
                destination::write(ws, p, report::junit::release(&st).as_bytes(), force)?;
            }
            if json {
                emit_json(&out::StatusOut::of(&st))?;
            } else {
                print!("{}", render::status_text(&st));
            }
            Ok(out::exit_code(out::status_verdict(&st)))
        }
        (Some(ReleaseCmd::Sign { version, force }), _) => {
            let envelopes = tollgate::release::sign::sign_release(ws, &version, force)?;
            done(json, out::DoneOut::Signed(out::DoneOut::paths(&envelopes)))
        }
        (None, Some(version)) => {
            if let Some(p) = &args.junit {
                destination::check(ws, p, args.force)?;
            }
            let r = release::release(
                ws,
                &release::Request {
                    version,
                    bundle: args.bundle,
                    rc_summary: args.rc_summary,
                    registry: tollgate::registry::Options {
                        insecure: args.insecure,
                    },
                },
            )?;
            if let Some(p) = &args.junit {
                let xml = report::junit::decision(&r.decision);
                destination::write(ws, p, xml.as_bytes(), args.force)?;
            }
            if json {
                emit_json(&out::ReleaseOut::of(&r))?;
            } else if let Some(ci) = ci {
                let d = &r.decision;
                let refs: Vec<_> = d.blocking.iter().chain(&d.warnings).collect();
                ci.output(ws, &format!("release {}", d.version), d.decision, &refs)?;
            } else {
                print!("{}", render::decision_text(&r.decision));
                println!(
                    "evidence: {} ({} files, manifest.json, decision.json); ledger entry {}",
                    r.dir.display(),
                    r.manifest.files.len(),
                    r.ledger_seq
                );
            }
            Ok(out::exit_code(r.decision.decision))
        }
        (None, None) => Err(Error::Usage(
            "release: give a VERSION, or `release status VERSION` / `release sign VERSION`".into(),
        )),
    }
}

/// `tollgate approve`.
pub fn approve(ws: &Workspace, req: status::ApproveRequest, json: bool) -> Result<u8> {
    let (a, st) = status::approve(ws, &req)?;
    if json {
        emit_json(&out::ApproveOut {
            approval: &a,
            status: &st,
        })?;
    } else {
        print!("{}", render::approval_text(&a, &req.version));
        print!("{}", render::status_text(&st));
    }
    Ok(0)
}

/// `tollgate approve --print-statement`: the statement to sign, on stdout,
/// exactly as it must be signed.
pub fn print_statement(ws: &Workspace, req: &status::ApproveRequest) -> Result<u8> {
    let principal = status::statement_principal(ws, &req.role, req.by.as_deref())?;
    print!("{}", status::statement(ws, req, &principal)?.to_text());
    Ok(0)
}

/// `tollgate waive --print-statement`: the waiver statement to sign.
pub fn print_waiver_statement(ws: &Workspace, req: &waive::WaiveRequest) -> Result<u8> {
    let by = status::statement_principal(ws, &req.role, req.by.as_deref())?;
    print!("{}", waive::statement(ws, req, &by)?.to_text());
    Ok(0)
}

/// `tollgate waive`: record a signed waiver, then show the release.
pub fn waive(ws: &Workspace, req: waive::WaiveRequest, json: bool) -> Result<u8> {
    let (w, st) = waive::waive(ws, &req)?;
    if json {
        emit_json(&out::WaiveOut {
            waiver: &w,
            status: &st,
        })?;
    } else {
        print!("{}", render::waiver_text(&w, &req.version));
        print!("{}", render::status_text(&st));
    }
    Ok(0)
}

/// `tollgate ledger ...`: `verify` exits 1 on the first sign of tampering.
pub fn ledger(ws: &Workspace, cmd: LedgerCmd, json: bool) -> Result<u8> {
    let Some(ledger) = Ledger::existing(ws)? else {
        return Err(Error::io(
            tollgate::record::ledger::location(ws)?,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no ledger yet: nothing has been verified, published or released in this workspace",
            ),
        ));
    };
    match cmd {
        LedgerCmd::Log => {
            let entries = ledger.entries()?;
            if json {
                emit_json(&entries)?;
            } else {
                print!("{}", render::ledger_text(&entries));
            }
            Ok(0)
        }
        LedgerCmd::Verify => {
            let entries = ledger.entries()?.len();
            let findings = tollgate::trust::verify(ws, &ledger)?;
            let verdict = Verdict::of(&findings);
            if json {
                emit_json(&out::LedgerVerifyOut {
                    entries,
                    verdict,
                    findings: &findings,
                })?;
            } else {
                println!(
                    "ledger: {entries} entries, {}",
                    report::headline(verdict, tollgate::finding::Counts::of(&findings))
                );
                if let Some(first) = findings
                    .iter()
                    .find(|f| f.severity == tollgate::finding::Severity::Block)
                {
                    println!(
                        "first problem: {}: {}",
                        report::escape(&first.subject),
                        report::escape(&first.message)
                    );
                }
                let refs: Vec<_> = findings.iter().collect();
                print!("{}", report::findings_text(&refs));
            }
            Ok(out::exit_code(verdict))
        }
        LedgerCmd::Checkpoint => {
            let c = tollgate::trust::checkpoint(ws)?;
            if json {
                emit_json(&c)?;
            } else {
                println!(
                    "checkpoint of entry {} (hash {}) signed by key {} appended to {}",
                    c.seq,
                    tollgate::record::ledger::short_hash(&c.hash),
                    c.key_id,
                    ws.rel(&tollgate::trust::checkpoints_path(ws))
                );
            }
            Ok(0)
        }
        LedgerCmd::Migrate { to } => {
            let to = tollgate::record::backend::Backend::parse(&to, "--to")?;
            let m = tollgate::trust::migrate(ws, &to)?;
            if json {
                emit_json(&m)?;
            } else {
                print!("{}", render::migrated_text(&m));
            }
            Ok(0)
        }
        LedgerCmd::Export { out, force } => {
            let text = tollgate::record::ledger::export_lines(&ledger.entries()?)?;
            match out {
                Some(p) => {
                    tollgate::record::destination::write(ws, &p, text.as_bytes(), force)?;
                    done(json, out::DoneOut::Exported(out::DoneOut::paths(&[p])))
                }
                None => {
                    print!("{text}");
                    Ok(0)
                }
            }
        }
    }
}

pub(crate) fn done(json: bool, d: out::DoneOut) -> Result<u8> {
    if json {
        emit_json(&d)?;
    } else {
        let (what, paths) = d.parts();
        for p in paths {
            println!("{what} {p}");
        }
    }
    Ok(0)
}

fn schedule_of(ws: &Workspace, when: &When) -> Result<Schedule> {
    let text = when
        .cron
        .clone()
        .or_else(|| when.at.clone())
        .or_else(|| ws.policy.verify.schedule.clone())
        .ok_or_else(|| {
            Error::Usage(
                "give --at HH:MM or --cron EXPR (the policy has no verify.schedule)".into(),
            )
        })?;
    Schedule::parse(&text).map_err(|m| Error::Usage(format!("schedule: {m}")))
}

fn exe_and_root(ws: &Workspace) -> Result<(PathBuf, PathBuf)> {
    let exe = std::env::current_exe().map_err(|e| Error::io("tollgate", e))?;
    let root = ws.root.canonicalize().map_err(|e| Error::io(&ws.root, e))?;
    Ok((exe, root))
}

/// `tollgate schedule print|install`.
pub fn schedule(ws: &Workspace, cmd: ScheduleCmd, json: bool) -> Result<u8> {
    match cmd {
        ScheduleCmd::Print(when) => {
            let s = schedule_of(ws, &when)?;
            let (exe, root) = exe_and_root(ws)?;
            let line = s.crontab_line(&exe, &root);
            let units = s.systemd_units(&exe, &root);
            let name = Schedule::unit_name(&root);
            if json {
                emit_json(&out::SchedulePrintOut {
                    cron: &s.cron,
                    crontab: &line,
                    unit: &name,
                    service: units.as_ref().ok().map(|u| u.0.as_str()),
                    timer: units.as_ref().ok().map(|u| u.1.as_str()),
                    systemd_error: units.as_ref().err().map(String::as_str),
                })?;
            } else {
                println!("# crontab line (crontab -e):\n{line}\n");
                match units {
                    Ok((service, timer)) => println!(
                        "# ~/.config/systemd/user/{name}.service\n{service}\n# ~/.config/systemd/user/{name}.timer\n{timer}"
                    ),
                    Err(m) => println!("# no systemd timer: {m}"),
                }
            }
            Ok(0)
        }
        ScheduleCmd::Install {
            when,
            crontab,
            unit_dir,
        } => {
            let s = schedule_of(ws, &when)?;
            let (exe, root) = exe_and_root(ws)?;
            if crontab {
                tollgate::schedule::install_crontab(&s, &exe, &root)?;
                return done(
                    json,
                    out::DoneOut::InstalledCrontab(vec!["crontab".to_string()]),
                );
            }
            let (files, enabled) = tollgate::schedule::install_units(&s, &exe, &root, unit_dir)?;
            let files = out::DoneOut::paths(&files);
            done(
                json,
                if enabled {
                    out::DoneOut::InstalledAndEnabled(files)
                } else {
                    out::DoneOut::Wrote(files)
                },
            )
        }
    }
}

/// `tollgate key gen`.
pub fn key(ws: &Workspace, cmd: KeyCmd, json: bool) -> Result<u8> {
    let KeyCmd::Gen {
        force,
        in_workspace,
    } = cmd;
    let home = if in_workspace {
        tollgate::keys::SecretHome::Workspace
    } else {
        tollgate::keys::SecretHome::Config
    };
    let g = tollgate::keys::generate(ws, force, home)?;
    if json {
        emit_json(&out::KeyGenOut {
            secret_key: g.secret.display().to_string(),
            public_key: g.public.display().to_string(),
            key_id: g.key_id,
        })?;
    } else {
        println!(
            "key {}\nsecret key: {} (keep it private; never commit it; CI can pass it in ${})\npublic key: {}",
            g.key_id,
            g.secret.display(),
            tollgate::keys::SECRET_ENV,
            g.public.display()
        );
    }
    Ok(0)
}
