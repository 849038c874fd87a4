//! Commands that run, decide, record and prove: `verify`, `release`,
//! `approve`, `ledger`, `schedule`, `key` (SPEC §4, §7).

use std::path::{Path, PathBuf};

use tollgate::error::{Error, Result};
use tollgate::finding::Verdict;
use tollgate::policy::Workspace;
use tollgate::record::ledger::Ledger;
use tollgate::release::{self, status};
use tollgate::report::{self, release as render};
use tollgate::schedule::Schedule;
use tollgate::verification::{self, Started};

use crate::cli::{KeyCmd, LedgerCmd, ReleaseArgs, ReleaseCmd, ScheduleCmd, When};
use crate::emit_json;

/// `tollgate verify`: exit 1 when the run fails.
pub fn verify(ws: &Workspace, scheduled: bool, json: bool) -> Result<u8> {
    match verification::run(ws, scheduled)? {
        Started::AlreadyRunning { lock, holder } => {
            let msg = format!(
                "another verification is running ({holder}; lock {}); this scheduled run does nothing",
                lock.display()
            );
            if json {
                emit_json(&serde_json::json!({ "ran": false, "message": msg }))?;
            } else {
                println!("{msg}");
            }
            Ok(0)
        }
        Started::Ran(run) => {
            if json {
                emit_json(&serde_json::json!({
                    "ran": true, "summary_path": run.summary_path.display().to_string(),
                    "latest_path": run.latest_path.display().to_string(), "ledger_seq": run.ledger_seq,
                    "summary": run.summary,
                }))?;
            } else {
                print!("{}", render::verify_text(&run));
            }
            Ok(run.summary.status.exit_code() as u8)
        }
    }
}

/// `tollgate release ...`: exit 1 when Blocked (or, for status, not shippable or not verifying).
pub fn release(ws: &Workspace, args: ReleaseArgs, json: bool) -> Result<u8> {
    match (args.cmd, args.version) {
        (Some(ReleaseCmd::Status { version }), _) => {
            let st = status::status(ws, &version)?;
            if json {
                emit_json(&serde_json::json!({
                    "verifies": st.verifies(), "verdict": Verdict::of(&st.findings), "status": st,
                }))?;
            } else {
                print!("{}", render::status_text(&st));
            }
            Ok(u8::from(!st.verifies() || !st.shippable))
        }
        (Some(ReleaseCmd::Sign { version, force }), _) => {
            let env = tollgate::release::sign::sign_release(ws, &version, force)?;
            done(json, "signed", &[env])
        }
        (None, Some(version)) => {
            let r = release::release(
                ws,
                &release::Request {
                    version,
                    bundle: args.bundle,
                    rc_summary: args.rc_summary,
                },
            )?;
            if json {
                emit_json(&serde_json::json!({
                    "path": r.dir.display().to_string(), "ledger_seq": r.ledger_seq,
                    "decision": r.decision, "manifest": r.manifest,
                }))?;
            } else {
                print!("{}", render::decision_text(&r.decision));
                println!(
                    "evidence: {} ({} files, manifest.json, decision.json); ledger entry {}",
                    r.dir.display(),
                    r.manifest.files.len(),
                    r.ledger_seq
                );
            }
            Ok(u8::from(!r.decision.ready()))
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
        emit_json(&serde_json::json!({ "approval": a, "status": st }))?;
    } else {
        print!("{}", render::approval_text(&a, &req.version));
        print!("{}", render::status_text(&st));
    }
    Ok(0)
}

/// `tollgate ledger ...`: `verify` exits 1 on the first sign of tampering.
pub fn ledger(ws: &Workspace, cmd: LedgerCmd, json: bool) -> Result<u8> {
    let Some(ledger) = Ledger::existing(ws)? else {
        return Err(Error::io(
            tollgate::record::ledger::dir(ws).join("ledger.db"),
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
            let findings = ledger.verify(&ws.root)?;
            let verdict = Verdict::of(&findings);
            if json {
                emit_json(
                    &serde_json::json!({ "entries": entries, "verdict": verdict, "findings": findings }),
                )?;
            } else {
                println!(
                    "ledger: {entries} entries, {}",
                    report::headline(verdict, tollgate::finding::Counts::of(&findings))
                );
                if let Some(first) = findings
                    .iter()
                    .find(|f| f.severity == tollgate::finding::Severity::Block)
                {
                    println!("first problem: {}: {}", first.subject, first.message);
                }
                let refs: Vec<_> = findings.iter().collect();
                print!("{}", report::findings_text(&refs));
            }
            Ok(verdict.exit_code() as u8)
        }
        LedgerCmd::Export { out } => {
            let mut text = String::new();
            for e in ledger.entries()? {
                text.push_str(&serde_json::to_string(&e).map_err(|e| Error::Usage(e.to_string()))?);
                text.push('\n');
            }
            match out {
                Some(p) => {
                    tollgate::record::atomic::write_file(&p, text.as_bytes())?;
                    done(json, "exported", &[p])
                }
                None => {
                    print!("{text}");
                    Ok(0)
                }
            }
        }
    }
}

pub(crate) fn done(json: bool, what: &str, paths: &[PathBuf]) -> Result<u8> {
    let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    if json {
        emit_json(&serde_json::json!({ what: list }))?;
    } else {
        for p in list {
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
                emit_json(&serde_json::json!({
                    "cron": s.cron, "crontab": line, "unit": name,
                    "service": units.as_ref().ok().map(|u| &u.0), "timer": units.as_ref().ok().map(|u| &u.1),
                    "systemd_error": units.as_ref().err(),
                }))?;
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
                install_crontab(&s.crontab_line(&exe, &root), &Schedule::unit_name(&root))?;
                return done(json, "installed crontab line", &[PathBuf::from("crontab")]);
            }
            let (service, timer) = s
                .systemd_units(&exe, &root)
                .map_err(|m| Error::Usage(format!("{m}; use --crontab")))?;
            let enable = unit_dir.is_none();
            let dir = match unit_dir {
                Some(d) => d,
                None => std::env::var_os("HOME")
                    .map(|h| Path::new(&h).join(".config/systemd/user"))
                    .ok_or_else(|| Error::Usage("HOME is not set; give --unit-dir".into()))?,
            };
            let name = Schedule::unit_name(&root);
            let files = [
                dir.join(format!("{name}.service")),
                dir.join(format!("{name}.timer")),
            ];
            tollgate::record::atomic::write_file(&files[0], service.as_bytes())?;
            tollgate::record::atomic::write_file(&files[1], timer.as_bytes())?;
            if enable {
                for args in [
                    vec!["--user", "daemon-reload"],
                    vec!["--user", "enable", "--now", &format!("{name}.timer")],
                ] {
                    let ok = std::process::Command::new("systemctl")
                        .args(&args)
                        .status()
                        .map(|s| s.success())
                        .unwrap_or(false);
                    if !ok {
                        return Err(Error::Usage(format!(
                            "wrote {} and {}, but `systemctl {}` failed; enable the timer by hand or use --crontab",
                            files[0].display(), files[1].display(), args.join(" ")
                        )));
                    }
                }
            }
            done(
                json,
                if enable {
                    "installed and enabled"
                } else {
                    "wrote"
                },
                &files,
            )
        }
    }
}

/// Replace this workspace's line in the user's crontab (tagged with `tag`).
fn install_crontab(line: &str, tag: &str) -> Result<()> {
    use std::io::Write;
    let current = std::process::Command::new("crontab")
        .arg("-l")
        .output()
        .map_err(|e| Error::io("crontab", e))?;
    let mut table: String = String::from_utf8_lossy(&current.stdout)
        .lines()
        .filter(|l| !l.ends_with(&format!("# {tag}")))
        .map(|l| format!("{l}\n"))
        .collect();
    table.push_str(line);
    table.push('\n');
    let mut child = std::process::Command::new("crontab")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("crontab", e))?;
    if let Some(stdin) = child.stdin.as_mut() {
        stdin
            .write_all(table.as_bytes())
            .map_err(|e| Error::io("crontab", e))?;
    }
    let status = child.wait().map_err(|e| Error::io("crontab", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Usage(format!("crontab - exited with {status}")))
    }
}

/// `tollgate key gen`.
pub fn key(ws: &Workspace, cmd: KeyCmd, json: bool) -> Result<u8> {
    let KeyCmd::Gen { force } = cmd;
    let (secret, public, id) = tollgate::signing::generate(ws, force)?;
    if json {
        emit_json(&serde_json::json!({
            "secret_key": secret.display().to_string(), "public_key": public.display().to_string(), "key_id": id,
        }))?;
    } else {
        println!(
            "key {id}\nsecret key: {} (keep it private; never commit it)\npublic key: {}",
            secret.display(),
            public.display()
        );
    }
    Ok(0)
}
