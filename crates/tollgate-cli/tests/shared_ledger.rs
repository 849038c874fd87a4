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

/// `ledger migrate --to URL` of workspace `ws`, with the password and `extra`
/// in the environment.
fn migrate(ws: &Path, url: &str, extra: &[(&str, &str)]) -> (i32, String, String) {
    let mut env = vec![("PGPASSWORD", PASSWORD)];
    env.extend(extra);
    run_env(
        &env,
        &[
            "--workspace",
            ws.to_str().unwrap(),
            "ledger",
            "migrate",
            "--to",
            url,
        ],
    )
}

/// A demo workspace whose ledger was migrated to a new database; its URL.
fn migrated(pg: &Cluster, db: &str) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (dir, ws) = demo_workspace();
    let url = pg.create_db(db);
    let (code, out, err) = migrate(&ws, &url, &[]);
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
    let (code, out, err) = migrate(&ws, &url, &[]);
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
    let (code, _, err) = migrate(&other, &url, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another chain"), "{err}");

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

/// `ledger verify --json` on the shared ledger: the exit code and the
/// checks of its blocking findings.
fn blocking(url: &str, ws: &Path) -> (i32, Vec<String>) {
    let (code, out, err) = on(url, ws, &["ledger", "verify", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let checks = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "block")
        .map(|f| {
            format!(
                "{} {}",
                f["check"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    (code, checks)
}

#[test]
fn tampering_with_the_shared_ledger_is_caught() {
    let Some(pg) = Cluster::start() else { return };
    let (_dir, ws, url) = migrated(&pg, "tamper");
    let (code, _, err) = on(&url, &ws, &["key", "gen"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = on(&url, &ws, &["ledger", "checkpoint"]);
    assert_eq!(code, 0, "{out}{err}");
    let mut db = pg.client("tamper");
    db.batch_execute(
        "CREATE TABLE backup AS SELECT * FROM tollgate_entries;
         CREATE TABLE head_backup AS SELECT * FROM tollgate_head;",
    )
    .unwrap();
    let restore = |db: &mut postgres::Client| {
        db.batch_execute(
            "DELETE FROM tollgate_entries; INSERT INTO tollgate_entries SELECT * FROM backup;
             DELETE FROM tollgate_head; INSERT INTO tollgate_head SELECT * FROM head_backup;",
        )
        .unwrap();
        assert_eq!(blocking(&url, &ws), (0, vec![]));
    };
    restore(&mut db);
    let caught = |db: &mut postgres::Client, sql: &str, want: &str| {
        db.batch_execute(sql).unwrap();
        let (code, checks) = blocking(&url, &ws);
        assert_eq!(code, 1, "{sql}: {checks:?}");
        assert!(checks.iter().any(|c| c.contains(want)), "{sql}: {checks:?}");
    };
    caught(
        &mut db,
        "UPDATE tollgate_entries SET subject = 'forged' WHERE seq = 3",
        "forged: hash",
    );
    restore(&mut db);
    caught(
        &mut db,
        "DELETE FROM tollgate_entries WHERE seq = 5",
        "sequence number is 6, expected 5",
    );
    restore(&mut db);
    caught(
        &mut db,
        "UPDATE tollgate_entries SET seq = -4 WHERE seq = 4;
         UPDATE tollgate_entries SET seq = 4 WHERE seq = 6;
         UPDATE tollgate_entries SET seq = 6 WHERE seq = -4;",
        "does not match the previous entry's hash",
    );
    restore(&mut db);
    // The tail and the head row together: this machine's head file (it
    // wrote entry 11 when migrating) and the checkpoint both see it.
    caught(
        &mut db,
        "DELETE FROM tollgate_entries WHERE seq >= 10;
         UPDATE tollgate_head SET seq = 9, hash = (SELECT hash FROM tollgate_entries WHERE seq = 9);",
        "this machine's head file records entry 11",
    );
    let (_, checks) = blocking(&url, &ws);
    assert!(
        checks
            .iter()
            .any(|c| c.contains("shorter than this checkpoint of entry 11")),
        "{checks:?}"
    );
    restore(&mut db);

    // A whole chain rebuilt self-consistently from entry 2 on, head row
    // included, seen from another machine (no head file of its own): only
    // the committed checkpoint catches it.
    db.batch_execute(
        "UPDATE tollgate_entries SET payload = replace(payload, 'Pass', 'Fail') WHERE seq = 2",
    )
    .unwrap();
    for seq in 2..=11i64 {
        db.execute(
            "UPDATE tollgate_entries e SET
                 payload_digest = encode(sha256(convert_to(e.payload, 'UTF8')), 'hex'),
                 prev_hash = (SELECT hash FROM tollgate_entries p WHERE p.seq = e.seq - 1)
             WHERE seq = $1",
            &[&seq],
        )
        .unwrap();
        db.execute(
            "UPDATE tollgate_entries SET hash = encode(sha256(convert_to(
                 seq || E'\\n' || time || E'\\n' || kind || E'\\n' || subject || E'\\n' ||
                 payload_digest || E'\\n' || prev_hash, 'UTF8')), 'hex')
             WHERE seq = $1",
            &[&seq],
        )
        .unwrap();
    }
    db.batch_execute(
        "UPDATE tollgate_head SET hash = (SELECT hash FROM tollgate_entries WHERE seq = 11)",
    )
    .unwrap();
    for f in std::fs::read_dir(ws.join(".tollgate")).unwrap().flatten() {
        if f.file_name().to_string_lossy().starts_with("ledger-head-") {
            std::fs::remove_file(f.path()).unwrap();
        }
    }
    let (code, checks) = blocking(&url, &ws);
    assert_eq!(code, 1, "{checks:?}");
    assert!(
        checks.iter().all(|c| c.starts_with("ledger.checkpoint")),
        "the chain itself is consistent: {checks:?}"
    );
    assert!(
        checks.iter().any(|c| c.contains("the chain was rewritten")),
        "{checks:?}"
    );
}

#[test]
fn faults_are_clear_errors_naming_the_ledger_never_hangs() {
    let Some(pg) = Cluster::start() else { return };
    let (_dir, ws, url) = migrated(&pg, "faults");
    let root = ws.to_str().unwrap();
    let shown = url.clone();

    // A wrong password: the server's reason, never the password.
    let (code, out, err) = run_env(
        &[
            ("TOLLGATE_LEDGER_URL", &url),
            ("PGPASSWORD", "wrong-password-1234"),
        ],
        &["--workspace", root, "ledger", "log"],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&shown) && err.contains("password authentication failed"),
        "{err}"
    );
    assert!(!err.contains("wrong-password-1234"), "{err}");

    // Nobody listening, and an address that does not answer: exit 2 fast.
    let closed = format!(
        "postgres://tollgate@127.0.0.1:{}/faults",
        common::pg::free_port()
    );
    let (code, _, err) = run_env(&shared(&closed), &["--workspace", root, "ledger", "log"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot connect"), "{err}");
    let silent = "postgres://tollgate@10.255.255.1:5432/faults?connect_timeout=2";
    let start = std::time::Instant::now();
    let out = tollgate()
        .envs(shared(silent))
        .args(["--workspace", root, "ledger", "log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(start.elapsed() < std::time::Duration::from_secs(15));

    // Malformed references, and a password in the committed policy.
    for bad in ["postgres://tollgate@127.0.0.1:notaport/x", "mysql://a@b/c"] {
        let (code, _, err) = run_env(&shared(bad), &["--workspace", root, "ledger", "log"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("TOLLGATE_LEDGER_URL: "), "{err}");
    }
    let policy = ws.join("tollgate.toml");
    let original = std::fs::read_to_string(&policy).unwrap();
    let with_secret = original.replace(
        "[ledger]\n",
        &format!(
            "[ledger]\nurl = \"{}\"\n",
            url.replace("tollgate@", "tollgate:hunter22@")
        ),
    );
    assert_ne!(
        with_secret, original,
        "the demo policy has a [ledger] table"
    );
    std::fs::write(&policy, with_secret).unwrap();
    let (code, _, err) = run(&["--workspace", root, "ledger", "log"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("holds a password") && !err.contains("hunter22"),
        "{err}"
    );
    std::fs::write(&policy, original).unwrap();

    // A schema newer than this tollgate knows is refused.
    let mut db = pg.client("faults");
    db.batch_execute("UPDATE tollgate_schema SET version = 99")
        .unwrap();
    let (code, _, err) = on(&url, &ws, &["ledger", "log"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("schema is version 99, newer than this tollgate knows"),
        "{err}"
    );
    db.batch_execute("UPDATE tollgate_schema SET version = 1")
        .unwrap();
    drop(db);

    // The database stopped while runners append: the appends that fail
    // say so (exit 2), none is half-written, and the chain verifies after.
    drop_demo_approvals(&ws);
    let version = demo_release(&ws);
    let failures = std::thread::scope(|s| {
        let appender = s.spawn(|| {
            let mut failed = Vec::new();
            for i in 0..40 {
                let name = format!("late-{i}");
                let (code, _, err) = on(
                    &url,
                    &ws,
                    &[
                        "approve",
                        &version,
                        "--role",
                        "QA",
                        "--by",
                        &name,
                        "--override",
                        "the database may stop now",
                    ],
                );
                if code != 0 {
                    assert_eq!(code, 2, "{err}");
                    assert!(err.contains(&shown), "{err}");
                    failed.push(err);
                }
            }
            failed
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        pg.stop_server();
        std::thread::sleep(std::time::Duration::from_millis(500));
        pg.start_server();
        appender.join().unwrap()
    });
    assert!(!failures.is_empty(), "no append saw the database stop");
    let (code, out, err) = on(&url, &ws, &["ledger", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    let approvals = log_json(&url, &ws)
        .iter()
        .filter(|e| e["kind"] == "approval" && e["subject"] == version.as_str())
        .count();
    assert_eq!(approvals, 2 + 40 - failures.len(), "{failures:?}");
}

#[test]
fn tls_is_used_when_the_server_requires_it() {
    let Some(pg) = Cluster::start() else { return };
    let ca = pg.require_tls();
    let (_dir, ws) = demo_workspace();
    let root = ws.to_str().unwrap();
    let url = pg.create_db("tls");
    let migrate = |url: &str, extra: &[(&str, &str)]| migrate(&ws, url, extra);
    // Without TLS the server turns the client away...
    let (code, _, err) = migrate(&format!("{url}?sslmode=disable"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no encryption"), "{err}");
    // ...and one checking the server against another CA refuses it.
    let other = ws.with_file_name("other-ca.crt");
    common::pg::self_signed("other", &ws.with_file_name("other.key"), &other);
    let (code, _, err) = migrate(&url, &[("PGSSLROOTCERT", other.to_str().unwrap())]);
    assert!(err.contains("TLS") || err.contains("certificate"), "{err}");
    assert_eq!(code, 2, "{err}");
    // By default TLS is negotiated; with PGSSLROOTCERT the certificate and
    // the host name are checked too.
    let (code, out, err) = migrate(&format!("{url}?sslmode=require"), &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run_env(
        &[
            ("TOLLGATE_LEDGER_URL", &url),
            ("PGPASSWORD", PASSWORD),
            ("PGSSLROOTCERT", ca.to_str().unwrap()),
        ],
        &["--workspace", root, "ledger", "verify"],
    );
    assert_eq!(code, 0, "{out}{err}");
}
