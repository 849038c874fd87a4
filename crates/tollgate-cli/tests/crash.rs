//! `kill -9` during publish leaves either no bundle or a complete one.

mod common;

use std::time::Duration;

use common::*;

#[cfg(unix)]
#[test]
fn sigkill_during_publish_leaves_no_bundle_or_a_complete_one() {
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
    let chunk: Vec<u8> = (0..(2 << 20))
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | b'A')
        .collect();
    for i in 0..24 {
        std::fs::write(ws.join(format!("src/part-{i:02}.log")), &chunk).unwrap();
    }
    let add = format!("Data={}", ws.join("src/*").display());
    let mut outcomes = (0, 0);
    for (attempt, delay_ms) in [5u64, 20, 40, 80, 150, 400, 3000].iter().enumerate() {
        let name = format!("K{attempt}");
        let mut child = tollgate()
            .args([
                "--workspace",
                ws.to_str().unwrap(),
                "bundle",
                "publish",
                "--name",
                &name,
                "--no-discover",
                "--add",
                &add,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let bundle = ws.join("evidence/bundles").join(&name);
        if bundle.exists() {
            let (code, v) = verify(ws, &bundle);
            assert_eq!(code, 0, "partial bundle after kill at {delay_ms} ms: {v:#}");
            let area = &v["areas"][0];
            assert_eq!(area["RequirementState"][0]["Status"], "Present");
            let m: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(bundle.join("Telemetry/TelemetryBundle.json")).unwrap(),
            )
            .unwrap();
            assert_eq!(m["Artifacts"].as_array().unwrap().len(), 24);
            outcomes.1 += 1;
        } else {
            outcomes.0 += 1;
        }
    }
    // Staging leftovers are hidden and never listed as bundles.
    let (code, list) = run_json(&["--workspace", ws.to_str().unwrap(), "bundle", "list"]);
    assert_eq!(code, 0);
    assert_eq!(list.as_array().unwrap().len(), outcomes.1);
    assert!(outcomes.1 >= 1, "the slowest attempt should have completed");
}
