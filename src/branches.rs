//! `sidelines branches`: the command line of `sidelines_workflows::branches`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_scenario::DEFAULT_SCENARIO;
use sidelines_workflows::branches::{BranchesSpec, branches};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines branches                                     every branch and the 2025 record
  sidelines branches --branch talks-collapse --runs 20000 --xlsx --charts
  sidelines branches --posterior outputs/calibrate-2025/latest")]
pub struct Args {
    /// The baseline: an embedded scenario name or a path to a .toml file.
    #[arg(default_value = DEFAULT_SCENARIO, value_parser = crate::ScenarioArg)]
    pub scenario: String,
    /// A branch to set beside the baseline (a name or a .toml file); repeat for several
    /// [default: every embedded variant of the baseline].
    #[arg(long = "branch")]
    pub branches: Vec<String>,
    /// The record replayed for the last row [default: the 2025 record compiled in,
    /// configs/timelines/2025.csv with its observations].
    #[arg(long)]
    pub timeline: Option<PathBuf>,
    /// Leave out the replay row.
    #[arg(long, conflicts_with = "timeline")]
    pub no_replay: bool,
    /// A finished `sidelines calibrate` folder: add the replay row again with each run's
    /// assumptions drawn from its posterior (the forecast under the assumptions consistent
    /// with the record, beside the forecast under the prior).
    #[arg(long, conflicts_with = "no_replay")]
    pub posterior: Option<PathBuf>,
    /// Days forecast after the record's last day in the replay row.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub then: u32,
    /// Runs per row (at most 1,000,000: every run's measures are held in memory, about
    /// 500 bytes a run and row).
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub runs: u64,
    /// Master seed; run r of every row has the seed of run r of a batch with this seed.
    #[arg(long, default_value_t = 1, value_parser = crate::seed_parser())]
    pub seed: u64,
    /// Worker threads [default: all cores; at most 4 per core]; results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Output folder [default: outputs/branches/<date>T<time>Z/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into --out even if it already holds results.
    #[arg(long)]
    pub force: bool,
    /// Also write results.xlsx with a `branches` sheet.
    #[arg(long)]
    pub xlsx: bool,
    /// Also draw the charts (branches_talks and one per headline outcome).
    #[arg(long)]
    pub charts: bool,
    /// Print the result tables as JSON on stdout instead of the text (branches.csv: every branch's shares and means, and its paired difference from the first).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = BranchesSpec {
        command_line: crate::command_line(),
        scenario: args.scenario,
        branches: args.branches,
        timeline: args.timeline,
        no_replay: args.no_replay,
        posterior: args.posterior,
        then: args.then,
        runs: args.runs,
        seed: args.seed,
        threads: args.threads,
        out: args.out,
        force: args.force,
    };
    let done = branches(&spec)?;
    crate::say_result(&done.text, args.json.then_some((&done.dir, &["branches"][..])))?;
    if args.xlsx {
        crate::export_xlsx(&done.dir)?;
    }
    if args.charts {
        crate::chart(&done.dir)?;
    }
    crate::status(&format!("wrote {}\n", done.dir.display()));
    Ok(ExitCode::SUCCESS)
}
