//! `tollgate init`: a policy from a built-in profile.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::policy::{profile_text, Workspace, POLICY_FILE};

/// `tollgate init`: write the `profile`'s policy into `dir` (refused over an
/// existing one unless `force`). When a signing secret key sits in the
/// workspace, its folder's `*.key` is added to `.gitignore`.
pub fn init(dir: &Path, profile: &str, force: bool) -> Result<PathBuf> {
    let text = profile_text(profile)?;
    let path = dir.join(POLICY_FILE);
    if path.exists() && !force {
        return Err(Error::refused(
            &path,
            "already exists; use --force to replace it",
        ));
    }
    crate::record::atomic::write_file(&path, text.as_bytes())?;
    let ws = Workspace::discover(Some(dir), dir)?;
    if std::fs::symlink_metadata(ws.secret_key_path()).is_ok() {
        crate::keys::ignore_secret_keys(&ws)?;
    }
    Ok(path)
}
