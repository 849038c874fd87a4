//! Case-insensitive grouping for the telemetry hot path. Sites, hosts,
//! statuses and actions are grouped ignoring case and shown as first seen.
//! Case is folded into a reused buffer, so a key seen before costs no
//! allocation (the per-event `to_lowercase` had been a tenth of a rollup).

use std::collections::{BTreeMap, HashSet};

use crate::fasthash::StrBuild;

/// Values keyed case-insensitively, iterated in folded-key order, each with
/// the spelling its key was first seen in. Events come in runs from one
/// site or status, so the last key looked up is remembered as written.
#[derive(Debug, Clone)]
pub struct Folded<T> {
    /// Folded key -> slot.
    index: BTreeMap<String, usize>,
    /// (first-seen spelling, value).
    slots: Vec<(String, T)>,
    scratch: String,
    /// The key of the last lookup, as written, and its slot.
    last_key: String,
    last_slot: Option<usize>,
}

impl<T> Default for Folded<T> {
    fn default() -> Self {
        Folded {
            index: BTreeMap::new(),
            slots: Vec::new(),
            scratch: String::new(),
            last_key: String::new(),
            last_slot: None,
        }
    }
}

/// `key` lower-cased into `buf`, as `str::to_lowercase` does it.
fn fold_into(key: &str, buf: &mut String) {
    buf.clear();
    if key.is_ascii() {
        buf.push_str(key);
        buf.make_ascii_lowercase();
    } else {
        buf.push_str(&key.to_lowercase());
    }
}

impl<T: Default> Folded<T> {
    /// The value for `key` in any case, created (with this spelling) if new.
    pub fn entry(&mut self, key: &str) -> &mut T {
        if let Some(slot) = self.last_slot.filter(|_| self.last_key == key) {
            return &mut self.slots[slot].1;
        }
        let slot = self.slot(key);
        self.last_key.clear();
        self.last_key.push_str(key);
        self.last_slot = Some(slot);
        &mut self.slots[slot].1
    }

    fn slot(&mut self, key: &str) -> usize {
        fold_into(key, &mut self.scratch);
        if let Some(slot) = self.index.get(self.scratch.as_str()) {
            return *slot;
        }
        self.slots.push((key.to_string(), T::default()));
        self.index
            .insert(self.scratch.clone(), self.slots.len() - 1);
        self.slots.len() - 1
    }

    /// Fold `other` in with `add` (this map's spellings win).
    pub fn merge_with(&mut self, other: &Folded<T>, mut add: impl FnMut(&mut T, &T)) {
        for (shown, v) in other.iter() {
            let slot = self.slot(shown);
            add(&mut self.slots[slot].1, v);
        }
    }
}

impl<T> Folded<T> {
    /// The value for `key` in any case.
    pub fn get(&self, key: &str) -> Option<&T> {
        let mut folded = String::new();
        fold_into(key, &mut folded);
        self.index.get(&folded).map(|slot| &self.slots[*slot].1)
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// `(first-seen spelling, value)` in folded-key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.index.values().map(|slot| {
            let (k, v) = &self.slots[*slot];
            (k.as_str(), v)
        })
    }

    /// `(first-seen spelling, value)` in the order keys were first seen.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut T)> {
        self.slots.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    /// The `(first-seen spelling, value)` pairs, in folded-key order.
    pub fn into_values(self) -> impl Iterator<Item = (String, T)> {
        let mut slots: Vec<Option<(String, T)>> = self.slots.into_iter().map(Some).collect();
        let order: Vec<usize> = self.index.into_values().collect();
        order.into_iter().filter_map(move |slot| slots[slot].take())
    }
}

/// A case-insensitive count per key, keeping the first-seen spelling.
#[derive(Debug, Default, Clone)]
pub struct Tally(Folded<u64>);

impl Tally {
    pub fn add(&mut self, key: &str) {
        *self.0.entry(key) += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Add another tally's counts (this tally's spellings win).
    pub fn merge(&mut self, other: &Tally) {
        self.0.merge_with(&other.0, |a, b| *a += b);
    }

    /// `k=v,k=v`, keys sorted case-insensitively.
    pub fn joined(&self) -> String {
        self.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    /// `(key, count)` in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, v)| (k, *v))
    }
}

/// Distinct keys, case-insensitively (host names), in a hash set: hosts
/// change from event to event, so the last-key cache rarely helps, and an
/// ordered map cost a string comparison per level.
#[derive(Debug, Default, Clone)]
pub struct FoldedSet {
    folded: HashSet<String, StrBuild>,
    scratch: String,
}

impl FoldedSet {
    pub fn insert(&mut self, key: &str) {
        fold_into(key, &mut self.scratch);
        if !self.folded.contains(self.scratch.as_str()) {
            self.folded.insert(self.scratch.clone());
        }
    }

    /// Add every key of `other`.
    pub fn extend(&mut self, other: &FoldedSet) {
        self.folded.extend(other.folded.iter().cloned());
    }

    pub fn len(&self) -> usize {
        self.folded.len()
    }

    pub fn is_empty(&self) -> bool {
        self.folded.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_group_ignoring_case_and_keep_the_first_spelling() {
        let mut t = Tally::default();
        for k in ["sw1", "SW1", "Boyo", "ÄBC", "äbc", "boyo"] {
            t.add(k);
        }
        assert_eq!(t.joined(), "Boyo=2,sw1=2,ÄBC=2");
        assert_eq!((t.get("BOYO"), t.get("Äbc"), t.get("none")), (2, 2, 0));
        let mut other = Tally::default();
        other.add("SW1");
        other.add("New");
        t.merge(&other);
        assert_eq!(t.joined(), "Boyo=2,New=1,sw1=3,ÄBC=2");
        let mut hosts = FoldedSet::default();
        for h in ["BOYO-A01", "boyo-a01", "BOYO-A02"] {
            hosts.insert(h);
        }
        assert_eq!(hosts.len(), 2);
        let mut more = FoldedSet::default();
        for h in ["Boyo-A02", "ÄBC", "äbc"] {
            more.insert(h);
        }
        hosts.extend(&more);
        assert_eq!(hosts.len(), 3);
    }
}
