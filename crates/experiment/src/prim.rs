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
    /// Points inside, and those of them where the condition holds.
    pub inside: usize,
    pub hits: usize,
    pub coverage: f64,
    pub density: f64,
    pub support: f64,
}

/// Whether `x` lies in the box of `step`.
pub fn contains(step: &Step, x: &[f64]) -> bool {
    x.iter().zip(&step.lower).zip(&step.upper).all(|((v, lo), hi)| *lo <= *v && *v <= *hi)
}

/// The peeling trajectory of `x` (rows of inputs) against `y` (the condition per row).
// `j` is a column index into every row of `x` and into the bounds, not an iterator position.
#[allow(clippy::needless_range_loop)]
pub fn peel(x: &[Vec<f64>], y: &[bool], alpha: f64, min_support: f64) -> Vec<Step> {
    let n = x.len().min(y.len());
    let d = x.first().map_or(0, Vec::len);
    let total_hits = y[..n].iter().filter(|h| **h).count();
    if n == 0 || d == 0 {
        return Vec::new();
    }
    let mut lower: Vec<f64> =
        (0..d).map(|j| x[..n].iter().map(|r| r[j]).fold(f64::INFINITY, f64::min)).collect();
    let mut upper: Vec<f64> =
        (0..d).map(|j| x[..n].iter().map(|r| r[j]).fold(f64::NEG_INFINITY, f64::max)).collect();
    let mut inside: Vec<usize> = (0..n).collect();
    let step_of = |inside: &[usize], lower: &[f64], upper: &[f64]| {
        let hits = inside.iter().filter(|&&i| y[i]).count();
        Step {
            lower: lower.to_vec(),
            upper: upper.to_vec(),
            inside: inside.len(),
            hits,
            coverage: if total_hits > 0 { hits as f64 / total_hits as f64 } else { 0.0 },
            density: if inside.is_empty() { 0.0 } else { hits as f64 / inside.len() as f64 },
            support: inside.len() as f64 / n as f64,
        }
    };
    let mut out = vec![step_of(&inside, &lower, &upper)];
    loop {
        let current = out[out.len() - 1].density;
        let remove = ((alpha * inside.len() as f64).ceil() as usize).max(1);
        // (density, input, is_low, new bound, kept points)
        let mut best: Option<(f64, usize, bool, f64, Vec<usize>)> = None;
        for j in 0..d {
            let mut values: Vec<f64> = inside.iter().map(|&i| x[i][j]).collect();
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
                let kept: Vec<usize> = inside
                    .iter()
                    .copied()
                    .filter(|&i| if low { x[i][j] >= bound } else { x[i][j] <= bound })
                    .collect();
                if kept.len() == inside.len() || (kept.len() as f64) < min_support * n as f64 {
                    continue;
                }
                let hits = kept.iter().filter(|&&i| y[i]).count();
                let density = hits as f64 / kept.len() as f64;
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
        inside = kept;
        out.push(step_of(&inside, &lower, &upper));
    }
    out
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
                x.push(vec![u, v]);
                y.push(u > 0.6 && v < 0.3);
            }
        }
        let steps = peel(&x, &y, 0.05, 0.02);
        let last = steps.last().unwrap();
        assert_eq!(last.density, 1.0, "the last box holds only hits");
        assert!(last.lower[0] > 0.6 && last.upper[1] < 0.3, "{last:?}");
        // Coverage and density agree with a direct count of the box.
        let inside: Vec<usize> = (0..x.len()).filter(|&i| contains(last, &x[i])).collect();
        let hits = inside.iter().filter(|&&i| y[i]).count();
        assert_eq!((inside.len(), hits), (last.inside, last.hits));
        // The trajectory's density never falls.
        assert!(steps.windows(2).all(|w| w[1].density > w[0].density));
    }
}
