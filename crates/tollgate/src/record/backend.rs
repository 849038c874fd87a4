//! Where the ledger lives: `.tollgate/ledger.db` in the workspace, or a
//! shared PostgreSQL database named by `TOLLGATE_LEDGER_URL` (which wins) or
//! `[ledger] url`. A location is shown without its password, always.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::policy::Workspace;

/// The environment variable naming a shared ledger; it overrides the policy.
pub const URL_VAR: &str = "TOLLGATE_LEDGER_URL";

/// The ledger's folder in a workspace: the local ledger, the head file,
/// locks.
pub fn dir(ws: &Workspace) -> PathBuf {
    ws.root.join(".tollgate")
}

/// A ledger's location.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The workspace's own SQLite file.
    Local(PathBuf),
    /// A PostgreSQL database.
    Postgres(Box<postgres::Config>),
}

impl Backend {
    /// The ledger of `ws`: the environment's URL, else the policy's, else
    /// the local file.
    pub fn of(ws: &Workspace) -> Result<Backend> {
        if let Some(url) = std::env::var(URL_VAR).ok().filter(|u| !u.trim().is_empty()) {
            return Backend::parse(&url, URL_VAR);
        }
        match &ws.policy.ledger.url {
            Some(url) => {
                let at = format!(
                    "{} [ledger] url",
                    ws.policy_path
                        .as_ref()
                        .map_or("tollgate.toml".into(), |p| p.display().to_string())
                );
                let loc = Backend::parse(url, &at)?;
                if let Backend::Postgres(c) = &loc {
                    if c.get_password().is_some() {
                        return Err(Error::Usage(format!(
                            "{at}: the URL holds a password, and the policy is committed; give it in PGPASSWORD, a PGPASSFILE or {URL_VAR} instead"
                        )));
                    }
                }
                Ok(loc)
            }
            None => Ok(Backend::Local(dir(ws).join("ledger.db"))),
        }
    }

    /// A `postgres://` URL (or libpq `key=value` string); `from` names where
    /// it came from, for the error. The error never repeats the URL.
    pub fn parse(url: &str, from: &str) -> Result<Backend> {
        let url = url.trim();
        let scheme = url.split_once("://").map(|(s, _)| s);
        if !matches!(scheme, Some("postgres" | "postgresql")) {
            return Err(Error::Usage(format!(
                "{from}: a shared ledger is a postgres:// or postgresql:// URL"
            )));
        }
        let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            Error::Usage(format!("{from}: not a PostgreSQL URL: {e}"))
        })?;
        if config.get_hosts().is_empty() || config.get_dbname().is_none() {
            return Err(Error::Usage(format!(
                "{from}: the URL must name a host and a database (postgres://USER@HOST[:PORT]/DB)"
            )));
        }
        Ok(Backend::Postgres(Box::new(config)))
    }

    /// The location as messages show it: a path, or the URL without its
    /// password or options.
    pub fn display(&self) -> String {
        match self {
            Backend::Local(p) => p.display().to_string(),
            Backend::Postgres(c) => shown(c),
        }
    }
}

/// `postgres://USER@HOST:PORT/DB`, never with a password.
pub fn shown(c: &postgres::Config) -> String {
    use postgres::config::Host;
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            let port = c.get_ports().get(i).or(c.get_ports().first()).copied();
            port.map_or(host.clone(), |p| format!("{host}:{p}"))
        })
        .collect();
    format!(
        "postgres://{}{}/{}",
        c.get_user().map(|u| format!("{u}@")).unwrap_or_default(),
        hosts.join(","),
        c.get_dbname().unwrap_or_default()
    )
}

/// The password for `c` when its URL has none: `PGPASSWORD`, else the first
/// matching line of `PGPASSFILE` (default `~/.pgpass`), as libpq reads them.
pub fn password(c: &postgres::Config) -> Option<String> {
    if let Ok(p) = std::env::var("PGPASSWORD") {
        return Some(p);
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let text = crate::read::text::read_to_string(&file).ok()?;
    let host = match c.get_hosts().first()? {
        postgres::config::Host::Tcp(h) => h.clone(),
        postgres::config::Host::Unix(_) => "localhost".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432).to_string();
    let want = [
        host.as_str(),
        port.as_str(),
        c.get_dbname().unwrap_or_default(),
        c.get_user().unwrap_or_default(),
    ];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(pgpass_fields)
        .find(|f| f.len() == 5 && want.iter().zip(f).all(|(w, got)| got == "*" || got == w))
        .map(|f| f[4].clone())
}

/// The `:`-separated fields of a `.pgpass` line (`\:` and `\\` escaped).
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields
                .last_mut()
                .into_iter()
                .for_each(|f| f.extend(chars.next())),
            ':' => fields.push(String::new()),
            c => fields.last_mut().into_iter().for_each(|f| f.push(c)),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_passwords_and_bad_ones_are_usage_errors() {
        let Backend::Postgres(c) = Backend::parse(
            "postgres://ci:s3cret@db.example:6543/ledger?sslmode=require",
            "x",
        )
        .unwrap() else {
            panic!("not postgres");
        };
        assert_eq!(shown(&c), "postgres://ci@db.example:6543/ledger");
        for (bad, why) in [
            ("mysql://a@b/c", "postgres:// or postgresql://"),
            ("postgres://a@b:notaport/c", "not a PostgreSQL URL"),
            ("postgres://a@b:5432", "must name a host and a database"),
        ] {
            let e = Backend::parse(bad, "TOLLGATE_LEDGER_URL")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("TOLLGATE_LEDGER_URL: "), "{e}");
            assert!(e.contains(why), "{bad}: {e}");
        }
        let e = Backend::parse("postgres://u:hunter2@h:x/d", "x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn pgpass_lines_split_on_unescaped_colons() {
        assert_eq!(
            pgpass_fields(r"db\:1:*:ledger:ci:pa\:ss\\"),
            ["db:1", "*", "ledger", "ci", r"pa:ss\"]
        );
    }
}
