//! `oci://HOST[:PORT]/REPO[:TAG][@sha256:DIGEST]`: where a bundle lives in
//! an OCI registry. Parsed strictly, by the distribution spec's grammar, so
//! a typo is a usage error rather than a request to some other place.

use std::fmt;

use crate::error::{Error, Result};

/// The scheme every registry reference starts with.
pub const SCHEME: &str = "oci://";

/// A parsed registry reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRef {
    /// `host` or `host:port`, as written.
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:` and 64 lower-case hex digits.
    pub digest: Option<String>,
}

/// Whether `s` names a registry reference rather than a local bundle.
pub fn is_oci(s: &str) -> bool {
    s.starts_with(SCHEME)
}

impl OciRef {
    /// Parse `oci://...`; every malformed part is named in the error.
    pub fn parse(s: &str) -> Result<OciRef> {
        let bad = |why: &str| Error::Usage(format!("malformed registry reference '{s}': {why}"));
        let rest = s
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("it must start with oci://"))?;
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("expected oci://HOST[:PORT]/REPOSITORY[:TAG]"))?;
        check_registry(registry).map_err(|w| bad(&w))?;
        let (path, digest) = match path.split_once('@') {
            Some((p, d)) => (p, Some(d)),
            None => (path, None),
        };
        if let Some(d) = digest {
            let hex = d.strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(bad("a digest must be sha256: and 64 lower-case hex digits"));
            }
        }
        // A tag follows the last ':' after the last '/'.
        let (repository, tag) = match path.rfind(':') {
            Some(i) if !path[i..].contains('/') => (&path[..i], Some(&path[i + 1..])),
            _ => (path, None),
        };
        check_repository(repository).map_err(|w| bad(&w))?;
        if let Some(t) = tag {
            check_tag(t).map_err(|w| bad(&w))?;
        }
        Ok(OciRef {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }

    /// The host without the port, brackets removed.
    pub fn host(&self) -> &str {
        let r = self.registry.as_str();
        if let Some(v6) = r.strip_prefix('[') {
            return v6.split(']').next().unwrap_or(v6);
        }
        r.rsplit_once(':').map_or(r, |(h, _)| h)
    }

    /// Whether the registry is this machine, where plain HTTP is allowed.
    pub fn is_loopback(&self) -> bool {
        let h = self.host();
        h.eq_ignore_ascii_case("localhost")
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The same repository at `digest`.
    pub fn at_digest(&self, digest: &str) -> OciRef {
        OciRef {
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// The same repository with `tag` when none was given.
    pub fn or_tag(&self, tag: &str) -> OciRef {
        OciRef {
            tag: self.tag.clone().or_else(|| Some(tag.to_string())),
            ..self.clone()
        }
    }
}

impl fmt::Display for OciRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// A valid tag made from `name` (a bundle name): characters outside the
/// tag alphabet become `-`.
pub fn tag_for(name: &str) -> String {
    let mut t: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(128)
        .collect();
    if !t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        t.insert(0, '_');
        t.truncate(128);
    }
    t
}

fn check_registry(r: &str) -> std::result::Result<(), String> {
    if r.is_empty() {
        return Err("the registry host is missing".into());
    }
    let (host, port) = match r.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, rest)) => (h, rest.strip_prefix(':')),
            None => return Err("unclosed '[' in the registry host".into()),
        },
        None => match r.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (r, None),
        },
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if !host_ok {
        return Err(format!("'{host}' is not a host name or address"));
    }
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |n| n == 0) {
            return Err(format!("'{p}' is not a port"));
        }
    }
    Ok(())
}

/// The distribution spec's repository grammar.
static REPOSITORY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")
        .expect("a valid pattern")
});

fn check_repository(repo: &str) -> std::result::Result<(), String> {
    if repo.is_empty() {
        return Err("the repository name is missing".into());
    }
    if repo.len() > 255 || !REPOSITORY.is_match(repo) {
        return Err(format!(
            "repository '{repo}' must be lower-case letters and digits, separated by '.', '_', '__' or '-', in '/'-joined components of at most 255 characters in all"
        ));
    }
    Ok(())
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
fn check_tag(t: &str) -> std::result::Result<(), String> {
    let ok = !t.is_empty()
        && t.len() <= 128
        && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag '{t}' must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_repository_tag_and_digest() {
        let r = OciRef::parse("oci://127.0.0.1:5000/team/evidence:rc-1").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/evidence");
        assert_eq!(r.tag.as_deref(), Some("rc-1"));
        assert!(r.is_loopback());
        assert_eq!(r.to_string(), "oci://127.0.0.1:5000/team/evidence:rc-1");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = OciRef::parse(&format!("oci://registry.example.com/ev@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.tag, None);
        assert!(!r.is_loopback());
        assert!(OciRef::parse("oci://[::1]:5000/ev").unwrap().is_loopback());
        assert!(OciRef::parse("oci://localhost/ev").unwrap().is_loopback());
    }

    #[test]
    fn malformed_references_say_what_is_wrong() {
        for (bad, says) in [
            ("docker://host/repo", "oci://"),
            ("oci://host", "REPOSITORY"),
            ("oci:///repo", "host is missing"),
            ("oci://host:99999/repo", "not a port"),
            ("oci://host/Repo", "lower-case"),
            ("oci://host/repo/", "lower-case"),
            ("oci://host/repo:-x", "tag"),
            ("oci://host/repo:a b", "tag"),
            ("oci://host/repo@sha256:abc", "64"),
            ("oci://ho st/repo", "host name"),
        ] {
            let e = OciRef::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn tags_are_made_from_bundle_names() {
        assert_eq!(tag_for("20261120-101500"), "20261120-101500");
        assert_eq!(tag_for("rc 1/x"), "rc-1-x");
        assert_eq!(tag_for(".hidden"), "_.hidden");
        assert!(check_tag(&tag_for(&"x".repeat(300))).is_ok());
    }
}
