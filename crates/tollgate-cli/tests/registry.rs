//! The evidence store in a real OCI registry (issue 17): push, pull and
//! verify round-trip a signed demo bundle; skopeo and plain HTTP read what
//! was pushed and find the bundle manifest's hashes; a blob altered in the
//! registry's storage is caught; a release cites a pushed bundle by digest;
//! faults are exit 2 naming the registry, never a hang.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::registry::{broken_server, get, Registry};
use common::*;
use serde_json::Value;

const INDEX_TYPE: &str = "application/vnd.tollgate.bundle.v1+json";
const AREA_TYPE: &str = "application/vnd.tollgate.area.v1+json";
const TITLE: &str = "org.opencontainers.image.title";

fn on(ws: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--workspace", ws.to_str().unwrap()];
    all.extend(args);
    run(&all)
}

fn on_json(ws: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--workspace", ws.to_str().unwrap()];
    all.extend(args);
    run_json(&all)
}

/// A demo workspace whose bundle is signed, and that bundle's name.
fn signed_demo() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (dir, ws) = demo_workspace();
    let (root, _) = demo_bundle(&ws);
    let name = root.file_name().unwrap().to_string_lossy().into_owned();
    let (code, _, err) = on(&ws, &["key", "gen"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = on(&ws, &["bundle", "sign", &name]);
    assert_eq!(code, 0, "{err}");
    (dir, ws, name)
}

/// Every finding of a `bundle verify --json` document: (check, subject, message).
fn findings(v: &Value) -> Vec<(String, String, String)> {
    let mut all: Vec<&Value> = v["findings"].as_array().unwrap().iter().collect();
    for a in v["areas"].as_array().unwrap() {
        all.extend(a["Findings"].as_array().unwrap());
    }
    let mut out: Vec<_> = all
        .into_iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("check"), s("subject"), s("message"))
        })
        .collect();
    out.sort();
    out
}

fn skopeo_raw(reference: &str) -> Value {
    let raw =
        succeed(Command::new("skopeo").args(["inspect", "--raw", "--tls-verify=false", reference]));
    serde_json::from_str(&raw).unwrap()
}

/// Every file of `a` is the same in `b`, and `b` has no other file.
fn same_tree(a: &Path, b: &Path) {
    let list = |root: &Path| {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p.strip_prefix(root).unwrap().to_path_buf());
                }
            }
        }
        out.sort();
        out
    };
    // The stored verification summary is an output, not evidence: not pushed.
    let from: Vec<_> = list(a)
        .into_iter()
        .filter(|p| p != Path::new("VerificationSummary.json"))
        .collect();
    assert_eq!(from, list(b));
    for rel in from {
        assert_eq!(
            std::fs::read(a.join(&rel)).unwrap(),
            std::fs::read(b.join(&rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
}

#[test]
fn push_pull_and_verify_round_trip_and_independent_clients_read_it() {
    let Some(reg) = Registry::start() else { return };
    let Some(_) = tool(&["skopeo"], "TOLLGATE_REQUIRE_REGISTRY", "the skopeo check") else {
        return;
    };
    let (_d, ws, name) = signed_demo();
    let to = format!("{}:rc1", reg.url("team/evidence"));
    let (code, pushed) = on_json(&ws, &["bundle", "push", &name, "--to", &to]);
    assert_eq!(code, 0, "{pushed}");
    let digest = pushed["digest"].as_str().unwrap().to_string();
    assert_eq!(pushed["reference"], format!("{to}@{digest}"));
    assert!(pushed["uploaded"].as_u64().unwrap() > 10, "{pushed}");

    // The push is in the ledger, with the digest.
    let log = ledger_log(&ws);
    let entry = log
        .iter()
        .rev()
        .find(|e| e["kind"] == "bundle-push")
        .expect("a bundle-push entry");
    assert_eq!(entry["subject"], name.as_str());
    let payload: Value = serde_json::from_str(entry["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["digest"], digest.as_str());

    // skopeo reads the index and each area's manifest; every layer is a file
    // of the area, titled with its path, under the manifest's own SHA-256.
    let index = skopeo_raw(&format!("{}:rc1", reg.docker("team/evidence")));
    assert_eq!(index["artifactType"], INDEX_TYPE);
    let (root, _) = demo_bundle(&ws);
    let areas = index["manifests"].as_array().unwrap();
    assert_eq!(areas.len(), 2, "{index}");
    let mut envelopes = 0;
    for entry in areas {
        let folder = entry["annotations"]["io.tollgate.area.folder"]
            .as_str()
            .unwrap();
        let m = skopeo_raw(&format!(
            "{}@{}",
            reg.docker("team/evidence"),
            entry["digest"].as_str().unwrap()
        ));
        assert_eq!(m["artifactType"], AREA_TYPE);
        assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
        let layers = m["layers"].as_array().unwrap();
        let digest_of = |title: &str| {
            layers
                .iter()
                .find(|l| l["annotations"][TITLE] == title)
                .map(|l| l["digest"].as_str().unwrap().to_string())
        };
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(root.join(folder).join("TelemetryBundle.json")).unwrap(),
        )
        .unwrap();
        assert!(digest_of("TelemetryBundle.json").is_some());
        for a in manifest["Artifacts"].as_array().unwrap() {
            let rel = a["TargetFile"].as_str().unwrap().replace('\\', "/");
            let want = format!("sha256:{}", a["Hash"].as_str().unwrap().to_lowercase());
            assert_eq!(digest_of(&rel).as_deref(), Some(want.as_str()), "{rel}");
        }
        envelopes += layers
            .iter()
            .filter(|l| l["mediaType"] == "application/vnd.dsse.envelope.v1+json")
            .count();
        // A plain HTTP fetch of every blob gives bytes with that digest,
        // equal to the file in the bundle.
        for l in layers {
            let d = l["digest"].as_str().unwrap();
            let (status, body) = get(reg.port, &format!("/v2/team/evidence/blobs/{d}"));
            assert_eq!(status, 200, "{d}");
            let title = l["annotations"][TITLE].as_str().unwrap();
            assert_eq!(
                body,
                std::fs::read(root.join(folder).join(title)).unwrap(),
                "{title}"
            );
        }
    }
    assert_eq!(envelopes, 2, "each area's signature envelope is attached");

    // Verified in the registry: the same findings as the local bundle.
    let (local_code, local) = on_json(&ws, &["bundle", "verify", &name]);
    let (code, remote) = on_json(&ws, &["bundle", "verify", &to]);
    assert_eq!(code, local_code, "{remote}");
    assert_eq!(remote["digest"], digest.as_str());
    assert_eq!(findings(&remote), findings(&local));
    assert!(
        !findings(&remote).iter().any(|f| f.0 == "signature"),
        "{remote}"
    );

    // A mirror skopeo copies (skopeo 1.9 drops the index's OCI 1.1
    // artifactType, keeping the annotations and the area manifests)
    // verifies the same way.
    let mirror = format!("{}:rc1", reg.docker("mirror/evidence"));
    succeed(
        Command::new("skopeo")
            .args([
                "copy",
                "-q",
                "--all",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
            ])
            .arg(format!("{}:rc1", reg.docker("team/evidence")))
            .arg(&mirror),
    );
    let (code, mirrored) = on_json(
        &ws,
        &[
            "bundle",
            "verify",
            &format!("{}:rc1", reg.url("mirror/evidence")),
        ],
    );
    assert_eq!(code, local_code, "{mirrored}");
    assert_eq!(findings(&mirrored), findings(&local));

    // Pulled into a fresh folder: the same files, verifying the same way.
    let into = ws.join("pulled");
    let (code, pulled) = on_json(
        &ws,
        &["bundle", "pull", &to, "--to", into.to_str().unwrap()],
    );
    assert_eq!(code, local_code, "{pulled}");
    same_tree(&root, &into.join(&name));
    assert_eq!(
        findings(&pulled["verification"]).len(),
        findings(&local).len()
    );
    // ... and never over an existing one.
    let (code, _, err) = on(
        &ws,
        &["bundle", "pull", &to, "--to", into.to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    // Pushing the same bundle again uploads nothing and gives the same digest.
    let (code, again) = on_json(&ws, &["bundle", "push", &name, "--to", &to]);
    assert_eq!(code, 0);
    assert_eq!(again["digest"], digest.as_str());
    assert_eq!(again["uploaded"], 0);
}

#[test]
fn a_blob_altered_in_the_registry_storage_is_caught() {
    let Some(reg) = Registry::start() else { return };
    let (_d, ws, name) = signed_demo();
    let to = reg.url("evidence");
    let (code, pushed) = on_json(&ws, &["bundle", "push", &name, "--to", &to]);
    assert_eq!(code, 0, "{pushed}");
    let at = pushed["reference"].as_str().unwrap().to_string();
    // One artifact of the Telemetry area, flipped in the registry's storage.
    let (root, _) = demo_bundle(&ws);
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(root.join("Telemetry/TelemetryBundle.json")).unwrap(),
    )
    .unwrap();
    let victim = manifest["Artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["TargetFile"].as_str().unwrap().ends_with(".csv"))
        .unwrap();
    let rel = victim["TargetFile"].as_str().unwrap();
    let blob = reg.blob_file(&format!(
        "sha256:{}",
        victim["Hash"].as_str().unwrap().to_lowercase()
    ));
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&blob, bytes).unwrap();

    let (code, v) = on_json(&ws, &["bundle", "verify", &at]);
    assert_eq!(code, 1, "{v}");
    let all = findings(&v);
    let named = |check: &str| {
        all.iter()
            .any(|f| f.0 == check && (f.1.contains(rel) || f.2.contains(rel)))
    };
    assert!(named("bundle.registry"), "{all:?}");
    assert!(named("bundle.integrity"), "{all:?}");
    assert!(named("signature"), "{all:?}");

    // A pull checks every blob as it arrives and creates nothing.
    let into = ws.join("pulled");
    let (code, out, _) = on(
        &ws,
        &["bundle", "pull", &at, "--to", into.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("did not create") && out.contains(rel), "{out}");
    assert!(!into.join(&name).exists());
    let leftovers: Vec<_> = std::fs::read_dir(&into).unwrap().collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(reg.storage().exists());
}

#[test]
fn a_release_cites_a_pushed_bundle_by_its_digest() {
    let Some(reg) = Registry::start() else { return };
    let (_d, ws, name) = signed_demo();
    let (code, pushed) = on_json(&ws, &["bundle", "push", &name, "--to", &reg.url("ev")]);
    assert_eq!(code, 0, "{pushed}");
    let at = pushed["reference"].as_str().unwrap();
    let digest = pushed["digest"].as_str().unwrap();
    let (code, _, err) = on(&ws, &["release", "9.9.9", "--bundle", at]);
    assert!(code == 0 || code == 1, "{err}");
    let release = ws.join("Logs/ReleaseEvidence/9.9.9");
    let verification: Value =
        serde_json::from_slice(&std::fs::read(release.join("bundle-verification.json")).unwrap())
            .unwrap();
    assert_eq!(verification["digest"], digest);
    assert_eq!(verification["bundle"], name.as_str());
    let decision = std::fs::read_to_string(release.join("decision.json")).unwrap();
    assert!(decision.contains(digest), "{decision}");
    // The recorded release still verifies.
    let (code, out, err) = on(&ws, &["release", "status", "9.9.9"]);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(!out.contains("evidence changed"), "{out}");
}

#[test]
fn registry_faults_are_clear_errors_naming_the_registry_never_hangs() {
    let (_d, ws) = demo_workspace();
    let (root, _) = demo_bundle(&ws);
    let bundle = root.to_str().unwrap();
    for bad in [
        "oci://",
        "oci://host",
        "oci://host/Team",
        "oci://host/t:x y",
        "docker://host/t",
    ] {
        let (code, _, err) = on(&ws, &["bundle", "push", bundle, "--to", bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(
            err.contains("malformed registry reference") && err.contains(bad),
            "{err}"
        );
        let (code, _, err) = on(&ws, &["bundle", "pull", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
    }
    // A folder that is not a bundle is refused before any registry is asked.
    let (code, _, err) = on(
        &ws,
        &[
            "bundle",
            "push",
            ws.join("docs").to_str().unwrap(),
            "--to",
            "oci://127.0.0.1:1/ev",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("will not be pushed") && err.contains("no area"),
        "{err}"
    );
    // A registry answering 500 to everything.
    let port = broken_server(Some(500));
    let at = format!("oci://127.0.0.1:{port}/ev:x");
    for args in [
        vec!["bundle", "push", bundle, "--to", at.as_str()],
        vec!["bundle", "verify", at.as_str()],
        vec!["bundle", "pull", at.as_str()],
    ] {
        let (code, _, err) = on(&ws, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(&format!("registry {at}")) && err.contains("500"),
            "{err}"
        );
    }
    // Nobody listening.
    let closed = format!("oci://127.0.0.1:{}/ev:x", common::pg::free_port());
    let (code, _, err) = on(&ws, &["bundle", "verify", &closed]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("registry {closed}")), "{err}");
    // A registry that accepts connections and never answers: the read
    // timeout ends it.
    let port = broken_server(None);
    let silent = format!("oci://127.0.0.1:{port}/ev:x");
    let started = Instant::now();
    let (code, _, err) = run_env(
        &[("TOLLGATE_REGISTRY_TIMEOUT", "2")],
        &[
            "--workspace",
            ws.to_str().unwrap(),
            "bundle",
            "verify",
            &silent,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains(&format!("registry {silent}")), "{err}");
    // Nothing was recorded for the failed pushes.
    assert!(!ledger_log(&ws).iter().any(|e| e["kind"] == "bundle-push"));
}
