//! A fast hasher for `u64` keys such as f64 bit patterns. SipHash, the std
//! default, resists adversarial keys at a cost that dominated the telemetry
//! hot path; a distribution's keys are sample values, whose worst case is
//! slower inserts, never a wrong result.

use std::hash::{BuildHasherDefault, Hasher};

/// MurmurHash3's 64-bit finaliser over a single `u64`. Every input bit
/// reaches every output bit: f64 patterns of small integers have dozens of
/// trailing zero bits, and a plain multiply keeps those zeros in the low bits
/// that pick the hash-table bucket (every key then probes the same run).
#[derive(Debug, Default, Clone, Copy)]
pub struct U64Hasher(u64);

impl Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = self.0.rotate_left(5) ^ v;
    }
}

/// `HashMap`/`HashSet` hasher state for `u64` keys.
pub type U64Build = BuildHasherDefault<U64Hasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn small_integer_floats_spread_over_the_low_bits() {
        // The low 10 bits pick among 1,024 buckets: 1,000 integral
        // latencies must not crowd into a few of them.
        let b = U64Build::default();
        let buckets: std::collections::HashSet<u64> = (0..1000)
            .map(|i| b.hash_one(f64::from(i).to_bits()) & 1023)
            .collect();
        assert!(buckets.len() > 550, "{} buckets", buckets.len());
    }
}
