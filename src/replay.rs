//! `sidelines replay`: the record drives the world, the runs are held to what was observed,
//! and (with `--then`) the world goes on from the record's end.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_scenario::DEFAULT_SCENARIO;
use sidelines_workflows::replay::{Check, ReplaySpec};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines replay --timeline configs/timelines/2025.csv
  sidelines replay --timeline configs/timelines/2025.csv --then 365 --charts
  sidelines replay iran-talks-2025 --timeline configs/timelines/iran-2025.csv
  sidelines replay --timeline configs/timelines/2025.csv --posterior outputs/calibrate-2025/latest")]
pub struct Args {
    /// An embedded scenario name or a path to a .toml file.
    #[arg(default_value = DEFAULT_SCENARIO, value_parser = crate::ScenarioArg)]
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

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = ReplaySpec {
        scenario_arg: args.scenario.clone(),
        timeline: args.timeline.clone(),
        observed: args.observed.clone(),
        then: args.then,
        runs: args.runs,
        seed: args.seed,
        trajectories: args.trajectories,
        posterior: args.posterior.clone(),
        exec: args.exec.to_exec()?,
    };
    match crate::batch::interruptible(args.exec.quiet, |h| sidelines_workflows::replay(&spec, h))? {
        Ok(r) => crate::batch::report(&args.exec, r.batch, &check_table(&r.checks)),
        Err(code) => Ok(code),
    }
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
