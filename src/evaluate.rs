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
  sidelines evaluate --posterior outputs/calibrate-2025/latest \
      --episode configs/scenarios/six-party-2005.toml=configs/timelines/six-party-2005.csv
                                                          the calibrated model, scored on another episode
  sidelines evaluate --cv configs/calibration/episodes.toml   leave one episode out: calibration scored out of sample
  sidelines evaluate --cv configs/calibration/2025.toml --leave observations
                                                          leave one observation of 2025 out at a time")]
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
    /// Cross-validate a calibration file of several episodes: leave each episode out in turn,
    /// calibrate on the others (OUT/cv/EPISODE/), and score the one left out with the model as
    /// shipped and as calibrated on the others [--out default: outputs/cv-<name>/<time>/].
    #[arg(long, value_name = "CALIBRATION", conflicts_with_all = ["episodes", "posterior"])]
    pub cv: Option<PathBuf>,
    /// What each fold of --cv leaves out: an episode (calibrate on the others), or an
    /// observation (calibrate on the rest of its record; one calibration per observation).
    #[arg(long, default_value = "episodes", value_parser = ["episodes", "observations"], requires = "cv")]
    pub leave: String,
    /// Worker threads of --cv's calibrations [default: all cores]; results do not depend on it.
    #[arg(long, requires = "cv")]
    pub threads: Option<u64>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if let Some(file) = &args.cv {
        return cross_validate(&args, file);
    }
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
        open_up(out)?;
    }
    if args.json {
        say(&format!("{}\n", serde_json::to_string_pretty(&evaluation.json())?))?;
    } else {
        say(&evaluation.text())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `evaluate --cv`: leave one episode or observation out, with a folder of its folds and scores.
fn cross_validate(args: &Args, file: &std::path::Path) -> Result<ExitCode> {
    use sidelines_workflows::cv::{CvSpec, cross_validate};
    let out = match &args.out {
        Some(o) => o.clone(),
        None => {
            let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
            sidelines_workflows::inputs::fresh_dir(&format!("cv-{}", stem.unwrap_or_default()))?
        }
    };
    sidelines_workflows::inputs::out_parent_exists(&out)?;
    let spec = CvSpec {
        calibration: file.to_path_buf(),
        out: out.clone(),
        runs: args.runs,
        seed: args.seed,
        resamples: args.resamples,
        threads: args.threads,
        force: args.force,
        leave: sidelines_workflows::cv::LeaveOut::from_name(&args.leave)?,
    };
    let done = match crate::batch::interruptible(args.quiet, |hooks| cross_validate(&spec, hooks))?
    {
        Ok(done) => done,
        Err(code) => return Ok(code),
    };
    done.write_folder(&spec, &crate::command_line())?;
    open_up(&out)?;
    if args.json {
        say(&format!("{}\n", serde_json::to_string_pretty(&done.json())?))?;
    } else {
        say(&done.text())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// An evaluation folder's charts, workbook and report, so it opens like any other.
fn open_up(out: &std::path::Path) -> Result<()> {
    sidelines_report::charts::write_charts(out, Default::default())?;
    crate::export_xlsx(out)?;
    sidelines_report::html::write_report(out)?;
    crate::status(&format!("wrote {}\n", out.display()));
    Ok(())
}
