//! `sidelines explore`: the model on one page, on 127.0.0.1.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_explore::ExploreSpec;
use sidelines_scenario::DEFAULT_SCENARIO;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines explore                                 the default scenario and the 2025 record
  sidelines explore --port 8800 --param actors.KP.prior.reliable
  sidelines explore iran-talks-2025 --timeline configs/timelines/iran-2025.csv
  sidelines explore my-scenario.toml --save-dir configs/scenarios

Open the address it prints in a browser. Move a control and the fan charts, outcome shares and
record check follow: a first picture from 2,000 runs, refined up to --runs. 'Compare' runs a
second setting on the same seeds and shows the difference with its 95% interval. 'Save as
scenario' writes NAME.toml into --save-dir: a variant that `sidelines validate` accepts, each
changed value commented with the one it replaced. Nothing on the page comes from the internet.")]
pub struct Args {
    /// An embedded scenario name or a path to a .toml file.
    #[arg(default_value = DEFAULT_SCENARIO, value_parser = crate::ScenarioArg)]
    pub scenario: String,
    /// The port on 127.0.0.1 (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Listen on another address than 127.0.0.1 (0.0.0.0: every interface). The page can run
    /// the model and write scenario files into --save-dir: only on a network you trust.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// The record to overlay: a timeline CSV [default: the embedded 2025 record, when the
    /// scenario takes it].
    #[arg(long)]
    pub timeline: Option<PathBuf>,
    /// What was observed [default: the timeline's `-observed.csv` sibling, when it exists].
    #[arg(long, requires = "timeline")]
    pub observed: Option<PathBuf>,
    /// A control for this parameter path from the start, beside the key assumptions
    /// (`sidelines describe` lists them; the page can add any other). Repeatable.
    #[arg(long = "param", value_name = "PATH")]
    pub params: Vec<String>,
    /// Runs per setting a picture is refined to.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..=1_000_000))]
    pub runs: u64,
    /// Master seed: run r of every setting uses the seed of replicate r.
    #[arg(long, default_value_t = 1, value_parser = crate::seed_parser())]
    pub seed: u64,
    /// Worker threads [default: RAYON_NUM_THREADS, else all cores].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub threads: Option<u64>,
    /// Where "save as scenario" writes its files.
    #[arg(long, default_value = ".")]
    pub save_dir: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = ExploreSpec {
        scenario_arg: args.scenario,
        timeline: args.timeline,
        observed: args.observed,
        host: args.host,
        port: args.port,
        runs: args.runs,
        seed: args.seed,
        threads: args.threads,
        params: args.params,
        save_dir: args.save_dir,
    };
    let mut announce = |url: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "sidelines explore: {url}  (Ctrl-C stops it)");
        let _ = out.flush();
        if !spec.host.is_loopback() {
            eprintln!(
                "warning: listening on {}: anyone who can reach it can run the model and write \
                 scenario files into {}",
                spec.host,
                spec.save_dir.display()
            );
        }
    };
    sidelines_explore::serve(&spec, &mut announce)?;
    Ok(ExitCode::SUCCESS)
}
