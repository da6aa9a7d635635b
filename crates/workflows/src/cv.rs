//! Cross-validation of a calibration: leave one episode out (calibrate on the others) or one
//! observation out (calibrate on the rest of the record), and score what was left out with the
//! model as shipped and with the model calibrated without it, so that whether calibration
//! helps is measured on what it did not see.
//!
//! Each fold is a calibration file of its own (`OUT/cv/EPISODE/calibration.toml`: the file's
//! other episodes, without the left-out episode's own numbers, paths made absolute) and its
//! finished calibration (`OUT/cv/EPISODE/posterior/`), so any fold can be inspected or re-run
//! with `sidelines calibrate`. The left-out episode is scored by `evaluate` under the fold's
//! posterior (what the posterior sets that the episode does not have is integrated out) and
//! without it, with the same seeds; the calibration's skill is `1 - Brier_calibrated /
//! Brier_shipped` with a paired bootstrap interval over the held-out observations.

use std::path::{Path, PathBuf};

use sidelines_experiment::scoring::{bootstrap_mean, bootstrap_skill};
use sidelines_scenario::calibration::load_calibration;

use crate::calibrate::{CalibrateSpec, calibrate};
use crate::error::{Error, Result, input};
use crate::evaluate::{
    EvaluateSpec, Evaluation, Report, Scored, base_rates, score_episode, scores,
};
use crate::exec::{Hooks, Silent};
use crate::inputs::{create_out, guard_out_dir, read_input, resolve_base};
use crate::posterior::Applied;

/// What to cross-validate, and how many runs score each held-out episode.
#[derive(Clone, Debug)]
pub struct CvSpec {
    /// A calibration file with at least two episodes.
    pub calibration: PathBuf,
    pub out: PathBuf,
    pub runs: u64,
    pub seed: u64,
    pub resamples: usize,
    pub threads: Option<u64>,
    pub force: bool,
    /// What each fold leaves out.
    pub leave: LeaveOut,
}

/// What each fold of a cross-validation leaves out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaveOut {
    /// One episode: calibrate on the others (needs two episodes or more).
    Episodes,
    /// One observation: calibrate on the rest of the record, score the one left out.
    Observations,
}

impl LeaveOut {
    /// `episodes` or `observations`, as the command line and the Python package name them.
    pub fn from_name(name: &str) -> Result<LeaveOut> {
        match name {
            "episodes" => Ok(LeaveOut::Episodes),
            "observations" => Ok(LeaveOut::Observations),
            other => Err(input(format!("leave {other:?}: give `episodes` or `observations`"))),
        }
    }
}

/// One fold: an episode, or one observation (its row in the episode's observations file).
#[derive(Clone, Copy, Debug)]
enum Leave {
    Episode(usize),
    Observation(usize, usize),
}

/// An episode's observations file, absolute.
fn observed_of(
    e: &sidelines_scenario::calibration::Episode,
    absolute: &dyn Fn(&str) -> String,
) -> Result<PathBuf> {
    match &e.observed {
        Some(o) => Ok(PathBuf::from(absolute(o))),
        None => {
            let timeline = PathBuf::from(absolute(&e.timeline));
            crate::replay::default_observed(&timeline).ok_or_else(|| {
                input(format!("{}: no observations file beside it", timeline.display()))
            })
        }
    }
}

/// An observations file's header and rows.
fn observation_rows(path: &Path) -> Result<(csv::StringRecord, Vec<csv::StringRecord>)> {
    let bytes =
        read_input(path).map_err(|e| input(format!("cannot read {}: {e}", path.display())))?;
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_slice());
    let header = r.headers().map_err(|e| input(format!("{}: {e}", path.display())))?.clone();
    let rows = r
        .records()
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| input(format!("{}: {e}", path.display())))?;
    Ok((header, rows))
}

/// The held-out scores: per episode and over all, the shipped and the calibrated model's mean
/// Brier and log scores, and the calibration's Brier skill; and the held-out observations
/// scored under the calibrated model as an evaluation (against the usual baselines).
#[derive(Debug)]
pub struct CrossValidation {
    pub leave: LeaveOut,
    pub rows: Vec<CvRow>,
    pub evaluation: Evaluation,
    /// The episodes as (scenario, timeline), absolute.
    pub episodes: Vec<(String, PathBuf)>,
}

/// One row of the cross-validation table.
#[derive(Clone, Debug)]
pub struct CvRow {
    pub episode: String,
    pub observations: usize,
    /// (mean, 95% low, high) of the Brier score.
    pub shipped: (f64, f64, f64),
    pub calibrated: (f64, f64, f64),
    /// Mean log scores.
    pub shipped_log: f64,
    pub calibrated_log: f64,
    /// `1 - calibrated / shipped` of the Brier score, with its paired 95% interval (wide and
    /// unstable where the shipped model scores near 0 on a few observations).
    pub skill: (f64, f64, f64),
    /// The mean paired difference of the Brier score, calibrated minus shipped (below 0 where
    /// calibration helps), with its bootstrap 95% interval: what the verdict rests on.
    pub difference: (f64, f64, f64),
}

/// Leave-one-episode-out cross-validation of `spec.calibration`.
pub fn cross_validate(spec: &CvSpec, hooks: Hooks<'_>) -> Result<CrossValidation> {
    let file = spec.calibration.display().to_string();
    let bytes =
        read_input(&spec.calibration).map_err(|e| input(format!("cannot read {file}: {e}")))?;
    let cal = load_calibration(&file, &bytes, &resolve_base)?;
    if cal.choice.is_some() {
        return Err(input(format!(
            "{file}: it has [[models]]: cross-validation takes a calibration file"
        )));
    }
    if spec.leave == LeaveOut::Episodes && cal.episodes.len() < 2 {
        return Err(input(format!(
            "{file}: leaving one episode out needs a calibration of at least two ([[episodes]])"
        )));
    }
    guard_out_dir(&spec.out, &["manifest.json"], spec.force)?;
    create_out(&spec.out)?;
    let here = spec.calibration.parent().unwrap_or(Path::new("."));
    let absolute = |p: &str| -> String {
        let joined = here.join(p);
        joined.canonicalize().unwrap_or(joined).display().to_string()
    };
    let scenario_arg = |r: &str| -> String {
        if sidelines_scenario::embedded_source(r).is_some() { r.to_string() } else { absolute(r) }
    };
    let score = |k: usize, posterior: Option<PathBuf>| -> Result<(Vec<Scored>, Applied)> {
        let e = &cal.episodes[k];
        let timeline = PathBuf::from(absolute(&e.timeline));
        let observed = e.observed.as_deref().map(|o| PathBuf::from(absolute(o)));
        let scenario = scenario_arg(&e.scenario_ref);
        let espec = EvaluateSpec {
            episodes: vec![(scenario.clone(), timeline.clone())],
            runs: spec.runs,
            seed: spec.seed,
            resamples: spec.resamples,
            posterior,
        };
        score_episode(&scenario, &timeline, observed.as_deref(), &espec)
    };
    let mut shipped: Vec<Scored> = Vec::new();
    let mut calibrated: Vec<Scored> = Vec::new();
    let mut applied = Vec::new();
    // The folds: each episode, or each observation of each episode (each episode's
    // observations file read once, here).
    let mut folds: Vec<(String, Leave)> = Vec::new();
    let mut records: Vec<Option<(csv::StringRecord, Vec<csv::StringRecord>)>> = Vec::new();
    for (k, e) in cal.episodes.iter().enumerate() {
        match spec.leave {
            LeaveOut::Episodes => {
                folds.push((e.name.clone(), Leave::Episode(k)));
                records.push(None);
            }
            LeaveOut::Observations => {
                let rows = observation_rows(&observed_of(e, &absolute)?)?;
                for j in 0..rows.1.len() {
                    folds.push((format!("{}-{:02}", e.name, j + 1), Leave::Observation(k, j)));
                }
                records.push(Some(rows));
            }
        }
    }
    // The model as shipped does not depend on the fold: each episode is scored once.
    let mut as_shipped: Vec<Option<Vec<Scored>>> = vec![None; cal.episodes.len()];
    let n = folds.len();
    for (f, (fold_name, leave)) in folds.iter().enumerate() {
        let fold = spec.out.join("cv").join(fold_name);
        create_out(&fold)?;
        let (left_k, what) = match leave {
            Leave::Episode(k) => (*k, format!("every episode but `{}`", cal.episodes[*k].name)),
            Leave::Observation(k, j) => (
                *k,
                format!("every observation but row {} of `{}`'s", j + 1, cal.episodes[*k].name),
            ),
        };
        let left_out = &cal.episodes[left_k];
        // The left-out observation's episode reads its observations from the fold's copy.
        let mut own_observed: Option<String> = None;
        if let (Leave::Observation(_, j), Some((header, rows))) = (leave, &records[left_k]) {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(header)?;
            for (r, row) in rows.iter().enumerate() {
                if r != *j {
                    w.write_record(row)?;
                }
            }
            let bytes = crate::error::csv_bytes(w)?;
            let copy = fold.join("observed.csv");
            sidelines_report::write_atomic(&copy, &bytes)?;
            own_observed = Some(copy.display().to_string());
        }
        let mut table = cal.source.clone();
        for key in ["scenario", "timeline", "observed"] {
            table.remove(key);
        }
        let name: String = format!("{}-without-{fold_name}", cal.name).chars().take(64).collect();
        table.insert("name".into(), toml::Value::String(name));
        let episodes: Vec<toml::Value> = cal
            .episodes
            .iter()
            .enumerate()
            .filter(|(j, _)| !matches!(leave, Leave::Episode(k) if k == j))
            .map(|(j, e)| {
                let mut t = toml::Table::new();
                t.insert("name".into(), toml::Value::String(e.name.clone()));
                t.insert("scenario".into(), toml::Value::String(scenario_arg(&e.scenario_ref)));
                t.insert("timeline".into(), toml::Value::String(absolute(&e.timeline)));
                let observed = match (&own_observed, j == left_k) {
                    (Some(copy), true) => Some(copy.clone()),
                    _ => e.observed.as_deref().map(&absolute),
                };
                if let Some(o) = observed {
                    t.insert("observed".into(), toml::Value::String(o));
                }
                toml::Value::Table(t)
            })
            .collect();
        table.insert("episodes".into(), toml::Value::Array(episodes));
        // Leaving an episode out drops its own numbers; leaving an observation out keeps them.
        let parameters: Vec<toml::Value> = cal
            .source
            .get("parameters")
            .and_then(toml::Value::as_array)
            .map(|ps| {
                ps.iter()
                    .filter(|p| {
                        !matches!(leave, Leave::Episode(_))
                            || p.get("episode").and_then(toml::Value::as_str)
                                != Some(left_out.name.as_str())
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        table.insert("parameters".into(), toml::Value::Array(parameters));
        let text = format!(
            "# Fold of a cross-validation of {file}: {what}\n{}",
            toml::to_string(&table)
                .map_err(|e| Error::Machine(format!("writing a fold's calibration: {e}")))?
        );
        let fold_file = fold.join("calibration.toml");
        sidelines_report::write_atomic(&fold_file, text.as_bytes())?;
        hooks.progress.note(&format!("fold {} of {n}: calibrating on {what}", f + 1));
        let posterior = fold.join("posterior");
        let fold_spec = CalibrateSpec {
            command_line: vec![
                String::from("sidelines"),
                String::from("calibrate"),
                fold_file.display().to_string(),
                String::from("--out"),
                posterior.display().to_string(),
            ],
            file: fold_file,
            threads: spec.threads,
            out: Some(posterior.clone()),
            resume: false,
            force: true,
            shard: None,
            batches_per_shard: 1,
        };
        calibrate(&fold_spec, Hooks { progress: &mut Silent, stop: hooks.stop })?;
        if as_shipped[left_k].is_none() {
            as_shipped[left_k] = Some(score(left_k, None)?.0);
        }
        let mut plain = as_shipped[left_k].clone().unwrap_or_default();
        let (mut rows, how) = score(left_k, Some(posterior))?;
        if let Leave::Observation(_, j) = leave {
            // The j-th observation of the file is the j-th the episode scores.
            let pick = |v: &mut Vec<Scored>| -> Result<()> {
                if *j >= v.len() {
                    return Err(Error::Machine(format!(
                        "fold {fold_name}: observation {} is not among the {} scored",
                        j + 1,
                        v.len()
                    )));
                }
                let one = v.swap_remove(*j);
                *v = vec![one];
                Ok(())
            };
            pick(&mut plain)?;
            pick(&mut rows)?;
        }
        shipped.extend(plain);
        calibrated.extend(rows);
        if !how.whole() {
            applied.push((fold_name.clone(), how));
        }
    }
    base_rates(&mut calibrated);
    let rows = table(&shipped, &calibrated, spec.resamples, spec.seed);
    let report = Report::new(&calibrated, spec.resamples, spec.seed);
    let evaluation = Evaluation { observations: calibrated, report, marginalised: applied };
    let episodes = cal
        .episodes
        .iter()
        .map(|e| (scenario_arg(&e.scenario_ref), PathBuf::from(absolute(&e.timeline))))
        .collect();
    Ok(CrossValidation { leave: spec.leave, rows, evaluation, episodes })
}

/// Per episode (in order) and over all: the two models' scores and the calibration's skill.
fn table(shipped: &[Scored], calibrated: &[Scored], resamples: usize, seed: u64) -> Vec<CvRow> {
    let mut names: Vec<String> = Vec::new();
    for s in shipped {
        if !names.contains(&s.episode) {
            names.push(s.episode.clone());
        }
    }
    let row = |name: &str, keep: &dyn Fn(&Scored) -> bool| -> CvRow {
        let pick = |rows: &[Scored], log: bool| -> Vec<f64> {
            rows.iter()
                .filter(|r| keep(r))
                .map(|r| {
                    let (b, l, _) = scores(r, &r.model);
                    if log { l } else { b }
                })
                .collect()
        };
        let (a, b) = (pick(shipped, false), pick(calibrated, false));
        let paired: Vec<f64> = b.iter().zip(&a).map(|(x, y)| x - y).collect();
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len().max(1) as f64;
        CvRow {
            episode: name.to_string(),
            observations: a.len(),
            shipped: bootstrap_mean(&a, resamples, seed),
            calibrated: bootstrap_mean(&b, resamples, seed),
            shipped_log: mean(&pick(shipped, true)),
            calibrated_log: mean(&pick(calibrated, true)),
            skill: bootstrap_skill(&b, &a, resamples, seed),
            difference: bootstrap_mean(&paired, resamples, seed),
        }
    };
    let mut rows: Vec<CvRow> =
        names.iter().map(|n| row(n, &|r: &Scored| r.episode == *n)).collect();
    rows.push(row("all episodes", &|_| true));
    rows
}

impl CrossValidation {
    pub fn text(&self) -> String {
        let mut t = String::from(match self.leave {
            LeaveOut::Episodes => {
                "Leave one episode out: each episode scored by the model as shipped and by the \
                 model calibrated on the other episodes (Brier score, mean [bootstrap 95%]; lower \
                 is better)\n"
            }
            LeaveOut::Observations => {
                "Leave one observation out: each observation scored by the model as shipped and \
                 by the model calibrated on every other observation (Brier score, mean over an \
                 episode's observations [bootstrap 95%]; lower is better)\n"
            }
        });
        t.push_str(&format!(
            "{:<24} {:>4}  {:<22} {:<22} {:>8} {:>8}  {:<26} {:>6}\n",
            "episode",
            "obs",
            "shipped",
            "calibrated on others",
            "log, shp",
            "log, cal",
            "difference (cal - shp)",
            "skill"
        ));
        for r in &self.rows {
            let (a, alo, ahi) = r.shipped;
            let (b, blo, bhi) = r.calibrated;
            let (d, dlo, dhi) = r.difference;
            t.push_str(&format!(
                "{:<24} {:>4}  {a:.3} [{alo:.3}, {ahi:.3}]   {b:.3} [{blo:.3}, {bhi:.3}]   {:>8.3} {:>8.3}  {d:+.3} [{dlo:+.3}, {dhi:+.3}]  {:>+6.3}\n",
                r.episode, r.observations, r.shipped_log, r.calibrated_log, r.skill.0
            ));
        }
        if let Some(all) = self.rows.last() {
            let (d, lo, hi) = all.difference;
            let unseen = match self.leave {
                LeaveOut::Episodes => "episodes",
                LeaveOut::Observations => "observations",
            };
            let verdict = if hi < 0.0 {
                format!("improves the scores of {unseen} it did not see")
            } else if lo > 0.0 {
                format!("worsens the scores of {unseen} it did not see")
            } else {
                format!("cannot be told, on {unseen} it did not see, from the model as shipped")
            };
            let (s, slo, shi) = all.skill;
            t.push_str(&format!(
                "\nOut of sample, calibration {verdict}: the Brier score changes by {d:+.3} per \
                 observation (95% [{lo:+.3}, {hi:+.3}]), a skill of {s:+.3} [{slo:+.3}, {shi:+.3}].\n\n\
                 The held-out forecasts of the calibrated model against the baselines:\n"
            ));
        }
        t.push_str(&self.evaluation.text());
        t
    }

    pub fn json(&self) -> serde_json::Value {
        let triple = |x: (f64, f64, f64)| serde_json::json!({"mean": x.0, "ci95": [x.1, x.2]});
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "episode": r.episode, "observations": r.observations,
                    "brier_shipped": triple(r.shipped), "brier_calibrated": triple(r.calibrated),
                    "log_shipped": r.shipped_log, "log_calibrated": r.calibrated_log,
                    "brier_skill_of_calibration": {"skill": r.skill.0, "ci95": [r.skill.1, r.skill.2]},
                    "brier_difference_calibrated_minus_shipped": triple(r.difference),
                })
            })
            .collect();
        let key = match self.leave {
            LeaveOut::Episodes => "leave_one_episode_out",
            LeaveOut::Observations => "leave_one_observation_out",
        };
        serde_json::json!({key: rows, "held_out": self.evaluation.json()})
    }

    /// Writes the folder: the held-out evaluation's tables, cv.csv and a manifest (kind
    /// `evaluate`, with the calibration file), beside the folds under `cv/`.
    pub fn write_folder(&self, spec: &CvSpec, command: &[String]) -> Result<()> {
        self.evaluation.write_tables(&spec.out)?;
        sidelines_report::write_atomic(&spec.out.join("cv.csv"), &self.csv()?)?;
        let espec = EvaluateSpec {
            episodes: self.episodes.clone(),
            runs: spec.runs,
            seed: spec.seed,
            resamples: spec.resamples,
            posterior: None,
        };
        let manifest = sidelines_report::manifest::Manifest {
            calibration: Some(spec.calibration.display().to_string()),
            ..crate::evaluate::evaluate_manifest(&espec, command)
        };
        manifest.write(&spec.out)?;
        Ok(())
    }

    /// cv.csv: the table, one row per episode and one for all.
    pub fn csv(&self) -> Result<Vec<u8>> {
        let f = sidelines_report::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "episode",
            "observations",
            "brier_shipped",
            "brier_shipped_ci95_low",
            "brier_shipped_ci95_high",
            "brier_calibrated",
            "brier_calibrated_ci95_low",
            "brier_calibrated_ci95_high",
            "log_shipped",
            "log_calibrated",
            "calibration_brier_skill",
            "calibration_brier_skill_ci95_low",
            "calibration_brier_skill_ci95_high",
            "brier_difference",
            "brier_difference_ci95_low",
            "brier_difference_ci95_high",
        ])?;
        for r in &self.rows {
            w.write_record([
                r.episode.clone(),
                r.observations.to_string(),
                f(r.shipped.0),
                f(r.shipped.1),
                f(r.shipped.2),
                f(r.calibrated.0),
                f(r.calibrated.1),
                f(r.calibrated.2),
                f(r.shipped_log),
                f(r.calibrated_log),
                f(r.skill.0),
                f(r.skill.1),
                f(r.skill.2),
                f(r.difference.0),
                f(r.difference.1),
                f(r.difference.2),
            ])?;
        }
        crate::error::csv_bytes(w)
    }
}
