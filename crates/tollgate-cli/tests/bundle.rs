//! End-to-end tests of `bundle publish | verify | show | list` on generated
//! workspaces: integrity, tampering, path escapes, overwrite refusal,
//! collisions, redaction, exit codes.

mod common;

use common::*;

#[test]
fn published_bundle_verifies_and_is_listed_and_shown() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let b = publish_fixture(ws);
    let (code, v) = verify(ws, &b);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["verdict"], "Pass");
    let area = &v["areas"][0];
    assert_eq!(area["Area"], "Build");
    assert_eq!(area["ReadmeHash"].as_str().unwrap().len(), 64);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("Build/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["Artifacts"].as_array().unwrap().len(), 3);
    assert_eq!(m["Artifacts"][0]["SourcePath"], "src/a.json");
    assert_eq!(m["ToolVersion"], env!("CARGO_PKG_VERSION"));

    // Default summary location, then show and list read it back.
    let (code, _, err) = run(&["--workspace", ws.to_str().unwrap(), "bundle", "verify", "B"]);
    assert_eq!(code, 0, "{err}");
    assert!(b.join("VerificationSummary.json").is_file());
    let (code, show) = run_json(&["--workspace", ws.to_str().unwrap(), "bundle", "show", "B"]);
    assert_eq!(code, 0);
    assert_eq!(show["verdict"], "Pass");
    assert_eq!(show["areas"][0]["ReadmeHash"], area["ReadmeHash"]);
    let (code, list) = run_json(&["--workspace", ws.to_str().unwrap(), "bundle", "list"]);
    assert_eq!(code, 0);
    assert_eq!(list[0]["name"], "B");
    assert_eq!(list[0]["artifacts"], 3);
    assert_eq!(list[0]["last_verdict"], "Pass");
}

#[test]
fn same_size_byte_change_is_named() {
    let dir = minimal_workspace();
    let b = publish_fixture(dir.path());
    let target = b.join("Build/b.csv");
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[0] ^= 0x20; // 'N' -> 'n': same size
    std::fs::write(&target, &bytes).unwrap();
    let (code, v) = verify(dir.path(), &b);
    assert_eq!(code, 1);
    let hits = of_check(&v, "bundle.integrity");
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0]["subject"], "Build/b.csv");
    assert!(hits[0]["message"].as_str().unwrap().contains("same size"));
}

#[test]
fn edited_manifest_hash_is_named() {
    let dir = minimal_workspace();
    let b = publish_fixture(dir.path());
    edit_manifest(&b.join("Build"), |m| {
        m["Artifacts"][2]["Hash"] = serde_json::Value::String("0".repeat(64));
    });
    let (code, v) = verify(dir.path(), &b);
    assert_eq!(code, 1);
    let subjects: Vec<String> = of_check(&v, "bundle.integrity")
        .iter()
        .map(|f| f["subject"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(subjects, vec!["Build/c.log"]);
    // The README still shows the old hash prefix: the disagreement is named too.
    assert!(of_check(&v, "bundle.readme")
        .iter()
        .any(|f| f["subject"] == "Build/c.log"));
}

#[test]
fn escaping_manifest_entries_are_refused_and_never_read() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let b = publish_fixture(ws);
    // A real file where `..\..\x` points, so reading it would "succeed".
    std::fs::write(b.join("../x"), "outside").unwrap();
    edit_manifest(&b.join("Build"), |m| {
        let arts = m["Artifacts"].as_array_mut().unwrap();
        for target in ["..\\..\\x", "/etc/passwd"] {
            arts.push(serde_json::json!({"Category": "Evil", "TargetFile": target, "Hash": "00", "SizeBytes": 7}));
        }
    });
    let (code, v) = verify(ws, &b);
    assert_eq!(code, 1);
    let safety = of_check(&v, "bundle.safety");
    let subjects: Vec<&str> = safety
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec!["Build/..\\..\\x", "Build//etc/passwd"]);
    assert!(safety
        .iter()
        .all(|f| f["message"].as_str().unwrap().contains("not read")));
    // Never hashed: no integrity verdict (changed or missing) on either.
    assert!(of_check(&v, "bundle.integrity").is_empty(), "{v:#}");
}

#[cfg(unix)]
#[test]
fn symlink_pointing_outside_the_area_is_refused() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let b = publish_fixture(ws);
    std::fs::write(ws.join("secret.txt"), "s3").unwrap();
    std::os::unix::fs::symlink(ws.join("secret.txt"), b.join("Build/link.txt")).unwrap();
    let (code, v) = verify(ws, &b);
    assert_eq!(code, 1);
    let safety = of_check(&v, "bundle.safety");
    assert_eq!(safety.len(), 1);
    assert_eq!(safety[0]["subject"], "Build/link.txt");
    // A symlinked artifact listed in the manifest is refused as well.
    std::fs::remove_file(b.join("Build/b.csv")).unwrap();
    std::os::unix::fs::symlink(ws.join("src/b.csv"), b.join("Build/b.csv")).unwrap();
    let (_, v) = verify(ws, &b);
    assert!(of_check(&v, "bundle.safety")
        .iter()
        .any(|f| f["subject"] == "Build/b.csv"));
}

#[test]
fn existing_area_is_not_overwritten_without_force() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let b = publish_fixture(ws);
    let before = std::fs::read(b.join("Build/manifest.json")).unwrap();
    let a = [ws.join("src/a.json")];
    let (code, _, err) = publish(ws, "B", Some("Build"), &a, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("already has area 'Build'"), "{err}");
    assert_eq!(
        std::fs::read(b.join("Build/manifest.json")).unwrap(),
        before
    );
    let (code, out, err) = publish(ws, "B", Some("Build"), &a, &["--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("previous area was kept"), "{out}");
    let kept: Vec<_> = std::fs::read_dir(b.join(".superseded")).unwrap().collect();
    assert_eq!(kept.len(), 1);
    // A second area joins the bundle without --force: nothing is overwritten.
    let (code, _, err) = publish(ws, "B", Some("Other"), &a, &[]);
    assert_eq!(code, 0, "{err}");
    let (code, v) = verify(ws, &b);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["areas"].as_array().unwrap().len(), 2);
}

#[test]
fn name_collisions_get_numbered_suffixes() {
    let dir = minimal_workspace();
    let ws = dir.path();
    std::fs::create_dir_all(ws.join("other")).unwrap();
    std::fs::write(ws.join("other/a.json"), "{\"Value\": 2}").unwrap();
    let (code, _, err) = publish(
        ws,
        "C",
        Some("Build"),
        &[ws.join("src/a.json"), ws.join("other/a.json")],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let area = ws.join("evidence/bundles/C/Build");
    assert!(area.join("a.json").is_file() && area.join("a-1.json").is_file());
    assert_eq!(
        std::fs::read_to_string(area.join("a-1.json")).unwrap(),
        "{\"Value\": 2}"
    );
}

#[test]
fn redaction_hits_block_publish_unless_allowed() {
    let dir = minimal_workspace();
    let ws = dir.path();
    std::fs::write(ws.join("src/c.log"), "ok\ndb password = hunter2\n").unwrap();
    let src = [ws.join("src/*")];
    let parse = |out: String| serde_json::from_str::<serde_json::Value>(&out).unwrap();
    let (code, out, _) = publish(ws, "R", None, &src, &["--json"]);
    let v = parse(out);
    assert_eq!(code, 1);
    assert_eq!(v["published"], false);
    assert_eq!(v["findings"][0]["check"], "bundle.redaction");
    assert_eq!(v["findings"][0]["location"]["line"], 2);
    assert!(!ws.join("evidence/bundles/R").exists());
    let (code, out, _) = publish(ws, "R", None, &src, &["--json", "--allow-unredacted"]);
    let v = parse(out);
    assert_eq!(code, 0);
    assert_eq!(v["findings"][0]["severity"], "warn");
    assert!(ws.join("evidence/bundles/R/Evidence/c.log").is_file());
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let (code, _, err) = run(&[
        "--workspace",
        ws.to_str().unwrap(),
        "bundle",
        "verify",
        "NoSuchBundle",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("NoSuchBundle"), "{err}");
    std::fs::write(ws.join("tollgate.toml"), "profile = 1\n[paths]\n").unwrap();
    let (code, _, err) = run(&["--workspace", ws.to_str().unwrap(), "bundle", "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("tollgate.toml"), "{err}");
    let (code, _, _) = run(&["bundle", "verify"]);
    assert_eq!(code, 2);
}

#[test]
fn unreadable_manifest_blocks_with_its_line() {
    let dir = minimal_workspace();
    let ws = dir.path();
    let b = publish_fixture(ws);
    std::fs::write(
        b.join("Build/manifest.json"),
        "{\n  \"BundleName\": \"B\",\n  oops\n}",
    )
    .unwrap();
    let (code, v) = verify(ws, &b);
    assert_eq!(code, 1);
    let m = of_check(&v, "bundle.manifest");
    assert!(
        m[0]["message"]
            .as_str()
            .unwrap()
            .contains("manifest.json:3"),
        "{m:#?}"
    );
}
