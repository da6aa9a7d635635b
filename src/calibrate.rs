//! `sidelines calibrate`: the command line of `sidelines_workflows::calibrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_workflows::Hooks;
use sidelines_workflows::calibrate::{CalibrateSpec, calibrate};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines calibrate configs/calibration/2025.toml --charts
  sidelines calibrate configs/calibration/2025.toml --out cal --resume
  sidelines calibrate configs/calibration/2025.toml --out cal --shard 0/4    one shard of a wave
  sidelines merge cal/wave/* --out cal                   take the wave in")]
pub struct Args {
    /// A calibration file (e.g. configs/calibration/2025.toml).
    pub file: PathBuf,
    /// Worker threads [default: all cores; at most 4 per core]; results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Output folder [default: outputs/calibrate-<name>/<date>T<time>Z/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue an interrupted calibration in --out from its last finished generation.
    #[arg(long, conflicts_with = "force", requires = "out")]
    pub resume: bool,
    /// Write into --out even if it already holds results.
    #[arg(long)]
    pub force: bool,
    /// No progress lines.
    #[arg(long)]
    pub quiet: bool,
    /// Also draw the charts (posterior marginals and pairs).
    #[arg(long)]
    pub charts: bool,
    /// Print the result tables as JSON on stdout instead of the text (posterior.csv, generations.csv, observations.csv).
    #[arg(long)]
    pub json: bool,
    /// Score shard I of N of the next wave of proposals (`3/8`, `slurm`, `slurm/8`) into
    /// OUT/wave/I, for `sidelines merge OUT/wave/* --out OUT` to take in; repeat until OUT
    /// holds manifest.json (examples/slurm/calibrate.sh).
    #[arg(long, requires = "out", conflicts_with_all = ["resume", "force", "charts"])]
    pub shard: Option<String>,
    /// With --shard: batches of proposals each shard scores per wave (a batch is the larger of
    /// `particles` and 64 proposals).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000), requires = "shard")]
    pub batches_per_shard: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = CalibrateSpec {
        command_line: crate::command_line(),
        file: args.file,
        threads: args.threads,
        out: args.out,
        resume: args.resume,
        force: args.force,
        shard: args.shard.clone(),
        batches_per_shard: args.batches_per_shard,
    };
    let mut progress = crate::batch::Progress::new(args.quiet);
    let hooks = Hooks { progress: &mut progress, stop: &crate::batch::STOP };
    let done = calibrate(&spec, hooks)?;
    let tables = &["posterior", "generations", "observations"][..];
    crate::say_result(
        &done.text,
        (args.json && args.shard.is_none()).then_some((&done.dir, tables)),
    )?;
    if args.charts && args.shard.is_none() {
        crate::chart(&done.dir)?;
    }
    crate::status(&done.status);
    Ok(ExitCode::SUCCESS)
}
