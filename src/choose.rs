//! `sidelines choose`: the command line of `sidelines_workflows::choose`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_workflows::Hooks;
use sidelines_workflows::choose::{ChooseSpec, choose};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines choose configs/models/episodes.toml           the shipped model against its variants and a rival theory
  sidelines choose configs/models/episodes.toml --json    the probabilities and the confusion matrix as JSON")]
pub struct Args {
    /// A model-choice file: a calibration file's episodes and parameters with [[models]]
    /// (e.g. configs/models/episodes.toml).
    pub file: PathBuf,
    /// Worker threads [default: all cores]; results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Output folder [default: outputs/choose-<name>/<date>T<time>Z/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into --out even if it already holds results.
    #[arg(long)]
    pub force: bool,
    /// Print the result as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if let Some(out) = &args.out {
        sidelines_workflows::inputs::out_parent_exists(out)?;
    }
    let spec = ChooseSpec {
        command_line: crate::command_line(),
        file: args.file,
        threads: args.threads,
        out: args.out,
        force: args.force,
    };
    let mut progress = crate::batch::Progress::new(args.quiet);
    let hooks = Hooks { progress: &mut progress, stop: &crate::batch::STOP };
    let done = choose(&spec, hooks)?;
    if args.json {
        crate::say(&format!("{}\n", serde_json::to_string_pretty(&done.json())?))?;
    } else {
        crate::say(&done.text())?;
    }
    crate::status(&format!("wrote {}\n", done.dir.display()));
    Ok(ExitCode::SUCCESS)
}
