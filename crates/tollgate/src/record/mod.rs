//! Records tollgate writes: always atomically (temporary file, then rename).

pub mod atomic;
