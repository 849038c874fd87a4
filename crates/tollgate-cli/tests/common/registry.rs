//! A throwaway CNCF distribution registry (Debian's `docker-registry`) for
//! the evidence-store tests: its own config and storage in a temporary
//! folder, on a free 127.0.0.1 port, killed when dropped (so also when a
//! test fails). Plain HTTP GETs read it back as an independent client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry.
pub struct Registry {
    dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
}

impl Registry {
    /// Start one, or `None` with a notice when docker-registry is not
    /// installed (a failure when CI sets `TOLLGATE_REQUIRE_REGISTRY`).
    pub fn start() -> Option<Registry> {
        let bin = super::tool(
            &["docker-registry", "registry"],
            "TOLLGATE_REQUIRE_REGISTRY",
            "the OCI registry tests",
        )?;
        let dir = tempfile::tempdir().unwrap();
        let port = super::pg::free_port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let reg = Registry { dir, child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while get(port, "/v2/").0 != 200 {
            assert!(Instant::now() < deadline, "the registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(reg)
    }

    /// `oci://127.0.0.1:PORT/REPO`.
    pub fn url(&self, repo: &str) -> String {
        format!("oci://127.0.0.1:{}/{repo}", self.port)
    }

    /// skopeo's name for the same: `docker://127.0.0.1:PORT/REPO`.
    pub fn docker(&self, repo: &str) -> String {
        format!("docker://127.0.0.1:{}/{repo}", self.port)
    }

    /// Where the registry keeps the blob `digest` (`sha256:...`).
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The storage folder.
    pub fn storage(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET on 127.0.0.1:`port`: status and body.
pub fn get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, Vec::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let req = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return (0, Vec::new());
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    (status, body)
}

/// A server on 127.0.0.1 that answers every request with `status`, or
/// (with `None`) accepts connections and never answers: a broken registry.
pub fn broken_server(status: Option<u16>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            match status {
                Some(code) => {
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf);
                    let body = r#"{"errors":[{"code":"UNKNOWN","message":"internal error"}]}"#;
                    let _ = write!(
                        conn,
                        "HTTP/1.1 {code} Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
                None => held.push(conn),
            }
        }
    });
    port
}
