//! `tollgate release sign`: an in-toto statement over a release folder's
//! manifest and every file it lists, in a DSSE envelope (SPEC §7), and the
//! decision as a SLSA verification summary over the same files ([`vsa`]).

use std::path::PathBuf;

use serde_json::json;

use super::{release_dir, release_files, vsa, MANIFEST};
use crate::error::{Error, Result};
use crate::finding::Severity;
use crate::policy::Workspace;
use crate::read::manifest::envelope_of;
use crate::record::ledger::FileRef;
use crate::signing::{hash_subjects, sign, RELEASE_PREDICATE};

/// Sign release `version`: its manifest and every file the manifest lists,
/// and its verification summary. Returns the two envelopes.
pub fn sign_release(ws: &Workspace, version: &str, force: bool) -> Result<Vec<PathBuf>> {
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
    let summary = vsa::path(ws, version);
    for e in [&env, &summary] {
        if e.exists() && !force {
            return Err(Error::refused(
                e,
                "already signed; use --force to sign again",
            ));
        }
    }
    let subjects = hash_subjects(&dir, &release_files(&dir)?)?;
    sign(
        ws,
        &env,
        &subjects,
        RELEASE_PREDICATE,
        json!({ "version": version, "decision": st.decision.decision }),
    )?;
    let release_envelope = FileRef::of(&ws.root, &env)?;
    let mut inputs = vsa::bundle_attestations(ws, &st.decision)?;
    inputs.push(release_envelope.clone());
    sign(
        ws,
        &summary,
        &subjects,
        vsa::VSA_PREDICATE,
        vsa::predicate(ws, &st.decision, &inputs)?,
    )?;
    crate::record::ledger::Ledger::open(ws)?.append(
        "sign",
        version,
        &json!({ "files": [release_envelope, FileRef::of(&ws.root, &summary)?] }),
    )?;
    Ok(vec![env, summary])
}
