//! A fast hasher for `u64` keys that are already well mixed (xxh3 line
//! hashes) or only need a cheap mix (f64 bit patterns). SipHash, the std
//! default, protects against adversarial keys we do not have here, at a cost
//! that dominated the telemetry hot path.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate mixing of a single `u64`.
#[derive(Debug, Default, Clone, Copy)]
pub struct U64Hasher(u64);

impl Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
}

/// `HashMap`/`HashSet` hasher state for `u64` keys.
pub type U64Build = BuildHasherDefault<U64Hasher>;
