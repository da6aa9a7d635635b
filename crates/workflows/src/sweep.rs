//! Sweeps: design points (grid, random, lhs, sobol, morris), their runs with fixed or
//! adaptive replication, checkpointed and resumable, and the sensitivity analysis of the result.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sidelines_experiment::design::{DesignError, Sampler, unit_points};
use sidelines_experiment::{
    Adaptive, Control, Outcome, Plan, Resume, Shard, execute, execute_adaptive,
};
use sidelines_model::{OutcomeKind, Simulation};
use sidelines_report::TableFormat;
use sidelines_report::columns::{self, FolderKind};
use sidelines_report::manifest::{self, Kind, Manifest};
use sidelines_report::sweep::{
    Method, Progress as SweepProgress, SWEEP_FILES, SweepIdentity, SweepShape, SweepWriter,
};
use sidelines_scenario::sweep::{Replication, Sweep, SweepSampler, load_sweep};

use crate::error::{Context, Error, Result, input};
use crate::exec::{Exec, Hooks};
use crate::inputs::{fresh_dir, guard_out_dir, read_input, resolve_base};

/// What to sweep: the sweep file and how to run it.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    pub file: PathBuf,
    pub exec: Exec,
}

/// A finished sweep (or shard of one).
#[derive(Debug)]
pub struct Swept {
    pub dir: PathBuf,
    pub name: String,
    pub scenario: String,
    pub points: usize,
    pub runs: u64,
    pub elapsed_seconds: f64,
    /// The shard this folder holds, and its design points.
    pub shard: Option<(Shard, Range<u64>)>,
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

/// The design as the manifest records it.
fn sampler_record(s: &SweepSampler) -> manifest::Sampler {
    match *s {
        SweepSampler::Grid => manifest::Sampler::Grid,
        SweepSampler::Random { samples } => manifest::Sampler::Random { samples: samples as u64 },
        SweepSampler::Lhs { samples } => manifest::Sampler::Lhs { samples: samples as u64 },
        SweepSampler::Sobol { base_samples, second_order } => {
            manifest::Sampler::Sobol { samples: base_samples as u64, second_order }
        }
        SweepSampler::Morris { trajectories, levels } => {
            manifest::Sampler::Morris { trajectories: trajectories as u64, levels: levels as u64 }
        }
    }
}

pub fn load(path: &Path) -> Result<Sweep> {
    let bytes =
        read_input(path).map_err(|e| input(format!("cannot read {}: {e}", path.display())))?;
    Ok(load_sweep(&path.display().to_string(), &bytes, &resolve_base)?)
}

/// Runs a sweep file's design and writes its folder (with the sensitivity indices its design
/// calls for).
pub fn sweep(args: &SweepSpec, hooks: Hooks<'_>) -> Result<Swept> {
    let checkpoint_every = args.exec.checkpoint_every;
    let sweep = load(&args.file)?;
    let points = design(&sweep).map_err(|e| input(e.to_string()))?;
    let mut scenarios = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let s = sweep.point_scenario(p).map_err(|e| input(format!("design point {i}: {e}")))?;
        scenarios.push(Arc::new(s));
    }
    let threads = crate::inputs::threads(args.exec.threads);
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
                return Err(input(format!(
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
        identity: SweepIdentity {
            version: String::from(env!("CARGO_PKG_VERSION")),
            sweep: source.clone(),
            scenario: sidelines_report::resolved_toml(&sweep.scenario),
            shard: shard.map(|s| (s.index, s.count)),
        },
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
        hooks.progress.note("nothing was checkpointed yet; starting from the first point");
    }
    let (dir, mut writer, progress_at) = match (&args.exec.out, args.exec.resume && !fresh_start) {
        (out, true) => {
            let d = match out {
                Some(d) => d.clone(),
                None => crate::inputs::latest_unfinished(&sweep.name)?,
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
                .context(|| format!("starting a sweep in {}", dir.display()))?;
            (dir, w, start)
        }
    };
    let pool = crate::inputs::worker_pool(Some(threads as u64))?;
    let next_run = progress_at.next_run;
    let started = Instant::now();
    let mut done_runs = next_run;
    // With adaptive replication the total is not known in advance: show the cap.
    let total_hint = match &sweep.replicates {
        Replication::Fixed(n) => *n * slice.end,
        Replication::Adaptive { max, .. } => *max * (slice.end - slice.start),
    };
    hooks.progress.begin(next_run, total_hint);
    let bar = hooks.progress;
    let mut report = |done: u64| {
        done_runs = done;
        bar.update(done);
    };
    let control = Control {
        stop: hooks.stop,
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
    bar.end();
    let continue_line = format!(
        "sidelines sweep {}{} --out {} --resume",
        args.file.display(),
        args.exec.continue_flags(),
        dir.display()
    );
    let outcome = match ran {
        Ok(o) => o,
        Err(e) => {
            let kept = writer.abandon();
            return Err(Error::Stopped {
                dir,
                what: "sweep",
                cause: e.to_string(),
                kept,
                resume: continue_line,
            });
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    let total = done_runs - first_run;
    if let Outcome::Interrupted { next_run } = outcome {
        return Err(Error::Interrupted {
            dir,
            next_run: next_run - first_run,
            total: 0,
            resume: continue_line,
        });
    }
    let parameter_paths: Vec<String> = sweep.parameters.iter().map(|p| p.path.clone()).collect();
    let mut manifest = Manifest {
        sweep: Some(sweep.name.clone()),
        scenario: Some(sweep.scenario.name.clone()),
        sampler: Some(sampler_record(&sweep.sampler)),
        parameters: Some(sweep.parameters.iter().map(manifest::Parameter::from).collect()),
        outcomes: Some(sidelines_report::outcomes_table(&sim)),
        columns: Some(columns::dictionary_json(
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
            args.exec.format == TableFormat::Parquet,
        )),
        points: Some(points.len() as u64),
        replicates: Some(match &sweep.replicates {
            Replication::Fixed(n) => manifest::Replicates::Fixed(*n),
            Replication::Adaptive { target_half_width, outcome, min, max } => {
                manifest::Replicates::Adaptive {
                    target_half_width: *target_half_width,
                    outcome: outcome.clone(),
                    min: *min,
                    max: *max,
                }
            }
        }),
        runs: Some(total),
        seed: Some(sweep.seed),
        seed_rule: Some(String::from(
            "seed(run) = splitmix64(splitmix64(master ^ splitmix64(p)) ^ splitmix64(!replicate)) >> 15, p = 0 with common random numbers, else the point",
        )),
        common_random_numbers: Some(sweep.common_random_numbers),
        format: Some(args.exec.format),
        threads: Some(threads as u64),
        elapsed_seconds: Some(elapsed),
        runs_per_second: Some(if elapsed > 0.0 {
            (done_runs - next_run) as f64 / elapsed
        } else {
            0.0
        }),
        sweep_toml: Some(source),
        resolved_scenario_toml: Some(sidelines_report::resolved_toml(&sweep.scenario)),
        ..Manifest::new(Kind::Sweep, &args.exec.command_line)
    };
    let done = |dir: PathBuf, shard| Swept {
        dir,
        name: sweep.name.clone(),
        scenario: sweep.scenario.name.clone(),
        points: points.len(),
        runs: total,
        elapsed_seconds: elapsed,
        shard,
    };
    if let Some(shard) = shard {
        crate::shard::mark_shard(&mut manifest, shard, "points", slice.clone(), total);
        writer
            .finish(&manifest, None, args.exec.format)
            .context(|| format!("finishing the shard in {}", dir.display()))?;
        return Ok(done(dir, Some((shard, slice))));
    }
    let method = method_of(&manifest).map(|m| (m, sweep.seed));
    writer
        .finish(&manifest, method, args.exec.format)
        .context(|| format!("finishing the sweep in {}", dir.display()))?;
    Ok(done(dir, None))
}

/// The sensitivity method a finished sweep's design calls for (Sobol' or Morris), from its
/// manifest.
pub fn method_of(manifest: &Manifest) -> Option<Method> {
    match manifest.sampler.as_ref()? {
        manifest::Sampler::Sobol { second_order, .. } => {
            Some(Method::Sobol { second_order: *second_order })
        }
        manifest::Sampler::Morris { levels, .. } => {
            Some(Method::Morris { levels: *levels as usize })
        }
        _ => None,
    }
}
