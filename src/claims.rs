//! `sidelines claims`: the command line of `sidelines_workflows::claims`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_workflows::claims::{ClaimsSpec, claims};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines claims                                       every claim over the assumption space
  sidelines claims --points 400 --runs 500 --charts
  sidelines claims --posterior outputs/calibrate-2025/latest")]
pub struct Args {
    /// Points of the assumption space (a Latin hypercube).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(2..=100_000))]
    pub points: u64,
    /// Paired seeds per arm at each point.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(10..=100_000))]
    pub runs: u64,
    /// Each likelihood, effect size and rate varies within this factor of its value.
    #[arg(long, default_value_t = 2.0)]
    pub spread: f64,
    /// A finished `sidelines calibrate` folder: check the claims at its posterior's points too.
    #[arg(long)]
    pub posterior: Option<PathBuf>,
    /// Master seed (design and runs).
    #[arg(long, default_value_t = 1, value_parser = crate::seed_parser())]
    pub seed: u64,
    /// Worker threads [default: all cores; at most 4 per core]; results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Output folder [default: outputs/claims/<date>T<time>Z/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into --out even if it already holds results.
    #[arg(long)]
    pub force: bool,
    /// Also draw the chart (claims.png).
    #[arg(long)]
    pub charts: bool,
    /// Print the result tables as JSON on stdout instead of the text (claims.csv: each claim's wording and where it holds).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = ClaimsSpec {
        command_line: crate::command_line(),
        points: args.points,
        runs: args.runs,
        spread: args.spread,
        posterior: args.posterior,
        seed: args.seed,
        threads: args.threads,
        out: args.out,
        force: args.force,
    };
    let done = claims(&spec)?;
    crate::say_result(&done.text, args.json.then_some((&done.dir, &["claims"][..])))?;
    if args.charts {
        crate::chart(&done.dir)?;
    }
    crate::status(&format!("wrote {}\n", done.dir.display()));
    Ok(ExitCode::SUCCESS)
}
