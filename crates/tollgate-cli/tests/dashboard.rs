//! The readiness dashboard and `tollgate serve` (SPEC §5): the page in a real
//! headless Chromium, the JSON API's shapes, the self-contained file.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use common::*;

/// A demo workspace (seeded history, a release, an approval, a dashboard).
fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[
        "demo",
        dir.path().join("ws").to_str().unwrap(),
        "--seed",
        "3",
        "--days",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    dir
}

/// A running `tollgate serve` on a free loopback port, stopped with SIGTERM on drop.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(ws: &Path) -> Server {
        let mut child = tollgate()
            .args([
                "--workspace",
                ws.to_str().unwrap(),
                "serve",
                "--addr",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{line}"))
            .to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Server { child, base }
    }

    /// GET `path`: (status code, body).
    fn get(&self, path: &str) -> (u16, String) {
        let hostport = self.base.trim_start_matches("http://");
        let mut s = TcpStream::connect(hostport).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let code = head.split(' ').nth(1).unwrap().parse().unwrap();
        (code, body.to_string())
    }

    fn json(&self, path: &str) -> serde_json::Value {
        let (code, body) = self.get(path);
        assert_eq!(code, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }

    /// SIGTERM, then the exit status and what it printed.
    #[cfg(unix)]
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let mut rest = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut rest)
            .unwrap();
        (self.child.wait().unwrap(), rest)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The structure of a JSON value: keys and value types, not the values.
fn shape(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value::*;
    match v {
        Null => "null".into(),
        Bool(_) => "bool".into(),
        Number(_) => "number".into(),
        String(_) => "string".into(),
        Array(a) => Array(a.first().map(shape).into_iter().collect()),
        Object(o) => Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
    }
}

/// Chromium, or `None` with a notice (CI sets TOLLGATE_REQUIRE_BROWSER=1 and installs it).
fn chromium() -> Option<PathBuf> {
    tool(
        &["chromium", "chromium-browser", "google-chrome"],
        "TOLLGATE_REQUIRE_BROWSER",
        "headless browser test",
    )
}

fn headless(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn served_page_renders_in_headless_chromium_and_the_api_answers() {
    let dir = demo();
    let ws = dir.path().join("ws");
    let server = Server::start(&ws);

    let status = server.json("/api/status");
    assert_eq!(status["verdict"], "Blocked");
    assert!(!status["reasons"].as_array().unwrap().is_empty());
    assert_eq!(status["latest_release"]["version"], "0.1.0-demo");
    let gates = server.json("/api/gates");
    assert_eq!(gates["gates"].as_array().unwrap().len(), 27);
    assert_eq!(gates["trends"].as_array().unwrap().len(), 3);
    assert_eq!(
        gates["trends"][0]["points"].as_array().unwrap().len(),
        5,
        "4 seeded runs and the demo's own"
    );
    let runs = server.json("/api/runs");
    assert_eq!(runs["runs"].as_array().unwrap().len(), 5);
    let release = server.json("/api/releases/0.1.0-demo");
    let approvals = release["status"]["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 2, "the demo's two signed approvals");
    assert!(approvals.iter().all(|a| a["state"] == "valid"), "{release}");
    assert_eq!(release["status"]["approval"]["roles"][1]["satisfied"], true);
    let (code, body) = server.get("/api/releases/9.9.9");
    assert_eq!(code, 404, "{body}");
    let (code, _) = server.get("/api/releases/..%2F..%2Fetc");
    assert_eq!(code, 404);

    if let Some(browser) = chromium() {
        let profile = dir.path().join("chromium-profile");
        let out = headless(
            &browser,
            &profile,
            &["--dump-dom", &format!("{}/", server.base)],
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        assert!(dom.contains("id=\"verdict\""), "{dom}");
        assert!(dom.contains("BLOCKED"), "verdict banner");
        let gates_table = dom
            .split("<table id=\"gates\"")
            .nth(1)
            .expect("gates table in the DOM");
        assert!(
            gates_table.matches("<tr>").count() >= 28,
            "header and 27 gate rows"
        );
        assert!(gates_table.contains("E-parse-p95"));
        // Tall enough for the whole demo page, releases included.
        let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
        let _ = std::fs::remove_file(&shot);
        let out = headless(
            &browser,
            &profile,
            &[
                "--window-size=1280,5200",
                "--hide-scrollbars",
                &format!("--screenshot={}", shot.display()),
                &format!("{}/", server.base),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let png = std::fs::read(&shot).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "screenshot at {}",
            shot.display()
        );
        eprintln!("dashboard screenshot: {}", shot.display());
    }

    #[cfg(unix)]
    {
        let (exit, rest) = server.stop();
        assert!(exit.success(), "{exit:?}");
        assert!(rest.contains("shut down"), "{rest}");
    }
}

#[test]
fn api_shapes_are_stable() {
    let dir = demo();
    let server = Server::start(&dir.path().join("ws"));
    insta::assert_json_snapshot!("api_status", shape(&server.json("/api/status")));
    insta::assert_json_snapshot!("api_gates", shape(&server.json("/api/gates")));
    insta::assert_json_snapshot!("api_runs", shape(&server.json("/api/runs")));
    insta::assert_json_snapshot!(
        "api_release",
        shape(&server.json("/api/releases/0.1.0-demo"))
    );
}

#[test]
fn written_dashboard_is_self_contained() {
    let dir = demo();
    let ws = dir.path().join("ws");
    let out = dir.path().join("out");
    let (code, v) = run_json(&[
        "--workspace",
        ws.to_str().unwrap(),
        "dashboard",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    for banned in [
        "http://", "https://", "<script", "<link", "src=", "@import", "url(",
    ] {
        assert!(!html.contains(banned), "index.html contains {banned}");
    }
    assert!(html.contains("<svg"), "inline charts");
    assert!(html.contains("<caption>"), "semantic tables");
    assert!(
        html.contains("<code class=\"id\">")
            && html.contains("code.id { word-break: normal; white-space: nowrap; }"),
        "gate ids never wrap mid-word"
    );
    // Trend labels and values carry at most three decimals.
    assert!(
        html.contains("<svg class=\"trend\""),
        "the demo draws trends"
    );
    for chart in html.split("<svg class=\"trend\"").skip(1) {
        let chart = &chart[..chart.find("</svg>").unwrap()];
        let long = regex_lite_long_decimal(chart);
        assert!(long.is_none(), "unrounded trend label {long:?}");
    }
    // The demo wrote one too, and the verdict is in words, not only colour.
    let demo_page = std::fs::read_to_string(ws.join("Logs/Reports/dashboard/index.html")).unwrap();
    assert!(demo_page.contains("✗ BLOCKED"));
}

#[test]
fn an_empty_workspace_still_gets_a_page() {
    let dir = minimal_workspace();
    let out = dir.path().join("dash");
    let (code, v) = run_json(&[
        "--workspace",
        dir.path().to_str().unwrap(),
        "dashboard",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{v}");
    // The page's verdict is the release decision's: with no run and no
    // bundle there is nothing to ship (it used to say Ready).
    assert_eq!(v["dashboard"]["verdict"], "Blocked");
    let reasons = v["dashboard"]["reasons"].to_string();
    assert!(reasons.contains("no verification run"), "{reasons}");
    assert!(reasons.contains("no evidence bundle"), "{reasons}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("No bundle published yet."));
    assert!(html.contains("No verification runs recorded yet."));
}

/// The server answers from a cached assessment and follows the workspace:
/// a new verification run shows in the API without a restart.
#[test]
fn served_answers_follow_changes_to_the_workspace() {
    let dir = demo();
    let ws = dir.path().join("ws");
    let server = Server::start(&ws);
    let runs = |s: &Server| s.json("/api/runs")["runs"].as_array().unwrap().len();
    assert_eq!(runs(&server), 5);
    let (code, _, err) = run(&["--workspace", ws.to_str().unwrap(), "verify"]);
    assert_eq!(code, 1, "the demo's run fails: {err}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while runs(&server) != 6 {
        assert!(
            std::time::Instant::now() < deadline,
            "the new run never showed"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let status = server.json("/api/status");
    assert_eq!(
        status["latest_run"]["seq"],
        server.json("/api/runs")["runs"][0]["seq"]
    );
}

#[cfg(unix)]
#[test]
fn special_files_in_a_served_workspace_neither_hang_the_api_nor_stop_sigterm() {
    let dir = demo();
    let ws = dir.path().join("ws");
    let board = ws.join("docs/StateTrace_TaskBoard.md");
    std::fs::remove_file(&board).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &board).unwrap();
    let area = demo_bundle(&ws).1.join("QueueDelayHistory.csv");
    std::fs::remove_file(&area).unwrap();
    let c = std::ffi::CString::new(area.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let server = Server::start(&ws);
    let status = server.json("/api/status");
    assert!(status["verdict"].is_string(), "{status}");
    let (code, page) = server.get("/");
    assert_eq!(code, 200);
    assert!(
        page.contains("StateTrace_TaskBoard.md"),
        "the page names the unreadable board"
    );
    let start = std::time::Instant::now();
    let (exit, _) = server.stop();
    assert!(exit.success(), "{exit:?}");
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

/// The first number in `s` with four or more decimals, if any.
fn regex_lite_long_decimal(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i < b.len() && b[i] == b'.' {
                let d = i + 1;
                let mut j = d;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j - d >= 4 {
                    return Some(s[start..j].to_string());
                }
                i = j;
            }
        } else {
            i += 1;
        }
    }
    None
}
