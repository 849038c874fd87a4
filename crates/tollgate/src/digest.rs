//! Hex encoding and SHA-256 of bytes in memory: the one place either is
//! written (files are hashed by [`crate::evidence::hash`]).

use sha2::{Digest, Sha256};

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn encode(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(digits[(b >> 4) as usize] as char);
        s.push(digits[(b & 15) as usize] as char);
    }
    s
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    encode(bytes, LOWER)
}

/// Upper-case hex, as .NET's `Get-FileHash` writes it.
pub fn hex_upper(bytes: &[u8]) -> String {
    encode(bytes, UPPER)
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodings() {
        assert_eq!(super::hex(&[0x0f, 0xa0]), "0fa0");
        assert_eq!(super::hex_upper(&[0x0f, 0xa0]), "0FA0");
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
