//! The `sidelines` command line: argv, files, terminal output and exit codes, nothing else.
//!
//! Exit codes: 0 success, 2 a usage or input error (a bad flag, a scenario file that does not
//! validate, an output folder that would be overwritten), 1 anything else.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sidelines_model::{Record, RunOutput, Simulation, Value};
use sidelines_scenario::{DEFAULT_SCENARIO, EMBEDDED, Scenario};

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
    Run {
        /// An embedded scenario name (see `sidelines scenarios`) or a path to a .toml file.
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: String,
        /// The run's seed; the same seed gives the same bytes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder [default: outputs/<scenario>/<date>T<time>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write into --out even if it already holds results.
        #[arg(long)]
        force: bool,
    },
    /// List the embedded scenarios.
    Scenarios,
    /// List every parameter path of a scenario with its value and allowed range.
    Describe {
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: String,
    },
    /// Check scenario files and print every problem found.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// An error the user can fix by changing their input: exit code 2.
#[derive(Debug)]
struct InputError(String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn input_error(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(InputError(msg.into()))
}

fn main() -> ExitCode {
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
            if e.downcast_ref::<InputError>().is_some()
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
        Command::Run { scenario, seed, out, force } => run(&scenario, seed, out, force),
        Command::Scenarios => {
            for (name, description, _) in EMBEDDED {
                let tag = if *name == DEFAULT_SCENARIO { " (default)" } else { "" };
                println!("{name:<22}{description}{tag}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Describe { scenario } => describe(&scenario),
        Command::Validate { files } => validate(&files),
    }
}

/// Resolves a scenario argument: an embedded name, else a file.
fn load_scenario(arg: &str) -> Result<Scenario> {
    if let Some(loaded) = sidelines_scenario::load_embedded(arg) {
        return Ok(loaded?);
    }
    load_file(Path::new(arg))
}

fn load_file(path: &Path) -> Result<Scenario> {
    let bytes = std::fs::read(path).map_err(|e| {
        let hint = if path.extension().is_none() {
            " (not an embedded scenario either: `sidelines scenarios` lists them)"
        } else {
            ""
        };
        input_error(format!("cannot read {}: {e}{hint}", path.display()))
    })?;
    let name = path.display().to_string();
    Ok(sidelines_scenario::load(&name, &bytes, &resolve_base)?)
}

/// A variant's `base`: an embedded name, else a path relative to the variant's folder.
fn resolve_base(reference: &str, from: &str) -> Result<(String, Vec<u8>), String> {
    if let Ok(found) = sidelines_scenario::embedded_only(reference, from) {
        return Ok(found);
    }
    let dir = Path::new(from).parent().unwrap_or(Path::new("."));
    let path = dir.join(reference);
    std::fs::read(&path).map(|b| (path.display().to_string(), b)).map_err(|e| {
        format!("no embedded scenario `{reference}` and cannot read {}: {e}", path.display())
    })
}

fn run(arg: &str, seed: u64, out: Option<PathBuf>, force: bool) -> Result<ExitCode> {
    let scenario = Arc::new(load_scenario(arg)?);
    let dir = prepare_out_dir(out, &scenario.name, force)?;
    let mut sim = Simulation::new(scenario.clone())?;
    let output = sim.run(seed, Record { trajectory: true, events: true });
    let prov = sidelines_report::Provenance {
        version: env!("CARGO_PKG_VERSION"),
        command: std::env::args().collect(),
    };
    sidelines_report::write_run(&dir, &sim, &output, &prov)
        .with_context(|| format!("writing results to {}", dir.display()))?;
    print_summary(&sim, &output, &dir);
    Ok(ExitCode::SUCCESS)
}

/// Files a run writes; a folder holding any of them is not overwritten without --force.
const RUN_FILES: [&str; 4] = ["trajectory.csv", "events.csv", "run.csv", "manifest.json"];

fn prepare_out_dir(out: Option<PathBuf>, scenario: &str, force: bool) -> Result<PathBuf> {
    let dir = match out {
        Some(d) => {
            let taken: Vec<&str> =
                RUN_FILES.iter().copied().filter(|f| d.join(f).exists()).collect();
            if !taken.is_empty() && !force {
                return Err(input_error(format!(
                    "{} already holds results ({}); choose another --out or pass --force",
                    d.display(),
                    taken.join(", ")
                )));
            }
            d
        }
        None => fresh_dir(scenario)?,
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// outputs/<scenario>/<date>T<time>/, with a suffix if that name is taken.
fn fresh_dir(scenario: &str) -> Result<PathBuf> {
    let stamp = jiff::Timestamp::now().strftime("%Y-%m-%dT%H%M%SZ").to_string();
    let base = Path::new("outputs").join(scenario);
    let mut dir = base.join(&stamp);
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = base.join(format!("{stamp}-{n}"));
    }
    Ok(dir)
}

fn print_summary(sim: &Simulation, out: &RunOutput, dir: &Path) {
    let s = sim.scenario();
    let names = sim.outcome_names();
    let get = |n: &str| names.iter().position(|x| x == n).map(|i| &out.outcomes[i]);
    println!(
        "scenario {} seed {} ({} days from {})",
        s.name, out.seed, s.horizon_days, s.start_date
    );
    match (get("talks_outcome"), get("talks_end_day")) {
        (Some(Value::Text(o)), Some(Value::Day(d))) => {
            println!("talks: {} on day {d} ({})", o.replace('_', " "), s.date(*d))
        }
        _ => println!("talks: still ongoing at the horizon"),
    }
    let series = sim.series();
    let start = sim.initial_values();
    let width = series.len();
    let end: &[f64] = if width > 0 && out.trajectory.len() >= width {
        &out.trajectory[out.trajectory.len() - width..]
    } else {
        start
    };
    for code in ["KP", "KR"] {
        let Some(i) = s.actor_index(code) else { continue };
        println!("{} ({}): start -> end", s.actors[i].name, code);
        for (j, se) in series.iter().enumerate() {
            let headline = se.variable.starts_with("belief_")
                || se.variable.starts_with("trust_")
                || se.variable == "fear_coercion";
            if se.actor == code && headline {
                println!("  {:<26}{:>6.3} -> {:.3}", se.variable, start[j], end[j]);
            }
        }
    }
    if let Some(Value::Day(d)) = get("kp_accepts_talks_day") {
        println!("Pyongyang accepted talks with Washington on day {d} ({})", s.date(*d));
    }
    println!("wrote {}", dir.display());
}

fn describe(arg: &str) -> Result<ExitCode> {
    let scenario = load_scenario(arg)?;
    println!("{:<58} {:>12}  range", "parameter", "value");
    for (path, value, domain) in scenario.parameters() {
        let range = match domain {
            Some(d) if d.integer => format!("[{}, {}] whole", d.min, d.max),
            Some(d) => format!("[{}, {}]", d.min, d.max),
            None => String::from("?"),
        };
        println!("{path:<58} {:>12}  {range}", sidelines_report::format_number(value));
    }
    Ok(ExitCode::SUCCESS)
}

fn validate(files: &[PathBuf]) -> Result<ExitCode> {
    let mut failed = false;
    for f in files {
        match load_file(f) {
            Ok(s) => println!("{}: ok (scenario {})", f.display(), s.name),
            Err(e) => {
                failed = true;
                eprintln!("{e:#}");
            }
        }
    }
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
