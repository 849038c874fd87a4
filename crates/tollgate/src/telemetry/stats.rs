//! Exact statistics over streams of samples. A [`Distribution`] keeps each
//! distinct value with its count, so percentiles are exact while memory grows
//! with the number of distinct values (which saturates for real telemetry),
//! not with the number of samples.

use std::collections::HashMap;

/// Samples of one metric.
#[derive(Debug, Clone, Default)]
pub struct Distribution {
    counts: HashMap<u64, u64, crate::fasthash::U64Build>,
    n: u64,
    sum: f64,
    max: Option<f64>,
    min: Option<f64>,
}

impl Distribution {
    /// Add one finite sample (non-finite values are ignored).
    pub fn add(&mut self, v: f64) {
        if let Some(v) = self.add_moments(v) {
            *self.counts.entry(v.to_bits()).or_insert(0) += 1;
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
        for (k, c) in &other.counts {
            *self.counts.entry(*k).or_insert(0) += c;
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
            .map(|(k, c)| (f64::from_bits(*k), *c))
            .collect();
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
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
