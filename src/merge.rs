//! `sidelines merge`: the command line of `sidelines_workflows::merge`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_workflows::Hooks;
use sidelines_workflows::merge::{MergeSpec, merge};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines batch --runs 100000 --shard 0/3 --out shards/0   (and 1/3, 2/3 elsewhere)
  sidelines merge shards/0 shards/1 shards/2 --out merged
  sidelines merge shards/* --out merged      (the order of the folders does not matter)")]
pub struct Args {
    /// The shard folders (written with --shard), in any order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The folder to write: what the unsplit job would have written.
    #[arg(long)]
    pub out: PathBuf,
    /// Write into --out even if it already holds results.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = MergeSpec {
        command_line: crate::command_line(),
        dirs: args.dirs,
        out: args.out,
        force: args.force,
    };
    let mut progress = crate::batch::Progress::new(false);
    let hooks = Hooks { progress: &mut progress, stop: &crate::batch::STOP };
    let done = merge(&spec, hooks)?;
    crate::say(&done.text)?;
    crate::status(&done.status);
    Ok(ExitCode::SUCCESS)
}
