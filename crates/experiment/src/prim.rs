//! The Patient Rule Induction Method (Friedman and Fisher 1999), as scenario discovery uses it
//! (Bryant and Lempert 2010): find boxes of the input space in which a condition on the output
//! is most likely.
//!
//! Peeling: starting from the box around all points, each step considers, for every input, cutting
//! off the `alpha` share of the box's points with the lowest or the highest values, and makes the
//! cut that leaves the highest density (share of the box's points where the condition holds).
//! It stops when the next box would hold less than `min_support` of all points or no cut raises
//! the density. Each step's box is reported with its coverage (the share of all points where the
//! condition holds that fall inside it), density and support: the trajectory an analyst picks a
//! box from. (No pasting: boxes only shrink.)

/// One box of the peeling trajectory.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Per input, the inclusive bounds.
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Points inside, their total weight, and their weighted sum of `y` (with 0/1 outcomes and
    /// unit weights: the hits).
    pub inside: usize,
    pub weight: f64,
    pub mass: f64,
    /// The box's share of all of `y`'s mass, its weighted mean of `y`, its share of the weight.
    pub coverage: f64,
    pub density: f64,
    pub support: f64,
}

/// Whether `x` lies in the box of `step`.
pub fn contains(step: &Step, x: &[f64]) -> bool {
    inside(&step.lower, &step.upper, x)
}

fn inside(lower: &[f64], upper: &[f64], x: &[f64]) -> bool {
    x.iter().zip(lower).zip(upper).all(|((v, lo), hi)| *lo <= *v && *v <= *hi)
}

/// Points to peel: rows of inputs `x`, each with its outcome `y` in [0, 1] (a 0/1 condition,
/// or the share of a design point's runs where it holds) and a weight `w` (1 for a design
/// point; a particle's weight for a weighted posterior sample).
#[derive(Clone, Copy, Debug)]
pub struct Points<'a> {
    pub x: &'a [Vec<f64>],
    pub y: &'a [f64],
    pub w: &'a [f64],
}

impl Points<'_> {
    fn len(&self) -> usize {
        self.x.len().min(self.y.len()).min(self.w.len())
    }

    fn step(&self, members: &[usize], lower: &[f64], upper: &[f64], all: (f64, f64)) -> Step {
        let weight: f64 = members.iter().map(|&i| self.w[i]).sum();
        let mass: f64 = members.iter().map(|&i| self.w[i] * self.y[i]).sum();
        Step {
            lower: lower.to_vec(),
            upper: upper.to_vec(),
            inside: members.len(),
            weight,
            mass,
            coverage: if all.1 > 0.0 { mass / all.1 } else { 0.0 },
            density: if weight > 0.0 { mass / weight } else { 0.0 },
            support: if all.0 > 0.0 { weight / all.0 } else { 0.0 },
        }
    }
}

/// The peeling trajectory of `points`.
// `j` is a column index into every row of `x` and into the bounds, not an iterator position.
#[allow(clippy::needless_range_loop)]
pub fn peel(points: Points<'_>, alpha: f64, min_support: f64) -> Vec<Step> {
    let Points { x, y, w } = points;
    let n = points.len();
    let d = x.first().map_or(0, Vec::len);
    if n == 0 || d == 0 {
        return Vec::new();
    }
    let all = (w[..n].iter().sum::<f64>(), (0..n).map(|i| w[i] * y[i]).sum::<f64>());
    let mut lower: Vec<f64> =
        (0..d).map(|j| x[..n].iter().map(|r| r[j]).fold(f64::INFINITY, f64::min)).collect();
    let mut upper: Vec<f64> =
        (0..d).map(|j| x[..n].iter().map(|r| r[j]).fold(f64::NEG_INFINITY, f64::max)).collect();
    let mut members: Vec<usize> = (0..n).collect();
    let mut out = vec![points.step(&members, &lower, &upper, all)];
    loop {
        let current = out[out.len() - 1].density;
        let remove = ((alpha * members.len() as f64).ceil() as usize).max(1);
        // (density, input, is_low, new bound, kept points)
        let mut best: Option<(f64, usize, bool, f64, Vec<usize>)> = None;
        for j in 0..d {
            let mut values: Vec<f64> = members.iter().map(|&i| x[i][j]).collect();
            values.sort_by(f64::total_cmp);
            if remove >= values.len() {
                continue;
            }
            for low in [true, false] {
                // The new bound: keep values at or above the remove-th smallest (or at or
                // below the remove-th largest); ties at the bound stay inside, so where a tie
                // spans the cut the bound moves to the next distinct value (a cut always
                // removes something, a whole tie at least).
                let last = values.len() - 1;
                let bound = if low {
                    match values[remove..].iter().find(|v| **v > values[0]) {
                        Some(v) => *v,
                        None => continue,
                    }
                } else {
                    match values[..=last - remove].iter().rev().find(|v| **v < values[last]) {
                        Some(v) => *v,
                        None => continue,
                    }
                };
                let kept: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&i| if low { x[i][j] >= bound } else { x[i][j] <= bound })
                    .collect();
                let weight: f64 = kept.iter().map(|&i| w[i]).sum();
                if kept.len() == members.len() || weight < min_support * all.0 || weight <= 0.0 {
                    continue;
                }
                let density = kept.iter().map(|&i| w[i] * y[i]).sum::<f64>() / weight;
                if best.as_ref().is_none_or(|b| density > b.0) {
                    best = Some((density, j, low, bound, kept));
                }
            }
        }
        let Some((density, j, low, bound, kept)) = best else { break };
        if density <= current {
            break;
        }
        if low {
            lower[j] = bound;
        } else {
            upper[j] = bound;
        }
        members = kept;
        out.push(points.step(&members, &lower, &upper, all));
    }
    out
}

/// Whether the box `step` restricts input `j` (relative to the box around all points, `all`).
pub fn restricts(step: &Step, all: &Step, j: usize) -> bool {
    step.lower[j] > all.lower[j] || step.upper[j] < all.upper[j]
}

/// The quasi-p-value of the box's restriction on input `j` (Bryant and Lempert 2010; the EMA
/// Workbench's `prim`): the chance of a density at least the box's in a sample of its size
/// drawn from the box with that restriction lifted. One-sided binomial tail,
/// P(X >= K) for X ~ Binomial(M, p0), p0 the lifted box's density. With 0/1 outcomes and unit
/// weights M is the box's points and K its hits, EMA's test exactly. With shares (design points
/// of several runs) or weights, M is the box's effective number of points (Kish's
/// (sum w)^2 / sum w^2) scaled by p0 (1 - p0) / s^2, s^2 the weighted variance of `y` over the
/// lifted box: the binomial with the variance the points really have, so replicate runs of one
/// point do not count as independent evidence. M is at most the box's runs (`runs` per point:
/// shares that happen to vary less than their runs' binomial noise are no more evidence than
/// the runs), and M and K are rounded to whole numbers.
pub fn quasi_p(points: Points<'_>, step: &Step, j: usize, runs: f64) -> f64 {
    let n = points.len();
    let (mut lower, mut upper) = (step.lower.clone(), step.upper.clone());
    lower[j] = f64::NEG_INFINITY;
    upper[j] = f64::INFINITY;
    let lifted: Vec<usize> = (0..n).filter(|&i| inside(&lower, &upper, &points.x[i])).collect();
    let boxed: Vec<usize> = (0..n).filter(|&i| contains(step, &points.x[i])).collect();
    let (w, y) = (points.w, points.y);
    let wsum: f64 = lifted.iter().map(|&i| w[i]).sum();
    if wsum <= 0.0 || boxed.is_empty() {
        return 1.0;
    }
    let p0 = lifted.iter().map(|&i| w[i] * y[i]).sum::<f64>() / wsum;
    let var = lifted.iter().map(|&i| w[i] * (y[i] - p0).powi(2)).sum::<f64>() / wsum;
    // Shares all alike (up to the rounding of their sum) say nothing either way.
    if p0 <= 0.0 || p0 >= 1.0 || var <= 1e-12 * p0 * (1.0 - p0) {
        return 1.0;
    }
    let bw: f64 = boxed.iter().map(|&i| w[i]).sum();
    let bw2: f64 = boxed.iter().map(|&i| w[i] * w[i]).sum();
    let density = boxed.iter().map(|&i| w[i] * y[i]).sum::<f64>() / bw;
    let effective = (bw * bw / bw2 * p0 * (1.0 - p0) / var).min(boxed.len() as f64 * runs.max(1.0));
    let m = effective.round().max(1.0) as u64;
    let k = (density * m as f64).round() as u64;
    binomial_tail(m, k, p0)
}

/// P(X >= k) for X ~ Binomial(m, p), summed in logs from k upward.
pub fn binomial_tail(m: u64, k: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > m {
        return 0.0;
    }
    // ln of the pmf at k: ln C(m, k) + k ln p + (m - k) ln(1 - p).
    let ln_choose: f64 = (1..=k).map(|i| (((m - k + i) as f64) / i as f64).ln()).sum();
    let mut ln_term = ln_choose + k as f64 * p.ln() + (m - k) as f64 * (-p).ln_1p();
    let ratio = (p / (1.0 - p)).ln();
    let mut total = 0.0;
    for i in k..=m {
        let term = ln_term.exp();
        total += term;
        if term < total * 1e-17 && i as f64 > m as f64 * p {
            break;
        }
        ln_term += ((m - i) as f64 / (i + 1) as f64).ln() + ratio;
    }
    total.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_corner_where_the_condition_lives() {
        // A 21 × 21 grid on [0, 1]²; the condition holds where x0 > 0.6 and x1 < 0.3.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for a in 0..=20 {
            for b in 0..=20 {
                let (u, v) = (f64::from(a) / 20.0, f64::from(b) / 20.0);
                x.push(vec![u, v, f64::from((a * 7 + b * 3) % 11)]);
                y.push(u8::from(u > 0.6 && v < 0.3));
            }
        }
        let y: Vec<f64> = y.into_iter().map(f64::from).collect();
        let w = vec![1.0; y.len()];
        let points = Points { x: &x, y: &y, w: &w };
        let steps = peel(points, 0.05, 0.02);
        let last = steps.last().unwrap();
        assert_eq!(last.density, 1.0, "the last box holds only hits");
        assert!(last.lower[0] > 0.6 && last.upper[1] < 0.3, "{last:?}");
        // Coverage and density agree with a direct count of the box.
        let inside: Vec<usize> = (0..x.len()).filter(|&i| contains(last, &x[i])).collect();
        let hits = inside.iter().filter(|&&i| y[i] == 1.0).count();
        assert_eq!((inside.len(), hits as f64), (last.inside, last.mass));
        // The trajectory's density never falls.
        assert!(steps.windows(2).all(|w| w[1].density > w[0].density));
        // Both true restrictions are significant; the box never restricts the noise input,
        // or if it does the restriction is not significant.
        assert!(quasi_p(points, last, 0, 1.0) < 1e-6 && quasi_p(points, last, 1, 1.0) < 1e-6);
        assert!(!restricts(last, &steps[0], 2) || quasi_p(points, last, 2, 1.0) > 0.05);
    }

    #[test]
    fn replicate_runs_of_one_point_are_not_independent_evidence() {
        // 40 points, each a share of 10 runs; the shares vary between points far more than 10
        // runs' binomial noise (half the points at 0.1, half at 0.9, by the input's sign), so
        // a box's effective size is its points, not its 10x runs.
        let x: Vec<Vec<f64>> = (0..40).map(|i| vec![f64::from(i) / 39.0]).collect();
        let y: Vec<f64> = (0..40).map(|i| if i >= 20 { 0.9 } else { 0.1 }).collect();
        let w = vec![1.0; 40];
        let points = Points { x: &x, y: &y, w: &w };
        let step = peel(points, 0.1, 0.05).pop().expect("a box");
        assert!(step.lower[0] >= 20.0 / 39.0 - 1e-12, "{step:?}");
        // Lifted, p0 = 0.5 and s^2 = 0.16: M = n 0.25 / 0.16, about 1.56 per point. Counting
        // the 10 runs per point as independent would give M = 10 n and a p-value below 1e-40.
        let p = quasi_p(points, &step, 0, 10.0);
        let m = (step.inside as f64 * 0.25 / 0.16).round() as u64;
        let k = (step.density * m as f64).round() as u64;
        // (p0 is 0.5 up to rounding in the sums.)
        assert!((p / binomial_tail(m, k, 0.5) - 1.0).abs() < 1e-9, "{p}");
        assert!(p > 1e-12, "{p}");
    }

    #[test]
    fn alike_shares_and_few_runs_bound_the_evidence() {
        // Every point at 0.9 (9 of 10 runs): the sum's rounding leaves a variance of about
        // 1e-33, which is no variance; it must not make an astronomically large sample.
        let x: Vec<Vec<f64>> = (0..30).map(|i| vec![f64::from(i)]).collect();
        let y = vec![0.9; 30];
        let w = vec![1.0; 30];
        let points = Points { x: &x, y: &y, w: &w };
        let all = peel(points, 0.1, 0.05).remove(0);
        let mut step = all.clone();
        step.lower[0] = 10.0;
        assert_eq!(quasi_p(points, &step, 0, 10.0), 1.0);
        // Shares that vary less than binomial noise: M is capped at the box's runs.
        let y: Vec<f64> = (0..30).map(|i| if i < 10 { 0.5 } else { 0.6 }).collect();
        let points = Points { x: &x, y: &y, w: &w };
        let p = quasi_p(points, &step, 0, 2.0);
        // 20 points of 2 runs: at most M = 40 trials, K = 24, p0 = 17/30.
        assert!((p - binomial_tail(40, 24, 17.0 / 30.0)).abs() < 1e-9, "{p}");
    }

    #[test]
    fn binomial_tail_equals_a_direct_sum() {
        // P(X >= 3), X ~ Binomial(5, 0.4) = 10(.064)(.36) + 5(.0256)(.6) + .01024 = 0.31744.
        assert!((binomial_tail(5, 3, 0.4) - 0.31744).abs() < 1e-12);
        assert_eq!(binomial_tail(5, 0, 0.4), 1.0);
        assert_eq!(binomial_tail(5, 6, 0.4), 0.0);
        // A long tail: P(X >= 60), X ~ Binomial(100, 0.5) = 0.028443966820490444 (scipy binom.sf(59, 100, 0.5)).
        assert!((binomial_tail(100, 60, 0.5) - 0.028_443_966_820_490_44).abs() < 1e-12);
    }
}
