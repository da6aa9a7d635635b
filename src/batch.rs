//! `sidelines batch`: folders, progress, interruption and the closing table.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sidelines_experiment::Aggregator;
use sidelines_model::Simulation;
use sidelines_scenario::DEFAULT_SCENARIO;
use sidelines_workflows::{Batch, BatchSpec, Hooks};

use crate::{load_scenario, say};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines batch                                        10,000 runs of ukraine-watch, seed 1
  sidelines batch coerced-settlement --runs 100000 --seed 7 --out results/coerced
  sidelines batch --runs 1000000 --format parquet --out big       typed, compressed runs
  sidelines batch --out results/coerced --resume         continue an interrupted batch
  sidelines batch --runs 10000000 --shard 3/8 --out shards/3      one of 8 machines' share")]
pub struct Args {
    /// An embedded scenario name or a path to a .toml file.
    #[arg(default_value = DEFAULT_SCENARIO, value_parser = crate::ScenarioArg)]
    pub scenario: String,
    /// Number of runs.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=sidelines_scenario::sweep::MAX_RUNS))]
    pub runs: u64,
    /// Master seed; run r's seed is a pure function of (seed, point 0, replicate r).
    #[arg(long, default_value_t = 1, value_parser = crate::seed_parser())]
    pub seed: u64,
    /// Also write the full trajectories of the first K runs (trajectories.csv).
    #[arg(long, default_value_t = 0)]
    pub trajectories: u64,
    #[command(flatten)]
    pub exec: crate::ExecArgs,
}

/// Set by Ctrl-C (or SIGTERM); a running job stops at the end of the current block, after a
/// checkpoint.
pub(crate) static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler once: the first sets `STOP`, a second leaves at once (the last
/// checkpoint still allows --resume).
pub(crate) fn stop_on_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = BatchSpec {
        scenario_arg: args.scenario.clone(),
        scenario: Arc::new(load_scenario(&args.scenario)?),
        runs: args.runs,
        seed: args.seed,
        trajectories: args.trajectories,
        exec: args.exec.to_exec()?,
    };
    match interruptible(args.exec.quiet, |hooks| sidelines_workflows::batch(&spec, hooks))? {
        Ok(b) => report(&args.exec, b, ""),
        Err(code) => Ok(code),
    }
}

/// Runs a job that stops on Ctrl-C (batch, replay, sweep) with the progress bar: its result,
/// or, once it stopped at a checkpoint, exit code 130 after its resume line on stderr.
pub(crate) fn interruptible<T>(
    quiet: bool,
    job: impl FnOnce(Hooks<'_>) -> sidelines_workflows::Result<T>,
) -> Result<std::result::Result<T, ExitCode>> {
    let mut progress = Progress::new(quiet);
    stop_on_ctrl_c();
    match job(Hooks { progress: &mut progress, stop: &STOP }) {
        Ok(done) => Ok(Ok(done)),
        Err(e @ sidelines_workflows::Error::Interrupted { .. }) => {
            eprintln!("{e}");
            Ok(Err(ExitCode::from(130)))
        }
        Err(e) => Err(e.into()),
    }
}

/// What the command line does with a finished batch: a shard's line, or the workbook and charts
/// when asked, the table (or `--json`) on stdout, the folder on stderr. `more` follows the
/// table (a replay's record check).
pub(crate) fn report(exec: &crate::ExecArgs, b: Batch, more: &str) -> Result<ExitCode> {
    if let Some((shard, runs)) = b.shard {
        return crate::shard_done(shard, "runs", runs, &b.dir, b.elapsed_seconds);
    }
    crate::finish_folder(&b.dir, exec)?;
    crate::status(&format!(
        "{} runs ({:.0} runs/s this session)\n",
        b.runs,
        b.done_here as f64 / b.elapsed_seconds.max(1e-9)
    ));
    if exec.json {
        crate::say(&format!("{}\n", json_summary(&b.sim, &b.aggregate, b.runs, &b.dir)?))?;
    } else {
        print_table(&b.sim, &b.aggregate, more)?;
    }
    crate::status(&format!("wrote {}\n", b.dir.display()));
    Ok(ExitCode::SUCCESS)
}

/// An indicatif bar on a terminal, a line every 10 s otherwise, nothing with --quiet.
pub(crate) enum Progress {
    Quiet,
    /// Waiting for `begin`: a bar on a terminal, else lines.
    Ready {
        bar: bool,
    },
    Bar(indicatif::ProgressBar),
    Lines {
        total: u64,
        start: u64,
        started: Instant,
        last: Instant,
    },
}

impl Progress {
    pub(crate) fn new(quiet: bool) -> Progress {
        if quiet {
            Progress::Quiet
        } else {
            Progress::Ready { bar: std::io::stderr().is_terminal() }
        }
    }
}

impl sidelines_workflows::Progress for Progress {
    fn begin(&mut self, start: u64, total: u64) {
        *self = match self {
            Progress::Ready { bar: true } => {
                let bar = indicatif::ProgressBar::new(total);
                let style = indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} runs  {rate}  ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} runs/s", state.per_sec());
                    },
                );
                bar.set_style(style);
                bar.set_position(start);
                bar.reset_eta();
                Progress::Bar(bar)
            }
            Progress::Ready { bar: false } => {
                let now = Instant::now();
                Progress::Lines { total, start, started: now, last: now }
            }
            _ => return,
        };
    }

    fn update(&mut self, done: u64) {
        match self {
            Progress::Quiet | Progress::Ready { .. } => {}
            Progress::Bar(bar) => bar.set_position(done),
            Progress::Lines { total, start, started, last } => {
                if last.elapsed() >= Duration::from_secs(10) {
                    *last = Instant::now();
                    let secs = started.elapsed().as_secs_f64();
                    let rate = (done - *start) as f64 / secs.max(1e-9);
                    let eta = (*total - done) as f64 / rate.max(1e-9);
                    eprintln!(
                        "batch: {done}/{total} runs ({:.0}%), {rate:.0} runs/s, ETA {eta:.0} s",
                        100.0 * done as f64 / *total as f64
                    );
                }
            }
        }
    }

    fn end(&mut self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }

    fn note(&mut self, message: &str) {
        match self {
            Progress::Quiet => {}
            Progress::Bar(bar) => bar.println(message),
            _ => eprintln!("{message}"),
        }
    }
}

/// `--json`: the folder, the run count, every outcome's share or mean with its interval, and a
/// replay's record check, as one object for scripts.
fn json_summary(
    sim: &Simulation,
    agg: &Aggregator,
    total: u64,
    dir: &Path,
) -> Result<serde_json::Value> {
    let headline = |name: &str| sim.outcomes().iter().any(|o| o.headline && o.name == name);
    let shares: Vec<serde_json::Value> = agg
        .shares()
        .iter()
        .map(|s| {
            serde_json::json!({
                "outcome": s.outcome, "value": s.value, "count": s.count, "share": s.share,
                "ci95_low": s.ci95_low, "ci95_high": s.ci95_high, "headline": headline(&s.outcome),
            })
        })
        .collect();
    let summaries: Vec<serde_json::Value> = agg
        .summaries()
        .iter()
        .map(|s| {
            serde_json::json!({
                "outcome": s.outcome, "n": s.n, "mean": s.mean, "ci95_low": s.ci95_low,
                "ci95_high": s.ci95_high, "p05": s.quantiles[0], "p50": s.quantiles[2],
                "p95": s.quantiles[4], "headline": headline(&s.outcome),
            })
        })
        .collect();
    let mut out = serde_json::json!({
        "folder": dir.display().to_string(),
        "scenario": sim.scenario().name,
        "runs": total,
        "shares": shares,
        "summaries": summaries,
    });
    let check = dir.join("record_check.csv");
    if check.is_file() {
        let mut r = csv::Reader::from_path(&check)
            .with_context(|| format!("reading {}", check.display()))?;
        let header = r.headers()?.clone();
        let rows: Vec<serde_json::Value> = r
            .records()
            .map(|rec| {
                rec.map(|rec| {
                    let row: serde_json::Map<String, serde_json::Value> = header
                        .iter()
                        .zip(rec.iter())
                        .map(|(h, v)| (h.to_string(), sidelines_workflows::tables::json_cell(v)))
                        .collect();
                    serde_json::Value::Object(row)
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        out["record_check"] = serde_json::Value::Array(rows);
    }
    Ok(out)
}

/// The headline outcomes as a compact table on stdout, in words: how the talks ended, the
/// headline yes/no outcomes, and the final values with the day they are of.
fn print_table(sim: &Simulation, agg: &Aggregator, more: &str) -> Result<()> {
    use sidelines_report::charts::{outcome_words, value_words};
    let headline: Vec<&str> =
        sim.outcomes().iter().filter(|o| o.headline).map(|o| o.name.as_str()).collect();
    let shares = agg.shares();
    let talks: Vec<(String, &sidelines_experiment::Share)> = shares
        .iter()
        .filter(|s| s.outcome == "talks_outcome")
        .map(|s| (value_words(&s.outcome, s.value), s))
        .collect();
    let flags: Vec<(String, &sidelines_experiment::Share)> = shares
        .iter()
        .filter(|s| {
            s.outcome != "talks_outcome"
                && s.value == sidelines_model::FLAG_VALUES[1]
                && headline.contains(&s.outcome.as_str())
        })
        .map(|s| (outcome_words(&s.outcome), s))
        .collect();
    let summaries = agg.summaries();
    let finals: Vec<(String, &sidelines_experiment::Summary)> = summaries
        .iter()
        .filter(|s| headline.contains(&s.outcome.as_str()))
        .map(|s| (outcome_words(&s.outcome), s))
        .collect();
    let scenario = sim.scenario();
    let last = scenario.horizon_days.saturating_sub(1);
    let on = format!("final values on {} (day {last})", scenario.date(last));
    let w = talks
        .iter()
        .chain(&flags)
        .map(|(l, _)| l.chars().count() + 2)
        .chain(finals.iter().map(|(l, _)| l.chars().count() + 2))
        .chain([on.chars().count(), "how the talks ended".len()])
        .max()
        .unwrap_or(0)
        + 2;
    let share_rows = |title: &str, rows: &[(String, &sidelines_experiment::Share)]| {
        let mut t = format!("{title:<w$}share   95% interval\n");
        for (label, s) in rows {
            t.push_str(&format!(
                "  {label:<w2$}{:>5.3}   [{:.3}, {:.3}]\n",
                s.share,
                s.ci95_low,
                s.ci95_high,
                w2 = w - 2
            ));
        }
        t
    };
    let mut text = share_rows("how the talks ended", &talks);
    if !flags.is_empty() {
        text.push_str(&share_rows("yes or no at the horizon", &flags));
    }
    text.push_str(&format!("{on:<w$}mean    95% CI of mean     p05    p95\n"));
    for (label, s) in &finals {
        text.push_str(&format!(
            "  {label:<w2$}{:>5.3}   [{:.3}, {:.3}]   {:.3}  {:.3}\n",
            s.mean,
            s.ci95_low,
            s.ci95_high,
            s.quantiles[0],
            s.quantiles[4],
            w2 = w - 2
        ));
    }
    text.push_str(more);
    say(&text)
}
