//! Replaying a record: the record drives the world, the runs are held to what was observed
//! (record_check.csv), and with `then` days the world goes on from the record's end.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sidelines_experiment::Aggregator;
use sidelines_model::Simulation;
use sidelines_report::manifest::{Kind, Manifest};
use sidelines_scenario::{Diagnostic, Input, Replay, ReplaySpec as RecordSpec};

use crate::batch::{Batch, BatchSpec, Job, run_job};
use crate::error::{Error, Result, input};
use crate::exec::{Exec, Hooks};
use crate::inputs::{read_input, resolve_base};

/// What to replay: `scenario_arg` driven by `timeline`, held to `observed`, `then` days on.
#[derive(Clone, Debug)]
pub struct ReplaySpec {
    /// An embedded scenario name or a path to a .toml file.
    pub scenario_arg: String,
    /// The record: a CSV of dated events.
    pub timeline: PathBuf,
    /// What was observed (None: the timeline's `-observed.csv` sibling, when it exists).
    pub observed: Option<PathBuf>,
    /// Days simulated after the record's last day.
    pub then: u32,
    pub runs: u64,
    pub seed: u64,
    pub trajectories: u64,
    /// A finished calibration folder: each run takes its assumptions from its posterior.
    pub posterior: Option<PathBuf>,
    pub exec: Exec,
}

/// A finished replay: the batch and its record check.
#[derive(Debug)]
pub struct Replayed {
    pub batch: Batch,
    /// One row per observation: the share of runs as observed.
    pub checks: Vec<Check>,
}

/// Replays a record.
pub fn replay(spec: &ReplaySpec, hooks: Hooks<'_>) -> Result<Replayed> {
    let observed = spec.observed.clone().or_else(|| default_observed(&spec.timeline));
    let replay = load(spec, observed.as_deref())?;
    let per_run = match &spec.posterior {
        None => None,
        Some(dir) => {
            if spec.exec.resume {
                return Err(input(
                    "--resume does not continue a --posterior replay yet: start it again",
                ));
            }
            let runs = usize::try_from(spec.runs)
                .map_err(|_| input("--runs is too large for --posterior"))?;
            let drawn = crate::posterior::posterior_runs(dir, &replay.scenario, runs)?;
            let a = &drawn.applied;
            if a.invalid_share > 0.0 {
                hooks.progress.note(&format!(
                    "{:.1}% of the posterior's weight is on points that do not validate in `{}`: left out",
                    100.0 * a.invalid_share,
                    replay.scenario.name
                ));
            }
            if !a.integrated_out.is_empty() {
                hooks.progress.note(&format!(
                    "the posterior's {} integrated out (they do not apply to `{}`)",
                    a.integrated_out.join(", "),
                    replay.scenario.name
                ));
            }
            Some(Arc::new(drawn.runs))
        }
    };
    let mut scenario = replay.scenario.clone();
    if spec.posterior.is_some() {
        // Its own name, so its folder and identity are not the plain replay's.
        scenario.name = format!("{}-posterior", scenario.name);
    }
    let scenario = Arc::new(scenario);
    let mut command = format!("replay --timeline {} --then {}", spec.timeline.display(), spec.then);
    if let Some(o) = &observed {
        command.push_str(&format!(" --observed {}", o.display()));
    }
    let job = Job {
        manifest: Manifest {
            timeline: Some(spec.timeline.display().to_string()),
            observed: observed.as_ref().map(|o| o.display().to_string()),
            record_last_date: Some(scenario.date(replay.last_day)),
            then_days: Some(u64::from(spec.then)),
            posterior: spec.posterior.as_ref().map(|p| p.display().to_string()),
            ..Manifest::new(Kind::Replay, &[])
        },
        command,
        per_run,
        files: vec![("record.csv", record_csv(&replay)?)],
    };
    let batch_spec = BatchSpec {
        scenario_arg: spec.scenario_arg.clone(),
        scenario,
        runs: spec.runs,
        seed: spec.seed,
        trajectories: spec.trajectories,
        exec: spec.exec.clone(),
    };
    // The check is computed once, where record_check.csv is written (a whole replay's folder,
    // not a shard's), and returned as it was written.
    let mut checks = Vec::new();
    let mut finish = |dir: &Path, sim: &Simulation, agg: &Aggregator| -> Result<()> {
        let rows = record_check(sim, agg);
        sidelines_report::write_atomic(&dir.join("record_check.csv"), &check_csv(&rows)?)?;
        checks = rows;
        Ok(())
    };
    let batch = run_job(&batch_spec, job, &mut finish, hooks)?;
    Ok(Replayed { batch, checks })
}

/// The scenario with the record in it, or every problem of the three files.
fn load(spec: &ReplaySpec, observed_path: Option<&Path>) -> Result<Replay> {
    let timeline_name = spec.timeline.display().to_string();
    let timeline = read_input(&spec.timeline)
        .map_err(|e| input(format!("cannot read --timeline {timeline_name}: {e}")))?;
    let observed_name = observed_path.map(|p| p.display().to_string());
    let observed = match observed_path {
        Some(p) => Some(
            read_input(p)
                .map_err(|e| input(format!("cannot read --observed {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let timeline = Input { name: &timeline_name, bytes: &timeline };
    let observed = observed_name
        .as_deref()
        .zip(observed.as_deref())
        .map(|(name, bytes)| Input { name, bytes });
    load_record(&spec.scenario_arg, timeline, observed, spec.then)
}

/// The observations file beside a timeline: `2025.csv` -> `2025-observed.csv`.
pub fn default_observed(timeline: &Path) -> Option<PathBuf> {
    let stem = timeline.file_stem()?.to_string_lossy();
    let p = timeline.with_file_name(format!("{stem}-observed.csv"));
    p.is_file().then_some(p)
}

/// `scenario` (an embedded name or a file) with a record in it, checked against the model's
/// outcome names; every problem of the three inputs at once.
pub fn load_record(
    scenario: &str,
    timeline: Input<'_>,
    observed: Option<Input<'_>>,
    then_days: u32,
) -> Result<Replay> {
    let (file, bytes) = match sidelines_scenario::embedded_source(scenario) {
        Some(text) => (format!("{scenario} (embedded)"), text.as_bytes().to_vec()),
        None => {
            let p = Path::new(scenario);
            let bytes =
                read_input(p).map_err(|e| input(format!("cannot read {}: {e}", p.display())))?;
            (p.display().to_string(), bytes)
        }
    };
    let spec = RecordSpec { timeline, observed, then_days };
    let replay = sidelines_scenario::load_replay(&file, &bytes, &resolve_base, spec)?;
    // Outcome names are the model's: check them against a built simulation.
    let sim = Simulation::new(Arc::new(replay.scenario.clone()))?;
    let problems: Vec<Diagnostic> = sim
        .observation_problems()
        .iter()
        .map(|(k, message)| {
            let place = replay.scenario.observed[*k].place.clone();
            Diagnostic {
                file: place.as_ref().map_or_else(|| String::from("<observed>"), |p| p.file.clone()),
                line: place.as_ref().map_or(0, |p| p.line),
                column: place.as_ref().map_or(0, |p| p.column),
                field: String::from("outcome"),
                message: message.clone(),
            }
        })
        .collect();
    if !problems.is_empty() {
        return Err(Error::Scenario(sidelines_scenario::Error { diagnostics: problems }));
    }
    Ok(replay)
}

/// One row of record_check.csv.
#[derive(Clone, Debug)]
pub struct Check {
    pub date: String,
    pub outcome: String,
    pub observed: String,
    pub note: String,
    /// Share of runs in which the outcome was as observed, with its 95% Wilson interval.
    pub share: (f64, f64, f64),
    pub runs: u64,
    /// Mean of a numeric outcome on the date with its 95% interval, and the runs' 5-95% range.
    pub mean: Option<(f64, f64, f64, f64, f64)>,
}

impl Check {
    /// The observation lies inside the model's 90% range when at least 5% of runs match it.
    pub fn inside(&self) -> bool {
        self.share.0 >= 0.05
    }
}

pub fn record_check(sim: &Simulation, agg: &Aggregator) -> Vec<Check> {
    let s = sim.scenario();
    let shares = agg.shares();
    let summaries = agg.summaries();
    let mut out = Vec::new();
    for o in &s.observed {
        let column = format!("{}_{}", o.outcome, s.date(o.day).replace('-', "_"));
        let flag = format!("{column}_as_observed");
        let Some(yes) = shares.iter().find(|x| x.outcome == flag && x.value == "true") else {
            continue;
        };
        let n: u64 = shares.iter().filter(|x| x.outcome == flag).map(|x| x.count).sum();
        let mean = summaries
            .iter()
            .find(|x| x.outcome == column)
            .map(|x| (x.mean, x.ci95_low, x.ci95_high, x.quantiles[0], x.quantiles[4]));
        out.push(Check {
            date: s.date(o.day),
            outcome: o.outcome.clone(),
            observed: o.expect.to_string(),
            note: o.note.clone(),
            share: (yes.share, yes.ci95_low, yes.ci95_high),
            runs: n,
            mean,
        });
    }
    out
}

pub fn check_csv(rows: &[Check]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "date",
        "outcome",
        "observed",
        "runs",
        "share_as_observed",
        "share_ci95_low",
        "share_ci95_high",
        "inside_90",
        "mean",
        "mean_ci95_low",
        "mean_ci95_high",
        "p05",
        "p95",
        "note",
    ])?;
    let f = |x: f64| format!("{x:.6}");
    for r in rows {
        let (m, lo, hi, p05, p95) = match r.mean {
            Some((m, lo, hi, p05, p95)) => (f(m), f(lo), f(hi), f(p05), f(p95)),
            None => Default::default(),
        };
        w.write_record([
            r.date.clone(),
            r.outcome.clone(),
            r.observed.clone(),
            r.runs.to_string(),
            f(r.share.0),
            f(r.share.1),
            f(r.share.2),
            sidelines_report::flag_text(r.inside()).to_string(),
            m,
            lo,
            hi,
            p05,
            p95,
            r.note.clone(),
        ])?;
    }
    crate::error::csv_bytes(w)
}

pub fn record_csv(replay: &Replay) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["date", "day", "kind", "source", "target", "strength", "note", "source_url"])?;
    for r in &replay.rows {
        w.write_record([
            r.date.clone(),
            r.day.to_string(),
            r.kind.clone(),
            r.source.clone(),
            r.target.clone(),
            r.strength.to_string(),
            r.note.clone(),
            r.source_url.clone(),
        ])?;
    }
    crate::error::csv_bytes(w)
}
