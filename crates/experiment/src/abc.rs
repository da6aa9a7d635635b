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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scored {
    pub theta: Vec<f64>,
    pub accepted: f64,
    pub mean_misses: f64,
    pub matched: Vec<f64>,
    pub runs: u64,
}

/// The generation being filled: the proposals kept so far, the proposals drawn (the index of
/// the next batch's first) and the runs made.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Filling {
    pub kept: Vec<Scored>,
    pub proposals: usize,
    pub runs: u64,
}

fn rng_for(seed: u64, generation: usize, proposal: usize) -> Pcg64 {
    let s = splitmix64(splitmix64(seed ^ splitmix64(generation as u64)) ^ proposal as u64);
    Pcg64::new(u128::from(s) << 64 | 0x00AB_C53C, 17)
}

/// The identity of proposal j of generation t, for the caller's run seeds.
pub fn proposal_id(generation: usize, proposal: usize) -> u64 {
    ((generation as u64) << 40) | proposal as u64
}

/// Proposals are drawn and evaluated in batches of this many: batch k is proposals
/// `[k·B, (k+1)·B)` of its generation (cut at `limit`).
pub fn batch_size(settings: &Settings) -> usize {
    settings.particles.max(64)
}

/// The proposals a generation may draw before it gives up.
pub fn limit(settings: &Settings) -> usize {
    let n = settings.particles;
    n.saturating_mul(settings.max_proposals_per_particle).max(n)
}

/// The perturbation kernel's scale per coordinate: a Gaussian with twice the previous
/// population's weighted variance (Beaumont et al. 2009); none at generation 0.
fn kernel_scale(settings: &Settings, previous: Option<&Generation>) -> Vec<f64> {
    match previous {
        Some(g) => (0..settings.dims).map(|d| (2.0f64).sqrt() * g.mean_sd(d).1).collect(),
        None => Vec::new(),
    }
}

/// What scores proposals: `evaluate(id, θ)` gives a proposal's replicates (`id` from
/// `proposal_id`, θ in the unit cube). Any `Fn(u64, &[f64]) -> Evaluation` is one, taking
/// proposals one at a time; an evaluator that runs several proposals side by side (in one
/// world of runs) says how many it takes at once with `per_task` and scores them together in
/// `evaluate_many`. Each proposal's evaluation must not depend on the others it is taken with.
pub trait Evaluator: Sync {
    fn evaluate(&self, id: u64, theta: &[f64]) -> Evaluation;

    /// How many proposals one task takes.
    fn per_task(&self) -> usize {
        1
    }

    /// The evaluations of `proposals` (id, θ), in their order.
    fn evaluate_many(&self, proposals: &[(u64, &[f64])]) -> Vec<Evaluation> {
        proposals.iter().map(|(id, th)| self.evaluate(*id, th)).collect()
    }
}

impl<F: Fn(u64, &[f64]) -> Evaluation + Sync + ?Sized> Evaluator for F {
    fn evaluate(&self, id: u64, theta: &[f64]) -> Evaluation {
        self(id, theta)
    }
}

/// Proposals `ids` of generation `t` (whose previous population is `previous`), drawn and
/// evaluated in parallel on the current rayon pool, `evaluator.per_task()` proposals a task;
/// `None` where a move left the cube. A pure function of its arguments, so any machine may
/// score any batch, in tasks of any size.
pub fn score<E: Evaluator + ?Sized>(
    settings: &Settings,
    previous: Option<&Generation>,
    t: usize,
    ids: std::ops::Range<usize>,
    evaluator: &E,
) -> Vec<Option<Scored>> {
    let eps = settings.tolerances.get(t).copied().unwrap_or(0);
    let scale = kernel_scale(settings, previous);
    let propose = |j: usize| -> Option<Vec<f64>> {
        let mut rng = rng_for(settings.seed, t, j);
        let Some(g) = previous else {
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
    let ids: Vec<usize> = ids.collect();
    let proposed: Vec<Option<Vec<f64>>> = ids.par_iter().map(|&j| propose(j)).collect();
    // Only proposals inside the cube are evaluated, in tasks of `per_task`.
    let inside: Vec<(u64, &[f64])> = ids
        .iter()
        .zip(&proposed)
        .filter_map(|(&j, th)| Some((proposal_id(t, j), th.as_deref()?)))
        .collect();
    let evaluations: Vec<Evaluation> = inside
        .par_chunks(evaluator.per_task().max(1))
        .flat_map_iter(|task| {
            let evals = evaluator.evaluate_many(task);
            assert_eq!(evals.len(), task.len(), "an evaluation for every proposal");
            evals
        })
        .collect();
    let mut evaluations = evaluations.into_iter();
    proposed
        .into_iter()
        .map(|th| {
            let th = th?;
            let eval = evaluations.next().unwrap_or_default();
            let reps = eval.len().max(1) as f64;
            let k = eval.first().map_or(0, Vec::len);
            let miss: Vec<u32> =
                eval.iter().map(|r| r.iter().filter(|m| !**m).count() as u32).collect();
            let a = miss.iter().filter(|m| **m <= eps).count() as f64 / reps;
            let mean_misses = miss.iter().map(|m| f64::from(*m)).sum::<f64>() / reps;
            let matched: Vec<f64> =
                (0..k).map(|o| eval.iter().filter(|r| r[o]).count() as f64 / reps).collect();
            Some(Scored { theta: th, accepted: a, mean_misses, matched, runs: eval.len() as u64 })
        })
        .collect()
}

/// Where `drive` stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum Driven {
    /// Every generation is done, or one was out of reach.
    Finished(Vec<Generation>, Stop),
    /// The batch source had nothing more: the generations so far and the one being filled.
    Paused { generations: Vec<Generation>, filling: Filling },
}

/// What `drive` asks for: the scores of batch `ids` of generation `t` (whose previous population
/// is given), or `None` to pause.
pub type BatchSource<'a> = dyn FnMut(usize, Option<&Generation>, std::ops::Range<usize>) -> Option<Vec<Option<Scored>>>
    + 'a;

/// Runs ABC-SMC from generation `generations.len()` on, continuing `filling`, taking each
/// batch's scores from `batch` and calling `done(&generation)` after each generation (for
/// checkpoints). The population of a generation is the first `particles` proposals with
/// `a > 0` in index order, batch by batch, so it does not depend on who scored the batches.
pub fn drive(
    settings: &Settings,
    mut generations: Vec<Generation>,
    mut filling: Filling,
    batch: &mut BatchSource<'_>,
    done: &mut dyn FnMut(&Generation) -> Result<(), String>,
) -> Result<Driven, String> {
    let n = settings.particles;
    let size = batch_size(settings);
    let limit = limit(settings);
    for t in generations.len()..settings.tolerances.len() {
        let eps = settings.tolerances[t];
        let previous = generations.last().cloned();
        let mut f = std::mem::take(&mut filling);
        while f.kept.len() < n && f.proposals < limit {
            let ids = f.proposals..(f.proposals + size).min(limit);
            let Some(results) = batch(t, previous.as_ref(), ids.clone()) else {
                return Ok(Driven::Paused { generations, filling: f });
            };
            let mut used = ids.len();
            for (k, r) in results.into_iter().enumerate() {
                let Some(r) = r else { continue };
                f.runs += r.runs;
                if r.accepted > 0.0 && f.kept.len() < n {
                    f.kept.push(r);
                    if f.kept.len() == n {
                        used = k + 1;
                    }
                }
            }
            f.proposals += used;
        }
        if f.kept.len() < n {
            let stop = Stop::OutOfReach {
                generation: t,
                tolerance: eps,
                found: f.kept.len(),
                proposals: f.proposals,
            };
            return Ok(Driven::Finished(generations, stop));
        }
        let scale = kernel_scale(settings, previous.as_ref());
        // Weights: a × prior / proposal density (the prior is uniform on the cube, density 1).
        let mut weights: Vec<f64> = match &previous {
            None => f.kept.iter().map(|k| k.accepted).collect(),
            Some(g) => f
                .kept
                .iter()
                .map(|k| {
                    let density: f64 = g
                        .theta
                        .iter()
                        .zip(&g.weights)
                        .map(|(tj, wj)| {
                            wj * k
                                .theta
                                .iter()
                                .zip(tj)
                                .zip(&scale)
                                .map(|((x, y), s)| gaussian(x - y, *s))
                                .product::<f64>()
                        })
                        .sum();
                    if density > 0.0 { k.accepted / density } else { 0.0 }
                })
                .collect(),
        };
        let total: f64 = weights.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(format!("generation {t}: the weights do not sum to a positive number"));
        }
        let evidence = total / f.proposals as f64;
        for w in &mut weights {
            *w /= total;
        }
        let k = f.kept.first().map_or(0, |r| r.matched.len());
        let matched = (0..k).map(|o| f.kept.iter().map(|r| r.matched[o]).collect()).collect();
        let g = Generation {
            tolerance: eps,
            accepted_share: f.kept.iter().map(|r| r.accepted).collect(),
            mean_misses: f.kept.iter().map(|r| r.mean_misses).collect(),
            theta: f.kept.into_iter().map(|r| r.theta).collect(),
            weights,
            matched,
            proposals: f.proposals,
            runs: f.runs,
            evidence,
        };
        done(&g)?;
        generations.push(g);
    }
    Ok(Driven::Finished(generations, Stop::Done))
}

/// Runs ABC-SMC from generation `start.len()` on, evaluating each proposal with `evaluate` (see
/// `Evaluator`) and `done(&generation)` after each generation
/// (for checkpoints). Returns every generation and why it stopped.
pub fn run<E: Evaluator + ?Sized>(
    settings: &Settings,
    generations: Vec<Generation>,
    evaluate: &E,
    done: &mut dyn FnMut(&Generation) -> Result<(), String>,
) -> Result<(Vec<Generation>, Stop), String> {
    let mut source = |t: usize, previous: Option<&Generation>, ids: std::ops::Range<usize>| {
        Some(score(settings, previous, t, ids, evaluate))
    };
    match drive(settings, generations, Filling::default(), &mut source, done)? {
        Driven::Finished(generations, stop) => Ok((generations, stop)),
        Driven::Paused { .. } => Err(String::from("the batch source paused")),
    }
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
                None => run(
                    &s,
                    Vec::new(),
                    &|_: u64, _: &[f64]| vec![vec![true; 6]; 4],
                    &mut |_| Ok(()),
                )
                .unwrap(),
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

    /// Batches scored elsewhere, a few at a time with pauses between (as waves of shards on a
    /// cluster), give the generations of one uninterrupted run, bit for bit.
    #[test]
    fn paused_and_continued_in_waves_gives_the_same_generations() {
        let obs = vec![true, false, true, true, false];
        let s = Settings { particles: 100, ..settings(4) };
        let evaluate = toy(obs, 3);
        let whole = run(&s, Vec::new(), &evaluate, &mut |_| Ok(())).unwrap();
        for per_wave in [1, 3] {
            let (mut generations, mut filling) = (Vec::new(), Filling::default());
            let mut waves = 0;
            let finished = loop {
                waves += 1;
                let mut left = per_wave;
                let mut source =
                    |t: usize, prev: Option<&Generation>, ids: std::ops::Range<usize>| {
                        if left == 0 {
                            return None;
                        }
                        left -= 1;
                        Some(score(&s, prev, t, ids, &evaluate))
                    };
                match drive(&s, generations, filling, &mut source, &mut |_| Ok(())).unwrap() {
                    Driven::Finished(g, stop) => break (g, stop),
                    Driven::Paused { generations: g, filling: f } => {
                        (generations, filling) = (g, f)
                    }
                }
            };
            assert!(waves > 3, "the run paused ({waves} waves)");
            assert_eq!(finished, whole, "{per_wave} batches a wave");
        }
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
