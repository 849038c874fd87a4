//! The workspace signing key (ed25519), in the encodings standard tools read.
//!
//! - The public key sits at the policy's `signing.public_key` as PEM, a PKIX
//!   SubjectPublicKeyInfo (`openssl pkey -pubin` and Python's `cryptography`
//!   load it).
//! - The secret key is PKCS#8 PEM. `key gen` puts it outside the workspace,
//!   at `$XDG_CONFIG_HOME/tollgate/keys/<key id>.key` (`~/.config` when the
//!   variable is unset), readable by its owner only. CI passes it in the
//!   `TOLLGATE_SIGNING_KEY` variable instead (the PEM text). A secret key
//!   beside the public key (`x.pub` -> `x.key`) is still used.
//! - Keys written before PEM, 64 hex digits, are still read.
//!
//! The key id follows in-toto and TUF, as securesystemslib computes it by
//! default, so their DSSE verifiers match tollgate's signatures to the key
//! with no id typed in: the lowercase hex SHA-256 of the canonical JSON
//! `{"keytype":"ed25519","keyval":{"public":"<64 hex digits>"},"scheme":"ed25519"}`
//! (keys sorted, no spaces), where the hex is the raw 32-byte public key.

use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::{DecodePublicKey, EncodePublicKey};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::error::{Error, Result};
use crate::policy::Workspace;

/// The environment variable that holds the secret key's PEM text (for CI).
pub const SECRET_ENV: &str = "TOLLGATE_SIGNING_KEY";

/// Where `key gen` writes the secret key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretHome {
    /// The user's configuration folder, outside every workspace.
    Config,
    /// Beside the public key, in the workspace (the demo's choice; the
    /// file is added to `.gitignore`).
    Workspace,
}

/// What `key gen` wrote.
#[derive(Debug)]
pub struct Generated {
    pub secret: PathBuf,
    pub public: PathBuf,
    pub key_id: String,
}

/// The key id of `k`: the in-toto / TUF convention that securesystemslib
/// computes by default (see the module doc).
pub fn key_id(k: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"keytype":"ed25519","keyval":{{"public":"{}"}},"scheme":"ed25519"}}"#,
        crate::digest::hex(k.as_bytes()).to_ascii_lowercase()
    );
    crate::digest::sha256_hex(canonical.as_bytes())
}

/// `$XDG_CONFIG_HOME/tollgate/keys`, else `$HOME/.config/tollgate/keys`.
pub fn config_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("tollgate").join("keys"))
}

/// Generate a key pair: the public key as PEM at the policy's
/// `signing.public_key`, the secret key as PKCS#8 PEM at `home`. Refuses to
/// replace a public key unless `force`.
pub fn generate(ws: &Workspace, force: bool, home: SecretHome) -> Result<Generated> {
    let public = ws.path(&ws.policy.signing.public_key);
    let beside = ws.secret_key_path();
    for p in [&public, &beside] {
        if p.exists() && !force {
            return Err(Error::refused(p, "a key already exists; use --force to replace it (evidence signed with the old key will no longer verify)"));
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Usage(format!("no system randomness: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    let id = key_id(&key.verifying_key());
    let secret = match home {
        SecretHome::Workspace => beside.clone(),
        SecretHome::Config => config_dir()
            .ok_or_else(|| {
                Error::Usage(
                    "neither XDG_CONFIG_HOME nor HOME is set: no home for the secret key (key gen --in-workspace puts it beside the public key)".into(),
                )
            })?
            .join(format!("{id}.key")),
    };
    let pem = secret_pem(&key)?;
    if let Some(dir) = secret.parent() {
        private_dir(dir)?;
    }
    crate::record::atomic::write_private(&secret, pem.as_bytes())?;
    if home == SecretHome::Config && beside.exists() {
        // A forced re-generation: the old workspace secret would shadow the new one.
        std::fs::remove_file(&beside).map_err(|e| Error::io(&beside, e))?;
    }
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(Default::default())
        .map_err(|e| Error::Usage(format!("cannot encode the public key: {e}")))?;
    crate::record::atomic::write_file(&public, public_pem.as_bytes())?;
    if home == SecretHome::Workspace {
        ignore_secret_keys(ws)?;
    }
    Ok(Generated {
        secret,
        public,
        key_id: id,
    })
}

/// PKCS#8 v1 PEM (RFC 8410's plain `PrivateKeyInfo`, which OpenSSL 3.0
/// loads; the v2 form with the public key inside it is refused there).
fn secret_pem(key: &SigningKey) -> Result<impl std::ops::Deref<Target = String>> {
    ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(Default::default())
    .map_err(|e| Error::Usage(format!("cannot encode the secret key: {e}")))
}

/// Create `dir` (and its parents) and make it private to its owner.
fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// The `.gitignore` pattern for secret keys kept in the workspace, e.g.
/// `.tollgate/keys/*.key`.
pub fn ignore_pattern(ws: &Workspace) -> String {
    let rel = ws.rel(&ws.secret_key_path());
    match rel.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/*.key"),
        None => "*.key".to_string(),
    }
}

/// Add [`ignore_pattern`] to the workspace's `.gitignore` unless a line
/// already says it.
pub fn ignore_secret_keys(ws: &Workspace) -> Result<()> {
    let path = ws.root.join(".gitignore");
    let pattern = ignore_pattern(ws);
    let text = match std::fs::symlink_metadata(&path) {
        Ok(_) => crate::read::text::read_to_string(&path)?,
        Err(_) => String::new(),
    };
    if text.lines().any(|l| l.trim() == pattern) {
        return Ok(());
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let updated = format!("{text}{sep}# tollgate signing keys: never commit them\n{pattern}\n");
    crate::record::atomic::write_file(&path, updated.as_bytes())
}

/// Parse a public key: PEM (SubjectPublicKeyInfo) or 64 hex digits.
fn parse_public(text: &str, path: &Path) -> Result<VerifyingKey> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.starts_with("-----BEGIN") {
        return VerifyingKey::from_public_key_pem(t).map_err(|e| {
            Error::parse(path, Some(1), format!("not an ed25519 PEM public key: {e}"))
        });
    }
    VerifyingKey::from_bytes(&unhex::<32>(t, path)?)
        .map_err(|e| Error::parse(path, Some(1), e.to_string()))
}

/// Parse a secret key: PKCS#8 PEM or 64 hex digits (the seed). The error
/// never quotes the text.
fn parse_secret(text: &str, path: &Path) -> Result<SigningKey> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.starts_with("-----BEGIN") {
        return SigningKey::from_pkcs8_pem(t).map_err(|e| {
            Error::parse(
                path,
                Some(1),
                format!("not an ed25519 PKCS#8 PEM private key: {e}"),
            )
        });
    }
    Ok(SigningKey::from_bytes(&unhex::<32>(t, path)?))
}

fn unhex<const N: usize>(s: &str, path: &Path) -> Result<[u8; N]> {
    let bytes: Option<Vec<u8>> = (s.len() == 2 * N && s.is_ascii())
        .then(|| {
            (0..N)
                .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
                .collect()
        })
        .flatten();
    bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| {
        Error::parse(
            path,
            Some(1),
            format!("expected PEM, or {N} bytes as {} hex digits", 2 * N),
        )
    })
}

/// The workspace's public key (the policy's `signing.public_key`).
pub fn load_public(ws: &Workspace) -> Result<VerifyingKey> {
    let p = ws.path(&ws.policy.signing.public_key);
    parse_public(&crate::read::text::read_to_string(&p)?, &p)
}

/// The files a secret key for `ws` may sit in, in the order they are tried:
/// beside the public key, then the configuration folder (when the public
/// key can be read, as its id names the file).
pub fn secret_paths(ws: &Workspace) -> Vec<PathBuf> {
    secret_paths_for(ws, load_public(ws).ok().as_ref())
}

/// [`secret_paths`] for a public key already read.
fn secret_paths_for(ws: &Workspace, public: Option<&VerifyingKey>) -> Vec<PathBuf> {
    let mut out = vec![ws.secret_key_path()];
    if let (Some(k), Some(dir)) = (public, config_dir()) {
        out.push(dir.join(format!("{}.key", key_id(k))));
    }
    out
}

/// The secret key that signs for `ws`: `TOLLGATE_SIGNING_KEY`, else the
/// first of [`secret_paths`] that exists. It must be the pair of the
/// workspace's public key, so that what it signs verifies.
pub fn load_secret(ws: &Workspace) -> Result<SigningKey> {
    let public = load_public(ws)?;
    let (key, from) = match std::env::var(SECRET_ENV) {
        Ok(text) if !text.trim().is_empty() => {
            let from = PathBuf::from(format!("${SECRET_ENV}"));
            (parse_secret(&text, &from)?, from)
        }
        _ => {
            let paths = secret_paths_for(ws, Some(&public));
            let Some(p) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_ok()) else {
                let tried: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                return Err(Error::Usage(format!(
                    "no secret key for the public key {} (key id {}): looked in {}, and {SECRET_ENV} is not set",
                    ws.policy.signing.public_key,
                    key_id(&public),
                    tried.join(" and ")
                )));
            };
            (
                parse_secret(&crate::read::text::read_to_string(p)?, p)?,
                p.clone(),
            )
        }
    };
    if key.verifying_key() != public {
        return Err(Error::refused(
            &from,
            format!(
                "this secret key (key id {}) is not the pair of the public key {} (key id {}): what it signs would not verify",
                key_id(&key.verifying_key()),
                ws.policy.signing.public_key,
                key_id(&public)
            ),
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_and_hex_keys_read_the_same() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let p = Path::new("k");
        let pem = secret_pem(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let hex = crate::digest::hex(&[7u8; 32]);
        assert_eq!(parse_secret(&pem, p).unwrap().to_bytes(), [7u8; 32]);
        assert_eq!(parse_secret(&hex, p).unwrap().to_bytes(), [7u8; 32]);
        let vk = key.verifying_key();
        let pub_pem = vk.to_public_key_pem(Default::default()).unwrap();
        assert!(pub_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(parse_public(&pub_pem, p).unwrap(), vk);
        assert_eq!(
            parse_public(&crate::digest::hex(vk.as_bytes()), p).unwrap(),
            vk
        );
    }

    #[test]
    fn key_id_is_the_sha256_of_the_canonical_key_json() {
        // RFC 8032 test 1's public key; the id as securesystemslib 1.6's
        // compute_default_keyid gives it.
        let raw = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
        let vk = parse_public(raw, Path::new("k")).unwrap();
        assert_eq!(
            key_id(&vk),
            "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916"
        );
    }

    #[test]
    fn a_bad_secret_key_error_does_not_quote_it() {
        let secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----";
        let e = parse_secret(secret, Path::new("$TOLLGATE_SIGNING_KEY"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("TOLLGATE_SIGNING_KEY"), "{e}");
        assert!(!e.contains("c2VjcmV0"), "{e}");
        let e = parse_secret("not-a-key-at-all", Path::new("k"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains("not-a-key"), "{e}");
    }
}
