//! The demo's approvers: two SSH keys (a release manager and a QA lead), the
//! allowed-signers file that lists them, and the `[approvals]` policy that
//! requires both. The keys are unencrypted demo keys, written outside the
//! evidence folders; real approvers keep theirs in `~/.ssh` or an agent.

use std::path::{Path, PathBuf};

use ssh_key::{LineEnding, PrivateKey};

use crate::error::{Error, Result};

/// Folder of the demo's approver keys, inside the demo workspace.
pub const KEYS_DIR: &str = "demo-approver-keys";
/// The allowed-signers file the demo's policy names.
pub const SIGNERS: &str = "docs/governance/allowed_signers";
/// One approver: the role they approve as, and their key's file name (also
/// their principal's local part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approver {
    pub role: &'static str,
    pub file: &'static str,
}

impl Approver {
    /// The principal the allowed-signers file lists: `file@domain`.
    pub fn principal(&self, domain: &str) -> String {
        format!("{}@{domain}", self.file)
    }
}

/// The release manager.
pub const RELEASE: Approver = Approver {
    role: "Release",
    file: "release-manager",
};
/// The QA lead.
pub const QA: Approver = Approver {
    role: "QA",
    file: "qa-lead",
};

/// The `[approvals]` table the demo appends to its policy, for principals
/// at `domain`.
pub fn policy(domain: &str) -> String {
    format!(
        r#"
# Signed approvals (written by tollgate demo): both roles must approve, each
# with the key the allowed-signers file lists for its principal.
[approvals]
allowed_signers = "{SIGNERS}"
required_roles = ["Release", "QA"]
override_roles = ["Release"]
waiver_roles = ["Release"]
distinct_people = true
min_reason_chars = 10

[[approvals.role]]
name = "{}"
principals = ["{}"]

[[approvals.role]]
name = "{}"
principals = ["{}"]
"#,
        RELEASE.role,
        RELEASE.principal(domain),
        QA.role,
        QA.principal(domain)
    )
}

/// Write both keys (derived from `seed`, so the demo is reproducible) and
/// the allowed-signers file into `dir`; the key files' paths.
pub fn write(dir: &Path, seed: u64, domain: &str) -> Result<(PathBuf, PathBuf)> {
    let keys = dir.join(KEYS_DIR);
    std::fs::create_dir_all(&keys).map_err(|e| Error::io(&keys, e))?;
    let mut signers =
        String::from("# Who may sign tollgate approvals; review changes to this file like code.\n");
    let mut paths = Vec::new();
    for (i, who) in [RELEASE, QA].into_iter().enumerate() {
        let (principal, file) = (who.principal(domain), who.file);
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8] = i as u8 + 1;
        let seed_bytes: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(bytes).into();
        let kp = ssh_key::private::Ed25519Keypair::from_seed(&seed_bytes);
        let key = PrivateKey::new(ssh_key::private::KeypairData::Ed25519(kp), &principal)
            .map_err(|e| Error::parse(&keys, None, e.to_string()))?;
        let path = keys.join(file);
        let private = key
            .to_openssh(LineEnding::LF)
            .map_err(|e| Error::parse(&path, None, e.to_string()))?;
        crate::record::atomic::write_file(&path, private.as_bytes())?;
        // ssh-keygen refuses a private key that others can read.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io(&path, e))?;
        }
        let public = key
            .public_key()
            .to_openssh()
            .map_err(|e| Error::parse(&path, None, e.to_string()))?;
        crate::record::atomic::write_file(
            &path.with_extension("pub"),
            format!("{public}\n").as_bytes(),
        )?;
        signers.push_str(&format!("{principal} namespaces=\"tollgate\" {public}\n"));
        paths.push(path);
    }
    let file = dir.join(SIGNERS);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    crate::record::atomic::write_file(&file, signers.as_bytes())?;
    Ok((paths[0].clone(), paths[1].clone()))
}
