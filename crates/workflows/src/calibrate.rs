//! Calibration (`sidelines calibrate FILE`): fit the assumptions a calibration file names to a replayed
//! record by ABC-SMC (`sidelines_experiment::abc`), and report the posterior.
//!
//! A proposed point is a scenario with the record in it and the point's parameter values set
//! (simplex components rescaled as in sweeps); its `replicates` runs are the replay, and each
//! run's misses are the observations whose `_as_observed` column is false. Run seeds are
//! `run_seed(seed, proposal_id, replicate)`, so a point's runs can be re-run alone.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sidelines_experiment::abc::{self, Evaluation, Generation, Settings, Stop};
use sidelines_experiment::run_seed;
use sidelines_model::{BuildError, Record, RunOutput, Simulation, Value};
use sidelines_report::manifest::{self, Kind, Manifest};
use sidelines_scenario::calibration::{Bound, Calibration, Episode, Set, load_calibration};
use sidelines_scenario::{Input, Scenario};

use crate::error::{Error, Result, input};
use crate::exec::Hooks;
use crate::inputs::{fresh_dir, guard_out_dir, read_input, resolve_base};

#[derive(Clone, Debug)]
pub struct CalibrateSpec {
    /// The command recorded in the manifest.
    pub command_line: Vec<String>,
    /// A calibration file (e.g. configs/calibration/2025.toml).
    pub file: PathBuf,
    /// Worker threads [default: all cores; at most 4 per core]; results do not depend on it.
    pub threads: Option<u64>,
    /// Output folder [default: outputs/calibrate-<name>/<date>T<time>Z/].
    pub out: Option<PathBuf>,
    /// Continue an interrupted calibration in --out from its last finished generation.
    pub resume: bool,
    /// Write into --out even if it already holds results.
    pub force: bool,
    /// Score shard I of N of the next wave of proposals (`3/8`, `slurm`, `slurm/8`) into
    /// OUT/wave/I, for `sidelines merge OUT/wave/* --out OUT` to take in; repeat until OUT
    /// holds manifest.json (examples/slurm/calibrate.sh).
    pub shard: Option<String>,
    /// With --shard: batches of proposals each shard scores per wave (a batch is the larger of
    /// `particles` and 64 proposals).
    pub batches_per_shard: u64,
}

/// A calibration's result: its folder, what to show on stdout (the posterior's summary, or a
/// wave's state) and on stderr.
#[derive(Clone, Debug)]
pub struct Calibrated {
    pub dir: PathBuf,
    pub text: String,
    pub status: String,
}

/// Files a calibration folder holds; one holding any is not overwritten without --force.
const FILES: [&str; 6] = [
    "generations.csv",
    "particles.csv",
    "posterior.csv",
    "observations.csv",
    "manifest.json",
    STATE,
];

/// The checkpoint: every finished generation, and what they were computed from.
const STATE: &str = ".calibrate-state.json";

/// A calibration file, loaded: the calibration, its replay scenario, the `_as_observed` columns,
/// the ABC settings, and the identity a checkpoint must match.
struct Prepared {
    file: String,
    cal: Calibration,
    episodes: Vec<Recorded>,
    settings: Settings,
    identity: serde_json::Value,
}

/// One episode of a calibration, ready to run: its name (what its own parameters name), its
/// scenario with the record in it, what each calibrated number sets in it, and the columns of
/// its `_as_observed` flags.
struct Recorded {
    name: String,
    scenario: Scenario,
    bound: Vec<Bound>,
    flags: Vec<usize>,
}

fn prepare(path: &Path) -> Result<Prepared> {
    let file = path.display().to_string();
    let bytes = read_input(path).map_err(|e| input(format!("cannot read {file}: {e}")))?;
    let cal = load_calibration(&file, &bytes, &resolve_base)?;
    if cal.choice.is_some() {
        return Err(input(format!(
            "{file}: it has [[models]]: it is a model choice (`sidelines choose {file}`)"
        )));
    }
    let here = path.parent().unwrap_or(Path::new("."));
    let mut episodes = Vec::new();
    for episode in &cal.episodes {
        let scenario = record_scenario(episode, here)?;
        let sim = Simulation::new(Arc::new(scenario.clone()))?;
        let names = sim.outcome_names();
        let flags: Vec<usize> = scenario
            .observed
            .iter()
            .filter_map(|o| {
                let name =
                    format!("{}_{}_as_observed", o.outcome, scenario.date(o.day).replace('-', "_"));
                names.iter().position(|n| *n == name)
            })
            .collect();
        if flags.is_empty() {
            return Err(input(format!(
                "{file}: the record of `{}` has no observations to calibrate against (an observations file is needed)",
                episode.name
            )));
        }
        let bound =
            bind(&cal, &episode.name, &scenario).map_err(|e| input(format!("{file}: {e}")))?;
        episodes.push(Recorded { name: episode.name.clone(), scenario, bound, flags });
    }
    let identity = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "calibration": toml_to_json(&cal.source),
    });
    let settings = Settings {
        dims: cal.parameters.len(),
        particles: cal.particles as usize,
        replicates: cal.replicates,
        tolerances: cal.tolerances.clone(),
        seed: cal.seed,
        max_proposals_per_particle: cal.max_proposals_per_particle as usize,
    };
    Ok(Prepared { file, cal, episodes, settings, identity })
}

/// Fits a calibration file's assumptions to its record (ABC-SMC), or with `shard` scores one
/// shard of the next wave.
pub fn calibrate(args: &CalibrateSpec, hooks: Hooks<'_>) -> Result<Calibrated> {
    let prepared = prepare(&args.file)?;
    if let (Some(spec), Some(out)) = (&args.shard, &args.out) {
        return wave(args, &prepared, spec, out);
    }
    let Prepared { file, cal, episodes, settings, identity } = prepared;
    let dir = match &args.out {
        Some(d) if args.resume => d.clone(),
        Some(d) => {
            guard_out_dir(d, &FILES, args.force)?;
            crate::inputs::create_out(d)?;
            d.clone()
        }
        None => fresh_dir(&format!("calibrate-{}", cal.name))?,
    };
    let start =
        if args.resume { resume(&dir, &identity, cal.parameters.len())? } else { Vec::new() };
    if args.resume {
        hooks.progress.note(&format!("continuing after generation {}", start.len() as i64 - 1));
    }

    let pool = crate::inputs::worker_pool(args.threads)?;
    let failures = AtomicU64::new(0);
    let evaluate = Proposals { cal: &cal, episodes: &episodes, failures: &failures };
    let mut finished = start.clone();
    let mut done = |g: &Generation| -> Result<(), String> {
        finished.push(g.clone());
        hooks.progress.note(&format!(
            "generation {}: tolerance {}, {} particles from {} proposals ({:.1}% accepted), ESS {:.0}",
            finished.len() - 1,
            g.tolerance,
            g.theta.len(),
            g.proposals,
            100.0 * g.theta.len() as f64 / g.proposals.max(1) as f64,
            g.ess()
        ));
        let state = State {
            identity: identity.clone(),
            generations: finished.clone(),
            filling: None,
            failed: 0,
        };
        state.write(&dir).map_err(|e| e.to_string())
    };
    let (generations, stop) = pool
        .install(|| abc::run(&settings, start, &evaluate, &mut done))
        .map_err(|e| Error::Machine(format!("calibration failed: {e}")))?;
    let failed = failures.load(Ordering::Relaxed);
    if generations.is_empty() {
        return Err(input(format!(
            "{file}: no point of the prior reproduces the record within the first tolerance ({}): {}",
            cal.tolerances[0],
            stop_words(&stop)
        )));
    }
    write_outputs(&dir, &cal, &episodes, &generations, &stop, failed, &args.command_line)?;
    let text = summary(&cal, &episodes, &generations, &stop, failed);
    Ok(Calibrated { status: format!("wrote {}\n", dir.display()), dir, text })
}

/// An episode's scenario with its record (timeline and observations) in it.
pub(crate) fn record_scenario(episode: &Episode, here: &Path) -> Result<Scenario> {
    let scenario_arg = if sidelines_scenario::embedded_source(&episode.scenario_ref).is_some() {
        episode.scenario_ref.clone()
    } else {
        here.join(&episode.scenario_ref).display().to_string()
    };
    let timeline = here.join(&episode.timeline);
    let observed = match &episode.observed {
        Some(o) => Some(here.join(o)),
        None => crate::replay::default_observed(&timeline),
    };
    let read = |p: &Path, what: &str| {
        read_input(p).map_err(|e| input(format!("cannot read {what} {}: {e}", p.display())))
    };
    let timeline_name = timeline.display().to_string();
    let timeline_bytes = read(&timeline, "timeline")?;
    let observed_name = observed.as_ref().map(|p| p.display().to_string());
    let observed_bytes = match &observed {
        Some(p) => Some(read(p, "observations")?),
        None => None,
    };
    let replay = crate::replay::load_record(
        &scenario_arg,
        Input { name: &timeline_name, bytes: &timeline_bytes },
        observed_name
            .as_deref()
            .zip(observed_bytes.as_deref())
            .map(|(name, bytes)| Input { name, bytes }),
        0,
    )?;
    Ok(replay.scenario)
}

/// Each episode's scenario at a point of the unit cube, or None if one does not validate.
fn point(cal: &Calibration, episodes: &[Recorded], theta: &[f64]) -> Option<Vec<Scenario>> {
    episodes.iter().map(|e| scenario_at(cal, &e.bound, &e.scenario, theta, &[]).ok()).collect()
}

/// The scenario at a point of the unit cube (`bound`: what each number sets in it), with
/// `fixed` (what a model fixes) set after the point's values; why not where it does not
/// validate.
pub(crate) fn scenario_at(
    cal: &Calibration,
    bound: &[Bound],
    scenario: &Scenario,
    theta: &[f64],
    fixed: &[(String, f64)],
) -> std::result::Result<Scenario, String> {
    let mut sets: Vec<(String, f64)> = Vec::new();
    for ((p, b), u) in cal.parameters.iter().zip(bound).zip(theta) {
        sets.extend(b.settings(p.scale(*u)));
    }
    sets.extend(fixed.iter().cloned());
    scenario.with_values(sets.iter().map(|(p, v)| (p.as_str(), *v))).map_err(|e| e.to_string())
}

/// What each calibrated number of `cal` sets in the scenario of episode `name`.
pub(crate) fn bind(
    cal: &Calibration,
    name: &str,
    scenario: &Scenario,
) -> std::result::Result<Vec<Bound>, String> {
    cal.targets
        .iter()
        .map(|t| t.bind(name, scenario).map_err(|p| format!("episode `{name}` has no `{p}`")))
        .collect()
}

/// Runs a task of proposals aims at. Ten runs a world (one proposal of ten replicates) spent a
/// third of a calibration's cycles on the world's fixed cost per system call; but the
/// proposals of a batch that stay in the unit cube are few late on (46 of 400 on average for
/// `2025.toml`), and a batch ends when its last task does: with tasks of 60 runs the two
/// threads waited for each other about 0.9 s of 10.7. Side by side, three runs each:
/// 30 runs a task 0.951x the wall time of 60, and 20 runs 1.032x that of 30.
const TASK_RUNS: usize = 32;

/// The calibration's evaluator: several proposals a task (`TASK_RUNS`), their runs side by
/// side in one world per episode; a run is a pure function of (scenario, seed), so which runs
/// share a world changes no result.
struct Proposals<'a> {
    cal: &'a Calibration,
    episodes: &'a [Recorded],
    /// Proposals whose scenario did not validate.
    failures: &'a AtomicU64,
}

impl abc::Evaluator for Proposals<'_> {
    fn evaluate(&self, id: u64, theta: &[f64]) -> Evaluation {
        self.evaluate_many(&[(id, theta)]).pop().unwrap_or_default()
    }

    fn per_task(&self) -> usize {
        (TASK_RUNS / (self.cal.replicates as usize).max(1)).max(1)
    }

    fn evaluate_many(&self, proposals: &[(u64, &[f64])]) -> Vec<Evaluation> {
        // The proposals whose scenarios validate, each scenario built once and shared by its
        // runs; which proposals those are.
        let mut valid: Vec<(u64, Vec<Arc<Scenario>>)> = Vec::with_capacity(proposals.len());
        let mut validated = Vec::with_capacity(proposals.len());
        for &(id, theta) in proposals {
            let p = point(self.cal, self.episodes, theta);
            validated.push(p.is_some());
            match p {
                Some(s) => valid.push((id, s.into_iter().map(Arc::new).collect())),
                None => _ = self.failures.fetch_add(1, Ordering::Relaxed),
            }
        }
        let mut scored = runs(&valid, self.cal, self.episodes).unwrap_or_else(|| {
            // A world refused them together (a proposal of another shape): one at a time.
            valid
                .iter()
                .map(|p| runs(std::slice::from_ref(p), self.cal, self.episodes))
                .map(|e| e.and_then(|mut e| e.pop()).unwrap_or_default())
                .collect()
        });
        scored.reverse();
        validated
            .into_iter()
            .map(|ok| ok.then(|| scored.pop()).flatten().unwrap_or_default())
            .collect()
    }
}

/// Points' replicates, point by point: per run, which observations of every episode it
/// reproduced (episode by episode, in the file's order). Replicate k of every episode has seed
/// k of its point. The points' runs of one episode share a world; `None` if it refuses them.
fn runs(
    points: &[(u64, Vec<Arc<Scenario>>)],
    cal: &Calibration,
    episodes: &[Recorded],
) -> Option<Vec<Evaluation>> {
    if points.is_empty() {
        return Some(Vec::new());
    }
    let r = cal.replicates as usize;
    let mut reproduced: Vec<Evaluation> = vec![vec![Vec::new(); r]; points.len()];
    for (i, e) in episodes.iter().enumerate() {
        let runs: Vec<(Arc<Scenario>, u64)> = points
            .iter()
            .flat_map(|(id, scenarios)| {
                let s = &scenarios[i];
                (0..cal.replicates).map(move |k| (s.clone(), run_seed(cal.seed, *id, k)))
            })
            .collect();
        in_world(&runs, |_, outs| {
            for (point, outs) in reproduced.iter_mut().zip(outs.chunks(r)) {
                for (k, o) in outs.iter().enumerate() {
                    point[k].extend(
                        e.flags
                            .iter()
                            .map(|&c| matches!(o.outcomes.get(c), Some(Value::Flag(true)))),
                    );
                }
            }
        })
        .ok()?;
    }
    Some(reproduced)
}

/// Worlds a thread keeps for the next proposal, one per shape and size it met.
const KEPT_WORLDS: usize = 8;

thread_local! {
    static WORLDS: RefCell<Vec<Simulation>> = const { RefCell::new(Vec::new()) };
}

/// Runs `runs` (scenario, seed) side by side in this thread's world of their shape, then hands
/// the world and the outputs to `read`. The world is built on first use and kept: proposals
/// differ only in numbers, and building a world for each was a tenth of a calibration's time.
/// Runs are pure functions of (scenario, seed), so reuse changes no result.
pub(crate) fn in_world<R>(
    runs: &[(Arc<Scenario>, u64)],
    read: impl FnOnce(&Simulation, &[RunOutput]) -> R,
) -> std::result::Result<R, BuildError> {
    let Some((s, _)) = runs.first() else {
        return Err(BuildError(String::from("no runs to run")));
    };
    let capacity = runs.len();
    WORLDS.with_borrow_mut(|worlds| {
        let at = match worlds.iter().position(|w| w.capacity() == capacity && w.fits(s)) {
            Some(at) => at,
            None => {
                if worlds.len() >= KEPT_WORLDS {
                    worlds.remove(0);
                }
                worlds.push(Simulation::with_capacity(s.clone(), capacity)?);
                worlds.len() - 1
            }
        };
        let sim = &mut worlds[at];
        let mut outs = vec![RunOutput::default(); runs.len()];
        sim.run_mixed(runs, Record::default(), &mut outs)?;
        Ok(read(sim, &outs))
    })
}

/// A calibration's checkpoint (`.calibrate-state.json`): its identity, the finished
/// generations, the generation being filled by waves, and the proposals that failed validation.
/// Written after every generation (and every wave taken in); read by `--resume` and by the next
/// wave.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct State {
    /// The calibration file and version, compared whole.
    identity: serde_json::Value,
    generations: Vec<Generation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filling: Option<abc::Filling>,
    #[serde(default, skip_serializing_if = "is_zero")]
    failed: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

impl State {
    fn write(&self, dir: &Path) -> Result<()> {
        let value = serde_json::to_value(self)
            .map_err(|e| Error::Machine(format!("a calibration state: {e}")))?;
        Ok(sidelines_report::write_json(&dir.join(STATE), &value)?)
    }

    /// The state of the same calibration (`identity`, `dims` parameters) in `dir`.
    fn read(dir: &Path, identity: &serde_json::Value, dims: usize) -> Result<State> {
        let path = dir.join(STATE);
        let Ok(bytes) = std::fs::read(&path) else {
            return Err(input(format!(
                "{} holds no calibration to continue (no {STATE})",
                dir.display()
            )));
        };
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let state: State = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            input(format!("{}: a damaged checkpoint (at `{}`)", path.display(), e.path()))
        })?;
        if state.identity != *identity {
            return Err(input(format!(
                "{} was started from another calibration file or version; choose another --out",
                dir.display()
            )));
        }
        if !state.generations.iter().all(|g| g.theta.iter().all(|t| t.len() == dims)) {
            return Err(input(format!("{}: a damaged checkpoint", path.display())));
        }
        Ok(state)
    }
}

/// The finished generations of an interrupted calibration in `dir`, if it was the same one.
fn resume(dir: &Path, identity: &serde_json::Value, dims: usize) -> Result<Vec<Generation>> {
    Ok(State::read(dir, identity, dims)?.generations)
}

fn toml_to_json(t: &toml::Table) -> serde_json::Value {
    serde_json::to_value(t).unwrap_or(serde_json::Value::Null)
}

fn stop_words(stop: &Stop) -> String {
    match stop {
        Stop::Done => String::from("every tolerance was reached"),
        Stop::OutOfReach { generation, tolerance, found, proposals } => format!(
            "generation {generation} (tolerance {tolerance}) found {found} particles in {proposals} proposals and stopped"
        ),
    }
}

/// How much narrower a 90% interval `[lo, hi]` (unit scale) is than a flat posterior's.
fn narrowing(lo: f64, hi: f64) -> f64 {
    (1.0 - (hi - lo) / 0.9).max(0.0)
}

/// Per parameter: prior range, weighted mean, sd and 5/50/95% quantiles (actual scale), the
/// share of the prior range outside the 90% interval, and how much narrower that interval is
/// than a flat posterior's (`1 - width / 0.9`, at least 0): the share outside is 0.1 for a flat
/// posterior by construction, which read as "10% ruled out" where nothing was.
fn posterior_rows(cal: &Calibration, g: &Generation) -> Vec<(String, [f64; 9])> {
    cal.parameters
        .iter()
        .enumerate()
        .map(|(d, p)| {
            let width = p.high - p.low;
            let (m, sd) = g.mean_sd(d);
            let q = |x: f64| p.low + x * width;
            let (lo, mid, hi) = (g.quantile(d, 0.05), g.quantile(d, 0.5), g.quantile(d, 0.95));
            (
                p.path.clone(),
                [
                    p.low,
                    p.high,
                    q(m),
                    sd * width,
                    q(lo),
                    q(mid),
                    q(hi),
                    1.0 - (hi - lo),
                    narrowing(lo, hi),
                ],
            )
        })
        .collect()
}

fn write_outputs(
    dir: &Path,
    cal: &Calibration,
    episodes: &[Recorded],
    generations: &[Generation],
    stop: &Stop,
    failed: u64,
    command_line: &[String],
) -> Result<()> {
    let f = sidelines_report::format_number;
    let csv_bytes = |w: csv::Writer<Vec<u8>>| crate::error::csv_bytes(w);

    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "generation",
        "tolerance",
        "particles",
        "proposals",
        "acceptance",
        "ess",
        "runs",
        "prior_share_consistent",
    ])?;
    for (t, g) in generations.iter().enumerate() {
        w.write_record([
            t.to_string(),
            g.tolerance.to_string(),
            g.theta.len().to_string(),
            g.proposals.to_string(),
            f(g.theta.len() as f64 / g.proposals.max(1) as f64),
            f(g.ess()),
            g.runs.to_string(),
            f(g.evidence),
        ])?;
    }
    sidelines_report::write_atomic(&dir.join("generations.csv"), &csv_bytes(w)?)?;

    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![String::from("generation"), "particle".into(), "weight".into()];
    header.extend(cal.parameters.iter().map(|p| p.path.clone()));
    header.extend(["accepted_share".into(), "mean_misses".into()]);
    w.write_record(&header)?;
    for (t, g) in generations.iter().enumerate() {
        for (i, th) in g.theta.iter().enumerate() {
            let mut row = vec![t.to_string(), i.to_string(), f(g.weights[i])];
            row.extend(cal.parameters.iter().zip(th).map(|(p, u)| f(p.scale(*u))));
            row.extend([f(g.accepted_share[i]), f(g.mean_misses[i])]);
            w.write_record(&row)?;
        }
    }
    sidelines_report::write_atomic(&dir.join("particles.csv"), &csv_bytes(w)?)?;

    let last = &generations[generations.len() - 1];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "parameter",
        "prior_low",
        "prior_high",
        "mean",
        "sd",
        "p05",
        "p50",
        "p95",
        "share_of_prior_range_outside_90",
        "narrowing_vs_flat",
    ])?;
    for (path, v) in posterior_rows(cal, last) {
        let mut row = vec![path];
        row.extend(v.iter().map(|x| f(*x)));
        w.write_record(&row)?;
    }
    sidelines_report::write_atomic(&dir.join("posterior.csv"), &csv_bytes(w)?)?;

    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header =
        vec![String::from("episode"), "date".into(), "outcome".into(), "observed".into()];
    header.extend((0..generations.len()).map(|t| format!("share_reproduced_generation_{t}")));
    w.write_record(&header)?;
    let observations =
        episodes.iter().flat_map(|e| e.scenario.observed.iter().map(move |o| (e, o)));
    for (k, (e, o)) in observations.enumerate() {
        let mut row =
            vec![e.name.clone(), e.scenario.date(o.day), o.outcome.clone(), o.expect.to_string()];
        for g in generations {
            let share: f64 = g
                .matched
                .get(k)
                .map_or(f64::NAN, |m| m.iter().zip(&g.weights).map(|(x, w)| x * w).sum());
            // Weights sum to 1 up to rounding: show 12 decimals, not the rounding.
            row.push(f((share * 1e12).round() / 1e12));
        }
        w.write_record(&row)?;
    }
    sidelines_report::write_atomic(&dir.join("observations.csv"), &csv_bytes(w)?)?;

    let parameters = cal
        .parameters
        .iter()
        .zip(&cal.targets)
        .map(|(p, t)| manifest::Parameter {
            episode: t.episode.clone(),
            group: match &t.set {
                Set::Group { patterns, .. } => Some(patterns.clone()),
                Set::Path(_) => None,
            },
            // The scenario's own value (the first episode's that has the path, or the named
            // episode's); a group shifts many numbers and has none.
            baseline: match &t.set {
                Set::Path(path) => episodes
                    .iter()
                    .filter(|e| t.episode.as_ref().is_none_or(|n| *n == e.name))
                    .find_map(|e| sidelines_scenario::params::get(&e.scenario.document, path)),
                Set::Group { .. } => None,
            },
            ..manifest::Parameter::from(p)
        })
        .collect();
    let names: Vec<&str> = episodes.iter().map(|e| e.scenario.name.as_str()).collect();
    let manifest = Manifest {
        scenario: Some(names.join("+")),
        episodes: (cal.episodes.len() > 1)
            .then(|| cal.episodes.iter().map(|e| format!("{}={}", e.name, e.timeline)).collect()),
        calibration: Some(cal.name.clone()),
        seed: Some(cal.seed),
        runs: Some(generations.iter().map(|g| g.runs).sum::<u64>()),
        method: Some(String::from(
            "ABC-SMC (Toni et al. 2009), Beaumont et al. (2009) kernel, replicates per proposal",
        )),
        stopped: Some(stop_words(stop)),
        points_that_failed_validation: Some(failed),
        parameters: Some(parameters),
        calibration_file: Some(toml_to_json(&cal.source)),
        ..Manifest::new(Kind::Calibrate, command_line)
    };
    manifest.write(dir)?;
    Ok(())
}

fn summary(
    cal: &Calibration,
    episodes: &[Recorded],
    generations: &[Generation],
    stop: &Stop,
    failed: u64,
) -> String {
    let mut t = String::from(
        "generation  tolerance  particles  proposals  accepted      ESS  prior ruled out\n",
    );
    for (i, g) in generations.iter().enumerate() {
        t.push_str(&format!(
            "{i:>10}  {:>9}  {:>9}  {:>9}  {:>7.1}%  {:>7.0}  {:>14.4}\n",
            g.tolerance,
            g.theta.len(),
            g.proposals,
            100.0 * g.theta.len() as f64 / g.proposals.max(1) as f64,
            g.ess(),
            1.0 - g.evidence
        ));
    }
    t.push_str(
        "prior ruled out: the share of the prior's predictive mass whose runs miss more \
         observations than the tolerance\n",
    );
    if let Stop::OutOfReach { .. } = stop {
        t.push_str(&format!("stopped early: {}\n", stop_words(stop)));
    }
    if failed > 0 {
        t.push_str(&format!("{failed} proposed points did not validate and were rejected\n"));
    }
    let last = &generations[generations.len() - 1];
    t.push_str(&format!(
        "\nposterior at tolerance {}: its runs miss at most {} of the {} observations\n",
        last.tolerance,
        last.tolerance,
        episodes.iter().map(|e| e.scenario.observed.len()).sum::<usize>()
    ));
    t.push_str(&format!(
        "{:<48}{:>16}{:>10}{:>22}{:>10}\n",
        "parameter", "prior", "mean", "90% interval", "narrowed"
    ));
    for (path, v) in posterior_rows(cal, last) {
        t.push_str(&format!(
            "{path:<48}{:>16}{:>10.3}{:>22}{:>9.0}%\n",
            format!("[{}, {}]", v[0], v[1]),
            v[2],
            format!("[{:.3}, {:.3}]", v[4], v[6]),
            100.0 * v[8]
        ));
    }
    t.push_str(
        "narrowed: how much narrower the 90% interval is than a flat posterior's (0% where the \
         record says nothing about it; 100% for a point)\n",
    );
    t
}

// Waves: a calibration across machines.
//
// A generation's proposals are scored in batches, and the population is the first `particles`
// accepted proposals in index order, batch by batch (`abc::drive`). Scoring is a pure function
// of (seed, generation, index, previous population), so any machine can score any batch: a
// wave gives each of N shards `--batches-per-shard` consecutive batches after the ones already
// taken in, and `merge` feeds the wave's scores to `abc::drive` in index order. Where the
// population fills, the rest of the wave is dropped; where it does not, the generation waits
// for the next wave (the state keeps the kept proposals). The generations are those of an
// unsplit calibration, bit for bit.

/// A wave shard's scores (`scores.json`): the index of its first proposal and each proposal's
/// score (`null` for one that left the unit cube).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Scores {
    first: usize,
    scores: Vec<Option<abc::Scored>>,
}

impl Scores {
    fn read(file: &Path) -> Result<Scores> {
        let bytes = std::fs::read(file)
            .map_err(|e| input(format!("cannot read {}: {e}", file.display())))?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            input(format!("{}: damaged at `{}`: {}", file.display(), e.path(), e.inner()))
        })
    }
}

/// What a calibration folder's state holds: finished generations, the generation being filled
/// (by waves) and the proposals that failed validation so far.
struct WaveState {
    generations: Vec<Generation>,
    filling: abc::Filling,
    failed: u64,
}

fn read_wave_state(dir: &Path, p: &Prepared) -> Result<WaveState> {
    if !dir.join(STATE).is_file() {
        return Ok(WaveState {
            generations: Vec::new(),
            filling: abc::Filling::default(),
            failed: 0,
        });
    }
    let state = State::read(dir, &p.identity, p.cal.parameters.len())?;
    Ok(WaveState {
        generations: state.generations,
        filling: state.filling.unwrap_or_default(),
        failed: state.failed,
    })
}

fn write_wave_state(dir: &Path, p: &Prepared, s: &WaveState) -> Result<()> {
    State {
        identity: p.identity.clone(),
        generations: s.generations.clone(),
        filling: Some(s.filling.clone()),
        failed: s.failed,
    }
    .write(dir)
}

/// `calibrate FILE --out DIR --shard I/N`: scores this shard's part of the next wave into
/// DIR/wave/I.
fn wave(args: &CalibrateSpec, p: &Prepared, spec: &str, dir: &Path) -> Result<Calibrated> {
    let shard = crate::shard::parse(Some(spec))?.ok_or_else(|| input("--shard needs a value"))?;
    crate::inputs::create_out(dir)?;
    let state = read_wave_state(dir, p)?;
    let t = state.generations.len();
    if dir.join("manifest.json").is_file() || t >= p.settings.tolerances.len() {
        return Ok(Calibrated {
            dir: dir.to_path_buf(),
            text: format!("the calibration in {} is finished: nothing to score\n", dir.display()),
            status: String::new(),
        });
    }
    let size = abc::batch_size(&p.settings);
    let limit = abc::limit(&p.settings);
    let per_shard = args.batches_per_shard as usize * size;
    let start = state.filling.proposals;
    let first = (start + shard.index as usize * per_shard).min(limit);
    let end = (first + per_shard).min(limit);

    let out = dir.join("wave").join(shard.index.to_string());
    // A task requeued or re-submitted after it scored this wave has nothing to do.
    let done = manifest::read(&out).ok();
    let same_wave = |m: &Manifest| {
        m.generation == Some(t as u64)
            && m.wave_start == Some(start as u64)
            && m.shard.as_ref().map(|s| s.count) == Some(shard.count)
            && m.batches_per_shard == Some(args.batches_per_shard)
    };
    if done.as_ref().is_some_and(same_wave) {
        return Ok(Calibrated {
            text: format!("{} holds this shard of this wave already\n", out.display()),
            dir: out,
            status: String::new(),
        });
    }
    let started = std::time::Instant::now();
    let pool = crate::inputs::worker_pool(args.threads)?;
    // A wave's failures are counted again by the merge, from its scores.
    let failures = AtomicU64::new(0);
    let evaluate = Proposals { cal: &p.cal, episodes: &p.episodes, failures: &failures };
    let previous = state.generations.last();
    let scores = pool.install(|| abc::score(&p.settings, previous, t, first..end, &evaluate));
    let elapsed = started.elapsed().as_secs_f64();
    crate::inputs::create_out(&out)?;
    // An older wave's manifest goes first, so that a shard killed while rewriting is unfinished.
    let manifest_path = out.join("manifest.json");
    if manifest_path.exists() {
        std::fs::remove_file(&manifest_path).map_err(|source| sidelines_report::Error::Io {
            path: manifest_path.clone(),
            source,
        })?;
    }
    let scores_json = serde_json::to_value(Scores { first, scores })
        .map_err(|e| Error::Machine(format!("a wave's scores: {e}")))?;
    sidelines_report::write_json(&out.join("scores.json"), &scores_json)?;
    // Paths the merge reads back: absolute, and as text exactly (a current folder that is not
    // UTF-8 would be written lossily and point merge at another path).
    let absolute = |x: &Path| -> Result<String> {
        let a = x.canonicalize().unwrap_or_else(|_| x.to_path_buf());
        a.to_str().map(String::from).ok_or_else(|| {
            input(format!(
                "{} is not UTF-8 text: a calibration wave records it for merge; rename it",
                a.display()
            ))
        })
    };
    let (calibration_path, calibration_dir) = (absolute(&args.file)?, absolute(dir)?);
    let mut manifest = Manifest {
        threads: Some(crate::inputs::threads(args.threads) as u64),
        elapsed_seconds: Some(elapsed),
        calibration_path: Some(calibration_path),
        calibration_dir: Some(calibration_dir),
        identity: Some(p.identity.clone()),
        generation: Some(t as u64),
        wave_start: Some(start as u64),
        batches_per_shard: Some(args.batches_per_shard),
        ..Manifest::new(Kind::CalibrateWave, &args.command_line)
    };
    let slice = first as u64..end as u64;
    crate::shard::mark_shard(&mut manifest, shard, "proposals", slice, (end - first) as u64);
    manifest.write(&out)?;
    let status = format!(
        "generation {t}, wave from proposal {start}: shard {} of {} scored proposals {first} to {end} in {elapsed:.1} s\nwrote {}\n",
        shard.index,
        shard.count,
        out.display()
    );
    Ok(Calibrated { dir: out, text: String::new(), status })
}

/// `merge DIR/wave/* --out DIR` for a calibration: takes the wave's scores in, in index order,
/// and either finishes the calibration (its outputs, as an unsplit one writes them) or keeps
/// the generation being filled for the next wave. The wave folders are removed once taken in.
pub fn absorb_wave(
    shards: &[(PathBuf, Manifest)],
    out: &Path,
    command_line: &[String],
    hooks: Hooks<'_>,
) -> Result<String> {
    let first = &shards[0].1;
    let path = PathBuf::from(first.calibration_path.as_deref().unwrap_or(""));
    let p = prepare(&path)?;
    if first.identity.as_ref() != Some(&p.identity) {
        return Err(input(format!(
            "{} has changed since the wave was scored (or is another version's): score the wave again",
            path.display()
        )));
    }
    let dir = first.calibration_dir.as_deref().unwrap_or("");
    let same = out.canonicalize().ok().is_some_and(|o| o == Path::new(dir));
    if !same {
        return Err(input(format!(
            "these shards belong to the calibration in {dir}: merge them with --out {dir}"
        )));
    }
    let mut state = read_wave_state(out, &p)?;
    let t = first.generation.map_or(usize::MAX, |g| g as usize);
    let start = first.wave_start.map_or(usize::MAX, |s| s as usize);
    if t != state.generations.len() || start != state.filling.proposals {
        return Err(input(format!(
            "this wave (generation {t}, from proposal {start}) is not the one the calibration in {} waits for (generation {}, from proposal {}): it was taken in already, or is older; score the next wave",
            out.display(),
            state.generations.len(),
            state.filling.proposals
        )));
    }
    let mut scores: std::collections::BTreeMap<usize, Option<abc::Scored>> = Default::default();
    for (shard_dir, _) in shards {
        let wave = Scores::read(&shard_dir.join("scores.json"))?;
        for (i, s) in wave.scores.into_iter().enumerate() {
            scores.insert(wave.first + i, s);
        }
    }
    let mut failed = state.failed;
    let mut source = |generation: usize, _: Option<&Generation>, ids: std::ops::Range<usize>| {
        if generation != t || ids.clone().any(|j| !scores.contains_key(&j)) {
            return None;
        }
        let batch: Vec<Option<abc::Scored>> =
            ids.map(|j| scores.get(&j).cloned().flatten()).collect();
        failed += batch.iter().flatten().filter(|s| s.runs == 0).count() as u64;
        Some(batch)
    };
    let mut report = |g: &Generation| -> Result<(), String> {
        hooks.progress.note(&format!(
            "generation {t}: tolerance {}, {} particles from {} proposals, ESS {:.0}",
            g.tolerance,
            g.theta.len(),
            g.proposals,
            g.ess()
        ));
        Ok(())
    };
    let generations = std::mem::take(&mut state.generations);
    let filling = std::mem::take(&mut state.filling);
    let driven = abc::drive(&p.settings, generations, filling, &mut source, &mut report)
        .map_err(|e| Error::Machine(format!("calibration failed: {e}")))?;
    state.failed = failed;
    let message = match driven {
        abc::Driven::Paused { generations, filling } => {
            let text = format!(
                "generation {}: {} of {} particles kept after {} proposals; score the next wave\n",
                generations.len(),
                filling.kept.len(),
                p.settings.particles,
                filling.proposals
            );
            state.generations = generations;
            state.filling = filling;
            write_wave_state(out, &p, &state)?;
            text
        }
        abc::Driven::Finished(generations, stop) => {
            if generations.is_empty() {
                return Err(input(format!(
                    "{}: no point of the prior reproduces the record within the first tolerance ({}): {}",
                    p.file,
                    p.cal.tolerances[0],
                    stop_words(&stop)
                )));
            }
            state.generations = generations;
            write_wave_state(out, &p, &state)?;
            write_outputs(
                out,
                &p.cal,
                &p.episodes,
                &state.generations,
                &stop,
                state.failed,
                command_line,
            )?;
            summary(&p.cal, &p.episodes, &state.generations, &stop, state.failed)
        }
    };
    for (shard_dir, _) in shards {
        let _ = std::fs::remove_dir_all(shard_dir);
    }
    let _ = std::fs::remove_dir(out.join("wave"));
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::narrowing;

    /// A flat posterior's 90% interval is [0.05, 0.95]: narrowed by nothing, though 10% of the
    /// range lies outside it; a point is narrowed fully; half the flat width, by half.
    #[test]
    fn a_flat_posterior_is_not_narrowed() {
        assert!(narrowing(0.05, 0.95).abs() < 1e-12);
        assert_eq!(narrowing(0.02, 0.99), 0.0, "wider than flat by Monte Carlo noise: 0");
        assert_eq!(narrowing(0.4, 0.4), 1.0);
        assert!((narrowing(0.3, 0.75) - 0.5).abs() < 1e-12);
    }
}
