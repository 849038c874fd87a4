//! `tollgate release sign`: an in-toto statement over a release folder's
//! manifest and every file it lists, in a DSSE envelope (SPEC §7).

use std::path::PathBuf;

use serde_json::json;

use super::{release_dir, release_files, MANIFEST};
use crate::error::{Error, Result};
use crate::finding::Severity;
use crate::policy::Workspace;
use crate::signing::{envelope_of, hash_subjects, sign, RELEASE_PREDICATE};

/// Sign release `dir`: its manifest and every file the manifest lists.
pub fn sign_release(ws: &Workspace, version: &str, force: bool) -> Result<PathBuf> {
    let st = super::status::status(ws, version)?;
    let dir = release_dir(ws, version);
    if let Some(f) = st
        .findings
        .iter()
        .find(|f| f.severity == Severity::Block && f.check != "signature")
    {
        return Err(Error::refused(
            &dir,
            format!(
                "the evidence does not verify ({}); it will not be signed",
                f.message
            ),
        ));
    }
    let env = envelope_of(&dir.join(MANIFEST));
    if env.exists() && !force {
        return Err(Error::refused(
            &env,
            "already signed; use --force to sign again",
        ));
    }
    let subjects = hash_subjects(&dir, &release_files(&dir)?)?;
    sign(
        ws,
        &env,
        &subjects,
        RELEASE_PREDICATE,
        json!({ "version": version, "decision": st.decision.decision }),
    )?;
    crate::record::ledger::Ledger::open(ws)?.append(
        "sign",
        version,
        &json!({ "files": [crate::record::ledger::FileRef::of(&ws.root, &env)?] }),
    )?;
    Ok(env)
}
