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
    if let Ok(k) = PublicKey::from_openssh(text.trim()) {
        return Ok(k);
    }
    // A private key `ssh-key` cannot read (some valid ECDSA keys among
    // them) is still signed with by ssh-keygen; its public half is beside it.
    let beside = path.with_file_name(format!(
        "{}.pub",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    crate::read::text::read_to_string(&beside)
        .ok()
        .and_then(|t| PublicKey::from_openssh(t.trim()).ok())
        .ok_or_else(|| Error::parse(path, None, "not an OpenSSH private or public key"))
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
    touched(&sig)?;
    PublicKey::new(key.clone(), "")
        .verify(NAMESPACE, message, &sig)
        .map_err(|_| {
            "the signature does not verify: the statement or the signature was changed".to_string()
        })?;
    Ok(key)
}

/// A security-key (`sk-`) signature must carry the authenticator's
/// user-presence flag, as OpenSSH requires: a key that signed without a
/// touch could have been used by malware on the machine it is plugged into.
fn touched(sig: &SshSig) -> std::result::Result<(), String> {
    use ssh_key::Algorithm;
    let s = sig.signature();
    if !matches!(
        s.algorithm(),
        Algorithm::SkEd25519 | Algorithm::SkEcdsaSha2NistP256
    ) {
        return Ok(());
    }
    // The signature ends in flags (one byte) and a counter (four).
    let bytes = s.as_bytes();
    match bytes.len().checked_sub(5).map(|i| bytes[i]) {
        Some(flags) if flags & 0x01 != 0 => Ok(()),
        _ => Err(
            "the security key's user-presence flag is not set: it signed without a touch".into(),
        ),
    }
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

    /// An `sk-ssh-ed25519@openssh.com` signature, made as a FIDO
    /// authenticator makes it (PROTOCOL.u2f): ed25519 over SHA-256 of the
    /// application, the flags, the counter and SHA-256 of the SSHSIG data.
    fn sk_signature(seed: u8, flags: u8, message: &[u8]) -> (String, KeyData) {
        use ed25519_dalek::Signer;
        use sha2::{Digest, Sha256};
        let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let public = ssh_key::public::Ed25519PublicKey(sk.verifying_key().to_bytes());
        let key = KeyData::SkEd25519(ssh_key::public::SkEd25519::new(public, "ssh:"));
        let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, message).unwrap();
        let trailer = [&[flags][..], &7u32.to_be_bytes()].concat();
        let signed = [
            &Sha256::digest("ssh:")[..],
            &trailer,
            &Sha256::digest(&data),
        ]
        .concat();
        let sig = [&sk.sign(&signed).to_bytes()[..], &trailer].concat();
        let sig = ssh_key::Signature::new(ssh_key::Algorithm::SkEd25519, sig).unwrap();
        let armored = SshSig::new(key.clone(), NAMESPACE, HashAlg::Sha512, sig)
            .unwrap()
            .to_pem(LineEnding::LF)
            .unwrap();
        (armored, key)
    }

    #[test]
    fn verifies_security_key_signatures_and_requires_a_touch() {
        let (sig, key) = sk_signature(9, 0x01, b"statement");
        assert_eq!(verify(&sig, b"statement").unwrap(), key);
        assert!(verify(&sig, b"statemenT")
            .unwrap_err()
            .contains("does not verify"));
        let (untouched, _) = sk_signature(9, 0x00, b"statement");
        assert!(verify(&untouched, b"statement")
            .unwrap_err()
            .contains("user-presence"));
        // OpenSSH agrees about the same signatures, when it is installed.
        if Command::new("ssh-keygen").arg("-?").output().is_err() {
            assert!(
                std::env::var_os("TOLLGATE_REQUIRE_SSH").is_none(),
                "TOLLGATE_REQUIRE_SSH is set but ssh-keygen is not installed"
            );
            eprintln!("NOTICE: ssh-keygen not found; OpenSSH cross-check skipped");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let line = PublicKey::new(key, "").to_openssh().unwrap();
        let signers = dir.path().join("allowed_signers");
        std::fs::write(&signers, format!("sk@test {line}\n")).unwrap();
        let message = dir.path().join("statement");
        std::fs::write(&message, "statement").unwrap();
        let openssh = |sig: &str| {
            let p = dir.path().join("statement.sig");
            std::fs::write(&p, sig).unwrap();
            Command::new("ssh-keygen")
                .args(["-Y", "verify", "-n", NAMESPACE, "-I", "sk@test", "-f"])
                .arg(&signers)
                .arg("-s")
                .arg(&p)
                .stdin(std::fs::File::open(&message).unwrap())
                .output()
                .unwrap()
        };
        let ok = openssh(&sig);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        // OpenSSH's -Y verify accepts the untouched one too (it does not ask
        // for the touch): the fixture is sound, and tollgate is the stricter.
        let o = openssh(&untouched);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}
