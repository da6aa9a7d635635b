//! `sidelines sweep` and `sidelines analyze`: design points, runs, sensitivity.

use sidelines_workflows::Progress as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sidelines_experiment::design::{DesignError, Sampler, unit_points};
use sidelines_experiment::{Adaptive, Control, Outcome, Plan, Resume, execute, execute_adaptive};
use sidelines_model::OutcomeKind;
use sidelines_model::Simulation;
use sidelines_report::columns::{self, FolderKind};
use sidelines_report::sweep::{
    Method, Progress as SweepProgress, SWEEP_FILES, SweepShape, SweepWriter, csv_table,
    sweep_table, write_sensitivity,
};
use sidelines_scenario::sweep::{Replication, Sweep, SweepSampler, load_sweep};

use crate::{fresh_dir, guard_out_dir, input_error, read_input, resolve_base, say};

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
    /// Analyse only this outcome [default: every numeric outcome].
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
}

/// The design's points, in actual parameter values.
pub fn design(sweep: &Sweep) -> Result<Vec<Vec<f64>>, DesignError> {
    let k = sweep.parameters.len();
    let sampler = match &sweep.sampler {
        SweepSampler::Grid => {
            return unit_points(
                &Sampler::Grid(sweep.parameters.iter().map(|p| p.values.clone()).collect()),
                k,
                sweep.seed,
            );
        }
        SweepSampler::Random { samples } => Sampler::Random { samples: *samples },
        SweepSampler::Lhs { samples } => Sampler::Lhs { samples: *samples },
        SweepSampler::Sobol { base_samples, second_order } => {
            Sampler::Sobol { base_samples: *base_samples, second_order: *second_order }
        }
        SweepSampler::Morris { trajectories, levels } => {
            Sampler::Morris { trajectories: *trajectories, levels: *levels }
        }
    };
    let unit = unit_points(&sampler, k, sweep.seed)?;
    Ok(unit
        .iter()
        .map(|u| u.iter().zip(&sweep.parameters).map(|(x, p)| p.scale(*x)).collect())
        .collect())
}

fn sampler_json(s: &SweepSampler) -> serde_json::Value {
    match s {
        SweepSampler::Grid => serde_json::json!({ "kind": "grid" }),
        SweepSampler::Random { samples } => {
            serde_json::json!({ "kind": "random", "samples": samples })
        }
        SweepSampler::Lhs { samples } => serde_json::json!({ "kind": "lhs", "samples": samples }),
        SweepSampler::Sobol { base_samples, second_order } => {
            serde_json::json!({ "kind": "sobol", "samples": base_samples, "second_order": second_order })
        }
        SweepSampler::Morris { trajectories, levels } => {
            serde_json::json!({ "kind": "morris", "trajectories": trajectories, "levels": levels })
        }
    }
}

pub fn load(path: &Path) -> Result<Sweep> {
    let bytes = read_input(path)
        .map_err(|e| input_error(format!("cannot read {}: {e}", path.display())))?;
    Ok(load_sweep(&path.display().to_string(), &bytes, &resolve_base)?)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let checkpoint_every = Duration::try_from_secs_f64(args.exec.checkpoint_every.max(0.0))
        .map_err(|_| input_error("--checkpoint-every takes a number of seconds"))?;
    let sweep = load(&args.file)?;
    let points = design(&sweep).map_err(|e| input_error(e.to_string()))?;
    let mut scenarios = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let s =
            sweep.point_scenario(p).map_err(|e| input_error(format!("design point {i}: {e}")))?;
        scenarios.push(Arc::new(s));
    }
    let threads = crate::threads(args.exec.threads);
    let fixed = match &sweep.replicates {
        Replication::Fixed(n) => Some(*n),
        Replication::Adaptive { .. } => None,
    };
    // A sweep's shard is a slice of its design points, whole: each point's summary is exact in
    // its shard, and adaptive replication needs nothing from other points.
    let shard = crate::shard::parse(args.exec.shard.as_deref())?;
    let slice = shard.map_or(0..points.len() as u64, |s| s.slice(points.len() as u64));
    // Rows before the slice: known only with fixed replication (an adaptive shard numbers its
    // runs from 0 and `merge` renumbers them).
    let first_run = fixed.map_or(0, |n| slice.start * n);
    let plan = Plan {
        points: scenarios,
        replicates: fixed.unwrap_or(1),
        master_seed: sweep.seed,
        trajectories: 0,
        timeseries: false,
        common_random_numbers: sweep.common_random_numbers,
        first_point: 0,
        per_run: None,
    };
    let sim = Simulation::new(plan.points[0].clone())?;
    let adaptive = match &sweep.replicates {
        Replication::Fixed(_) => None,
        Replication::Adaptive { target_half_width, outcome, min, max } => {
            let names = sim.outcome_names();
            let numeric = |i: usize| !matches!(sim.outcome_kinds()[i], OutcomeKind::Category(_));
            let Some(index) = names.iter().position(|n| n == outcome).filter(|i| numeric(*i))
            else {
                let known: Vec<&str> = names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| numeric(*i))
                    .map(|(_, n)| n.as_str())
                    .collect();
                let place = sweep
                    .outcome_place
                    .clone()
                    .map_or(String::new(), |p| format!("{}:{}:{}: ", p.file, p.line, p.column));
                return Err(input_error(format!(
                    "{place}replicates.outcome: `{outcome}` is not a numeric outcome (known: {})",
                    known.join(", ")
                )));
            };
            Some(Adaptive {
                outcome: index,
                target_half_width: *target_half_width,
                min: *min,
                max: *max,
            })
        }
    };
    let source = toml::to_string(&sweep.source).unwrap_or_default();
    let shape = SweepShape {
        identity: serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "sweep": source,
            "scenario": sidelines_report::resolved_toml(&sweep.scenario),
            "shard": shard.map(|s| [s.index, s.count]),
        }),
        scenario: sweep.scenario.name.clone(),
        parameters: sweep.parameters.iter().map(|p| p.path.clone()).collect(),
        points: points.clone(),
        replicates: fixed,
        outcome_names: sim.outcome_names().to_vec(),
        outcome_kinds: sim.outcome_kinds().to_vec(),
    };
    let fresh_start = args.exec.resume
        && args.exec.out.as_ref().is_some_and(|d| {
            !d.join(sidelines_report::checkpoint::CHECKPOINT).exists()
                && !d.join("runs.csv").exists()
        });
    if fresh_start {
        // Killed before its first checkpoint (a requeued Slurm task): start over.
        eprintln!("nothing was checkpointed yet; starting from the first point");
    }
    let (dir, mut writer, progress_at) = match (&args.exec.out, args.exec.resume && !fresh_start) {
        (out, true) => {
            let d = match out {
                Some(d) => d.clone(),
                None => sidelines_workflows::inputs::latest_unfinished(&sweep.name)?,
            };
            let (w, at) = SweepWriter::resume(&d, shape)?;
            (d, w, at)
        }
        (out, _) => {
            let dir = match out {
                Some(d) => {
                    guard_out_dir(d, &SWEEP_FILES, args.exec.force || fresh_start)?;
                    d.clone()
                }
                None => fresh_dir(&sweep.name)?,
            };
            let start = SweepProgress {
                next_run: first_run,
                completed_points: slice.start,
                pending_replicates: 0,
            };
            let w = SweepWriter::create(&dir, shape, &start)
                .with_context(|| format!("starting a sweep in {}", dir.display()))?;
            (dir, w, start)
        }
    };
    crate::batch::stop_on_ctrl_c();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let next_run = progress_at.next_run;
    let started = Instant::now();
    let mut done_runs = next_run;
    // With adaptive replication the total is not known in advance: show the cap.
    let total_hint = match &sweep.replicates {
        Replication::Fixed(n) => *n * slice.end,
        Replication::Adaptive { max, .. } => *max * (slice.end - slice.start),
    };
    let mut bar = crate::batch::Progress::new(args.exec.quiet);
    sidelines_workflows::Progress::begin(&mut bar, next_run, total_hint);
    let mut report = |done: u64| {
        done_runs = done;
        bar.update(done);
    };
    let control = Control {
        stop: &crate::batch::STOP,
        progress: &mut report,
        checkpoint_every,
        runs_per_world: args.exec.runs_per_world,
    };
    let ran = match adaptive {
        None => {
            let end = slice.end * plan.replicates;
            execute(&plan, &pool, next_run..end, Vec::new(), &mut writer, control)
        }
        Some(rule) => {
            let start = Resume {
                point: progress_at.completed_points,
                replicates: progress_at.pending_replicates,
                values: writer.pending_numbers(rule.outcome),
                rows: next_run,
            };
            let seeds_shared = sweep.common_random_numbers;
            execute_adaptive(
                &plan.points[..slice.end as usize],
                rule,
                sweep.seed,
                seeds_shared,
                &pool,
                start,
                &mut writer,
                control,
            )
        }
    };
    sidelines_workflows::Progress::end(&mut bar);
    let continue_line = format!(
        "sidelines sweep {}{} --out {} --resume",
        args.file.display(),
        args.exec.continue_flags(),
        dir.display()
    );
    let outcome = match ran {
        Ok(o) => o,
        Err(e) => return Err(crate::stopped(e, "sweep", &dir, writer.abandon(), &continue_line)),
    };
    let elapsed = started.elapsed().as_secs_f64();
    let total = done_runs - first_run;
    if let Outcome::Interrupted { next_run } = outcome {
        eprintln!(
            "interrupted after {} runs; continue with:\n  {continue_line}",
            next_run - first_run
        );
        return Ok(ExitCode::from(130));
    }
    let parameter_paths: Vec<String> = sweep.parameters.iter().map(|p| p.path.clone()).collect();
    let manifest = serde_json::json!({
        "tool": "sidelines",
        "version": env!("CARGO_PKG_VERSION"),
        "command": crate::command_line(),
        "kind": "sweep",
        "sweep": sweep.name,
        "scenario": sweep.scenario.name,
        "sampler": sampler_json(&sweep.sampler),
        "parameters": sweep.parameters.iter().map(|p| serde_json::json!({"path": p.path, "label": p.label, "low": p.low, "high": p.high})).collect::<Vec<_>>(),
        "outcomes": sidelines_report::outcomes_json(&sim),
        "columns": columns::dictionary_json(
            &columns::dictionary(
                &sim,
                FolderKind::Sweep(match &sweep.sampler {
                    SweepSampler::Sobol { second_order, .. } => Some(("sobol", *second_order)),
                    SweepSampler::Morris { .. } => Some(("morris", false)),
                    _ => None,
                }),
                &parameter_paths,
                false,
            ),
            args.exec.table_format() == sidelines_report::TableFormat::Parquet,
        ),
        "points": points.len(),
        "replicates": match &sweep.replicates {
            Replication::Fixed(n) => serde_json::json!(n),
            Replication::Adaptive { target_half_width, outcome, min, max } => serde_json::json!({
                "target_half_width": target_half_width, "outcome": outcome, "min": min, "max": max,
            }),
        },
        "runs": total,
        "seed": sweep.seed,
        "seed_rule": "seed(run) = splitmix64(splitmix64(master ^ splitmix64(p)) ^ splitmix64(!replicate)) >> 15, p = 0 with common random numbers, else the point",
        "common_random_numbers": sweep.common_random_numbers,
        "format": args.exec.format,
        "threads": threads,
        "elapsed_seconds": elapsed,
        "runs_per_second": if elapsed > 0.0 { (done_runs - next_run) as f64 / elapsed } else { 0.0 },
        "sweep_toml": source,
        "resolved_scenario_toml": sidelines_report::resolved_toml(&sweep.scenario),
    });
    let mut manifest = manifest;
    if let Some(shard) = shard {
        crate::shard::mark_shard(&mut manifest, shard, "points", slice.clone(), total);
        writer
            .finish(manifest, None, args.exec.table_format())
            .with_context(|| format!("finishing the shard in {}", dir.display()))?;
        return crate::shard_done(shard, "points", slice, &dir, elapsed);
    }
    let method = method_of(&manifest).map(|m| (m, sweep.seed));
    writer
        .finish(manifest, method, args.exec.table_format())
        .with_context(|| format!("finishing the sweep in {}", dir.display()))?;
    if args.exec.xlsx {
        crate::export_xlsx(&dir)?;
    }
    if args.exec.charts {
        crate::chart(&dir)?;
    }
    crate::status(&format!("{} points, {total} runs in {elapsed:.1} s\n", points.len()));
    if args.exec.json {
        let summary = serde_json::json!({
            "folder": dir.display().to_string(),
            "sweep": sweep.name,
            "scenario": sweep.scenario.name,
            "points": points.len(),
            "runs": total,
            "seconds": elapsed,
            "files": std::fs::read_dir(&dir)
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
    }
    crate::status(&format!("wrote {}\n", dir.display()));
    Ok(ExitCode::SUCCESS)
}

/// The sensitivity method a finished sweep's design calls for (Sobol' or Morris), from its
/// manifest.
pub(crate) fn method_of(manifest: &serde_json::Value) -> Option<Method> {
    let sampler = &manifest["sampler"];
    match sampler["kind"].as_str()? {
        "sobol" => {
            Some(Method::Sobol { second_order: sampler["second_order"].as_bool().unwrap_or(false) })
        }
        "morris" => {
            Some(Method::Morris { levels: sampler["levels"].as_u64().unwrap_or(4) as usize })
        }
        _ => None,
    }
}

pub fn analyze(args: AnalyzeArgs) -> Result<ExitCode> {
    if args.method == "prim" {
        return crate::prim::run(&crate::prim::PrimSpec {
            dir: &args.dir,
            outcome: &args.outcome,
            condition: &args.condition,
            alpha: args.alpha,
            min_support: args.min_support,
            min_coverage: args.min_coverage,
            out: &args.out,
        });
    }
    if let Some(out) = &args.out {
        if out.is_dir() {
            return Err(input_error(format!(
                "--out {} is a folder: name the file to write (e.g. {})",
                out.display(),
                out.join("sensitivity.csv").display()
            )));
        }
        crate::out_parent_exists(out)?;
    }
    let (table, method, out) = match (&args.table, &args.dir) {
        (Some(path), _) => {
            if let Some((i, p)) =
                args.params.iter().enumerate().find(|(i, p)| args.params[..*i].contains(p))
            {
                return Err(input_error(format!(
                    "--params names `{p}` twice (at positions {} and {}): each column is one parameter",
                    args.params.iter().position(|q| q == p).unwrap_or(0) + 1,
                    i + 1
                )));
            }
            // The user's own file: missing or not a file is their input (exit 2), not the
            // machine's.
            if !path.is_file() {
                return Err(input_error(format!(
                    "--table {}: {}",
                    path.display(),
                    if path.exists() { "is not a file" } else { "no such file" }
                )));
            }
            let outcome = args.outcome.clone().unwrap_or_default();
            let t = csv_table(path, &args.params, &outcome)?;
            let method = if args.method == "sobol" {
                Method::Sobol { second_order: args.second_order }
            } else {
                Method::Morris { levels: args.levels as usize }
            };
            (t, method, args.out.clone().unwrap_or_else(|| PathBuf::from("sensitivity.csv")))
        }
        (None, Some(dir)) => {
            let manifest = sidelines_report::folder::check(dir)?.manifest;
            let kind = manifest["sampler"]["kind"].as_str().unwrap_or("");
            let method = method_of(&manifest).filter(|_| kind == args.method).ok_or_else(|| {
                let kind =
                    if kind.is_empty() { manifest["kind"].as_str().unwrap_or("") } else { kind };
                input_error(format!(
                    "{} holds a {kind} design, not a {} one",
                    dir.display(),
                    args.method
                ))
            })?;
            let t = sweep_table(dir)?;
            (t, method, args.out.clone().unwrap_or_else(|| dir.join("sensitivity.csv")))
        }
        (None, None) => return Err(input_error("name a sweep folder or a --table")),
    };
    write_sensitivity(
        &out,
        &table,
        method,
        args.outcome.as_deref(),
        args.resamples as usize,
        args.seed,
    )?;
    crate::status(&format!("wrote {}\n", out.display()));
    Ok(ExitCode::SUCCESS)
}
