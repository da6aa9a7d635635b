//! Proper scoring rules for forecasts of observed categories, and bootstrap intervals of mean
//! scores: what `sidelines evaluate` scores the model and its baselines with.
//!
//! A forecast is a probability for each of an observation's categories (`yes`/`no`, the labels
//! of a category outcome, `down`/`flat`/`up`); the observation is the index of the category
//! that occurred. All three rules are negatively oriented (lower is better) and proper: a
//! forecaster minimises its expected score by stating its true belief (Gneiting and Raftery
//! 2007).
//! - The Brier score (Brier 1950) as the sum over categories of `(p_c - o_c)²`, halved, so that
//!   a yes/no forecast scores the familiar `(p - o)²` and a coin flip 0.25.
//! - The log score (ignorance), `-ln p_observed`; a forecast that gave the observed category
//!   probability 0 scores infinity, so forecasts from a finite number of runs are smoothed
//!   first (`jeffreys`).
//! - The ranked probability score (Epstein 1969) for ordered categories: the squared
//!   differences of the cumulative forecast and observation over the first `L - 1`
//!   categories, divided by `L - 1` so that it lies in [0, 1] (a yes/no RPS is its Brier score).
//! - The continuous ranked probability score where an observation is a number (Matheson and
//!   Winkler 1976; Gneiting and Raftery 2007): `E|X - y| - ½ E|X - X'|` of the runs' values,
//!   the CRPS of their empirical distribution (scoringrules' `nrg` estimator); in the
//!   observation's units, 0 for a certain, correct forecast, and `|x - y|` for a point forecast.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

/// `½ Σ_c (p_c - o_c)²` with `o` the indicator of category `observed`.
pub fn brier(p: &[f64], observed: usize) -> f64 {
    0.5 * p
        .iter()
        .enumerate()
        .map(|(c, pc)| (pc - if c == observed { 1.0 } else { 0.0 }).powi(2))
        .sum::<f64>()
}

/// `-ln p_observed` (natural log): 0 for a certain, correct forecast.
pub fn log_score(p: &[f64], observed: usize) -> f64 {
    -p.get(observed).copied().unwrap_or(0.0).ln()
}

/// `Σ_{j < L-1} (P_j - O_j)² / (L - 1)`, `P` and `O` cumulative, categories in their order.
pub fn rps(p: &[f64], observed: usize) -> f64 {
    let l = p.len();
    if l < 2 {
        return 0.0;
    }
    let mut cp = 0.0;
    let mut total = 0.0;
    for (j, pj) in p.iter().take(l - 1).enumerate() {
        cp += pj;
        let co = if j >= observed { 1.0 } else { 0.0 };
        total += (cp - co).powi(2);
    }
    total / (l - 1) as f64
}

/// The CRPS of the empirical distribution of `xs` at the observation `y`:
/// `(1/M) Σ_i |x_i - y| - (1/(2M²)) Σ_i Σ_j |x_i - x_j|`, the second sum from the sorted values
/// as `(2/M²) Σ_i (2i - M - 1) x_(i)` (i from 1). NaN for no values.
pub fn crps_ensemble(xs: &[f64], y: f64) -> f64 {
    let m = xs.len() as f64;
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let to_y = sorted.iter().map(|x| (x - y).abs()).sum::<f64>() / m;
    let spread: f64 =
        sorted.iter().enumerate().map(|(i, x)| (2.0 * (i as f64 + 1.0) - m - 1.0) * x).sum::<f64>()
            * 2.0
            / (m * m);
    to_y - 0.5 * spread
}

/// Category shares from counts with Jeffreys' prior: `(k_c + ½) / (n + L/2)`. Never 0, so the
/// log score of a forecast from finitely many runs is finite; it moves a share by at most
/// `(L - 1) / (2n + L)` from the raw one (`1 / (2n + 2)` for a yes/no).
pub fn jeffreys(counts: &[u64]) -> Vec<f64> {
    let n: u64 = counts.iter().sum();
    let denom = n as f64 + counts.len() as f64 / 2.0;
    counts.iter().map(|k| (*k as f64 + 0.5) / denom).collect()
}

/// The mean of `xs` and its percentile bootstrap 95% interval (`resamples` resamples of the
/// values with replacement, from a generator seeded with `seed`).
pub fn bootstrap_mean(xs: &[f64], resamples: usize, seed: u64) -> (f64, f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| xs[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    if means.is_empty() {
        return (mean, mean, mean);
    }
    let at = |q: f64| means[((q * resamples as f64) as usize).min(resamples - 1)];
    (mean, at(0.025), at(0.975))
}

/// The paired bootstrap 95% interval of the skill score `1 - mean(a) / mean(b)` of scores `a`
/// against reference scores `b` of the same observations, resampling observations.
pub fn bootstrap_skill(a: &[f64], b: &[f64], resamples: usize, seed: u64) -> (f64, f64, f64) {
    let n = a.len().min(b.len());
    let skill = |ia: f64, ib: f64| if ib > 0.0 { 1.0 - ia / ib } else { f64::NAN };
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let point = skill(a[..n].iter().sum(), b[..n].iter().sum());
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut draws: Vec<f64> = (0..resamples)
        .map(|_| {
            let (mut sa, mut sb) = (0.0, 0.0);
            for _ in 0..n {
                let i = rng.random_range(0..n);
                sa += a[i];
                sb += b[i];
            }
            skill(sa, sb)
        })
        .filter(|x| x.is_finite())
        .collect();
    draws.sort_by(f64::total_cmp);
    if draws.is_empty() {
        return (point, f64::NAN, f64::NAN);
    }
    let m = draws.len();
    let at = |q: f64| draws[((q * m as f64) as usize).min(m - 1)];
    (point, at(0.025), at(0.975))
}

/// One bin of a reliability diagram: the forecasts whose probability fell in `[low, high)`
/// (the last bin includes 1), how many there were, their mean, and the share of them whose
/// category occurred with its Wilson 95% interval.
#[derive(Clone, Debug, PartialEq)]
pub struct ReliabilityBin {
    pub low: f64,
    pub high: f64,
    pub forecasts: u64,
    pub mean_forecast: f64,
    pub observed_share: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// The reliability diagram of a set of categorical forecasts (Murphy and Winkler 1977), each
/// category of each forecast read as a yes/no forecast of that category (so a forecast of L
/// categories contributes L points); `bins` equal bins of probability. Empty bins are left
/// out. A reliable forecaster's points lie on the diagonal within their intervals: of the
/// events it gave 0.7, about 70% happened.
pub fn reliability(forecasts: &[(&[f64], usize)], bins: usize) -> Vec<ReliabilityBin> {
    let bins = bins.max(1);
    let mut n = vec![0u64; bins];
    let mut hits = vec![0u64; bins];
    let mut total = vec![0.0f64; bins];
    for (p, observed) in forecasts {
        for (c, pc) in p.iter().enumerate() {
            let b = ((pc * bins as f64) as usize).min(bins - 1);
            n[b] += 1;
            total[b] += pc;
            hits[b] += u64::from(c == *observed);
        }
    }
    (0..bins)
        .filter(|b| n[*b] > 0)
        .map(|b| {
            let (share, lo, hi) = crate::stats::wilson(hits[b], n[b]);
            ReliabilityBin {
                low: b as f64 / bins as f64,
                high: (b + 1) as f64 / bins as f64,
                forecasts: n[b],
                mean_forecast: total[b] / n[b] as f64,
                observed_share: share,
                ci95_low: lo,
                ci95_high: hi,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crps_is_the_empirical_distributions() {
        // A point forecast scores its absolute error.
        assert_eq!(crps_ensemble(&[0.3], 0.5), 0.2);
        assert_eq!(crps_ensemble(&[0.5, 0.5], 0.5), 0.0);
        // Two values {0, 1}, y = 0: E|X - y| = 0.5, E|X - X'| = 0.5 (pairs (0,1), (1,0) of 4),
        // so 0.5 - 0.25.
        assert!((crps_ensemble(&[1.0, 0.0], 0.0) - 0.25).abs() < 1e-15);
        // Against the integral of (F(x) - 1{x >= y})² on a grid, for an uneven ensemble.
        let xs = [0.1, 0.7, 0.4, 0.4, 0.95];
        let y = 0.5;
        let n = 200_000;
        let integral: f64 = (0..n)
            .map(|k| {
                let x = -0.5 + 2.0 * (k as f64 + 0.5) / n as f64;
                let f = xs.iter().filter(|v| **v <= x).count() as f64 / xs.len() as f64;
                let o = if x >= y { 1.0 } else { 0.0 };
                (f - o).powi(2) * 2.0 / n as f64
            })
            .sum();
        assert!((crps_ensemble(&xs, y) - integral).abs() < 1e-5, "{integral}");
    }

    #[test]
    fn scores_match_their_definitions() {
        // A yes/no forecast of 0.8 for what happened: (0.8 - 1)² = 0.04; -ln 0.8.
        assert!((brier(&[0.2, 0.8], 1) - 0.04).abs() < 1e-15);
        assert!((log_score(&[0.2, 0.8], 1) - 0.8f64.ln().abs()).abs() < 1e-15);
        // A coin flip scores 0.25 and ln 2 whatever happened.
        assert_eq!(brier(&[0.5, 0.5], 0), 0.25);
        assert!((log_score(&[0.5, 0.5], 0) - std::f64::consts::LN_2).abs() < 1e-15);
        // Three categories, the second observed: ½((0.2)² + (0.5)² + (0.3)²) = 0.19.
        assert!((brier(&[0.2, 0.5, 0.3], 1) - 0.19).abs() < 1e-15);
        // RPS: cumulative (0.2, 0.7) against (0, 1): (0.04 + 0.09) / 2 = 0.065.
        assert!((rps(&[0.2, 0.5, 0.3], 1) - 0.065).abs() < 1e-15);
        // A yes/no RPS is the yes/no Brier score.
        assert!((rps(&[0.3, 0.7], 1) - brier(&[0.3, 0.7], 1)).abs() < 1e-15);
        // A certain, correct forecast scores 0 on every rule; a certain wrong one the worst.
        assert_eq!(brier(&[0.0, 1.0, 0.0], 1), 0.0);
        assert_eq!(rps(&[0.0, 1.0, 0.0], 1), 0.0);
        assert_eq!(rps(&[1.0, 0.0, 0.0], 2), 1.0);
        assert!(log_score(&[1.0, 0.0], 1).is_infinite());
        assert_eq!(jeffreys(&[0, 10]), vec![0.5 / 11.0, 10.5 / 11.0]);
    }

    #[test]
    fn the_bootstrap_interval_covers_the_mean_and_is_reproducible() {
        let xs: Vec<f64> = (0..40).map(|i| f64::from(i % 7) / 7.0).collect();
        let (m, lo, hi) = bootstrap_mean(&xs, 2000, 3);
        assert!(lo < m && m < hi && hi - lo < 0.3, "{lo} {m} {hi}");
        assert_eq!(bootstrap_mean(&xs, 2000, 3), (m, lo, hi));
        let b: Vec<f64> = xs.iter().map(|x| x + 0.2).collect();
        let (s, slo, shi) = bootstrap_skill(&xs, &b, 2000, 3);
        assert!(slo < s && s < shi && s > 0.0, "{slo} {s} {shi}");
    }
    #[test]
    fn a_reliability_diagram_bins_every_category_of_every_forecast() {
        // Ten yes/no forecasts of 0.8 for `yes` (index 1), 8 right: the 0.8 bin holds the
        // ten `yes` points with 8 hits, the 0.2 bin the ten `no` points with 2.
        let f = [0.2, 0.8];
        let obs: Vec<(&[f64], usize)> =
            (0..10).map(|i| (&f[..], if i < 8 { 1 } else { 0 })).collect();
        let bins = reliability(&obs, 10);
        assert_eq!(bins.len(), 2);
        assert_eq!((bins[0].low, bins[0].forecasts), (0.2, 10));
        assert!((bins[0].observed_share - 0.2).abs() < 1e-15);
        assert!((bins[0].mean_forecast - 0.2).abs() < 1e-15);
        assert_eq!((bins[1].low, bins[1].forecasts), (0.8, 10));
        assert!((bins[1].observed_share - 0.8).abs() < 1e-15);
        assert!(bins[1].ci95_low < 0.8 && bins[1].ci95_high > 0.8);
        // A probability of exactly 1 falls in the last bin, not past it.
        let sure = [0.0, 1.0];
        let last = reliability(&[(&sure[..], 1)], 10);
        assert_eq!((last[0].low, last[1].high, last[1].forecasts), (0.0, 1.0, 1));
    }
}
