//! The shared ledger on a real PostgreSQL (issue 17): migration with every
//! hash kept, the same commands against it, one chain under concurrent
//! appends (and on SQLite), tampering caught, faults as clear errors, and
//! the password never shown.

mod common;

use std::path::Path;

use common::pg::{Cluster, PASSWORD};
use common::*;

/// The environment that points tollgate at `url`.
fn shared(url: &str) -> [(&str, &str); 2] {
    [("TOLLGATE_LEDGER_URL", url), ("PGPASSWORD", PASSWORD)]
}

fn on(url: &str, ws: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--workspace", ws.to_str().unwrap()];
    all.extend(args);
    run_env(&shared(url), &all)
}

fn log_json(url: &str, ws: &Path) -> Vec<serde_json::Value> {
    let (code, out, err) = on(url, ws, &["ledger", "log", "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// A demo workspace whose ledger was migrated to a new database; its URL.
fn migrated(pg: &Cluster, db: &str) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (dir, ws) = demo_workspace();
    let url = pg.create_db(db);
    let (code, out, err) = run_env(
        &[("PGPASSWORD", PASSWORD)],
        &[
            "--workspace",
            ws.to_str().unwrap(),
            "ledger",
            "migrate",
            "--to",
            &url,
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    (dir, ws, url)
}

#[test]
fn a_migrated_demo_ledger_keeps_every_hash_and_every_command_works_on_it() {
    let Some(pg) = Cluster::start() else { return };
    let (_dir, ws, url) = migrated(&pg, "demo");
    let local = ledger_log(&ws);
    assert_eq!(local.len(), 11);
    let remote = log_json(&url, &ws);
    assert_eq!(remote, local, "the migrated entries differ");
    let (code, out, err) = on(&url, &ws, &["ledger", "verify"]);
    assert_eq!(code, 0, "{out}{err}");

    // Again: nothing to copy. Into a database with another chain: refused.
    let (code, out, err) = run_env(
        &[("PGPASSWORD", PASSWORD)],
        &[
            "--workspace",
            ws.to_str().unwrap(),
            "ledger",
            "migrate",
            "--to",
            &url,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0 entries copied, 11 in all"), "{out}");
    let (_other_dir, other) = demo_workspace();
    let (code, _, _) = run(&[
        "--workspace",
        other.to_str().unwrap(),
        "gates",
        "--record",
        "x",
    ]);
    assert!(code <= 1);
    let (code, _, err) = run_env(
        &[("PGPASSWORD", PASSWORD)],
        &[
            "--workspace",
            other.to_str().unwrap(),
            "ledger",
            "migrate",
            "--to",
            &url,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("holds another chain") || err.contains("another chain"),
        "{err}"
    );

    // The commands that read and append work unchanged against it.
    let version = demo_release(&ws);
    let (code, out, err) = on(&url, &ws, &["release", "status", &version, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["status"]["shippable"], true, "{status}");
    let (code, _, err) = on(&url, &ws, &["verify"]);
    assert!(code <= 1, "{err}");
    let (code, _, err) = on(&url, &ws, &["gates", "--record", "shared-1"]);
    assert!(code <= 1, "{err}");
    let (code, _, err) = on(&url, &ws, &["gates", "--record", "shared-1"]);
    assert_eq!(code, 2, "a baseline name is recorded once: {err}");
    let dash = ws.with_file_name("dash");
    let (code, out, err) = on(
        &url,
        &ws,
        &["dashboard", "--out", dash.to_str().unwrap(), "--json"],
    );
    assert!(code <= 1, "{out}{err}");
    let remote = log_json(&url, &ws);
    assert_eq!(remote.len(), 13);
    assert_eq!(remote[11]["kind"], "verify");
    assert_eq!(remote[12]["kind"], "baseline");
    // The local ledger was left as it was.
    assert_eq!(ledger_log(&ws).len(), 11);
    let (code, out, err) = on(&url, &ws, &["ledger", "verify"]);
    assert_eq!(code, 0, "{out}{err}");

    // The password is nowhere: not in any output, nor in any file written.
    let (_, out, err) = on(&url, &ws, &["ledger", "verify", "--json"]);
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    let with_password = url.replace("tollgate@", &format!("tollgate:{PASSWORD}@"));
    let (code, out, err) = run_env(
        &[("TOLLGATE_LEDGER_URL", &with_password)],
        &["--workspace", ws.to_str().unwrap(), "ledger", "log"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains(PASSWORD) && !err.contains(PASSWORD),
        "{out}{err}"
    );
    let (code, _, err) = run_env(
        &[("TOLLGATE_LEDGER_URL", &with_password)],
        &["--workspace", ws.to_str().unwrap(), "verify"],
    );
    assert!(code <= 1, "{err}");
    assert!(
        !grep_tree(&ws, PASSWORD),
        "the password was written under the workspace"
    );
    let mut client = pg.client("demo");
    for row in client
        .query("SELECT payload FROM tollgate_entries", &[])
        .unwrap()
    {
        let payload: String = row.get(0);
        assert!(!payload.contains(PASSWORD), "the password is in the ledger");
    }
}

/// Whether any file under `dir` contains `needle`.
fn grep_tree(dir: &Path, needle: &str) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            grep_tree(&p, needle)
        } else {
            std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        }
    })
}

/// `writers` processes at once, each running 100 tollgate commands that
/// append (a verification run, a bundle publish, an approval, in turn) with
/// `env`, each in its own copy of workspace `ws` (as CI runners each have a
/// checkout) when `copies`, else all in `ws`; every command must succeed.
fn append_concurrently(ws: &Path, env: &[(&str, &str)], writers: usize, copies: bool) {
    let version = demo_release(ws);
    std::fs::write(ws.join("note.txt"), "evidence\n").unwrap();
    let roots: Vec<std::path::PathBuf> = (0..writers)
        .map(|w| {
            if !copies {
                return ws.to_path_buf();
            }
            let copy = ws.with_file_name(format!("runner-{w}"));
            let ok = std::process::Command::new("cp")
                .arg("-a")
                .arg(ws)
                .arg(&copy)
                .status()
                .unwrap();
            assert!(ok.success());
            copy
        })
        .collect();
    std::thread::scope(|s| {
        for (w, ws) in roots.iter().enumerate() {
            let version = &version;
            s.spawn(move || {
                let root = ws.to_str().unwrap();
                for i in 0..100 {
                    let name = format!("c{w}-{i}");
                    let note = format!("Data={}", ws.join("note.txt").display());
                    let args: Vec<&str> = match i % 3 {
                        // One verification at a time per checkout: the
                        // SQLite writers share one, so only they verify.
                        0 if copies || w == 0 => vec!["--workspace", root, "verify"],
                        0 | 1 => vec![
                            "--workspace",
                            root,
                            "bundle",
                            "publish",
                            "--name",
                            &name,
                            "--no-discover",
                            "--add",
                            &note,
                        ],
                        _ => vec![
                            "--workspace",
                            root,
                            "approve",
                            version,
                            "--role",
                            "QA",
                            "--by",
                            &name,
                            "--override",
                            "concurrency test: shipping over findings",
                        ],
                    };
                    let (code, out, err) = run_env(env, &args);
                    assert!(code <= 1, "writer {w}, command {i}: {args:?}\n{out}{err}");
                }
            });
        }
    });
}

/// The seqs of `entries`, which must be 1..=n, each linked to the last.
fn one_chain(entries: &[serde_json::Value]) {
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1, "{e}");
        if i > 0 {
            assert_eq!(
                e["prev_hash"],
                entries[i - 1]["hash"],
                "entry {} forks",
                i + 1
            );
        }
    }
}

#[test]
fn eight_writers_on_postgres_and_four_on_sqlite_keep_one_chain() {
    let Some(pg) = Cluster::start() else { return };
    let (_dir, ws, url) = migrated(&pg, "busy");
    drop_demo_approvals(&ws);
    append_concurrently(&ws, &shared(&url), 8, true);
    let entries = log_json(&url, &ws);
    assert_eq!(entries.len(), 11 + 800);
    one_chain(&entries);
    let (code, out, err) = on(&url, &ws, &["ledger", "verify"]);
    assert_eq!(code, 0, "{out}{err}");

    let (_local_dir, local) = demo_workspace();
    drop_demo_approvals(&local);
    append_concurrently(&local, &[], 4, false);
    let entries = ledger_log(&local);
    assert_eq!(entries.len(), 11 + 400);
    one_chain(&entries);
    let (code, out, err) = run(&["--workspace", local.to_str().unwrap(), "ledger", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
