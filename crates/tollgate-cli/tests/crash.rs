//! `kill -9` during publish leaves either no bundle or a complete one.

mod common;

use common::*;

/// A minimal workspace with 24 source files of 2 MiB in `src/`.
fn big_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    let (code, _, _) = run(&[
        "--workspace",
        ws.to_str().unwrap(),
        "init",
        "--profile",
        "minimal",
    ]);
    assert_eq!(code, 0);
    std::fs::create_dir_all(ws.join("src")).unwrap();
    let mut chunk: Vec<u8> = (0..(2u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | b'A')
        .collect();
    for i in (0..chunk.len()).step_by(100) {
        chunk[i] = b'\n';
    }
    for i in 0..24 {
        std::fs::write(ws.join(format!("src/part-{i:02}.log")), &chunk).unwrap();
    }
    dir
}

/// [`big_workspace`] with `src/*` published as bundle `B`.
fn big_workspace_with_bundle() -> tempfile::TempDir {
    let dir = big_workspace();
    let add = format!("Data={}", dir.path().join("src/*").display());
    let ws = dir.path().to_str().unwrap();
    let (code, _, err) = run(&[
        "--workspace",
        ws,
        "bundle",
        "publish",
        "--name",
        "B",
        "--no-discover",
        "--add",
        &add,
    ]);
    assert_eq!(code, 0, "{err}");
    dir
}

/// Start tollgate with `args` (output discarded).
fn spawn(args: &[&str]) -> std::process::Child {
    tollgate()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// How long one run of `args` takes.
fn time_of(args: &[&str]) -> std::time::Duration {
    let start = std::time::Instant::now();
    assert!(spawn(args).wait().unwrap().success(), "{args:?}");
    start.elapsed()
}

/// SIGKILL `child` after `after`.
fn kill_after(mut child: std::process::Child, after: std::time::Duration) {
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(unix)]
#[test]
fn sigkill_during_publish_leaves_no_bundle_or_a_complete_one() {
    let dir = big_workspace();
    let ws = dir.path();
    let wss = ws.to_str().unwrap();
    let publish = |name: &str| {
        tollgate()
            .args(publish_args(ws, name, None, &[ws.join("src/*")], &[]))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // Time one whole publish, then kill others at fractions of that time.
    let start = std::time::Instant::now();
    assert!(publish("Full").wait().unwrap().success());
    let full = start.elapsed();
    let bundles = ws.join("evidence/bundles");
    let staging_exists = || {
        std::fs::read_dir(&bundles)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("tollgate-tmp"))
    };
    let (mut absent, mut complete) = (0, 1);
    // None: kill the moment the staging folder appears (mid-copy).
    let kills = [
        None,
        Some(10u32),
        Some(30),
        Some(50),
        Some(65),
        Some(80),
        Some(90),
        Some(97),
    ];
    for (attempt, percent) in kills.into_iter().enumerate() {
        let name = format!("K{attempt}");
        let mut child = publish(&name);
        match percent {
            Some(p) => std::thread::sleep(full * p / 100),
            None => {
                let deadline = std::time::Instant::now() + full * 2;
                while !staging_exists() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            }
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let bundle = bundles.join(&name);
        if !bundle.exists() {
            absent += 1;
            continue;
        }
        let (code, v) = verify(ws, &bundle);
        assert_eq!(
            code, 0,
            "partial bundle after a kill at {percent:?}%: {v:#}"
        );
        let manifest = std::fs::read_to_string(bundle.join("Evidence/manifest.json")).unwrap();
        let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        assert_eq!(m["Artifacts"].as_array().unwrap().len(), 24);
        complete += 1;
    }
    let staged = std::fs::read_dir(&bundles)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("tollgate-tmp"))
        .count();
    eprintln!("kill outcomes: {absent} without a bundle ({staged} killed while staging), {complete} complete");
    assert!(
        staged >= 1,
        "no attempt was killed in the middle of staging"
    );
    // Staging leftovers are hidden and never listed as bundles.
    let (code, list) = run_json(&["--workspace", wss, "bundle", "list"]);
    assert_eq!(code, 0);
    assert_eq!(list.as_array().unwrap().len(), complete);
}

#[cfg(unix)]
#[test]
fn sigkill_during_verify_leaves_an_old_or_new_latest_summary_and_a_consistent_ledger() {
    let dir = big_workspace_with_bundle();
    let ws = dir.path();
    let wss = ws.to_str().unwrap();
    let args = ["--workspace", wss, "verify"];
    let full = time_of(&args);
    let vdir = ws.join("evidence/verification");
    let latest = vdir.join("VerificationSummary-latest.json");
    for percent in [5u32, 20, 40, 60, 75, 85, 92, 97, 99] {
        kill_after(spawn(&args), full * percent / 100);
        let text = std::fs::read_to_string(&latest).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("torn latest summary after a kill at {percent}%: {e}"));
        let stamped = vdir.join(format!(
            "VerificationSummary-{}.json",
            v["Timestamp"].as_str().unwrap()
        ));
        assert_eq!(
            std::fs::read_to_string(stamped).unwrap(),
            text,
            "latest is a copy of a whole run"
        );
        let (code, out, err) = run(&["--workspace", wss, "ledger", "verify"]);
        assert_eq!(code, 0, "ledger after a kill at {percent}%: {out}{err}");
    }
    // A killed step is killed with its run: a step-long run killed mid-step leaves no summary.
    let policy = std::fs::read_to_string(ws.join("tollgate.toml")).unwrap();
    std::fs::write(
        ws.join("tollgate.toml"),
        format!("{policy}\n[[verify.step]]\nname = \"slow\"\nrun = \"sleep 5\"\n"),
    )
    .unwrap();
    let before = std::fs::read(&latest).unwrap();
    kill_after(spawn(&args), std::time::Duration::from_millis(500));
    assert_eq!(std::fs::read(&latest).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn sigkill_during_release_leaves_no_partial_release_folder() {
    let dir = big_workspace_with_bundle();
    let ws = dir.path();
    let wss = ws.to_str().unwrap();
    let (code, _, err) = run(&["--workspace", wss, "verify"]);
    assert_eq!(code, 0, "{err}");
    let full = time_of(&["--workspace", wss, "release", "full"]);
    let releases = ws.join("evidence/releases");
    let (mut absent, mut present) = (0, 0);
    for percent in [10u32, 25, 40, 55, 70, 80, 90, 95, 99] {
        let version = format!("k{percent}");
        kill_after(
            spawn(&["--workspace", wss, "release", &version]),
            full * percent / 100,
        );
        let folder = releases.join(&version);
        if !folder.exists() {
            absent += 1;
            continue;
        }
        present += 1;
        // A folder is complete: running release again records it if the
        // kill came before its ledger entry, or refuses if it is recorded.
        let (code, out, err) = run(&["--workspace", wss, "release", &version]);
        assert!(
            code == 0 || err.contains("already recorded"),
            "{version}: {out}{err}"
        );
        let (code, out, _) = run(&["--workspace", wss, "release", "status", &version]);
        assert_eq!(code, 0, "{version} after a kill at {percent}%: {out}");
    }
    eprintln!("release kill outcomes: {absent} without a folder, {present} complete");
    let visible: Vec<String> = std::fs::read_dir(&releases)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(visible.len(), present + 1, "{visible:?}");
    let (code, out, err) = run(&["--workspace", wss, "ledger", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
