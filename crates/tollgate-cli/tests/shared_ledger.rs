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
    let (code, out, err) = on(&url, &ws, &["dashboard", "--out", "dash", "--json"]);
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
