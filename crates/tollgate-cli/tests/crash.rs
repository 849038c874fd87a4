//! `kill -9` during publish leaves either no bundle or a complete one.

mod common;

use common::*;

#[cfg(unix)]
#[test]
fn sigkill_during_publish_leaves_no_bundle_or_a_complete_one() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    let wss = ws.to_str().unwrap();
    let (code, _, _) = run(&["--workspace", wss, "init", "--profile", "minimal"]);
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
    let add = format!("Data={}", ws.join("src/*").display());
    let publish = |name: &str| {
        tollgate()
            .args([
                "--workspace",
                wss,
                "bundle",
                "publish",
                "--name",
                name,
                "--no-discover",
                "--add",
                &add,
            ])
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
        let manifest =
            std::fs::read_to_string(bundle.join("Evidence/TelemetryBundle.json")).unwrap();
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
