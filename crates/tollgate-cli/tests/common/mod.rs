//! Helpers shared by the end-to-end tests: run the real binary, build
//! generated workspaces, locate the optional shared corpus.
#![allow(dead_code)]

pub mod pg;
pub mod registry;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `tollgate` binary, with no shared ledger or signing key from
/// the caller's environment (a test that wants one sets it: [`run_env`]),
/// and secret keys kept under the build's temporary folder, never in the
/// user's own configuration.
pub fn tollgate() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    c.env_remove("TOLLGATE_LEDGER_URL")
        .env_remove("PGPASSWORD")
        .env_remove("TOLLGATE_SIGNING_KEY")
        .env("XDG_CONFIG_HOME", config_home());
    c
}

/// The `XDG_CONFIG_HOME` the tests' tollgate runs see.
pub fn config_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("config")
}

/// Run tollgate with `args`; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_env(&[], args)
}

/// Run tollgate with `args` and the environment variables `env`.
pub fn run_env(env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let out: Output = tollgate()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run tollgate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run with `--json` appended and parse stdout.
pub fn run_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut a = args.to_vec();
    a.push("--json");
    let (code, out, err) = run(&a);
    let v = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {out}\nstderr: {err}"));
    (code, v)
}

/// `../shared/corpus/statetrace`, or `None` (with a notice) when absent.
pub fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("TOLLGATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
        .join("statetrace");
    if p.is_dir() {
        Some(p)
    } else {
        // Written past the test harness's capture, so the skip is visible.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: corpus not found at {}; conformance test skipped",
            p.display()
        );
        None
    }
}

/// A workspace with the built-in statetrace profile (`tollgate init`) and
/// an empty `docs/` folder.
pub fn statetrace_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["--workspace", dir.path().to_str().unwrap(), "init"]);
    assert_eq!(code, 0, "{err}");
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    dir
}

/// A workspace with the minimal profile and three source files in `src/`.
pub fn minimal_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    let (code, _, err) = run(&[
        "--workspace",
        ws.to_str().unwrap(),
        "init",
        "--profile",
        "minimal",
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::create_dir_all(ws.join("src")).unwrap();
    std::fs::write(ws.join("src/a.json"), "{\"Value\": 1}\n").unwrap();
    std::fs::write(ws.join("src/b.csv"), "Name,Count\r\nx,1\r\n").unwrap();
    std::fs::write(ws.join("src/c.log"), "line one\nline two\n").unwrap();
    dir
}

/// The arguments of `bundle publish --no-discover` of `adds` (paths or
/// globs, category `Data`) as bundle `name` (area `area` or the policy
/// default), plus `extra`.
pub fn publish_args(
    ws: &Path,
    name: &str,
    area: Option<&str>,
    adds: &[PathBuf],
    extra: &[&str],
) -> Vec<String> {
    let mut args: Vec<String> = [
        "--workspace",
        &ws.display().to_string(),
        "bundle",
        "publish",
        "--name",
        name,
        "--no-discover",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(a) = area {
        args.extend(["--area".to_string(), a.to_string()]);
    }
    for p in adds {
        args.extend(["--add".to_string(), format!("Data={}", p.display())]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Run `bundle publish` with [`publish_args`].
pub fn publish(
    ws: &Path,
    name: &str,
    area: Option<&str>,
    adds: &[PathBuf],
    extra: &[&str],
) -> (i32, String, String) {
    let args = publish_args(ws, name, area, adds, extra);
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Publish `src/*` of a minimal workspace as bundle `B`, area `Build`.
pub fn publish_fixture(ws: &Path) -> PathBuf {
    let (code, out, err) = publish(ws, "B", Some("Build"), &[ws.join("src/*")], &[]);
    assert_eq!(code, 0, "{out}{err}");
    ws.join("evidence/bundles/B")
}

/// `bundle verify --json` of a bundle, summary kept out of the bundle
/// (replaced on each call: `--force`).
pub fn verify(ws: &Path, bundle: &Path) -> (i32, serde_json::Value) {
    let summary = ws.join("summary-out.json");
    run_json(&[
        "--workspace",
        ws.to_str().unwrap(),
        "bundle",
        "verify",
        bundle.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
        "--force",
    ])
}

/// All findings (bundle-level and per area) of a verify JSON document.
pub fn findings(v: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = v["findings"].as_array().cloned().unwrap_or_default();
    for a in v["areas"].as_array().into_iter().flatten() {
        out.extend(a["Findings"].as_array().cloned().unwrap_or_default());
    }
    out
}

/// Findings of one check.
pub fn of_check(v: &serde_json::Value, check: &str) -> Vec<serde_json::Value> {
    findings(v)
        .into_iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// Read an area's manifest (`manifest.json`, or StateTrace's
/// `TelemetryBundle.json`), let `edit` change it, and write it back.
pub fn edit_manifest(area: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = ["manifest.json", "TelemetryBundle.json"]
        .map(|n| area.join(n))
        .into_iter()
        .find(|p| p.is_file())
        .expect("an area manifest");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

/// The findings with check `check` of a PascalCase document (an area of a
/// bundle summary, a verification summary): its `Findings` array.
pub fn findings_with(doc: &serde_json::Value, check: &str) -> Vec<serde_json::Value> {
    doc["Findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .cloned()
        .collect()
}

/// Run tollgate with `args`, failing the test if it has not ended within
/// `secs` seconds (it is killed then): for attacks that used to hang.
pub fn run_within(secs: u64, args: &[&str]) -> (i32, String, String) {
    let mut child = tollgate()
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run tollgate");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("tollgate {args:?} hung: still running after {secs}s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo workspace (fixed seed and date) in a new temporary folder.
pub fn demo_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let (code, _, err) = run(&[
        "demo",
        ws.to_str().unwrap(),
        "--seed",
        "7",
        "--date",
        "2026-11-20",
    ]);
    assert_eq!(code, 0, "{err}");
    (dir, ws)
}

/// Drop the demo's `[approvals]` table (the last part of its policy), so
/// approvals are bare names again or a test can write its own.
pub fn drop_demo_approvals(ws: &Path) {
    let path = ws.join("tollgate.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = text
        .find("\n# Signed approvals (written by tollgate demo)")
        .expect("the demo's [approvals] table");
    std::fs::write(&path, &text[..cut]).unwrap();
}

/// The demo's bundle folder and its Telemetry area.
pub fn demo_bundle(ws: &Path) -> (PathBuf, PathBuf) {
    let root = only_entry(&ws.join("Logs/TelemetryBundles"));
    let area = root.join("Telemetry");
    (root, area)
}

/// The demo's release version (its one release folder's name).
pub fn demo_release(ws: &Path) -> String {
    let dir = only_entry(&ws.join("Logs/ReleaseEvidence"));
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

fn only_entry(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .next()
        .unwrap_or_else(|| panic!("{} is empty", dir.display()))
        .unwrap()
        .path()
}

/// The entries `ledger log --json` lists (none before the ledger exists).
pub fn ledger_log(ws: &Path) -> Vec<serde_json::Value> {
    if !ws.join(".tollgate/ledger.db").exists() {
        return Vec::new();
    }
    let (code, v) = run_json(&["--workspace", ws.to_str().unwrap(), "ledger", "log"]);
    assert_eq!(code, 0, "{v}");
    v.as_array().cloned().unwrap_or_default()
}

/// The first of `names` on PATH, or `None` with a notice that `what` is
/// skipped; when CI sets `require` (it installs the tool), a missing tool
/// fails the test instead.
pub fn tool(names: &[&str], require: &str, what: &str) -> Option<PathBuf> {
    let found = names.iter().find_map(|name| {
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os(require).is_none(),
            "{require} is set but {} is not installed",
            names[0]
        );
        eprintln!("NOTICE: {} not found; {what} skipped", names[0]);
    }
    found
}

/// Run `cmd`, which must succeed (its stderr is the failure message); its stdout.
pub fn succeed(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run `sql` on the SQLite database `db` with the sqlite3 command-line tool,
/// as someone tampering with the ledger would.
pub fn sqlite(db: &Path, sql: &str) {
    let out = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("the sqlite3 command-line tool (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Python interpreter that imports every one of `modules`:
/// `$TOLLGATE_PYTHON` (the venv `.ci/run` creates), else `python3` on PATH.
/// `None` with a notice that `what` is skipped; when CI sets
/// `TOLLGATE_REQUIRE_PYTHON`, a missing module fails the test instead.
pub fn python(modules: &[&str], what: &str) -> Option<PathBuf> {
    let py = std::env::var_os("TOLLGATE_PYTHON")
        .map(PathBuf::from)
        .or_else(|| tool(&["python3"], "TOLLGATE_REQUIRE_PYTHON", what))?;
    let imports = format!("import {}", modules.join(", "));
    let ok = Command::new(&py)
        .args(["-c", &imports])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("TOLLGATE_REQUIRE_PYTHON").is_none(),
            "TOLLGATE_REQUIRE_PYTHON is set but {} cannot `{imports}`",
            py.display()
        );
        eprintln!(
            "NOTICE: {} cannot `{imports}`; {what} skipped",
            py.display()
        );
        return None;
    }
    Some(py)
}
