//! The `sidelines` command line: argv, files, terminal output and exit codes, nothing else.
//!
//! Exit codes: 0 success, 2 a usage or input error (a bad flag, a scenario file that does not
//! validate, an output folder that would be overwritten), 1 anything else.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

mod batch;
mod branches;
mod calibrate;
mod choose;
mod claims;
mod evaluate;
mod explore;
mod merge;
mod replay;
mod sweep;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand};
use sidelines_model::{Record, RunOutput, Simulation, Value};
use sidelines_report::charts::ChartSize;
use sidelines_scenario::{DEFAULT_SCENARIO, EMBEDDED, Scenario};
pub(crate) use sidelines_workflows::inputs::{create_out, fresh_dir, guard_out_dir, load_scenario};

#[derive(Parser, Debug)]
#[command(
    name = "sidelines",
    version,
    about = "How states read a great power's diplomacy: \
an agent-based model of observers updating their beliefs about a mediator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one simulated year and write its trajectory, events and outcomes.
    #[command(after_help = "Examples:
  sidelines run                                          ukraine-watch, seed 1
  sidelines run coerced-settlement --seed 347750206340974 --out one-row
  sidelines run my-scenario.toml --out runs/mine --force
  sidelines run --from outputs/key-assumptions-lhs/latest --row 417   one row of a sweep, again")]
    Run {
        /// An embedded scenario name (see `sidelines scenarios`) or a path to a .toml file.
        #[arg(default_value = DEFAULT_SCENARIO, conflicts_with = "from", value_parser = ScenarioArg)]
        scenario: String,
        /// The run's seed; the same seed gives the same bytes.
        #[arg(long, default_value_t = 1, value_parser = crate::seed_parser(), conflicts_with = "from")]
        seed: u64,
        /// Run again one row of a finished batch, replay or sweep folder (with its scenario,
        /// point, posterior draw and seed), with its trajectory and events, and check that its
        /// outcomes are the row's.
        #[arg(long, requires = "row", value_name = "DIR")]
        from: Option<PathBuf>,
        /// With --from: the row's `run` number in runs.csv.
        #[arg(long, requires = "from", value_name = "N")]
        row: Option<u64>,
        /// Output folder [default: outputs/<scenario>/<date>T<time>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write into --out even if it already holds results.
        #[arg(long)]
        force: bool,
    },
    /// Run a Monte Carlo batch: many seeded runs, streamed to runs.csv and summarised.
    Batch(batch::Args),
    /// Replay a dated record of events through the model, check the runs against what was
    /// observed (record_check.csv), and with --then forecast on from the record's end.
    Replay(replay::Args),
    /// The article's scenario table, quantified: the baseline, every branch and the 2025
    /// record with a year's forecast, with the same seeds, and each row's paired difference
    /// from the baseline (branches.csv).
    Branches(branches::Args),
    /// Fit the assumptions a calibration file names to a replayed record (ABC-SMC) and report
    /// the posterior: which assumptions the record rules out.
    Calibrate(calibrate::Args),
    /// The article's claims as findings: the share of the assumption space (and of a
    /// calibration's posterior) where each one holds, with paired seeds at each point.
    Claims(claims::Args),
    /// Which of several named model variants the episodes' records favour (ABC model choice
    /// with a reference table), and whether records simulated from each can tell them apart.
    Choose(choose::Args),
    /// Score the model's forecasts of every episode's observations with proper scoring rules
    /// (Brier, log, ranked probability) against a coin flip, the other episodes' base rate and
    /// persistence.
    Evaluate(evaluate::Args),
    /// Run a parameter sweep (grid, random, lhs, sobol, morris) from a sweep file.
    Sweep(sweep::Args),
    /// Serve one page on 127.0.0.1 where the fan charts, outcome shares and record check
    /// move as you move the assumptions; two settings side by side on paired seeds.
    Explore(explore::Args),
    /// Put the folders of a job split with --shard back together: the folder the unsplit job
    /// would have written.
    Merge(merge::Args),
    /// Sensitivity indices from a finished sweep, or from any table in the design's row order.
    Analyze(sweep::AnalyzeArgs),
    /// Write a finished batch or sweep folder as a workbook (results.xlsx).
    #[command(after_help = "Example:
  sidelines export xlsx outputs/ukraine-watch/latest")]
    Export {
        /// The format; only `xlsx` so far.
        #[arg(value_parser = ["xlsx"])]
        format: String,
        /// A finished batch or sweep folder.
        dir: PathBuf,
    },
    /// Draw the charts of a finished folder into DIR/charts/ (PNG and SVG).
    #[command(after_help = "Examples:
  sidelines chart outputs/ukraine-watch/latest
  sidelines chart outputs/ukraine-watch/latest --size 1600x900 --dpi 192   for slides or print")]
    Chart {
        /// A finished folder.
        dir: PathBuf,
        #[command(flatten)]
        size: ChartArgs,
    },
    /// Make a finished folder ready to open: its charts (DIR/charts/), DIR/report.html (one
    /// self-contained page with the charts and tables) and DIR/results.xlsx.
    #[command(after_help = "Example:
  sidelines report outputs/key-assumptions-sobol/latest")]
    Report {
        /// A finished folder (batch, replay, sweep, calibration, claims, ...).
        dir: PathBuf,
        #[command(flatten)]
        size: ChartArgs,
    },
    /// List the embedded scenarios.
    #[command(after_help = "Examples:
  sidelines scenarios
  sidelines scenarios --json | jq -r '.[].name'")]
    Scenarios {
        /// One JSON array on stdout: name, description, whether it is the default.
        #[arg(long)]
        json: bool,
    },
    /// List every parameter path of a scenario with its value and allowed range, or (with
    /// --outputs) every column of the tables its results folders hold.
    #[command(after_help = "Examples:
  sidelines describe
  sidelines describe iran-talks-2025 | grep mediator
  sidelines describe --json | jq '.[] | select(.path | startswith(\"actors.KP\"))'
  sidelines describe --outputs                 # the column dictionary of a batch
  sidelines describe --outputs replay --json   # of a replay, as JSON")]
    Describe {
        #[arg(default_value = DEFAULT_SCENARIO, value_parser = ScenarioArg)]
        scenario: String,
        /// One JSON array on stdout: each parameter's path, value, range, whether it is whole,
        /// and what it means (with --outputs, an object of tables and their columns).
        #[arg(long)]
        json: bool,
        /// The column dictionary of a `batch`, `replay` or `sweep` folder of this scenario
        /// instead: each column's type, unit or range, and meaning (a sweep's parameter columns
        /// are not listed: they are the swept paths).
        #[arg(long, value_name = "FOLDER", num_args = 0..=1, default_missing_value = "batch",
              value_parser = ["batch", "replay", "sweep"])]
        outputs: Option<String>,
    },
    /// Check scenario, sweep, calibration and model-choice files and print every problem found.
    #[command(after_help = "Examples:
  sidelines validate my-scenario.toml my-variant.toml
  sidelines validate configs/sweeps/*.toml configs/calibration/*.toml configs/models/*.toml")]
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a completion script for a shell.
    #[command(after_help = "Examples:
  sidelines completions bash > ~/.local/share/bash-completion/completions/sidelines
  sidelines completions zsh > ~/.zfunc/_sidelines
  sidelines completions fish > ~/.config/fish/completions/sidelines.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or with --out write one page per command into a folder.
    #[command(after_help = "Examples:
  sidelines man > sidelines.1 && man ./sidelines.1
  sidelines man --out man/man1                           sidelines.1, sidelines-batch.1, ...")]
    Man {
        /// A folder for sidelines.1 and one sidelines-COMMAND.1 per command.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The flags every command that fills a results folder shares (batch, sweep).
#[derive(clap::Args, Debug)]
pub(crate) struct ExecArgs {
    /// Worker threads [default: RAYON_NUM_THREADS, else all cores; at most 4 per core]; results
    /// do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Output folder [default: outputs/<name>/<date>T<time>Z/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue an interrupted run in --out (default: the latest unfinished one).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Write into --out even if it already holds results.
    #[arg(long)]
    pub force: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    /// Also write results.xlsx (as `sidelines export xlsx DIR`).
    #[arg(long)]
    pub xlsx: bool,
    /// Also make the folder ready to open: charts, report.html and results.xlsx (as
    /// `sidelines report DIR`).
    #[arg(long)]
    pub report: bool,
    /// Also draw the charts (as `sidelines chart DIR`).
    #[arg(long)]
    pub charts: bool,
    /// How runs.csv and trajectories.csv are written: `csv`, or `parquet` (typed columns,
    /// zstd-compressed; runs.parquet, trajectories.parquet) for tables too large for CSV.
    #[arg(long, default_value = "csv", value_parser = ["csv", "parquet"])]
    pub format: String,
    /// Run only shard I of N (from 0): `3/8`; in a Slurm job array `slurm` (the task's
    /// SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT) or `slurm/8`. Needs --out; `sidelines
    /// merge` puts the shards together.
    #[arg(long, requires = "out", conflicts_with_all = ["xlsx", "charts"])]
    pub shard: Option<String>,
    /// Seconds between checkpoints (tests use 0: after every block of 1,024 runs).
    #[arg(long, default_value_t = 5.0, hide = true)]
    pub checkpoint_every: f64,
    /// Runs simulated side by side in one world (tests vary it; results do not depend on it).
    #[arg(long, default_value_t = sidelines_experiment::RUNS_PER_WORLD, hide = true)]
    pub runs_per_world: u64,
    /// Print the final summary as one JSON object on stdout (the folder, the counts, every
    /// outcome's share or mean with its interval, and a replay's record check) instead of the
    /// table.
    #[arg(long)]
    pub json: bool,
}

impl ExecArgs {
    pub(crate) fn table_format(&self) -> sidelines_report::TableFormat {
        // clap accepts only the names `from_name` knows.
        sidelines_report::TableFormat::from_name(&self.format).unwrap_or_default()
    }

    /// The library's settings from these flags.
    pub(crate) fn to_exec(&self) -> Result<sidelines_workflows::Exec> {
        let checkpoint_every =
            std::time::Duration::try_from_secs_f64(self.checkpoint_every.max(0.0))
                .map_err(|_| input_error("--checkpoint-every takes a number of seconds"))?;
        Ok(sidelines_workflows::Exec {
            threads: self.threads,
            out: self.out.clone(),
            resume: self.resume,
            force: self.force,
            format: self.table_format(),
            shard: self.shard.clone(),
            checkpoint_every,
            runs_per_world: self.runs_per_world,
            command_line: command_line(),
        })
    }
}

/// What a finished shard prints.
pub(crate) fn shard_done(
    shard: sidelines_experiment::Shard,
    units: &str,
    slice: std::ops::Range<u64>,
    dir: &Path,
    elapsed: f64,
) -> Result<ExitCode> {
    status(&format!(
        "shard {} of {}: {units} {} to {} ({} {units}) in {elapsed:.1} s\nwrote {}\n",
        shard.index,
        shard.count,
        slice.start,
        slice.end,
        slice.end - slice.start,
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// The command line as manifests record it: the program named `sidelines`, wherever the binary
/// sits (no path of this machine goes into an output).
pub(crate) fn command_line() -> Vec<String> {
    std::iter::once(String::from("sidelines")).chain(std::env::args().skip(1)).collect()
}

/// A scenario argument: any name or path, with the embedded scenarios offered by shell
/// completion (`sidelines completions`) and listed in `--help`.
#[derive(Clone, Debug)]
pub(crate) struct ScenarioArg;

impl clap::builder::TypedValueParser for ScenarioArg {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(EMBEDDED.iter().map(|(name, description, _)| {
            clap::builder::PossibleValue::new(*name).help(*description)
        })))
    }
}

/// Every `--seed`: at most `MAX_SEED` (15 digits), the range of the seeds the tool writes.
pub(crate) fn seed_parser() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(0..=sidelines_experiment::MAX_SEED)
}

pub(crate) fn input_error(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(sidelines_workflows::error::input(msg))
}

/// Writes DIR/results.xlsx from the folder's tables.
pub(crate) fn export_xlsx(dir: &Path) -> Result<()> {
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    sidelines_report::xlsx::write_workbook(dir, &today, sidelines_report::xlsx::EXCEL_MAX_ROWS)?;
    status(&format!("wrote {}\n", dir.join("results.xlsx").display()));
    Ok(())
}

/// Charts, report.html and results.xlsx: what a person opens.
pub(crate) fn report(dir: &Path) -> Result<()> {
    report_sized(dir, ChartSize::default())
}

fn report_sized(dir: &Path, size: ChartSize) -> Result<()> {
    chart_sized(dir, size)?;
    sidelines_report::html::write_report(dir)?;
    status(&format!("wrote {}\n", dir.join("report.html").display()));
    export_xlsx(dir)
}

/// The workbook, charts and report a finished folder's command was asked for; when none was,
/// the one command that makes them, on stderr.
pub(crate) fn finish_folder(dir: &Path, exec: &ExecArgs) -> Result<()> {
    if exec.report {
        return report(dir);
    }
    if exec.xlsx {
        export_xlsx(dir)?;
    }
    if exec.charts {
        chart(dir)?;
    }
    if !exec.xlsx && !exec.charts && !exec.quiet {
        status(&format!(
            "charts, report.html and results.xlsx: sidelines report {}\n",
            dir.display()
        ));
    }
    Ok(())
}

/// The charts' size and resolution (`chart`, `report`).
#[derive(clap::Args, Debug)]
pub(crate) struct ChartArgs {
    /// Each chart's size in pixels, WIDTHxHEIGHT (the SVG's; the text keeps its size, so a
    /// larger chart has more room).
    #[arg(long, default_value = "960x540", value_name = "WxH")]
    size: String,
    /// The PNG's resolution: 96 draws the SVG's pixels, 192 twice as many each way.
    #[arg(long, default_value_t = 96)]
    dpi: u32,
}

impl ChartArgs {
    fn size(&self) -> Result<ChartSize> {
        let bad = || {
            sidelines_workflows::Error::Input(format!(
                "--size {}: WIDTHxHEIGHT in pixels, as 1600x900",
                self.size
            ))
        };
        let (w, h) = self.size.split_once(['x', 'X']).ok_or_else(bad)?;
        let size = ChartSize {
            width: w.trim().parse().map_err(|_| bad())?,
            height: h.trim().parse().map_err(|_| bad())?,
            dpi: self.dpi,
        };
        size.check().map_err(sidelines_workflows::Error::Input)?;
        Ok(size)
    }
}

/// Draws DIR/charts/.
pub(crate) fn chart(dir: &Path) -> Result<()> {
    chart_sized(dir, ChartSize::default())
}

fn chart_sized(dir: &Path, size: ChartSize) -> Result<()> {
    let files = sidelines_report::charts::write_charts(dir, size)?;
    status(&format!("wrote {} charts to {}\n", files.len(), dir.join("charts").display()));
    Ok(())
}

/// Status for a person (what was written where, how fast): stderr, so that stdout carries
/// results only and `sidelines batch ... > table.txt` holds the table alone.
pub(crate) fn status(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A command's result on stdout: its text, or with `--json` (`Some`) its folder's result
/// tables as one JSON object.
pub(crate) fn say_result(text: &str, json: Option<(&Path, &[&str])>) -> Result<()> {
    match json {
        Some((dir, tables)) => {
            let value = sidelines_workflows::tables::folder_json(dir, tables)?;
            say(&format!("{}\n", serde_json::to_string_pretty(&value)?))
        }
        None => say(text),
    }
}

/// Writes to stdout. A closed pipe (`sidelines describe | head`) ends output quietly; any other
/// write error is an error, never a panic.
pub(crate) fn say(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to stdout"))
        }
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    // The one gate for text from the command line: manifests, checkpoints and re-run lines
    // record paths and arguments as text, so an argument that is not UTF-8 (a folder named
    // `x\xff`) is refused here, before any work, rather than found when the manifest is
    // written (it panicked there, after the runs, and again on --resume).
    for (i, arg) in std::env::args_os().enumerate().skip(1) {
        if arg.to_str().is_none() {
            eprintln!(
                "error: argument {i} (`{}`) is not UTF-8 text: sidelines records paths and \
                 arguments as text in its manifests; rename the file or folder",
                arg.to_string_lossy()
            );
            return ExitCode::from(2);
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            let report_input =
                e.downcast_ref::<sidelines_report::Error>().is_some_and(|r| r.is_input());
            let workflow_input =
                e.downcast_ref::<sidelines_workflows::Error>().is_some_and(|w| w.is_input());
            if report_input
                || workflow_input
                || e.downcast_ref::<sidelines_scenario::Error>().is_some()
            {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run { from: Some(dir), row: Some(row), out, force, .. } => {
            rerun(&dir, row, out, force)
        }
        Command::Run { scenario, seed, out, force, .. } => run(&scenario, seed, out, force),
        Command::Batch(args) => batch::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Branches(args) => branches::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Claims(args) => claims::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Explore(args) => explore::run(args),
        Command::Analyze(args) => sweep::analyze(args),
        Command::Merge(args) => merge::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Choose(args) => choose::run(args),
        Command::Export { format: _, dir } => {
            export_xlsx(&dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Chart { dir, size } => {
            chart_sized(&dir, size.size()?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { dir, size } => {
            report_sized(&dir, size.size()?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Scenarios { json: true } => {
            let list: Vec<serde_json::Value> = EMBEDDED
                .iter()
                .map(|(name, description, _)| {
                    serde_json::json!({
                        "name": name,
                        "description": description,
                        "default": *name == DEFAULT_SCENARIO,
                    })
                })
                .collect();
            say(&format!("{}\n", serde_json::Value::Array(list)))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Scenarios { json: false } => {
            let mut text = String::new();
            for (name, description, _) in EMBEDDED {
                let tag = if *name == DEFAULT_SCENARIO { " (default)" } else { "" };
                text.push_str(&format!("{name:<22}{description}{tag}\n"));
            }
            say(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Describe { scenario, json, outputs: Some(kind) } => {
            describe_outputs(&scenario, &kind, json)
        }
        Command::Describe { scenario, json, outputs: None } => describe(&scenario, json),
        Command::Validate { files } => validate(&files),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "sidelines", &mut buf);
            say(&String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out } => man(out.as_deref()),
    }
}

/// The manual page of the command line, or one per command into `out`.
fn man(out: Option<&Path>) -> Result<ExitCode> {
    let render = |cmd: clap::Command| -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf).context("rendering the manual page")?;
        Ok(buf)
    };
    let cli = Cli::command();
    let Some(dir) = out else {
        say(&String::from_utf8_lossy(&render(cli)?))?;
        return Ok(ExitCode::SUCCESS);
    };
    create_out(dir)?;
    let mut pages = vec![(String::from("sidelines.1"), render(cli.clone())?)];
    for sub in cli.get_subcommands() {
        let name = format!("sidelines-{}", sub.get_name());
        pages.push((format!("{name}.1"), render(sub.clone().name(name))?));
    }
    for (file, bytes) in &pages {
        sidelines_report::write_atomic(&dir.join(file), bytes)?;
    }
    status(&format!("wrote {} manual pages to {}\n", pages.len(), dir.display()));
    Ok(ExitCode::SUCCESS)
}

fn run(arg: &str, seed: u64, out: Option<PathBuf>, force: bool) -> Result<ExitCode> {
    write_one(Arc::new(load_scenario(arg)?), seed, out, force)?;
    Ok(ExitCode::SUCCESS)
}

/// One run with its trajectory and events, written to its folder (trajectory.csv, events.csv,
/// run.csv, manifest.json) and summarised on stdout: what `run` and `run --from` share.
fn write_one(
    scenario: Arc<Scenario>,
    seed: u64,
    out: Option<PathBuf>,
    force: bool,
) -> Result<(PathBuf, Simulation, RunOutput)> {
    let dir = prepare_out_dir(out, &scenario.name, force)?;
    let mut sim = Simulation::new(scenario)?;
    let output = sim.run(seed, Record { trajectory: true, events: true });
    let prov = sidelines_report::Provenance {
        version: env!("CARGO_PKG_VERSION"),
        command: command_line(),
    };
    sidelines_report::write_run(&dir, &sim, &output, &prov)
        .with_context(|| format!("writing results to {}", dir.display()))?;
    say(&summary(&sim, &output))?;
    status(&format!("wrote {}\n", dir.display()));
    Ok((dir, sim, output))
}

/// `run --from DIR --row N`: the row again, written as `run` writes one, and checked against
/// the folder (exit 1 when an outcome differs: the folder was not made by this build, or
/// determinism broke).
fn rerun(from: &Path, row: u64, out: Option<PathBuf>, force: bool) -> Result<ExitCode> {
    let again = sidelines_workflows::rerun::from_folder(from, row)?;
    let (dir, sim, output) = write_one(again.scenario.clone(), again.seed, out, force)?;
    let differ = sidelines_workflows::rerun::compare(&again, &sim, &output);
    // The folder's copy of this run's trajectory, when it kept one (--trajectories K).
    let kept = sidelines_workflows::rerun::kept_trajectory(from, row)?;
    let written = std::fs::read(dir.join("trajectory.csv"))
        .with_context(|| format!("reading {}", dir.join("trajectory.csv").display()))?;
    let same_path = kept.as_ref().is_none_or(|k| *k == written);
    let path_note = match &kept {
        Some(_) if same_path => ", and its trajectory is the one trajectories.csv kept",
        _ => "",
    };
    if differ.is_empty() && same_path {
        status(&format!(
            "{}: run again, its {} outcomes are the folder's{path_note}\n",
            again.origin,
            sim.outcome_names().len()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = match differ.len() {
        0 => format!("{}: run again, its outcomes are the folder's, but:\n", again.origin),
        1 => format!("{}: run again, 1 outcome differs:\n", again.origin),
        n => format!("{}: run again, {n} outcomes differ:\n", again.origin),
    };
    for m in &differ {
        text.push_str(&format!("  {}: folder {:?}, again {:?}\n", m.outcome, m.folder, m.rerun));
    }
    if !same_path {
        text.push_str("  its trajectory is not the one trajectories.csv kept\n");
    }
    text.push_str("(was the folder made by another version of sidelines? its manifest says)\n");
    status(&text);
    Ok(ExitCode::FAILURE)
}

/// Files a run writes; a folder holding any of them is not overwritten without --force.
const RUN_FILES: [&str; 4] = ["trajectory.csv", "events.csv", "run.csv", "manifest.json"];

fn prepare_out_dir(out: Option<PathBuf>, scenario: &str, force: bool) -> Result<PathBuf> {
    let dir = match out {
        Some(d) => {
            guard_out_dir(&d, &RUN_FILES, force)?;
            d
        }
        None => fresh_dir(scenario)?,
    };
    crate::create_out(&dir)?;
    Ok(dir)
}

fn summary(sim: &Simulation, out: &RunOutput) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    let s = sim.scenario();
    let names = sim.outcome_names();
    let get = |n: &str| names.iter().position(|x| x == n).map(|i| &out.outcomes[i]);
    let _ = writeln!(
        text,
        "scenario {} seed {} ({} days from {})",
        s.name, out.seed, s.horizon_days, s.start_date
    );
    match (get("talks_outcome"), get("talks_end_day")) {
        (Some(Value::Text(o)), Some(Value::Day(d))) => {
            let _ = writeln!(text, "talks: {} on day {d} ({})", o.replace('_', " "), s.date(*d));
        }
        _ => {
            let _ = writeln!(text, "talks: still ongoing at the horizon");
        }
    }
    let series = sim.series();
    let start = sim.initial_values();
    let width = series.len();
    let end: &[f64] = if width > 0 && out.trajectory.len() >= width {
        &out.trajectory[out.trajectory.len() - width..]
    } else {
        start
    };
    // The headline outcomes' series, actor by actor: start -> end.
    let headline: Vec<&str> =
        sim.outcomes().iter().filter(|o| o.headline).map(|o| o.name.as_str()).collect();
    for actor in &s.actors {
        let code = actor.code.to_lowercase();
        let rows: Vec<usize> = (0..series.len())
            .filter(|&j| {
                series[j].actor == actor.code
                    && headline.contains(&format!("{code}_{}", series[j].variable).as_str())
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(text, "{} ({}): start -> end", actor.name, actor.code);
        for j in rows {
            let _ =
                writeln!(text, "  {:<26}{:>6.3} -> {:.3}", series[j].variable, start[j], end[j]);
        }
        if let Some(Value::Day(d)) = get(&format!("{code}_accepts_talks_day")) {
            let mediator = &s.actors[s.mediator.actor.index].name;
            let _ = writeln!(text, "  accepted talks with {mediator} on day {d} ({})", s.date(*d));
        }
    }
    text
}

fn describe(arg: &str, json: bool) -> Result<ExitCode> {
    let scenario = load_scenario(arg)?;
    if json {
        let list: Vec<serde_json::Value> = scenario
            .parameters()
            .into_iter()
            .map(|(path, value, declared)| {
                serde_json::json!({
                    "path": path,
                    "value": value,
                    "min": declared.map(|p| p.domain.min),
                    "max": declared.map(|p| p.domain.max),
                    "whole": declared.map(|p| p.domain.integer),
                    "meaning": declared.map(|p| p.doc),
                })
            })
            .collect();
        say(&format!("{}\n", serde_json::Value::Array(list)))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!("{:<58} {:>12}  {:<20} meaning\n", "parameter", "value", "range");
    for (path, value, declared) in scenario.parameters() {
        let (range, doc) = match declared {
            Some(p) if p.domain.integer => {
                (format!("[{}, {}] whole", p.domain.min, p.domain.max), p.doc)
            }
            Some(p) => (format!("[{}, {}]", p.domain.min, p.domain.max), p.doc),
            None => (String::from("?"), ""),
        };
        text.push_str(&format!(
            "{path:<58} {:>12}  {range:<20} {doc}\n",
            sidelines_report::format_number(value)
        ));
    }
    say(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `describe --outputs`: the column dictionary of a folder of `kind` for this scenario.
fn describe_outputs(arg: &str, kind: &str, json: bool) -> Result<ExitCode> {
    use sidelines_report::columns::{FolderKind, dictionary, dictionary_json};
    let scenario = load_scenario(arg)?;
    let sim = Simulation::new(std::sync::Arc::new(scenario))?;
    let kind = match kind {
        "replay" => FolderKind::Replay,
        "sweep" => FolderKind::Sweep(None),
        _ => FolderKind::Batch,
    };
    let tables = dictionary(&sim, kind, &[], true);
    if json {
        let value = serde_json::to_value(dictionary_json(&tables, false)).unwrap_or_default();
        say(&format!("{value}\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for (file, columns) in &tables {
        text.push_str(&format!("{file}\n"));
        for c in columns {
            text.push_str(&format!(
                "  {:<34} {:<7} {:<28} {}\n",
                c.name, c.kind, c.unit, c.meaning
            ));
        }
    }
    say(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn validate(files: &[PathBuf]) -> Result<ExitCode> {
    let mut failed = false;
    for f in files {
        match sidelines_workflows::inputs::validate_file(f) {
            Ok(what) => say(&format!("{}: ok ({what})\n", f.display()))?,
            Err(e) => {
                failed = true;
                eprintln!("{e:#}");
            }
        }
    }
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
