//! `sidelines sweep` and `sidelines analyze`: the command line of
//! `sidelines_workflows::{sweep, analyze}`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use sidelines_workflows::Hooks;
use sidelines_workflows::analyze::AnalyzeSpec;
use sidelines_workflows::sweep::SweepSpec;

use crate::say;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines sweep configs/sweeps/key-assumptions-sobol.toml --charts
  sidelines sweep configs/sweeps/pressure-attention-grid.toml --out grid --xlsx
  sidelines sweep configs/sweeps/key-assumptions-lhs.toml --format parquet
  sidelines sweep FILE --shard 2/8 --out shards/2        one of 8 machines' share")]
pub struct Args {
    /// The sweep file (see configs/sweeps/).
    pub file: PathBuf,
    #[command(flatten)]
    pub exec: crate::ExecArgs,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines analyze sobol outputs/key-assumptions-sobol/latest
  sidelines analyze morris DIR --outcome kr_trust_us --out morris.csv
  sidelines analyze sobol --table model.csv --params a,b,c --outcome y --second-order
  sidelines analyze prim DIR --outcome kp_accepts_talks --where '= true'")]
pub struct AnalyzeArgs {
    /// `sobol` or `morris` (sensitivity indices), or `prim` (scenario discovery: boxes of
    /// assumptions where --outcome meets --where).
    #[arg(value_parser = ["sobol", "morris", "prim"])]
    pub method: String,
    /// A finished sweep folder.
    #[arg(required_unless_present = "table")]
    pub dir: Option<PathBuf>,
    /// Analyse only this outcome [default: every outcome]. A yes/no or category outcome is
    /// analysed as the share of each point's runs with each value (`kp_accepts_talks`, or one
    /// category: `talks_outcome=agreement`).
    #[arg(long)]
    pub outcome: Option<String>,
    /// Where to write the indices [default: DIR/sensitivity.csv, or sensitivity.csv]; with
    /// prim, the folder for prim_box.csv and prim_trajectory.csv [default: DIR].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A table from any model, rows in the design's order (as SALib's command line).
    #[arg(long, conflicts_with = "dir", requires_all = ["params", "outcome"])]
    pub table: Option<PathBuf>,
    /// The table's parameter columns, comma-separated, in design order.
    #[arg(long, value_delimiter = ',')]
    pub params: Vec<String>,
    /// With --table: the Sobol design has second-order rows (BA blocks).
    #[arg(long)]
    pub second_order: bool,
    /// With --table: the Morris grid's number of levels (at least 2: one level has no steps).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(2..=1000))]
    pub levels: u64,
    /// Bootstrap resamples for the intervals (at most 100,000: each is a full re-estimate).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub resamples: u64,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1, value_parser = crate::seed_parser())]
    pub seed: u64,
    /// prim: the condition on --outcome (`= true`, `= holds`, `> 0.5`, `<= 3`, `!= ongoing`).
    #[arg(long = "where")]
    pub condition: Option<String>,
    /// prim: the share of a box's points each peeling step removes.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// prim: stop peeling before a box holds less than this share of all points.
    #[arg(long, default_value_t = 0.05)]
    pub min_support: f64,
    /// prim: choose the densest box whose coverage is at least this.
    #[arg(long, default_value_t = 0.5)]
    pub min_coverage: f64,
    /// prim: report this step of the peeling trajectory instead (0 is the whole space).
    #[arg(long = "box", value_name = "STEP")]
    pub chosen: Option<usize>,
    /// prim on a claims folder: the assumption set whose points to peel (`prior`,
    /// `posterior`); needed when the folder holds more than one.
    #[arg(long)]
    pub assumptions: Option<String>,
    /// Replace tables that exist (a sweep's sensitivity.csv, earlier PRIM tables); the
    /// folder's charts, report and workbook are redrawn from the new ones.
    #[arg(long)]
    pub force: bool,
    /// Print the tables written as JSON on stdout instead of the text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = SweepSpec { file: args.file, exec: args.exec.to_exec()? };
    let sweep = |h: Hooks<'_>| sidelines_workflows::sweep::sweep(&spec, h);
    let done = match crate::batch::interruptible(args.exec.quiet, sweep)? {
        Ok(done) => done,
        Err(code) => return Ok(code),
    };
    let (dir, elapsed, total) = (&done.dir, done.elapsed_seconds, done.runs);
    if let Some((shard, slice)) = done.shard {
        return crate::shard_done(shard, "points", slice, dir, elapsed);
    }
    crate::finish_folder(dir, &args.exec)?;
    crate::status(&format!("{} points, {total} runs in {elapsed:.1} s\n", done.points));
    let manifest = sidelines_report::folder::check(dir)?.manifest;
    let found = sidelines_report::sweep::findings(dir, &manifest)?;
    if args.exec.json {
        let sensitivity = dir.join("sensitivity.csv");
        let summary = serde_json::json!({
            "findings": found,
            "sensitivity": if sensitivity.is_file() {
                sidelines_workflows::tables::csv_json(&sensitivity)?
            } else {
                serde_json::Value::Null
            },
            "folder": dir.display().to_string(),
            "sweep": done.name,
            "scenario": done.scenario,
            "points": done.points,
            "runs": total,
            "seconds": elapsed,
            "files": std::fs::read_dir(dir)
                .map(|d| {
                    let mut v: Vec<String> = d
                        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
                        .filter(|n| !n.starts_with('.'))
                        .collect();
                    v.sort();
                    v
                })
                .unwrap_or_default(),
        });
        say(&format!("{summary}\n"))?;
    } else {
        let replicates = match manifest.replicates {
            Some(sidelines_report::manifest::Replicates::Fixed(n)) => Some(n),
            _ => None,
        };
        say(&sidelines_report::sweep::findings_text(done.points, replicates, &found))?;
    }
    crate::status(&format!("wrote {}\n", dir.display()));
    Ok(ExitCode::SUCCESS)
}

pub fn analyze(args: AnalyzeArgs) -> Result<ExitCode> {
    let json = args.json;
    let spec = AnalyzeSpec {
        method: args.method,
        dir: args.dir,
        outcome: args.outcome,
        out: args.out,
        table: args.table,
        params: args.params,
        second_order: args.second_order,
        levels: args.levels,
        resamples: args.resamples,
        seed: args.seed,
        condition: args.condition,
        alpha: args.alpha,
        min_support: args.min_support,
        min_coverage: args.min_coverage,
        chosen: args.chosen,
        assumptions: args.assumptions,
        force: args.force,
    };
    let done = sidelines_workflows::analyze::analyze(&spec)?;
    if json {
        let mut tables = serde_json::Map::new();
        for p in &done.written {
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            tables.insert(name, sidelines_workflows::tables::csv_json(p)?);
        }
        say(&format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({ "tables": tables }))?
        ))?;
    } else {
        say(&done.text)?;
    }
    let written: Vec<String> = done.written.iter().map(|p| p.display().to_string()).collect();
    crate::status(&format!("wrote {}\n", written.join(" and ")));
    Ok(ExitCode::SUCCESS)
}
