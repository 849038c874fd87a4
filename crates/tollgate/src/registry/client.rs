//! A blocking face on `oci-client` (the ORAS project's distribution-spec
//! client): one repository, credentials found where tools keep them, plain
//! HTTP only for loopback or when asked, and a timeout on every connection
//! and every read, so a dead registry is an error, never a hang.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use sha2::{Digest, Sha256};

use super::reference::OciRef;
use crate::error::{Error, Result};

/// Variable naming the registry user; wins over `~/.docker/config.json`.
pub const USER_VAR: &str = "TOLLGATE_REGISTRY_USER";
/// Variable holding that user's password or token.
pub const PASSWORD_VAR: &str = "TOLLGATE_REGISTRY_PASSWORD";

/// Variable setting, in seconds, how long a request may wait for the next
/// bytes (default 60) and a connection may take (at most 10).
pub const TIMEOUT_VAR: &str = "TOLLGATE_REGISTRY_TIMEOUT";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The connect and read timeouts, from [`TIMEOUT_VAR`] when it is set.
fn timeouts() -> Result<(Duration, Duration)> {
    let Ok(v) = std::env::var(TIMEOUT_VAR) else {
        return Ok((CONNECT_TIMEOUT, READ_TIMEOUT));
    };
    match v.trim().parse::<u64>() {
        Ok(s) if s > 0 => {
            let read = Duration::from_secs(s);
            Ok((read.min(CONNECT_TIMEOUT), read))
        }
        _ => Err(Error::Usage(format!(
            "{TIMEOUT_VAR}='{v}': expected a whole number of seconds above 0"
        ))),
    }
}

/// Plain HTTP for loopback registries or when asked; HTTPS otherwise.
fn protocol(at: &OciRef, opts: Options) -> ClientProtocol {
    if at.is_loopback() || opts.insecure {
        ClientProtocol::Http
    } else {
        ClientProtocol::Https
    }
}
/// Bytes per chunk when a file is uploaded.
const CHUNK: usize = 4 << 20;

/// How to reach a registry.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Allow plain HTTP to a registry that is not this machine.
    pub insecure: bool,
}

/// A connection to one repository of one registry.
pub struct Registry {
    rt: tokio::runtime::Runtime,
    client: Client,
    auth: RegistryAuth,
    at: OciRef,
}

/// What streaming a blob found.
pub struct Streamed {
    /// `sha256:` and the hex digest of the bytes received.
    pub digest: String,
    pub size: u64,
}

impl Registry {
    /// Connect to the registry of `at` and authenticate for `push` or pull.
    pub fn connect(at: &OciRef, opts: Options, push: bool) -> Result<Registry> {
        let (connect, read) = timeouts()?;
        let config = ClientConfig {
            protocol: protocol(at, opts),
            connect_timeout: Some(connect),
            read_timeout: Some(read),
            platform_resolver: None,
            // One streamed PUT per blob: chunked PATCHes are several times slower.
            use_monolithic_push: true,
            ..Default::default()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::remote(shown(at), format!("cannot start the client: {e}")))?;
        let reg = Registry {
            rt,
            client: Client::new(config),
            auth: credentials(&at.registry)?,
            at: at.clone(),
        };
        let op = if push {
            RegistryOperation::Push
        } else {
            RegistryOperation::Pull
        };
        let image = reg.image(None);
        reg.rt
            .block_on(reg.client.auth(&image, &reg.auth, op))
            .map_err(|e| reg.fail("cannot authenticate", e))?;
        Ok(reg)
    }

    /// The repository reference, at `digest` or at the tag given.
    fn image(&self, digest: Option<&str>) -> Reference {
        let (reg, repo) = (self.at.registry.clone(), self.at.repository.clone());
        match digest.or(self.at.digest.as_deref()) {
            Some(d) => Reference::with_digest(reg, repo, d.to_string()),
            None => Reference::with_tag(
                reg,
                repo,
                self.at.tag.clone().unwrap_or_else(|| "latest".into()),
            ),
        }
    }

    /// An error naming the registry, with every cause (reqwest's own
    /// message stops at "error sending request").
    fn fail(&self, what: &str, e: impl std::error::Error) -> Error {
        let mut message = format!("{what}: {e}");
        let mut cause = e.source();
        while let Some(c) = cause {
            let m = c.to_string();
            if !message.contains(&m) {
                message = format!("{message}: {m}");
            }
            cause = c.source();
        }
        Error::remote(shown(&self.at), message)
    }

    /// Whether the repository already holds the blob `digest`.
    pub fn has_blob(&self, digest: &str) -> Result<bool> {
        self.rt
            .block_on(self.client.blob_exists(&self.image(None), digest))
            .map_err(|e| self.fail(&format!("cannot look up blob {digest}"), e))
    }

    /// Upload `path` as the blob `digest` (`size` bytes), in chunks.
    pub fn push_file(&self, path: &Path, digest: &str, size: u64) -> Result<()> {
        let file = crate::read::file::open(path).map_err(|e| Error::io(path, e))?;
        let chunks = futures_util::stream::unfold(file, |mut f| async move {
            let mut buf = vec![0u8; CHUNK];
            match f.read(&mut buf) {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(bytes::Bytes::from(buf)), f))
                }
                Err(e) => Some((Err(oci_client::errors::OciDistributionError::IoError(e)), f)),
            }
        });
        let image = self.image(None);
        self.rt
            .block_on(
                self.client
                    .push_blob_stream(&image, chunks, digest, Some(size)),
            )
            .map(drop)
            .map_err(|e| self.fail(&format!("cannot upload {}", path.display()), e))
    }

    /// Upload `data` as a blob; returns its digest.
    pub fn push_bytes(&self, data: &[u8]) -> Result<String> {
        let digest = sha256_digest(data);
        if !self.has_blob(&digest)? {
            self.rt
                .block_on(
                    self.client
                        .push_blob(&self.image(None), data.to_vec(), &digest),
                )
                .map_err(|e| self.fail(&format!("cannot upload blob {digest}"), e))?;
        }
        Ok(digest)
    }

    /// Store a manifest under `tag`, or by its digest when `tag` is `None`;
    /// returns its digest.
    pub fn push_manifest(
        &self,
        body: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<String> {
        let digest = sha256_digest(body);
        let image = match tag {
            Some(t) => Reference::with_tag(
                self.at.registry.clone(),
                self.at.repository.clone(),
                t.to_string(),
            ),
            None => self.image(Some(&digest)),
        };
        let ct = media_type
            .parse()
            .map_err(|e| self.fail("bad media type", e))?;
        self.rt
            .block_on(self.client.push_manifest_raw(&image, body.to_vec(), ct))
            .map_err(|e| self.fail(&format!("cannot store manifest {digest}"), e))?;
        Ok(digest)
    }

    /// The raw manifest at `digest` (or at the reference's tag or digest),
    /// and the digest of the bytes received.
    pub fn manifest(&self, digest: Option<&str>, accept: &[&str]) -> Result<(Vec<u8>, String)> {
        let image = self.image(digest);
        let (body, _) = self
            .rt
            .block_on(self.client.pull_manifest_raw(&image, &self.auth, accept))
            .map_err(|e| self.fail(&format!("cannot fetch manifest {}", image.whole()), e))?;
        let got = sha256_digest(&body);
        Ok((body.to_vec(), got))
    }

    /// Stream the blob `desc` into `sink`, hashing as it arrives. A blob whose
    /// bytes do not match its digest is returned with the digest it has, for
    /// the caller to judge; only transport failures are errors.
    pub fn stream_blob(
        &self,
        desc: &OciDescriptor,
        mut sink: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<Streamed> {
        let image = self.image(None);
        let what = || format!("cannot fetch blob {}", desc.digest);
        self.rt.block_on(async {
            let mut stream = self
                .client
                .pull_blob_stream(&image, desc)
                .await
                .map_err(|e| self.fail(&what(), e))?;
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(b) => {
                        hasher.update(&b);
                        size += b.len() as u64;
                        sink(&b)?;
                    }
                    // oci-client checks the digest itself and says so after
                    // the last byte: the caller judges that from our hash.
                    Err(_) if size == desc.size as u64 => break,
                    Err(e) => return Err(self.fail(&what(), e)),
                }
            }
            Ok(Streamed {
                digest: format!("sha256:{:x}", hasher.finalize()),
                size,
            })
        })
    }
}

/// `sha256:` and the hex digest of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(data))
}

/// How the registry is named in messages: its reference, never a credential.
fn shown(at: &OciRef) -> String {
    format!("registry {at}")
}

/// Credentials for `registry`: `TOLLGATE_REGISTRY_USER` and
/// `TOLLGATE_REGISTRY_PASSWORD`, else the `auths` entry of
/// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, else anonymous.
pub fn credentials(registry: &str) -> Result<RegistryAuth> {
    if let Ok(user) = std::env::var(USER_VAR) {
        let password = std::env::var(PASSWORD_VAR)
            .map_err(|_| Error::Usage(format!("{USER_VAR} is set but {PASSWORD_VAR} is not")))?;
        return Ok(RegistryAuth::Basic(user, password));
    }
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".docker")));
    let Some(path) = dir.map(|d| d.join("config.json")) else {
        return Ok(RegistryAuth::Anonymous);
    };
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(RegistryAuth::Anonymous);
    }
    let config = crate::read::json::load(&path)?;
    docker_auth(&config, registry).map_err(|m| Error::parse(&path, None, m))
}

/// The `auths` entry for `registry` in a docker config: `auth` (base64
/// `user:password`) or `username` and `password`.
fn docker_auth(
    config: &serde_json::Value,
    registry: &str,
) -> std::result::Result<RegistryAuth, String> {
    use base64::Engine;
    let auths = config.get("auths").and_then(|a| a.as_object());
    let entry = auths.and_then(|a| {
        a.iter()
            .find(|(k, _)| {
                let k = k
                    .trim_start_matches("https://")
                    .trim_start_matches("http://");
                k.trim_end_matches('/') == registry
            })
            .map(|(_, v)| v)
    });
    let Some(entry) = entry else {
        return Ok(RegistryAuth::Anonymous);
    };
    let key = format!("auths.{registry}");
    if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(format!("{key}.auth is not base64 of user:password"))?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or(format!("{key}.auth is not base64 of user:password"))?;
        return Ok(RegistryAuth::Basic(user.into(), password.into()));
    }
    match (
        entry.get("username").and_then(|u| u.as_str()),
        entry.get("password").and_then(|p| p.as_str()),
    ) {
        (Some(u), Some(p)) => Ok(RegistryAuth::Basic(u.into(), p.into())),
        _ => Ok(RegistryAuth::Anonymous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn basic(a: RegistryAuth) -> Option<(String, String)> {
        match a {
            RegistryAuth::Basic(u, p) => Some((u, p)),
            _ => None,
        }
    }

    #[test]
    fn plain_http_only_for_loopback_or_when_asked() {
        let at = |s: &str| OciRef::parse(s).unwrap();
        let http = |p: ClientProtocol| matches!(p, ClientProtocol::Http);
        let strict = Options { insecure: false };
        assert!(http(protocol(&at("oci://127.0.0.1:5000/ev"), strict)));
        assert!(http(protocol(&at("oci://localhost/ev"), strict)));
        assert!(!http(protocol(
            &at("oci://registry.example.com/ev"),
            strict
        )));
        assert!(!http(protocol(&at("oci://10.0.0.5:5000/ev"), strict)));
        let insecure = Options { insecure: true };
        assert!(http(protocol(&at("oci://10.0.0.5:5000/ev"), insecure)));
    }

    #[test]
    fn docker_config_auths_are_read_like_docker_reads_them() {
        // "ci:s3cret", as `docker login` writes it.
        let config = json!({ "auths": {
            "https://registry.example.com/": { "auth": "Y2k6czNjcmV0" },
            "127.0.0.1:5000": { "username": "u", "password": "p" },
        }});
        assert_eq!(
            basic(docker_auth(&config, "registry.example.com").unwrap()),
            Some(("ci".into(), "s3cret".into()))
        );
        assert_eq!(
            basic(docker_auth(&config, "127.0.0.1:5000").unwrap()),
            Some(("u".into(), "p".into()))
        );
        assert!(basic(docker_auth(&config, "other.example.com").unwrap()).is_none());
        let broken = json!({ "auths": { "r.example.com": { "auth": "!!" } } });
        let e = docker_auth(&broken, "r.example.com").unwrap_err();
        assert!(e.contains("auths.r.example.com.auth"), "{e}");
    }
}
