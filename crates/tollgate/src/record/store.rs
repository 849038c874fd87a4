//! The chain as stored: one [`Entry`] per event and the [`LedgerStore`]
//! trait a storage backend implements ([`super::sqlite`] is the embedded
//! one, [`super::pg`] the shared one). [`super::ledger`] builds, appends
//! and verifies entries on top of it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::digest::sha256_hex;
use crate::error::Result;

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One ledger entry, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: i64,
    /// UTC, RFC 3339.
    pub time: String,
    /// `verify`, `publish`, `release`, `approval`, `baseline`, ...
    pub kind: String,
    /// What the entry is about: a version, a bundle, a run stamp.
    pub subject: String,
    /// The payload JSON text, exactly as hashed.
    pub payload: String,
    pub payload_digest: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The payload parsed (`Null` when it is not JSON, which `verify` reports).
    pub fn payload_json(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or(Value::Null)
    }

    /// The hash this entry should have, from its other fields.
    pub fn expected_hash(&self) -> String {
        chain_hash(
            self.seq,
            &self.time,
            &self.kind,
            &self.subject,
            &self.payload_digest,
            &self.prev_hash,
        )
    }
}

pub(crate) fn chain_hash(
    seq: i64,
    time: &str,
    kind: &str,
    subject: &str,
    digest: &str,
    prev: &str,
) -> String {
    sha256_hex(format!("{seq}\n{time}\n{kind}\n{subject}\n{digest}\n{prev}").as_bytes())
}

/// Builds the next entry from the last one and the earlier entries of the
/// same kind and subject (see [`LedgerStore::append`]).
pub type MakeEntry<'a> = dyn FnMut(Option<&Entry>, &[Entry]) -> Result<Entry> + 'a;

/// The last entry's `seq` and `hash`, as a head file or head row records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// The head a store keeps itself, written in each append's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHead {
    /// The store keeps none: the head is a file beside it (SQLite).
    NotKept,
    /// The store keeps one, but it is gone.
    Missing,
    At(Head),
}

/// The schema version this tollgate writes; a store with a newer one is
/// refused.
pub const SCHEMA_VERSION: i64 = 1;

/// Storage for the chain. `append` must be atomic with respect to other
/// appenders, on this machine or any other (the entry is built from the
/// store's current last entry under the store's lock).
pub trait LedgerStore {
    /// Append the entry `make` builds from the current last entry and, when
    /// `with_same`, the earlier entries of the same `kind` and `subject`
    /// (else none: a plain append reads one row, not a growing list), all
    /// read in the append's own transaction (so a check `make` makes on them
    /// cannot race another appender). An error from `make` appends nothing.
    fn append(
        &mut self,
        kind: &str,
        subject: &str,
        with_same: bool,
        make: &mut MakeEntry,
    ) -> Result<Entry>;
    /// Every entry, in `seq` order.
    fn entries(&self) -> Result<Vec<Entry>>;
    /// Where the store lives, for messages (never with a password).
    fn location(&self) -> String;
    /// Whether many checkouts share it, so that a file an entry vouches for
    /// may be in another checkout, not this one.
    fn shared(&self) -> bool;
    /// Every entry and the head the store keeps beside them, read as of
    /// one moment (another appender may commit between two reads).
    fn snapshot(&self) -> Result<(Vec<Entry>, StoredHead)>;
    /// Add `entries` verbatim, hashes and all, after the store's last entry,
    /// in one transaction (`ledger migrate`); refused unless the first of
    /// them extends that last entry (or the store is empty).
    fn import(&mut self, entries: &[Entry]) -> Result<()>;
}

/// Refused unless `entries` start right after `last` (seq and link).
pub(crate) fn extends(last: Option<&Entry>, entries: &[Entry], at: &str) -> Result<()> {
    let Some(first) = entries.first() else {
        return Ok(());
    };
    let (seq, prev) = last.map_or((1, GENESIS), |l| (l.seq + 1, l.hash.as_str()));
    if first.seq != seq || first.prev_hash != prev {
        return Err(crate::error::Error::refused(
            at,
            format!(
                "entry {} does not extend this ledger's last entry ({}): it holds another chain",
                first.seq,
                seq - 1
            ),
        ));
    }
    Ok(())
}
