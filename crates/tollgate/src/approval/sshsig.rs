//! SSH signatures (OpenSSH's SSHSIG, PROTOCOL.sshsig) over approval
//! statements, in tollgate's namespace. Verification is pure Rust
//! (`ssh-key`); signing uses the key file directly when it is not
//! passphrase-protected, and otherwise `ssh-keygen -Y sign`, which asks for
//! the passphrase or uses the key held in ssh-agent, as git does.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use ssh_key::public::KeyData;
use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use crate::error::{Error, Result};

/// The SSHSIG namespace of every tollgate signature (`ssh-keygen -n`).
pub const NAMESPACE: &str = "tollgate";

/// The public half of the key at `path`: a private key file (encrypted or
/// not), its `.pub` beside it, or a public key file (for ssh-agent).
pub fn public_key(path: &Path) -> Result<PublicKey> {
    let text = crate::read::text::read_to_string(path)?;
    if let Ok(k) = PrivateKey::from_openssh(&text) {
        return Ok(k.public_key().clone());
    }
    PublicKey::from_openssh(text.trim())
        .map_err(|_| Error::parse(path, None, "not an OpenSSH private or public key"))
}

/// Sign `message` with the key at `path`; the armored signature.
pub fn sign(path: &Path, message: &[u8]) -> Result<String> {
    let text = crate::read::text::read_to_string(path)?;
    match PrivateKey::from_openssh(&text) {
        Ok(k) if !k.is_encrypted() => {
            let sig = k
                .sign(NAMESPACE, HashAlg::Sha512, message)
                .map_err(|e| Error::parse(path, None, format!("cannot sign with this key: {e}")))?;
            sig.to_pem(LineEnding::LF)
                .map_err(|e| Error::parse(path, None, e.to_string()))
        }
        _ => sign_with_ssh_keygen(path, message),
    }
}

/// `ssh-keygen -Y sign -n tollgate -f KEY`, message on stdin, signature on
/// stdout; a passphrase prompt goes to the terminal, not through tollgate.
fn sign_with_ssh_keygen(path: &Path, message: &[u8]) -> Result<String> {
    let mut child = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::refused(
                path,
                format!("this key is passphrase-protected or held in ssh-agent, and signing it needs OpenSSH's ssh-keygen: {e}"),
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(message).map_err(|e| Error::io(path, e))?;
    }
    let out = child.wait_with_output().map_err(|e| Error::io(path, e))?;
    let sig = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || !sig.contains("BEGIN SSH SIGNATURE") {
        return Err(Error::refused(
            path,
            format!(
                "ssh-keygen -Y sign failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    Ok(sig)
}

/// Verify armored signature `sig` over `message` in tollgate's namespace;
/// the key that made it, or why it does not verify.
pub fn verify(sig: &str, message: &[u8]) -> std::result::Result<KeyData, String> {
    let sig =
        SshSig::from_pem(sig.trim()).map_err(|e| format!("the signature does not parse: {e}"))?;
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "the signature is in namespace '{}', not '{NAMESPACE}'",
            sig.namespace()
        ));
    }
    let key = sig.public_key().clone();
    PublicKey::new(key.clone(), "")
        .verify(NAMESPACE, message, &sig)
        .map_err(|_| {
            "the signature does not verify: the statement or the signature was changed".to_string()
        })?;
    Ok(key)
}

/// An unencrypted ed25519 key file in `dir`, from a fixed seed (tests).
#[cfg(test)]
pub(crate) fn test_key(dir: &Path, seed: u8) -> std::path::PathBuf {
    let kp = ssh_key::private::Ed25519Keypair::from_seed(&[seed; 32]);
    let k = PrivateKey::new(ssh_key::private::KeypairData::Ed25519(kp), "test").unwrap();
    let p = dir.join(format!("id_{seed}"));
    std::fs::write(&p, k.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_catches_changes() {
        let dir = tempfile::tempdir().unwrap();
        let key = test_key(dir.path(), 1);
        let sig = sign(&key, b"statement").unwrap();
        let signer = verify(&sig, b"statement").unwrap();
        assert_eq!(&signer, public_key(&key).unwrap().key_data());
        assert!(verify(&sig, b"statemenT")
            .unwrap_err()
            .contains("does not verify"));
        let other = sign(&test_key(dir.path(), 2), b"statement").unwrap();
        assert_ne!(verify(&other, b"statement").unwrap(), signer);
        assert!(verify("garbage", b"x")
            .unwrap_err()
            .contains("does not parse"));
    }
}
