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
  sidelines evaluate --runs 2000 --json > scores.json
  sidelines evaluate --out outputs/evaluate                scores, skill, reliability diagram, workbook, report
  sidelines evaluate --episode agreed-framework-1994=configs/timelines/agreed-framework-1994.csv \
      --posterior outputs/calibrate-2025/latest          the calibrated model, scored on another episode")]
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
    /// A finished `sidelines calibrate` folder: each run of every episode takes its
    /// assumptions from the posterior, so the calibrated model is scored (every episode must
    /// have each calibrated path; one that lacks a path is refused by name).
    #[arg(long)]
    pub posterior: Option<PathBuf>,
    /// Also write a folder: scores.csv (every observation), skill.csv, reliability.csv,
    /// charts/ (the reliability diagram), results.xlsx and report.html.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into --out even if it already holds results.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let episodes = if args.episodes.is_empty() {
        EvaluateSpec::shipped()
    } else {
        args.episodes.iter().map(|e| parse_episode(e)).collect::<Result<_, _>>()?
    };
    if let Some(out) = &args.out {
        sidelines_workflows::inputs::out_parent_exists(out)?;
        sidelines_workflows::inputs::guard_out_dir(out, &["manifest.json"], args.force)?;
    }
    let spec = EvaluateSpec {
        episodes,
        runs: args.runs,
        seed: args.seed,
        resamples: args.resamples,
        posterior: args.posterior.clone(),
    };
    let evaluation = evaluate(&spec)?;
    if let Some(out) = &args.out {
        evaluation.write_folder(out, &spec, &crate::command_line())?;
        sidelines_report::charts::write_charts(out)?;
        crate::export_xlsx(out)?;
        sidelines_report::html::write_report(out)?;
        crate::status(&format!("wrote {}\n", out.display()));
    }
    if args.json {
        say(&format!("{}\n", serde_json::to_string_pretty(&evaluation.json())?))?;
    } else {
        say(&evaluation.text())?;
    }
    Ok(ExitCode::SUCCESS)
}
