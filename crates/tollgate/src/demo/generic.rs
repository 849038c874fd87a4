//! `tollgate demo --profile generic`: an ordinary project's two releases.
//! Release 1.4.0 is clean and approved by both roles, so it becomes the
//! baseline; release 1.5.0's CI run has a failing integration test and line
//! coverage 1.8 points lower, so its decision blocks on both, each with its
//! reason. The pipeline is the one a user runs: publish, verify, gates,
//! release, signed approvals, dashboard.

use std::path::Path;

use super::project::{self, Build, INTEGRATION};
use super::{approvers, DemoOptions, DemoReport};
use crate::error::Result;
use crate::evidence::catalog::store_summary;
use crate::evidence::publish::{publish, PublishReport, PublishRequest};
use crate::policy::Workspace;
use crate::release::status::{approve, Approval, ApproveRequest, Signing};

/// The release the demo decides, and the one before it.
pub const VERSION: &str = "1.5.0";
const PREVIOUS: &str = "1.4.0";
/// The approvers' e-mail domain.
const DOMAIN: &str = "example.com";

const CHANGES_150: &[&str] = &[
    "Store: segments are compacted in the background.",
    "HTTP: request bodies over 8 MiB are refused with 413.",
];
const CHANGES_140: &[&str] = &[
    "CLI: shell completions for bash, zsh and fish.",
    "Config: unknown keys are errors naming the line.",
];

/// Generate the project in `opts.dir` and release it twice.
pub fn run(opts: &DemoOptions) -> Result<DemoReport> {
    let super::Setup {
        ws,
        anchor,
        release_key,
        qa_key,
    } = super::set_up(opts, DOMAIN)?;
    let day = |back: i64| {
        (anchor - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (d140, d150) = (day(14), day(0));

    // 1.4.0: every gate passes; both roles approve, so it is the baseline.
    let mut g = super::generate::Gen::new(&opts.dir, opts.seed);
    project::write(
        &mut g,
        &Build {
            version: PREVIOUS,
            date: d140.clone(),
            failing_test: None,
            line_coverage: 86.0,
            changelog: &[(PREVIOUS, &d140, CHANGES_140)],
        },
    )?;
    let mut published = vec![publish_release(&ws, PREVIOUS)?];
    super::verify_once(&ws)?;
    let previous = release(&ws, PREVIOUS)?;
    for (who, key) in [(approvers::RELEASE, &release_key), (approvers::QA, &qa_key)] {
        approve(&ws, &ask(PREVIOUS, who, key))?;
    }

    // 1.5.0: one integration test fails and coverage falls from 86.0 to 84.2.
    project::write(
        &mut g,
        &Build {
            version: VERSION,
            date: d150.clone(),
            failing_test: Some(INTEGRATION[2]),
            line_coverage: 84.2,
            changelog: &[
                (VERSION, &d150, CHANGES_150),
                (PREVIOUS, &d140, CHANGES_140),
            ],
        },
    )?;
    published.push(publish_release(&ws, VERSION)?);
    let name = bundle_name(VERSION);
    let bundle_dir = ws.bundles_dir().join(&name);
    let verification = crate::signing::verify_bundle(&ws, &bundle_dir, &[])?;
    let summary_path = store_summary(&bundle_dir, &verification.areas, None)?;
    let run = super::verify_once(&ws)?;
    let history = crate::gates::baseline::load(&ws)?;
    let gates = crate::readiness::judge_gates(&ws, &history, &[], None, Some(VERSION))?.results;
    let decided = release(&ws, VERSION)?;

    // The QA lead's key asking to approve as the release manager: refused.
    let forged = super::refused_forgery(&ws, &ask(VERSION, approvers::RELEASE, &qa_key))?;
    // The QA lead approves; the release manager does not override the
    // blocking findings, so 1.5.0 is not shippable.
    let approvals: Vec<Approval> = vec![approve(&ws, &ask(VERSION, approvers::QA, &qa_key))?.0];

    let (dashboard, dashboard_verdict) = super::dashboard(&ws)?;
    Ok(DemoReport {
        profile: "generic",
        version: VERSION.into(),
        dir: opts.dir.clone(),
        generated_files: g.stats.files,
        generated_bytes: g.stats.bytes,
        published,
        verification,
        summary_path,
        gates,
        docs: None,
        checklist: None,
        run,
        rc_summary: None,
        previous: Some(previous),
        release: decided,
        approvals,
        waiver: None,
        forged,
        keys: opts.dir.join(approvers::KEYS_DIR),
        // The run before 1.4.0.
        history_runs: 1,
        dashboard,
        dashboard_verdict,
    })
}

fn bundle_name(version: &str) -> String {
    format!("release-{version}")
}

/// `bundle publish --name release-VERSION`: the Release area, from the
/// policy's sources.
fn publish_release(ws: &Workspace, version: &str) -> Result<PublishReport> {
    let name = bundle_name(version);
    publish(
        ws,
        &PublishRequest {
            name: Some(name.clone()),
            area: "Release".into(),
            notes: Some(format!("CI evidence of {version}")),
            discover: true,
            command_line: format!("tollgate bundle publish --name {name}"),
            ..Default::default()
        },
    )
}

fn release(ws: &Workspace, version: &str) -> Result<crate::release::Released> {
    crate::release::release(
        ws,
        &crate::release::Request {
            version: version.into(),
            bundle: Some(bundle_name(version)),
            rc_summary: None,
            registry: Default::default(),
        },
    )
}

fn ask(version: &str, who: approvers::Approver, key: &Path) -> ApproveRequest {
    ApproveRequest {
        version: version.into(),
        role: who.role.into(),
        by: None,
        note: Some("approved by tollgate demo".into()),
        override_reason: None,
        signing: Signing::Key(key.to_path_buf()),
    }
}
