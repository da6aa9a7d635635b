//! Global sensitivity estimators, the same as SALib's so the numbers agree on the same table.
//!
//! Sobol' (Saltelli 2010 first order, Jansen total order, Saltelli 2002 second order) on rows in
//! SALib's block order — for each base sample: A, AB_1..AB_k, [BA_1..BA_k,] B — with the output
//! first standardised over all rows (mean 0, population sd 1) and population variances.
//! Morris elementary effects on trajectories of k + 1 rows, each step changing one parameter by
//! Δ = p / (2(p − 1)) in unit-scaled space. Confidence intervals are 95% bootstrap intervals
//! (1.96 × the standard deviation of the resampled estimates), seeded, so they are reproducible;
//! they are not SALib's digits (its generator differs), the point estimates are.

use rand::RngExt;
use rand_pcg::Pcg64;

use crate::stats::{Z95, sample_sd};

/// Why indices cannot be estimated from a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SensitivityError {
    /// The rows are not whole Saltelli blocks of `block` rows.
    NotSaltelliBlocks { rows: usize, block: usize, k: usize, second_order: bool },
    /// The rows are not whole Morris trajectories of `per` rows (or fewer than 2 levels).
    NotMorrisTrajectories { rows: usize, per: usize },
    /// An outcome value is missing, infinite or NaN.
    NonFinite,
    /// Two consecutive rows of a trajectory change `changed` parameters instead of one.
    NotOneStep { first: usize, second: usize, changed: usize },
    /// No step of any trajectory moves this parameter (0-based).
    NeverMoved { parameter: usize },
}

impl std::fmt::Display for SensitivityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SensitivityError::NotSaltelliBlocks { rows, block, k, second_order } => write!(
                f,
                "{rows} rows do not form whole Saltelli blocks of {block} rows for {k} \
                 parameters{}",
                if *second_order { " with second-order terms" } else { "" }
            ),
            SensitivityError::NotMorrisTrajectories { rows, per } => {
                write!(f, "{rows} rows do not form whole Morris trajectories of {per} rows")
            }
            SensitivityError::NonFinite => {
                f.write_str("the outcome has missing or non-finite values")
            }
            SensitivityError::NotOneStep { first, second, changed } => {
                write!(f, "rows {first} and {second} differ in {changed} parameters, not one")
            }
            SensitivityError::NeverMoved { parameter } => {
                write!(f, "trajectories never move parameter {parameter}")
            }
        }
    }
}

impl std::error::Error for SensitivityError {}

/// First and total order indices (and second order when the design has it), with intervals.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndices {
    pub s1: Vec<f64>,
    pub s1_conf: Vec<f64>,
    pub st: Vec<f64>,
    pub st_conf: Vec<f64>,
    /// `s2[j][l]` for j < l; `None` without second-order rows.
    pub s2: Option<Vec<Vec<f64>>>,
    pub s2_conf: Option<Vec<Vec<f64>>>,
}

/// Morris screening measures per parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndices {
    pub mu: Vec<f64>,
    pub mu_star: Vec<f64>,
    pub sigma: Vec<f64>,
    pub mu_star_conf: Vec<f64>,
}

fn mean(x: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for v in x {
        s += v;
        n += 1;
    }
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Rows of one base sample, split by role.
struct Blocks<'a> {
    y: &'a [f64],
    k: usize,
    block: usize,
}

impl Blocks<'_> {
    fn a(&self, j: usize) -> f64 {
        self.y[j * self.block]
    }
    fn ab(&self, j: usize, i: usize) -> f64 {
        self.y[j * self.block + 1 + i]
    }
    fn ba(&self, j: usize, i: usize) -> f64 {
        self.y[j * self.block + 1 + self.k + i]
    }
    fn b(&self, j: usize) -> f64 {
        self.y[j * self.block + self.block - 1]
    }

    /// Population variance of [A; B] over the samples `idx`.
    fn var(&self, idx: &[usize]) -> f64 {
        let m = mean(idx.iter().flat_map(|&j| [self.a(j), self.b(j)]));
        mean(idx.iter().flat_map(|&j| [(self.a(j) - m).powi(2), (self.b(j) - m).powi(2)]))
    }

    fn first(&self, idx: &[usize], i: usize, var: f64) -> f64 {
        if var == 0.0 {
            return 0.0;
        }
        mean(idx.iter().map(|&j| self.b(j) * (self.ab(j, i) - self.a(j)))) / var
    }

    fn total(&self, idx: &[usize], i: usize, var: f64) -> f64 {
        if var == 0.0 {
            return 0.0;
        }
        0.5 * mean(idx.iter().map(|&j| (self.a(j) - self.ab(j, i)).powi(2))) / var
    }

    fn second(&self, idx: &[usize], i: usize, l: usize, var: f64) -> f64 {
        if var == 0.0 {
            return 0.0;
        }
        let vjk =
            mean(idx.iter().map(|&j| self.ba(j, i) * self.ab(j, l) - self.a(j) * self.b(j))) / var;
        vjk - self.first(idx, i, var) - self.first(idx, l, var)
    }
}

/// Sobol' indices of `y` (one value per design row, in Saltelli block order) for `k`
/// parameters. Errors when the row count does not fit the layout.
pub fn sobol(
    y: &[f64],
    k: usize,
    second_order: bool,
    resamples: usize,
    seed: u64,
) -> Result<SobolIndices, SensitivityError> {
    let block = if second_order { 2 * k + 2 } else { k + 2 };
    if k == 0 || y.is_empty() || !y.len().is_multiple_of(block) {
        return Err(SensitivityError::NotSaltelliBlocks { rows: y.len(), block, k, second_order });
    }
    if y.iter().any(|v| !v.is_finite()) {
        return Err(SensitivityError::NonFinite);
    }
    let n = y.len() / block;
    // Standardise over all rows: mean 0, population standard deviation 1.
    let m = mean(y.iter().copied());
    let sd = mean(y.iter().map(|v| (v - m).powi(2))).sqrt();
    let z: Vec<f64> =
        if sd > 0.0 { y.iter().map(|v| (v - m) / sd).collect() } else { vec![0.0; y.len()] };
    let b = Blocks { y: &z, k, block };
    let all: Vec<usize> = (0..n).collect();
    let var = b.var(&all);

    let mut rng = Pcg64::new(u128::from(seed) << 64 | 0x5A17E11, 11);
    let draws: Vec<Vec<usize>> =
        (0..resamples).map(|_| (0..n).map(|_| rng.random_range(0..n)).collect()).collect();
    let vars: Vec<f64> = draws.iter().map(|d| b.var(d)).collect();
    let conf = |f: &dyn Fn(&[usize], f64) -> f64| -> f64 {
        if resamples < 2 {
            return f64::NAN;
        }
        let est: Vec<f64> = draws.iter().zip(&vars).map(|(d, v)| f(d, *v)).collect();
        Z95 * sample_sd(&est)
    };
    let mut out = SobolIndices {
        s1: Vec::new(),
        s1_conf: Vec::new(),
        st: Vec::new(),
        st_conf: Vec::new(),
        s2: None,
        s2_conf: None,
    };
    for i in 0..k {
        out.s1.push(b.first(&all, i, var));
        out.s1_conf.push(conf(&|d, v| b.first(d, i, v)));
        out.st.push(b.total(&all, i, var));
        out.st_conf.push(conf(&|d, v| b.total(d, i, v)));
    }
    if second_order {
        let mut s2 = vec![vec![f64::NAN; k]; k];
        let mut s2c = vec![vec![f64::NAN; k]; k];
        for i in 0..k {
            for l in i + 1..k {
                s2[i][l] = b.second(&all, i, l, var);
                s2c[i][l] = conf(&|d, v| b.second(d, i, l, v));
            }
        }
        out.s2 = Some(s2);
        out.s2_conf = Some(s2c);
    }
    Ok(out)
}

/// Morris measures from design rows `x` (any scale; only the direction of each step is read)
/// and outputs `y`, in trajectories of k + 1 rows on a `levels`-level grid.
pub fn morris(
    x: &[Vec<f64>],
    y: &[f64],
    levels: usize,
    resamples: usize,
    seed: u64,
) -> Result<MorrisIndices, SensitivityError> {
    let k = x.first().map_or(0, Vec::len);
    if k == 0 || x.len() != y.len() || !x.len().is_multiple_of(k + 1) || levels < 2 {
        return Err(SensitivityError::NotMorrisTrajectories { rows: x.len(), per: k + 1 });
    }
    if y.iter().any(|v| !v.is_finite()) {
        return Err(SensitivityError::NonFinite);
    }
    let delta = levels as f64 / (2.0 * (levels as f64 - 1.0));
    let r = x.len() / (k + 1);
    let mut ee = vec![vec![f64::NAN; k]; r];
    for (t, effects) in ee.iter_mut().enumerate() {
        for step in 0..k {
            let (i0, i1) = (t * (k + 1) + step, t * (k + 1) + step + 1);
            let changed: Vec<usize> = (0..k).filter(|&c| x[i1][c] != x[i0][c]).collect();
            let [c] = changed[..] else {
                return Err(SensitivityError::NotOneStep {
                    first: i0,
                    second: i1,
                    changed: changed.len(),
                });
            };
            let sign = if x[i1][c] > x[i0][c] { 1.0 } else { -1.0 };
            effects[c] = sign * (y[i1] - y[i0]) / delta;
        }
    }
    let mut out =
        MorrisIndices { mu: vec![], mu_star: vec![], sigma: vec![], mu_star_conf: vec![] };
    let mut rng = Pcg64::new(u128::from(seed) << 64 | 0x0011_0221, 13);
    for c in 0..k {
        let col: Vec<f64> = ee.iter().map(|row| row[c]).collect();
        if col.iter().any(|v| v.is_nan()) {
            return Err(SensitivityError::NeverMoved { parameter: c });
        }
        out.mu.push(mean(col.iter().copied()));
        out.mu_star.push(mean(col.iter().map(|v| v.abs())));
        out.sigma.push(if r > 1 { sample_sd(&col) } else { f64::NAN });
        let boots: Vec<f64> = (0..resamples)
            .map(|_| mean((0..r).map(|_| col[rng.random_range(0..r)].abs())))
            .collect();
        out.mu_star_conf.push(if resamples > 1 { Z95 * sample_sd(&boots) } else { f64::NAN });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_outcome_gives_zero_not_nan() {
        let y = vec![3.0; 4 * 5];
        let s = sobol(&y, 3, false, 10, 1).unwrap();
        assert!(s.s1.iter().chain(&s.st).all(|v| *v == 0.0));
    }

    #[test]
    fn layout_errors_are_reported() {
        assert!(sobol(&[1.0; 7], 3, false, 10, 1).is_err());
        assert!(
            morris(&[vec![0.0, 0.0], vec![1.0, 1.0], vec![1.0, 1.0]], &[0.0; 3], 4, 10, 1).is_err()
        );
    }
}
