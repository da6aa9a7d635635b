//! Evaluation: each observation of each episode's record as a forecast of the model,
//! scored with proper scoring rules against three baselines.
//!
//! An episode is a scenario and a dated record (its timeline and, beside it, its observations
//! file). The record is replayed `--runs` times; for each observation the model's forecast is
//! the share of runs in each of the observation's categories on its date (yes/no, a category
//! outcome's labels, or down/flat/up against the run's start), smoothed with Jeffreys' prior so
//! that no category has probability 0. The baselines: a coin flip (uniform over the
//! categories), the base rate of the observation's kind in the *other* episodes (never the one
//! scored; uniform where no other episode observes that kind), and persistence (the day-0 state
//! carried forward, smoothed as the model's forecast is). Scores are in
//! `sidelines_experiment::scoring`; means carry percentile bootstrap 95% intervals over
//! observations, and skill scores (`1 - S_model / S_baseline` of the Brier score) paired ones.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sidelines_experiment::run_seed;
use sidelines_experiment::scoring::{
    ReliabilityBin, bootstrap_mean, bootstrap_skill, brier, crps_ensemble, jeffreys, log_score,
    reliability, rps,
};
use sidelines_model::{OutcomeKind, Record, RunOutput, Simulation, Value};
use sidelines_scenario::{ActorKind, Expect, Input, Scenario};

use sidelines_report::manifest::{Kind, Manifest};

use crate::error::{Error, Result, input};
use crate::inputs::read_input;
use crate::posterior::Applied;

/// One observation, its categories and the forecasts of the model and the baselines.
#[derive(Clone, Debug)]
pub struct Scored {
    pub(crate) episode: String,
    date: String,
    outcome: String,
    observed: String,
    categories: Vec<String>,
    ordered: bool,
    /// Index of the observed category.
    pub(crate) hit: usize,
    pub(crate) model: Vec<f64>,
    persistence: Vec<f64>,
    /// Filled once every episode is read: the other episodes' base rate.
    base: Vec<f64>,
    /// Observations of the same kind in the other episodes.
    base_from: u64,
    /// The kind of observation the base rate pools: the outcome without its actor, and how
    /// it is observed.
    family: String,
    /// Where the observation is a number (`LOW..HIGH`, its midpoint; the number itself when
    /// `LOW = HIGH`): it, the runs' values and the day-0 value, for the CRPS.
    number: Option<f64>,
    values: Vec<f64>,
    day0: Option<f64>,
}

const FORECASTERS: [&str; 4] = ["model", "coin flip", "base rate", "persistence"];

impl Scored {
    /// Where the observation is a number: the CRPS of the model (its runs' values) and of
    /// persistence (the day-0 value, a point forecast); a coin flip and a base rate give no
    /// distribution over a number.
    fn crps(&self) -> Option<(f64, Option<f64>)> {
        let y = self.number?;
        if self.values.is_empty() {
            return None;
        }
        Some((crps_ensemble(&self.values, y), self.day0.map(|x| (x - y).abs())))
    }

    fn forecasts(&self) -> [Vec<f64>; 4] {
        let l = self.categories.len();
        [self.model.clone(), vec![1.0 / l as f64; l], self.base.clone(), self.persistence.clone()]
    }
}

/// What to evaluate: episodes as (scenario, timeline), each timeline with its observations
/// file beside it.
#[derive(Clone, Debug)]
pub struct EvaluateSpec {
    pub episodes: Vec<(String, PathBuf)>,
    /// Runs of each episode's record (1 to 1,000,000).
    pub runs: u64,
    pub seed: u64,
    /// Bootstrap resamples of each interval (1 to 100,000).
    pub resamples: usize,
    /// A finished calibration folder: each run of every episode takes its assumptions from
    /// its posterior (as `replay --posterior`), so the scores are the calibrated model's. Every
    /// episode must have each calibrated path.
    pub posterior: Option<PathBuf>,
}

impl EvaluateSpec {
    /// The six shipped episodes (run from the repository's folder).
    pub fn shipped() -> Vec<(String, PathBuf)> {
        sidelines_scenario::EPISODES
            .iter()
            .map(|(s, t)| (s.to_string(), PathBuf::from(t)))
            .collect()
    }
}

/// `SCENARIO=TIMELINE`.
pub fn parse_episode(text: &str) -> Result<(String, PathBuf)> {
    text.split_once('=')
        .map(|(s, t)| (s.to_string(), PathBuf::from(t)))
        .ok_or_else(|| input(format!("--episode {text}: write SCENARIO=TIMELINE")))
}

/// The scores: every observation's forecasts, and the means, intervals and skills.
#[derive(Debug)]
pub struct Evaluation {
    pub observations: Vec<Scored>,
    pub report: Report,
    /// Per episode, how the posterior applied where it did not apply whole.
    pub marginalised: Vec<(String, Applied)>,
}

impl Evaluation {
    pub fn text(&self) -> String {
        let mut t = self.report.text();
        for (episode, a) in &self.marginalised {
            // Another episode's own numbers never apply: counted, not listed.
            let (others, shared): (Vec<&String>, Vec<&String>) = a
                .integrated_out
                .iter()
                .partition(|c| c.split_once(':').is_some_and(|(e, _)| e != "group"));
            let mut parts = Vec::new();
            if !shared.is_empty() {
                let names: Vec<&str> = shared.iter().map(|c| c.as_str()).collect();
                parts
                    .push(format!("{} integrated out (they do not apply to it)", names.join(", ")));
            }
            if !others.is_empty() {
                parts.push(format!("{} numbers of other episodes not applied", others.len()));
            }
            if a.invalid_share > 0.0 {
                let share = 100.0 * a.invalid_share;
                let share =
                    if share < 0.1 { String::from("under 0.1%") } else { format!("{share:.1}%") };
                parts.push(format!(
                    "{share} of its weight on points that do not validate there, left out"
                ));
            }
            if !parts.is_empty() {
                t.push_str(&format!("{episode}, the posterior: {}.\n", parts.join("; ")));
            }
        }
        t
    }

    pub fn json(&self) -> serde_json::Value {
        let mut j = self.report.json(&self.observations, &self.reliability());
        let m: serde_json::Map<String, serde_json::Value> = self
            .marginalised
            .iter()
            .filter(|(_, a)| !a.integrated_out.is_empty())
            .map(|(e, a)| (e.clone(), serde_json::json!(a.integrated_out)))
            .collect();
        j["posterior_paths_integrated_out"] = serde_json::Value::Object(m);
        let t: serde_json::Map<String, serde_json::Value> = self
            .marginalised
            .iter()
            .filter(|(_, a)| a.invalid_share > 0.0)
            .map(|(e, a)| (e.clone(), serde_json::json!(a.invalid_share)))
            .collect();
        j["posterior_weight_not_valid_in_episode"] = serde_json::Value::Object(t);
        j
    }

    /// Every observation's forecasts and scores as CSV.
    pub fn rows_csv(&self) -> Result<Vec<u8>> {
        rows_csv(&self.observations)
    }

    /// Each forecaster's reliability diagram over every observation (`RELIABILITY_BINS`
    /// bins; see `scoring::reliability`).
    pub fn reliability(&self) -> Vec<(&'static str, Vec<ReliabilityBin>)> {
        let forecasts: Vec<[Vec<f64>; 4]> =
            self.observations.iter().map(Scored::forecasts).collect();
        FORECASTERS
            .iter()
            .enumerate()
            .map(|(w, who)| {
                let pairs: Vec<(&[f64], usize)> = forecasts
                    .iter()
                    .zip(&self.observations)
                    .map(|(f, i)| (f[w].as_slice(), i.hit))
                    .collect();
                (*who, reliability(&pairs, RELIABILITY_BINS))
            })
            .collect()
    }

    /// reliability.csv: per forecaster and bin, the forecasts in it, their mean and the share
    /// that happened with its Wilson 95% interval.
    pub fn reliability_csv(&self) -> Result<Vec<u8>> {
        let f = sidelines_report::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(RELIABILITY_HEADER)?;
        for (who, bins) in self.reliability() {
            for b in bins {
                w.write_record([
                    who.to_string(),
                    f(b.low),
                    f(b.high),
                    b.forecasts.to_string(),
                    f(b.mean_forecast),
                    f(b.observed_share),
                    f(b.ci95_low),
                    f(b.ci95_high),
                ])?;
            }
        }
        crate::error::csv_bytes(w)
    }

    /// skill.csv: per episode (and all episodes) and forecaster, the mean Brier and log scores
    /// with their bootstrap 95% intervals, and the model's Brier skill against the forecaster
    /// (empty on the model's own row).
    pub fn skill_csv(&self) -> Result<Vec<u8>> {
        let f = sidelines_report::format_number;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(SKILL_HEADER)?;
        for g in &self.report.groups {
            for (k, who) in FORECASTERS.iter().enumerate() {
                let (b, l) = (g.brier[k], g.log[k]);
                let skill = match k {
                    0 => [String::new(), String::new(), String::new()],
                    _ => {
                        let (x, lo, hi) = g.skill[k - 1];
                        [f(x), f(lo), f(hi)]
                    }
                };
                let mut row = vec![
                    g.name.clone(),
                    g.observations.to_string(),
                    who.to_string(),
                    f(b.0),
                    f(b.1),
                    f(b.2),
                    f(l.0),
                    f(l.1),
                    f(l.2),
                ];
                row.extend(skill);
                w.write_record(&row)?;
            }
        }
        crate::error::csv_bytes(w)
    }

    /// Writes an evaluation folder: manifest.json (kind `evaluate`), scores.csv (every
    /// observation), skill.csv (the means and skills) and reliability.csv. `sidelines chart`,
    /// `export xlsx` and `report` then draw, tabulate and describe it like any other folder.
    pub fn write_folder(&self, dir: &Path, spec: &EvaluateSpec, command: &[String]) -> Result<()> {
        self.write_tables(dir)?;
        let manifest = Manifest {
            posterior: spec.posterior.as_ref().map(|p| p.display().to_string()),
            ..evaluate_manifest(spec, command)
        };
        manifest.write(dir)?;
        Ok(())
    }

    /// scores.csv, skill.csv and reliability.csv in `dir` (created if need be).
    pub(crate) fn write_tables(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)
            .map_err(|e| input(format!("cannot create {}: {e}", dir.display())))?;
        let write =
            |name: &str, bytes: &[u8]| sidelines_report::write_atomic(&dir.join(name), bytes);
        write("scores.csv", &self.rows_csv()?)?;
        write("skill.csv", &self.skill_csv()?)?;
        write("reliability.csv", &self.reliability_csv()?)?;
        Ok(())
    }
}

/// An evaluation folder's manifest: its seed, runs, resamples and episodes.
pub(crate) fn evaluate_manifest(spec: &EvaluateSpec, command: &[String]) -> Manifest {
    Manifest {
        seed: Some(spec.seed),
        runs: Some(spec.runs),
        resamples: Some(spec.resamples as u64),
        episodes: Some(spec.episodes.iter().map(|(s, t)| format!("{s}={}", t.display())).collect()),
        ..Manifest::new(Kind::Evaluate, command)
    }
}

/// Bins of the reliability diagrams: tenths of probability.
pub const RELIABILITY_BINS: usize = 10;

const RELIABILITY_HEADER: [&str; 8] = [
    "forecaster",
    "bin_low",
    "bin_high",
    "forecasts",
    "mean_forecast",
    "observed_share",
    "ci95_low",
    "ci95_high",
];

const SKILL_HEADER: [&str; 12] = [
    "episode",
    "observations",
    "forecaster",
    "brier",
    "brier_ci95_low",
    "brier_ci95_high",
    "log",
    "log_ci95_low",
    "log_ci95_high",
    "model_brier_skill",
    "model_brier_skill_ci95_low",
    "model_brier_skill_ci95_high",
];

/// Scores every episode's observations.
pub fn evaluate(spec: &EvaluateSpec) -> Result<Evaluation> {
    if spec.runs == 0 || spec.runs > 1_000_000 {
        return Err(input("--runs takes 1 to 1,000,000"));
    }
    if spec.resamples == 0 || spec.resamples > 100_000 {
        return Err(input("--resamples takes 1 to 100,000"));
    }
    let mut all: Vec<Scored> = Vec::new();
    let mut marginalised = Vec::new();
    for (scenario, timeline) in &spec.episodes {
        let (items, applied) = score_episode(scenario, timeline, None, spec)?;
        if let Some(first) = items.first()
            && !applied.whole()
        {
            marginalised.push((first.episode.clone(), applied));
        }
        all.extend(items);
    }
    base_rates(&mut all);
    let report = Report::new(&all, spec.resamples, spec.seed);
    Ok(Evaluation { observations: all, report, marginalised })
}

/// Replays one episode and turns each observation into categories and forecasts.
/// `observed`: the observations file, by default the one beside the timeline. Also the paths
/// of the posterior that do not apply to the episode (integrated out).
pub(crate) fn score_episode(
    scenario: &str,
    timeline: &Path,
    observed: Option<&Path>,
    spec: &EvaluateSpec,
) -> Result<(Vec<Scored>, Applied)> {
    let (runs, seed) = (spec.runs, spec.seed);
    let observed = match observed {
        Some(o) => o.to_path_buf(),
        None => crate::replay::default_observed(timeline).ok_or_else(|| {
            input(format!(
                "{}: no observations file beside it ({}-observed.csv)",
                timeline.display(),
                timeline.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default()
            ))
        })?,
    };
    let read =
        |p: &Path| read_input(p).map_err(|e| input(format!("cannot read {}: {e}", p.display())));
    let (tbytes, obytes) = (read(timeline)?, read(&observed)?);
    let (tname, oname) = (timeline.display().to_string(), observed.display().to_string());
    let replay = crate::replay::load_record(
        scenario,
        Input { name: &tname, bytes: &tbytes },
        Some(Input { name: &oname, bytes: &obytes }),
        0,
    )?;
    let s = Arc::new(replay.scenario);
    let episode = crate::posterior::episode_name(&s).to_string();
    let capacity = 64usize;
    let mut sim = Simulation::with_capacity(s.clone(), capacity)?;
    let names = sim.outcome_names().to_vec();
    let kinds = sim.outcome_kinds().to_vec();
    // Each run's scenario: the episode's own, or a draw from the posterior.
    let (scenarios, applied): (Vec<Arc<Scenario>>, Applied) = match &spec.posterior {
        Some(dir) => {
            let n = usize::try_from(runs).map_err(|_| input("--runs is too large"))?;
            let drawn = crate::posterior::posterior_runs(dir, &s, n)
                .map_err(|e| input(format!("episode {}: {e}", timeline.display())))?;
            (drawn.runs, drawn.applied)
        }
        None => (vec![s.clone(); runs as usize], Applied::default()),
    };
    let runs_of: Vec<(Arc<Scenario>, u64)> =
        scenarios.into_iter().zip(0..runs).map(|(sc, r)| (sc, run_seed(seed, 0, r))).collect();
    let mut outs = vec![RunOutput::default(); capacity];
    let observations = Observations::new(&s, &names, &kinds, &episode);
    // Per observation: the count of runs in each category.
    let mut counts: Vec<Vec<u64>> =
        observations.items.iter().map(|i| vec![0; i.categories.len()]).collect();
    // Per numeric observation: the runs' values.
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); observations.items.len()];
    let initial: Vec<Value> = {
        let mut one = vec![RunOutput::default()];
        sim.run_block(&[run_seed(seed, 0, 0)], Record::default(), &mut one);
        sim.observation_initials(0)
    };
    for block in runs_of.chunks(capacity) {
        sim.run_mixed(block, Record::default(), &mut outs)
            .map_err(|e| Error::Machine(format!("episode {}: {e}", timeline.display())))?;
        for (r, out) in outs.iter().take(block.len()).enumerate() {
            // A run under the posterior may start elsewhere (its prior is a draw): up and
            // down compare with its own day 0.
            let own = sim.observation_initials(r);
            for (k, count) in counts.iter_mut().enumerate() {
                count[observations.category(&s, k, out, &own)] += 1;
                if observations.items[k].number.is_some()
                    && let Some(x) = observations.value(k, out).as_number()
                {
                    values[k].push(x);
                }
            }
        }
    }
    let mut items = observations.items;
    for (k, item) in items.iter_mut().enumerate() {
        item.values = std::mem::take(&mut values[k]);
        item.day0 = initial.get(k).and_then(Value::as_number);
        item.model = jeffreys(&counts[k]);
        let mut day0 = vec![0; item.categories.len()];
        day0[persistent(&s, item, &s.observed[k].expect, initial.get(k))] = runs;
        item.persistence = jeffreys(&day0);
    }
    Ok((items, applied))
}

/// An episode's observations as categories: each one's categories and observed category, and
/// the columns of a run its category is read from (its value; its `_as_observed` flag).
pub(crate) struct Observations {
    pub(crate) items: Vec<Scored>,
    value_cols: Vec<Option<usize>>,
    flag_cols: Vec<Option<usize>>,
}

impl Observations {
    /// The observations of `s` (the episode named `episode`), whose runs have outcomes `names`
    /// of `kinds`.
    pub(crate) fn new(
        s: &Scenario,
        names: &[String],
        kinds: &[OutcomeKind],
        episode: &str,
    ) -> Observations {
        let mut items: Vec<Scored> = Vec::new();
        for o in &s.observed {
            let date = s.date(o.day);
            let base = names.iter().position(|n| *n == o.outcome);
            let kind = base.map(|i| kinds[i]);
            let (categories, ordered, hit): (Vec<String>, bool, usize) = match (&o.expect, kind) {
                (Expect::Label(l), Some(OutcomeKind::Category(labels))) => {
                    let hit = labels.iter().position(|x| x == l).unwrap_or(0);
                    (labels.iter().map(|x| x.to_string()).collect(), false, hit)
                }
                (Expect::Up | Expect::Down, _) => {
                    let hit = if o.expect == Expect::Up { 2 } else { 0 };
                    (vec!["down".into(), "flat".into(), "up".into()], true, hit)
                }
                (Expect::Highest, _) => (vec!["not highest".into(), "highest".into()], false, 1),
                _ => (vec!["outside".into(), "inside".into()], false, 1),
            };
            items.push(Scored {
                episode: episode.to_string(),
                date,
                outcome: o.outcome.clone(),
                observed: o.expect.to_string(),
                family: family(s, &o.outcome, &o.expect),
                categories,
                ordered,
                hit,
                model: Vec::new(),
                persistence: Vec::new(),
                base: Vec::new(),
                base_from: 0,
                number: match o.expect {
                    Expect::Range(lo, hi) => Some(0.5 * (lo + hi)),
                    _ => None,
                },
                values: Vec::new(),
                day0: None,
            });
        }
        let column_of = |i: &Scored, flag: bool| {
            let c = format!("{}_{}", i.outcome, i.date.replace('-', "_"));
            let c = if flag { format!("{c}_as_observed") } else { c };
            names.iter().position(|n| *n == c)
        };
        let value_cols: Vec<Option<usize>> = items.iter().map(|i| column_of(i, false)).collect();
        let flag_cols: Vec<Option<usize>> = items.iter().map(|i| column_of(i, true)).collect();
        Observations { items, value_cols, flag_cols }
    }

    /// Run `out`'s value of observation `k`'s outcome.
    pub(crate) fn value<'a>(&self, k: usize, out: &'a RunOutput) -> &'a Value {
        self.value_cols[k].map_or(&Value::Missing, |c| &out.outcomes[c])
    }

    /// The category run `out` falls in for observation `k` (`own`: the run's day-0 values).
    pub(crate) fn category(&self, s: &Scenario, k: usize, out: &RunOutput, own: &[Value]) -> usize {
        let flag = self.flag_cols[k].map(|c| matches!(out.outcomes[c], Value::Flag(true)));
        category(&self.items[k], &s.observed[k].expect, self.value(k, out), own.get(k), flag)
    }
}

/// The category a run's value falls in.
fn category(
    item: &Scored,
    expect: &Expect,
    value: &Value,
    initial: Option<&Value>,
    flag: Option<bool>,
) -> usize {
    match expect {
        Expect::Label(_) => {
            let label = match value {
                Value::Text(t) => t.to_string(),
                Value::Flag(b) => b.to_string(),
                _ => String::new(),
            };
            item.categories.iter().position(|c| *c == label).unwrap_or(0)
        }
        Expect::Up | Expect::Down => {
            match (value.as_number(), initial.and_then(Value::as_number)) {
                (Some(x), Some(i)) if x > i => 2,
                (Some(x), Some(i)) if x < i => 0,
                _ => 1,
            }
        }
        Expect::Highest | Expect::Range(..) => usize::from(flag.unwrap_or(false)),
    }
}

/// The category of the day-0 state: persistence's forecast.
fn persistent(s: &Scenario, item: &Scored, expect: &Expect, initial: Option<&Value>) -> usize {
    match expect {
        Expect::Label(_) => category(item, expect, initial.unwrap_or(&Value::Missing), None, None),
        Expect::Up | Expect::Down => 1,
        Expect::Range(lo, hi) => {
            usize::from(initial.and_then(Value::as_number).is_some_and(|x| *lo <= x && x <= *hi))
        }
        Expect::Highest => {
            // Whether the hypothesis is the observer's most probable at day 0: its prior's.
            let (code, rest) = item.outcome.split_once("_belief_").unwrap_or(("", ""));
            let prior = s
                .observers()
                .find(|(_, a, _)| a.code.eq_ignore_ascii_case(code))
                .map(|(_, _, o)| o.prior.values());
            let h = s.hypotheses.iter().position(|h| h.name == rest);
            match (prior, h) {
                (Some(p), Some(h)) => usize::from(p.iter().all(|x| p[h] >= *x)),
                _ => 0,
            }
        }
    }
}

/// The kind of an observation, across episodes: the outcome without its actor's code, and how
/// it is observed (`trust_us (up/down)`, `accepts_talks (label)`, `talks_outcome (label)`).
fn family(s: &Scenario, outcome: &str, expect: &Expect) -> String {
    let bare = match outcome.split_once('_') {
        Some((code, rest))
            if s.actors.iter().any(|a| {
                a.code.eq_ignore_ascii_case(code) && matches!(a.kind, ActorKind::Observer(_))
            }) =>
        {
            rest
        }
        _ => outcome,
    };
    let how = match expect {
        Expect::Label(_) => "label",
        Expect::Up | Expect::Down => "up/down",
        Expect::Highest => "highest",
        Expect::Range(..) => "range",
    };
    format!("{bare} ({how})")
}

/// Each observation's base rate: the observed categories of its kind in the other episodes,
/// smoothed; uniform where no other episode observes its kind.
pub(crate) fn base_rates(all: &mut [Scored]) {
    let pooled: Vec<(String, String, String)> = all
        .iter()
        .map(|i| (i.episode.clone(), i.family.clone(), i.categories[i.hit].clone()))
        .collect();
    for item in all.iter_mut() {
        let mut counts = vec![0u64; item.categories.len()];
        let mut n = 0;
        for (episode, fam, label) in &pooled {
            if *episode != item.episode
                && *fam == item.family
                && let Some(c) = item.categories.iter().position(|x| x == label)
            {
                counts[c] += 1;
                n += 1;
            }
        }
        item.base_from = n;
        item.base = jeffreys(&counts);
    }
}

/// Brier, log and (ordered categories) ranked probability scores of one forecaster.
pub(crate) fn scores(item: &Scored, p: &[f64]) -> (f64, f64, Option<f64>) {
    (brier(p, item.hit), log_score(p, item.hit), item.ordered.then(|| rps(p, item.hit)))
}

/// Means with intervals per episode and overall, and skill against each baseline.
#[derive(Clone, Debug)]
pub struct Report {
    groups: Vec<Group>,
    /// Over every numeric observation: how many, the model's mean CRPS and persistence's
    /// (each with its bootstrap 95% interval), and the model's CRPS skill against persistence.
    crps: Option<CrpsSummary>,
}

#[derive(Clone, Debug)]
struct CrpsSummary {
    observations: usize,
    model: (f64, f64, f64),
    persistence: Option<(f64, f64, f64)>,
    skill: Option<(f64, f64, f64)>,
}

#[derive(Clone, Debug)]
struct Group {
    name: String,
    observations: usize,
    /// Per forecaster: (Brier mean, lo, hi), (log mean, lo, hi).
    brier: Vec<(f64, f64, f64)>,
    log: Vec<(f64, f64, f64)>,
    /// Skill of the model's Brier score against each baseline: (skill, lo, hi).
    skill: Vec<(f64, f64, f64)>,
}

impl Report {
    pub(crate) fn new(all: &[Scored], resamples: usize, seed: u64) -> Report {
        let mut names: Vec<String> = Vec::new();
        for i in all {
            if !names.contains(&i.episode) {
                names.push(i.episode.clone());
            }
        }
        let mut groups: Vec<Group> = names
            .iter()
            .map(|n| {
                group(
                    n,
                    &all.iter().filter(|i| i.episode == *n).collect::<Vec<_>>(),
                    resamples,
                    seed,
                )
            })
            .collect();
        groups.push(group("all episodes", &all.iter().collect::<Vec<_>>(), resamples, seed));
        Report { groups, crps: crps_summary(all, resamples, seed) }
    }

    pub fn text(&self) -> String {
        let mut t = String::from(
            "Brier score (lower is better; a coin flip on a yes/no scores 0.25), mean over observations [bootstrap 95%]\n",
        );
        t.push_str(&format!(
            "{:<24} {:>4}  {:<22} {:>9} {:>9} {:>11}  {:<26}\n",
            "episode",
            "obs",
            "model",
            "coin flip",
            "base rate",
            "persistence",
            "skill vs coin flip"
        ));
        for g in &self.groups {
            let (m, lo, hi) = g.brier[0];
            let (s, slo, shi) = g.skill[0];
            t.push_str(&format!(
                "{:<24} {:>4}  {m:.3} [{lo:.3}, {hi:.3}]   {:>9.3} {:>9.3} {:>11.3}  {s:+.3} [{slo:+.3}, {shi:+.3}]\n",
                g.name, g.observations, g.brier[1].0, g.brier[2].0, g.brier[3].0
            ));
        }
        t.push_str("\nLog score (natural log; a coin flip on a yes/no scores 0.693)\n");
        for g in &self.groups {
            t.push_str(&format!(
                "{:<24} {:>4}  model {:.3} [{:.3}, {:.3}]  coin flip {:.3}  base rate {:.3}  persistence {:.3}\n",
                g.name, g.observations, g.log[0].0, g.log[0].1, g.log[0].2, g.log[1].0, g.log[2].0, g.log[3].0
            ));
        }
        if let Some(c) = &self.crps {
            let (m, lo, hi) = c.model;
            t.push_str(&format!(
                "\nCRPS over the {} numeric observations (in their units; lower is better): model {m:.3} [{lo:.3}, {hi:.3}]",
                c.observations
            ));
            if let (Some((p, plo, phi)), Some((k, klo, khi))) = (c.persistence, c.skill) {
                t.push_str(&format!(
                    ", persistence {p:.3} [{plo:.3}, {phi:.3}]; CRPS skill vs persistence {k:+.3} [{klo:+.3}, {khi:+.3}]"
                ));
            }
            t.push('\n');
        }
        let all = self.groups.last().map(|g| g.skill.clone()).unwrap_or_default();
        if all.len() == 3 {
            let verdict = |(s, lo, hi): (f64, f64, f64), who: &str| {
                if lo > 0.0 {
                    format!("beats {who} (Brier skill {s:+.3}, 95% [{lo:+.3}, {hi:+.3}])")
                } else if hi < 0.0 {
                    format!("loses to {who} (Brier skill {s:+.3}, 95% [{lo:+.3}, {hi:+.3}])")
                } else {
                    format!(
                        "cannot be told from {who} (Brier skill {s:+.3}, 95% [{lo:+.3}, {hi:+.3}])"
                    )
                }
            };
            t.push_str(&format!(
                "\nOver all episodes the model {}; it {}; it {}.\n",
                verdict(all[0], "a coin flip"),
                verdict(all[1], "the other episodes' base rate"),
                verdict(all[2], "persistence")
            ));
        }
        t
    }

    pub fn json(
        &self,
        all: &[Scored],
        reliability: &[(&'static str, Vec<ReliabilityBin>)],
    ) -> serde_json::Value {
        let triple = |x: &(f64, f64, f64)| serde_json::json!({"mean": x.0, "ci95": [x.1, x.2]});
        let groups: Vec<serde_json::Value> = self
            .groups
            .iter()
            .map(|g| {
                let mut brier = serde_json::Map::new();
                let mut log = serde_json::Map::new();
                for (i, who) in FORECASTERS.iter().enumerate() {
                    brier.insert(who.to_string(), triple(&g.brier[i]));
                    log.insert(who.to_string(), triple(&g.log[i]));
                }
                let skill: serde_json::Map<String, serde_json::Value> = FORECASTERS[1..]
                    .iter()
                    .zip(&g.skill)
                    .map(|(who, x)| {
                        (who.to_string(), serde_json::json!({"skill": x.0, "ci95": [x.1, x.2]}))
                    })
                    .collect();
                serde_json::json!({
                    "episode": g.name,
                    "observations": g.observations,
                    "brier": brier,
                    "log": log,
                    "brier_skill_of_model_against": skill,
                })
            })
            .collect();
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|i| {
                let f = i.forecasts();
                let mut by = serde_json::Map::new();
                for (who, p) in FORECASTERS.iter().zip(&f) {
                    let (b, l, r) = scores(i, p);
                    by.insert(
                        who.to_string(),
                        serde_json::json!({"p": p, "brier": b, "log": l, "rps": r}),
                    );
                }
                let number = i.crps().map(|(model, persistence)| {
                    serde_json::json!({
                        "observed": i.number, "runs": i.values, "day0": i.day0,
                        "model_crps": model, "persistence_crps": persistence,
                    })
                });
                serde_json::json!({
                    "episode": i.episode, "date": i.date, "outcome": i.outcome,
                    "observed": i.observed, "categories": i.categories, "observed_category": i.hit,
                    "base_rate_from": i.base_from, "forecasts": by, "number": number,
                })
            })
            .collect();
        let reliability: serde_json::Map<String, serde_json::Value> = reliability
            .iter()
            .map(|(who, bins)| {
                let bins: Vec<serde_json::Value> = bins
                    .iter()
                    .map(|b| {
                        serde_json::json!({
                            "bin": [b.low, b.high], "forecasts": b.forecasts,
                            "mean_forecast": b.mean_forecast, "observed_share": b.observed_share,
                            "ci95": [b.ci95_low, b.ci95_high],
                        })
                    })
                    .collect();
                (who.to_string(), serde_json::Value::Array(bins))
            })
            .collect();
        let crps = self.crps.as_ref().map(|c| {
            serde_json::json!({
                "observations": c.observations,
                "model": triple(&c.model),
                "persistence": c.persistence.as_ref().map(triple),
                "model_crps_skill_vs_persistence": c.skill.as_ref().map(triple),
            })
        });
        serde_json::json!({
            "groups": groups, "observations": rows, "reliability": reliability, "crps": crps,
        })
    }
}

/// The CRPS over every numeric observation, None where there is none.
fn crps_summary(all: &[Scored], resamples: usize, seed: u64) -> Option<CrpsSummary> {
    let scored: Vec<(f64, Option<f64>)> = all.iter().filter_map(Scored::crps).collect();
    if scored.is_empty() {
        return None;
    }
    let model: Vec<f64> = scored.iter().map(|c| c.0).collect();
    let persistence: Option<Vec<f64>> = scored.iter().map(|c| c.1).collect();
    Some(CrpsSummary {
        observations: scored.len(),
        model: bootstrap_mean(&model, resamples, seed),
        persistence: persistence.as_ref().map(|p| bootstrap_mean(p, resamples, seed)),
        skill: persistence.as_ref().map(|p| bootstrap_skill(&model, p, resamples, seed)),
    })
}

fn group(name: &str, items: &[&Scored], resamples: usize, seed: u64) -> Group {
    let per: Vec<[(f64, f64, Option<f64>); 4]> = items
        .iter()
        .map(|i| {
            let f = i.forecasts();
            [scores(i, &f[0]), scores(i, &f[1]), scores(i, &f[2]), scores(i, &f[3])]
        })
        .collect();
    let col = |who: usize, log: bool| -> Vec<f64> {
        per.iter().map(|s| if log { s[who].1 } else { s[who].0 }).collect()
    };
    let brier: Vec<(f64, f64, f64)> =
        (0..4).map(|w| bootstrap_mean(&col(w, false), resamples, seed)).collect();
    let log: Vec<(f64, f64, f64)> =
        (0..4).map(|w| bootstrap_mean(&col(w, true), resamples, seed)).collect();
    let model = col(0, false);
    let skill = (1..4).map(|w| bootstrap_skill(&model, &col(w, false), resamples, seed)).collect();
    Group { name: name.to_string(), observations: items.len(), brier, log, skill }
}

/// `rows_csv`'s columns and their kinds: five labels, the count of episodes the base rate came
/// from, then each forecaster's probability of what happened and its Brier, log and ranked
/// probability scores (the RPS empty where the categories are not ordered).
pub fn row_columns() -> Vec<(String, sidelines_report::parquet::Kind)> {
    use sidelines_report::parquet::Kind;
    let labels = ["episode", "date", "outcome", "observed", "categories"];
    let mut columns: Vec<(String, Kind)> =
        labels.iter().map(|l| (l.to_string(), Kind::Category)).collect();
    columns.push((String::from("base_rate_from"), Kind::Count));
    for who in FORECASTERS {
        for what in ["p_observed", "brier", "log", "rps"] {
            columns.push((format!("{}_{what}", who.replace(' ', "_")), Kind::Number));
        }
    }
    for numeric in ["observed_number", "model_crps", "persistence_crps"] {
        columns.push((String::from(numeric), Kind::Number));
    }
    columns
}

/// Every observation's forecasts and scores as CSV (`evaluate --out`).
pub fn rows_csv(all: &[Scored]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = row_columns().into_iter().map(|c| c.0).collect();
    w.write_record(&header)?;
    let f = sidelines_report::format_number;
    for i in all {
        let mut row = vec![
            i.episode.clone(),
            i.date.clone(),
            i.outcome.clone(),
            i.observed.clone(),
            i.categories.join("|"),
            i.base_from.to_string(),
        ];
        for p in i.forecasts() {
            let (b, l, r) = scores(i, &p);
            row.extend([f(p[i.hit]), f(b), f(l), r.map_or_else(String::new, f)]);
        }
        let (model, persistence) = i.crps().map_or((None, None), |(m, p)| (Some(m), p));
        for x in [i.number, model, persistence] {
            row.push(x.map_or_else(String::new, f));
        }
        w.write_record(&row)?;
    }
    let bytes = crate::error::csv_bytes(w)?;
    Ok(bytes)
}
