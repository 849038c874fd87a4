//! A throwaway PostgreSQL cluster for the shared-ledger tests: `initdb` and
//! `pg_ctl` in a temporary folder, on a free 127.0.0.1 port, run as the
//! `postgres` system user when the tests run as root (initdb refuses root).
//! It is stopped when dropped, so also when a test fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The password of the cluster's superuser `tollgate`.
pub const PASSWORD: &str = "tollgate-test-secret-7f3a";

/// A running cluster.
pub struct Cluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

/// The folder holding initdb and pg_ctl: on PATH, or Debian's
/// /usr/lib/postgresql/VERSION/bin (the newest).
fn bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p).find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .filter(|d| d.join("initdb").is_file())
            .collect();
        dirs.sort_by_key(|d| {
            d.parent()
                .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
                .unwrap_or(0)
        });
        dirs.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// Start one, or `None` with a notice when PostgreSQL is not installed
    /// (a failure when CI sets `TOLLGATE_REQUIRE_POSTGRES`).
    pub fn start() -> Option<Cluster> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var_os("TOLLGATE_REQUIRE_POSTGRES").is_none(),
                "TOLLGATE_REQUIRE_POSTGRES is set but PostgreSQL (initdb, pg_ctl) is not installed"
            );
            eprintln!("NOTICE: PostgreSQL (initdb) not found; shared-ledger test skipped");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = is_root();
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success(), "chown to postgres failed");
        }
        let c = Cluster {
            data: dir.path().join("data"),
            _dir: dir,
            bin,
            port: free_port(),
            as_postgres,
        };
        c.pg(
            "initdb",
            &[
                "-D",
                c.data.to_str().unwrap(),
                "-U",
                "tollgate",
                "--auth=scram-sha-256",
                &format!("--pwfile={}", pwfile.display()),
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        c.start_server();
        Some(c)
    }

    fn pg(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(tool);
        let out = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .current_dir("/")
                .output()
        } else {
            Command::new(&exe).args(args).output()
        }
        .unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
        assert!(
            out.status.success() || tool == "pg_ctl" && args.contains(&"stop"),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Start (or restart) the server.
    pub fn start_server(&self) {
        let socket_dir = self.data.parent().unwrap().to_str().unwrap().to_string();
        let log = self.data.parent().unwrap().join("server.log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-o",
                &format!(
                    "-p {} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                    self.port
                ),
                "start",
            ],
        );
    }

    /// Stop the server now (connections are cut).
    pub fn stop_server(&self) {
        self.pg(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// The URL of database `db`, without the password.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://tollgate@127.0.0.1:{}/{db}", self.port)
    }

    /// A client of database `db`, as someone with write access to it (over
    /// the Unix socket, which needs no TLS).
    pub fn client(&self, db: &str) -> postgres::Client {
        postgres::Config::new()
            .host_path(self.data.parent().unwrap())
            .port(self.port)
            .user("tollgate")
            .password(PASSWORD)
            .dbname(db)
            .connect(postgres::NoTls)
            .unwrap()
    }

    /// Create database `name`; its URL.
    pub fn create_db(&self, name: &str) -> String {
        self.client("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        self.url(name)
    }

    /// Serve TLS only (hostssl), with a self-signed certificate for
    /// 127.0.0.1 made by openssl; restarts the server. The certificate's
    /// path (a client can trust it as its CA).
    pub fn require_tls(&self) -> PathBuf {
        let (crt, key) = (self.data.join("server.crt"), self.data.join("server.key"));
        self_signed("127.0.0.1", &key, &crt);
        if self.as_postgres {
            let ok = Command::new("chown")
                .arg("postgres:")
                .args([&key, &crt])
                .status()
                .unwrap();
            assert!(ok.success(), "chown to postgres failed");
        }
        let conf = self.data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str("\nssl = on\n");
        std::fs::write(&conf, text).unwrap();
        std::fs::write(
            self.data.join("pg_hba.conf"),
            "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();
        self.stop_server();
        self.start_server();
        let copy = self.data.parent().unwrap().join("ca.crt");
        std::fs::copy(&crt, &copy).unwrap();
        copy
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop_server();
    }
}

/// A self-signed certificate for `cn` (and IP 127.0.0.1) with its P-256 key,
/// made by openssl (usable as its own CA).
pub fn self_signed(cn: &str, key: &Path, crt: &Path) {
    super::succeed(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ])
            .args(["-nodes", "-days", "2", "-subj", &format!("/CN={cn}")])
            .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
            .arg(key)
            .arg("-out")
            .arg(crt),
    );
}
