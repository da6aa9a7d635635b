//! `sidelines evaluate`: the command line of `sidelines_workflows::evaluate`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_workflows::evaluate::{EvaluateSpec, evaluate, parse_episode};

use crate::say;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines evaluate                                      the six shipped episodes
  sidelines evaluate --episode my.toml=my-record.csv      (observations in my-record-observed.csv)
  sidelines evaluate --runs 2000 --json > scores.json")]
pub struct Args {
    /// An episode as SCENARIO=TIMELINE (its observations beside the timeline as
    /// TIMELINE-observed.csv); repeat it [default: the six episodes shipped under configs/, run
    /// from the repository's folder].
    #[arg(long = "episode")]
    pub episodes: Vec<String>,
    /// Runs of each episode's record.
    #[arg(long, default_value_t = 1000)]
    pub runs: u64,
    /// Master seed of the runs (run r of every episode has the batch seed rule's seed r).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Bootstrap resamples of each interval.
    #[arg(long, default_value_t = 2000)]
    pub resamples: usize,
    /// Print the scores as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Also write every observation's forecasts and scores to this CSV file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let episodes = if args.episodes.is_empty() {
        EvaluateSpec::shipped()
    } else {
        args.episodes.iter().map(|e| parse_episode(e)).collect::<Result<_, _>>()?
    };
    let spec =
        EvaluateSpec { episodes, runs: args.runs, seed: args.seed, resamples: args.resamples };
    let evaluation = evaluate(&spec)?;
    if let Some(out) = &args.out {
        sidelines_report::write_atomic(out, &evaluation.rows_csv()?)?;
    }
    if args.json {
        say(&format!("{}\n", serde_json::to_string_pretty(&evaluation.json())?))?;
    } else {
        say(&evaluation.text())?;
    }
    Ok(ExitCode::SUCCESS)
}
