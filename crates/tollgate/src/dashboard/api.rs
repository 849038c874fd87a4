//! The JSON API's response shapes (`tollgate serve`, SPEC §5), read off a
//! [`Snapshot`]. Snapshot tests pin them (`tollgate-cli/tests/snapshots`).

use serde::Serialize;

use super::{GateRow, ReleaseRow, RunRow, Snapshot, Trend};
use crate::finding::Counts;
use crate::finding::Verdict;
use crate::release::status::Status;

/// `GET /api/status`.
#[derive(Debug, Serialize)]
pub struct StatusResponse<'a> {
    pub generated_at: &'a str,
    /// `Ready`, `Warn` or `Blocked`.
    #[serde(with = "crate::finding::words::readiness")]
    pub verdict: Verdict,
    pub counts: Counts,
    pub reasons: &'a [String],
    pub latest_run: Option<&'a RunRow>,
    pub latest_release: Option<&'a ReleaseRow>,
}

/// `GET /api/gates`.
#[derive(Debug, Serialize)]
pub struct GatesResponse<'a> {
    pub generated_at: &'a str,
    pub gates: &'a [GateRow],
    pub trends: &'a [Trend],
}

/// `GET /api/runs`.
#[derive(Debug, Serialize)]
pub struct RunsResponse<'a> {
    pub runs: &'a [RunRow],
    pub releases: &'a [ReleaseRow],
}

/// `GET /api/releases/{version}`.
#[derive(Debug, Serialize)]
pub struct ReleaseResponse<'a> {
    pub verifies: bool,
    pub status: &'a Status,
    pub verdict: Verdict,
}

/// Any error: `{error}`.
#[derive(Debug, Serialize)]
pub struct ErrorResponse {
    pub error: String,
}

impl Snapshot {
    /// `GET /api/status`.
    pub fn status(&self) -> StatusResponse<'_> {
        let d = &self.dashboard;
        StatusResponse {
            generated_at: &d.generated_at,
            verdict: d.verdict,
            counts: d.counts,
            reasons: &d.reasons,
            latest_run: d.runs.first(),
            latest_release: d.releases.first(),
        }
    }

    /// `GET /api/gates`.
    pub fn gates(&self) -> GatesResponse<'_> {
        let d = &self.dashboard;
        GatesResponse {
            generated_at: &d.generated_at,
            gates: &d.gates,
            trends: &d.trends,
        }
    }

    /// `GET /api/runs`.
    pub fn runs(&self) -> RunsResponse<'_> {
        RunsResponse {
            runs: &self.dashboard.runs,
            releases: &self.dashboard.releases,
        }
    }

    /// `GET /api/releases/{version}`, `None` for a version never recorded.
    pub fn release(&self, version: &str) -> Option<ReleaseResponse<'_>> {
        self.releases.get(version).map(|st| ReleaseResponse {
            verifies: st.verifies(),
            status: st,
            verdict: Verdict::of(&st.findings),
        })
    }
}
