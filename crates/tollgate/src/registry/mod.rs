//! The evidence store in an OCI registry: `bundle push`, `bundle pull` and
//! `bundle verify oci://...`, over the distribution API any registry speaks.

pub mod artifact;
pub mod client;
pub mod fetch;
pub mod push;
pub mod reference;

pub use client::Options;
pub use reference::{is_oci, OciRef};
