//! Evidence bundles: publish, verify, list and show (SPEC §1).

pub mod admit;
pub mod area;
pub mod catalog;
pub mod facts;
pub mod glob;
pub mod hash;
pub mod publish;
pub mod redact;
pub mod verify;
