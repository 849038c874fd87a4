//! Records tollgate writes: always atomically (temporary file, then rename).

pub mod atomic;
pub mod backend;
pub mod destination;
pub mod ledger;
pub mod pg;
pub mod releases;
pub mod sqlite;
pub mod store;
