//! A finished calibration's posterior, read back: its points and weights, checked, and runs
//! drawn from it for `replay --posterior`, `branches --posterior` and `claims --posterior`.

use std::path::Path;
use std::sync::Arc;

use sidelines_scenario::Scenario;

use sidelines_report::manifest::Kind;

use crate::error::{Result, input};

#[derive(Debug)]
/// A finished calibration's posterior: its scenario's name (with the record in it), the
/// parameter paths, and the last generation's points (actual scale) with normalised weights.
pub struct Posterior {
    pub scenario: String,
    pub paths: Vec<String>,
    pub points: Vec<(Vec<f64>, f64)>,
}

/// Reads `dir`'s manifest and particles.csv.
pub fn read_posterior(dir: &Path) -> Result<Posterior> {
    let bad = |what: String| input(format!("--posterior {}: {what}", dir.display()));
    let manifest = sidelines_report::folder::check(dir)?.manifest;
    if manifest.kind != Kind::Calibrate {
        return Err(bad(String::from(
            "is not a calibration folder (its manifest's kind is not calibrate)",
        )));
    }
    let paths = manifest.parameter_paths();
    let file = dir.join("particles.csv");
    let mut r = csv::Reader::from_path(&file).map_err(|e| bad(format!("particles.csv: {e}")))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| bad(format!("particles.csv: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(g), Some(w)) = (col("generation"), col("weight")) else {
        return Err(bad(String::from("particles.csv lacks the generation or weight column")));
    };
    let cols: Vec<usize> = paths
        .iter()
        .map(|p| col(p).ok_or_else(|| bad(format!("particles.csv has no column {p}"))))
        .collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("particles.csv: {e}")))?;
        let num = |k: usize| -> Result<f64> {
            rec.get(k).and_then(|x| x.parse::<f64>().ok()).filter(|x| x.is_finite()).ok_or_else(
                || {
                    bad(format!(
                        "particles.csv line {}: not a number in column {}",
                        line + 2,
                        k + 1
                    ))
                },
            )
        };
        // A generation is a whole number from 0: a damaged `-1` was read as 0 before.
        let generation =
            rec.get(g).and_then(|x| x.trim().parse::<u64>().ok()).ok_or_else(|| {
                bad(format!(
                    "particles.csv line {}: the generation `{}` is not a whole number from 0",
                    line + 2,
                    rec.get(g).unwrap_or_default()
                ))
            })?;
        let values = cols.iter().map(|&k| num(k)).collect::<Result<Vec<f64>>>()?;
        rows.push((generation, values, num(w)?));
    }
    let last = rows.iter().map(|r| r.0).max().ok_or_else(|| bad(String::from("no particles")))?;
    let points: Vec<(Vec<f64>, f64)> =
        rows.into_iter().filter(|r| r.0 == last).map(|r| (r.1, r.2)).collect();
    // A calibration writes each generation's weights normalised: each in [0, 1], summing to 1
    // up to the 17 digits they are written with. Anything else is a damaged file (weights of
    // 1e308 overflowed the sum, after which every run took the last particle).
    let total: f64 = points.iter().map(|p| p.1).sum();
    if points.iter().any(|p| !(0.0..=1.0).contains(&p.1))
        || !((1.0 - 1e-9)..=(1.0 + 1e-9)).contains(&total)
    {
        return Err(bad(format!(
            "particles.csv: the last generation's weights are not a distribution (each in [0, 1], \
             summing to 1; they sum to {total}): the file is damaged"
        )));
    }
    let points = points.into_iter().map(|(v, w)| (v, w / total)).collect();
    let scenario = manifest.scenario_name().to_string();
    Ok(Posterior { scenario, paths, points })
}

/// The calibrated paths that belong to an actor `scenario` does not have at all
/// (`actors.JP.transfer` for an episode without Tokyo): no number of that actor enters its
/// runs, so applying the posterior there integrates them out exactly (the marginal posterior
/// of the other paths).
pub fn marginalised(paths: &[String], scenario: &Scenario) -> Vec<String> {
    paths.iter().filter(|p| of_absent_actor(p, scenario)).cloned().collect()
}

fn of_absent_actor(path: &str, scenario: &Scenario) -> bool {
    path.strip_prefix("actors.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(code, _)| !scenario.actors.iter().any(|a| a.code == code))
}

/// The indices of the calibrated paths that apply to `scenario`: every path but those of
/// actors it does not have (`marginalised`). Any other path it lacks is an error naming it.
pub fn applicable(
    paths: &[String],
    scenario: &Scenario,
) -> std::result::Result<Vec<usize>, String> {
    let known: Vec<String> = scenario.parameters().into_iter().map(|(p, _, _)| p).collect();
    let kept: Vec<usize> =
        (0..paths.len()).filter(|&i| !of_absent_actor(&paths[i], scenario)).collect();
    match kept.iter().map(|&i| &paths[i]).find(|p| !known.contains(p)) {
        Some(missing) => Err(missing.clone()),
        None => Ok(kept),
    }
}

/// Each run's scenario under a calibration's posterior: `runs` draws of its points
/// (systematic resampling), each the replay scenario with the point's values set. The replay
/// may be of another scenario than the calibration's, if it has every calibrated path; paths
/// of actors it does not have at all are integrated out (`marginalised`).
pub fn posterior_runs(dir: &Path, replay: &Scenario, runs: usize) -> Result<Vec<Arc<Scenario>>> {
    let post = read_posterior(dir)?;
    // A posterior applies to any scenario that has its parameter paths (another episode's
    // replay, say): what it needs is the paths, not the name it was fitted under.
    let kept = applicable(&post.paths, replay).map_err(|missing| {
        input(format!(
            "--posterior {}: the calibration (of `{}`) sets `{missing}`, which `{}` does not have",
            dir.display(),
            post.scenario,
            replay.name
        ))
    })?;
    let mut points: Vec<Arc<Scenario>> = Vec::with_capacity(post.points.len());
    for (values, _) in &post.points {
        let sets = kept.iter().map(|&i| (post.paths[i].as_str(), values[i]));
        let s = replay.with_values(sets).map_err(|e| {
            input(format!("--posterior {}: a point does not validate: {e}", dir.display()))
        })?;
        points.push(Arc::new(s));
    }
    Ok(resample(&post.points, runs).into_iter().map(|k| points[k].clone()).collect())
}

/// `n` draws from the posterior by systematic resampling (the r-th draw is the point whose
/// cumulative weight first reaches (r + 1/2) / n): deterministic, each point drawn in
/// proportion to its weight up to rounding.
pub fn resample(points: &[(Vec<f64>, f64)], n: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(n);
    let mut acc = 0.0;
    let mut k = 0;
    for r in 0..n {
        let target = (r as f64 + 0.5) / n as f64;
        while k + 1 < points.len() && acc + points[k].1 < target {
            acc += points[k].1;
            k += 1;
        }
        out.push(k);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path of an actor the scenario lacks is integrated out; a path of one it has, but
    /// that it does not have, is an error naming the path.
    #[test]
    fn paths_of_absent_actors_are_integrated_out_and_others_must_exist() {
        let s =
            sidelines_scenario::load_embedded("ukraine-watch").expect("embedded").expect("valid");
        let paths = |p: &[&str]| p.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let got = applicable(
            &paths(&["actors.ZZ.transfer", "beliefs.statement_weight", "actors.KP.transfer"]),
            &s,
        );
        assert_eq!(got, Ok(vec![1, 2]));
        assert_eq!(
            marginalised(&paths(&["actors.ZZ.transfer", "actors.KP.transfer"]), &s),
            ["actors.ZZ.transfer"]
        );
        let bad = applicable(&paths(&["actors.KP.no_such_number", "actors.ZZ.transfer"]), &s);
        assert_eq!(bad, Err(String::from("actors.KP.no_such_number")));
    }

    #[test]
    fn systematic_resampling_draws_in_proportion_to_weight() {
        let pts = |w: &[f64]| w.iter().map(|w| (Vec::new(), *w)).collect::<Vec<_>>();
        assert_eq!(resample(&pts(&[0.5, 0.25, 0.25]), 4), vec![0, 0, 1, 2]);
        assert_eq!(resample(&pts(&[0.0, 1.0]), 3), vec![1, 1, 1]);
        let counts = resample(&pts(&[0.1, 0.6, 0.3]), 1000).iter().fold([0; 3], |mut c, k| {
            c[*k] += 1;
            c
        });
        assert_eq!(counts, [100, 600, 300]);
    }
}
