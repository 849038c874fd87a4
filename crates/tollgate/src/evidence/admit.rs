//! What `bundle publish` may copy into a bundle: regular files inside the
//! workspace, judged after resolving symlinks. The ledger folder and the
//! signing keys are never taken, nor pseudo-files (`/proc`, `/sys`, `/dev`),
//! even with `--allow-outside`.

use std::path::{Path, PathBuf};

use crate::policy::Workspace;

/// Why `path` may not be published, or `None` when it may.
pub fn refusal(ws: &Workspace, path: &Path, allow_outside: bool) -> Option<String> {
    let real = match path.canonicalize() {
        Ok(p) => p,
        Err(e) => return Some(format!("cannot be resolved: {e}")),
    };
    if let Some(why) = crate::read::file::not_regular(&real) {
        return Some(why);
    }
    for pseudo in ["/proc", "/sys", "/dev"] {
        if real.starts_with(pseudo) {
            return Some(format!(
                "resolves to {}, a pseudo-file of the operating system",
                real.display()
            ));
        }
    }
    let root = canonical(&ws.root);
    let ledger = canonical(&crate::record::ledger::dir(ws));
    if real.starts_with(&ledger) {
        return Some(format!(
            "resolves to {}, inside tollgate's ledger folder, which is never published",
            real.display()
        ));
    }
    let keys = crate::keys::secret_paths(ws)
        .into_iter()
        .chain([ws.path(&ws.policy.signing.public_key)]);
    let key_dir = crate::keys::config_dir().map(|d| canonical(&d));
    if keys.into_iter().any(|k| canonical(&k) == real)
        || key_dir.is_some_and(|d| real.starts_with(d))
    {
        return Some(format!(
            "resolves to {}, a signing key, which is never published",
            real.display()
        ));
    }
    if !allow_outside && !real.starts_with(&root) {
        return Some(format!(
            "resolves to {}, outside the workspace {} (--allow-outside takes it)",
            real.display(),
            root.display()
        ));
    }
    None
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn only_regular_files_inside_the_workspace_are_admitted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join(".tollgate/keys")).unwrap();
        std::fs::write(root.join("a.csv"), "a").unwrap();
        std::fs::write(root.join(".tollgate/keys/tollgate.key"), "k").unwrap();
        std::fs::write(dir.path().join("outside.csv"), "o").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.csv"), root.join("link.csv")).unwrap();
        std::os::unix::fs::symlink("/proc/self/environ", root.join("env.txt")).unwrap();
        let ws = Workspace {
            root: root.clone(),
            policy: crate::policy::Policy::builtin("minimal").unwrap(),
            policy_path: None,
        };
        assert_eq!(refusal(&ws, &root.join("a.csv"), false), None);
        let why = |p: &Path, outside| refusal(&ws, p, outside).unwrap_or_default();
        assert!(why(&root.join(".tollgate/keys/tollgate.key"), true).contains("never published"));
        assert!(why(&root.join("link.csv"), false).contains("outside the workspace"));
        assert_eq!(refusal(&ws, &root.join("link.csv"), true), None);
        assert!(why(&root.join("env.txt"), true).contains("pseudo-file"));
        assert!(why(Path::new("/etc/hostname"), false).contains("outside the workspace"));
        assert!(why(&root.join("missing.csv"), false).contains("cannot be resolved"));
    }
}
