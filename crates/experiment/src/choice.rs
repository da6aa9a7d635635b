//! ABC model choice with a reference table (Grelaud, Robert, Marin, Rodolphe and Taly 2009;
//! Toni and Stumpf 2010 for the model index as one more unknown; Pudlo et al. 2016 for the
//! reference table and the prior error rate).
//!
//! The table holds, for each model, draws of its parameters from their prior (uniform on the
//! unit cube, scaled by the caller) and `replicates` simulated records per draw. A record is
//! the category of each observation (yes/no, a label, down/flat/up), so the data enter whole:
//! no summary statistic stands between the record and the choice, which is what makes ABC
//! model choice consistent (Robert, Cornuet, Marin and Pillai 2011 show how an insufficient
//! summary misleads it). A record's distance to a simulated one is the number of observations
//! whose categories differ.
//!
//! Given a record, the `accept` nearest simulated records are kept (every one tied at the
//! boundary with them: the tolerance is the smallest distance that keeps at least `accept`).
//! Each kept record weighs `1 / valid draws of its model`, so that a model whose prior has
//! points that do not validate (a truncated prior) is not penalised for them, and the models'
//! prior is uniform. The posterior probability of a model is its share of the kept weight.
//! Its Monte Carlo error is the self-normalised importance-sampling standard error with the
//! draws as clusters (the replicates of one draw share its parameters, so they are not
//! independent): `se² = Σ_i (w_i (1[m_i = m] − p_m))² / (Σ_i w_i)²`, `w_i` a draw's kept
//! weight.
//!
//! The synthetic check: records simulated from each model (the first replicate of its first
//! `checks` valid draws), each chosen from the rest of the table (its own draw left out), give
//! how often each model comes out most probable on records it made (the confusion matrix).

use rand::RngExt;
use rand_pcg::Pcg64;
use rayon::prelude::*;

use sidelines_model::splitmix64;

/// Records simulated under each model. Draws that did not validate are counted, not kept.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Observations per record.
    pub observations: usize,
    /// Records per draw.
    pub replicates: usize,
    /// Per kept draw, its model.
    pub model_of: Vec<usize>,
    /// Per kept draw, its parameters in the unit cube.
    pub theta: Vec<Vec<f64>>,
    /// Draw-major, then replicate, then observation: each record's categories.
    pub records: Vec<u8>,
    /// Per model, draws that validated.
    pub valid: Vec<u64>,
    /// Per model, draws that did not validate.
    pub invalid: Vec<u64>,
}

/// A record's posterior over the models.
#[derive(Clone, Debug, PartialEq)]
pub struct Posterior {
    pub probability: Vec<f64>,
    /// Monte Carlo standard error of each probability.
    pub se: Vec<f64>,
    /// The tolerance: kept records differ from the record in at most this many observations.
    pub tolerance: usize,
    /// Records kept, per model.
    pub kept: Vec<u64>,
    /// The draws with records kept, and each one's share of the kept weight.
    pub weights: Vec<(usize, f64)>,
}

impl Posterior {
    /// The most probable model, or None when two or more share the highest probability.
    pub fn winner(&self) -> Option<usize> {
        winner(&self.probability)
    }
}

/// The index of the highest of `probability`, or None when it is shared or not above 0.
pub fn winner(probability: &[f64]) -> Option<usize> {
    let best = probability.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let at: Vec<usize> =
        (0..probability.len()).filter(|&m| probability[m] == best && best > 0.0).collect();
    (at.len() == 1).then(|| at[0])
}

/// The RNG of draw `draw` of model `model`.
pub fn rng_for(seed: u64, model: usize, draw: usize) -> Pcg64 {
    let s = splitmix64(splitmix64(seed ^ splitmix64(0xC401_CE00 ^ model as u64)) ^ draw as u64);
    Pcg64::new(u128::from(s) << 64 | 0x00C4_01CE, 23)
}

/// Draw `draw` of model `model`'s parameters: uniform on the unit cube of `dims` coordinates.
pub fn draw(seed: u64, model: usize, draw: usize, dims: usize) -> Vec<f64> {
    let mut rng = rng_for(seed, model, draw);
    (0..dims).map(|_| rng.random::<f64>()).collect()
}

/// The identity of draw `draw` of model `model`, for the caller's run seeds.
pub fn draw_id(model: usize, draw: usize) -> u64 {
    ((model as u64) << 32) | draw as u64
}

impl Table {
    pub fn models(&self) -> usize {
        self.valid.len()
    }

    fn record(&self, draw: usize, replicate: usize) -> &[u8] {
        let at = (draw * self.replicates + replicate) * self.observations;
        &self.records[at..at + self.observations]
    }

    /// The posterior over the models of `record` from the `accept` nearest simulated records,
    /// leaving draw `leave_out` out of the table.
    pub fn posterior(&self, record: &[u8], accept: usize, leave_out: Option<usize>) -> Posterior {
        let (n, r) = (self.model_of.len(), self.replicates);
        let distances: Vec<u32> = (0..n * r)
            .map(|k| {
                let at = k * self.observations;
                let sim = &self.records[at..at + self.observations];
                sim.iter().zip(record).map(|(a, b)| u32::from(a != b)).sum()
            })
            .collect();
        // The smallest tolerance that keeps `accept` records.
        let mut histogram = vec![0u64; self.observations + 1];
        for (k, d) in distances.iter().enumerate() {
            if Some(k / r) != leave_out {
                histogram[*d as usize] += 1;
            }
        }
        let mut tolerance = self.observations;
        let mut total = 0u64;
        for (d, count) in histogram.iter().enumerate() {
            total += count;
            if total >= accept as u64 {
                tolerance = d;
                break;
            }
        }
        let models = self.models();
        let mut kept = vec![0u64; models];
        // Per draw: its model and its kept weight.
        let mut weights: Vec<(usize, f64)> = Vec::new();
        for i in 0..n {
            if Some(i) == leave_out {
                continue;
            }
            let m = self.model_of[i];
            let hits =
                distances[i * r..(i + 1) * r].iter().filter(|d| **d as usize <= tolerance).count();
            if hits > 0 {
                kept[m] += hits as u64;
                let valid =
                    self.valid[m] - u64::from(leave_out.is_some_and(|j| self.model_of[j] == m));
                weights.push((i, hits as f64 / valid.max(1) as f64));
            }
        }
        let sum: f64 = weights.iter().map(|(_, w)| w).sum();
        let mut probability = vec![0.0; models];
        if sum > 0.0 {
            for (i, w) in &weights {
                probability[self.model_of[*i]] += w / sum;
            }
        }
        let weights = weights.into_iter().map(|(i, w)| (i, w / sum)).collect();
        let mut posterior =
            Posterior { probability, se: vec![0.0; models], tolerance, kept, weights };
        for m in 0..models {
            let members: Vec<bool> = (0..models).map(|k| k == m).collect();
            posterior.se[m] = posterior.share(self, &members).1;
        }
        posterior
    }

    /// The draws each model's synthetic records come from: its first `checks` kept draws.
    pub fn check_draws(&self, checks: usize) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.models()];
        for (i, m) in self.model_of.iter().enumerate() {
            if out[*m].len() < checks {
                out[*m].push(i);
            }
        }
        out
    }

    /// The confusion matrix: per model, how many of its synthetic records each model won
    /// (the last column: records where the highest probability was tied). Each record is the
    /// first replicate of one of the model's first `checks` draws, chosen with its draw left
    /// out. Runs on the current rayon pool; the result does not depend on its size.
    pub fn confusion(&self, accept: usize, checks: usize) -> Vec<Vec<u64>> {
        let models = self.models();
        self.check_draws(checks)
            .iter()
            .map(|draws| {
                let winners: Vec<Option<usize>> = draws
                    .par_iter()
                    .map(|&i| self.posterior(self.record(i, 0), accept, Some(i)).winner())
                    .collect();
                let mut row = vec![0u64; models + 1];
                for w in winners {
                    row[w.unwrap_or(models)] += 1;
                }
                row
            })
            .collect()
    }
}

impl Posterior {
    /// The probability of a set of models (`members[m]`), and its Monte Carlo error: with the
    /// draws as clusters and `w_i` a draw's share of the kept weight,
    /// `se² = Σ_i (w_i (1[m_i ∈ set] − p))²`.
    pub fn share(&self, table: &Table, members: &[bool]) -> (f64, f64) {
        let p: f64 =
            (0..self.probability.len()).filter(|m| members[*m]).map(|m| self.probability[m]).sum();
        let v: f64 = self
            .weights
            .iter()
            .map(|(i, w)| {
                let x = w * (f64::from(u8::from(members[table.model_of[*i]])) - p);
                x * x
            })
            .sum();
        (p, v.sqrt())
    }
}

/// The coarsest resolution at which the records decide: groups of models such that records
/// simulated from a group's models are won by a model of the same group at least `bar` of the
/// time. From one group per model, the group recovered least (below `bar`) joins the group
/// that wins most of its records, until every group reaches `bar` or one is left. `confusion`
/// is `Table::confusion`'s (ties in its last column count as not recovered). Groups list their
/// models in order, and come in the order of their first model.
pub fn groups(confusion: &[Vec<u64>], bar: f64) -> Vec<Vec<usize>> {
    let models = confusion.len();
    let mut group: Vec<usize> = (0..models).collect();
    loop {
        let ids: Vec<usize> = {
            let mut g = group.clone();
            g.sort_unstable();
            g.dedup();
            g
        };
        if ids.len() <= 1 {
            break;
        }
        // Per group: records from it, and how many each group won.
        let won = |g: usize| -> (u64, Vec<u64>) {
            let mut by = vec![0u64; models];
            let mut n = 0;
            for m in (0..models).filter(|m| group[*m] == g) {
                n += confusion[m].iter().sum::<u64>();
                for (k, count) in confusion[m].iter().take(models).enumerate() {
                    by[group[k]] += count;
                }
            }
            (n, by)
        };
        let worst = ids
            .iter()
            .map(|&g| {
                let (n, by) = won(g);
                let share = if n == 0 { 1.0 } else { by[g] as f64 / n as f64 };
                (g, share, by)
            })
            .filter(|(_, share, _)| *share < bar)
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let Some((g, _, by)) = worst else {
            break;
        };
        // The group winning most of its records (the first on a tie); none if all were ties.
        let into = ids
            .iter()
            .filter(|&&h| h != g && by[h] > 0)
            .max_by(|a, b| by[**a].cmp(&by[**b]).then(b.cmp(a)));
        let Some(&into) = into else {
            break;
        };
        let (keep, gone) = (g.min(into), g.max(into));
        for x in group.iter_mut().filter(|x| **x == gone) {
            *x = keep;
        }
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    for m in 0..models {
        match out.iter_mut().find(|g| group[g[0]] == group[m]) {
            Some(g) => g.push(m),
            None => out.push(vec![m]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two models, one observation of two categories: model 0's draws all give category 0,
    /// model 1's give 0 and 1 alike.
    fn table() -> Table {
        let mut t = Table {
            observations: 1,
            replicates: 2,
            valid: vec![3, 3],
            invalid: vec![0, 0],
            ..Table::default()
        };
        for (m, recs) in
            [(0, [0u8, 0]), (0, [0, 0]), (0, [0, 0]), (1, [0, 1]), (1, [1, 0]), (1, [1, 1])]
        {
            t.model_of.push(m);
            t.theta.push(Vec::new());
            t.records.extend(recs);
        }
        t
    }

    #[test]
    fn posterior_is_each_models_share_of_the_kept_weight() {
        let t = table();
        // Record 0: tolerance 0 keeps 6 of model 0's records and 2 of model 1's, each model's
        // weight 1/3 per record: 6/8 and 2/8.
        let p = t.posterior(&[0], 1, None);
        assert_eq!(p.tolerance, 0);
        assert_eq!(p.kept, vec![6, 2]);
        assert!((p.probability[0] - 0.75).abs() < 1e-12);
        assert!((p.probability[1] - 0.25).abs() < 1e-12);
        assert_eq!(p.winner(), Some(0));
        // Record 1 is only made by model 1.
        let p = t.posterior(&[1], 1, None);
        assert_eq!(p.probability, vec![0.0, 1.0]);
        assert_eq!(p.se, vec![0.0, 0.0]);
        // Asking for more than tolerance 0 keeps moves the tolerance to 1: everything.
        let p = t.posterior(&[1], 5, None);
        assert_eq!(p.tolerance, 1);
        assert!((p.probability[0] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_standard_error_is_the_clustered_one() {
        let t = table();
        let p = t.posterior(&[0], 1, None);
        // Draw weights: model 0: 2/3 three times; model 1: 1/3, 1/3, 0 (not kept). Sum 8/3.
        let (w0, w1, sum): (f64, f64, f64) = (2.0 / 3.0, 1.0 / 3.0, 8.0 / 3.0);
        let v = 3.0 * (w0 * (1.0 - 0.75)) * (w0 * (1.0 - 0.75)) + 2.0 * (w1 * 0.75) * (w1 * 0.75);
        assert!((p.se[0] - v.sqrt() / sum).abs() < 1e-12);
        assert!((p.se[1] - p.se[0]).abs() < 1e-12, "two models: the same error");
    }

    #[test]
    fn a_draw_left_out_does_not_choose_its_own_record() {
        let t = table();
        // Draw 5's first record is 1; without draw 5, model 1 still makes 1 (draws 3 and 4).
        let p = t.posterior(&[1], 1, Some(5));
        assert_eq!(p.kept, vec![0, 2]);
        let c = t.confusion(1, 3);
        // Model 0's records (0) go to model 0; model 1's: draw 3 gives 0 (model 0 wins),
        // draws 4 and 5 give 1 (model 1 wins).
        assert_eq!(c, vec![vec![3, 0, 0], vec![1, 2, 0]]);
    }

    #[test]
    fn models_the_records_cannot_tell_apart_are_grouped() {
        // Models 0 and 1 are one model under two names; 2 is told apart; 3 is recovered 70%,
        // the rest of its records going to 2.
        let confusion = vec![
            vec![50, 50, 0, 0, 0],
            vec![45, 55, 0, 0, 0],
            vec![0, 0, 100, 0, 0],
            vec![0, 0, 30, 70, 0],
        ];
        assert_eq!(groups(&confusion, 0.8), vec![vec![0, 1], vec![2, 3]]);
        // At a bar of 0.5 every model reaches it (model 0 exactly).
        assert_eq!(groups(&confusion, 0.5), vec![vec![0], vec![1], vec![2], vec![3]]);
        // Even at a bar of 1 the two groups stand: each wins all its records.
        assert_eq!(groups(&confusion, 1.0), vec![vec![0, 1], vec![2, 3]]);
        // Records all tied cannot be moved anywhere: the group stays.
        assert_eq!(groups(&[vec![0, 0, 5], vec![0, 5, 0]], 0.8), vec![vec![0], vec![1]]);
        let t = table();
        let p = t.posterior(&[0], 1, None);
        let (share, se) = p.share(&t, &[true, true]);
        assert!((share - 1.0).abs() < 1e-12 && se < 1e-12, "all models: probability 1, exactly");
        let (share, se) = p.share(&t, &[true, false]);
        assert!((share - p.probability[0]).abs() < 1e-12 && (se - p.se[0]).abs() < 1e-12);
    }

    #[test]
    fn draws_are_a_pure_function_of_seed_model_and_draw() {
        assert_eq!(draw(7, 1, 3, 4), draw(7, 1, 3, 4));
        assert_ne!(draw(7, 1, 3, 4), draw(7, 2, 3, 4));
        assert_ne!(draw(7, 1, 3, 4), draw(7, 1, 4, 4));
        assert!(draw(7, 0, 0, 100).iter().all(|x| (0.0..1.0).contains(x)));
    }
}
