//! OpenSSH's allowed-signers file (ssh-keygen(1), "ALLOWED SIGNERS"), the
//! list of whose key may sign as which principal, that `ssh-keygen -Y verify`
//! and git's SSH commit signing read:
//!
//! ```text
//! alice@example.com,alice namespaces="tollgate",valid-before="20271231" ssh-ed25519 AAAA... laptop
//! ```

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, PublicKey};

use crate::error::{Error, Result};

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
pub struct Signer {
    /// 1-based line in the file.
    pub line: usize,
    /// Principal patterns (`*` and `?` wildcards, `!` negates).
    pub principals: Vec<String>,
    /// The namespaces the key may sign in; `None` means any.
    pub namespaces: Option<Vec<String>>,
    pub valid_after: Option<DateTime<Utc>>,
    pub valid_before: Option<DateTime<Utc>>,
    pub key: PublicKey,
}

impl Signer {
    /// Whether this line lets its key sign as `principal`.
    pub fn allows(&self, principal: &str) -> bool {
        let (neg, pos): (Vec<&String>, Vec<&String>) =
            self.principals.iter().partition(|p| p.starts_with('!'));
        !neg.iter()
            .any(|p| crate::evidence::glob::matches(&p[1..], principal))
            && pos
                .iter()
                .any(|p| crate::evidence::glob::matches(p, principal))
    }

    /// Whether this line lets its key sign in `namespace`.
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces.as_ref().is_none_or(|ns| {
            ns.iter()
                .any(|n| crate::evidence::glob::matches(n, namespace))
        })
    }

    /// Why the key may not sign at `time`, if it may not.
    pub fn outside_window(&self, time: DateTime<Utc>) -> Option<String> {
        let at = |t: &DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        match (self.valid_after, self.valid_before) {
            (Some(a), _) if time < a => Some(format!("the key is valid only after {}", at(&a))),
            (_, Some(b)) if time > b => Some(format!("the key was valid only before {}", at(&b))),
            _ => None,
        }
    }

    /// The key's SHA-256 fingerprint, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.key.key_data())
    }
}

/// A key's SHA-256 fingerprint (`SHA256:...`).
pub fn fingerprint(key: &KeyData) -> String {
    key.fingerprint(ssh_key::HashAlg::Sha256).to_string()
}

/// The signers of an allowed-signers file, in file order.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    /// The file, as messages name it.
    pub path: String,
    pub signers: Vec<Signer>,
}

impl AllowedSigners {
    /// Read and parse `path`; a malformed line is an error naming it.
    pub fn load(path: &Path, shown: &str) -> Result<AllowedSigners> {
        let text = crate::read::text::read_to_string(path)?;
        AllowedSigners::parse(&text, path, shown)
    }

    /// Parse allowed-signers `text` read from `path` (shown as `shown`).
    pub fn parse(text: &str, path: &Path, shown: &str) -> Result<AllowedSigners> {
        let mut signers = Vec::new();
        for (line, raw) in crate::read::text::numbered_lines(text) {
            let t = raw.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            signers.push(parse_line(t, line).map_err(|m| Error::parse(path, Some(line), m))?);
        }
        Ok(AllowedSigners {
            path: shown.to_string(),
            signers,
        })
    }

    /// The lines that list `key`.
    pub fn for_key<'a>(&'a self, key: &'a KeyData) -> impl Iterator<Item = &'a Signer> + 'a {
        self.signers.iter().filter(move |s| s.key.key_data() == key)
    }
}

/// Key types tollgate verifies.
const KEY_TYPES: [Algorithm; 4] = [
    Algorithm::Ed25519,
    Algorithm::SkEd25519,
    Algorithm::Ecdsa {
        curve: ssh_key::EcdsaCurve::NistP256,
    },
    Algorithm::SkEcdsaSha2NistP256,
];

fn parse_line(line: &str, n: usize) -> std::result::Result<Signer, String> {
    let fields = split_fields(line)?;
    let principals_field = fields.first().ok_or("empty line")?;
    let principals: Vec<String> = unquote(principals_field)
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if principals.is_empty() {
        return Err("no principal before the key".into());
    }
    // Options come between the principals and the key type when present.
    let mut rest = &fields[1..];
    let mut signer = Signer {
        line: n,
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key: PublicKey::new(
            KeyData::Ed25519(ssh_key::public::Ed25519PublicKey([0; 32])),
            "",
        ),
    };
    if let Some(first) = rest.first().filter(|f| !is_key_type(f)) {
        for opt in split_options(first)? {
            let (name, value) = match opt.split_once('=') {
                Some((k, v)) => (k.to_ascii_lowercase(), Some(unquote(v))),
                None => (opt.to_ascii_lowercase(), None),
            };
            match (name.as_str(), value) {
                ("namespaces", Some(v)) => {
                    signer.namespaces = Some(v.split(',').map(|s| s.trim().to_string()).collect())
                }
                ("valid-after", Some(v)) => signer.valid_after = Some(timestamp(&v)?),
                ("valid-before", Some(v)) => signer.valid_before = Some(timestamp(&v)?),
                ("cert-authority", None) => {
                    return Err(
                        "cert-authority lines (certificate signers) are not supported".into(),
                    )
                }
                (other, _) => return Err(format!("unknown or malformed option '{other}'")),
            }
        }
        rest = &rest[1..];
    }
    let (Some(kind), Some(body)) = (rest.first(), rest.get(1)) else {
        return Err("expected a key type and a base64 key after the principals".into());
    };
    let key = PublicKey::from_openssh(&format!("{kind} {body}"))
        .map_err(|e| format!("the {kind} key does not parse: {e}"))?;
    if !KEY_TYPES.contains(&key.algorithm()) {
        return Err(format!(
            "key type {kind} is not supported (ssh-ed25519, ecdsa-sha2-nistp256 and their sk- variants are)"
        ));
    }
    signer.key = key;
    Ok(signer)
}

fn is_key_type(f: &str) -> bool {
    ["ssh-", "ecdsa-", "sk-"].iter().any(|p| f.starts_with(p))
}

/// Whitespace-separated fields; double quotes keep spaces inside one.
fn split_fields(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = split_unquoted(line, char::is_whitespace)?;
    fields.retain(|f| !f.is_empty());
    Ok(fields)
}

/// Comma-separated options; commas inside double quotes do not split.
fn split_options(field: &str) -> std::result::Result<Vec<String>, String> {
    let out = split_unquoted(field, |c| c == ',')?;
    if out.iter().any(|o| o.is_empty()) {
        return Err(format!("empty option in '{field}'"));
    }
    Ok(out)
}

/// `s` split at each `sep` character outside double quotes (the quotes are
/// kept).
fn split_unquoted(s: &str, sep: impl Fn(char) -> bool) -> std::result::Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if sep(c) && !quoted {
            out.push(String::new());
        } else if let Some(cur) = out.last_mut() {
            cur.push(c);
        }
    }
    if quoted {
        return Err("unterminated double quote".into());
    }
    Ok(out)
}

fn unquote(s: &str) -> String {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_string()
}

/// `YYYYMMDD[HHMM[SS]][Z]`: UTC with `Z`, local time without, as OpenSSH reads it.
fn timestamp(v: &str) -> std::result::Result<DateTime<Utc>, String> {
    let bad = || {
        format!("'{v}' is not a timestamp (YYYYMMDD or YYYYMMDDHHMM[SS], optionally ending in Z)")
    };
    let (digits, utc) = match v.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (v, false),
    };
    let naive: NaiveDateTime = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .map_err(|_| bad())?
            .and_hms_opt(0, 0, 0)
            .ok_or_else(bad)?,
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").map_err(|_| bad())?,
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    if utc {
        Ok(Utc.from_utc_datetime(&naive))
    } else {
        chrono::Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOsuqTvUAJEPTHoHziidSDkW39jxUMzo3F9L5LehDBOE";

    fn parse(text: &str) -> Result<AllowedSigners> {
        AllowedSigners::parse(text, Path::new("signers"), "signers")
    }

    #[test]
    fn lines_with_and_without_options() {
        let s = parse(&format!(
            "# team\n\n\"alice@x.org,al ice\" {KEY} laptop\nbob@*,!bob@evil.org namespaces=\"git,tollgate\",valid-after=\"20260101Z\",VALID-BEFORE=\"202701011200Z\" {KEY}\n"
        ))
        .unwrap();
        assert_eq!(s.signers.len(), 2);
        let (a, b) = (&s.signers[0], &s.signers[1]);
        assert_eq!(a.line, 3);
        assert!(a.allows("alice@x.org") && a.allows("al ice") && !a.allows("bob@x.org"));
        assert!(a.allows_namespace("anything"));
        assert!(b.allows("bob@x.org") && !b.allows("bob@evil.org"));
        assert!(b.allows_namespace("tollgate") && !b.allows_namespace("file"));
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(b.outside_window(t("2026-06-01T00:00:00Z")).is_none());
        assert!(b
            .outside_window(t("2025-12-31T23:59:59Z"))
            .unwrap()
            .contains("only after 2026-01-01"));
        assert!(b
            .outside_window(t("2027-01-01T12:00:01Z"))
            .unwrap()
            .contains("only before 2027-01-01T12:00:00Z"));
        assert!(a.fingerprint().starts_with("SHA256:"));
    }

    /// A well-formed ssh-rsa public key (e = 65537, a 1024-bit n).
    fn rsa_key() -> String {
        use base64::Engine;
        let mut b = Vec::new();
        for part in [&b"ssh-rsa"[..], &[1, 0, 1], &[0x7f; 128]] {
            b.extend((part.len() as u32).to_be_bytes());
            b.extend(part);
        }
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    #[test]
    fn malformed_lines_are_named() {
        for (text, want) in [
            (format!("alice {KEY}\nbob\n"), ":2: expected a key type"),
            (
                format!("alice valid-after=\"2026\" {KEY}"),
                "not a timestamp",
            ),
            (
                format!("alice foo=\"x\" {KEY}"),
                "unknown or malformed option 'foo'",
            ),
            (format!("alice cert-authority {KEY}"), "not supported"),
            (
                "alice ssh-ed25519 AAAAnotbase64!".to_string(),
                "does not parse",
            ),
            ("alice \"open ssh-ed25519 AAAA".to_string(), "unterminated"),
            (
                format!("alice ssh-rsa {}", rsa_key()),
                "ssh-rsa is not supported",
            ),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
            assert!(e.starts_with("signers:"), "{e}");
        }
    }
}
