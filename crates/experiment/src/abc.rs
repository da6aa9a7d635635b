//! Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC: Toni, Welch, Strelkowa,
//! Ipsen and Stumpf 2009), with the perturbation kernel of Beaumont, Cornuet, Marin and Robert
//! (2009) and replicates per proposal (pseudo-marginal ABC: Andrieu and Roberts 2009).
//!
//! Parameters live in the unit cube (each coordinate scaled to its prior range by the caller);
//! the prior is uniform on it. The data are discrete: each run either reproduces an observation
//! or not, and a run's distance is the number of observations it misses. A generation has a
//! tolerance (misses allowed); a proposal is evaluated with `replicates` runs and its acceptance
//! probability is estimated by the share `a` of them within the tolerance, an unbiased estimate,
//! so the weighted population targets the ABC posterior exactly for any number of replicates
//! (more replicates only lower the weights' variance). At tolerance 0 the ABC posterior is the
//! posterior itself: with discrete observations nothing is approximated but the Monte Carlo.
//!
//! - Generation 0 draws `particles` proposals from the prior (an importance sample) and weighs
//!   each by `a`.
//! - Generation t > 0 draws a particle of generation t-1 by weight, moves it by a Gaussian with
//!   twice the population's weighted variance per coordinate (Beaumont et al. 2009), rejects a
//!   move that leaves the cube, and weighs an accepted proposal by
//!   `a × prior / Σ_j w_j K(θ | θ_j)`.
//!
//! Proposals are drawn and evaluated in batches; the RNG of proposal j of generation t is
//! seeded from (seed, t, j), and the first `particles` proposals with `a > 0` in index order
//! form the population, so the result is a pure function of the seed whatever the thread count.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rand_pcg::Pcg64;
use rayon::prelude::*;
use sidelines_model::splitmix64;

/// What an ABC-SMC calibration needs to know.
#[derive(Clone, Debug)]
pub struct Settings {
    pub dims: usize,
    /// Particles per generation.
    pub particles: usize,
    /// Runs per proposal.
    pub replicates: u64,
    /// One tolerance (misses allowed) per generation, decreasing.
    pub tolerances: Vec<u32>,
    pub seed: u64,
    /// A generation gives up after this many proposals per particle (its tolerance is then
    /// out of reach under this prior; the run stops with the generations it has).
    pub max_proposals_per_particle: usize,
}

/// One generation's population.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    pub tolerance: u32,
    /// Unit-cube coordinates of each particle.
    pub theta: Vec<Vec<f64>>,
    /// Normalised weights.
    pub weights: Vec<f64>,
    /// Each particle's share of replicates within the tolerance.
    pub accepted_share: Vec<f64>,
    /// Each particle's mean number of misses over its replicates.
    pub mean_misses: Vec<f64>,
    /// Per observation, each particle's share of replicates that reproduced it.
    pub matched: Vec<Vec<f64>>,
    /// Proposals drawn up to the last one kept.
    pub proposals: usize,
    /// Runs made, including those of proposals drawn in the last batch after the population
    /// was full.
    pub runs: u64,
    /// The prior predictive probability of staying within the tolerance: the mean unnormalised
    /// weight over the proposals (importance sampling; at generation 0 the mean acceptance of
    /// prior draws). `1 - evidence` is the share of the prior's predictive mass the record
    /// rules out at this tolerance.
    pub evidence: f64,
}

impl Generation {
    /// Kish's effective sample size, `(Σw)² / Σw²`.
    pub fn ess(&self) -> f64 {
        let s: f64 = self.weights.iter().sum();
        let s2: f64 = self.weights.iter().map(|w| w * w).sum();
        if s2 > 0.0 { s * s / s2 } else { 0.0 }
    }

    /// The weighted p-quantile of coordinate `d`.
    pub fn quantile(&self, d: usize, p: f64) -> f64 {
        let mut v: Vec<(f64, f64)> =
            self.theta.iter().zip(&self.weights).map(|(t, w)| (t[d], *w)).collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut acc = 0.0;
        for (x, w) in &v {
            acc += w;
            if acc >= p - 1e-12 {
                return *x;
            }
        }
        v.last().map_or(f64::NAN, |x| x.0)
    }

    /// Weighted mean and standard deviation of coordinate `d`.
    pub fn mean_sd(&self, d: usize) -> (f64, f64) {
        let m: f64 = self.theta.iter().zip(&self.weights).map(|(t, w)| w * t[d]).sum();
        let v: f64 =
            self.theta.iter().zip(&self.weights).map(|(t, w)| w * (t[d] - m).powi(2)).sum();
        (m, v.sqrt())
    }
}

/// What one proposal's runs gave: per replicate, the observations it reproduced.
pub type Evaluation = Vec<Vec<bool>>;

/// Why a calibration stopped early.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// Every generation reached its tolerance.
    Done,
    /// Generation `generation` could not find `particles` proposals within its tolerance in
    /// the allowed number of proposals.
    OutOfReach { generation: usize, tolerance: u32, found: usize, proposals: usize },
}

/// An evaluated proposal: θ, its share of replicates within the tolerance, its mean misses,
/// its share reproducing each observation, and its number of runs.
type Scored = (Vec<f64>, f64, f64, Vec<f64>, u64);

fn rng_for(seed: u64, generation: usize, proposal: usize) -> Pcg64 {
    let s = splitmix64(splitmix64(seed ^ splitmix64(generation as u64)) ^ proposal as u64);
    Pcg64::new(u128::from(s) << 64 | 0x00AB_C53C, 17)
}

/// The identity of proposal j of generation t, for the caller's run seeds.
pub fn proposal_id(generation: usize, proposal: usize) -> u64 {
    ((generation as u64) << 40) | proposal as u64
}

/// Runs ABC-SMC from generation `start.len()` on, calling `evaluate(id, θ)` for each proposal
/// (`id` from `proposal_id`, θ in the unit cube) and `done(&generation)` after each generation
/// (for checkpoints). Returns every generation and why it stopped.
pub fn run(
    settings: &Settings,
    mut generations: Vec<Generation>,
    evaluate: &(dyn Fn(u64, &[f64]) -> Evaluation + Sync),
    done: &mut dyn FnMut(&Generation) -> Result<(), String>,
) -> Result<(Vec<Generation>, Stop), String> {
    let n = settings.particles;
    for t in generations.len()..settings.tolerances.len() {
        let eps = settings.tolerances[t];
        let previous = generations.last().cloned();
        // Beaumont et al. (2009): a Gaussian with twice the weighted variance per coordinate.
        let scale: Vec<f64> = match &previous {
            Some(g) => (0..settings.dims).map(|d| (2.0f64).sqrt() * g.mean_sd(d).1).collect(),
            None => Vec::new(),
        };
        let propose = |j: usize| -> Option<Vec<f64>> {
            let mut rng = rng_for(settings.seed, t, j);
            let Some(g) = &previous else {
                return Some((0..settings.dims).map(|_| rng.random::<f64>()).collect());
            };
            let u: f64 = rng.random::<f64>();
            let mut acc = 0.0;
            let mut pick = g.theta.len() - 1;
            for (i, w) in g.weights.iter().enumerate() {
                acc += w;
                if u < acc {
                    pick = i;
                    break;
                }
            }
            let moved: Vec<f64> = g.theta[pick]
                .iter()
                .zip(&scale)
                .map(|(x, s)| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    x + s * z
                })
                .collect();
            moved.iter().all(|x| (0.0..=1.0).contains(x)).then_some(moved)
        };
        let mut theta = Vec::new();
        let mut shares = Vec::new();
        let mut misses = Vec::new();
        let mut matched_rows: Vec<Vec<f64>> = Vec::new();
        let mut proposals = 0usize;
        let mut runs = 0u64;
        let limit = n.saturating_mul(settings.max_proposals_per_particle).max(n);
        let batch = n.max(64);
        while theta.len() < n && proposals < limit {
            let ids: Vec<usize> = (proposals..(proposals + batch).min(limit)).collect();
            let results: Vec<Option<Scored>> = ids
                .par_iter()
                .map(|&j| {
                    let th = propose(j)?;
                    let eval = evaluate(proposal_id(t, j), &th);
                    let reps = eval.len().max(1) as f64;
                    let k = eval.first().map_or(0, Vec::len);
                    let miss: Vec<u32> =
                        eval.iter().map(|r| r.iter().filter(|m| !**m).count() as u32).collect();
                    let a = miss.iter().filter(|m| **m <= eps).count() as f64 / reps;
                    let mean_miss = miss.iter().map(|m| f64::from(*m)).sum::<f64>() / reps;
                    let per_obs: Vec<f64> = (0..k)
                        .map(|o| eval.iter().filter(|r| r[o]).count() as f64 / reps)
                        .collect();
                    Some((th, a, mean_miss, per_obs, eval.len() as u64))
                })
                .collect();
            let mut used = ids.len();
            for (k, r) in results.into_iter().enumerate() {
                let Some(r) = r else { continue };
                runs += r.4;
                if r.1 > 0.0 && theta.len() < n {
                    theta.push(r.0);
                    shares.push(r.1);
                    misses.push(r.2);
                    matched_rows.push(r.3);
                    if theta.len() == n {
                        used = k + 1;
                    }
                }
            }
            proposals += used;
        }
        if theta.len() < n {
            return Ok((
                generations,
                Stop::OutOfReach { generation: t, tolerance: eps, found: theta.len(), proposals },
            ));
        }
        // Weights: a × prior / proposal density (the prior is uniform on the cube, density 1).
        let mut weights: Vec<f64> = match &previous {
            None => shares.clone(),
            Some(g) => theta
                .iter()
                .zip(&shares)
                .map(|(th, a)| {
                    let density: f64 = g
                        .theta
                        .iter()
                        .zip(&g.weights)
                        .map(|(tj, wj)| {
                            wj * th
                                .iter()
                                .zip(tj)
                                .zip(&scale)
                                .map(|((x, y), s)| gaussian(x - y, *s))
                                .product::<f64>()
                        })
                        .sum();
                    if density > 0.0 { a / density } else { 0.0 }
                })
                .collect(),
        };
        let total: f64 = weights.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(format!("generation {t}: the weights do not sum to a positive number"));
        }
        let evidence = total / proposals as f64;
        for w in &mut weights {
            *w /= total;
        }
        let k = matched_rows.first().map_or(0, Vec::len);
        let matched = (0..k).map(|o| matched_rows.iter().map(|r| r[o]).collect()).collect();
        let g = Generation {
            tolerance: eps,
            theta,
            weights,
            accepted_share: shares,
            mean_misses: misses,
            matched,
            proposals,
            runs,
            evidence,
        };
        done(&g)?;
        generations.push(g);
    }
    Ok((generations, Stop::Done))
}

/// The normal density with standard deviation `s` at `x` (0 when `s` is 0 and `x` is not).
fn gaussian(x: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return if x == 0.0 { 1.0 } else { 0.0 };
    }
    (-(x * x) / (2.0 * s * s)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy model with a known posterior: k Bernoulli(θ) observations. With a uniform prior
    /// and `m` of `k` observations equal to 1, the posterior of θ is Beta(m + 1, k - m + 1).
    fn toy(observed: Vec<bool>, replicates: u64) -> impl Fn(u64, &[f64]) -> Evaluation + Sync {
        move |id: u64, th: &[f64]| {
            (0..replicates)
                .map(|r| {
                    let mut rng = Pcg64::new(u128::from(splitmix64(id ^ splitmix64(r))), 3);
                    observed.iter().map(|o| (rng.random::<f64>() < th[0]) == *o).collect()
                })
                .collect()
        }
    }

    fn settings(seed: u64) -> Settings {
        Settings {
            dims: 1,
            particles: 400,
            replicates: 4,
            tolerances: vec![3, 1, 0],
            seed,
            max_proposals_per_particle: 200,
        }
    }

    #[test]
    fn recovers_a_beta_posterior() {
        // 6 of 8 observations are 1: the posterior is Beta(7, 3), mean 0.7, sd 0.138.
        let obs = vec![true, true, false, true, true, true, false, true];
        let (gens, stop) = run(&settings(5), Vec::new(), &toy(obs, 4), &mut |_| Ok(())).unwrap();
        assert_eq!(stop, Stop::Done);
        let last = gens.last().unwrap();
        let (m, sd) = last.mean_sd(0);
        // With an ESS of a few hundred, the mean's Monte Carlo error is about sd / sqrt(ESS):
        // 0.138 / sqrt(150) = 0.011; four of those is 0.045.
        assert!(last.ess() > 150.0, "ESS {}", last.ess());
        assert!((m - 0.7).abs() < 0.045, "posterior mean {m}");
        assert!((sd - 0.138).abs() < 0.04, "posterior sd {sd}");
        // At tolerance 0 the evidence is the probability of the exact observed sequence under
        // the prior: the Beta function B(7, 3) = 6! 2! / 9! = 1/252.
        let z = last.evidence;
        assert!((z * 252.0 - 1.0).abs() < 0.25, "evidence {z} against 1/252");
    }

    #[test]
    fn the_same_seed_gives_the_same_population_on_any_thread_count() {
        let obs = vec![true, false, true, true];
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let a =
            one.install(|| run(&settings(9), Vec::new(), &toy(obs.clone(), 4), &mut |_| Ok(())));
        let b = two.install(|| run(&settings(9), Vec::new(), &toy(obs, 4), &mut |_| Ok(())));
        assert_eq!(a, b);
    }

    /// Simulation-based calibration (Talts et al. 2018): draw a truth from the prior, simulate
    /// observations from it, calibrate, and see whether the truth falls inside the 90% central
    /// credible interval. A correct method covers it in 90% of trials.
    ///
    /// `method` turns (truth's observations, an independent draw's observations) into what the
    /// calibration is given: the correct method passes the first.
    fn coverage(trials: u64, method: fn(Vec<bool>, Vec<bool>) -> Option<Vec<bool>>) -> (u64, f64) {
        let mut covered = 0;
        let mut width = 0.0;
        for trial in 0..trials {
            let mut rng = Pcg64::new(u128::from(splitmix64(0x5BC ^ trial)), 5);
            let truth: f64 = rng.random::<f64>();
            let other: f64 = rng.random::<f64>();
            let draw = |p: f64, rng: &mut Pcg64| -> Vec<bool> {
                (0..6).map(|_| rng.random::<f64>() < p).collect()
            };
            let observed = draw(truth, &mut rng);
            let elsewhere = draw(other, &mut rng);
            let given = method(observed, elsewhere);
            let s =
                Settings { particles: 300, max_proposals_per_particle: 2_000, ..settings(trial) };
            let (gens, stop) = match given {
                Some(obs) => run(&s, Vec::new(), &toy(obs, 4), &mut |_| Ok(())).unwrap(),
                // The observations ignored: every run "reproduces" them.
                None => {
                    run(&s, Vec::new(), &|_, _| vec![vec![true; 6]; 4], &mut |_| Ok(())).unwrap()
                }
            };
            assert_eq!(stop, Stop::Done);
            let g = gens.last().unwrap();
            let (lo, hi) = (g.quantile(0, 0.05), g.quantile(0, 0.95));
            covered += u64::from(lo <= truth && truth <= hi);
            width += hi - lo;
        }
        (covered, width / trials as f64)
    }

    /// Whether a method is right by two checks that can fail: the truth's coverage is 0.9
    /// (0.9 inside the 99% Wilson interval of the observed share), and the posterior is
    /// narrower than the prior's 90% interval (0.9 wide) on average, at most 0.7: with six
    /// Bernoulli observations the exact posterior's 90% interval is about 0.5 wide.
    fn passes(covered: u64, trials: u64, width: f64) -> bool {
        let (_, lo, hi) = crate::stats::wilson_at(covered, trials, crate::stats::Z99);
        lo <= 0.9 && 0.9 <= hi && width < 0.7
    }

    #[test]
    fn simulation_based_calibration_covers_the_truth_and_catches_broken_methods() {
        // 200 trials: if the coverage were 0.8 or 0.97 instead of 0.9, the 99% interval
        // (half-width about 0.055 at n = 200) would exclude 0.9 with high probability.
        let trials = 200;
        let (covered, width) = coverage(trials, |obs, _| Some(obs));
        eprintln!("correct: {covered}/{trials} covered, mean 90% width {width:.3}");
        assert!(passes(covered, trials, width), "{covered}/{trials}, width {width}");
        // Broken: the observations ignored. Coverage stays near 0.9 (the prior covers a
        // prior-drawn truth), but nothing is learnt: caught by the width.
        let (c, w) = coverage(trials, |_, _| None);
        eprintln!("observations ignored: {c}/{trials}, width {w:.3}");
        assert!(!passes(c, trials, w), "ignoring the observations was not caught");
        // Broken: another truth's observations. Narrow but wrong: caught by the coverage.
        let (c, w) = coverage(trials, |_, other| Some(other));
        eprintln!("wrong observations: {c}/{trials}, width {w:.3}");
        assert!(!passes(c, trials, w), "calibrating to the wrong observations was not caught");
    }

    #[test]
    fn an_unreachable_tolerance_stops_with_what_it_has() {
        // A model that never reproduces the second observation: tolerance 0 is out of reach.
        let never = |_: u64, _: &[f64]| vec![vec![true, false]; 2];
        let s = Settings { tolerances: vec![1, 0], max_proposals_per_particle: 3, ..settings(1) };
        let (gens, stop) = run(&s, Vec::new(), &never, &mut |_| Ok(())).unwrap();
        assert_eq!(gens.len(), 1);
        assert!(matches!(stop, Stop::OutOfReach { generation: 1, tolerance: 0, found: 0, .. }));
    }
}
