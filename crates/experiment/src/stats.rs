//! The statistics every table and test of `sidelines` shares, written once.
//!
//! Means and standard deviations are two-pass over a slice (the sample standard deviation
//! divides by n - 1); intervals of a mean are normal-theory, `z · sd / √n`; intervals of a share
//! are Wilson score intervals (Wilson 1927), which stay inside [0, 1] and behave at shares near
//! 0 or 1 where the normal interval does not; quantiles are nearest-rank (the smallest value
//! with at least a share p of the sample at or below it), so every reported quantile is a
//! value that occurred. The aggregator computes its means from exact integer sums instead of a
//! slice, and uses `half_width` and `nearest_rank` from here.

/// The two-sided 95% point of the standard normal (Python's `NormalDist().inv_cdf(0.975)`).
pub const Z95: f64 = 1.959_963_984_540_054;
/// The two-sided 99% point of the standard normal (`NormalDist().inv_cdf(0.995)`).
pub const Z99: f64 = 2.575_829_303_548_901;

/// Arithmetic mean; NaN for no values.
pub fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (divisor n - 1); NaN below two values.
pub fn sample_sd(xs: &[f64]) -> f64 {
    let n = xs.len();
    if n < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
}

/// Half-width of the 95% normal interval of a mean of `n` values with standard deviation `sd`.
pub fn half_width(sd: f64, n: u64) -> f64 {
    Z95 * sd / (n as f64).sqrt()
}

/// Half-width of the 95% interval of the mean of `xs`; infinite below two values (nothing is
/// known of the spread yet).
pub fn half_width_of(xs: &[f64]) -> f64 {
    if xs.len() < 2 { f64::INFINITY } else { half_width(sample_sd(xs), xs.len() as u64) }
}

/// Mean and half-width of its two-sided interval at the normal point `z`.
pub fn mean_ci(xs: &[f64], z: f64) -> (f64, f64) {
    (mean(xs), z * sample_sd(xs) / (xs.len() as f64).sqrt())
}

/// Wilson score interval of `count` successes in `n` at the normal point `z`:
/// (share, low, high), clamped to [0, 1]; NaN for n = 0.
pub fn wilson_at(count: u64, n: u64, z: f64) -> (f64, f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let n = n as f64;
    let p = count as f64 / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (p, (centre - half).max(0.0), (centre + half).min(1.0))
}

/// The 95% Wilson interval: (share, low, high).
pub fn wilson(count: u64, n: u64) -> (f64, f64, f64) {
    wilson_at(count, n, Z95)
}

/// The 1-based nearest rank of the p-quantile in a sample of n: ⌈p·n⌉, at least 1.
pub fn nearest_rank(n: u64, p: f64) -> u64 {
    ((p * n as f64).ceil() as u64).max(1)
}

/// The nearest-rank p-quantile of a sorted, non-empty sample.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let rank = nearest_rank(sorted.len() as u64, p) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_sd_and_half_width() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&xs), 5.0);
        // Sum of squares 32 over 7.
        assert!((sample_sd(&xs) - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        assert!((half_width_of(&xs) - Z95 * (32.0f64 / 7.0).sqrt() / 8f64.sqrt()).abs() < 1e-15);
        assert!(sample_sd(&[1.0]).is_nan() && mean(&[]).is_nan());
        assert_eq!(half_width_of(&[1.0]), f64::INFINITY);
    }

    #[test]
    fn wilson_matches_reference() {
        // statsmodels.stats.proportion.proportion_confint(10, 100, method="wilson"):
        // (0.05522914, 0.17436566).
        let (p, lo, hi) = wilson(10, 100);
        assert_eq!(p, 0.1);
        assert!((lo - 0.055_229_14).abs() < 1e-7 && (hi - 0.174_365_66).abs() < 1e-7);
        let (_, lo, hi) = wilson(0, 5);
        assert!(lo == 0.0 && hi > 0.0 && hi < 1.0);
    }

    #[test]
    fn nearest_rank_quantiles() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(quantile_sorted(&xs, 0.05), 1.0);
        assert_eq!(quantile_sorted(&xs, 0.5), 5.0);
        assert_eq!(quantile_sorted(&xs, 0.95), 10.0);
        assert_eq!(quantile_sorted(&xs, 0.0), 1.0);
        assert_eq!(nearest_rank(10, 0.25), 3);
    }
}
