//! Experimental designs: the points of a sweep, in the unit hypercube, in a documented order.
//!
//! - `grid`: the full factorial of each parameter's values, the last parameter varying fastest;
//! - `random`: independent uniforms; `lhs`: a Latin hypercube (one point per stratum of each
//!   parameter, strata matched by random permutations);
//! - `sobol`: Saltelli's scheme on a Sobol' sequence (Joe and Kuo 2008 direction numbers) of
//!   dimension 2k, randomised by a digital shift (each coordinate's binary digits XORed with a
//!   random shift from the seed; it keeps the sequence's balance at every power of two, L'Ecuyer
//!   and Lemieux 2002): for each base sample the rows A, AB_1..AB_k, [BA_1..BA_k,] B, the block
//!   order SALib writes and reads. Unshifted, the first point is all zeros (A = B, so its k + 2
//!   rows are one point); dropping it, as was done, left the next, all halves, with the same
//!   fault, and unbalances the sequence (Owen 2020, "On dropping the first Sobol' point");
//! - `morris`: r trajectories of k + 1 points on a p-level grid (Morris 1991; the sampling of
//!   Saltelli et al. 2008, ch. 3): a random base point with coordinates on the lower levels, a
//!   random order of parameters and a random direction for each, each step moving one parameter
//!   by Δ = p / (2(p − 1)).
//!
//! Randomness comes from a Pcg64 seeded from the sweep's master seed, so a design is a pure
//! function of the sweep file.

use rand::RngExt;
use rand_pcg::Pcg64;
use sobol::Sobol;
use sobol::params::JoeKuoD6;

/// How to place the points.
#[derive(Clone, Debug, PartialEq)]
pub enum Sampler {
    /// Per parameter, the unit-scaled values to combine.
    Grid(Vec<Vec<f64>>),
    Random {
        samples: usize,
    },
    Lhs {
        samples: usize,
    },
    Sobol {
        base_samples: usize,
        second_order: bool,
    },
    Morris {
        trajectories: usize,
        levels: usize,
    },
}

/// The largest dimension the embedded Sobol' direction numbers cover (JoeKuoD6 "minimal").
pub const SOBOL_MAX_DIMS: usize = 100;

fn design_rng(seed: u64) -> Pcg64 {
    Pcg64::new(u128::from(seed) << 64 | 0xD35_16E, 7)
}

/// Why a design cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DesignError {
    /// Saltelli designs take 2k dimensions of the Sobol' sequence.
    TooManySobolParameters { k: usize, max: usize },
    /// A Morris grid needs 2 levels for a step, and its lower half is held in memory.
    MorrisLevels { levels: usize },
}

impl std::fmt::Display for DesignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DesignError::TooManySobolParameters { k, max } => {
                write!(f, "a sobol design supports at most {max} parameters, not {k}")
            }
            DesignError::MorrisLevels { levels } => {
                let max = sidelines_scenario::sweep::MAX_MORRIS_LEVELS;
                write!(f, "a morris grid needs 2 to {max} levels, not {levels}")
            }
        }
    }
}

impl std::error::Error for DesignError {}

/// The design's points in [0, 1]^k, one row per point.
pub fn unit_points(sampler: &Sampler, k: usize, seed: u64) -> Result<Vec<Vec<f64>>, DesignError> {
    let mut rng = design_rng(seed);
    Ok(match sampler {
        Sampler::Grid(values) => {
            let mut rows: Vec<Vec<f64>> = vec![Vec::new()];
            for vals in values {
                rows = rows
                    .iter()
                    .flat_map(|row| {
                        vals.iter().map(move |v| {
                            let mut r = row.clone();
                            r.push(*v);
                            r
                        })
                    })
                    .collect();
            }
            rows
        }
        Sampler::Random { samples } => {
            (0..*samples).map(|_| (0..k).map(|_| rng.random::<f64>()).collect()).collect()
        }
        Sampler::Lhs { samples } => {
            let n = *samples;
            let mut cols: Vec<Vec<f64>> = Vec::with_capacity(k);
            for _ in 0..k {
                let mut strata: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    strata.swap(i, rng.random_range(0..=i));
                }
                cols.push(
                    strata.iter().map(|s| (*s as f64 + rng.random::<f64>()) / n as f64).collect(),
                );
            }
            (0..n).map(|i| cols.iter().map(|c| c[i]).collect()).collect()
        }
        Sampler::Sobol { base_samples, second_order } => {
            if 2 * k > SOBOL_MAX_DIMS {
                return Err(DesignError::TooManySobolParameters { k, max: SOBOL_MAX_DIMS / 2 });
            }
            let params = JoeKuoD6::minimal();
            let seq = Sobol::<u32>::new(2 * k, &params);
            let shift: Vec<u32> = (0..2 * k).map(|_| rng.random::<u32>()).collect();
            let mut rows = Vec::new();
            for point in seq.take(*base_samples) {
                // The centre of the shifted point's cell of width 2^-32: never 0 or 1.
                let base: Vec<f64> = point
                    .iter()
                    .zip(&shift)
                    .map(|(x, s)| (f64::from(x ^ s) + 0.5) / 4_294_967_296.0)
                    .collect();
                let (a, b) = base.split_at(k);
                rows.push(a.to_vec());
                for i in 0..k {
                    let mut ab = a.to_vec();
                    ab[i] = b[i];
                    rows.push(ab);
                }
                if *second_order {
                    for i in 0..k {
                        let mut ba = b.to_vec();
                        ba[i] = a[i];
                        rows.push(ba);
                    }
                }
                rows.push(b.to_vec());
            }
            rows
        }
        Sampler::Morris { trajectories, levels } => {
            let p = *levels;
            if !(2..=sidelines_scenario::sweep::MAX_MORRIS_LEVELS).contains(&(p as u64)) {
                return Err(DesignError::MorrisLevels { levels: p });
            }
            let delta = p as f64 / (2.0 * (p as f64 - 1.0));
            // Base coordinates on the levels i/(p-1) that leave room for a step of delta.
            let lower: Vec<f64> = (0..p)
                .map(|i| i as f64 / (p as f64 - 1.0))
                .filter(|v| v + delta <= 1.0 + 1e-12)
                .collect();
            let mut rows = Vec::with_capacity(trajectories * (k + 1));
            for _ in 0..*trajectories {
                let base: Vec<f64> =
                    (0..k).map(|_| lower[rng.random_range(0..lower.len())]).collect();
                let up: Vec<bool> = (0..k).map(|_| rng.random::<bool>()).collect();
                let mut order: Vec<usize> = (0..k).collect();
                for i in (1..k).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                let mut x: Vec<f64> =
                    (0..k).map(|j| if up[j] { base[j] } else { base[j] + delta }).collect();
                rows.push(x.clone());
                for &j in &order {
                    x[j] = if up[j] { base[j] + delta } else { base[j] };
                    rows.push(x.clone());
                }
            }
            rows
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_full_factorial_last_fastest() {
        let g =
            unit_points(&Sampler::Grid(vec![vec![0.0, 1.0], vec![0.1, 0.2, 0.3]]), 2, 1).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![0.0, 0.1]);
        assert_eq!(g[1], vec![0.0, 0.2]);
        assert_eq!(g[3], vec![1.0, 0.1]);
    }

    #[test]
    fn lhs_has_one_point_per_stratum() {
        let n = 17;
        let pts = unit_points(&Sampler::Lhs { samples: n }, 3, 5).unwrap();
        for d in 0..3 {
            let mut strata: Vec<usize> = pts.iter().map(|p| (p[d] * n as f64) as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn saltelli_blocks_have_the_salib_layout() {
        let k = 3;
        let rows =
            unit_points(&Sampler::Sobol { base_samples: 4, second_order: true }, k, 1).unwrap();
        assert_eq!(rows.len(), 4 * (2 * k + 2));
        let block = &rows[0..2 * k + 2];
        let (a, b) = (&block[0], &block[2 * k + 1]);
        for i in 0..k {
            let ab = &block[1 + i];
            let ba = &block[1 + k + i];
            for c in 0..k {
                assert_eq!(ab[c], if c == i { b[c] } else { a[c] });
                assert_eq!(ba[c], if c == i { a[c] } else { b[c] });
            }
        }
    }

    /// Every base sample's A and B differ in every coordinate, so no block collapses to one
    /// point (unshifted, the first block was all zeros, and with it dropped the next was all
    /// halves); the points stay inside the open cube and the shift is the seed's.
    #[test]
    fn sobol_blocks_are_never_one_point() {
        let k = 6;
        let rows =
            unit_points(&Sampler::Sobol { base_samples: 64, second_order: false }, k, 1).unwrap();
        for block in rows.chunks(k + 2) {
            let (a, b) = (&block[0], &block[k + 1]);
            assert!(a.iter().zip(b).all(|(x, y)| x != y), "{a:?} {b:?}");
        }
        assert!(rows.iter().flatten().all(|x| *x > 0.0 && *x < 1.0));
        // Balanced as a Sobol' net: each half of [0, 1) holds half of A's first coordinates.
        let low = rows.chunks(k + 2).filter(|b| b[0][0] < 0.5).count();
        assert_eq!(low, 32);
        let other =
            unit_points(&Sampler::Sobol { base_samples: 64, second_order: false }, k, 2).unwrap();
        assert_ne!(rows, other, "the shift comes from the seed");
    }

    #[test]
    fn morris_steps_change_one_parameter_by_delta() {
        let (k, p) = (4, 4);
        let delta = p as f64 / (2.0 * (p as f64 - 1.0));
        let rows = unit_points(&Sampler::Morris { trajectories: 10, levels: p }, k, 3).unwrap();
        assert_eq!(rows.len(), 10 * (k + 1));
        for t in 0..10 {
            for s in 0..k {
                let (x0, x1) = (&rows[t * (k + 1) + s], &rows[t * (k + 1) + s + 1]);
                let moved: Vec<f64> =
                    (0..k).map(|c| (x1[c] - x0[c]).abs()).filter(|d| *d > 0.0).collect();
                assert_eq!(moved.len(), 1);
                assert!((moved[0] - delta).abs() < 1e-12);
                assert!(x1.iter().all(|v| (0.0..=1.0 + 1e-12).contains(v)));
            }
        }
    }
}
