//! Exact statistics over streams of samples. A [`Distribution`] keeps each
//! distinct value with its count, so percentiles are exact while memory grows
//! with the number of distinct values (which saturates for real telemetry),
//! not with the number of samples.

use crate::fasthash::{mix, prefetch, seed};

/// Samples of one metric.
#[derive(Debug, Clone, Default)]
pub struct Distribution {
    counts: Counts,
    n: u64,
    sum: f64,
    max: Option<f64>,
    min: Option<f64>,
}

/// A free slot, or a free place in the queue: a NaN pattern, never the
/// bits of a counted (finite) value.
const EMPTY: u64 = u64::MAX;

/// Samples queued before they are counted.
const QUEUE: usize = 4;

/// Counts per distinct value (f64 bits), open-addressed with linear
/// probing. With 10^5 distinct values the table outgrows the nearest
/// caches, and counting a sample waited on memory: so a sample's slot is
/// prefetched when it arrives and the sample counted [`QUEUE`] samples
/// later, the miss overlapping the work in between.
#[derive(Debug, Clone)]
struct Counts {
    /// (value bits, count); the length is 0 or a power of two.
    slots: Vec<(u64, u64)>,
    used: usize,
    /// Samples not counted yet, the oldest at `next`.
    queue: [u64; QUEUE],
    next: usize,
    /// Mixed into every key (see [`crate::fasthash`]).
    seed: u64,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            slots: Vec::new(),
            used: 0,
            queue: [EMPTY; QUEUE],
            next: 0,
            seed: seed(),
        }
    }
}

impl Counts {
    #[inline]
    fn home(&self, key: u64) -> usize {
        mix(key ^ self.seed) as usize & (self.slots.len().wrapping_sub(1))
    }

    /// Queue one sample, counting the one queued [`QUEUE`] samples ago.
    #[inline]
    fn add(&mut self, key: u64) {
        if let Some(slot) = self.slots.get(self.home(key)) {
            prefetch(slot);
        }
        let due = std::mem::replace(&mut self.queue[self.next], key);
        self.next = (self.next + 1) % QUEUE;
        if due != EMPTY {
            self.count(due, 1);
        }
    }

    /// Add `n` to the count of `key`.
    fn count(&mut self, key: u64, n: u64) {
        // At most three quarters full, so that probe runs stay short.
        if (self.used + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.0 == key {
                slot.1 += n;
                return;
            }
            if slot.0 == EMPTY {
                *slot = (key, n);
                self.used += 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![(EMPTY, 0); size]);
        self.used = 0;
        for (key, n) in old {
            if key != EMPTY {
                self.count(key, n);
            }
        }
    }

    /// Every (value bits, count), queued samples included; a value may
    /// appear more than once.
    fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let queued = self.queue.iter().map(|k| (*k, 1));
        self.slots
            .iter()
            .copied()
            .chain(queued)
            .filter(|(k, _)| *k != EMPTY)
    }
}

impl Distribution {
    /// Add one finite sample (non-finite values are ignored).
    pub fn add(&mut self, v: f64) {
        if let Some(v) = self.add_moments(v) {
            self.counts.add(v.to_bits());
        }
    }

    /// Add a sample to the count, sum, min and max only, in stream order;
    /// its value is counted when [`Distribution::merge_values`] folds in a
    /// finer distribution that holds it. For a scope made of finer scopes
    /// (a day's `All` of its sites), this halves the value-table traffic,
    /// the costliest part of a rollup, and leaves every figure as it was.
    /// Returns the sample as counted (`-0` as `0`), `None` if not finite.
    pub fn add_moments(&mut self, v: f64) -> Option<f64> {
        if !v.is_finite() {
            return None;
        }
        let v = if v == 0.0 { 0.0 } else { v }; // one key for -0.0 and 0.0
        self.n += 1;
        self.sum += v;
        self.max = Some(self.max.map_or(v, |m| m.max(v)));
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
        Some(v)
    }

    /// Count `other`'s values, whose samples were added here with
    /// [`Distribution::add_moments`].
    pub fn merge_values(&mut self, other: &Distribution) {
        for (k, c) in other.counts.iter() {
            self.counts.count(k, c);
        }
    }

    /// Fold another distribution in (sums add in `other`'s order after ours).
    pub fn merge(&mut self, other: &Distribution) {
        self.merge_values(other);
        self.n += other.n;
        self.sum += other.sum;
        for v in [other.max, other.min].into_iter().flatten() {
            self.max = Some(self.max.map_or(v, |m| m.max(v)));
            self.min = Some(self.min.map_or(v, |m| m.min(v)));
        }
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }

    pub fn max(&self) -> Option<f64> {
        self.max
    }

    pub fn min(&self) -> Option<f64> {
        self.min
    }

    /// Mean, or `None` without samples.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// Percentile `p` (0–100) by linear interpolation between closest ranks,
    /// inclusive (numpy `linear`, Excel PERCENTILE.INC); `None` without samples.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        self.percentiles(&[p]).pop().flatten()
    }

    /// Several percentiles with one sort.
    pub fn percentiles(&self, ps: &[f64]) -> Vec<Option<f64>> {
        if self.n == 0 {
            return vec![None; ps.len()];
        }
        let mut values: Vec<(f64, u64)> = self
            .counts
            .iter()
            .map(|(k, c)| (f64::from_bits(k), c))
            .collect();
        values.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let at_rank = |rank: u64| {
            let mut seen = 0;
            for (v, c) in &values {
                seen += c;
                if rank < seen {
                    return *v;
                }
            }
            values.last().map(|x| x.0).unwrap_or(0.0)
        };
        ps.iter()
            .map(|p| {
                let pos = p.clamp(0.0, 100.0) / 100.0 * (self.n - 1) as f64;
                let (lo, hi) = (pos.floor(), pos.ceil());
                let (a, b) = (at_rank(lo as u64), at_rank(hi as u64));
                Some(a + (b - a) * (pos - lo))
            })
            .collect()
    }
}

/// Round half away from zero to `digits` decimals (.NET `MidpointRounding.AwayFromZero`).
pub fn round_away(v: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (v * p).round() / p
}

/// Round half to even to `digits` decimals (.NET's default `Math.Round`).
pub fn round_even(v: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (v * p).round_ties_even() / p
}

/// The shortest text for a number: `9750`, `0.667`, `7518.278`.
pub fn fmt_num(v: f64) -> String {
    let v = if v == 0.0 { 0.0 } else { v };
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(vals: &[f64]) -> Distribution {
        let mut d = Distribution::default();
        for v in vals {
            d.add(*v);
        }
        d
    }

    #[test]
    fn percentiles_interpolate_inclusively() {
        // StateTrace's Pester cases.
        assert_eq!(dist(&[1.5, 2.5]).percentile(95.0), Some(2.45));
        assert_eq!(
            round_away(dist(&[300.0, 700.0]).percentile(95.0).unwrap(), 3),
            680.0
        );
        assert_eq!(
            round_away(dist(&[90.0, 130.0, 250.0]).percentile(95.0).unwrap(), 3),
            238.0
        );
        assert_eq!(dist(&[42.0]).percentile(99.0), Some(42.0));
        assert_eq!(dist(&[]).percentile(50.0), None);
        // Repeated values are ranks too.
        let d = dist(&[5.0, 1.0, 5.0, 5.0, 3.0]);
        assert_eq!(
            d.percentiles(&[0.0, 50.0, 100.0]),
            vec![Some(1.0), Some(5.0), Some(5.0)]
        );
        assert_eq!(d.percentile(25.0), Some(3.0));
        assert_eq!(d.percentile(10.0), Some(1.8));
    }

    #[test]
    fn merge_equals_one_pass() {
        let mut a = dist(&[1.0, 2.0]);
        a.merge(&dist(&[3.0, 10.0]));
        let b = dist(&[1.0, 2.0, 3.0, 10.0]);
        assert_eq!(a.percentile(90.0), b.percentile(90.0));
        assert_eq!(
            (a.count(), a.sum(), a.max(), a.min()),
            (4, 16.0, Some(10.0), Some(1.0))
        );
    }

    #[test]
    fn moments_now_and_values_later_equal_one_pass() {
        let (a, b) = (dist(&[4.0, -0.0, 2.0]), dist(&[2.0, 9.0]));
        let mut whole = Distribution::default();
        for v in [4.0, 2.0, -0.0, 9.0, 2.0, f64::NAN] {
            whole.add_moments(v);
        }
        whole.merge_values(&a);
        whole.merge_values(&b);
        let one_pass = dist(&[4.0, -0.0, 2.0, 2.0, 9.0]);
        assert_eq!(
            whole.percentiles(&[0.0, 50.0, 90.0, 100.0]),
            one_pass.percentiles(&[0.0, 50.0, 90.0, 100.0])
        );
        assert_eq!(
            (whole.count(), whole.sum(), whole.min(), whole.max()),
            (5, 17.0, Some(0.0), Some(9.0))
        );
    }

    #[test]
    fn many_distinct_values_count_exactly() {
        // Enough values to grow the table many times, with repeats, and a
        // merge that includes samples still queued.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut values = Vec::new();
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push((x % 20_000) as f64 / 8.0);
        }
        let (head, tail) = values.split_at(49_998);
        let mut d = dist(head);
        d.merge(&dist(tail));
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let reference = |p: f64| {
            let pos = p / 100.0 * (sorted.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        };
        for p in [0.0, 1.0, 50.0, 95.0, 99.0, 99.9, 100.0] {
            assert_eq!(d.percentile(p), Some(reference(p)), "p{p}");
        }
        assert_eq!(d.count(), 50_000);
    }

    #[test]
    fn rounding_modes_and_format() {
        assert_eq!(round_away(2.0005, 3), 2.001);
        assert_eq!(round_away(-1.0005, 3), -1.001);
        assert_eq!(round_even(2.5, 0), 2.0);
        assert_eq!(round_even(3.5, 0), 4.0);
        assert_eq!(fmt_num(9750.0), "9750");
        assert_eq!(fmt_num(7518.278), "7518.278");
        assert_eq!(fmt_num(-0.0), "0");
    }
}
