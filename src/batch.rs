//! `sidelines batch`: folders, progress, interruption and the closing table.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sidelines_experiment::{Aggregator, Control, Outcome, Plan, empty_aggregators, execute};
use sidelines_model::Simulation;
use sidelines_report::batch::{BATCH_FILES, BatchWriter, Identity};
use sidelines_report::checkpoint::CHECKPOINT;
use sidelines_report::columns::{self, FolderKind};
use sidelines_scenario::DEFAULT_SCENARIO;

use crate::{fresh_dir, guard_out_dir, input_error, load_scenario, say};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  sidelines batch                                        10,000 runs of ukraine-watch, seed 1
  sidelines batch coerced-settlement --runs 100000 --seed 7 --out results/coerced
  sidelines batch --runs 1000000 --format parquet --out big       typed, compressed runs
  sidelines batch --out results/coerced --resume         continue an interrupted batch
  sidelines batch --runs 10000000 --shard 3/8 --out shards/3      one of 8 machines' share")]
pub struct Args {
    /// An embedded scenario name or a path to a .toml file.
    #[arg(default_value = DEFAULT_SCENARIO)]
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

/// Set by Ctrl-C; the batch stops at the end of the current block, after a checkpoint.
static STOP: AtomicBool = AtomicBool::new(false);

pub fn run(args: Args) -> Result<ExitCode> {
    let scenario = Arc::new(load_scenario(&args.scenario)?);
    let job = Job {
        kind: "batch",
        command: String::from("batch"),
        extra: serde_json::json!({}),
        per_run: None,
        files: Vec::new(),
    };
    run_with(&args, scenario, job, &mut |_, _, _| Ok(String::new()))
}

/// What kind of batch this is: its name in the manifest, the command that continues it, and
/// more manifest fields.
pub struct Job {
    pub kind: &'static str,
    /// How `sidelines <command> ...` continues an interrupted one (the part after the binary).
    pub command: String,
    pub extra: serde_json::Value,
    /// Each run's own scenario (a posterior predictive replay), in place of `scenario`.
    pub per_run: Option<Arc<Vec<Arc<sidelines_scenario::Scenario>>>>,
    /// Files that do not depend on the runs (a replay's record.csv): written into every folder,
    /// shards included, and copied by `merge`.
    pub files: Vec<(&'static str, Vec<u8>)>,
}

/// Files written into a whole batch's folder before it is finished (from its aggregate, so not
/// into a shard's: `merge` writes them), and text printed after the table.
pub type Finish<'a> = dyn FnMut(&Path, &Simulation, &Aggregator) -> Result<String> + 'a;

/// Runs `scenario` as a batch: `args` say how many runs and where.
pub fn run_with(
    args: &Args,
    scenario: Arc<sidelines_scenario::Scenario>,
    job: Job,
    finish: &mut Finish<'_>,
) -> Result<ExitCode> {
    let checkpoint_every = Duration::try_from_secs_f64(args.exec.checkpoint_every.max(0.0))
        .map_err(|_| input_error("--checkpoint-every takes a number of seconds"))?;
    let threads = crate::threads(args.exec.threads);
    let shard = crate::shard::shard(args.exec.shard.as_deref())?;
    let runs = shard.map_or(0..args.runs, |s| s.slice(args.runs));
    let plan = Plan {
        points: vec![scenario.clone()],
        replicates: args.runs,
        master_seed: args.seed,
        trajectories: args.trajectories.min(args.runs),
        timeseries: true,
        common_random_numbers: false,
        first_point: 0,
        per_run: job.per_run.clone(),
    };
    let mut identity = Identity::new(
        env!("CARGO_PKG_VERSION"),
        &scenario,
        args.runs,
        args.seed,
        plan.trajectories,
    );
    identity.shard = shard.map(|s| (s.index, s.count));
    let sim = Simulation::new(scenario.clone())?;
    let mut aggregators = empty_aggregators(&plan)?;

    let fresh_start = args.exec.resume
        && args
            .exec
            .out
            .as_ref()
            .is_some_and(|d| !d.join(CHECKPOINT).exists() && !d.join("runs.csv").exists());
    if fresh_start {
        // Killed before its first checkpoint: there is nothing to continue, so start over.
        eprintln!("nothing was checkpointed yet; starting from run 0");
    }
    let (dir, mut writer, next_run) = if args.exec.resume && !fresh_start {
        let dir = match &args.exec.out {
            Some(d) => d.clone(),
            None => latest_unfinished(&scenario.name)?,
        };
        let (w, next) = BatchWriter::resume(&dir, identity, &sim, &mut aggregators)?;
        (dir, w, next)
    } else {
        let dir = match &args.exec.out {
            Some(d) => {
                guard_out_dir(d, &BATCH_FILES, args.exec.force || fresh_start)?;
                d.clone()
            }
            None => fresh_dir(&scenario.name)?,
        };
        let w = BatchWriter::create(&dir, identity, &sim, &aggregators, runs.start)
            .with_context(|| format!("starting a batch in {}", dir.display()))?;
        (dir, w, runs.start)
    };

    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: leave now; the last checkpoint still allows --resume.
            std::process::exit(130);
        }
    });
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let total = runs.end;
    let started = Instant::now();
    let mut progress = Progress::new(args.exec.quiet, next_run, total);
    let mut report = |done: u64| progress.update(done);
    let control = Control {
        stop: &STOP,
        progress: &mut report,
        checkpoint_every,
        runs_per_world: args.exec.runs_per_world,
    };
    let continue_line = format!(
        "sidelines {} {} --runs {} --seed {} --trajectories {}{} --out {} --resume",
        job.command,
        args.scenario,
        args.runs,
        args.seed,
        plan.trajectories,
        args.exec.continue_flags(),
        dir.display()
    );
    let outcome = match execute(&plan, &pool, next_run..runs.end, aggregators, &mut writer, control)
    {
        Ok(o) => o,
        Err(e) => {
            progress.finish();
            let kept = writer.abandon();
            return Err(crate::stopped(e, job.kind, &dir, kept, &continue_line));
        }
    };
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();

    match outcome {
        Outcome::Interrupted { next_run } => {
            eprintln!(
                "interrupted after {next_run} of {total} runs; continue with:\n  {continue_line}"
            );
            Ok(ExitCode::from(130))
        }
        Outcome::Complete(aggregators) => {
            let done_here = total - next_run;
            for (name, bytes) in &job.files {
                sidelines_report::write_atomic(&dir.join(name), bytes)?;
            }
            let mut manifest = serde_json::json!({
                "tool": "sidelines",
                "version": env!("CARGO_PKG_VERSION"),
                "command": crate::command_line(),
                "kind": job.kind,
                "scenario": scenario.name,
                "seed": args.seed,
                "runs": args.runs,
                "threads": threads,
                "trajectories": plan.trajectories,
                "format": args.exec.format,
                "seed_rule": "seed(run) = splitmix64(splitmix64(master ^ splitmix64(point)) ^ splitmix64(!replicate)) >> 15, point 0, replicate = run",
                "quantiles": "nearest rank from histograms: exact for days, bins of 1/4096 for outcomes and 1/256 for time series",
                "resumed_from_run": next_run,
                "elapsed_seconds": elapsed,
                "runs_per_second": if elapsed > 0.0 { done_here as f64 / elapsed } else { 0.0 },
                "outcomes": sidelines_report::outcomes_json(&sim),
                "columns": columns::dictionary_json(
                    &columns::dictionary(
                        &sim,
                        if job.kind == "replay" { FolderKind::Replay } else { FolderKind::Batch },
                        &[],
                        plan.trajectories > 0,
                    ),
                    args.exec.table_format() == sidelines_report::TableFormat::Parquet,
                ),
                "resolved_scenario_toml": sidelines_report::resolved_toml(&scenario),
            });
            if let (Some(m), Some(extra)) = (manifest.as_object_mut(), job.extra.as_object()) {
                m.extend(extra.clone());
                if !job.files.is_empty() {
                    m.insert(String::from("files"), job.files.iter().map(|f| f.0).collect());
                }
            }
            if let Some(shard) = shard {
                crate::shard::mark_shard(
                    &mut manifest,
                    shard,
                    "runs",
                    runs.clone(),
                    runs.end - runs.start,
                );
                writer
                    .finish(&sim, &aggregators, manifest, args.exec.table_format())
                    .with_context(|| format!("finishing the shard in {}", dir.display()))?;
                return crate::shard::shard_done(shard, "runs", runs, &dir, elapsed);
            }
            let more = finish(&dir, &sim, &aggregators[0])?;
            writer
                .finish(&sim, &aggregators, manifest, args.exec.table_format())
                .with_context(|| format!("finishing the batch in {}", dir.display()))?;
            if args.exec.xlsx {
                crate::export_xlsx(&dir)?;
            }
            if args.exec.charts {
                crate::chart(&dir)?;
            }
            crate::status(&format!(
                "{total} runs ({:.0} runs/s this session)\n",
                done_here as f64 / elapsed.max(1e-9)
            ));
            if args.exec.json {
                crate::say(&format!("{}\n", json_summary(&sim, &aggregators[0], total, &dir)?))?;
            } else {
                print_table(&sim, &aggregators[0], &more)?;
            }
            crate::status(&format!("wrote {}\n", dir.display()));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The newest folder under outputs/<scenario>/ that holds a checkpoint.
pub(crate) fn latest_unfinished(scenario: &str) -> Result<PathBuf> {
    let base = Path::new("outputs").join(scenario);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&base)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join(CHECKPOINT).is_file() && !p.ends_with("latest"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().ok_or_else(|| {
        input_error(format!(
            "no unfinished run of {scenario} under {}; name one with --out",
            base.display()
        ))
    })
}

/// An indicatif bar on a terminal, a line every 10 s otherwise, nothing with --quiet.
pub(crate) enum Progress {
    Quiet,
    Bar(indicatif::ProgressBar),
    Lines { total: u64, start: u64, started: Instant, last: Instant },
}

impl Progress {
    pub(crate) fn new(quiet: bool, start: u64, total: u64) -> Progress {
        if quiet {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
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
        } else {
            let now = Instant::now();
            Progress::Lines { total, start, started: now, last: now }
        }
    }

    pub(crate) fn update(&mut self, done: u64) {
        match self {
            Progress::Quiet => {}
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

    pub(crate) fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
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
                        .map(|(h, v)| (h.to_string(), json_cell(v)))
                        .collect();
                    serde_json::Value::Object(row)
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        out["record_check"] = serde_json::Value::Array(rows);
    }
    Ok(out)
}

/// A CSV cell as JSON: a flag as a boolean, a number as a number, anything else as text.
fn json_cell(v: &str) -> serde_json::Value {
    if let Some(b) = sidelines_report::parse_flag(v) {
        return serde_json::Value::Bool(b);
    }
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() && !v.is_empty() => serde_json::json!(x),
        _ => serde_json::Value::from(v),
    }
}

/// The headline outcomes as a compact table on stdout.
fn print_table(sim: &Simulation, agg: &Aggregator, more: &str) -> Result<()> {
    let mut text = String::from("how the talks ended            share   95% interval\n");
    let headline: Vec<&str> =
        sim.outcomes().iter().filter(|o| o.headline).map(|o| o.name.as_str()).collect();
    let shown = |s: &&sidelines_experiment::Share| {
        s.outcome == "talks_outcome"
            || (s.value == sidelines_model::FLAG_VALUES[1]
                && headline.contains(&s.outcome.as_str()))
    };
    for s in agg.shares().iter().filter(shown) {
        let label =
            if s.outcome == "talks_outcome" { s.value.to_string() } else { s.outcome.clone() };
        text.push_str(&format!(
            "  {label:<28}{:>6.3}   [{:.3}, {:.3}]\n",
            s.share, s.ci95_low, s.ci95_high
        ));
    }
    text.push_str("final values                   mean    95% CI of mean     p05    p95\n");
    for s in agg.summaries().iter().filter(|s| headline.contains(&s.outcome.as_str())) {
        text.push_str(&format!(
            "  {:<28}{:>6.3}   [{:.3}, {:.3}]   {:.3}  {:.3}\n",
            s.outcome, s.mean, s.ci95_low, s.ci95_high, s.quantiles[0], s.quantiles[4]
        ));
    }
    text.push_str(more);
    say(&text)
}
