//! `sidelines replay`: the record drives the world, the runs are held to what was observed,
//! and (with `--then`) the world goes on from the record's end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use sidelines_experiment::Aggregator;
use sidelines_model::Simulation;
use sidelines_scenario::{DEFAULT_SCENARIO, Diagnostic, Input, Replay, ReplaySpec};

use crate::batch::{self, Job};
use crate::{input_error, read_input, resolve_base};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines replay --timeline configs/timelines/2025.csv
  sidelines replay --timeline configs/timelines/2025.csv --then 365 --charts
  sidelines replay iran-talks-2025 --timeline configs/timelines/iran-2025.csv
  sidelines replay --timeline configs/timelines/2025.csv --posterior outputs/calibrate-2025/latest")]
pub struct Args {
    /// An embedded scenario name or a path to a .toml file.
    #[arg(default_value = DEFAULT_SCENARIO)]
    pub scenario: String,
    /// The record: a CSV of dated events (date,kind,source,target,strength,note,source_url).
    #[arg(long)]
    pub timeline: PathBuf,
    /// What was observed (date,outcome,observed,note,source_url) [default: the timeline's
    /// name with `-observed` before `.csv`, when that file exists].
    #[arg(long)]
    pub observed: Option<PathBuf>,
    /// Days to simulate after the record's last day, with the model's own processes back on.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub then: u32,
    /// Number of runs.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=sidelines_scenario::sweep::MAX_RUNS))]
    pub runs: u64,
    /// Master seed; run r's seed is a pure function of (seed, point 0, replicate r).
    #[arg(long, default_value_t = 1, value_parser = crate::seed_parser())]
    pub seed: u64,
    /// Also write the full trajectories of the first K runs (trajectories.csv).
    #[arg(long, default_value_t = 0)]
    pub trajectories: u64,
    /// A finished `sidelines calibrate` folder of this scenario and record: each run takes its
    /// assumptions from the posterior (systematic resampling), so with --then the forecast is
    /// under the assumptions consistent with the record.
    #[arg(long)]
    pub posterior: Option<PathBuf>,
    #[command(flatten)]
    pub exec: crate::ExecArgs,
}

/// The observations file beside a timeline: `2025.csv` -> `2025-observed.csv`.
pub(crate) fn default_observed(timeline: &Path) -> Option<PathBuf> {
    let stem = timeline.file_stem()?.to_string_lossy();
    let p = timeline.with_file_name(format!("{stem}-observed.csv"));
    p.is_file().then_some(p)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let observed = args.observed.clone().or_else(|| default_observed(&args.timeline));
    let replay = load(&args, observed.as_deref())?;
    let per_run = match &args.posterior {
        None => None,
        Some(dir) => {
            if args.exec.resume {
                return Err(input_error(
                    "--resume does not continue a --posterior replay yet: start it again",
                ));
            }
            let runs = usize::try_from(args.runs)
                .map_err(|_| input_error("--runs is too large for --posterior"))?;
            Some(Arc::new(crate::posterior::posterior_runs(dir, &replay.scenario, runs)?))
        }
    };
    let mut scenario = replay.scenario.clone();
    if args.posterior.is_some() {
        // Its own name, so its folder and identity are not the plain replay's.
        scenario.name = format!("{}-posterior", scenario.name);
    }
    let scenario = Arc::new(scenario);
    let mut command = format!("replay --timeline {} --then {}", args.timeline.display(), args.then);
    if let Some(o) = &observed {
        command.push_str(&format!(" --observed {}", o.display()));
    }
    let job = Job {
        kind: "replay",
        command,
        extra: serde_json::json!({
            "timeline": args.timeline.display().to_string(),
            "observed": observed.as_ref().map(|o| o.display().to_string()),
            "record_last_date": scenario.date(replay.last_day),
            "then_days": args.then,
            "posterior": args.posterior.as_ref().map(|p| p.display().to_string()),
        }),
        per_run,
        files: vec![("record.csv", record_csv(&replay)?)],
    };
    let batch_args = batch::Args {
        scenario: args.scenario.clone(),
        runs: args.runs,
        seed: args.seed,
        trajectories: args.trajectories,
        exec: args.exec,
    };
    let mut finish = |dir: &Path, sim: &Simulation, agg: &Aggregator| -> Result<String> {
        let rows = record_check(sim, agg);
        sidelines_report::write_atomic(&dir.join("record_check.csv"), &check_csv(&rows)?)?;
        Ok(check_table(&rows))
    };
    batch::run_with(&batch_args, scenario, job, &mut finish)
}

/// The scenario with the record in it, or every problem of the three files.
fn load(args: &Args, observed_path: Option<&Path>) -> Result<Replay> {
    let timeline_name = args.timeline.display().to_string();
    let timeline = read_input(&args.timeline)
        .map_err(|e| input_error(format!("cannot read --timeline {timeline_name}: {e}")))?;
    let observed_name = observed_path.map(|p| p.display().to_string());
    let observed = match observed_path {
        Some(p) => Some(
            read_input(p)
                .map_err(|e| input_error(format!("cannot read --observed {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let timeline = Input { name: &timeline_name, bytes: &timeline };
    let observed = observed_name
        .as_deref()
        .zip(observed.as_deref())
        .map(|(name, bytes)| Input { name, bytes });
    load_record(&args.scenario, timeline, observed, args.then)
}

/// `scenario` (an embedded name or a file) with a record in it, checked against the model's
/// outcome names; every problem of the three inputs at once.
pub(crate) fn load_record(
    scenario: &str,
    timeline: Input<'_>,
    observed: Option<Input<'_>>,
    then_days: u32,
) -> Result<Replay> {
    let (file, bytes) = match sidelines_scenario::embedded_source(scenario) {
        Some(text) => (format!("{scenario} (embedded)"), text.as_bytes().to_vec()),
        None => {
            let p = Path::new(scenario);
            let bytes = read_input(p)
                .map_err(|e| input_error(format!("cannot read {}: {e}", p.display())))?;
            (p.display().to_string(), bytes)
        }
    };
    let spec = ReplaySpec { timeline, observed, then_days };
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
        return Err(sidelines_scenario::Error { diagnostics: problems }.into());
    }
    Ok(replay)
}

/// One row of record_check.csv.
pub(crate) struct Check {
    date: String,
    outcome: String,
    observed: String,
    note: String,
    /// Share of runs in which the outcome was as observed, with its 95% Wilson interval.
    share: (f64, f64, f64),
    runs: u64,
    /// Mean of a numeric outcome on the date with its 95% interval, and the runs' 5-95% range.
    mean: Option<(f64, f64, f64, f64, f64)>,
}

impl Check {
    /// The observation lies inside the model's 90% range when at least 5% of runs match it.
    fn inside(&self) -> bool {
        self.share.0 >= 0.05
    }
}

pub(crate) fn record_check(sim: &Simulation, agg: &Aggregator) -> Vec<Check> {
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

pub(crate) fn check_csv(rows: &[Check]) -> Result<Vec<u8>> {
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
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn record_csv(replay: &Replay) -> Result<Vec<u8>> {
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
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn check_table(rows: &[Check]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut t = String::from(
        "the record check                          observed   share of runs as observed   inside 90%\n",
    );
    for r in rows {
        t.push_str(&format!(
            "  {} {:<30}{:>10}   {:.3} [{:.3}, {:.3}]{:>14}\n",
            r.date,
            r.outcome,
            r.observed,
            r.share.0,
            r.share.1,
            r.share.2,
            if r.inside() { "yes" } else { "no" }
        ));
    }
    t
}
