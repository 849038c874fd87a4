//! Hash-table helpers for the telemetry hot path: a bit mixer for `u64`
//! keys such as f64 bit patterns, a hasher for short strings, and a
//! prefetch hint. SipHash, the std default, cost more than the rest of the
//! hot path. Keys come from untrusted telemetry, so both hashes are seeded
//! per process: colliding keys cannot be prepared in advance (and their
//! worst case is slower inserts, never a wrong result).

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// This process's random hash seed.
pub fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0x7011_6a7e_u64))
}

/// MurmurHash3's 64-bit finaliser. Every input bit reaches every output
/// bit: f64 patterns of small integers have dozens of trailing zero bits,
/// and a plain multiply keeps those zeros in the low bits that pick a
/// table slot (every key then probes the same run).
#[inline]
pub fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// `HashMap`/`HashSet` hasher state for string keys: XXH3 of the bytes,
/// seeded per process.
#[derive(Debug, Clone, Copy)]
pub struct StrBuild(u64);

impl Default for StrBuild {
    fn default() -> Self {
        StrBuild(seed())
    }
}

impl BuildHasher for StrBuild {
    type Hasher = StrHasher;
    fn build_hasher(&self) -> StrHasher {
        StrHasher(self.0)
    }
}

/// See [`StrBuild`].
#[derive(Debug, Clone, Copy)]
pub struct StrHasher(u64);

impl Hasher for StrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }

    fn write_u8(&mut self, b: u8) {
        self.0 = mix(self.0 ^ u64::from(b));
    }
}

/// Ask the CPU to bring `item` into cache; a hint, with no effect on results.
#[inline(always)]
pub fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing into the program;
    // the pointer comes from a live reference.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_integer_floats_spread_over_the_low_bits() {
        // The low 10 bits pick among 1,024 slots: 1,000 integral
        // latencies must not crowd into a few of them.
        let slots: std::collections::HashSet<u64> = (0..1000)
            .map(|i| mix(f64::from(i).to_bits()) & 1023)
            .collect();
        assert!(slots.len() > 550, "{} slots", slots.len());
    }
}
