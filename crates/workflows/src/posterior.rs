//! A finished calibration's posterior, read back: its points and weights, checked, and runs
//! drawn from it for `replay --posterior`, `branches --posterior` and `claims --posterior`.

use std::path::Path;
use std::sync::Arc;

use sidelines_scenario::Scenario;
use sidelines_scenario::calibration::Target;

use sidelines_report::manifest::Kind;

use crate::error::{Result, input};

#[derive(Debug)]
/// A finished calibration's posterior: its scenario's name (with the record in it), the
/// parameter paths, and the last generation's points (actual scale) with normalised weights.
pub struct Posterior {
    pub scenario: String,
    /// The columns of particles.csv, one per calibrated number.
    pub paths: Vec<String>,
    /// What each calibrated number sets (a path or a group, in one episode or all).
    pub targets: Vec<Target>,
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
    let targets: Vec<Target> = manifest.parameters().iter().map(|p| p.target()).collect();
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
    Ok(Posterior { scenario, paths, targets, points })
}

/// The episode name a scenario answers to for a calibration's episode-scoped numbers: its
/// own name, without the `-replay` a record adds.
pub fn episode_name(scenario: &Scenario) -> &str {
    scenario.name.trim_end_matches("-replay")
}

/// The calibrated numbers that do not apply to `scenario`, by column: another episode's own,
/// a number of an actor it does not have at all (`actors.JP.transfer` for an episode without
/// Tokyo), a group matching none of its numbers. None of them enters its runs, so applying the
/// posterior there integrates them out exactly (the marginal posterior of the others).
pub fn marginalised(post: &Posterior, scenario: &Scenario) -> Vec<String> {
    post.targets
        .iter()
        .zip(&post.paths)
        .filter(|(t, _)| {
            t.settings(0.0, episode_name(scenario), scenario).is_ok_and(|v| v.is_empty())
        })
        .map(|(_, c)| c.clone())
        .collect()
}

/// The settings of one point of the posterior in `scenario`; `Err(path)` for a path of an
/// actor it has but a number it does not have.
pub fn settings(
    targets: &[Target],
    values: &[f64],
    scenario: &Scenario,
) -> std::result::Result<Vec<(String, f64)>, String> {
    let mut sets = Vec::new();
    for (t, v) in targets.iter().zip(values) {
        sets.extend(t.settings(*v, episode_name(scenario), scenario)?);
    }
    Ok(sets)
}

/// Runs drawn from a posterior for one scenario: each run's scenario, and how the posterior
/// applied there.
#[derive(Debug)]
pub struct PosteriorRuns {
    pub runs: Vec<Arc<Scenario>>,
    pub applied: Applied,
}

/// How a posterior applied to a scenario: the numbers that do not apply to it (integrated
/// out, `marginalised`) and the share of its weight on points that do not validate there
/// (left out).
#[derive(Clone, Debug, Default)]
pub struct Applied {
    pub integrated_out: Vec<String>,
    pub invalid_share: f64,
}

impl Applied {
    /// Whether the posterior applied whole.
    pub fn whole(&self) -> bool {
        self.integrated_out.is_empty() && self.invalid_share <= 0.0
    }
}

/// Each run's scenario under a calibration's posterior: `runs` draws of its points
/// (systematic resampling), each the replay scenario with the point's values set. The replay
/// may be of another scenario than the calibration's, if it has every calibrated path; what
/// does not apply to it is integrated out (`marginalised`). A point that does not validate in
/// this scenario (a shift of the likelihoods that leaves one of its hypotheses without any
/// supporting event, say) has no runs there: the posterior is truncated to the points that
/// do, renormalised, and the share left out is returned; none at all is an error.
pub fn posterior_runs(dir: &Path, replay: &Scenario, runs: usize) -> Result<PosteriorRuns> {
    let post = read_posterior(dir)?;
    // A posterior applies to any scenario that has its parameter paths (another episode's
    // replay, say): what it needs is the paths, not the name it was fitted under.
    let missing = |path: String| {
        input(format!(
            "--posterior {}: the calibration (of `{}`) sets `{path}`, which `{}` does not have",
            dir.display(),
            post.scenario,
            replay.name
        ))
    };
    let mut valid: Vec<(Vec<f64>, f64)> = Vec::with_capacity(post.points.len());
    let mut points: Vec<Arc<Scenario>> = Vec::with_capacity(post.points.len());
    let mut first_error = None;
    for (values, w) in &post.points {
        let sets = settings(&post.targets, values, replay).map_err(missing)?;
        match replay.with_values(sets.iter().map(|(p, v)| (p.as_str(), *v))) {
            Ok(s) => {
                valid.push((values.clone(), *w));
                points.push(Arc::new(s));
            }
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let kept: f64 = valid.iter().map(|p| p.1).sum();
    if valid.is_empty() || kept <= 0.0 {
        return Err(input(format!(
            "--posterior {}: no point of the posterior validates in `{}`: {}",
            dir.display(),
            replay.name,
            first_error.unwrap_or_default()
        )));
    }
    for p in &mut valid {
        p.1 /= kept;
    }
    let runs = resample(&valid, runs).into_iter().map(|k| points[k].clone()).collect();
    let applied = Applied {
        integrated_out: marginalised(&post, replay),
        invalid_share: (1.0 - kept).max(0.0),
    };
    Ok(PosteriorRuns { runs, applied })
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

    /// What does not apply to a scenario is integrated out (an absent actor's number, another
    /// episode's own number); a path of an actor it has, but that it does not have, is an error
    /// naming the path; a group shifts the log-odds of every number it matches.
    #[test]
    fn a_posterior_sets_what_applies_and_names_what_is_missing() {
        use sidelines_scenario::calibration::Set;
        let s =
            sidelines_scenario::load_embedded("ukraine-watch").expect("embedded").expect("valid");
        let path = |p: &str, e: Option<&str>| Target {
            set: Set::Path(p.to_string()),
            episode: e.map(String::from),
        };
        let targets = vec![
            path("actors.ZZ.transfer", None),
            path("beliefs.statement_weight", None),
            path("actors.KP.transfer", Some("libya-2003")),
            path("actors.KP.transfer", Some("ukraine-watch")),
        ];
        let post = Posterior {
            scenario: String::from("joint"),
            paths: targets.iter().map(Target::column).collect(),
            targets: targets.clone(),
            points: vec![(vec![0.5, 0.4, 0.1, 0.9], 1.0)],
        };
        assert_eq!(
            marginalised(&post, &s),
            ["actors.ZZ.transfer", "libya-2003:actors.KP.transfer"]
        );
        let got = settings(&targets, &[0.5, 0.4, 0.1, 0.9], &s).expect("applies");
        assert_eq!(
            got,
            [
                ("beliefs.statement_weight".to_string(), 0.4),
                ("actors.KP.transfer".to_string(), 0.9)
            ]
        );
        let bad = settings(&[path("actors.KP.no_such_number", None)], &[0.1], &s);
        assert_eq!(bad, Err(String::from("actors.KP.no_such_number")));
        // A shift of ln 3 takes a likelihood of 0.5 to 0.75, of 0.25 to 0.5.
        let group = Target {
            set: Set::Group {
                name: String::from("g"),
                patterns: vec![String::from("events.*.likelihood.deal_seeker")],
            },
            episode: None,
        };
        let shifted = settings(&[group], &[3f64.ln()], &s).expect("applies");
        assert!(!shifted.is_empty());
        for (p, v) in &shifted {
            let base = s.parameters().into_iter().find(|x| x.0 == *p).expect("path").1;
            let want = 3.0 * base / (1.0 - base + 3.0 * base);
            assert!((v - want).abs() < 1e-12, "{p}: {base} -> {v}, want {want}");
        }
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
