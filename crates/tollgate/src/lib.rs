//! tollgate: release governance from evidence on disk.
//!
//! The flow of every command: tolerant [`read`]ers turn files into facts,
//! pure checks turn facts and [`policy`] into [`finding::Finding`]s, and
//! [`report`] renders them; [`record`] writes outputs atomically.

pub mod approval;
pub mod dashboard;
pub mod demo;
pub mod digest;
pub mod error;
pub mod evidence;
pub mod fasthash;
pub mod fault;
pub mod finding;
pub mod gates;
pub mod governance;
pub mod init;
pub mod keys;
pub mod mapped;
pub mod policy;
pub mod read;
pub mod readiness;
pub mod record;
pub mod registry;
pub mod release;
pub mod report;
pub mod schedule;
pub mod select;
pub mod signing;
pub mod telemetry;
pub mod trust;
pub mod verification;

/// The tool version written into manifests and summaries.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
